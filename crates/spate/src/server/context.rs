//! The per-request [`Context`] a handler receives.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::json;
use spate_protocol::{
    ClientCapabilities, CreateMessageRequestParams, CreateMessageResult, ElicitRequestParams,
    ElicitResult, Implementation, InputRequest, ListRootsResult, LoggingLevel,
    LoggingMessageNotificationParams, ProgressNotificationParams, ProgressToken, ProtocolVersion,
    RequestId, methods,
};
use tokio_util::sync::CancellationToken;

use super::ServerHandle;
use super::mrtr::Round;
use super::router::SessionState;
use super::tasks::TaskSlot;
use crate::engine::{PeerError, PeerHandle, RequestOptions};

/// What a tool, resource or prompt handler can do while it runs: report progress, log,
/// notify, notice cancellation, read who the client is, and ask the client for sampling,
/// elicitation or roots.
#[derive(Clone)]
pub struct Context {
    pub(crate) peer: PeerHandle,
    pub(crate) request_id: RequestId,
    pub(crate) session: Arc<SessionState>,
    pub(crate) server: ServerHandle,
    pub(crate) cancel: CancellationToken,
    pub(crate) progress_token: Option<ProgressToken>,
    pub(crate) progress: Arc<Mutex<ProgressState>>,
    /// The MRTR round of a modern request; `None` on a legacy session.
    pub(crate) round: Option<Arc<Round>>,
    /// The task this call may become (tools that support tasks, when the client takes one).
    pub(crate) task: Option<Arc<TaskSlot>>,
    /// Counts the questions asked without a key, to name them the same on every retry.
    pub(crate) unnamed_questions: Arc<AtomicUsize>,
}

#[derive(Debug, Default)]
pub(crate) struct ProgressState {
    last: Option<f64>,
    /// Set when the request has been answered: no progress may follow (Base Protocol ›
    /// Utilities › Progress,
    /// <https://modelcontextprotocol.io/specification/2025-11-25/basic/utilities/progress>).
    pub(crate) done: bool,
}

impl std::fmt::Debug for Context {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Context")
            .field("progress_token", &self.progress_token)
            .finish_non_exhaustive()
    }
}

/// Why a context operation did not happen.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ContextError {
    /// The client did not declare the capability this needs.
    #[error("the client does not support {0}")]
    Unsupported(&'static str),
    /// Progress must increase with every notification.
    #[error("progress must increase: {new} after {last}")]
    ProgressNotIncreasing {
        /// The previous value.
        last: f64,
        /// The refused value.
        new: f64,
    },
    /// The request or connection failed.
    #[error(transparent)]
    Peer(#[from] PeerError),
    /// A 2026-07-28 request needs the client's answer first: return this error (with `?`)
    /// and the server answers `input_required`; the client's retry runs the handler again
    /// with the answer available.
    #[error("waiting for the client's input (input_required)")]
    InputRequired,
}

impl From<ContextError> for spate_protocol::ErrorObject {
    /// For resource and prompt handlers, which fail with JSON-RPC errors: an internal error
    /// naming the cause. (On a 2026-07-28 request the server replaces it with
    /// `input_required` or `-32021` where that is what happened.)
    fn from(error: ContextError) -> Self {
        Self::new(
            spate_protocol::error_code::INTERNAL_ERROR,
            error.to_string(),
        )
    }
}

impl Context {
    /// The protocol version negotiated for this connection.
    pub fn protocol_version(&self) -> Option<ProtocolVersion> {
        self.session.version()
    }

    /// The capabilities the client declared.
    pub fn client_capabilities(&self) -> Option<ClientCapabilities> {
        self.session.client_capabilities()
    }

    /// Who the request comes from, when the transport authenticated it (an OAuth access
    /// token validated by the HTTP resource-server checks).
    pub fn principal(&self) -> Option<super::Principal> {
        self.session.principal()
    }

    /// Who the client says it is (unverified).
    pub fn client_info(&self) -> Option<Implementation> {
        self.session.client_info()
    }

    /// Cancelled when the client cancels this request or the connection closes.
    pub fn cancellation(&self) -> &CancellationToken {
        &self.cancel
    }

    /// Whether the client has cancelled this request.
    pub fn is_cancelled(&self) -> bool {
        self.cancel.is_cancelled()
    }

    /// The server this request runs in: notify resource updates, change registries.
    pub fn server(&self) -> &ServerHandle {
        &self.server
    }

    /// Reports progress, if the client asked for it (otherwise does nothing).
    ///
    /// `progress` must increase with every call; a value that does not is refused rather than
    /// sent, since clients must drop it anyway.
    pub async fn progress(
        &self,
        progress: f64,
        total: Option<f64>,
        message: impl Into<Option<String>>,
    ) -> Result<(), ContextError> {
        let Some(token) = self.progress_token.clone() else {
            return Ok(());
        };
        {
            let mut state = self
                .progress
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            if state.done {
                return Ok(());
            }
            if let Some(last) = state.last {
                if progress <= last {
                    return Err(ContextError::ProgressNotIncreasing {
                        last,
                        new: progress,
                    });
                }
            }
            state.last = Some(progress);
        }
        let params = ProgressNotificationParams {
            progress_token: token,
            progress,
            total,
            message: message.into(),
            meta: None,
        };
        self.notify_fitted(methods::NOTIFICATIONS_PROGRESS, params)
            .await
    }

    /// Sends a log message if the client's level lets it through.
    pub async fn log(
        &self,
        level: LoggingLevel,
        logger: Option<&str>,
        data: impl Serialize,
    ) -> Result<(), ContextError> {
        if !self.session.logs(level) {
            return Ok(());
        }
        let params = LoggingMessageNotificationParams {
            level,
            logger: logger.map(str::to_owned),
            data: serde_json::to_value(data).unwrap_or_default(),
            ..Default::default()
        };
        self.notify_fitted(methods::NOTIFICATIONS_MESSAGE, params)
            .await
    }

    /// Logs at `info` level.
    pub async fn info(&self, message: impl Into<String>) -> Result<(), ContextError> {
        self.log(LoggingLevel::Info, None, message.into()).await
    }

    /// Sends any notification to the client, as part of this request's exchange.
    pub async fn notify<P: Serialize>(&self, method: &str, params: &P) -> Result<(), ContextError> {
        Ok(self
            .peer
            .notify_related(&self.request_id, method, params)
            .await?)
    }

    async fn notify_fitted<P: Serialize + spate_protocol::FitVersion>(
        &self,
        method: &str,
        mut params: P,
    ) -> Result<(), ContextError> {
        if let Some(v) = self.session.version() {
            params.fit_version(v);
        }
        self.notify(method, &params).await
    }

    /// A handle that tells the client, later, that the URL elicitation `elicitation_id` is
    /// done (`notifications/elicitation/complete`, 2025-11-25), so it can retry the request
    /// that failed with [`ToolError::url_elicitation_required`](super::ToolError). It works
    /// after this request has been answered: the notification goes on the session's own
    /// stream, not this request's.
    pub fn elicitation_completer(&self, elicitation_id: impl Into<String>) -> ElicitationCompleter {
        ElicitationCompleter {
            peer: self.peer.clone(),
            session: self.session.clone(),
            elicitation_id: elicitation_id.into(),
        }
    }

    /// Closes the HTTP connection carrying this request's SSE stream while the handler goes
    /// on: the client reconnects after the `retry` delay and resumes with `Last-Event-ID`
    /// (SEP-1699 polling; lets a long call free its connection). Nothing happens on stdio.
    pub async fn close_stream(&self) -> Result<(), ContextError> {
        Ok(self.peer.disconnect_stream(&self.request_id).await?)
    }

    /// Asks the client's model for a completion (`sampling/createMessage`).
    pub async fn sample(
        &self,
        params: CreateMessageRequestParams,
    ) -> Result<CreateMessageResult, ContextError> {
        let caps = self.client_capabilities().unwrap_or_default();
        if caps.sampling.is_none() {
            return Err(self.unsupported("sampling", json!({"sampling": {}})));
        }
        if params.tools.is_some()
            && caps
                .sampling
                .as_ref()
                .and_then(|s| s.tools.as_ref())
                .is_none()
        {
            return Err(self.unsupported("tools in sampling", json!({"sampling": {"tools": {}}})));
        }
        self.ask_typed("sampling", InputRequest::CreateMessage { params })
            .await
    }

    /// Asks the user for input through the client (`elicitation/create`, form or URL mode).
    pub async fn elicit(&self, params: ElicitRequestParams) -> Result<ElicitResult, ContextError> {
        let caps = self.client_capabilities().unwrap_or_default();
        let Some(elicitation) = caps.elicitation else {
            return Err(self.unsupported("elicitation", json!({"elicitation": {}})));
        };
        if matches!(params, ElicitRequestParams::Url { .. }) && elicitation.url.is_none() {
            return Err(
                self.unsupported("URL-mode elicitation", json!({"elicitation": {"url": {}}}))
            );
        }
        if matches!(params, ElicitRequestParams::Form { .. })
            && elicitation.url.is_some()
            && elicitation.form.is_none()
        {
            return Err(self.unsupported(
                "form-mode elicitation",
                json!({"elicitation": {"form": {}}}),
            ));
        }
        self.ask_typed("elicitation", InputRequest::Elicit { params })
            .await
    }

    /// Asks the client for its roots (`roots/list`).
    pub async fn list_roots(&self) -> Result<ListRootsResult, ContextError> {
        if self
            .client_capabilities()
            .unwrap_or_default()
            .roots
            .is_none()
        {
            return Err(self.unsupported("roots", json!({"roots": {}})));
        }
        self.ask_typed("roots", InputRequest::ListRoots { params: None })
            .await
    }

    /// Asks the client one question under a key of the handler's choosing and returns the
    /// raw answer. On a legacy session the request goes to the client at once. On a 2026-07-28
    /// request the answer comes from the client's retry: if it is not there yet, this records
    /// the question and fails with [`ContextError::InputRequired`], which the handler should
    /// pass on (`?`); the server then answers `input_required` with every recorded question.
    /// Keys must be unique within a request; the same question must get the same key on
    /// every retry. No capability check is made here (`sample`, `elicit` and `list_roots`
    /// make them).
    pub async fn ask_input(
        &self,
        key: &str,
        request: InputRequest,
    ) -> Result<serde_json::Value, ContextError> {
        if let Some(run) = self.task.as_ref().and_then(|slot| slot.run()) {
            return run.ask(key, request).await;
        }
        match &self.round {
            Some(round) => match round.answer(key) {
                Some(answer) => Ok(answer),
                None => {
                    round.ask(key.to_owned(), request);
                    Err(ContextError::InputRequired)
                }
            },
            None => {
                let method = request.method();
                let params = match request {
                    InputRequest::CreateMessage { params } => serde_json::to_value(params),
                    InputRequest::Elicit { params } => serde_json::to_value(params),
                    InputRequest::ListRoots { params } => {
                        serde_json::to_value(params.unwrap_or_default())
                    }
                }
                .unwrap_or_default();
                self.ask(method, params).await
            }
        }
    }

    /// Turns this call into a task now, for tools registered with
    /// [`ToolEntry::starts_task_itself`](super::ToolEntry::starts_task_itself): the client
    /// gets the created task at once and the handler goes on in the background (later
    /// questions park the task in `input_required`). Does nothing when the call is a task
    /// already or cannot be one (the client takes no tasks, or the tool does not support
    /// them): the handler then simply goes on.
    pub async fn start_task(&self) -> Result<(), ContextError> {
        match &self.task {
            Some(slot) => slot.start().await,
            None => Ok(()),
        }
    }

    /// The id of the task this call runs as, once it is one.
    pub fn task_id(&self) -> Option<String> {
        self.task
            .as_ref()
            .and_then(|slot| slot.run())
            .map(|run| run.id.clone())
    }

    /// The state this handler kept with [`Context::set_request_state`] in the previous round
    /// of a 2026-07-28 request (verified: it comes back sealed). `None` on legacy sessions.
    pub fn request_state(&self) -> Option<serde_json::Value> {
        self.round.as_ref().and_then(|r| r.state())
    }

    /// Keeps a value for the next round of this 2026-07-28 request, should it answer
    /// `input_required`; it travels sealed in `requestState`. Does nothing on legacy sessions.
    pub fn set_request_state(&self, state: serde_json::Value) {
        if let Some(round) = &self.round {
            round.set_state(state);
        }
    }

    fn unsupported(&self, what: &'static str, required: serde_json::Value) -> ContextError {
        if let Some(round) = &self.round {
            round.require_capability(required);
        }
        ContextError::Unsupported(what)
    }

    async fn ask_typed<R: DeserializeOwned>(
        &self,
        kind: &str,
        request: InputRequest,
    ) -> Result<R, ContextError> {
        let n = self.unnamed_questions.fetch_add(1, Ordering::Relaxed) + 1;
        let key = format!("{kind}-{n}");
        let answer = self.ask_input(&key, request).await?;
        serde_json::from_value(answer)
            .map_err(|e| ContextError::Peer(PeerError::Malformed(e.to_string())))
    }

    async fn ask<P: Serialize, R: DeserializeOwned>(
        &self,
        method: &str,
        params: P,
    ) -> Result<R, ContextError> {
        let options = RequestOptions {
            cancel: Some(self.cancel.clone()),
            related: Some(self.request_id.clone()),
            ..Default::default()
        };
        let raw = self.peer.request(method, &params, options).await?;
        serde_json::from_str(raw.get())
            .map_err(|e| ContextError::Peer(PeerError::Malformed(e.to_string())))
    }

    pub(crate) fn finish(&self) {
        self.progress
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .done = true;
    }
}

/// Announces that a URL elicitation is done; see [`Context::elicitation_completer`].
#[derive(Clone)]
pub struct ElicitationCompleter {
    peer: PeerHandle,
    session: Arc<SessionState>,
    elicitation_id: String,
}

impl std::fmt::Debug for ElicitationCompleter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ElicitationCompleter")
            .field("elicitation_id", &self.elicitation_id)
            .finish_non_exhaustive()
    }
}

impl ElicitationCompleter {
    /// Sends `notifications/elicitation/complete`. Only 2025-11-25 sessions have it; on any
    /// other version this fails with [`ContextError::Unsupported`].
    pub async fn complete(&self) -> Result<(), ContextError> {
        if self.session.version() != Some(ProtocolVersion::V2025_11_25) {
            return Err(ContextError::Unsupported(
                "notifications/elicitation/complete (2025-11-25 only)",
            ));
        }
        let params = spate_protocol::ElicitationCompleteNotificationParams {
            elicitation_id: self.elicitation_id.clone(),
            meta: None,
        };
        Ok(self
            .peer
            .notify(methods::NOTIFICATIONS_ELICITATION_COMPLETE, &params)
            .await?)
    }
}
