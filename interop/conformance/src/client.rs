//! `conformance-client`: the client the official conformance suite drives in client mode.
//!
//! The suite starts a mock server per scenario and runs this binary with the server URL as
//! the last argument, the scenario name in `MCP_CONFORMANCE_SCENARIO`, the protocol version
//! of the run in `MCP_CONFORMANCE_PROTOCOL_VERSION` and, for some scenarios, a JSON context
//! in `MCP_CONFORMANCE_CONTEXT` (the suite's README, "Client Testing"). A 2026-07-28 run
//! speaks the stateless era (no `initialize`; the envelope and SEP-2243 headers on every
//! request); an earlier version runs the `initialize` handshake. Each scenario is what an
//! application built on Spate's client would do; the verdict comes from what the mock saw
//! on the wire.
//!
//! A scenario this client does not know is left alone: it prints a note and exits 0, as the
//! suite asks (its checks then report what was not done). Exit status 1 means the flow itself
//! failed (connection, protocol error, unexpected result), with the reason on stderr.

mod client_auth;

use std::process::ExitCode;
use std::time::Duration;

use serde::Deserialize;
use serde_json::{Value, json};
use spate::client::{CallOptions, Client, ClientHandlers, EraChoice};
use spate::transport::http::client::HttpClientOptions;
use spate_protocol::{
    CallToolResult, CreateMessageResult, ElicitResult, Era, JsonObject, ProtocolVersion, Role,
    SamplingContentBlock,
};

/// The variable naming the scenario.
const SCENARIO_VAR: &str = "MCP_CONFORMANCE_SCENARIO";
/// The variable naming the protocol version of the run.
const VERSION_VAR: &str = "MCP_CONFORMANCE_PROTOCOL_VERSION";
/// The variable holding the scenario's context (JSON).
const CONTEXT_VAR: &str = "MCP_CONFORMANCE_CONTEXT";
/// Every scenario ends well before the suite's default 30 s timeout.
const DEADLINE: Duration = Duration::from_secs(25);

#[tokio::main]
async fn main() -> ExitCode {
    let Some(url) = std::env::args().skip(1).last() else {
        eprintln!("usage: {SCENARIO_VAR}=<scenario> conformance-client <server-url>");
        return ExitCode::from(2);
    };
    let scenario = std::env::var(SCENARIO_VAR).unwrap_or_default();
    let era = era_of(std::env::var(VERSION_VAR).ok().as_deref());
    let outcome = match tokio::time::timeout(DEADLINE, run(&scenario, era, &url)).await {
        Ok(outcome) => outcome,
        Err(_) => Err(format!("scenario took longer than {DEADLINE:?}")),
    };
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(problem) => {
            eprintln!("conformance-client: scenario {scenario:?}: {problem}");
            ExitCode::FAILURE
        }
    }
}

/// The era a run's protocol version stands for; without one, the client probes.
fn era_of(version: Option<&str>) -> EraChoice {
    match version
        .and_then(ProtocolVersion::parse)
        .map(ProtocolVersion::era)
    {
        Some(Era::Modern) => EraChoice::Modern,
        Some(Era::Legacy) => EraChoice::Legacy,
        None => EraChoice::Auto,
    }
}

async fn run(scenario: &str, era: EraChoice, url: &str) -> Result<(), String> {
    if client_auth::handles(scenario) {
        let context = std::env::var(CONTEXT_VAR).ok();
        return client_auth::run(scenario, era, url, context.as_deref()).await;
    }
    match scenario {
        "initialize" => {
            let client = connect(url, era, answering()).await?;
            list_tools(&client).await?;
            client.close().await;
            Ok(())
        }
        "tools_call" | "request-metadata" => {
            let client = connect(url, era, answering()).await?;
            list_tools(&client).await?;
            let result = call(&client, "add_numbers", json!({"a": 5, "b": 3})).await?;
            client.close().await;
            expect_success(&result)
        }
        "elicitation-sep1034-client-defaults" => {
            // Accept with nothing typed in: the client fills every defaulted field itself.
            let handlers = ClientHandlers::default().elicitation(false, |_params| async move {
                Ok(ElicitResult::accept(Default::default()))
            });
            let client = connect(url, era, handlers).await?;
            let result = call(&client, "test_client_elicitation_defaults", json!({})).await?;
            client.close().await;
            expect_success(&result)
        }
        "sse-retry" => {
            // The server closes the answer stream early; the transport resumes it after the
            // server's `retry` with GET + Last-Event-ID and reads the result there.
            let client = connect(url, era, ClientHandlers::default()).await?;
            let result = call(&client, "test_reconnection", json!({})).await?;
            client.close().await;
            expect_success(&result)
        }
        "sep-2322-client-request-state" => {
            // Each input_required round is answered by the elicitation handler and retried
            // by the client (new id, the state echoed); a result without resultType is final.
            let client = connect(url, era, answering()).await?;
            list_tools(&client).await?;
            for tool in [
                "test_mrtr_echo_state",
                "test_mrtr_unrelated",
                "test_mrtr_no_state",
                "test_mrtr_no_result_type",
            ] {
                expect_success(&call(&client, tool, json!({})).await?)?;
            }
            client.close().await;
            Ok(())
        }
        "http-standard-headers" => standard_headers(url, era).await,
        "http-custom-headers" => {
            // Replays the calls the scenario hands over, arguments exactly as given: the
            // transport mirrors the x-mcp-header ones into Mcp-Param-* headers.
            let calls = context_tool_calls()?;
            let client = connect(url, era, answering()).await?;
            list_tools(&client).await?;
            for ToolCall { name, arguments } in calls {
                expect_success(&call(&client, &name, arguments).await?)?;
            }
            client.close().await;
            Ok(())
        }
        "http-invalid-tool-headers" => {
            // Tools with invalid x-mcp-header annotations never reach the list; the valid
            // one is called.
            let client = connect(url, era, answering()).await?;
            let tools = list_tools(&client).await?;
            for tool in &tools {
                let arguments = placeholder_arguments(&tool.input_schema);
                expect_success(&call(&client, &tool.name, arguments).await?)?;
            }
            client.close().await;
            Ok(())
        }
        "json-schema-ref-no-deref" => {
            // Listing is all: a $ref to the network is kept as it is, never fetched.
            let client = connect(url, era, answering()).await?;
            list_tools(&client).await?;
            client.close().await;
            Ok(())
        }
        "json-schema-2020-12-preservation" => {
            let client = connect(url, era, answering()).await?;
            let tools = list_tools(&client).await?;
            let focal = tools
                .iter()
                .find(|t| t.name == "json_schema_2020_12_tool")
                .ok_or("the server listed no json_schema_2020_12_tool")?;
            let schema = Value::Object(focal.input_schema.clone());
            let result = call(&client, "json_schema_echo", json!({"schema": schema})).await?;
            client.close().await;
            expect_success(&result)
        }
        other => {
            println!("conformance-client: scenario {other:?} is not implemented; doing nothing");
            Ok(())
        }
    }
}

/// Lists and uses every tool, resource and prompt, so each method's headers are seen.
async fn standard_headers(url: &str, era: EraChoice) -> Result<(), String> {
    let client = connect(url, era, answering()).await?;
    for tool in list_tools(&client).await? {
        expect_success(&call(&client, &tool.name, json!({})).await?)?;
    }
    let resources = client
        .list_all_resources()
        .await
        .map_err(|e| format!("resources/list: {e}"))?;
    for resource in resources {
        client
            .read_resource(&resource.uri)
            .await
            .map_err(|e| format!("resources/read {}: {e}", resource.uri))?;
    }
    let prompts = client
        .list_all_prompts()
        .await
        .map_err(|e| format!("prompts/list: {e}"))?;
    for prompt in prompts {
        client
            .get_prompt(&prompt.name, [])
            .await
            .map_err(|e| format!("prompts/get {}: {e}", prompt.name))?;
    }
    client.close().await;
    Ok(())
}

/// One entry of the context's `toolCalls`.
#[derive(Deserialize)]
struct ToolCall {
    name: String,
    #[serde(default)]
    arguments: Value,
}

#[derive(Deserialize)]
struct Context {
    #[serde(rename = "toolCalls", default)]
    tool_calls: Vec<ToolCall>,
}

fn context_tool_calls() -> Result<Vec<ToolCall>, String> {
    let text = std::env::var(CONTEXT_VAR).map_err(|_| format!("{CONTEXT_VAR} is not set"))?;
    let context: Context =
        serde_json::from_str(&text).map_err(|e| format!("{CONTEXT_VAR} is not valid: {e}"))?;
    Ok(context.tool_calls)
}

/// A value for every required string, integer or boolean property.
fn placeholder_arguments(schema: &JsonObject) -> Value {
    let mut arguments = JsonObject::new();
    let required = schema.get("required").and_then(Value::as_array);
    let properties = schema.get("properties").and_then(Value::as_object);
    for name in required.into_iter().flatten().filter_map(Value::as_str) {
        let kind = properties
            .and_then(|p| p.get(name))
            .and_then(|p| p.get("type"))
            .and_then(Value::as_str);
        let value = match kind {
            Some("integer" | "number") => json!(1),
            Some("boolean") => json!(true),
            _ => json!("us-west1"),
        };
        arguments.insert(name.to_owned(), value);
    }
    Value::Object(arguments)
}

/// Handlers for every question a server may ask: elicitations are accepted with
/// `confirmed: true`, sampling answers a fixed text, and there are no roots.
fn answering() -> ClientHandlers {
    ClientHandlers::default()
        .elicitation(false, |_params| async move {
            let mut content = JsonObject::new();
            content.insert("confirmed".into(), json!(true));
            Ok(ElicitResult::accept(content))
        })
        .sampling(false, |_params| async move {
            Ok(CreateMessageResult {
                role: Role::Assistant,
                content: SamplingContentBlock::text("ok").into(),
                model: "spate-conformance-model".into(),
                stop_reason: None,
                meta: None,
            })
        })
        .roots(Vec::new())
}

async fn connect(url: &str, era: EraChoice, handlers: ClientHandlers) -> Result<Client, String> {
    Client::builder("spate-conformance-client", env!("CARGO_PKG_VERSION"))
        .era(era)
        .handlers(handlers)
        .connect_http(url, HttpClientOptions::default())
        .await
        .map_err(|e| format!("connect to {url}: {e}"))
}

async fn list_tools(client: &Client) -> Result<Vec<spate_protocol::Tool>, String> {
    client
        .list_all_tools()
        .await
        .map_err(|e| format!("tools/list: {e}"))
}

async fn call(client: &Client, tool: &str, arguments: Value) -> Result<CallToolResult, String> {
    client
        .call_tool(tool, arguments, CallOptions::default())
        .await
        .map_err(|e| format!("tools/call {tool}: {e}"))
}

fn expect_success(result: &CallToolResult) -> Result<(), String> {
    if result.is_error == Some(true) {
        return Err(format!("the tool reported an error: {:?}", result.content));
    }
    Ok(())
}
