//! Spate serving the benchmark tool surface (`echo`, `calculate`, `bump`, `touch`, resource
//! `bench://tick`) over Streamable HTTP, as the load driver in `bench/driver` expects of every
//! contestant, plus the event type `bench.tick` and its `emit` tool (W7–W9), with webhooks
//! allowed to reach plain-http loopback receivers for unauthenticated subscribers.
//!
//! ```text
//! bench-server --listen 127.0.0.1:8080 --mode json --workers 1
//! ```
//!
//! `--workers 0` runs a tokio current-thread runtime; `N` a multi-thread runtime of N workers.
//! `--data-dir DIR` keeps the resumable streams (the event log) and the sessions in the
//! embedded SQLite database `DIR/spate.db` instead of memory (the benchmark's `spate-sqlite`
//! contestant); everything else (the events history, webhooks) stays in memory.
//!
//! `bench-server append …` is not a server: it measures appends to the event log itself
//! (memory, or SQLite with `--data-dir`) from many concurrent streams and prints one JSON
//! line (workload W10, see `append.rs`).

mod append;
mod surface;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

use clap::{Parser, Subcommand, ValueEnum};
use spate::server::ServerConfig;
use spate::store::event_history::MemoryEventHistory;
use spate::store::sqlite::event_log::SqliteEventLog;
use spate::store::sqlite::session_store::SqliteSessionStore;
use spate::store::sqlite::{Database, Durability};
use spate::transport::http::client::webhook_sender::{HttpWebhookSender, WebhookSenderConfig};
use spate::transport::http::server::{HttpConfig, McpHttp, ResponseMode};

/// How a POSTed request is answered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Mode {
    /// A JSON body unless something precedes the response (then SSE).
    Json,
    /// Always an SSE stream.
    Sse,
}

/// Command line of `bench-server`.
#[derive(Debug, Parser)]
#[command(about = "Spate serving the benchmark tool surface over Streamable HTTP")]
struct Cli {
    /// Address to listen on (loopback only in the benchmark).
    #[arg(long, default_value = "127.0.0.1:8080")]
    listen: SocketAddr,
    /// JSON or SSE answers.
    #[arg(long, value_enum, default_value = "json")]
    mode: Mode,
    /// Tokio worker threads; 0 = a current-thread runtime.
    #[arg(long, default_value_t = 1)]
    workers: usize,
    /// Keep the event log and the sessions in SQLite in this directory (default: memory).
    #[arg(long)]
    data_dir: Option<PathBuf>,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Measures event-log appends in process (no HTTP) and prints one JSON line.
    Append(append::Args),
}

fn main() -> std::io::Result<()> {
    let cli = Cli::parse();
    let runtime = if cli.workers == 0 {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?
    } else {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(cli.workers)
            .enable_all()
            .build()?
    };
    match cli.command {
        Some(Command::Append(args)) => runtime.block_on(append::run(args, cli.data_dir)),
        None => runtime.block_on(serve(cli)),
    }
}

/// Opens the database in `dir` the way `spate serve --data-dir` does (`synchronous =
/// NORMAL`: a commit survives the process being killed).
fn open_db(dir: &std::path::Path) -> std::io::Result<Database> {
    Database::open_dir(dir, Durability::Normal).map_err(std::io::Error::other)
}

async fn serve(cli: Cli) -> std::io::Result<()> {
    let mut config = HttpConfig::default();
    config.response_mode = match cli.mode {
        Mode::Json => ResponseMode::Json,
        Mode::Sse => ResponseMode::Sse,
    };
    // The fan-out and idle-memory workloads hold 10 000 sessions or listen streams at once;
    // the defaults (10 000 sessions, 4096 requests in progress) would refuse some.
    config.max_sessions = surface::MAX_SESSIONS;
    config.max_stateless_requests = surface::MAX_SESSIONS;
    let listener = tokio::net::TcpListener::bind(cli.listen).await?;
    eprintln!("bench-server listening on {}", listener.local_addr()?);
    let server = surface::server(events_config()?);
    let http = match &cli.data_dir {
        None => McpHttp::new(server, config),
        Some(dir) => {
            let db = open_db(dir)?;
            let log = SqliteEventLog::open(db.clone(), config.retention)
                .await
                .map_err(std::io::Error::other)?;
            let sessions = SqliteSessionStore::open(db)
                .await
                .map_err(std::io::Error::other)?;
            McpHttp::with_stores(server, config, Arc::new(log), Some(Arc::new(sessions)))
        }
    };
    http.serve(listener).await
}

/// The events settings: a history deep enough for the workloads, and webhooks delivered by
/// the real HTTP sender to the driver's plain-http receiver on 127.0.0.1, subscribed to
/// without authentication (the principal `bench`).
fn events_config() -> std::io::Result<ServerConfig> {
    let mut sender = WebhookSenderConfig::default();
    sender.policy.allow_loopback = true;
    sender.allow_http_loopback = true;
    let sender = HttpWebhookSender::new(sender).map_err(std::io::Error::other)?;
    let mut config = ServerConfig::default();
    config.events.history = Arc::new(MemoryEventHistory::new(surface::HISTORY));
    let webhooks = &mut config.events.webhooks;
    webhooks.sender = Some(Arc::new(sender));
    webhooks.anonymous_principal = Some("bench".into());
    webhooks.max_subscriptions = surface::MAX_WEBHOOKS;
    webhooks.max_per_principal = surface::MAX_WEBHOOKS;
    Ok(config)
}
