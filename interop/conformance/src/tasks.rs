//! The fixtures of the tasks extension scenarios (the suite's `tasks-*`; the extension is
//! described at <https://modelcontextprotocol.io/extensions/tasks/overview>): a sync-only
//! tool and tools that run as tasks when the client takes them.

use std::time::Duration;

use serde::Deserialize;
use serde_json::json;
use spate::server::{Args, Context, ContextError, Server, TaskSupport, ToolEntry, ToolError};
use spate_protocol::{ElicitRequestParams, ElicitResult, ElicitationSchema, InputRequest};

use crate::schema::{NoArgs, no_args, strings, tool};

/// Registers the tools.
pub fn register(server: Server) -> Server {
    server
        .tool_entry(ToolEntry::with_tool(
            tool(
                "greet",
                "Greets someone at once (never a task)",
                strings(&[("name", "Who to greet")]),
            ),
            |Args(GreetArgs { name }): Args<GreetArgs>| async move {
                Ok(format!("Hello, {name}!"))
            },
        ))
        .tool_entry(
            ToolEntry::with_tool(
                tool(
                    "slow_compute",
                    "Works for `seconds` seconds, as a task when it can",
                    slow_schema(),
                ),
                slow_compute,
            )
            .task_support(TaskSupport::Optional),
        )
        .tool_entry(
            ToolEntry::with_tool(
                tool(
                    "failing_job",
                    "Runs only as a task and ends with a tool error",
                    no_args(),
                ),
                |Args(NoArgs {}): Args<NoArgs>| async move {
                    tokio::time::sleep(Duration::from_millis(500)).await;
                    Err::<String, _>("The job failed, as it always does".into())
                },
            )
            .task_support(TaskSupport::Required),
        )
        .tool_entry(
            ToolEntry::with_tool(
                tool(
                    "protocol_error_job",
                    "Fails with a protocol error (the handler panics)",
                    no_args(),
                ),
                protocol_error_job,
            )
            .task_support(TaskSupport::Optional),
        )
        .tool_entry(
            ToolEntry::with_tool(
                tool(
                    "confirm_delete",
                    "Asks the user to confirm before deleting a file",
                    strings(&[("filename", "The file to delete")]),
                ),
                confirm_delete,
            )
            .task_support(TaskSupport::Optional),
        )
        .tool_entry(
            ToolEntry::with_tool(
                tool("multi_input", "Asks two questions at once", no_args()),
                multi_input,
            )
            .task_support(TaskSupport::Optional),
        )
        .tool_entry(
            ToolEntry::with_tool(
                tool(
                    "test_tool_with_task",
                    "Asks the user's name first, then finishes as a task",
                    no_args(),
                ),
                tool_with_task,
            )
            .task_support(TaskSupport::Required)
            .starts_task_itself(),
        )
}

#[derive(Debug, Deserialize, schemars::JsonSchema)]
struct GreetArgs {
    name: String,
}

#[derive(Debug, Deserialize, schemars::JsonSchema)]
struct SlowArgs {
    #[serde(default)]
    seconds: f64,
    #[serde(default)]
    label: Option<String>,
}

fn slow_schema() -> serde_json::Value {
    json!({
        "type": "object",
        "properties": {
            "seconds": {"type": "number", "description": "How long to work"},
            "label": {"type": "string", "description": "A name for the job"}
        }
    })
}

/// The task-supporting tool most `tasks-*` scenarios run: sleeps, unless cancelled first.
async fn slow_compute(ctx: Context, Args(args): Args<SlowArgs>) -> Result<String, ToolError> {
    let wait = Duration::from_secs_f64(args.seconds.clamp(0.0, 600.0));
    tokio::select! {
        () = tokio::time::sleep(wait) => {}
        () = ctx.cancellation().cancelled() => return Err("cancelled".into()),
    }
    let label = args.label.unwrap_or_else(|| "job".to_owned());
    Ok(format!("Computed {label} in {} s", args.seconds))
}

/// `tasks-lifecycle`: a failure that is not a tool error. A panicking handler is the server's own
/// failure; the task records it as `failed` with a JSON-RPC error.
async fn protocol_error_job(Args(NoArgs {}): Args<NoArgs>) -> Result<String, ToolError> {
    tokio::time::sleep(Duration::from_millis(200)).await;
    std::panic::panic_any("protocol_error_job fails on purpose");
}

fn confirm(message: String) -> InputRequest {
    let schema: ElicitationSchema = serde_json::from_value(json!({
        "type": "object",
        "properties": {"confirm": {"type": "boolean", "description": "Go ahead?"}},
        "required": ["confirm"]
    }))
    .expect("a valid form");
    InputRequest::Elicit {
        params: ElicitRequestParams::form(message, schema),
    }
}

async fn answer(ctx: &Context, key: &str, message: String) -> Result<ElicitResult, ContextError> {
    let value = ctx.ask_input(key, confirm(message)).await?;
    serde_json::from_value(value)
        .map_err(|e| ContextError::Peer(spate::engine::PeerError::Malformed(e.to_string())))
}

fn confirmed(answer: &ElicitResult) -> bool {
    answer
        .content
        .as_ref()
        .and_then(|c| c.get("confirm"))
        .and_then(serde_json::Value::as_bool)
        .unwrap_or(false)
}

#[derive(Debug, Deserialize, schemars::JsonSchema)]
struct DeleteArgs {
    filename: String,
}

/// `tasks-mrtr-input`: one question; the task waits in `input_required` for it.
async fn confirm_delete(ctx: Context, Args(args): Args<DeleteArgs>) -> Result<String, ToolError> {
    let reply = answer(&ctx, "confirm_delete", format!("Delete {}?", args.filename)).await?;
    Ok(if confirmed(&reply) {
        format!("Deleted {}", args.filename)
    } else {
        format!("Kept {}", args.filename)
    })
}

/// `tasks-mrtr-input`: two questions outstanding at once.
async fn multi_input(ctx: Context, Args(NoArgs {}): Args<NoArgs>) -> Result<String, ToolError> {
    let (first, second) = tokio::join!(
        answer(&ctx, "first_question", "First: proceed?".to_owned()),
        answer(
            &ctx,
            "second_question",
            "Second: really proceed?".to_owned()
        ),
    );
    let (first, second) = (first?, second?);
    Ok(format!(
        "first={}, second={}",
        confirmed(&first),
        confirmed(&second)
    ))
}

/// `tasks-mrtr-composition`: the name through an `input_required` round (no task yet), then a task.
async fn tool_with_task(ctx: Context, Args(NoArgs {}): Args<NoArgs>) -> Result<String, ToolError> {
    let schema: ElicitationSchema = serde_json::from_value(json!({
        "type": "object",
        "properties": {"name": {"type": "string"}},
        "required": ["name"]
    }))
    .expect("a valid form");
    let request = InputRequest::Elicit {
        params: ElicitRequestParams::form("What is your name?".to_owned(), schema),
    };
    let value = ctx.ask_input("user_name", request).await?;
    let reply: ElicitResult = serde_json::from_value(value)?;
    let name = reply
        .content
        .as_ref()
        .and_then(|c| c.get("name"))
        .and_then(serde_json::Value::as_str)
        .unwrap_or("stranger")
        .to_owned();
    ctx.start_task().await?;
    tokio::time::sleep(Duration::from_millis(200)).await;
    Ok(format!("Hello, {name}! (finished as a task)"))
}
