//! Reading SSE streams of Streamable HTTP (a POST's answer or the standalone GET stream),
//! and resuming them with `GET` + `Last-Event-ID` when they end early or drop.

use std::collections::{HashSet, VecDeque};
use std::time::Duration;

use http::StatusCode;
use http::header::{ACCEPT, CONTENT_TYPE};
use spate_protocol::RequestId;

use super::Link;
use super::authorize::{self, SendError};
use super::frames;
use super::sse::{SseItem, SseParser};
use super::streamable::{fail_lost, renew_in_background};
use crate::engine::InboundFrame;

/// A POST's answer stream: the requests it still owes.
pub(super) struct PostStream {
    /// Requests not answered yet.
    pub(super) pending: HashSet<RequestId>,
    /// The `initialize` request, when this stream answers it.
    pub(super) init_id: Option<RequestId>,
    /// Keep the `initialize` result from the engine (a replay for a new session) and do not
    /// resume the stream.
    pub(super) swallow_init: bool,
    /// The negotiated version, when swallowed.
    pub(super) captured: Option<String>,
    /// A stream that ends early may be resumed (never in 2026-07-28, which has no
    /// resumption: the request is lost).
    pub(super) resumable: bool,
}

impl PostStream {
    pub(super) fn new(
        pending: impl IntoIterator<Item = RequestId>,
        init_id: Option<RequestId>,
        swallow_init: bool,
    ) -> Self {
        Self {
            pending: pending.into_iter().collect(),
            init_id,
            swallow_init,
            captured: None,
            resumable: true,
        }
    }
}

/// Which stream is read.
pub(super) enum StreamKind {
    /// The answer to a POST.
    Post(PostStream),
    /// The session's standalone GET stream.
    Standalone,
}

/// Where a stream is: its last event id, the wait before reconnecting, ids delivered.
struct Cursor {
    last_event_id: Option<String>,
    retry: Duration,
    seen: HashSet<String>,
    order: VecDeque<String>,
    capacity: usize,
}

impl Cursor {
    /// Records an event id; false if it was already delivered.
    fn first_time(&mut self, id: &str) -> bool {
        if self.seen.contains(id) {
            return false;
        }
        if self.order.len() >= self.capacity.max(1) {
            if let Some(old) = self.order.pop_front() {
                self.seen.remove(&old);
            }
        }
        self.seen.insert(id.to_owned());
        self.order.push_back(id.to_owned());
        true
    }
}

/// How one connection of a stream ended.
enum Read {
    /// Every request of the POST is answered.
    Answered,
    /// The engine has gone.
    Closed,
    /// The connection ended or failed; `events` tells whether it carried any event.
    Ended { events: bool },
}

/// Hands one message to the engine, noting the answers it carries. False once the engine
/// has gone.
pub(super) async fn deliver(link: &Link, bytes: Vec<u8>, post: &mut PostStream) -> bool {
    let incoming = frames::incoming(bytes, &mut post.pending, post.init_id.as_ref());
    if let Some(version) = incoming.init_version {
        if post.swallow_init {
            post.captured = Some(version);
            return true;
        }
        link.conn.state().protocol_version = Some(version);
    }
    link.send(incoming.frame).await
}

/// Reads a stream to its end, resuming it as needed. `first` is the POST's answer, or `None`
/// to open the standalone stream. `opened` fires once the first `GET` this loop makes has
/// been answered (or has failed). Returns the POST's state.
pub(super) async fn run(
    link: &Link,
    first: Option<reqwest::Response>,
    mut kind: StreamKind,
    generation: u64,
    mut opened: Option<tokio::sync::oneshot::Sender<()>>,
) -> Option<PostStream> {
    let conn = &link.conn;
    let options = &conn.options;
    let mut cursor = Cursor {
        last_event_id: None,
        retry: options.default_retry,
        seen: HashSet::new(),
        order: VecDeque::new(),
        capacity: options.remembered_event_ids,
    };
    let mut current = first;
    let mut wait = Duration::ZERO; // the standalone stream opens at once
    let mut attempts = 0u32;
    loop {
        if let Some(response) = current.take() {
            match read(link, response, &mut cursor, &mut kind).await {
                Read::Answered | Read::Closed => return into_post(kind),
                Read::Ended { events } => {
                    if events {
                        attempts = 0;
                    }
                }
            }
            wait = backoff(cursor.retry, attempts, options.max_retry);
        }
        if let StreamKind::Post(post) = &kind {
            let why = if post.swallow_init {
                Some("the answer to the replayed initialize was cut off")
            } else if !post.resumable {
                Some("the stream ended before the answer, and 2026-07-28 streams are not resumed")
            } else if cursor.last_event_id.is_none() {
                Some("the stream ended before the answer and carried no event id to resume from")
            } else {
                None
            };
            if let Some(why) = why {
                fail_lost(link, &post.pending, why).await;
                return into_post(kind);
            }
        }
        if conn.generation() != generation {
            return give_up(link, kind, "the session was replaced").await;
        }
        if attempts >= options.max_reconnect_attempts {
            return give_up(link, kind, "too many reconnection attempts").await;
        }
        attempts += 1;
        tokio::time::sleep(wait).await;
        wait = backoff(cursor.retry, attempts, options.max_retry);
        let sent = authorize::send(conn, || {
            let mut rb = conn
                .request(reqwest::Method::GET, &conn.url)
                .header(ACCEPT, "text/event-stream");
            if let Some(id) = &cursor.last_event_id {
                rb = rb.header("last-event-id", id);
            }
            conn.with_session(rb).0
        })
        .await;
        if let Some(opened) = opened.take() {
            let _ = opened.send(());
        }
        let response = match sent {
            Ok(response) => response,
            Err(SendError::Network(e)) => {
                tracing::debug!("reconnecting an SSE stream failed: {e}");
                continue;
            }
            Err(SendError::Authorization(e)) => return give_up(link, kind, &e).await,
        };
        let status = response.status();
        if status.is_success() && is_event_stream(&response) {
            current = Some(response);
            continue;
        }
        match (status, &kind) {
            (StatusCode::NOT_FOUND, StreamKind::Standalone) => {
                renew_in_background(link, generation);
                return None;
            }
            (StatusCode::NOT_FOUND, _) => {
                return give_up(link, kind, "the server ended the session (HTTP 404)").await;
            }
            (StatusCode::METHOD_NOT_ALLOWED | StatusCode::CONFLICT, StreamKind::Standalone) => {
                tracing::debug!("no standalone stream: HTTP {status}");
                return None;
            }
            (StatusCode::METHOD_NOT_ALLOWED, _) => {
                return give_up(link, kind, "the server does not allow GET (HTTP 405)").await;
            }
            _ => tracing::debug!("reconnecting an SSE stream: HTTP {status}"),
        }
    }
}

fn into_post(kind: StreamKind) -> Option<PostStream> {
    match kind {
        StreamKind::Post(post) => Some(post),
        StreamKind::Standalone => None,
    }
}

async fn give_up(link: &Link, kind: StreamKind, why: &str) -> Option<PostStream> {
    match &kind {
        StreamKind::Post(post) => fail_lost(link, &post.pending, why).await,
        StreamKind::Standalone => tracing::debug!("standalone stream closed: {why}"),
    }
    into_post(kind)
}

/// `retry`, doubled per failed attempt, capped (but never below `retry` itself).
fn backoff(retry: Duration, attempts: u32, max: Duration) -> Duration {
    let factor = 1u32 << attempts.min(16);
    retry.saturating_mul(factor).min(max.max(retry))
}

pub(super) fn is_event_stream(response: &reqwest::Response) -> bool {
    response
        .headers()
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.to_ascii_lowercase().starts_with("text/event-stream"))
}

/// Reads one connection of a stream.
async fn read(
    link: &Link,
    mut response: reqwest::Response,
    cursor: &mut Cursor,
    kind: &mut StreamKind,
) -> Read {
    let options = &link.conn.options;
    let mut parser = SseParser::new(options.max_message_size);
    let mut items = Vec::new();
    let mut events = false;
    loop {
        let next = response.chunk();
        let chunk = match options.stream_idle_timeout {
            Some(idle) => match tokio::time::timeout(idle, next).await {
                Ok(chunk) => chunk,
                Err(_) => {
                    tracing::debug!("SSE stream silent for {idle:?}; reconnecting");
                    return Read::Ended { events };
                }
            },
            None => next.await,
        };
        let chunk = match chunk {
            Ok(Some(chunk)) => chunk,
            Ok(None) => return Read::Ended { events },
            Err(e) => {
                tracing::debug!("SSE stream dropped: {e}");
                return Read::Ended { events };
            }
        };
        parser.feed(&chunk, &mut items);
        for item in items.drain(..) {
            let event = match item {
                SseItem::TooLarge { limit } => {
                    if !link.send(InboundFrame::TooLarge { limit }).await {
                        return Read::Closed;
                    }
                    continue;
                }
                SseItem::Event(event) => event,
            };
            events = true;
            if let Some(retry) = event.retry {
                cursor.retry = retry;
            }
            match event.id.as_deref() {
                Some("") => cursor.last_event_id = None,
                Some(id) => {
                    cursor.last_event_id = Some(id.to_owned());
                    if !cursor.first_time(id) {
                        tracing::debug!("dropping replayed event {id}");
                        continue;
                    }
                }
                None => {}
            }
            if event.data.is_empty() || event.event != "message" {
                continue; // priming event, or an event type MCP does not use
            }
            let delivered = match kind {
                StreamKind::Post(post) => {
                    if !deliver(link, event.data.into_bytes(), post).await {
                        return Read::Closed;
                    }
                    post.pending.is_empty()
                }
                StreamKind::Standalone => {
                    let mut none = PostStream::new([], None, false);
                    if !deliver(link, event.data.into_bytes(), &mut none).await {
                        return Read::Closed;
                    }
                    false
                }
            };
            if delivered {
                return Read::Answered;
            }
        }
    }
}
