//! Authorization (OAuth 2.1), which MCP defines for its HTTP transports.
//!
//! - [`resource_server`]: what an HTTP server checks (Protected Resource Metadata, bearer
//!   tokens against a JWKS or by introspection, audience, scopes) and how it refuses.
//! - [`client`]: what an HTTP client does on `401`/`403` (discovery, registration,
//!   authorization code with PKCE, client credentials, refresh, token storage).

#[cfg(any(feature = "http-client", feature = "http-server"))]
pub(crate) mod capped_body;
#[cfg(feature = "http-client")]
pub mod client;
#[cfg(feature = "http-server")]
pub mod resource_server;
