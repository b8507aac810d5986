//! MCP over HTTP: Streamable HTTP (2025-03-26 on, and the stateless 2026-07-28 era) and the
//! 2024-11-05 HTTP+SSE transport.
//!
//! - [`server`]: the endpoints, sessions, resumable streams and Spate's own HTTP/1.1
//!   connections.
//! - [`client`]: both transports as a client, with reconnection and OAuth.
//! - [`webhook_receiver`]: the callback side of the events extension's webhook delivery, to
//!   mount in an axum application.

#[cfg(feature = "http-client")]
pub mod client;
#[cfg(feature = "http-server")]
pub mod server;
#[cfg(feature = "http-server")]
pub mod webhook_receiver;
