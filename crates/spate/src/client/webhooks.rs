//! Webhook subscriptions on the client (SEP-3415, "Webhook"): subscribe, unsubscribe, and a
//! [`WebhookKeeper`] that keeps one subscription alive.
//!
//! Written to be accepted by every server in the field (SEP-3415 and its design sketch):
//! `arguments` is always sent (`{}` when empty), `delivery.mode` is always `"webhook"`, a
//! zero `maxAgeMs` or `ttlMs` is never sent (some servers refuse it: it goes out as `1`),
//! errors are read in either numbering, and a `NotFound` answer to an unsubscribe is a
//! success (the subscription is gone either way).
//!
//! The keeper refreshes with the same call (same key, same secret) carrying the last cursor
//! the application's receiver kept, at 75 % of the time left before `refreshBefore`. It stops
//! for good on `Forbidden`; on `NotFound` or `Unsupported` it lists the server's event types
//! again and, when the type is still offered for webhooks, subscribes afresh (from now, no
//! cursor); other failures are retried with backoff. Stopping it unsubscribes.
//!
//! The receiver side (verifying and routing deliveries) lives with the HTTP transport; it
//! meets the keeper through [`WebhookBinding`].

use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use spate_protocol::JsonObject;
use spate_protocol::events::methods::{EVENTS_SUBSCRIBE, EVENTS_UNSUBSCRIBE};
use spate_protocol::events::{
    DeliveryMode, EventsErrorKind, SubscribeEventsRequestParams, SubscribeEventsResult,
    UnsubscribeDelivery, UnsubscribeEventsRequestParams, UnsubscribeEventsResult,
};
use tokio::sync::{Notify, watch};
use tokio_util::sync::CancellationToken;

use super::Client;
use super::calls::CallOptions;
use crate::engine::PeerError;

/// How far into the time left before `refreshBefore` the keeper refreshes.
const REFRESH_FRACTION: f64 = 0.75;
/// The shortest wait before a refresh.
const MIN_REFRESH_WAIT: Duration = Duration::from_secs(1);
/// How often a subscription granted without expiry is refreshed anyway (SEP-3415 asks
/// clients to refresh those occasionally too).
const NO_EXPIRY_REFRESH: Duration = Duration::from_secs(60 * 60);
/// The longest wait between two attempts after a failed refresh.
const MAX_RETRY_WAIT: Duration = Duration::from_secs(60);
/// How many times in a row the keeper subscribes afresh after `NotFound`/`Unsupported`
/// before it gives up.
const MAX_RESUBSCRIBES: u32 = 3;

impl Client {
    /// `events/subscribe`: creates the webhook subscription, or refreshes it when one with the
    /// same key (principal, URL, name, arguments) exists.
    ///
    /// `delivery.mode` is set to `webhook`; `maxAgeMs: 0` and `ttlMs: 0` are sent as `1`
    /// (servers take the smallest value they allow). Before it answers, the server POSTs a
    /// signed verification challenge to the callback: the receiver must already know the
    /// secret (see the HTTP transport's webhook receiver).
    pub async fn subscribe_webhook(
        &self,
        mut params: SubscribeEventsRequestParams,
    ) -> Result<SubscribeEventsResult, PeerError> {
        params.delivery.mode = DeliveryMode::Webhook;
        if params.max_age_ms == Some(0) {
            params.max_age_ms = Some(1);
        }
        if params.ttl_ms == Some(Some(0)) {
            params.ttl_ms = Some(Some(1));
        }
        self.call(EVENTS_SUBSCRIBE, &params, CallOptions::default())
            .await
    }

    /// `events/unsubscribe` of the subscription with this key. A `NotFound` answer (in either
    /// numbering) counts as success: there is no such subscription any more.
    pub async fn unsubscribe_webhook(
        &self,
        name: impl Into<String>,
        arguments: JsonObject,
        url: impl Into<String>,
    ) -> Result<(), PeerError> {
        let params = UnsubscribeEventsRequestParams {
            name: name.into(),
            arguments,
            delivery: UnsubscribeDelivery {
                mode: Some(DeliveryMode::Webhook),
                url: url.into(),
            },
            meta: None,
        };
        let answer: Result<UnsubscribeEventsResult, PeerError> = self
            .call(EVENTS_UNSUBSCRIBE, &params, CallOptions::default())
            .await;
        match answer {
            Ok(_) => Ok(()),
            Err(error) if kind_of(&error) == Some(EventsErrorKind::NotFound) => Ok(()),
            Err(error) => Err(error),
        }
    }

    /// Subscribes (`params` as for [`Client::subscribe_webhook`]) and keeps the subscription
    /// alive until [`WebhookKeeper::stop`]. The first subscribe's error is returned as it is;
    /// after that, what happens is in [`WebhookKeeper::status`]. `binding` is told every
    /// subscribe result and asked for the cursor each refresh sends.
    pub async fn keep_webhook(
        self: &Arc<Self>,
        params: SubscribeEventsRequestParams,
        binding: Arc<dyn WebhookBinding>,
    ) -> Result<WebhookKeeper, PeerError> {
        let first = self.subscribe_webhook(params.clone()).await?;
        binding.subscribed(&first);
        let (status_tx, status) = watch::channel(KeeperStatus {
            last: first,
            refreshes: 0,
            resubscribes: 0,
            ended: None,
        });
        let stop = CancellationToken::new();
        let now = Arc::new(Notify::new());
        let task = tokio::spawn(keep(Keeping {
            client: self.clone(),
            params: params.clone(),
            binding,
            status: status_tx,
            stop: stop.clone(),
            now: now.clone(),
        }));
        Ok(WebhookKeeper {
            client: self.clone(),
            params,
            status,
            stop,
            now,
            task,
        })
    }
}

/// What a webhook receiver offers the [`WebhookKeeper`]: the cursor it last received, and
/// the subscribe results (their `id` is what deliveries carry in `X-MCP-Subscription-Id`).
pub trait WebhookBinding: Send + Sync + 'static {
    /// The last cursor received for this subscription (from a delivery, a `gap` envelope or
    /// a subscribe result), which the next refresh sends.
    fn cursor(&self) -> Option<String>;

    /// A subscribe (or refresh) succeeded with `result`.
    fn subscribed(&self, result: &SubscribeEventsResult);
}

/// How a [`WebhookKeeper`] is doing.
#[derive(Debug, Clone)]
pub struct KeeperStatus {
    /// The last successful subscribe result.
    pub last: SubscribeEventsResult,
    /// Successful refreshes so far.
    pub refreshes: u64,
    /// Fresh subscriptions made after `NotFound`/`Unsupported`.
    pub resubscribes: u64,
    /// Set when the keeper gave up: the error that ended it (`Forbidden`, or a type the
    /// server no longer offers). The subscription is then left to lapse.
    pub ended: Option<PeerError>,
}

/// Keeps one webhook subscription alive (see the module documentation); made by
/// [`Client::keep_webhook`]. Dropping it stops the refreshes without unsubscribing (the
/// subscription then lapses at `refreshBefore`); [`WebhookKeeper::stop`] also unsubscribes.
#[derive(Debug)]
pub struct WebhookKeeper {
    client: Arc<Client>,
    params: SubscribeEventsRequestParams,
    status: watch::Receiver<KeeperStatus>,
    stop: CancellationToken,
    now: Arc<Notify>,
    task: tokio::task::JoinHandle<()>,
}

impl WebhookKeeper {
    /// The current status.
    pub fn status(&self) -> KeeperStatus {
        self.status.borrow().clone()
    }

    /// A receiver of every status change.
    pub fn watch(&self) -> watch::Receiver<KeeperStatus> {
        self.status.clone()
    }

    /// Refreshes now instead of waiting for the schedule.
    pub fn refresh_now(&self) {
        self.now.notify_one();
    }

    /// Stops refreshing and unsubscribes (a subscription the server no longer knows counts
    /// as unsubscribed).
    pub async fn stop(mut self) -> Result<(), PeerError> {
        self.stop.cancel();
        let _ = (&mut self.task).await;
        self.client
            .unsubscribe_webhook(
                self.params.name.clone(),
                self.params.arguments.clone(),
                self.params.delivery.url.clone(),
            )
            .await
    }
}

impl Drop for WebhookKeeper {
    fn drop(&mut self) {
        self.stop.cancel();
    }
}

/// What the keeping task owns.
struct Keeping {
    client: Arc<Client>,
    params: SubscribeEventsRequestParams,
    binding: Arc<dyn WebhookBinding>,
    status: watch::Sender<KeeperStatus>,
    stop: CancellationToken,
    now: Arc<Notify>,
}

async fn keep(mut k: Keeping) {
    let mut wait = refresh_wait(&k.status.borrow().last, SystemTime::now());
    let mut failures = 0u32;
    let mut resubscribes = 0u32;
    loop {
        tokio::select! {
            () = k.stop.cancelled() => return,
            () = tokio::time::sleep(wait) => {}
            () = k.now.notified() => {}
        }
        k.params.cursor = k.binding.cursor();
        let error = match k.client.subscribe_webhook(k.params.clone()).await {
            Ok(result) => {
                k.binding.subscribed(&result);
                wait = refresh_wait(&result, SystemTime::now());
                failures = 0;
                resubscribes = 0;
                k.status.send_modify(|s| {
                    s.last = result;
                    s.refreshes += 1;
                });
                continue;
            }
            Err(error) => error,
        };
        match kind_of(&error) {
            Some(EventsErrorKind::Forbidden) => return end(&k, error),
            Some(EventsErrorKind::NotFound | EventsErrorKind::Unsupported) => {
                resubscribes += 1;
                if resubscribes > MAX_RESUBSCRIBES || !still_offered(&k).await {
                    return end(&k, error);
                }
                match resubscribe(&mut k).await {
                    Ok(result) => {
                        wait = refresh_wait(&result, SystemTime::now());
                        failures = 0;
                    }
                    Err(again) if kind_of(&again) == Some(EventsErrorKind::Forbidden) => {
                        return end(&k, again);
                    }
                    Err(_) => {
                        failures += 1;
                        wait = retry_wait(failures);
                    }
                }
            }
            _ => {
                tracing::debug!(%error, "webhook refresh failed; retrying");
                failures += 1;
                wait = retry_wait(failures);
            }
        }
    }
}

/// Whether the server still lists the subscribed type with webhook delivery.
async fn still_offered(k: &Keeping) -> bool {
    match k.client.list_all_events().await {
        Ok(types) => types
            .iter()
            .any(|t| t.name == k.params.name && t.delivery.contains(&DeliveryMode::Webhook)),
        // Cannot tell: try the subscribe anyway.
        Err(_) => true,
    }
}

/// A fresh subscription (no cursor) after the old one was lost or invalidated.
async fn resubscribe(k: &mut Keeping) -> Result<SubscribeEventsResult, PeerError> {
    k.params.cursor = None;
    let result = k.client.subscribe_webhook(k.params.clone()).await?;
    k.binding.subscribed(&result);
    k.status.send_modify(|s| {
        s.last = result.clone();
        s.resubscribes += 1;
    });
    Ok(result)
}

fn end(k: &Keeping, error: PeerError) {
    tracing::debug!(%error, "webhook keeper stopped");
    k.status.send_modify(|s| s.ended = Some(error));
}

/// The events error kind of a failed call, if it is one.
fn kind_of(error: &PeerError) -> Option<EventsErrorKind> {
    match error {
        PeerError::Remote(object) => EventsErrorKind::of(object),
        _ => None,
    }
}

/// The wait before refreshing `result`: 75 % of the time left before its `refreshBefore`,
/// at least a second; an hour when it has no expiry (or one this module cannot read).
fn refresh_wait(result: &SubscribeEventsResult, now: SystemTime) -> Duration {
    let Some(expiry) = result.refresh_before.as_deref().and_then(parse_rfc3339) else {
        return NO_EXPIRY_REFRESH;
    };
    let left = expiry.duration_since(now).unwrap_or_default();
    left.mul_f64(REFRESH_FRACTION).max(MIN_REFRESH_WAIT)
}

/// 1 s, 2 s, 4 s … up to a minute.
fn retry_wait(failures: u32) -> Duration {
    let secs = 1u64 << failures.saturating_sub(1).min(6);
    Duration::from_secs(secs).min(MAX_RETRY_WAIT)
}

/// Reads an RFC 3339 date-time (`2026-02-19T16:00:00Z`, with optional fractional seconds
/// and a `Z` or `±hh:mm` offset). `None` for anything else.
fn parse_rfc3339(text: &str) -> Option<SystemTime> {
    let b = text.as_bytes();
    let digits = |from: usize, len: usize| -> Option<i64> {
        let part = b.get(from..from + len)?;
        part.iter().try_fold(0i64, |n, c| {
            c.is_ascii_digit().then(|| n * 10 + i64::from(c - b'0'))
        })
    };
    let separators = [(4, b'-'), (7, b'-'), (13, b':'), (16, b':')];
    if separators.iter().any(|&(i, c)| b.get(i) != Some(&c))
        || !matches!(b.get(10), Some(b'T' | b't' | b' '))
    {
        return None;
    }
    let (year, month, day) = (digits(0, 4)?, digits(5, 2)?, digits(8, 2)?);
    let (hour, minute, second) = (digits(11, 2)?, digits(14, 2)?, digits(17, 2)?);
    if !(1..=12).contains(&month) || !(1..=31).contains(&day) || hour > 23 || minute > 59 {
        return None;
    }
    let mut at = 19;
    let mut nanos = 0u32;
    if b.get(at) == Some(&b'.') {
        at += 1;
        let start = at;
        while b.get(at).is_some_and(u8::is_ascii_digit) {
            if at - start < 9 {
                nanos = nanos * 10 + u32::from(b[at] - b'0');
            }
            at += 1;
        }
        if at == start {
            return None;
        }
        nanos *= 10u32.pow(9u32.saturating_sub((at - start).min(9) as u32));
    }
    let offset = match b.get(at) {
        Some(b'Z' | b'z') if b.len() == at + 1 => 0,
        Some(sign @ (b'+' | b'-')) if b.len() == at + 6 && b.get(at + 3) == Some(&b':') => {
            let minutes = digits(at + 1, 2)? * 60 + digits(at + 4, 2)?;
            if *sign == b'+' { minutes } else { -minutes }
        }
        _ => return None,
    };
    let seconds = days_from_civil(year, month, day) * 86_400 + hour * 3600 + minute * 60 + second
        - offset * 60;
    let seconds = u64::try_from(seconds).ok()?;
    Some(UNIX_EPOCH + Duration::new(seconds, nanos))
}

/// Days from 1970-01-01 to a proleptic Gregorian date.
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let year = if month <= 2 { year - 1 } else { year };
    let era = year.div_euclid(400);
    let year_of_era = year - era * 400;
    let month_from_march = (month + 9) % 12;
    let day_of_year = (153 * month_from_march + 2) / 5 + day - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - 719_468
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str) -> Option<u64> {
        parse_rfc3339(text).map(|t| t.duration_since(UNIX_EPOCH).unwrap().as_secs())
    }

    #[test]
    fn reads_rfc3339_in_every_spelling_servers_use() {
        assert_eq!(at("1970-01-01T00:00:00Z"), Some(0));
        assert_eq!(at("2026-02-19T16:00:00Z"), Some(1_771_516_800));
        assert_eq!(at("2026-02-19T16:00:00.123Z"), Some(1_771_516_800));
        assert_eq!(at("2026-02-19T17:30:00+01:30"), Some(1_771_516_800));
        assert_eq!(at("2026-02-19T14:00:00-02:00"), Some(1_771_516_800));
        assert_eq!(at("2000-03-01T00:00:00Z"), Some(951_868_800));
        for bad in [
            "",
            "2026-02-19",
            "2026-02-19T16:00Z",
            "2026-02-19T16:00:00",
            "2026-13-19T16:00:00Z",
            "2026-02-19T16:00:00.Z",
            "2026-02-19T16:00:00+0100",
            "1969-12-31T23:59:59Z",
            "２０２６-02-19T16:00:00Z",
        ] {
            assert_eq!(at(bad), None, "{bad}");
        }
    }

    #[test]
    fn refreshes_at_three_quarters_of_the_time_left() {
        let now = UNIX_EPOCH + Duration::from_secs(1_771_516_800 - 400);
        let mut result = SubscribeEventsResult {
            refresh_before: Some("2026-02-19T16:00:00Z".into()),
            ..Default::default()
        };
        assert_eq!(refresh_wait(&result, now), Duration::from_secs(300));
        let late = UNIX_EPOCH + Duration::from_secs(1_771_516_800 + 5);
        assert_eq!(refresh_wait(&result, late), MIN_REFRESH_WAIT);
        result.refresh_before = None;
        assert_eq!(refresh_wait(&result, now), NO_EXPIRY_REFRESH);
        assert_eq!(retry_wait(1), Duration::from_secs(1));
        assert_eq!(retry_wait(3), Duration::from_secs(4));
        assert_eq!(retry_wait(40), MAX_RETRY_WAIT);
    }
}
