//! 2026-07-28 requests over Streamable HTTP (Base Protocol › Transports › Streamable HTTP,
//! <https://modelcontextprotocol.io/specification/2026-07-28/basic/transports/streamable-http>):
//! no session and no `GET`. Each POST is checked in the order the spec sets (headers present,
//! `_meta`, headers agree with the body, version supported), then runs on a short-lived
//! connection of its own to the server and is answered as JSON or as an SSE stream. Closing
//! that stream cancels the request.
//!
//! Which era a POST belongs to is decided per request, so one endpoint serves both: a body
//! whose `params._meta` names a protocol version is modern, and so is a POST whose
//! `MCP-Protocol-Version` header names anything but a legacy version; everything else
//! (`initialize`, session traffic) stays legacy.

use std::convert::Infallible;
use std::sync::Arc;

use axum::body::Body;
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use http::{HeaderMap, StatusCode};
use spate_protocol::jsonrpc::Frame;
use spate_protocol::{
    CancelledNotificationParams, Era, ErrorObject, JsonObject, Message, Notification,
    ProtocolVersion, Request, RequestId, ResponseBody, error_code, methods,
};
use tokio::sync::{OwnedSemaphorePermit, mpsc};

use super::keep_alive::KeepAlive;
use super::rejection::HttpRejection;
use super::request_headers::{self as rh, VERSION};
use super::stream_reader::sse_response;
use super::{App, ResponseMode, reply, sse};
use crate::engine::{AttachedPeer, InboundFrame, OutboundFrame, Route};
use crate::server::Principal;
use crate::server::modern::supported_version;
use crate::transport::RESPONSE_SETTLE;
use spate_protocol::envelope::{RequestEnvelope, claims_modern, request_meta};

/// Frames buffered between a modern request's connection and its HTTP response.
const QUEUE: usize = 32;

/// Whether a POSTed message is to be handled as a 2026-07-28 request.
pub(super) fn routes_modern(headers: &HeaderMap, message: &Message) -> bool {
    if let Some(version) = rh::value(headers, VERSION) {
        return match version {
            Ok(v) => ProtocolVersion::parse(v).is_none_or(|v| v.era() == Era::Modern),
            Err(_) => true,
        };
    }
    let params = match message {
        Message::Request(r) => r.params.as_deref(),
        Message::Notification(n) => n.params.as_deref(),
        Message::Response(_) => return false,
    };
    claims_modern(request_meta(params).as_ref())
}

/// Answers one modern POST.
pub(super) async fn post(
    app: Arc<App>,
    headers: HeaderMap,
    message: Message,
    principal: Option<Principal>,
) -> Response {
    let request = match message {
        Message::Request(request) => request,
        // Core 2026-07-28 defines no client notifications over HTTP; accept and drop them.
        Message::Notification(_) => return StatusCode::ACCEPTED.into_response(),
        Message::Response(_) => return HttpRejection::ModernResponse.into_response(),
    };
    let envelope = match check(&app, &headers, &request) {
        Ok(envelope) => envelope,
        Err(error) => return reply::rpc_error(status_of(error.code), Some(request.id), error),
    };
    let Ok(permit) = app.stateless.clone().try_acquire_owned() else {
        return HttpRejection::Busy.into_response();
    };
    run(&app, request, envelope, permit, principal).await
}

/// The validation ladder, in the order the conformance suite and the spec expect; the
/// request's envelope when it passes.
fn check(
    app: &App,
    headers: &HeaderMap,
    request: &Request,
) -> Result<RequestEnvelope, ErrorObject> {
    rh::check_present(headers)?;
    let envelope = RequestEnvelope::read(request_meta(request.params.as_deref()).as_ref())?;
    let params: JsonObject = request
        .params
        .as_deref()
        .and_then(|p| serde_json::from_str(p.get()).ok())
        .unwrap_or_default();
    rh::check_agree(headers, &envelope.version, &request.method, &params)?;
    if request.method == methods::TOOLS_CALL {
        if let Some(name) = params.get("name").and_then(|n| n.as_str()) {
            if let Some(schema) = app.server.tool_input_schema(name) {
                let arguments = params.get("arguments").and_then(|a| a.as_object());
                rh::check_params(headers, &rh::annotated(&schema), arguments)?;
            }
        }
    }
    supported_version(&envelope)?;
    Ok(envelope)
}

/// The HTTP status of a modern error response (2026-07-28: Streamable HTTP › Request Metadata,
/// <https://modelcontextprotocol.io/specification/2026-07-28/basic/transports/streamable-http>,
/// and, for missing `_meta` keys and `-32021`, Base Protocol › Overview › `_meta`,
/// <https://modelcontextprotocol.io/specification/2026-07-28/basic>).
fn status_of(code: i64) -> StatusCode {
    match code {
        error_code::METHOD_NOT_FOUND => StatusCode::NOT_FOUND,
        error_code::INVALID_PARAMS
        | error_code::HEADER_MISMATCH
        | error_code::MISSING_REQUIRED_CLIENT_CAPABILITY
        | error_code::UNSUPPORTED_PROTOCOL_VERSION
        | error_code::INVALID_REQUEST
        | error_code::PARSE_ERROR => StatusCode::BAD_REQUEST,
        _ => StatusCode::OK,
    }
}

/// Runs the request on a connection of its own and turns what it sends into the answer.
async fn run(
    app: &App,
    request: Request,
    envelope: RequestEnvelope,
    permit: OwnedSemaphorePermit,
    principal: Option<Principal>,
) -> Response {
    let (outbound, mut from_engine) = mpsc::channel::<OutboundFrame>(QUEUE);
    let id = request.id.clone();
    let peer = match app
        .server
        .serve_stateless(Arc::new(outbound), principal, &envelope)
    {
        Ok(peer) => Arc::new(peer),
        Err(error) => return reply::rpc_error(status_of(error.code), Some(id), error),
    };
    let frame = InboundFrame::Decoded(Frame::Single(Message::Request(request)));
    if !peer.receive(frame).await {
        return HttpRejection::Internal("the server stopped".into()).into_response();
    }
    let mut cancel = CancelOnDrop {
        id: Some(id.clone()),
        peer,
    };
    let keep_alive = app.config.keep_alive;
    let first = tokio::time::timeout(keep_alive, from_engine.recv()).await;
    let first = match first {
        Ok(Some(frame)) => Some(frame),
        Ok(None) => return HttpRejection::Internal("no answer".into()).into_response(),
        Err(_) => None, // slow: stream, with keep-alives meanwhile
    };
    if let Some(frame) = &first {
        if frame.route == Route::Response(id.clone()) {
            cancel.id = None;
            if app.config.response_mode == ResponseMode::Json {
                let status = response_status(&frame.bytes);
                return reply::json(status, Bytes::from(frame.bytes.clone()));
            }
            // Answered at once: one SSE body of known length, no stream to run.
            return sse_response(Body::from(sse::data(&frame.bytes)));
        }
    }
    let state = Streaming {
        first,
        frames: from_engine,
        cancel,
        id,
        keep_alive: KeepAlive::new(keep_alive),
        wrote: false,
        done: false,
        _permit: permit,
    };
    sse_response(Body::from_stream(futures_util::stream::unfold(
        state, next_chunk,
    )))
}

/// The status of a response sent as JSON: 400/404 for the modern error codes.
fn response_status(bytes: &[u8]) -> StatusCode {
    match spate_protocol::jsonrpc::decode_message(bytes) {
        Ok(Message::Response(spate_protocol::Response {
            body: ResponseBody::Error(e),
            ..
        })) => status_of(e.code),
        _ => StatusCode::OK,
    }
}

/// Ends the request's connection when its HTTP exchange ends; one whose client went away
/// before the response was written is first told so (a `notifications/cancelled` into the
/// engine).
struct CancelOnDrop {
    id: Option<RequestId>,
    peer: Arc<AttachedPeer>,
}

impl Drop for CancelOnDrop {
    fn drop(&mut self) {
        let Some(id) = self.id.take() else {
            self.peer.close();
            return;
        };
        let params = CancelledNotificationParams {
            request_id: Some(id),
            reason: Some("the client closed the response stream".into()),
            ..Default::default()
        };
        let note = Notification::new(methods::NOTIFICATIONS_CANCELLED, &params);
        let frame = InboundFrame::Decoded(Frame::Single(Message::Notification(note)));
        let peer = self.peer.clone();
        let Ok(runtime) = tokio::runtime::Handle::try_current() else {
            return;
        };
        runtime.spawn(async move {
            peer.receive(frame).await;
            peer.close();
        });
    }
}

struct Streaming {
    first: Option<OutboundFrame>,
    frames: mpsc::Receiver<OutboundFrame>,
    cancel: CancelOnDrop,
    id: RequestId,
    keep_alive: KeepAlive,
    wrote: bool,
    done: bool,
    _permit: OwnedSemaphorePermit,
}

async fn next_chunk(mut s: Streaming) -> Option<(Result<Bytes, Infallible>, Streaming)> {
    if s.done {
        return None;
    }
    loop {
        let frame = match s.first.take() {
            Some(frame) => frame,
            None => match s.keep_alive.or_quiet(s.frames.recv()).await {
                Some(Some(frame)) => frame,
                Some(None) => return None,
                None => return Some((Ok(sse::comment("keep-alive")), s)),
            },
        };
        if matches!(frame.route, Route::Abandoned(_)) {
            return None; // cancelled: no answer comes, the response ends
        }
        if !frame.is_message() {
            continue; // no resumable streams in 2026-07-28: nothing to hang up
        }
        if frame.route == Route::Response(s.id.clone()) {
            if s.wrote {
                tokio::time::sleep(RESPONSE_SETTLE).await;
            }
            s.cancel.id = None;
            s.done = true;
        }
        s.wrote = true;
        s.keep_alive.wrote();
        let chunk = sse::data(&frame.bytes);
        return Some((Ok(chunk), s));
    }
}
