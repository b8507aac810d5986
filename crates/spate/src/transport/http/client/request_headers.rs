//! The request-metadata headers of a 2026-07-28 POST (SEP-2243; Streamable HTTP › Request
//! Metadata,
//! <https://modelcontextprotocol.io/specification/2026-07-28/basic/transports/streamable-http>):
//! `MCP-Protocol-Version` (equal to `_meta` protocolVersion), `Mcp-Method`, `Mcp-Name` for the
//! methods that name something, and `Mcp-Param-{Name}` for each `x-mcp-header` argument of a
//! `tools/call`.
//!
//! A message is modern when its `params._meta` names a protocol version: the client stamps
//! every 2026-07-28 request that way, so the transport needs no other signal.

use std::collections::HashMap;

use http::header::{HeaderMap, HeaderName, HeaderValue};
use serde::Deserialize;
use serde_json::value::RawValue;
use spate_protocol::{JsonObject, methods};

use super::tool_headers::{ParamHeader, encode_value};
use spate_protocol::http_headers::{METHOD, NAME, PARAM_PREFIX, PROTOCOL_VERSION};

/// Tools whose annotations are remembered per connection; a `tools/list` beyond that starts
/// the table afresh (the headers of a forgotten tool are learnt again on the next list).
const MAX_TOOLS: usize = 10_000;

/// What the headers of one modern request are made of.
#[derive(Debug, Clone)]
pub(crate) struct ModernRequest {
    /// `_meta["io.modelcontextprotocol/protocolVersion"]`.
    version: String,
    /// The method.
    method: String,
    /// What `Mcp-Name` carries, for the methods that have one.
    name: Option<String>,
    /// The arguments of a `tools/call`, to read `x-mcp-header` values from.
    arguments: Option<Box<RawValue>>,
}

#[derive(Deserialize)]
struct VersionOnly {
    #[serde(rename = "io.modelcontextprotocol/protocolVersion")]
    version: Option<String>,
}

#[derive(Deserialize)]
struct Fields<'a> {
    #[serde(rename = "_meta", default)]
    meta: Option<VersionOnly>,
    #[serde(default)]
    name: Option<serde_json::Value>,
    #[serde(default)]
    uri: Option<serde_json::Value>,
    #[serde(default, rename = "taskId")]
    task_id: Option<serde_json::Value>,
    #[serde(borrow, default)]
    arguments: Option<&'a RawValue>,
}

impl ModernRequest {
    /// Reads a request's params; `None` unless they carry the modern envelope.
    pub(crate) fn of(method: &str, params: Option<&RawValue>) -> Option<Self> {
        let fields: Fields = serde_json::from_str(params?.get()).ok()?;
        let version = fields.meta?.version?;
        let text = |v: Option<serde_json::Value>| v.and_then(|v| v.as_str().map(str::to_owned));
        let name = match method {
            methods::TOOLS_CALL | methods::PROMPTS_GET => text(fields.name),
            methods::RESOURCES_READ => text(fields.uri),
            methods::TASKS_GET | methods::TASKS_UPDATE | methods::TASKS_CANCEL => {
                text(fields.task_id)
            }
            _ => None,
        };
        let arguments = (method == methods::TOOLS_CALL)
            .then(|| fields.arguments.map(RawValue::to_owned))
            .flatten();
        Some(Self {
            version,
            method: method.to_owned(),
            name,
            arguments,
        })
    }

    /// The headers for this request; `tools` holds the annotations learnt from `tools/list`.
    pub(crate) fn headers(&self, tools: &ToolHeaders) -> HeaderMap {
        let mut headers = HeaderMap::new();
        let mut put = |name: HeaderName, value: &str| match HeaderValue::from_str(value) {
            Ok(value) => {
                headers.insert(name, value);
            }
            Err(_) => tracing::debug!("header {name} cannot carry {value:?}"),
        };
        put(HeaderName::from_static(PROTOCOL_VERSION), &self.version);
        put(HeaderName::from_static(METHOD), &self.method);
        if let Some(name) = &self.name {
            put(HeaderName::from_static(NAME), &encode_value(name));
        }
        let (Some(tool), Some(arguments)) = (&self.name, &self.arguments) else {
            return headers;
        };
        let Some(params) = tools.get(tool) else {
            return headers;
        };
        let Ok(arguments) = serde_json::from_str::<JsonObject>(arguments.get()) else {
            return headers;
        };
        for param in params {
            let Some(value) = param.value_in(&arguments) else {
                continue; // absent or null: the header is omitted
            };
            let name = format!("{PARAM_PREFIX}{}", param.header.to_ascii_lowercase());
            if let Ok(name) = HeaderName::from_bytes(name.as_bytes()) {
                put(name, &value);
            }
        }
        headers
    }
}

/// The `x-mcp-header` annotations of the tools a connection has listed, by tool name.
#[derive(Debug, Default)]
pub(crate) struct ToolHeaders {
    tools: HashMap<String, Vec<ParamHeader>>,
}

impl ToolHeaders {
    /// Remembers a tool's annotations (replacing what was known of it).
    pub(crate) fn set(&mut self, tool: &str, params: Vec<ParamHeader>) {
        if self.tools.len() >= MAX_TOOLS && !self.tools.contains_key(tool) {
            self.tools.clear();
        }
        self.tools.insert(tool.to_owned(), params);
    }

    fn get(&self, tool: &str) -> Option<&[ParamHeader]> {
        self.tools.get(tool).map(Vec::as_slice)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::transport::http::client::tool_headers::param_headers;
    use serde_json::json;
    use spate_protocol::meta::PROTOCOL_VERSION_KEY;

    fn raw(v: serde_json::Value) -> Box<RawValue> {
        spate_protocol::jsonrpc::to_raw(&v)
    }

    fn header<'a>(h: &'a HeaderMap, name: &str) -> Option<&'a str> {
        h.get(name).map(|v| v.to_str().unwrap())
    }

    #[test]
    fn only_stamped_requests_are_modern() {
        assert!(ModernRequest::of("tools/list", Some(&raw(json!({})))).is_none());
        assert!(ModernRequest::of("tools/list", None).is_none());
        let legacy = raw(json!({"_meta": {"progressToken": 1}}));
        assert!(ModernRequest::of("tools/list", Some(&legacy)).is_none());
    }

    #[test]
    fn standard_headers_name_the_method_and_its_target() {
        let meta = json!({PROTOCOL_VERSION_KEY: "2026-07-28"});
        let cases = [
            ("tools/list", json!({"_meta": meta}), None),
            (
                "tools/call",
                json!({"_meta": meta, "name": "my-hyphenated-tool"}),
                Some("my-hyphenated-tool"),
            ),
            (
                "prompts/get",
                json!({"_meta": meta, "name": "test_prompt"}),
                Some("test_prompt"),
            ),
            (
                "resources/read",
                json!({"_meta": meta, "uri": "file:///a%20b.txt?x=1"}),
                Some("file:///a%20b.txt?x=1"),
            ),
            (
                "resources/read",
                json!({"_meta": meta, "uri": "file:///é"}),
                Some("=?base64?ZmlsZTovLy/DqQ==?="),
            ),
            (
                "tasks/get",
                json!({"_meta": meta, "taskId": "t-1"}),
                Some("t-1"),
            ),
        ];
        for (method, params, name) in cases {
            let request = ModernRequest::of(method, Some(&raw(params))).unwrap();
            let h = request.headers(&ToolHeaders::default());
            assert_eq!(header(&h, "mcp-protocol-version"), Some("2026-07-28"));
            assert_eq!(header(&h, "mcp-method"), Some(method));
            assert_eq!(header(&h, "mcp-name"), name, "{method}");
        }
    }

    #[test]
    fn param_headers_come_from_the_listed_annotations() {
        let schema = json!({"type": "object", "properties": {
            "region": {"type": "string", "x-mcp-header": "Region"},
            "method_val": {"type": "string", "x-mcp-header": "Method"},
            "empty_val": {"type": "string", "x-mcp-header": "EmptyVal"},
            "verbose": {"type": "boolean", "x-mcp-header": "Verbose"},
            "query": {"type": "string"}
        }});
        let mut tools = ToolHeaders::default();
        tools.set("t", param_headers(schema.as_object().unwrap()).unwrap());
        let params = json!({"_meta": {PROTOCOL_VERSION_KEY: "2026-07-28"}, "name": "t",
            "arguments": {"region": "us-west1", "method_val": "m", "empty_val": "",
                "verbose": null, "query": "SELECT 1"}});
        let request = ModernRequest::of("tools/call", Some(&raw(params))).unwrap();
        let h = request.headers(&tools);
        assert_eq!(header(&h, "mcp-param-region"), Some("us-west1"));
        assert_eq!(header(&h, "mcp-param-method"), Some("m"));
        assert_eq!(header(&h, "mcp-method"), Some("tools/call"));
        assert_eq!(header(&h, "mcp-param-emptyval"), Some(""));
        assert_eq!(header(&h, "mcp-param-verbose"), None);
        assert_eq!(header(&h, "mcp-param-query"), None);
        // A tool never listed gets no parameter headers.
        let h = request.headers(&ToolHeaders::default());
        assert_eq!(header(&h, "mcp-param-region"), None);
    }
}
