//! The Streamable HTTP endpoint (2025-03-26 … 2025-11-25): POST, GET and DELETE on one path.

use std::sync::Arc;
use std::sync::atomic::Ordering;

use axum::Extension;
use axum::body::Body;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use bytes::{Bytes, BytesMut};
use http::{HeaderMap, HeaderValue, StatusCode, header};
use spate_protocol::http_headers::{PROTOCOL_VERSION, SESSION_ID};
use spate_protocol::jsonrpc::{Frame, decode};
use spate_protocol::{InitializeRequestParams, Message, ProtocolVersion, RequestId, methods};

use super::App;
use super::rejection::HttpRejection;
use super::reply;
use super::sessions::{HttpSession, RestoreFailure, STANDALONE, StreamRefusal};
use super::sse;
use super::stream_reader::{Framing, OnDrop, StreamReader, sse_response};
use crate::engine::InboundFrame;
use crate::server::Principal;

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

/// The session a request names: live, or restored from the session store after a restart.
async fn session_of(app: &App, headers: &HeaderMap) -> Result<Arc<HttpSession>, HttpRejection> {
    let id = header_str(headers, SESSION_ID).ok_or(HttpRejection::SessionIdRequired)?;
    match app.sessions.lookup(id).await {
        Ok(found) => found.ok_or(HttpRejection::UnknownSession),
        Err(RestoreFailure::AtCapacity) => Err(HttpRejection::TooManySessions),
        Err(RestoreFailure::Store { message, transient }) => {
            Err(HttpRejection::storage(message, transient))
        }
    }
}

/// A session authenticated at `initialize` serves only that subject afterwards.
fn same_subject(session: &HttpSession, principal: Option<&Principal>) -> Result<(), HttpRejection> {
    let Some(owner) = session.state.principal() else {
        return Ok(());
    };
    if principal.map(|p| &p.subject) == Some(&owner.subject) {
        return Ok(());
    }
    Err(HttpRejection::OtherPrincipal)
}

/// Checks `MCP-Protocol-Version` on a request after initialize.
fn version_ok(headers: &HeaderMap) -> Result<(), HttpRejection> {
    match header_str(headers, PROTOCOL_VERSION) {
        None => Ok(()), // the spec says: assume 2025-03-26
        Some(v) => match ProtocolVersion::parse(v) {
            Some(version) if version <= ProtocolVersion::LATEST_LEGACY => Ok(()),
            _ => Err(HttpRejection::UnsupportedVersion(v.to_owned())),
        },
    }
}

/// A POST body must be JSON, and the client must take either kind of answer.
fn check_post_headers(headers: &HeaderMap) -> Result<(), HttpRejection> {
    let json_type = header_str(headers, header::CONTENT_TYPE).is_some_and(|t| {
        t.split(';')
            .next()
            .unwrap_or_default()
            .trim()
            .eq_ignore_ascii_case("application/json")
    });
    if !json_type {
        return Err(HttpRejection::NotJson);
    }
    if !(accepts(headers, "application/json") && accepts(headers, "text/event-stream")) {
        return Err(HttpRejection::NotAcceptable(
            "Not Acceptable: Accept must list application/json and text/event-stream",
        ));
    }
    Ok(())
}

/// The scopes of every tool the frame calls (with OAuth on).
fn check_scopes(
    app: &App,
    principal: Option<&Principal>,
    frame: &Frame,
) -> Result<(), HttpRejection> {
    let (Some(oauth), Some(principal)) = (&app.oauth, principal) else {
        return Ok(());
    };
    let messages: Vec<&Message> = match frame {
        Frame::Single(m) => vec![m],
        Frame::Batch(items) => items.iter().filter_map(|m| m.as_ref().ok()).collect(),
    };
    for message in messages {
        oauth
            .check_message(principal, message)
            .map_err(HttpRejection::Auth)?;
    }
    Ok(())
}

/// The ids of the requests in a frame (none for notifications and responses).
fn request_ids(frame: &Frame) -> Vec<RequestId> {
    match frame {
        Frame::Single(Message::Request(r)) => vec![r.id.clone()],
        Frame::Single(_) => vec![],
        Frame::Batch(items) => items
            .iter()
            .filter_map(|m| match m {
                Ok(Message::Request(r)) => Some(r.id.clone()),
                _ => None,
            })
            .collect(),
    }
}

/// The session a POST belongs to: a new one for an `initialize` without a session id (owned
/// by the caller, when authenticated), else the one named, checked; whether it is new.
async fn session_for_post(
    app: &App,
    headers: &HeaderMap,
    initialize: bool,
    principal: Option<&Principal>,
) -> Result<(Arc<HttpSession>, bool), HttpRejection> {
    if initialize && header_str(headers, SESSION_ID).is_none() {
        let session = app
            .sessions
            .create(false)
            .map_err(|_| HttpRejection::TooManySessions)?;
        if let Some(principal) = principal {
            session.state.set_principal(principal.clone());
        }
        return Ok((session, true));
    }
    let session = session_of(app, headers).await?;
    version_ok(headers)?;
    same_subject(&session, principal)?;
    Ok((session, false))
}

impl From<StreamRefusal> for HttpRejection {
    fn from(refusal: StreamRefusal) -> Self {
        match refusal {
            StreamRefusal::TooMany => Self::TooManyStreams,
            StreamRefusal::DuplicateId(id) => Self::DuplicateId(id),
        }
    }
}

/// `POST /mcp`: one message (or a 2025-03-26 batch) from the client.
pub(super) async fn post(
    State(app): State<Arc<App>>,
    principal: Option<Extension<Principal>>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, HttpRejection> {
    let principal = principal.map(|Extension(p)| p);
    check_post_headers(&headers)?;
    let frame = decode(&body).map_err(|e| HttpRejection::Malformed(e.to_response()))?;
    check_scopes(&app, principal.as_ref(), &frame)?;
    let frame = match frame {
        Frame::Single(message) if super::modern::routes_modern(&headers, &message) => {
            return Ok(super::modern::post(app, headers, message, principal).await);
        }
        frame => frame,
    };
    let initialize = match &frame {
        Frame::Single(Message::Request(r)) if r.method == methods::INITIALIZE => {
            Some(r.parse_params::<InitializeRequestParams>())
        }
        _ => None,
    };
    let (session, created) =
        session_for_post(&app, &headers, initialize.is_some(), principal.as_ref()).await?;
    let _active = session.use_now();
    if matches!(frame, Frame::Batch(_))
        && session.state.version().is_some_and(|v| !v.allows_batches())
    {
        // Refused here, in this response: opening a stream for it would leave it waiting
        // for answers that go elsewhere, and its ids in flight.
        let refusal = spate_protocol::Response::error(None, crate::engine::batches_refused());
        return Err(HttpRejection::Malformed(refusal));
    }
    let ids = request_ids(&frame);
    if ids.is_empty() {
        // Notifications and responses: accepted once the engine has them.
        if !session.deliver(InboundFrame::Decoded(frame)).await {
            return Err(HttpRejection::SessionEnded);
        }
        return Ok(StatusCode::ACCEPTED.into_response());
    }
    let events = matches!(
        &frame,
        Frame::Single(Message::Request(r)) if r.method == spate_protocol::events::methods::EVENTS_STREAM
    );
    let limit = if events {
        app.config.max_event_streams_per_session
    } else {
        app.config.max_streams_per_session
    };
    let stream = session.open_stream(&ids, events, limit)?;
    let log = app.sessions.log().clone();
    let key = session.stream_key(stream);
    // Create the stream before the engine can write to it, so readers can wait on it.
    log.append(&key, Vec::new()).await?;
    if !session.deliver(InboundFrame::Decoded(frame)).await {
        return Err(HttpRejection::SessionEnded);
    }
    let version = match &initialize {
        Some(Ok(p)) => ProtocolVersion::parse(&p.protocol_version),
        _ => session.state.version(),
    };
    let primed = version.is_some_and(|v| v >= ProtocolVersion::V2025_11_25);
    let mut response = answer(&app, &session, stream, primed, created).await;
    if created {
        if let Ok(value) = HeaderValue::from_str(&session.id) {
            response.headers_mut().insert(SESSION_ID, value);
        }
    }
    Ok(response)
}

/// The answer to a POST whose requests are with the engine: JSON when the response comes
/// first and soon (and JSON answers are on), else SSE from the request's stream in the log.
async fn answer(
    app: &App,
    session: &Arc<HttpSession>,
    stream: u64,
    primed: bool,
    created: bool,
) -> Response {
    let log = app.sessions.log().clone();
    let key = session.stream_key(stream);
    let mut first = log.read_after(&key, 0, 2).await.unwrap_or_default();
    if first.events.is_empty() {
        let _ = tokio::time::timeout(app.config.keep_alive, log.wait_after(&key, 0)).await;
        first = log.read_after(&key, 0, 2).await.unwrap_or_default();
    }
    let json_ok = app.config.response_mode == super::ResponseMode::Json;
    match first.events.first() {
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
            on_drop: cancel_subscription_on_leave(session, stream),
        }
        .into_response(),
    }
}

/// For the stream of an `events/stream` subscription: when its client goes away, the
/// subscription is cancelled, as SEP-3415 asks ("the server MUST stop delivering and release
/// resources"); a client reconnects with a new `events/stream` from its cursor, not by
/// resuming the old response.
fn cancel_subscription_on_leave(session: &Arc<HttpSession>, stream: u64) -> Option<OnDrop> {
    let request = session.events_request_of(stream)?;
    let session = Arc::downgrade(session);
    Some(Box::new(move |ended| {
        let Some(session) = session.upgrade().filter(|_| !ended) else {
            return;
        };
        let params = spate_protocol::CancelledNotificationParams {
            request_id: Some(request),
            reason: Some("the client left the subscription's stream".to_owned()),
            meta: None,
        };
        let note = spate_protocol::Notification::new(methods::NOTIFICATIONS_CANCELLED, &params);
        tokio::spawn(async move {
            let frame = Frame::Single(Message::Notification(note));
            session.deliver(InboundFrame::Decoded(frame)).await;
        });
    }))
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
pub(super) async fn get(
    State(app): State<Arc<App>>,
    headers: HeaderMap,
) -> Result<Response, HttpRejection> {
    if !accepts(&headers, "text/event-stream") {
        return Err(HttpRejection::NotAcceptable(
            "Not Acceptable: Accept must list text/event-stream",
        ));
    }
    let session = session_of(&app, &headers).await?;
    version_ok(&headers)?;
    let log = app.sessions.log().clone();
    if let Some(last) = header_str(&headers, "last-event-id") {
        let (stream, seq) = session
            .parse_event_id(last)
            .ok_or(HttpRejection::ForeignEventId)?;
        let now = log.read_after(&session.stream_key(stream), seq, 0).await?;
        if !now.known {
            return Err(HttpRejection::StreamGone);
        }
        let on_drop = if stream == STANDALONE {
            Some(standalone_release(&session))
        } else {
            cancel_subscription_on_leave(&session, stream)
        };
        if stream == STANDALONE && session.standalone_attached.swap(true, Ordering::AcqRel) {
            return Err(HttpRejection::StandaloneOpen);
        }
        return Ok(StreamReader {
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
        .into_response());
    }
    if session.standalone_attached.swap(true, Ordering::AcqRel) {
        return Err(HttpRejection::StandaloneOpen);
    }
    let key = session.stream_key(STANDALONE);
    if let Err(e) = log.append(&key, Vec::new()).await {
        session.standalone_attached.store(false, Ordering::Release);
        return Err(e.into());
    }
    let cursor = log
        .read_after(&key, u64::MAX - 1, 0)
        .await
        .map(|b| b.last_seq)
        .unwrap_or(0);
    let primed = session
        .state
        .version()
        .is_some_and(|v| v >= ProtocolVersion::V2025_11_25);
    Ok(StreamReader {
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
    .into_response())
}

fn standalone_release(session: &Arc<HttpSession>) -> OnDrop {
    let session = Arc::downgrade(session);
    Box::new(move |_| {
        if let Some(s) = session.upgrade() {
            s.standalone_attached.store(false, Ordering::Release);
        }
    })
}

/// `DELETE /mcp`: the client ends its session.
pub(super) async fn delete(
    State(app): State<Arc<App>>,
    headers: HeaderMap,
) -> Result<StatusCode, HttpRejection> {
    let session = session_of(&app, &headers).await?;
    app.sessions.end(&session.id);
    Ok(StatusCode::OK)
}
