//! The `conformance-server` binary as the runner starts it: over stdio, and over HTTP on a
//! port it picks and announces.

use std::process::Stdio;
use std::time::Duration;

use serde_json::{Value, json};
use spate::client::{CallOptions, Client};
use spate::transport::stdio::StdioCommand;
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;
use tokio::process::{Child, Command};

const BIN: &str = env!("CARGO_BIN_EXE_conformance-server");

#[tokio::test]
async fn serves_one_client_over_stdio() {
    let client = Client::builder("binary-test", "1")
        .connect_stdio(StdioCommand::new(BIN, ["--stdio"]))
        .await
        .expect("initialize over stdio");
    assert_eq!(client.server().server_info.name, "spate-conformance-server");
    let result = client
        .call_tool("test_simple_text", json!({}), CallOptions::default())
        .await
        .unwrap();
    assert_eq!(
        result.content[0].as_text(),
        Some("This is a simple text response for testing.")
    );
    client.close().await;
}

#[tokio::test]
async fn refuses_unknown_arguments() {
    let out = Command::new(BIN).arg("--bogus").output().await.unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("usage:"));
    let none = Command::new(BIN).output().await.unwrap();
    assert_eq!(none.status.code(), Some(2));
}

/// Starts `--listen 127.0.0.1:0` and reads the announced URL.
async fn listening(extra: &[&str]) -> (Child, String) {
    let mut child = Command::new(BIN)
        .args(["--listen", "127.0.0.1:0"])
        .args(extra)
        .stdout(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let line = tokio::time::timeout(Duration::from_secs(10), lines.next_line())
        .await
        .expect("announces in time")
        .unwrap()
        .expect("a line");
    let url = line
        .strip_prefix("listening on ")
        .unwrap_or_else(|| panic!("unexpected first line {line:?}"))
        .to_owned();
    (child, url)
}

/// One HTTP/1.1 POST with `Connection: close`; returns (status, headers, body).
async fn post(url: &str, session: Option<&str>, body: &Value) -> (u16, String, String) {
    let rest = url.strip_prefix("http://").unwrap();
    let (authority, path) = rest.split_at(rest.find('/').unwrap());
    let mut stream = TcpStream::connect(authority).await.unwrap();
    let body = body.to_string();
    let session = session
        .map(|s| format!("Mcp-Session-Id: {s}\r\nMCP-Protocol-Version: 2025-11-25\r\n"))
        .unwrap_or_default();
    let request = format!(
        "POST {path} HTTP/1.1\r\nHost: {authority}\r\nContent-Type: application/json\r\n\
         Accept: application/json, text/event-stream\r\n{session}Content-Length: {}\r\n\
         Connection: close\r\n\r\n{body}",
        body.len()
    );
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut raw = String::new();
    tokio::time::timeout(Duration::from_secs(10), stream.read_to_string(&mut raw))
        .await
        .expect("the response ends")
        .unwrap();
    let (head, body) = raw.split_once("\r\n\r\n").unwrap();
    let status = head[9..12].parse().unwrap();
    (status, head.to_ascii_lowercase(), body.to_owned())
}

fn session_id(head: &str) -> String {
    head.lines()
        .find_map(|l| l.strip_prefix("mcp-session-id: "))
        .expect("a session id")
        .trim()
        .to_owned()
}

#[tokio::test]
async fn serves_streamable_http_on_the_announced_port() {
    let (mut child, url) = listening(&[]).await;
    assert!(
        url.starts_with("http://127.0.0.1:") && url.ends_with("/mcp"),
        "{url}"
    );
    let (status, head, body) = post(
        &url,
        None,
        &json!({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
            "protocolVersion": "2025-11-25", "capabilities": {},
            "clientInfo": {"name": "raw", "version": "1"}}}),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert!(body.contains("spate-conformance-server"), "{body}");
    let session = session_id(&head);
    let (status, _, _) = post(
        &url,
        Some(&session),
        &json!({"jsonrpc": "2.0", "method": "notifications/initialized"}),
    )
    .await;
    assert_eq!(status, 202);
    let (status, head, body) = post(
        &url,
        Some(&session),
        &json!({"jsonrpc": "2.0", "id": 2, "method": "tools/call",
                "params": {"name": "test_simple_text", "arguments": {}}}),
    )
    .await;
    assert_eq!(status, 200);
    assert!(head.contains("content-type: application/json"), "{head}");
    let answer: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(
        answer["result"]["content"][0]["text"],
        "This is a simple text response for testing."
    );
    child.kill().await.unwrap();
}

#[tokio::test]
async fn sse_mode_primes_every_post_stream() {
    let (mut child, url) = listening(&["--response-mode", "sse", "--retry-ms", "250"]).await;
    let (status, head, body) = post(
        &url,
        None,
        &json!({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
            "protocolVersion": "2025-11-25", "capabilities": {},
            "clientInfo": {"name": "raw", "version": "1"}}}),
    )
    .await;
    assert_eq!(status, 200);
    assert!(head.contains("content-type: text/event-stream"), "{head}");
    assert!(body.contains("retry: 250"), "{body}");
    assert!(body.contains("spate-conformance-server"), "{body}");
    child.kill().await.unwrap();
}

#[tokio::test]
async fn ends_cleanly_on_sigterm() {
    let (child, _url) = listening(&[]).await;
    let pid = child.id().unwrap();
    let status = Command::new("kill")
        .args(["-TERM", &pid.to_string()])
        .status()
        .await
        .unwrap();
    assert!(status.success());
    let out = tokio::time::timeout(Duration::from_secs(10), child.wait_with_output())
        .await
        .expect("exits after SIGTERM")
        .unwrap();
    assert!(out.status.success(), "{:?}", out.status);
}
