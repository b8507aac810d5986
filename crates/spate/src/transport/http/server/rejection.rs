//! Why the HTTP layer refuses a request before (or instead of) the engine answering it: one
//! enum, each case turned into its status, a JSON-RPC error body and the headers it needs.

use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use http::{HeaderValue, StatusCode, header};
use spate_protocol::{Message, RequestId};

use super::reply;
use crate::auth::resource_server::AuthRejection;

/// A refused HTTP request.
#[derive(Debug)]
pub(crate) enum HttpRejection {
    /// `Host` is not one this server answers to (DNS rebinding).
    HostNotAllowed,
    /// `Origin` is not allowed.
    OriginNotAllowed,
    /// A missing or bad token, or too few scopes.
    Auth(AuthRejection),
    /// A POST whose body is not `application/json`.
    NotJson,
    /// `Accept` lacks a media type the answer may use.
    NotAcceptable(&'static str),
    /// The body is not JSON-RPC: the parse or invalid-request error to send.
    Malformed(spate_protocol::Response),
    /// A request after `initialize` without `Mcp-Session-Id`.
    SessionIdRequired,
    /// The session named does not exist (ended, expired, or never did).
    UnknownSession,
    /// The session ended while this request was on its way.
    SessionEnded,
    /// The session belongs to another authenticated subject.
    OtherPrincipal,
    /// `MCP-Protocol-Version` names a version a session cannot speak.
    UnsupportedVersion(String),
    /// No room for another session.
    TooManySessions,
    /// No room for another request stream in this session.
    TooManyStreams,
    /// A request id already in flight in this session.
    DuplicateId(RequestId),
    /// `Last-Event-ID` names no stream of this session.
    ForeignEventId,
    /// The stream named by `Last-Event-ID` is no longer kept.
    StreamGone,
    /// The session's standalone stream is open elsewhere.
    StandaloneOpen,
    /// A 2026-07-28 POST carrying a response (input goes in `inputResponses` instead).
    ModernResponse,
    /// No room for another 2026-07-28 request in progress.
    Busy,
    /// The server could not do its part (a store failed, the engine stopped).
    Internal(String),
    /// A store failed in a way that may pass (a full disk, a lock held elsewhere): retry.
    Unavailable(String),
}

impl HttpRejection {
    /// A store failure: 503 with `Retry-After` when it may pass, else 500.
    pub(crate) fn storage(message: String, transient: bool) -> Self {
        if transient {
            Self::Unavailable(message)
        } else {
            Self::Internal(message)
        }
    }
}

impl From<crate::store::event_log::LogError> for HttpRejection {
    fn from(e: crate::store::event_log::LogError) -> Self {
        Self::storage(e.to_string(), e.transient)
    }
}

impl IntoResponse for HttpRejection {
    fn into_response(self) -> Response {
        use StatusCode as S;
        let status = |status, message: &str| reply::error_status(status, message);
        match self {
            Self::HostNotAllowed => status(S::FORBIDDEN, "Forbidden: Host header not allowed"),
            Self::OriginNotAllowed => status(S::FORBIDDEN, "Forbidden: Origin not allowed"),
            Self::Auth(refused) => {
                let mut response = status(refused.status, &refused.message);
                if let Ok(value) = HeaderValue::from_str(&refused.challenge) {
                    response
                        .headers_mut()
                        .insert(header::WWW_AUTHENTICATE, value);
                }
                response
            }
            Self::NotJson => status(
                S::UNSUPPORTED_MEDIA_TYPE,
                "Unsupported Media Type: Content-Type must be application/json",
            ),
            Self::NotAcceptable(what) => status(S::NOT_ACCEPTABLE, what),
            Self::Malformed(error) => {
                reply::json(S::BAD_REQUEST, Bytes::from(Message::from(error).encode()))
            }
            Self::SessionIdRequired => status(
                S::BAD_REQUEST,
                "Bad Request: Mcp-Session-Id header is required",
            ),
            Self::UnknownSession => status(
                S::NOT_FOUND,
                "Session not found: it ended or never existed; initialize again",
            ),
            Self::SessionEnded => status(S::NOT_FOUND, "Session not found: it has ended"),
            Self::OtherPrincipal => status(
                S::FORBIDDEN,
                "Forbidden: this session belongs to another principal",
            ),
            Self::UnsupportedVersion(v) => status(
                S::BAD_REQUEST,
                &format!("Bad Request: unsupported MCP-Protocol-Version {v:?}"),
            ),
            Self::TooManySessions => reply::retry_later(
                S::SERVICE_UNAVAILABLE,
                5,
                "Service Unavailable: too many active sessions",
            ),
            Self::TooManyStreams => reply::retry_later(
                S::TOO_MANY_REQUESTS,
                1,
                "Too Many Requests: too many open request streams in this session",
            ),
            Self::DuplicateId(id) => status(
                S::BAD_REQUEST,
                &format!("Bad Request: request id {id} is already in flight in this session"),
            ),
            Self::ForeignEventId => status(
                S::BAD_REQUEST,
                "Bad Request: Last-Event-ID does not name a stream of this session",
            ),
            Self::StreamGone => status(
                S::NOT_FOUND,
                "Not Found: that stream is no longer kept; its events cannot be replayed",
            ),
            Self::StandaloneOpen => status(
                S::CONFLICT,
                "Conflict: this session's standalone stream is already open",
            ),
            Self::ModernResponse => status(
                S::BAD_REQUEST,
                "Bad Request: a 2026-07-28 client sends no responses (input goes in inputResponses)",
            ),
            Self::Busy => reply::retry_later(
                S::SERVICE_UNAVAILABLE,
                1,
                "Service Unavailable: too many requests in progress",
            ),
            Self::Unavailable(why) => reply::retry_later(
                S::SERVICE_UNAVAILABLE,
                1,
                &format!("Service Unavailable: {why}"),
            ),
            Self::Internal(why) => {
                status(S::INTERNAL_SERVER_ERROR, &format!("Internal error: {why}"))
            }
        }
    }
}
