//! Webhook subscriptions of the events extension: who asked for what to be posted where,
//! with which secrets, how far delivery has got, and how it has been going. A server keeps
//! one record per subscription id, and one verification record per (principal, callback)
//! that passed the endpoint challenge.
//!
//! Records are plain data (serde), so a durable backend stores them as they are; the
//! delivery position is a cursor (`epoch` + position) into the event history, and the
//! outbox of a subscription is that history read from its position: nothing else is queued.

use std::collections::HashMap;
use std::sync::Mutex;

use futures_util::future::BoxFuture;
use serde::{Deserialize, Serialize};
use spate_protocol::JsonObject;

use crate::mutex::lock;

/// The wire profile a subscription was created with (SEP-3415 and the older design sketch
/// differ in `webhook-id`, error numbers and control envelopes). Chosen at subscribe time
/// from what the client declared, and kept with the subscription.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum WireProfile {
    /// SEP-3415: per-message `webhook-id`, `gap` and `terminated` envelopes.
    Sep,
    /// The design sketch and ChatGPT: `webhook-id` is the event id, no control envelopes
    /// besides the verification challenge.
    Legacy,
}

/// A signing secret of a subscription, as its `whsec_` text.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredSecret {
    /// `whsec_…`.
    pub secret: String,
    /// Until when it still signs (Unix ms), for a secret a refresh replaced; `None` for the
    /// current one.
    pub retire_at_ms: Option<u64>,
}

impl std::fmt::Debug for StoredSecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StoredSecret")
            .field("secret", &"<redacted>")
            .field("retire_at_ms", &self.retire_at_ms)
            .finish()
    }
}

/// How delivery to a subscription has been going (SEP-3415 `deliveryStatus`).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct DeliveryState {
    /// Delivery was suspended after sustained failure (until the next refresh).
    pub suspended: bool,
    /// When a delivery last succeeded (Unix ms).
    pub last_delivery_at_ms: Option<u64>,
    /// The category of the last failure (a SEP-3415 `lastError` value).
    pub last_error: Option<String>,
    /// Since when every attempt has failed (Unix ms).
    pub failed_since_ms: Option<u64>,
    /// Attempts made since `failed_since_ms`.
    pub failed_attempts: u32,
}

/// One webhook subscription.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WebhookSubscription {
    /// The id derived from the key below.
    pub id: String,
    /// The key: the authenticated principal…
    pub principal: String,
    /// … the normalised callback URL …
    pub url: String,
    /// … the event type …
    pub name: String,
    /// … and its arguments.
    pub arguments: JsonObject,
    /// Current secret first, then replaced ones still signing.
    pub secrets: Vec<StoredSecret>,
    /// The wire profile.
    pub profile: WireProfile,
    /// When it was created (Unix ms).
    pub created_at_ms: u64,
    /// When it lapses unless refreshed (Unix ms); `None`: granted no expiry.
    pub expires_at_ms: Option<u64>,
    /// The delivery watermark: every matching occurrence up to this cursor was delivered or
    /// given up.
    pub cursor: String,
    /// How delivery has been going.
    pub state: DeliveryState,
}

/// A callback a principal proved it controls (it echoed a signed challenge).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Verification {
    /// When (Unix ms).
    pub verified_at_ms: u64,
    /// The secret the challenge was signed with.
    pub secret: String,
}

/// A store that could not do what was asked.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("webhook subscription store: {0}")]
pub struct SubscriptionStoreError(pub String);

type Answer<'a, T> = BoxFuture<'a, Result<T, SubscriptionStoreError>>;

/// Where webhook subscriptions are kept.
pub trait WebhookSubscriptionStore: Send + Sync + 'static {
    /// Creates or replaces the record of `subscription.id`.
    fn put(&self, subscription: WebhookSubscription) -> Answer<'_, ()>;
    /// The record of `id`.
    fn get<'a>(&'a self, id: &'a str) -> Answer<'a, Option<WebhookSubscription>>;
    /// Deletes the record of `id`; whether there was one.
    fn remove<'a>(&'a self, id: &'a str) -> Answer<'a, bool>;
    /// Every record (a server resumes delivery from them when it starts).
    fn all(&self) -> Answer<'_, Vec<WebhookSubscription>>;
    /// How many records `principal` has, and how many there are in all.
    fn count<'a>(&'a self, principal: &'a str) -> Answer<'a, (usize, usize)>;
    /// Records delivery progress of `id` (no-op when it is gone).
    fn save_progress<'a>(
        &'a self,
        id: &'a str,
        cursor: String,
        state: DeliveryState,
    ) -> Answer<'a, ()>;
    /// The verification of `url` by `principal`, if one was recorded.
    fn verification<'a>(
        &'a self,
        principal: &'a str,
        url: &'a str,
    ) -> Answer<'a, Option<Verification>>;
    /// Records a verification of `url` by `principal`.
    fn verified<'a>(
        &'a self,
        principal: &'a str,
        url: &'a str,
        verification: Verification,
    ) -> Answer<'a, ()>;
}

/// A [`WebhookSubscriptionStore`] in memory (lost on restart: subscribers re-create their
/// subscriptions on their next refresh). Verifications are kept for at most
/// `max_verifications` (principal, URL) pairs, the oldest forgotten first.
#[derive(Debug)]
pub struct MemoryWebhookSubscriptions {
    subscriptions: Mutex<HashMap<String, WebhookSubscription>>,
    verifications: Mutex<HashMap<(String, String), Verification>>,
    max_verifications: usize,
}

impl Default for MemoryWebhookSubscriptions {
    fn default() -> Self {
        Self {
            subscriptions: Mutex::default(),
            verifications: Mutex::default(),
            max_verifications: 100_000,
        }
    }
}

fn ready<'a, T: Send + 'a>(value: T) -> Answer<'a, T> {
    Box::pin(std::future::ready(Ok(value)))
}

impl WebhookSubscriptionStore for MemoryWebhookSubscriptions {
    fn put(&self, subscription: WebhookSubscription) -> Answer<'_, ()> {
        lock(&self.subscriptions).insert(subscription.id.clone(), subscription);
        ready(())
    }

    fn get<'a>(&'a self, id: &'a str) -> Answer<'a, Option<WebhookSubscription>> {
        ready(lock(&self.subscriptions).get(id).cloned())
    }

    fn remove<'a>(&'a self, id: &'a str) -> Answer<'a, bool> {
        ready(lock(&self.subscriptions).remove(id).is_some())
    }

    fn all(&self) -> Answer<'_, Vec<WebhookSubscription>> {
        ready(lock(&self.subscriptions).values().cloned().collect())
    }

    fn count<'a>(&'a self, principal: &'a str) -> Answer<'a, (usize, usize)> {
        let subscriptions = lock(&self.subscriptions);
        let mine = subscriptions
            .values()
            .filter(|s| s.principal == principal)
            .count();
        ready((mine, subscriptions.len()))
    }

    fn save_progress<'a>(
        &'a self,
        id: &'a str,
        cursor: String,
        state: DeliveryState,
    ) -> Answer<'a, ()> {
        if let Some(subscription) = lock(&self.subscriptions).get_mut(id) {
            subscription.cursor = cursor;
            subscription.state = state;
        }
        ready(())
    }

    fn verification<'a>(
        &'a self,
        principal: &'a str,
        url: &'a str,
    ) -> Answer<'a, Option<Verification>> {
        let key = (principal.to_owned(), url.to_owned());
        ready(lock(&self.verifications).get(&key).cloned())
    }

    fn verified<'a>(
        &'a self,
        principal: &'a str,
        url: &'a str,
        verification: Verification,
    ) -> Answer<'a, ()> {
        let mut verifications = lock(&self.verifications);
        if verifications.len() >= self.max_verifications {
            let oldest = verifications
                .iter()
                .min_by_key(|(_, v)| v.verified_at_ms)
                .map(|(k, _)| k.clone());
            if let Some(oldest) = oldest {
                verifications.remove(&oldest);
            }
        }
        verifications.insert((principal.to_owned(), url.to_owned()), verification);
        ready(())
    }
}
