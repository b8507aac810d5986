//! MCP over HTTP: Streamable HTTP (2025-03-26 on, and the stateless 2026-07-28 era) and the
//! 2024-11-05 HTTP+SSE transport.
//!
//! - [`server`]: the endpoints, sessions, resumable streams and Spate's own HTTP/1.1
//!   connections.
//! - [`client`]: both transports as a client, with reconnection and OAuth.

#[cfg(feature = "http-client")]
pub mod client;
#[cfg(feature = "http-server")]
pub mod server;
