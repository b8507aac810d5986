//! Spate: build MCP servers and clients in Rust.
//!
//! - [`client`]: connect to MCP servers (typed calls, notifications, sampling/elicitation/roots answers).
//! - [`engine`]: the peer engine shared by both roles (ids, pending requests, timeouts,
//!   cancellation, progress routing, backpressure, shutdown).
//! - [`http`]: serve MCP over Streamable HTTP and HTTP+SSE.
//! - [`server`]: build MCP servers (tools, resources, prompts, completion, logging).
//! - [`transport`]: how frames travel (stdio today).

#![deny(missing_docs)]

pub mod client;
pub mod engine;
pub mod http;
/// Connect to MCP servers over Streamable HTTP, or HTTP+SSE for old servers.
pub mod http_client;
pub mod oauth;
pub mod server;
pub mod transport;
