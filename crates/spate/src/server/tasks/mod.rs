//! Tasks: a `tools/call` that runs on after its request is answered, polled to completion
//! (2025-11-25: Base Protocol › Utilities › Tasks, SEP-1686,
//! <https://modelcontextprotocol.io/specification/2025-11-25/basic/utilities/tasks>;
//! 2026-07-28: the `io.modelcontextprotocol/tasks` extension, SEP-2663,
//! <https://modelcontextprotocol.io/extensions/tasks/overview>).
//!
//! Both generations run on one mechanism. A tool declares whether it may run as a task
//! ([`TaskSupport`]); the server makes a task when the client can take one: on a 2026-07-28
//! request that declares the `io.modelcontextprotocol/tasks` extension (server-directed), or
//! on a 2025-11-25 session whose request carries `params.task`. The request is answered with
//! a `CreateTaskResult` once the record is in the [`TaskStore`] (so a `tasks/get` right after
//! finds it); the handler goes on in the background. When it asks for input, the task parks
//! in `input_required` with the question in `inputRequests` until `tasks/update` brings the
//! answer (2026), or — on a 2025-11-25 session — the question goes to the client as a request
//! tagged with the task. Its end (result, tool error, protocol error, cancellation) is written
//! to the record. Status changes are announced: `notifications/tasks` on
//! `subscriptions/listen` streams that name the task, `notifications/tasks/status` to the
//! legacy session that owns it.
//!
//! The record is serialisable and every store operation is by id, so another backend can
//! hold it; the running handler itself lives in the process that started it.

mod methods;
mod run;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

pub use crate::store::task_store::{
    MemoryTaskStore, TaskChange, TaskRecord, TaskStore, TaskStoreError,
};
pub use spate_protocol::TaskSupport;

pub(crate) use methods::declares_tasks;
pub(crate) use methods::tasks_required;
pub(crate) use methods::{legacy_method, modern_method};
pub(crate) use run::{TaskMode, TaskSlot, call_as_task};

use run::TaskRun;

/// Limits and defaults of tasks.
#[derive(Clone)]
#[non_exhaustive]
pub struct TaskConfig {
    /// Where task records live (default: in memory, at most 10 000).
    pub store: Arc<dyn TaskStore>,
    /// How long a task is kept after it is created when the client asks for nothing else
    /// (default 1 hour).
    pub ttl: Duration,
    /// The longest `ttl` a 2025-11-25 client may ask for (default 24 hours).
    pub max_ttl: Duration,
    /// The polling interval suggested to clients (default 500 ms).
    pub poll_interval: Duration,
    /// Tasks running at once in this process (default 1000); beyond, new ones are refused.
    pub max_running: usize,
}

impl std::fmt::Debug for TaskConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TaskConfig")
            .field("ttl", &self.ttl)
            .field("max_ttl", &self.max_ttl)
            .field("poll_interval", &self.poll_interval)
            .field("max_running", &self.max_running)
            .finish_non_exhaustive()
    }
}

impl Default for TaskConfig {
    fn default() -> Self {
        Self {
            store: Arc::new(MemoryTaskStore::new(10_000)),
            ttl: Duration::from_secs(3600),
            max_ttl: Duration::from_secs(24 * 3600),
            poll_interval: Duration::from_millis(500),
            max_running: 1000,
        }
    }
}

/// The tasks of one server: the store and the handlers running in this process.
pub(crate) struct TaskManager {
    pub(crate) config: TaskConfig,
    running: Mutex<HashMap<String, Arc<TaskRun>>>,
}

impl TaskManager {
    pub(crate) fn new(config: TaskConfig) -> Self {
        Self {
            config,
            running: Mutex::default(),
        }
    }

    pub(crate) fn store(&self) -> &dyn TaskStore {
        self.config.store.as_ref()
    }

    fn running(&self, id: &str) -> Option<Arc<TaskRun>> {
        lock(&self.running).get(id).cloned()
    }

    /// Registers a running task, unless too many run already.
    fn start(&self, run: Arc<TaskRun>) -> bool {
        let mut running = lock(&self.running);
        if running.len() >= self.config.max_running {
            return false;
        }
        running.insert(run.id.clone(), run);
        true
    }

    fn stop(&self, id: &str) {
        lock(&self.running).remove(id);
    }

    /// Forgets expired tasks.
    pub(crate) async fn sweep(&self) {
        if let Err(e) = self.store().sweep(now_ms()).await {
            tracing::warn!("sweeping expired tasks failed: {e}");
        }
    }
}

/// Starts the task sweeper of a server (it ends when the server is dropped).
pub(crate) fn start_sweeper(manager: std::sync::Weak<TaskManager>) {
    let Ok(handle) = tokio::runtime::Handle::try_current() else {
        return; // built outside a runtime: expired tasks are still invisible, just kept
    };
    handle.spawn(async move {
        let mut tick = tokio::time::interval(Duration::from_secs(30));
        loop {
            tick.tick().await;
            let Some(manager) = manager.upgrade() else {
                return;
            };
            manager.sweep().await;
        }
    });
}

use crate::mutex::lock;
pub(crate) use crate::store::{iso8601, now_ms};
