//! The [`WebhookSender`] of webhook delivery over HTTPS, hardened against SSRF as SEP-3415
//! ("Security") asks:
//!
//! - [`check_url`](WebhookSender::check_url) applies the URL hygiene rules and returns the
//!   normalised URL (the subscription key and the verification cache use it); a literal IP
//!   host is checked against the [`AddressPolicy`] at once.
//! - [`post`](WebhookSender::post) resolves the host itself and keeps only the addresses the
//!   policy allows, so the connection goes to an address that was checked (DNS rebinding
//!   cannot swap it), while `Host` and TLS SNI still name the original host. When no address
//!   is allowed, nothing is contacted. Redirects are never followed (a 3xx is the reply),
//!   proxies from the environment are ignored (a proxy would connect on our behalf to an
//!   unchecked address), at most 64 KiB of the reply body is read, and nothing is retried:
//!   the server's delivery worker owns retries and backoff.
//!
//! A request body larger than [`WebhookSenderConfig::max_body`] is not sent: `post` answers
//! as the receiver would, with a `413 Payload Too Large` reply and an empty body (SEP-3415:
//! a 413 is never retried), without contacting anything.

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use futures_util::future::BoxFuture;
use reqwest::dns::{Addrs, Name, Resolve, Resolving};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use url::{Host, Url};

use crate::events::callback_address::AddressPolicy;
use crate::mutex::lock;
use crate::server::{CallbackRefusal, SendFailure, WebhookReply, WebhookSender};

/// The longest callback URL accepted, in bytes, before and after normalisation.
pub const MAX_URL_LEN: usize = 2048;
/// The most of a reply's body that is read (the rest is never received).
pub const MAX_REPLY_BODY: usize = 64 * 1024;

/// Settings of an [`HttpWebhookSender`].
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct WebhookSenderConfig {
    /// Which addresses callbacks may reach (default: globally routable only).
    pub policy: AddressPolicy,
    /// Allow plain `http` to a loopback host (`localhost`, `127.0.0.0/8`, `::1`), for
    /// development and tests. Needs [`AddressPolicy::allow_loopback`] too. Default false.
    pub allow_http_loopback: bool,
    /// PEM certificates trusted as roots besides the built-in ones (a test receiver's
    /// self-signed certificate, an internal CA). Each entry may hold several certificates.
    pub extra_root_certificates: Vec<Vec<u8>>,
    /// How long one POST may take, from connecting to the end of the reply (default 10 s).
    /// Waiting for a free per-host slot is not counted.
    pub attempt_timeout: Duration,
    /// POSTs in flight at once to one `host:port` (default 8); more wait their turn.
    pub max_per_host: usize,
    /// The largest request body sent, in bytes (default 262 144, SEP-3415's 256 KiB).
    pub max_body: usize,
}

impl Default for WebhookSenderConfig {
    fn default() -> Self {
        Self {
            policy: AddressPolicy::default(),
            allow_http_loopback: false,
            extra_root_certificates: Vec::new(),
            attempt_timeout: Duration::from_secs(10),
            max_per_host: 8,
            max_body: 256 * 1024,
        }
    }
}

/// Why an [`HttpWebhookSender`] could not be built.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum WebhookSenderError {
    /// An entry of [`WebhookSenderConfig::extra_root_certificates`] holds no valid PEM
    /// certificate.
    #[error("extra root certificate #{index} is not a valid PEM certificate")]
    InvalidCertificate {
        /// Its position in the list.
        index: usize,
    },
    /// The HTTP client refused its settings (a certificate it could not use, say).
    #[error("the webhook HTTP client could not be built: {0}")]
    Client(#[source] reqwest::Error),
}

/// Webhook delivery's POSTs over HTTP(S) (reqwest with rustls), one connection pool for
/// every callback. See the [module documentation](self) for what it guarantees.
#[derive(Debug)]
pub struct HttpWebhookSender {
    client: reqwest::Client,
    policy: Arc<AddressPolicy>,
    allow_http_loopback: bool,
    attempt_timeout: Duration,
    max_body: usize,
    slots: Arc<HostSlots>,
}

impl HttpWebhookSender {
    /// Builds the sender and its HTTP client.
    pub fn new(config: WebhookSenderConfig) -> Result<Self, WebhookSenderError> {
        let policy = Arc::new(config.policy);
        let mut builder = reqwest::Client::builder()
            .use_rustls_tls()
            .redirect(reqwest::redirect::Policy::none())
            .no_proxy()
            .referer(false)
            .dns_resolver(Arc::new(PolicyResolver {
                policy: Arc::clone(&policy),
            }));
        for (index, pem) in config.extra_root_certificates.iter().enumerate() {
            let certificates = reqwest::Certificate::from_pem_bundle(pem)
                .map_err(|_| WebhookSenderError::InvalidCertificate { index })?;
            if certificates.is_empty() {
                return Err(WebhookSenderError::InvalidCertificate { index });
            }
            for certificate in certificates {
                builder = builder.add_root_certificate(certificate);
            }
        }
        let client = builder.build().map_err(WebhookSenderError::Client)?;
        Ok(Self {
            client,
            policy,
            allow_http_loopback: config.allow_http_loopback,
            attempt_timeout: config.attempt_timeout,
            max_body: config.max_body,
            slots: Arc::new(HostSlots {
                per_host: config.max_per_host.max(1),
                map: Mutex::new(HashMap::new()),
            }),
        })
    }

    /// The URL checks, returning the parsed normalised URL.
    fn checked(&self, raw: &str) -> Result<Url, CallbackRefusal> {
        let raw_host = raw_parts(raw)?;
        let mut url = Url::parse(raw).map_err(|_| CallbackRefusal::InvalidUrl)?;
        if !url.username().is_empty() || url.password().is_some() {
            return Err(CallbackRefusal::InvalidUrl);
        }
        // The query is kept byte for byte (receivers route by it): one the parser would
        // re-encode is refused rather than changed.
        let raw_query = raw.split_once('?').map(|(_, query)| query);
        if url.query() != raw_query {
            return Err(CallbackRefusal::InvalidUrl);
        }
        let literal = match url.host() {
            Some(Host::Domain(domain)) => {
                let name = domain.strip_suffix('.').unwrap_or(domain);
                if name.is_empty() || name.ends_with('.') {
                    return Err(CallbackRefusal::InvalidUrl);
                }
                if name.len() != domain.len() {
                    let name = name.to_owned();
                    url.set_host(Some(&name))
                        .map_err(|_| CallbackRefusal::InvalidUrl)?;
                }
                None
            }
            Some(Host::Ipv4(v4)) => {
                // WHATWG parsing accepts `127.1`, `0x7f.1` and `2130706433`: only the
                // canonical dotted quad is.
                let written = raw_host.strip_suffix('.').unwrap_or(&raw_host);
                if written != v4.to_string() {
                    return Err(CallbackRefusal::InvalidUrl);
                }
                url.set_host(Some(&v4.to_string()))
                    .map_err(|_| CallbackRefusal::InvalidUrl)?;
                Some(IpAddr::V4(v4))
            }
            Some(Host::Ipv6(v6)) => {
                if url.host_str() != Some(raw_host.as_str()) {
                    return Err(CallbackRefusal::InvalidUrl);
                }
                Some(IpAddr::V6(v6))
            }
            None => return Err(CallbackRefusal::InvalidUrl),
        };
        match url.scheme() {
            "https" => {}
            "http" if self.http_allowed(&url, literal) => {}
            _ => return Err(CallbackRefusal::HttpsRequired),
        }
        if let Some(ip) = literal {
            if !self.policy.allows(ip) {
                return Err(CallbackRefusal::AddressNotAllowed);
            }
        }
        if url.as_str().len() > MAX_URL_LEN {
            return Err(CallbackRefusal::InvalidUrl);
        }
        Ok(url)
    }

    /// Plain http: only when configured, and only to a loopback host.
    fn http_allowed(&self, url: &Url, literal: Option<IpAddr>) -> bool {
        if !(self.allow_http_loopback && self.policy.allow_loopback) {
            return false;
        }
        match literal {
            Some(IpAddr::V6(v6)) => v6
                .to_ipv4_mapped()
                .map_or(v6.is_loopback(), |v4| v4.is_loopback()),
            Some(ip) => ip.is_loopback(),
            None => url.host_str() == Some("localhost"),
        }
    }

    async fn exchange(
        &self,
        url: Url,
        headers: Vec<(&'static str, String)>,
        body: Bytes,
    ) -> Result<WebhookReply, SendFailure> {
        let mut request = self
            .client
            .post(url)
            .header(http::header::CONTENT_TYPE, "application/json");
        for (name, value) in headers {
            request = request.header(name, value);
        }
        let mut response = request.body(body).send().await.map_err(classify)?;
        let status = response.status().as_u16();
        // The receiver answered: a body it cut short (or too long to read) is read as empty
        // or as its start. Dropping `response` closes the connection if it was not all read.
        let body = crate::auth::capped_body::read_capped(&mut response, MAX_REPLY_BODY)
            .await
            .map_or_else(|_| Bytes::new(), |(body, _)| body);
        Ok(WebhookReply { status, body })
    }
}

impl WebhookSender for HttpWebhookSender {
    fn check_url(&self, raw: &str) -> Result<String, CallbackRefusal> {
        self.checked(raw).map(String::from)
    }

    fn post<'a>(
        &'a self,
        url: &'a str,
        headers: Vec<(&'static str, String)>,
        body: Bytes,
    ) -> BoxFuture<'a, Result<WebhookReply, SendFailure>> {
        Box::pin(async move {
            // Checked again: the URL may have been stored under another configuration,
            // and a literal address never reaches the resolver.
            let url = self
                .checked(url)
                .map_err(|_| SendFailure::AddressNotAllowed)?;
            if body.len() > self.max_body {
                return Ok(WebhookReply {
                    status: 413,
                    body: Bytes::new(),
                });
            }
            let host = url.host_str().unwrap_or_default();
            let port = url.port_or_known_default().unwrap_or_default();
            let _slot = self.slots.acquire(format!("{host}:{port}")).await;
            match tokio::time::timeout(self.attempt_timeout, self.exchange(url, headers, body))
                .await
            {
                Ok(answer) => answer,
                Err(_) => Err(SendFailure::Timeout),
            }
        })
    }
}

/// Reads the parts of a raw URL that parsing would hide: refuses what the hygiene rules
/// forbid in the text itself, and returns the host as written (lower-cased).
fn raw_parts(raw: &str) -> Result<String, CallbackRefusal> {
    if raw.len() > MAX_URL_LEN
        || raw
            .chars()
            .any(|c| c.is_control() || c.is_whitespace() || c == '\\' || c == '#')
    {
        return Err(CallbackRefusal::InvalidUrl);
    }
    // Absolute with an authority: `https:example.com` (which WHATWG parsing would accept)
    // is not.
    let (scheme, rest) = raw.split_once("://").ok_or(CallbackRefusal::InvalidUrl)?;
    if scheme.is_empty() || !scheme.bytes().all(|b| b.is_ascii_alphanumeric()) {
        return Err(CallbackRefusal::InvalidUrl);
    }
    let end = rest.find(['/', '?']).unwrap_or(rest.len());
    let authority = &rest[..end];
    if authority.contains('@') {
        return Err(CallbackRefusal::InvalidUrl);
    }
    let host = if authority.starts_with('[') {
        match authority.find(']') {
            Some(close) => &authority[..=close],
            None => return Err(CallbackRefusal::InvalidUrl),
        }
    } else {
        authority
            .rsplit_once(':')
            .map_or(authority, |(host, _port)| host)
    };
    Ok(host.to_ascii_lowercase())
}

/// Maps a reqwest error to the failure categories of SEP-3415.
fn classify(error: reqwest::Error) -> SendFailure {
    if error.is_timeout() {
        return SendFailure::Timeout;
    }
    let mut cause: Option<&(dyn std::error::Error + 'static)> = Some(&error);
    while let Some(current) = cause {
        if current.is::<NoAllowedAddress>() {
            return SendFailure::AddressNotAllowed;
        }
        if current.is::<rustls::Error>() {
            return SendFailure::Tls;
        }
        cause = match current.downcast_ref::<std::io::Error>() {
            Some(io) if io.kind() == std::io::ErrorKind::TimedOut => return SendFailure::Timeout,
            // `io::Error::source` skips the error it wraps (rustls's is wrapped twice).
            Some(io) => io
                .get_ref()
                .map(|inner| inner as &(dyn std::error::Error + 'static)),
            None => current.source(),
        };
    }
    SendFailure::ConnectionRefused
}

/// The resolver's answer when every address of a name is refused by the policy.
#[derive(Debug, thiserror::Error)]
#[error("no address of the callback host is allowed")]
struct NoAllowedAddress;

/// Resolves through the system resolver and keeps the addresses the policy allows.
struct PolicyResolver {
    policy: Arc<AddressPolicy>,
}

impl Resolve for PolicyResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let policy = Arc::clone(&self.policy);
        let host = name.as_str().to_owned();
        Box::pin(async move {
            let found = tokio::net::lookup_host((host.as_str(), 0)).await?;
            let allowed: Vec<SocketAddr> = found.filter(|addr| policy.allows(addr.ip())).collect();
            if allowed.is_empty() {
                return Err(Box::new(NoAllowedAddress) as Box<dyn std::error::Error + Send + Sync>);
            }
            let addrs: Addrs = Box::new(allowed.into_iter());
            Ok(addrs)
        })
    }
}

/// One semaphore per `host:port` with POSTs in flight or waiting; an entry leaves the map
/// with its last user, so the map never outgrows the POSTs under way.
#[derive(Debug)]
struct HostSlots {
    per_host: usize,
    map: Mutex<HashMap<String, Arc<Semaphore>>>,
}

impl HostSlots {
    async fn acquire(self: &Arc<Self>, key: String) -> HostSlot {
        let semaphore = {
            let mut map = lock(&self.map);
            Arc::clone(
                map.entry(key.clone())
                    .or_insert_with(|| Arc::new(Semaphore::new(self.per_host))),
            )
        };
        // The semaphore is never closed, so acquiring cannot fail.
        let permit = semaphore.acquire_owned().await.ok();
        HostSlot {
            permit,
            key,
            slots: Arc::clone(self),
        }
    }
}

/// A POST's place among its host's; leaving frees it, and the host's entry when unused.
struct HostSlot {
    permit: Option<OwnedSemaphorePermit>,
    key: String,
    slots: Arc<HostSlots>,
}

impl Drop for HostSlot {
    fn drop(&mut self) {
        drop(self.permit.take());
        let mut map = lock(&self.slots.map);
        // Clones are taken under this lock: one held by the map alone is unused.
        if map
            .get(&self.key)
            .is_some_and(|semaphore| Arc::strong_count(semaphore) == 1)
        {
            map.remove(&self.key);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sender(allow_loopback: bool) -> HttpWebhookSender {
        let mut config = WebhookSenderConfig::default();
        config.policy.allow_loopback = allow_loopback;
        config.allow_http_loopback = allow_loopback;
        HttpWebhookSender::new(config).expect("sender")
    }

    #[test]
    fn normalises() {
        let strict = sender(false);
        let cases: &[(&str, &str)] = &[
            ("HTTPS://Example.COM/a/../b/./c", "https://example.com/b/c"),
            ("https://example.com:443", "https://example.com/"),
            ("https://example.com:8443/x", "https://example.com:8443/x"),
            ("https://example.com./hook", "https://example.com/hook"),
            (
                "https://bücher.example/h",
                "https://xn--bcher-kva.example/h",
            ),
            ("https://8.8.8.8./h", "https://8.8.8.8/h"),
            (
                "https://[2001:4860:4860::8888]/h",
                "https://[2001:4860:4860::8888]/h",
            ),
            (
                "https://[2001:4860:4860::8888]:443/",
                "https://[2001:4860:4860::8888]/",
            ),
            (
                "https://example.com/cb?mcp_event_subscription=0b5e6c1e-8b5f-4f0e-9d7a-1c2b3d4e5f60&a=%2F",
                "https://example.com/cb?mcp_event_subscription=0b5e6c1e-8b5f-4f0e-9d7a-1c2b3d4e5f60&a=%2F",
            ),
            ("https://example.com/?", "https://example.com/?"),
        ];
        for &(raw, normal) in cases {
            assert_eq!(strict.check_url(raw).as_deref(), Ok(normal), "{raw}");
            assert_eq!(strict.check_url(normal).as_deref(), Ok(normal), "{normal}");
        }
    }

    #[test]
    fn refuses() {
        use CallbackRefusal::{AddressNotAllowed, HttpsRequired, InvalidUrl};
        let long = format!("https://example.com/{}", "a".repeat(MAX_URL_LEN));
        let cases: &[(&str, CallbackRefusal)] = &[
            ("", InvalidUrl),
            ("/relative", InvalidUrl),
            ("https:example.com", InvalidUrl),
            ("https://", InvalidUrl),
            ("https://user@example.com/", InvalidUrl),
            ("https://user:pw@example.com/", InvalidUrl),
            ("https://@example.com/", InvalidUrl),
            ("https://example.com/#frag", InvalidUrl),
            ("https://example.com/a b", InvalidUrl),
            ("https://example.com/a\tb", InvalidUrl),
            (" https://example.com/", InvalidUrl),
            ("https://example.com/\u{7f}", InvalidUrl),
            ("https://example.com/\u{a0}", InvalidUrl),
            ("https://example.com\\@evil.com/", InvalidUrl),
            ("https://example.com../", InvalidUrl),
            ("https://./", InvalidUrl),
            ("https://example.com/?q=<x>", InvalidUrl),
            ("https://example.com/?q=é", InvalidUrl),
            ("https://127.1/", InvalidUrl),
            ("https://0x7f.1/", InvalidUrl),
            ("https://2130706433/", InvalidUrl),
            ("https://010.0.0.1/", InvalidUrl),
            ("https://8.8.8.08/", InvalidUrl),
            ("https://example.123/", InvalidUrl),
            ("https://[0:0::1]/", InvalidUrl),
            ("https://[2001:4860:4860:0:0:0:0:8888]/", InvalidUrl),
            ("https://[fe80::1%25eth0]/", InvalidUrl),
            ("https://example.com:99999/", InvalidUrl),
            (long.as_str(), InvalidUrl),
            ("http://example.com", HttpsRequired),
            ("ftp://example.com/", HttpsRequired),
            ("http://localhost/", HttpsRequired),
            ("https://10.0.0.1/h", AddressNotAllowed),
            ("https://169.254.169.254/", AddressNotAllowed),
            ("https://[::1]/", AddressNotAllowed),
            ("https://[::ffff:127.0.0.1]/", InvalidUrl), // not canonical in WHATWG form
            ("https://[::ffff:7f00:1]/", AddressNotAllowed),
            ("https://0.0.0.0/", AddressNotAllowed),
            ("https://127.0.0.1/", AddressNotAllowed),
        ];
        let strict = sender(false);
        for &(raw, refusal) in cases {
            assert_eq!(strict.check_url(raw), Err(refusal), "{raw:?}");
        }
    }

    #[test]
    fn http_only_to_loopback_when_configured() {
        let dev = sender(true);
        for raw in [
            "http://127.0.0.1:8080/h",
            "http://localhost/h",
            "http://[::1]:9/",
        ] {
            assert!(dev.check_url(raw).is_ok(), "{raw}");
        }
        assert_eq!(
            dev.check_url("http://example.com/"),
            Err(CallbackRefusal::HttpsRequired)
        );
        assert_eq!(
            dev.check_url("https://10.0.0.1/"),
            Err(CallbackRefusal::AddressNotAllowed)
        );
        // Loopback allowed for https, but http not configured.
        let mut config = WebhookSenderConfig::default();
        config.policy.allow_loopback = true;
        let https_only = HttpWebhookSender::new(config).expect("sender");
        assert!(https_only.check_url("https://127.0.0.1/").is_ok());
        assert_eq!(
            https_only.check_url("http://127.0.0.1/"),
            Err(CallbackRefusal::HttpsRequired)
        );
    }

    #[test]
    fn invalid_certificates_are_refused() {
        let config = WebhookSenderConfig {
            extra_root_certificates: vec![b"not a certificate".to_vec()],
            ..WebhookSenderConfig::default()
        };
        assert!(matches!(
            HttpWebhookSender::new(config),
            Err(WebhookSenderError::InvalidCertificate { index: 0 })
        ));
    }
}
