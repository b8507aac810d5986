//! `_meta`: the reserved property on params, results and many types (Base Protocol ›
//! Overview › General fields › `_meta`,
//! <https://modelcontextprotocol.io/specification/2026-07-28/basic>).
//!
//! `_meta` stays an open JSON object ([`Meta`]); this module names the reserved keys, reads
//! the progress token, and validates key spelling.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::jsonrpc::RequestId;

/// A JSON object: string keys, any JSON values.
pub type JsonObject = serde_json::Map<String, serde_json::Value>;

/// The content of a `_meta` property.
pub type Meta = JsonObject;

/// `progressToken` in a request's `_meta` (all versions).
pub const PROGRESS_TOKEN: &str = "progressToken";
/// The protocol version a modern (2026) request is written in; required on every request.
pub const PROTOCOL_VERSION_KEY: &str = "io.modelcontextprotocol/protocolVersion";
/// The client's capabilities on a modern (2026) request; required on every request.
pub const CLIENT_CAPABILITIES_KEY: &str = "io.modelcontextprotocol/clientCapabilities";
/// The client's `Implementation` on a modern (2026) request; recommended.
pub const CLIENT_INFO_KEY: &str = "io.modelcontextprotocol/clientInfo";
/// The minimum log level for `notifications/message` about a modern (2026) request.
pub const LOG_LEVEL_KEY: &str = "io.modelcontextprotocol/logLevel";
/// The server's `Implementation` on a modern (2026) result; recommended.
pub const SERVER_INFO_KEY: &str = "io.modelcontextprotocol/serverInfo";
/// The id of the `subscriptions/listen` request a notification belongs to (2026).
pub const SUBSCRIPTION_ID_KEY: &str = "io.modelcontextprotocol/subscriptionId";
/// `{taskId}` tying a message to a task (2025-11-25 experimental tasks only).
pub const RELATED_TASK_KEY: &str = "io.modelcontextprotocol/related-task";
/// A provisional immediate answer on a `CreateTaskResult` (2025-11-25 experimental tasks).
pub const MODEL_IMMEDIATE_RESPONSE_KEY: &str = "io.modelcontextprotocol/model-immediate-response";
/// W3C Trace Context `traceparent` (2026; allowed without a prefix).
pub const TRACEPARENT_KEY: &str = "traceparent";
/// W3C Trace Context `tracestate` (2026; allowed without a prefix).
pub const TRACESTATE_KEY: &str = "tracestate";
/// W3C Baggage (2026; allowed without a prefix).
pub const BAGGAGE_KEY: &str = "baggage";

/// The reserved keys that only mean something in the modern era (2026-07-28).
pub const MODERN_ONLY_KEYS: [&str; 6] = [
    PROTOCOL_VERSION_KEY,
    CLIENT_CAPABILITIES_KEY,
    CLIENT_INFO_KEY,
    LOG_LEVEL_KEY,
    SERVER_INFO_KEY,
    SUBSCRIPTION_ID_KEY,
];

/// A progress token: a string or an integer chosen by the requestor (Base Protocol ›
/// Utilities › Progress,
/// <https://modelcontextprotocol.io/specification/2025-11-25/basic/utilities/progress>).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ProgressToken {
    /// An integer token.
    Number(i64),
    /// A string token.
    String(String),
}

impl fmt::Display for ProgressToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Number(n) => write!(f, "{n}"),
            Self::String(s) => write!(f, "{s:?}"),
        }
    }
}

impl From<i64> for ProgressToken {
    fn from(n: i64) -> Self {
        Self::Number(n)
    }
}

impl From<&str> for ProgressToken {
    fn from(s: &str) -> Self {
        Self::String(s.to_owned())
    }
}

impl From<String> for ProgressToken {
    fn from(s: String) -> Self {
        Self::String(s)
    }
}

impl From<RequestId> for ProgressToken {
    fn from(id: RequestId) -> Self {
        match id {
            RequestId::Number(n) => Self::Number(n),
            RequestId::String(s) => Self::String(s),
        }
    }
}

impl From<ProgressToken> for RequestId {
    fn from(token: ProgressToken) -> Self {
        match token {
            ProgressToken::Number(n) => RequestId::Number(n),
            ProgressToken::String(s) => RequestId::String(s),
        }
    }
}

impl From<ProgressToken> for serde_json::Value {
    fn from(token: ProgressToken) -> Self {
        match token {
            ProgressToken::Number(n) => n.into(),
            ProgressToken::String(s) => s.into(),
        }
    }
}

impl Serialize for ProgressToken {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            Self::Number(n) => serializer.serialize_i64(*n),
            Self::String(s) => serializer.serialize_str(s),
        }
    }
}

impl<'de> Deserialize<'de> for ProgressToken {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        // Same shape as a request id: reuse its tolerant visitor.
        RequestId::deserialize(deserializer).map(Self::from)
    }
}

/// Reads `progressToken` from a request's `_meta`; `None` when absent or not a string/integer.
pub fn progress_token(meta: Option<&Meta>) -> Option<ProgressToken> {
    let value = meta?.get(PROGRESS_TOKEN)?;
    ProgressToken::deserialize(value).ok()
}

/// Sets `progressToken` in a `_meta`, creating the object when needed.
pub fn set_progress_token(meta: &mut Option<Meta>, token: ProgressToken) {
    meta.get_or_insert_with(Meta::new)
        .insert(PROGRESS_TOKEN.to_owned(), token.into());
}

/// Removes the modern-only reserved keys (see [`MODERN_ONLY_KEYS`]) and drops an emptied object.
pub(crate) fn strip_modern_keys(meta: &mut Option<Meta>) {
    if let Some(m) = meta {
        for key in MODERN_ONLY_KEYS {
            m.remove(key);
        }
    }
}

/// Removes one key and drops an emptied object.
pub(crate) fn remove_key(meta: &mut Option<Meta>, key: &str) {
    if let Some(m) = meta {
        m.remove(key);
        if m.is_empty() {
            *meta = None;
        }
    }
}

fn is_label(label: &str) -> bool {
    let bytes = label.as_bytes();
    match (bytes.first(), bytes.last()) {
        (Some(first), Some(last)) => {
            first.is_ascii_alphabetic()
                && last.is_ascii_alphanumeric()
                && bytes
                    .iter()
                    .all(|b| b.is_ascii_alphanumeric() || *b == b'-')
        }
        _ => false,
    }
}

fn is_name(name: &str) -> bool {
    let bytes = name.as_bytes();
    match (bytes.first(), bytes.last()) {
        // "Unless empty, MUST begin and end with an alphanumeric character".
        (None, None) => true,
        (Some(first), Some(last)) => {
            first.is_ascii_alphanumeric()
                && last.is_ascii_alphanumeric()
                && bytes
                    .iter()
                    .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
        }
        _ => false,
    }
}

/// Whether a `_meta` key is spelled as the spec requires (2025-06-18+):
/// an optional prefix of dot-separated labels followed by `/`, then a name.
///
/// Labels start with a letter, end with a letter or digit and hold letters, digits and
/// hyphens. The name starts and ends with a letter or digit and may hold `-`, `_` and `.`
/// in between. A name may be empty only after a prefix; the empty key is rejected.
///
/// ```
/// use spate_protocol::meta::is_valid_meta_key;
/// assert!(is_valid_meta_key("progressToken"));
/// assert!(is_valid_meta_key("io.modelcontextprotocol/protocolVersion"));
/// assert!(!is_valid_meta_key("-bad"));
/// assert!(!is_valid_meta_key("1abc.com/x"));
/// ```
pub fn is_valid_meta_key(key: &str) -> bool {
    match key.split_once('/') {
        None => !key.is_empty() && is_name(key),
        Some((prefix, name)) => prefix.split('.').all(is_label) && is_name(name),
    }
}

/// Whether a key (or a bare prefix, with or without the trailing `/`) uses a prefix reserved
/// for MCP: any prefix whose second label is `modelcontextprotocol` or `mcp`
/// (e.g. `io.modelcontextprotocol/`, `dev.mcp/`). A string without `/` is read as a prefix.
///
/// ```
/// use spate_protocol::meta::is_reserved_meta_prefix;
/// assert!(is_reserved_meta_prefix("io.modelcontextprotocol/protocolVersion"));
/// assert!(is_reserved_meta_prefix("dev.mcp/"));
/// assert!(!is_reserved_meta_prefix("com.example/mcp"));
/// ```
pub fn is_reserved_meta_prefix(key_or_prefix: &str) -> bool {
    let prefix = key_or_prefix
        .split_once('/')
        .map_or(key_or_prefix, |(p, _)| p);
    let mut labels = prefix.split('.');
    let _first = labels.next();
    labels.next().is_some_and(|second| {
        second.eq_ignore_ascii_case("modelcontextprotocol") || second.eq_ignore_ascii_case("mcp")
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn meta_keys_follow_the_naming_rules() {
        for good in [
            "progressToken",
            "a",
            "x1",
            "a-b_c.d",
            "io.modelcontextprotocol/protocolVersion",
            "io.modelcontextprotocol/related-task",
            "com.example/",
            "com.example-corp.x9/my.key",
            "traceparent",
            "a/b",
        ] {
            assert!(is_valid_meta_key(good), "{good} should be valid");
        }
        for bad in [
            "",
            "-a",
            "a-",
            "_a",
            "a.",
            "a b",
            "é",
            "/x",
            "1io.example/x",
            "io.example-/x",
            "io..example/x",
            "io.example/-x",
            "io.example/x/y",
            "io.ex_ample/x",
        ] {
            assert!(!is_valid_meta_key(bad), "{bad:?} should be invalid");
        }
    }

    #[test]
    fn reserved_prefixes_are_the_second_label() {
        assert!(is_reserved_meta_prefix("io.modelcontextprotocol/x"));
        assert!(is_reserved_meta_prefix("dev.mcp/x"));
        assert!(is_reserved_meta_prefix("dev.MCP"));
        assert!(is_reserved_meta_prefix("a.mcp.b/x"));
        assert!(!is_reserved_meta_prefix("mcp/x"));
        assert!(!is_reserved_meta_prefix("modelcontextprotocol.io/x"));
        assert!(!is_reserved_meta_prefix("com.example/x"));
        assert!(!is_reserved_meta_prefix("progressToken"));
    }

    #[test]
    fn progress_token_is_read_from_meta() {
        let mut meta = None;
        assert_eq!(progress_token(meta.as_ref()), None);
        set_progress_token(&mut meta, ProgressToken::from(7));
        assert_eq!(
            progress_token(meta.as_ref()),
            Some(ProgressToken::Number(7))
        );
        set_progress_token(&mut meta, "abc".into());
        assert_eq!(progress_token(meta.as_ref()), Some("abc".into()));
        let odd: Meta = serde_json::from_str(r#"{"progressToken": 1.5}"#).unwrap();
        assert_eq!(progress_token(Some(&odd)), None);
    }
}
