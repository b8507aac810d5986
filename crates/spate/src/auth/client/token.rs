//! Token-endpoint requests (authorization code, refresh, client credentials), client
//! authentication (`client_secret_basic`, `client_secret_post`, `none`, `private_key_jwt`),
//! and PKCE values.

use std::time::{SystemTime, UNIX_EPOCH};

use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use rand::RngCore;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::MAX_ANSWER_BYTES;
use super::OAuthError;
use crate::auth::capped_body::read_within;

/// Tokens from a token endpoint. `Debug` shows no token.
#[derive(Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct TokenSet {
    /// The access token, sent as `Authorization: Bearer`.
    pub access_token: String,
    /// The refresh token, if one was issued.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refresh_token: Option<String>,
    /// When the access token expires (seconds since the Unix epoch), if said.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires_at: Option<u64>,
    /// The granted scope, if said.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scope: Option<String>,
}

impl std::fmt::Debug for TokenSet {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TokenSet")
            .field("refresh_token", &self.refresh_token.is_some())
            .field("expires_at", &self.expires_at)
            .field("scope", &self.scope)
            .finish_non_exhaustive()
    }
}

/// How the client proves who it is at the token endpoint.
#[derive(Clone)]
pub(super) enum ClientAuth {
    /// `Authorization: Basic` with the id and secret.
    Basic { id: String, secret: String },
    /// `client_id` and `client_secret` in the form.
    Post { id: String, secret: String },
    /// A public client: `client_id` in the form.
    Public { id: String },
    /// An ES256 JWT assertion signed with the client's key (RFC 7523).
    PrivateKeyJwt {
        id: String,
        key_pem: String,
        audience: String,
    },
}

impl ClientAuth {
    /// The method for a client given what it registered with (`method`), its secret, and
    /// what the server accepts when the registration said nothing.
    pub(super) fn choose(
        id: &str,
        secret: Option<&str>,
        method: Option<&str>,
        supports: impl Fn(&str) -> bool,
    ) -> Self {
        let id = id.to_owned();
        let Some(secret) = secret else {
            return Self::Public { id };
        };
        let secret = secret.to_owned();
        let method = method.map(str::to_owned).unwrap_or_else(|| {
            ["client_secret_basic", "client_secret_post"]
                .into_iter()
                .find(|m| supports(m))
                .unwrap_or("client_secret_basic")
                .to_owned()
        });
        match method.as_str() {
            "client_secret_post" => Self::Post { id, secret },
            "none" => Self::Public { id },
            _ => Self::Basic { id, secret },
        }
    }
}

/// RFC 6749 §2.3.1: the id and secret are form-encoded before Basic encoding.
fn basic(id: &str, secret: &str) -> String {
    let enc = |s: &str| url::form_urlencoded::byte_serialize(s.as_bytes()).collect::<String>();
    format!(
        "Basic {}",
        STANDARD.encode(format!("{}:{}", enc(id), enc(secret)))
    )
}

fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

/// A `private_key_jwt` client assertion: ES256, `iss` = `sub` = the client, `aud` = the
/// authorization server's issuer, five minutes of life and a fresh `jti`.
pub(super) fn client_assertion(
    id: &str,
    key_pem: &str,
    audience: &str,
) -> Result<String, OAuthError> {
    let key = jsonwebtoken::EncodingKey::from_ec_pem(key_pem.as_bytes())
        .map_err(|e| OAuthError::Config(format!("the client's private key: {e}")))?;
    let iat = now();
    let claims = serde_json::json!({
        "iss": id, "sub": id, "aud": audience,
        "iat": iat, "exp": iat + 300, "jti": random_string(16),
    });
    let header = jsonwebtoken::Header::new(jsonwebtoken::Algorithm::ES256);
    jsonwebtoken::encode(&header, &claims, &key)
        .map_err(|e| OAuthError::Config(format!("signing the client assertion: {e}")))
}

/// The answer of a token endpoint.
#[derive(Deserialize)]
struct TokenResponse {
    access_token: String,
    #[serde(default)]
    refresh_token: Option<String>,
    #[serde(default)]
    expires_in: Option<u64>,
    #[serde(default)]
    scope: Option<String>,
}

/// POSTs a token request (`form` plus the client authentication) and reads the tokens.
pub(super) async fn request(
    http: &reqwest::Client,
    endpoint: &str,
    mut form: Vec<(&'static str, String)>,
    auth: &ClientAuth,
) -> Result<TokenSet, OAuthError> {
    let mut rb = http
        .post(endpoint)
        .header(http::header::ACCEPT, "application/json");
    match auth {
        ClientAuth::Basic { id, secret } => {
            rb = rb.header(http::header::AUTHORIZATION, basic(id, secret));
        }
        ClientAuth::Post { id, secret } => {
            form.push(("client_id", id.clone()));
            form.push(("client_secret", secret.clone()));
        }
        ClientAuth::Public { id } => form.push(("client_id", id.clone())),
        ClientAuth::PrivateKeyJwt {
            id,
            key_pem,
            audience,
        } => {
            form.push(("client_id", id.clone()));
            form.push((
                "client_assertion_type",
                "urn:ietf:params:oauth:client-assertion-type:jwt-bearer".to_owned(),
            ));
            form.push(("client_assertion", client_assertion(id, key_pem, audience)?));
        }
    }
    let mut response = rb
        .form(&form)
        .send()
        .await
        .map_err(|e| OAuthError::Http(format!("POST {endpoint}: {e}")))?;
    let status = response.status();
    let body = read_within(&mut response, MAX_ANSWER_BYTES)
        .await
        .map_err(|e| OAuthError::Http(format!("POST {endpoint}: {e}")))?;
    if !status.is_success() {
        let text = String::from_utf8_lossy(&body[..body.len().min(512)]).into_owned();
        return Err(OAuthError::Token(format!("HTTP {status}: {text}")));
    }
    let tokens: TokenResponse = serde_json::from_slice(&body)
        .map_err(|e| OAuthError::Token(format!("not a token response: {e}")))?;
    Ok(TokenSet {
        access_token: tokens.access_token,
        refresh_token: tokens.refresh_token,
        expires_at: tokens.expires_in.map(|s| now() + s),
        scope: tokens.scope,
    })
}

/// `n` random bytes, base64url without padding.
pub(super) fn random_string(n: usize) -> String {
    let mut bytes = vec![0u8; n];
    rand::rng().fill_bytes(&mut bytes);
    URL_SAFE_NO_PAD.encode(bytes)
}

/// A PKCE pair (RFC 7636): the verifier and its S256 challenge.
pub(super) fn pkce() -> (String, String) {
    let verifier = random_string(32);
    let challenge = URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()));
    (verifier, challenge)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pkce_challenge_is_the_s256_of_the_verifier() {
        let (verifier, challenge) = pkce();
        assert_eq!(verifier.len(), 43);
        assert_eq!(
            challenge,
            URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()))
        );
        assert_ne!(pkce().0, verifier);
    }

    #[test]
    fn basic_credentials_are_form_encoded() {
        assert_eq!(
            basic("a b", "s:t"),
            format!("Basic {}", STANDARD.encode("a+b:s%3At"))
        );
    }

    #[test]
    fn token_set_debug_hides_tokens() {
        let t = TokenSet {
            access_token: "secret-access".into(),
            refresh_token: Some("secret-refresh".into()),
            expires_at: None,
            scope: None,
        };
        assert!(!format!("{t:?}").contains("secret"));
    }
}
