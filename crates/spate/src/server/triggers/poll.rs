//! `events/list` and `events/poll` (SEP-3415, "Poll"): no state on the server between polls;
//! the client carries an opaque cursor, `v1.<epoch>.<position>`, from one poll to the next.
//! A cursor of another epoch (the history started afresh, e.g. after a restart) or one the
//! history no longer reaches is answered from the oldest occurrence kept, with
//! `truncated: true`, never an error.

use std::time::Duration;

use spate_protocol::events::{
    DeliveryMode, EventOccurrence, EventsErrorData, EventsErrorKind, ListEventsResult,
    PollEventsRequestParams, PollEventsResult,
};
use spate_protocol::{
    ClientCapabilities, ErrorObject, PaginatedRequestParams, ProtocolVersion, Request,
};
use tokio_util::sync::CancellationToken;

use super::error_codes;
use crate::server::ServerHandle;
use crate::server::cursor::paginate;
use crate::server::router::{Answer, fitted};
use crate::server::tasks::iso8601;
use crate::store::event_history::HistoryEvent;
use crate::store::now_ms;

/// Occurrences in one poll result when the client sets no `maxEvents`, and at most.
const DEFAULT_MAX_EVENTS: u64 = 100;
const MAX_EVENTS: u64 = 1000;
/// The longest a long poll (`timeoutMs`, the design sketch's) is held.
const MAX_WAIT: Duration = Duration::from_secs(30);

/// `events/list`: the registered event types, a page at a time.
pub(crate) fn list(server: &ServerHandle, request: &Request, version: ProtocolVersion) -> Answer {
    let p: PaginatedRequestParams = request.parse_params()?;
    let catalog = server.shared.catalog.snapshot();
    let page = server.shared.config.page_size;
    let (entries, next_cursor) = paginate(&catalog.events, p.cursor.as_deref(), page, 5)?;
    let result = ListEventsResult {
        events: entries.into_iter().map(|e| e.descriptor).collect(),
        next_cursor,
        ..Default::default()
    };
    fitted(version, result)
}

/// `events/poll`: what happened to one type, after the client's cursor.
pub(crate) async fn poll(
    server: &ServerHandle,
    request: &Request,
    version: ProtocolVersion,
    capabilities: Option<&ClientCapabilities>,
    cancel: &CancellationToken,
) -> Answer {
    let codes = error_codes(capabilities);
    let p: PollEventsRequestParams = request.parse_params()?;
    let catalog = server.shared.catalog.snapshot();
    let Some(entry) = catalog.event(&p.name) else {
        let data = EventsErrorData {
            kind: Some(EventsErrorData::KIND_EVENT.to_owned()),
            ..Default::default()
        };
        return Err(codes.error(EventsErrorKind::NotFound, Some(data)));
    };
    if !entry.descriptor.offers(&DeliveryMode::Poll) {
        let data = EventsErrorData {
            feature: Some(EventsErrorData::FEATURE_DELIVERY_MODE.to_owned()),
            value: Some("poll".into()),
            ..Default::default()
        };
        return Err(codes.error(EventsErrorKind::Unsupported, Some(data)));
    }
    let matcher = entry
        .subscribe(&p.arguments)
        .map_err(ErrorObject::invalid_params)?;
    let history = server.shared.config.events.history.as_ref();
    let name = p.name.as_str();
    let limit = usize::try_from(
        p.max_events
            .unwrap_or(DEFAULT_MAX_EVENTS)
            .clamp(1, MAX_EVENTS),
    )
    .unwrap_or(usize::MAX);
    let store_error = |e: crate::store::event_history::HistoryError| {
        ErrorObject::new(spate_protocol::error_code::INTERNAL_ERROR, e.to_string())
    };
    let config = &server.shared.config.events;
    let next_poll_ms = u64::try_from(config.poll_interval.as_millis()).unwrap_or(u64::MAX);
    let Some(cursor) = p.cursor.as_deref() else {
        // Start now: nothing old, a fresh cursor.
        let now = history
            .read_after(name, u64::MAX, 0)
            .await
            .map_err(store_error)?;
        let result = PollEventsResult {
            cursor: Some(encode(history.epoch(), now.last_seq)),
            next_poll_ms,
            ..Default::default()
        };
        return fitted(version, result);
    };
    let (after, mut truncated) = match decode(cursor, history.epoch()) {
        Some(position) => (position, false),
        None => (0, true),
    };
    let mut read = history
        .read_after(name, after, limit)
        .await
        .map_err(store_error)?;
    if read.events.is_empty() && read.last_seq <= after {
        if let Some(wait) = p.timeout_ms.filter(|&ms| ms > 0) {
            let wait = Duration::from_millis(wait).min(MAX_WAIT);
            tokio::select! {
                () = history.wait_after(name, after) => {}
                () = tokio::time::sleep(wait) => {}
                () = cancel.cancelled() => {}
            }
            read = history
                .read_after(name, after, limit)
                .await
                .map_err(store_error)?;
        }
    }
    let mut position = after;
    if read.first_seq > after.saturating_add(1) || after > read.last_seq {
        // The history no longer reaches the cursor (or never did): go on from what is kept.
        truncated = true;
        position = read.first_seq.saturating_sub(1);
    }
    let floor = p.max_age_ms.map(|age| now_ms().saturating_sub(age));
    let mut events = Vec::with_capacity(read.events.len());
    for event in &read.events {
        position = event.seq;
        if floor.is_some_and(|floor| event.timestamp_ms < floor) {
            truncated = true; // the age floor skipped past the cursor
            continue;
        }
        if matcher(&event.data) {
            events.push(occurrence(name, event));
        }
    }
    let has_more = position < read.last_seq;
    let result = PollEventsResult {
        events,
        cursor: Some(encode(history.epoch(), position)),
        truncated,
        has_more,
        next_poll_ms: if has_more { 0 } else { next_poll_ms },
        ..Default::default()
    };
    fitted(version, result)
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
