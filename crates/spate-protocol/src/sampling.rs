//! Sampling: the server asks the client's model for a message (Client Features › Sampling,
//! <https://modelcontextprotocol.io/specification/2026-07-28/client/sampling>; deprecated
//! 2026, SEP-2577).

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::content::{AudioContent, ContentBlock, ImageContent, Role, TextContent};
use crate::fit::{FitVersion, only, since};
use crate::meta::{JsonObject, Meta};
use crate::result::fit_meta;
use crate::tasks::TaskMetadata;
use crate::tools::Tool;
use crate::version::ProtocolVersion;

/// A model name hint (substring match, advisory).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct ModelHint {
    /// A full or partial model name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
}

/// What the server prefers in a model; each priority is between 0 and 1.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ModelPreferences {
    /// Model hints in order of preference.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hints: Option<Vec<ModelHint>>,
    /// How much cost matters.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        serialize_with = "crate::num::compact_opt"
    )]
    pub cost_priority: Option<f64>,
    /// How much speed matters.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        serialize_with = "crate::num::compact_opt"
    )]
    pub speed_priority: Option<f64>,
    /// How much capability matters.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        serialize_with = "crate::num::compact_opt"
    )]
    pub intelligence_priority: Option<f64>,
}

/// Which context the client should add (`"thisServer"` / `"allServers"` deprecated in 2026).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum IncludeContext {
    /// No context (the default).
    #[default]
    None,
    /// Context from this server.
    ThisServer,
    /// Context from every server.
    AllServers,
}

/// How the model may use tools (2025-11-25+).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ToolChoiceMode {
    /// The model decides (the default).
    #[default]
    Auto,
    /// The model must call a tool.
    Required,
    /// The model must not call tools.
    None,
}

/// Tool choice of a sampling request (2025-11-25+).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct ToolChoice {
    /// The mode; `auto` when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mode: Option<ToolChoiceMode>,
}

/// The model asks to call a tool (2025-11-25+).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct ToolUseContent {
    /// The id that results refer to.
    pub id: String,
    /// The tool's name.
    pub name: String,
    /// The arguments.
    pub input: JsonObject,
    /// Metadata.
    #[serde(rename = "_meta", default, skip_serializing_if = "Option::is_none")]
    pub meta: Option<Meta>,
}

/// The result of a tool the model called (2025-11-25+).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ToolResultContent {
    /// The `id` of the matching [`ToolUseContent`].
    pub tool_use_id: String,
    /// The tool's content.
    pub content: Vec<ContentBlock>,
    /// Structured output (an object in 2025-11-25, any JSON in 2026).
    #[serde(
        default,
        deserialize_with = "crate::jsonrpc::present_value",
        skip_serializing_if = "Option::is_none"
    )]
    pub structured_content: Option<Value>,
    /// The tool failed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub is_error: Option<bool>,
    /// Metadata.
    #[serde(rename = "_meta", default, skip_serializing_if = "Option::is_none")]
    pub meta: Option<Meta>,
}

/// One block of a sampling message, tagged by `type`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type")]
pub enum SamplingContentBlock {
    /// `"text"`.
    #[serde(rename = "text")]
    Text(TextContent),
    /// `"image"`.
    #[serde(rename = "image")]
    Image(ImageContent),
    /// `"audio"` (2025-03-26+).
    #[serde(rename = "audio")]
    Audio(AudioContent),
    /// `"tool_use"` (2025-11-25+).
    #[serde(rename = "tool_use")]
    ToolUse(ToolUseContent),
    /// `"tool_result"` (2025-11-25+).
    #[serde(rename = "tool_result")]
    ToolResult(ToolResultContent),
}

impl SamplingContentBlock {
    /// A text block.
    pub fn text(text: impl Into<String>) -> Self {
        Self::Text(TextContent {
            text: text.into(),
            ..Default::default()
        })
    }
}

/// The content of a sampling message: one block, or (2025-11-25+) several.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum SamplingContent {
    /// A single block.
    Single(SamplingContentBlock),
    /// Several blocks (2025-11-25+).
    Multiple(Vec<SamplingContentBlock>),
}

impl SamplingContent {
    /// The blocks, whichever shape.
    pub fn blocks(&self) -> &[SamplingContentBlock] {
        match self {
            Self::Single(b) => std::slice::from_ref(b),
            Self::Multiple(v) => v,
        }
    }

    /// The text of the text blocks, in order (other blocks are left out).
    ///
    /// ```
    /// use spate_protocol::{SamplingContent, SamplingContentBlock};
    /// let reply = SamplingContent::Multiple(vec![
    ///     SamplingContentBlock::text("forty"),
    ///     SamplingContentBlock::text("two"),
    /// ]);
    /// assert_eq!(reply.texts().join("-"), "forty-two");
    /// ```
    pub fn texts(&self) -> Vec<&str> {
        self.blocks()
            .iter()
            .filter_map(|b| match b {
                SamplingContentBlock::Text(t) => Some(t.text.as_str()),
                _ => None,
            })
            .collect()
    }
}

impl From<SamplingContentBlock> for SamplingContent {
    fn from(block: SamplingContentBlock) -> Self {
        Self::Single(block)
    }
}

/// A message in a sampling conversation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SamplingMessage {
    /// Who speaks.
    pub role: Role,
    /// What is said.
    pub content: SamplingContent,
    /// Metadata (2025-11-25+).
    #[serde(rename = "_meta", default, skip_serializing_if = "Option::is_none")]
    pub meta: Option<Meta>,
}

impl SamplingMessage {
    /// A message of one text block.
    pub fn text(role: Role, text: impl Into<String>) -> Self {
        Self {
            role,
            content: SamplingContent::Single(SamplingContentBlock::text(text)),
            meta: None,
        }
    }
}

/// Params of `sampling/createMessage`.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CreateMessageRequestParams {
    /// The conversation.
    pub messages: Vec<SamplingMessage>,
    /// Model preferences.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model_preferences: Option<ModelPreferences>,
    /// A system prompt.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub system_prompt: Option<String>,
    /// Which context to include.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub include_context: Option<IncludeContext>,
    /// Sampling temperature.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        serialize_with = "crate::num::compact_opt"
    )]
    pub temperature: Option<f64>,
    /// The most tokens to sample (required).
    pub max_tokens: u64,
    /// Sequences that stop sampling.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stop_sequences: Option<Vec<String>>,
    /// Provider-specific metadata.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub metadata: Option<JsonObject>,
    /// Tools the model may call (2025-11-25+).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tools: Option<Vec<Tool>>,
    /// How the model may use them (2025-11-25+).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tool_choice: Option<ToolChoice>,
    /// Run as a task (2025-11-25 only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub task: Option<TaskMetadata>,
    /// Request metadata (not in 2026, where this is an input request).
    #[serde(rename = "_meta", default, skip_serializing_if = "Option::is_none")]
    pub meta: Option<Meta>,
}

/// Why sampling stopped. Known values are `endTurn`, `stopSequence`, `maxTokens`,
/// `toolUse` (see the constants); any string is allowed.
pub type StopReason = String;

/// `stopReason` when the model ended its turn.
pub const STOP_END_TURN: &str = "endTurn";
/// `stopReason` when a stop sequence was hit.
pub const STOP_STOP_SEQUENCE: &str = "stopSequence";
/// `stopReason` when `maxTokens` was reached.
pub const STOP_MAX_TOKENS: &str = "maxTokens";
/// `stopReason` when the model called a tool (2025-11-25+).
pub const STOP_TOOL_USE: &str = "toolUse";

/// Result of `sampling/createMessage` (a client result; an input response in 2026).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CreateMessageResult {
    /// Who speaks (the assistant, normally).
    pub role: Role,
    /// What the model said.
    pub content: SamplingContent,
    /// The model used.
    pub model: String,
    /// Why sampling stopped.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stop_reason: Option<StopReason>,
    /// Result metadata.
    #[serde(rename = "_meta", default, skip_serializing_if = "Option::is_none")]
    pub meta: Option<Meta>,
}

/// The text that stands in for a block the version cannot carry in a sampling message.
fn sampling_block_as_text(block: &SamplingContentBlock) -> Option<TextContent> {
    let text = match block {
        SamplingContentBlock::Audio(a) => format!(
            "[audio content ({}) omitted: not supported by this protocol version]",
            a.mime_type
        ),
        SamplingContentBlock::ToolUse(t) => {
            format!(
                "[tool call {} {}: {}]",
                t.id,
                t.name,
                Value::Object(t.input.clone())
            )
        }
        SamplingContentBlock::ToolResult(r) => {
            let texts: Vec<&str> = r.content.iter().filter_map(ContentBlock::as_text).collect();
            format!("[tool result {}: {}]", r.tool_use_id, texts.join("\n"))
        }
        _ => return None,
    };
    Some(TextContent {
        text,
        annotations: None,
        meta: None,
    })
}

impl FitVersion for ToolResultContent {
    fn fit_version(&mut self, version: ProtocolVersion) {
        self.content.fit_version(version);
        if version < ProtocolVersion::V2026_07_28
            && self
                .structured_content
                .as_ref()
                .is_some_and(|v| !v.is_object())
        {
            self.structured_content = None;
        }
        fit_meta(&mut self.meta, version);
    }
}

impl FitVersion for SamplingContentBlock {
    /// Blocks the version lacks become text: audio before 2025-03-26 (data dropped), and
    /// `tool_use` / `tool_result` before 2025-11-25 (rendered as bracketed text so the
    /// conversation keeps its meaning).
    fn fit_version(&mut self, version: ProtocolVersion) {
        use ProtocolVersion as V;
        let unsupported = match self {
            Self::Audio(_) => version < V::V2025_03_26,
            Self::ToolUse(_) | Self::ToolResult(_) => version < V::V2025_11_25,
            _ => false,
        };
        if unsupported {
            if let Some(text) = sampling_block_as_text(self) {
                *self = Self::Text(text);
            }
        }
        match self {
            Self::Text(c) => c.fit_version(version),
            Self::Image(c) => c.fit_version(version),
            Self::Audio(c) => c.fit_version(version),
            Self::ToolUse(c) => fit_meta(&mut c.meta, version),
            Self::ToolResult(c) => c.fit_version(version),
        }
    }
}

impl FitVersion for SamplingContent {
    /// Before 2025-11-25 content is a single block: several blocks are joined into one text
    /// block when they are all text, otherwise only the first block is kept.
    fn fit_version(&mut self, version: ProtocolVersion) {
        match self {
            Self::Single(b) => b.fit_version(version),
            Self::Multiple(blocks) => {
                blocks.fit_version(version);
                if version < ProtocolVersion::V2025_11_25 {
                    let single = collapse(std::mem::take(blocks));
                    *self = Self::Single(single);
                }
            }
        }
    }
}

fn collapse(blocks: Vec<SamplingContentBlock>) -> SamplingContentBlock {
    let all_text = blocks
        .iter()
        .all(|b| matches!(b, SamplingContentBlock::Text(_)));
    if all_text {
        let text: Vec<String> = blocks
            .into_iter()
            .filter_map(|b| match b {
                SamplingContentBlock::Text(t) => Some(t.text),
                _ => None,
            })
            .collect();
        return SamplingContentBlock::text(text.join("\n"));
    }
    blocks
        .into_iter()
        .next()
        .unwrap_or_else(|| SamplingContentBlock::text(""))
}

impl FitVersion for SamplingMessage {
    fn fit_version(&mut self, version: ProtocolVersion) {
        self.content.fit_version(version);
        since(&mut self.meta, version, ProtocolVersion::V2025_11_25);
        fit_meta(&mut self.meta, version);
    }
}

impl FitVersion for CreateMessageRequestParams {
    fn fit_version(&mut self, version: ProtocolVersion) {
        use ProtocolVersion as V;
        self.messages.fit_version(version);
        since(&mut self.tools, version, V::V2025_11_25);
        since(&mut self.tool_choice, version, V::V2025_11_25);
        self.tools.fit_version(version);
        only(&mut self.task, version, V::V2025_11_25);
        if version >= V::V2026_07_28 {
            // An input request: no `_meta` of its own in 2026.
            self.meta = None;
        }
        fit_meta(&mut self.meta, version);
    }
}

impl FitVersion for CreateMessageResult {
    fn fit_version(&mut self, version: ProtocolVersion) {
        self.content.fit_version(version);
        fit_meta(&mut self.meta, version);
    }
}
