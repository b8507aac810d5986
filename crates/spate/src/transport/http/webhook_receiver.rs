//! A webhook receiver for the events extension (SEP-3415, "Webhook Delivery"), to mount in
//! any axum application: it verifies, routes and deduplicates the signed POSTs a server
//! sends to a client's callback URL, and hands events to the application through a bounded
//! stream per subscription.
//!
//! ```no_run
//! use spate::events::WebhookSecret;
//! use spate::transport::http::webhook_receiver::{ReceiverConfig, WebhookReceiver};
//!
//! # async fn run() -> std::io::Result<()> {
//! let receiver = WebhookReceiver::new(ReceiverConfig::default());
//! let app = axum::Router::new().nest("/hooks", receiver.router());
//! // Serve `app` over https at https://hooks.example.com, then, for each subscription:
//! let (registration, mut deliveries) = receiver.register(WebhookSecret::generate());
//! let url = registration.callback_url("https://hooks.example.com/hooks");
//! // events/subscribe with `url` and `registration.secret().to_text()`, then
//! // `registration.bind(&result.id)` (a `WebhookKeeper` does both).
//! while let Some(item) = deliveries.recv().await {
//!     println!("{item:?}");
//! }
//! # Ok(()) }
//! ```
//!
//! **Routing and binding.** The client registers a subscription *before* subscribing: the
//! receiver keeps its secret under a fresh random path token, and the callback URL ends in
//! that token. The server's first POST, the verification challenge, arrives while
//! `events/subscribe` is still in flight, so its `X-MCP-Subscription-Id` is not known yet; the
//! token routes it to the one secret it must verify against. Once the subscribe result is in,
//! the client binds its `id` to the registration ([`WebhookRegistration::bind`]); from then on
//! every POST must carry that id.
//!
//! **What each POST gets, in order.**
//!
//! | Condition | Answer |
//! |---|---|
//! | unknown token (never registered, or unregistered) | `404` |
//! | body (or `Content-Length`) over the limit, 256 KiB by default | `413` |
//! | Standard Webhooks signature missing or wrong, over the raw bytes, or `webhook-timestamp` more than 5 minutes away (either way) | `401` |
//! | bound, and `X-MCP-Subscription-Id` missing or another id | `401` |
//! | body not a JSON object | `400` |
//! | `verification` envelope | `200` `{"challenge": …}` (never forwarded) |
//! | event, `gap` or `terminated` before the id is bound (the subscribe/delivery race) | `503`, `Retry-After: 1` |
//! | `webhook-id` seen recently, or an event whose `eventId` was seen recently | `204`, not forwarded again |
//! | the application's stream is full | `503`, `Retry-After: 1` (the sender retries; nothing is dropped) |
//! | the application dropped its stream | `410` (drop this delivery) |
//! | event, `gap`, `terminated` | `204`, forwarded |
//! | a control envelope of an unknown `type` | `204`, ignored |
//!
//! Nothing is parsed before the signature verified. Deduplication remembers, per
//! registration, the last 1024 `webhook-id`s and `eventId`s (so either profile works:
//! `webhook-id` equal to the `eventId`, or a per-message id). A `gap` or an event carrying a
//! cursor updates the registration's last cursor, which a refresh sends back.

use std::collections::{HashMap, HashSet, VecDeque};
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use http_body_util::{BodyExt as _, LengthLimitError, Limited};
use rand::RngCore as _;
use spate_protocol::ErrorObject;
use spate_protocol::events::webhook::{
    MAX_BODY_BYTES, SUBSCRIPTION_ID, WEBHOOK_ID, WEBHOOK_SIGNATURE, WEBHOOK_TIMESTAMP,
};
use spate_protocol::events::{EventOccurrence, WebhookBody};
use tokio::sync::mpsc;

use crate::events::verification::answer_challenge;
use crate::events::{SignatureVerifier, WebhookHeaders, WebhookSecret};
use crate::mutex::lock;

#[cfg(feature = "client")]
mod inbox;
#[cfg(feature = "client")]
pub use inbox::ReceiverInbox;

/// Random bytes in a registration's path token.
const TOKEN_BYTES: usize = 24;

/// Settings of a [`WebhookReceiver`].
#[derive(Debug, Clone)]
pub struct ReceiverConfig {
    /// The largest body accepted (default 256 KiB, the most a server sends); larger → `413`.
    pub max_body_bytes: usize,
    /// Items each registration's stream holds before deliveries are answered `503`
    /// (default 64).
    pub queue: usize,
    /// `webhook-id`s and `eventId`s each registration remembers for deduplication
    /// (default 1024 of each).
    pub remembered_ids: usize,
    /// How far `webhook-timestamp` may be from the clock, either way (default 5 minutes).
    pub tolerance: Duration,
}

impl Default for ReceiverConfig {
    fn default() -> Self {
        Self {
            max_body_bytes: MAX_BODY_BYTES,
            queue: 64,
            remembered_ids: 1024,
            tolerance: crate::events::webhook_signature::DEFAULT_TOLERANCE,
        }
    }
}

/// What a receiver hands the application, in arrival order.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum WebhookItem {
    /// One occurrence (its `cursor`, when it has one, is already the registration's last
    /// cursor).
    Event(EventOccurrence),
    /// A `gap` envelope: occurrences may have been missed; continue from this cursor (already
    /// kept) and treat the subscription as truncated.
    Gap {
        /// The new cursor; `None` for a type without replay.
        cursor: Option<String>,
    },
    /// A `terminated` envelope: the server ended the subscription for this reason.
    Terminated(ErrorObject),
}

/// Receives webhook deliveries for any number of subscriptions (see the module
/// documentation). Cloning shares it.
#[derive(Debug, Clone)]
pub struct WebhookReceiver {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    config: ReceiverConfig,
    verifier: SignatureVerifier,
    slots: Mutex<HashMap<String, Arc<Slot>>>,
}

/// One registration.
#[derive(Debug)]
struct Slot {
    secret: WebhookSecret,
    sender: mpsc::Sender<WebhookItem>,
    state: Mutex<SlotState>,
}

#[derive(Debug)]
struct SlotState {
    /// The subscription id, once bound.
    id: Option<String>,
    cursor: Option<String>,
    message_ids: Recent,
    event_ids: Recent,
}

impl WebhookReceiver {
    /// A receiver with no registration yet.
    pub fn new(config: ReceiverConfig) -> Self {
        let verifier = SignatureVerifier::new().with_tolerance(config.tolerance);
        Self {
            inner: Arc::new(Inner {
                config,
                verifier,
                slots: Mutex::default(),
            }),
        }
    }

    /// The routes to mount (one `POST /{token}` route): nest them under the path of the
    /// callback URLs, e.g. `Router::new().nest("/hooks", receiver.router())`.
    pub fn router(&self) -> Router {
        Router::new()
            .route("/{token}", post(deliver))
            .with_state(self.inner.clone())
    }

    /// Registers a subscription about to be made with `secret`: answers the handle the client
    /// binds the subscription id with, and the stream its deliveries arrive on.
    pub fn register(&self, secret: WebhookSecret) -> (WebhookRegistration, WebhookDeliveries) {
        let mut bytes = [0u8; TOKEN_BYTES];
        rand::rng().fill_bytes(&mut bytes);
        let token = URL_SAFE_NO_PAD.encode(bytes);
        let (sender, receiver) = mpsc::channel(self.inner.config.queue.max(1));
        let remembered = self.inner.config.remembered_ids.max(1);
        let slot = Arc::new(Slot {
            secret,
            sender,
            state: Mutex::new(SlotState {
                id: None,
                cursor: None,
                message_ids: Recent::new(remembered),
                event_ids: Recent::new(remembered),
            }),
        });
        lock(&self.inner.slots).insert(token.clone(), slot.clone());
        let registration = WebhookRegistration {
            inner: self.inner.clone(),
            token,
            slot,
        };
        (registration, WebhookDeliveries { receiver })
    }

    /// How many registrations the receiver holds.
    pub fn registrations(&self) -> usize {
        lock(&self.inner.slots).len()
    }
}

/// The client's handle on one registration. Cloning shares it.
#[derive(Debug, Clone)]
pub struct WebhookRegistration {
    inner: Arc<Inner>,
    token: String,
    slot: Arc<Slot>,
}

impl WebhookRegistration {
    /// The path token the callback URL ends in.
    pub fn token(&self) -> &str {
        &self.token
    }

    /// The callback URL: `base` (where the receiver's router is mounted, e.g.
    /// `https://hooks.example.com/hooks`) and the token.
    pub fn callback_url(&self, base: &str) -> String {
        format!("{}/{}", base.trim_end_matches('/'), self.token)
    }

    /// The secret deliveries must be signed with: send `secret().to_text()` as
    /// `delivery.secret`.
    pub fn secret(&self) -> &WebhookSecret {
        &self.slot.secret
    }

    /// Binds the subscription id from the subscribe result: deliveries are forwarded from now
    /// on, and must carry this id.
    pub fn bind(&self, subscription_id: &str) {
        lock(&self.slot.state).id = Some(subscription_id.to_owned());
    }

    /// The bound subscription id.
    pub fn subscription_id(&self) -> Option<String> {
        lock(&self.slot.state).id.clone()
    }

    /// The last cursor received (from an event, a `gap`, or a subscribe result given to
    /// [`WebhookRegistration::set_cursor`]).
    pub fn cursor(&self) -> Option<String> {
        lock(&self.slot.state).cursor.clone()
    }

    /// Replaces the last cursor (with one from a subscribe result, say).
    pub fn set_cursor(&self, cursor: Option<String>) {
        lock(&self.slot.state).cursor = cursor;
    }

    /// Forgets the registration: its URL answers `404` from now on.
    pub fn unregister(&self) {
        let mut slots = lock(&self.inner.slots);
        if slots
            .get(&self.token)
            .is_some_and(|slot| Arc::ptr_eq(slot, &self.slot))
        {
            slots.remove(&self.token);
        }
    }
}

#[cfg(feature = "client")]
impl crate::client::WebhookBinding for WebhookRegistration {
    fn cursor(&self) -> Option<String> {
        WebhookRegistration::cursor(self)
    }

    fn subscribed(&self, result: &spate_protocol::events::SubscribeEventsResult) {
        self.bind(&result.id);
        if result.cursor.is_some() {
            self.set_cursor(result.cursor.clone());
        }
    }
}

/// The items one registration receives (a bounded stream; see [`ReceiverConfig::queue`]).
#[derive(Debug)]
pub struct WebhookDeliveries {
    receiver: mpsc::Receiver<WebhookItem>,
}

impl WebhookDeliveries {
    /// The next item; `None` once the registration is gone and every item was taken.
    pub async fn recv(&mut self) -> Option<WebhookItem> {
        self.receiver.recv().await
    }

    /// The next item if one is waiting.
    pub fn try_recv(&mut self) -> Option<WebhookItem> {
        self.receiver.try_recv().ok()
    }
}

impl futures_util::Stream for WebhookDeliveries {
    type Item = WebhookItem;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<WebhookItem>> {
        self.receiver.poll_recv(cx)
    }
}

/// The most recent ids seen, at most `capacity` of them.
#[derive(Debug)]
struct Recent {
    capacity: usize,
    set: HashSet<String>,
    order: VecDeque<String>,
}

impl Recent {
    fn new(capacity: usize) -> Self {
        Self {
            capacity,
            set: HashSet::new(),
            order: VecDeque::new(),
        }
    }

    fn contains(&self, id: &str) -> bool {
        self.set.contains(id)
    }

    fn insert(&mut self, id: &str) {
        if self.set.contains(id) {
            return;
        }
        if self.order.len() >= self.capacity {
            if let Some(old) = self.order.pop_front() {
                self.set.remove(&old);
            }
        }
        self.set.insert(id.to_owned());
        self.order.push_back(id.to_owned());
    }
}

fn status(code: StatusCode) -> Response {
    code.into_response()
}

/// `503` with `Retry-After: 1`: not now, try again.
fn retry_later() -> Response {
    let mut response = status(StatusCode::SERVICE_UNAVAILABLE);
    response
        .headers_mut()
        .insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
    response
}

fn header_str<'a>(headers: &'a HeaderMap, name: &str) -> &'a str {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
}

/// One POST to a callback URL.
async fn deliver(
    State(inner): State<Arc<Inner>>,
    Path(token): Path<String>,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let Some(slot) = lock(&inner.slots).get(&token).cloned() else {
        tracing::debug!("webhook for an unknown registration");
        return status(StatusCode::NOT_FOUND);
    };
    let limit = inner.config.max_body_bytes;
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > limit as u64) {
        return status(StatusCode::PAYLOAD_TOO_LARGE);
    }
    let body = match Limited::new(body, limit).collect().await {
        Ok(collected) => collected.to_bytes(),
        Err(e) if e.downcast_ref::<LengthLimitError>().is_some() => {
            return status(StatusCode::PAYLOAD_TOO_LARGE);
        }
        Err(_) => return status(StatusCode::BAD_REQUEST),
    };

    let signed = WebhookHeaders {
        id: header_str(&headers, WEBHOOK_ID),
        timestamp: header_str(&headers, WEBHOOK_TIMESTAMP),
        signature: header_str(&headers, WEBHOOK_SIGNATURE),
    };
    if let Err(error) = inner.verifier.verify([&slot.secret], &signed, &body) {
        tracing::debug!(%error, "webhook refused");
        return status(StatusCode::UNAUTHORIZED);
    }
    let claimed = header_str(&headers, SUBSCRIPTION_ID);
    let bound = lock(&slot.state).id.clone();
    if let Some(id) = &bound {
        if claimed != id {
            tracing::debug!("webhook for another subscription id");
            return status(StatusCode::UNAUTHORIZED);
        }
    }

    let Ok(parsed) = serde_json::from_slice::<WebhookBody>(&body) else {
        return status(StatusCode::BAD_REQUEST);
    };
    if let WebhookBody::Verification(_) = parsed {
        return match answer_challenge(&body) {
            Some(answer) => (
                [(
                    header::CONTENT_TYPE,
                    HeaderValue::from_static("application/json"),
                )],
                answer,
            )
                .into_response(),
            None => status(StatusCode::BAD_REQUEST),
        };
    }
    if bound.is_none() {
        // The subscribe result (and so the id) is not in yet: the sender retries.
        return retry_later();
    }
    let (item, cursor) = match parsed {
        WebhookBody::Event(event) => {
            let cursor = event.cursor.clone();
            (WebhookItem::Event(event), cursor)
        }
        WebhookBody::Gap(gap) => (
            WebhookItem::Gap {
                cursor: gap.cursor.clone(),
            },
            Some(gap.cursor),
        ),
        WebhookBody::Terminated(end) => (WebhookItem::Terminated(end.error), None),
        WebhookBody::Verification(_) | WebhookBody::Other(_) => {
            tracing::debug!("webhook control envelope of an unknown type ignored");
            return status(StatusCode::NO_CONTENT);
        }
    };
    forward(&inner, &token, &slot, signed.id, item, cursor)
}

/// Deduplicates and hands one verified item to the application. The check, the hand-off
/// and the bookkeeping happen under the registration's lock, so two copies racing in are
/// forwarded once.
fn forward(
    inner: &Inner,
    token: &str,
    slot: &Arc<Slot>,
    message_id: &str,
    item: WebhookItem,
    cursor: Option<Option<String>>,
) -> Response {
    let mut state = lock(&slot.state);
    let event_id = match &item {
        WebhookItem::Event(event) => Some(event.event_id.clone()),
        _ => None,
    };
    let seen = state.message_ids.contains(message_id)
        || event_id
            .as_deref()
            .is_some_and(|id| state.event_ids.contains(id));
    if seen {
        state.message_ids.insert(message_id);
        return status(StatusCode::NO_CONTENT);
    }
    match slot.sender.try_send(item) {
        Ok(()) => {}
        Err(mpsc::error::TrySendError::Full(_)) => {
            tracing::debug!("webhook receiver's application is behind; asking for a retry");
            return retry_later();
        }
        Err(mpsc::error::TrySendError::Closed(_)) => {
            drop(state);
            let mut slots = lock(&inner.slots);
            if slots.get(token).is_some_and(|s| Arc::ptr_eq(s, slot)) {
                slots.remove(token);
            }
            return status(StatusCode::GONE);
        }
    }
    state.message_ids.insert(message_id);
    if let Some(id) = &event_id {
        state.event_ids.insert(id);
    }
    if let Some(cursor) = cursor {
        // An event without a cursor (or with `null`: no replay) leaves the last one as is.
        if cursor.is_some() || event_id.is_none() {
            state.cursor = cursor;
        }
    }
    status(StatusCode::NO_CONTENT)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recent_forgets_the_oldest_beyond_its_capacity() {
        let mut recent = Recent::new(2);
        recent.insert("a");
        recent.insert("b");
        recent.insert("a");
        assert!(recent.contains("a") && recent.contains("b"));
        recent.insert("c");
        assert!(!recent.contains("a"));
        assert!(recent.contains("b") && recent.contains("c"));
    }

    #[test]
    fn callback_urls_end_in_the_token() {
        let receiver = WebhookReceiver::new(ReceiverConfig::default());
        let (one, _d1) = receiver.register(WebhookSecret::generate());
        let (two, _d2) = receiver.register(WebhookSecret::generate());
        assert_ne!(one.token(), two.token());
        assert_eq!(one.token().len(), 32);
        assert_eq!(
            one.callback_url("https://h.example/hooks/"),
            format!("https://h.example/hooks/{}", one.token())
        );
        assert_eq!(receiver.registrations(), 2);
        one.unregister();
        assert_eq!(receiver.registrations(), 1);
    }
}
