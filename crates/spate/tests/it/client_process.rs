//! The client's handling of server processes and of what a server answers to `initialize`.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use spate::client::{Client, ConnectError};
use spate::engine::{InboundFrame, Transport};
use spate::transport::stdio::{ChildServer, StderrMode, StdioCommand};

fn sh(script: &str) -> StdioCommand {
    StdioCommand::new("sh", ["-c", script])
}

#[tokio::test]
async fn shutdown_closes_stdin_first_and_a_well_behaved_server_exits_by_itself() {
    let mut command = sh("cat >/dev/null; exit 7");
    command.shutdown_wait = Duration::from_secs(5);
    let (child, _transport) = ChildServer::spawn(&command).unwrap();
    let status = child.shutdown().await.unwrap();
    assert_eq!(
        status.code(),
        Some(7),
        "it should have exited on stdin EOF: {status}"
    );
}

#[tokio::test]
async fn shutdown_escalates_to_sigterm_then_sigkill() {
    use std::os::unix::process::ExitStatusExt;
    let mut command = sh("exec sleep 30");
    command.shutdown_wait = Duration::from_millis(200);
    let (child, _t) = ChildServer::spawn(&command).unwrap();
    let status = child.shutdown().await.unwrap();
    assert_eq!(status.signal(), Some(libc::SIGTERM), "{status}");

    let (child, _t) = ChildServer::spawn(&{
        let mut c = sh("trap '' TERM; while :; do sleep 0.05; done");
        c.shutdown_wait = Duration::from_millis(200);
        c
    })
    .unwrap();
    let started = Instant::now();
    let status = child.shutdown().await.unwrap();
    assert_eq!(status.signal(), Some(libc::SIGKILL), "{status}");
    assert!(started.elapsed() < Duration::from_secs(3));
}

#[tokio::test]
async fn environment_is_passed_and_stderr_captured() {
    let lines = Arc::new(Mutex::new(Vec::new()));
    let sink = lines.clone();
    let command = sh("echo \"token=$SPATE_TEST_TOKEN\" >&2; cat >/dev/null")
        .env("SPATE_TEST_TOKEN", "s3cret")
        .stderr(StderrMode::Capture(Arc::new(move |l| {
            sink.lock().unwrap().push(l)
        })));
    let (child, _t) = ChildServer::spawn(&command).unwrap();
    for _ in 0..200 {
        if !lines.lock().unwrap().is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert_eq!(*lines.lock().unwrap(), vec!["token=s3cret".to_owned()]);
    assert!(child.shutdown().await.unwrap().success());
}

#[tokio::test]
async fn a_missing_program_is_a_clear_error() {
    let err = Client::builder("t", "0")
        .connect_stdio(StdioCommand::new(
            "/nonexistent/server",
            Vec::<String>::new(),
        ))
        .await
        .unwrap_err();
    assert!(matches!(err, ConnectError::Spawn(_)), "{err}");
}

/// A fake server that answers `initialize` with the given protocol version and records what it got.
async fn fake_server(version: &'static str) -> (Transport, tokio::task::JoinHandle<Vec<Value>>) {
    let (mine, theirs) = (
        tokio::sync::mpsc::channel::<InboundFrame>(8),
        tokio::sync::mpsc::channel::<spate::engine::OutboundFrame>(8),
    );
    let (to_client, inbound) = mine;
    let (outbound, mut from_client) = theirs;
    let task = tokio::spawn(async move {
        let mut seen = Vec::new();
        while let Ok(Some(bytes)) =
            tokio::time::timeout(Duration::from_millis(300), from_client.recv()).await
        {
            let message: Value = serde_json::from_slice(&bytes.bytes).unwrap();
            if message["method"] == "initialize" {
                let reply = json!({"jsonrpc": "2.0", "id": message["id"], "result": {
                    "protocolVersion": version, "capabilities": {}, "serverInfo": {"name": "fake", "version": "0"}}});
                to_client
                    .send(InboundFrame::Bytes(reply.to_string().into_bytes()))
                    .await
                    .unwrap();
            }
            seen.push(message);
        }
        seen
    });
    (Transport { inbound, outbound }, task)
}

#[tokio::test]
async fn version_negotiation_accepts_older_versions_and_refuses_unknown_ones() {
    let (transport, server) = fake_server("2024-11-05").await;
    let client = Client::builder("t", "0").connect(transport).await.unwrap();
    assert_eq!(client.protocol_version().as_str(), "2024-11-05");
    let seen = server.await.unwrap();
    assert_eq!(
        seen[0]["params"]["protocolVersion"], "2025-11-25",
        "we offer the newest handshake version"
    );
    assert_eq!(seen[1]["method"], "notifications/initialized");

    for bad in ["1999-01-01", "2026-07-28"] {
        let (transport, server) = fake_server(bad).await;
        let err = Client::builder("t", "0")
            .connect(transport)
            .await
            .unwrap_err();
        assert!(
            matches!(err, ConnectError::UnsupportedVersion(ref v) if v == bad),
            "{err}"
        );
        let seen = server.await.unwrap();
        assert!(
            seen.iter()
                .all(|m| m["method"] != "notifications/initialized"),
            "must not proceed after refusing"
        );
    }
}
