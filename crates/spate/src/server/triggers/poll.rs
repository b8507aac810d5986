//! `events/list` and `events/poll` (SEP-3415, "Poll"): no state on the server between polls;
//! the client carries the cursor from one poll to the next.

use std::time::Duration;

use spate_protocol::events::{
    DeliveryMode, ListEventsResult, PollEventsRequestParams, PollEventsResult,
};
use spate_protocol::{ClientCapabilities, PaginatedRequestParams, ProtocolVersion, Request};
use tokio_util::sync::CancellationToken;

use super::error_codes;
use super::reader::Reader;
use crate::server::ServerHandle;
use crate::server::cursor::paginate;
use crate::server::router::{Answer, fitted};

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
    let webhooks = server.shared.config.events.webhooks.sender.is_some();
    let result = ListEventsResult {
        events: entries
            .into_iter()
            .map(|e| {
                let mut descriptor = e.descriptor;
                if !webhooks {
                    descriptor.delivery.retain(|m| *m != DeliveryMode::Webhook);
                }
                descriptor
            })
            .collect(),
        next_cursor,
        ..Default::default()
    };
    fitted(version, result)
}

/// `events/poll`: what happened to one type, after the client's cursor. Without a cursor:
/// nothing old, a fresh cursor. A long poll (`timeoutMs`) is held until an occurrence, the
/// timeout (at most 30 s) or the request's cancellation.
pub(crate) async fn poll(
    server: &ServerHandle,
    request: &Request,
    version: ProtocolVersion,
    capabilities: Option<&ClientCapabilities>,
    cancel: &CancellationToken,
) -> Answer {
    let p: PollEventsRequestParams = request.parse_params()?;
    let codes = error_codes(capabilities);
    let cursor = p.cursor.as_deref();
    let mut reader = Reader::open(
        server,
        codes,
        &p.name,
        &p.arguments,
        cursor,
        DeliveryMode::Poll,
    )
    .await?
    .max_age(p.max_age_ms);
    let interval = server.shared.config.events.poll_interval;
    let lease = server.shared.config.events.poll_lease.max(interval * 3);
    super::activity::polled(server, &p.name, lease);
    let next_poll_ms = u64::try_from(interval.as_millis()).unwrap_or(u64::MAX);
    if cursor.is_none() {
        let result = PollEventsResult {
            cursor: Some(reader.cursor(server)),
            next_poll_ms,
            ..Default::default()
        };
        return fitted(version, result);
    }
    let limit = usize::try_from(
        p.max_events
            .unwrap_or(DEFAULT_MAX_EVENTS)
            .clamp(1, MAX_EVENTS),
    )
    .unwrap_or(usize::MAX);
    let mut batch = reader.read(server, limit).await?;
    if batch.events.is_empty() && !batch.has_more && !batch.truncated {
        if let Some(wait) = p.timeout_ms.filter(|&ms| ms > 0) {
            let wait = Duration::from_millis(wait).min(MAX_WAIT);
            tokio::select! {
                () = reader.wait(server) => {}
                () = tokio::time::sleep(wait) => {}
                () = cancel.cancelled() => {}
            }
            batch = reader.read(server, limit).await?;
        }
    }
    let result = PollEventsResult {
        events: batch.events.into_iter().map(|(_, event)| event).collect(),
        cursor: Some(batch.cursor),
        truncated: batch.truncated,
        has_more: batch.has_more,
        next_poll_ms: if batch.has_more { 0 } else { next_poll_ms },
        ..Default::default()
    };
    fitted(version, result)
}
