//! The request-metadata headers of 2026-07-28 Streamable HTTP (SEP-2243; Streamable HTTP ›
//! Request Metadata,
//! <https://modelcontextprotocol.io/specification/2026-07-28/basic/transports/streamable-http>):
//! `MCP-Protocol-Version`, `Mcp-Method`, `Mcp-Name` and `Mcp-Param-*` must say what the body
//! says. Values are trimmed of surrounding whitespace; `=?base64?…?=` values are decoded
//! first; integers compare as numbers.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use http::HeaderMap;
use serde_json::Value;
use spate_protocol::{ErrorObject, JsonObject, error_code, methods};

/// `MCP-Protocol-Version`.
pub(super) use spate_protocol::http_headers::{
    METHOD, NAME, PARAM_PREFIX, PROTOCOL_VERSION as VERSION,
};

/// `-32020` with a message.
pub(super) fn mismatch(message: impl Into<String>) -> ErrorObject {
    ErrorObject::new(error_code::HEADER_MISMATCH, message)
}

/// A header's value, trimmed. `Err` when it is present but not visible ASCII, or given more
/// than once (which of two values would the body have to match?).
pub(super) fn value<'a>(
    headers: &'a HeaderMap,
    name: &str,
) -> Option<Result<&'a str, ErrorObject>> {
    let raw = headers.get(name)?;
    if headers.get_all(name).iter().nth(1).is_some() {
        return Some(Err(mismatch(format!(
            "Header {name} is given more than once"
        ))));
    }
    Some(
        raw.to_str()
            .map(|v| v.trim_matches([' ', '\t']))
            .map_err(|_| {
                mismatch(format!(
                    "Header {name} holds characters HTTP does not allow"
                ))
            }),
    )
}

/// A header value with the base64 sentinel decoded (`=?base64?SGVsbG8=?=` is `Hello`).
/// Anything else is taken literally.
pub(super) fn decoded(value: &str) -> Result<String, ErrorObject> {
    let Some(inner) = value
        .strip_prefix("=?base64?")
        .and_then(|v| v.strip_suffix("?="))
    else {
        return Ok(value.to_owned());
    };
    let bytes = STANDARD
        .decode(inner)
        .map_err(|_| mismatch("A =?base64?…?= header value is not valid base64"))?;
    String::from_utf8(bytes).map_err(|_| mismatch("A =?base64?…?= header value is not UTF-8"))
}

/// What `Mcp-Name` must carry for `method`: the tool or prompt name, the resource URI, or
/// the task id; `None` when the method has no name.
pub(super) fn expected_name(method: &str, params: &JsonObject) -> Option<Option<String>> {
    let field = match method {
        methods::TOOLS_CALL | methods::PROMPTS_GET => "name",
        methods::RESOURCES_READ => "uri",
        methods::TASKS_GET | methods::TASKS_UPDATE | methods::TASKS_CANCEL => "taskId",
        _ => return None,
    };
    Some(params.get(field).and_then(Value::as_str).map(str::to_owned))
}

/// Checks the standard headers against the request: presence first (the caller checks
/// `_meta` between the two steps), then agreement.
pub(super) fn check_present(headers: &HeaderMap) -> Result<(), ErrorObject> {
    for name in [VERSION, METHOD] {
        match value(headers, name) {
            None => return Err(mismatch(format!("Missing required header {name}"))),
            Some(Err(e)) => return Err(e),
            Some(Ok(_)) => {}
        }
    }
    Ok(())
}

/// Checks that the headers say what the body says: version, method, name.
pub(super) fn check_agree(
    headers: &HeaderMap,
    version: &str,
    method: &str,
    params: &JsonObject,
) -> Result<(), ErrorObject> {
    let header_version = value(headers, VERSION).transpose()?.unwrap_or_default();
    if header_version != version {
        return Err(mismatch(format!(
            "Header {VERSION} ({header_version:?}) does not match _meta protocolVersion ({version:?})"
        )));
    }
    let header_method = value(headers, METHOD).transpose()?.unwrap_or_default();
    if header_method != method {
        return Err(mismatch(format!(
            "Header {METHOD} ({header_method:?}) does not match the method ({method:?})"
        )));
    }
    if let Some(expected) = expected_name(method, params) {
        let header = value(headers, NAME).transpose()?;
        match (header, expected) {
            (None, Some(_)) => return Err(mismatch(format!("Missing required header {NAME}"))),
            (Some(h), Some(body)) if decoded(h)? != body => {
                return Err(mismatch(format!(
                    "Header {NAME} does not match the request's name ({body:?})"
                )));
            }
            (Some(_), None) => {
                return Err(mismatch(format!(
                    "Header {NAME} given for a request without one"
                )));
            }
            _ => {}
        }
    }
    Ok(())
}

/// The `x-mcp-header` annotations of a tool's input schema: (property, header name).
pub(super) fn annotated(input_schema: &JsonObject) -> Vec<(String, String)> {
    input_schema
        .get("properties")
        .and_then(Value::as_object)
        .map(|props| {
            props
                .iter()
                .filter_map(|(prop, schema)| {
                    let header = schema.get("x-mcp-header")?.as_str()?;
                    Some((prop.clone(), header.to_owned()))
                })
                .collect()
        })
        .unwrap_or_default()
}

/// Checks `Mcp-Param-*` headers against the arguments of a `tools/call`: every annotated
/// argument that has a value must come with its header, equal to it; a header for an
/// argument that is absent or null is a mismatch too.
pub(super) fn check_params(
    headers: &HeaderMap,
    annotations: &[(String, String)],
    arguments: Option<&JsonObject>,
) -> Result<(), ErrorObject> {
    for (prop, header_name) in annotations {
        let name = format!("{PARAM_PREFIX}{}", header_name.to_ascii_lowercase());
        let header = value(headers, &name).transpose()?;
        let body = arguments.and_then(|a| a.get(prop)).filter(|v| !v.is_null());
        match (header, body) {
            (None, None) => {}
            (None, Some(_)) => {
                return Err(mismatch(format!(
                    "Missing header Mcp-Param-{header_name} for argument {prop:?}"
                )));
            }
            (Some(_), None) => {
                return Err(mismatch(format!(
                    "Header Mcp-Param-{header_name} given, but argument {prop:?} is absent"
                )));
            }
            (Some(h), Some(v)) => {
                if !same_value(&decoded(h)?, v) {
                    return Err(mismatch(format!(
                        "Header Mcp-Param-{header_name} does not match argument {prop:?}"
                    )));
                }
            }
        }
    }
    Ok(())
}

/// Whether a decoded header value stands for a JSON argument.
fn same_value(header: &str, body: &Value) -> bool {
    match body {
        Value::String(s) => header == s,
        Value::Bool(b) => header == if *b { "true" } else { "false" },
        Value::Number(n) => {
            if let (Some(h), Some(b)) = (header.parse::<i64>().ok(), n.as_i64()) {
                h == b
            } else if let (Ok(h), Some(b)) = (header.parse::<f64>(), n.as_f64()) {
                h == b
            } else {
                false
            }
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use http::HeaderValue;
    use serde_json::json;

    fn headers(pairs: &[(&str, &str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (k, v) in pairs {
            map.insert(
                http::HeaderName::from_bytes(k.as_bytes()).unwrap(),
                HeaderValue::from_str(v).unwrap(),
            );
        }
        map
    }

    fn obj(v: Value) -> JsonObject {
        v.as_object().unwrap().clone()
    }

    #[test]
    fn base64_sentinels_decode_strictly() {
        assert_eq!(decoded("=?base64?SGVsbG8=?=").unwrap(), "Hello");
        assert_eq!(decoded("plain value").unwrap(), "plain value");
        assert_eq!(decoded("=?base64?SGVsbG8=").unwrap(), "=?base64?SGVsbG8=");
        for bad in [
            "=?base64?SGVsbG8?=",
            "=?base64?SGVs!!!bG8=?=",
            "=?base64?/w==?=",
        ] {
            assert_eq!(
                decoded(bad).unwrap_err().code,
                error_code::HEADER_MISMATCH,
                "{bad}"
            );
        }
    }

    #[test]
    fn standard_headers_must_agree_with_the_body() {
        let params = obj(json!({"name": "t"}));
        let ok = headers(&[
            ("mcp-protocol-version", "2026-07-28"),
            ("mcp-method", "tools/call"),
            ("mcp-name", "  t  "),
        ]);
        assert!(check_present(&ok).is_ok());
        assert!(check_agree(&ok, "2026-07-28", "tools/call", &params).is_ok());
        let cases = [
            headers(&[
                ("mcp-protocol-version", "2026-07-28"),
                ("mcp-method", "TOOLS/CALL"),
                ("mcp-name", "t"),
            ]),
            headers(&[
                ("mcp-protocol-version", "2026-07-28"),
                ("mcp-method", "tools/call"),
                ("mcp-name", "u"),
            ]),
            headers(&[
                ("mcp-protocol-version", "2026-07-28"),
                ("mcp-method", "tools/call"),
            ]),
            headers(&[
                ("mcp-protocol-version", "v9"),
                ("mcp-method", "tools/call"),
                ("mcp-name", "t"),
            ]),
        ];
        for h in &cases {
            let e = check_agree(h, "2026-07-28", "tools/call", &params).unwrap_err();
            assert_eq!(e.code, error_code::HEADER_MISMATCH);
        }
        assert!(check_present(&headers(&[("mcp-method", "tools/list")])).is_err());
        assert!(check_present(&headers(&[("mcp-protocol-version", "2026-07-28")])).is_err());
        // A resource's URI, base64-encoded because it has spaces at its ends.
        let read = obj(json!({"uri": " x "}));
        let h = headers(&[
            ("mcp-protocol-version", "2026-07-28"),
            ("mcp-method", "resources/read"),
            ("mcp-name", "=?base64?IHgg?="),
        ]);
        assert!(check_agree(&h, "2026-07-28", "resources/read", &read).is_ok());
    }

    #[test]
    fn param_headers_follow_the_annotations() {
        let schema = obj(json!({"type": "object", "properties": {
            "region": {"type": "string", "x-mcp-header": "Region"},
            "n": {"type": "integer", "x-mcp-header": "N"},
            "flag": {"type": "boolean", "x-mcp-header": "Flag"},
            "free": {"type": "string"}
        }}));
        let notes = annotated(&schema);
        assert_eq!(notes.len(), 3);
        let args = obj(json!({"region": "Hello", "n": 42, "flag": true, "free": "x"}));
        let good = headers(&[
            ("mcp-param-region", "=?base64?SGVsbG8=?="),
            ("mcp-param-n", "42"),
            ("mcp-param-flag", "true"),
        ]);
        assert!(check_params(&good, &notes, Some(&args)).is_ok());
        for bad in [
            headers(&[
                ("mcp-param-region", "Hello"),
                ("mcp-param-n", "43"),
                ("mcp-param-flag", "true"),
            ]),
            headers(&[("mcp-param-region", "Hello"), ("mcp-param-flag", "true")]),
            headers(&[
                ("mcp-param-region", "=?base64?SGVsbG8?="),
                ("mcp-param-n", "42"),
                ("mcp-param-flag", "true"),
            ]),
            headers(&[
                ("mcp-param-region", "hello"),
                ("mcp-param-n", "42"),
                ("mcp-param-flag", "true"),
            ]),
        ] {
            assert!(check_params(&bad, &notes, Some(&args)).is_err());
        }
        // Null or absent arguments take no header, and may not have one.
        let sparse = obj(json!({"region": null}));
        assert!(check_params(&HeaderMap::new(), &notes, Some(&sparse)).is_ok());
        assert!(check_params(&headers(&[("mcp-param-n", "1")]), &notes, Some(&sparse)).is_err());
    }
}
