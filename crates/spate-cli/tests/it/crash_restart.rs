//! The crash test of issue 23: `spate serve --data-dir` is killed with SIGKILL while a client
//! reads an SSE stream, started again on the same directory and port, and the client resumes
//! with `Last-Event-ID` on the same `Mcp-Session-Id` (no new `initialize`). Afterwards every
//! stream the client read is compared with what the database holds: each event the server
//! committed reached the client exactly once, in order, and the client saw nothing else.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use futures_util::StreamExt;
use serde_json::{Value, json};
use spate::store::event_log::EventLog;

use crate::served::BIN;

/// Kills the server mid-stream this many times.
const KILLS: usize = 5;
/// Events the client reads from a call before the server is killed.
const BEFORE_KILL: usize = 2100;
/// Files per `process_files` call (two events each: a log message and a progress).
const FILES: usize = 3000;

/// A `spate serve` child on a fixed data directory.
struct Server {
    child: Child,
    addr: String,
}

impl Server {
    fn start(dir: &Path, listen: &str) -> Self {
        let mut child = Command::new(BIN)
            .args(["serve", "--listen", listen, "--data-dir"])
            .arg(dir)
            .stderr(Stdio::piped())
            .stdout(Stdio::null())
            .spawn()
            .expect("start spate serve");
        let mut lines = BufReader::new(child.stderr.take().expect("stderr"));
        let mut line = String::new();
        lines.read_line(&mut line).expect("announcement");
        let start = line
            .find("http://")
            .expect("serve announces its URL: {line}")
            + 7;
        let end = line[start..].find("/mcp").expect("the endpoint is /mcp") + start;
        let addr = line[start..end].to_owned();
        std::thread::spawn(move || for _ in lines.lines() {});
        Self { child, addr }
    }

    fn kill(mut self) {
        // `Child::kill` is SIGKILL on Unix: no shutdown code runs.
        self.child.kill().expect("SIGKILL");
        self.child.wait().expect("reap");
    }
}

/// One SSE event: its id and data.
struct Event {
    id: String,
    data: String,
}

/// Reads SSE events from `response` into `out` until `enough` of them (with data) arrived,
/// the stream ended, or nothing came for `idle`.
async fn read_events(
    response: reqwest::Response,
    out: &mut Vec<Event>,
    enough: usize,
    idle: Duration,
) {
    let mut body = response.bytes_stream();
    let mut buf = Vec::new();
    let mut got = 0;
    while got < enough {
        let chunk = match tokio::time::timeout(idle, body.next()).await {
            Ok(Some(Ok(chunk))) => chunk,
            _ => return,
        };
        buf.extend_from_slice(&chunk);
        while let Some(end) = buf.windows(2).position(|w| w == b"\n\n") {
            let block: Vec<u8> = buf.drain(..end + 2).collect();
            let text = String::from_utf8(block).expect("UTF-8 events");
            let (mut id, mut data) = (None, String::new());
            for line in text.lines() {
                if let Some(v) = line.strip_prefix("id: ") {
                    id = Some(v.to_owned());
                } else if let Some(v) = line.strip_prefix("data: ") {
                    data.push_str(v);
                }
            }
            if let (Some(id), false) = (id, data.is_empty()) {
                out.push(Event { id, data });
                got += 1;
            }
        }
    }
}

fn post(
    client: &reqwest::Client,
    addr: &str,
    session: Option<&str>,
    body: &Value,
) -> reqwest::RequestBuilder {
    let mut request = client
        .post(format!("http://{addr}/mcp"))
        .header("content-type", "application/json")
        .header("accept", "application/json, text/event-stream")
        .header("mcp-protocol-version", "2025-11-25")
        .body(body.to_string());
    if let Some(session) = session {
        request = request.header("mcp-session-id", session);
    }
    request
}

/// Splits an event id `session.stream.seq`.
fn stream_and_seq(id: &str) -> (u64, u64) {
    let mut parts = id.rsplitn(3, '.');
    let seq = parts.next().unwrap().parse().unwrap();
    let stream = parts.next().unwrap().parse().unwrap();
    (stream, seq)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigkill_mid_stream_loses_and_repeats_nothing() {
    let started = Instant::now();
    let dir = std::env::temp_dir().join(format!("spate-crash-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let mut server = Server::start(&dir, "127.0.0.1:0");
    let addr = server.addr.clone();
    let client = reqwest::Client::new();

    let init = json!({"jsonrpc": "2.0", "id": 0, "method": "initialize", "params": {
        "protocolVersion": "2025-11-25", "capabilities": {},
        "clientInfo": {"name": "crash-test", "version": "1"}}});
    let answer = post(&client, &addr, None, &init).send().await.unwrap();
    assert!(answer.status().is_success(), "{}", answer.status());
    let session = answer.headers()["mcp-session-id"]
        .to_str()
        .unwrap()
        .to_owned();
    let initialized = json!({"jsonrpc": "2.0", "method": "notifications/initialized"});
    let sent = post(&client, &addr, Some(&session), &initialized)
        .send()
        .await
        .unwrap();
    assert_eq!(sent.status(), 202);

    let files: Vec<String> = (0..FILES).map(|i| format!("f{i}")).collect();
    let mut received = Vec::new();
    let mut replayed = 0;
    for round in 0..=KILLS {
        let last_round = round == KILLS;
        let count = if last_round { 500 } else { FILES };
        let call = json!({"jsonrpc": "2.0", "id": round + 1, "method": "tools/call", "params": {
            "name": "process_files",
            "arguments": {"files": files[..count], "delay_ms": 1},
            "_meta": {"progressToken": format!("p{round}")}}});
        // The session made before the last kill answers without a new initialize.
        let response = post(&client, &addr, Some(&session), &call)
            .send()
            .await
            .unwrap();
        assert!(
            response.status().is_success(),
            "round {round}: {}",
            response.status()
        );
        if last_round {
            read_events(response, &mut received, usize::MAX, Duration::from_secs(10)).await;
            let last = received.last().expect("events");
            assert!(
                last.data.contains("Done: processed 500 files"),
                "{}",
                last.data
            );
            break;
        }
        read_events(
            response,
            &mut received,
            BEFORE_KILL,
            Duration::from_secs(10),
        )
        .await;
        // The client stops reading while the call goes on: the events committed meanwhile
        // (some on the wire, some not yet sent) are the ones the resumption must replay.
        tokio::time::sleep(Duration::from_millis(150)).await;
        server.kill();
        server = Server::start(&dir, &addr);
        let last_id = received.last().expect("events before the kill").id.clone();
        let resumed = client
            .get(format!("http://{addr}/mcp"))
            .header("accept", "text/event-stream")
            .header("mcp-session-id", &session)
            .header("mcp-protocol-version", "2025-11-25")
            .header("last-event-id", &last_id)
            .send()
            .await
            .unwrap();
        assert!(
            resumed.status().is_success(),
            "resume after kill {round}: {}",
            resumed.status()
        );
        // What was committed before the kill is replayed at once; then the stream is idle
        // (the call died with the process).
        let before = received.len();
        read_events(
            resumed,
            &mut received,
            usize::MAX,
            Duration::from_millis(700),
        )
        .await;
        replayed += received.len() - before;
    }
    server.kill();

    // What the client saw, stream by stream, against what the database holds.
    let mut seen: BTreeMap<u64, Vec<(u64, String)>> = BTreeMap::new();
    for event in &received {
        assert!(event.id.starts_with(&session), "{}", event.id);
        let (stream, seq) = stream_and_seq(&event.id);
        seen.entry(stream)
            .or_default()
            .push((seq, event.data.clone()));
    }
    assert_eq!(
        seen.len(),
        KILLS + 1,
        "one stream per call, none reused: {:?}",
        seen.keys()
    );
    let db =
        spate::store::sqlite::Database::open_dir(&dir, spate::store::sqlite::Durability::Normal)
            .unwrap();
    let log = Arc::new(
        spate::store::sqlite::event_log::SqliteEventLog::open(db, Default::default())
            .await
            .unwrap(),
    );
    let (mut lost, mut duplicated, mut total) = (0usize, 0usize, 0usize);
    for (stream, events) in &seen {
        let stored = log
            .read_after(&format!("{session}.{stream}"), 0, usize::MAX)
            .await
            .unwrap();
        // The client must have every event from 1 to the last one committed, once each, in
        // order; the log's retention may have dropped the oldest ones already (after they
        // were delivered), and those it still holds must be what the client saw.
        let seqs: Vec<u64> = events.iter().map(|(s, _)| *s).collect();
        let mut distinct = seqs.clone();
        distinct.sort_unstable();
        distinct.dedup();
        duplicated += seqs.len() - distinct.len();
        lost += usize::try_from(stored.last_seq).unwrap() - distinct.len();
        assert!(
            seqs.windows(2).all(|w| w[1] == w[0] + 1) && seqs.first() == Some(&1),
            "stream {stream}: out of order or a gap"
        );
        total += events.len();
        let kept: Vec<(u64, String)> = stored
            .events
            .iter()
            .map(|e| (e.seq, String::from_utf8(e.data.to_vec()).unwrap()))
            .collect();
        let tail = &events[events.len().saturating_sub(kept.len())..];
        assert_eq!(
            tail,
            &kept[..],
            "stream {stream}: what the client saw is what was committed"
        );
    }
    eprintln!(
        "crash test: {total} events over {} streams, {KILLS} SIGKILLs, {replayed} replayed \
         after a kill, {lost} lost, {duplicated} duplicated, {:?}",
        seen.len(),
        started.elapsed()
    );
    assert_eq!((lost, duplicated), (0, 0));
    assert!(total >= 10_000, "only {total} events");
    assert!(replayed > 0, "the kills never caught an event in flight");
    let _ = std::fs::remove_dir_all(&dir);
}
