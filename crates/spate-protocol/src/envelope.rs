//! The 2026-07-28 request envelope: every request says in `params._meta` which protocol
//! version it is written in, what the client can do, who the client is, and the lowest log
//! level it wants (SEP-2575, SEP-2567; Base Protocol › Overview › General fields › `_meta`,
//! <https://modelcontextprotocol.io/specification/2026-07-28/basic>). One wire model for both
//! sides: servers read it, clients write it.

use serde::Deserialize;
use serde_json::Value;

use crate::capabilities::ClientCapabilities;
use crate::jsonrpc::ErrorObject;
use crate::lifecycle::Implementation;
use crate::logging::LoggingLevel;
use crate::meta::{
    CLIENT_CAPABILITIES_KEY, CLIENT_INFO_KEY, LOG_LEVEL_KEY, Meta, PROTOCOL_VERSION_KEY,
};

/// What a modern request says about its client, read from `params._meta`.
#[derive(Debug, Clone)]
pub struct RequestEnvelope {
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

impl RequestEnvelope {
    /// Reads and checks the envelope: `_meta` with a string `protocolVersion` and an object
    /// `clientCapabilities` is required (`-32602` otherwise); `clientInfo` and `logLevel`
    /// are optional but must be well formed when present. Whether the version is supported
    /// is a separate check, made by the server after the transport's
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
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error_code;
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
        let e = RequestEnvelope::read(Some(&m)).unwrap();
        assert_eq!(e.version, "2026-07-28");
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
            let e = RequestEnvelope::read(Some(&m)).unwrap_err();
            assert_eq!(e.code, error_code::INVALID_PARAMS, "{bad}");
        }
        assert_eq!(
            RequestEnvelope::read(None).unwrap_err().code,
            error_code::INVALID_PARAMS
        );
    }
}
