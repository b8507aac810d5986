//! The HTTP header names of MCP's Streamable HTTP transport, lower-case as `http` wants them
//! (Base Protocol › Transports › Streamable HTTP,
//! <https://modelcontextprotocol.io/specification/2026-07-28/basic/transports/streamable-http>).
//! Names only: the transports decide what goes in them.

/// The session a 2025-era request belongs to.
pub const SESSION_ID: &str = "mcp-session-id";
/// The protocol version of the request (after `initialize`, or every 2026-07-28 request).
pub const PROTOCOL_VERSION: &str = "mcp-protocol-version";
/// The JSON-RPC method of a 2026-07-28 request (SEP-2243).
pub const METHOD: &str = "mcp-method";
/// The tool, prompt or resource a 2026-07-28 request names (SEP-2243).
pub const NAME: &str = "mcp-name";
/// The prefix of the headers that carry annotated tool arguments (SEP-2243).
pub const PARAM_PREFIX: &str = "mcp-param-";
