//! The demo server `spate serve` runs until the event hub arrives: the tools, resources and
//! prompts that MCP guides use as their first examples.

use std::collections::BTreeMap;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use spate::server::{
    Args, Context, EventEntry, PromptEntry, ResourceEntry, Server, ServerConfig, Structured,
    TemplateEntry, ToolError, Uri, prefix_matches,
};
use spate_protocol::{
    ContentBlock, CreateMessageRequestParams, ElicitRequestParams, ElicitationSchema, ErrorObject,
    GetPromptResult, Implementation, Prompt, PromptArgument, PromptMessage, Resource,
    ResourceContents, ResourceTemplate, Role, SamplingMessage, TextResourceContents,
};

/// Arguments of `calculate`.
#[derive(Debug, Deserialize, JsonSchema)]
struct Calculate {
    /// The first addend.
    a: f64,
    /// The second addend.
    b: f64,
}

/// Structured output of `calculate`.
#[derive(Debug, Serialize, JsonSchema)]
struct Sum {
    /// `a + b`.
    result: f64,
}

/// Arguments of `process_files`.
#[derive(Debug, Deserialize, JsonSchema)]
struct ProcessFiles {
    /// The files to process, in order.
    files: Vec<String>,
    /// Milliseconds to wait between files (default 0).
    #[serde(default)]
    delay_ms: Option<u64>,
}

/// Arguments of `ask_model`.
#[derive(Debug, Deserialize, JsonSchema)]
struct AskModel {
    /// What to ask the client's model.
    prompt: String,
}

/// Arguments of `confirm_action`.
#[derive(Debug, Deserialize, JsonSchema)]
struct ConfirmAction {
    /// The action the user is asked to confirm.
    action: String,
}

/// The longest pause `process_files` accepts between files, so a call cannot park a task for hours.
const MAX_DELAY_MS: u64 = 60_000;

/// How often the `demo://clock` resource changes.
const CLOCK_PERIOD: Duration = Duration::from_secs(5);

const NAMES: [&str; 6] = ["Ada", "Alan", "Barbara", "Grace", "Katherine", "Linus"];

/// Builds the demo server.
pub fn server(config: ServerConfig) -> Server {
    let info = Implementation {
        title: Some("Spate demo server".into()),
        description: Some("Example tools, resources and prompts served by `spate serve`".into()),
        ..Implementation::new("spate", env!("CARGO_PKG_VERSION"))
    };
    let instructions =
        "Try `calculate` with a and b, or `process_files` to watch progress and logs.";
    Server::with_info(info, Some(instructions.into()), config)
        .tool("calculate", "Add two numbers", |Args(Calculate { a, b }): Args<Calculate>| async move {
            let result = a + b;
            Ok(Structured {
                text: format!("Result: {result}"),
                value: Sum { result },
            })
        })
        .tool("process_files", "Process files one by one, reporting progress and logging each", process_files)
        .tool("ask_model", "Ask the client's model (sampling) and return its answer", ask_model)
        .tool("confirm_action", "Ask the user to confirm an action (elicitation)", confirm_action)
        .resource(ResourceEntry::text(
            Resource {
                uri: "demo://readme".into(),
                name: "readme".into(),
                title: Some("About this server".into()),
                mime_type: Some("text/markdown".into()),
                ..Default::default()
            },
            "# Spate demo\n\nTools: `calculate`, `process_files`. Subscribe to `demo://clock` to see updates.\n",
        ))
        .resource(ResourceEntry::dynamic(
            Resource {
                uri: "demo://clock".into(),
                name: "clock".into(),
                title: Some("The server's clock".into()),
                description: Some(format!("Seconds since the Unix epoch; changes every {} s", CLOCK_PERIOD.as_secs())),
                mime_type: Some("text/plain".into()),
                ..Default::default()
            },
            |Uri(uri): Uri| async move { Ok(vec![text_contents(uri, clock_now().to_string())]) },
        ))
        .resource_template(
            TemplateEntry::new(
                ResourceTemplate {
                    uri_template: "demo://greeting/{name}".into(),
                    name: "greeting".into(),
                    description: Some("A greeting for a name".into()),
                    mime_type: Some("text/plain".into()),
                    ..Default::default()
                },
                |Uri(uri): Uri, vars: BTreeMap<String, String>| async move {
                    let name = vars.get("name").cloned().unwrap_or_default();
                    Ok(vec![text_contents(uri, format!("Hello, {name}!"))])
                },
            )
            .expect("the greeting template is valid")
            .complete("name", |prefix, _| prefix_matches(NAMES, prefix)),
        )
        .prompt(
            PromptEntry::new(
                Prompt {
                    name: "summarize".into(),
                    description: Some("Summarize a text".into()),
                    arguments: Some(vec![
                        argument("text", "The text to summarize", true),
                        argument("style", "brief, detailed or bullet-points", false),
                    ]),
                    ..Default::default()
                },
                |args: BTreeMap<String, String>| async move { Ok(summarize(&args)) },
            )
            .complete("style", |prefix, _| prefix_matches(["brief", "detailed", "bullet-points"], prefix)),
        )
        .prompt(
            PromptEntry::new(
                Prompt {
                    name: "greet".into(),
                    description: Some("Greet someone".into()),
                    arguments: Some(vec![argument("name", "Who to greet", true)]),
                    ..Default::default()
                },
                |args: BTreeMap<String, String>| async move {
                    let name = args.get("name").cloned().unwrap_or_default();
                    Ok::<_, ErrorObject>(GetPromptResult {
                        description: Some("A greeting".into()),
                        messages: vec![user_message(format!("Please greet {name} warmly."))],
                        ..Default::default()
                    })
                },
            )
            .complete("name", |prefix, _| prefix_matches(NAMES, prefix)),
        )
        .event(EventEntry::unfiltered::<Tick>(
            CLOCK_TICK,
            "The demo clock ticked (every 5 s): a trigger to poll, stream or take by webhook",
        ))
}

/// The event type the demo clock emits.
const CLOCK_TICK: &str = "clock.tick";

/// What a `clock.tick` occurrence carries.
#[derive(Debug, Serialize, JsonSchema)]
struct Tick {
    /// The Unix time of the tick, in seconds.
    unix: u64,
}

/// Starts the task that changes `demo://clock`, tells its subscribers, and emits
/// `clock.tick`.
pub fn start_clock(server: &Server) {
    let handle = server.handle();
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(CLOCK_PERIOD);
        tick.tick().await;
        loop {
            tick.tick().await;
            handle.resource_updated("demo://clock");
            let unix = SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .map_or(0, |d| d.as_secs());
            if let Err(e) = handle.emit(CLOCK_TICK, &Tick { unix }, None).await {
                tracing::warn!("clock.tick not recorded: {e}");
            }
        }
    });
}

async fn process_files(ctx: Context, Args(p): Args<ProcessFiles>) -> Result<String, ToolError> {
    let delay = Duration::from_millis(p.delay_ms.unwrap_or(0).min(MAX_DELAY_MS));
    let n = p.files.len();
    for (i, file) in p.files.iter().enumerate() {
        if ctx.is_cancelled() {
            return Err("cancelled".into());
        }
        ctx.info(format!("Processing document {}/{n}", i + 1))
            .await?;
        ctx.progress(
            (i + 1) as f64,
            Some(n as f64),
            Some(format!("Processing {file}")),
        )
        .await?;
        if !delay.is_zero() && i + 1 < n {
            tokio::select! {
                () = tokio::time::sleep(delay) => {}
                () = ctx.cancellation().cancelled() => return Err("cancelled".into()),
            }
        }
    }
    Ok(format!(
        "Done: processed {n} files ({})",
        p.files.join(", ")
    ))
}

async fn ask_model(ctx: Context, Args(p): Args<AskModel>) -> Result<String, ToolError> {
    let request = CreateMessageRequestParams {
        messages: vec![SamplingMessage::text(Role::User, p.prompt)],
        max_tokens: 200,
        ..Default::default()
    };
    let reply = ctx.sample(request).await?;
    Ok(format!(
        "Model ({}) said: {}",
        reply.model,
        reply.content.texts().join(" ")
    ))
}

async fn confirm_action(ctx: Context, Args(p): Args<ConfirmAction>) -> Result<String, ToolError> {
    let schema: ElicitationSchema = serde_json::from_value(serde_json::json!({
        "type": "object",
        "properties": {
            "confirm": {"type": "boolean", "title": "Confirm", "default": false},
            "note": {"type": "string", "title": "Note", "default": ""}
        },
        "required": ["confirm"]
    }))?;
    let answer = ctx
        .elicit(ElicitRequestParams::form(
            format!("Do you want to {}?", p.action),
            schema,
        ))
        .await?;
    let action = serde_json::to_value(answer.action).unwrap_or_default();
    let content = serde_json::Value::Object(answer.content.unwrap_or_default());
    Ok(format!(
        "User {}: {content}",
        action.as_str().unwrap_or("answered")
    ))
}

fn summarize(args: &BTreeMap<String, String>) -> GetPromptResult {
    let text = args.get("text").map(String::as_str).unwrap_or_default();
    let style = args.get("style").map(String::as_str).unwrap_or("brief");
    GetPromptResult {
        description: Some(format!("A {style} summary")),
        messages: vec![user_message(format!(
            "Summarize the following text ({style}):\n\n{text}"
        ))],
        ..Default::default()
    }
}

fn argument(name: &str, description: &str, required: bool) -> PromptArgument {
    PromptArgument {
        name: name.into(),
        description: Some(description.into()),
        required: Some(required),
        ..Default::default()
    }
}

fn user_message(text: String) -> PromptMessage {
    PromptMessage {
        role: Role::User,
        content: ContentBlock::text(text),
    }
}

fn text_contents(uri: String, text: String) -> ResourceContents {
    ResourceContents::Text(TextResourceContents {
        uri,
        mime_type: Some("text/plain".into()),
        text,
        meta: None,
    })
}

fn clock_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}
