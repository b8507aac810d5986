//! JWT access tokens checked against the authorization server's JWKS: signature by a key of
//! the set (fetched, cached, refetched at most every few seconds when a token names a key the
//! cache lacks), algorithm on an allow-list, issuer, audience = this server, expiry and
//! not-before with a small leeway.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use jsonwebtoken::jwk::JwkSet;
use jsonwebtoken::{Algorithm, DecodingKey, Validation, decode, decode_header};
use spate_protocol::JsonObject;

use super::{TokenRejected, audience_names, principal_of};
use crate::mutex::lock;
use crate::server::Principal;

/// How long fetched keys are trusted before they are fetched again.
const KEYS_TTL: Duration = Duration::from_secs(600);
/// The shortest time between two fetches (an unknown `kid` cannot make us hammer the JWKS).
const MIN_REFETCH: Duration = Duration::from_secs(5);
/// The largest JWKS document read.
const MAX_JWKS_BYTES: usize = 256 * 1024;

/// JWT validation settings.
#[derive(Debug, Clone)]
pub struct JwtValidation {
    /// The required `iss`.
    pub issuer: String,
    /// Where the signing keys are; `None` reads `jwks_uri` from the issuer's metadata
    /// (RFC 8414, then OpenID discovery).
    pub jwks_uri: Option<String>,
    /// Accepted signature algorithms (default RS256, ES256; `none` is never accepted).
    pub algorithms: Vec<Algorithm>,
    /// Clock skew allowed on `exp` and `nbf` (default 60 s).
    pub leeway: Duration,
}

impl JwtValidation {
    /// Tokens of `issuer`, keys at `jwks_uri`, default algorithms and leeway.
    pub fn new(issuer: impl Into<String>, jwks_uri: impl Into<String>) -> Self {
        Self {
            jwks_uri: Some(jwks_uri.into()),
            ..Self::discover(issuer)
        }
    }

    /// Tokens of `issuer`, whose keys are found through its metadata.
    pub fn discover(issuer: impl Into<String>) -> Self {
        Self {
            issuer: issuer.into(),
            jwks_uri: None,
            algorithms: vec![Algorithm::RS256, Algorithm::ES256],
            leeway: Duration::from_secs(60),
        }
    }
}

struct Keys {
    by_kid: HashMap<String, DecodingKey>,
    unnamed: Vec<DecodingKey>,
    fetched: Option<Instant>,
}

/// The validator with its key cache.
pub(crate) struct JwksCache {
    config: JwtValidation,
    http: reqwest::Client,
    keys: Mutex<Keys>,
    fetching: tokio::sync::Mutex<()>,
}

impl JwksCache {
    pub(crate) fn new(config: JwtValidation) -> Self {
        let http = super::outbound_client();
        Self {
            config,
            http,
            keys: Mutex::new(Keys {
                by_kid: HashMap::new(),
                unnamed: Vec::new(),
                fetched: None,
            }),
            fetching: tokio::sync::Mutex::new(()),
        }
    }

    pub(crate) async fn validate(
        &self,
        token: &str,
        resource: &str,
    ) -> Result<Principal, TokenRejected> {
        let reject = |why: &str| TokenRejected(why.to_owned());
        let header = decode_header(token).map_err(|_| reject("the token is not a JWT"))?;
        if !self.config.algorithms.contains(&header.alg) {
            return Err(reject("the token's signature algorithm is not accepted"));
        }
        let candidates = self.keys_for(header.kid.as_deref()).await?;
        let mut validation = Validation::new(header.alg);
        validation.algorithms = vec![header.alg];
        validation.set_issuer(&[&self.config.issuer]);
        validation.validate_aud = false; // checked below, with a clearer answer
        validation.validate_nbf = true;
        validation.leeway = self.config.leeway.as_secs();
        validation.set_required_spec_claims(&["exp", "iss"]);
        let mut last = reject("no key verifies the token");
        for key in &candidates {
            match decode::<JsonObject>(token, key, &validation) {
                Ok(data) => {
                    if !audience_names(data.claims.get("aud"), resource) {
                        return Err(reject(
                            "the token was not issued for this server (audience)",
                        ));
                    }
                    return Ok(principal_of(data.claims));
                }
                Err(e) => {
                    use jsonwebtoken::errors::ErrorKind;
                    last = reject(match e.kind() {
                        ErrorKind::ExpiredSignature => "the token has expired",
                        ErrorKind::ImmatureSignature => "the token is not valid yet",
                        ErrorKind::InvalidIssuer => "the token's issuer is not accepted",
                        ErrorKind::MissingRequiredClaim(_) => "the token lacks a required claim",
                        ErrorKind::InvalidSignature => "the token's signature does not verify",
                        _ => "the token is not valid",
                    });
                    if !matches!(e.kind(), ErrorKind::InvalidSignature) {
                        return Err(last);
                    }
                }
            }
        }
        Err(last)
    }

    /// The keys a token may be signed with: the one named by `kid` (fetching the set again
    /// if it is unknown), or every key without an id.
    async fn keys_for(&self, kid: Option<&str>) -> Result<Vec<DecodingKey>, TokenRejected> {
        if let Some(found) = self.cached(kid) {
            return Ok(found);
        }
        self.refresh().await;
        self.cached(kid)
            .ok_or_else(|| TokenRejected("the token's signing key is unknown".into()))
    }

    fn cached(&self, kid: Option<&str>) -> Option<Vec<DecodingKey>> {
        let keys = lock(&self.keys);
        let fresh = keys.fetched.is_some_and(|t| t.elapsed() < KEYS_TTL);
        if !fresh {
            return None;
        }
        match kid {
            Some(kid) => keys.by_kid.get(kid).map(|k| vec![k.clone()]),
            None if !keys.unnamed.is_empty() => Some(keys.unnamed.clone()),
            None => {
                Some(keys.by_kid.values().cloned().collect()).filter(|v: &Vec<_>| !v.is_empty())
            }
        }
    }

    async fn refresh(&self) {
        let _one_at_a_time = self.fetching.lock().await;
        if lock(&self.keys)
            .fetched
            .is_some_and(|t| t.elapsed() < MIN_REFETCH)
        {
            return;
        }
        let fetched = self.fetch().await;
        let mut keys = lock(&self.keys);
        keys.fetched = Some(Instant::now());
        match fetched {
            Ok(set) => {
                keys.by_kid.clear();
                keys.unnamed.clear();
                for jwk in &set.keys {
                    let Ok(key) = DecodingKey::from_jwk(jwk) else {
                        continue; // a key of a type we cannot use
                    };
                    match &jwk.common.key_id {
                        Some(kid) => {
                            keys.by_kid.insert(kid.clone(), key);
                        }
                        None => keys.unnamed.push(key),
                    }
                }
            }
            Err(e) => tracing::warn!("fetching the JWKS of {} failed: {e}", self.config.issuer),
        }
    }

    async fn fetch(&self) -> Result<JwkSet, String> {
        let uri = match &self.config.jwks_uri {
            Some(uri) => uri.clone(),
            None => self.discover_jwks_uri().await?,
        };
        serde_json::from_value(self.get_json(&uri).await?).map_err(|e| e.to_string())
    }

    /// `jwks_uri` from the issuer's metadata; its `issuer` must be the one configured.
    async fn discover_jwks_uri(&self) -> Result<String, String> {
        let issuer = self.config.issuer.trim_end_matches('/');
        let mut last = String::from("no metadata");
        for well_known in ["oauth-authorization-server", "openid-configuration"] {
            let url = match url::Url::parse(issuer) {
                Ok(u) if u.path() != "/" && !u.path().is_empty() => format!(
                    "{}/.well-known/{well_known}{}",
                    u.origin().ascii_serialization(),
                    u.path()
                ),
                _ => format!("{issuer}/.well-known/{well_known}"),
            };
            match self.get_json(&url).await {
                Ok(metadata) => {
                    if metadata.get("issuer").and_then(|i| i.as_str())
                        != Some(self.config.issuer.as_str())
                    {
                        return Err(format!("the metadata at {url} names another issuer"));
                    }
                    return metadata
                        .get("jwks_uri")
                        .and_then(|u| u.as_str())
                        .map(str::to_owned)
                        .ok_or_else(|| format!("the metadata at {url} has no jwks_uri"));
                }
                Err(e) => last = format!("{url}: {e}"),
            }
        }
        Err(last)
    }

    async fn get_json(&self, url: &str) -> Result<serde_json::Value, String> {
        let mut response = self.http.get(url).send().await.map_err(|e| e.to_string())?;
        if !response.status().is_success() {
            return Err(format!("HTTP {}", response.status()));
        }
        let body = crate::auth::capped_body::read_within(&mut response, MAX_JWKS_BYTES).await?;
        serde_json::from_slice(&body).map_err(|e| e.to_string())
    }
}
