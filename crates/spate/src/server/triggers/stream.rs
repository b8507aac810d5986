//! `events/stream` (SEP-3415, "Push"): one long-lived request per subscription whose
//! notifications carry the subscription (`_meta` subscription id = the request's id). First
//! `notifications/events/active` (with the cursor, and `truncated` when the client's cursor
//! could not be honoured), then every matching occurrence as `notifications/events/event`
//! with the cursor after it, and a `notifications/events/heartbeat` with the cursor whenever
//! nothing happened for a while; a read that fails (a checkable source's upstream, say) is
//! reported as `notifications/events/error` and tried again, the stream staying open. It ends when the client cancels it or goes away, or with
//! `notifications/events/terminated` (`NotFound`) when the type is removed; then the request
//! answers its empty result.
//!
//! On Streamable HTTP the request's response is the SSE stream (resumable on a 2025 session,
//! as every response stream is); on stdio the notifications are interleaved with the rest.

use std::time::Duration;

use serde::Serialize;
use spate_protocol::events::methods::{
    NOTIFICATIONS_EVENTS_ACTIVE, NOTIFICATIONS_EVENTS_ERROR, NOTIFICATIONS_EVENTS_EVENT,
    NOTIFICATIONS_EVENTS_HEARTBEAT, NOTIFICATIONS_EVENTS_TERMINATED,
};
use spate_protocol::events::{
    DeliveryMode, EventsActiveNotificationParams, EventsErrorData, EventsErrorKind,
    EventsErrorNotificationParams, EventsHeartbeatNotificationParams, StreamEventsRequestParams,
    StreamEventsResult,
};
use spate_protocol::modern::set_subscription_id;
use spate_protocol::{
    ClientCapabilities, ErrorObject, FitVersion, ProtocolVersion, Request, RequestId,
};

use super::error_codes;
use super::reader::Reader;
use crate::engine::RequestContext;
use crate::server::ServerHandle;
use crate::server::router::{Answer, fitted};

/// Positions read per round.
const BATCH: usize = 256;

/// Serves one `events/stream` request until it is cancelled or its connection closes.
pub(crate) async fn stream(
    server: &ServerHandle,
    request: &Request,
    rc: &RequestContext,
    version: ProtocolVersion,
    capabilities: Option<&ClientCapabilities>,
) -> Answer {
    let p: StreamEventsRequestParams = request.parse_params()?;
    let codes = error_codes(capabilities);
    let mut reader = Reader::open(
        server,
        codes,
        &p.name,
        &p.arguments,
        p.cursor.as_deref(),
        DeliveryMode::Push,
    )
    .await?
    .max_age(p.max_age_ms);
    let _subscriber = super::activity::hold(server, &p.name);
    let id = request.id.clone();
    let send = Sender {
        rc,
        id: &id,
        version,
    };
    let heartbeat = server.shared.config.events.heartbeat.min(MAX_HEARTBEAT);
    // The first read settles the position (and any gap) before `active` reports it.
    let mut batch = if p.cursor.is_some() {
        Some(reader.read(server, BATCH).await?)
    } else {
        None
    };
    let truncated = batch.as_ref().is_some_and(|b| b.truncated);
    let active = EventsActiveNotificationParams {
        cursor: Some(match &batch {
            Some(first) => first.start.clone(),
            None => reader.cursor(server),
        }),
        truncated,
        meta: None,
    };
    if send
        .send(NOTIFICATIONS_EVENTS_ACTIVE, active)
        .await
        .is_err()
    {
        return fitted(version, StreamEventsResult::new(id));
    }
    // The first round's gap, if it read one, was reported by the first `active`.
    let mut first_round = batch.is_some();
    // Woken only when the set of event types changes, not by every server event.
    let mut types_changed = server.shared.event_types.subscribe();
    'serve: loop {
        let current = match batch.take() {
            Some(current) => current,
            None => match reader.read(server, BATCH).await {
                Ok(current) => current,
                Err(error) => {
                    // A source that failed this time: say so, and try again later.
                    let note = EventsErrorNotificationParams { error, meta: None };
                    if send.send(NOTIFICATIONS_EVENTS_ERROR, note).await.is_err() {
                        break 'serve;
                    }
                    tokio::select! {
                        () = tokio::time::sleep(server.shared.config.events.poll_interval) => {}
                        () = rc.cancel.cancelled() => break 'serve,
                        () = rc.peer.closed() => break 'serve,
                    }
                    continue;
                }
            },
        };
        let reported = std::mem::replace(&mut first_round, false);
        if current.truncated && !reported {
            let gap = EventsActiveNotificationParams {
                cursor: Some(current.start.clone()),
                truncated: true,
                meta: None,
            };
            if send.send(NOTIFICATIONS_EVENTS_ACTIVE, gap).await.is_err() {
                break 'serve;
            }
        }
        for (after, event) in current.events {
            let event = event.with_cursor(Some(after));
            if send.send(NOTIFICATIONS_EVENTS_EVENT, event).await.is_err() {
                break 'serve;
            }
        }
        if current.has_more {
            continue;
        }
        tokio::select! {
            () = reader.wait(server) => {}
            () = tokio::time::sleep(heartbeat) => {
                let beat = EventsHeartbeatNotificationParams {
                    cursor: Some(reader.cursor(server)),
                    meta: None,
                };
                if send.send(NOTIFICATIONS_EVENTS_HEARTBEAT, beat).await.is_err() {
                    break 'serve;
                }
            }
            _ = types_changed.changed() => {
                if server.shared.catalog.snapshot().event(&p.name).is_none() {
                    // The type is gone: the subscription ends with the reason.
                    let data = EventsErrorData {
                        kind: Some(EventsErrorData::KIND_EVENT.to_owned()),
                        ..Default::default()
                    };
                    let end = EventsErrorNotificationParams {
                        error: codes.error(EventsErrorKind::NotFound, Some(data)),
                        meta: None,
                    };
                    let _ = send.send(NOTIFICATIONS_EVENTS_TERMINATED, end).await;
                    break 'serve;
                }
            }
            () = rc.cancel.cancelled() => break 'serve,
            () = rc.peer.closed() => break 'serve,
        }
    }
    fitted(version, StreamEventsResult::new(id))
}

/// Sends a subscription's notifications, tagged with its id and fitted to the version.
struct Sender<'a> {
    rc: &'a RequestContext,
    id: &'a RequestId,
    version: ProtocolVersion,
}

impl Sender<'_> {
    async fn send<P>(&self, method: &str, mut params: P) -> Result<(), ErrorObject>
    where
        P: Serialize + FitVersion + Tagged,
    {
        set_subscription_id(params.meta_mut(), self.id);
        params.fit_version(self.version);
        self.rc
            .peer
            .notify_related(self.id, method, &params)
            .await
            .map_err(|e| {
                ErrorObject::new(spate_protocol::error_code::INTERNAL_ERROR, e.to_string())
            })
    }
}

/// Notification params that carry `_meta`.
trait Tagged {
    fn meta_mut(&mut self) -> &mut Option<spate_protocol::Meta>;
}

impl Tagged for EventsActiveNotificationParams {
    fn meta_mut(&mut self) -> &mut Option<spate_protocol::Meta> {
        &mut self.meta
    }
}

impl Tagged for EventsErrorNotificationParams {
    fn meta_mut(&mut self) -> &mut Option<spate_protocol::Meta> {
        &mut self.meta
    }
}

impl Tagged for EventsHeartbeatNotificationParams {
    fn meta_mut(&mut self) -> &mut Option<spate_protocol::Meta> {
        &mut self.meta
    }
}

impl Tagged for spate_protocol::events::EventOccurrence {
    fn meta_mut(&mut self) -> &mut Option<spate_protocol::Meta> {
        &mut self.meta
    }
}

/// The longest a stream stays silent: SEP-3415 asks for a heartbeat at least every 30 s.
pub(crate) const MAX_HEARTBEAT: Duration = Duration::from_secs(30);
