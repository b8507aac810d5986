//! 2026-07-28 requests as a correct client sends them, and their answers.

use serde_json::{Value, json};

use reqwest::StatusCode;

use super::ACCEPT;

/// The protocol version of these requests.
pub const V: &str = "2026-07-28";

/// The `_meta` of a request declaring `caps`.
pub fn meta(caps: Value) -> Value {
    json!({
        "io.modelcontextprotocol/protocolVersion": V,
        "io.modelcontextprotocol/clientCapabilities": caps,
        "io.modelcontextprotocol/clientInfo": {"name": "raw", "version": "1"}
    })
}

/// A modern POST with the headers a correct client sends (`Mcp-Name` from the params).
pub fn request(
    s: &super::Running,
    id: i64,
    method: &str,
    params: Value,
) -> reqwest::RequestBuilder {
    request_with(s, id, method, params, &[])
}

/// The same with some headers replaced (an empty value removes the header).
pub fn request_with(
    s: &super::Running,
    id: i64,
    method: &str,
    params: Value,
    replace: &[(&str, &str)],
) -> reqwest::RequestBuilder {
    let mut headers = std::collections::BTreeMap::from([
        ("mcp-protocol-version", V.to_owned()),
        ("mcp-method", method.to_owned()),
    ]);
    if let Some(name) = params
        .get("name")
        .or_else(|| params.get("uri"))
        .and_then(Value::as_str)
    {
        headers.insert("mcp-name", name.to_owned());
    }
    for (k, v) in replace {
        headers.insert(k, (*v).to_owned());
    }
    let mut rb = s
        .client
        .post(format!("{}/mcp", s.base))
        .header("content-type", "application/json")
        .header("accept", ACCEPT);
    for (k, v) in headers {
        if !v.is_empty() {
            rb = rb.header(k, v);
        }
    }
    rb.json(&json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params}))
}

/// The status and the JSON-RPC message of an answer (the last event of an SSE answer).
pub async fn answer(rb: reqwest::RequestBuilder) -> (StatusCode, Value) {
    let r = rb.send().await.unwrap();
    let status = r.status();
    let text = r.text().await.unwrap();
    let body = if let Some(data) = text.lines().rev().find_map(|l| l.strip_prefix("data: ")) {
        serde_json::from_str(data).unwrap()
    } else {
        serde_json::from_str(&text).unwrap_or(Value::Null)
    };
    (status, body)
}
