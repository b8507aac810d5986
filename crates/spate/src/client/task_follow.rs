//! Following a task to its end (the 2026 `io.modelcontextprotocol/tasks` extension, SEP-2663,
//! <https://modelcontextprotocol.io/extensions/tasks/overview>). A client that declares the
//! extension ([`ClientBuilder::tasks`]) may get a `tools/call` answered with
//! `resultType: "task"`; the call then polls `tasks/get` (at the server's `pollIntervalMs`,
//! kept between 10 ms and 30 s) until the task ends, answers its `input_required` questions
//! with the client's handlers through `tasks/update` (each key once), and returns the task's
//! result as the call's result. A failed task fails the call with its error, a cancelled one
//! with [`PeerError::Cancelled`]; cancelling the call sends `tasks/cancel`. A task that runs
//! longer than the engine's `max_request_timeout` fails the call with [`PeerError::Timeout`]
//! (the task goes on at the server).
//!
//! [`ClientBuilder::tasks`]: super::ClientBuilder::tasks

use std::collections::HashSet;
use std::time::Duration;

use serde::de::DeserializeOwned;
use serde_json::value::RawValue;
use spate_protocol::jsonrpc::to_raw;
use spate_protocol::{
    CreateTaskResult, ErrorObject, GetTaskResult, InputResponses, JsonObject, Task, TaskStatus,
    methods,
};
use tokio::time::Instant;

use super::Client;
use super::input_rounds::answer_all;
use super::stamp::RequestStamp;
use crate::engine::{PeerError, RequestOptions};

/// The polling interval when the server suggests none.
const DEFAULT_POLL: Duration = Duration::from_millis(500);
/// The shortest and longest waits between polls, whatever the server suggests.
const POLL_BOUNDS: (Duration, Duration) = (Duration::from_millis(10), Duration::from_secs(30));

fn parse<T: DeserializeOwned>(what: &str, raw: &RawValue) -> Result<T, PeerError> {
    serde_json::from_str(raw.get()).map_err(|e| PeerError::Malformed(format!("{what}: {e}")))
}

fn task_params(id: &str) -> JsonObject {
    let mut params = JsonObject::new();
    params.insert("taskId".into(), id.into());
    params
}

impl Client {
    /// Follows the task a `CreateTaskResult` announced until it ends; returns its result.
    pub(super) async fn follow_task(
        &self,
        envelope: &RequestStamp,
        created: &RawValue,
        options: &RequestOptions,
    ) -> Result<Box<RawValue>, PeerError> {
        let created: CreateTaskResult = parse("tools/call: CreateTaskResult", created)?;
        let mut task = created.task;
        let id = task.task_id.clone();
        let deadline = Instant::now() + self.limits.task_wait;
        let cancel = options.cancel.clone().unwrap_or_default();
        let requests = RequestOptions {
            timeout: options.timeout,
            ..Default::default()
        };
        let mut answered = HashSet::new();
        loop {
            match task.status {
                TaskStatus::Completed => {
                    let result = task.result.ok_or_else(|| {
                        PeerError::Malformed(format!("task {id} completed without a result"))
                    })?;
                    return Ok(to_raw(&result));
                }
                TaskStatus::Failed => {
                    return Err(PeerError::Remote(task.error.unwrap_or_else(|| {
                        ErrorObject::internal(format!("task {id} failed without an error"))
                    })));
                }
                TaskStatus::Cancelled => return Err(PeerError::Cancelled),
                TaskStatus::InputRequired => {
                    self.answer_task(envelope, &mut task, &mut answered, &requests)
                        .await?;
                }
                TaskStatus::Working => {}
            }
            let wait = task
                .poll_interval_ms
                .map_or(DEFAULT_POLL, Duration::from_millis)
                .clamp(POLL_BOUNDS.0, POLL_BOUNDS.1);
            if Instant::now() + wait > deadline {
                return Err(PeerError::Timeout(self.limits.task_wait));
            }
            tokio::select! {
                () = tokio::time::sleep(wait) => {}
                () = cancel.cancelled() => {
                    let params = task_params(&id);
                    let cancelling = envelope.request(&self.peer, methods::TASKS_CANCEL, &params, requests.clone());
                    if let Err(e) = cancelling.await {
                        tracing::debug!("tasks/cancel {id}: {e}");
                    }
                    return Err(PeerError::Cancelled);
                }
            }
            let raw = envelope
                .request(
                    &self.peer,
                    methods::TASKS_GET,
                    &task_params(&id),
                    requests.clone(),
                )
                .await?;
            task = parse::<GetTaskResult>("tasks/get", &raw)?.task;
        }
    }

    /// Answers the questions of an `input_required` task not answered before, in one
    /// `tasks/update`.
    async fn answer_task(
        &self,
        envelope: &RequestStamp,
        task: &mut Task,
        answered: &mut HashSet<String>,
        options: &RequestOptions,
    ) -> Result<(), PeerError> {
        let open: Vec<_> = task
            .input_requests
            .take()
            .unwrap_or_default()
            .into_iter()
            .filter(|(key, _)| !answered.contains(key))
            .collect();
        if open.is_empty() {
            return Ok(()); // already answered; the server has not caught up yet
        }
        let what = format!("task {}", task.task_id);
        let responses: InputResponses = answer_all(&self.handlers, envelope.version(), &what, open)
            .await?
            .into_iter()
            .collect();
        answered.extend(responses.keys().cloned());
        let mut params = task_params(&task.task_id);
        params.insert(
            "inputResponses".into(),
            serde_json::to_value(&responses).unwrap_or_default(),
        );
        envelope
            .request(&self.peer, methods::TASKS_UPDATE, &params, options.clone())
            .await?;
        Ok(())
    }
}
