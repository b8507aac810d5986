//! The 2026-07-28 era over real HTTP on 127.0.0.1, spoken to with plain requests: the
//! validation ladder and its status codes, hostile `requestState`s, `subscriptions/listen`
//! (delivery, filtering, a reader that never reads), and both eras on one endpoint.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use reqwest::StatusCode;
use serde_json::{Value, json};
use spate::server::{RequestStateKeys, ServerConfig};
use spate::transport::http::server::HttpConfig;

use crate::http_support::modern::{V, answer, meta, request, request_with};
use crate::http_support::{
    self, ACCEPT, read_events, start, start_with, test_server_counting, test_server_with,
};

fn call(name: &str, arguments: Value, caps: Value) -> Value {
    json!({"name": name, "arguments": arguments, "_meta": meta(caps)})
}

#[tokio::test]
async fn the_validation_ladder_answers_each_fault_with_its_code_and_status() {
    let s = start(HttpConfig::default()).await;
    let add = call("add", json!({"a": 1, "b": 2}), json!({}));

    let (status, ok) = answer(request(&s, 1, "tools/call", add.clone())).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(ok["result"]["content"][0]["text"], "3");
    assert_eq!(ok["result"]["resultType"], "complete");

    let cases: Vec<(&str, reqwest::RequestBuilder, StatusCode, i64)> = vec![
        (
            "no MCP-Protocol-Version",
            request_with(
                &s,
                2,
                "tools/call",
                add.clone(),
                &[("mcp-protocol-version", "")],
            ),
            StatusCode::BAD_REQUEST,
            -32020,
        ),
        (
            "no Mcp-Method",
            request_with(&s, 2, "tools/call", add.clone(), &[("mcp-method", "")]),
            StatusCode::BAD_REQUEST,
            -32020,
        ),
        (
            "Mcp-Method differs",
            request_with(
                &s,
                3,
                "tools/call",
                add.clone(),
                &[("mcp-method", "tools/list")],
            ),
            StatusCode::BAD_REQUEST,
            -32020,
        ),
        (
            "Mcp-Method given twice",
            request(&s, 3, "tools/call", add.clone()).header("mcp-method", "tools/call"),
            StatusCode::BAD_REQUEST,
            -32020,
        ),
        (
            "Mcp-Name differs",
            request_with(&s, 4, "tools/call", add.clone(), &[("mcp-name", "slow")]),
            StatusCode::BAD_REQUEST,
            -32020,
        ),
        (
            "no Mcp-Name",
            request_with(&s, 4, "tools/call", add.clone(), &[("mcp-name", "")]),
            StatusCode::BAD_REQUEST,
            -32020,
        ),
        (
            "no clientCapabilities",
            request(
                &s,
                5,
                "tools/list",
                json!({"_meta": {"io.modelcontextprotocol/protocolVersion": V}}),
            ),
            StatusCode::BAD_REQUEST,
            -32602,
        ),
        (
            "unknown version in header and _meta",
            request_with(
                &s,
                6,
                "tools/list",
                json!({"_meta": {
                    "io.modelcontextprotocol/protocolVersion": "v999.0.0",
                    "io.modelcontextprotocol/clientCapabilities": {}}}),
                &[("mcp-protocol-version", "v999.0.0")],
            ),
            StatusCode::BAD_REQUEST,
            -32022,
        ),
        (
            "header and _meta disagree",
            request(
                &s,
                7,
                "tools/list",
                json!({"_meta": {
                    "io.modelcontextprotocol/protocolVersion": "v999.0.0",
                    "io.modelcontextprotocol/clientCapabilities": {}}}),
            ),
            StatusCode::BAD_REQUEST,
            -32020,
        ),
        (
            "removed method",
            request(&s, 8, "ping", json!({"_meta": meta(json!({}))})),
            StatusCode::NOT_FOUND,
            -32601,
        ),
        (
            "unknown method",
            request(&s, 9, "nope/nothing", json!({"_meta": meta(json!({}))})),
            StatusCode::NOT_FOUND,
            -32601,
        ),
    ];
    for (what, rb, status, code) in cases {
        let (got, body) = answer(rb).await;
        assert_eq!(got, status, "{what}: {body}");
        assert_eq!(body["error"]["code"], code, "{what}: {body}");
        assert!(body["id"].is_number(), "{what}: the id is echoed: {body}");
    }
    let (_, unsupported) = answer(request_with(
        &s,
        10,
        "tools/list",
        json!({"_meta": {
            "io.modelcontextprotocol/protocolVersion": "v999.0.0",
            "io.modelcontextprotocol/clientCapabilities": {}}}),
        &[("mcp-protocol-version", "v999.0.0")],
    ))
    .await;
    assert_eq!(
        unsupported["error"]["data"],
        json!({"supported": [V], "requested": "v999.0.0"})
    );
    // A client response has no place in 2026-07-28; a notification is accepted and dropped.
    let response = s
        .client
        .post(format!("{}/mcp", s.base))
        .header("content-type", "application/json")
        .header("accept", ACCEPT)
        .header("mcp-protocol-version", V)
        .json(&json!({"jsonrpc": "2.0", "id": 1, "result": {}}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    // The server still serves after all that.
    let (status, _) = answer(request(&s, 11, "tools/call", add)).await;
    assert_eq!(status, StatusCode::OK);
}

/// Runs `ask` once without an answer and returns the sealed state it hands out.
async fn first_round(s: &http_support::Running, question: &str) -> Value {
    let (status, body) = answer(request(
        s,
        1,
        "tools/call",
        call(
            "ask",
            json!({"question": question}),
            json!({"elicitation": {}}),
        ),
    ))
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let result = body["result"].clone();
    assert_eq!(result["resultType"], "input_required", "{result}");
    assert_eq!(
        result["inputRequests"]["elicitation-1"]["method"],
        "elicitation/create"
    );
    result
}

fn retry(question: &str, state: &Value, name: &str) -> Value {
    let mut params = call(
        "ask",
        json!({"question": question}),
        json!({"elicitation": {}}),
    );
    params["inputResponses"] =
        json!({"elicitation-1": {"action": "accept", "content": {"name": name}}});
    params["requestState"] = state.clone();
    params
}

#[tokio::test]
async fn request_state_is_sealed_bound_and_checked() {
    let s = start(HttpConfig::default()).await;
    let first = first_round(&s, "who?").await;
    let state = first["requestState"].clone();
    assert!(state.as_str().is_some_and(|t| t.starts_with("v1.")));

    let (status, done) = answer(request(&s, 2, "tools/call", retry("who?", &state, "Ada"))).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(done["result"]["content"][0]["text"], "answered \"Ada\"");

    let hostile = [
        (
            "tampered",
            json!(format!("{}-TAMPERED", state.as_str().unwrap())),
        ),
        ("garbage", json!("v1.local.e30.AAAA")),
        ("not a string", json!(12345)),
        ("huge", json!("x".repeat(600 * 1024))),
    ];
    for (what, bad) in hostile {
        let (status, body) = answer(request(&s, 3, "tools/call", retry("who?", &bad, "Eve"))).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{what}: {body}");
        assert_eq!(body["error"]["code"], -32602, "{what}: {body}");
    }
    // A state issued for other arguments does not open for these.
    let (status, body) = answer(request(
        &s,
        4,
        "tools/call",
        retry("other question", &state, "Eve"),
    ))
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");

    // Another server (another key) refuses it; one sharing the keys accepts it.
    let keys = RequestStateKeys::parse("k1:AAECAwQFBgcICQoLDA0ODxAREhMUFRYX").unwrap();
    let config = || {
        let mut config = ServerConfig::default();
        config.request_state_keys = keys.clone();
        config
    };
    let a = start_with(test_server_with(config()), HttpConfig::default()).await;
    let b = start_with(test_server_with(config()), HttpConfig::default()).await;
    let (status, _) = answer(request(&a, 5, "tools/call", retry("who?", &state, "Eve"))).await;
    assert_eq!(
        status,
        StatusCode::BAD_REQUEST,
        "a foreign key must not verify"
    );
    let from_a = first_round(&a, "who?").await["requestState"].clone();
    let (status, done) = answer(request(
        &b,
        6,
        "tools/call",
        retry("who?", &from_a, "Grace"),
    ))
    .await;
    assert_eq!(status, StatusCode::OK, "{done}");
    assert_eq!(done["result"]["content"][0]["text"], "answered \"Grace\"");
}

#[tokio::test]
async fn a_listen_stream_gets_only_what_it_asked_for_tagged_with_its_id() {
    let s = start(HttpConfig::default()).await;
    let params = json!({"notifications": {"resourceSubscriptions": ["mem://r"], "toolsListChanged": true},
                        "_meta": meta(json!({}))});
    let mut stream = request(&s, 77, "subscriptions/listen", params)
        .send()
        .await
        .unwrap();
    assert_eq!(stream.status(), StatusCode::OK);
    assert_eq!(stream.headers()["content-type"], "text/event-stream");
    let ack = read_events(&mut stream, 1, Duration::from_secs(5)).await;
    let ack: Value = serde_json::from_str(&ack[0].data).unwrap();
    assert_eq!(ack["method"], "notifications/subscriptions/acknowledged");
    assert_eq!(
        ack["params"]["_meta"]["io.modelcontextprotocol/subscriptionId"],
        77
    );
    assert_eq!(
        ack["params"]["notifications"],
        json!({"resourceSubscriptions": ["mem://r"], "toolsListChanged": true})
    );

    s.handle.resource_updated("mem://other"); // not asked for
    s.handle.resource_updated("mem://r");
    s.handle.remove_prompt("none"); // no change, no event
    s.handle.remove_tool("slow");
    let events = read_events(&mut stream, 2, Duration::from_secs(5)).await;
    let events: Vec<Value> = events
        .iter()
        .map(|e| serde_json::from_str(&e.data).unwrap())
        .collect();
    assert_eq!(events.len(), 2, "{events:?}");
    assert_eq!(events[0]["method"], "notifications/resources/updated");
    assert_eq!(events[0]["params"]["uri"], "mem://r");
    assert_eq!(events[1]["method"], "notifications/tools/list_changed");
    for e in &events {
        assert_eq!(
            e["params"]["_meta"]["io.modelcontextprotocol/subscriptionId"],
            77
        );
    }
    assert_eq!(s.http.requests_in_progress(), 1);
    drop(stream);
    for _ in 0..100 {
        if s.http.requests_in_progress() == 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(
        s.http.requests_in_progress(),
        0,
        "closing the stream ends the listen"
    );
}

#[tokio::test]
async fn a_listener_that_never_reads_cannot_hold_up_the_server() {
    let s = start(HttpConfig::default()).await;
    let params =
        json!({"notifications": {"resourceSubscriptions": ["mem://r"]}, "_meta": meta(json!({}))});
    // Open the stream and never read from it.
    let stuck = request(&s, 1, "subscriptions/listen", params)
        .send()
        .await
        .unwrap();
    assert_eq!(stuck.status(), StatusCode::OK);
    for _ in 0..20_000 {
        s.handle.resource_updated("mem://r");
    }
    tokio::task::yield_now().await;
    // Others are served at once, in both eras.
    let started = std::time::Instant::now();
    let (status, body) = answer(request(
        &s,
        2,
        "tools/call",
        call("add", json!({"a": 2, "b": 2}), json!({})),
    ))
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let legacy = s.initialize().await;
    let reply = s
        .call(
            &legacy,
            1,
            "tools/call",
            json!({"name": "add", "arguments": {"a": 1, "b": 1}}),
        )
        .await;
    assert_eq!(reply.status(), StatusCode::OK);
    assert!(started.elapsed() < Duration::from_secs(5));
    assert_eq!(
        s.http.requests_in_progress(),
        1,
        "only the stuck listener is open"
    );
    drop(stuck);
    for _ in 0..100 {
        if s.http.requests_in_progress() == 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(s.http.requests_in_progress(), 0);
}

#[tokio::test]
async fn closing_a_response_stream_cancels_the_request() {
    let cancelled_slow_calls = Arc::new(AtomicUsize::new(0));
    let server = test_server_counting(ServerConfig::default(), cancelled_slow_calls.clone());
    let s = start_with(server, HttpConfig::default()).await;
    let params = json!({"name": "slow", "arguments": {"n": 1000, "delay_ms": 20},
                        "_meta": {"progressToken": "p", "io.modelcontextprotocol/protocolVersion": V,
                                  "io.modelcontextprotocol/clientCapabilities": {}}});
    let mut stream = request(&s, 1, "tools/call", params).send().await.unwrap();
    let first = read_events(&mut stream, 1, Duration::from_secs(5)).await;
    assert!(first[0].data.contains("notifications/progress"));
    assert_eq!(s.http.requests_in_progress(), 1);
    drop(stream);
    for _ in 0..100 {
        if s.http.requests_in_progress() == 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(
        s.http.requests_in_progress(),
        0,
        "the response ended with its stream"
    );
    let cancelled = || cancelled_slow_calls.load(Ordering::SeqCst);
    for _ in 0..100 {
        if cancelled() > 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(
        cancelled(),
        1,
        "the handler saw the cancellation and stopped"
    );
}

#[tokio::test]
async fn server_discover_and_cache_hints() {
    let s = start(HttpConfig::default()).await;
    let (status, body) = answer(request(
        &s,
        1,
        "server/discover",
        json!({"_meta": meta(json!({}))}),
    ))
    .await;
    assert_eq!(status, StatusCode::OK);
    let r = &body["result"];
    assert_eq!(r["supportedVersions"], json!([V]));
    assert_eq!(r["resultType"], "complete");
    assert!(r["ttlMs"].is_u64() && r["cacheScope"].is_string(), "{r}");
    assert_eq!(
        r["_meta"]["io.modelcontextprotocol/serverInfo"]["name"],
        "http-test"
    );
    assert!(r["capabilities"]["extensions"]["io.modelcontextprotocol/tasks"].is_object());
    assert!(
        r["capabilities"].get("tasks").is_none(),
        "the 2025-11-25 slot is not 2026's"
    );
    let (_, listed) = answer(request(
        &s,
        2,
        "tools/list",
        json!({"_meta": meta(json!({}))}),
    ))
    .await;
    assert!(listed["result"]["ttlMs"].is_u64());
    assert!(listed["result"]["cacheScope"].is_string());
    // No logs unless the request asks for them: the legacy default is the opposite.
    let none = request(
        &s,
        3,
        "resources/read",
        json!({"uri": "mem://r", "_meta": meta(json!({}))}),
    );
    let (status, read) = answer(none).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(read["result"]["contents"][0]["text"], "r");
    assert!(read["result"]["ttlMs"].is_u64());
}
