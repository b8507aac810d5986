//! OAuth 2.1 for MCP clients: what a client does when an HTTP MCP server answers `401` (or
//! `403 insufficient_scope`), as the authorization specification says (2025-11-25 and
//! 2026-07-28, with the 2025-03-26 fallbacks).
//!
//! [`OAuthClient`] holds one server's authorization. Give it to
//! [`HttpClientOptions::oauth`](crate::transport::http::client::HttpClientOptions::oauth) and every
//! request carries its access token; a `401` or a `403 insufficient_scope` runs
//! [`OAuthClient::authorize`] and the request is sent again (at most
//! [`OAuthClientConfig::max_authorizations`] times).
//!
//! What [`OAuthClient::authorize`] does:
//!
//! 1. reads the challenge ([`Challenge`]); fetches the Protected Resource Metadata from the
//!    advertised URL, else the path-inserted well-known URL, else the root one; refuses a
//!    `resource` that is not this server (same origin, path a prefix of the server's);
//! 2. fetches the metadata of the resource's authorization servers in order (RFC 8414, then
//!    OpenID, with path insertion) and takes the first that has metadata whose `issuer` is
//!    the one asked for (one naming another issuer is refused, the next tried); a
//!    server without metadata is its own authorization server (2025-03-26), with the default
//!    `/authorize`, `/token` and `/register` when that has none either;
//! 3. tries the refresh token (not for a step-up); else gets a client identity (pre-registered,
//!    a Client ID Metadata Document, or Dynamic Client Registration), kept per issuer and
//!    replaced when the server moves to another authorization server;
//! 4. picks the scopes (the challenge's, else the resource's `scopes_supported`, else none;
//!    a step-up adds them to those requested before; `offline_access` only when the
//!    authorization server lists it);
//! 5. runs the authorization code grant with PKCE S256 (refused when the server does not
//!    list it), `state`, and RFC 9207 `iss` checked by exact comparison, through an
//!    [`Authorizer`]; or, for [`GrantKind::ClientCredentials`], the client-credentials grant
//!    (`client_secret_basic`, or `private_key_jwt` with an ES256 assertion). `resource` is
//!    the resource metadata's string, byte for byte.
//!
//! Tokens live in a [`TokenStore`] ([`MemoryTokenStore`], or [`FileTokenStore`] for a CLI).
//!
//! ```no_run
//! use std::sync::Arc;
//! use spate::client::Client;
//! use spate::transport::http::client::HttpClientOptions;
//! use spate::auth::client::{HeadlessAuthorizer, OAuthClient, OAuthClientConfig};
//!
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! let url = "http://127.0.0.1:8080/mcp";
//! let mut config = OAuthClientConfig::new("my-agent");
//! config.authorizer = Some(Arc::new(HeadlessAuthorizer::new("http://localhost:3000/cb")));
//! let mut options = HttpClientOptions::default();
//! options.oauth = Some(Arc::new(OAuthClient::new(url, config)?));
//! let client = Client::builder("my-agent", "1.0").connect_http(url, options).await?;
//! # Ok(()) }
//! ```

mod authorizer;
mod challenge;
mod discovery;
mod flow;
mod registration;
mod store;
mod token;

use std::sync::Arc;

/// The largest answer read from an authorization server (metadata, registration, tokens).
const MAX_ANSWER_BYTES: usize = 256 * 1024;

pub use authorizer::{AuthorizationResponse, Authorizer, HeadlessAuthorizer};
pub use challenge::Challenge;
pub use discovery::{
    AuthServerMetadata, ProtectedResource, auth_server_metadata_urls, resource_allowed,
    resource_metadata_urls,
};
pub use flow::OAuthClient;
pub use store::{ClientRegistration, FileTokenStore, MemoryTokenStore, StoredAuth, TokenStore};
pub use token::TokenSet;

/// Why authorization failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum OAuthError {
    /// A request to a metadata, registration or token endpoint failed on the network.
    #[error("{0}")]
    Http(String),
    /// The authorization server could not be found.
    #[error("authorization server discovery failed: {0}")]
    Discovery(String),
    /// The Protected Resource Metadata describes another resource.
    #[error("the protected resource metadata names resource {resource:?}, not {server:?}")]
    ResourceMismatch {
        /// The `resource` the metadata named.
        resource: String,
        /// The MCP server URL.
        server: String,
    },
    /// The authorization-server metadata names another issuer.
    #[error("the authorization server metadata has issuer {found:?}, not {expected:?}")]
    IssuerMismatch {
        /// The issuer the metadata was fetched for.
        expected: String,
        /// The issuer it named.
        found: String,
    },
    /// The authorization server does not support PKCE with S256.
    #[error("the authorization server {0} does not support PKCE S256")]
    PkceUnsupported(String),
    /// No way to get a client identity at the authorization server.
    #[error("no client credentials for {0}, and it offers neither CIMD nor registration")]
    NoRegistration(String),
    /// Dynamic client registration failed.
    #[error("client registration failed: {0}")]
    Registration(String),
    /// The authorization response's `iss` is missing or not the authorization server's.
    #[error("the authorization response's iss is {found:?}, expected {expected:?}")]
    IssMismatch {
        /// The issuer of the authorization server asked.
        expected: String,
        /// What `iss` said.
        found: Option<String>,
    },
    /// The authorization response's `state` is not the one sent.
    #[error("the authorization response's state does not match the request")]
    StateMismatch,
    /// The authorization request was refused or gave no code.
    #[error("authorization refused: {0}")]
    Denied(String),
    /// The token endpoint refused.
    #[error("token request failed: {0}")]
    Token(String),
    /// The token store failed.
    #[error("token store: {0}")]
    Store(String),
    /// The configuration cannot work (no authorizer, a bad key, a bad URL).
    #[error("OAuth configuration: {0}")]
    Config(String),
}

/// Which grant gets the tokens.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum GrantKind {
    /// Authorization code with PKCE, through the [`Authorizer`] (a user).
    #[default]
    AuthorizationCode,
    /// Client credentials (a machine client; needs [`OAuthClientConfig::client_id`]).
    ClientCredentials,
}

/// How an [`OAuthClient`] gets its tokens. `Debug` shows no secret.
#[derive(Clone)]
#[non_exhaustive]
pub struct OAuthClientConfig {
    /// `client_name` for registration.
    pub client_name: String,
    /// `application_type` for registration: `native` (default; desktop, CLI) or `web`.
    pub application_type: String,
    /// The grant to use.
    pub grant: GrantKind,
    /// A pre-registered client id (used before CIMD and registration).
    pub client_id: Option<String>,
    /// The pre-registered client's secret.
    pub client_secret: Option<String>,
    /// A PKCS#8 PEM EC P-256 key: client credentials then authenticate with
    /// `private_key_jwt` (an ES256 assertion) instead of the secret.
    pub private_key_pem: Option<String>,
    /// The https URL of this client's metadata document, used as `client_id` where the
    /// authorization server accepts Client ID Metadata Documents.
    pub client_metadata_url: Option<String>,
    /// Where tokens are kept (default: memory).
    pub store: Arc<dyn TokenStore>,
    /// The interactive step of the authorization-code grant.
    pub authorizer: Option<Arc<dyn Authorizer>>,
    /// Authorizations one request may cause before it fails (default 3).
    pub max_authorizations: u32,
}

impl OAuthClientConfig {
    /// A configuration for the authorization-code grant with dynamic registration, tokens
    /// in memory and no authorizer yet.
    pub fn new(client_name: impl Into<String>) -> Self {
        Self {
            client_name: client_name.into(),
            application_type: "native".to_owned(),
            grant: GrantKind::AuthorizationCode,
            client_id: None,
            client_secret: None,
            private_key_pem: None,
            client_metadata_url: None,
            store: Arc::new(MemoryTokenStore::default()),
            authorizer: None,
            max_authorizations: 3,
        }
    }
}

impl std::fmt::Debug for OAuthClientConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OAuthClientConfig")
            .field("client_name", &self.client_name)
            .field("grant", &self.grant)
            .field("client_id", &self.client_id)
            .field("client_metadata_url", &self.client_metadata_url)
            .field("store", &self.store)
            .field("authorizer", &self.authorizer)
            .finish_non_exhaustive()
    }
}
