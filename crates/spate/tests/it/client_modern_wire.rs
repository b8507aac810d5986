//! Our client's 2026-07-28 wire, seen from scripted servers on 127.0.0.1: the era probe
//! and its fallback to `initialize`, the retry after `-32022`, the request-metadata
//! headers (`Mcp-Name`, `Mcp-Param-*`), tools with invalid `x-mcp-header` annotations,
//! `input_required` rounds (state echoed, bounded), and the cache hints.

use std::sync::{Arc, Mutex};

use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use http::{HeaderMap, Method, StatusCode};
use serde_json::{Value, json};
use spate::client::{CallOptions, Client, ClientHandlers, ConnectError, EraChoice, EraMemory};
use spate::engine::PeerError;
use spate::transport::http::client::HttpClientOptions;
use spate_protocol::{ElicitResult, Era, JsonObject};

/// One request the scripted server got.
#[derive(Debug, Clone)]
struct Seen {
    method: Method,
    headers: HeaderMap,
    body: Value,
}

impl Seen {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).map(|v| v.to_str().unwrap())
    }

    fn rpc_method(&self) -> &str {
        self.body["method"].as_str().unwrap_or("")
    }

    fn meta(&self) -> &Value {
        &self.body["params"]["_meta"]
    }
}

/// What the scripted server answers.
enum Reply {
    Json(StatusCode, Value),
    /// A 200 JSON answer that starts session `s1`.
    Session(Value),
    Text(StatusCode),
}

type Script = dyn Fn(&Seen, &[Seen]) -> Reply + Send + Sync;

#[derive(Clone)]
struct Mock {
    seen: Arc<Mutex<Vec<Seen>>>,
    script: Arc<Script>,
}

async fn handle(
    State(mock): State<Mock>,
    method: Method,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let seen = Seen {
        method,
        headers,
        body: serde_json::from_slice(&body).unwrap_or(Value::Null),
    };
    let before = mock.seen.lock().unwrap().clone();
    let reply = (mock.script)(&seen, &before);
    mock.seen.lock().unwrap().push(seen);
    match reply {
        Reply::Json(status, value) => (
            status,
            [(http::header::CONTENT_TYPE, "application/json")],
            Body::from(value.to_string()),
        )
            .into_response(),
        Reply::Session(value) => (
            [
                (http::header::CONTENT_TYPE, "application/json"),
                (http::HeaderName::from_static("mcp-session-id"), "s1"),
            ],
            Body::from(value.to_string()),
        )
            .into_response(),
        Reply::Text(status) => (status, "no").into_response(),
    }
}

/// Serves `script` at `http://127.0.0.1:PORT/mcp`; returns the URL and what it saw.
async fn serve(
    script: impl Fn(&Seen, &[Seen]) -> Reply + Send + Sync + 'static,
) -> (String, Arc<Mutex<Vec<Seen>>>) {
    let mock = Mock {
        seen: Arc::new(Mutex::new(Vec::new())),
        script: Arc::new(script),
    };
    let seen = mock.seen.clone();
    let router = axum::Router::new()
        .route("/mcp", axum::routing::any(handle))
        .with_state(mock);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/mcp", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, router).await });
    (url, seen)
}

fn result(seen: &Seen, result: Value) -> Reply {
    Reply::Json(
        StatusCode::OK,
        json!({"jsonrpc": "2.0", "id": seen.body["id"], "result": result}),
    )
}

fn error(seen: &Seen, status: StatusCode, code: i64, data: Option<Value>) -> Reply {
    let mut error = json!({"code": code, "message": "refused"});
    if let Some(data) = data {
        error["data"] = data;
    }
    Reply::Json(
        status,
        json!({"jsonrpc": "2.0", "id": seen.body["id"], "error": error}),
    )
}

fn discovered(seen: &Seen) -> Reply {
    result(
        seen,
        json!({"resultType": "complete", "supportedVersions": ["2026-07-28"],
            "capabilities": {"tools": {}}, "ttlMs": 0, "cacheScope": "private",
            "_meta": {"io.modelcontextprotocol/serverInfo": {"name": "mock", "version": "9"}}}),
    )
}

/// Where every client of these tests remembers the era of each origin, as one would share it.
fn eras() -> Arc<EraMemory> {
    static ERAS: std::sync::OnceLock<Arc<EraMemory>> = std::sync::OnceLock::new();
    ERAS.get_or_init(Arc::default).clone()
}

async fn connect(url: &str, era: EraChoice) -> Result<Client, ConnectError> {
    Client::builder("wire-test", "1.2")
        .era(era)
        .era_memory(eras())
        .handlers(ClientHandlers::default().elicitation(false, |_| async {
            let mut content = JsonObject::new();
            content.insert("confirmed".into(), json!(true));
            Ok(ElicitResult::accept(content))
        }))
        .connect_http(url, HttpClientOptions::default())
        .await
}

fn methods_of(seen: &[Seen]) -> Vec<String> {
    seen.iter()
        .map(|s| match s.method {
            Method::POST => s.rpc_method().to_owned(),
            ref other => other.to_string(),
        })
        .collect()
}

#[tokio::test]
async fn every_modern_post_carries_the_envelope_and_the_first_rejection_is_retried() {
    // As the conformance suite's request-metadata mock: the very first request, whatever
    // it is, gets 400 + -32022.
    let (url, seen) = serve(|s, before| {
        if before.is_empty() {
            let data = json!({"supported": ["2026-07-28"], "requested": "2026-07-28"});
            return error(s, StatusCode::BAD_REQUEST, -32022, Some(data));
        }
        match s.rpc_method() {
            "server/discover" => discovered(s),
            "tools/list" => result(
                s,
                json!({"resultType": "complete", "tools": [],
                "ttlMs": 0, "cacheScope": "private"}),
            ),
            _ => result(s, json!({"resultType": "complete", "content": []})),
        }
    })
    .await;
    let client = connect(&url, EraChoice::Auto).await.unwrap();
    assert_eq!(client.era(), Era::Modern);
    assert_eq!(client.server().server_info.name, "mock");
    assert_eq!(
        client.discover_result().unwrap().supported_versions,
        ["2026-07-28"]
    );
    client.list_all_tools().await.unwrap();
    client
        .call_tool(
            "add_numbers",
            json!({"a": 5, "b": 3}),
            CallOptions::default(),
        )
        .await
        .unwrap();
    client.close().await;

    let seen = seen.lock().unwrap().clone();
    assert_eq!(
        methods_of(&seen),
        [
            "server/discover",
            "server/discover",
            "tools/list",
            "tools/call"
        ],
        "no initialize, no GET stream, no DELETE"
    );
    assert_ne!(
        seen[0].body["id"], seen[1].body["id"],
        "the retry has a new id"
    );
    for s in &seen {
        assert_eq!(s.header("mcp-protocol-version"), Some("2026-07-28"));
        assert_eq!(
            s.meta()["io.modelcontextprotocol/protocolVersion"],
            "2026-07-28"
        );
        assert_eq!(
            s.meta()["io.modelcontextprotocol/clientInfo"]["name"],
            "wire-test"
        );
        assert_eq!(
            s.meta()["io.modelcontextprotocol/clientCapabilities"],
            json!({"elicitation": {"form": {}},
                   "extensions": {"io.modelcontextprotocol/events": {}}})
        );
        assert_eq!(s.header("mcp-method"), Some(s.rpc_method()));
        assert_eq!(s.header("mcp-session-id"), None);
        assert!(s.header("accept").unwrap().contains("text/event-stream"));
    }
    assert_eq!(seen[3].header("mcp-name"), Some("add_numbers"));
}

/// A legacy Streamable HTTP server: anything but `initialize` without a session is refused
/// the way `refusal` says; with a session it answers like a 2025-11-25 server.
fn legacy_server(refusal: fn(&Seen) -> Reply) -> impl Fn(&Seen, &[Seen]) -> Reply {
    move |s, _| {
        if s.method != Method::POST {
            return Reply::Text(StatusCode::METHOD_NOT_ALLOWED);
        }
        match s.rpc_method() {
            "initialize" => Reply::Session(json!({"jsonrpc": "2.0", "id": s.body["id"],
                "result": {"protocolVersion": "2025-11-25", "capabilities": {"tools": {}},
                    "serverInfo": {"name": "old", "version": "1"}}})),
            _ if s.header("mcp-session-id").is_none() && s.body.get("id").is_some() => refusal(s),
            "notifications/initialized" => Reply::Text(StatusCode::ACCEPTED),
            _ => result(s, json!({"tools": []})),
        }
    }
}

#[tokio::test]
async fn any_non_modern_refusal_of_the_probe_falls_back_to_initialize() {
    let refusals: [fn(&Seen) -> Reply; 4] = [
        // The TypeScript SDK: 400 with a -32000 body.
        |s| error(s, StatusCode::BAD_REQUEST, -32000, None),
        // A JSON-RPC "method not found" in a 200.
        |s| error(s, StatusCode::OK, -32601, None),
        // Plain HTTP errors without a JSON-RPC body.
        |_| Reply::Text(StatusCode::NOT_FOUND),
        |_| Reply::Text(StatusCode::BAD_REQUEST),
    ];
    for refusal in refusals {
        let (url, seen) = serve(legacy_server(refusal)).await;
        let client = connect(&url, EraChoice::Auto).await.unwrap();
        assert_eq!(client.era(), Era::Legacy);
        assert_eq!(client.server().server_info.name, "old");
        client.list_all_tools().await.unwrap();
        client.close().await;
        let first = methods_of(&seen.lock().unwrap());
        assert_eq!(
            &first[..3],
            ["server/discover", "initialize", "notifications/initialized"]
        );
        let legacy_list = seen
            .lock()
            .unwrap()
            .iter()
            .find(|s| s.rpc_method() == "tools/list")
            .cloned()
            .unwrap();
        assert!(
            legacy_list.body["params"].get("_meta").is_none(),
            "no envelope in legacy"
        );
        assert_eq!(legacy_list.header("mcp-method"), None);

        // The origin is remembered as legacy: the next connection does not probe.
        seen.lock().unwrap().clear();
        let again = connect(&url, EraChoice::Auto).await.unwrap();
        assert_eq!(again.era(), Era::Legacy);
        again.close().await;
        assert_eq!(methods_of(&seen.lock().unwrap())[0], "initialize");
    }
}

#[tokio::test]
async fn a_recognised_modern_refusal_is_not_a_reason_to_fall_back() {
    let (url, seen) = serve(|s, _| {
        let data = json!({"supported": ["2099-01-01"], "requested": "2026-07-28"});
        error(s, StatusCode::BAD_REQUEST, -32022, Some(data))
    })
    .await;
    let err = connect(&url, EraChoice::Auto).await.unwrap_err();
    assert!(
        matches!(&err, ConnectError::Discover(PeerError::Remote(e)) if e.code == -32022),
        "{err}"
    );
    assert!(
        methods_of(&seen.lock().unwrap())
            .iter()
            .all(|m| m == "server/discover"),
        "never initialize a server that named only modern versions"
    );
    // Forced modern against a legacy server fails instead of falling back.
    let (url, _) = serve(legacy_server(|s| {
        error(s, StatusCode::BAD_REQUEST, -32000, None)
    }))
    .await;
    assert!(matches!(
        connect(&url, EraChoice::Modern).await,
        Err(ConnectError::Discover(_))
    ));
}

#[tokio::test]
async fn param_headers_follow_valid_annotations_and_invalid_tools_are_dropped() {
    let (url, seen) = serve(|s, _| match s.rpc_method() {
        "server/discover" => discovered(s),
        "tools/list" => result(
            s,
            json!({"resultType": "complete", "ttlMs": 0,
                "cacheScope": "private", "tools": [
                {"name": "valid_tool", "inputSchema": {"type": "object", "properties": {
                    "region": {"type": "string", "x-mcp-header": "Region"},
                    "priority": {"type": "integer", "x-mcp-header": "Priority"},
                    "verbose": {"type": "boolean", "x-mcp-header": "Verbose"},
                    "note": {"type": "string", "x-mcp-header": "Note"},
                    "query": {"type": "string"}}}},
                {"name": "invalid_number", "inputSchema": {"type": "object", "properties": {
                    "score": {"type": "number", "x-mcp-header": "Score"}}}},
                {"name": "invalid_duplicate", "inputSchema": {"type": "object", "properties": {
                    "a": {"type": "string", "x-mcp-header": "MyField"},
                    "b": {"type": "string", "x-mcp-header": "myfield"}}}},
                {"name": "invalid space", "inputSchema": {"type": "object", "properties": {
                    "v": {"type": "string", "x-mcp-header": "My Region"}}}}
            ]}),
        ),
        _ => result(s, json!({"resultType": "complete", "content": []})),
    })
    .await;
    let client = connect(&url, EraChoice::Modern).await.unwrap();
    let names: Vec<String> = client
        .list_all_tools()
        .await
        .unwrap()
        .into_iter()
        .map(|t| t.name)
        .collect();
    assert_eq!(names, ["valid_tool"]);
    let args = json!({"region": "us west 1", "priority": 42, "verbose": null,
        "note": "Hello, 世界", "query": "SELECT 1"});
    client
        .call_tool("valid_tool", args, CallOptions::default())
        .await
        .unwrap();
    client.close().await;
    let seen = seen.lock().unwrap().clone();
    let call = seen
        .iter()
        .find(|s| s.rpc_method() == "tools/call")
        .unwrap();
    assert_eq!(call.header("mcp-name"), Some("valid_tool"));
    assert_eq!(call.header("mcp-param-region"), Some("us west 1"));
    assert_eq!(call.header("mcp-param-priority"), Some("42"));
    assert_eq!(call.header("mcp-param-verbose"), None, "null is omitted");
    assert_eq!(
        call.header("mcp-param-note"),
        Some("=?base64?SGVsbG8sIOS4lueVjA==?=")
    );
    assert_eq!(call.header("mcp-param-query"), None, "not annotated");
}

#[tokio::test]
async fn input_required_rounds_echo_the_state_and_stop_at_the_limit() {
    let (url, seen) = serve(|s, _| {
        let params = &s.body["params"];
        match (s.rpc_method(), params["name"].as_str()) {
            ("server/discover", _) => discovered(s),
            ("tools/call", Some("two_rounds")) if params["inputResponses"]["again"].is_object() => {
                result(s, json!({"content": [{"type": "text", "text": "done"}]}))
            }
            ("tools/call", Some("two_rounds")) => match params["requestState"].as_str() {
                None => result(
                    s,
                    json!({"resultType": "input_required",
                    "requestState": "{\"round\":1,\"ü\":\"é\"}",
                    "inputRequests": {"confirm": {"method": "elicitation/create",
                        "params": {"message": "sure?", "requestedSchema": {"type": "object",
                            "properties": {"confirmed": {"type": "boolean"}}}}}}}),
                ),
                Some("{\"round\":1,\"ü\":\"é\"}") => result(
                    s,
                    json!({"resultType":
                    "input_required", "inputRequests": {"again": {"method":
                        "elicitation/create", "params": {"message": "really?",
                        "requestedSchema": {"type": "object", "properties": {}}}}}}),
                ),
                Some(other) => panic!("state not echoed: {other}"),
            },
            ("tools/call", Some("forever")) => result(
                s,
                json!({"resultType":
                "input_required", "requestState": "again"}),
            ),
            ("tools/call", Some("unknown_kind")) => result(s, json!({"resultType": "later"})),
            _ => result(s, json!({"content": [{"type": "text", "text": "done"}]})),
        }
    })
    .await;
    let client = connect(&url, EraChoice::Modern).await.unwrap();
    // The first round asks with state, the second without: the third request carries the
    // answer to the second question and no state at all.
    let done = client
        .call_tool("two_rounds", json!({}), CallOptions::default())
        .await
        .unwrap();
    assert_eq!(done.content[0].as_text(), Some("done"));
    let calls: Vec<Seen> = seen
        .lock()
        .unwrap()
        .iter()
        .filter(|s| s.rpc_method() == "tools/call")
        .cloned()
        .collect();
    assert_eq!(calls.len(), 3);
    let ids: std::collections::HashSet<String> =
        calls.iter().map(|c| c.body["id"].to_string()).collect();
    assert_eq!(ids.len(), 3, "every round has a new id");
    assert!(calls[0].body["params"].get("inputResponses").is_none());
    assert_eq!(
        calls[1].body["params"]["inputResponses"],
        json!({"confirm": {"action": "accept", "content": {"confirmed": true}}})
    );
    assert_eq!(
        calls[1].body["params"]["requestState"],
        "{\"round\":1,\"ü\":\"é\"}"
    );
    assert_eq!(
        calls[2].body["params"]["inputResponses"]["again"]["action"],
        "accept"
    );
    assert!(calls[2].body["params"].get("requestState").is_none());
    assert!(
        calls[2].body["params"]["inputResponses"]
            .get("confirm")
            .is_none()
    );

    seen.lock().unwrap().clear();
    let err = client
        .call_tool("forever", json!({}), CallOptions::default())
        .await
        .unwrap_err();
    assert!(
        matches!(&err, PeerError::Malformed(m) if m.contains("8 rounds")),
        "{err}"
    );
    assert_eq!(
        seen.lock().unwrap().len(),
        9,
        "the first request and 8 retries"
    );
    let err = client
        .call_tool("unknown_kind", json!({}), CallOptions::default())
        .await
        .unwrap_err();
    assert!(
        matches!(&err, PeerError::Malformed(m) if m.contains("later")),
        "{err}"
    );
    client.close().await;
}

#[tokio::test]
async fn fresh_results_come_from_the_cache_until_their_ttl_ends() {
    let (url, seen) = serve(|s, _| match s.rpc_method() {
        "server/discover" => discovered(s),
        "tools/list" => result(
            s,
            json!({"resultType": "complete", "tools": [],
            "ttlMs": 300, "cacheScope": "private"}),
        ),
        "prompts/list" => result(
            s,
            json!({"resultType": "complete", "prompts": [],
            "ttlMs": 0, "cacheScope": "public"}),
        ),
        _ => result(s, json!({"resultType": "complete"})),
    })
    .await;
    let count = |method: &str| {
        seen.lock()
            .unwrap()
            .iter()
            .filter(|s| s.rpc_method() == method)
            .count()
    };
    let client = connect(&url, EraChoice::Modern).await.unwrap();
    for _ in 0..3 {
        client.list_tools(None).await.unwrap();
        client.list_prompts(None).await.unwrap();
    }
    assert_eq!(count("tools/list"), 1, "fresh for 300 ms");
    assert_eq!(count("prompts/list"), 3, "ttlMs 0 is never cached");
    tokio::time::sleep(std::time::Duration::from_millis(350)).await;
    client.list_tools(None).await.unwrap();
    assert_eq!(count("tools/list"), 2, "stale after its ttl");
    client.close().await;

    let uncached = Client::builder("wire-test", "1")
        .era(EraChoice::Modern)
        .result_cache(0)
        .connect_http(&url, HttpClientOptions::default())
        .await
        .unwrap();
    uncached.list_tools(None).await.unwrap();
    uncached.list_tools(None).await.unwrap();
    assert_eq!(count("tools/list"), 4, "the cache can be turned off");
    uncached.close().await;
}
