//! The `tasks/*` methods: `get`, `update`, `cancel` of the 2026 extension, and `get`,
//! `result`, `list`, `cancel` of 2025-11-25. A task is only visible where it was made: the
//! legacy session that owns it, or (2026, no sessions) whoever holds its 128-bit id.

use std::sync::Arc;
use std::time::Duration;

use serde::Deserialize;
use serde_json::{Value, json};
use spate_protocol::jsonrpc::to_raw;
use spate_protocol::meta::RELATED_TASK_KEY;
use spate_protocol::{
    ClientCapabilities, EmptyResult, ErrorObject, GetTaskRequestParams, GetTaskResult,
    ListTasksResult, PaginatedRequestParams, ProtocolVersion, Request, TaskStatus, error_code,
    methods,
};

use spate_protocol::tasks::TASKS_EXTENSION_ID;

use super::iso8601;
use super::now_ms;
use crate::server::ServerHandle;
use crate::server::cursor::paginate;
use crate::server::modern::missing_capability;
use crate::server::router::{Answer, fitted};
use crate::store::task_store::{TaskChange, TaskRecord};

/// Whether a request's capabilities declare the tasks extension.
pub(crate) fn declares_tasks(capabilities: &ClientCapabilities) -> bool {
    capabilities
        .extensions
        .as_ref()
        .is_some_and(|e| e.contains_key(TASKS_EXTENSION_ID))
}

/// `-32021` naming the tasks extension.
pub(crate) fn tasks_required() -> ErrorObject {
    missing_capability(json!({ "extensions": { TASKS_EXTENSION_ID: {} } }))
}

fn unknown(id: &str) -> ErrorObject {
    ErrorObject::invalid_params(format!("Unknown task: {id}")).with_data(json!({ "taskId": id }))
}

fn store_error(e: impl std::fmt::Display) -> ErrorObject {
    ErrorObject::new(error_code::INTERNAL_ERROR, e.to_string())
}

/// Applies `change` to the stored task `id`; `-32602` when there is none.
async fn change_task(
    server: &ServerHandle,
    id: &str,
    change: TaskChange,
) -> Result<TaskRecord, ErrorObject> {
    server
        .shared
        .tasks
        .store()
        .update(id, change)
        .await
        .map_err(store_error)?
        .ok_or_else(|| unknown(id))
}

async fn find(
    server: &ServerHandle,
    id: &str,
    owner: Option<&str>,
) -> Result<TaskRecord, ErrorObject> {
    server
        .shared
        .tasks
        .store()
        .get(id)
        .await
        .map_err(store_error)?
        .filter(|r| r.owner.as_deref() == owner)
        .ok_or_else(|| unknown(id))
}

/// The 2026 extension's methods, for a modern request; `None` for other methods.
pub(crate) async fn modern_method(
    server: &ServerHandle,
    request: &Request,
    capabilities: &ClientCapabilities,
) -> Option<Answer> {
    let method = request.method.as_str();
    if !matches!(
        method,
        methods::TASKS_GET | methods::TASKS_UPDATE | methods::TASKS_CANCEL
    ) {
        return None;
    }
    if !declares_tasks(capabilities) {
        return Some(Err(tasks_required()));
    }
    let version = ProtocolVersion::V2026_07_28;
    Some(match method {
        methods::TASKS_GET => get(server, request, None, version).await,
        methods::TASKS_UPDATE => update(server, request).await,
        _ => cancel(server, request, None, version).await,
    })
}

/// The 2025-11-25 methods, for a legacy session (`owner`); `None` for other methods.
pub(crate) async fn legacy_method(
    server: &ServerHandle,
    request: &Request,
    owner: &str,
) -> Option<Answer> {
    let version = ProtocolVersion::V2025_11_25;
    Some(match request.method.as_str() {
        methods::TASKS_GET => get(server, request, Some(owner), version).await,
        methods::TASKS_RESULT => result(server, request, owner).await,
        methods::TASKS_LIST => list(server, request, owner).await,
        methods::TASKS_CANCEL => cancel(server, request, Some(owner), version).await,
        _ => return None,
    })
}

async fn get(
    server: &ServerHandle,
    request: &Request,
    owner: Option<&str>,
    version: ProtocolVersion,
) -> Answer {
    let p: GetTaskRequestParams = request.parse_params()?;
    let record = find(server, &p.task_id, owner).await?;
    fitted(
        version,
        GetTaskResult {
            task: record.task,
            ..GetTaskResult::default()
        },
    )
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct UpdateParams {
    task_id: String,
    #[serde(default)]
    input_responses: serde_json::Map<String, Value>,
}

/// `tasks/update`: answers for outstanding questions move to the record (others are
/// ignored); with none left outstanding the task works again.
async fn update(server: &ServerHandle, request: &Request) -> Answer {
    let p: UpdateParams = request.parse_params()?;
    let manager = &server.shared.tasks;
    find(server, &p.task_id, None).await?;
    let answers = p.input_responses;
    let now = iso8601(now_ms());
    let change = Arc::new(move |r: &mut TaskRecord| {
        let Some(pending) = r.task.input_requests.as_mut() else {
            return;
        };
        let mut moved = false;
        for (key, answer) in &answers {
            if pending.remove(key).is_some() {
                r.responses.insert(key.clone(), answer.clone());
                moved = true;
            }
        }
        if pending.is_empty() {
            r.task.input_requests = None;
            if r.task.status == TaskStatus::InputRequired {
                r.task.status = TaskStatus::Working;
            }
        }
        if moved {
            r.task.last_updated_at = now.clone();
        }
    });
    let record = change_task(server, &p.task_id, change).await?;
    super::run::announce(server, record.task, record.owner);
    manager.wake(&p.task_id);
    fitted(ProtocolVersion::V2026_07_28, EmptyResult::default())
}

/// `tasks/cancel`: the task ends `cancelled` at once and its handler is told. 2026 answers
/// an empty ack (also for a task already ended); 2025-11-25 answers the task, and refuses a
/// task already ended with `-32602`.
async fn cancel(
    server: &ServerHandle,
    request: &Request,
    owner: Option<&str>,
    version: ProtocolVersion,
) -> Answer {
    let p: GetTaskRequestParams = request.parse_params()?;
    let before = find(server, &p.task_id, owner).await?;
    let legacy = version < ProtocolVersion::V2026_07_28;
    if legacy && before.task.status.is_terminal() {
        return Err(ErrorObject::invalid_params(format!(
            "Task {} has already ended ({:?})",
            p.task_id, before.task.status
        )));
    }
    let manager = &server.shared.tasks;
    let now = iso8601(now_ms());
    let change = Arc::new(move |r: &mut TaskRecord| {
        if !r.task.status.is_terminal() {
            r.task.status = TaskStatus::Cancelled;
            r.task.status_message = Some("Cancelled by the client".into());
            r.task.input_requests = None;
            r.task.last_updated_at = now.clone();
        }
    });
    let after = change_task(server, &p.task_id, change).await?;
    manager.cancel(&p.task_id);
    if after.task.status != before.task.status {
        super::run::announce(server, after.task.clone(), after.owner.clone());
    }
    if legacy {
        fitted(
            version,
            GetTaskResult {
                task: after.task,
                ..GetTaskResult::default()
            },
        )
    } else {
        fitted(version, EmptyResult::default())
    }
}

/// 2025-11-25 `tasks/result`: waits until the task has ended, then answers exactly what the
/// call would have answered (tagged with the task), or its error.
async fn result(server: &ServerHandle, request: &Request, owner: &str) -> Answer {
    let p: GetTaskRequestParams = request.parse_params()?;
    let manager = &server.shared.tasks;
    let poll = manager.config.poll_interval.max(Duration::from_millis(50));
    loop {
        let record = find(server, &p.task_id, Some(owner)).await?;
        match record.task.status {
            TaskStatus::Completed => {
                let mut result = record.task.result.unwrap_or_default();
                let meta = result
                    .entry("_meta")
                    .or_insert_with(|| Value::Object(Default::default()));
                if let Some(meta) = meta.as_object_mut() {
                    meta.insert(RELATED_TASK_KEY.to_owned(), json!({ "taskId": p.task_id }));
                }
                return Ok(to_raw(&result));
            }
            TaskStatus::Failed => {
                return Err(record.task.error.unwrap_or_else(|| {
                    ErrorObject::new(error_code::INTERNAL_ERROR, "The task failed")
                }));
            }
            TaskStatus::Cancelled => {
                return Err(ErrorObject::new(
                    error_code::INTERNAL_ERROR,
                    format!("Task {} was cancelled", p.task_id),
                ));
            }
            TaskStatus::Working | TaskStatus::InputRequired => {
                manager.ended_or(&p.task_id, poll).await;
            }
        }
    }
}

/// 2025-11-25 `tasks/list`: the session's own tasks, paginated.
async fn list(server: &ServerHandle, request: &Request, owner: &str) -> Answer {
    let p: PaginatedRequestParams = request.parse_params()?;
    let store = server.shared.tasks.store();
    let records = store
        .list(Some(owner), 0, usize::MAX)
        .await
        .map_err(store_error)?;
    let tasks: Vec<_> = records.into_iter().map(|r| r.task).collect();
    let page = server.shared.config.page_size;
    let (tasks, next_cursor) = paginate(&tasks, p.cursor.as_deref(), page, 5)?;
    fitted(
        ProtocolVersion::V2025_11_25,
        ListTasksResult {
            tasks,
            next_cursor,
            meta: None,
        },
    )
}
