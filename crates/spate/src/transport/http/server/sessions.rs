//! HTTP sessions: one engine peer each, the map of live sessions, their limits and expiry.

use super::decimal::Decimal;
use std::collections::{HashMap, VecDeque};
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, Weak};
use std::time::{Duration, Instant};

use bytes::Bytes;
use futures_util::future::BoxFuture;
use rand::RngCore;
use spate_protocol::RequestId;

use crate::engine::{AttachedPeer, FrameSink};
use crate::engine::{InboundFrame, OutboundFrame, Route};
use crate::mutex::lock;
use crate::server::{OnChange, Server, SessionState};
use crate::store::event_log::{EventLog, LogError, NewEvent};
use crate::store::session_store::{SessionRecord, SessionStore, SessionStoreError};

/// The stream number of a session's standalone (GET) stream.
pub(super) const STANDALONE: u64 = 0;

/// One MCP session over HTTP. It runs no task of its own: the HTTP handlers hand its engine
/// each inbound message, and what the engine sends goes straight into the event log, on the
/// stream of its exchange; server events reach it through the registry's fan-out.
pub(super) struct HttpSession {
    /// The `Mcp-Session-Id`.
    pub id: String,
    /// What the server negotiated with this client.
    pub state: Arc<SessionState>,
    peer: AttachedPeer,
    /// Keyed with aHash (randomly seeded): looked up for every message the session sends.
    request_streams: Mutex<HashMap<RequestId, OpenStream, ahash::RandomState>>,
    /// The request streams whose every event, the last included, went out to a connection
    /// and that are still in the log, first delivered first.
    delivered: Mutex<VecDeque<u64>>,
    /// How many of those stay resumable (`HttpConfig::max_finished_streams_per_session`).
    delivered_kept: usize,
    next_stream: AtomicU64,
    /// Whether a standalone GET stream is attached now.
    pub standalone_attached: AtomicBool,
    last_used: Mutex<Instant>,
    active: AtomicUsize,
    /// The 2024-11-05 transport: everything goes on the one SSE stream.
    pub legacy: bool,
    /// Set when the session has ended. Nothing waits on it: ending a session removes its
    /// streams from the log, which wakes their readers.
    closed: AtomicBool,
    /// The log key of the standalone stream, made once: the fan-out appends to it for every
    /// event that concerns the session.
    standalone_key: Box<str>,
    /// When the session store last heard it was used (Unix ms).
    touched_ms: AtomicU64,
}

impl std::fmt::Debug for HttpSession {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HttpSession")
            .field("id", &self.id)
            .finish_non_exhaustive()
    }
}

/// Why a request stream could not be opened.
#[derive(Debug, PartialEq, Eq)]
pub(super) enum StreamRefusal {
    /// The session has as many streams open as it may.
    TooMany,
    /// A request with that id is already in flight in this session.
    DuplicateId(RequestId),
}

/// Room for a stream key built on the stack (a 32-character session id, a dot, a `u64`).
const KEY_INLINE: usize = 64;

/// The log key of one of a session's streams, `session.stream`; derefs to `str`.
pub(super) enum StreamKey<'a> {
    /// The standalone stream's key, made once per session.
    Borrowed(&'a str),
    /// A request stream's key, written into `buf[..len]`.
    Inline {
        /// The key's bytes.
        buf: [u8; KEY_INLINE],
        /// How many of them are written.
        len: usize,
    },
    /// A key too long for the stack (only with a session id longer than Spate makes).
    Owned(String),
}

/// The key of request stream `stream` of session `id`. Session ids are 32 characters, so it
/// is built on the stack: no allocation per request or per event for it.
fn request_stream_key(id: &str, stream: u64) -> StreamKey<'static> {
    let digits = Decimal::new(stream);
    let digits = digits.as_bytes();
    let len = id.len() + 1 + digits.len();
    if len > KEY_INLINE {
        return StreamKey::Owned(format!("{id}.{stream}"));
    }
    let mut buf = [0u8; KEY_INLINE];
    buf[..id.len()].copy_from_slice(id.as_bytes());
    buf[id.len()] = b'.';
    buf[id.len() + 1..len].copy_from_slice(digits);
    StreamKey::Inline { buf, len }
}

impl std::ops::Deref for StreamKey<'_> {
    type Target = str;

    fn deref(&self) -> &str {
        match self {
            StreamKey::Borrowed(key) => key,
            // Written whole from a `str` and digits, so always UTF-8.
            StreamKey::Inline { buf, len } => std::str::from_utf8(&buf[..*len]).unwrap_or_default(),
            StreamKey::Owned(key) => key,
        }
    }
}

/// An SSE event id, `session.stream.seq` (see [`HttpSession::event_id`]).
#[derive(Debug, Clone, Copy)]
pub(super) struct EventId<'a> {
    session: &'a str,
    stream: u64,
    seq: u64,
}

impl<'a> EventId<'a> {
    /// The id of event `seq` of stream `stream` of session `session`.
    pub(super) fn new(session: &'a str, stream: u64, seq: u64) -> Self {
        Self {
            session,
            stream,
            seq,
        }
    }

    /// Appends the id to `out`.
    pub(super) fn put(&self, out: &mut bytes::BytesMut) {
        out.extend_from_slice(self.session.as_bytes());
        out.extend_from_slice(b".");
        out.extend_from_slice(Decimal::new(self.stream).as_bytes());
        out.extend_from_slice(b".");
        out.extend_from_slice(Decimal::new(self.seq).as_bytes());
    }
}

impl HttpSession {
    /// The log key of one of this session's streams (the standalone one is not built again).
    pub(super) fn stream_key(&self, stream: u64) -> StreamKey<'_> {
        if stream == STANDALONE {
            return StreamKey::Borrowed(self.standalone_key());
        }
        request_stream_key(&self.id, stream)
    }

    /// The log key of the standalone stream.
    pub(super) fn standalone_key(&self) -> &str {
        &self.standalone_key
    }

    /// The SSE event id of an event: session, stream and position, so a `Last-Event-ID`
    /// names exactly one stream of exactly one session. Written where it is displayed, so
    /// framing an event allocates no string for its id.
    pub(super) fn event_id(&self, stream: u64, seq: u64) -> EventId<'_> {
        EventId::new(&self.id, stream, seq)
    }

    /// Parses an event id of this session into (stream, seq); `None` for anything else.
    pub(super) fn parse_event_id(&self, event_id: &str) -> Option<(u64, u64)> {
        let mut parts = event_id.trim().rsplitn(3, '.');
        let seq = parts.next()?.parse().ok()?;
        let stream = parts.next()?.parse().ok()?;
        (parts.next()? == self.id).then_some((stream, seq))
    }

    /// The request of stream `stream`, if it serves an `events/stream` subscription.
    pub(super) fn events_request_of(&self, stream: u64) -> Option<RequestId> {
        lock(&self.request_streams)
            .iter()
            .find(|(_, s)| s.stream == stream && s.events)
            .map(|(id, _)| id.clone())
    }

    /// Opens a stream for a POST carrying these requests, if the session has room for one
    /// more of its kind: `events` for an `events/stream` subscription (`limit` counts those
    /// alone), else ordinary requests (`limit` counts the others), so subscriptions that live
    /// for hours do not take the room of calls.
    pub(super) fn open_stream(
        &self,
        ids: &[RequestId],
        events: bool,
        limit: usize,
    ) -> Result<u64, StreamRefusal> {
        let mut streams = lock(&self.request_streams);
        let same_kind = streams.values().filter(|s| s.events == events).count();
        if same_kind + ids.len() > limit {
            return Err(StreamRefusal::TooMany);
        }
        if let Some(dup) = ids.iter().find(|id| streams.contains_key(id)) {
            return Err(StreamRefusal::DuplicateId(dup.clone()));
        }
        let stream = self.next_stream.fetch_add(1, Ordering::Relaxed);
        for id in ids {
            streams.insert(id.clone(), OpenStream { stream, events });
        }
        Ok(stream)
    }

    /// Notes that every event of request stream `stream` went out to a connection, and
    /// drops from `log` the first-delivered stream beyond the session's cap. A stream whose
    /// answer never reached a connection is not counted: it is the one a client resumes, and
    /// only the log's own retention ends it.
    pub(super) async fn delivered(&self, log: &Arc<dyn EventLog>, stream: u64) {
        let overflow = {
            let mut delivered = lock(&self.delivered);
            // A resumed stream may be delivered again; it keeps its place.
            if !delivered.contains(&stream) {
                delivered.push_back(stream);
            }
            if delivered.len() > self.delivered_kept {
                delivered.pop_front()
            } else {
                None
            }
        };
        if let Some(old) = overflow {
            log.remove(&self.stream_key(old)).await;
        }
    }

    /// Hands a decoded frame to the engine: notifications are handled, requests started,
    /// when this returns. `false` once the session has ended.
    pub(super) async fn deliver(&self, frame: InboundFrame) -> bool {
        !self.is_closed() && self.peer.receive(frame).await
    }

    /// Marks the session in use until the returned guard drops.
    pub(super) fn use_now(self: &Arc<Self>) -> ActiveGuard {
        self.active.fetch_add(1, Ordering::AcqRel);
        *lock(&self.last_used) = Instant::now();
        ActiveGuard(self.clone())
    }

    fn idle_since(&self) -> Option<Instant> {
        (self.active.load(Ordering::Acquire) == 0).then(|| *lock(&self.last_used))
    }

    /// Whether the session has ended.
    pub(super) fn is_closed(&self) -> bool {
        self.closed.load(Ordering::Acquire)
    }

    fn close(&self) {
        self.closed.store(true, Ordering::Release);
        self.peer.close();
    }
}

/// Keeps a session counted as active (not idle, not evictable) while alive.
pub(super) struct ActiveGuard(Arc<HttpSession>);

impl Drop for ActiveGuard {
    fn drop(&mut self) {
        *lock(&self.0.last_used) = Instant::now();
        self.0.active.fetch_sub(1, Ordering::AcqRel);
    }
}

/// Why a session could not be created.
#[derive(Debug, PartialEq, Eq)]
pub(super) struct AtCapacity;

/// Why a stored session could not be restored.
#[derive(Debug)]
pub(super) enum RestoreFailure {
    /// A store failed; `transient` when trying again later may succeed.
    Store {
        /// What failed (the file and the cause).
        message: String,
        /// Whether to ask the client to retry.
        transient: bool,
    },
    /// No room for the session.
    AtCapacity,
}

impl From<SessionStoreError> for RestoreFailure {
    fn from(e: SessionStoreError) -> Self {
        Self::Store {
            message: e.to_string(),
            transient: e.transient,
        }
    }
}

impl From<LogError> for RestoreFailure {
    fn from(e: LogError) -> Self {
        Self::Store {
            transient: e.transient,
            message: e.to_string(),
        }
    }
}

/// All live sessions of one HTTP server.
pub(super) struct SessionRegistry {
    sessions: Mutex<HashMap<String, Arc<HttpSession>>>,
    server: Server,
    log: Arc<dyn EventLog>,
    max_sessions: usize,
    ttl: Duration,
    /// Delivered streams each session keeps (see `HttpConfig::max_finished_streams_per_session`).
    finished_kept: usize,
    /// Whether the fan-out of server events runs (started with the first session).
    fanout_started: AtomicBool,
    /// Where Streamable HTTP sessions are kept beyond this process, if anywhere.
    store: Option<Arc<dyn SessionStore>>,
}

impl SessionRegistry {
    /// A registry creating sessions of `server`, with streams in `log`, each session keeping
    /// at most `finished_kept` finished streams, and kept in `store` when there is one.
    pub(super) fn new(
        server: Server,
        log: Arc<dyn EventLog>,
        max_sessions: usize,
        ttl: Duration,
        finished_kept: usize,
        store: Option<Arc<dyn SessionStore>>,
    ) -> Arc<Self> {
        Arc::new(Self {
            sessions: Mutex::new(HashMap::new()),
            server,
            log,
            max_sessions: max_sessions.max(1),
            ttl,
            finished_kept,
            fanout_started: AtomicBool::new(false),
            store,
        })
    }

    /// The event log.
    pub(super) fn log(&self) -> &Arc<dyn EventLog> {
        &self.log
    }

    /// A live session by id.
    pub(super) fn get(&self, id: &str) -> Option<Arc<HttpSession>> {
        lock(&self.sessions).get(id).cloned()
    }

    /// The live sessions `keep` selects (the fan-out's targets).
    pub(super) fn select(&self, keep: impl Fn(&HttpSession) -> bool) -> Vec<Arc<HttpSession>> {
        lock(&self.sessions)
            .values()
            .filter(|s| keep(s))
            .cloned()
            .collect()
    }

    /// Sessions alive now.
    pub(super) fn count(&self) -> usize {
        lock(&self.sessions).len()
    }

    /// Starts a new session; at the cap the least recently used idle session makes room.
    pub(super) fn create(self: &Arc<Self>, legacy: bool) -> Result<Arc<HttpSession>, AtCapacity> {
        self.make_room()?;
        let session = self.build(new_session_id(), legacy, None, STANDALONE + 1);
        lock(&self.sessions).insert(session.id.clone(), session.clone());
        Ok(session)
    }

    /// The Streamable HTTP session `id`: the live one, else the one the store kept (a
    /// session made before a restart), rebuilt as it was negotiated; `None` if neither.
    pub(super) async fn lookup(
        self: &Arc<Self>,
        id: &str,
    ) -> Result<Option<Arc<HttpSession>>, RestoreFailure> {
        let session = match self.get(id) {
            Some(live) => Some(live).filter(|s| !s.legacy),
            None => self.restore(id).await?,
        };
        if let (Some(session), Some(store)) = (&session, &self.store) {
            let now = crate::store::now_ms();
            let every = u64::try_from(self.ttl.as_millis() / 4).unwrap_or(u64::MAX);
            let touched = session.touched_ms.load(Ordering::Relaxed);
            if now.saturating_sub(touched) > every {
                session.touched_ms.store(now, Ordering::Relaxed);
                let (store, id) = (store.clone(), session.id.clone());
                tokio::spawn(async move {
                    if let Err(e) = store.touch(&id, now).await {
                        tracing::warn!("{e}");
                    }
                });
            }
        }
        Ok(session)
    }

    /// Rebuilds session `id` from its stored record, numbering its next stream past every
    /// stream the log still holds for it.
    async fn restore(
        self: &Arc<Self>,
        id: &str,
    ) -> Result<Option<Arc<HttpSession>>, RestoreFailure> {
        let Some(store) = &self.store else {
            return Ok(None);
        };
        let Some(record) = store.load(id).await? else {
            return Ok(None);
        };
        let prefix = format!("{id}.");
        let next_stream = self
            .log
            .keys_with_prefix(&prefix)
            .await?
            .iter()
            .filter_map(|key| key.strip_prefix(&prefix)?.parse::<u64>().ok())
            .max()
            .map_or(STANDALONE + 1, |n| n + 1);
        self.make_room().map_err(|_| RestoreFailure::AtCapacity)?;
        let session = self.build(record.id.clone(), false, Some(&record), next_stream);
        let mut sessions = lock(&self.sessions);
        if let Some(held) = sessions.get(id) {
            // Another request restored it first.
            session.close();
            return Ok(Some(held.clone()));
        }
        sessions.insert(session.id.clone(), session.clone());
        tracing::info!("session {id} restored from the session store");
        Ok(Some(session))
    }

    /// At the cap, ends the least recently used idle session.
    fn make_room(&self) -> Result<(), AtCapacity> {
        let evicted = {
            let sessions = lock(&self.sessions);
            if sessions.len() < self.max_sessions {
                None
            } else {
                let victim = sessions
                    .values()
                    .filter_map(|s| s.idle_since().map(|t| (t, s.id.clone())))
                    .min()
                    .map(|(_, id)| id);
                Some(victim.ok_or(AtCapacity)?)
            }
        };
        if let Some(victim) = evicted {
            tracing::info!("session cap reached: evicting least recently used idle session");
            self.end(&victim);
        }
        Ok(())
    }

    /// A session `id` (not yet in the map), from `record` when restored.
    fn build(
        self: &Arc<Self>,
        id: String,
        legacy: bool,
        record: Option<&SessionRecord>,
        next_stream: u64,
    ) -> Arc<HttpSession> {
        if !self.fanout_started.swap(true, Ordering::AcqRel) {
            super::fanout::start(self, self.server.subscribe_events());
        }
        let session = Arc::new_cyclic(|me: &Weak<HttpSession>| {
            let sink = Arc::new(SessionSink {
                session: me.clone(),
                log: self.log.clone(),
            });
            let (peer, state) = self.server.serve_attached(sink, record);
            HttpSession {
                standalone_key: format!("{id}.{STANDALONE}").into(),
                id,
                state,
                peer,
                request_streams: Mutex::new(HashMap::default()),
                delivered: Mutex::new(VecDeque::new()),
                delivered_kept: self.finished_kept,
                next_stream: AtomicU64::new(next_stream),
                standalone_attached: AtomicBool::new(false),
                last_used: Mutex::new(Instant::now()),
                active: AtomicUsize::new(0),
                legacy,
                closed: AtomicBool::new(false),
                touched_ms: AtomicU64::new(crate::store::now_ms()),
            }
        });
        if let (Some(store), false) = (&self.store, legacy) {
            // The 2024-11-05 transport's sessions live with their connection: never stored.
            session
                .state
                .set_on_change(store_changes(store.clone(), session.id.clone()));
        }
        session
    }

    /// Forgets stored sessions unused for longer than the TTL (those of a process before a
    /// restart that no client came back to).
    pub(super) async fn expire_stored(&self) {
        if let Some(store) = &self.store {
            let ttl = u64::try_from(self.ttl.as_millis()).unwrap_or(u64::MAX);
            let before = crate::store::now_ms().saturating_sub(ttl);
            if let Err(e) = store.expire(before).await {
                tracing::warn!("{e}");
            }
        }
    }

    /// Ends a session: its engine stops, its streams are dropped. Whether it existed.
    pub(super) fn end(&self, id: &str) -> bool {
        let Some(session) = lock(&self.sessions).remove(id) else {
            return false;
        };
        session.close();
        let log = self.log.clone();
        let prefix = format!("{id}.");
        let store = self.store.clone();
        let id = id.to_owned();
        tokio::spawn(async move {
            if let Some(store) = store {
                if let Err(e) = store.remove(&id).await {
                    tracing::warn!("{e}");
                }
            }
            log.remove_prefix(&prefix).await;
        });
        true
    }

    /// Ends sessions idle for longer than the TTL; returns how many.
    pub(super) fn expire_idle(&self) -> usize {
        let now = Instant::now();
        let expired: Vec<String> = lock(&self.sessions)
            .values()
            .filter(|s| {
                s.idle_since()
                    .is_some_and(|t| now.duration_since(t) > self.ttl)
            })
            .map(|s| s.id.clone())
            .collect();
        for id in &expired {
            self.end(id);
        }
        expired.len()
    }
}

/// Stores a session's record whenever what it negotiated changes.
fn store_changes(store: Arc<dyn SessionStore>, id: String) -> OnChange {
    Arc::new(move |state: &SessionState| {
        let record = state.to_record(&id);
        let store = store.clone();
        Box::pin(async move {
            let id = record.id.clone();
            if let Err(e) = store.save(record).await {
                tracing::error!("session {id} not stored: {e}");
            }
        })
    })
}

/// 128 random bits as 32 lowercase hex characters (visible ASCII, as the spec requires).
fn new_session_id() -> String {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let mut bytes = [0u8; 16];
    rand::rng().fill_bytes(&mut bytes);
    let mut id = String::with_capacity(32);
    for b in bytes {
        id.push(char::from(HEX[usize::from(b >> 4)]));
        id.push(char::from(HEX[usize::from(b & 0xf)]));
    }
    id
}

/// Where a session's engine sends: each frame is appended to the event log at once, on the
/// stream of its exchange, so a sender's order within a stream is kept without a queue.
struct SessionSink {
    session: Weak<HttpSession>,
    log: Arc<dyn EventLog>,
}

impl FrameSink for SessionSink {
    fn send(&self, frame: OutboundFrame) -> BoxFuture<'_, bool> {
        Box::pin(async move {
            let Some(session) = self.session.upgrade() else {
                return false;
            };
            if session.is_closed() {
                return false;
            }
            let (stream, last) = stream_of(&session, &frame.route);
            if matches!(frame.route, Route::Abandoned(_)) && !last {
                return true; // no stream of its own to end
            }
            let event = NewEvent {
                disconnect: matches!(frame.route, Route::Disconnect(_)),
                data: Bytes::from(frame.bytes),
                last,
            };
            append(&self.log, &session, stream, vec![event]).await;
            // Storing never makes the sender wait, so a handler could store a whole burst
            // before any reader of it runs, and a burst longer than the stream's retention
            // would lose its first events. Yielding once the task's cooperative budget is
            // spent lets readers take each part of a burst as it comes.
            tokio::task::consume_budget().await;
            true
        })
    }
}

/// An open request stream of a session.
#[derive(Debug, Clone, Copy)]
struct OpenStream {
    stream: u64,
    /// It serves an `events/stream` subscription.
    events: bool,
}

/// Appends events to one of a session's streams; a failing log is reported, not fatal.
pub(super) async fn append(
    log: &Arc<dyn EventLog>,
    session: &HttpSession,
    stream: u64,
    events: Vec<NewEvent>,
) {
    if let Err(e) = log.append(&session.stream_key(stream), events).await {
        tracing::error!("event log append failed for session {}: {e}", session.id);
    }
}

/// Which stream a frame goes on, and whether it ends that stream.
fn stream_of(session: &HttpSession, route: &Route) -> (u64, bool) {
    if session.legacy {
        // One stream, no resumption: a disconnect would end the session, so it is skipped
        // by the reader (markers are only honoured with ids).
        return (STANDALONE, false);
    }
    let mut streams = lock(&session.request_streams);
    let of = |id: &RequestId| streams.get(id).map_or(STANDALONE, |s| s.stream);
    match route {
        Route::Request(id) | Route::Disconnect(id) => (of(id), false),
        Route::Response(id) | Route::Abandoned(id) => match streams.get(id).map(|s| s.stream) {
            Some(stream) => {
                // A batch shares one stream: it ends with the answer that frees its last id.
                streams.retain(|_, s| s.stream != stream);
                (stream, true)
            }
            None => (STANDALONE, false),
        },
        Route::Standalone => (STANDALONE, false),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stream_keys_are_session_dot_stream_on_the_stack_or_not() {
        let id = new_session_id();
        let key = request_stream_key(&id, u64::MAX);
        assert!(matches!(key, StreamKey::Inline { .. }));
        assert_eq!(&*key, format!("{id}.{}", u64::MAX));
        let long = "x".repeat(KEY_INLINE);
        let key = request_stream_key(&long, 7);
        assert!(matches!(key, StreamKey::Owned(_)));
        assert_eq!(&*key, format!("{long}.7"));
    }
}
