//! Tools that talk to the client while they run: progress, logs, sampling, elicitation
//! (the suite's `tools-call-with-progress`, `tools-call-with-logging`, `tools-call-sampling`,
//! `tools-call-elicitation`, `elicitation-sep1034-defaults`, `elicitation-sep1330-enums` and
//! `server-sse-polling`). Everything they send travels with the call, so over Streamable HTTP
//! it lands on the call's own SSE stream.

use std::time::Duration;

use serde::Deserialize;
use serde_json::{Value, json};
use spate::server::{Args, Context, Server, ToolEntry, ToolError};
use spate_protocol::{
    CreateMessageRequestParams, ElicitRequestParams, ElicitResult, ElicitationSchema, Role,
    SamplingMessage,
};

use crate::schema::{NoArgs, no_args, strings, tool};

/// The pause between the steps of the progress and logging tools (the suite says ~50 ms).
const STEP: Duration = Duration::from_millis(50);

/// How long `test_reconnection` works before it answers.
const RECONNECTION_WORK: Duration = Duration::from_millis(200);

/// Registers the interactive tools.
pub fn register(server: Server) -> Server {
    server
        .tool_entry(ToolEntry::with_tool(
            tool(
                "test_tool_with_progress",
                "Reports progress 0, 50 and 100 of 100, about 50 ms apart",
                no_args(),
            ),
            with_progress,
        ))
        .tool_entry(ToolEntry::with_tool(
            tool(
                "test_tool_with_logging",
                "Sends three info log messages, about 50 ms apart, while it runs",
                no_args(),
            ),
            with_logging,
        ))
        .tool_entry(ToolEntry::with_tool(
            tool(
                "test_sampling",
                "Asks the client's model to answer a prompt (sampling/createMessage)",
                strings(&[("prompt", "The prompt to send to the LLM")]),
            ),
            sampling,
        ))
        .tool_entry(ToolEntry::with_tool(
            tool(
                "test_elicitation",
                "Asks the user for a username and an email address (elicitation/create)",
                strings(&[("message", "The message to show the user")]),
            ),
            elicitation,
        ))
        .tool_entry(ToolEntry::with_tool(
            tool(
                "test_elicitation_sep1034_defaults",
                "Elicits a form whose string, integer, number, enum and boolean fields have defaults (SEP-1034)",
                no_args(),
            ),
            |ctx: Context, Args(NoArgs {}): Args<NoArgs>| {
                elicit_form(ctx, "Please review and update the form fields with defaults", sep1034_schema())
            },
        ))
        .tool_entry(ToolEntry::with_tool(
            tool(
                "test_elicitation_sep1330_enums",
                "Elicits a form with all five enum schema variants (SEP-1330)",
                no_args(),
            ),
            |ctx: Context, Args(NoArgs {}): Args<NoArgs>| {
                elicit_form(ctx, "Please select options from the enum fields", sep1330_schema())
            },
        ))
        .tool_entry(ToolEntry::with_tool(
            tool(
                "test_reconnection",
                "Works for a moment before answering, so a client can reconnect to its stream (SEP-1699)",
                no_args(),
            ),
            reconnection,
        ))
}

/// Waits `duration`, or fails when the client cancels the call.
async fn pause(ctx: &Context, duration: Duration) -> Result<(), ToolError> {
    tokio::select! {
        () = tokio::time::sleep(duration) => Ok(()),
        () = ctx.cancellation().cancelled() => Err("cancelled by the client".into()),
    }
}

/// `tools-call-with-progress`. Progress goes out only when the call carried a progress
/// token; the steps take their time either way.
async fn with_progress(ctx: Context, Args(NoArgs {}): Args<NoArgs>) -> Result<String, ToolError> {
    for (step, progress) in [0.0, 50.0, 100.0].into_iter().enumerate() {
        if step > 0 {
            pause(&ctx, STEP).await?;
        }
        ctx.progress(
            progress,
            Some(100.0),
            Some(format!("Completed step {progress} of 100")),
        )
        .await?;
    }
    Ok("Progress test completed: reported 0, 50 and 100 of 100".to_owned())
}

/// `tools-call-with-logging`. The suite first sets the level to `debug`, so all three pass.
async fn with_logging(ctx: Context, Args(NoArgs {}): Args<NoArgs>) -> Result<String, ToolError> {
    let messages = [
        "Tool execution started",
        "Tool processing data",
        "Tool execution completed",
    ];
    for (step, message) in messages.into_iter().enumerate() {
        if step > 0 {
            pause(&ctx, STEP).await?;
        }
        ctx.info(message).await?;
    }
    Ok("Tool with logging executed successfully".to_owned())
}

#[derive(Debug, Deserialize, schemars::JsonSchema)]
struct SamplingArgs {
    prompt: String,
}

/// `tools-call-sampling`: `sampling/createMessage` with the prompt as one user message and
/// `maxTokens: 100`.
async fn sampling(ctx: Context, Args(args): Args<SamplingArgs>) -> Result<String, ToolError> {
    let request = CreateMessageRequestParams {
        messages: vec![SamplingMessage::text(Role::User, args.prompt)],
        max_tokens: 100,
        ..Default::default()
    };
    let reply = ctx.sample(request).await?;
    Ok(format!(
        "LLM response: {}",
        reply.content.texts().join("\n")
    ))
}

#[derive(Debug, Deserialize, schemars::JsonSchema)]
struct ElicitationArgs {
    message: String,
}

/// `tools-call-elicitation`: a form asking for a username and an email, both required.
async fn elicitation(ctx: Context, Args(args): Args<ElicitationArgs>) -> Result<String, ToolError> {
    let schema = form(json!({
        "type": "object",
        "properties": {
            "username": {"type": "string", "description": "User's response"},
            "email": {"type": "string", "description": "User's email address"}
        },
        "required": ["username", "email"]
    }))?;
    let answer = ask(&ctx, args.message, schema).await?;
    Ok(format!("User response: {}", describe(&answer)))
}

/// The SEP-1034 and SEP-1330 elicitation tools: elicit a form and report what came back.
async fn elicit_form(
    ctx: Context,
    message: &'static str,
    schema: Value,
) -> Result<String, ToolError> {
    let answer = ask(&ctx, message.to_owned(), form(schema)?).await?;
    Ok(format!("Elicitation completed: {}", describe(&answer)))
}

/// `elicitation-sep1034-defaults` (SEP-1034): a default for each primitive type; nothing
/// required.
fn sep1034_schema() -> Value {
    json!({
        "type": "object",
        "properties": {
            "name": {"type": "string", "description": "User name", "default": "John Doe"},
            "age": {"type": "integer", "description": "User age", "default": 30},
            "score": {"type": "number", "description": "User score", "default": 95.5},
            "status": {
                "type": "string",
                "description": "User status",
                "enum": ["active", "inactive", "pending"],
                "default": "active"
            },
            "verified": {"type": "boolean", "description": "Verification status", "default": true}
        },
        "required": []
    })
}

/// `elicitation-sep1330-enums` (SEP-1330): untitled and titled single-select, the legacy
/// `enumNames` form, and untitled and titled multi-select.
fn sep1330_schema() -> Value {
    json!({
        "type": "object",
        "properties": {
            "untitledSingle": {
                "type": "string",
                "description": "Choose one option",
                "enum": ["option1", "option2", "option3"]
            },
            "titledSingle": {
                "type": "string",
                "description": "Choose one titled option",
                "oneOf": [
                    {"const": "value1", "title": "First Option"},
                    {"const": "value2", "title": "Second Option"},
                    {"const": "value3", "title": "Third Option"}
                ]
            },
            "legacyEnum": {
                "type": "string",
                "description": "Choose one option (legacy titled enum)",
                "enum": ["opt1", "opt2", "opt3"],
                "enumNames": ["Option One", "Option Two", "Option Three"]
            },
            "untitledMulti": {
                "type": "array",
                "description": "Choose one to three options",
                "minItems": 1,
                "maxItems": 3,
                "items": {"type": "string", "enum": ["option1", "option2", "option3"]}
            },
            "titledMulti": {
                "type": "array",
                "description": "Choose one to three titled options",
                "minItems": 1,
                "maxItems": 3,
                "items": {
                    "anyOf": [
                        {"const": "value1", "title": "First Choice"},
                        {"const": "value2", "title": "Second Choice"},
                        {"const": "value3", "title": "Third Choice"}
                    ]
                }
            }
        },
        "required": []
    })
}

/// Parses a form schema written as JSON (a bug in a fixture, not a runtime condition).
fn form(schema: Value) -> Result<ElicitationSchema, ToolError> {
    serde_json::from_value(schema)
        .map_err(|e| ToolError::failed(format!("invalid fixture form schema: {e}")))
}

async fn ask(
    ctx: &Context,
    message: String,
    schema: ElicitationSchema,
) -> Result<ElicitResult, ToolError> {
    Ok(ctx
        .elicit(ElicitRequestParams::form(message, schema))
        .await?)
}

/// `action=<accept|decline|cancel>, content=<JSON object>`.
fn describe(answer: &ElicitResult) -> String {
    let action = serde_json::to_value(answer.action).unwrap_or_default();
    let content = Value::Object(answer.content.clone().unwrap_or_default());
    format!(
        "action={}, content={content}",
        action.as_str().unwrap_or("unknown")
    )
}

/// SEP-1699 (pending scenario `server-sse-polling`): the server ends the POST stream's
/// connection at once (after the priming event and its `retry` hint), goes on working, and the
/// result reaches the client on its `GET` with `Last-Event-ID`.
async fn reconnection(ctx: Context, Args(NoArgs {}): Args<NoArgs>) -> Result<String, ToolError> {
    ctx.close_stream().await?;
    pause(&ctx, RECONNECTION_WORK).await?;
    Ok("Reconnection test completed".to_owned())
}
