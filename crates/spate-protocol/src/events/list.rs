//! Discovering event types: `events/list` and the `EventDescriptor` (SEP-3415, "Listing
//! Events").

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::fit::FitVersion;
use crate::meta::{JsonObject, Meta};
use crate::pagination::PaginatedRequestParams;
use crate::result::{ResultType, fit_meta, fit_result};
use crate::version::ProtocolVersion;

/// How occurrences of an event type can reach a client. A descriptor lists a non-empty set;
/// none is mandatory.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum DeliveryMode {
    /// `poll`: the client asks with `events/poll`.
    Poll,
    /// `push`: notifications on an `events/stream` request.
    Push,
    /// `webhook`: signed HTTPS callbacks set up with `events/subscribe`.
    Webhook,
    /// A mode this crate does not know, kept as written (a client ignores it; a server
    /// answers `Unsupported` with `{"feature": "deliveryMode", "value": …}`).
    Other(String),
}

impl DeliveryMode {
    /// The wire spelling.
    pub fn as_str(&self) -> &str {
        match self {
            Self::Poll => "poll",
            Self::Push => "push",
            Self::Webhook => "webhook",
            Self::Other(s) => s,
        }
    }

    /// Parses a wire spelling (never fails: unknown values become [`DeliveryMode::Other`]).
    pub fn parse(text: &str) -> Self {
        match text {
            "poll" => Self::Poll,
            "push" => Self::Push,
            "webhook" => Self::Webhook,
            other => Self::Other(other.to_owned()),
        }
    }
}

impl fmt::Display for DeliveryMode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for DeliveryMode {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for DeliveryMode {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        Ok(Self::parse(&text))
    }
}

/// One event type a server offers, as `events/list` returns it.
///
/// The pairing of `inputSchema` (subscription arguments: filters, transforms, settings) and
/// `payloadSchema` (the occurrence's `data`) mirrors a tool's input and output schemas.
/// Schemas should only grow while a `name` lives; a breaking change ships under a new name.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EventDescriptor {
    /// The stable name of the type, e.g. `incident.created` (avoid the `mcp.` prefix, which
    /// may be reserved later).
    pub name: String,
    /// When the event fires, for the model and the user. Required on the wire; read as `""`
    /// when a server leaves it out.
    #[serde(default)]
    pub description: String,
    /// The delivery modes offered for this type: a non-empty set without duplicates.
    #[serde(default)]
    pub delivery: Vec<DeliveryMode>,
    /// JSON Schema of the subscription `arguments`.
    #[serde(default)]
    pub input_schema: JsonObject,
    /// JSON Schema of an occurrence's `data`.
    #[serde(default)]
    pub payload_schema: JsonObject,
    /// Metadata, as on tools, resources and prompts.
    #[serde(rename = "_meta", default, skip_serializing_if = "Option::is_none")]
    pub meta: Option<Meta>,
}

impl EventDescriptor {
    /// Whether the type offers `mode`.
    pub fn offers(&self, mode: &DeliveryMode) -> bool {
        self.delivery.contains(mode)
    }
}

/// Params of `events/list`: an optional pagination cursor, as for `tools/list`.
pub type ListEventsRequestParams = PaginatedRequestParams;

/// Result of `events/list`.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ListEventsResult {
    /// This page of event types (always written, possibly empty).
    #[serde(default)]
    pub events: Vec<EventDescriptor>,
    /// Where the next page starts; absent on the last page (`null` is read as absent).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_cursor: Option<String>,
    /// `complete`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub result_type: Option<ResultType>,
    /// Result metadata.
    #[serde(rename = "_meta", default, skip_serializing_if = "Option::is_none")]
    pub meta: Option<Meta>,
}

impl FitVersion for EventDescriptor {
    fn fit_version(&mut self, version: ProtocolVersion) {
        fit_meta(&mut self.meta, version);
    }
}

impl FitVersion for ListEventsResult {
    fn fit_version(&mut self, version: ProtocolVersion) {
        self.events.fit_version(version);
        fit_result(&mut self.result_type, &mut self.meta, version);
    }
}
