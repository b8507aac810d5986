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

async fn poll(client: &Client, params: Value) -> PollEventsResult {
    serde_json::from_value(call(client, "events/poll", params).await.unwrap()).unwrap()
}

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
    for n in 1..=20 {
        handle
            .emit("order.created", &Order { n, amount: 1.0 }, None)
            .await
            .unwrap();
    }
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

/// Push: one `events/stream` request; `active` first, then 10 000 events in order, each
/// tagged with the subscription and carrying its cursor; heartbeats while nothing happens;
/// a stream resumed from a cursor gets exactly what came after it.
#[tokio::test]
async fn ten_thousand_events_pushed_once_and_in_order() {
    const N: u64 = 10_000;
    let (s, handle) = serve_with(N as usize, |config| {
        config.events.heartbeat = Duration::from_millis(100);
    })
    .await;
    let client = &s.client;
    let mut notes = client.notifications();
    let peer = client.peer().clone();
    let stream = tokio::spawn(async move {
        peer.request(
            "events/stream",
            &json!({"name": "order.created", "arguments": {}}),
            RequestOptions::default(),
        )
        .await
    });
    let (method, active) = next_event_note(&mut notes).await;
    assert_eq!(method, "notifications/events/active");
    assert_eq!(active["truncated"], false);
    let subscription = active["_meta"]["io.modelcontextprotocol/subscriptionId"].clone();
    assert!(
        !subscription.is_null(),
        "tagged with the subscription: {active}"
    );
    let (method, beat) = next_event_note(&mut notes).await;
    assert_eq!(
        method, "notifications/events/heartbeat",
        "silence is filled"
    );
    assert_eq!(beat["cursor"], active["cursor"]);

    let emitter = tokio::spawn(async move {
        for n in 1..=N {
            handle
                .emit("order.created", &Order { n, amount: 1.0 }, None)
                .await
                .unwrap();
            if n % 200 == 0 {
                tokio::time::sleep(Duration::from_millis(1)).await;
            }
        }
    });
    let mut seen = Vec::with_capacity(N as usize);
    let mut cursor_after_100 = None;
    while (seen.len() as u64) < N {
        let (method, params) = next_event_note(&mut notes).await;
        if method != "notifications/events/event" {
            continue;
        }
        assert_eq!(
            params["_meta"]["io.modelcontextprotocol/subscriptionId"],
            subscription
        );
        assert!(
            params["cursor"].is_string(),
            "every pushed event carries its cursor"
        );
        seen.push(params["data"]["n"].as_u64().unwrap());
        if seen.len() == 100 {
            cursor_after_100 = Some(params["cursor"].clone());
        }
    }
    emitter.await.unwrap();
    let expected: Vec<u64> = (1..=N).collect();
    assert_eq!(seen, expected, "lost, duplicated or out of order");
    stream.abort();

    // Resuming from the 100th event's cursor replays exactly what came after it.
    let resumed = poll(
        client,
        json!({"name": "order.created", "cursor": cursor_after_100.unwrap(), "maxEvents": 5}),
    )
    .await;
    let ns: Vec<u64> = resumed
        .events
        .iter()
        .map(|e| e.data["n"].as_u64().unwrap())
        .collect();
    assert_eq!(ns, [101, 102, 103, 104, 105]);
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

/// A stream opened with a cursor replays what came after it; its `active` names that cursor
/// (the position before the replayed events), so a client that persists it loses nothing.
#[tokio::test]
async fn a_stream_from_a_cursor_replays_after_it() {
    let (s, handle) = serve(100).await;
    let cursor = poll(&s.client, json!({"name": "order.created"}))
        .await
        .cursor
        .unwrap();
    for n in 1..=3 {
        handle
            .emit("order.created", &Order { n, amount: 1.0 }, None)
            .await
            .unwrap();
    }
    let mut notes = s.client.notifications();
    let peer = s.client.peer().clone();
    let params = json!({"name": "order.created", "cursor": cursor});
    let stream = tokio::spawn(async move {
        peer.request("events/stream", &params, RequestOptions::default())
            .await
    });
    let (method, active) = next_event_note(&mut notes).await;
    assert_eq!(method, "notifications/events/active");
    assert_eq!(active["cursor"], json!(cursor));
    assert_eq!(active["truncated"], false);
    for n in 1..=3 {
        let (method, event) = next_event_note(&mut notes).await;
        assert_eq!(method, "notifications/events/event");
        assert_eq!(event["data"]["n"], n);
    }
    stream.abort();
}

/// Our push client: a stream that falls silent longer than its watchdog (here the server's
/// heartbeat is slower than the watchdog) is reopened from the last cursor, again and again,
/// and still hands out every occurrence once and in order.
#[tokio::test]
async fn event_stream_reopens_silent_streams_without_loss() {
    let (s, handle) = serve_with(1000, |config| {
        config.events.heartbeat = Duration::from_secs(30);
    })
    .await;
    let mut stream = s
        .client
        .stream_events_of("order.created", JsonObject::new())
        .watchdog(Duration::from_millis(200));
    let emitter = tokio::spawn(async move {
        // Wait for the stream to open, then emit in bursts with silences longer than the
        // watchdog between them.
        tokio::time::sleep(Duration::from_millis(100)).await;
        for burst in 0..5u64 {
            for i in 1..=20 {
                let n = burst * 20 + i;
                handle
                    .emit("order.created", &Order { n, amount: 1.0 }, None)
                    .await
                    .unwrap();
            }
            tokio::time::sleep(Duration::from_millis(450)).await;
        }
    });
    let mut seen = Vec::new();
    while seen.len() < 100 {
        let event = tokio::time::timeout(Duration::from_secs(10), stream.next())
            .await
            .expect("the stream went quiet")
            .unwrap();
        seen.push(event.data["n"].as_u64().unwrap());
    }
    emitter.await.unwrap();
    assert_eq!(seen, (1..=100).collect::<Vec<_>>(), "all, once, in order");
    assert!(
        stream.reconnects() >= 4,
        "reopened {} times",
        stream.reconnects()
    );
    assert!(stream.cursor().is_some());
}

/// A cancelled `events/stream` ends its HTTP stream and frees its slot: more cancelled
/// streams than a session may hold at once (64) open one after another without a 429.
#[tokio::test]
async fn cancelled_streams_free_their_slots() {
    let (s, _handle) = serve(10).await;
    let mut notes = s.client.notifications();
    for round in 0..70 {
        let cancel = tokio_util::sync::CancellationToken::new();
        let options = RequestOptions {
            cancel: Some(cancel.clone()),
            ..Default::default()
        };
        let peer = s.client.peer().clone();
        let stream = tokio::spawn(async move {
            peer.request("events/stream", &json!({"name": "order.created"}), options)
                .await
        });
        let (method, _) = next_event_note(&mut notes).await;
        assert_eq!(method, "notifications/events/active", "round {round}");
        cancel.cancel();
        assert!(matches!(stream.await.unwrap(), Err(PeerError::Cancelled)));
    }
}

/// Removing a type ends its push subscriptions with `terminated` (`NotFound`, kind `event`),
/// which our stream client reports as the error that ended it.
#[tokio::test]
async fn removing_a_type_terminates_its_streams() {
    let (s, handle) = serve(10).await;
    let mut stream = s
        .client
        .stream_events_of("order.created", JsonObject::new());
    let emitter = handle.clone();
    tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(100)).await;
        emitter
            .emit("order.created", &Order { n: 1, amount: 1.0 }, None)
            .await
            .unwrap();
    });
    let first = tokio::time::timeout(Duration::from_secs(5), stream.next())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(first.data["n"], 1);
    assert!(handle.remove_event("order.created"));
    let end = tokio::time::timeout(Duration::from_secs(5), stream.next())
        .await
        .expect("terminated in time");
    match end {
        Err(PeerError::Remote(e)) => {
            assert_eq!(e.code, -32011, "the design sketch's NotFound: {e:?}");
            assert_eq!(e.data.unwrap()["kind"], "event");
        }
        other => panic!("{other:?}"),
    }
}

/// `events/stream` subscriptions have their own room in a session: with one request stream
/// allowed, three subscriptions still open (and a poll still gets through); the fourth gets
/// 429.
#[tokio::test]
async fn event_streams_are_counted_apart_from_requests() {
    let mut http = HttpConfig::default();
    http.max_streams_per_session = 1;
    http.max_event_streams_per_session = 3;
    let (s, _handle) = serve_over(10, |_| {}, http).await;
    let mut notes = s.client.notifications();
    let mut open = Vec::new();
    for _ in 0..3 {
        let peer = s.client.peer().clone();
        open.push(tokio::spawn(async move {
            peer.request(
                "events/stream",
                &json!({"name": "order.created"}),
                RequestOptions::default(),
            )
            .await
        }));
        let (method, _) = next_event_note(&mut notes).await;
        assert_eq!(method, "notifications/events/active");
    }
    poll(&s.client, json!({"name": "order.created"})).await;
    let refused = call(&s.client, "events/stream", json!({"name": "order.created"}))
        .await
        .unwrap_err();
    match refused {
        PeerError::Remote(e) => assert_eq!(e.data.unwrap()["httpStatus"], 429),
        other => panic!("{other:?}"),
    }
    for stream in open {
        stream.abort();
    }
}

/// A type's hook hears its first subscriber arrive and its last one leave: a push stream
/// holds the type while it is open; pollers hold it until a lease after their last poll.
#[tokio::test]
async fn the_subscriber_hook_hears_first_and_last() {
    use spate::server::SubscriberChange::{FirstArrived, LastLeft};
    let heard = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let mut config = ServerConfig::default();
    config.events.poll_interval = Duration::from_millis(10);
    config.events.poll_lease = Duration::from_millis(300);
    let log = heard.clone();
    let server = Server::with_info(
        spate_protocol::Implementation::new("hooks", "1"),
        None,
        config,
    )
    .event(
        EventEntry::unfiltered::<Order>("order.created", "A new order")
            .on_subscribers(move |change| log.lock().unwrap().push(change)),
    );
    let running = start_with(server, HttpConfig::default()).await;
    let client = Client::builder("hooks-test", "1")
        .connect_http(
            &format!("{}/mcp", running.base),
            HttpClientOptions::default(),
        )
        .await
        .unwrap();
    let heard_now = || heard.lock().unwrap().clone();
    assert!(heard_now().is_empty(), "nobody yet");

    let mut notes = client.notifications();
    let cancel = tokio_util::sync::CancellationToken::new();
    let options = RequestOptions {
        cancel: Some(cancel.clone()),
        ..Default::default()
    };
    let peer = client.peer().clone();
    let stream = tokio::spawn(async move {
        peer.request("events/stream", &json!({"name": "order.created"}), options)
            .await
    });
    next_event_note(&mut notes).await;
    assert_eq!(heard_now(), vec![FirstArrived]);
    // A poller joins while the stream is open: no change.
    poll(&client, json!({"name": "order.created"})).await;
    cancel.cancel();
    let _ = stream.await;
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert_eq!(heard_now(), vec![FirstArrived], "the poller still holds it");
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(
        heard_now(),
        vec![FirstArrived, LastLeft],
        "its lease ran out"
    );
    // Polls of an unknown type hold nothing.
    let _ = call(&client, "events/poll", json!({"name": "nope"})).await;
    poll(&client, json!({"name": "order.created"})).await;
    assert_eq!(heard_now(), vec![FirstArrived, LastLeft, FirstArrived]);
}

/// A checkable type: its source keeps the history (here a list of orders with cursors
/// `c<index>`); polls and push streams ask it after their cursor, a cursor it does not know
/// goes on from now with `truncated`, a nudge wakes a stream at once, and emit is refused.
#[tokio::test]
async fn a_checkable_source_is_asked_after_the_cursor() {
    use spate::server::{CheckError, Checked, CheckedEvent};
    let orders: std::sync::Arc<std::sync::Mutex<Vec<Order>>> = Default::default();
    let source = orders.clone();
    let mut config = ServerConfig::default();
    // Long: only a nudge can wake the stream in time.
    config.events.poll_interval = Duration::from_secs(30);
    let server = Server::with_info(
        spate_protocol::Implementation::new("check", "1"),
        None,
        config,
    )
    .event(EventEntry::checkable(
        "order.checked",
        "Orders, from the shop's own table",
        move |check: spate::server::Check<OrderFilter>| {
            let orders = source.lock().unwrap();
            let result = match check.after.as_deref() {
                None => Ok(orders.len()),
                Some(c) => c
                    .strip_prefix('c')
                    .and_then(|n| n.parse::<usize>().ok())
                    .filter(|&n| n <= orders.len())
                    .ok_or(CheckError::UnknownCursor),
            }
            .map(|from| {
                let events: Vec<_> = orders[from..]
                    .iter()
                    .enumerate()
                    .take(check.limit)
                    .filter(|(_, o)| check.arguments.min_amount.is_none_or(|m| o.amount >= m))
                    .map(|(i, o)| CheckedEvent {
                        event_id: format!("order-{}", o.n),
                        timestamp_ms: 1_700_000_000_000,
                        data: Order {
                            n: o.n,
                            amount: o.amount,
                        },
                        cursor: format!("c{}", from + i + 1),
                    })
                    .collect();
                let end = (from + check.limit).min(orders.len());
                Checked {
                    events,
                    cursor: format!("c{end}"),
                    has_more: end < orders.len(),
                }
            });
            std::future::ready(result)
        },
    ));
    let handle = server.handle();
    let running = start_with(server, HttpConfig::default()).await;
    let client = Client::builder("check-test", "1")
        .connect_http(
            &format!("{}/mcp", running.base),
            HttpClientOptions::default(),
        )
        .await
        .unwrap();
    let add = |n: u64, amount: f64| orders.lock().unwrap().push(Order { n, amount });
    add(1, 1.0);

    let start = poll(&client, json!({"name": "order.checked"})).await;
    assert_eq!(start.cursor.as_deref(), Some("c1"), "now, from the source");
    add(2, 5.0);
    add(3, 500.0);
    let got = poll(
        &client,
        json!({"name": "order.checked", "cursor": "c1", "arguments": {"min_amount": 100.0}}),
    )
    .await;
    assert_eq!(got.events.len(), 1);
    assert_eq!(got.events[0].data["n"], 3);
    assert_eq!(got.cursor.as_deref(), Some("c3"));
    let lost = poll(
        &client,
        json!({"name": "order.checked", "cursor": "elsewhere"}),
    )
    .await;
    assert!(lost.truncated && lost.events.is_empty());
    assert_eq!(lost.cursor.as_deref(), Some("c3"));
    assert!(matches!(
        handle
            .emit("order.checked", &Order { n: 9, amount: 1.0 }, None)
            .await,
        Err(spate::server::EmitError::Checkable(_))
    ));

    // Push: the stream asks after its cursor; a nudge makes it ask at once.
    let mut stream = client.stream_events_of("order.checked", JsonObject::new());
    let nudger = handle.clone();
    let late = orders.clone();
    tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(200)).await;
        late.lock().unwrap().push(Order { n: 4, amount: 2.0 });
        nudger.nudge("order.checked");
    });
    let event = tokio::time::timeout(Duration::from_secs(5), stream.next())
        .await
        .expect("a nudge wakes the stream")
        .unwrap();
    assert_eq!(event.data["n"], 4);
    assert_eq!(event.event_id, "order-4");
    assert_eq!(stream.cursor(), Some("c4"));
}

/// Push over stdio framing (a duplex pipe): the stream's notifications are interleaved with
/// the connection's other answers, and 1 000 events arrive once and in order.
#[tokio::test]
async fn push_is_interleaved_on_stdio() {
    use spate::transport::stdio::{StdioLimits, from_streams};
    let server = Server::with_info(
        spate_protocol::Implementation::new("stdio-events", "1"),
        None,
        ServerConfig::default(),
    )
    .event(EventEntry::unfiltered::<Order>(
        "order.created",
        "A new order",
    ));
    let handle = server.handle();
    let (client_io, server_io) = tokio::io::duplex(1 << 16);
    let (sr, sw) = tokio::io::split(server_io);
    let (cr, cw) = tokio::io::split(client_io);
    let _peer = server.serve(from_streams(sr, sw, StdioLimits::default()));
    let client = Client::builder("stdio-events", "1")
        .connect(from_streams(cr, cw, StdioLimits::default()))
        .await
        .unwrap();
    let mut stream = client.stream_events_of("order.created", JsonObject::new());
    let emitter = tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(100)).await;
        for n in 1..=1000 {
            handle
                .emit("order.created", &Order { n, amount: 1.0 }, None)
                .await
                .unwrap();
        }
    });
    let mut seen = Vec::new();
    while seen.len() < 1000 {
        let event = tokio::time::timeout(Duration::from_secs(10), stream.next())
            .await
            .unwrap()
            .unwrap();
        seen.push(event.data["n"].as_u64().unwrap());
        if seen.len() == 500 {
            // Another request on the same pipe while the stream runs.
            let listed = client.list_all_events().await.unwrap();
            assert_eq!(listed[0].name, "order.created");
        }
    }
    emitter.await.unwrap();
    assert_eq!(seen, (1..=1000).collect::<Vec<_>>());
    assert_eq!(stream.reconnects(), 0);
}

/// A source that fails once: the push stream reports `error` (`-32603`, `UpstreamError`)
/// and stays open; the next read delivers.
#[tokio::test]
async fn a_failing_source_is_an_error_notification_not_the_end() {
    use spate::server::{CheckError, Checked, CheckedEvent};
    use std::sync::atomic::{AtomicU32, Ordering};
    let asks = std::sync::Arc::new(AtomicU32::new(0));
    let counter = asks.clone();
    let mut config = ServerConfig::default();
    config.events.poll_interval = Duration::from_millis(20);
    let server = Server::with_info(
        spate_protocol::Implementation::new("flaky", "1"),
        None,
        config,
    )
    .event(EventEntry::checkable(
        "flaky",
        "Fails on its second question",
        move |check: spate::server::Check<spate::server::NoArguments>| {
            let ask = counter.fetch_add(1, Ordering::SeqCst);
            std::future::ready(match (check.after, ask) {
                (None, _) => Ok(Checked {
                    events: vec![],
                    cursor: "0".into(),
                    has_more: false,
                }),
                (Some(_), 1) => Err(CheckError::Failed("upstream said 502".into())),
                (Some(after), _) if after == "0" => Ok(Checked {
                    events: vec![CheckedEvent {
                        event_id: "e1".into(),
                        timestamp_ms: 1_700_000_000_000,
                        data: Order { n: 1, amount: 1.0 },
                        cursor: "1".into(),
                    }],
                    cursor: "1".into(),
                    has_more: false,
                }),
                (Some(after), _) => Ok(Checked {
                    events: vec![],
                    cursor: after,
                    has_more: false,
                }),
            })
        },
    ));
    let running = start_with(server, HttpConfig::default()).await;
    let client = Client::builder("flaky-test", "1")
        .connect_http(
            &format!("{}/mcp", running.base),
            HttpClientOptions::default(),
        )
        .await
        .unwrap();
    let mut stream = client.stream_events_of("flaky", JsonObject::new());
    let first = tokio::time::timeout(Duration::from_secs(5), stream.next())
        .await
        .unwrap();
    match first {
        Err(PeerError::Remote(e)) => {
            assert_eq!((e.code, e.message.as_str()), (-32603, "UpstreamError"));
            assert_eq!(
                e.data.unwrap()["reason"],
                "event source failed: upstream said 502"
            );
        }
        other => panic!("{other:?}"),
    }
    let event = tokio::time::timeout(Duration::from_secs(5), stream.next())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(event.event_id, "e1");
    assert_eq!(stream.reconnects(), 0, "the same stream went on");
}

/// A client that drops the HTTP response of its `events/stream` (a 2025 session, where
/// responses are resumable) ends the subscription: the server stops delivering (the type's
/// last subscriber leaves) instead of writing to a log nobody reads.
#[tokio::test]
async fn dropping_a_stream_response_ends_the_subscription() {
    use spate::server::SubscriberChange::{FirstArrived, LastLeft};
    let heard = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let log = heard.clone();
    let server = Server::with_info(
        spate_protocol::Implementation::new("drop", "1"),
        None,
        ServerConfig::default(),
    )
    .event(
        EventEntry::unfiltered::<Order>("order.created", "A new order")
            .on_subscribers(move |change| log.lock().unwrap().push(change)),
    );
    let running = start_with(server, HttpConfig::default()).await;
    let session = running.initialize().await;
    let mut response = running
        .call(
            &session,
            5,
            "events/stream",
            json!({"name": "order.created"}),
        )
        .await;
    let events = crate::http_support::read_events(&mut response, 2, Duration::from_secs(5)).await;
    assert!(
        events
            .iter()
            .any(|e| e.data.contains("notifications/events/active")),
        "{events:?}"
    );
    assert_eq!(*heard.lock().unwrap(), vec![FirstArrived]);
    drop(response);
    let deadline = Instant::now() + Duration::from_secs(5);
    while heard.lock().unwrap().len() < 2 && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(*heard.lock().unwrap(), vec![FirstArrived, LastLeft]);
}
