//! `spate call` and `spate tools`: talk to any MCP server and print what it says.

use std::io::IsTerminal;
use std::process::ExitCode;
use std::time::Duration;

use clap::{Args, ValueEnum};
use spate::client::{CallOptions, Client, EraChoice};
use spate::transport::http::client::{HttpClientOptions, HttpTransportMode};
use spate::transport::stdio::StdioCommand;
use spate_protocol::{
    CallToolResult, ContentBlock, LoggingLevel, LoggingMessageNotificationParams, methods,
};

use crate::login::OAuthArgs;
use crate::tool_args;

/// Where the server is and how to reach it.
#[derive(Debug, Args)]
pub(crate) struct TargetArgs {
    /// Launch the server as a child process and talk over its stdin/stdout
    /// (`-- <server command…>`); without it the first word is the server's URL.
    #[arg(long)]
    stdio: bool,
    /// Speak the old HTTP+SSE transport (2024-11-05); the URL is its SSE endpoint.
    #[arg(long, conflicts_with = "stdio")]
    sse: bool,
    /// Send `Authorization: Bearer TOKEN` (also SPATE_BEARER_TOKEN).
    #[arg(
        long,
        env = "SPATE_BEARER_TOKEN",
        hide_env_values = true,
        conflicts_with = "stdio"
    )]
    bearer_token: Option<String>,
    #[command(flatten)]
    oauth: OAuthArgs,
    /// Give up on a call after this many seconds without progress.
    #[arg(long, default_value_t = 60)]
    timeout: u64,
    /// The protocol era: `auto` asks the server (`server/discover`) and falls back to the
    /// `initialize` handshake; `legacy` or `modern` (2026-07-28) force one.
    #[arg(long, value_enum, default_value_t = Era::Auto)]
    era: Era,
}

/// `--era`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Era {
    /// Probe with server/discover, fall back to initialize.
    Auto,
    /// The initialize handshake (2024-11-05 … 2025-11-25).
    Legacy,
    /// 2026-07-28, stateless.
    Modern,
}

impl TargetArgs {
    /// The era to speak: HTTP+SSE is a 2024-11-05 transport, so `--sse` means legacy.
    fn era(&self) -> Result<EraChoice, String> {
        match (self.era, self.sse) {
            (Era::Modern, true) => {
                Err("--sse is the 2024-11-05 transport; it cannot speak --era modern".into())
            }
            (_, true) | (Era::Legacy, false) => Ok(EraChoice::Legacy),
            (Era::Auto, false) => Ok(EraChoice::Auto),
            (Era::Modern, false) => Ok(EraChoice::Modern),
        }
    }
}

/// `spate call`.
#[derive(Debug, Args)]
pub struct CallArgs {
    #[command(flatten)]
    target: TargetArgs,
    /// Print the whole result as JSON instead of its text.
    #[arg(long)]
    json: bool,
    /// `URL <tool> key=value…`, or with --stdio `-- <server command…> <tool> key=value…`
    #[arg(trailing_var_arg = true, allow_hyphen_values = true, required = true)]
    words: Vec<String>,
}

/// `spate tools`.
#[derive(Debug, Args)]
pub struct ToolsArgs {
    #[command(flatten)]
    target: TargetArgs,
    /// Print the tools as JSON.
    #[arg(long)]
    json: bool,
    /// `URL`, or with --stdio `-- <server command…>`
    #[arg(trailing_var_arg = true, allow_hyphen_values = true, required = true)]
    words: Vec<String>,
}

/// Connects to the server `server` names (a URL, or with `--stdio` a command) as `target` says.
pub(crate) async fn connect(target: &TargetArgs, server: &[String]) -> Result<Client, String> {
    let mut config = spate::engine::PeerConfig::default();
    config.request_timeout = Duration::from_secs(target.timeout);
    // A 2026-07-28 server sends logs only to requests that ask: ask for all of them, as a
    // legacy server sends them unasked.
    let builder = Client::builder("spate-cli", env!("CARGO_PKG_VERSION"))
        .config(config)
        .era(target.era()?)
        .log_level(LoggingLevel::Debug);
    if target.stdio {
        let (program, args) = server.split_first().ok_or("missing server command")?;
        return builder
            .connect_stdio(StdioCommand::new(program, args))
            .await
            .map_err(|e| format!("could not connect to {program}: {e}"));
    }
    let [url] = server else {
        return Err(
            "expected one server URL (or --stdio -- <server command…>), e.g. spate call http://127.0.0.1:8080/mcp calculate a=1 b=2"
                .into(),
        );
    };
    if !(url.starts_with("http://") || url.starts_with("https://")) {
        return Err(format!(
            "{url:?} is not an http(s) URL; to launch a server command use --stdio -- <command…>"
        ));
    }
    // OAuth unless a token is given: stored tokens are used, and a 401 starts a browser
    // login when a user is at the terminal.
    let oauth = match target.bearer_token {
        Some(_) => None,
        None => target.oauth.client(url, std::io::stdin().is_terminal())?,
    };
    let options = {
        let mut config = HttpClientOptions::default();
        config.bearer_token = target.bearer_token.clone();
        config.oauth = oauth;
        config.mode = if target.sse {
            HttpTransportMode::LegacySse
        } else {
            HttpTransportMode::Auto
        };
        config
    };
    builder
        .connect_http(url, options)
        .await
        .map_err(|e| format!("could not connect to {url}: {e}"))
}

/// Prints log and other notifications to stderr as they arrive, until the client closes.
fn show_notifications(client: &Client) -> tokio::task::JoinHandle<()> {
    let mut stream = client.notifications();
    tokio::spawn(async move {
        while let Ok(note) = stream.recv().await {
            if note.method == methods::NOTIFICATIONS_MESSAGE {
                if let Ok(log) = note.parse_params::<LoggingMessageNotificationParams>() {
                    let text = log
                        .data
                        .as_str()
                        .map_or_else(|| log.data.to_string(), str::to_owned);
                    let logger = log.logger.map(|l| format!(" {l}")).unwrap_or_default();
                    eprintln!(
                        "[{}{logger}] {text}",
                        serde_json::to_value(log.level)
                            .unwrap_or_default()
                            .as_str()
                            .unwrap_or("log")
                    );
                }
            } else {
                eprintln!("[{}]", note.method);
            }
        }
    })
}

/// Runs `spate call`.
pub async fn run_call(args: CallArgs) -> Result<ExitCode, String> {
    let (command, tool, words) = tool_args::split_command_tool_args(&args.words)?;
    let client = connect(&args.target, command).await?;
    let printer = show_notifications(&client);
    let outcome = call_tool(&client, tool, words).await;
    client.close().await;
    printer.abort();
    let result = outcome?;
    if args.json {
        println!(
            "{}",
            serde_json::to_string_pretty(&result).unwrap_or_default()
        );
    } else {
        print_result(&result);
    }
    Ok(if result.is_error == Some(true) {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    })
}

async fn call_tool(
    client: &Client,
    tool: &str,
    words: &[String],
) -> Result<CallToolResult, String> {
    let tools = client
        .list_all_tools()
        .await
        .map_err(|e| format!("tools/list failed: {e}"))?;
    let schema = tools
        .iter()
        .find(|t| t.name == tool)
        .map(|t| &t.input_schema);
    if schema.is_none() {
        let names: Vec<&str> = tools.iter().map(|t| t.name.as_str()).collect();
        return Err(format!(
            "the server has no tool {tool:?}; it has: {}",
            names.join(", ")
        ));
    }
    let arguments = tool_args::parse(words, schema)?;
    let options = CallOptions::with_progress(|p| {
        let total = p.total.map(|t| format!("/{t}")).unwrap_or_default();
        let message = p.message.map(|m| format!(" {m}")).unwrap_or_default();
        eprintln!("[progress {}{total}]{message}", p.progress);
    });
    client
        .call_tool(tool, serde_json::Value::Object(arguments), options)
        .await
        .map_err(|e| format!("tools/call {tool} failed: {e}"))
}

fn print_result(result: &CallToolResult) {
    for block in &result.content {
        match block {
            ContentBlock::Text(t) => println!("{}", t.text),
            other => println!("{}", serde_json::to_string(other).unwrap_or_default()),
        }
    }
    if let Some(structured) = &result.structured_content {
        eprintln!("[structured] {structured}");
    }
}

/// Runs `spate tools`.
pub async fn run_tools(args: ToolsArgs) -> Result<ExitCode, String> {
    let client = connect(&args.target, &args.words).await?;
    let tools = client.list_all_tools().await;
    client.close().await;
    let tools = tools.map_err(|e| format!("tools/list failed: {e}"))?;
    if args.json {
        println!(
            "{}",
            serde_json::to_string_pretty(&tools).unwrap_or_default()
        );
        return Ok(ExitCode::SUCCESS);
    }
    for tool in &tools {
        let params: Vec<String> = tool
            .input_schema
            .get("properties")
            .and_then(|p| p.as_object())
            .map(|p| p.keys().cloned().collect())
            .unwrap_or_default();
        println!("{} ({})", tool.name, params.join(", "));
        if let Some(d) = &tool.description {
            println!("    {d}");
        }
    }
    Ok(ExitCode::SUCCESS)
}
