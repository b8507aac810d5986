//! Triggers: the server side of the events extension (SEP-3415). An event type is registered
//! like a tool ([`EventEntry`]: a name, a description, typed subscription arguments whose
//! JSON Schema is its `inputSchema`, a payload type whose schema is its `payloadSchema`, and
//! an optional filter of occurrences by those arguments). A source emits occurrences from
//! anywhere with [`ServerHandle::emit`](super::ServerHandle::emit); each one lands in one
//! bounded per-type history ([`EventHistory`](crate::store::event_history::EventHistory))
//! that every delivery mode reads.
//!
//! Every type offers the three delivery modes: `events/poll`, `events/stream` (push) and
//! webhooks ([`webhook`]: `events/subscribe`); webhooks only on a server given a
//! [`WebhookSender`](webhook::WebhookSender), else they are left out of the descriptors.

pub(crate) mod activity;
pub(crate) mod check;
mod poll;
mod reader;
mod stream;
pub(crate) mod webhook;

use std::sync::Arc;

use schemars::JsonSchema;
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;
use spate_protocol::events::{DeliveryMode, EventDescriptor};
use spate_protocol::{ClientCapabilities, JsonObject};

pub use activity::SubscriberChange;
pub(crate) use activity::Subscribers;
pub use check::{Check, CheckError, Checked, CheckedEvent};
pub(crate) use poll::{list, poll};
pub(crate) use stream::stream;

use super::schema::schema_object;

/// Whether an occurrence's payload goes to one subscription.
pub(crate) type Matcher = Box<dyn Fn(&Value) -> bool + Send + Sync>;

/// Reads a subscription's arguments (`Err` says why they do not fit `inputSchema`) into the
/// matcher of its occurrences.
type Subscribe = Arc<dyn Fn(&JsonObject) -> Result<Matcher, String> + Send + Sync>;

/// An event type: what `events/list` shows, and how subscriptions' arguments are checked
/// and applied.
#[derive(Clone)]
pub struct EventEntry {
    /// What `events/list` shows.
    pub descriptor: EventDescriptor,
    /// Reads a subscription's arguments into its matcher.
    subscribe: Subscribe,
    /// Told when the first subscriber arrives and when the last one leaves.
    on_subscribers: Option<activity::SubscriberHook>,
    /// A checkable type's source (`None`: an emitted type).
    check: Option<check::CheckFn>,
}

impl std::fmt::Debug for EventEntry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EventEntry")
            .field("descriptor", &self.descriptor)
            .finish_non_exhaustive()
    }
}

/// Subscription arguments of an event type that takes none.
#[derive(Debug, Clone, Copy, Default, serde::Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct NoArguments {}

impl EventEntry {
    /// An event type whose occurrences carry a `P` and whose subscriptions take an `A`
    /// (checked on every poll; unknown fields are refused if `A` refuses them); `filter`
    /// says whether an occurrence goes to a subscription with those arguments.
    pub fn new<A, P>(
        name: impl Into<String>,
        description: impl Into<String>,
        filter: impl Fn(&A, &P) -> bool + Send + Sync + 'static,
    ) -> Self
    where
        A: DeserializeOwned + JsonSchema + Send + Sync + 'static,
        P: Serialize + DeserializeOwned + JsonSchema + 'static,
    {
        let filter = Arc::new(filter);
        let subscribe: Subscribe = Arc::new(move |arguments| {
            let args: A = serde_json::from_value(Value::Object(arguments.clone()))
                .map_err(|e| format!("Invalid arguments: {e}"))?;
            let filter = filter.clone();
            Ok(Box::new(move |payload: &Value| {
                // Emitted by this server as a P: a payload that is not one matches nothing.
                serde_json::from_value::<P>(payload.clone()).is_ok_and(|p| filter(&args, &p))
            }))
        });
        Self::with_subscribe::<A, P>(name, description, subscribe)
    }

    fn with_subscribe<A: JsonSchema, P: JsonSchema>(
        name: impl Into<String>,
        description: impl Into<String>,
        subscribe: Subscribe,
    ) -> Self {
        Self {
            descriptor: EventDescriptor {
                name: name.into(),
                description: description.into(),
                delivery: vec![
                    DeliveryMode::Poll,
                    DeliveryMode::Push,
                    DeliveryMode::Webhook,
                ],
                input_schema: schema_object::<A>(),
                payload_schema: schema_object::<P>(),
                meta: None,
            },
            subscribe,
            on_subscribers: None,
            check: None,
        }
    }

    /// A checkable event type: its history lives upstream, and every subscription asks
    /// `check` what happened after its cursor (see [`Check`]); nothing is emitted. `check`
    /// applies the arguments itself (an `A`, checked against `inputSchema` first).
    pub fn checkable<A, P, F, Fut>(
        name: impl Into<String>,
        description: impl Into<String>,
        check: F,
    ) -> Self
    where
        A: DeserializeOwned + JsonSchema + Send + Sync + 'static,
        P: Serialize + JsonSchema + 'static,
        F: Fn(Check<A>) -> Fut + Send + Sync + 'static,
        Fut: std::future::Future<Output = Result<Checked<P>, CheckError>> + Send + 'static,
    {
        let subscribe: Subscribe = Arc::new(|arguments| {
            serde_json::from_value::<A>(Value::Object(arguments.clone()))
                .map_err(|e| format!("Invalid arguments: {e}"))?;
            Ok(Box::new(|_: &Value| true))
        });
        let mut entry = Self::with_subscribe::<A, P>(name, description, subscribe);
        entry.check = Some(check::erase(check));
        entry
    }

    /// A checkable type's source.
    pub(crate) fn check_fn(&self) -> Option<check::CheckFn> {
        self.check.clone()
    }

    /// An event type whose subscriptions take no arguments and receive every occurrence.
    pub fn unfiltered<P>(name: impl Into<String>, description: impl Into<String>) -> Self
    where
        P: Serialize + JsonSchema + 'static,
    {
        let subscribe: Subscribe = Arc::new(|arguments| {
            serde_json::from_value::<NoArguments>(Value::Object(arguments.clone()))
                .map_err(|e| format!("Invalid arguments: {e}"))?;
            Ok(Box::new(|_: &Value| true))
        });
        Self::with_subscribe::<NoArguments, P>(name, description, subscribe)
    }

    /// Calls `hook` when the type gets its first subscriber (a push stream, a webhook
    /// subscription, or pollers, who count while they keep polling) and when its last one
    /// leaves, so a source can start and stop its upstream. It runs inline: keep it quick
    /// (spawn any real work).
    pub fn on_subscribers(
        mut self,
        hook: impl Fn(SubscriberChange) + Send + Sync + 'static,
    ) -> Self {
        self.on_subscribers = Some(Arc::new(hook));
        self
    }

    /// The hook of [`EventEntry::on_subscribers`].
    pub(crate) fn subscriber_hook(&self) -> Option<activity::SubscriberHook> {
        self.on_subscribers.clone()
    }

    /// The matcher of a subscription with these arguments; `Err` says why they do not fit
    /// `inputSchema`.
    pub(crate) fn subscribe(&self, arguments: &JsonObject) -> Result<Matcher, String> {
        (self.subscribe)(arguments)
    }
}

/// Why an occurrence was not emitted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum EmitError {
    /// No event type of that name is registered.
    #[error("no event type {0:?} is registered")]
    UnknownType(String),
    /// The payload did not serialise to a JSON object.
    #[error("an event payload must be a JSON object: {0}")]
    NotAnObject(String),
    /// The event id is not 1–256 visible ASCII characters (it travels in HTTP headers).
    #[error("an event id must be 1-256 visible ASCII characters: {0:?}")]
    BadEventId(String),
    /// The type is checkable: its source keeps its history (nudge it instead).
    #[error("event type {0:?} is checkable: its source is asked, nothing is emitted")]
    Checkable(String),
    /// The history refused it.
    #[error(transparent)]
    History(#[from] crate::store::event_history::HistoryError),
}

/// Whether `id` may be an event id: 1–256 bytes of visible ASCII.
pub(crate) fn valid_event_id(id: &str) -> bool {
    (1..=256).contains(&id.len()) && id.bytes().all(|b| (0x21..=0x7e).contains(&b))
}

/// A fresh event id for an occurrence its source gave none.
pub(crate) fn mint_event_id() -> String {
    let mut bytes = [0u8; 12];
    rand::RngCore::fill_bytes(&mut rand::rng(), &mut bytes);
    let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    format!("evt_{hex}")
}

/// Which error numbers a request's client reads: SEP-3415's when it declares the extension,
/// else those of the older design sketch (ChatGPT and sketch-era clients).
pub(crate) fn error_codes(
    capabilities: Option<&ClientCapabilities>,
) -> spate_protocol::events::EventsErrorCodes {
    use spate_protocol::events::{EventsErrorCodes, client_declares_events};
    if capabilities.is_some_and(client_declares_events) {
        EventsErrorCodes::SEP_3415
    } else {
        EventsErrorCodes::DESIGN_SKETCH
    }
}
