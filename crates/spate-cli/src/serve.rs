//! `spate serve`: the demo server over stdio or HTTP.

use std::net::SocketAddr;
use std::process::ExitCode;

use clap::{Args, ValueEnum};
use spate::auth::resource_server::{
    IntrospectionValidation, JwtValidation, OAuthConfig, TokenValidation,
};
use std::path::PathBuf;
use std::sync::Arc;

use spate::server::ServerConfig;
use spate::store::sqlite::event_history::SqliteEventHistory;
use spate::store::sqlite::event_log::SqliteEventLog;
use spate::store::sqlite::session_store::SqliteSessionStore;
use spate::store::sqlite::task_store::SqliteTaskStore;
use spate::store::sqlite::webhook_subscriptions::SqliteWebhookSubscriptions;
use spate::store::sqlite::{Database, Durability};
use spate::transport::http::client::webhook_sender::{HttpWebhookSender, WebhookSenderConfig};
use spate::transport::http::server::{HttpConfig, McpHttp, ResponseMode};
use spate::transport::stdio::StdioLimits;

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
    /// Keep resumable streams and sessions in the SQLite database `spate.db` in this
    /// directory (created if needed), so they survive a restart, even a `kill -9`. Given
    /// without a value: $XDG_DATA_HOME/spate (~/.local/share/spate). Also SPATE_DATA_DIR.
    /// Without either, state is kept in memory and ends with the process.
    #[arg(long, value_name = "DIR", num_args = 0..=1, default_missing_value = "")]
    data_dir: Option<PathBuf>,
    /// With --data-dir: `fsync` every commit, so state survives a power loss too (not only
    /// the process being killed), at the cost of one disk flush per commit group.
    #[arg(long)]
    fsync: bool,
    #[command(flatten)]
    oauth: OAuthArgs,
}

/// OAuth resource-server options: with `--oauth-issuer`, every HTTP request needs an access
/// token from that authorization server, issued for this server (`--oauth-resource`).
#[derive(Debug, Args)]
pub struct OAuthArgs {
    /// The authorization server whose tokens are accepted (its issuer URL).
    #[arg(long = "oauth-issuer")]
    oauth_issuer: Option<String>,
    /// This server's canonical URL, the audience tokens must name (e.g.
    /// https://mcp.example.com/mcp; default http://<listen address>/mcp).
    #[arg(long = "oauth-resource")]
    oauth_resource: Option<String>,
    /// Where the issuer's signing keys are (JWT access tokens); default: the `jwks_uri` of
    /// the issuer's metadata.
    #[arg(long = "oauth-jwks-uri", conflicts_with = "oauth_introspection")]
    oauth_jwks_uri: Option<String>,
    /// Check opaque tokens at this introspection endpoint instead (RFC 7662); the client
    /// credentials come from SPATE_OAUTH_CLIENT_ID and SPATE_OAUTH_CLIENT_SECRET.
    #[arg(long = "oauth-introspection")]
    oauth_introspection: Option<String>,
    /// A scope every request needs (repeatable).
    #[arg(long = "oauth-scope")]
    oauth_scopes: Vec<String>,
    /// A scope one tool needs, as TOOL=SCOPE (repeatable).
    #[arg(long = "oauth-tool-scope")]
    oauth_tool_scopes: Vec<String>,
}

impl OAuthArgs {
    /// The resource-server configuration these options describe, if any.
    fn config(&self, bound: SocketAddr) -> Result<Option<OAuthConfig>, String> {
        let Some(issuer) = &self.oauth_issuer else {
            return Ok(None);
        };
        let resource = self
            .oauth_resource
            .clone()
            .unwrap_or_else(|| format!("http://{bound}/mcp"));
        let validation = match &self.oauth_introspection {
            Some(endpoint) => {
                let var = |name: &str| {
                    std::env::var(name).map_err(|_| format!("--oauth-introspection needs {name}"))
                };
                TokenValidation::Introspection(IntrospectionValidation {
                    endpoint: endpoint.clone(),
                    client_id: var("SPATE_OAUTH_CLIENT_ID")?,
                    client_secret: var("SPATE_OAUTH_CLIENT_SECRET")?,
                    accept_missing_audience: false,
                })
            }
            None => TokenValidation::Jwt(JwtValidation {
                jwks_uri: self.oauth_jwks_uri.clone(),
                ..JwtValidation::discover(issuer.clone())
            }),
        };
        let mut tool_scopes = std::collections::BTreeMap::<String, Vec<String>>::new();
        for pair in &self.oauth_tool_scopes {
            let (tool, scope) = pair
                .split_once('=')
                .ok_or_else(|| format!("--oauth-tool-scope wants TOOL=SCOPE, not {pair:?}"))?;
            tool_scopes
                .entry(tool.to_owned())
                .or_default()
                .push(scope.to_owned());
        }
        let mut scopes_supported = self.oauth_scopes.clone();
        scopes_supported.extend(tool_scopes.values().flatten().cloned());
        scopes_supported.sort();
        scopes_supported.dedup();
        let mut config = OAuthConfig::new(resource, issuer.clone(), validation);
        config.scopes_supported = scopes_supported;
        config.required_scopes = self.oauth_scopes.clone();
        config.tool_scopes = tool_scopes;
        Ok(Some(config))
    }
}

/// The data directory `--data-dir` or `SPATE_DATA_DIR` names, if any.
fn data_dir(flag: Option<PathBuf>) -> Result<Option<PathBuf>, String> {
    let chosen = match flag {
        Some(dir) => Some(dir),
        None => std::env::var_os("SPATE_DATA_DIR")
            .filter(|v| !v.is_empty())
            .map(PathBuf::from),
    };
    match chosen {
        Some(dir) if dir.as_os_str().is_empty() => default_data_dir().map(Some),
        other => Ok(other),
    }
}

/// `$XDG_DATA_HOME/spate`, else `~/.local/share/spate`.
fn default_data_dir() -> Result<PathBuf, String> {
    let absolute = |v: std::ffi::OsString| Some(PathBuf::from(v)).filter(|p| p.is_absolute());
    if let Some(base) = std::env::var_os("XDG_DATA_HOME").and_then(absolute) {
        return Ok(base.join("spate"));
    }
    std::env::var_os("HOME")
        .and_then(absolute)
        .map(|home| home.join(".local/share/spate"))
        .ok_or_else(|| "no home directory for the data directory; give --data-dir DIR".into())
}

fn refuse(e: spate::store::sqlite::StorageError) -> String {
    format!("cannot start: {e}")
}

/// The server's configuration: tasks, event history and webhook subscriptions on the
/// database when there is one, and webhook delivery (https callbacks, the strict address
/// policy) always.
async fn server_config(db: Option<&Database>) -> Result<ServerConfig, String> {
    let mut config = ServerConfig::default();
    let sender = HttpWebhookSender::new(WebhookSenderConfig::default())
        .map_err(|e| format!("cannot start webhook delivery: {e}"))?;
    config.events.webhooks.sender = Some(Arc::new(sender));
    if let Some(db) = db {
        config.tasks.store = Arc::new(SqliteTaskStore::open(db, 10_000).await.map_err(refuse)?);
        config.events.history =
            Arc::new(SqliteEventHistory::open(db, 10_000).await.map_err(refuse)?);
        config.events.webhooks.store =
            Arc::new(SqliteWebhookSubscriptions::open(db).await.map_err(refuse)?);
    }
    Ok(config)
}

/// The HTTP front of `server`: in memory, or on `db`.
async fn http_front(
    server: spate::server::Server,
    config: HttpConfig,
    db: Option<Database>,
) -> Result<McpHttp, String> {
    let Some(db) = db else {
        return Ok(McpHttp::new(server, config));
    };
    let log = SqliteEventLog::open(db.clone(), config.retention)
        .await
        .map_err(refuse)?;
    let sessions = SqliteSessionStore::open(db).await.map_err(refuse)?;
    Ok(McpHttp::with_stores(
        server,
        config,
        Arc::new(log),
        Some(Arc::new(sessions)),
    ))
}

/// Runs `spate serve`.
pub async fn run(args: ServeArgs) -> Result<ExitCode, String> {
    let dir = data_dir(args.data_dir)?;
    let durability = if args.fsync {
        Durability::Full
    } else {
        Durability::Normal
    };
    let db = match &dir {
        Some(dir) => Some(Database::open_dir(dir, durability).map_err(refuse)?),
        None => None,
    };
    let server = crate::demo::server(server_config(db.as_ref()).await?);
    crate::demo::start_clock(&server);
    // Webhook subscriptions kept from before a restart are delivered to again.
    server
        .handle()
        .resume_webhooks()
        .await
        .map_err(|e| format!("cannot resume webhook subscriptions: {}", e.message))?;
    let Some(addr) = args.listen else {
        let limits = {
            let mut config = StdioLimits::default();
            config.max_message_size = args.max_message_size.max(1);
            config
        };
        server
            .serve_stdio_with(limits)
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
    let http = {
        let mut config = HttpConfig::default();
        config.max_body_bytes = args.max_message_size.max(1);
        config.bearer_tokens = tokens;
        config.allowed_origins = args.allowed_origins;
        config.allowed_hosts = args.allowed_hosts;
        config.response_mode = match args.response_mode {
            Mode::Json => ResponseMode::Json,
            Mode::Sse => ResponseMode::Sse,
        };
        config.oauth = None;
        config
    };
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .map_err(|e| format!("cannot listen on {addr}: {e}"))?;
    let bound = listener.local_addr().map_err(|e| e.to_string())?;
    let http = {
        let mut config = http;
        config.oauth = args.oauth.config(bound)?;
        config
    };
    let kept = match &dir {
        Some(dir) => format!("state in {}", dir.display()),
        None => "state in memory".to_owned(),
    };
    let front = http_front(server, http, db).await?;
    eprintln!("spate: serving MCP on http://{bound}/mcp (HTTP+SSE: http://{bound}/sse; {kept})");
    front
        .serve(listener)
        .await
        .map_err(|e| format!("serving HTTP failed: {e}"))?;
    Ok(ExitCode::SUCCESS)
}
