//! Argument completion: `completion/complete` (Server Features › Utilities › Completion,
//! <https://modelcontextprotocol.io/specification/2026-07-28/server/utilities/completion>).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::fit::{FitVersion, since};
use crate::meta::Meta;
use crate::result::{ResultType, fit_request_meta, fit_result};
use crate::version::ProtocolVersion;

/// The most values a completion may hold.
pub const MAX_COMPLETION_VALUES: usize = 100;

/// A prompt whose argument is completed (`ref/prompt`).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PromptReference {
    /// The prompt's name.
    pub name: String,
    /// A display name (2025-06-18+).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
}

/// A resource template whose variable is completed (`ref/resource`; called
/// `ResourceReference` before 2025-06-18).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ResourceTemplateReference {
    /// The URI template.
    pub uri: String,
}

/// What is being completed, tagged by `type`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type")]
pub enum CompletionReference {
    /// `"ref/prompt"`.
    #[serde(rename = "ref/prompt")]
    Prompt(PromptReference),
    /// `"ref/resource"`.
    #[serde(rename = "ref/resource")]
    Resource(ResourceTemplateReference),
}

/// The argument being completed.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct CompletionArgument {
    /// Its name.
    pub name: String,
    /// What the user typed so far.
    pub value: String,
}

/// Already-resolved arguments that may narrow the completion (2025-06-18+).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct CompletionContext {
    /// Values of other arguments by name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub arguments: Option<BTreeMap<String, String>>,
}

/// Params of `completion/complete`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CompleteRequestParams {
    /// The prompt or resource template.
    #[serde(rename = "ref")]
    pub reference: CompletionReference,
    /// The argument to complete.
    pub argument: CompletionArgument,
    /// Other arguments (2025-06-18+).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub context: Option<CompletionContext>,
    /// Request metadata.
    #[serde(rename = "_meta", default, skip_serializing_if = "Option::is_none")]
    pub meta: Option<Meta>,
}

/// The completion values.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Completion {
    /// Up to 100 values, most relevant first.
    pub values: Vec<String>,
    /// How many values exist in all.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub total: Option<u64>,
    /// Whether there are more than these.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub has_more: Option<bool>,
}

/// Result of `completion/complete`.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CompleteResult {
    /// The values.
    pub completion: Completion,
    /// `complete` (2026).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub result_type: Option<ResultType>,
    /// Result metadata.
    #[serde(rename = "_meta", default, skip_serializing_if = "Option::is_none")]
    pub meta: Option<Meta>,
}

impl CompleteResult {
    /// A result from values; more than 100 are cut, with `total` and `hasMore` set.
    pub fn from_values(mut values: Vec<String>) -> Self {
        let total = values.len();
        let has_more = total > MAX_COMPLETION_VALUES;
        values.truncate(MAX_COMPLETION_VALUES);
        Self {
            completion: Completion {
                values,
                total: Some(total as u64),
                has_more: Some(has_more),
            },
            ..Self::default()
        }
    }
}

impl FitVersion for CompleteRequestParams {
    fn fit_version(&mut self, version: ProtocolVersion) {
        if let CompletionReference::Prompt(p) = &mut self.reference {
            since(&mut p.title, version, ProtocolVersion::V2025_06_18);
        }
        since(&mut self.context, version, ProtocolVersion::V2025_06_18);
        fit_request_meta(&mut self.meta, version);
    }
}

impl FitVersion for CompleteResult {
    /// Keeps at most 100 values (the schema's `maxItems` since 2026), setting `hasMore`.
    fn fit_version(&mut self, version: ProtocolVersion) {
        if self.completion.values.len() > MAX_COMPLETION_VALUES {
            self.completion.values.truncate(MAX_COMPLETION_VALUES);
            self.completion.has_more = Some(true);
        }
        fit_result(&mut self.result_type, &mut self.meta, version);
    }
}
