//! The `auth/*` scenarios of `conformance-client`: the reference flow (`tools/list`, then
//! the first tool with `{}`) over a connection whose [`OAuthClient`] answers every 401 and
//! 403 `insufficient_scope`. The authorization step is headless: the authorization URL is
//! fetched and its redirect read without following it.

use std::sync::Arc;

use serde::Deserialize;
use serde_json::json;
use spate::auth::client::{GrantKind, HeadlessAuthorizer, OAuthClient, OAuthClientConfig};
use spate::client::{CallOptions, Client, EraChoice};
use spate::transport::http::client::HttpClientOptions;

/// The client id the suite expects when the authorization server advertises
/// `client_id_metadata_document_supported` (SEP-991 URL-based client ids; `auth/basic-cimd`).
const CLIENT_METADATA_URL: &str = "https://conformance-test.local/client-metadata.json";
/// The redirect URI registered and sent; the suite never fetches it.
const REDIRECT_URI: &str = "http://localhost:3000/callback";

/// The credentials some scenarios hand over in `MCP_CONFORMANCE_CONTEXT`.
#[derive(Debug, Default, Deserialize)]
struct AuthContext {
    #[serde(default)]
    client_id: Option<String>,
    #[serde(default)]
    client_secret: Option<String>,
    #[serde(default)]
    private_key_pem: Option<String>,
}

/// Whether `scenario` is one of the authorization scenarios handled here.
pub fn handles(scenario: &str) -> bool {
    scenario.starts_with("auth/")
        && !matches!(
            scenario,
            "auth/enterprise-managed-authorization"
                | "auth/dpop"
                | "auth/dpop-nonce"
                | "auth/wif-jwt-bearer"
        )
}

/// Runs an authorization scenario against the server at `url`.
pub async fn run(
    scenario: &str,
    era: EraChoice,
    url: &str,
    context: Option<&str>,
) -> Result<(), String> {
    let context: AuthContext = match context {
        Some(text) => serde_json::from_str(text).map_err(|e| format!("bad context: {e}"))?,
        None => AuthContext::default(),
    };
    let mut config = OAuthClientConfig::new("spate-conformance-client");
    config.client_metadata_url = Some(CLIENT_METADATA_URL.to_owned());
    config.authorizer = Some(Arc::new(HeadlessAuthorizer::new(REDIRECT_URI)));
    config.client_id = context.client_id;
    config.client_secret = context.client_secret;
    config.private_key_pem = context.private_key_pem;
    if scenario.starts_with("auth/client-credentials-") {
        config.grant = GrantKind::ClientCredentials;
    }
    let oauth = OAuthClient::new(url, config).map_err(|e| e.to_string())?;
    let options = {
        let mut config = HttpClientOptions::default();
        config.oauth = Some(Arc::new(oauth));
        config
    };
    let client = Client::builder("spate-conformance-client", env!("CARGO_PKG_VERSION"))
        .era(era)
        .connect_http(url, options)
        .await
        .map_err(|e| format!("connect to {url}: {e}"))?;
    let tools = client
        .list_all_tools()
        .await
        .map_err(|e| format!("tools/list: {e}"))?;
    if let Some(tool) = tools.first() {
        client
            .call_tool(&tool.name, json!({}), CallOptions::default())
            .await
            .map_err(|e| format!("tools/call {}: {e}", tool.name))?;
    }
    if scenario == "auth/authorization-server-migration" {
        // The move is seen on a later request: one more after the call.
        client
            .list_all_tools()
            .await
            .map_err(|e| format!("tools/list again: {e}"))?;
    }
    client.close().await;
    Ok(())
}
