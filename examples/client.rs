//! A client for any MCP server: reach it over Streamable HTTP (a URL) or launch it as a child
//! process over stdio, list its tools, call one with JSON arguments and print the result.
//! Progress and log notifications are printed to stderr while the call runs; the result goes
//! to stdout. Exits with 1 when the tool reports an error (`isError`).
//!
//! ```sh
//! # client URL [TOOL [JSON]]   or   client --stdio [TOOL [JSON]] -- COMMAND ARGS…
//! cargo run -p spate-examples --example client -- http://127.0.0.1:8080/mcp countdown '{"from": 3}'
//! cargo run -p spate-examples --example client -- --stdio survey '{"cities": ["Oslo", "Lima"]}' \
//!     -- cargo run -q -p spate-examples --example weather_server
//! ```

use std::process::ExitCode;

use spate::client::{CallOptions, Client, EraChoice};
use spate::protocol::{LoggingLevel, LoggingMessageNotificationParams, methods};
use spate::transport::http::client::HttpClientOptions;
use spate::transport::stdio::StdioCommand;

const USAGE: &str =
    "usage: client URL [TOOL [JSON]]  or  client --stdio [TOOL [JSON]] -- COMMAND ARGS…";

/// Where the server is.
enum Target {
    Http(String),
    Stdio(Vec<String>),
}

/// What to do: connect to `target`, then call `tool` (if given) with `arguments`.
struct Plan {
    target: Target,
    tool: Option<String>,
    arguments: serde_json::Value,
}

fn plan(args: Vec<String>) -> Result<Plan, String> {
    // Everything after `--` is the server command; before it, the target and the call.
    let (words, command) = match args.iter().position(|a| a == "--") {
        Some(i) => (args[..i].to_vec(), Some(args[i + 1..].to_vec())),
        None => (args, None),
    };
    let mut words = words.into_iter();
    let target = match (words.next(), command) {
        (Some(flag), Some(command)) if flag == "--stdio" && !command.is_empty() => {
            Target::Stdio(command)
        }
        (Some(url), None) if url.starts_with("http://") || url.starts_with("https://") => {
            Target::Http(url)
        }
        _ => return Err(USAGE.into()),
    };
    let tool = words.next();
    let arguments = match words.next() {
        Some(json) => serde_json::from_str(&json)
            .map_err(|e| format!("the arguments must be a JSON object: {e}"))?,
        None => serde_json::json!({}),
    };
    if words.next().is_some() {
        return Err(USAGE.into());
    }
    Ok(Plan {
        target,
        tool,
        arguments,
    })
}

#[tokio::main]
async fn main() -> ExitCode {
    match run().await {
        Ok(code) => code,
        Err(e) => {
            eprintln!("client: {e}");
            ExitCode::from(2)
        }
    }
}

async fn run() -> Result<ExitCode, Box<dyn std::error::Error>> {
    let plan = plan(std::env::args().skip(1).collect())?;

    // Auto: 2026-07-28 with a server that speaks it, else the `initialize` handshake. A
    // 2026-07-28 server logs only to requests that ask for it, so ask for everything (a
    // handshake server sends every log until told otherwise).
    let builder = Client::builder("client-example", "1.0")
        .era(EraChoice::Auto)
        .log_level(LoggingLevel::Debug);
    let client = match plan.target {
        Target::Http(url) => {
            builder
                .connect_http(&url, HttpClientOptions::default())
                .await?
        }
        Target::Stdio(command) => {
            let (program, args) = command.split_first().ok_or(USAGE)?;
            builder
                .connect_stdio(StdioCommand::new(program, args))
                .await?
        }
    };
    let info = &client.server().server_info;
    println!(
        "connected to {} {} ({})",
        info.name,
        info.version,
        client.protocol_version()
    );

    // Subscribe before calling, so no notification of the call is missed.
    let mut notifications = client.notifications();
    let printer = tokio::spawn(async move {
        while let Ok(note) = notifications.recv().await {
            match note.parse_params::<LoggingMessageNotificationParams>() {
                Ok(log) if note.method == methods::NOTIFICATIONS_MESSAGE => {
                    let text = match log.data {
                        serde_json::Value::String(text) => text,
                        other => other.to_string(),
                    };
                    eprintln!("[{}] {text}", log.level);
                }
                _ => eprintln!("[{}]", note.method),
            }
        }
    });

    let outcome = async {
        for tool in client.list_all_tools().await? {
            let description = tool.description.unwrap_or_default();
            println!("tool {}: {description}", tool.name);
        }
        let Some(tool) = &plan.tool else {
            return Ok(None);
        };
        let options = CallOptions::with_progress(|p| {
            let total = p.total.map(|t| format!("/{t}")).unwrap_or_default();
            let message = p.message.map(|m| format!(" {m}")).unwrap_or_default();
            eprintln!("[progress] {}{total}{message}", p.progress);
        });
        client
            .call_tool(tool, plan.arguments.clone(), options)
            .await
            .map(Some)
    }
    .await;
    client.close().await;
    // The stream ends with the connection, after the notifications still queued are printed.
    let _ = printer.await;

    let Some(result) = outcome? else {
        return Ok(ExitCode::SUCCESS);
    };
    for block in &result.content {
        match block.as_text() {
            Some(text) => println!("{text}"),
            None => println!("{}", serde_json::to_string(block)?),
        }
    }
    if let Some(structured) = &result.structured_content {
        println!("structured: {structured}");
    }
    Ok(if result.is_error == Some(true) {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    })
}
