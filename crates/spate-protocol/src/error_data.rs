//! Typed `data` of the MCP-defined JSON-RPC errors (Base Protocol › Overview › Error Codes,
//! <https://modelcontextprotocol.io/specification/2026-07-28/basic#error-codes>, and the error
//! types of the Schema Reference,
//! <https://modelcontextprotocol.io/specification/2026-07-28/schema>).

use serde::{Deserialize, Serialize};

use crate::capabilities::ClientCapabilities;
use crate::error_code;
use crate::fit::FitVersion;
use crate::jsonrpc::ErrorObject;
use crate::version::ProtocolVersion;

/// `data` of `-32022 UnsupportedProtocolVersion` (2026), also used by legacy `initialize`
/// failures (`-32602`).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct UnsupportedProtocolVersionData {
    /// The versions the server speaks.
    pub supported: Vec<String>,
    /// The version the client asked for.
    pub requested: String,
}

/// `data` of `-32021 MissingRequiredClientCapability` (2026).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MissingRequiredClientCapabilityData {
    /// The capabilities the request needs.
    pub required_capabilities: ClientCapabilities,
}

impl ErrorObject {
    /// `-32022`: the requested version is not supported; lists the supported ones.
    pub fn unsupported_protocol_version(requested: &str, supported: Vec<String>) -> Self {
        let data = UnsupportedProtocolVersionData {
            supported,
            requested: requested.to_owned(),
        };
        Self::new(
            error_code::UNSUPPORTED_PROTOCOL_VERSION,
            "Unsupported protocol version",
        )
        .with_data(serde_json::to_value(data).unwrap_or_default())
    }

    /// `-32021`: the request needs client capabilities that were not declared.
    pub fn missing_required_client_capability(
        message: impl Into<String>,
        required_capabilities: ClientCapabilities,
    ) -> Self {
        let data = MissingRequiredClientCapabilityData {
            required_capabilities,
        };
        Self::new(error_code::MISSING_REQUIRED_CLIENT_CAPABILITY, message)
            .with_data(serde_json::to_value(data).unwrap_or_default())
    }

    /// `-32020`: HTTP headers disagree with the body.
    pub fn header_mismatch(message: impl Into<String>) -> Self {
        Self::new(error_code::HEADER_MISMATCH, message)
    }
}

impl FitVersion for ErrorObject {
    /// 2026 must not emit `-32002` (resource not found): it becomes `-32602`, message and
    /// data kept. Every other code is written as it is.
    fn fit_version(&mut self, version: ProtocolVersion) {
        if version >= ProtocolVersion::V2026_07_28 && self.code == error_code::RESOURCE_NOT_FOUND {
            self.code = error_code::INVALID_PARAMS;
        }
    }
}
