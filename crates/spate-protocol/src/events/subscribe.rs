//! Webhook delivery, the control side: `events/subscribe` (create or refresh) and
//! `events/unsubscribe` (SEP-3415, "Webhook").
//!
//! A subscription is keyed by (authenticated principal, `delivery.url`, `name`,
//! `arguments`); all four are immutable, so changing one means another subscription. The
//! same call with the same key refreshes: it replaces the secret, takes the client's last
//! cursor, grants the lifetime again and reactivates delivery. The server derives the
//! subscription `id` from the key; it is never accepted as input.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::list::DeliveryMode;
use crate::fit::FitVersion;
use crate::meta::{JsonObject, Meta};
use crate::result::{EmptyResult, ResultType, fit_request_meta, fit_result};
use crate::version::ProtocolVersion;

/// `delivery` of `events/subscribe`: where and how to call back.
#[derive(Clone, PartialEq, Serialize, Deserialize)]
pub struct WebhookDelivery {
    /// `webhook`, the only mode `events/subscribe` serves (another value is answered with
    /// `Unsupported`). Absent is read as `webhook`.
    #[serde(default = "webhook_mode")]
    pub mode: DeliveryMode,
    /// The callback URL; `https` only. Part of the subscription key.
    pub url: String,
    /// The signing secret, chosen by the client: `whsec_` followed by the standard base64 of
    /// 24 to 64 random bytes. Replaced on every refresh. Hidden from `Debug`.
    pub secret: String,
}

fn webhook_mode() -> DeliveryMode {
    DeliveryMode::Webhook
}

impl fmt::Debug for WebhookDelivery {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WebhookDelivery")
            .field("mode", &self.mode)
            .field("url", &self.url)
            .field("secret", &"<redacted>")
            .finish()
    }
}

impl WebhookDelivery {
    /// A webhook delivery to `url` signed with `secret`.
    pub fn new(url: impl Into<String>, secret: impl Into<String>) -> Self {
        Self {
            mode: DeliveryMode::Webhook,
            url: url.into(),
            secret: secret.into(),
        }
    }
}

/// Params of `events/subscribe`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SubscribeEventsRequestParams {
    /// The event type. Part of the subscription key.
    pub name: String,
    /// Subscription arguments, compared as canonical JSON in the key. Absent or `null` reads
    /// as `{}` (`params` is accepted as the design sketch's older spelling). Always written.
    #[serde(default, alias = "params", deserialize_with = "super::arguments")]
    pub arguments: JsonObject,
    /// The callback.
    pub delivery: WebhookDelivery,
    /// The client's last persisted position (on a refresh, always sent); `None` (written
    /// `null`) starts from now. Used only when the subscription has to be created again.
    #[serde(default)]
    pub cursor: Option<String>,
    /// Replay floor in milliseconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_age_ms: Option<u64>,
    /// The lifetime the client asks for, in milliseconds. Three states: `None` (absent) =
    /// the server's default; `Some(None)` (`null`) = no expiry, granted only by a server that
    /// persists subscriptions; `Some(Some(ms))` = a suggestion the server may shorten.
    #[serde(
        default,
        deserialize_with = "super::present_u64",
        skip_serializing_if = "Option::is_none"
    )]
    pub ttl_ms: Option<Option<u64>>,
    /// Request metadata.
    #[serde(rename = "_meta", default, skip_serializing_if = "Option::is_none")]
    pub meta: Option<Meta>,
}

/// Result of `events/subscribe`.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SubscribeEventsResult {
    /// The subscription id derived from the key; every delivery carries it in
    /// `X-MCP-Subscription-Id`. Stable across refreshes and restarts; grants nothing.
    pub id: String,
    /// The granted expiry (ISO 8601): refresh before it. Always written; `None` (`null`)
    /// only when the client asked for no expiry and the server granted it.
    #[serde(default)]
    pub refresh_before: Option<String>,
    /// A position that is safe to persist (every earlier occurrence was delivered or given
    /// up); `None` (written `null`) for a type without replay.
    #[serde(default)]
    pub cursor: Option<String>,
    /// Delivery starts later than the cursor the client supplied.
    #[serde(default)]
    pub truncated: bool,
    /// How delivery has been going (optional; useful on a refresh).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub delivery_status: Option<DeliveryStatus>,
    /// `complete`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub result_type: Option<ResultType>,
    /// Result metadata.
    #[serde(rename = "_meta", default, skip_serializing_if = "Option::is_none")]
    pub meta: Option<Meta>,
}

/// `deliveryStatus` of a subscribe result. It never holds raw response bodies, headers or
/// status lines, so the endpoint cannot be probed through it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DeliveryStatus {
    /// `false`: the server had suspended delivery after sustained failures, and this refresh
    /// has just reactivated it. Absent is read as `true`.
    #[serde(default = "active_by_default")]
    pub active: bool,
    /// When a delivery last succeeded (ISO 8601); written as `null` when never.
    #[serde(default)]
    pub last_delivery_at: Option<String>,
    /// The category of the last failure; written as `null` when none.
    #[serde(default)]
    pub last_error: Option<DeliveryErrorCategory>,
    /// Since when deliveries have been failing (ISO 8601).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub failed_since: Option<String>,
    /// The server is rate-limiting deliveries (they are late, not failing).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub throttled: Option<bool>,
    /// A hint of how long the throttling lasts, in milliseconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retry_after_ms: Option<u64>,
}

fn active_by_default() -> bool {
    true
}

impl Default for DeliveryStatus {
    fn default() -> Self {
        Self {
            active: true,
            last_delivery_at: None,
            last_error: None,
            failed_since: None,
            throttled: None,
            retry_after_ms: None,
        }
    }
}

/// Why a callback failed, as a fixed category (`deliveryStatus.lastError`, and `data.reason`
/// of a `CallbackEndpointError`).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum DeliveryErrorCategory {
    /// `connection_refused` (also resets, DNS failures and refused addresses).
    ConnectionRefused,
    /// `timeout`.
    Timeout,
    /// `tls_error`.
    TlsError,
    /// `http_4xx` (also redirects, which are never followed).
    Http4xx,
    /// `http_5xx`.
    Http5xx,
    /// `challenge_failed`: the endpoint answered the verification challenge wrongly.
    ChallengeFailed,
    /// A category this crate does not know, kept as written.
    Other(String),
}

impl DeliveryErrorCategory {
    /// The wire spelling.
    pub fn as_str(&self) -> &str {
        match self {
            Self::ConnectionRefused => "connection_refused",
            Self::Timeout => "timeout",
            Self::TlsError => "tls_error",
            Self::Http4xx => "http_4xx",
            Self::Http5xx => "http_5xx",
            Self::ChallengeFailed => "challenge_failed",
            Self::Other(s) => s,
        }
    }

    /// Parses a wire spelling (never fails: unknown values become
    /// [`DeliveryErrorCategory::Other`]).
    pub fn parse(text: &str) -> Self {
        match text {
            "connection_refused" => Self::ConnectionRefused,
            "timeout" => Self::Timeout,
            "tls_error" => Self::TlsError,
            "http_4xx" => Self::Http4xx,
            "http_5xx" => Self::Http5xx,
            "challenge_failed" => Self::ChallengeFailed,
            other => Self::Other(other.to_owned()),
        }
    }
}

impl fmt::Display for DeliveryErrorCategory {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for DeliveryErrorCategory {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for DeliveryErrorCategory {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        Ok(Self::parse(&text))
    }
}

/// `delivery` of `events/unsubscribe`: the callback URL of the key.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct UnsubscribeDelivery {
    /// Some clients (ChatGPT) repeat `mode: "webhook"` here; it is kept but means nothing.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mode: Option<DeliveryMode>,
    /// The callback URL the subscription was made with.
    pub url: String,
}

/// Params of `events/unsubscribe`: the subscription key (the principal comes from
/// authentication; the subscription id is never accepted).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UnsubscribeEventsRequestParams {
    /// The event type.
    pub name: String,
    /// The subscription arguments (absent or `null` reads as `{}`). Always written.
    #[serde(default, alias = "params", deserialize_with = "super::arguments")]
    pub arguments: JsonObject,
    /// The callback.
    pub delivery: UnsubscribeDelivery,
    /// Request metadata.
    #[serde(rename = "_meta", default, skip_serializing_if = "Option::is_none")]
    pub meta: Option<Meta>,
}

/// Result of `events/unsubscribe`: empty (`resultType` only).
///
/// An unknown key is `NotFound` in SEP-3415 but a success in ChatGPT's profile. Our choice
/// while they disagree: a server answers this empty result by default (strict SEP mode
/// answers `NotFound`), and a client treats `NotFound` as success.
pub type UnsubscribeEventsResult = EmptyResult;

impl FitVersion for SubscribeEventsRequestParams {
    fn fit_version(&mut self, version: ProtocolVersion) {
        fit_request_meta(&mut self.meta, version);
    }
}

impl FitVersion for SubscribeEventsResult {
    fn fit_version(&mut self, version: ProtocolVersion) {
        fit_result(&mut self.result_type, &mut self.meta, version);
    }
}

impl FitVersion for UnsubscribeEventsRequestParams {
    fn fit_version(&mut self, version: ProtocolVersion) {
        fit_request_meta(&mut self.meta, version);
    }
}
