//! The receiving side of a connection: the read loop, request dispatch and shutdown.

use std::panic::AssertUnwindSafe;
use std::sync::Arc;

use futures_util::FutureExt;
use spate_protocol::jsonrpc::{Frame, decode};
use spate_protocol::{
    CancelledNotificationParams, ErrorObject, Message, Notification, ProgressNotificationParams,
    Request, Response, error_code, methods,
};
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use super::{Handler, PeerHandle, ProgressUpdate, RequestContext};
use crate::engine::{InboundFrame, OutboundFrame, Route};
use crate::mutex::lock;

/// Error code for "too many requests in flight": implementation-defined range, legacy-safe.
const SERVER_BUSY: i64 = -32000;

pub(super) async fn run(
    peer: PeerHandle,
    mut inbound: mpsc::Receiver<InboundFrame>,
    handler: Arc<dyn Handler>,
) {
    while let Some(frame) = inbound.recv().await {
        receive(&peer, &handler, frame).await;
    }
    shutdown(&peer, &handler).await;
}

/// Handles one inbound frame: notifications and responses at once, requests on their own task.
pub(super) async fn receive(peer: &PeerHandle, handler: &Arc<dyn Handler>, frame: InboundFrame) {
    match frame {
        InboundFrame::TooLarge { limit } => {
            let error = ErrorObject::new(
                error_code::INVALID_REQUEST,
                format!("Invalid Request: message exceeds the maximum size of {limit} bytes"),
            );
            refuse(peer, Response::error(None, error)).await;
        }
        InboundFrame::Decoded(Frame::Single(message)) => {
            dispatch(peer, handler, message, None).await
        }
        InboundFrame::Decoded(Frame::Batch(items)) => handle_batch(peer, handler, items).await,
        InboundFrame::Bytes(bytes) => match decode(&bytes) {
            Err(e) => refuse(peer, e.to_response()).await,
            Ok(Frame::Single(message)) => dispatch(peer, handler, message, None).await,
            Ok(Frame::Batch(items)) => handle_batch(peer, handler, items).await,
        },
    }
}

/// Answers a frame that could not be read: an error not tied to any request.
async fn refuse(peer: &PeerHandle, response: Response) {
    let _ = peer.send(response.into()).await;
}

/// The answer to a JSON-RPC batch in a protocol version without batches.
pub(crate) fn batches_refused() -> ErrorObject {
    ErrorObject::new(
        error_code::INVALID_REQUEST,
        "Invalid Request: JSON-RPC batches are only allowed in protocol version 2025-03-26",
    )
}

async fn handle_batch(
    peer: &PeerHandle,
    handler: &Arc<dyn Handler>,
    items: Vec<Result<Message, spate_protocol::jsonrpc::DecodeError>>,
) {
    if !handler.accepts_batches() {
        refuse(peer, Response::error(None, batches_refused())).await;
        return;
    }
    // Each request of the batch answers into this channel; the answers go out as one array.
    let (tx, mut rx) = mpsc::channel::<Response>(items.len().max(1));
    let mut expected = 0usize;
    let mut first_id = None;
    for item in items {
        match item {
            Err(e) => {
                expected += 1;
                let _ = tx.send(e.to_response()).await;
            }
            Ok(message) => {
                if let Message::Request(r) = &message {
                    expected += 1;
                    first_id.get_or_insert_with(|| r.id.clone());
                }
                dispatch(peer, handler, message, Some(tx.clone())).await;
            }
        }
    }
    drop(tx);
    if expected == 0 {
        return;
    }
    let peer = peer.clone();
    tokio::spawn(async move {
        let mut answers = Vec::with_capacity(expected);
        while let Some(response) = rx.recv().await {
            answers.push(Message::Response(response));
        }
        if !answers.is_empty() {
            // The batch's answers travel as one frame, on the route of its first request.
            let route = first_id.map_or(Route::Standalone, Route::Response);
            let bytes = serde_json::to_vec(&answers).unwrap_or_default();
            let _ = peer.put(OutboundFrame { bytes, route }).await;
        }
    });
}

/// Handles one message. `batch` collects responses when the message came in a batch.
async fn dispatch(
    peer: &PeerHandle,
    handler: &Arc<dyn Handler>,
    message: Message,
    batch: Option<mpsc::Sender<Response>>,
) {
    match message {
        Message::Response(response) => peer.complete(response),
        Message::Notification(notification) => on_notification(peer, handler, notification).await,
        Message::Request(request) => on_request(peer, handler, request, batch).await,
    }
}

async fn on_notification(
    peer: &PeerHandle,
    handler: &Arc<dyn Handler>,
    notification: Notification,
) {
    match notification.method.as_str() {
        methods::NOTIFICATIONS_CANCELLED => {
            // Invalid cancellations are ignored, as the spec asks.
            if let Ok(CancelledNotificationParams {
                request_id: Some(id),
                ..
            }) = notification.parse_params()
            {
                if let Some(token) = lock(&peer.shared.in_flight).get(&id) {
                    token.cancel();
                }
            }
        }
        methods::NOTIFICATIONS_PROGRESS => {
            if let Ok(p) = notification.parse_params::<ProgressNotificationParams>() {
                let update = ProgressUpdate {
                    progress: p.progress,
                    total: p.total,
                    message: p.message,
                };
                peer.route_progress(&p.progress_token, update);
            }
        }
        _ => handler.on_notification(notification, peer).await,
    }
}

async fn on_request(
    peer: &PeerHandle,
    handler: &Arc<dyn Handler>,
    request: Request,
    batch: Option<mpsc::Sender<Response>>,
) {
    let id = request.id.clone();
    let answer = |response: Response| deliver(peer.clone(), batch.clone(), response);
    if request.method == methods::PING && !handler.handles_ping() {
        answer(Response::result(id, &serde_json::json!({}))).await;
        return;
    }
    let cancel = CancellationToken::new();
    let refusal = {
        let mut in_flight = lock(&peer.shared.in_flight);
        let limit = peer.shared.config.max_in_flight;
        if in_flight.contains_key(&id) {
            Some(ErrorObject::new(
                error_code::INVALID_REQUEST,
                format!("Invalid Request: request id {id} is already in use"),
            ))
        } else if in_flight.len() >= limit {
            Some(ErrorObject::new(
                SERVER_BUSY,
                format!("Server busy: {limit} requests already in flight; retry later"),
            ))
        } else {
            in_flight.insert(id.clone(), cancel.clone());
            None
        }
    };
    if let Some(error) = refusal {
        answer(Response::error(Some(id), error)).await;
        return;
    }
    let context = RequestContext {
        peer: peer.clone(),
        id: id.clone(),
        cancel: cancel.clone(),
    };
    let work = handler.on_request(request, context);
    let peer = peer.clone();
    tokio::spawn(async move {
        let outcome = AssertUnwindSafe(work).catch_unwind().await;
        lock(&peer.shared.in_flight).remove(&id);
        if cancel.is_cancelled() {
            // The peer cancelled it: no response, as the spec asks; its stream ends.
            let end = crate::engine::OutboundFrame {
                bytes: Vec::new(),
                route: Route::Abandoned(id),
            };
            let _ = peer.put(end).await;
            return;
        }
        let response = match outcome {
            Ok(Ok(result)) => Response {
                id: Some(id),
                body: spate_protocol::ResponseBody::Result(result),
            },
            Ok(Err(error)) => Response::error(Some(id), error),
            Err(panic) => {
                let what = panic_message(&panic);
                tracing::error!("handler panicked: {what}");
                Response::error(
                    Some(id),
                    ErrorObject::internal(format!("Internal error: handler panicked: {what}")),
                )
            }
        };
        deliver(peer, batch, response).await;
    });
}

/// Sends a response to the peer, or into the batch it belongs to.
async fn deliver(peer: PeerHandle, batch: Option<mpsc::Sender<Response>>, response: Response) {
    match batch {
        Some(tx) => {
            let _ = tx.send(response).await;
        }
        None => {
            let route = response
                .id
                .clone()
                .map_or(Route::Standalone, Route::Response);
            let _ = peer.send_routed(response.into(), route).await;
        }
    }
}

fn panic_message(panic: &Box<dyn std::any::Any + Send>) -> String {
    if let Some(s) = panic.downcast_ref::<&str>() {
        (*s).to_owned()
    } else if let Some(s) = panic.downcast_ref::<String>() {
        s.clone()
    } else {
        "unknown panic".to_owned()
    }
}

/// The peer has gone (or stopped sending): let running handlers answer within the grace
/// period, cancel the rest, and fail what this side was still waiting for.
pub(super) async fn shutdown(peer: &PeerHandle, handler: &Arc<dyn Handler>) {
    begin_shutdown(peer);
    drain(peer).await;
    finish_shutdown(peer, handler);
}

/// Fails what this side waits for and marks the connection closed.
pub(super) fn begin_shutdown(peer: &PeerHandle) {
    peer.fail_all_pending();
    // Handlers awaiting an answer from the peer would wait forever: signal closure first so
    // their outgoing requests fail fast with `Closed`.
    peer.shared.closed.cancel();
}

/// Waits, within the grace period, for running handlers to answer.
pub(super) async fn drain(peer: &PeerHandle) {
    let deadline = tokio::time::Instant::now() + peer.shared.config.shutdown_grace;
    while peer.in_flight_count() > 0 && tokio::time::Instant::now() < deadline {
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    }
}

/// Cancels the handlers still running and tells the handler the connection has ended.
pub(super) fn finish_shutdown(peer: &PeerHandle, handler: &Arc<dyn Handler>) {
    for token in lock(&peer.shared.in_flight).values() {
        token.cancel();
    }
    handler.on_close();
}
