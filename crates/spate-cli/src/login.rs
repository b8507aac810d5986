//! OAuth for the command line: `spate login URL`, `spate logout URL`, and the options that
//! let `spate call` and `spate tools` authorize by themselves on a server's first `401`.
//!
//! Tokens are kept in `~/.config/spate/oauth.json` (`$XDG_CONFIG_HOME` honoured; the file
//! is owner-only, 0600; `SPATE_OAUTH_STORE` names another file) and never printed.
//! Interactively the authorization URL is printed, opened with `xdg-open` when there is one,
//! and the redirect is received by a one-shot listener on 127.0.0.1.

use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use clap::Args;
use spate::auth::client::{
    AuthorizationResponse, Authorizer, FileTokenStore, GrantKind, HeadlessAuthorizer, OAuthClient,
    OAuthClientConfig, OAuthError,
};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use url::Url;

/// How long the listener waits for the browser to come back.
const LOGIN_TIMEOUT: Duration = Duration::from_secs(300);

/// OAuth options of the HTTP commands.
#[derive(Debug, Args, Clone)]
pub struct OAuthArgs {
    /// A client id registered with the server's authorization server (else the client
    /// registers itself).
    #[arg(long, env = "SPATE_OAUTH_CLIENT_ID")]
    client_id: Option<String>,
    /// The registered client's secret.
    #[arg(long, env = "SPATE_OAUTH_CLIENT_SECRET", hide_env_values = true)]
    client_secret: Option<String>,
    /// Use the client-credentials grant with --client-id/--client-secret (no user, no browser).
    #[arg(long, requires = "client_id")]
    client_credentials: bool,
    /// Never start an authorization on a 401 (fail instead).
    #[arg(long)]
    no_login: bool,
    /// Testing aid: fetch the authorization URL without a browser and read the redirect
    /// without following it (only for authorization servers that approve at once).
    #[arg(long, env = "SPATE_OAUTH_TEST_HEADLESS_AUTHORIZE", hide = true)]
    test_headless_authorize: bool,
}

impl OAuthArgs {
    /// The OAuth client for `url`: stored tokens are used and refreshed; `interactive`
    /// (and not --no-login) allows a browser login on a 401.
    pub fn client(&self, url: &str, interactive: bool) -> Result<Option<Arc<OAuthClient>>, String> {
        let mut config = OAuthClientConfig::new("spate");
        config.store = Arc::new(store()?);
        config.client_id = self.client_id.clone();
        config.client_secret = self.client_secret.clone();
        if self.client_credentials {
            config.grant = GrantKind::ClientCredentials;
        } else if self.test_headless_authorize {
            config.authorizer = Some(Arc::new(HeadlessAuthorizer::new(
                "http://127.0.0.1:1/callback",
            )));
        } else if interactive && !self.no_login {
            config.authorizer = Some(Arc::new(LoopbackAuthorizer::bind()?));
        }
        OAuthClient::new(url, config)
            .map(|c| Some(Arc::new(c)))
            .map_err(|e| e.to_string())
    }
}

/// The token file.
fn store() -> Result<FileTokenStore, String> {
    match std::env::var_os("SPATE_OAUTH_STORE").filter(|v| !v.is_empty()) {
        Some(path) => Ok(FileTokenStore::new(path)),
        None => FileTokenStore::default_path()
            .map(FileTokenStore::new)
            .ok_or_else(|| "no home directory for the token file (set SPATE_OAUTH_STORE)".into()),
    }
}

/// `spate login` and `spate logout`.
#[derive(Debug, Args)]
pub struct LoginArgs {
    #[command(flatten)]
    oauth: OAuthArgs,
    /// The MCP server URL.
    url: String,
}

/// Runs `spate login`: forgets what was kept for the server, then connects, which
/// authorizes on the server's 401 and keeps the new tokens.
pub async fn run_login(args: LoginArgs) -> Result<ExitCode, String> {
    let oauth = args
        .oauth
        .client(&args.url, true)?
        .ok_or("no OAuth client")?;
    oauth.logout().map_err(|e| e.to_string())?;
    let mut options = spate::transport::http::client::HttpClientOptions::default();
    options.oauth = Some(oauth.clone());
    let client = spate::client::Client::builder("spate-cli", env!("CARGO_PKG_VERSION"))
        .connect_http(&args.url, options)
        .await
        .map_err(|e| format!("could not connect to {}: {e}", args.url))?;
    let listed = client.list_all_tools().await;
    client.close().await;
    listed.map_err(|e| format!("tools/list failed: {e}"))?;
    if oauth.access_token().is_none() {
        println!("{} did not ask for authorization", args.url);
    } else {
        let scope = oauth
            .scope()
            .map(|s| format!(" (scope: {s})"))
            .unwrap_or_default();
        println!("logged in to {}{scope}", args.url);
    }
    Ok(ExitCode::SUCCESS)
}

/// Runs `spate logout`: forgets the tokens and registration kept for the server.
pub async fn run_logout(args: LoginArgs) -> Result<ExitCode, String> {
    let store = store()?;
    let mut config = OAuthClientConfig::new("spate");
    config.store = Arc::new(store);
    let oauth = OAuthClient::new(&args.url, config).map_err(|e| e.to_string())?;
    oauth.logout().map_err(|e| e.to_string())?;
    println!("logged out of {}", args.url);
    Ok(ExitCode::SUCCESS)
}

/// Shows the user the authorization URL (and opens a browser when it can), then receives
/// the redirect on a one-shot listener on 127.0.0.1.
#[derive(Debug)]
struct LoopbackAuthorizer {
    listener: std::sync::Mutex<Option<std::net::TcpListener>>,
    redirect_uri: String,
}

impl LoopbackAuthorizer {
    fn bind() -> Result<Self, String> {
        let listener = std::net::TcpListener::bind("127.0.0.1:0")
            .map_err(|e| format!("no port for the login redirect: {e}"))?;
        let port = listener.local_addr().map_err(|e| e.to_string())?.port();
        Ok(Self {
            listener: std::sync::Mutex::new(Some(listener)),
            redirect_uri: format!("http://127.0.0.1:{port}/callback"),
        })
    }

    async fn receive(&self, url: &Url) -> Result<AuthorizationResponse, OAuthError> {
        let listener = self
            .listener
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .take()
            .ok_or_else(|| OAuthError::Config("the login listener was used already".into()))?;
        listener
            .set_nonblocking(true)
            .map_err(|e| OAuthError::Config(e.to_string()))?;
        let listener = tokio::net::TcpListener::from_std(listener)
            .map_err(|e| OAuthError::Config(e.to_string()))?;
        eprintln!("Open this URL to authorize spate:\n  {url}");
        let _ = std::process::Command::new("xdg-open")
            .arg(url.as_str())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn();
        let wait = async {
            loop {
                let (mut socket, _) = listener
                    .accept()
                    .await
                    .map_err(|e| OAuthError::Http(e.to_string()))?;
                let mut buffer = vec![0u8; 8192];
                let n = socket.read(&mut buffer).await.unwrap_or(0);
                let head = String::from_utf8_lossy(&buffer[..n]);
                let target = head
                    .lines()
                    .next()
                    .and_then(|l| l.split(' ').nth(1))
                    .unwrap_or("");
                let Some(query) = target
                    .strip_prefix("/callback")
                    .map(|r| r.trim_start_matches('?'))
                else {
                    let _ = socket
                        .write_all(b"HTTP/1.1 404 Not Found\r\ncontent-length: 0\r\n\r\n")
                        .await;
                    continue;
                };
                let body = "spate: authorization received; you can close this window.\n";
                let reply = format!(
                    "HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                    body.len()
                );
                let _ = socket.write_all(reply.as_bytes()).await;
                return Ok(AuthorizationResponse::from_query(query));
            }
        };
        tokio::time::timeout(LOGIN_TIMEOUT, wait)
            .await
            .map_err(|_| OAuthError::Denied("no authorization within 5 minutes".into()))?
    }
}

impl Authorizer for LoopbackAuthorizer {
    fn redirect_uri(&self) -> String {
        self.redirect_uri.clone()
    }

    fn authorize<'a>(
        &'a self,
        url: &'a Url,
    ) -> futures_util::future::BoxFuture<'a, Result<AuthorizationResponse, OAuthError>> {
        Box::pin(self.receive(url))
    }
}
