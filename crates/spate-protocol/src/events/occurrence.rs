//! One thing that happened: the `EventOccurrence` (SEP-3415, "Event Occurrences").

use serde::{Deserialize, Serialize};

use crate::fit::FitVersion;
use crate::meta::{JsonObject, Meta};
use crate::version::ProtocolVersion;

/// One occurrence of an event type. The same object is an entry of an `events/poll` result,
/// the params of `notifications/events/event`, and the body of a webhook delivery.
///
/// A webhook body with a top-level `type` member is a control envelope, not an occurrence
/// ([`super::WebhookBody`]); application fields therefore live inside `data`.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EventOccurrence {
    /// The deduplication key, chosen by the server; ideally the upstream's own stable id
    /// (a Stripe `evt_…`, a GitHub delivery id, a Kafka offset), so that one event arriving
    /// by two paths deduplicates.
    pub event_id: String,
    /// The event type; equal to the name subscribed to.
    pub name: String,
    /// When it happened, ISO 8601 with a time zone.
    pub timestamp: String,
    /// The payload, conforming to the type's `payloadSchema`.
    pub data: JsonObject,
    /// Push and webhook only: the position after this occurrence (for a webhook, a watermark
    /// that is safe to persist). Three states: absent (`None`; poll entries, whose cursor is
    /// on the result), `null` (`Some(None)`: the type has no replay), or a position.
    /// Absent and `null` mean the same to a reader.
    #[serde(
        default,
        deserialize_with = "super::present_string",
        skip_serializing_if = "Option::is_none"
    )]
    pub cursor: Option<Option<String>>,
    /// Protocol metadata, outside `payloadSchema` (on a stream notification it carries the
    /// subscription id).
    #[serde(rename = "_meta", default, skip_serializing_if = "Option::is_none")]
    pub meta: Option<Meta>,
}

impl EventOccurrence {
    /// An occurrence without cursor or metadata.
    pub fn new(
        event_id: impl Into<String>,
        name: impl Into<String>,
        timestamp: impl Into<String>,
        data: JsonObject,
    ) -> Self {
        Self {
            event_id: event_id.into(),
            name: name.into(),
            timestamp: timestamp.into(),
            data,
            cursor: None,
            meta: None,
        }
    }

    /// The position after this occurrence, if it carries one (absent and `null` are alike).
    pub fn position(&self) -> Option<&str> {
        self.cursor.as_ref().and_then(|c| c.as_deref())
    }

    /// The same occurrence with a cursor written explicitly (`None` writes `null`), as push
    /// and webhook deliveries carry it.
    pub fn with_cursor(mut self, cursor: Option<String>) -> Self {
        self.cursor = Some(cursor);
        self
    }
}

impl FitVersion for EventOccurrence {
    fn fit_version(&mut self, version: ProtocolVersion) {
        super::fit_stream_meta(&mut self.meta, version);
    }
}
