//! Sources: the first/last subscriber hook, checkable sources (asked after a cursor, nudged,
//! failing once).

use super::*;

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
