//! The interactive step of the authorization-code flow: someone (a user in a browser, or a
//! test) visits the authorization URL and the redirect brings back `code`, `state` and `iss`.

use futures_util::future::BoxFuture;
use url::Url;

use super::OAuthError;

/// The query of the redirect that ends an authorization request.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AuthorizationResponse {
    /// `code`.
    pub code: Option<String>,
    /// `state`.
    pub state: Option<String>,
    /// `iss` (RFC 9207).
    pub iss: Option<String>,
    /// `error`, when the server refused.
    pub error: Option<String>,
}

impl AuthorizationResponse {
    /// Reads the parameters of a redirect's query string.
    pub fn from_query(query: &str) -> Self {
        let mut response = Self::default();
        for (name, value) in url::form_urlencoded::parse(query.as_bytes()) {
            let slot = match name.as_ref() {
                "code" => &mut response.code,
                "state" => &mut response.state,
                "iss" => &mut response.iss,
                "error" => &mut response.error,
                _ => continue,
            };
            *slot = Some(value.into_owned());
        }
        response
    }
}

/// Runs the interactive step: given the authorization URL, returns the redirect's query.
pub trait Authorizer: Send + Sync + std::fmt::Debug {
    /// The redirect URI registered for this client and sent in the request.
    fn redirect_uri(&self) -> String;
    /// Has the authorization URL visited and returns what the redirect carried.
    fn authorize<'a>(
        &'a self,
        url: &'a Url,
    ) -> BoxFuture<'a, Result<AuthorizationResponse, OAuthError>>;
}

/// An [`Authorizer`] without a user: it GETs the authorization URL itself, does not follow
/// the redirect, and reads the answer from `Location`. Only for authorization servers that
/// approve at once (test servers, the conformance suite's mocks).
#[derive(Debug, Clone)]
pub struct HeadlessAuthorizer {
    http: reqwest::Client,
    redirect_uri: String,
}

impl HeadlessAuthorizer {
    /// An authorizer that registers and sends `redirect_uri` (which is never fetched).
    pub fn new(redirect_uri: impl Into<String>) -> Self {
        Self {
            http: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .unwrap_or_default(),
            redirect_uri: redirect_uri.into(),
        }
    }
}

impl Authorizer for HeadlessAuthorizer {
    fn redirect_uri(&self) -> String {
        self.redirect_uri.clone()
    }

    fn authorize<'a>(
        &'a self,
        url: &'a Url,
    ) -> BoxFuture<'a, Result<AuthorizationResponse, OAuthError>> {
        Box::pin(async move {
            let response = self
                .http
                .get(url.clone())
                .send()
                .await
                .map_err(|e| OAuthError::Http(format!("GET the authorization URL: {e}")))?;
            let location = response
                .headers()
                .get(http::header::LOCATION)
                .and_then(|v| v.to_str().ok())
                .ok_or_else(|| {
                    OAuthError::Denied(format!(
                        "the authorization endpoint answered HTTP {} without a redirect",
                        response.status()
                    ))
                })?;
            let target = url
                .join(location)
                .map_err(|_| OAuthError::Denied(format!("bad redirect {location:?}")))?;
            Ok(AuthorizationResponse::from_query(
                target.query().unwrap_or(""),
            ))
        })
    }
}
