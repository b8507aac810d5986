//! The Streamable HTTP endpoint (2025-03-26 … 2025-11-25): POST, GET and DELETE on one path.

use std::sync::Arc;
use std::sync::atomic::Ordering;

use axum::Extension;
use axum::body::Body;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use bytes::{Bytes, BytesMut};
use http::{HeaderMap, HeaderValue, StatusCode, header};
use spate_protocol::jsonrpc::{Frame, decode};
use spate_protocol::{InitializeRequestParams, Message, ProtocolVersion, RequestId, methods};

use super::App;
use super::reply;
use super::sessions::{HttpSession, STANDALONE, StreamRefusal};
use super::sse;
use super::stream_reader::{Framing, StreamReader, sse_response};
use crate::engine::InboundFrame;
use crate::server::Principal;

/// The header carrying the session id.
pub const SESSION_HEADER: &str = "mcp-session-id";
/// The header carrying the negotiated protocol version.
pub const VERSION_HEADER: &str = "mcp-protocol-version";

fn header_str(headers: &HeaderMap, name: impl header::AsHeaderName) -> Option<&str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

fn accepts(headers: &HeaderMap, mime: &str) -> bool {
    let Some(accept) = header_str(headers, header::ACCEPT) else {
        return false;
    };
    accept.split(',').any(|part| {
        let media = part.split(';').next().unwrap_or_default().trim();
        media.eq_ignore_ascii_case(mime) || media == "*/*"
    })
}

/// The session a request names: `Err` is the response to send (400 without id, 404 unknown).
fn session_of(app: &App, headers: &HeaderMap) -> Result<Arc<HttpSession>, Box<Response>> {
    let Some(id) = header_str(headers, SESSION_HEADER) else {
        return Err(Box::new(reply::error_status(
            StatusCode::BAD_REQUEST,
            "Bad Request: Mcp-Session-Id header is required",
        )));
    };
    app.sessions.get(id).filter(|s| !s.legacy).ok_or_else(|| {
        Box::new(reply::error_status(
            StatusCode::NOT_FOUND,
            "Session not found: it ended or never existed; initialize again",
        ))
    })
}

/// Checks `MCP-Protocol-Version` on a request after initialize.
/// A session authenticated at `initialize` serves only that subject afterwards.
fn same_subject(session: &HttpSession, principal: Option<&Principal>) -> Result<(), Box<Response>> {
    let Some(owner) = session.state.principal() else {
        return Ok(());
    };
    if principal.map(|p| &p.subject) == Some(&owner.subject) {
        return Ok(());
    }
    Err(Box::new(reply::error_status(
        StatusCode::FORBIDDEN,
        "Forbidden: this session belongs to another principal",
    )))
}

fn version_ok(headers: &HeaderMap) -> Result<(), Box<Response>> {
    match header_str(headers, VERSION_HEADER) {
        None => Ok(()), // the spec says: assume 2025-03-26
        Some(v) => match ProtocolVersion::parse(v) {
            Some(version) if version <= ProtocolVersion::LATEST_LEGACY => Ok(()),
            _ => Err(Box::new(reply::error_status(
                StatusCode::BAD_REQUEST,
                &format!("Bad Request: unsupported MCP-Protocol-Version {v:?}"),
            ))),
        },
    }
}

/// `POST /mcp`: one message (or a 2025-03-26 batch) from the client.
pub async fn post(
    State(app): State<Arc<App>>,
    principal: Option<Extension<Principal>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let principal = principal.map(|Extension(p)| p);
    let json_type = header_str(&headers, header::CONTENT_TYPE)
        .map(|t| {
            t.split(';')
                .next()
                .unwrap_or_default()
                .trim()
                .eq_ignore_ascii_case("application/json")
        })
        .unwrap_or(false);
    if !json_type {
        return reply::error_status(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "Unsupported Media Type: Content-Type must be application/json",
        );
    }
    if !(accepts(&headers, "application/json") && accepts(&headers, "text/event-stream")) {
        return reply::error_status(
            StatusCode::NOT_ACCEPTABLE,
            "Not Acceptable: Accept must list application/json and text/event-stream",
        );
    }
    let frame = match decode(&body) {
        Ok(frame) => frame,
        Err(e) => {
            return reply::json(
                StatusCode::BAD_REQUEST,
                Bytes::from(Message::from(e.to_response()).encode()),
            );
        }
    };
    if let (Some(oauth), Some(principal)) = (&app.oauth, &principal) {
        let messages: Vec<&Message> = match &frame {
            Frame::Single(m) => vec![m],
            Frame::Batch(items) => items.iter().filter_map(|m| m.as_ref().ok()).collect(),
        };
        for message in messages {
            if let Err(refused) = oauth.check_message(principal, message) {
                return reply::auth_rejection(refused);
            }
        }
    }
    if let Frame::Single(message) = &frame {
        if super::modern::routes_modern(&headers, message) {
            let Frame::Single(message) = frame else {
                unreachable!("matched a single message above")
            };
            return super::modern::post(app, headers, message, principal).await;
        }
    }
    let requests: Vec<(RequestId, &str)> = match &frame {
        Frame::Single(Message::Request(r)) => vec![(r.id.clone(), r.method.as_str())],
        Frame::Single(_) => vec![],
        Frame::Batch(items) => items
            .iter()
            .filter_map(|m| match m {
                Ok(Message::Request(r)) => Some((r.id.clone(), r.method.as_str())),
                _ => None,
            })
            .collect(),
    };
    let initialize = match &frame {
        Frame::Single(Message::Request(r)) if r.method == methods::INITIALIZE => {
            Some(r.parse_params::<InitializeRequestParams>())
        }
        _ => None,
    };
    let (session, created) = match (header_str(&headers, SESSION_HEADER), &initialize) {
        (None, Some(_)) => match app.sessions.create(false) {
            Ok(s) => (s, true),
            Err(_) => {
                return reply::retry_later(
                    StatusCode::SERVICE_UNAVAILABLE,
                    5,
                    "Service Unavailable: too many active sessions",
                );
            }
        },
        _ => match session_of(&app, &headers) {
            Ok(s) => (s, false),
            Err(r) => return *r,
        },
    };
    if created {
        if let Some(principal) = &principal {
            session.state.set_principal(principal.clone());
        }
    } else {
        if let Err(r) = version_ok(&headers) {
            return *r;
        }
        if let Err(r) = same_subject(&session, principal.as_ref()) {
            return *r;
        }
    }
    let _active = session.use_now();
    if requests.is_empty() {
        // Notifications and responses: accepted once the engine has them.
        if !session.deliver(InboundFrame::Decoded(frame)).await {
            return reply::error_status(StatusCode::NOT_FOUND, "Session not found: it has ended");
        }
        return StatusCode::ACCEPTED.into_response();
    }
    let ids: Vec<RequestId> = requests.iter().map(|(id, _)| id.clone()).collect();
    let stream = match session.open_stream(&ids, app.config.max_streams_per_session) {
        Ok(stream) => stream,
        Err(StreamRefusal::TooMany) => {
            return reply::retry_later(
                StatusCode::TOO_MANY_REQUESTS,
                1,
                "Too Many Requests: too many open request streams in this session",
            );
        }
        Err(StreamRefusal::DuplicateId(id)) => {
            return reply::error_status(
                StatusCode::BAD_REQUEST,
                &format!("Bad Request: request id {id} is already in flight in this session"),
            );
        }
    };
    let log = app.sessions.log().clone();
    let key = session.stream_key(stream);
    // Create the stream before the engine can write to it, so readers can wait on it.
    if let Err(e) = log.append(&key, Vec::new()).await {
        return reply::error_status(
            StatusCode::INTERNAL_SERVER_ERROR,
            &format!("Internal error: {e}"),
        );
    }
    if !session.deliver(InboundFrame::Decoded(frame)).await {
        return reply::error_status(StatusCode::NOT_FOUND, "Session not found: it has ended");
    }
    let version = match &initialize {
        Some(Ok(p)) => ProtocolVersion::parse(&p.protocol_version),
        _ => session.state.version(),
    };
    let primed = version.is_some_and(|v| v >= ProtocolVersion::V2025_11_25);

    // JSON if the response comes first and soon; SSE otherwise.
    let mut first = log.read_after(&key, 0, 2).await.unwrap_or_default();
    if first.events.is_empty() {
        let _ = tokio::time::timeout(app.config.keep_alive, log.wait_after(&key, 0)).await;
        first = log.read_after(&key, 0, 2).await.unwrap_or_default();
    }
    let json_ok = app.config.response_mode == super::ResponseMode::Json;
    let mut response = match first.events.first() {
        Some(event) if json_ok && event.last => {
            let body = event.data.clone();
            log.remove(&key).await;
            if created && is_error(&body) {
                app.sessions.end(&session.id);
            }
            reply::json(StatusCode::OK, body)
        }
        Some(event) if event.last => {
            // The whole stream is already here: one SSE body of known length, no reader to
            // run. The stream stays in the log, resumable for its grace period like any other.
            let mut out = BytesMut::with_capacity(event.data.len() + 128);
            if primed {
                sse::put_priming(&mut out, session.event_id(stream, 0), app.config.retry_ms);
            }
            sse::put_event(&mut out, session.event_id(stream, event.seq), &event.data);
            session.delivered(&log, stream).await;
            sse_response(Body::from(out.freeze()))
        }
        _ => StreamReader {
            log,
            session: session.clone(),
            stream,
            cursor: 0,
            preamble: primed
                .then(|| sse::priming(session.event_id(stream, 0), app.config.retry_ms)),
            keep_alive: app.config.keep_alive,
            framing: Framing::WithIds,
            live_from: 0,
            retry_ms: app.config.retry_ms,
            on_drop: None,
        }
        .into_response(),
    };
    if created {
        if let Ok(value) = HeaderValue::from_str(&session.id) {
            response.headers_mut().insert(SESSION_HEADER, value);
        }
    }
    response
}

fn is_error(body: &[u8]) -> bool {
    matches!(
        spate_protocol::jsonrpc::decode_message(body),
        Ok(Message::Response(spate_protocol::Response {
            body: spate_protocol::ResponseBody::Error(_),
            ..
        }))
    )
}

/// `GET /mcp`: the standalone stream, or the resumption of any stream with `Last-Event-ID`.
pub async fn get(State(app): State<Arc<App>>, headers: HeaderMap) -> Response {
    if !accepts(&headers, "text/event-stream") {
        return reply::error_status(
            StatusCode::NOT_ACCEPTABLE,
            "Not Acceptable: Accept must list text/event-stream",
        );
    }
    let session = match session_of(&app, &headers) {
        Ok(s) => s,
        Err(r) => return *r,
    };
    if let Err(r) = version_ok(&headers) {
        return *r;
    }
    let log = app.sessions.log().clone();
    if let Some(last) = header_str(&headers, "last-event-id") {
        let Some((stream, seq)) = session.parse_event_id(last) else {
            return reply::error_status(
                StatusCode::BAD_REQUEST,
                "Bad Request: Last-Event-ID does not name a stream of this session",
            );
        };
        let now = log
            .read_after(&session.stream_key(stream), seq, 0)
            .await
            .unwrap_or_default();
        if !now.known {
            return reply::error_status(
                StatusCode::NOT_FOUND,
                "Not Found: that stream is no longer kept; its events cannot be replayed",
            );
        }
        let on_drop = (stream == STANDALONE).then(|| standalone_release(&session));
        if stream == STANDALONE && session.standalone_attached.swap(true, Ordering::AcqRel) {
            return reply::error_status(
                StatusCode::CONFLICT,
                "Conflict: this session's standalone stream is already open",
            );
        }
        return StreamReader {
            log,
            session,
            stream,
            cursor: seq,
            preamble: None,
            keep_alive: app.config.keep_alive,
            framing: Framing::WithIds,
            live_from: now.last_seq,
            retry_ms: app.config.retry_ms,
            on_drop,
        }
        .into_response();
    }
    if session.standalone_attached.swap(true, Ordering::AcqRel) {
        return reply::error_status(
            StatusCode::CONFLICT,
            "Conflict: this session's standalone stream is already open",
        );
    }
    let key = session.stream_key(STANDALONE);
    let _ = log.append(&key, Vec::new()).await;
    let cursor = log
        .read_after(&key, u64::MAX - 1, 0)
        .await
        .map(|b| b.last_seq)
        .unwrap_or(0);
    let primed = session
        .state
        .version()
        .is_some_and(|v| v >= ProtocolVersion::V2025_11_25);
    StreamReader {
        log,
        session: session.clone(),
        stream: STANDALONE,
        cursor,
        preamble: Some(if primed {
            sse::priming(session.event_id(STANDALONE, cursor), app.config.retry_ms)
        } else {
            sse::comment("stream open")
        }),
        keep_alive: app.config.keep_alive,
        framing: Framing::WithIds,
        live_from: cursor,
        retry_ms: app.config.retry_ms,
        on_drop: Some(standalone_release(&session)),
    }
    .into_response()
}

fn standalone_release(session: &Arc<HttpSession>) -> Box<dyn FnOnce() + Send + Sync> {
    let session = Arc::downgrade(session);
    Box::new(move || {
        if let Some(s) = session.upgrade() {
            s.standalone_attached.store(false, Ordering::Release);
        }
    })
}

/// `DELETE /mcp`: the client ends its session.
pub async fn delete(State(app): State<Arc<App>>, headers: HeaderMap) -> Response {
    match session_of(&app, &headers) {
        Ok(session) => {
            app.sessions.end(&session.id);
            StatusCode::OK.into_response()
        }
        Err(r) => *r,
    }
}
