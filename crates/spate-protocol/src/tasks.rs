//! Tasks: long-running requests polled to completion (2025-11-25: Base Protocol › Utilities ›
//! Tasks, SEP-1686,
//! <https://modelcontextprotocol.io/specification/2025-11-25/basic/utilities/tasks>;
//! 2026-07-28: the tasks extension, SEP-2663,
//! <https://modelcontextprotocol.io/extensions/tasks/overview>).
//!
//! Two generations share these types. 2025-11-25 has experimental core tasks (`ttl`,
//! `pollInterval`, `tasks/result`, `tasks/list`, `notifications/tasks/status`); 2026-07-28
//! moves them to the `io.modelcontextprotocol/tasks` extension (`ttlMs`, `pollIntervalMs`,
//! `tasks/update`, `notifications/tasks`, server-directed `CreateTaskResult` with
//! `resultType: "task"`). A [`Task`] remembers which spelling it uses ([`TaskWire`]);
//! [`FitVersion`] picks the one of the target version.

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::fit::FitVersion;
use crate::jsonrpc::ErrorObject;
use crate::meta::{JsonObject, Meta};
use crate::modern::{InputRequests, InputResponses};
use crate::result::{ResultType, fit_meta, fit_request_meta, fit_result};
use crate::version::ProtocolVersion;

/// The extension identifier of 2026 tasks, declared under `capabilities.extensions`.
pub const TASKS_EXTENSION_ID: &str = "io.modelcontextprotocol/tasks";

/// Where a task is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TaskStatus {
    /// Running (the initial status).
    #[default]
    Working,
    /// Waiting for input from the requestor.
    InputRequired,
    /// Finished with a result (which may be a tool error).
    Completed,
    /// Finished with an error.
    Failed,
    /// Cancelled.
    Cancelled,
}

impl TaskStatus {
    /// Whether the status can no longer change.
    pub fn is_terminal(self) -> bool {
        matches!(self, Self::Completed | Self::Failed | Self::Cancelled)
    }
}

/// Which spelling of the task fields is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum TaskWire {
    /// 2025-11-25: `ttl`, `pollInterval`; `CreateTaskResult` wraps the task in `task`.
    Legacy,
    /// 2026 tasks extension: `ttlMs`, `pollIntervalMs`; `CreateTaskResult` is the task
    /// itself with `resultType: "task"`.
    #[default]
    Extension,
}

/// `params.task` asking for task execution (2025-11-25 `TaskMetadata`).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct TaskMetadata {
    /// How long to keep the task after it ends, in milliseconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ttl: Option<u64>,
}

/// `_meta["io.modelcontextprotocol/related-task"]` (2025-11-25).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RelatedTaskMetadata {
    /// The task the message belongs to.
    pub task_id: String,
}

/// A task, and (2026 extension) its details: the `DetailedTask` of `tasks/get` and
/// `notifications/tasks` carries `inputRequests`, `result` or `error` by status.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(from = "TaskRepr", into = "TaskRepr")]
pub struct Task {
    /// The receiver-chosen id.
    pub task_id: String,
    /// The status.
    pub status: TaskStatus,
    /// A human-readable status.
    pub status_message: Option<String>,
    /// ISO 8601 creation time.
    pub created_at: String,
    /// ISO 8601 time of the last change.
    pub last_updated_at: String,
    /// How long the task is kept after creation, in ms; `None` is unlimited (written `null`).
    pub ttl_ms: Option<u64>,
    /// Suggested polling interval in ms.
    pub poll_interval_ms: Option<u64>,
    /// Outstanding input requests (`input_required`; 2026 extension).
    pub input_requests: Option<InputRequests>,
    /// The original request's result (`completed`; 2026 extension).
    pub result: Option<JsonObject>,
    /// The JSON-RPC error (`failed`; 2026 extension).
    pub error: Option<ErrorObject>,
    /// Which spelling is written.
    pub wire: TaskWire,
}

/// The 2026 extension name of a task with its details.
pub type DetailedTask = Task;

#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct TaskRepr {
    task_id: String,
    status: TaskStatus,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    status_message: Option<String>,
    created_at: String,
    last_updated_at: String,
    #[serde(
        default,
        deserialize_with = "present",
        skip_serializing_if = "Option::is_none"
    )]
    ttl: Option<Option<u64>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    poll_interval: Option<u64>,
    #[serde(
        default,
        deserialize_with = "present",
        skip_serializing_if = "Option::is_none"
    )]
    ttl_ms: Option<Option<u64>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    poll_interval_ms: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    input_requests: Option<InputRequests>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    result: Option<JsonObject>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    error: Option<ErrorObject>,
}

/// Keeps "present but null" apart from "absent".
fn present<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Option<u64>>, D::Error> {
    Option::<u64>::deserialize(d).map(Some)
}

impl From<TaskRepr> for Task {
    fn from(r: TaskRepr) -> Self {
        let legacy = r.ttl.is_some() || r.poll_interval.is_some();
        Self {
            task_id: r.task_id,
            status: r.status,
            status_message: r.status_message,
            created_at: r.created_at,
            last_updated_at: r.last_updated_at,
            ttl_ms: r.ttl.or(r.ttl_ms).flatten(),
            poll_interval_ms: r.poll_interval.or(r.poll_interval_ms),
            input_requests: r.input_requests,
            result: r.result,
            error: r.error,
            wire: if legacy {
                TaskWire::Legacy
            } else {
                TaskWire::Extension
            },
        }
    }
}

impl From<Task> for TaskRepr {
    fn from(t: Task) -> Self {
        let legacy = t.wire == TaskWire::Legacy;
        Self {
            task_id: t.task_id,
            status: t.status,
            status_message: t.status_message,
            created_at: t.created_at,
            last_updated_at: t.last_updated_at,
            ttl: legacy.then_some(t.ttl_ms),
            poll_interval: t.poll_interval_ms.filter(|_| legacy),
            ttl_ms: (!legacy).then_some(t.ttl_ms),
            poll_interval_ms: t.poll_interval_ms.filter(|_| !legacy),
            input_requests: t.input_requests,
            result: t.result,
            error: t.error,
        }
    }
}

impl Task {
    /// A new `working` task created and updated at `now` (an ISO 8601 string).
    pub fn working(task_id: impl Into<String>, now: impl Into<String>) -> Self {
        let now = now.into();
        Self {
            task_id: task_id.into(),
            created_at: now.clone(),
            last_updated_at: now,
            ..Self::default()
        }
    }
}

/// Result of `tasks/get` (both generations) and of 2025-11-25 `tasks/cancel`: the task with
/// the result's `resultType` and `_meta`.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct GetTaskResult {
    /// The task.
    #[serde(flatten)]
    pub task: Task,
    /// `complete` (2026).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub result_type: Option<ResultType>,
    /// Result metadata.
    #[serde(rename = "_meta", default, skip_serializing_if = "Option::is_none")]
    pub meta: Option<Meta>,
}

/// Result of 2025-11-25 `tasks/cancel`: the cancelled task. (The 2026 extension answers
/// `tasks/cancel` with an [`crate::EmptyResult`].)
pub type CancelTaskResult = GetTaskResult;

/// Params of `notifications/tasks/status` (2025-11-25) and `notifications/tasks` (2026).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct TaskStatusNotificationParams {
    /// The task.
    #[serde(flatten)]
    pub task: Task,
    /// Notification metadata.
    #[serde(rename = "_meta", default, skip_serializing_if = "Option::is_none")]
    pub meta: Option<Meta>,
}

/// The answer to a task-augmented request: the task was created.
///
/// 2025-11-25 writes `{"task": {...}, "_meta": ...}`; the 2026 extension writes the task's
/// fields flat with `resultType: "task"`. The spelling follows `task.wire`.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct CreateTaskResult {
    /// The new task.
    pub task: Task,
    /// Result metadata (2025-11-25 may carry `model-immediate-response`).
    pub meta: Option<Meta>,
}

#[derive(Serialize, Deserialize)]
struct CreateTaskLegacy {
    task: Task,
    #[serde(rename = "_meta", default, skip_serializing_if = "Option::is_none")]
    meta: Option<Meta>,
}

impl Serialize for CreateTaskResult {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self.task.wire {
            TaskWire::Legacy => CreateTaskLegacy {
                task: self.task.clone(),
                meta: self.meta.clone(),
            }
            .serialize(serializer),
            TaskWire::Extension => GetTaskResult {
                task: self.task.clone(),
                result_type: Some(ResultType::Task),
                meta: self.meta.clone(),
            }
            .serialize(serializer),
        }
    }
}

impl<'de> Deserialize<'de> for CreateTaskResult {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        use serde::de::Error;
        let value = serde_json::Value::deserialize(deserializer)?;
        if value.get("task").is_some_and(serde_json::Value::is_object) {
            let legacy: CreateTaskLegacy =
                serde_json::from_value(value).map_err(D::Error::custom)?;
            let mut task = legacy.task;
            task.wire = TaskWire::Legacy;
            return Ok(Self {
                task,
                meta: legacy.meta,
            });
        }
        let flat: GetTaskResult = serde_json::from_value(value).map_err(D::Error::custom)?;
        Ok(Self {
            task: flat.task,
            meta: flat.meta,
        })
    }
}

/// Params of `tasks/get`, `tasks/result` and `tasks/cancel`.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct GetTaskRequestParams {
    /// The task.
    pub task_id: String,
    /// Request metadata.
    #[serde(rename = "_meta", default, skip_serializing_if = "Option::is_none")]
    pub meta: Option<Meta>,
}

/// Params of 2025-11-25 `tasks/result`.
pub type GetTaskPayloadRequestParams = GetTaskRequestParams;

/// Params of `tasks/cancel`.
pub type CancelTaskRequestParams = GetTaskRequestParams;

/// Result of 2025-11-25 `tasks/result`: the underlying request's result, exactly.
pub type GetTaskPayloadResult = JsonObject;

/// Params of `tasks/update` (2026 extension): answers to the task's input requests.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UpdateTaskRequestParams {
    /// The task.
    pub task_id: String,
    /// Answers by input-request key.
    pub input_responses: InputResponses,
    /// Request metadata.
    #[serde(rename = "_meta", default, skip_serializing_if = "Option::is_none")]
    pub meta: Option<Meta>,
}

/// Result of 2025-11-25 `tasks/list`.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ListTasksResult {
    /// This page of tasks.
    pub tasks: Vec<Task>,
    /// Where the next page starts; absent on the last page.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_cursor: Option<String>,
    /// Result metadata.
    #[serde(rename = "_meta", default, skip_serializing_if = "Option::is_none")]
    pub meta: Option<Meta>,
}

impl FitVersion for Task {
    /// 2025-11-25 gets the legacy spelling and loses the extension's details; 2026 gets the
    /// extension spelling. (Tasks do not exist in other versions; they are left as they are.)
    fn fit_version(&mut self, version: ProtocolVersion) {
        if version >= ProtocolVersion::V2026_07_28 {
            self.wire = TaskWire::Extension;
            self.input_requests.fit_version(version);
        } else {
            self.wire = TaskWire::Legacy;
            self.input_requests = None;
            self.result = None;
            self.error = None;
        }
    }
}

impl FitVersion for GetTaskResult {
    fn fit_version(&mut self, version: ProtocolVersion) {
        self.task.fit_version(version);
        fit_result(&mut self.result_type, &mut self.meta, version);
    }
}

impl FitVersion for TaskStatusNotificationParams {
    fn fit_version(&mut self, version: ProtocolVersion) {
        self.task.fit_version(version);
        fit_meta(&mut self.meta, version);
    }
}

impl FitVersion for CreateTaskResult {
    /// The created task is a plain `Task`: any details (input requests, result, error) are
    /// left to `tasks/get`.
    fn fit_version(&mut self, version: ProtocolVersion) {
        self.task.fit_version(version);
        self.task.input_requests = None;
        self.task.result = None;
        self.task.error = None;
        fit_meta(&mut self.meta, version);
    }
}

impl FitVersion for GetTaskRequestParams {
    fn fit_version(&mut self, version: ProtocolVersion) {
        fit_request_meta(&mut self.meta, version);
    }
}

impl FitVersion for UpdateTaskRequestParams {
    fn fit_version(&mut self, version: ProtocolVersion) {
        self.input_responses.fit_version(version);
        fit_request_meta(&mut self.meta, version);
    }
}

impl FitVersion for ListTasksResult {
    fn fit_version(&mut self, version: ProtocolVersion) {
        self.tasks.fit_version(version);
        fit_meta(&mut self.meta, version);
    }
}
