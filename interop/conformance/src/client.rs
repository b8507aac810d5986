//! `conformance-client`: the client the official conformance suite drives in client mode.
//!
//! The suite starts a mock server per scenario and runs this binary with the server URL as
//! the last argument and the scenario name in `MCP_CONFORMANCE_SCENARIO`
//! (`shared/spec/INTEROP.md` part two §6). Each scenario is what an application built on
//! Spate's client would do; the verdict comes from what the mock saw on the wire.
//!
//! A scenario this client does not know is left alone: it prints a note and exits 0, as the
//! suite asks (its checks then report what was not done). Exit status 1 means the flow itself
//! failed (connection, protocol error, unexpected result), with the reason on stderr.

use std::process::ExitCode;
use std::time::Duration;

use serde_json::{Value, json};
use spate::client::{CallOptions, Client, ClientHandlers};
use spate::http_client::HttpClientOptions;
use spate_protocol::{CallToolResult, ElicitResult};

/// The variable naming the scenario.
const SCENARIO_VAR: &str = "MCP_CONFORMANCE_SCENARIO";
/// Every scenario ends well before the suite's default 30 s timeout.
const DEADLINE: Duration = Duration::from_secs(25);

#[tokio::main]
async fn main() -> ExitCode {
    let Some(url) = std::env::args().skip(1).last() else {
        eprintln!("usage: {SCENARIO_VAR}=<scenario> conformance-client <server-url>");
        return ExitCode::from(2);
    };
    let scenario = std::env::var(SCENARIO_VAR).unwrap_or_default();
    let outcome = match tokio::time::timeout(DEADLINE, run(&scenario, &url)).await {
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

async fn run(scenario: &str, url: &str) -> Result<(), String> {
    match scenario {
        "initialize" => {
            let client = connect(url, ClientHandlers::default()).await?;
            client.list_all_tools().await.map_err(|e| e.to_string())?;
            client.close().await;
            Ok(())
        }
        "tools_call" => {
            let client = connect(url, ClientHandlers::default()).await?;
            client.list_all_tools().await.map_err(|e| e.to_string())?;
            let result = call(&client, "add_numbers", json!({"a": 5, "b": 3})).await?;
            client.close().await;
            expect_success(&result)
        }
        "elicitation-sep1034-client-defaults" => {
            // Accept with nothing typed in: the client fills every defaulted field itself.
            let handlers = ClientHandlers::default().elicitation(false, |_params| async move {
                Ok(ElicitResult::accept(Default::default()))
            });
            let client = connect(url, handlers).await?;
            let result = call(&client, "test_client_elicitation_defaults", json!({})).await?;
            client.close().await;
            expect_success(&result)
        }
        "sse-retry" => {
            // The server closes the answer stream early; the transport resumes it after the
            // server's `retry` with GET + Last-Event-ID and reads the result there.
            let client = connect(url, ClientHandlers::default()).await?;
            let result = call(&client, "test_reconnection", json!({})).await?;
            client.close().await;
            expect_success(&result)
        }
        other => {
            println!("conformance-client: scenario {other:?} is not implemented; doing nothing");
            Ok(())
        }
    }
}

async fn connect(url: &str, handlers: ClientHandlers) -> Result<Client, String> {
    Client::builder("spate-conformance-client", env!("CARGO_PKG_VERSION"))
        .handlers(handlers)
        .connect_http(url, HttpClientOptions::default())
        .await
        .map_err(|e| format!("connect to {url}: {e}"))
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
