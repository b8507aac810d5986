//! The 2024-11-05 HTTP+SSE transport, kept for old clients: `GET /sse` opens a session and its
//! one stream (first event `endpoint`), `POST /message?sessionId=…` carries client messages.
//! Every server message of the session travels on that stream; when it closes, the session ends.

use std::collections::HashMap;
use std::sync::Arc;

use axum::extract::{Query, State};
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use http::{HeaderMap, StatusCode};
use spate_protocol::jsonrpc::decode;

use super::App;
use super::rejection::HttpRejection;
use super::sessions::STANDALONE;
use super::sse;
use super::stream_reader::{Framing, StreamReader};
use crate::engine::InboundFrame;

/// The path clients POST to, relative to the server root.
pub(super) const MESSAGE_PATH: &str = "/message";

/// `GET /sse`.
pub(super) async fn open(State(app): State<Arc<App>>) -> Result<Response, HttpRejection> {
    let session = app
        .sessions
        .create(true)
        .map_err(|_| HttpRejection::TooManySessions)?;
    let log = app.sessions.log().clone();
    let _ = log
        .append(&session.stream_key(STANDALONE), Vec::new())
        .await;
    let endpoint = format!("{MESSAGE_PATH}?sessionId={}", session.id);
    let sessions = Arc::downgrade(&app.sessions);
    let id = session.id.clone();
    Ok(StreamReader {
        log,
        session,
        stream: STANDALONE,
        cursor: 0,
        preamble: Some(sse::named("endpoint", endpoint.as_bytes())),
        keep_alive: app.config.keep_alive,
        framing: Framing::LegacyMessages,
        live_from: u64::MAX,
        retry_ms: app.config.retry_ms,
        // No resumption in this transport: the stream is the session.
        on_drop: Some(Box::new(move |_| {
            if let Some(sessions) = sessions.upgrade() {
                sessions.end(&id);
            }
        })),
    }
    .into_response())
}

/// `POST /message?sessionId=…`.
pub(super) async fn message(
    State(app): State<Arc<App>>,
    Query(query): Query<HashMap<String, String>>,
    _headers: HeaderMap,
    body: Bytes,
) -> Result<Response, HttpRejection> {
    let session = query
        .get("sessionId")
        .and_then(|id| app.sessions.get(id))
        .filter(|s| s.legacy)
        .ok_or(HttpRejection::UnknownSession)?;
    let frame = decode(&body).map_err(|e| HttpRejection::Malformed(e.to_response()))?;
    let _active = session.use_now();
    if !session.deliver(InboundFrame::Decoded(frame)).await {
        return Err(HttpRejection::SessionEnded);
    }
    Ok((StatusCode::ACCEPTED, "Accepted").into_response())
}
