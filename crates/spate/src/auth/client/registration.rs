//! Getting a client identity at an authorization server, in order: pre-registered
//! credentials, a Client ID Metadata Document, Dynamic Client Registration (RFC 7591).

use serde::Deserialize;

use super::MAX_ANSWER_BYTES;
use super::discovery::AuthServerMetadata;
use super::store::ClientRegistration;
use super::{OAuthClientConfig, OAuthError};
use crate::auth::capped_body::read_within;

/// The answer of a registration endpoint.
#[derive(Deserialize)]
struct Registered {
    client_id: String,
    #[serde(default)]
    client_secret: Option<String>,
    #[serde(default)]
    token_endpoint_auth_method: Option<String>,
}

/// A client identity at the server `metadata` describes.
pub(super) async fn register(
    http: &reqwest::Client,
    config: &OAuthClientConfig,
    metadata: &AuthServerMetadata,
    redirect_uri: &str,
) -> Result<ClientRegistration, OAuthError> {
    let issuer = metadata.issuer.clone();
    if let Some(client_id) = &config.client_id {
        return Ok(ClientRegistration {
            issuer,
            client_id: client_id.clone(),
            client_secret: config.client_secret.clone(),
            token_endpoint_auth_method: None,
        });
    }
    if let (true, Some(url)) = (
        metadata.client_id_metadata_document_supported,
        &config.client_metadata_url,
    ) {
        return Ok(ClientRegistration {
            issuer,
            client_id: url.clone(),
            client_secret: None,
            token_endpoint_auth_method: Some("none".to_owned()),
        });
    }
    let Some(endpoint) = &metadata.registration_endpoint else {
        return Err(OAuthError::NoRegistration(issuer));
    };
    let method = ["client_secret_basic", "client_secret_post", "none"]
        .into_iter()
        .find(|m| metadata.supports_auth_method(m));
    let mut body = serde_json::json!({
        "client_name": config.client_name,
        "redirect_uris": [redirect_uri],
        "grant_types": ["authorization_code", "refresh_token"],
        "response_types": ["code"],
        "application_type": config.application_type,
    });
    if let (Some(method), Some(_)) = (method, &metadata.token_endpoint_auth_methods_supported) {
        body["token_endpoint_auth_method"] = method.into();
    }
    let mut response = http
        .post(endpoint)
        .json(&body)
        .send()
        .await
        .map_err(|e| OAuthError::Http(format!("POST {endpoint}: {e}")))?;
    let status = response.status();
    let body = read_within(&mut response, MAX_ANSWER_BYTES)
        .await
        .map_err(|e| OAuthError::Registration(format!("POST {endpoint}: {e}")))?;
    if !status.is_success() {
        let text = String::from_utf8_lossy(&body[..body.len().min(512)]).into_owned();
        return Err(OAuthError::Registration(format!("HTTP {status}: {text}")));
    }
    let registered: Registered = serde_json::from_slice(&body)
        .map_err(|e| OAuthError::Registration(format!("not a registration response: {e}")))?;
    Ok(ClientRegistration {
        issuer,
        client_id: registered.client_id,
        client_secret: registered.client_secret,
        token_endpoint_auth_method: registered
            .token_endpoint_auth_method
            .or_else(|| method.map(str::to_owned)),
    })
}
