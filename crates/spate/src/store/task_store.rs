//! Where tasks live: a store trait that a networked backend can implement (every operation
//! async and by id; updates are a retryable function of the record, so a backend without
//! locks can apply them with compare-and-swap), and the in-memory store.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};

use futures_util::future::BoxFuture;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use spate_protocol::Task;

/// Everything known about one task; serialisable, so any instance can serve it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TaskRecord {
    /// The task as `tasks/get` shows it (status, details, times).
    pub task: Task,
    /// Who may see it: the legacy session that created it; `None` for 2026-07-28 requests,
    /// which have no session (the id itself, 128 random bits, is the capability).
    pub owner: Option<String>,
    /// When the store may forget it (Unix milliseconds); `None` keeps it until removed.
    pub expires_at_ms: Option<u64>,
    /// Answers delivered by `tasks/update` and not yet taken by the running handler.
    pub responses: BTreeMap<String, Value>,
}

/// A change to a record, applied atomically (and possibly more than once: it must be a pure
/// function of the record).
pub type TaskChange = Arc<dyn Fn(&mut TaskRecord) + Send + Sync>;

/// Why the store failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TaskStoreError {
    /// The store holds as many tasks as it may.
    #[error("too many tasks: at most {0}")]
    Full(usize),
    /// The backend failed.
    #[error("task store failure: {0}")]
    Backend(String),
}

/// Storage of task records.
pub trait TaskStore: Send + Sync + 'static {
    /// Stores a new record (its id is fresh).
    fn create(&self, record: TaskRecord) -> BoxFuture<'_, Result<(), TaskStoreError>>;
    /// The record of `id`, if it exists and has not expired.
    fn get<'a>(&'a self, id: &'a str) -> BoxFuture<'a, Result<Option<TaskRecord>, TaskStoreError>>;
    /// Applies `change` to the record of `id` atomically; the record after, if it exists.
    fn update<'a>(
        &'a self,
        id: &'a str,
        change: TaskChange,
    ) -> BoxFuture<'a, Result<Option<TaskRecord>, TaskStoreError>>;
    /// The records owned by `owner`, oldest first, from position `offset`, at most `limit`.
    fn list<'a>(
        &'a self,
        owner: Option<&'a str>,
        offset: usize,
        limit: usize,
    ) -> BoxFuture<'a, Result<Vec<TaskRecord>, TaskStoreError>>;
    /// Forgets every record that expired before `now_ms`; how many.
    fn sweep(&self, now_ms: u64) -> BoxFuture<'_, Result<usize, TaskStoreError>>;
}

/// Tasks in this process's memory, at most `capacity` at once.
#[derive(Debug)]
pub struct MemoryTaskStore {
    capacity: usize,
    inner: Mutex<Inner>,
}

#[derive(Debug, Default)]
struct Inner {
    records: HashMap<String, TaskRecord>,
    /// Creation order, for listing.
    order: Vec<String>,
}

impl MemoryTaskStore {
    /// A store holding at most `capacity` tasks.
    pub fn new(capacity: usize) -> Self {
        Self {
            capacity,
            inner: Mutex::default(),
        }
    }

    /// Tasks held now.
    pub fn len(&self) -> usize {
        self.lock().records.len()
    }

    /// Whether no task is held.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

fn live(record: &TaskRecord, now_ms: u64) -> bool {
    record.expires_at_ms.is_none_or(|at| at > now_ms)
}

impl TaskStore for MemoryTaskStore {
    fn create(&self, record: TaskRecord) -> BoxFuture<'_, Result<(), TaskStoreError>> {
        let outcome = {
            let mut inner = self.lock();
            if inner.records.len() >= self.capacity {
                Err(TaskStoreError::Full(self.capacity))
            } else {
                inner.order.push(record.task.task_id.clone());
                inner.records.insert(record.task.task_id.clone(), record);
                Ok(())
            }
        };
        Box::pin(async move { outcome })
    }

    fn get<'a>(&'a self, id: &'a str) -> BoxFuture<'a, Result<Option<TaskRecord>, TaskStoreError>> {
        let now = super::now_ms();
        let found = self
            .lock()
            .records
            .get(id)
            .filter(|r| live(r, now))
            .cloned();
        Box::pin(async move { Ok(found) })
    }

    fn update<'a>(
        &'a self,
        id: &'a str,
        change: TaskChange,
    ) -> BoxFuture<'a, Result<Option<TaskRecord>, TaskStoreError>> {
        let now = super::now_ms();
        let after = {
            let mut inner = self.lock();
            inner.records.get_mut(id).filter(|r| live(r, now)).map(|r| {
                change(r);
                r.clone()
            })
        };
        Box::pin(async move { Ok(after) })
    }

    fn list<'a>(
        &'a self,
        owner: Option<&'a str>,
        offset: usize,
        limit: usize,
    ) -> BoxFuture<'a, Result<Vec<TaskRecord>, TaskStoreError>> {
        let now = super::now_ms();
        let page = {
            let inner = self.lock();
            inner
                .order
                .iter()
                .filter_map(|id| inner.records.get(id))
                .filter(|r| live(r, now) && r.owner.as_deref() == owner)
                .skip(offset)
                .take(limit)
                .cloned()
                .collect()
        };
        Box::pin(async move { Ok(page) })
    }

    fn sweep(&self, now_ms: u64) -> BoxFuture<'_, Result<usize, TaskStoreError>> {
        let removed = {
            let mut inner = self.lock();
            let before = inner.records.len();
            inner.records.retain(|_, r| live(r, now_ms));
            let Inner { records, order } = &mut *inner;
            order.retain(|id| records.contains_key(id));
            before - records.len()
        };
        Box::pin(async move { Ok(removed) })
    }
}
