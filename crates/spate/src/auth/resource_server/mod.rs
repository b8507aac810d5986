//! OAuth 2.1 resource-server duties of the HTTP transport (Base Protocol › Authorization,
//! <https://modelcontextprotocol.io/specification/2026-07-28/basic/authorization>): Protected
//! Resource Metadata (RFC 9728) for the MCP endpoint, bearer-token validation (JWTs against a
//! JWKS, or token introspection, RFC 7662) with this server as the required audience
//! (RFC 8707), and the answers a client needs to log in: `401` with a `WWW-Authenticate`
//! challenge naming the metadata and the scopes, `403 insufficient_scope` for a tool that
//! needs more.
//!
//! ```no_run
//! use spate::auth::resource_server::{JwtValidation, OAuthConfig, TokenValidation};
//! # fn config() -> OAuthConfig {
//! let validation = TokenValidation::Jwt(JwtValidation::new(
//!     "https://auth.example.com",
//!     "https://auth.example.com/.well-known/jwks.json",
//! ));
//! let mut config = OAuthConfig::new(
//!     "https://mcp.example.com/mcp",
//!     "https://auth.example.com",
//!     validation,
//! );
//! config.scopes_supported = vec!["mcp:read".into(), "mcp:write".into()];
//! config.required_scopes = vec!["mcp:read".into()];
//! config.tool_scopes = [("delete_everything".to_owned(), vec!["mcp:write".to_owned()])].into();
//! config
//! # }
//! ```

mod introspection;
mod jwt;

use std::collections::BTreeMap;
use std::sync::Arc;

use http::{HeaderValue, StatusCode};
use serde_json::json;

pub use introspection::IntrospectionValidation;
pub use jwt::JwtValidation;

use crate::server::Principal;

/// How access tokens are checked.
#[derive(Debug, Clone)]
pub enum TokenValidation {
    /// JWTs signed by the authorization server, keys from its JWKS.
    Jwt(JwtValidation),
    /// Opaque tokens, asked about at the authorization server's introspection endpoint.
    Introspection(IntrospectionValidation),
}

/// The resource-server configuration of an MCP endpoint.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct OAuthConfig {
    /// This server's canonical URI (e.g. `https://mcp.example.com/mcp`): the `resource` of
    /// its metadata, and the audience every token must name.
    pub resource: String,
    /// The authorization servers (issuers) clients may get tokens from; at least one.
    pub authorization_servers: Vec<String>,
    /// The scopes this server knows (metadata `scopes_supported`).
    pub scopes_supported: Vec<String>,
    /// Scopes every request needs (named in the `401` challenge).
    pub required_scopes: Vec<String>,
    /// Further scopes a `tools/call` of a tool needs, by tool name (`403` without them).
    pub tool_scopes: BTreeMap<String, Vec<String>>,
    /// Further scopes an event type needs, by type name, for `events/poll`,
    /// `events/stream`, `events/subscribe` and `events/unsubscribe` (`403` without them).
    pub event_scopes: BTreeMap<String, Vec<String>>,
    /// How tokens are checked.
    pub validation: TokenValidation,
}

impl OAuthConfig {
    /// The configuration of the resource `resource` (this server's canonical URI), whose
    /// tokens come from `authorization_server` and are checked by `validation`; no scopes
    /// required until set.
    pub fn new(
        resource: impl Into<String>,
        authorization_server: impl Into<String>,
        validation: TokenValidation,
    ) -> Self {
        Self {
            resource: resource.into(),
            authorization_servers: vec![authorization_server.into()],
            scopes_supported: Vec::new(),
            required_scopes: Vec::new(),
            tool_scopes: BTreeMap::new(),
            event_scopes: BTreeMap::new(),
            validation,
        }
    }
}

/// Why a token was refused (the `error_description` of the challenge; never the token).
#[derive(Debug, Clone, thiserror::Error)]
#[error("{0}")]
pub struct TokenRejected(pub String);

/// A configured resource server: validates tokens and writes challenges.
pub(crate) struct ResourceServer {
    config: OAuthConfig,
    jwt: Option<jwt::JwksCache>,
    introspection: Option<introspection::Introspector>,
    metadata_url: String,
}

impl ResourceServer {
    pub(crate) fn new(config: OAuthConfig, endpoint: &str) -> Arc<Self> {
        let origin = origin_of(&config.resource);
        let metadata_url = format!("{origin}{}", metadata_path(endpoint));
        let (jwt, introspection) = match &config.validation {
            TokenValidation::Jwt(v) => (Some(jwt::JwksCache::new(v.clone())), None),
            TokenValidation::Introspection(v) => {
                (None, Some(introspection::Introspector::new(v.clone())))
            }
        };
        Arc::new(Self {
            config,
            jwt,
            introspection,
            metadata_url,
        })
    }

    /// The Protected Resource Metadata document.
    pub(crate) fn metadata(&self) -> serde_json::Value {
        json!({
            "resource": self.config.resource,
            "authorization_servers": self.config.authorization_servers,
            "scopes_supported": self.config.scopes_supported,
            "bearer_methods_supported": ["header"],
        })
    }

    /// Checks the `Authorization` header; the caller on success, the `401` otherwise.
    pub(crate) async fn authenticate(
        &self,
        authorization: Option<&HeaderValue>,
    ) -> Result<Principal, AuthRejection> {
        let token = authorization
            .and_then(|v| v.to_str().ok())
            .and_then(|v| {
                let (scheme, rest) = v.split_once(' ')?;
                scheme.eq_ignore_ascii_case("bearer").then(|| rest.trim())
            })
            .filter(|t| !t.is_empty());
        let Some(token) = token else {
            return Err(self.unauthorized(None));
        };
        let checked = match (&self.jwt, &self.introspection) {
            (Some(jwt), _) => jwt.validate(token, &self.config.resource).await,
            (None, Some(introspection)) => {
                introspection.validate(token, &self.config.resource).await
            }
            (None, None) => Err(TokenRejected("no token validation configured".into())),
        };
        let principal = checked.map_err(|why| self.unauthorized(Some(&why)))?;
        if !principal.has_scopes(&self.config.required_scopes) {
            return Err(self.insufficient(&self.config.required_scopes));
        }
        Ok(principal)
    }

    /// The `403` when `needed` (a tool's or an event type's scopes) are not all granted.
    fn check_named(
        &self,
        principal: &Principal,
        needed: Option<&Vec<String>>,
    ) -> Result<(), AuthRejection> {
        match needed {
            Some(needed) if !principal.has_scopes(needed) => {
                let mut all = self.config.required_scopes.clone();
                all.extend(needed.iter().cloned());
                Err(self.insufficient(&all))
            }
            _ => Ok(()),
        }
    }

    /// The checks of one POSTed message beyond the token: the scopes of the tool it calls,
    /// or of the event type it reads or subscribes to.
    pub(crate) fn check_message(
        &self,
        principal: &Principal,
        message: &spate_protocol::Message,
    ) -> Result<(), AuthRejection> {
        use spate_protocol::events::methods as events;
        #[derive(serde::Deserialize)]
        struct Named {
            name: String,
        }
        let spate_protocol::Message::Request(request) = message else {
            return Ok(());
        };
        let scopes = match request.method.as_str() {
            spate_protocol::methods::TOOLS_CALL => &self.config.tool_scopes,
            events::EVENTS_POLL
            | events::EVENTS_STREAM
            | events::EVENTS_SUBSCRIBE
            | events::EVENTS_UNSUBSCRIBE => &self.config.event_scopes,
            _ => return Ok(()),
        };
        match request.parse_params::<Named>() {
            Ok(named) => self.check_named(principal, scopes.get(&named.name)),
            Err(_) => Ok(()), // the router answers malformed params
        }
    }

    fn unauthorized(&self, why: Option<&TokenRejected>) -> AuthRejection {
        let mut challenge = format!("Bearer resource_metadata=\"{}\"", self.metadata_url);
        if !self.config.required_scopes.is_empty() {
            challenge.push_str(&format!(
                ", scope=\"{}\"",
                self.config.required_scopes.join(" ")
            ));
        }
        if let Some(why) = why {
            challenge.push_str(&format!(
                ", error=\"invalid_token\", error_description=\"{}\"",
                quoted(&why.0)
            ));
        }
        let message = match why {
            Some(why) => format!("Unauthorized: {why}"),
            None => "Unauthorized: a bearer token is required".to_owned(),
        };
        AuthRejection {
            status: StatusCode::UNAUTHORIZED,
            challenge,
            message,
        }
    }

    fn insufficient(&self, scopes: &[String]) -> AuthRejection {
        let challenge = format!(
            "Bearer error=\"insufficient_scope\", scope=\"{}\", resource_metadata=\"{}\", error_description=\"this request needs more scopes\"",
            scopes.join(" "),
            self.metadata_url
        );
        AuthRejection {
            status: StatusCode::FORBIDDEN,
            challenge,
            message: "Forbidden: insufficient scope".to_owned(),
        }
    }
}

/// Why a request was refused: its status (`401` or `403`), the `WWW-Authenticate` challenge
/// that tells the client how to get a good token, and a message for the error body. The HTTP
/// server turns it into the response.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthRejection {
    /// `401 Unauthorized` or `403 Forbidden`.
    pub status: StatusCode,
    /// The `WWW-Authenticate` value.
    pub challenge: String,
    /// A human-readable reason.
    pub message: String,
}

/// Text safe inside a quoted challenge parameter.
fn quoted(text: &str) -> String {
    text.chars()
        .filter(|c| c.is_ascii() && !c.is_ascii_control() && *c != '"' && *c != '\\')
        .take(200)
        .collect()
}

/// The metadata path of an endpoint (RFC 9728 §3.1: inserted before the path).
pub(crate) fn metadata_path(endpoint: &str) -> String {
    format!("/.well-known/oauth-protected-resource{endpoint}")
}

/// The root metadata path, served too for clients that try it.
pub(crate) const ROOT_METADATA_PATH: &str = "/.well-known/oauth-protected-resource";

/// `scheme://host[:port]` of a URL.
fn origin_of(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(u) => u.origin().ascii_serialization(),
        Err(_) => url.trim_end_matches('/').to_owned(),
    }
}

/// The HTTP client that talks to authorization servers: short timeout, no redirects (a
/// redirect could carry a token or a key fetch elsewhere).
pub(crate) fn outbound_client() -> reqwest::Client {
    reqwest::Client::builder()
        .timeout(std::time::Duration::from_secs(10))
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap_or_default()
}

/// Seconds since the Unix epoch.
pub(crate) fn now_secs() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// Reads the granted scopes of a token's claims: `scope` (space-separated) or `scp` (a list
/// or a string).
pub(crate) fn scopes_of(claims: &spate_protocol::JsonObject) -> std::collections::BTreeSet<String> {
    let mut scopes = std::collections::BTreeSet::new();
    for key in ["scope", "scp"] {
        match claims.get(key) {
            Some(serde_json::Value::String(s)) => {
                scopes.extend(s.split_whitespace().map(str::to_owned));
            }
            Some(serde_json::Value::Array(items)) => {
                scopes.extend(items.iter().filter_map(|v| v.as_str()).map(str::to_owned));
            }
            _ => {}
        }
    }
    scopes
}

/// The caller a set of validated claims names.
pub(crate) fn principal_of(claims: spate_protocol::JsonObject) -> Principal {
    let text = |key: &str| claims.get(key).and_then(|v| v.as_str()).map(str::to_owned);
    Principal {
        subject: text("sub"),
        client_id: text("client_id").or_else(|| text("azp")),
        issuer: text("iss"),
        scopes: scopes_of(&claims),
        expires_at: claims.get("exp").and_then(serde_json::Value::as_u64),
        claims,
    }
}

/// Whether an `aud` claim (a string or a list) names `resource`.
pub(crate) fn audience_names(aud: Option<&serde_json::Value>, resource: &str) -> bool {
    match aud {
        Some(serde_json::Value::String(a)) => a == resource,
        Some(serde_json::Value::Array(items)) => items.iter().any(|a| a.as_str() == Some(resource)),
        _ => false,
    }
}
