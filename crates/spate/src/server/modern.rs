//! The 2026-07-28 request model on the server side: every request carries its protocol
//! version, the client's capabilities and identity in `params._meta`; there is no handshake
//! and no session (SEP-2575, SEP-2567; Base Protocol › Overview › Statelessness,
//! <https://modelcontextprotocol.io/specification/2026-07-28/basic>). This module says which
//! versions and methods the modern era has here; the envelope itself is
//! [`spate_protocol::envelope::RequestEnvelope`].

use serde_json::Value;
use spate_protocol::envelope::RequestEnvelope;
use spate_protocol::{ErrorObject, ProtocolVersion, error_code, methods};

/// The modern versions this server speaks, newest first.
pub const SUPPORTED_MODERN: [ProtocolVersion; 1] = [ProtocolVersion::V2026_07_28];

/// The request's version if this server speaks it, else `-32022` naming what it speaks.
pub fn supported_version(envelope: &RequestEnvelope) -> Result<ProtocolVersion, ErrorObject> {
    ProtocolVersion::parse(&envelope.version)
        .filter(|v| SUPPORTED_MODERN.contains(v))
        .ok_or_else(|| unsupported_version(&envelope.version))
}

/// `-32022`: the version is not one this server speaks; `data` lists the ones it does.
pub fn unsupported_version(requested: &str) -> ErrorObject {
    let supported: Vec<&str> = SUPPORTED_MODERN.iter().map(|v| v.as_str()).collect();
    ErrorObject::new(
        error_code::UNSUPPORTED_PROTOCOL_VERSION,
        format!(
            "Unsupported protocol version {requested:?}; this server speaks {}",
            supported.join(", ")
        ),
    )
    .with_data(serde_json::json!({ "supported": supported, "requested": requested }))
}

/// `-32021`: the request needs a client capability it did not declare.
pub fn missing_capability(required: Value) -> ErrorObject {
    ErrorObject::new(
        error_code::MISSING_REQUIRED_CLIENT_CAPABILITY,
        format!("Missing required client capability: {required}"),
    )
    .with_data(serde_json::json!({ "requiredCapabilities": required }))
}

/// Methods of the legacy era that 2026-07-28 removed; a modern request for one gets `-32601`.
pub fn removed_in_modern(method: &str) -> bool {
    matches!(
        method,
        methods::INITIALIZE
            | methods::PING
            | methods::LOGGING_SET_LEVEL
            | methods::RESOURCES_SUBSCRIBE
            | methods::RESOURCES_UNSUBSCRIBE
    )
}

/// The methods on which a modern handler may answer `input_required` (MRTR).
pub fn allows_input_required(method: &str) -> bool {
    matches!(
        method,
        methods::TOOLS_CALL | methods::RESOURCES_READ | methods::PROMPTS_GET
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
    use spate_protocol::Meta;
    use spate_protocol::meta::{CLIENT_CAPABILITIES_KEY, PROTOCOL_VERSION_KEY};

    fn envelope(version: &str) -> RequestEnvelope {
        let m: Meta = serde_json::from_value(
            json!({PROTOCOL_VERSION_KEY: version, CLIENT_CAPABILITIES_KEY: {}}),
        )
        .unwrap();
        RequestEnvelope::read(Some(&m)).unwrap()
    }

    #[test]
    fn an_unknown_version_names_the_supported_ones() {
        assert_eq!(
            supported_version(&envelope("2026-07-28")).unwrap(),
            ProtocolVersion::V2026_07_28
        );
        let e = supported_version(&envelope("v999.0.0")).unwrap_err();
        assert_eq!(e.code, error_code::UNSUPPORTED_PROTOCOL_VERSION);
        assert_eq!(
            e.data.unwrap(),
            json!({"supported": ["2026-07-28"], "requested": "v999.0.0"})
        );
        // A legacy version inside a modern envelope is not a modern version either.
        assert!(supported_version(&envelope("2025-11-25")).is_err());
    }
}
