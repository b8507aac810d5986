//! Finding the authorization server: Protected Resource Metadata (RFC 9728), the check that
//! it describes this server, and authorization-server metadata (RFC 8414 and OpenID
//! Connect Discovery), with the 2025-03-26 fallbacks for servers without metadata.

use serde::Deserialize;
use serde::de::DeserializeOwned;
use url::Url;

use super::MAX_ANSWER_BYTES;
use super::OAuthError;
use crate::auth::capped_body::read_within;

/// Protected Resource Metadata (RFC 9728 §2), the fields a client uses.
#[derive(Debug, Clone, Deserialize)]
pub struct ProtectedResource {
    /// The resource identifier, sent unchanged as `resource` (RFC 8707).
    #[serde(default)]
    pub resource: Option<String>,
    /// Issuers of the authorization servers that protect it.
    #[serde(default)]
    pub authorization_servers: Vec<String>,
    /// Scopes the resource knows.
    #[serde(default)]
    pub scopes_supported: Vec<String>,
}

/// Authorization-server metadata (RFC 8414 §2), the fields a client uses.
#[derive(Debug, Clone, Deserialize)]
pub struct AuthServerMetadata {
    /// The issuer identifier.
    pub issuer: String,
    /// The authorization endpoint.
    #[serde(default)]
    pub authorization_endpoint: Option<String>,
    /// The token endpoint.
    pub token_endpoint: String,
    /// The dynamic client registration endpoint (RFC 7591).
    #[serde(default)]
    pub registration_endpoint: Option<String>,
    /// Scopes the server knows.
    #[serde(default)]
    pub scopes_supported: Vec<String>,
    /// PKCE methods; absent means PKCE is not supported.
    #[serde(default)]
    pub code_challenge_methods_supported: Option<Vec<String>>,
    /// Client authentication methods at the token endpoint (absent: `client_secret_basic`).
    #[serde(default)]
    pub token_endpoint_auth_methods_supported: Option<Vec<String>>,
    /// Client ID Metadata Documents are accepted as `client_id`.
    #[serde(default)]
    pub client_id_metadata_document_supported: bool,
    /// The authorization response carries `iss` (RFC 9207).
    #[serde(default)]
    pub authorization_response_iss_parameter_supported: bool,
}

impl AuthServerMetadata {
    /// The endpoints a 2025-03-26 server without metadata has at its origin.
    pub fn defaults_at(origin: &str) -> Self {
        Self {
            issuer: origin.to_owned(),
            authorization_endpoint: Some(format!("{origin}/authorize")),
            token_endpoint: format!("{origin}/token"),
            registration_endpoint: Some(format!("{origin}/register")),
            scopes_supported: Vec::new(),
            code_challenge_methods_supported: Some(vec!["S256".to_owned()]),
            token_endpoint_auth_methods_supported: None,
            client_id_metadata_document_supported: false,
            authorization_response_iss_parameter_supported: false,
        }
    }

    /// Whether the server lists a client authentication method (the RFC 8414 default,
    /// `client_secret_basic`, when it lists none).
    pub fn supports_auth_method(&self, method: &str) -> bool {
        match &self.token_endpoint_auth_methods_supported {
            Some(methods) => methods.iter().any(|m| m == method),
            None => method == "client_secret_basic",
        }
    }
}

/// Where to look for a server's Protected Resource Metadata, in order: the URL its challenge
/// advertised, the path-inserted well-known URL, the root one.
pub fn resource_metadata_urls(server: &Url, advertised: Option<&str>) -> Vec<Url> {
    let mut urls: Vec<Url> = advertised
        .and_then(|a| server.join(a).ok())
        .into_iter()
        .collect();
    let origin = server.origin().ascii_serialization();
    let path = server.path().trim_end_matches('/');
    let mut push = |s: String| {
        if let Ok(url) = Url::parse(&s) {
            if !urls.contains(&url) {
                urls.push(url);
            }
        }
    };
    if !path.is_empty() {
        push(format!(
            "{origin}/.well-known/oauth-protected-resource{path}"
        ));
    }
    push(format!("{origin}/.well-known/oauth-protected-resource"));
    urls
}

/// Where an issuer's metadata may be, in order (RFC 8414 §3.1 and OpenID Connect Discovery,
/// path-inserted for an issuer with a path; the root is never asked then).
pub fn auth_server_metadata_urls(issuer: &Url) -> Vec<Url> {
    let origin = issuer.origin().ascii_serialization();
    let path = issuer.path().trim_end_matches('/');
    let candidates = if path.is_empty() {
        vec![
            format!("{origin}/.well-known/oauth-authorization-server"),
            format!("{origin}/.well-known/openid-configuration"),
        ]
    } else {
        vec![
            format!("{origin}/.well-known/oauth-authorization-server{path}"),
            format!("{origin}/.well-known/openid-configuration{path}"),
            format!("{origin}{path}/.well-known/openid-configuration"),
        ]
    };
    candidates
        .iter()
        .filter_map(|c| Url::parse(c).ok())
        .collect()
}

/// Whether a PRM `resource` may describe the server at `server`: same scheme, host and port,
/// and its path a prefix of the server's, segment by segment (a trailing `/` ignored).
pub fn resource_allowed(resource: &str, server: &Url) -> bool {
    let Ok(resource) = Url::parse(resource) else {
        return false;
    };
    if resource.scheme() != server.scheme()
        || resource.host_str() != server.host_str()
        || resource.port_or_known_default() != server.port_or_known_default()
    {
        return false;
    }
    let segments = |url: &Url| -> Vec<String> {
        url.path()
            .split('/')
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
            .collect()
    };
    let (want, have) = (segments(&resource), segments(server));
    want.len() <= have.len() && want.iter().zip(&have).all(|(a, b)| a == b)
}

/// GETs a JSON document; `None` when the server has none there (any non-success status) or
/// the body is not the expected document.
pub(super) async fn fetch_json<T: DeserializeOwned>(
    http: &reqwest::Client,
    url: &Url,
) -> Result<Option<T>, OAuthError> {
    let mut response = http
        .get(url.clone())
        .header(http::header::ACCEPT, "application/json")
        .send()
        .await
        .map_err(|e| OAuthError::Http(format!("GET {url}: {e}")))?;
    if !response.status().is_success() {
        tracing::debug!("GET {url}: HTTP {}", response.status());
        return Ok(None);
    }
    let body = match read_within(&mut response, MAX_ANSWER_BYTES).await {
        Ok(body) => body,
        Err(e) => {
            tracing::debug!("GET {url}: {e}");
            return Ok(None);
        }
    };
    match serde_json::from_slice::<T>(&body) {
        Ok(doc) => Ok(Some(doc)),
        Err(e) => {
            tracing::debug!("GET {url}: not the expected metadata: {e}");
            Ok(None)
        }
    }
}

/// The server's Protected Resource Metadata, checked to describe it; `None` when it has none.
pub(super) async fn protected_resource(
    http: &reqwest::Client,
    server: &Url,
    advertised: Option<&str>,
) -> Result<Option<ProtectedResource>, OAuthError> {
    for url in resource_metadata_urls(server, advertised) {
        let Some(prm) = fetch_json::<ProtectedResource>(http, &url).await? else {
            continue;
        };
        if let Some(resource) = &prm.resource {
            if !resource_allowed(resource, server) {
                return Err(OAuthError::ResourceMismatch {
                    resource: resource.clone(),
                    server: server.to_string(),
                });
            }
        }
        return Ok(Some(prm));
    }
    Ok(None)
}

/// The metadata of the authorization server `issuer`, whose `issuer` must be exactly that
/// string; `None` when no location has any.
pub(super) async fn auth_server(
    http: &reqwest::Client,
    issuer: &str,
) -> Result<Option<AuthServerMetadata>, OAuthError> {
    let url = Url::parse(issuer)
        .map_err(|_| OAuthError::Discovery(format!("issuer {issuer:?} is not a URL")))?;
    for candidate in auth_server_metadata_urls(&url) {
        let Some(metadata) = fetch_json::<AuthServerMetadata>(http, &candidate).await? else {
            continue;
        };
        if metadata.issuer != issuer {
            return Err(OAuthError::IssuerMismatch {
                expected: issuer.to_owned(),
                found: metadata.issuer,
            });
        }
        return Ok(Some(metadata));
    }
    Ok(None)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn url(s: &str) -> Url {
        Url::parse(s).unwrap()
    }

    #[test]
    fn resource_prefix_rule() {
        let server = url("http://localhost:3000/mcp");
        assert!(resource_allowed("http://localhost:3000", &server));
        assert!(resource_allowed("http://localhost:3000/mcp/", &server));
        assert!(resource_allowed("HTTP://LOCALHOST:3000/mcp", &server));
        assert!(!resource_allowed("http://localhost:3000/mc", &server));
        assert!(!resource_allowed("http://localhost:3001/mcp", &server));
        assert!(!resource_allowed("https://evil.example.com/mcp", &server));
        assert!(!resource_allowed("http://localhost:3000/mcp/x", &server));
    }

    #[test]
    fn metadata_locations_in_order() {
        let with_path = auth_server_metadata_urls(&url("http://as:1/tenant1"));
        let got: Vec<&str> = with_path.iter().map(Url::as_str).collect();
        assert_eq!(
            got,
            [
                "http://as:1/.well-known/oauth-authorization-server/tenant1",
                "http://as:1/.well-known/openid-configuration/tenant1",
                "http://as:1/tenant1/.well-known/openid-configuration",
            ]
        );
        let root = auth_server_metadata_urls(&url("http://as:1"));
        assert_eq!(root.len(), 2);
        let prm = resource_metadata_urls(&url("http://s:1/mcp"), None);
        let got: Vec<&str> = prm.iter().map(Url::as_str).collect();
        assert_eq!(
            got,
            [
                "http://s:1/.well-known/oauth-protected-resource/mcp",
                "http://s:1/.well-known/oauth-protected-resource",
            ]
        );
    }
}
