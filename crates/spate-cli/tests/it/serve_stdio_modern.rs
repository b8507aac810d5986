//! `spate serve --stdio` speaking 2026-07-28 per request on the same process (and the same
//! pipe) as a legacy session: discovery, results with `resultType`, removed methods, logs only
//! on request, an `input_required` round, and a listen stream whose notifications carry its
//! subscription id.

use serde_json::{Value, json};

use crate::stdio_support::Server;

fn meta(caps: Value, extra: Value) -> Value {
    let mut m = json!({
        "io.modelcontextprotocol/protocolVersion": "2026-07-28",
        "io.modelcontextprotocol/clientCapabilities": caps,
    });
    if let (Some(m), Some(extra)) = (m.as_object_mut(), extra.as_object()) {
        m.extend(extra.clone());
    }
    m
}

fn request(id: i64, method: &str, params: Value) -> Value {
    json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params})
}

#[tokio::test]
async fn modern_requests_are_answered_per_request_without_a_handshake() {
    let mut s = Server::start(&[]).await;
    s.send(request(
        1,
        "server/discover",
        json!({"_meta": meta(json!({}), json!({}))}),
    ))
    .await;
    let (discover, _) = s.response(1).await;
    let r = &discover["result"];
    assert_eq!(r["supportedVersions"], json!(["2026-07-28"]), "{discover}");
    assert_eq!(r["resultType"], "complete");
    assert_eq!(
        r["_meta"]["io.modelcontextprotocol/serverInfo"]["name"],
        "spate"
    );

    s.send(request(
        2,
        "tools/call",
        json!({"name": "calculate", "arguments": {"a": 10, "b": 20}, "_meta": meta(json!({}), json!({}))}),
    ))
    .await;
    let (calc, _) = s.response(2).await;
    assert_eq!(calc["result"]["content"][0]["text"], "Result: 30");
    assert_eq!(calc["result"]["resultType"], "complete");

    for (id, removed) in [(3, "ping"), (4, "initialize"), (5, "logging/setLevel")] {
        s.send(request(
            id,
            removed,
            json!({"_meta": meta(json!({}), json!({}))}),
        ))
        .await;
        let (answer, _) = s.response(id).await;
        assert_eq!(answer["error"]["code"], -32601, "{removed}: {answer}");
    }

    // Logs only when this request asks, and only at or above its level.
    let files = json!({"files": ["a", "b"]});
    s.send(request(
        6,
        "tools/call",
        json!({"name": "process_files", "arguments": files, "_meta": meta(json!({}), json!({"progressToken": "t"}))}),
    ))
    .await;
    let (_, quiet) = s.response(6).await;
    assert!(
        quiet.iter().all(|n| n["method"] != "notifications/message"),
        "{quiet:?}"
    );
    assert_eq!(
        quiet
            .iter()
            .filter(|n| n["method"] == "notifications/progress")
            .count(),
        2
    );
    s.send(request(
        7,
        "tools/call",
        json!({"name": "process_files", "arguments": files,
               "_meta": meta(json!({}), json!({"io.modelcontextprotocol/logLevel": "info"}))}),
    ))
    .await;
    let (_, chatty) = s.response(7).await;
    assert_eq!(
        chatty
            .iter()
            .filter(|n| n["method"] == "notifications/message")
            .count(),
        2,
        "{chatty:?}"
    );

    // The same pipe still does the legacy handshake and session.
    s.initialize().await;
    s.still_serving(8).await;
}

#[tokio::test]
async fn an_elicitation_becomes_an_input_required_round_on_stdio() {
    let mut s = Server::start(&[]).await;
    let caps = json!({"elicitation": {}});
    let args = json!({"action": "deploy"});
    s.send(request(
        1,
        "tools/call",
        json!({"name": "confirm_action", "arguments": args, "_meta": meta(caps.clone(), json!({}))}),
    ))
    .await;
    let (first, notes) = s.response(1).await;
    assert!(
        notes.iter().all(|n| n.get("id").is_none()),
        "no request to the client: {notes:?}"
    );
    let result = &first["result"];
    assert_eq!(result["resultType"], "input_required", "{first}");
    let (key, question) = result["inputRequests"]
        .as_object()
        .and_then(|m| m.iter().next())
        .map(|(k, v)| (k.clone(), v.clone()))
        .expect("one input request");
    assert_eq!(question["method"], "elicitation/create");
    let state = result["requestState"].clone();

    s.send(request(
        2,
        "tools/call",
        json!({"name": "confirm_action", "arguments": args, "_meta": meta(caps, json!({})),
               "inputResponses": {key: {"action": "accept", "content": {"confirm": true, "note": "go"}}},
               "requestState": state}),
    ))
    .await;
    let (done, _) = s.response(2).await;
    let text = done["result"]["content"][0]["text"]
        .as_str()
        .unwrap_or_default();
    assert!(text.starts_with("User accept"), "{done}");
    assert!(text.contains("go"), "{done}");
}

#[tokio::test]
async fn a_listen_stream_on_stdio_is_tagged_with_its_subscription_id() {
    let mut s = Server::start(&[]).await;
    s.send(request(
        41,
        "subscriptions/listen",
        json!({"notifications": {"resourceSubscriptions": ["demo://clock"]}, "_meta": meta(json!({}), json!({}))}),
    ))
    .await;
    let ack = s.recv().await;
    assert_eq!(
        ack["method"], "notifications/subscriptions/acknowledged",
        "{ack}"
    );
    assert_eq!(
        ack["params"]["_meta"]["io.modelcontextprotocol/subscriptionId"],
        41
    );
    // Other requests go on while it listens.
    s.send(request(
        42,
        "tools/call",
        json!({"name": "calculate", "arguments": {"a": 1, "b": 1}, "_meta": meta(json!({}), json!({}))}),
    ))
    .await;
    let (calc, _) = s.response(42).await;
    assert_eq!(calc["result"]["content"][0]["text"], "Result: 2");
    // The demo clock changes every 5 s.
    let update = loop {
        let m = s.recv().await;
        if m["method"] == "notifications/resources/updated" {
            break m;
        }
    };
    assert_eq!(update["params"]["uri"], "demo://clock");
    assert_eq!(
        update["params"]["_meta"]["io.modelcontextprotocol/subscriptionId"],
        41
    );
    // Cancelling the listen request ends it.
    s.send(
        json!({"jsonrpc": "2.0", "method": "notifications/cancelled", "params": {"requestId": 41}}),
    )
    .await;
    s.still_serving(43).await;
}
