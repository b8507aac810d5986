//! Method and notification names of the events extension (SEP-3415). Every request goes
//! client → server; every notification goes server → client.
//!
//! They are not in [`crate::methods`]: that table describes the core protocol of each
//! version, and these exist only where a server offers the extension.

/// `events/list`: the event types a server offers (paginated).
pub const EVENTS_LIST: &str = "events/list";
/// `events/poll`: one batch of occurrences after a cursor.
pub const EVENTS_POLL: &str = "events/poll";
/// `events/stream`: a long-lived request whose notifications carry one subscription.
pub const EVENTS_STREAM: &str = "events/stream";
/// `events/subscribe`: create or refresh a webhook subscription.
pub const EVENTS_SUBSCRIBE: &str = "events/subscribe";
/// `events/unsubscribe`: remove a webhook subscription.
pub const EVENTS_UNSUBSCRIBE: &str = "events/unsubscribe";

/// `notifications/events/list_changed`: the set of event types or a descriptor changed.
/// Carried only on a `subscriptions/listen` stream that asked for `eventsListChanged`.
pub const NOTIFICATIONS_EVENTS_LIST_CHANGED: &str = "notifications/events/list_changed";
/// `notifications/events/active`: an `events/stream` subscription is live (first message),
/// or continues after a gap (`truncated: true`).
pub const NOTIFICATIONS_EVENTS_ACTIVE: &str = "notifications/events/active";
/// `notifications/events/event`: one occurrence on an `events/stream`.
pub const NOTIFICATIONS_EVENTS_EVENT: &str = "notifications/events/event";
/// `notifications/events/heartbeat`: liveness and the position checked up to.
pub const NOTIFICATIONS_EVENTS_HEARTBEAT: &str = "notifications/events/heartbeat";
/// `notifications/events/error`: a recoverable failure; the stream stays open.
pub const NOTIFICATIONS_EVENTS_ERROR: &str = "notifications/events/error";
/// `notifications/events/terminated`: the subscription has ended.
pub const NOTIFICATIONS_EVENTS_TERMINATED: &str = "notifications/events/terminated";

/// Every request method of the extension.
pub const ALL_REQUESTS: [&str; 5] = [
    EVENTS_LIST,
    EVENTS_POLL,
    EVENTS_STREAM,
    EVENTS_SUBSCRIBE,
    EVENTS_UNSUBSCRIBE,
];

/// Every notification method of the extension.
pub const ALL_NOTIFICATIONS: [&str; 6] = [
    NOTIFICATIONS_EVENTS_LIST_CHANGED,
    NOTIFICATIONS_EVENTS_ACTIVE,
    NOTIFICATIONS_EVENTS_EVENT,
    NOTIFICATIONS_EVENTS_HEARTBEAT,
    NOTIFICATIONS_EVENTS_ERROR,
    NOTIFICATIONS_EVENTS_TERMINATED,
];

/// Whether a method or notification belongs to the extension (the `events/` and
/// `notifications/events/` prefixes are reserved for it).
pub fn is_events_method(method: &str) -> bool {
    method.starts_with("events/") || method.starts_with("notifications/events/")
}
