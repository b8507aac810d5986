//! The events extension's webhook mode, end to end over real sockets on 127.0.0.1: our
//! client subscribes on a Streamable HTTP server, which verifies the callback and POSTs
//! signed deliveries to a receiver written here (it checks every signature over the raw
//! bytes and records what arrives). 10 000 events with nothing lost, duplicated or
//! reordered; retries, `410`, a slow receiver beside a fast one, refresh with a new secret
//! (both signatures while it settles), unsubscribe, both wire profiles, and the error
//! answers.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::IntoResponse;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use spate::client::{CallOptions, Client, EraChoice};
use spate::engine::PeerError;
use spate::events::verification::answer_challenge;
use spate::events::webhook_signature::{SignatureVerifier, WebhookHeaders, WebhookSecret};
use spate::server::{EventEntry, Server, ServerConfig, ServerHandle};
use spate::store::event_history::MemoryEventHistory;
use spate::transport::http::client::HttpClientOptions;
use spate::transport::http::client::webhook_sender::{HttpWebhookSender, WebhookSenderConfig};
use spate::transport::http::server::HttpConfig;

use crate::http_support::{Running, start_with};

#[derive(Debug, Serialize, Deserialize, JsonSchema)]
pub(crate) struct Tick {
    pub(crate) n: u64,
}

/// One POST the receiver accepted.
#[derive(Debug, Clone)]
pub(crate) struct Delivery {
    webhook_id: String,
    subscription_id: String,
    /// `v1,` entries in `webhook-signature`.
    signatures: usize,
    pub(crate) body: Value,
}

/// What a test receiver does and has seen.
#[derive(Default)]
pub(crate) struct Receiver {
    secrets: Mutex<Vec<WebhookSecret>>,
    /// Statuses to answer deliveries with before accepting (one per POST).
    script: Mutex<VecDeque<u16>>,
    /// Answer the verification challenge (else `200 {}`).
    refuse_challenge: std::sync::atomic::AtomicBool,
    pub(crate) delay: Mutex<Duration>,
    posts: AtomicUsize,
    challenges: AtomicUsize,
    pub(crate) accepted: Mutex<Vec<Delivery>>,
}

async fn receive(
    State(r): State<Arc<Receiver>>,
    headers: HeaderMap,
    body: Bytes,
) -> axum::response::Response {
    r.posts.fetch_add(1, Ordering::SeqCst);
    let header = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned()
    };
    let (id, timestamp, signature) = (
        header("webhook-id"),
        header("webhook-timestamp"),
        header("webhook-signature"),
    );
    let secrets = r.secrets.lock().unwrap().clone();
    let signed = WebhookHeaders {
        id: &id,
        timestamp: &timestamp,
        signature: &signature,
    };
    if SignatureVerifier::new()
        .verify(&secrets, &signed, &body)
        .is_err()
    {
        return StatusCode::UNAUTHORIZED.into_response();
    }
    if let Some(echo) = answer_challenge(&body) {
        r.challenges.fetch_add(1, Ordering::SeqCst);
        if r.refuse_challenge.load(Ordering::SeqCst) {
            return (StatusCode::OK, "{}").into_response();
        }
        return (StatusCode::OK, echo).into_response();
    }
    if let Some(status) = r.script.lock().unwrap().pop_front() {
        return StatusCode::from_u16(status).unwrap().into_response();
    }
    let delay = *r.delay.lock().unwrap();
    tokio::time::sleep(delay).await;
    let delivery = Delivery {
        webhook_id: id,
        subscription_id: header("x-mcp-subscription-id"),
        signatures: signature
            .split(' ')
            .filter(|s| s.starts_with("v1,"))
            .count(),
        body: serde_json::from_slice(&body).unwrap(),
    };
    r.accepted.lock().unwrap().push(delivery);
    StatusCode::NO_CONTENT.into_response()
}

/// A receiver on 127.0.0.1 that knows `secret`; its callback URL.
pub(crate) async fn receiver(secret: &WebhookSecret) -> (String, Arc<Receiver>) {
    let state = Arc::new(Receiver::default());
    state.secrets.lock().unwrap().push(secret.clone());
    let app = axum::Router::new()
        .route("/hook", axum::routing::post(receive))
        .with_state(state.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move { axum::serve(listener, app).await });
    (format!("http://127.0.0.1:{port}/hook"), state)
}

impl Receiver {
    pub(crate) fn events(&self) -> Vec<Delivery> {
        self.accepted
            .lock()
            .unwrap()
            .iter()
            .filter(|d| d.body.get("type").is_none())
            .cloned()
            .collect()
    }

    pub(crate) async fn wait_for(&self, count: usize, within: Duration) -> Vec<Delivery> {
        let deadline = Instant::now() + within;
        loop {
            let accepted = self.accepted.lock().unwrap().clone();
            if accepted.len() >= count || Instant::now() > deadline {
                return accepted;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}

/// A server with the event type `tick` whose webhooks go through the real sender (allowed
/// to reach plain-http loopback, as a development setup is), and our client; `adjust`
/// changes the configuration.
pub(crate) async fn serve(
    declare_events: bool,
    adjust: impl FnOnce(&mut ServerConfig),
) -> (Client, ServerHandle, Running) {
    let mut sender = WebhookSenderConfig::default();
    sender.policy.allow_loopback = true;
    sender.allow_http_loopback = true;
    sender.attempt_timeout = Duration::from_secs(2);
    let mut config = ServerConfig::default();
    config.events.history = Arc::new(MemoryEventHistory::new(20_000));
    config.events.webhooks.sender = Some(Arc::new(HttpWebhookSender::new(sender).unwrap()));
    config.events.webhooks.anonymous_principal = Some("tester".to_owned());
    config.events.webhooks.retry_delays = vec![Duration::from_millis(50); 3];
    adjust(&mut config);
    let server = Server::with_info(
        spate_protocol::Implementation::new("webhooks", "1"),
        None,
        config,
    )
    .event(EventEntry::unfiltered::<Tick>("tick", "A tick"));
    let handle = server.handle();
    let running = start_with(server, HttpConfig::default()).await;
    // Declaring the events extension is a 2026-07-28 thing: that client speaks modern.
    let era = if declare_events {
        EraChoice::Modern
    } else {
        EraChoice::Legacy
    };
    let client = Client::builder("webhook-test", "1")
        .era(era)
        .events(declare_events)
        .connect_http(
            &format!("{}/mcp", running.base),
            HttpClientOptions::default(),
        )
        .await
        .unwrap();
    (client, handle, running)
}

pub(crate) async fn call(client: &Client, method: &str, params: Value) -> Result<Value, PeerError> {
    let raw = client
        .call_method(method, &params, CallOptions::default())
        .await?;
    Ok(serde_json::from_str(raw.get()).unwrap())
}

pub(crate) fn subscribe_params(url: &str, secret: &WebhookSecret) -> Value {
    json!({
        "name": "tick",
        "arguments": {},
        "delivery": {"mode": "webhook", "url": url, "secret": secret.to_text()},
        "cursor": null,
    })
}

pub(crate) async fn emit(handle: &ServerHandle, range: std::ops::Range<u64>) {
    for n in range {
        handle.emit("tick", &Tick { n }, None).await.unwrap();
    }
}

pub(crate) fn numbers(deliveries: &[Delivery]) -> Vec<u64> {
    deliveries
        .iter()
        .map(|d| d.body["data"]["n"].as_u64().unwrap())
        .collect()
}

#[tokio::test]
async fn ten_thousand_events_arrive_signed_once_and_in_order() {
    let (client, handle, _running) = serve(false, |_| {}).await;
    let secret = WebhookSecret::generate();
    let (url, r) = receiver(&secret).await;
    let listed = call(&client, "events/list", json!({})).await.unwrap();
    assert_eq!(
        listed["events"][0]["delivery"],
        json!(["poll", "push", "webhook"])
    );

    let result = call(&client, "events/subscribe", subscribe_params(&url, &secret))
        .await
        .unwrap();
    let id = result["id"].as_str().unwrap().to_owned();
    assert!(id.starts_with("sub_"), "{result}");
    assert!(result["refreshBefore"].as_str().unwrap().ends_with('Z'));
    assert_eq!(result["truncated"], false);
    assert_eq!(
        r.challenges.load(Ordering::SeqCst),
        1,
        "verified before the result"
    );

    const N: u64 = 10_000;
    emit(&handle, 0..N).await;
    let got = r.wait_for(N as usize, Duration::from_secs(120)).await;
    let events = r.events();
    assert_eq!(
        events.len(),
        got.len(),
        "no control envelope on this profile"
    );
    assert_eq!(
        numbers(&events),
        (0..N).collect::<Vec<_>>(),
        "all, once, in order"
    );
    let mut last_cursor = String::new();
    for d in &events {
        // The sketch's profile: webhook-id is the event id, one signature, the id header.
        assert_eq!(d.webhook_id, d.body["eventId"].as_str().unwrap());
        assert_eq!(d.subscription_id, id);
        assert_eq!(d.signatures, 1);
        let cursor = d.body["cursor"].as_str().unwrap().to_owned();
        assert_ne!(cursor, last_cursor, "every body carries its own watermark");
        last_cursor = cursor;
    }
    assert_eq!(
        r.posts.load(Ordering::SeqCst),
        N as usize + 1,
        "no retries needed"
    );
}

#[tokio::test]
async fn failures_are_retried_but_410_is_not() {
    let (client, handle, _running) = serve(false, |_| {}).await;
    let secret = WebhookSecret::generate();
    let (url, r) = receiver(&secret).await;
    call(&client, "events/subscribe", subscribe_params(&url, &secret))
        .await
        .unwrap();
    // First event: 503 then 500, then accepted. Second: 410, never retried. Third: fine.
    r.script.lock().unwrap().extend([503, 500]);
    emit(&handle, 0..1).await;
    r.wait_for(1, Duration::from_secs(10)).await;
    r.script.lock().unwrap().push_back(410);
    emit(&handle, 1..3).await;
    let got = r.wait_for(2, Duration::from_secs(10)).await;
    assert_eq!(numbers(&got), vec![0, 2]);
    // challenge + (503, 500, 200) + 410 + 200
    assert_eq!(r.posts.load(Ordering::SeqCst), 6);
}

#[tokio::test]
async fn a_slow_receiver_does_not_delay_a_fast_one() {
    let (client, handle, _running) = serve(false, |c| {
        c.events.webhooks.retry_delays = vec![Duration::from_secs(30)];
    })
    .await;
    let (fast_secret, slow_secret) = (WebhookSecret::generate(), WebhookSecret::generate());
    let (fast_url, fast) = receiver(&fast_secret).await;
    let (slow_url, slow) = receiver(&slow_secret).await;
    *slow.delay.lock().unwrap() = Duration::from_secs(10);
    for (url, secret) in [(&slow_url, &slow_secret), (&fast_url, &fast_secret)] {
        call(&client, "events/subscribe", subscribe_params(url, secret))
            .await
            .unwrap();
    }
    let started = Instant::now();
    emit(&handle, 0..20).await;
    let got = fast.wait_for(20, Duration::from_secs(5)).await;
    assert_eq!(numbers(&got), (0..20).collect::<Vec<_>>());
    assert!(started.elapsed() < Duration::from_secs(5));
    assert!(
        slow.accepted.lock().unwrap().is_empty(),
        "still on its first"
    );
}

#[tokio::test]
async fn refresh_rotates_the_secret_and_unsubscribe_stops_delivery() {
    let (client, handle, _running) = serve(false, |_| {}).await;
    let (old, new) = (WebhookSecret::generate(), WebhookSecret::generate());
    let (url, r) = receiver(&old).await;
    let first = call(&client, "events/subscribe", subscribe_params(&url, &old))
        .await
        .unwrap();
    emit(&handle, 0..1).await;
    r.wait_for(1, Duration::from_secs(10)).await;

    // Refresh with a new secret: same id, a delivery status; the receiver now holds only
    // the new secret, and deliveries carry both signatures during the grace.
    *r.secrets.lock().unwrap() = vec![new.clone()];
    let refreshed = call(&client, "events/subscribe", subscribe_params(&url, &new))
        .await
        .unwrap();
    assert_eq!(refreshed["id"], first["id"]);
    assert_eq!(refreshed["deliveryStatus"]["active"], true);
    assert!(refreshed["deliveryStatus"]["lastDeliveryAt"].is_string());
    emit(&handle, 1..2).await;
    let got = r.wait_for(2, Duration::from_secs(10)).await;
    assert_eq!(numbers(&got), vec![0, 1]);
    assert_eq!(got[1].signatures, 2, "old and new secret both sign");

    let params = json!({"name": "tick", "arguments": {}, "delivery": {"url": url}});
    let gone = call(&client, "events/unsubscribe", params.clone())
        .await
        .unwrap();
    assert_eq!(gone, json!({}), "the empty result of a 2025 session");
    emit(&handle, 2..3).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(r.events().len(), 2, "nothing after unsubscribe");
    // Unknown key: the empty result (ChatGPT's profile) by default.
    call(&client, "events/unsubscribe", params).await.unwrap();
}

#[tokio::test]
async fn the_sep_profile_gets_per_message_ids_and_a_terminated_envelope() {
    let (client, handle, _running) = serve(true, |_| {}).await;
    let secret = WebhookSecret::generate();
    let (url, r) = receiver(&secret).await;
    call(&client, "events/subscribe", subscribe_params(&url, &secret))
        .await
        .unwrap();
    emit(&handle, 0..1).await;
    let got = r.wait_for(1, Duration::from_secs(10)).await;
    assert!(got[0].webhook_id.starts_with("msg_evt_"), "{:?}", got[0]);
    assert_ne!(got[0].webhook_id, got[0].body["eventId"].as_str().unwrap());

    assert!(handle.remove_event("tick"));
    let got = r.wait_for(2, Duration::from_secs(10)).await;
    let end = &got[1];
    assert_eq!(end.body["type"], "terminated");
    assert_eq!(end.body["error"]["code"], -32023);
    assert_eq!(end.body["error"]["data"]["kind"], "event");
    assert!(end.webhook_id.starts_with("msg_terminated_"));
}

#[tokio::test]
async fn refusals_name_their_cause() {
    let (client, _handle, _running) = serve(false, |_| {}).await;
    let secret = WebhookSecret::generate();
    let (url, r) = receiver(&secret).await;
    let code_and_data = |e: PeerError| match e {
        PeerError::Remote(e) => (e.code, e.data.unwrap_or(Value::Null)),
        other => panic!("{other:?}"),
    };
    let closed = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        format!("http://127.0.0.1:{}/hook", l.local_addr().unwrap().port())
    };
    let with = |edit: &dyn Fn(&mut Value)| {
        let mut p = subscribe_params(&url, &secret);
        edit(&mut p);
        p
    };
    let table: Vec<(Value, i64, Value)> = vec![
        (
            with(&|p| p["name"] = json!("nope")),
            -32011,
            json!({"kind": "event"}),
        ),
        (
            with(&|p| p["delivery"]["mode"] = json!("poll")),
            -32014,
            json!({"feature": "deliveryMode", "value": "poll"}),
        ),
        (
            with(&|p| p["delivery"]["url"] = json!("http://example.com/hook")),
            -32602,
            json!({"field": "delivery.url", "reason": "https_required"}),
        ),
        (
            with(&|p| p["delivery"]["secret"] = json!("whsec_c2hvcnQ=")),
            -32602,
            json!({"field": "delivery.secret", "reason": "invalid_secret"}),
        ),
        (
            with(&|p| p["arguments"] = json!({"unexpected": 1})),
            -32602,
            Value::Null,
        ),
        (
            with(&|p| p["delivery"]["url"] = json!(closed)),
            -32015,
            json!({"reason": "connection_refused"}),
        ),
    ];
    for (params, code, data) in table {
        let e = call(&client, "events/subscribe", params.clone())
            .await
            .unwrap_err();
        let (got_code, got_data) = code_and_data(e);
        assert_eq!(got_code, code, "{params}");
        if !data.is_null() {
            assert_eq!(got_data, data, "{params}");
        }
    }
    r.refuse_challenge.store(true, Ordering::SeqCst);
    let e = call(&client, "events/subscribe", subscribe_params(&url, &secret))
        .await
        .unwrap_err();
    assert_eq!(
        code_and_data(e),
        (-32015, json!({"reason": "challenge_failed"}))
    );
    assert!(r.accepted.lock().unwrap().is_empty());

    // Without an authenticated principal (and no development one): Forbidden.
    let (anonymous, _h, _r) = serve(false, |c| c.events.webhooks.anonymous_principal = None).await;
    let e = call(
        &anonymous,
        "events/subscribe",
        subscribe_params(&url, &secret),
    )
    .await
    .unwrap_err();
    assert_eq!(code_and_data(e).0, -32012);
}

#[tokio::test]
async fn challenges_are_rate_limited_per_principal_but_cached_ones_are_free() {
    let (client, _handle, _running) = serve(false, |c| {
        c.events.webhooks.challenges_per_principal_per_minute = 2;
    })
    .await;
    let secret = WebhookSecret::generate();
    let mut receivers = Vec::new();
    for _ in 0..3 {
        receivers.push(receiver(&secret).await);
    }
    for (url, _) in &receivers[..2] {
        call(&client, "events/subscribe", subscribe_params(url, &secret))
            .await
            .unwrap();
    }
    let e = call(
        &client,
        "events/subscribe",
        subscribe_params(&receivers[2].0, &secret),
    )
    .await
    .unwrap_err();
    let PeerError::Remote(e) = e else {
        panic!("{e:?}")
    };
    assert_eq!(e.code, -32013, "{e:?}");
    let data = e.data.unwrap();
    assert_eq!(data["limit"], "verification_rate");
    assert!(data["retryAfterMs"].as_u64().unwrap() > 0);
    assert_eq!(
        receivers[2].1.posts.load(Ordering::SeqCst),
        0,
        "never contacted"
    );
    // A refresh of a verified callback needs no challenge, so it is not limited.
    call(
        &client,
        "events/subscribe",
        subscribe_params(&receivers[0].0, &secret),
    )
    .await
    .unwrap();
    assert_eq!(receivers[0].1.challenges.load(Ordering::SeqCst), 1);
}

/// A TCP listener on 127.0.0.1 that counts connections and answers each with `reply`.
async fn counting_listener(reply: String) -> (u16, Arc<AtomicUsize>) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let count = Arc::new(AtomicUsize::new(0));
    let seen = count.clone();
    tokio::spawn(async move {
        while let Ok((mut socket, _)) = listener.accept().await {
            seen.fetch_add(1, Ordering::SeqCst);
            let reply = reply.clone();
            tokio::spawn(async move {
                let mut buffer = [0u8; 4096];
                let _ = socket.read(&mut buffer).await;
                let _ = socket.write_all(reply.as_bytes()).await;
            });
        }
    });
    (port, count)
}

/// SSRF, end to end: with the default (strict) policy, callbacks to private, metadata,
/// loopback and unspecified addresses are refused at subscribe, and a name that resolves to
/// loopback is refused at delivery (the challenge) without a connection; with loopback
/// allowed, a redirect is not followed (the challenge fails and its target is never
/// contacted).
#[tokio::test]
async fn callbacks_to_internal_addresses_are_refused_and_never_contacted() {
    let strict =
        || Some(Arc::new(HttpWebhookSender::new(WebhookSenderConfig::default()).unwrap()) as _);
    let (client, _handle, _running) = serve(false, |c| c.events.webhooks.sender = strict()).await;
    let secret = WebhookSecret::generate();
    let ok = "HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\n{}".to_owned();
    let (port, contacted) = counting_listener(ok).await;
    let refusals = [
        ("https://10.0.0.1/hook", -32602, "address_not_allowed"),
        (
            "https://169.254.169.254/latest",
            -32602,
            "address_not_allowed",
        ),
        ("https://[::1]/hook", -32602, "address_not_allowed"),
        ("https://0.0.0.0/hook", -32602, "address_not_allowed"),
        (
            &format!("https://127.0.0.1:{port}/hook"),
            -32602,
            "address_not_allowed",
        ),
        (
            &format!("http://127.0.0.1:{port}/hook"),
            -32602,
            "https_required",
        ),
        (
            &format!("https://localhost:{port}/hook"),
            -32015,
            "connection_refused",
        ),
    ];
    for (url, code, reason) in refusals {
        let e = call(&client, "events/subscribe", subscribe_params(url, &secret))
            .await
            .unwrap_err();
        let PeerError::Remote(e) = e else {
            panic!("{url}: {e:?}")
        };
        assert_eq!(e.code, code, "{url}: {e:?}");
        assert_eq!(e.data.unwrap()["reason"], reason, "{url}");
    }
    assert_eq!(
        contacted.load(Ordering::SeqCst),
        0,
        "nothing internal was contacted"
    );

    // Loopback allowed (a development setup): a callback that redirects is not followed.
    let (client, _handle, _running) = serve(false, |_| {}).await;
    let (target, target_contacted) = counting_listener(String::new()).await;
    let redirect = format!(
        "HTTP/1.1 302 Found\r\nlocation: http://127.0.0.1:{target}/\r\ncontent-length: 0\r\n\r\n"
    );
    let (redirecting, _) = counting_listener(redirect).await;
    let url = format!("http://127.0.0.1:{redirecting}/hook");
    let e = call(&client, "events/subscribe", subscribe_params(&url, &secret))
        .await
        .unwrap_err();
    let PeerError::Remote(e) = e else {
        panic!("{e:?}")
    };
    assert_eq!(
        (e.code, e.data.unwrap()["reason"].clone()),
        (-32015, json!("challenge_failed"))
    );
    assert_eq!(
        target_contacted.load(Ordering::SeqCst),
        0,
        "the redirect was not followed"
    );
}

/// A subscription from a cursor the history no longer reaches: the result says
/// `truncated: true`, and delivery replays what is kept, in order, with nothing else.
#[tokio::test]
async fn a_stale_cursor_is_truncated_and_replay_starts_at_what_is_kept() {
    let (client, handle, _running) = serve(false, |c| {
        c.events.history = Arc::new(MemoryEventHistory::new(5));
    })
    .await;
    let start = call(&client, "events/poll", json!({"name": "tick"}))
        .await
        .unwrap();
    let cursor = start["cursor"].as_str().unwrap().to_owned();
    emit(&handle, 0..10).await;
    let secret = WebhookSecret::generate();
    let (url, r) = receiver(&secret).await;
    let mut params = subscribe_params(&url, &secret);
    params["cursor"] = json!(cursor);
    let result = call(&client, "events/subscribe", params).await.unwrap();
    assert_eq!(result["truncated"], true, "{result}");
    let got = r.wait_for(5, Duration::from_secs(10)).await;
    assert_eq!(numbers(&got), vec![5, 6, 7, 8, 9]);
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(
        r.accepted.lock().unwrap().len(),
        5,
        "no gap envelope on this profile"
    );
}

/// Sustained failure suspends delivery (no more attempts); the next refresh reports it
/// (`deliveryStatus.active: false`, `lastError`) and resumes, and the pending event arrives.
#[tokio::test]
async fn sustained_failure_suspends_until_a_refresh() {
    let (client, handle, _running) = serve(false, |c| {
        c.events.webhooks.suspend_after = Duration::ZERO;
        c.events.webhooks.suspend_min_attempts = 3;
        c.events.webhooks.retry_delays = vec![Duration::from_millis(20); 10];
    })
    .await;
    let secret = WebhookSecret::generate();
    let (url, r) = receiver(&secret).await;
    call(&client, "events/subscribe", subscribe_params(&url, &secret))
        .await
        .unwrap();
    r.script.lock().unwrap().extend([500; 50]);
    emit(&handle, 0..1).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    // The challenge, then three failures: suspended, nothing more.
    assert_eq!(r.posts.load(Ordering::SeqCst), 4);
    r.script.lock().unwrap().clear();
    let refreshed = call(&client, "events/subscribe", subscribe_params(&url, &secret))
        .await
        .unwrap();
    let status = &refreshed["deliveryStatus"];
    assert_eq!(status["active"], false, "{refreshed}");
    assert_eq!(status["lastError"], "http_5xx");
    assert!(status["failedSince"].is_string());
    let got = r.wait_for(1, Duration::from_secs(5)).await;
    assert_eq!(
        numbers(&got),
        vec![0],
        "the pending event after the refresh"
    );
}

/// SEP-3415 profile: an event whose retries are spent is given up, and the subscriber is
/// told with a `gap` envelope carrying the watermark; delivery goes on.
#[tokio::test]
async fn a_given_up_event_is_a_gap_for_the_sep_profile() {
    let (client, handle, _running) = serve(true, |c| {
        c.events.webhooks.retry_delays = vec![Duration::from_millis(20); 2];
    })
    .await;
    let secret = WebhookSecret::generate();
    let (url, r) = receiver(&secret).await;
    call(&client, "events/subscribe", subscribe_params(&url, &secret))
        .await
        .unwrap();
    r.script.lock().unwrap().extend([500, 500, 500]);
    emit(&handle, 0..2).await;
    let got = r.wait_for(2, Duration::from_secs(5)).await;
    assert_eq!(got[0].body["type"], "gap", "{got:?}");
    assert!(got[0].webhook_id.starts_with("msg_gap_"));
    let gap_cursor = got[0].body["cursor"].as_str().unwrap().to_owned();
    assert_eq!(numbers(&got[1..]), vec![1]);
    assert_ne!(got[1].body["cursor"].as_str().unwrap(), gap_cursor);
}
