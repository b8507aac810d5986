//! Method and notification names, and which protocol versions have them (each version's Schema
//! Reference and Key Changes pages, e.g.
//! <https://modelcontextprotocol.io/specification/2026-07-28/schema> and
//! <https://modelcontextprotocol.io/specification/2026-07-28/changelog>).

use crate::version::ProtocolVersion;

/// `initialize` (client → server; legacy only).
pub const INITIALIZE: &str = "initialize";
/// `ping` (either direction; legacy only).
pub const PING: &str = "ping";
/// `server/discover` (client → server; 2026).
pub const SERVER_DISCOVER: &str = "server/discover";
/// `tools/list`.
pub const TOOLS_LIST: &str = "tools/list";
/// `tools/call`.
pub const TOOLS_CALL: &str = "tools/call";
/// `resources/list`.
pub const RESOURCES_LIST: &str = "resources/list";
/// `resources/templates/list`.
pub const RESOURCES_TEMPLATES_LIST: &str = "resources/templates/list";
/// `resources/read`.
pub const RESOURCES_READ: &str = "resources/read";
/// `resources/subscribe` (legacy only).
pub const RESOURCES_SUBSCRIBE: &str = "resources/subscribe";
/// `resources/unsubscribe` (legacy only).
pub const RESOURCES_UNSUBSCRIBE: &str = "resources/unsubscribe";
/// `prompts/list`.
pub const PROMPTS_LIST: &str = "prompts/list";
/// `prompts/get`.
pub const PROMPTS_GET: &str = "prompts/get";
/// `completion/complete`.
pub const COMPLETION_COMPLETE: &str = "completion/complete";
/// `logging/setLevel` (legacy only).
pub const LOGGING_SET_LEVEL: &str = "logging/setLevel";
/// `sampling/createMessage` (server → client; 2026: only as an MRTR input request).
pub const SAMPLING_CREATE_MESSAGE: &str = "sampling/createMessage";
/// `elicitation/create` (server → client, 2025-06-18+; 2026: only as an MRTR input request).
pub const ELICITATION_CREATE: &str = "elicitation/create";
/// `roots/list` (server → client; 2026: only as an MRTR input request).
pub const ROOTS_LIST: &str = "roots/list";
/// `subscriptions/listen` (client → server; 2026).
pub const SUBSCRIPTIONS_LISTEN: &str = "subscriptions/listen";
/// `tasks/get` (2025-11-25 experimental; 2026 tasks extension).
pub const TASKS_GET: &str = "tasks/get";
/// `tasks/result` (2025-11-25 experimental only).
pub const TASKS_RESULT: &str = "tasks/result";
/// `tasks/list` (2025-11-25 experimental only).
pub const TASKS_LIST: &str = "tasks/list";
/// `tasks/cancel` (2025-11-25 experimental; 2026 tasks extension).
pub const TASKS_CANCEL: &str = "tasks/cancel";
/// `tasks/update` (2026 tasks extension only).
pub const TASKS_UPDATE: &str = "tasks/update";

/// `notifications/initialized` (client → server; legacy only).
pub const NOTIFICATIONS_INITIALIZED: &str = "notifications/initialized";
/// `notifications/cancelled`.
pub const NOTIFICATIONS_CANCELLED: &str = "notifications/cancelled";
/// `notifications/progress`.
pub const NOTIFICATIONS_PROGRESS: &str = "notifications/progress";
/// `notifications/message` (log messages).
pub const NOTIFICATIONS_MESSAGE: &str = "notifications/message";
/// `notifications/resources/updated`.
pub const NOTIFICATIONS_RESOURCES_UPDATED: &str = "notifications/resources/updated";
/// `notifications/resources/list_changed`.
pub const NOTIFICATIONS_RESOURCES_LIST_CHANGED: &str = "notifications/resources/list_changed";
/// `notifications/tools/list_changed`.
pub const NOTIFICATIONS_TOOLS_LIST_CHANGED: &str = "notifications/tools/list_changed";
/// `notifications/prompts/list_changed`.
pub const NOTIFICATIONS_PROMPTS_LIST_CHANGED: &str = "notifications/prompts/list_changed";
/// `notifications/roots/list_changed` (client → server; legacy only).
pub const NOTIFICATIONS_ROOTS_LIST_CHANGED: &str = "notifications/roots/list_changed";
/// `notifications/elicitation/complete` (2025-11-25 only).
pub const NOTIFICATIONS_ELICITATION_COMPLETE: &str = "notifications/elicitation/complete";
/// `notifications/tasks/status` (2025-11-25 experimental tasks).
pub const NOTIFICATIONS_TASKS_STATUS: &str = "notifications/tasks/status";
/// `notifications/tasks` (2026 tasks extension; params are a `DetailedTask`).
pub const NOTIFICATIONS_TASKS: &str = "notifications/tasks";
/// `notifications/subscriptions/acknowledged` (2026).
pub const NOTIFICATIONS_SUBSCRIPTIONS_ACKNOWLEDGED: &str =
    "notifications/subscriptions/acknowledged";

/// Every request method this crate models.
pub const ALL_REQUESTS: [&str; 23] = [
    INITIALIZE,
    PING,
    SERVER_DISCOVER,
    TOOLS_LIST,
    TOOLS_CALL,
    RESOURCES_LIST,
    RESOURCES_TEMPLATES_LIST,
    RESOURCES_READ,
    RESOURCES_SUBSCRIBE,
    RESOURCES_UNSUBSCRIBE,
    PROMPTS_LIST,
    PROMPTS_GET,
    COMPLETION_COMPLETE,
    LOGGING_SET_LEVEL,
    SAMPLING_CREATE_MESSAGE,
    ELICITATION_CREATE,
    ROOTS_LIST,
    SUBSCRIPTIONS_LISTEN,
    TASKS_GET,
    TASKS_RESULT,
    TASKS_LIST,
    TASKS_CANCEL,
    TASKS_UPDATE,
];

/// Every notification method this crate models.
pub const ALL_NOTIFICATIONS: [&str; 13] = [
    NOTIFICATIONS_INITIALIZED,
    NOTIFICATIONS_CANCELLED,
    NOTIFICATIONS_PROGRESS,
    NOTIFICATIONS_MESSAGE,
    NOTIFICATIONS_RESOURCES_UPDATED,
    NOTIFICATIONS_RESOURCES_LIST_CHANGED,
    NOTIFICATIONS_TOOLS_LIST_CHANGED,
    NOTIFICATIONS_PROMPTS_LIST_CHANGED,
    NOTIFICATIONS_ROOTS_LIST_CHANGED,
    NOTIFICATIONS_ELICITATION_COMPLETE,
    NOTIFICATIONS_TASKS_STATUS,
    NOTIFICATIONS_TASKS,
    NOTIFICATIONS_SUBSCRIPTIONS_ACKNOWLEDGED,
];

/// Where a method stands in a protocol version.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Availability {
    /// A JSON-RPC method or notification of the core protocol in that version.
    Core,
    /// Not a JSON-RPC message of that version, but its params/result are the shape of an MRTR
    /// input request/response (2026: `sampling/createMessage`, `elicitation/create`, `roots/list`).
    InputRequestOnly,
    /// Defined by the 2026 tasks extension (`io.modelcontextprotocol/tasks`), not the core.
    TasksExtension,
    /// Absent from that version.
    Absent,
}

/// Whether and how a method or notification exists in a protocol version (per that version's
/// Schema Reference and Key Changes pages of the specification).
///
/// ```
/// use spate_protocol::{methods, ProtocolVersion as V};
/// use spate_protocol::methods::Availability;
/// assert_eq!(methods::availability(methods::ELICITATION_CREATE, V::V2025_03_26), Availability::Absent);
/// assert_eq!(methods::availability(methods::PING, V::V2026_07_28), Availability::Absent);
/// ```
pub fn availability(method: &str, version: ProtocolVersion) -> Availability {
    use Availability::{Absent, Core, InputRequestOnly, TasksExtension};
    use ProtocolVersion as V;
    let modern = version >= V::V2026_07_28;
    let core_if = |present: bool| if present { Core } else { Absent };
    match method {
        INITIALIZE
        | PING
        | NOTIFICATIONS_INITIALIZED
        | RESOURCES_SUBSCRIBE
        | RESOURCES_UNSUBSCRIBE
        | LOGGING_SET_LEVEL
        | NOTIFICATIONS_ROOTS_LIST_CHANGED => core_if(!modern),
        SERVER_DISCOVER | SUBSCRIPTIONS_LISTEN | NOTIFICATIONS_SUBSCRIPTIONS_ACKNOWLEDGED => {
            core_if(modern)
        }
        TOOLS_LIST
        | TOOLS_CALL
        | RESOURCES_LIST
        | RESOURCES_TEMPLATES_LIST
        | RESOURCES_READ
        | PROMPTS_LIST
        | PROMPTS_GET
        | COMPLETION_COMPLETE
        | NOTIFICATIONS_CANCELLED
        | NOTIFICATIONS_PROGRESS
        | NOTIFICATIONS_MESSAGE
        | NOTIFICATIONS_RESOURCES_UPDATED
        | NOTIFICATIONS_RESOURCES_LIST_CHANGED
        | NOTIFICATIONS_TOOLS_LIST_CHANGED
        | NOTIFICATIONS_PROMPTS_LIST_CHANGED => Core,
        SAMPLING_CREATE_MESSAGE | ROOTS_LIST => {
            if modern {
                InputRequestOnly
            } else {
                Core
            }
        }
        ELICITATION_CREATE => {
            if modern {
                InputRequestOnly
            } else {
                core_if(version >= V::V2025_06_18)
            }
        }
        NOTIFICATIONS_ELICITATION_COMPLETE
        | TASKS_RESULT
        | TASKS_LIST
        | NOTIFICATIONS_TASKS_STATUS => core_if(version == V::V2025_11_25),
        TASKS_GET | TASKS_CANCEL => {
            if modern {
                TasksExtension
            } else {
                core_if(version == V::V2025_11_25)
            }
        }
        TASKS_UPDATE | NOTIFICATIONS_TASKS => {
            if modern {
                TasksExtension
            } else {
                Absent
            }
        }
        _ => Absent,
    }
}

/// Whether a name is a notification (by the `notifications/` convention).
pub fn is_notification(method: &str) -> bool {
    method.starts_with("notifications/")
}
