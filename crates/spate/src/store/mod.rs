//! State: what a server must keep beyond one connection, behind traits a networked or durable
//! backend can implement (async, by id, idempotent), each with an in-memory backend.
//!
//! - [`event_log`]: the messages of resumable SSE streams, written before they reach a socket
//!   and replayed after `Last-Event-ID`.
//! - [`task_store`]: task records (status, result, questions) polled by `tasks/get`.
//! - [`event_history`]: the occurrences of each event type (the events extension), which
//!   every delivery mode reads.
//! - [`session_store`]: the 2025-era HTTP sessions (`Mcp-Session-Id`) as records, so a session
//!   outlives a restart.
//! - `sqlite` (feature `sqlite`): the embedded database the durable backends share.
//! - [`webhook_subscriptions`]: the events extension's webhook subscriptions, their
//!   delivery progress, and the callbacks principals verified.
//!
//! Nothing here knows a transport or a session: stores take and give serialisable records.
//! The OAuth client's token cache is not server state and lives with it
//! ([`crate::auth::client`]).

pub mod event_history;
pub mod event_log;
pub mod session_store;
#[cfg(feature = "sqlite")]
pub mod sqlite;
pub mod task_store;
pub mod webhook_subscriptions;

/// Now, in Unix milliseconds: the clock of every stored time.
pub(crate) fn now_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
}
