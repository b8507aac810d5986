//! Our client, over HTTP, against official peers: `@modelcontextprotocol/server-everything`
//! in its `streamableHttp` and `sse` modes (TypeScript SDK), and a server on the official
//! Python SDK with an event store that closes its SSE stream mid-call
//! (`interop/python/http_server.py`), which only a client that resumes correctly completes.
//!
//! Like `official_peers.rs`, these need the peers that `scripts/test` installs (they are
//! `#[ignore]`d otherwise): `SPATE_NODE`, `SPATE_EVERYTHING`, `SPATE_PY2`, and the
//! repository's `interop/` folder beside this crate.

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::json;
use spate::client::{CallOptions, Client, ClientHandlers, NotificationStream};
use spate::http_client::{HttpClientOptions, HttpTransportKind, HttpTransportMode};
use spate_protocol::{
    ContentBlock, CreateMessageResult, ElicitResult, LoggingLevel,
    LoggingMessageNotificationParams, Role, SamplingContentBlock, methods,
};

fn env(name: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| {
        panic!("{name} is not set: run scripts/test, which installs the official peers")
    })
}

fn interop_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../interop")
}

/// A peer server child process, killed on drop.
struct Peer(Child);

impl Drop for Peer {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// A port that was free a moment ago (server-everything takes its port from `PORT`).
fn free_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.local_addr().unwrap().port()
}

/// Starts server-everything in `mode` on 127.0.0.1 and waits until it accepts connections.
fn server_everything(mode: &str) -> (Peer, u16) {
    let port = free_port();
    let preload = interop_dir().join("ts/loopback-listen.mjs");
    let child = Command::new(env("SPATE_NODE"))
        .arg("--import")
        .arg(&preload)
        .arg(env("SPATE_EVERYTHING"))
        .arg(mode)
        .env("PORT", port.to_string())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start server-everything");
    let peer = Peer(child);
    for _ in 0..200 {
        if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
            return (peer, port);
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    panic!("server-everything {mode} did not listen on 127.0.0.1:{port}");
}

/// Starts the Python SDK server and reads the URL it announces.
fn python_server(retry_ms: u64) -> (Peer, String) {
    let mut child = Command::new(env("SPATE_PY2"))
        .arg(interop_dir().join("python/http_server.py"))
        .args(["--retry-ms", &retry_ms.to_string()])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("start the Python SDK server");
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .expect("announcement");
    let url = line
        .trim()
        .strip_prefix("listening on ")
        .unwrap_or_else(|| panic!("unexpected first line {line:?}"))
        .to_owned();
    (Peer(child), url)
}

/// Sampling answers "forty-two"; elicitation accepts with only `name` (defaults fill the rest).
fn handlers() -> ClientHandlers {
    ClientHandlers::default()
        .sampling(false, |_params| async move {
            Ok(CreateMessageResult {
                role: Role::Assistant,
                content: SamplingContentBlock::text("forty-two").into(),
                model: "spate-test-model".into(),
                stop_reason: Some(spate_protocol::sampling::STOP_END_TURN.into()),
                meta: None,
            })
        })
        .elicitation(false, |_params| async move {
            let mut content = spate_protocol::JsonObject::new();
            content.insert("name".into(), json!("Ada Lovelace"));
            Ok(ElicitResult::accept(content))
        })
}

async fn connect(url: &str, mode: HttpTransportMode) -> Client {
    let options = HttpClientOptions {
        mode,
        ..Default::default()
    };
    Client::builder("spate-interop", "0")
        .handlers(handlers())
        .connect_http(url, options)
        .await
        .unwrap_or_else(|e| panic!("connect to {url}: {e}"))
}

fn text_of(result: &spate_protocol::CallToolResult) -> String {
    result
        .content
        .iter()
        .filter_map(|b| match b {
            ContentBlock::Text(t) => Some(t.text.as_str()),
            _ => None,
        })
        .collect::<Vec<_>>()
        .join("\n")
}

fn progress_recorder() -> (CallOptions, Arc<Mutex<Vec<f64>>>) {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let sink = seen.clone();
    (
        CallOptions::with_progress(move |p| sink.lock().unwrap().push(p.progress)),
        seen,
    )
}

/// The data of the log notifications that arrive within `within`, until `stop` says enough.
async fn logs_until(
    stream: &mut NotificationStream,
    within: Duration,
    stop: impl Fn(&[String]) -> bool,
) -> Vec<String> {
    let mut seen = Vec::new();
    let _ = tokio::time::timeout(within, async {
        while !stop(&seen) {
            let Ok(note) = stream.recv().await else { break };
            if note.method == methods::NOTIFICATIONS_MESSAGE {
                let log: LoggingMessageNotificationParams = note.parse_params().expect("log");
                seen.push(
                    log.data
                        .as_str()
                        .map_or(log.data.to_string(), str::to_owned),
                );
            }
        }
    })
    .await;
    seen
}

/// What every transport of server-everything must give: tools, progress, a log on the
/// session's stream, sampling and elicitation round trips, resources and prompts.
async fn exercise_server_everything(client: &Client) {
    let tools = client.list_all_tools().await.unwrap();
    let names: Vec<&str> = tools.iter().map(|t| t.name.as_str()).collect();
    for expected in [
        "get-sum",
        "trigger-long-running-operation",
        "trigger-sampling-request",
    ] {
        assert!(names.contains(&expected), "{expected} missing: {names:?}");
    }
    let sum = client
        .call_tool("get-sum", json!({"a": 2, "b": 3}), CallOptions::default())
        .await
        .unwrap();
    assert!(text_of(&sum).contains('5'), "{sum:?}");

    let (options, seen) = progress_recorder();
    let long = client
        .call_tool(
            "trigger-long-running-operation",
            json!({"duration": 1, "steps": 3}),
            options,
        )
        .await
        .unwrap();
    assert_ne!(long.is_error, Some(true), "{long:?}");
    assert_eq!(*seen.lock().unwrap(), vec![1.0, 2.0, 3.0]);

    // Simulated logs are not tied to a request: they travel on the session's own stream.
    let mut notes = client.notifications();
    client.set_logging_level(LoggingLevel::Debug).await.unwrap();
    client
        .call_tool(
            "toggle-simulated-logging",
            json!({}),
            CallOptions::default(),
        )
        .await
        .unwrap();
    let logs = logs_until(&mut notes, Duration::from_secs(8), |l| !l.is_empty()).await;
    assert!(!logs.is_empty(), "no log arrived on the session stream");

    let sampled = client
        .call_tool(
            "trigger-sampling-request",
            json!({"prompt": "meaning of life"}),
            CallOptions::default(),
        )
        .await
        .unwrap();
    assert!(text_of(&sampled).contains("forty-two"), "{sampled:?}");
    let elicited = client
        .call_tool(
            "trigger-elicitation-request",
            json!({}),
            CallOptions::default(),
        )
        .await
        .unwrap();
    let text = text_of(&elicited);
    assert!(text.contains("Ada Lovelace"), "{text}");
    assert!(text.contains("It was a dark and stormy night."), "{text}");

    let resources = client.list_all_resources().await.unwrap();
    let read = client.read_resource(&resources[0].uri).await.unwrap();
    assert!(!read.contents.is_empty());
    assert!(!client.list_all_prompts().await.unwrap().is_empty());
}

#[tokio::test]
#[ignore = "needs the official peers: run scripts/test"]
async fn drives_server_everything_over_streamable_http() {
    let (_peer, port) = server_everything("streamableHttp");
    let url = format!("http://127.0.0.1:{port}/mcp");
    let client = connect(&url, HttpTransportMode::Streamable).await;
    let http = client.http().expect("an HTTP client");
    assert_eq!(http.kind(), Some(HttpTransportKind::Streamable));
    assert!(
        http.session_id().is_some(),
        "server-everything issues sessions"
    );
    exercise_server_everything(&client).await;
    client.close().await;
}

#[tokio::test]
#[ignore = "needs the official peers: run scripts/test"]
async fn drives_server_everything_over_the_old_sse_transport() {
    let (_peer, port) = server_everything("sse");
    let url = format!("http://127.0.0.1:{port}/sse");
    // Auto mode: the POST to /sse is refused, so the client falls back to HTTP+SSE itself.
    let client = connect(&url, HttpTransportMode::Auto).await;
    assert_eq!(
        client.http().expect("an HTTP client").kind(),
        Some(HttpTransportKind::LegacySse)
    );
    exercise_server_everything(&client).await;
    client.close().await;
}

#[tokio::test]
#[ignore = "needs the official peers: run scripts/test"]
async fn resumes_a_python_sdk_stream_the_server_closes_mid_call() {
    let (_peer, url) = python_server(200);
    let client = connect(&url, HttpTransportMode::Streamable).await;
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
