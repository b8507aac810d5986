//! Errors of the events extension (SEP-3415, "Error Codes").
//!
//! Two numberings are deployed. SEP-3415 assigns `-32023…-32027` and marks them provisional;
//! the design sketch, and the servers ChatGPT talks to, use `-32011…-32015`. Our choice while
//! they disagree: a server writes the numbering of the profile it serves (the numbers are
//! configurable, [`EventsErrorCodes`]), and a reader accepts both, plus `-32602` with a
//! `data.reason` as some servers send, and branches on the `data` discriminators
//! ([`EventsErrorData`]) before the number.

use serde::{Deserialize, Serialize};

use crate::error_code::INVALID_PARAMS;
use crate::jsonrpc::ErrorObject;
use crate::meta::JsonObject;

/// What went wrong, independent of the number it travels under.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum EventsErrorKind {
    /// Arguments fail `inputSchema`; bad or non-`https` callback URL; malformed secret;
    /// bad cursor. Always `-32602`.
    InvalidParams,
    /// Unknown event type (`data.kind: "event"`) or, on unsubscribe, no such subscription
    /// (`"subscription"`).
    NotFound,
    /// The principal may not use this type or these arguments, access was revoked, or a
    /// webhook call came without authentication.
    Forbidden,
    /// A quota was reached (`data.limit`, `data.max`).
    ResourceExhausted,
    /// A delivery mode the type does not offer (`{feature: "deliveryMode", value}`), or a
    /// schema changed in place (`{feature, reason: "schema_changed"}`).
    Unsupported,
    /// Webhook only: the callback URL could not be verified or reached (`data.reason` is a
    /// delivery error category, and may be missing).
    CallbackEndpointError,
}

impl EventsErrorKind {
    /// The name SEP-3415 gives the error, also a fitting `message`.
    pub fn name(self) -> &'static str {
        match self {
            Self::InvalidParams => "InvalidParams",
            Self::NotFound => "NotFound",
            Self::Forbidden => "Forbidden",
            Self::ResourceExhausted => "ResourceExhausted",
            Self::Unsupported => "Unsupported",
            Self::CallbackEndpointError => "CallbackEndpointError",
        }
    }

    /// Reads the kind of a received error in either numbering. A `-32602` is looked at
    /// more closely: servers that fold every failure into it say what they mean in
    /// `data.reason` (`unknown_event`, `unsupported_delivery_mode`, `not_authorized`,
    /// `not_authenticated`). `None` for an error that is not one of the extension's.
    pub fn of(error: &ErrorObject) -> Option<Self> {
        if error.code == INVALID_PARAMS {
            let reason = error
                .data
                .as_ref()
                .and_then(|d| d.get("reason"))
                .and_then(serde_json::Value::as_str);
            return Some(match reason {
                Some("unknown_event") => Self::NotFound,
                Some("unsupported_delivery_mode") => Self::Unsupported,
                Some("not_authorized" | "not_authenticated") => Self::Forbidden,
                _ => Self::InvalidParams,
            });
        }
        EventsErrorCodes::SEP_3415
            .kind_of(error.code)
            .or_else(|| EventsErrorCodes::DESIGN_SKETCH.kind_of(error.code))
    }
}

/// The numbers an events server writes for each kind (`InvalidParams` is always `-32602`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct EventsErrorCodes {
    /// `NotFound`.
    pub not_found: i64,
    /// `Forbidden`.
    pub forbidden: i64,
    /// `ResourceExhausted`.
    pub resource_exhausted: i64,
    /// `Unsupported`.
    pub unsupported: i64,
    /// `CallbackEndpointError`.
    pub callback_endpoint_error: i64,
}

impl EventsErrorCodes {
    /// SEP-3415's provisional numbers, `-32023…-32027`.
    pub const SEP_3415: Self = Self {
        not_found: -32023,
        forbidden: -32024,
        resource_exhausted: -32025,
        unsupported: -32026,
        callback_endpoint_error: -32027,
    };

    /// The design sketch's numbers, `-32011…-32015`, which ChatGPT-facing servers use.
    pub const DESIGN_SKETCH: Self = Self {
        not_found: -32011,
        forbidden: -32012,
        resource_exhausted: -32013,
        unsupported: -32014,
        callback_endpoint_error: -32015,
    };

    /// The number written for `kind`.
    pub fn code(&self, kind: EventsErrorKind) -> i64 {
        match kind {
            EventsErrorKind::InvalidParams => INVALID_PARAMS,
            EventsErrorKind::NotFound => self.not_found,
            EventsErrorKind::Forbidden => self.forbidden,
            EventsErrorKind::ResourceExhausted => self.resource_exhausted,
            EventsErrorKind::Unsupported => self.unsupported,
            EventsErrorKind::CallbackEndpointError => self.callback_endpoint_error,
        }
    }

    /// The kind this numbering gives `code`, if any.
    pub fn kind_of(&self, code: i64) -> Option<EventsErrorKind> {
        [
            EventsErrorKind::InvalidParams,
            EventsErrorKind::NotFound,
            EventsErrorKind::Forbidden,
            EventsErrorKind::ResourceExhausted,
            EventsErrorKind::Unsupported,
            EventsErrorKind::CallbackEndpointError,
        ]
        .into_iter()
        .find(|kind| self.code(*kind) == code)
    }

    /// An error object of `kind` in this numbering, with the kind's name as its message and
    /// `data` when given.
    pub fn error(&self, kind: EventsErrorKind, data: Option<EventsErrorData>) -> ErrorObject {
        let error = ErrorObject::new(self.code(kind), kind.name());
        match data.and_then(|d| serde_json::to_value(d).ok()) {
            Some(value) => error.with_data(value),
            None => error,
        }
    }
}

impl Default for EventsErrorCodes {
    fn default() -> Self {
        Self::SEP_3415
    }
}

/// The `data` of an events error: every discriminator any of the kinds uses, all optional,
/// plus whatever else the sender put there.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EventsErrorData {
    /// `NotFound`: what was not found, [`Self::KIND_EVENT`] or [`Self::KIND_SUBSCRIPTION`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
    /// `Unsupported`: the feature, e.g. [`Self::FEATURE_DELIVERY_MODE`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub feature: Option<String>,
    /// `Unsupported`: the value asked for, e.g. `"push"`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value: Option<serde_json::Value>,
    /// A short machine-readable reason: [`Self::REASON_SCHEMA_CHANGED`] for `Unsupported`, a
    /// delivery error category for `CallbackEndpointError`, free for the others.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// `InvalidParams`: the offending field, e.g. `delivery.url` or `cursor`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
    /// `ResourceExhausted`: which limit, e.g. `subscriptions`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limit: Option<String>,
    /// `ResourceExhausted`: the limit's value.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max: Option<u64>,
    /// `ResourceExhausted`: when trying again may succeed, in milliseconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retry_after_ms: Option<u64>,
    /// Members not listed above, kept as written.
    #[serde(flatten)]
    pub extra: JsonObject,
}

impl EventsErrorData {
    /// `kind` of a `NotFound` for an unknown event type.
    pub const KIND_EVENT: &str = "event";
    /// `kind` of a `NotFound` for an unknown subscription key.
    pub const KIND_SUBSCRIPTION: &str = "subscription";
    /// `feature` of an `Unsupported` delivery mode.
    pub const FEATURE_DELIVERY_MODE: &str = "deliveryMode";
    /// `feature` of an `Unsupported` after an in-place `inputSchema` change.
    pub const FEATURE_INPUT_SCHEMA: &str = "inputSchema";
    /// `feature` of an `Unsupported` after an in-place `payloadSchema` change.
    pub const FEATURE_PAYLOAD_SCHEMA: &str = "payloadSchema";
    /// `reason` of an `Unsupported` after an in-place schema change.
    pub const REASON_SCHEMA_CHANGED: &str = "schema_changed";

    /// Reads the `data` of a received error; `None` when it is absent or not an object.
    pub fn of(error: &ErrorObject) -> Option<Self> {
        let data = error.data.as_ref()?;
        if !data.is_object() {
            return None;
        }
        serde_json::from_value(data.clone()).ok()
    }
}
