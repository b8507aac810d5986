//! Server events fanned out to the standalone streams of many HTTP sessions, over real sockets
//! on 127.0.0.1: a subscriber that stops reading holds at most its stream's retention, does not
//! delay the others, and is told what it missed when it reads again.

use std::time::Duration;

use reqwest::{Response, StatusCode};
use serde_json::json;
use spate::transport::http::server::HttpConfig;

use crate::http_support::{self, read_events, start};

/// A server whose streams keep `kept` events each.
async fn start_keeping(kept: usize) -> http_support::Running {
    start({
        let mut config = HttpConfig::default();
        config.retention.max_events = kept;
        config
    })
    .await
}

async fn subscribed_stream(s: &http_support::Running, uri: &str) -> Response {
    let session = s.initialize().await;
    let stream = s
        .client
        .get(format!("{}/mcp", s.base))
        .header("accept", "text/event-stream")
        .header("mcp-session-id", &session)
        .send()
        .await
        .unwrap();
    assert_eq!(stream.status(), StatusCode::OK);
    let sub = s
        .call(&session, 1, "resources/subscribe", json!({ "uri": uri }))
        .await;
    assert_eq!(sub.status(), StatusCode::OK);
    stream
}

#[tokio::test]
async fn a_stalled_subscriber_is_bounded_does_not_delay_others_and_learns_its_gap() {
    const KEPT: usize = 100;
    const UPDATES: usize = 1500;
    let s = start_keeping(KEPT).await;
    // 16 KiB per notification: 24 MB in all, more than the sockets between us can buffer.
    let uri = format!("mem://r?{}", "p".repeat(16 * 1024));
    let mut stalled = subscribed_stream(&s, &uri).await;
    let mut reader = subscribed_stream(&s, &uri).await;
    for i in 0..UPDATES {
        s.handle.resource_updated(&uri);
        let mut got = read_events(&mut reader, 1, Duration::from_secs(5)).await;
        if got.first().is_some_and(|e| e.data.is_empty()) {
            got = read_events(&mut reader, 1, Duration::from_secs(5)).await; // after priming
        }
        assert_eq!(got.len(), 1, "update {i} must reach the reading subscriber");
        assert!(got[0].data.contains("notifications/resources/updated"));
    }
    let held = s.http.event_count().unwrap();
    assert!(
        held <= 2 * KEPT,
        "the log holds {held} events; retention allows {KEPT} a stream"
    );

    // The stalled subscriber reads again: what it gets is in order, without repeats, and
    // the gap is announced before the events that follow it.
    const GAP: &str = "dropped by retention";
    let mut text = String::new();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    loop {
        let chunk = tokio::time::timeout_at(deadline, stalled.chunk())
            .await
            .expect("the gap must be announced")
            .unwrap()
            .expect("the stream stays open");
        let from = text.len().saturating_sub(GAP.len());
        text.push_str(&String::from_utf8_lossy(&chunk));
        if text.get(from..).is_some_and(|tail| tail.contains(GAP)) {
            break;
        }
    }
    let seqs: Vec<u64> = text
        .lines()
        .filter_map(|l| l.strip_prefix("id: "))
        .filter_map(|id| id.rsplit('.').next()?.parse().ok())
        .collect();
    assert!(seqs.windows(2).all(|w| w[0] < w[1]), "in order, no repeats");
    assert!(
        (seqs.len()) < UPDATES,
        "the stalled subscriber cannot have had everything before its gap"
    );
}

#[tokio::test]
async fn a_burst_longer_than_the_retention_reaches_its_live_reader_whole() {
    // More than one cooperative budget (128) of events, fewer than the burst.
    const KEPT: usize = 300;
    const BURST: usize = 1000;
    let s = start_keeping(KEPT).await;
    let session = s.initialize().await;
    let args = json!({"name": "burst", "arguments": {"n": BURST},
        "_meta": {"progressToken": "burst"}});
    let mut answer = s.call(&session, 7, "tools/call", args).await;
    assert_eq!(answer.status(), StatusCode::OK);
    let events = read_events(&mut answer, BURST + 2, Duration::from_secs(20)).await;
    let progress: Vec<u64> = events
        .iter()
        .filter(|e| e.data.contains("notifications/progress"))
        .map(|e| {
            let v: serde_json::Value = serde_json::from_str(&e.data).unwrap();
            v["params"]["progress"].as_f64().unwrap() as u64
        })
        .collect();
    let expected: Vec<u64> = (1..=BURST as u64).collect();
    assert_eq!(
        progress, expected,
        "every progress event, in order, none dropped"
    );
    assert!(events.last().unwrap().data.contains("burst done"));
}
