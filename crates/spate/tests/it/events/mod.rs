//! The events extension's poll and push modes over a real Streamable HTTP server on
//! 127.0.0.1, driven by our client (its `EventPoller`, and raw `events/*` requests where the
//! wire itself is checked): list, argument filters, 10 000 events through each mode with
//! nothing lost, duplicated or reordered, a history that no longer reaches the cursor
//! (`truncated`), the long poll, heartbeats, and the error answers.

use std::time::{Duration, Instant};

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use spate::client::Client;
use spate::engine::{PeerError, RequestOptions};
use spate::server::{EventEntry, Server, ServerConfig, ServerHandle};
use spate::store::event_history::MemoryEventHistory;
use spate::transport::http::client::HttpClientOptions;
use spate::transport::http::server::HttpConfig;
use spate_protocol::JsonObject;
use spate_protocol::events::PollEventsResult;

use crate::http_support::start_with;

#[derive(Debug, Serialize, Deserialize, JsonSchema)]
struct Order {
    n: u64,
    amount: f64,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct OrderFilter {
    /// Only orders of at least this amount.
    min_amount: Option<f64>,
}

/// A server with one event type, `order.created`, keeping `kept` occurrences, and our client
/// connected to it over Streamable HTTP.
async fn serve(kept: usize) -> (Connected, ServerHandle) {
    serve_with(kept, |_| {}).await
}

/// Like [`serve`], with `adjust` applied to the server's configuration.
async fn serve_with(
    kept: usize,
    adjust: impl FnOnce(&mut ServerConfig),
) -> (Connected, ServerHandle) {
    serve_over(kept, adjust, HttpConfig::default()).await
}

/// Like [`serve_with`], over an HTTP server configured by `http`.
async fn serve_over(
    kept: usize,
    adjust: impl FnOnce(&mut ServerConfig),
    http: HttpConfig,
) -> (Connected, ServerHandle) {
    let mut config = ServerConfig::default();
    config.events.history = std::sync::Arc::new(MemoryEventHistory::new(kept));
    adjust(&mut config);
    let server = Server::with_info(
        spate_protocol::Implementation::new("events", "1"),
        None,
        config,
    )
    .event(EventEntry::new(
        "order.created",
        "A new order was placed",
        |f: &OrderFilter, o: &Order| f.min_amount.is_none_or(|min| o.amount >= min),
    ));
    let handle = server.handle();
    let running = start_with(server, http).await;
    let client = Client::builder("events-test", "1")
        .connect_http(
            &format!("{}/mcp", running.base),
            HttpClientOptions::default(),
        )
        .await
        .unwrap();
    (
        Connected {
            client,
            _running: running,
        },
        handle,
    )
}

struct Connected {
    client: Client,
    _running: crate::http_support::Running,
}

async fn call(client: &Client, method: &str, params: Value) -> Result<Value, PeerError> {
    let raw = client
        .peer()
        .request(method, &params, RequestOptions::default())
        .await?;
    Ok(serde_json::from_str(raw.get()).unwrap())
}

/// Emits orders `range` (amount 1.0 each), one after another.
async fn emit_orders(handle: &ServerHandle, range: std::ops::RangeInclusive<u64>) {
    for n in range {
        handle
            .emit("order.created", &Order { n, amount: 1.0 }, None)
            .await
            .unwrap();
    }
}

async fn poll(client: &Client, params: Value) -> PollEventsResult {
    serde_json::from_value(call(client, "events/poll", params).await.unwrap()).unwrap()
}

/// The next `notifications/events/*` notification: its method and params.
async fn next_event_note(notes: &mut spate::client::NotificationStream) -> (String, Value) {
    loop {
        let n = tokio::time::timeout(Duration::from_secs(10), notes.recv())
            .await
            .expect("a notification within 10 s")
            .expect("no notification lost to a slow reader");
        if n.method.starts_with("notifications/events/") {
            let params: Value = serde_json::from_str(n.params.unwrap().get()).unwrap();
            return (n.method, params);
        }
    }
}

mod push;
mod sources;

#[tokio::test]
async fn list_and_filtered_polls() {
    let (s, handle) = serve(100).await;
    let listed = call(&s.client, "events/list", json!({})).await.unwrap();
    let event = &listed["events"][0];
    assert_eq!(event["name"], "order.created");
    assert_eq!(event["delivery"], json!(["poll", "push"]));
    assert!(event["inputSchema"]["properties"]["min_amount"].is_object());
    assert!(event["payloadSchema"]["properties"]["amount"].is_object());
    let caps = &s.client.server().capabilities;
    assert!(caps.events.is_some(), "the top-level events capability");

    // No cursor: start now, nothing old.
    handle
        .emit("order.created", &Order { n: 0, amount: 1.0 }, None)
        .await
        .unwrap();
    let start = poll(&s.client, json!({"name": "order.created"})).await;
    assert!(start.events.is_empty());
    let cursor = start.cursor.unwrap();

    for (n, amount) in [(1, 5.0), (2, 50.0), (3, 500.0)] {
        handle
            .emit(
                "order.created",
                &Order { n, amount },
                Some(format!("ord-{n}")),
            )
            .await
            .unwrap();
    }
    // A redelivery of the same upstream id is one event.
    handle
        .emit(
            "order.created",
            &Order {
                n: 3,
                amount: 500.0,
            },
            Some("ord-3".into()),
        )
        .await
        .unwrap();
    let big = poll(
        &s.client,
        json!({"name": "order.created", "cursor": cursor, "arguments": {"min_amount": 40}}),
    )
    .await;
    let ids: Vec<&str> = big.events.iter().map(|e| e.event_id.as_str()).collect();
    assert_eq!(ids, ["ord-2", "ord-3"]);
    assert!(!big.truncated && !big.has_more);
    assert_eq!(big.next_poll_ms, 1000);
    assert_eq!(big.events[1].data["amount"], json!(500.0));
    let all = poll(
        &s.client,
        json!({"name": "order.created", "cursor": cursor}),
    )
    .await;
    assert_eq!(all.events.len(), 3);
    assert_eq!(
        all.cursor, big.cursor,
        "the cursor advances past filtered-out events too"
    );
}

/// Through the client's `EventPoller`, while the server emits: every one of 10 000 events
/// once, in order.
#[tokio::test]
async fn ten_thousand_events_arrive_once_and_in_order() {
    const N: u64 = 10_000;
    let (s, handle) = serve(N as usize).await;
    let types = s.client.list_all_events().await.unwrap();
    assert_eq!(types[0].name, "order.created");
    let mut poller = s
        .client
        .poll_events_of("order.created", JsonObject::new())
        .min_interval(Duration::from_millis(20));
    // The first poll takes the cursor of "now"; every event emitted after it must arrive.
    assert!(
        tokio::time::timeout(Duration::from_millis(100), poller.next())
            .await
            .is_err()
    );
    assert!(poller.cursor().is_some());
    let emitter = tokio::spawn(async move {
        for n in 1..=N {
            handle
                .emit("order.created", &Order { n, amount: 1.0 }, None)
                .await
                .unwrap();
            if n % 500 == 0 {
                tokio::task::yield_now().await;
            }
        }
    });
    let mut seen = Vec::with_capacity(N as usize);
    let all = async {
        while (seen.len() as u64) < N {
            let event = poller.next().await.unwrap();
            seen.push(event.data["n"].as_u64().unwrap());
        }
    };
    tokio::time::timeout(Duration::from_secs(60), all)
        .await
        .expect("10 000 events within 60 s");
    emitter.await.unwrap();
    assert!(!poller.take_truncated());
    let expected: Vec<u64> = (1..=N).collect();
    assert_eq!(seen, expected, "lost, duplicated or out of order");
}

#[tokio::test]
async fn a_history_that_no_longer_reaches_the_cursor_says_truncated() {
    let (s, handle) = serve(5).await;
    let cursor = poll(&s.client, json!({"name": "order.created"}))
        .await
        .cursor
        .unwrap();
    emit_orders(&handle, 1..=20).await;
    let late = poll(
        &s.client,
        json!({"name": "order.created", "cursor": cursor}),
    )
    .await;
    assert!(late.truncated, "the first 15 are gone");
    let ns: Vec<u64> = late
        .events
        .iter()
        .map(|e| e.data["n"].as_u64().unwrap())
        .collect();
    assert_eq!(ns, [16, 17, 18, 19, 20], "what is kept, in order");
    let next = poll(
        &s.client,
        json!({"name": "order.created", "cursor": late.cursor}),
    )
    .await;
    assert!(!next.truncated && next.events.is_empty());
    // A cursor of another epoch (the server restarted) is a gap, not an error.
    let foreign = poll(
        &s.client,
        json!({"name": "order.created", "cursor": "v1.0000.3"}),
    )
    .await;
    assert!(foreign.truncated);
    assert_eq!(foreign.events.len(), 5);
}

#[tokio::test]
async fn a_long_poll_returns_when_an_event_comes() {
    let (s, handle) = serve(10).await;
    let cursor = poll(&s.client, json!({"name": "order.created"}))
        .await
        .cursor
        .unwrap();
    let later = tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(200)).await;
        handle
            .emit("order.created", &Order { n: 7, amount: 1.0 }, None)
            .await
            .unwrap();
    });
    let started = Instant::now();
    let got = poll(
        &s.client,
        json!({"name": "order.created", "cursor": cursor, "timeoutMs": 10000}),
    )
    .await;
    assert_eq!(got.events.len(), 1);
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "held until the event, not the timeout"
    );
    later.await.unwrap();
}

#[tokio::test]
async fn unknown_types_and_bad_arguments_are_refused() {
    let (s, handle) = serve(10).await;
    let err = call(&s.client, "events/poll", json!({"name": "nope"}))
        .await
        .unwrap_err();
    // A client that does not declare the extension reads the design sketch's numbers.
    assert!(
        matches!(&err, PeerError::Remote(e) if e.code == -32011 && e.data.as_ref().unwrap()["kind"] == "event"),
        "{err:?}"
    );
    for (arguments, why) in [
        (json!({"min_amount": "lots"}), "ill-typed"),
        (json!({"colour": "red"}), "unknown"),
    ] {
        let params = json!({"name": "order.created", "arguments": arguments});
        let err = call(&s.client, "events/poll", params).await.unwrap_err();
        assert!(
            matches!(&err, PeerError::Remote(e) if e.code == -32602),
            "{why} argument: {err:?}"
        );
    }
    assert!(handle.emit("nope", &json!({}), None).await.is_err());
    assert!(
        handle
            .emit("order.created", &json!([1]), None)
            .await
            .is_err()
    );
    assert!(
        handle
            .emit("order.created", &json!({}), Some("has space".into()))
            .await
            .is_err()
    );
}

/// A new event type is announced: `notifications/events/list_changed` reaches a 2025
/// session, and `events/list` then shows the type.
#[tokio::test]
async fn a_new_event_type_is_announced() {
    let (s, handle) = serve(10).await;
    let caps = serde_json::to_value(&s.client.server().capabilities).unwrap();
    assert_eq!(caps["events"]["listChanged"], true, "{caps}");
    assert_eq!(s.client.list_all_events().await.unwrap().len(), 1);
    let mut notes = s.client.notifications();
    handle.add_event(EventEntry::unfiltered::<Order>(
        "order.shipped",
        "An order left",
    ));
    let (method, _) = next_event_note(&mut notes).await;
    assert_eq!(method, "notifications/events/list_changed");
    let names: Vec<String> = s
        .client
        .list_all_events()
        .await
        .unwrap()
        .into_iter()
        .map(|e| e.name)
        .collect();
    assert_eq!(names, ["order.created", "order.shipped"]);
    assert!(handle.remove_event("order.shipped"));
    let (method, _) = next_event_note(&mut notes).await;
    assert_eq!(method, "notifications/events/list_changed");
    let err = call(&s.client, "events/poll", json!({"name": "order.shipped"}))
        .await
        .unwrap_err();
    assert!(
        matches!(&err, PeerError::Remote(e) if e.code == -32011),
        "{err:?}"
    );
}
