//! One subscription reading what happened to its type: the part poll, push and webhook
//! delivery share, so they cannot disagree about what a subscription sees. An emitted type
//! is read from its history, with cursors `v1.<epoch>.<position>`; another epoch (the
//! history started afresh, e.g. after a restart) or a position the history no longer
//! reaches goes on from what is kept, reported as `truncated`, never as an error. A
//! checkable type is asked ([`check`](super::check)), with the source's own cursors.

use spate_protocol::events::{
    DeliveryMode, EventOccurrence, EventsErrorCodes, EventsErrorData, EventsErrorKind,
};
use spate_protocol::{ErrorObject, JsonObject};

use std::time::Duration;

use tokio::sync::watch;

use super::Matcher;
use super::check::{CheckError, CheckFn, Checked, CheckedEvent, failed};
use crate::server::ServerHandle;
use crate::server::tasks::iso8601;
use crate::store::event_history::{EventHistory, HistoryError, HistoryEvent, HistoryRead};
use crate::store::now_ms;

/// A subscription's place in what happened to its type.
pub(crate) struct Reader {
    pub(crate) name: String,
    place: Place,
    /// A gap was found and not reported yet.
    truncated: bool,
    /// `maxAgeMs`: occurrences older than this are skipped (a gap).
    max_age_ms: Option<u64>,
}

/// Where a reader is.
enum Place {
    /// In an emitted type's history.
    History {
        matcher: Matcher,
        /// The last position read.
        position: u64,
    },
    /// In a checkable source, at its cursor.
    Check {
        check: CheckFn,
        arguments: JsonObject,
        cursor: String,
        /// The source's nudges; the last one seen is marked at each read.
        news: watch::Receiver<u64>,
    },
}

/// What one read found.
pub(crate) struct Batch {
    /// The cursor before its events (after a gap, where reading went on from): what
    /// `notifications/events/active` reports, safe to persist before the events arrive.
    pub(crate) start: String,
    /// The matching occurrences, oldest first, each with the cursor after it.
    pub(crate) events: Vec<(String, EventOccurrence)>,
    /// The cursor after them.
    pub(crate) cursor: String,
    /// Whether there was a gap before them.
    pub(crate) truncated: bool,
    /// Whether more is already there.
    pub(crate) has_more: bool,
}

impl Reader {
    /// Opens a subscription to `name` in `mode`, from `cursor` (`None`: from now). The
    /// refusals are those of SEP-3415: `NotFound` for an unknown type, `Unsupported` for a
    /// mode it does not offer, `InvalidParams` for arguments that do not fit.
    pub(crate) async fn open(
        server: &ServerHandle,
        codes: EventsErrorCodes,
        name: &str,
        arguments: &JsonObject,
        cursor: Option<&str>,
        mode: DeliveryMode,
    ) -> Result<Self, ErrorObject> {
        let catalog = server.shared.catalog.snapshot();
        let Some(entry) = catalog.event(name) else {
            let data = EventsErrorData {
                kind: Some(EventsErrorData::KIND_EVENT.to_owned()),
                ..Default::default()
            };
            return Err(codes.error(EventsErrorKind::NotFound, Some(data)));
        };
        let webhooks = server.shared.config.events.webhooks.sender.is_some();
        if !entry.descriptor.offers(&mode) || (mode == DeliveryMode::Webhook && !webhooks) {
            let data = EventsErrorData {
                feature: Some(EventsErrorData::FEATURE_DELIVERY_MODE.to_owned()),
                value: Some(mode.as_str().into()),
                ..Default::default()
            };
            return Err(codes.error(EventsErrorKind::Unsupported, Some(data)));
        }
        let matcher = entry
            .subscribe(arguments)
            .map_err(ErrorObject::invalid_params)?;
        if let Some(check) = entry.check_fn() {
            let cursor = match cursor {
                Some(cursor) => cursor.to_owned(),
                None => ask_now(&check, arguments).await?,
            };
            let place = Place::Check {
                check,
                arguments: arguments.clone(),
                cursor,
                news: server.shared.nudges.of(name),
            };
            return Ok(Self {
                name: name.to_owned(),
                place,
                truncated: false,
                max_age_ms: None,
            });
        }
        let history = history(server);
        let (position, truncated) = match cursor {
            None => {
                let now = history.read_after(name, u64::MAX, 0).await;
                (now.map_err(internal)?.last_seq, false)
            }
            Some(cursor) => match decode(cursor, history.epoch()) {
                Some(position) => (position, false),
                None => (0, true),
            },
        };
        Ok(Self {
            name: name.to_owned(),
            place: Place::History { matcher, position },
            truncated,
            max_age_ms: None,
        })
    }

    /// Skips occurrences older than `max_age_ms` (reported as a gap).
    pub(crate) fn max_age(mut self, max_age_ms: Option<u64>) -> Self {
        self.max_age_ms = max_age_ms;
        self
    }

    /// The cursor of the current position.
    pub(crate) fn cursor(&self, server: &ServerHandle) -> String {
        match &self.place {
            Place::History { position, .. } => encode(history(server).epoch(), *position),
            Place::Check { cursor, .. } => cursor.clone(),
        }
    }

    /// Whether the history no longer reaches the position (or the cursor was of another
    /// epoch); if so, goes on from what is kept. Reported here, not again by the next read.
    pub(crate) async fn settle(&mut self, server: &ServerHandle) -> Result<bool, ErrorObject> {
        if let Place::History { position, .. } = &mut self.place {
            let read = history(server)
                .read_after(&self.name, *position, 0)
                .await
                .map_err(internal)?;
            self.truncated |= skip_gap(position, &read);
        }
        Ok(std::mem::take(&mut self.truncated))
    }

    /// Reads at most `limit` positions on (the matching occurrences among them).
    pub(crate) async fn read(
        &mut self,
        server: &ServerHandle,
        limit: usize,
    ) -> Result<Batch, ErrorObject> {
        let floor = self.max_age_ms.map(|age| now_ms().saturating_sub(age));
        let (matcher, position) = match &mut self.place {
            Place::History { matcher, position } => (matcher, position),
            Place::Check {
                check,
                arguments,
                cursor,
                news,
            } => {
                // A nudge from here on wakes the next wait.
                news.borrow_and_update();
                let start = cursor.clone();
                let checked = match check(arguments.clone(), Some(cursor.clone()), limit).await {
                    Ok(checked) => checked,
                    Err(CheckError::UnknownCursor) => {
                        // Go on from now, and say so.
                        self.truncated = true;
                        *cursor = ask_now(check, arguments).await?;
                        Checked {
                            events: Vec::new(),
                            cursor: cursor.clone(),
                            has_more: false,
                        }
                    }
                    Err(e) => return Err(failed(&e)),
                };
                let mut events = Vec::with_capacity(checked.events.len());
                for event in checked.events.into_iter().take(limit) {
                    if floor.is_some_and(|floor| event.timestamp_ms < floor) {
                        self.truncated = true;
                        continue;
                    }
                    events.push((event.cursor.clone(), checked_occurrence(&self.name, event)));
                }
                cursor.clone_from(&checked.cursor);
                return Ok(Batch {
                    start,
                    events,
                    cursor: checked.cursor,
                    truncated: std::mem::take(&mut self.truncated),
                    has_more: checked.has_more,
                });
            }
        };
        let history = history(server);
        let read = history
            .read_after(&self.name, *position, limit)
            .await
            .map_err(internal)?;
        self.truncated |= skip_gap(position, &read);
        let start = encode(history.epoch(), *position);
        let mut events = Vec::with_capacity(read.events.len());
        for event in &read.events {
            *position = event.seq;
            if floor.is_some_and(|floor| event.timestamp_ms < floor) {
                self.truncated = true;
                continue;
            }
            if matcher(&event.data) {
                let after = encode(history.epoch(), event.seq);
                events.push((after, occurrence(&self.name, event)));
            }
        }
        Ok(Batch {
            start,
            events,
            cursor: encode(history.epoch(), *position),
            truncated: std::mem::take(&mut self.truncated),
            has_more: *position < read.last_seq,
        })
    }

    /// Resolves once there may be something after the current position: the history has
    /// it, or, for a checkable source, the poll interval passed or the source was nudged.
    pub(crate) async fn wait(&self, server: &ServerHandle) {
        match &self.place {
            Place::History { position, .. } => {
                history(server).wait_after(&self.name, *position).await;
            }
            Place::Check { news, .. } => {
                let interval = server.shared.config.events.poll_interval;
                let mut news = news.clone();
                tokio::select! {
                    () = tokio::time::sleep(interval.max(MIN_CHECK_INTERVAL)) => {}
                    _ = news.changed() => {}
                }
            }
        }
    }
}

/// The shortest pause between two questions of one subscription to a checkable source.
const MIN_CHECK_INTERVAL: Duration = Duration::from_millis(10);

/// Moves `position` past a gap in front of it; whether there was one.
fn skip_gap(position: &mut u64, read: &HistoryRead) -> bool {
    if read.first_seq > position.saturating_add(1) || *position > read.last_seq {
        // The history no longer reaches the position (or never did): go on from what is
        // kept.
        *position = read.first_seq.saturating_sub(1);
        return true;
    }
    false
}

/// The source's cursor of now.
async fn ask_now(check: &CheckFn, arguments: &JsonObject) -> Result<String, ErrorObject> {
    check(arguments.clone(), None, 0)
        .await
        .map(|checked| checked.cursor)
        .map_err(|e| failed(&e))
}

fn checked_occurrence(name: &str, event: CheckedEvent<serde_json::Value>) -> EventOccurrence {
    let data = match event.data {
        serde_json::Value::Object(data) => data,
        _ => JsonObject::new(),
    };
    EventOccurrence::new(event.event_id, name, iso8601(event.timestamp_ms), data)
}

fn history(server: &ServerHandle) -> &dyn EventHistory {
    server.shared.config.events.history.as_ref()
}

fn internal(e: HistoryError) -> ErrorObject {
    ErrorObject::new(spate_protocol::error_code::INTERNAL_ERROR, e.to_string())
}

fn occurrence(name: &str, event: &HistoryEvent) -> EventOccurrence {
    let data = event.data.as_object().cloned().unwrap_or_default();
    EventOccurrence::new(
        event.event_id.clone(),
        name,
        iso8601(event.timestamp_ms),
        data,
    )
}

/// The cursor after `position` in the history of `epoch`.
fn encode(epoch: &str, position: u64) -> String {
    format!("v1.{epoch}.{position}")
}

/// The position a cursor names, if it is one of ours from this epoch.
fn decode(cursor: &str, epoch: &str) -> Option<u64> {
    let rest = cursor.strip_prefix("v1.")?;
    let (cursor_epoch, position) = rest.rsplit_once('.')?;
    if cursor_epoch != epoch {
        return None;
    }
    position.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip_within_an_epoch_only() {
        let c = encode("ab12", 42);
        assert_eq!(decode(&c, "ab12"), Some(42));
        for other in [
            decode(&c, "cd34"),
            decode("v1.ab12.x", "ab12"),
            decode("garbage", "ab12"),
            decode("", "ab12"),
            decode("v1.ab12.-1", "ab12"),
            decode("v1.ab12.99999999999999999999999", "ab12"),
        ] {
            assert_eq!(other, None);
        }
    }
}
