//! The delivery task of one webhook subscription: it reads its type's history from the
//! subscription's watermark and POSTs each matching occurrence, one at a time, so the
//! receiver sees them in order and the watermark in each body is always safe to persist
//! (everything before it was delivered or given up).
//!
//! A failed delivery is retried after each pause of `retry_delays` (±20 %), with a new
//! timestamp and signature each time; `410` and `413` are never retried. A delivery whose
//! retries are spent is given up (a SEP-3415 subscriber then gets a `gap` envelope), and
//! delivery is suspended after sustained failure until the client refreshes. Each
//! subscription has its own task, so a slow or dead receiver delays only itself.

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use rand::Rng as _;
use spate_protocol::events::webhook::{GapEnvelope, MAX_BODY_BYTES, WebhookBody};
use spate_protocol::events::{DeliveryMode, EventsErrorCodes};

use super::live::{Live, millis};
use super::post::{Outcome, control_message_id, event_message_id, post_signed};
use crate::server::ServerHandle;
use crate::server::triggers::reader::Reader;
use crate::store::now_ms;
use crate::store::webhook_subscriptions::WireProfile;

/// Positions read per round.
const BATCH: usize = 64;
/// The pause after a history read fails.
const READ_RETRY: Duration = Duration::from_secs(1);

/// How one message ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Settled {
    Delivered,
    /// Refused for good, or retries spent.
    GivenUp,
    /// The subscription lapsed while it waited.
    Lapsed,
}

/// Delivers to `live` until it lapses (the task is aborted when the subscription is
/// removed), reading with `reader` (a new subscription's, which knows its `maxAgeMs`) or
/// one opened at the stored watermark.
pub(super) async fn run(server: ServerHandle, live: Arc<Live>, reader: Option<Reader>) {
    let _subscriber = crate::server::triggers::activity::hold(&server, &live.name);
    let codes = EventsErrorCodes::SEP_3415;
    let cursor = live.cursor();
    let mut reader = match reader {
        Some(reader) => reader,
        None => match Reader::open(
            &server,
            codes,
            &live.name,
            &live.arguments,
            Some(&cursor),
            DeliveryMode::Webhook,
        )
        .await
        {
            Ok(reader) => reader,
            Err(e) => {
                // The type or its arguments no longer fit: the subscription cannot go on.
                tracing::warn!(subscription = %live.id, error = %e.message, "webhook subscription ends");
                server.shared.webhooks.end(&server, &live.id, Some(e)).await;
                return;
            }
        },
    };
    loop {
        if live.expired() {
            server.shared.webhooks.lapse(&server, &live.id).await;
            return;
        }
        let batch = match reader.read(&server, BATCH).await {
            Ok(batch) => batch,
            Err(e) => {
                tracing::warn!(subscription = %live.id, error = %e.message, "event history read failed");
                tokio::time::sleep(READ_RETRY).await;
                continue;
            }
        };
        if batch.truncated {
            send_gap(&server, &live, &batch.start).await;
        }
        for (after, occurrence) in batch.events {
            let message_id = event_message_id(live.profile, &live.id, &occurrence.event_id);
            let body = WebhookBody::Event(occurrence.with_cursor(Some(after.clone())));
            match deliver(&server, &live, &message_id, &body).await {
                Settled::Lapsed => {
                    server.shared.webhooks.lapse(&server, &live.id).await;
                    return;
                }
                Settled::Delivered => {}
                Settled::GivenUp => send_gap(&server, &live, &after).await,
            }
            advance(&server, &live, &after).await;
        }
        advance(&server, &live, &batch.cursor).await;
        if !batch.has_more {
            tokio::select! {
                () = reader.wait(&server) => {}
                () = live.wake.notified() => {}
                () = until_lapse(&live) => {}
            }
        }
    }
}

/// Tells a SEP-3415 subscriber that delivery goes on from `cursor` after a gap (nothing for
/// the other profile, which has no control envelopes).
async fn send_gap(server: &ServerHandle, live: &Live, cursor: &str) {
    if live.profile != WireProfile::Sep {
        return;
    }
    let body = WebhookBody::Gap(GapEnvelope {
        cursor: Some(cursor.to_owned()),
    });
    deliver(server, live, &control_message_id("gap"), &body).await;
}

/// Moves the watermark and stores it.
async fn advance(server: &ServerHandle, live: &Live, cursor: &str) {
    if live.advance(cursor) {
        save(server, live).await;
    }
}

async fn save(server: &ServerHandle, live: &Live) {
    let (cursor, state) = live.progress();
    let store = &server.shared.config.events.webhooks.store;
    if let Err(e) = store.save_progress(&live.id, cursor, state).await {
        tracing::warn!(subscription = %live.id, error = %e, "webhook progress not stored");
    }
}

/// Delivers one message, retrying as configured; waits while delivery is suspended.
pub(super) async fn deliver(
    server: &ServerHandle,
    live: &Live,
    message_id: &str,
    body: &WebhookBody,
) -> Settled {
    let settings = &server.shared.config.events.webhooks;
    let Some(sender) = settings.sender.as_deref() else {
        return Settled::GivenUp;
    };
    let body = match serde_json::to_vec(body) {
        Ok(bytes) if bytes.len() <= MAX_BODY_BYTES => Bytes::from(bytes),
        Ok(bytes) => {
            tracing::warn!(subscription = %live.id, message = message_id, bytes = bytes.len(), "webhook body over 256 KiB, not sent");
            return Settled::GivenUp;
        }
        Err(e) => {
            tracing::warn!(subscription = %live.id, error = %e, "webhook body not serialisable");
            return Settled::GivenUp;
        }
    };
    let mut retries = settings.retry_delays.iter();
    loop {
        while live.suspended() {
            if live.expired() {
                return Settled::Lapsed;
            }
            tokio::select! {
                () = live.wake.notified() => {}
                () = until_lapse(live) => {}
            }
            // Time spent suspended does not count against the retries.
            retries = settings.retry_delays.iter();
        }
        if live.expired() {
            return Settled::Lapsed;
        }
        let secrets = live.signing_secrets();
        let result = post_signed(
            sender,
            &live.url,
            &live.id,
            message_id,
            &secrets,
            body.clone(),
        )
        .await;
        match Outcome::of(&result) {
            Outcome::Delivered => {
                // An event's delivery is stored with the watermark that follows it; a
                // recovery from failures is stored at once.
                if live.succeeded() {
                    save(server, live).await;
                }
                return Settled::Delivered;
            }
            Outcome::Refused => {
                live.failed(
                    &spate_protocol::events::DeliveryErrorCategory::Http4xx,
                    settings,
                );
                save(server, live).await;
                return Settled::GivenUp;
            }
            Outcome::Failed(category) => {
                if live.failed(&category, settings) {
                    tracing::warn!(subscription = %live.id, "webhook delivery suspended after sustained failure");
                }
                save(server, live).await;
            }
        }
        let Some(&pause) = retries.next() else {
            tracing::warn!(subscription = %live.id, message = message_id, "webhook delivery given up");
            return Settled::GivenUp;
        };
        tokio::select! {
            () = tokio::time::sleep(jitter(pause)) => {}
            // A refresh retries at once (the receiver may have been waiting for it).
            () = live.wake.notified() => {}
        }
    }
}

/// Resolves when `live` lapses (never, for a subscription without expiry).
async fn until_lapse(live: &Live) {
    match live.expires_at_ms() {
        Some(at) => {
            let left = at.saturating_sub(now_ms());
            tokio::time::sleep(Duration::from_millis(left)).await;
        }
        None => std::future::pending().await,
    }
}

/// `pause` ±20 %.
fn jitter(pause: Duration) -> Duration {
    let ms = millis(pause);
    let spread = ms / 5;
    let low = ms - spread;
    Duration::from_millis(rand::rng().random_range(low..=ms.saturating_add(spread)))
}
