//! A webhook subscription while the server delivers to it: its fixed key, and the state a
//! refresh changes under a running delivery task (secrets, lifetime, suspension), shared
//! between that task and the requests that refresh it.

use std::sync::Mutex;
use std::time::Duration;

use spate_protocol::JsonObject;
use spate_protocol::events::{DeliveryErrorCategory, DeliveryStatus};
use tokio::sync::Notify;

use super::settings::WebhookSettings;
use crate::events::webhook_signature::WebhookSecret;
use crate::mutex::lock;
use crate::server::tasks::iso8601;
use crate::store::now_ms;
use crate::store::webhook_subscriptions::{
    DeliveryState, StoredSecret, WebhookSubscription, WireProfile,
};

/// A subscription being delivered to.
#[derive(Debug)]
pub(super) struct Live {
    pub(super) id: String,
    pub(super) principal: String,
    pub(super) url: String,
    pub(super) name: String,
    pub(super) arguments: JsonObject,
    pub(super) profile: WireProfile,
    pub(super) created_at_ms: u64,
    mutable: Mutex<Mutable>,
    /// Woken by a refresh (new secret, lifetime, reactivation).
    pub(super) wake: Notify,
}

#[derive(Debug)]
struct Mutable {
    secrets: Vec<StoredSecret>,
    expires_at_ms: Option<u64>,
    cursor: String,
    state: DeliveryState,
}

impl Live {
    /// The live form of a stored record.
    pub(super) fn new(record: WebhookSubscription) -> Self {
        Self {
            id: record.id,
            principal: record.principal,
            url: record.url,
            name: record.name,
            arguments: record.arguments,
            profile: record.profile,
            created_at_ms: record.created_at_ms,
            mutable: Mutex::new(Mutable {
                secrets: record.secrets,
                expires_at_ms: record.expires_at_ms,
                cursor: record.cursor,
                state: record.state,
            }),
            wake: Notify::new(),
        }
    }

    /// The record to store.
    pub(super) fn record(&self) -> WebhookSubscription {
        let m = lock(&self.mutable);
        WebhookSubscription {
            id: self.id.clone(),
            principal: self.principal.clone(),
            url: self.url.clone(),
            name: self.name.clone(),
            arguments: self.arguments.clone(),
            secrets: m.secrets.clone(),
            profile: self.profile,
            created_at_ms: self.created_at_ms,
            expires_at_ms: m.expires_at_ms,
            cursor: m.cursor.clone(),
            state: m.state.clone(),
        }
    }

    /// A refresh: `secret` becomes the current one (the one it replaces signs on for
    /// `grace`), the lifetime is granted again, and delivery is reactivated. Returns the
    /// delivery status as it was, for the refresh result.
    pub(super) fn refresh(
        &self,
        secret: &str,
        expires_at_ms: Option<u64>,
        grace: Duration,
    ) -> DeliveryStatus {
        let now = now_ms();
        let status = {
            let mut m = lock(&self.mutable);
            let status = status_of(&m.state);
            if m.secrets.first().is_none_or(|s| s.secret != secret) {
                let retire = now.saturating_add(millis(grace));
                for old in &mut m.secrets {
                    old.retire_at_ms = Some(old.retire_at_ms.unwrap_or(retire).min(retire));
                }
                m.secrets.retain(|s| s.secret != secret);
                m.secrets.insert(
                    0,
                    StoredSecret {
                        secret: secret.to_owned(),
                        retire_at_ms: None,
                    },
                );
            }
            m.expires_at_ms = expires_at_ms;
            if m.state.suspended {
                m.state.suspended = false;
                m.state.failed_since_ms = None;
                m.state.failed_attempts = 0;
            }
            status
        };
        // One waiter (the delivery task); a permit is kept if it is not waiting yet.
        self.wake.notify_one();
        status
    }

    /// The secrets that sign now, current first (retired ones dropped).
    pub(super) fn signing_secrets(&self) -> Vec<WebhookSecret> {
        let now = now_ms();
        let mut m = lock(&self.mutable);
        m.secrets
            .retain(|s| s.retire_at_ms.is_none_or(|at| at > now));
        m.secrets
            .iter()
            .filter_map(|s| WebhookSecret::parse(&s.secret).ok())
            .collect()
    }

    /// When it lapses (Unix ms), if ever.
    pub(super) fn expires_at_ms(&self) -> Option<u64> {
        lock(&self.mutable).expires_at_ms
    }

    /// Whether it has lapsed.
    pub(super) fn expired(&self) -> bool {
        self.expires_at_ms().is_some_and(|at| at <= now_ms())
    }

    /// Whether delivery is suspended.
    pub(super) fn suspended(&self) -> bool {
        lock(&self.mutable).state.suspended
    }

    /// The delivery watermark.
    pub(super) fn cursor(&self) -> String {
        lock(&self.mutable).cursor.clone()
    }

    /// Moves the watermark; whether it moved.
    pub(super) fn advance(&self, cursor: &str) -> bool {
        let mut m = lock(&self.mutable);
        if m.cursor == cursor {
            return false;
        }
        cursor.clone_into(&mut m.cursor);
        true
    }

    /// A delivery succeeded; whether deliveries had been failing until now.
    pub(super) fn succeeded(&self) -> bool {
        let mut m = lock(&self.mutable);
        m.state.last_delivery_at_ms = Some(now_ms());
        m.state.failed_attempts = 0;
        m.state.failed_since_ms.take().is_some()
    }

    /// An attempt failed; suspends delivery when every attempt has failed for
    /// `suspend_after` over at least `suspend_min_attempts`. Returns whether it did.
    pub(super) fn failed(
        &self,
        category: &DeliveryErrorCategory,
        settings: &WebhookSettings,
    ) -> bool {
        let now = now_ms();
        let mut m = lock(&self.mutable);
        m.state.last_error = Some(category.as_str().to_owned());
        let since = *m.state.failed_since_ms.get_or_insert(now);
        m.state.failed_attempts = m.state.failed_attempts.saturating_add(1);
        if now.saturating_sub(since) >= millis(settings.suspend_after)
            && m.state.failed_attempts >= settings.suspend_min_attempts
        {
            m.state.suspended = true;
        }
        m.state.suspended
    }

    /// The progress to store: the watermark and the delivery state.
    pub(super) fn progress(&self) -> (String, DeliveryState) {
        let m = lock(&self.mutable);
        (m.cursor.clone(), m.state.clone())
    }
}

/// `deliveryStatus` of a refresh result, from the state before the refresh.
fn status_of(state: &DeliveryState) -> DeliveryStatus {
    DeliveryStatus {
        active: !state.suspended,
        last_delivery_at: state.last_delivery_at_ms.map(iso8601),
        last_error: state
            .last_error
            .as_deref()
            .map(DeliveryErrorCategory::parse),
        failed_since: state.failed_since_ms.map(iso8601),
        ..Default::default()
    }
}

/// A duration in whole milliseconds.
pub(super) fn millis(duration: Duration) -> u64 {
    u64::try_from(duration.as_millis()).unwrap_or(u64::MAX)
}
