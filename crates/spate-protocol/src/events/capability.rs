//! Negotiating the extension (SEP-3415, "Capability Negotiation").
//!
//! A server declares the extension under `capabilities.extensions` with the identifier
//! [`EVENTS_EXTENSION_ID`]. Clients of the earlier design sketch and ChatGPT look for a
//! top-level `capabilities.events` instead, so a server that wants all of them writes both
//! ([`EventsCapability::advertise`]; [`ServerCapabilities::events`] holds the second one).
//! A client may declare the same identifier, with `{}`, in its per-request capabilities.

use serde::{Deserialize, Serialize};

use crate::capabilities::{ClientCapabilities, ServerCapabilities};
use crate::meta::JsonObject;

/// The extension identifier, a key of `capabilities.extensions`.
pub const EVENTS_EXTENSION_ID: &str = "io.modelcontextprotocol/events";

/// The server's settings of the extension: the value under
/// `capabilities.extensions["io.modelcontextprotocol/events"]` and, for design-sketch and
/// ChatGPT clients, under the top-level `capabilities.events`. `{}` means "events offered,
/// no list-change notifications".
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EventsCapability {
    /// Whether the server sends `notifications/events/list_changed` (absent: `false`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub list_changed: Option<bool>,
}

impl EventsCapability {
    /// Declares the extension in `capabilities` under both keys in use: the SEP-3415
    /// extension entry and the top-level `events` that older readers look for.
    ///
    /// [`crate::FitVersion`] later keeps each key only where the version has it (the
    /// extension map from 2026-07-28, the top-level key from 2025-11-25).
    pub fn advertise(&self, capabilities: &mut ServerCapabilities) {
        capabilities
            .extensions
            .get_or_insert_with(Default::default)
            .insert(EVENTS_EXTENSION_ID.to_owned(), self.to_object());
        capabilities.events = Some(self.clone());
    }

    /// What `capabilities` says about events: the extension entry if present, else the
    /// top-level `events` key; `None` when the server declares neither (a client may still
    /// probe with `events/list`). A malformed settings object reads as `{}`.
    pub fn offered_by(capabilities: &ServerCapabilities) -> Option<Self> {
        let extension = capabilities
            .extensions
            .as_ref()
            .and_then(|map| map.get(EVENTS_EXTENSION_ID))
            .map(|object| {
                serde_json::from_value(serde_json::Value::Object(object.clone()))
                    .unwrap_or_default()
            });
        extension.or_else(|| capabilities.events.clone())
    }

    /// Whether list-change notifications are declared.
    pub fn sends_list_changed(&self) -> bool {
        self.list_changed == Some(true)
    }

    fn to_object(&self) -> JsonObject {
        let mut object = JsonObject::new();
        if let Some(flag) = self.list_changed {
            object.insert("listChanged".to_owned(), flag.into());
        }
        object
    }
}

/// Whether a client declared the extension in its (per-request) capabilities. Servers never
/// require it (ChatGPT does not send it); they may use it to pick the SEP-3415 profile.
pub fn client_declares_events(capabilities: &ClientCapabilities) -> bool {
    capabilities
        .extensions
        .as_ref()
        .is_some_and(|map| map.contains_key(EVENTS_EXTENSION_ID))
}

/// Declares the extension, with `{}`, in a client's capabilities.
pub fn declare_client_events(capabilities: &mut ClientCapabilities) {
    capabilities
        .extensions
        .get_or_insert_with(Default::default)
        .entry(EVENTS_EXTENSION_ID.to_owned())
        .or_default();
}
