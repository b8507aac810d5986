//! Prompts: listing and getting (Server Features › Prompts,
//! <https://modelcontextprotocol.io/specification/2026-07-28/server/prompts>).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::content::{ContentBlock, Role};
use crate::fit::{FitVersion, since};
use crate::icon::Icon;
use crate::meta::Meta;
use crate::modern::InputResponses;
use crate::result::{
    CacheScope, ResultType, fit_cacheable, fit_meta, fit_request_meta, fit_result,
};
use crate::version::ProtocolVersion;

/// An argument a prompt accepts.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PromptArgument {
    /// The argument's name.
    pub name: String,
    /// A display name (2025-06-18+).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    /// What it is for.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Whether it must be given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub required: Option<bool>,
}

/// A prompt (template of messages) the server offers.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Prompt {
    /// The unique name.
    pub name: String,
    /// A display name (2025-06-18+).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    /// What it does.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Its arguments.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub arguments: Option<Vec<PromptArgument>>,
    /// Icons (2025-11-25+).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub icons: Option<Vec<Icon>>,
    /// Metadata (2025-06-18+).
    #[serde(rename = "_meta", default, skip_serializing_if = "Option::is_none")]
    pub meta: Option<Meta>,
}

/// Result of `prompts/list`.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ListPromptsResult {
    /// This page of prompts.
    pub prompts: Vec<Prompt>,
    /// Where the next page starts; absent on the last page.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_cursor: Option<String>,
    /// How long the page stays fresh (2026).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ttl_ms: Option<u64>,
    /// Who may cache it (2026).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cache_scope: Option<CacheScope>,
    /// `complete` (2026).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub result_type: Option<ResultType>,
    /// Result metadata.
    #[serde(rename = "_meta", default, skip_serializing_if = "Option::is_none")]
    pub meta: Option<Meta>,
}

/// Params of `prompts/get`.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct GetPromptRequestParams {
    /// The prompt's name.
    pub name: String,
    /// Argument values by name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub arguments: Option<BTreeMap<String, String>>,
    /// Answers to the input requests of a previous `InputRequiredResult` (2026 MRTR).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub input_responses: Option<InputResponses>,
    /// The `requestState` echoed from that result, untouched (2026 MRTR).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request_state: Option<String>,
    /// Request metadata.
    #[serde(rename = "_meta", default, skip_serializing_if = "Option::is_none")]
    pub meta: Option<Meta>,
}

/// One message of a prompt.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PromptMessage {
    /// Who speaks.
    pub role: Role,
    /// What is said.
    pub content: ContentBlock,
}

impl PromptMessage {
    /// A message of one text block.
    pub fn text(role: Role, text: impl Into<String>) -> Self {
        Self {
            role,
            content: ContentBlock::text(text),
        }
    }
}

/// Result of `prompts/get`.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct GetPromptResult {
    /// A description of the prompt.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// The messages.
    pub messages: Vec<PromptMessage>,
    /// `complete` (2026).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub result_type: Option<ResultType>,
    /// Result metadata.
    #[serde(rename = "_meta", default, skip_serializing_if = "Option::is_none")]
    pub meta: Option<Meta>,
}

impl FitVersion for PromptArgument {
    fn fit_version(&mut self, version: ProtocolVersion) {
        since(&mut self.title, version, ProtocolVersion::V2025_06_18);
    }
}

impl FitVersion for Prompt {
    fn fit_version(&mut self, version: ProtocolVersion) {
        use ProtocolVersion as V;
        since(&mut self.title, version, V::V2025_06_18);
        self.arguments.fit_version(version);
        since(&mut self.icons, version, V::V2025_11_25);
        since(&mut self.meta, version, V::V2025_06_18);
        fit_meta(&mut self.meta, version);
    }
}

impl FitVersion for ListPromptsResult {
    fn fit_version(&mut self, version: ProtocolVersion) {
        self.prompts.fit_version(version);
        fit_cacheable(&mut self.ttl_ms, &mut self.cache_scope, version);
        fit_result(&mut self.result_type, &mut self.meta, version);
    }
}

impl FitVersion for GetPromptRequestParams {
    fn fit_version(&mut self, version: ProtocolVersion) {
        since(
            &mut self.input_responses,
            version,
            ProtocolVersion::V2026_07_28,
        );
        since(
            &mut self.request_state,
            version,
            ProtocolVersion::V2026_07_28,
        );
        self.input_responses.fit_version(version);
        fit_request_meta(&mut self.meta, version);
    }
}

impl FitVersion for PromptMessage {
    fn fit_version(&mut self, version: ProtocolVersion) {
        self.content.fit_version(version);
    }
}

impl FitVersion for GetPromptResult {
    fn fit_version(&mut self, version: ProtocolVersion) {
        self.messages.fit_version(version);
        fit_result(&mut self.result_type, &mut self.meta, version);
    }
}
