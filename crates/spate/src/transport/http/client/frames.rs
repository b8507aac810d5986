//! What the transport needs to know about the frames passing through: which requests an
//! outgoing frame carries, which responses an incoming one answers, and the errors it makes
//! up when HTTP fails a request.

use std::collections::HashSet;

use serde::Deserialize;
use serde_json::value::RawValue;
use spate_protocol::jsonrpc::{DecodeError, Frame};
use spate_protocol::{ErrorObject, Message, RequestId, Response, methods};

use super::request_headers::ModernRequest;
use crate::engine::InboundFrame;

/// The head of one outgoing message: enough to classify it without reading params.
#[derive(Deserialize)]
struct Head<'a> {
    #[serde(default)]
    id: Option<RequestId>,
    #[serde(default)]
    method: Option<String>,
    #[serde(borrow, default)]
    params: Option<&'a RawValue>,
}

#[derive(Deserialize)]
struct CancelledParams {
    #[serde(rename = "requestId")]
    request_id: RequestId,
}

/// What an outgoing frame is.
#[derive(Debug, Default, Clone)]
pub(crate) struct Outgoing {
    /// Ids of the requests in the frame (each expects a response).
    pub(crate) requests: Vec<RequestId>,
    /// The frame is the `initialize` request.
    pub(crate) initialize: bool,
    /// The frame is `notifications/initialized`.
    pub(crate) initialized: bool,
    /// The frame is `notifications/cancelled` for this request.
    pub(crate) cancels: Option<RequestId>,
    /// The frame is one request in the 2026-07-28 envelope: what its headers say.
    pub(crate) modern: Option<ModernRequest>,
}

impl Outgoing {
    /// Classifies an encoded frame written by the engine (always valid JSON-RPC).
    pub(crate) fn of(bytes: &[u8]) -> Self {
        let heads: Vec<Head> = if bytes.iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'[') {
            serde_json::from_slice(bytes).unwrap_or_default()
        } else {
            serde_json::from_slice(bytes)
                .map(|h| vec![h])
                .unwrap_or_default()
        };
        let mut out = Self::default();
        let single = heads.len() == 1;
        for head in heads {
            match (head.id, head.method) {
                (Some(id), Some(method)) => {
                    out.initialize |= single && method == methods::INITIALIZE;
                    if single {
                        out.modern = ModernRequest::of(&method, head.params);
                    }
                    out.requests.push(id);
                }
                (None, Some(method)) if single => {
                    out.initialized = method == methods::NOTIFICATIONS_INITIALIZED;
                    if method == methods::NOTIFICATIONS_CANCELLED {
                        out.cancels = head
                            .params
                            .and_then(|p| serde_json::from_str::<CancelledParams>(p.get()).ok())
                            .map(|p| p.request_id);
                    }
                }
                _ => {}
            }
        }
        out
    }
}

/// An incoming frame, decoded once, with the responses it carries noted.
pub(crate) struct Incoming {
    /// What goes to the engine.
    pub(crate) frame: InboundFrame,
    /// `protocolVersion` of an InitializeResult answering `init_id`, when present.
    pub(crate) init_version: Option<String>,
}

/// Decodes an incoming message, removes the ids it answers from `pending`, and picks out
/// the negotiated version if it answers `init_id`. Undecodable bytes go to the engine as they
/// are, which answers them as the protocol says.
pub(crate) fn incoming(
    bytes: Vec<u8>,
    pending: &mut HashSet<RequestId>,
    init_id: Option<&RequestId>,
) -> Incoming {
    let frame = match spate_protocol::jsonrpc::decode(&bytes) {
        Ok(frame) => frame,
        Err(_) => {
            return Incoming {
                frame: InboundFrame::Bytes(bytes),
                init_version: None,
            };
        }
    };
    let mut init_version = None;
    let mut note = |message: &Message| {
        if let Message::Response(Response { id: Some(id), body }) = message {
            pending.remove(id);
            if init_id == Some(id) {
                if let spate_protocol::ResponseBody::Result(raw) = body {
                    init_version = version_of(raw.get());
                }
            }
        }
    };
    match &frame {
        Frame::Single(message) => note(message),
        Frame::Batch(items) => items
            .iter()
            .filter_map(|item: &Result<Message, DecodeError>| item.as_ref().ok())
            .for_each(&mut note),
    }
    Incoming {
        frame: InboundFrame::Decoded(frame),
        init_version,
    }
}

/// `protocolVersion` of an InitializeResult.
pub(crate) fn version_of(result: &str) -> Option<String> {
    #[derive(Deserialize)]
    struct Init {
        #[serde(rename = "protocolVersion")]
        protocol_version: String,
    }
    serde_json::from_str::<Init>(result)
        .ok()
        .map(|i| i.protocol_version)
}

/// An error response for a request the transport could not complete, as the engine sees it.
pub(crate) fn failure(
    id: RequestId,
    code: i64,
    message: String,
    data: serde_json::Value,
) -> InboundFrame {
    let error = ErrorObject {
        code,
        message,
        data: Some(data),
    };
    InboundFrame::Decoded(Frame::Single(Message::Response(Response::error(
        Some(id),
        error,
    ))))
}

/// The JSON-RPC error an HTTP error answer carries in its body (a 2026-07-28 server says
/// why it refused a request that way: `-32022` with the versions it speaks, `-32601` for an
/// unknown method, …), as the answer to `id`. `None` when the body is no error response.
pub(crate) fn error_in_body(body: &[u8], id: &RequestId) -> Option<InboundFrame> {
    match spate_protocol::jsonrpc::decode_message(body) {
        Ok(Message::Response(Response {
            body: spate_protocol::ResponseBody::Error(error),
            ..
        })) => Some(InboundFrame::Decoded(Frame::Single(Message::Response(
            Response::error(Some(id.clone()), error),
        )))),
        _ => None,
    }
}

/// The encoded `notifications/initialized` sent after a replayed `initialize`.
pub(crate) fn initialized_notification() -> Vec<u8> {
    Message::Notification(spate_protocol::Notification {
        method: methods::NOTIFICATIONS_INITIALIZED.to_owned(),
        params: None,
    })
    .encode()
}

/// Whether a session id is visible ASCII (0x21–0x7E), as the spec requires.
pub(crate) fn valid_session_id(id: &[u8]) -> bool {
    !id.is_empty() && id.iter().all(|b| (0x21..=0x7E).contains(b))
}
