//! Opaque access tokens checked by asking the authorization server (RFC 7662): `active` must
//! be true, the audience (when the answer names one) this server, and the token unexpired.
//! Answers are cached briefly by a digest of the token (never the token itself), bounded.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use sha2::{Digest, Sha256};
use spate_protocol::JsonObject;

use super::{TokenRejected, audience_names, now_secs, principal_of};
use crate::auth::capped_body::read_within;
use crate::mutex::lock;
use crate::server::Principal;

/// How long an answer is reused (never past the token's own expiry).
const CACHE_FOR: Duration = Duration::from_secs(30);
/// Answers kept at most.
const CACHE_ENTRIES: usize = 10_000;
/// The largest introspection answer read.
const MAX_ANSWER_BYTES: usize = 64 * 1024;

/// Introspection settings.
#[derive(Debug, Clone)]
pub struct IntrospectionValidation {
    /// The introspection endpoint.
    pub endpoint: String,
    /// This server's client id at the authorization server.
    pub client_id: String,
    /// Its secret (sent with HTTP Basic).
    pub client_secret: String,
    /// Accept an answer that names no audience (`aud`). Off by default: without it the
    /// server cannot tell a token was issued for it (RFC 8707, and the MCP authorization
    /// specification's audience rule); turn it on only for an authorization server that
    /// issues tokens for this server alone.
    pub accept_missing_audience: bool,
}

pub(crate) struct Introspector {
    config: IntrospectionValidation,
    http: reqwest::Client,
    cache: Mutex<HashMap<[u8; 32], (Instant, JsonObject)>>,
}

impl Introspector {
    pub(crate) fn new(config: IntrospectionValidation) -> Self {
        let http = super::outbound_client();
        Self {
            config,
            http,
            cache: Mutex::default(),
        }
    }

    pub(crate) async fn validate(
        &self,
        token: &str,
        resource: &str,
    ) -> Result<Principal, TokenRejected> {
        let key: [u8; 32] = Sha256::digest(token.as_bytes()).into();
        let cached = lock(&self.cache)
            .get(&key)
            .filter(|(at, _)| at.elapsed() < CACHE_FOR)
            .map(|(_, claims)| claims.clone());
        let claims = match cached {
            Some(claims) => claims,
            None => {
                let claims = self.ask(token).await?;
                let mut cache = lock(&self.cache);
                if cache.len() >= CACHE_ENTRIES {
                    cache.retain(|_, (at, _)| at.elapsed() < CACHE_FOR);
                    if cache.len() >= CACHE_ENTRIES {
                        cache.clear();
                    }
                }
                cache.insert(key, (Instant::now(), claims.clone()));
                claims
            }
        };
        let reject = |why: &str| Err(TokenRejected(why.to_owned()));
        if claims.get("active").and_then(serde_json::Value::as_bool) != Some(true) {
            return reject("the token is not active");
        }
        if claims
            .get("exp")
            .and_then(serde_json::Value::as_u64)
            .is_some_and(|exp| exp <= now_secs())
        {
            return reject("the token has expired");
        }
        match claims.get("aud") {
            None if !self.config.accept_missing_audience => {
                return reject("the token names no audience, so it may not be for this server");
            }
            Some(_) if !audience_names(claims.get("aud"), resource) => {
                return reject("the token was not issued for this server (audience)");
            }
            _ => {}
        }
        Ok(principal_of(claims))
    }

    async fn ask(&self, token: &str) -> Result<JsonObject, TokenRejected> {
        let failed = |e: String| {
            tracing::warn!(
                "token introspection at {} failed: {e}",
                self.config.endpoint
            );
            TokenRejected("the token could not be checked".into())
        };
        let mut response = self
            .http
            .post(&self.config.endpoint)
            .basic_auth(&self.config.client_id, Some(&self.config.client_secret))
            .form(&[("token", token), ("token_type_hint", "access_token")])
            .send()
            .await
            .map_err(|e| failed(e.to_string()))?;
        if !response.status().is_success() {
            return Err(failed(format!("HTTP {}", response.status())));
        }
        let body = read_within(&mut response, MAX_ANSWER_BYTES)
            .await
            .map_err(failed)?;
        serde_json::from_slice(&body).map_err(|e| failed(e.to_string()))
    }
}
