//! The one loop that turns a stream of the event log into an SSE body: replay what follows the
//! cursor, then wait for more, with keep-alive comments while idle. A first attach and a
//! resumption are the same loop with a different cursor.

use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;

use axum::body::Body;
use axum::response::Response;
use bytes::{Bytes, BytesMut};
use http::{HeaderValue, StatusCode, header};

use super::keep_alive::KeepAlive;
use super::sessions::{ActiveGuard, HttpSession};
use super::sse;
use crate::store::event_log::EventLog;

/// Events read from the log per round.
const READ_BATCH: usize = 64;
/// Framing stops once a chunk holds this much, which bounds a stream's buffer however large
/// its events are (a replay of 10 kB events is written 64 KiB at a time, not 640 kB).
const CHUNK_BYTES: usize = 64 * 1024;

/// How events are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Framing {
    /// Streamable HTTP: every event has an id (`session.stream.seq`).
    WithIds,
    /// The 2024-11-05 transport: `event: message`, no ids.
    LegacyMessages,
}

/// A reader of one stream from a cursor.
pub(super) struct StreamReader {
    /// The log holding the stream.
    pub log: Arc<dyn EventLog>,
    /// The session owning it.
    pub session: Arc<HttpSession>,
    /// The stream number.
    pub stream: u64,
    /// Replay starts after this sequence number.
    pub cursor: u64,
    /// Written before anything else (priming or `endpoint` event).
    pub preamble: Option<Bytes>,
    /// Keep-alive comment period.
    pub keep_alive: Duration,
    /// How events are written.
    pub framing: Framing,
    /// Disconnect markers after this sequence number close the connection; earlier ones
    /// were meant for a connection before this one and are skipped.
    pub live_from: u64,
    /// The `retry` hint sent before a server-initiated disconnect, in milliseconds.
    pub retry_ms: u64,
    /// Runs when the body is dropped, told whether the stream ended as it should (its last
    /// event went out, or the server hung up) rather than the client going away.
    pub on_drop: Option<OnDrop>,
}

/// What a [`StreamReader`] runs when its body is dropped; its argument is whether the
/// stream ended as it should.
pub(super) type OnDrop = Box<dyn FnOnce(bool) + Send + Sync>;

struct State {
    reader: StreamReader,
    key: String,
    /// What is framed and not yet handed to the connection: every event read in one round
    /// goes out as one chunk, so one write, not one per event.
    out: BytesMut,
    /// The last event, held back a moment when other events precede it in the same round
    /// (see [`crate::transport::RESPONSE_SETTLE`]).
    held: Option<Bytes>,
    finished: bool,
    /// The server asked to end this connection (not the stream) once `out` is written.
    hang_up: bool,
    /// The last read reached the newest event: wait before reading again.
    caught_up: bool,
    /// The last read filled a whole batch and more waits in the log: let the connection
    /// write what is framed before reading on. Without it the connection keeps taking ready
    /// chunks until its write batch is full, and the first events of a long replay wait for
    /// hundreds.
    write_first: bool,
    keep_alive: KeepAlive,
    _active: ActiveGuard,
}

impl Drop for State {
    fn drop(&mut self) {
        if let Some(f) = self.reader.on_drop.take() {
            f(self.finished || self.hang_up);
        }
    }
}

impl StreamReader {
    /// The SSE response that runs this reader.
    pub(super) fn into_response(self) -> Response {
        let active = self.session.use_now();
        let mut out = BytesMut::new();
        let mut reader = self;
        if let Some(p) = reader.preamble.take() {
            out.extend_from_slice(&p);
        }
        let state = State {
            keep_alive: KeepAlive::new(reader.keep_alive),
            key: reader.session.stream_key(reader.stream).to_owned(),
            reader,
            out,
            held: None,
            finished: false,
            hang_up: false,
            caught_up: false,
            write_first: false,
            _active: active,
        };
        let body = futures_util::stream::unfold(state, next_chunk);
        sse_response(Body::from_stream(body))
    }
}

async fn next_chunk(mut s: State) -> Option<(Result<Bytes, Infallible>, State)> {
    loop {
        if !s.out.is_empty() {
            let chunk = s.out.split().freeze();
            s.keep_alive.wrote();
            return Some((Ok(chunk), s));
        }
        if let Some(last) = s.held.take() {
            tokio::time::sleep(crate::transport::RESPONSE_SETTLE).await;
            return Some((Ok(last), s));
        }
        if s.hang_up {
            return None; // the stream goes on; the client resumes it with Last-Event-ID
        }
        if s.finished {
            // Every event, the last included, was handed to the connection, which is not the
            // same as received: the client may still resume from any of them, so the stream
            // stays, among the session's delivered streams (bounded per session).
            s.reader
                .session
                .delivered(&s.reader.log, s.reader.stream)
                .await;
            return None;
        }
        if s.reader.session.is_closed() {
            return None;
        }
        if std::mem::take(&mut s.caught_up) {
            wait(&mut s).await;
            continue;
        }
        if std::mem::take(&mut s.write_first) {
            tokio::task::yield_now().await;
        }
        let r = &s.reader;
        let batch = match r.log.read_after(&s.key, r.cursor, READ_BATCH).await {
            Ok(batch) => batch,
            Err(e) => {
                tracing::error!("event log read failed: {e}");
                return None;
            }
        };
        if !batch.known {
            return None; // the stream is gone (session ended or retention expired it)
        }
        if batch.dropped > 0 {
            sse::put_comment(
                &mut s.out,
                format_args!(
                    "{} events before this point were dropped by retention",
                    batch.dropped
                ),
            );
        }
        if !batch.events.is_empty() {
            let newest = batch.last_seq;
            for event in batch.events {
                s.reader.cursor = event.seq;
                if event.disconnect {
                    if event.seq > s.reader.live_from && s.reader.framing == Framing::WithIds {
                        sse::put_retry(&mut s.out, s.reader.retry_ms);
                        s.hang_up = true;
                        break;
                    }
                    continue;
                }
                if event.last && event.data.is_empty() {
                    // The request ended without an answer (cancelled): nothing to send.
                    s.finished = true;
                    break;
                }
                // The last event waits in a chunk of its own when others precede it.
                let mut last = BytesMut::new();
                let into = if event.last && !s.out.is_empty() {
                    &mut last
                } else {
                    &mut s.out
                };
                match s.reader.framing {
                    Framing::WithIds => sse::put_event(
                        into,
                        s.reader.session.event_id(s.reader.stream, event.seq),
                        &event.data,
                    ),
                    Framing::LegacyMessages => sse::put_named(into, "message", &event.data),
                }
                if event.last {
                    s.finished = true;
                    if !last.is_empty() {
                        s.held = Some(last.freeze());
                    }
                    break;
                }
                if s.out.len() >= CHUNK_BYTES {
                    break; // the rest of the batch is read again after this chunk is written
                }
            }
            s.caught_up = s.reader.cursor >= newest;
            s.write_first = !s.caught_up;
            continue;
        }
        wait(&mut s).await;
    }
}

/// Waits for the stream's next event, queueing a keep-alive comment if none came in time.
async fn wait(s: &mut State) {
    // Ending the session removes its streams, which ends this wait too.
    let news = s.reader.log.wait_after(&s.key, s.reader.cursor);
    if s.keep_alive.or_quiet(news).await.is_none() {
        sse::put_comment(&mut s.out, "keep-alive");
    }
}

/// A `200 text/event-stream` response with the headers proxies need to pass it through.
pub(super) fn sse_response(body: Body) -> Response {
    let mut response = Response::new(body);
    *response.status_mut() = StatusCode::OK;
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/event-stream"),
    );
    headers.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("no-cache, no-transform"),
    );
    headers.insert("x-accel-buffering", HeaderValue::from_static("no"));
    response
}
