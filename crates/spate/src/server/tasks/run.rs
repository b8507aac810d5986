//! Running a `tools/call` as a task: creating the record, answering the request with the
//! created task, asking for input while running, and writing how it ended.

use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use futures_util::FutureExt;
use rand::RngCore;
use serde_json::Value;
use spate_protocol::meta::RELATED_TASK_KEY;
use spate_protocol::{
    CallToolResult, CreateTaskResult, ErrorObject, FitVersion, InputRequest, ProtocolVersion, Task,
    TaskStatus, TaskWire, error_code,
};
use tokio::sync::{Notify, oneshot};
use tokio_util::sync::CancellationToken;

use super::{TaskManager, iso8601, now_ms};
use crate::engine::{PeerError, PeerHandle, RequestOptions};
use crate::mutex::lock;
use crate::server::ServerHandle;
use crate::server::context::ContextError;
use crate::server::events::ServerEvent;
use crate::server::router::{Answer, fitted};
use crate::store::task_store::TaskRecord;

/// How often a parked task looks at its record again even without a wake-up (answers may
/// come through another instance).
const RECHECK: Duration = Duration::from_secs(1);

/// Which generation of tasks a call runs under.
#[derive(Debug, Clone)]
pub(crate) enum TaskMode {
    /// The 2026 extension: server-directed, details on `tasks/get`, input via `tasks/update`.
    Extension,
    /// 2025-11-25: asked for with `params.task`, owned by a session; questions go to the
    /// client as requests tagged with the task.
    Legacy {
        /// The owning session.
        owner: String,
        /// The ttl the client asked for, in milliseconds.
        ttl_ms: Option<u64>,
        /// The session, to ask the client.
        peer: PeerHandle,
    },
}

/// A task whose handler runs in this process.
pub(crate) struct TaskRun {
    pub(crate) id: String,
    /// Rung when an answer or a cancellation arrives.
    pub(crate) wake: Notify,
    /// Cancelled by `tasks/cancel` (and by the request's cancellation before the task
    /// existed): what the handler sees as its cancellation.
    pub(crate) cancel: CancellationToken,
    /// Cancelled when the handler has ended and its end is recorded.
    pub(crate) done: CancellationToken,
    mode: TaskMode,
    server: ServerHandle,
}

/// The task side of one `tools/call` that may run as a task.
pub(crate) struct TaskSlot {
    server: ServerHandle,
    mode: TaskMode,
    version: ProtocolVersion,
    /// Where the request's answer goes, once.
    answer: Mutex<Option<oneshot::Sender<Answer>>>,
    run: OnceLock<Arc<TaskRun>>,
    /// The handler's cancellation.
    pub(crate) cancel: CancellationToken,
}

impl TaskSlot {
    pub(crate) fn new(server: ServerHandle, mode: TaskMode, version: ProtocolVersion) -> Self {
        Self {
            server,
            mode,
            version,
            answer: Mutex::new(None),
            run: OnceLock::new(),
            cancel: CancellationToken::new(),
        }
    }

    /// The task, once the call has become one.
    pub(crate) fn run(&self) -> Option<&Arc<TaskRun>> {
        self.run.get()
    }

    fn settle(&self, answer: Answer) {
        if let Some(tx) = lock(&self.answer).take() {
            let _ = tx.send(answer);
        }
    }

    /// Makes the call a task now: stores the record, then answers the request with it. Does
    /// nothing if it already is one.
    pub(crate) async fn start(&self) -> Result<(), ContextError> {
        if self.run.get().is_some() {
            return Ok(());
        }
        let manager = &self.server.shared.tasks;
        let config = &manager.config;
        let (wire, ttl, owner) = match &self.mode {
            TaskMode::Extension => (TaskWire::Extension, config.ttl, None),
            TaskMode::Legacy { owner, ttl_ms, .. } => {
                let asked = ttl_ms.map_or(config.ttl, Duration::from_millis);
                (
                    TaskWire::Legacy,
                    asked.min(config.max_ttl),
                    Some(owner.clone()),
                )
            }
        };
        let now = now_ms();
        let ttl_ms = u64::try_from(ttl.as_millis()).unwrap_or(u64::MAX).max(1);
        let mut task = Task::working(new_task_id(), iso8601(now));
        task.ttl_ms = Some(ttl_ms);
        task.poll_interval_ms = Some(
            u64::try_from(config.poll_interval.as_millis())
                .unwrap_or(u64::MAX)
                .max(1),
        );
        task.wire = wire;
        let record = TaskRecord {
            task: task.clone(),
            owner: owner.clone(),
            expires_at_ms: Some(now.saturating_add(ttl_ms)),
            responses: Default::default(),
        };
        let run = Arc::new(TaskRun {
            id: task.task_id.clone(),
            wake: Notify::new(),
            cancel: self.cancel.clone(),
            done: CancellationToken::new(),
            mode: self.mode.clone(),
            server: self.server.clone(),
        });
        if !manager.start(run.clone()) {
            let error = ErrorObject::new(
                error_code::INTERNAL_ERROR,
                "Too many tasks are running; try again later",
            );
            self.settle(Err(error.clone()));
            return Err(ContextError::Peer(PeerError::Remote(error)));
        }
        if let Err(e) = manager.store().create(record).await {
            manager.stop(&run.id);
            let error = ErrorObject::new(error_code::INTERNAL_ERROR, e.to_string());
            self.settle(Err(error.clone()));
            return Err(ContextError::Peer(PeerError::Remote(error)));
        }
        let _ = self.run.set(run);
        self.settle(fitted(
            self.version,
            CreateTaskResult {
                task: task.clone(),
                meta: None,
            },
        ));
        announce(&self.server, task, owner);
        Ok(())
    }
}

/// Runs `handler` for a call that may become a task and returns the request's answer: the
/// created task (as soon as it exists), or — when the handler ends before it became one —
/// what `sync_answer` makes of its result. `upfront` creates the task before the handler
/// starts; otherwise the handler does, with [`crate::server::Context::start_task`].
pub(crate) async fn call_as_task<F, S>(
    slot: Arc<TaskSlot>,
    request_cancel: CancellationToken,
    upfront: bool,
    handler: F,
    sync_answer: S,
) -> Answer
where
    F: Future<Output = Result<CallToolResult, ErrorObject>> + Send + 'static,
    S: FnOnce(Result<CallToolResult, ErrorObject>) -> Answer + Send + 'static,
{
    let (tx, rx) = oneshot::channel();
    *lock(&slot.answer) = Some(tx);
    let settled = CancellationToken::new();
    // Before the task exists, cancelling the request cancels the handler; after, only
    // `tasks/cancel` does.
    let watcher = (slot.clone(), settled.clone());
    tokio::spawn(async move {
        let (slot, settled) = watcher;
        tokio::select! {
            () = request_cancel.cancelled() => {
                if slot.run().is_none() {
                    slot.cancel.cancel();
                }
            }
            () = settled.cancelled() => {}
        }
    });
    let worker = slot.clone();
    tokio::spawn(async move {
        let slot = worker;
        if upfront && slot.start().await.is_err() {
            return;
        }
        let outcome = AssertUnwindSafe(handler).catch_unwind().await;
        match slot.run().cloned() {
            Some(run) => finish(&run, slot.version, outcome.ok()).await,
            None => slot.settle(match outcome {
                Ok(result) => sync_answer(result),
                Err(_) => Err(ErrorObject::new(
                    error_code::INTERNAL_ERROR,
                    "Internal error: the tool panicked",
                )),
            }),
        }
    });
    let answer = rx.await.unwrap_or_else(|_| {
        Err(ErrorObject::new(
            error_code::INTERNAL_ERROR,
            "Internal error: the call ended without an answer",
        ))
    });
    settled.cancel();
    answer
}

/// Records how a task's handler ended: its result (a tool error included) as `completed`,
/// a protocol error or a panic as `failed`. A task already cancelled stays cancelled.
async fn finish(
    run: &TaskRun,
    version: ProtocolVersion,
    result: Option<Result<CallToolResult, ErrorObject>>,
) {
    let end = match result {
        Some(Err(error)) => Err(error),
        Some(Ok(mut result)) => {
            result.fit_version(version);
            let value = serde_json::to_value(&result).unwrap_or_default();
            Ok(value.as_object().cloned().unwrap_or_default())
        }
        None => Err(ErrorObject::new(
            error_code::INTERNAL_ERROR,
            "Internal error: the tool failed while running as a task",
        )),
    };
    let now = iso8601(now_ms());
    let change = Arc::new(move |r: &mut TaskRecord| {
        if r.task.status.is_terminal() {
            return;
        }
        match &end {
            Ok(result) => {
                r.task.status = TaskStatus::Completed;
                r.task.result = Some(result.clone());
            }
            Err(error) => {
                r.task.status = TaskStatus::Failed;
                r.task.error = Some(error.clone());
            }
        }
        r.task.input_requests = None;
        r.task.last_updated_at = now.clone();
    });
    let manager = &run.server.shared.tasks;
    match manager.store().update(&run.id, change).await {
        Ok(Some(record)) => announce(&run.server, record.task, record.owner),
        Ok(None) => {}
        Err(e) => tracing::error!("recording the end of task {} failed: {e}", run.id),
    }
    manager.stop(&run.id);
    run.done.cancel();
}

impl TaskRun {
    /// The answer to `key`: taken from the record if `tasks/update` brought it, else the
    /// question is added to the task's `inputRequests` (status `input_required`) and the
    /// handler waits. On a 2025-11-25 task the question goes to the client instead.
    pub(crate) async fn ask(
        &self,
        key: &str,
        request: InputRequest,
    ) -> Result<Value, ContextError> {
        if let TaskMode::Legacy { peer, .. } = &self.mode {
            return self.ask_client(peer, request).await;
        }
        let store = self.server.shared.tasks.store();
        loop {
            let record = store
                .get(&self.id)
                .await
                .map_err(|e| ContextError::Peer(PeerError::Malformed(e.to_string())))?
                .ok_or(ContextError::Peer(PeerError::Closed))?;
            if record.task.status.is_terminal() {
                return Err(ContextError::Peer(PeerError::Cancelled));
            }
            if let Some(answer) = record.responses.get(key) {
                return Ok(answer.clone());
            }
            let asked = record
                .task
                .input_requests
                .as_ref()
                .is_some_and(|r| r.contains_key(key));
            if !asked {
                let (key, question) = (key.to_owned(), request.clone());
                let now = iso8601(now_ms());
                let change = Arc::new(move |r: &mut TaskRecord| {
                    if r.task.status.is_terminal() || r.responses.contains_key(&key) {
                        return;
                    }
                    let mut question = question.clone();
                    question.fit_version(ProtocolVersion::V2026_07_28);
                    r.task
                        .input_requests
                        .get_or_insert_with(Default::default)
                        .insert(key.clone(), question);
                    r.task.status = TaskStatus::InputRequired;
                    r.task.last_updated_at = now.clone();
                });
                if let Ok(Some(record)) = store.update(&self.id, change).await {
                    announce(&self.server, record.task, record.owner);
                }
            }
            tokio::select! {
                () = self.wake.notified() => {}
                () = tokio::time::sleep(RECHECK) => {}
                () = self.cancel.cancelled() => return Err(ContextError::Peer(PeerError::Cancelled)),
            }
        }
    }

    /// A 2025-11-25 task's question: a request to the client tagged with the task, the task
    /// `input_required` meanwhile.
    async fn ask_client(
        &self,
        peer: &PeerHandle,
        request: InputRequest,
    ) -> Result<Value, ContextError> {
        self.set_status(TaskStatus::InputRequired).await;
        let method = request.method();
        let mut params = match request {
            InputRequest::CreateMessage { params } => serde_json::to_value(params),
            InputRequest::Elicit { params } => serde_json::to_value(params),
            InputRequest::ListRoots { params } => serde_json::to_value(params.unwrap_or_default()),
        }
        .unwrap_or_default();
        if let Some(object) = params.as_object_mut() {
            let meta = object
                .entry("_meta")
                .or_insert_with(|| Value::Object(Default::default()));
            if let Some(meta) = meta.as_object_mut() {
                meta.insert(
                    RELATED_TASK_KEY.to_owned(),
                    serde_json::json!({ "taskId": self.id }),
                );
            }
        }
        let options = RequestOptions {
            cancel: Some(self.cancel.clone()),
            ..Default::default()
        };
        let answer = peer.request(method, &params, options).await;
        self.set_status(TaskStatus::Working).await;
        let raw = answer?;
        serde_json::from_str(raw.get())
            .map_err(|e| ContextError::Peer(PeerError::Malformed(e.to_string())))
    }

    async fn set_status(&self, status: TaskStatus) {
        let now = iso8601(now_ms());
        let change = Arc::new(move |r: &mut TaskRecord| {
            if !r.task.status.is_terminal() && r.task.status != status {
                r.task.status = status;
                r.task.last_updated_at = now.clone();
            }
        });
        if let Ok(Some(record)) = self
            .server
            .shared
            .tasks
            .store()
            .update(&self.id, change)
            .await
        {
            announce(&self.server, record.task, record.owner);
        }
    }
}

/// Tells listeners and the owning session about a task's new state.
pub(crate) fn announce(server: &ServerHandle, task: Task, owner: Option<String>) {
    server.announce(ServerEvent::TaskChanged {
        task: Box::new(task),
        owner,
    });
}

/// 128 random bits as 32 hex characters.
fn new_task_id() -> String {
    let mut bytes = [0u8; 16];
    rand::rng().fill_bytes(&mut bytes);
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

impl TaskManager {
    /// Wakes the handler of a task (an answer or a cancellation arrived), if it runs here.
    pub(crate) fn wake(&self, id: &str) {
        if let Some(run) = self.running(id) {
            run.wake.notify_one();
        }
    }

    /// Cancels the handler of a task, if it runs here.
    pub(crate) fn cancel(&self, id: &str) {
        if let Some(run) = self.running(id) {
            run.cancel.cancel();
            run.wake.notify_one();
        }
    }

    /// Resolves when the task's handler has ended, if it runs here; otherwise after `poll`.
    pub(crate) async fn ended_or(&self, id: &str, poll: Duration) {
        match self.running(id) {
            Some(run) => {
                tokio::select! {
                    () = run.done.cancelled() => {}
                    () = tokio::time::sleep(poll) => {}
                }
            }
            None => tokio::time::sleep(poll).await,
        }
    }
}
