//! Tools: listing and calling (Server Features › Tools,
//! <https://modelcontextprotocol.io/specification/2026-07-28/server/tools>).

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::content::ContentBlock;
use crate::fit::{FitVersion, only, since};
use crate::icon::Icon;
use crate::meta::{JsonObject, Meta};
use crate::modern::InputResponses;
use crate::result::{
    CacheScope, ResultType, fit_cacheable, fit_meta, fit_request_meta, fit_result,
};
use crate::tasks::TaskMetadata;
use crate::version::ProtocolVersion;

/// The JSON Schema keyword that maps a tool argument to an `Mcp-Param-{Name}` HTTP header
/// (2026, SEP-2243).
pub const X_MCP_HEADER: &str = "x-mcp-header";

/// Hints about a tool's behaviour. Untrusted unless the server is trusted.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ToolAnnotations {
    /// A display name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    /// The tool does not change its environment (default false).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub read_only_hint: Option<bool>,
    /// Changes may be destructive (default true; meaningful only when not read-only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub destructive_hint: Option<bool>,
    /// Repeating a call with the same arguments has no further effect (default false).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub idempotent_hint: Option<bool>,
    /// The tool reaches an open world of external entities (default true).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub open_world_hint: Option<bool>,
}

/// Whether a tool may run as a task (2025-11-25 experimental tasks).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TaskSupport {
    /// Never as a task (the default).
    #[default]
    Forbidden,
    /// With or without a task.
    Optional,
    /// Only as a task.
    Required,
}

/// How a tool may be executed (2025-11-25 only).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ToolExecution {
    /// Whether the tool may run as a task.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub task_support: Option<TaskSupport>,
}

/// A tool the model may call.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Tool {
    /// The unique name (SHOULD be 1–128 of `A-Z a-z 0-9 _ - .`).
    pub name: String,
    /// A display name (2025-06-18+).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    /// What the tool does, for the model.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// JSON Schema of the arguments; root `type: "object"`.
    pub input_schema: JsonObject,
    /// JSON Schema of `structuredContent` (2025-06-18+; object root before 2026).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub output_schema: Option<JsonObject>,
    /// Behaviour hints (2025-03-26+).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub annotations: Option<ToolAnnotations>,
    /// Icons (2025-11-25+).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub icons: Option<Vec<Icon>>,
    /// Task support (2025-11-25 only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub execution: Option<ToolExecution>,
    /// Metadata (2025-06-18+).
    #[serde(rename = "_meta", default, skip_serializing_if = "Option::is_none")]
    pub meta: Option<Meta>,
}

/// One argument of a tool that travels as an HTTP header too (`x-mcp-header`, 2026).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HeaderParam {
    /// The argument's property name in `inputSchema.properties`.
    pub property: String,
    /// The header suffix: the request carries `Mcp-Param-{header}`.
    pub header: String,
}

impl Tool {
    /// A tool taking no arguments (`{"type":"object","additionalProperties":false}`).
    pub fn new(name: impl Into<String>, description: impl Into<String>) -> Self {
        let mut input_schema = JsonObject::new();
        input_schema.insert("type".into(), "object".into());
        input_schema.insert("additionalProperties".into(), false.into());
        Self {
            name: name.into(),
            description: Some(description.into()),
            input_schema,
            ..Self::default()
        }
    }

    /// The name to show: `title`, then `annotations.title`, then `name`.
    pub fn display_name(&self) -> &str {
        self.title
            .as_deref()
            .or_else(|| self.annotations.as_ref().and_then(|a| a.title.as_deref()))
            .unwrap_or(&self.name)
    }

    /// The top-level properties of `inputSchema` that carry `x-mcp-header`, in schema order.
    /// Values that are not strings are skipped (the server must reject such a tool).
    pub fn header_params(&self) -> Vec<HeaderParam> {
        let Some(Value::Object(properties)) = self.input_schema.get("properties") else {
            return Vec::new();
        };
        properties
            .iter()
            .filter_map(|(property, schema)| {
                let header = schema.get(X_MCP_HEADER)?.as_str()?;
                Some(HeaderParam {
                    property: property.clone(),
                    header: header.to_owned(),
                })
            })
            .collect()
    }
}

/// Result of `tools/list`.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ListToolsResult {
    /// This page of tools.
    pub tools: Vec<Tool>,
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

/// Params of `tools/call`.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CallToolRequestParams {
    /// The tool to call.
    pub name: String,
    /// Its arguments.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub arguments: Option<JsonObject>,
    /// Run as a task (2025-11-25 experimental tasks only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub task: Option<TaskMetadata>,
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

/// Result of `tools/call`.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CallToolResult {
    /// Unstructured content.
    pub content: Vec<ContentBlock>,
    /// Structured output matching `outputSchema` (2025-06-18+; any JSON in 2026, an object
    /// before).
    #[serde(
        default,
        deserialize_with = "crate::jsonrpc::present_value",
        skip_serializing_if = "Option::is_none"
    )]
    pub structured_content: Option<Value>,
    /// The tool failed; the content says why (a tool error, not a protocol error).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub is_error: Option<bool>,
    /// `complete` (2026).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub result_type: Option<ResultType>,
    /// Result metadata.
    #[serde(rename = "_meta", default, skip_serializing_if = "Option::is_none")]
    pub meta: Option<Meta>,
}

impl CallToolResult {
    /// A successful result of one text block.
    pub fn text(text: impl Into<String>) -> Self {
        Self {
            content: vec![ContentBlock::text(text)],
            ..Self::default()
        }
    }

    /// A tool error (`isError: true`) of one text block.
    pub fn error(text: impl Into<String>) -> Self {
        Self {
            content: vec![ContentBlock::text(text)],
            is_error: Some(true),
            ..Self::default()
        }
    }

    /// A successful result of some content blocks.
    pub fn content(content: Vec<ContentBlock>) -> Self {
        Self {
            content,
            ..Self::default()
        }
    }

    /// A structured result, with the JSON also in a text block for older clients.
    pub fn structured(value: Value) -> Self {
        Self {
            content: vec![ContentBlock::text(value.to_string())],
            structured_content: Some(value),
            ..Self::default()
        }
    }
}

fn ensure_object_type(schema: &mut JsonObject) {
    schema
        .entry("type")
        .or_insert_with(|| Value::from("object"));
}

impl FitVersion for ToolAnnotations {
    fn fit_version(&mut self, _version: ProtocolVersion) {}
}

impl FitVersion for Tool {
    /// Before 2026 an `outputSchema` must have an object root; one that does not (an array
    /// schema, say) is removed, as the structured content it describes would be.
    /// `inputSchema` always gets `type: "object"` when it has no `type`.
    fn fit_version(&mut self, version: ProtocolVersion) {
        use ProtocolVersion as V;
        ensure_object_type(&mut self.input_schema);
        since(&mut self.title, version, V::V2025_06_18);
        since(&mut self.output_schema, version, V::V2025_06_18);
        if version < V::V2026_07_28
            && self
                .output_schema
                .as_ref()
                .is_some_and(|s| s.get("type").and_then(Value::as_str) != Some("object"))
        {
            self.output_schema = None;
        }
        since(&mut self.annotations, version, V::V2025_03_26);
        since(&mut self.icons, version, V::V2025_11_25);
        only(&mut self.execution, version, V::V2025_11_25);
        since(&mut self.meta, version, V::V2025_06_18);
        fit_meta(&mut self.meta, version);
    }
}

impl FitVersion for ListToolsResult {
    fn fit_version(&mut self, version: ProtocolVersion) {
        self.tools.fit_version(version);
        fit_cacheable(&mut self.ttl_ms, &mut self.cache_scope, version);
        fit_result(&mut self.result_type, &mut self.meta, version);
    }
}

impl FitVersion for CallToolRequestParams {
    fn fit_version(&mut self, version: ProtocolVersion) {
        use ProtocolVersion as V;
        only(&mut self.task, version, V::V2025_11_25);
        since(&mut self.input_responses, version, V::V2026_07_28);
        since(&mut self.request_state, version, V::V2026_07_28);
        self.input_responses.fit_version(version);
        fit_request_meta(&mut self.meta, version);
    }
}

impl FitVersion for CallToolResult {
    /// Before 2025-06-18 `structuredContent` does not exist, and before 2026 it must be an
    /// object: a value the version cannot carry is removed, and when that leaves no content
    /// at all, its JSON text becomes the one text block (the back-compat form the spec
    /// recommends anyway).
    fn fit_version(&mut self, version: ProtocolVersion) {
        use ProtocolVersion as V;
        let fits = match &self.structured_content {
            None => true,
            Some(_) if version >= V::V2026_07_28 => true,
            Some(value) => version >= V::V2025_06_18 && value.is_object(),
        };
        if !fits {
            if let Some(value) = self.structured_content.take() {
                if self.content.is_empty() {
                    self.content.push(ContentBlock::text(value.to_string()));
                }
            }
        }
        self.content.fit_version(version);
        fit_result(&mut self.result_type, &mut self.meta, version);
    }
}
