//! Webhook delivery, the HTTP side (SEP-3415, "Webhook Delivery"): the header names, the
//! bodies a server POSTs to a callback URL, and the endpoint's answer to a verification
//! challenge. Signing and verifying live in the `spate` crate (`spate::events`).
//!
//! Every delivery is one `POST` with `Content-Type: application/json`, a body of one JSON
//! object, and four headers: the three of the Standard Webhooks profile
//! (<https://www.standardwebhooks.com/>) and [`SUBSCRIPTION_ID`].

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::occurrence::EventOccurrence;
use crate::jsonrpc::ErrorObject;
use crate::meta::JsonObject;

/// `webhook-id`: the message id, the same on every retry of one message. For an event it
/// is the `eventId` (design sketch, ChatGPT) or a per-message id (SEP-3415 as finalised);
/// for a control envelope `msg_<type>_<random>`. Header names are lower case, as the `http`
/// crate wants them; they are matched without regard to case.
pub const WEBHOOK_ID: &str = "webhook-id";
/// `webhook-timestamp`: Unix seconds (a decimal integer) of this attempt.
pub const WEBHOOK_TIMESTAMP: &str = "webhook-timestamp";
/// `webhook-signature`: space-separated `v1,<base64>` HMAC-SHA256 signatures.
pub const WEBHOOK_SIGNATURE: &str = "webhook-signature";
/// `X-MCP-Subscription-Id`: the subscription id from the subscribe result, the only
/// MCP-specific header.
pub const SUBSCRIPTION_ID: &str = "x-mcp-subscription-id";

/// The largest body a server sends (256 KiB): larger occurrences are not delivered.
pub const MAX_BODY_BYTES: usize = 262_144;

/// Where an endpoint may publish the path prefixes it accepts callbacks on, on the callback
/// URL's origin (one of the alternatives to the verification challenge).
pub const RECEIVER_WELL_KNOWN_PATH: &str = "/.well-known/mcp-webhook-receiver.json";

/// The body of a webhook POST: an occurrence, or a control envelope (an object with a
/// top-level `type` member).
#[derive(Debug, Clone, PartialEq)]
pub enum WebhookBody {
    /// One occurrence, with `cursor` the watermark that is safe to persist.
    Event(EventOccurrence),
    /// `{"type": "gap", "cursor": …}`: occurrences may have been missed since the last
    /// refresh; persist the cursor and treat it as `truncated: true`.
    Gap(GapEnvelope),
    /// `{"type": "terminated", "error": …}`: the subscription no longer exists.
    Terminated(TerminatedEnvelope),
    /// `{"type": "verification", "challenge": …}`: answered by the endpoint in its HTTP
    /// response ([`VerificationResponse`]), not forwarded to the client.
    Verification(VerificationEnvelope),
    /// A control envelope of a `type` this crate does not know, kept as written.
    Other(JsonObject),
}

/// The body of a `gap` control envelope.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct GapEnvelope {
    /// The position to continue from; `None` (written `null`) for a type without replay.
    #[serde(default)]
    pub cursor: Option<String>,
}

/// The body of a `terminated` control envelope.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TerminatedEnvelope {
    /// Why the subscription ended (e.g. `Forbidden` after revocation, `NotFound` with
    /// `{"kind": "event"}` after the type was removed).
    pub error: ErrorObject,
}

/// The body of a `verification` control envelope: the challenge the endpoint must echo.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct VerificationEnvelope {
    /// A fresh single-use nonce.
    pub challenge: String,
}

/// The endpoint's answer to a verification challenge, the body of its `2xx` response:
/// exactly `{"challenge": "<the nonce>"}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct VerificationResponse {
    /// The nonce of the envelope, unchanged.
    pub challenge: String,
}

#[derive(Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "lowercase")]
enum Control {
    Gap(GapEnvelope),
    Terminated(TerminatedEnvelope),
    Verification(VerificationEnvelope),
}

#[derive(Serialize)]
#[serde(tag = "type", rename_all = "lowercase")]
enum ControlRef<'a> {
    Gap(&'a GapEnvelope),
    Terminated(&'a TerminatedEnvelope),
    Verification(&'a VerificationEnvelope),
}

impl WebhookBody {
    /// The control envelope's `type`, or `None` for an occurrence.
    pub fn control_type(&self) -> Option<&str> {
        match self {
            Self::Event(_) => None,
            Self::Gap(_) => Some("gap"),
            Self::Terminated(_) => Some("terminated"),
            Self::Verification(_) => Some("verification"),
            Self::Other(object) => object.get("type").and_then(serde_json::Value::as_str),
        }
    }
}

impl Serialize for WebhookBody {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            Self::Event(event) => event.serialize(serializer),
            Self::Gap(gap) => ControlRef::Gap(gap).serialize(serializer),
            Self::Terminated(end) => ControlRef::Terminated(end).serialize(serializer),
            Self::Verification(v) => ControlRef::Verification(v).serialize(serializer),
            Self::Other(object) => object.serialize(serializer),
        }
    }
}

impl<'de> Deserialize<'de> for WebhookBody {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        use serde::de::Error;
        let object = JsonObject::deserialize(deserializer)?;
        let known = match object.get("type") {
            None => {
                let event = serde_json::from_value(serde_json::Value::Object(object))
                    .map_err(D::Error::custom)?;
                return Ok(Self::Event(event));
            }
            Some(kind) => matches!(kind.as_str(), Some("gap" | "terminated" | "verification")),
        };
        if !known {
            return Ok(Self::Other(object));
        }
        let control =
            serde_json::from_value(serde_json::Value::Object(object)).map_err(D::Error::custom)?;
        Ok(match control {
            Control::Gap(gap) => Self::Gap(gap),
            Control::Terminated(end) => Self::Terminated(end),
            Control::Verification(v) => Self::Verification(v),
        })
    }
}
