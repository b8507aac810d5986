//! The one thing webhook delivery needs from a transport: a POST to a callback URL, made
//! safely. The server layer decides what to send, when, and what an answer means; an
//! implementation of [`WebhookSender`] (the HTTP client's, in
//! `transport::http::client::webhook_sender`) decides how to reach the callback without
//! being turned against the network it runs in (SEP-3415, "Security": SSRF rules at
//! subscribe time and again at delivery time on the resolved address, no redirects, the
//! connection made to the address that was checked).

use bytes::Bytes;
use futures_util::future::BoxFuture;

/// Why a callback URL was refused (at subscribe time, or at delivery time once resolved).
/// [`reason`](Self::reason) is the `data.reason` of the `InvalidParams` error.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CallbackRefusal {
    /// Not an absolute URL, or one with userinfo, a fragment, whitespace, control
    /// characters, a non-canonical numeric host, or longer than 2048 bytes.
    #[error("the callback URL is not a valid absolute URL")]
    InvalidUrl,
    /// Not `https` (plain `http` is allowed only to loopback, and only when configured).
    #[error("the callback URL must use https")]
    HttpsRequired,
    /// Its host is (or resolves to) an address that is not globally routable and not
    /// allow-listed.
    #[error("the callback URL's address is not allowed")]
    AddressNotAllowed,
}

impl CallbackRefusal {
    /// The `data.reason` of the error that reports it.
    pub fn reason(self) -> &'static str {
        match self {
            Self::InvalidUrl => "invalid_url",
            Self::HttpsRequired => "https_required",
            Self::AddressNotAllowed => "address_not_allowed",
        }
    }
}

/// What a callback answered. Only the status and the start of the body are kept (the
/// challenge echo is all the server reads, and never reports it back).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebhookReply {
    /// The HTTP status. A redirect is never followed: it is reported as its 3xx status.
    pub status: u16,
    /// At most the first 64 KiB of the body.
    pub body: Bytes,
}

/// Why a POST got no answer. These are the delivery-status categories of SEP-3415
/// (`lastError`) that are not an HTTP status.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SendFailure {
    /// Refused, reset, or the name did not resolve.
    #[error("connection refused")]
    ConnectionRefused,
    /// Every address the host resolved to is refused by the policy: nothing was contacted.
    /// Reported to clients as `connection_refused` (no oracle of the network behind).
    #[error("no allowed address")]
    AddressNotAllowed,
    /// No answer within the attempt's time limit.
    #[error("timeout")]
    Timeout,
    /// The TLS handshake failed (certificate, protocol).
    #[error("TLS error")]
    Tls,
}

/// Makes the POSTs of webhook delivery: deliveries, control envelopes and verification
/// challenges.
pub trait WebhookSender: std::fmt::Debug + Send + Sync + 'static {
    /// Checks a callback URL at subscribe time (syntax, scheme, and a literal address
    /// against the policy; names are resolved and checked at delivery) and returns the
    /// normalised form that keys the subscription and is posted to.
    fn check_url(&self, raw: &str) -> Result<String, CallbackRefusal>;

    /// POSTs `body` (`Content-Type: application/json`) with `headers` to `url` (a URL that
    /// passed [`check_url`](Self::check_url)), checking the resolved address again,
    /// following no redirect, and giving up after the sender's attempt timeout.
    fn post<'a>(
        &'a self,
        url: &'a str,
        headers: Vec<(&'static str, String)>,
        body: Bytes,
    ) -> BoxFuture<'a, Result<WebhookReply, SendFailure>>;
}
