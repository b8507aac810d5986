//! The Streamable HTTP server over real sockets on 127.0.0.1, spoken to with plain HTTP:
//! sessions, limits, security, SSE resumption and the old HTTP+SSE transport.

use std::time::Duration;

use reqwest::StatusCode;
use serde_json::{Value, json};
use spate::transport::http::server::{HttpConfig, ResponseMode};

use crate::http_support::{
    ACCEPT, Event, init_body, progress_values, raw_get_chunks, read_events, start, take_events,
};

#[tokio::test]
async fn hostile_requests_get_the_right_status_and_serving_goes_on() {
    let s = start({
        let mut config = HttpConfig::default();
        config.max_body_bytes = 2048;
        config
    })
    .await;
    let url = format!("{}/mcp", s.base);
    let wrong_type = s
        .client
        .post(&url)
        .header("accept", ACCEPT)
        .header("content-type", "text/plain")
        .body("{}")
        .send()
        .await
        .unwrap();
    assert_eq!(wrong_type.status(), StatusCode::UNSUPPORTED_MEDIA_TYPE);
    let no_accept = s
        .client
        .post(&url)
        .header("accept", "application/json")
        .json(&init_body(1))
        .send()
        .await
        .unwrap();
    assert_eq!(no_accept.status(), StatusCode::NOT_ACCEPTABLE);
    let malformed = s.post().body("{\"jsonrpc\": ").send().await.unwrap();
    assert_eq!(malformed.status(), StatusCode::BAD_REQUEST);
    assert_eq!(
        malformed.json::<Value>().await.unwrap()["error"]["code"],
        -32700
    );
    let no_session = s
        .post()
        .json(&json!({"jsonrpc": "2.0", "id": 1, "method": "tools/list"}))
        .send()
        .await
        .unwrap();
    assert_eq!(no_session.status(), StatusCode::BAD_REQUEST);
    let unknown = s
        .call(
            "feedfacefeedfacefeedfacefeedface",
            1,
            "tools/list",
            json!({}),
        )
        .await;
    assert_eq!(unknown.status(), StatusCode::NOT_FOUND);
    let huge = s
        .post()
        .body(format!("{{\"pad\":\"{}\"}}", "x".repeat(5000)))
        .send()
        .await
        .unwrap();
    assert_eq!(huge.status(), StatusCode::PAYLOAD_TOO_LARGE);

    let session = s.initialize().await;
    let bad_version = s
        .post()
        .header("mcp-session-id", &session)
        .header("mcp-protocol-version", "1999-01-01")
        .json(&json!({"jsonrpc": "2.0", "id": 2, "method": "tools/list"}))
        .send()
        .await
        .unwrap();
    assert_eq!(bad_version.status(), StatusCode::BAD_REQUEST);
    let note = s
        .post()
        .header("mcp-session-id", &session)
        .json(&json!({"jsonrpc": "2.0", "method": "notifications/whatever"}))
        .send()
        .await
        .unwrap();
    assert_eq!(note.status(), StatusCode::ACCEPTED);
    let ok = s
        .call(
            &session,
            3,
            "tools/call",
            json!({"name": "add", "arguments": {"a": 1, "b": 2}}),
        )
        .await;
    assert_eq!(ok.status(), StatusCode::OK);
    assert_eq!(ok.headers()["content-type"], "application/json");
    assert_eq!(
        ok.json::<Value>().await.unwrap()["result"]["content"][0]["text"],
        "3"
    );

    let gone = s
        .client
        .delete(&url)
        .header("mcp-session-id", &session)
        .send()
        .await
        .unwrap();
    assert_eq!(gone.status(), StatusCode::OK);
    let after = s.call(&session, 4, "tools/list", json!({})).await;
    assert_eq!(after.status(), StatusCode::NOT_FOUND);
    tokio::time::sleep(Duration::from_millis(50)).await;
    assert_eq!(s.http.session_count(), 0);
    assert_eq!(
        s.http.stream_count(),
        Some(0),
        "a deleted session's streams must be freed"
    );
}

#[tokio::test]
async fn json_answers_switch_to_sse_when_progress_comes_first() {
    let s = start(HttpConfig::default()).await;
    let session = s.initialize().await;
    let mut r = s.call(&session, 1, "tools/call", json!({"name": "slow", "arguments": {"n": 3, "delay_ms": 1}, "_meta": {"progressToken": "t"}})).await;
    assert_eq!(r.headers()["content-type"], "text/event-stream");
    assert_eq!(r.headers()["x-accel-buffering"], "no");
    let events = read_events(&mut r, 5, Duration::from_secs(5)).await;
    assert_eq!(events[0].data, "", "priming event first");
    let methods: Vec<Value> = events[1..]
        .iter()
        .map(|e| serde_json::from_str::<Value>(&e.data).unwrap())
        .collect();
    assert_eq!(
        methods
            .iter()
            .filter(|m| m["method"] == "notifications/progress")
            .count(),
        3
    );
    assert_eq!(methods[3]["result"]["content"][0]["text"], "slow done 3");
    // The response ends the stream...
    assert!(
        r.chunk().await.unwrap().is_none(),
        "the stream must end after the response"
    );
    // ...but written is not received: a client that lost the tail in transit can still
    // resume from any event it did get, and gets exactly the rest.
    let resumed = s
        .client
        .get(format!("{}/mcp", s.base))
        .header("accept", "text/event-stream")
        .header("mcp-session-id", &session)
        .header("mcp-protocol-version", "2025-11-25")
        .header("last-event-id", events[1].id.clone().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(resumed.status(), StatusCode::OK);
    let mut resumed = resumed;
    let replayed = read_events(&mut resumed, 3, Duration::from_secs(5)).await;
    let replayed_ids: Vec<_> = replayed.iter().map(|e| e.id.clone()).collect();
    let original_ids: Vec<_> = events[2..].iter().map(|e| e.id.clone()).collect();
    assert_eq!(
        replayed_ids, original_ids,
        "exactly the events after the one named"
    );
    // The session's end frees its streams.
    s.client
        .delete(format!("{}/mcp", s.base))
        .header("mcp-session-id", &session)
        .send()
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(50)).await;
    assert_eq!(s.http.stream_count(), Some(0));
}

#[tokio::test]
async fn a_dropped_stream_resumes_with_last_event_id_without_loss_or_duplicates() {
    let s = start({
        let mut config = HttpConfig::default();
        config.response_mode = ResponseMode::Sse;
        config
    })
    .await;
    let session = s.initialize().await;
    let mut r = s.call(&session, 7, "tools/call", json!({"name": "slow", "arguments": {"n": 6, "delay_ms": 60}, "_meta": {"progressToken": 1}})).await;
    let first = read_events(&mut r, 3, Duration::from_secs(5)).await; // priming + 2 progress
    assert_eq!(first.len(), 3);
    let last_id = first.last().unwrap().id.clone().unwrap();
    drop(r); // the connection breaks mid-call
    let mut resumed = s.resume(&session, &last_id).await;
    assert_eq!(resumed.status(), StatusCode::OK);
    let rest = read_events(&mut resumed, 10, Duration::from_secs(5)).await;
    let seen: Vec<Event> = first[1..].iter().chain(rest.iter()).cloned().collect();
    assert_eq!(
        progress_values(&seen),
        [1.0, 2.0, 3.0, 4.0, 5.0, 6.0],
        "every progress exactly once"
    );
    let result = rest
        .iter()
        .filter(|e| e.data.contains("slow done 6"))
        .count();
    assert_eq!(result, 1, "the result exactly once: {rest:?}");
    let ids: Vec<String> = first[1..]
        .iter()
        .chain(rest.iter())
        .filter_map(|e| e.id.clone())
        .collect();
    let mut unique = ids.clone();
    unique.dedup();
    assert_eq!(ids, unique);

    // Another session's Last-Event-ID replays nothing.
    let other = s.initialize().await;
    let foreign = s.resume(&other, &last_id).await;
    assert_eq!(foreign.status(), StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn an_answer_ready_at_once_is_one_sse_body_of_known_length_and_stays_resumable() {
    let s = start({
        let mut config = HttpConfig::default();
        config.response_mode = ResponseMode::Sse;
        config
    })
    .await;
    let session = s.initialize().await;
    let args = json!({"name": "add", "arguments": {"a": 2, "b": 3}});
    let r = s.call(&session, 5, "tools/call", args).await;
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(r.headers()["content-type"], "text/event-stream");
    let length: usize = r.headers()["content-length"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    let mut body = r.text().await.unwrap();
    assert_eq!(body.len(), length);
    let mut events = Vec::new();
    take_events(&mut body, &mut events);
    assert!(body.is_empty(), "nothing but whole events: {body:?}");
    assert_eq!(
        events.len(),
        2,
        "the priming event and the answer: {events:?}"
    );
    assert_eq!(events[0].data, "", "priming carries empty data");
    let answer: Value = serde_json::from_str(&events[1].data).unwrap();
    assert_eq!(answer["id"], 5);
    assert_eq!(answer["result"]["content"][0]["text"], "5", "{answer}");

    // Written in one piece, it is still a stream of the log: resuming after the priming
    // event replays the answer.
    let priming = events[0].id.clone().expect("the priming event has an id");
    let mut resumed = s.resume(&session, &priming).await;
    assert_eq!(resumed.status(), StatusCode::OK);
    let replay = read_events(&mut resumed, 1, Duration::from_secs(5)).await;
    assert_eq!(replay.len(), 1);
    assert_eq!(replay[0].id, events[1].id);
    assert_eq!(replay[0].data, events[1].data);
}

#[tokio::test]
async fn a_replay_larger_than_one_write_arrives_whole_in_order_and_in_bounded_chunks() {
    // 300 events of ≈2 kB (≈600 kB): the reader frames at most 64 KiB per chunk, so the
    // replay is many chunks, most ending inside a batch read from the log. Read over a raw
    // socket to see the chunks as the server wrote them.
    const N: u32 = 300;
    const CHUNK_BOUND: usize = 64 * 1024 + 4 * 1024; // the cap plus the event that crossed it
    let s = start({
        let mut config = HttpConfig::default();
        config.response_mode = ResponseMode::Sse;
        config
    })
    .await;
    let session = s.initialize().await;
    let args = json!({"name": "burst", "arguments": {"n": N, "pad": 2000},
        "_meta": {"progressToken": 1}});
    let mut r = s.call(&session, 3, "tools/call", args).await;
    // The priming event and at least two progress events (a chunk may hold more).
    let first = read_events(&mut r, 3, Duration::from_secs(5)).await;
    assert!(
        first.len() >= 3 && first.len() < N as usize,
        "{}",
        first.len()
    );
    let cursor = first.last().unwrap().id.clone().unwrap();
    drop(r);
    tokio::time::sleep(Duration::from_millis(100)).await; // the call has finished by now
    let (status, chunks) = raw_get_chunks(
        &s.base,
        &[
            ("accept", "text/event-stream"),
            ("mcp-session-id", &session),
            ("last-event-id", &cursor),
        ],
    )
    .await;
    assert!(status.contains(" 200 "), "{status}");
    let sizes: Vec<usize> = chunks.iter().map(Vec::len).collect();
    assert!(
        sizes.len() > 5,
        "the replay is written in many chunks: {sizes:?}"
    );
    assert!(
        sizes.iter().all(|&n| n <= CHUNK_BOUND),
        "every chunk within the bound: {sizes:?}"
    );
    let mut buffer = String::from_utf8(chunks.concat()).unwrap();
    let mut rest = Vec::new();
    take_events(&mut buffer, &mut rest);
    let seen: Vec<Event> = first[1..].iter().chain(rest.iter()).cloned().collect();
    let expected: Vec<f64> = (1..=N).map(f64::from).collect();
    assert_eq!(
        progress_values(&seen),
        expected,
        "every progress exactly once, in order"
    );
    assert!(
        rest.last().unwrap().data.contains("burst done"),
        "the result ends the replay"
    );
}

#[tokio::test]
async fn the_standalone_stream_carries_resource_updates_and_is_one_per_session() {
    let s = start(HttpConfig::default()).await;
    let session = s.initialize().await;
    let get = || {
        s.client
            .get(format!("{}/mcp", s.base))
            .header("accept", "text/event-stream")
            .header("mcp-session-id", &session)
            .send()
    };
    let mut stream = get().await.unwrap();
    assert_eq!(stream.status(), StatusCode::OK);
    assert_eq!(get().await.unwrap().status(), StatusCode::CONFLICT);
    let sub = s
        .call(
            &session,
            1,
            "resources/subscribe",
            json!({"uri": "mem://r"}),
        )
        .await;
    assert_eq!(sub.status(), StatusCode::OK);
    s.handle.resource_updated("mem://r");
    let events = read_events(&mut stream, 2, Duration::from_secs(5)).await;
    let update = events
        .iter()
        .find(|e| e.data.contains("notifications/resources/updated"))
        .expect("update on the GET stream");
    assert!(update.id.is_some());
    drop(stream);
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert_eq!(
        get().await.unwrap().status(),
        StatusCode::OK,
        "reopening after the first closed"
    );
}

#[tokio::test]
async fn sessions_are_capped_lru_evicted_and_expire() {
    let s = start({
        let mut config = HttpConfig::default();
        config.max_sessions = 2;
        config.session_ttl = Duration::from_millis(300);
        config
    })
    .await;
    let a = s.initialize().await;
    tokio::time::sleep(Duration::from_millis(20)).await;
    let b = s.initialize().await;
    let _c = s.initialize().await; // evicts a, the least recently used idle session
    assert_eq!(
        s.call(&a, 1, "tools/list", json!({})).await.status(),
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        s.call(&b, 1, "tools/list", json!({})).await.status(),
        StatusCode::OK
    );
    assert_eq!(s.http.session_count(), 2);
    // Both busy (standalone streams open): no room, 503 with Retry-After.
    let b2 = s.initialize().await; // evicts _c (b was used more recently)
    let open = |id: String| {
        s.client
            .get(format!("{}/mcp", s.base))
            .header("accept", "text/event-stream")
            .header("mcp-session-id", id)
            .send()
    };
    let _hold_b = open(b.clone()).await.unwrap();
    let _hold_b2 = open(b2.clone()).await.unwrap();
    let full = s.post().json(&init_body(9)).send().await.unwrap();
    assert_eq!(full.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert!(full.headers().contains_key("retry-after"));
    drop((_hold_b, _hold_b2));
    // Idle sessions expire after the TTL.
    tokio::time::sleep(Duration::from_millis(900)).await;
    assert_eq!(s.http.session_count(), 0);
    assert_eq!(
        s.call(&b, 2, "tools/list", json!({})).await.status(),
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn origin_host_and_bearer_token_are_checked() {
    let s = start({
        let mut config = HttpConfig::default();
        config.bearer_tokens = vec!["s3cret".into()];
        config
    })
    .await;
    let no_token = s.post().json(&init_body(1)).send().await.unwrap();
    assert_eq!(no_token.status(), StatusCode::UNAUTHORIZED);
    assert!(
        no_token.headers()["www-authenticate"]
            .to_str()
            .unwrap()
            .starts_with("Bearer")
    );
    let wrong = s
        .post()
        .bearer_auth("nope")
        .json(&init_body(1))
        .send()
        .await
        .unwrap();
    assert_eq!(wrong.status(), StatusCode::UNAUTHORIZED);
    assert!(
        wrong.headers()["www-authenticate"]
            .to_str()
            .unwrap()
            .contains("invalid_token")
    );
    let evil_origin = s
        .post()
        .bearer_auth("s3cret")
        .header("origin", "http://evil.example")
        .json(&init_body(1))
        .send()
        .await
        .unwrap();
    assert_eq!(evil_origin.status(), StatusCode::FORBIDDEN);
    let rebinding = s
        .post()
        .bearer_auth("s3cret")
        .header("host", "evil.example")
        .json(&init_body(1))
        .send()
        .await
        .unwrap();
    assert_eq!(rebinding.status(), StatusCode::FORBIDDEN);
    let local_origin = s
        .post()
        .bearer_auth("s3cret")
        .header("origin", "http://localhost:5173")
        .json(&init_body(1))
        .send()
        .await
        .unwrap();
    assert_eq!(local_origin.status(), StatusCode::OK);
    // Userinfo is not a port: `localhost:1@evil.com` is evil.com.
    for origin in [
        "http://localhost:1@evil.com",
        "http://127.0.0.1:80@evil.com",
    ] {
        let disguised = s
            .post()
            .bearer_auth("s3cret")
            .header("origin", origin)
            .json(&init_body(1))
            .send()
            .await
            .unwrap();
        assert_eq!(disguised.status(), StatusCode::FORBIDDEN, "{origin}");
    }
    // The scheme is case-insensitive.
    for scheme in ["bearer", "BEARER"] {
        let shouted = s
            .post()
            .header("authorization", format!("{scheme} s3cret"))
            .json(&init_body(1))
            .send()
            .await
            .unwrap();
        assert_eq!(shouted.status(), StatusCode::OK, "{scheme}");
    }
}

#[tokio::test]
async fn the_old_http_sse_transport_works_alongside() {
    let s = start(HttpConfig::default()).await;
    let mut stream = s
        .client
        .get(format!("{}/sse", s.base))
        .header("accept", "text/event-stream")
        .send()
        .await
        .unwrap();
    let endpoint = read_events(&mut stream, 1, Duration::from_secs(5))
        .await
        .remove(0);
    assert_eq!(endpoint.name.as_deref(), Some("endpoint"));
    assert!(endpoint.data.starts_with("/message?sessionId="));
    let post = |body: Value| {
        s.client
            .post(format!("{}{}", s.base, endpoint.data))
            .json(&body)
            .send()
    };
    assert_eq!(
        post(init_body(1)).await.unwrap().status(),
        StatusCode::ACCEPTED
    );
    let init = read_events(&mut stream, 1, Duration::from_secs(5))
        .await
        .remove(0);
    assert_eq!(init.name.as_deref(), Some("message"));
    assert_eq!(
        serde_json::from_str::<Value>(&init.data).unwrap()["result"]["protocolVersion"],
        "2025-11-25"
    );
    post(json!({"jsonrpc": "2.0", "method": "notifications/initialized"}))
        .await
        .unwrap();
    post(json!({"jsonrpc": "2.0", "id": 2, "method": "tools/call", "params": {"name": "add", "arguments": {"a": 2, "b": 2}}})).await.unwrap();
    let answer = read_events(&mut stream, 1, Duration::from_secs(5))
        .await
        .remove(0);
    assert_eq!(
        serde_json::from_str::<Value>(&answer.data).unwrap()["result"]["content"][0]["text"],
        "4"
    );
    let bogus = s
        .client
        .post(format!("{}/message?sessionId=nope", s.base))
        .json(&init_body(1))
        .send()
        .await
        .unwrap();
    assert_eq!(bogus.status(), StatusCode::NOT_FOUND);
    drop(stream);
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert_eq!(
        s.http.session_count(),
        0,
        "closing the stream ends an old-transport session"
    );
}

#[tokio::test]
async fn a_client_that_never_reads_cannot_grow_the_server_and_others_are_served() {
    let s = start({
        let mut config = HttpConfig::default();
        config.retention.max_events = 200;
        config
    })
    .await;
    let stalled = s.initialize().await;
    let never_read = s
        .client
        .get(format!("{}/mcp", s.base))
        .header("accept", "text/event-stream")
        .header("mcp-session-id", &stalled)
        .send()
        .await
        .unwrap();
    assert_eq!(
        s.call(
            &stalled,
            1,
            "resources/subscribe",
            json!({"uri": "mem://r"})
        )
        .await
        .status(),
        StatusCode::OK
    );
    for _ in 0..5000 {
        s.handle.resource_updated("mem://r");
        tokio::task::yield_now().await;
    }
    tokio::time::sleep(Duration::from_millis(200)).await;
    let held = s.http.event_count().unwrap();
    assert!(
        held <= 200,
        "the stalled stream holds {held} events; retention allows 200"
    );
    let other = s.initialize().await;
    let answer = tokio::time::timeout(
        Duration::from_secs(2),
        s.call(
            &other,
            1,
            "tools/call",
            json!({"name": "add", "arguments": {"a": 1, "b": 1}}),
        ),
    )
    .await
    .expect("another session must be served promptly");
    assert_eq!(answer.status(), StatusCode::OK);
    drop(never_read);
}

#[tokio::test]
async fn a_flood_of_sessions_stays_under_the_cap() {
    let s = start({
        let mut config = HttpConfig::default();
        config.max_sessions = 20;
        config
    })
    .await;
    for _ in 0..200 {
        let r = s.post().json(&init_body(1)).send().await.unwrap();
        assert_eq!(
            r.status(),
            StatusCode::OK,
            "idle sessions make room for new ones"
        );
    }
    assert!(s.http.session_count() <= 20, "{}", s.http.session_count());
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert!(s.http.stream_count().unwrap() <= 20);
}

#[tokio::test]
async fn the_server_may_close_a_long_stream_and_the_client_resumes_it() {
    let s = start({
        let mut config = HttpConfig::default();
        config.retry_ms = 150;
        config
    })
    .await;
    let session = s.initialize().await;
    let mut r = s.call(&session, 3, "tools/call", json!({"name": "poll", "arguments": {"n": 0, "delay_ms": 200}, "_meta": {"progressToken": 5}})).await;
    let mut body = String::new();
    while let Some(chunk) = tokio::time::timeout(Duration::from_secs(5), r.chunk())
        .await
        .expect("the server must close it")
        .unwrap()
    {
        body.push_str(&String::from_utf8_lossy(&chunk));
    }
    assert!(body.contains("retry: 150"), "{body}");
    assert!(body.contains("\"progress\":1"), "{body}");
    assert!(
        !body.contains("polled"),
        "the result comes later, on the resumed stream: {body}"
    );
    let last_id = body
        .lines()
        .filter_map(|l| l.strip_prefix("id: "))
        .next_back()
        .unwrap()
        .to_owned();
    let resume = |from: String| {
        s.client
            .get(format!("{}/mcp", s.base))
            .header("accept", "text/event-stream")
            .header("mcp-session-id", &session)
            .header("last-event-id", from)
            .send()
    };
    let mut resumed = resume(last_id.clone()).await.unwrap();
    let rest = read_events(&mut resumed, 2, Duration::from_secs(5)).await;
    assert!(rest[0].data.contains("\"progress\":2"), "{rest:?}");
    assert!(rest[1].data.contains("polled"), "{rest:?}");
}

/// A JSON-RPC batch in a session of a version without batches (2025-06-18 on) is refused in
/// its own response (400, `-32600`), opens no stream and leaves no id in flight: ten of them
/// in a row, then a ping reusing their ids, all answered at once.
#[tokio::test]
async fn a_batch_in_a_version_without_batches_is_refused_at_once() {
    let s = start(HttpConfig::default()).await;
    let session = s.initialize().await;
    let batch: Vec<Value> = (1..=10)
        .map(|id| json!({"jsonrpc": "2.0", "id": id, "method": "ping"}))
        .collect();
    for round in 0..10 {
        let r = tokio::time::timeout(
            Duration::from_secs(5),
            s.post()
                .header("mcp-session-id", &session)
                .header("mcp-protocol-version", "2025-11-25")
                .json(&batch)
                .send(),
        )
        .await
        .expect("answered at once")
        .unwrap();
        assert_eq!(r.status(), StatusCode::BAD_REQUEST, "round {round}");
        let body: Value = r.json().await.unwrap();
        assert_eq!(body["error"]["code"], -32600, "{body}");
    }
    let r = s.call(&session, 3, "ping", json!({})).await;
    assert_eq!(r.status(), StatusCode::OK);
    let text = r.text().await.unwrap();
    assert!(text.contains("\"result\""), "id 3 is not in flight: {text}");
}
