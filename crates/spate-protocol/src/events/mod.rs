//! The Events extension (SEP-3415, "Events Extension"; extension identifier
//! `io.modelcontextprotocol/events`, in Beta): servers publish typed event streams ("triggers")
//! that clients receive by polling (`events/poll`), over a long-lived request (`events/stream`),
//! or as signed HTTPS callbacks (`events/subscribe`, per the Standard Webhooks profile,
//! <https://www.standardwebhooks.com/>).
//!
//! This module is the wire model only, kept apart from the core types because the extension
//! is still in Beta and may move. One model serves three dialects that are deployed today:
//!
//! * SEP-3415 itself (capability under `capabilities.extensions`, results with `resultType`,
//!   error codes `-32023…-32027`);
//! * the earlier "MCP Events — Design Sketch" of the Triggers & Events working group
//!   (top-level `capabilities.events`, error codes `-32011…-32015`, long poll with
//!   `timeoutMs`);
//! * ChatGPT's webhook-only profile (top-level `events: {}`, the sketch's error codes).
//!
//! Readers accept all three; writers produce the SEP-3415 shape, which the other two read.
//! Where the dialects disagree the choice is noted on the item.

mod capability;
pub mod error;
mod list;
pub mod methods;
mod occurrence;
mod poll;
mod stream;
mod subscribe;
pub mod webhook;

#[cfg(test)]
mod tests;

pub use capability::{
    EVENTS_EXTENSION_ID, EventsCapability, client_declares_events, declare_client_events,
};
pub use error::{EventsErrorCodes, EventsErrorData, EventsErrorKind};
pub use list::{DeliveryMode, EventDescriptor, ListEventsRequestParams, ListEventsResult};
pub use occurrence::EventOccurrence;
pub use poll::{PollEventsRequestParams, PollEventsResult};
pub use stream::{
    EventNotificationParams, EventsActiveNotificationParams, EventsErrorNotificationParams,
    EventsHeartbeatNotificationParams, EventsListChangedNotificationParams,
    EventsTerminatedNotificationParams, StreamEventsRequestParams, StreamEventsResult,
    subscription_id,
};
pub use subscribe::{
    DeliveryErrorCategory, DeliveryStatus, SubscribeEventsRequestParams, SubscribeEventsResult,
    UnsubscribeDelivery, UnsubscribeEventsRequestParams, UnsubscribeEventsResult, WebhookDelivery,
};
pub use webhook::{
    GapEnvelope, TerminatedEnvelope, VerificationEnvelope, VerificationResponse, WebhookBody,
};

use serde::{Deserialize, Deserializer};

use crate::meta::{JsonObject, Meta};
use crate::result::fit_meta;
use crate::version::ProtocolVersion;

/// Reads subscription `arguments`: an absent member and an explicit `null` both mean `{}`
/// (servers in the field send either).
fn arguments<'de, D: Deserializer<'de>>(d: D) -> Result<JsonObject, D::Error> {
    Option::<JsonObject>::deserialize(d).map(Option::unwrap_or_default)
}

/// Keeps "present but `null`" apart from "absent" for a tri-state number such as `ttlMs`.
fn present_u64<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Option<u64>>, D::Error> {
    Option::<u64>::deserialize(d).map(Some)
}

/// Keeps "present but `null`" apart from "absent" for a tri-state string such as the cursor
/// of an occurrence.
fn present_string<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Option<String>>, D::Error> {
    Option::<String>::deserialize(d).map(Some)
}

/// Fits the `_meta` of an events message like any other, but keeps the subscription id:
/// `events/stream` traffic needs it for correlation in every version the extension is served
/// on, 2025-11-25 sessions included (where the core would strip the key as 2026-only).
fn fit_stream_meta(meta: &mut Option<Meta>, version: ProtocolVersion) {
    let id = meta
        .as_mut()
        .and_then(|m| m.remove(crate::meta::SUBSCRIPTION_ID_KEY));
    fit_meta(meta, version);
    if let Some(id) = id {
        meta.get_or_insert_with(Meta::new)
            .insert(crate::meta::SUBSCRIPTION_ID_KEY.to_owned(), id);
    }
}
