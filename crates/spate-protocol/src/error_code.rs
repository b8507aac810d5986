//! JSON-RPC and MCP error codes (Base Protocol › Overview › Error Codes,
//! <https://modelcontextprotocol.io/specification/2026-07-28/basic#error-codes>).

/// Invalid JSON was received.
pub const PARSE_ERROR: i64 = -32700;
/// The JSON sent is not a valid request object.
pub const INVALID_REQUEST: i64 = -32600;
/// The method does not exist or the capability behind it is not offered.
pub const METHOD_NOT_FOUND: i64 = -32601;
/// Invalid method parameters: unknown tool or prompt, bad cursor, missing `_meta` (2026), …
pub const INVALID_PARAMS: i64 = -32602;
/// Internal error of the receiver (a panicking handler, for instance).
pub const INTERNAL_ERROR: i64 = -32603;
/// Resource not found (up to 2025-11-25; 2026 uses [`INVALID_PARAMS`]).
pub const RESOURCE_NOT_FOUND: i64 = -32002;
/// URL-mode elicitation is required first (2025-11-25 only).
pub const URL_ELICITATION_REQUIRED: i64 = -32042;
/// HTTP headers disagree with the body (2026).
pub const HEADER_MISMATCH: i64 = -32020;
/// The request needs a client capability the client did not declare (2026).
pub const MISSING_REQUIRED_CLIENT_CAPABILITY: i64 = -32021;
/// The requested protocol version is not supported (2026).
pub const UNSUPPORTED_PROTOCOL_VERSION: i64 = -32022;
/// "User rejected sampling request", as the 2025-11-25 sampling page shows.
pub const USER_REJECTED: i64 = -1;

/// A short, fixed name for a code, for logs and CLI output.
pub fn name(code: i64) -> &'static str {
    match code {
        PARSE_ERROR => "parse error",
        INVALID_REQUEST => "invalid request",
        METHOD_NOT_FOUND => "method not found",
        INVALID_PARAMS => "invalid params",
        INTERNAL_ERROR => "internal error",
        RESOURCE_NOT_FOUND => "resource not found",
        URL_ELICITATION_REQUIRED => "URL elicitation required",
        HEADER_MISMATCH => "header mismatch",
        MISSING_REQUIRED_CLIENT_CAPABILITY => "missing required client capability",
        UNSUPPORTED_PROTOCOL_VERSION => "unsupported protocol version",
        USER_REJECTED => "user rejected",
        _ => "error",
    }
}
