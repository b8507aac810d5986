//! Push on the client (SEP-3415, "Push"): an [`EventStream`] holds one `events/stream`
//! request open and hands out its occurrences. It keeps the cursor of every `active`,
//! `event` and `heartbeat` notification, and when the stream falls silent for longer than
//! its watchdog (no heartbeat) or ends without being asked to, it cancels it and opens
//! another from that cursor, so nothing is skipped and a redelivered occurrence (same
//! `eventId`) is dropped.

use std::collections::VecDeque;
use std::future::Future;
use std::ops::Deref;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use serde::de::DeserializeOwned;
use spate_protocol::events::methods::{
    EVENTS_STREAM, NOTIFICATIONS_EVENTS_ACTIVE, NOTIFICATIONS_EVENTS_ERROR,
    NOTIFICATIONS_EVENTS_EVENT, NOTIFICATIONS_EVENTS_HEARTBEAT, NOTIFICATIONS_EVENTS_TERMINATED,
};
use spate_protocol::events::{
    EventOccurrence, EventsActiveNotificationParams, EventsErrorNotificationParams,
    EventsHeartbeatNotificationParams, StreamEventsRequestParams,
};
use spate_protocol::{JsonObject, Notification, RequestId};
use tokio::sync::broadcast::error::RecvError;
use tokio_util::sync::CancellationToken;

use super::Client;
use super::calls::CallOptions;
use super::events::SeenIds;
use super::listen::subscription_of;
use crate::engine::PeerError;

/// How long a stream may stay silent before it is presumed dead: a server sends a heartbeat
/// at least every 30 s.
const DEFAULT_WATCHDOG: Duration = Duration::from_secs(75);
/// The pauses before reopening a stream that ended, doubling up to the last.
const FIRST_BACKOFF: Duration = Duration::from_millis(250);
const MAX_BACKOFF: Duration = Duration::from_secs(30);
/// A stream request has no answer to wait for: it ends when it is cancelled.
const STREAM_TIMEOUT: Duration = Duration::from_secs(365 * 24 * 3600);

type Pending<'a> = Pin<Box<dyn Future<Output = Result<serde_json::Value, PeerError>> + Send + 'a>>;

/// The open request of an [`EventStream`].
struct Open<'a> {
    id: RequestId,
    cancel: CancellationToken,
    answer: Pending<'a>,
}

/// The client an [`EventStream`] calls through: borrowed, or shared when the stream must
/// outlive any borrow (inside an `EventSubscription`).
#[derive(Clone)]
enum ClientRef<'a> {
    Borrowed(&'a Client),
    Shared(Arc<Client>),
}

impl Deref for ClientRef<'_> {
    type Target = Client;

    fn deref(&self) -> &Client {
        match self {
            Self::Borrowed(client) => client,
            Self::Shared(client) => client,
        }
    }
}

impl Client {
    /// Follows the event type `name` with these arguments over `events/stream`, from now
    /// on (or from a kept cursor, see [`EventStream::from_cursor`]).
    pub fn stream_events_of(
        &self,
        name: impl Into<String>,
        arguments: JsonObject,
    ) -> EventStream<'_> {
        EventStream::new(ClientRef::Borrowed(self), name.into(), arguments)
    }

    /// [`Client::stream_events_of`] holding the client by `Arc`, so the stream borrows
    /// nothing.
    pub(super) fn stream_events_shared(
        self: &Arc<Self>,
        name: String,
        arguments: JsonObject,
    ) -> EventStream<'static> {
        EventStream::new(ClientRef::Shared(self.clone()), name, arguments)
    }
}

/// One push subscription, as a stream of occurrences that survives silent or dropped
/// streams: it keeps the cursor of every `active`, `event` and `heartbeat`
/// notification, and when the stream falls silent longer than its watchdog or ends without
/// being asked to, cancels it and opens another from that cursor; an occurrence whose
/// `eventId` it handed out recently is dropped.
pub struct EventStream<'a> {
    client: ClientRef<'a>,
    params: StreamEventsRequestParams,
    /// Whether an `active` notification arrived (see [`EventStream::started`]).
    active: bool,
    /// Occurrences read while waiting for `active`, handed out first.
    early: VecDeque<EventOccurrence>,
    open: Option<Open<'a>>,
    watchdog: Duration,
    backoff: Duration,
    truncated: bool,
    reconnects: u64,
    seen: SeenIds,
    /// Subscribed before the first request, so nothing sent between two calls of
    /// [`EventStream::next`] is missed.
    notes: super::NotificationStream,
}

impl std::fmt::Debug for EventStream<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EventStream")
            .field("name", &self.params.name)
            .field("cursor", &self.params.cursor)
            .field("open", &self.open.as_ref().map(|o| &o.id))
            .field("reconnects", &self.reconnects)
            .finish_non_exhaustive()
    }
}

impl Drop for EventStream<'_> {
    fn drop(&mut self) {
        if let Some(open) = &self.open {
            open.cancel.cancel();
        }
    }
}

impl<'a> EventStream<'a> {
    fn new(client: ClientRef<'a>, name: String, arguments: JsonObject) -> Self {
        let notes = client.notifications();
        EventStream {
            client,
            params: StreamEventsRequestParams {
                name,
                arguments,
                ..Default::default()
            },
            active: false,
            early: VecDeque::new(),
            open: None,
            watchdog: DEFAULT_WATCHDOG,
            backoff: FIRST_BACKOFF,
            truncated: false,
            reconnects: 0,
            seen: SeenIds::default(),
            notes,
        }
    }

    /// Starts from a cursor kept earlier (see [`EventStream::cursor`]).
    pub fn from_cursor(mut self, cursor: impl Into<String>) -> Self {
        self.params.cursor = Some(cursor.into());
        self
    }

    /// How long the stream may stay silent before it is reopened (default 75 s: a server
    /// sends a heartbeat at least every 30 s).
    pub fn watchdog(mut self, silence: Duration) -> Self {
        self.watchdog = silence;
        self
    }

    /// The position after the last occurrence or heartbeat: keep it to resume later.
    pub fn cursor(&self) -> Option<&str> {
        self.params.cursor.as_deref()
    }

    /// Whether the server reported a gap (`truncated`) since the last call; clears it.
    pub fn take_truncated(&mut self) -> bool {
        std::mem::take(&mut self.truncated)
    }

    /// How many times the stream was reopened.
    pub fn reconnects(&self) -> u64 {
        self.reconnects
    }

    /// The next occurrence, reopening the stream as often as it takes. Fails when the server
    /// refuses the subscription (unknown type, bad arguments, no permission), ends it
    /// (`terminated`), or the connection closes; and with a recoverable error (an `error`
    /// notification: the source failed once), after which the stream goes on and `next` may
    /// be called again.
    pub async fn next(&mut self) -> Result<EventOccurrence, PeerError> {
        loop {
            if let Some(event) = self.early.pop_front() {
                return Ok(event);
            }
            if let Some(event) = self.step().await? {
                return Ok(event);
            }
        }
    }

    /// Opens the stream and waits for the server's `active` notification, which fixes where
    /// the stream starts (its cursor, when the type has replay). Occurrences arriving
    /// meanwhile are kept for [`EventStream::next`].
    pub(super) async fn started(&mut self) -> Result<(), PeerError> {
        while !self.active {
            if let Some(event) = self.step().await? {
                self.early.push_back(event);
            }
        }
        Ok(())
    }

    /// Waits for one notification of the stream, its end or its silence; answers the
    /// occurrence it delivered, if any.
    async fn step(&mut self) -> Result<Option<EventOccurrence>, PeerError> {
        if self.open.is_none() {
            self.open = Some(self.start());
        }
        let Some(open) = self.open.as_mut() else {
            return Ok(None);
        };
        let silence = tokio::time::sleep(self.watchdog);
        tokio::select! {
            note = self.notes.recv() => match note {
                Ok(note) => return self.take(&note),
                // Missed notifications: reopen from the last cursor rather than skip.
                Err(RecvError::Lagged(_)) => self.reopen(Duration::ZERO).await,
                Err(RecvError::Closed) => return Err(PeerError::Closed),
            },
            answer = &mut open.answer => match answer {
                Err(PeerError::Remote(e)) => {
                    self.open = None;
                    return Err(PeerError::Remote(e));
                }
                Err(PeerError::Closed) => return Err(PeerError::Closed),
                // Ended by the server, or the request failed: reopen after a pause.
                _ => {
                    let pause = self.backoff;
                    self.backoff = (self.backoff * 2).min(MAX_BACKOFF);
                    self.reopen(pause).await;
                }
            },
            () = silence => {
                tracing::debug!(name = %self.params.name, "event stream silent, reopening");
                self.reopen(Duration::ZERO).await;
            }
        }
        Ok(None)
    }

    /// Opens an `events/stream` request from the current cursor.
    fn start(&mut self) -> Open<'a> {
        let id = self.client.peer().reserve_id();
        let cancel = CancellationToken::new();
        let options = CallOptions {
            timeout: Some(STREAM_TIMEOUT),
            cancel: Some(cancel.clone()),
            id: Some(id.clone()),
            ..Default::default()
        };
        let client = self.client.clone();
        let params = self.params.clone();
        let answer: Pending<'a> =
            Box::pin(async move { client.call(EVENTS_STREAM, &params, options).await });
        Open { id, cancel, answer }
    }

    /// Cancels the open request and, after `pause`, lets the next turn open another.
    async fn reopen(&mut self, pause: Duration) {
        if let Some(open) = self.open.take() {
            open.cancel.cancel();
        }
        self.reconnects += 1;
        tokio::time::sleep(pause).await;
    }

    /// Reads one notification of this stream; an occurrence not seen before is returned.
    fn take(&mut self, note: &Notification) -> Result<Option<EventOccurrence>, PeerError> {
        let Some(open) = &self.open else {
            return Ok(None);
        };
        if !note.method.starts_with("notifications/events/") {
            return Ok(None);
        }
        if subscription_of(note).as_ref() != Some(&open.id) {
            return Ok(None);
        }
        let params = note.params.as_ref().map_or("{}", |p| p.get());
        match note.method.as_str() {
            NOTIFICATIONS_EVENTS_ACTIVE => {
                let active: EventsActiveNotificationParams = parse(params)?;
                self.active = true;
                self.truncated |= active.truncated;
                self.keep(active.cursor);
                self.backoff = FIRST_BACKOFF;
            }
            NOTIFICATIONS_EVENTS_HEARTBEAT => {
                let beat: EventsHeartbeatNotificationParams = parse(params)?;
                self.keep(beat.cursor);
            }
            NOTIFICATIONS_EVENTS_EVENT => {
                let event: EventOccurrence = parse(params)?;
                self.keep(event.position().map(str::to_owned));
                if self.seen.first_sight(&event.event_id) {
                    return Ok(Some(event));
                }
            }
            NOTIFICATIONS_EVENTS_TERMINATED | NOTIFICATIONS_EVENTS_ERROR => {
                let end: EventsErrorNotificationParams = parse(params)?;
                if note.method == NOTIFICATIONS_EVENTS_TERMINATED {
                    self.open = None;
                }
                return Err(PeerError::Remote(end.error));
            }
            _ => {}
        }
        Ok(None)
    }

    /// Keeps a cursor the server sent (a `null` one is not kept: the type has no replay).
    fn keep(&mut self, cursor: Option<String>) {
        if cursor.is_some() {
            self.params.cursor = cursor;
        }
    }
}

fn parse<T: DeserializeOwned>(params: &str) -> Result<T, PeerError> {
    serde_json::from_str(params).map_err(|e| PeerError::Malformed(format!("events/stream: {e}")))
}
