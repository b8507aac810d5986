//! `conformance-server`: the fixture server the official conformance suite tests, over
//! Streamable HTTP (`--listen ADDR`, endpoint `/mcp`) or stdio (`--stdio`).
//!
//! With `--listen`, the first line on stdout is `listening on http://ADDR/mcp` with the bound
//! address, so `--listen 127.0.0.1:0` picks a free port and tells the caller which. The
//! process runs until SIGINT or SIGTERM.

use std::process::ExitCode;

use spate::transport::http::server::{HttpConfig, McpHttp, ResponseMode};
use tokio::io::AsyncWriteExt;

const USAGE: &str = "\
usage: conformance-server (--listen ADDR | --stdio) [--response-mode json|sse] [--retry-ms N]

  --listen ADDR          serve Streamable HTTP on ADDR (e.g. 127.0.0.1:0), endpoint /mcp;
                         prints `listening on http://ADDR/mcp` once bound
  --stdio                serve one client on stdin/stdout
  --response-mode MODE   json: answer POSTs with JSON unless something precedes the response
                         (the default); sse: always an SSE stream
  --retry-ms N           the SSE `retry` hint sent with priming events";

/// Where to serve.
enum Mode {
    Http(String),
    Stdio,
}

struct Options {
    mode: Mode,
    http: HttpConfig,
}

fn parse(args: impl IntoIterator<Item = String>) -> Result<Options, String> {
    let mut mode = None;
    let mut http = HttpConfig::default();
    let mut args = args.into_iter();
    while let Some(arg) = args.next() {
        let mut value = |flag: &str| args.next().ok_or_else(|| format!("{flag} needs a value"));
        match arg.as_str() {
            "--listen" => mode = Some(Mode::Http(value("--listen")?)),
            "--stdio" => mode = Some(Mode::Stdio),
            "--response-mode" => {
                http.response_mode = match value("--response-mode")?.as_str() {
                    "json" => ResponseMode::Json,
                    "sse" => ResponseMode::Sse,
                    other => return Err(format!("unknown response mode {other:?}")),
                }
            }
            "--retry-ms" => {
                let raw = value("--retry-ms")?;
                http.retry_ms = raw
                    .parse()
                    .map_err(|_| format!("--retry-ms wants milliseconds, not {raw:?}"))?;
            }
            "-h" | "--help" => return Err(String::new()),
            other => return Err(format!("unknown argument {other:?}")),
        }
    }
    let mode = mode.ok_or("choose --listen ADDR or --stdio")?;
    Ok(Options { mode, http })
}

#[tokio::main]
async fn main() -> ExitCode {
    let options = match parse(std::env::args().skip(1)) {
        Ok(options) => options,
        Err(problem) => {
            if !problem.is_empty() {
                eprintln!("conformance-server: {problem}");
            }
            eprintln!("{USAGE}");
            return ExitCode::from(2);
        }
    };
    let server = spate_conformance::fixture_server();
    let outcome = match options.mode {
        Mode::Stdio => server.serve_stdio().await,
        Mode::Http(addr) => serve_http(server, &addr, options.http).await,
    };
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("conformance-server: {e}");
            ExitCode::FAILURE
        }
    }
}

async fn serve_http(
    server: spate::server::Server,
    addr: &str,
    config: HttpConfig,
) -> std::io::Result<()> {
    let listener = tokio::net::TcpListener::bind(addr).await?;
    let bound = listener.local_addr()?;
    let endpoint = config.endpoint.clone();
    let http = McpHttp::new(server, config);
    // Listen for signals before announcing the address: a caller may stop us right after.
    let stop = shutdown_signal()?;
    let mut stdout = tokio::io::stdout();
    stdout
        .write_all(format!("listening on http://{bound}{endpoint}\n").as_bytes())
        .await?;
    stdout.flush().await?;
    tokio::select! {
        served = http.serve(listener) => served,
        () = stop => Ok(()),
    }
}

/// Resolves on SIGINT or SIGTERM; the handlers are in place when this returns.
fn shutdown_signal() -> std::io::Result<impl std::future::Future<Output = ()>> {
    use tokio::signal::unix::{SignalKind, signal};
    let mut term = signal(SignalKind::terminate())?;
    let mut interrupt = signal(SignalKind::interrupt())?;
    Ok(async move {
        tokio::select! {
            _ = interrupt.recv() => {}
            _ = term.recv() => {}
        }
    })
}
