//! Spate: build MCP servers and clients in Rust.
//!
//! The crate is cut in layers; each one uses only the layers below it, never one above
//! (`scripts/check-layers` fails the test command on an upward `use crate::…`):
//!
//! ```text
//!  transport   stdio · Streamable HTTP and HTTP+SSE, server and client   (the edges: bytes in, frames out)
//!  auth        OAuth 2.1 resource server and client (MCP authorizes HTTP transports)
//!      │  frames: one JSON-RPC message in, one out, with the exchange it belongs to
//!  server      the service: a router of tools, resources, prompts, tasks; Context for handlers
//!  client      typed calls, notifications, answers to sampling/elicitation/roots
//!      │  Handler: one inbound request or notification, one answer
//!  engine      the peer shared by both roles: ids, pending requests, timeouts,
//!              cancellation, progress routing, backpressure, shutdown
//!      │
//!  store       state beyond a connection: event log, task store (memory backends here)
//!  events      the events extension's computations (webhook signatures, subscription ids)
//!      │
//!  protocol    the wire model of every version (the `spate-protocol` crate, re-exported as
//!              [`protocol`]): no I/O
//! ```
//!
//! `server` and `client` are side by side: neither uses the other. [`events`] stands
//! outside the stack: pure computation for the events extension (webhook signatures,
//! subscription ids) that any layer may call, and that calls none of them.
//!
//! Cargo features (all on by default): `server`, `client`, `stdio`, `http-server` and
//! `http-client` (each with its side of OAuth, which MCP defines for HTTP only). A server
//! over stdio alone needs `--no-default-features --features server,stdio` and builds without
//! any HTTP or TLS crate.

#![deny(missing_docs)]
#![warn(unreachable_pub)]

pub use spate_protocol as protocol;

pub mod auth;
#[cfg(feature = "client")]
pub mod client;
pub mod engine;
pub mod events;
mod mutex;
#[cfg(feature = "server")]
pub mod server;
pub mod store;
pub mod transport;
