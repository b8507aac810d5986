//! The webhook receiver (`spate::transport::http::webhook_receiver`) over a real socket:
//! hostile deliveries are refused with the right status and reach nothing, and the happy path
//! (verification echo, events, gap, terminated, redeliveries) reaches the application once.

use std::time::{SystemTime, UNIX_EPOCH};

use reqwest::StatusCode;
use serde_json::{Value, json};
use spate::events::WebhookSecret;
use spate::transport::http::webhook_receiver::{
    ReceiverConfig, WebhookDeliveries, WebhookItem, WebhookReceiver, WebhookRegistration,
};

const SUB_ID: &str = "sub_0123456789abcdef";

/// A receiver served on 127.0.0.1 under `/hooks`; answers it and its base URL.
async fn serve(config: ReceiverConfig) -> (WebhookReceiver, String) {
    let receiver = WebhookReceiver::new(config);
    let app = axum::Router::new().nest("/hooks", receiver.router());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await });
    (receiver, format!("http://{addr}/hooks"))
}

fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

/// One POST as a sender would make it.
struct Post<'a> {
    url: String,
    secret: &'a WebhookSecret,
    message_id: String,
    timestamp: u64,
    subscription_id: Option<&'a str>,
    body: Vec<u8>,
}

impl<'a> Post<'a> {
    fn new(
        registration: &'a WebhookRegistration,
        base: &str,
        message_id: &str,
        body: Value,
    ) -> Self {
        Self {
            url: registration.callback_url(base),
            secret: registration.secret(),
            message_id: message_id.to_owned(),
            timestamp: now(),
            subscription_id: Some(SUB_ID),
            body: serde_json::to_vec(&body).unwrap(),
        }
    }

    async fn send(&self) -> (StatusCode, String) {
        let signature = self
            .secret
            .sign(&self.message_id, self.timestamp, &self.body);
        let mut request = reqwest::Client::new()
            .post(&self.url)
            .header("content-type", "application/json")
            .header("webhook-id", &self.message_id)
            .header("webhook-timestamp", self.timestamp.to_string())
            .header("webhook-signature", signature)
            .body(self.body.clone());
        if let Some(id) = self.subscription_id {
            request = request.header("X-MCP-Subscription-Id", id);
        }
        let response = request.send().await.unwrap();
        let status = response.status();
        (status, response.text().await.unwrap())
    }
}

fn event(id: &str, seq: u64) -> Value {
    json!({
        "eventId": id,
        "name": "demo.ping",
        "timestamp": "2026-02-19T16:00:00Z",
        "data": {"seq": seq},
        "cursor": format!("cursor-{seq}"),
    })
}

/// Asserts the application has been handed nothing.
fn assert_nothing(deliveries: &mut WebhookDeliveries, why: &str) {
    assert_eq!(
        deliveries.try_recv(),
        None,
        "{why}: something reached the app"
    );
}

fn event_id(item: Option<WebhookItem>) -> String {
    match item {
        Some(WebhookItem::Event(event)) => event.event_id,
        other => panic!("expected an event, got {other:?}"),
    }
}

#[tokio::test]
async fn verification_events_gap_and_terminated_reach_the_app_once() {
    let (receiver, base) = serve(ReceiverConfig::default()).await;
    let (registration, mut deliveries) = receiver.register(WebhookSecret::generate());

    // The challenge arrives while events/subscribe is in flight: any id, echoed, not forwarded.
    let challenge = json!({"type": "verification", "challenge": "Q2hhbGxlbmdl"});
    let mut post = Post::new(&registration, &base, "msg_verification_1", challenge);
    post.subscription_id = Some("sub_not_known_yet");
    let (status, body) = post.send().await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        serde_json::from_str::<Value>(&body).unwrap(),
        json!({"challenge": "Q2hhbGxlbmdl"})
    );
    assert_nothing(&mut deliveries, "verification");

    // An event before the subscribe result is bound: 503, the sender retries.
    let early = Post::new(&registration, &base, "evt_1", event("evt_1", 1));
    assert_eq!(early.send().await.0, StatusCode::SERVICE_UNAVAILABLE);
    assert_nothing(&mut deliveries, "event before bind");

    registration.bind(SUB_ID);
    assert_eq!(early.send().await.0, StatusCode::NO_CONTENT);
    assert_eq!(event_id(deliveries.try_recv()), "evt_1");
    assert_eq!(registration.cursor().as_deref(), Some("cursor-1"));

    // The same message again (a retry whose 2xx was lost): acknowledged, not forwarded.
    let mut again = Post::new(&registration, &base, "evt_1", event("evt_1", 1));
    again.timestamp = now() + 1;
    assert_eq!(again.send().await.0, StatusCode::NO_CONTENT);
    assert_nothing(&mut deliveries, "same webhook-id");
    // The same event under a per-message id (the other profile): also forwarded once.
    let renamed = Post::new(&registration, &base, "msg_evt_aaaa", event("evt_1", 1));
    assert_eq!(renamed.send().await.0, StatusCode::NO_CONTENT);
    assert_nothing(&mut deliveries, "same eventId, new webhook-id");

    // Per-message ids for new events are fine.
    let second = Post::new(&registration, &base, "msg_evt_bbbb", event("evt_2", 2));
    assert_eq!(second.send().await.0, StatusCode::NO_CONTENT);
    assert_eq!(event_id(deliveries.try_recv()), "evt_2");
    assert_eq!(registration.cursor().as_deref(), Some("cursor-2"));

    let gap = json!({"type": "gap", "cursor": "cursor-after-gap"});
    let gap_post = Post::new(&registration, &base, "msg_gap_1", gap);
    assert_eq!(gap_post.send().await.0, StatusCode::NO_CONTENT);
    assert_eq!(
        deliveries.try_recv(),
        Some(WebhookItem::Gap {
            cursor: Some("cursor-after-gap".into())
        })
    );
    assert_eq!(registration.cursor().as_deref(), Some("cursor-after-gap"));
    assert_eq!(gap_post.send().await.0, StatusCode::NO_CONTENT);
    assert_nothing(&mut deliveries, "gap again");

    let end = json!({"type": "terminated", "error": {"code": -32012, "message": "Forbidden"}});
    let end_post = Post::new(&registration, &base, "msg_terminated_1", end);
    assert_eq!(end_post.send().await.0, StatusCode::NO_CONTENT);
    match deliveries.try_recv() {
        Some(WebhookItem::Terminated(error)) => assert_eq!(error.code, -32012),
        other => panic!("expected terminated, got {other:?}"),
    }

    // An unknown control type is acknowledged and ignored.
    let other = Post::new(&registration, &base, "msg_x_1", json!({"type": "novel"}));
    assert_eq!(other.send().await.0, StatusCode::NO_CONTENT);
    assert_nothing(&mut deliveries, "unknown control type");
}

#[tokio::test]
async fn hostile_deliveries_are_refused_and_reach_nothing() {
    let (receiver, base) = serve(ReceiverConfig::default()).await;
    let (registration, mut deliveries) = receiver.register(WebhookSecret::generate());
    registration.bind(SUB_ID);
    let stranger = WebhookSecret::generate();

    // Signed with a secret the receiver does not hold.
    let mut forged = Post::new(&registration, &base, "evt_1", event("evt_1", 1));
    forged.secret = &stranger;
    assert_eq!(forged.send().await.0, StatusCode::UNAUTHORIZED);
    // A verification with a wrong signature is not echoed.
    let challenge = json!({"type": "verification", "challenge": "abc"});
    let mut forged_challenge = Post::new(&registration, &base, "msg_verification_2", challenge);
    forged_challenge.secret = &stranger;
    let (status, body) = forged_challenge.send().await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert!(!body.contains("abc"), "{body}");

    // Correctly signed, but stale or from the future (more than 5 minutes away).
    for timestamp in [now() - 301, now() + 301] {
        let mut off = Post::new(&registration, &base, "evt_2", event("evt_2", 2));
        off.timestamp = timestamp;
        assert_eq!(
            off.send().await.0,
            StatusCode::UNAUTHORIZED,
            "ts {timestamp}"
        );
    }
    // A body changed after signing (signature over other bytes).
    let mut tampered = Post::new(&registration, &base, "evt_3", event("evt_3", 3));
    let signature = tampered
        .secret
        .sign("evt_3", tampered.timestamp, &tampered.body);
    tampered.body = serde_json::to_vec(&event("evt_3", 4)).unwrap();
    let response = reqwest::Client::new()
        .post(&tampered.url)
        .header("webhook-id", "evt_3")
        .header("webhook-timestamp", tampered.timestamp.to_string())
        .header("webhook-signature", signature)
        .header("X-MCP-Subscription-Id", SUB_ID)
        .body(tampered.body.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    // No signature headers at all.
    let bare = reqwest::Client::new()
        .post(registration.callback_url(&base))
        .header("X-MCP-Subscription-Id", SUB_ID)
        .json(&event("evt_4", 4))
        .send()
        .await
        .unwrap();
    assert_eq!(bare.status(), StatusCode::UNAUTHORIZED);

    // Signed correctly for a subscription id other than the bound one, or without one.
    let mut elsewhere = Post::new(&registration, &base, "evt_5", event("evt_5", 5));
    elsewhere.subscription_id = Some("sub_someone_else");
    assert_eq!(elsewhere.send().await.0, StatusCode::UNAUTHORIZED);
    elsewhere.subscription_id = None;
    assert_eq!(elsewhere.send().await.0, StatusCode::UNAUTHORIZED);

    // An unknown registration, and one that was unregistered.
    let mut unknown = Post::new(&registration, &base, "evt_6", event("evt_6", 6));
    unknown.url = format!("{base}/AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA");
    assert_eq!(unknown.send().await.0, StatusCode::NOT_FOUND);

    // Oversized: declared by Content-Length, and streamed without one.
    let mut big = event("evt_7", 7);
    big["data"]["pad"] = json!("x".repeat(300 * 1024));
    let oversized = Post::new(&registration, &base, "evt_7", big);
    assert_eq!(oversized.send().await.0, StatusCode::PAYLOAD_TOO_LARGE);
    let chunks: Vec<Result<Vec<u8>, std::io::Error>> = oversized
        .body
        .chunks(16 * 1024)
        .map(|c| Ok(c.to_vec()))
        .collect();
    let streamed = reqwest::Client::new()
        .post(&oversized.url)
        .header("webhook-id", "evt_7")
        .header("webhook-timestamp", oversized.timestamp.to_string())
        .header(
            "webhook-signature",
            oversized
                .secret
                .sign("evt_7", oversized.timestamp, &oversized.body),
        )
        .header("X-MCP-Subscription-Id", SUB_ID)
        .body(reqwest::Body::wrap_stream(futures_util::stream::iter(
            chunks,
        )))
        .send()
        .await;
    // The receiver may answer 413 before reading everything, or close mid-upload.
    if let Ok(response) = streamed {
        assert_eq!(response.status(), StatusCode::PAYLOAD_TOO_LARGE);
    }

    // Signed, but not JSON.
    let mut garbage = Post::new(&registration, &base, "evt_8", json!(null));
    garbage.body = b"\xff\xfe not json".to_vec();
    assert_eq!(garbage.send().await.0, StatusCode::BAD_REQUEST);
    assert_nothing(&mut deliveries, "hostile deliveries");

    // A good delivery still goes through; its replay is acknowledged but not forwarded.
    let good = Post::new(&registration, &base, "evt_9", event("evt_9", 9));
    assert_eq!(good.send().await.0, StatusCode::NO_CONTENT);
    assert_eq!(event_id(deliveries.try_recv()), "evt_9");
    assert_eq!(good.send().await.0, StatusCode::NO_CONTENT);
    assert_nothing(&mut deliveries, "replayed webhook-id");

    registration.unregister();
    let late = Post::new(&registration, &base, "evt_10", event("evt_10", 10));
    assert_eq!(late.send().await.0, StatusCode::NOT_FOUND);
    assert_nothing(&mut deliveries, "unregistered");
}

#[tokio::test]
async fn a_slow_application_gets_503s_not_losses() {
    let config = ReceiverConfig {
        queue: 2,
        ..ReceiverConfig::default()
    };
    let (receiver, base) = serve(config).await;
    let (registration, mut deliveries) = receiver.register(WebhookSecret::generate());
    registration.bind(SUB_ID);
    let posts: Vec<Post<'_>> = (1..=3)
        .map(|n| {
            let id = format!("evt_{n}");
            Post::new(&registration, &base, &id, event(&id, n))
        })
        .collect();
    assert_eq!(posts[0].send().await.0, StatusCode::NO_CONTENT);
    assert_eq!(posts[1].send().await.0, StatusCode::NO_CONTENT);
    let (status, _) = posts[2].send().await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "queue full");
    assert_eq!(event_id(deliveries.recv().await), "evt_1");
    // The sender's retry now goes through, and nothing was lost or doubled.
    assert_eq!(posts[2].send().await.0, StatusCode::NO_CONTENT);
    assert_eq!(event_id(deliveries.recv().await), "evt_2");
    assert_eq!(event_id(deliveries.recv().await), "evt_3");
    assert_nothing(&mut deliveries, "after the retry");

    // The application went away: deliveries are answered 410 and the registration is gone.
    drop(deliveries);
    let gone = Post::new(&registration, &base, "evt_4", event("evt_4", 4));
    assert_eq!(gone.send().await.0, StatusCode::GONE);
    assert_eq!(receiver.registrations(), 0);
}
