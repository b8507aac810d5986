//! The knobs of webhook delivery, with the defaults SEP-3415 suggests.

use std::sync::Arc;
use std::time::Duration;

use super::WebhookSender;
use crate::store::webhook_subscriptions::{MemoryWebhookSubscriptions, WebhookSubscriptionStore};

/// How a server serves `events/subscribe`. Webhooks are offered only with a
/// [`sender`](Self::sender): without one, event types offer poll and push only.
#[derive(Clone)]
#[non_exhaustive]
pub struct WebhookSettings {
    /// Makes the POSTs (the HTTP client's `HttpWebhookSender`); `None`: no webhooks.
    pub sender: Option<Arc<dyn WebhookSender>>,
    /// Where subscriptions are kept (default: in memory).
    pub store: Arc<dyn WebhookSubscriptionStore>,
    /// The lifetime granted when the client suggests none (default 1 h).
    pub default_ttl: Duration,
    /// The shortest lifetime granted; shorter suggestions are raised to it (default 60 s).
    pub min_ttl: Duration,
    /// The longest lifetime granted (default 24 h).
    pub max_ttl: Duration,
    /// Whether `ttlMs: null` is granted as no expiry (default `false`: only with a durable
    /// store; otherwise `max_ttl` is granted).
    pub allow_no_expiry: bool,
    /// The pause before each retry of a failed delivery; its length is the number of
    /// retries (default 1 s, 5 s, 30 s, 2 min, 10 min: five retries in about 13 minutes).
    /// Each pause varies by ±20 %.
    pub retry_delays: Vec<Duration>,
    /// Delivery to a subscription is suspended (until its next refresh) once every attempt
    /// has failed for this long, over at least `suspend_min_attempts` attempts (default
    /// 1 h and 10).
    pub suspend_after: Duration,
    /// See `suspend_after`.
    pub suspend_min_attempts: u32,
    /// Subscriptions in all (default 10 000) and per principal (default 100).
    pub max_subscriptions: usize,
    /// See `max_subscriptions`.
    pub max_per_principal: usize,
    /// How long a passed verification challenge covers a (principal, callback) (default
    /// 24 h). It is re-run sooner when the secret changed and it is older than 1 h.
    pub verification_ttl: Duration,
    /// Challenges in flight at once (default 64); more are refused with
    /// `ResourceExhausted`.
    pub max_concurrent_challenges: usize,
    /// Challenges one principal may have sent per minute (default 10), so subscribing
    /// cannot be used to make the server POST at someone; more are refused with
    /// `ResourceExhausted` and a `retryAfterMs`. Cached verifications do not count.
    pub challenges_per_principal_per_minute: u32,
    /// How long a secret replaced by a refresh still signs beside the new one (default
    /// 10 min).
    pub rotation_grace: Duration,
    /// The principal of unauthenticated requests, for development and tests only
    /// (default `None`: `events/subscribe` needs an authenticated principal).
    pub anonymous_principal: Option<String>,
    /// `events/unsubscribe` of an unknown key answers `NotFound` (SEP-3415 as written)
    /// instead of the empty result ChatGPT's profile expects (default `false`).
    pub strict_unsubscribe: bool,
}

impl Default for WebhookSettings {
    fn default() -> Self {
        Self {
            sender: None,
            store: Arc::new(MemoryWebhookSubscriptions::default()),
            default_ttl: Duration::from_secs(3600),
            min_ttl: Duration::from_secs(60),
            max_ttl: Duration::from_secs(24 * 3600),
            allow_no_expiry: false,
            retry_delays: [1, 5, 30, 120, 600]
                .into_iter()
                .map(Duration::from_secs)
                .collect(),
            suspend_after: Duration::from_secs(3600),
            suspend_min_attempts: 10,
            max_subscriptions: 10_000,
            max_per_principal: 100,
            verification_ttl: Duration::from_secs(24 * 3600),
            max_concurrent_challenges: 64,
            challenges_per_principal_per_minute: 10,
            rotation_grace: Duration::from_secs(600),
            anonymous_principal: None,
            strict_unsubscribe: false,
        }
    }
}

impl std::fmt::Debug for WebhookSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WebhookSettings")
            .field("sender", &self.sender)
            .field("default_ttl", &self.default_ttl)
            .field("min_ttl", &self.min_ttl)
            .field("max_ttl", &self.max_ttl)
            .field("allow_no_expiry", &self.allow_no_expiry)
            .field("retry_delays", &self.retry_delays)
            .field("max_subscriptions", &self.max_subscriptions)
            .field("max_per_principal", &self.max_per_principal)
            .field("anonymous_principal", &self.anonymous_principal)
            .field("strict_unsubscribe", &self.strict_unsubscribe)
            .finish_non_exhaustive()
    }
}
