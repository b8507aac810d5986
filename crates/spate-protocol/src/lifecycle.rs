//! The legacy handshake (`initialize`) and the description of an implementation.

use serde::{Deserialize, Serialize};

use crate::capabilities::{ClientCapabilities, ServerCapabilities};
use crate::fit::{FitVersion, since};
use crate::icon::Icon;
use crate::meta::Meta;
use crate::result::{fit_meta, fit_request_meta};
use crate::version::ProtocolVersion;

/// The name and version of a client or server (`clientInfo`, `serverInfo`).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Implementation {
    /// A programmatic name.
    pub name: String,
    /// The version of the implementation.
    pub version: String,
    /// A display name (2025-06-18+).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    /// A human-readable description (2025-11-25+).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// The project's website (2025-11-25+).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub website_url: Option<String>,
    /// Icons (2025-11-25+).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub icons: Option<Vec<Icon>>,
}

impl Implementation {
    /// An implementation with a name and a version.
    pub fn new(name: impl Into<String>, version: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            version: version.into(),
            ..Self::default()
        }
    }
}

/// Params of `initialize` (legacy only).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct InitializeRequestParams {
    /// The version the client asks for (its latest, normally).
    pub protocol_version: String,
    /// What the client offers.
    pub capabilities: ClientCapabilities,
    /// Who the client is.
    pub client_info: Implementation,
    /// Request metadata.
    #[serde(rename = "_meta", default, skip_serializing_if = "Option::is_none")]
    pub meta: Option<Meta>,
}

/// Result of `initialize` (legacy only).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct InitializeResult {
    /// The version the server picked.
    pub protocol_version: String,
    /// What the server offers.
    pub capabilities: ServerCapabilities,
    /// Who the server is.
    pub server_info: Implementation,
    /// How to use the server, for the model.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub instructions: Option<String>,
    /// Result metadata.
    #[serde(rename = "_meta", default, skip_serializing_if = "Option::is_none")]
    pub meta: Option<Meta>,
}

impl FitVersion for Implementation {
    fn fit_version(&mut self, version: ProtocolVersion) {
        use ProtocolVersion as V;
        since(&mut self.title, version, V::V2025_06_18);
        since(&mut self.description, version, V::V2025_11_25);
        since(&mut self.website_url, version, V::V2025_11_25);
        since(&mut self.icons, version, V::V2025_11_25);
    }
}

impl FitVersion for InitializeRequestParams {
    fn fit_version(&mut self, version: ProtocolVersion) {
        self.capabilities.fit_version(version);
        self.client_info.fit_version(version);
        fit_request_meta(&mut self.meta, version);
    }
}

impl FitVersion for InitializeResult {
    fn fit_version(&mut self, version: ProtocolVersion) {
        self.capabilities.fit_version(version);
        self.server_info.fit_version(version);
        fit_meta(&mut self.meta, version);
    }
}
