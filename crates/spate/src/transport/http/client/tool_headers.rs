//! `x-mcp-header`: tool arguments that a 2026-07-28 HTTP client also sends as
//! `Mcp-Param-{Name}` headers (SEP-2243; Streamable HTTP › Custom Headers from Tool
//! Parameters,
//! <https://modelcontextprotocol.io/specification/2026-07-28/basic/transports/streamable-http>).
//!
//! A tool's annotations are checked once, when its `tools/list` entry arrives. An HTTP
//! client must drop a tool whose annotations break a rule (it could never call it right),
//! so [`param_headers`] either returns every annotated argument or says what is wrong:
//!
//! - the header name is non-empty and made of RFC 9110 token characters only (no space,
//!   colon, control or non-ASCII character);
//! - names are unique within the schema, compared case-insensitively;
//! - the property is a `string`, `integer` or `boolean` (not `number`, `object`, `array`
//!   or `null`; a nullable primitive, `["string", "null"]`, is accepted: null is omitted);
//! - the property is reached from the root through `properties` alone: an annotation under
//!   `items`, `anyOf`/`oneOf`/`allOf`/`not`, `if`/`then`/`else`, `$defs` (the target of a
//!   `$ref`) or any other subschema is invalid.

use serde_json::Value;
use spate_protocol::JsonObject;
use spate_protocol::tools::X_MCP_HEADER;

/// Nesting deeper than this is refused rather than walked (a hostile schema).
const MAX_DEPTH: usize = 64;

/// Keywords whose value is one subschema.
const SUBSCHEMA: [&str; 11] = [
    "items",
    "additionalProperties",
    "unevaluatedProperties",
    "unevaluatedItems",
    "contains",
    "propertyNames",
    "not",
    "if",
    "then",
    "else",
    "contentSchema",
];
/// Keywords whose value is an array of subschemas.
const SUBSCHEMA_LISTS: [&str; 4] = ["anyOf", "oneOf", "allOf", "prefixItems"];
/// Keywords whose value maps names to subschemas (other than `properties`).
const SUBSCHEMA_MAPS: [&str; 4] = [
    "patternProperties",
    "dependentSchemas",
    "$defs",
    "definitions",
];

/// One argument that travels as a header too.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ParamHeader {
    /// Where the argument sits in `arguments`: property names from the root.
    pub(crate) path: Vec<String>,
    /// The header suffix, as annotated: the request carries `Mcp-Param-{header}`.
    pub(crate) header: String,
}

impl ParamHeader {
    /// The header's value for these arguments, encoded for HTTP; `None` when the argument is
    /// absent, `null` or not a primitive (the header is then omitted).
    pub(crate) fn value_in(&self, arguments: &JsonObject) -> Option<String> {
        let (last, parents) = self.path.split_last()?;
        let mut object = arguments;
        for name in parents {
            object = object.get(name)?.as_object()?;
        }
        match object.get(last)? {
            Value::String(s) => Some(encode_value(s)),
            Value::Bool(b) => Some(b.to_string()),
            Value::Number(n) => Some(n.to_string()),
            _ => None,
        }
    }
}

/// Every `x-mcp-header` annotation of a tool's input schema, or why the tool must be dropped.
pub(crate) fn param_headers(input_schema: &JsonObject) -> Result<Vec<ParamHeader>, String> {
    let mut found = Vec::new();
    walk(input_schema, &mut Vec::new(), true, 0, &mut found)?;
    for (i, a) in found.iter().enumerate() {
        if found[..i]
            .iter()
            .any(|b| b.header.eq_ignore_ascii_case(&a.header))
        {
            return Err(format!(
                "x-mcp-header {:?} is used twice (names compare case-insensitively)",
                a.header
            ));
        }
    }
    Ok(found)
}

/// Visits one schema object at `path`; `chain` says whether it was reached through
/// `properties` alone.
fn walk(
    schema: &JsonObject,
    path: &mut Vec<String>,
    chain: bool,
    depth: usize,
    found: &mut Vec<ParamHeader>,
) -> Result<(), String> {
    if depth > MAX_DEPTH {
        return Err(format!("the schema nests deeper than {MAX_DEPTH} levels"));
    }
    if let Some(header) = schema.get(X_MCP_HEADER) {
        let at = path.join(".");
        if !chain || path.is_empty() {
            return Err(format!(
                "x-mcp-header on {at:?} is not reached through properties alone"
            ));
        }
        let header = header
            .as_str()
            .ok_or_else(|| format!("x-mcp-header on {at:?} is not a string"))?;
        check_name(header).map_err(|why| format!("x-mcp-header {header:?} on {at:?} {why}"))?;
        check_type(schema.get("type")).map_err(|why| format!("x-mcp-header on {at:?}: {why}"))?;
        found.push(ParamHeader {
            path: path.clone(),
            header: header.to_owned(),
        });
    }
    if let Some(Value::Object(properties)) = schema.get("properties") {
        for (name, sub) in properties {
            if let Value::Object(sub) = sub {
                path.push(name.clone());
                let visited = walk(sub, path, chain, depth + 1, found);
                path.pop();
                visited?;
            }
        }
    }
    let mut elsewhere = |sub: &Value| match sub {
        Value::Object(sub) => walk(sub, path, false, depth + 1, found),
        _ => Ok(()),
    };
    for key in SUBSCHEMA {
        if let Some(sub) = schema.get(key) {
            elsewhere(sub)?;
        }
    }
    for key in SUBSCHEMA_LISTS {
        if let Some(Value::Array(subs)) = schema.get(key) {
            subs.iter().try_for_each(&mut elsewhere)?;
        }
    }
    for key in SUBSCHEMA_MAPS {
        if let Some(Value::Object(subs)) = schema.get(key) {
            subs.values().try_for_each(&mut elsewhere)?;
        }
    }
    Ok(())
}

/// RFC 9110 `token`: one or more of `!#$%&'*+-.^_`|~`, digits and letters.
fn check_name(name: &str) -> Result<(), &'static str> {
    if name.is_empty() {
        return Err("is empty");
    }
    let tchar = |b: u8| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b);
    if name.bytes().all(tchar) {
        Ok(())
    } else {
        Err("holds a character that is not allowed in a header name")
    }
}

/// The property must be a `string`, `integer` or `boolean` (optionally nullable).
fn check_type(ty: Option<&Value>) -> Result<(), String> {
    const PRIMITIVE: [&str; 3] = ["string", "integer", "boolean"];
    let names: Vec<&str> = match ty {
        Some(Value::String(t)) => vec![t.as_str()],
        Some(Value::Array(ts)) => ts.iter().filter_map(Value::as_str).collect(),
        _ => return Err("the property declares no type".to_owned()),
    };
    let mut kinds = names.iter().filter(|t| **t != "null");
    match (kinds.next(), kinds.next()) {
        (Some(t), None) if PRIMITIVE.contains(t) => Ok(()),
        _ => Err(format!(
            "type {} is not one of string, integer, boolean",
            ty.map(Value::to_string).unwrap_or_default()
        )),
    }
}

/// A value as a header carries it (`Mcp-Name`, `Mcp-Param-*`): as it is when it is printable
/// ASCII without surrounding whitespace, else `=?base64?<base64 of its UTF-8>?=`. A value
/// that itself looks like that sentinel is encoded too, so it cannot be mistaken for one.
pub(crate) fn encode_value(value: &str) -> String {
    use base64::Engine as _;
    let printable = value.bytes().all(|b| (0x20..=0x7E).contains(&b));
    let padded = value.trim() != value;
    let sentinel = value.starts_with("=?base64?") && value.ends_with("?=");
    if printable && !padded && !sentinel {
        return value.to_owned();
    }
    let encoded = base64::engine::general_purpose::STANDARD.encode(value.as_bytes());
    format!("=?base64?{encoded}?=")
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn schema(v: Value) -> JsonObject {
        v.as_object().unwrap().clone()
    }

    fn tool_with(property: Value) -> JsonObject {
        schema(json!({"type": "object", "properties": {"p": property}}))
    }

    #[test]
    fn values_are_plain_only_when_printable_ascii_without_padding() {
        for plain in ["us-west1", "us west 1", "", "test-method", "a=?base64?b"] {
            assert_eq!(encode_value(plain), plain);
        }
        let cases = [
            ("Hello, 世界", "=?base64?SGVsbG8sIOS4lueVjA==?="),
            (" padded ", "=?base64?IHBhZGRlZCA=?="),
            (" us-west1", "=?base64?IHVzLXdlc3Qx?="),
            ("us-west1 ", "=?base64?dXMtd2VzdDEg?="),
            ("line1\nline2", "=?base64?bGluZTEKbGluZTI=?="),
            ("line1\r\nline2", "=?base64?bGluZTENCmxpbmUy?="),
            ("\tindented", "=?base64?CWluZGVudGVk?="),
            ("del\u{7f}", "=?base64?ZGVsfw==?="),
            ("=?base64?SGk=?=", "=?base64?PT9iYXNlNjQ/U0drPT89?="),
        ];
        for (value, wire) in cases {
            assert_eq!(encode_value(value), wire, "{value:?}");
        }
    }

    #[test]
    fn argument_values_follow_their_type_and_null_is_omitted() {
        let headers = param_headers(&schema(json!({"type": "object", "properties": {
            "region": {"type": "string", "x-mcp-header": "Region"},
            "priority": {"type": "integer", "x-mcp-header": "Priority"},
            "verbose": {"type": ["boolean", "null"], "x-mcp-header": "Verbose"},
            "config": {"type": "object", "properties": {
                "zone": {"type": "string", "x-mcp-header": "Zone"}
            }},
            "query": {"type": "string"}
        }})))
        .unwrap();
        let by_name = |name: &str| headers.iter().find(|h| h.header == name).unwrap();
        assert_eq!(headers.len(), 4);
        assert_eq!(by_name("Zone").path, ["config", "zone"]);
        let args = schema(json!({"region": "é", "priority": 42, "verbose": null,
            "config": {"zone": "z1"}}));
        let value = |name: &str| by_name(name).value_in(&args);
        assert_eq!(value("Region").as_deref(), Some("=?base64?w6k=?="));
        assert_eq!(value("Priority").as_deref(), Some("42"));
        assert_eq!(value("Verbose"), None);
        assert_eq!(value("Zone").as_deref(), Some("z1"));
        let args = schema(json!({"verbose": true}));
        assert_eq!(by_name("Verbose").value_in(&args).as_deref(), Some("true"));
        assert_eq!(by_name("Region").value_in(&args), None);
    }

    #[test]
    fn every_broken_rule_drops_the_tool() {
        let broken = [
            tool_with(json!({"type": "string", "x-mcp-header": ""})),
            tool_with(json!({"type": "object", "x-mcp-header": "Data"})),
            tool_with(json!({"type": "array", "items": {"type": "string"}, "x-mcp-header": "I"})),
            tool_with(json!({"type": "null", "x-mcp-header": "Nil"})),
            tool_with(json!({"type": "number", "x-mcp-header": "Score"})),
            tool_with(json!({"x-mcp-header": "Untyped"})),
            tool_with(json!({"type": "string", "x-mcp-header": "My Region"})),
            tool_with(json!({"type": "string", "x-mcp-header": "Region:Primary"})),
            tool_with(json!({"type": "string", "x-mcp-header": "Région"})),
            tool_with(json!({"type": "string", "x-mcp-header": "Region\t1"})),
            tool_with(json!({"type": "string", "x-mcp-header": 7})),
            schema(json!({"type": "object", "properties": {
                "a": {"type": "string", "x-mcp-header": "Region"},
                "b": {"type": "string", "x-mcp-header": "Region"}}})),
            schema(json!({"type": "object", "properties": {
                "a": {"type": "string", "x-mcp-header": "MyField"},
                "b": {"type": "string", "x-mcp-header": "myfield"}}})),
            schema(
                json!({"type": "object", "properties": {"list": {"type": "array",
                "items": {"type": "string", "x-mcp-header": "Item"}}}}),
            ),
            schema(json!({"type": "object", "properties": {"p": {"anyOf": [
                {"type": "string", "x-mcp-header": "P"}]}}})),
            schema(json!({"type": "object", "$defs": {"d": {"type": "string",
                "x-mcp-header": "D"}}, "properties": {"p": {"$ref": "#/$defs/d"}}})),
            schema(
                json!({"type": "object", "if": {"properties": {"p": {"type": "string",
                "x-mcp-header": "P"}}}}),
            ),
            schema(json!({"type": "string", "x-mcp-header": "Root"})),
        ];
        for schema in broken {
            assert!(
                param_headers(&schema).is_err(),
                "{schema:?} should be invalid"
            );
        }
    }

    #[test]
    fn unannotated_and_data_keywords_are_left_alone() {
        let fine = schema(json!({"type": "object",
            "properties": {"q": {"type": "string", "default": {"x-mcp-header": "no"}}},
            "examples": [{"x-mcp-header": "still data"}]}));
        assert_eq!(param_headers(&fine).unwrap(), []);
        let mut deep = json!({"type": "string"});
        for _ in 0..100 {
            deep = json!({"type": "object", "properties": {"n": deep}});
        }
        assert!(param_headers(deep.as_object().unwrap()).is_err());
    }
}
