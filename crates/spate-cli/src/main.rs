//! `spate`: run the Spate server, and talk to any MCP server from the command line.

mod call;
mod demo;
mod tool_args;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// Spate: an MCP runtime for event-driven agents.
#[derive(Debug, Parser)]
#[command(name = "spate", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run the Spate server (today: the demo server, over stdio).
    Serve {
        /// Serve over this process's stdin/stdout (the default while stdio is the only transport).
        #[arg(long)]
        stdio: bool,
        /// The longest JSON-RPC message accepted, in bytes; longer lines are refused with an error.
        #[arg(long, default_value_t = 16 * 1024 * 1024)]
        max_message_size: usize,
    },
    /// Call a tool: `spate call --stdio -- <server command…> <tool> key=value…`.
    ///
    /// Values are read as JSON when they parse as JSON and the tool's schema does not say
    /// string (`a=10` is a number, `name=Ada` a string, `files='["a","b"]'` an array).
    Call(call::CallArgs),
    /// List a server's tools: `spate tools --stdio -- <server command…>`.
    Tools(call::ToolsArgs),
}

#[tokio::main]
async fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("SPATE_LOG")
                .unwrap_or_else(|_| "warn".into()),
        )
        .init();
    let cli = Cli::parse();
    let outcome = match cli.command {
        Command::Serve {
            stdio: _,
            max_message_size,
        } => serve_stdio(max_message_size).await,
        Command::Call(args) => call::run_call(args).await,
        Command::Tools(args) => call::run_tools(args).await,
    };
    match outcome {
        Ok(code) => code,
        Err(message) => {
            eprintln!("spate: {message}");
            ExitCode::from(2)
        }
    }
}

async fn serve_stdio(max_message_size: usize) -> Result<ExitCode, String> {
    let mut config = spate::server::ServerConfig::default();
    config.stdio.max_message_size = max_message_size.max(1);
    let server = demo::server(config);
    demo::start_clock(&server);
    server
        .serve_stdio()
        .await
        .map_err(|e| format!("serving stdio failed: {e}"))?;
    Ok(ExitCode::SUCCESS)
}
