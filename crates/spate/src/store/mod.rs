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
//! - `sqlite` (feature `sqlite`): the embedded database the durable backends share, and
//!   those backends (the event log, sessions, the event history, webhook subscriptions,
//!   tasks), which keep their state across restarts.
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

/// A Unix time in milliseconds as ISO 8601 UTC (`2026-12-01T19:30:00.123Z`).
#[cfg(any(feature = "server", feature = "sqlite"))]
pub(crate) fn iso8601(ms: u64) -> String {
    let secs = ms / 1000;
    let (days, rem) = (secs / 86_400, secs % 86_400);
    let (hour, minute, second) = (rem / 3600, rem % 3600 / 60, rem % 60);
    // Civil date from days since 1970-01-01 (Howard Hinnant's algorithm).
    let z = i64::try_from(days).unwrap_or(0) + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{hour:02}:{minute:02}:{second:02}.{:03}Z",
        ms % 1000
    )
}

#[cfg(all(test, any(feature = "server", feature = "sqlite")))]
mod tests {
    use super::*;

    #[test]
    fn timestamps_are_iso_8601_utc() {
        assert_eq!(iso8601(0), "1970-01-01T00:00:00.000Z");
        assert_eq!(iso8601(951_782_400_000), "2000-02-29T00:00:00.000Z");
        assert_eq!(iso8601(1_796_153_400_123), "2026-12-01T19:30:00.123Z");
    }
}
