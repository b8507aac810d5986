//! What the tests against official peers share: finding and starting the peers that
//! `scripts/test` installs, client handlers that answer their requests, and the checks every
//! transport of server-everything must pass.

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::json;
use spate::client::{CallOptions, Client, ClientHandlers, NotificationStream};
use spate_protocol::{
    ContentBlock, CreateMessageResult, ElicitResult, LoggingLevel,
    LoggingMessageNotificationParams, Role, SamplingContentBlock, methods,
};

pub fn env(name: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| {
        panic!("{name} is not set: run scripts/test, which installs the official peers")
    })
}

pub fn interop_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../interop")
}

/// A peer server child process, killed on drop.
pub struct Peer(pub Child);

impl Drop for Peer {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// A port that was free a moment ago (server-everything takes its port from `PORT`).
pub fn free_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.local_addr().unwrap().port()
}

/// Starts server-everything in `mode` on 127.0.0.1 and waits until it accepts connections.
pub fn server_everything(mode: &str) -> (Peer, u16) {
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
pub fn python_server(retry_ms: u64) -> (Peer, String) {
    python_script_server(
        "python/http_server.py",
        &["--retry-ms", &retry_ms.to_string()],
    )
}

/// Starts an `interop/` Python SDK server script and reads the URL it announces on its first
/// line (`listening on URL`).
pub fn python_script_server(script: &str, args: &[&str]) -> (Peer, String) {
    let mut child = Command::new(env("SPATE_PY2"))
        .arg(interop_dir().join(script))
        .args(args)
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

/// Sampling answers "forty-two" and records the messages it was sent in `prompts`;
/// elicitation accepts with only `name` (the schema's defaults fill the rest).
pub fn handlers(prompts: Arc<Mutex<Vec<String>>>) -> ClientHandlers {
    ClientHandlers::default()
        .sampling(false, move |params| {
            let prompts = prompts.clone();
            async move {
                let text = serde_json::to_string(&params.messages).unwrap_or_default();
                prompts.lock().unwrap().push(text);
                Ok(CreateMessageResult {
                    role: Role::Assistant,
                    content: SamplingContentBlock::text("forty-two").into(),
                    model: "spate-test-model".into(),
                    stop_reason: Some(spate_protocol::sampling::STOP_END_TURN.into()),
                    meta: None,
                })
            }
        })
        .elicitation(false, |_params| async move {
            let mut content = spate_protocol::JsonObject::new();
            content.insert("name".into(), json!("Ada Lovelace"));
            Ok(ElicitResult::accept(content))
        })
}

pub fn text_of(result: &spate_protocol::CallToolResult) -> String {
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

pub fn progress_recorder() -> (CallOptions, Arc<Mutex<Vec<f64>>>) {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let sink = seen.clone();
    (
        CallOptions::with_progress(move |p| sink.lock().unwrap().push(p.progress)),
        seen,
    )
}

/// The data of the log notifications that arrive within `within`, until `stop` says enough.
pub async fn logs_until(
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
/// session's stream, sampling and elicitation round trips, resources and prompts. `prompts`
/// is what the client's sampling handler recorded ([`handlers`]).
pub async fn exercise_server_everything(client: &Client, prompts: &Mutex<Vec<String>>) {
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
    assert!(prompts.lock().unwrap()[0].contains("meaning of life"));
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
    // Defaults from the schema were filled in by our client.
    assert!(text.contains("It was a dark and stormy night."), "{text}");
    assert!(text.contains("42"), "{text}");

    let resources = client.list_all_resources().await.unwrap();
    let read = client.read_resource(&resources[0].uri).await.unwrap();
    assert!(!read.contents.is_empty());
    assert!(!client.list_all_prompts().await.unwrap().is_empty());
}
