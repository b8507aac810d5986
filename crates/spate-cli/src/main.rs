//! `spate`: run the Spate server, and talk to any MCP server from the command line.

mod call;
mod demo;
mod login;
mod serve;
mod tool_args;
mod watch;

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
    /// Run the Spate server (today: the demo server) over stdio or HTTP.
    Serve(serve::ServeArgs),
    /// Call a tool: `spate call URL <tool> key=value…` or
    /// `spate call --stdio -- <server command…> <tool> key=value…`.
    ///
    /// Values are read as JSON when they parse as JSON and the tool's schema does not say
    /// string (`a=10` is a number, `name=Ada` a string, `files='["a","b"]'` an array).
    /// The protocol era is found out (`--era auto`) unless `--era legacy|modern` forces it.
    Call(call::CallArgs),
    /// List a server's tools: `spate tools URL` or `spate tools --stdio -- <server command…>`.
    Tools(call::ToolsArgs),
    /// Authorize with an OAuth-protected server (browser + a one-shot 127.0.0.1 listener,
    /// or --client-id/--client-secret --client-credentials) and keep its tokens.
    Login(login::LoginArgs),
    /// Forget the tokens and client registration kept for a server.
    Logout(login::LoginArgs),
    /// Print a server's resource updates and list changes as they happen:
    /// `spate watch URL --resource URI…` (2026-07-28: `subscriptions/listen`; legacy:
    /// `resources/subscribe` and the session's stream).
    Watch(watch::WatchArgs),
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
        Command::Serve(args) => serve::run(args).await,
        Command::Call(args) => call::run_call(args).await,
        Command::Tools(args) => call::run_tools(args).await,
        Command::Login(args) => login::run_login(args).await,
        Command::Logout(args) => login::run_logout(args).await,
        Command::Watch(args) => watch::run_watch(args).await,
    };
    match outcome {
        Ok(code) => code,
        Err(message) => {
            eprintln!("spate: {message}");
            ExitCode::from(2)
        }
    }
}
