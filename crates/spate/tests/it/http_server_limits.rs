//! Per-session limits of the Streamable HTTP server over real sockets: open request streams
//! are capped (429 with Retry-After, the session keeps working), and everything a session
//! held is released when it ends, however many sessions come and go; finished streams kept
//! for resumption are capped per session, so one busy session cannot crowd out the others.

use std::time::Duration;

use reqwest::StatusCode;
use serde_json::{Value, json};
use spate::transport::http::server::{HttpConfig, ResponseMode};

use crate::http_support::{self, read_events, start, take_events};

/// A server answering over SSE that keeps `kept` delivered streams resumable per session.
async fn sse_server_keeping(kept: usize) -> http_support::Running {
    start({
        let mut config = HttpConfig::default();
        config.response_mode = ResponseMode::Sse;
        config.max_finished_streams_per_session = kept;
        config
    })
    .await
}

/// Calls `add` with `id` in an SSE-answering session; the id of its priming event.
async fn answered_call(s: &http_support::Running, session: &str, id: i64) -> String {
    let args = json!({"name": "add", "arguments": {"a": id, "b": 1}});
    let r = s.call(session, id, "tools/call", args).await;
    assert_eq!(r.status(), StatusCode::OK);
    let mut body = r.text().await.unwrap();
    let mut events = Vec::new();
    take_events(&mut body, &mut events);
    assert_eq!(events.len(), 2, "priming and answer: {events:?}");
    events[0].id.clone().expect("the priming event has an id")
}

#[tokio::test]
async fn each_session_keeps_only_its_newest_finished_streams_resumable() {
    let s = sse_server_keeping(2).await;
    let busy = s.initialize().await;
    let quiet = s.initialize().await;
    let quiet_stream = answered_call(&s, &quiet, 100).await;
    let mut primings = Vec::new();
    for id in 1..=3 {
        primings.push(answered_call(&s, &busy, id).await);
    }
    // The busy session's oldest finished stream made room for its third...
    assert_eq!(
        s.resume(&busy, &primings[0]).await.status(),
        StatusCode::NOT_FOUND
    );
    // ...its two newest still replay their answers...
    for (priming, id) in primings[1..].iter().zip([2, 3]) {
        let replay = s.resume(&busy, priming).await.text().await.unwrap();
        assert!(replay.contains(&format!("\"id\":{id}")), "{replay}");
    }
    // ...and the quiet session lost nothing to it.
    let replay = s.resume(&quiet, &quiet_stream).await.text().await.unwrap();
    assert!(replay.contains("\"id\":100"), "{replay}");
}

#[tokio::test]
async fn an_answer_that_never_reached_a_connection_outlives_the_per_session_cap() {
    let s = sse_server_keeping(1).await;
    let session = s.initialize().await;
    let slow = json!({"name": "slow", "arguments": {"n": 2, "delay_ms": 100},
                      "_meta": {"progressToken": "p"}});
    let mut r = s.call(&session, 1, "tools/call", slow).await;
    let seen = read_events(&mut r, 1, Duration::from_secs(5)).await;
    let priming = seen[0].id.clone().expect("the priming event has an id");
    drop(r); // the connection breaks before the answer
    tokio::time::sleep(Duration::from_millis(400)).await; // the call ends meanwhile
    // Two answers delivered after it fill the cap of one twice over...
    for id in 2..=3 {
        answered_call(&s, &session, id).await;
    }
    // ...yet the undelivered answer is still there to resume.
    let replay = s.resume(&session, &priming).await.text().await.unwrap();
    assert!(replay.contains("slow done 2"), "{replay}");
}

#[tokio::test]
async fn open_request_streams_per_session_are_capped_with_retry_after() {
    let s = start({
        let mut config = HttpConfig::default();
        config.max_streams_per_session = 2;
        config
    })
    .await;
    let session = s.initialize().await;
    let slow = json!({"name": "slow", "arguments": {"n": 1, "delay_ms": 800},
                      "_meta": {"progressToken": "p"}});
    // Two long calls hold the session's two request streams...
    let first = s.call(&session, 1, "tools/call", slow.clone());
    let second = s.call(&session, 2, "tools/call", slow.clone());
    let (first, second) = tokio::join!(first, second);
    assert_eq!(first.status(), StatusCode::OK);
    assert_eq!(second.status(), StatusCode::OK);
    // ...so a third request is refused at once, not queued, and says when to retry.
    let refused = s
        .call(
            &session,
            3,
            "tools/call",
            json!({"name": "add", "arguments": {"a": 1, "b": 2}}),
        )
        .await;
    assert_eq!(refused.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(refused.headers().contains_key("retry-after"));
    // Another session is not affected by this one's limit.
    let other = s.initialize().await;
    let elsewhere = s
        .call(
            &other,
            1,
            "tools/call",
            json!({"name": "add", "arguments": {"a": 2, "b": 2}}),
        )
        .await;
    assert_eq!(elsewhere.status(), StatusCode::OK);
    // Once the long calls are answered, the session is served again.
    let done = [first.text().await.unwrap(), second.text().await.unwrap()];
    for body in &done {
        assert!(body.contains("slow done 1"), "{body}");
    }
    let again = s
        .call(
            &session,
            4,
            "tools/call",
            json!({"name": "add", "arguments": {"a": 1, "b": 2}}),
        )
        .await;
    assert_eq!(again.status(), StatusCode::OK);
    let body: Value = again.json().await.unwrap();
    assert_eq!(body["result"]["content"][0]["text"], "3");
}

#[tokio::test]
async fn sessions_that_end_leave_nothing_behind() {
    let s = start(HttpConfig::default()).await;
    let url = format!("{}/mcp", s.base);
    for round in 0..3 {
        let mut sessions = Vec::new();
        for i in 0..40 {
            let session = s.initialize().await;
            // A call answered over SSE (progress first) and one answered as JSON.
            let slow = s
                .call(
                    &session,
                    1,
                    "tools/call",
                    json!({"name": "slow", "arguments": {"n": 2, "delay_ms": 0},
                           "_meta": {"progressToken": i}}),
                )
                .await;
            assert!(slow.text().await.unwrap().contains("slow done 2"));
            let add = s
                .call(
                    &session,
                    2,
                    "tools/call",
                    json!({"name": "add", "arguments": {"a": 1, "b": 1}}),
                )
                .await;
            assert_eq!(add.status(), StatusCode::OK);
            sessions.push(session);
        }
        assert_eq!(s.http.session_count(), 40, "round {round}");
        for session in &sessions {
            let gone = s
                .client
                .delete(&url)
                .header("mcp-session-id", session)
                .send()
                .await
                .unwrap();
            assert_eq!(gone.status(), StatusCode::OK);
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
        assert_eq!(s.http.session_count(), 0, "round {round}");
        assert_eq!(s.http.stream_count(), Some(0), "round {round}");
    }
}
