//! Push (`events/stream`): order and loss over 10 000 events, resuming from a cursor, our
//! `EventStream` client (watchdog, reopen), cancellation and dropped responses, the
//! separate room for subscriptions in a session, termination, and stdio framing.

use super::*;

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

/// A stream opened with a cursor replays what came after it; its `active` names that cursor
/// (the position before the replayed events), so a client that persists it loses nothing.
#[tokio::test]
async fn a_stream_from_a_cursor_replays_after_it() {
    let (s, handle) = serve(100).await;
    let cursor = poll(&s.client, json!({"name": "order.created"}))
        .await
        .cursor
        .unwrap();
    emit_orders(&handle, 1..=3).await;
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
        emit_orders(&handle, 1..=1000).await;
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
