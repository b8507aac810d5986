//! Our client, over HTTP, against official peers: `@modelcontextprotocol/server-everything`
//! in its `streamableHttp` and `sse` modes (TypeScript SDK), and a server on the official
//! Python SDK with an event store that closes its SSE stream mid-call
//! (`interop/python/http_server.py`), which only a client that resumes correctly completes.
//!
//! Like `official_peers.rs`, these need the peers that `scripts/test` installs (they are
//! `#[ignore]`d otherwise): `SPATE_NODE`, `SPATE_EVERYTHING`, `SPATE_PY2`, and the
//! repository's `interop/` folder beside this crate.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::json;
use spate::client::{CallOptions, Client};
use spate::transport::http::client::{HttpClientOptions, HttpTransportKind, HttpTransportMode};

use super::support::{
    exercise_server_everything, handlers, logs_until, progress_recorder, python_server,
    server_everything, text_of,
};

async fn connect(url: &str, mode: HttpTransportMode, prompts: Arc<Mutex<Vec<String>>>) -> Client {
    let options = {
        let mut config = HttpClientOptions::default();
        config.mode = mode;
        config
    };
    Client::builder("spate-interop", "0")
        .handlers(handlers(prompts))
        .connect_http(url, options)
        .await
        .unwrap_or_else(|e| panic!("connect to {url}: {e}"))
}

#[tokio::test]
#[ignore = "needs the official peers: run scripts/test"]
async fn drives_server_everything_over_streamable_http() {
    let (_peer, port) = server_everything("streamableHttp");
    let url = format!("http://127.0.0.1:{port}/mcp");
    let prompts = Arc::new(Mutex::new(Vec::new()));
    let client = connect(&url, HttpTransportMode::Streamable, prompts.clone()).await;
    let http = client.http().expect("an HTTP client");
    assert_eq!(http.kind(), Some(HttpTransportKind::Streamable));
    assert!(
        http.session_id().is_some(),
        "server-everything issues sessions"
    );
    exercise_server_everything(&client, &prompts).await;
    client.close().await;
}

#[tokio::test]
#[ignore = "needs the official peers: run scripts/test"]
async fn drives_server_everything_over_the_old_sse_transport() {
    let (_peer, port) = server_everything("sse");
    let url = format!("http://127.0.0.1:{port}/sse");
    // Auto mode: the POST to /sse is refused, so the client falls back to HTTP+SSE itself.
    let prompts = Arc::new(Mutex::new(Vec::new()));
    let client = connect(&url, HttpTransportMode::Auto, prompts.clone()).await;
    assert_eq!(
        client.http().expect("an HTTP client").kind(),
        Some(HttpTransportKind::LegacySse)
    );
    exercise_server_everything(&client, &prompts).await;
    client.close().await;
}

#[tokio::test]
#[ignore = "needs the official peers: run scripts/test"]
async fn resumes_a_python_sdk_stream_the_server_closes_mid_call() {
    let (_peer, url) = python_server(200);
    let prompts = Arc::new(Mutex::new(Vec::new()));
    let client = connect(&url, HttpTransportMode::Streamable, prompts.clone()).await;
    let sum = client
        .call_tool("add", json!({"a": 2, "b": 40}), CallOptions::default())
        .await
        .unwrap();
    assert_eq!(text_of(&sum), "Sum: 42");

    let mut notes = client.notifications();
    let (options, seen) = progress_recorder();
    let polled = client
        .call_tool(
            "slow_poll",
            json!({"n": 6, "close_after": 2, "delay_ms": 30}),
            options,
        )
        .await
        .unwrap();
    assert_eq!(text_of(&polled), "Polled 6");
    // Every progress notification exactly once and in order, across the reconnection.
    assert_eq!(*seen.lock().unwrap(), vec![1.0, 2.0, 3.0, 4.0, 5.0, 6.0]);
    let logs = logs_until(&mut notes, Duration::from_secs(2), |l| l.len() >= 6).await;
    let expected: Vec<String> = (1..=6).map(|i| format!("poll {i}/6")).collect();
    assert_eq!(logs, expected);

    let asked = client
        .call_tool(
            "ask_user",
            json!({"question": "who?"}),
            CallOptions::default(),
        )
        .await
        .unwrap();
    assert!(text_of(&asked).contains("Ada Lovelace"), "{asked:?}");
    client.close().await;
}
