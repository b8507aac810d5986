//! Tasks of both generations.

use proptest::collection::{btree_map, vec};
use proptest::prelude::*;
use spate_protocol::*;

use super::client::{input_request, input_response};
use super::{MetaKind, any_object, error_object, meta, name, opt, safe_u64, text, timestamp};

fn status() -> BoxedStrategy<TaskStatus> {
    prop::sample::select(vec![
        TaskStatus::Working,
        TaskStatus::InputRequired,
        TaskStatus::Completed,
        TaskStatus::Failed,
        TaskStatus::Cancelled,
    ])
    .boxed()
}

/// A task whose details match its status (as the 2026 `DetailedTask` requires).
pub fn task() -> BoxedStrategy<Task> {
    (
        name(),
        status(),
        opt(text()),
        timestamp(),
        timestamp(),
        opt(safe_u64()),
        opt(safe_u64()),
        btree_map(name(), input_request(), 0..2),
        any_object(),
        error_object(),
        any::<bool>(),
    )
        .prop_map(
            |(
                task_id,
                status,
                status_message,
                created_at,
                last_updated_at,
                ttl_ms,
                poll_interval_ms,
                requests,
                result,
                error,
                legacy,
            )| Task {
                task_id,
                status,
                status_message,
                created_at,
                last_updated_at,
                ttl_ms,
                poll_interval_ms,
                input_requests: (status == TaskStatus::InputRequired).then_some(requests),
                result: (status == TaskStatus::Completed).then_some(result),
                error: (status == TaskStatus::Failed).then_some(error),
                wire: if legacy {
                    TaskWire::Legacy
                } else {
                    TaskWire::Extension
                },
            },
        )
        .boxed()
}

pub fn get_task_result() -> BoxedStrategy<GetTaskResult> {
    (task(), meta(MetaKind::Result))
        .prop_map(|(task, meta)| GetTaskResult {
            task,
            result_type: None,
            meta,
        })
        .boxed()
}

pub fn create_task_result() -> BoxedStrategy<CreateTaskResult> {
    (task(), meta(MetaKind::Result))
        .prop_map(|(task, meta)| CreateTaskResult { task, meta })
        .boxed()
}

pub fn list_tasks_result() -> BoxedStrategy<ListTasksResult> {
    (vec(task(), 0..3), opt(text()), meta(MetaKind::Result))
        .prop_map(|(tasks, next_cursor, meta)| ListTasksResult {
            tasks,
            next_cursor,
            meta,
        })
        .boxed()
}

pub fn task_status_params() -> BoxedStrategy<TaskStatusNotificationParams> {
    (task(), meta(MetaKind::Notification))
        .prop_map(|(task, meta)| TaskStatusNotificationParams { task, meta })
        .boxed()
}

pub fn get_task_params() -> BoxedStrategy<GetTaskRequestParams> {
    (name(), meta(MetaKind::Request))
        .prop_map(|(task_id, meta)| GetTaskRequestParams { task_id, meta })
        .boxed()
}

pub fn update_task_params() -> BoxedStrategy<UpdateTaskRequestParams> {
    (
        name(),
        btree_map(name(), input_response(), 0..3),
        meta(MetaKind::Request),
    )
        .prop_map(|(task_id, input_responses, meta)| UpdateTaskRequestParams {
            task_id,
            input_responses,
            meta,
        })
        .boxed()
}
