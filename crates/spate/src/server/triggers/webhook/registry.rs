//! The webhook subscriptions a server is delivering to: one delivery task each, started when
//! a subscription is created (or resumed from the store), stopped when it is removed, lapses
//! or its type goes away.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use bytes::Bytes;
use spate_protocol::ErrorObject;
use spate_protocol::events::webhook::{TerminatedEnvelope, WebhookBody};
use spate_protocol::events::{
    DeliveryErrorCategory, EventsErrorCodes, EventsErrorData, EventsErrorKind,
};
use tokio::sync::Semaphore;

use super::live::{Live, millis};
use super::post::{Outcome, control_message_id, post_signed, terminated_message_id};
use super::settings::WebhookSettings;
use super::worker::{self, deliver};
use crate::events::verification::{challenge_body, check_challenge_answer, new_challenge};
use crate::events::webhook_signature::WebhookSecret;
use crate::mutex::lock;
use crate::server::ServerHandle;
use crate::server::triggers::reader::Reader;
use crate::store::now_ms;
use crate::store::webhook_subscriptions::{
    DeliveryState, StoredSecret, Verification, WebhookSubscription, WireProfile,
};

/// A verification older than this is re-run when the secret changed.
const REVERIFY_ON_NEW_SECRET_MS: u64 = 3_600_000;

/// The running webhook subscriptions of a server.
#[derive(Debug)]
pub(crate) struct Webhooks {
    running: Mutex<HashMap<String, Running>>,
    challenges: Semaphore,
    /// Challenges sent per principal in the current minute: (window start, count).
    challenge_rate: Mutex<HashMap<String, (Instant, u32)>>,
}

/// The window of `challenges_per_principal_per_minute`.
const CHALLENGE_WINDOW: Duration = Duration::from_secs(60);
/// Principals tracked before the stale windows are swept.
const TRACKED_PRINCIPALS: usize = 10_000;

#[derive(Debug)]
struct Running {
    live: Arc<Live>,
    task: tokio::task::AbortHandle,
}

/// A subscribe request that passed its checks, with everything the key needs.
pub(super) struct Admitted {
    pub(super) id: String,
    pub(super) principal: String,
    pub(super) url: String,
    pub(super) name: String,
    pub(super) arguments: spate_protocol::JsonObject,
    pub(super) secret: String,
    pub(super) profile: WireProfile,
    pub(super) codes: EventsErrorCodes,
    pub(super) expires_at_ms: Option<u64>,
}

/// What a subscribe did, for its result.
pub(super) struct Subscribed {
    pub(super) cursor: String,
    pub(super) truncated: bool,
    /// On a refresh of a running subscription: how delivery had been going.
    pub(super) status: Option<spate_protocol::events::DeliveryStatus>,
}

impl Webhooks {
    pub(crate) fn new(settings: &WebhookSettings) -> Self {
        Self {
            running: Mutex::default(),
            challenges: Semaphore::new(settings.max_concurrent_challenges),
            challenge_rate: Mutex::default(),
        }
    }

    /// Creates or refreshes a subscription, after verifying its callback. A new one reads
    /// with `reader` (opened at the client's cursor).
    pub(super) async fn subscribe(
        &self,
        server: &ServerHandle,
        admitted: Admitted,
        mut reader: Reader,
    ) -> Result<Subscribed, ErrorObject> {
        let settings = &server.shared.config.events.webhooks;
        let existing = lock(&self.running)
            .get(&admitted.id)
            .map(|r| r.live.clone());
        if existing.is_none() {
            let (mine, all) = settings
                .store
                .count(&admitted.principal)
                .await
                .map_err(|e| internal(&e))?;
            let limit = if all >= settings.max_subscriptions {
                Some(("subscriptions", settings.max_subscriptions))
            } else if mine >= settings.max_per_principal {
                Some(("principal_subscriptions", settings.max_per_principal))
            } else {
                None
            };
            if let Some((limit, max)) = limit {
                let data = EventsErrorData {
                    limit: Some(limit.to_owned()),
                    max: u64::try_from(max).ok(),
                    ..Default::default()
                };
                return Err(admitted
                    .codes
                    .error(EventsErrorKind::ResourceExhausted, Some(data)));
            }
        }
        self.verify(server, &admitted).await?;
        let grace = settings.rotation_grace;
        let existing = existing.or_else(|| {
            lock(&self.running)
                .get(&admitted.id)
                .map(|r| r.live.clone())
        });
        if let Some(live) = existing {
            let status = live.refresh(&admitted.secret, admitted.expires_at_ms, grace);
            store_put(server, live.record()).await?;
            return Ok(Subscribed {
                cursor: live.cursor(),
                truncated: false,
                status: Some(status),
            });
        }
        let truncated = reader.settle(server).await?;
        let cursor = reader.cursor(server);
        let record = WebhookSubscription {
            id: admitted.id,
            principal: admitted.principal,
            url: admitted.url,
            name: admitted.name,
            arguments: admitted.arguments,
            secrets: vec![StoredSecret {
                secret: admitted.secret,
                retire_at_ms: None,
            }],
            profile: admitted.profile,
            created_at_ms: now_ms(),
            expires_at_ms: admitted.expires_at_ms,
            cursor: cursor.clone(),
            state: DeliveryState::default(),
        };
        store_put(server, record.clone()).await?;
        self.start(server, record, Some(reader));
        Ok(Subscribed {
            cursor,
            truncated,
            status: None,
        })
    }

    /// Starts the delivery task of `record` (replacing a running one of the same id).
    fn start(&self, server: &ServerHandle, record: WebhookSubscription, reader: Option<Reader>) {
        let live = Arc::new(Live::new(record));
        let task = tokio::spawn(worker::run(server.clone(), live.clone(), reader)).abort_handle();
        let old = lock(&self.running).insert(live.id.clone(), Running { live, task });
        if let Some(old) = old {
            old.task.abort();
        }
    }

    /// Starts delivery to every stored subscription that is not running yet (after a
    /// restart); lapsed ones are removed. Call it once the event types are registered.
    pub(crate) async fn resume(&self, server: &ServerHandle) -> Result<usize, ErrorObject> {
        let store = &server.shared.config.events.webhooks.store;
        let records = store.all().await.map_err(|e| internal(&e))?;
        let mut started = 0;
        for record in records {
            if lock(&self.running).contains_key(&record.id) {
                continue;
            }
            if record.expires_at_ms.is_some_and(|at| at <= now_ms()) {
                let _ = store.remove(&record.id).await;
                continue;
            }
            self.start(server, record, None);
            started += 1;
        }
        Ok(started)
    }

    /// Removes a subscription (an unsubscribe); whether it existed.
    pub(super) async fn remove(
        &self,
        server: &ServerHandle,
        id: &str,
    ) -> Result<bool, ErrorObject> {
        let store = &server.shared.config.events.webhooks.store;
        let stored = store.remove(id).await.map_err(|e| internal(&e))?;
        let running = lock(&self.running).remove(id);
        if let Some(running) = &running {
            running.task.abort();
        }
        Ok(stored || running.is_some())
    }

    /// A subscription lapsed (not refreshed in time): it is forgotten.
    pub(super) async fn lapse(&self, server: &ServerHandle, id: &str) {
        tracing::debug!(subscription = id, "webhook subscription lapsed");
        let _ = server.shared.config.events.webhooks.store.remove(id).await;
        lock(&self.running).remove(id);
    }

    /// Ends a subscription for `cause` (its type was removed, its arguments no longer fit):
    /// a SEP-3415 subscriber gets a `terminated` envelope; the other profile has none and
    /// just stops receiving.
    pub(crate) async fn end(&self, server: &ServerHandle, id: &str, cause: Option<ErrorObject>) {
        let _ = server.shared.config.events.webhooks.store.remove(id).await;
        let Some(running) = lock(&self.running).remove(id) else {
            return;
        };
        if let (WireProfile::Sep, Some(error)) = (running.live.profile, cause) {
            let live = running.live.clone();
            let server = server.clone();
            tokio::spawn(async move {
                let message_id = terminated_message_id(&live.id, live.created_at_ms);
                let body = WebhookBody::Terminated(TerminatedEnvelope { error });
                deliver(&server, &live, &message_id, &body).await;
            });
        }
        running.task.abort();
    }

    /// Ends every subscription to the event type `name`, which was removed.
    pub(crate) async fn type_removed(&self, server: &ServerHandle, name: &str) {
        let ids: Vec<String> = lock(&self.running)
            .values()
            .filter(|r| r.live.name == name)
            .map(|r| r.live.id.clone())
            .collect();
        let data = EventsErrorData {
            kind: Some(EventsErrorData::KIND_EVENT.to_owned()),
            ..Default::default()
        };
        let error = EventsErrorCodes::SEP_3415.error(EventsErrorKind::NotFound, Some(data));
        for id in ids {
            self.end(server, &id, Some(error.clone())).await;
        }
    }

    /// Verifies the callback unless this principal verified it recently (with this secret,
    /// or within the last hour): POSTs the signed challenge and requires its echo.
    async fn verify(&self, server: &ServerHandle, a: &Admitted) -> Result<(), ErrorObject> {
        let settings = &server.shared.config.events.webhooks;
        let store = &settings.store;
        let now = now_ms();
        if let Some(v) = store
            .verification(&a.principal, &a.url)
            .await
            .map_err(|e| internal(&e))?
        {
            let age = now.saturating_sub(v.verified_at_ms);
            if age < millis(settings.verification_ttl)
                && (v.secret == a.secret || age < REVERIFY_ON_NEW_SECRET_MS)
            {
                return Ok(());
            }
        }
        if let Some(wait) = self.over_challenge_rate(&a.principal, settings) {
            let data = EventsErrorData {
                limit: Some("verification_rate".to_owned()),
                max: Some(u64::from(settings.challenges_per_principal_per_minute)),
                retry_after_ms: Some(millis(wait).max(1)),
                ..Default::default()
            };
            return Err(a
                .codes
                .error(EventsErrorKind::ResourceExhausted, Some(data)));
        }
        let Ok(_permit) = self.challenges.try_acquire() else {
            let data = EventsErrorData {
                limit: Some("verification_rate".to_owned()),
                retry_after_ms: Some(1000),
                ..Default::default()
            };
            return Err(a
                .codes
                .error(EventsErrorKind::ResourceExhausted, Some(data)));
        };
        let Some(sender) = settings.sender.as_deref() else {
            return Err(internal(&"no webhook sender"));
        };
        let secret = WebhookSecret::parse(&a.secret)
            .map_err(|e| ErrorObject::invalid_params(e.to_string()))?;
        let challenge = new_challenge();
        let body = Bytes::from(challenge_body(&challenge));
        let message_id = control_message_id("verification");
        let result = post_signed(sender, &a.url, &a.id, &message_id, &[secret], body).await;
        let failure = match &result {
            Ok(reply) if (200..300).contains(&reply.status) => {
                check_challenge_answer(&challenge, &reply.body)
                    .err()
                    .map(|_| DeliveryErrorCategory::ChallengeFailed)
            }
            // A redirect is never followed: the endpoint did not answer the challenge.
            Ok(reply) if (300..400).contains(&reply.status) => {
                Some(DeliveryErrorCategory::ChallengeFailed)
            }
            _ => match Outcome::of(&result) {
                Outcome::Failed(category) => Some(category),
                _ => Some(DeliveryErrorCategory::Http4xx),
            },
        };
        if let Some(category) = failure {
            let data = EventsErrorData {
                reason: Some(category.as_str().to_owned()),
                ..Default::default()
            };
            return Err(a
                .codes
                .error(EventsErrorKind::CallbackEndpointError, Some(data)));
        }
        let verification = Verification {
            verified_at_ms: now,
            secret: a.secret.clone(),
        };
        store
            .verified(&a.principal, &a.url, verification)
            .await
            .map_err(|e| internal(&e))
    }
}

impl Webhooks {
    /// Counts a challenge of `principal`; when it has had its share this minute, how long
    /// until the next window.
    fn over_challenge_rate(&self, principal: &str, settings: &WebhookSettings) -> Option<Duration> {
        let now = Instant::now();
        let mut rate = lock(&self.challenge_rate);
        if rate.len() >= TRACKED_PRINCIPALS {
            rate.retain(|_, (start, _)| now.duration_since(*start) < CHALLENGE_WINDOW);
            if rate.len() >= TRACKED_PRINCIPALS {
                return Some(CHALLENGE_WINDOW); // every slot is a live window: wait for one
            }
        }
        let (start, count) = rate.entry(principal.to_owned()).or_insert((now, 0));
        if now.duration_since(*start) >= CHALLENGE_WINDOW {
            (*start, *count) = (now, 0);
        }
        if *count >= settings.challenges_per_principal_per_minute {
            return Some(CHALLENGE_WINDOW.saturating_sub(now.duration_since(*start)));
        }
        *count += 1;
        None
    }
}

async fn store_put(server: &ServerHandle, record: WebhookSubscription) -> Result<(), ErrorObject> {
    let store = &server.shared.config.events.webhooks.store;
    store.put(record).await.map_err(|e| internal(&e))
}

fn internal(e: &dyn std::fmt::Display) -> ErrorObject {
    ErrorObject::new(spate_protocol::error_code::INTERNAL_ERROR, e.to_string())
}
