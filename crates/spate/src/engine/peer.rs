//! The sending side of a connection: ids, the pending-request map, timeouts and progress.

use std::collections::HashMap;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde::Serialize;
use serde_json::value::RawValue;
use spate_protocol::jsonrpc::to_raw;
use spate_protocol::meta::set_progress_token;
use spate_protocol::{
    CancelledNotificationParams, ErrorObject, Message, Notification, ProgressToken, Request,
    RequestId, Response, methods,
};
use tokio::sync::{Notify, oneshot};
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use super::outbound::Outbound;
use super::{FrameSink, Handler, PeerConfig, PeerError};
use crate::engine::{InboundFrame, OutboundFrame, Route, Transport};
use crate::mutex::lock;

/// One progress notification for a request this side sent.
#[derive(Debug, Clone, PartialEq)]
pub struct ProgressUpdate {
    /// Progress so far; strictly increasing.
    pub progress: f64,
    /// The total, when known.
    pub total: Option<f64>,
    /// A human-readable message.
    pub message: Option<String>,
}

/// Called for each progress notification of a request.
pub type ProgressCallback = Arc<dyn Fn(ProgressUpdate) + Send + Sync>;

/// Options of one outgoing request.
#[derive(Clone, Default)]
pub struct RequestOptions {
    /// Overrides [`PeerConfig::request_timeout`].
    pub timeout: Option<Duration>,
    /// Asks for progress: a token is added to `params._meta` and updates go here.
    pub progress: Option<ProgressCallback>,
    /// Cancelling this token cancels the request (a `notifications/cancelled` is sent).
    pub cancel: Option<CancellationToken>,
    /// The inbound request this one is made on behalf of (a server asking the client for
    /// sampling while handling a tool call): transports with several streams send it there.
    pub related: Option<RequestId>,
    /// The request's id, taken earlier with [`PeerHandle::reserve_id`] (for a caller that
    /// must recognise notifications tagged with it before the answer comes); default: the
    /// next one.
    pub id: Option<RequestId>,
}

impl std::fmt::Debug for RequestOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RequestOptions")
            .field("timeout", &self.timeout)
            .field("progress", &self.progress.is_some())
            .field("related", &self.related)
            .field("id", &self.id)
            .finish()
    }
}

type Outcome = Result<Box<RawValue>, ErrorObject>;

pub(super) struct ProgressRoute {
    callback: ProgressCallback,
    last: Option<f64>,
    news: Arc<Notify>,
}

pub(super) struct Shared {
    pub(super) config: PeerConfig,
    pub(super) outbound: Outbound,
    next_id: AtomicI64,
    pending: Mutex<HashMap<RequestId, oneshot::Sender<Outcome>>>,
    progress: Mutex<HashMap<ProgressToken, ProgressRoute>>,
    pub(super) in_flight: Mutex<HashMap<RequestId, CancellationToken>>,
    /// Cancelled when the connection has closed.
    pub(super) closed: CancellationToken,
}

/// A cheap, clonable handle to a connection: send requests and notifications to the peer.
#[derive(Clone)]
pub struct PeerHandle {
    pub(super) shared: Arc<Shared>,
}

impl std::fmt::Debug for PeerHandle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PeerHandle").finish_non_exhaustive()
    }
}

/// A running connection: the handle plus the task that drives it.
#[derive(Debug)]
pub struct Peer {
    /// Sends to the other side.
    pub handle: PeerHandle,
    /// Ends when the connection has closed and shutdown has finished.
    pub task: JoinHandle<()>,
}

impl Peer {
    /// Starts driving a transport with a handler. Must be called inside a tokio runtime.
    pub fn spawn(transport: Transport, handler: Arc<dyn Handler>, config: PeerConfig) -> Peer {
        let handle = PeerHandle::new(Outbound(Arc::new(transport.outbound)), config);
        let task = tokio::spawn(super::run::run(handle.clone(), transport.inbound, handler));
        Peer { handle, task }
    }

    /// A peer without a task of its own: the caller hands it each inbound frame
    /// ([`AttachedPeer::receive`]) and its outgoing frames go straight into `sink`. For
    /// transports whose connections are mostly idle (HTTP sessions): nothing runs, and
    /// nothing is queued, between messages.
    pub fn attach(
        sink: Arc<dyn FrameSink>,
        handler: Arc<dyn Handler>,
        config: PeerConfig,
    ) -> AttachedPeer {
        AttachedPeer {
            handle: PeerHandle::new(Outbound(sink), config),
            handler,
        }
    }
}

/// A peer driven by its transport instead of a task (see [`Peer::attach`]).
pub struct AttachedPeer {
    /// Sends to the other side.
    pub handle: PeerHandle,
    handler: Arc<dyn Handler>,
}

impl std::fmt::Debug for AttachedPeer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AttachedPeer").finish_non_exhaustive()
    }
}

impl AttachedPeer {
    /// Handles one inbound frame as the read loop of [`Peer::spawn`] would: notifications and
    /// responses before this returns, requests on tasks of their own. `false` once closed.
    pub async fn receive(&self, frame: InboundFrame) -> bool {
        if self.handle.is_closed() {
            return false;
        }
        super::run::receive(&self.handle, &self.handler, frame).await;
        true
    }

    /// Ends the connection as [`Peer::spawn`]'s loop does when its input ends: at once when
    /// no handler is running, else running handlers get the grace period (on a task of its
    /// own). Idempotent.
    pub fn close(&self) {
        if self.handle.is_closed() {
            return;
        }
        super::run::begin_shutdown(&self.handle);
        if self.handle.in_flight_count() == 0 {
            super::run::finish_shutdown(&self.handle, &self.handler);
            return;
        }
        let (peer, handler) = (self.handle.clone(), self.handler.clone());
        tokio::spawn(async move {
            super::run::drain(&peer).await;
            super::run::finish_shutdown(&peer, &handler);
        });
    }
}

/// Removes a pending request's entries if its future is dropped early, and tells the peer.
struct PendingGuard<'a> {
    peer: &'a PeerHandle,
    id: RequestId,
    armed: bool,
}

impl Drop for PendingGuard<'_> {
    fn drop(&mut self) {
        self.peer.forget(&self.id);
        if self.armed {
            self.peer
                .send_cancel(&self.id, "request abandoned by the caller");
        }
    }
}

impl PeerHandle {
    fn new(outbound: Outbound, config: PeerConfig) -> Self {
        let shared = Arc::new(Shared {
            config,
            outbound,
            next_id: AtomicI64::new(1),
            pending: Mutex::new(HashMap::new()),
            progress: Mutex::new(HashMap::new()),
            in_flight: Mutex::new(HashMap::new()),
            closed: CancellationToken::new(),
        });
        Self { shared }
    }

    /// A request id no other request of this connection uses, for
    /// [`RequestOptions::id`].
    pub fn reserve_id(&self) -> RequestId {
        RequestId::Number(self.shared.next_id.fetch_add(1, Ordering::Relaxed))
    }

    /// Sends a request with typed params and waits for its result.
    pub async fn request<P: Serialize + ?Sized>(
        &self,
        method: &str,
        params: &P,
        options: RequestOptions,
    ) -> Result<Box<RawValue>, PeerError> {
        self.request_raw(method, Some(to_raw(params)), options)
            .await
    }

    /// Sends a request with raw params and waits for its result.
    pub async fn request_raw(
        &self,
        method: &str,
        mut params: Option<Box<RawValue>>,
        options: RequestOptions,
    ) -> Result<Box<RawValue>, PeerError> {
        let shared = &self.shared;
        if shared.closed.is_cancelled() {
            return Err(PeerError::Closed);
        }
        let id = match options.id.clone() {
            Some(id) => id,
            None => self.reserve_id(),
        };
        let (tx, mut rx) = oneshot::channel();
        {
            let mut pending = lock(&shared.pending);
            if pending.len() >= shared.config.max_pending {
                return Err(PeerError::Busy(shared.config.max_pending));
            }
            pending.insert(id.clone(), tx);
        }
        let mut guard = PendingGuard {
            peer: self,
            id: id.clone(),
            armed: false,
        };
        let news = Arc::new(Notify::new());
        if let Some(callback) = options.progress.clone() {
            let token = ProgressToken::from(id.clone());
            params = Some(with_progress_token(params.as_deref(), token.clone()));
            lock(&shared.progress).insert(
                token,
                ProgressRoute {
                    callback,
                    last: None,
                    news: news.clone(),
                },
            );
        }
        let message = Message::Request(Request {
            id: id.clone(),
            method: method.to_owned(),
            params,
        });
        let route = options
            .related
            .clone()
            .map_or(Route::Standalone, Route::Request);
        if self.send_routed(message, route).await.is_err() {
            return Err(PeerError::Closed);
        }
        guard.armed = true;

        let idle = options.timeout.unwrap_or(shared.config.request_timeout);
        let start = tokio::time::Instant::now();
        let hard_deadline = start + shared.config.max_request_timeout.max(idle);
        let mut deadline = (start + idle).min(hard_deadline);
        let cancel = options.cancel.unwrap_or_default();
        loop {
            tokio::select! {
                outcome = &mut rx => {
                    guard.armed = false;
                    return match outcome {
                        Ok(Ok(result)) => Ok(result),
                        Ok(Err(error)) => Err(PeerError::Remote(error)),
                        Err(_) => Err(PeerError::Closed),
                    };
                }
                () = news.notified() => {
                    deadline = (tokio::time::Instant::now() + idle).min(hard_deadline);
                }
                () = tokio::time::sleep_until(deadline) => {
                    guard.armed = false;
                    self.send_cancel(&id, "request timed out");
                    return Err(PeerError::Timeout(start.elapsed()));
                }
                () = cancel.cancelled() => {
                    guard.armed = false;
                    self.send_cancel(&id, "request cancelled by the caller");
                    return Err(PeerError::Cancelled);
                }
                () = shared.closed.cancelled() => {
                    guard.armed = false;
                    return Err(PeerError::Closed);
                }
            }
        }
    }

    /// Sends a notification with typed params, not tied to any request.
    pub async fn notify<P: Serialize + ?Sized>(
        &self,
        method: &str,
        params: &P,
    ) -> Result<(), PeerError> {
        self.send(Notification::new(method, params).into()).await
    }

    /// Sends a notification that belongs to the handling of an inbound request (progress, logs).
    pub async fn notify_related<P: Serialize + ?Sized>(
        &self,
        request: &RequestId,
        method: &str,
        params: &P,
    ) -> Result<(), PeerError> {
        let route = Route::Request(request.clone());
        self.send_routed(Notification::new(method, params).into(), route)
            .await
    }

    /// Asks the transport to close the live connection of an inbound request's stream while
    /// the request goes on (SEP-1699); the client resumes the stream. No-op on stdio.
    pub async fn disconnect_stream(&self, request: &RequestId) -> Result<(), PeerError> {
        let frame = OutboundFrame {
            bytes: Vec::new(),
            route: Route::Disconnect(request.clone()),
        };
        self.put(frame).await
    }

    /// Sends any message not tied to a request, waiting while the outbound queue is full.
    pub async fn send(&self, message: Message) -> Result<(), PeerError> {
        self.send_routed(message, Route::Standalone).await
    }

    /// Sends any message on the given route, waiting while the outbound queue is full.
    pub async fn send_routed(&self, message: Message, route: Route) -> Result<(), PeerError> {
        let frame = OutboundFrame {
            bytes: message.encode(),
            route,
        };
        self.put(frame).await
    }

    pub(super) async fn put(&self, frame: OutboundFrame) -> Result<(), PeerError> {
        match self.shared.outbound.send(frame).await {
            true => Ok(()),
            false => Err(PeerError::Closed),
        }
    }

    /// Whether the connection has closed.
    pub fn is_closed(&self) -> bool {
        self.shared.closed.is_cancelled()
    }

    /// Resolves when the connection has closed.
    pub async fn closed(&self) {
        self.shared.closed.cancelled().await;
    }

    /// Requests currently outstanding (sent, not yet answered).
    pub fn pending_count(&self) -> usize {
        lock(&self.shared.pending).len()
    }

    /// Inbound requests currently being handled.
    pub fn in_flight_count(&self) -> usize {
        lock(&self.shared.in_flight).len()
    }

    fn forget(&self, id: &RequestId) {
        lock(&self.shared.pending).remove(id);
        lock(&self.shared.progress).remove(&ProgressToken::from(id.clone()));
    }

    fn send_cancel(&self, id: &RequestId, reason: &str) {
        let params = CancelledNotificationParams {
            request_id: Some(id.clone()),
            reason: Some(reason.to_owned()),
            meta: None,
        };
        let note = Notification::new(methods::NOTIFICATIONS_CANCELLED, &params);
        // Best effort: a full queue or closed connection means the peer will not hear it,
        // and the late response (if any) is dropped anyway because the entry is gone.
        let frame = OutboundFrame {
            bytes: Message::from(note).encode(),
            route: Route::Standalone,
        };
        self.shared.outbound.send_now(frame);
    }

    /// Delivers a response from the peer to whoever waits for it; unknown ids are late and dropped.
    pub(super) fn complete(&self, response: Response) {
        let Some(id) = response.id else {
            tracing::debug!("error response without id from peer: {:?}", response.body);
            return;
        };
        let waiter = lock(&self.shared.pending).remove(&id);
        lock(&self.shared.progress).remove(&ProgressToken::from(id.clone()));
        match waiter {
            Some(tx) => {
                let outcome = match response.body {
                    spate_protocol::ResponseBody::Result(r) => Ok(r),
                    spate_protocol::ResponseBody::Error(e) => Err(e),
                };
                let _ = tx.send(outcome);
            }
            None => tracing::debug!("dropping late or unknown response {id}"),
        }
    }

    /// Routes a progress notification to its request; non-increasing values are dropped.
    pub(super) fn route_progress(&self, token: &ProgressToken, update: ProgressUpdate) {
        let mut routes = lock(&self.shared.progress);
        let Some(route) = routes.get_mut(token) else {
            tracing::debug!("progress for unknown token {token}");
            return;
        };
        if route.last.is_some_and(|last| update.progress <= last) {
            tracing::debug!("dropping non-increasing progress for {token}");
            return;
        }
        route.last = Some(update.progress);
        let callback = route.callback.clone();
        route.news.notify_one();
        drop(routes);
        callback(update);
    }

    /// Fails every outstanding request (the connection is gone).
    pub(super) fn fail_all_pending(&self) {
        lock(&self.shared.pending).clear();
        lock(&self.shared.progress).clear();
    }
}

/// Adds `_meta.progressToken` to request params, keeping everything else.
fn with_progress_token(params: Option<&RawValue>, token: ProgressToken) -> Box<RawValue> {
    let mut object = params
        .and_then(|p| {
            serde_json::from_str::<serde_json::Map<String, serde_json::Value>>(p.get()).ok()
        })
        .unwrap_or_default();
    let mut meta = match object.remove("_meta") {
        Some(serde_json::Value::Object(meta)) => Some(meta),
        _ => None,
    };
    set_progress_token(&mut meta, token);
    if let Some(meta) = meta {
        object.insert("_meta".into(), serde_json::Value::Object(meta));
    }
    to_raw(&object)
}
