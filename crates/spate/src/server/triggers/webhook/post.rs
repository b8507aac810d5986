//! One signed webhook POST, and what its answer means (SEP-3415, "Webhook delivery"): the
//! four headers, a fresh timestamp and signature per attempt, and the answer read as
//! delivered, refused for good (`410`, `413`), or failed with a `lastError` category.

use bytes::Bytes;
use rand::RngCore as _;
use sha2::{Digest as _, Sha256};
use spate_protocol::events::DeliveryErrorCategory;
use spate_protocol::events::webhook::{
    SUBSCRIPTION_ID, WEBHOOK_ID, WEBHOOK_SIGNATURE, WEBHOOK_TIMESTAMP,
};

use super::{SendFailure, WebhookReply, WebhookSender};
use crate::events::webhook_signature::{WebhookSecret, signature_header};
use crate::store::now_ms;
use crate::store::webhook_subscriptions::WireProfile;

/// The `X-MCP-Subscription-Id` header as written on the wire.
const SUBSCRIPTION_ID_HEADER: &str = "X-MCP-Subscription-Id";

/// What one attempt came to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Outcome {
    /// A `2xx`.
    Delivered,
    /// `410` or `413`: never retried.
    Refused,
    /// Anything else: retried.
    Failed(DeliveryErrorCategory),
}

impl Outcome {
    /// Reads an attempt's result.
    pub(super) fn of(result: &Result<WebhookReply, SendFailure>) -> Self {
        match result {
            Ok(reply) => match reply.status {
                200..=299 => Self::Delivered,
                410 | 413 => Self::Refused,
                500..=599 => Self::Failed(DeliveryErrorCategory::Http5xx),
                // A redirect is never followed, and counts as a client-side failure.
                _ => Self::Failed(DeliveryErrorCategory::Http4xx),
            },
            Err(failure) => Self::Failed(category(*failure)),
        }
    }
}

/// The `lastError` category of a POST that got no answer.
pub(super) fn category(failure: SendFailure) -> DeliveryErrorCategory {
    match failure {
        SendFailure::Timeout => DeliveryErrorCategory::Timeout,
        SendFailure::Tls => DeliveryErrorCategory::TlsError,
        SendFailure::ConnectionRefused | SendFailure::AddressNotAllowed => {
            DeliveryErrorCategory::ConnectionRefused
        }
    }
}

/// POSTs `body` to `url` as message `message_id` of subscription `subscription_id`, signed
/// with every secret in `secrets` (current first) and stamped now.
pub(super) async fn post_signed(
    sender: &dyn WebhookSender,
    url: &str,
    subscription_id: &str,
    message_id: &str,
    secrets: &[WebhookSecret],
    body: Bytes,
) -> Result<WebhookReply, SendFailure> {
    let timestamp = now_ms() / 1000;
    let signature = signature_header(secrets, message_id, timestamp, &body);
    debug_assert_eq!(SUBSCRIPTION_ID, SUBSCRIPTION_ID_HEADER.to_ascii_lowercase());
    let headers = vec![
        (WEBHOOK_ID, message_id.to_owned()),
        (WEBHOOK_TIMESTAMP, timestamp.to_string()),
        (WEBHOOK_SIGNATURE, signature),
        (SUBSCRIPTION_ID_HEADER, subscription_id.to_owned()),
    ];
    sender.post(url, headers, body).await
}

/// The `webhook-id` of an event delivery: the event id for the design sketch and ChatGPT;
/// for SEP-3415 a per-message id, stable across retries of the same delivery
/// (`msg_evt_` and the first 24 hex digits of SHA-256 over the subscription id, a zero
/// byte and the event id).
pub(super) fn event_message_id(
    profile: WireProfile,
    subscription_id: &str,
    event_id: &str,
) -> String {
    match profile {
        WireProfile::Legacy => event_id.to_owned(),
        WireProfile::Sep => {
            let mut hash = Sha256::new();
            hash.update(subscription_id.as_bytes());
            hash.update([0]);
            hash.update(event_id.as_bytes());
            format!("msg_evt_{}", hex24(&hash.finalize()))
        }
    }
}

/// The `webhook-id` of a `terminated` envelope: deterministic per subscription (its id and
/// creation time), so a re-sent one deduplicates.
pub(super) fn terminated_message_id(subscription_id: &str, created_at_ms: u64) -> String {
    let mut hash = Sha256::new();
    hash.update(subscription_id.as_bytes());
    hash.update(created_at_ms.to_string().as_bytes());
    format!("msg_terminated_{}", hex24(&hash.finalize()))
}

/// A fresh `msg_<kind>_<24 hex>` id for a control envelope or a challenge.
pub(super) fn control_message_id(kind: &str) -> String {
    let mut bytes = [0u8; 12];
    rand::rng().fill_bytes(&mut bytes);
    format!("msg_{kind}_{}", hex24(&bytes))
}

/// The first 12 bytes as 24 lower-case hex digits.
fn hex24(bytes: &[u8]) -> String {
    bytes.iter().take(12).map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reply(status: u16) -> Result<WebhookReply, SendFailure> {
        Ok(WebhookReply {
            status,
            body: Bytes::new(),
        })
    }

    #[test]
    fn answers_map_to_outcomes() {
        use DeliveryErrorCategory::*;
        let table = [
            (reply(200), Outcome::Delivered),
            (reply(204), Outcome::Delivered),
            (reply(410), Outcome::Refused),
            (reply(413), Outcome::Refused),
            (reply(302), Outcome::Failed(Http4xx)),
            (reply(401), Outcome::Failed(Http4xx)),
            (reply(503), Outcome::Failed(Http5xx)),
            (Err(SendFailure::Timeout), Outcome::Failed(Timeout)),
            (Err(SendFailure::Tls), Outcome::Failed(TlsError)),
            (
                Err(SendFailure::ConnectionRefused),
                Outcome::Failed(ConnectionRefused),
            ),
            (
                Err(SendFailure::AddressNotAllowed),
                Outcome::Failed(ConnectionRefused),
            ),
        ];
        for (result, want) in table {
            assert_eq!(Outcome::of(&result), want, "{result:?}");
        }
    }

    #[test]
    fn message_ids_follow_the_profile() {
        assert_eq!(
            event_message_id(WireProfile::Legacy, "sub_1", "evt_9"),
            "evt_9"
        );
        let sep = event_message_id(WireProfile::Sep, "sub_1", "evt_9");
        assert!(sep.starts_with("msg_evt_") && sep.len() == 8 + 24, "{sep}");
        assert_eq!(sep, event_message_id(WireProfile::Sep, "sub_1", "evt_9"));
        assert_ne!(sep, event_message_id(WireProfile::Sep, "sub_2", "evt_9"));
        assert_eq!(
            terminated_message_id("sub_1", 5),
            terminated_message_id("sub_1", 5)
        );
        assert_ne!(control_message_id("gap"), control_message_id("gap"));
        assert!(control_message_id("verification").starts_with("msg_verification_"));
    }
}
