//! Spate: build MCP servers and clients in Rust.
//!
//! - [`engine`]: the peer engine shared by both roles (ids, pending requests, timeouts,
//!   cancellation, progress routing, backpressure, shutdown).
//! - [`transport`]: how frames travel (stdio today).

pub mod engine;
pub mod transport;
