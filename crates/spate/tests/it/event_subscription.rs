//! `EventSubscription` over real sockets on 127.0.0.1: a Spate server with the event type
//! `tick` (webhook delivery through the real sender, allowed to reach plain-http loopback),
//! our client, and for webhooks the transport's `WebhookReceiver` served beside them. In each
//! of the three modes every event arrives once and in order; the mode preference; and a
//! subscription reopened on the same cursor store resumes exactly where at-least-once says.

use std::sync::Arc;
use std::time::Duration;

use futures_util::future::BoxFuture;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use spate::client::{
    Client, CursorStore, CursorStoreError, EraChoice, EventSubscription, MemoryCursorStore,
    SubscriptionError, SubscriptionItem, SubscriptionMode, cursor_key,
};
use spate::engine::PeerError;
use spate::server::{EventEntry, Server, ServerConfig, ServerHandle};
use spate::store::event_history::MemoryEventHistory;
use spate::transport::http::client::HttpClientOptions;
use spate::transport::http::client::webhook_sender::{HttpWebhookSender, WebhookSenderConfig};
use spate::transport::http::server::HttpConfig;
use spate::transport::http::webhook_receiver::{ReceiverConfig, ReceiverInbox, WebhookReceiver};
use spate_protocol::JsonObject;

use crate::http_support::{Running, start_with};

#[derive(Debug, Serialize, Deserialize, JsonSchema)]
struct Tick {
    n: u64,
}

/// How long "nothing more arrives" is watched for.
const QUIET: Duration = Duration::from_millis(400);
/// How long an expected item may take.
const PATIENCE: Duration = Duration::from_secs(10);

struct Setup {
    client: Arc<Client>,
    handle: ServerHandle,
    inbox: ReceiverInbox,
    _running: Running,
}

/// A server offering `tick` (with webhook delivery when `webhooks`), our client, and a
/// webhook receiver on 127.0.0.1.
async fn serve(webhooks: bool) -> Setup {
    serve_in(webhooks, EraChoice::Legacy).await
}

/// [`serve`] with the client in `era` (declaring the events extension when modern).
async fn serve_in(webhooks: bool, era: EraChoice) -> Setup {
    let mut config = ServerConfig::default();
    config.events.history = Arc::new(MemoryEventHistory::new(1000));
    config.events.poll_interval = Duration::from_millis(50);
    if webhooks {
        let mut sender = WebhookSenderConfig::default();
        sender.policy.allow_loopback = true;
        sender.allow_http_loopback = true;
        sender.attempt_timeout = Duration::from_secs(2);
        config.events.webhooks.sender = Some(Arc::new(HttpWebhookSender::new(sender).unwrap()));
        config.events.webhooks.anonymous_principal = Some("tester".to_owned());
        config.events.webhooks.retry_delays = vec![Duration::from_millis(50); 3];
    }
    let server = Server::with_info(
        spate_protocol::Implementation::new("subscriptions", "1"),
        None,
        config,
    )
    .event(EventEntry::unfiltered::<Tick>("tick", "A tick"));
    let handle = server.handle();
    let running = start_with(server, HttpConfig::default()).await;
    let client = Client::builder("subscription-test", "1")
        .era(era)
        .events(era == EraChoice::Modern)
        .connect_http(
            &format!("{}/mcp", running.base),
            HttpClientOptions::default(),
        )
        .await
        .unwrap();

    let receiver = WebhookReceiver::new(ReceiverConfig::default());
    let app = axum::Router::new().nest("/hooks", receiver.router());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}/hooks", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    Setup {
        client: Arc::new(client),
        handle,
        inbox: receiver.inbox(base),
        _running: running,
    }
}

impl Setup {
    async fn open(&self, mode: SubscriptionMode, store: &MemoryCursorStore) -> EventSubscription {
        let mut builder = self
            .client
            .subscribe_events("tick", JsonObject::new())
            .mode(mode)
            .cursor_store(store.clone())
            .poll_interval(Duration::from_millis(20));
        if mode == SubscriptionMode::Webhook {
            builder = builder.webhook(self.inbox.clone());
        }
        let subscription = builder.open().await.unwrap();
        assert_eq!(subscription.mode(), mode);
        subscription
    }

    async fn emit(&self, range: std::ops::Range<u64>) {
        for n in range {
            self.handle.emit("tick", &Tick { n }, None).await.unwrap();
        }
    }
}

/// The next `count` items, which must all be events: their `n`s.
async fn take(subscription: &mut EventSubscription, count: usize) -> Vec<u64> {
    let mut got = Vec::new();
    while got.len() < count {
        let item = tokio::time::timeout(PATIENCE, subscription.next())
            .await
            .unwrap_or_else(|_| panic!("only {got:?} in time"))
            .unwrap();
        match item {
            SubscriptionItem::Event(event) => got.push(event.data["n"].as_u64().unwrap()),
            other => panic!("unexpected {other:?} after {got:?}"),
        }
    }
    got
}

/// Asserts nothing more arrives for a while (the call is abandoned, which a subscription
/// allows: its cursor of the last item is saved by then).
async fn assert_quiet(subscription: &mut EventSubscription) {
    let more = tokio::time::timeout(QUIET, subscription.next()).await;
    assert!(more.is_err(), "nothing more expected, got {more:?}");
}

async fn delivers_every_event_once_in_order(mode: SubscriptionMode) {
    let s = serve(true).await;
    let store = MemoryCursorStore::new();
    let mut subscription = s.open(mode, &store).await;
    let key = cursor_key("tick", &JsonObject::new());
    assert_eq!(subscription.key(), key);
    let start = store.get(&key);
    assert!(start.is_some(), "the starting position is saved at open");

    s.emit(0..60).await;
    assert_eq!(
        take(&mut subscription, 60).await,
        (0..60).collect::<Vec<_>>()
    );
    assert_quiet(&mut subscription).await;
    assert_ne!(store.get(&key), start, "the last item's cursor is saved");
    assert_eq!(store.get(&key).as_deref(), subscription.cursor());

    subscription.close().await.unwrap();
    if mode == SubscriptionMode::Webhook {
        assert_eq!(
            s.inbox.receiver().registrations(),
            0,
            "registration forgotten"
        );
    }
}

#[tokio::test]
async fn poll_delivers_every_event_once_in_order() {
    delivers_every_event_once_in_order(SubscriptionMode::Poll).await;
}

#[tokio::test]
async fn push_delivers_every_event_once_in_order() {
    delivers_every_event_once_in_order(SubscriptionMode::Push).await;
}

#[tokio::test]
async fn webhook_delivers_every_event_once_in_order() {
    delivers_every_event_once_in_order(SubscriptionMode::Webhook).await;
}

#[tokio::test]
async fn webhook_is_preferred_then_push_and_a_forced_mode_is_checked() {
    let s = serve(true).await;
    let open = |inbox: bool, mode: Option<SubscriptionMode>| {
        let mut builder = s.client.subscribe_events("tick", JsonObject::new());
        if inbox {
            builder = builder.webhook(s.inbox.clone());
        }
        if let Some(mode) = mode {
            builder = builder.mode(mode);
        }
        builder.open()
    };
    let chosen = open(true, None).await.unwrap();
    assert_eq!(chosen.mode(), SubscriptionMode::Webhook);
    chosen.close().await.unwrap();
    assert_eq!(
        open(false, None).await.unwrap().mode(),
        SubscriptionMode::Push
    );
    assert_eq!(
        open(true, Some(SubscriptionMode::Poll))
            .await
            .unwrap()
            .mode(),
        SubscriptionMode::Poll
    );
    assert!(matches!(
        open(false, Some(SubscriptionMode::Webhook)).await,
        Err(SubscriptionError::NoInbox)
    ));
    let unknown = s.client.subscribe_events("tock", JsonObject::new()).open();
    assert!(matches!(
        unknown.await,
        Err(SubscriptionError::NotOffered { mode: None, .. })
    ));

    // A server without a webhook sender offers poll and push only.
    let plain = serve(false).await;
    let open = |mode: Option<SubscriptionMode>| {
        let mut builder = plain
            .client
            .subscribe_events("tick", JsonObject::new())
            .webhook(plain.inbox.clone());
        if let Some(mode) = mode {
            builder = builder.mode(mode);
        }
        builder.open()
    };
    assert_eq!(open(None).await.unwrap().mode(), SubscriptionMode::Push);
    assert!(matches!(
        open(Some(SubscriptionMode::Webhook)).await,
        Err(SubscriptionError::NotOffered {
            mode: Some(SubscriptionMode::Webhook),
            ..
        })
    ));
    assert_eq!(plain.inbox.receiver().registrations(), 0);
}

/// Ten events, all handled and acknowledged (the subscription came back for more); five
/// more, of which two are handed out; dropped. Reopened on the same store, it delivers from
/// the first one not acknowledged: the 11th for push and webhook, whose every event carries
/// its cursor; the page's first for poll, whose page of five carries one cursor at its end.
async fn resumes_after_the_last_saved_cursor(mode: SubscriptionMode, first_again: u64) {
    let s = serve(true).await;
    let store = MemoryCursorStore::new();
    let mut first = s.open(mode, &store).await;
    s.emit(0..10).await;
    assert_eq!(take(&mut first, 10).await, (0..10).collect::<Vec<_>>());
    assert_quiet(&mut first).await;
    s.emit(10..15).await;
    assert_eq!(take(&mut first, 2).await, vec![10, 11]);
    drop(first);

    s.emit(15..20).await;
    let mut second = s.open(mode, &store).await;
    let expected: Vec<u64> = (first_again..20).collect();
    assert_eq!(take(&mut second, expected.len()).await, expected);
    assert_quiet(&mut second).await;
    second.close().await.unwrap();

    // The store of a closed subscription holds the last item's cursor: a third run has
    // nothing to catch up on, and sees what comes next.
    let key = cursor_key("tick", &JsonObject::new());
    assert!(store.load(&key).await.unwrap().is_some());
    let mut third = s.open(mode, &store).await;
    s.emit(20..21).await;
    assert_eq!(take(&mut third, 1).await, vec![20]);
    assert_quiet(&mut third).await;
    third.close().await.unwrap();
}

#[tokio::test]
async fn poll_resumes_after_the_last_saved_cursor() {
    resumes_after_the_last_saved_cursor(SubscriptionMode::Poll, 10).await;
}

#[tokio::test]
async fn push_resumes_after_the_last_saved_cursor() {
    resumes_after_the_last_saved_cursor(SubscriptionMode::Push, 11).await;
}

#[tokio::test]
async fn webhook_resumes_after_the_last_saved_cursor() {
    resumes_after_the_last_saved_cursor(SubscriptionMode::Webhook, 11).await;
}

#[tokio::test]
async fn a_terminated_webhook_subscription_ends_with_the_servers_error() {
    // SEP-3415's profile (a client declaring the extension) gets a `terminated` envelope.
    let s = serve_in(true, EraChoice::Modern).await;
    let mut subscription = s
        .open(SubscriptionMode::Webhook, &MemoryCursorStore::new())
        .await;
    s.emit(0..3).await;
    assert_eq!(take(&mut subscription, 3).await, vec![0, 1, 2]);
    assert!(s.handle.remove_event("tick"));
    let end = tokio::time::timeout(PATIENCE, subscription.next())
        .await
        .unwrap();
    match end {
        Err(SubscriptionError::Peer(PeerError::Remote(error))) => {
            assert_eq!(error.code, -32023, "{error:?}");
        }
        other => panic!("expected the termination, got {other:?}"),
    }
    subscription.close().await.unwrap();
}

/// A memory store whose saves fail while `broken` is set.
#[derive(Clone, Default)]
struct Flaky {
    inner: MemoryCursorStore,
    broken: Arc<std::sync::atomic::AtomicBool>,
}

impl CursorStore for Flaky {
    fn load<'a>(&'a self, key: &'a str) -> BoxFuture<'a, Result<Option<String>, CursorStoreError>> {
        self.inner.load(key)
    }

    fn save<'a>(
        &'a self,
        key: &'a str,
        cursor: &'a str,
    ) -> BoxFuture<'a, Result<(), CursorStoreError>> {
        if self.broken.load(std::sync::atomic::Ordering::SeqCst) {
            return Box::pin(async { Err(CursorStoreError("disk full".into())) });
        }
        self.inner.save(key, cursor)
    }
}

#[tokio::test]
async fn a_failed_save_is_reported_and_retried_without_losing_an_item() {
    let s = serve(false).await;
    let store = Flaky::default();
    let mut subscription = s
        .client
        .subscribe_events("tick", JsonObject::new())
        .cursor_store(store.clone())
        .open()
        .await
        .unwrap();
    s.emit(0..3).await;
    assert_eq!(take(&mut subscription, 1).await, vec![0]);
    store
        .broken
        .store(true, std::sync::atomic::Ordering::SeqCst);
    let failed = subscription.next().await;
    assert!(
        matches!(failed, Err(SubscriptionError::Store(_))),
        "{failed:?}"
    );
    store
        .broken
        .store(false, std::sync::atomic::Ordering::SeqCst);
    assert_eq!(take(&mut subscription, 2).await, vec![1, 2]);
    let key = cursor_key("tick", &JsonObject::new());
    assert!(store.inner.get(&key).is_some());
}

#[test]
fn a_subscription_can_move_to_a_task() {
    fn send<T: Send + 'static>() {}
    send::<EventSubscription>();
}
