//! Checks every request passes before it reaches MCP: `Host` (DNS rebinding), `Origin`, and the
//! bearer token.

use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use http::{HeaderMap, StatusCode, header};
use subtle::ConstantTimeEq;

use super::rejection::HttpRejection;
use crate::auth::resource_server::AuthRejection;

/// What the guard enforces; built once from the config and bind address.
#[derive(Clone, Default)]
pub(super) struct Guard {
    /// Allowed `Host` values (lowercase); empty = any.
    pub hosts: Vec<String>,
    /// Allowed `Origin` values (lowercase); empty = loopback origins only.
    pub origins: Vec<String>,
    /// Accepted static bearer tokens; empty = none.
    pub tokens: Vec<String>,
    /// OAuth resource-server checks; when set, they decide instead of `tokens`.
    pub oauth: Option<std::sync::Arc<crate::auth::resource_server::ResourceServer>>,
}

impl Guard {
    fn host_ok(&self, headers: &HeaderMap) -> bool {
        if self.hosts.is_empty() {
            return true;
        }
        let Some(host) = headers.get(header::HOST).and_then(|h| h.to_str().ok()) else {
            return false;
        };
        let host = host.to_ascii_lowercase();
        self.hosts.contains(&host)
    }

    fn origin_ok(&self, headers: &HeaderMap) -> bool {
        let Some(origin) = headers.get(header::ORIGIN) else {
            return true; // non-browser clients send none
        };
        let Ok(origin) = origin.to_str() else {
            return false;
        };
        let origin = origin.to_ascii_lowercase();
        if self.origins.is_empty() {
            return is_loopback_origin(&origin);
        }
        self.origins.contains(&origin)
    }

    /// `None` when authorized; otherwise whether a token was presented at all.
    fn token_problem(&self, headers: &HeaderMap) -> Option<bool> {
        if self.tokens.is_empty() {
            return None;
        }
        let presented = headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| {
                // The scheme is case-insensitive (RFC 9110, section 11.1).
                let (scheme, token) = v.split_once(' ')?;
                scheme.eq_ignore_ascii_case("bearer").then_some(token)
            });
        let Some(presented) = presented else {
            return Some(false);
        };
        // Compare against every token without stopping early, in constant time per token.
        let mut ok = subtle::Choice::from(0u8);
        for token in &self.tokens {
            ok |= token.as_bytes().ct_eq(presented.trim().as_bytes());
        }
        if bool::from(ok) { None } else { Some(true) }
    }
}

/// `http://localhost`, `http://127.0.0.1`, `http://[::1]` (any port, http or https). An
/// origin is exactly `scheme://host[:port]`: anything else after the host (userinfo such as
/// `localhost:1@evil.com`, a path) is not a loopback origin.
fn is_loopback_origin(origin: &str) -> bool {
    let rest = origin
        .strip_prefix("http://")
        .or_else(|| origin.strip_prefix("https://"));
    let Some(rest) = rest else { return false };
    let Some(port) = ["localhost", "127.0.0.1", "[::1]"]
        .iter()
        .find_map(|host| rest.strip_prefix(host))
    else {
        return false;
    };
    match port.strip_prefix(':') {
        None => port.is_empty(),
        Some(digits) => {
            (1..=5).contains(&digits.len()) && digits.bytes().all(|b| b.is_ascii_digit())
        }
    }
}

/// The axum middleware applying a [`Guard`].
pub(super) async fn guard(
    State(guard): State<std::sync::Arc<Guard>>,
    request: Request,
    next: Next,
) -> Response {
    let headers = request.headers();
    if !guard.host_ok(headers) {
        return HttpRejection::HostNotAllowed.into_response();
    }
    if !guard.origin_ok(headers) {
        return HttpRejection::OriginNotAllowed.into_response();
    }
    if let Some(oauth) = &guard.oauth {
        let path = request.uri().path();
        if path.starts_with(crate::auth::resource_server::ROOT_METADATA_PATH) {
            return next.run(request).await.into_response(); // the metadata is public
        }
        let authorization = request.headers().get(header::AUTHORIZATION).cloned();
        let mut request = request;
        match oauth.authenticate(authorization.as_ref()).await {
            Ok(principal) => {
                request.extensions_mut().insert(principal);
                return next.run(request).await.into_response();
            }
            Err(refused) => return HttpRejection::Auth(refused).into_response(),
        }
    }
    if let Some(presented) = guard.token_problem(headers) {
        let challenge = if presented {
            "Bearer realm=\"spate\", error=\"invalid_token\""
        } else {
            "Bearer realm=\"spate\""
        };
        return HttpRejection::Auth(AuthRejection {
            status: StatusCode::UNAUTHORIZED,
            challenge: challenge.to_owned(),
            message: "Unauthorized: bearer token required".to_owned(),
        })
        .into_response();
    }
    next.run(request).await.into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loopback_origins() {
        for ok in [
            "http://localhost",
            "http://localhost:3000",
            "https://127.0.0.1:8",
            "http://[::1]:9",
        ] {
            assert!(is_loopback_origin(ok), "{ok}");
        }
        for bad in [
            "http://evil.com",
            "http://localhost.evil.com",
            "http://127.0.0.1.nip.io",
            "null",
            "file://",
            "http://[::1]x",
            "http://localhost:1@evil.com",
            "http://127.0.0.1:80@evil.com",
            "http://localhost:",
            "http://localhost:123456",
            "http://localhost/path",
            "http://[::1]:9@evil.com",
        ] {
            assert!(!is_loopback_origin(bad), "{bad}");
        }
    }

    #[test]
    fn tokens_and_hosts() {
        let guard = Guard {
            oauth: None,
            hosts: vec!["127.0.0.1:8080".into()],
            origins: vec![],
            tokens: vec!["s3cret".into()],
        };
        let mut h = HeaderMap::new();
        assert!(!guard.host_ok(&h));
        h.insert(header::HOST, "127.0.0.1:8080".parse().unwrap());
        assert!(guard.host_ok(&h));
        assert_eq!(guard.token_problem(&h), Some(false));
        h.insert(header::AUTHORIZATION, "Bearer nope".parse().unwrap());
        assert_eq!(guard.token_problem(&h), Some(true));
        for scheme in ["Bearer", "bearer", "BEARER", "bEaReR"] {
            let value = format!("{scheme} s3cret");
            h.insert(header::AUTHORIZATION, value.parse().unwrap());
            assert_eq!(guard.token_problem(&h), None, "{scheme}");
        }
        h.insert(header::AUTHORIZATION, "Basic s3cret".parse().unwrap());
        assert_eq!(guard.token_problem(&h), Some(false));
        h.insert(header::AUTHORIZATION, "Bearer s3cret".parse().unwrap());
        assert_eq!(guard.token_problem(&h), None);
        h.insert(header::ORIGIN, "http://evil.com".parse().unwrap());
        assert!(!guard.origin_ok(&h));
    }
}
