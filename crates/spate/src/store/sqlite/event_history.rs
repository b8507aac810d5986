//! The per-type event history on SQLite: what happened survives a restart, and so does its
//! numbering, so a cursor (`v1.<epoch>.<position>`) handed out before a restart still means
//! the same place after it.
//!
//! **Schema** (component `event_history`):
//! - `event_history_meta`: one row `epoch`, made when the database is first used and never
//!   changed, so the epoch is that of the database, not of the process;
//! - `event_history_types`: one row per type with its newest position (positions are never
//!   reused, even once every event of a type has been trimmed) and the payload bytes kept;
//! - `event_history`: the events, keyed by `(type, position)`, with a unique index on
//!   `(type, event_id)` for the deduplication of redeliveries; payloads are JSON bytes.
//!
//! **Retention** ([`HistoryRetention`]) is enforced on each append, for that type only and
//! incrementally: the positions beyond the newest `max_events` go in one range delete
//! (normally one row), then, when an age or byte bound is set, at most [`TRIM_STEP`] of the
//! oldest events that break it. A type nobody appends to keeps what it has.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures_util::future::BoxFuture;
use rusqlite::{Connection, OptionalExtension, params};
use serde_json::Value;
use tokio::sync::Notify;

use super::codec::{count, from_json, int, uint};
use super::{Database, StorageError};
use crate::mutex::lock;
use crate::store::event_history::{EventHistory, HistoryError, HistoryEvent, HistoryRead};

/// The oldest events one append removes at most for the age and byte bounds.
pub const TRIM_STEP: usize = 64;

const MIGRATIONS: &[(u32, &str)] = &[(
    1,
    "CREATE TABLE event_history_meta (
         key TEXT PRIMARY KEY,
         value TEXT NOT NULL
     ) STRICT;
     CREATE TABLE event_history_types (
         type_id INTEGER PRIMARY KEY,
         name TEXT NOT NULL UNIQUE,
         last_seq INTEGER NOT NULL,
         bytes INTEGER NOT NULL
     ) STRICT;
     CREATE TABLE event_history (
         type_id INTEGER NOT NULL REFERENCES event_history_types (type_id),
         seq INTEGER NOT NULL,
         event_id TEXT NOT NULL,
         timestamp_ms INTEGER NOT NULL,
         data BLOB NOT NULL,
         PRIMARY KEY (type_id, seq)
     ) STRICT;
     CREATE UNIQUE INDEX event_history_ids ON event_history (type_id, event_id);",
)];

/// How much of each type's history is kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct HistoryRetention {
    /// The newest events kept per type (at least 1).
    pub max_events: usize,
    /// Events older than this (by their timestamp) are trimmed; `None`: no age bound.
    pub max_age: Option<Duration>,
    /// Payload bytes kept per type at most (the newest event is always kept); `None`: no
    /// byte bound.
    pub max_bytes: Option<u64>,
}

impl HistoryRetention {
    /// The newest `max_events` events of each type, of any age and size.
    pub fn events(max_events: usize) -> Self {
        Self {
            max_events: max_events.max(1),
            max_age: None,
            max_bytes: None,
        }
    }

    /// Also trims events older than `max_age`.
    #[must_use]
    pub fn with_max_age(mut self, max_age: Duration) -> Self {
        self.max_age = Some(max_age);
        self
    }

    /// Also keeps at most `max_bytes` of payload per type.
    #[must_use]
    pub fn with_max_bytes(mut self, max_bytes: u64) -> Self {
        self.max_bytes = Some(max_bytes);
        self
    }
}

/// An [`EventHistory`] in a [`Database`]: positions and the epoch survive restarts.
#[derive(Debug)]
pub struct SqliteEventHistory {
    db: Database,
    epoch: String,
    retention: HistoryRetention,
    /// Rung after a commit that appended to the type.
    news: Mutex<HashMap<String, Arc<Notify>>>,
}

/// What an append found.
enum Appended {
    New(u64),
    Kept(HistoryEvent),
}

impl SqliteEventHistory {
    /// Opens the history in `db` (migrating its tables), keeping the newest `capacity`
    /// events of each type.
    pub async fn open(db: &Database, capacity: usize) -> Result<Self, StorageError> {
        Self::open_with(db, HistoryRetention::events(capacity)).await
    }

    /// Opens the history in `db` with these retention bounds.
    pub async fn open_with(
        db: &Database,
        retention: HistoryRetention,
    ) -> Result<Self, StorageError> {
        db.migrate("event_history", MIGRATIONS).await?;
        let fresh = new_epoch();
        let epoch = db
            .write(move |c| {
                c.execute(
                    "INSERT INTO event_history_meta (key, value) VALUES ('epoch', ?1)
                     ON CONFLICT (key) DO NOTHING",
                    [&fresh],
                )?;
                c.query_row(
                    "SELECT value FROM event_history_meta WHERE key = 'epoch'",
                    [],
                    |r| r.get::<_, String>(0),
                )
            })
            .await?;
        Ok(Self {
            db: db.clone(),
            epoch,
            retention: HistoryRetention {
                max_events: retention.max_events.max(1),
                ..retention
            },
            news: Mutex::default(),
        })
    }

    /// The retention bounds.
    pub fn retention(&self) -> HistoryRetention {
        self.retention
    }

    fn news(&self, name: &str) -> Arc<Notify> {
        lock(&self.news).entry(name.to_owned()).or_default().clone()
    }

    async fn last_seq(&self, name: &str) -> Result<u64, StorageError> {
        let name = name.to_owned();
        self.db
            .read(move |c| {
                c.prepare_cached("SELECT last_seq FROM event_history_types WHERE name = ?1")?
                    .query_row([name], |r| r.get::<_, i64>(0))
                    .optional()
                    .map(|last| last.map_or(0, uint))
            })
            .await
    }
}

/// 64 random bits as 16 hex characters.
fn new_epoch() -> String {
    let mut bytes = [0u8; 8];
    rand::RngCore::fill_bytes(&mut rand::rng(), &mut bytes);
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn failed(e: &StorageError) -> HistoryError {
    HistoryError(e.to_string())
}

impl EventHistory for SqliteEventHistory {
    fn epoch(&self) -> &str {
        &self.epoch
    }

    fn append<'a>(
        &'a self,
        name: &'a str,
        event_id: String,
        timestamp_ms: u64,
        data: Value,
    ) -> BoxFuture<'a, Result<HistoryEvent, HistoryError>> {
        Box::pin(async move {
            let bytes = serde_json::to_vec(&data).map_err(|e| HistoryError(e.to_string()))?;
            let (type_name, id, retention) = (name.to_owned(), event_id.clone(), self.retention);
            let now = crate::store::now_ms();
            let appended = self
                .db
                .write(move |c| append(c, &type_name, &id, timestamp_ms, &bytes, retention, now))
                .await
                .map_err(|e| failed(&e))?;
            match appended {
                Appended::Kept(event) => Ok(event),
                Appended::New(seq) => {
                    self.news(name).notify_waiters();
                    Ok(HistoryEvent {
                        seq,
                        event_id,
                        timestamp_ms,
                        data: Arc::new(data),
                    })
                }
            }
        })
    }

    fn read_after<'a>(
        &'a self,
        name: &'a str,
        after: u64,
        limit: usize,
    ) -> BoxFuture<'a, Result<HistoryRead, HistoryError>> {
        let name = name.to_owned();
        Box::pin(async move {
            self.db
                .read(move |c| read_after(c, &name, after, limit))
                .await
                .map_err(|e| failed(&e))
        })
    }

    fn wait_after<'a>(&'a self, name: &'a str, after: u64) -> BoxFuture<'a, ()> {
        let news = self.news(name);
        Box::pin(async move {
            let notified = news.notified();
            tokio::pin!(notified);
            // Enabled before looking, so an append committed meanwhile still wakes us.
            notified.as_mut().enable();
            match self.last_seq(name).await {
                Ok(last) if last > after => {}
                Ok(_) => notified.await,
                // The database failed: wait a little rather than have the caller spin.
                Err(_) => {
                    let _ = tokio::time::timeout(Duration::from_secs(1), notified).await;
                }
            }
        })
    }
}

/// The append itself, in the writer's transaction.
fn append(
    c: &Connection,
    name: &str,
    event_id: &str,
    timestamp_ms: u64,
    data: &[u8],
    retention: HistoryRetention,
    now_ms: u64,
) -> rusqlite::Result<Appended> {
    c.prepare_cached(
        "INSERT INTO event_history_types (name, last_seq, bytes) VALUES (?1, 0, 0)
         ON CONFLICT (name) DO NOTHING",
    )?
    .execute([name])?;
    let (type_id, last_seq, bytes): (i64, i64, i64) = c
        .prepare_cached("SELECT type_id, last_seq, bytes FROM event_history_types WHERE name = ?1")?
        .query_row([name], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?;
    let kept = c
        .prepare_cached(
            "SELECT seq, timestamp_ms, data FROM event_history
             WHERE type_id = ?1 AND event_id = ?2",
        )?
        .query_row(params![type_id, event_id], |r| {
            let data: Vec<u8> = r.get(2)?;
            Ok(HistoryEvent {
                seq: uint(r.get(0)?),
                event_id: event_id.to_owned(),
                timestamp_ms: uint(r.get(1)?),
                data: Arc::new(from_json(2, &data)?),
            })
        })
        .optional()?;
    if let Some(kept) = kept {
        return Ok(Appended::Kept(kept));
    }
    let seq = last_seq + 1;
    c.prepare_cached(
        "INSERT INTO event_history (type_id, seq, event_id, timestamp_ms, data)
         VALUES (?1, ?2, ?3, ?4, ?5)",
    )?
    .execute(params![type_id, seq, event_id, int(timestamp_ms), data])?;
    let bytes = bytes + count(data.len());
    let bytes = trim(c, type_id, seq, bytes, retention, now_ms)?;
    c.prepare_cached(
        "UPDATE event_history_types SET last_seq = ?2, bytes = ?3 WHERE type_id = ?1",
    )?
    .execute(params![type_id, seq, bytes])?;
    Ok(Appended::New(uint(seq)))
}

/// Removes the oldest events of a type that break `retention`; the payload bytes left.
fn trim(
    c: &Connection,
    type_id: i64,
    last_seq: i64,
    mut bytes: i64,
    retention: HistoryRetention,
    now_ms: u64,
) -> rusqlite::Result<i64> {
    // By count: everything before the newest `max_events` positions, in one range.
    let keep_from = last_seq - count(retention.max_events) + 1;
    let (dropped, dropped_bytes): (i64, i64) = c
        .prepare_cached(
            "SELECT count(*), coalesce(sum(length(data)), 0) FROM event_history
             WHERE type_id = ?1 AND seq < ?2",
        )?
        .query_row(params![type_id, keep_from], |r| Ok((r.get(0)?, r.get(1)?)))?;
    if dropped > 0 {
        c.prepare_cached("DELETE FROM event_history WHERE type_id = ?1 AND seq < ?2")?
            .execute(params![type_id, keep_from])?;
        bytes -= dropped_bytes;
    }
    if retention.max_age.is_none() && retention.max_bytes.is_none() {
        return Ok(bytes);
    }
    // By age and bytes: the oldest few, never the newest.
    let cutoff = retention.max_age.map_or(0, |age| {
        int(now_ms.saturating_sub(u64::try_from(age.as_millis()).unwrap_or(u64::MAX)))
    });
    let max_bytes = retention.max_bytes.map_or(i64::MAX, int);
    let mut statement = c.prepare_cached(
        "SELECT seq, timestamp_ms, length(data) FROM event_history
         WHERE type_id = ?1 AND seq < ?2 ORDER BY seq LIMIT ?3",
    )?;
    let oldest = statement
        .query_map(params![type_id, last_seq, count(TRIM_STEP)], |r| {
            Ok((
                r.get::<_, i64>(0)?,
                r.get::<_, i64>(1)?,
                r.get::<_, i64>(2)?,
            ))
        })?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    let mut through = None;
    for (seq, timestamp_ms, length) in oldest {
        if timestamp_ms >= cutoff && bytes <= max_bytes {
            break;
        }
        bytes -= length;
        through = Some(seq);
    }
    if let Some(through) = through {
        c.prepare_cached("DELETE FROM event_history WHERE type_id = ?1 AND seq <= ?2")?
            .execute(params![type_id, through])?;
    }
    Ok(bytes)
}

/// A read of one type, in one read transaction (the events and the bounds agree).
fn read_after(
    c: &Connection,
    name: &str,
    after: u64,
    limit: usize,
) -> rusqlite::Result<HistoryRead> {
    let tx = c.unchecked_transaction()?;
    let found = tx
        .prepare_cached("SELECT type_id, last_seq FROM event_history_types WHERE name = ?1")?
        .query_row([name], |r| Ok((r.get::<_, i64>(0)?, r.get::<_, i64>(1)?)))
        .optional()?;
    let Some((type_id, last_seq)) = found else {
        return Ok(HistoryRead {
            events: Vec::new(),
            first_seq: 1,
            last_seq: 0,
        });
    };
    let first_seq: Option<i64> = tx
        .prepare_cached("SELECT min(seq) FROM event_history WHERE type_id = ?1")?
        .query_row([type_id], |r| r.get(0))?;
    let events = tx
        .prepare_cached(
            "SELECT seq, event_id, timestamp_ms, data FROM event_history
             WHERE type_id = ?1 AND seq > ?2 ORDER BY seq LIMIT ?3",
        )?
        .query_map(params![type_id, int(after), count(limit)], |r| {
            let data: Vec<u8> = r.get(3)?;
            Ok(HistoryEvent {
                seq: uint(r.get(0)?),
                event_id: r.get(1)?,
                timestamp_ms: uint(r.get(2)?),
                data: Arc::new(from_json(3, &data)?),
            })
        })?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    tx.finish()?;
    Ok(HistoryRead {
        events,
        first_seq: uint(first_seq.unwrap_or(last_seq + 1)),
        last_seq: uint(last_seq),
    })
}

#[cfg(test)]
#[path = "event_history_tests.rs"]
mod tests;
