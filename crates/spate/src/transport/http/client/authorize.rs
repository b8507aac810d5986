//! Answering a server's demand for authorization (`401`, or `403 insufficient_scope`) on
//! any request of a connection: the POSTs of Streamable HTTP, its `GET` streams, and both
//! requests of the HTTP+SSE transport.

use http::StatusCode;

use super::Conn;
use crate::auth::client::{Challenge, OAuthClient};

/// The challenge to answer by authorizing, when the connection has OAuth, the answer is a
/// `401` or a `403 insufficient_scope`, and the request has not used up its authorizations.
pub(super) fn challenge<'a>(
    conn: &'a Conn,
    response: &reqwest::Response,
    authorizations: u32,
) -> Option<(&'a OAuthClient, Challenge)> {
    let oauth = conn.options.oauth.as_deref()?;
    if authorizations >= oauth.max_authorizations() {
        return None;
    }
    let challenge = Challenge::from_headers(response.headers());
    match response.status() {
        StatusCode::UNAUTHORIZED => Some((oauth, challenge)),
        StatusCode::FORBIDDEN if challenge.insufficient_scope() => Some((oauth, challenge)),
        _ => None,
    }
}

/// Why [`send`] got no response to use.
#[derive(Debug)]
pub(super) enum SendError {
    /// The request failed on the network (worth another try later).
    Network(String),
    /// The server demanded authorization and getting it failed (another try would ask
    /// again, so callers give up).
    Authorization(String),
}

impl std::fmt::Display for SendError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Network(why) | Self::Authorization(why) => f.write_str(why),
        }
    }
}

/// Sends the request `build` makes (with [`Conn::request`], so it carries the current
/// token); when the answer demands authorization, authorizes and sends a new one, as often
/// as the OAuth client allows. The answer is the last response.
pub(super) async fn send(
    conn: &Conn,
    build: impl Fn() -> reqwest::RequestBuilder,
) -> Result<reqwest::Response, SendError> {
    let mut authorizations = 0;
    loop {
        let token = conn.oauth_token();
        let response = build()
            .send()
            .await
            .map_err(|e| SendError::Network(format!("HTTP request to {} failed: {e}", conn.url)))?;
        let Some((oauth, challenge)) = challenge(conn, &response, authorizations) else {
            return Ok(response);
        };
        authorizations += 1;
        let status = response.status();
        if let Err(e) = oauth.authorize(&challenge, token.as_deref()).await {
            return Err(SendError::Authorization(format!(
                "HTTP {status} from {}; authorization failed: {e}",
                conn.url
            )));
        }
    }
}
