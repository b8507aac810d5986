//! The 2026-07-28 request model on the server side: every request carries its protocol
//! version, the client's capabilities and identity in `params._meta`; there is no handshake
//! and no session (SEP-2575, SEP-2567; Base Protocol › Overview › Statelessness,
//! <https://modelcontextprotocol.io/specification/2026-07-28/basic>). This module reads that
//! envelope and says which methods the modern era has.

use serde::Deserialize;
use serde_json::Value;
use spate_protocol::meta::{
    CLIENT_CAPABILITIES_KEY, CLIENT_INFO_KEY, LOG_LEVEL_KEY, PROTOCOL_VERSION_KEY,
};
use spate_protocol::{
    ClientCapabilities, ErrorObject, Implementation, LoggingLevel, Meta, ProtocolVersion,
    error_code, methods,
};

/// The modern versions this server speaks, newest first.
pub const SUPPORTED_MODERN: [ProtocolVersion; 1] = [ProtocolVersion::V2026_07_28];

/// What a modern request says about its client, read from `params._meta`.
#[derive(Debug, Clone)]
pub struct Envelope {
    /// The version the request is written in, as sent.
    pub version: String,
    /// The capabilities the client declares for this request.
    pub capabilities: ClientCapabilities,
    /// Who the client says it is, when it says so.
    pub client_info: Option<Implementation>,
    /// The lowest log level the client wants on this request; none means no logs at all.
    pub log_level: Option<LoggingLevel>,
}

#[derive(Deserialize)]
struct MetaOnly {
    #[serde(rename = "_meta", default)]
    meta: Option<Meta>,
}

/// The `_meta` of a request's params, if the params are an object that has one.
pub fn request_meta(params: Option<&serde_json::value::RawValue>) -> Option<Meta> {
    serde_json::from_str::<MetaOnly>(params?.get())
        .ok()
        .and_then(|m| m.meta)
}

/// Whether a request's `_meta` claims the modern era (it names a protocol version).
pub fn claims_modern(meta: Option<&Meta>) -> bool {
    meta.is_some_and(|m| m.contains_key(PROTOCOL_VERSION_KEY))
}

impl Envelope {
    /// Reads and checks the envelope: `_meta` with a string `protocolVersion` and an object
    /// `clientCapabilities` is required (`-32602` otherwise); `clientInfo` and `logLevel`
    /// are optional but must be well formed when present. Whether the version is supported
    /// is a separate check ([`Envelope::supported_version`]), made after the transport's
    /// header checks, as the validation order requires.
    pub fn read(meta: Option<&Meta>) -> Result<Self, ErrorObject> {
        let missing = |what: &str| {
            ErrorObject::invalid_params(format!(
                "Invalid params: a 2026-07-28 request needs params._meta[\"{what}\"]"
            ))
        };
        let meta = meta.ok_or_else(|| missing(PROTOCOL_VERSION_KEY))?;
        let version = match meta.get(PROTOCOL_VERSION_KEY) {
            Some(Value::String(v)) => v.clone(),
            _ => return Err(missing(PROTOCOL_VERSION_KEY)),
        };
        let capabilities = match meta.get(CLIENT_CAPABILITIES_KEY) {
            Some(v @ Value::Object(_)) => serde_json::from_value(v.clone()).map_err(|e| {
                ErrorObject::invalid_params(format!(
                    "Invalid params: _meta[\"{CLIENT_CAPABILITIES_KEY}\"]: {e}"
                ))
            })?,
            _ => return Err(missing(CLIENT_CAPABILITIES_KEY)),
        };
        let client_info = match meta.get(CLIENT_INFO_KEY) {
            None | Some(Value::Null) => None,
            Some(v) => Some(serde_json::from_value(v.clone()).map_err(|e| {
                ErrorObject::invalid_params(format!(
                    "Invalid params: _meta[\"{CLIENT_INFO_KEY}\"]: {e}"
                ))
            })?),
        };
        let log_level = match meta.get(LOG_LEVEL_KEY) {
            None | Some(Value::Null) => None,
            Some(v) => Some(serde_json::from_value(v.clone()).map_err(|e| {
                ErrorObject::invalid_params(format!(
                    "Invalid params: _meta[\"{LOG_LEVEL_KEY}\"]: {e}"
                ))
            })?),
        };
        Ok(Self {
            version,
            capabilities,
            client_info,
            log_level,
        })
    }

    /// The request's version if this server speaks it, else `-32022` naming what it speaks.
    pub fn supported_version(&self) -> Result<ProtocolVersion, ErrorObject> {
        ProtocolVersion::parse(&self.version)
            .filter(|v| SUPPORTED_MODERN.contains(v))
            .ok_or_else(|| unsupported_version(&self.version))
    }
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

    fn meta(value: Value) -> Meta {
        serde_json::from_value(value).unwrap()
    }

    #[test]
    fn a_complete_envelope_is_read() {
        let m = meta(json!({
            PROTOCOL_VERSION_KEY: "2026-07-28",
            CLIENT_CAPABILITIES_KEY: {"sampling": {}},
            CLIENT_INFO_KEY: {"name": "c", "version": "1"},
            LOG_LEVEL_KEY: "warning"
        }));
        let e = Envelope::read(Some(&m)).unwrap();
        assert_eq!(e.supported_version().unwrap(), ProtocolVersion::V2026_07_28);
        assert!(e.capabilities.sampling.is_some());
        assert_eq!(e.client_info.unwrap().name, "c");
        assert_eq!(e.log_level, Some(LoggingLevel::Warning));
    }

    #[test]
    fn missing_or_malformed_fields_are_invalid_params() {
        for bad in [
            json!({}),
            json!({PROTOCOL_VERSION_KEY: "2026-07-28"}),
            json!({PROTOCOL_VERSION_KEY: 2026, CLIENT_CAPABILITIES_KEY: {}}),
            json!({PROTOCOL_VERSION_KEY: "2026-07-28", CLIENT_CAPABILITIES_KEY: []}),
            json!({PROTOCOL_VERSION_KEY: "2026-07-28", CLIENT_CAPABILITIES_KEY: {}, LOG_LEVEL_KEY: "loud"}),
            json!({PROTOCOL_VERSION_KEY: "2026-07-28", CLIENT_CAPABILITIES_KEY: {}, CLIENT_INFO_KEY: 5}),
        ] {
            let m = meta(bad.clone());
            let e = Envelope::read(Some(&m)).unwrap_err();
            assert_eq!(e.code, error_code::INVALID_PARAMS, "{bad}");
        }
        assert_eq!(
            Envelope::read(None).unwrap_err().code,
            error_code::INVALID_PARAMS
        );
    }

    #[test]
    fn an_unknown_version_names_the_supported_ones() {
        let m = meta(json!({PROTOCOL_VERSION_KEY: "v999.0.0", CLIENT_CAPABILITIES_KEY: {}}));
        let e = Envelope::read(Some(&m))
            .unwrap()
            .supported_version()
            .unwrap_err();
        assert_eq!(e.code, error_code::UNSUPPORTED_PROTOCOL_VERSION);
        assert_eq!(
            e.data.unwrap(),
            json!({"supported": ["2026-07-28"], "requested": "v999.0.0"})
        );
        // A legacy version inside a modern envelope is not a modern version either.
        let m = meta(json!({PROTOCOL_VERSION_KEY: "2025-11-25", CLIENT_CAPABILITIES_KEY: {}}));
        assert!(
            Envelope::read(Some(&m))
                .unwrap()
                .supported_version()
                .is_err()
        );
    }
}
