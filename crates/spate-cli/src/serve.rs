//! `spate serve`: the demo server over stdio or HTTP.

use std::net::SocketAddr;
use std::process::ExitCode;

use clap::{Args, ValueEnum};
use spate::http::{HttpConfig, McpHttp, ResponseMode};
use spate::server::ServerConfig;

/// How POSTed requests are answered.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum Mode {
    /// JSON, switching to SSE when anything precedes the response.
    Json,
    /// Always SSE.
    Sse,
}

/// Options of `spate serve`.
#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Serve over this process's stdin/stdout (the default when --listen is not given).
    #[arg(long, conflicts_with = "listen")]
    stdio: bool,
    /// Serve Streamable HTTP (and the old HTTP+SSE transport) on this address, e.g. 127.0.0.1:8080.
    #[arg(long)]
    listen: Option<SocketAddr>,
    /// The longest JSON-RPC message accepted, in bytes (stdio lines and HTTP bodies).
    #[arg(long, default_value_t = 4 * 1024 * 1024)]
    max_message_size: usize,
    /// Require `Authorization: Bearer TOKEN` (repeatable; also SPATE_BEARER_TOKENS, comma-separated).
    #[arg(long = "bearer-token")]
    bearer_tokens: Vec<String>,
    /// Allow this Origin (repeatable; default: loopback origins only).
    #[arg(long = "allowed-origin")]
    allowed_origins: Vec<String>,
    /// Allow this Host header (repeatable; default: derived from --listen).
    #[arg(long = "allowed-host")]
    allowed_hosts: Vec<String>,
    /// How POSTed requests are answered.
    #[arg(long, value_enum, default_value_t = Mode::Json)]
    response_mode: Mode,
}

/// Runs `spate serve`.
pub async fn run(args: ServeArgs) -> Result<ExitCode, String> {
    let mut config = ServerConfig::default();
    config.stdio.max_message_size = args.max_message_size.max(1);
    let server = crate::demo::server(config);
    crate::demo::start_clock(&server);
    let Some(addr) = args.listen else {
        server
            .serve_stdio()
            .await
            .map_err(|e| format!("serving stdio failed: {e}"))?;
        return Ok(ExitCode::SUCCESS);
    };
    let mut tokens = args.bearer_tokens;
    if let Ok(env) = std::env::var("SPATE_BEARER_TOKENS") {
        tokens.extend(
            env.split(',')
                .map(str::trim)
                .filter(|t| !t.is_empty())
                .map(str::to_owned),
        );
    }
    let http = HttpConfig {
        max_body_bytes: args.max_message_size.max(1),
        bearer_tokens: tokens,
        allowed_origins: args.allowed_origins,
        allowed_hosts: args.allowed_hosts,
        response_mode: match args.response_mode {
            Mode::Json => ResponseMode::Json,
            Mode::Sse => ResponseMode::Sse,
        },
        ..HttpConfig::default()
    };
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .map_err(|e| format!("cannot listen on {addr}: {e}"))?;
    let bound = listener.local_addr().map_err(|e| e.to_string())?;
    eprintln!("spate: serving MCP on http://{bound}/mcp (HTTP+SSE: http://{bound}/sse)");
    McpHttp::new(server, http)
        .serve(listener)
        .await
        .map_err(|e| format!("serving HTTP failed: {e}"))?;
    Ok(ExitCode::SUCCESS)
}
