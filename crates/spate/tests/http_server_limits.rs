//! Per-session limits of the Streamable HTTP server over real sockets: open request streams
//! are capped (429 with Retry-After, the session keeps working), and everything a session
//! held is released when it ends, however many sessions come and go.

mod http_support;

use std::time::Duration;

use http_support::start;
use reqwest::StatusCode;
use serde_json::{Value, json};
use spate::http::HttpConfig;

#[tokio::test]
async fn open_request_streams_per_session_are_capped_with_retry_after() {
    let s = start(HttpConfig {
        max_streams_per_session: 2,
        ..HttpConfig::default()
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
