//! The event log on the shared SQLite database: resumable SSE streams that outlive the
//! process.
//!
//! **Appends** go through the database's writer ([`Database::write`]), so the appends of many
//! streams waiting at the same moment share one commit, and an append resolves only once its
//! commit is done: the HTTP layer writes an event to a socket after its append resolves, so no
//! client ever sees an event a crash could take back. **Reads** run on the blocking pool,
//! each in one read transaction (the stream's bounds and its events from the same snapshot).
//! **Waiting** is in-process: an append wakes the readers of its stream after its commit.
//!
//! **Retention** is enforced as it goes, never by a stop-the-world pass (no `VACUUM`: freed
//! pages are reused by later appends): an append trims its own stream (count, age, bytes) and
//! evicts whole streams while the log holds too many or too many bytes; [`EventLog::sweep`]
//! drops, in small batches of their own commits, the finished streams past their grace
//! period and the events past their age in streams nobody appends to.
//!
//! **Schema** (component `event_log`, version 1): `event_log_streams` (one row per stream: its
//! key, the next sequence number, the oldest kept, counts, bytes, when its oldest event was
//! appended and when it finished), `event_log_events` (`WITHOUT ROWID`, keyed by stream and
//! sequence number, so a replay is one range of the primary key) and `event_log_totals` (one
//! row: streams and bytes held, so the total limits cost no scan).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use futures_util::future::BoxFuture;
use rusqlite::{Connection, OptionalExtension, params};
use tokio::sync::Notify;

use super::{Database, StorageError};
use crate::mutex::lock;
use crate::store::event_log::{EventLog, LogError, NewEvent, ReadBatch, Retention, StoredEvent};
use crate::store::now_ms;

/// The component name of the log's migrations.
const COMPONENT: &str = "event_log";

const MIGRATIONS: &[(u32, &str)] = &[(
    1,
    "CREATE TABLE event_log_streams (
         id INTEGER PRIMARY KEY,
         key TEXT NOT NULL UNIQUE,
         next_seq INTEGER NOT NULL,
         first_seq INTEGER NOT NULL,
         events INTEGER NOT NULL,
         bytes INTEGER NOT NULL,
         oldest_ms INTEGER,
         completed_ms INTEGER
     ) STRICT;
     CREATE INDEX event_log_streams_oldest ON event_log_streams (oldest_ms)
         WHERE oldest_ms IS NOT NULL;
     CREATE INDEX event_log_streams_completed ON event_log_streams (completed_ms)
         WHERE completed_ms IS NOT NULL;
     CREATE TABLE event_log_events (
         stream INTEGER NOT NULL,
         seq INTEGER NOT NULL,
         at_ms INTEGER NOT NULL,
         flags INTEGER NOT NULL,
         data BLOB NOT NULL,
         PRIMARY KEY (stream, seq)
     ) STRICT, WITHOUT ROWID;
     CREATE TABLE event_log_totals (
         one INTEGER PRIMARY KEY CHECK (one = 1),
         streams INTEGER NOT NULL,
         bytes INTEGER NOT NULL
     ) STRICT;
     INSERT INTO event_log_totals (one, streams, bytes) VALUES (1, 0, 0);",
)];

/// Flag bits of a stored event.
const LAST: i64 = 1;
const DISCONNECT: i64 = 2;

/// Streams one sweep commit handles at most, so appends are never held up behind a sweep.
const SWEEP_BATCH: usize = 64;
/// Whole streams one append evicts at most for the total limits (the sweep does the rest).
const EVICT_PER_APPEND: usize = 8;

/// The retention limits in the units the database stores.
#[derive(Debug, Clone, Copy)]
struct Limits {
    max_events: i64,
    max_age_ms: i64,
    grace_ms: i64,
    max_streams: i64,
    max_stream_bytes: i64,
    max_total_bytes: i64,
}

impl Limits {
    fn new(r: &Retention) -> Self {
        let ms = |d: Duration| i64::try_from(d.as_millis()).unwrap_or(i64::MAX);
        let int = |n: u64| i64::try_from(n).unwrap_or(i64::MAX);
        Self {
            max_events: int(r.max_events as u64),
            max_age_ms: ms(r.max_age),
            grace_ms: ms(r.completed_grace),
            max_streams: int(r.max_streams.max(1) as u64),
            max_stream_bytes: int(r.max_stream_bytes),
            max_total_bytes: int(r.max_total_bytes),
        }
    }
}

/// The SQLite event log (cheap to share behind an `Arc`).
#[derive(Debug)]
pub struct SqliteEventLog {
    db: Database,
    limits: Limits,
    /// The readers waiting on each stream; an entry lives while someone waits.
    waiters: Mutex<HashMap<String, Arc<Notify>>>,
}

impl SqliteEventLog {
    /// The log in `db` (its tables made or brought up to date), with `retention`.
    pub async fn open(db: Database, retention: Retention) -> Result<Self, StorageError> {
        db.migrate(COMPONENT, MIGRATIONS).await?;
        Ok(Self {
            db,
            limits: Limits::new(&retention),
            waiters: Mutex::new(HashMap::new()),
        })
    }

    /// How many streams and event bytes the log holds (for tests and metrics).
    pub async fn totals(&self) -> Result<(u64, u64), LogError> {
        self.db
            .read(|c| {
                c.query_row("SELECT streams, bytes FROM event_log_totals", [], |r| {
                    Ok((r.get::<_, i64>(0)?, r.get::<_, i64>(1)?))
                })
            })
            .await
            .map(|(s, b)| (s.max(0) as u64, b.max(0) as u64))
            .map_err(log_error)
    }

    /// Wakes whoever waits on `key`.
    fn wake(&self, key: &str) {
        if let Some(news) = lock(&self.waiters).get(key) {
            news.notify_waiters();
        }
    }

    /// Runs one write, waking the readers of the streams it removed.
    async fn write_removing<F>(&self, f: F) -> Result<(), LogError>
    where
        F: FnOnce(&Connection) -> rusqlite::Result<Vec<String>> + Send + 'static,
    {
        let gone = self.db.write(f).await.map_err(log_error)?;
        for key in &gone {
            self.wake(key);
        }
        Ok(())
    }
}

/// A storage failure as the trait reports it, and in the server's log.
fn log_error(e: StorageError) -> LogError {
    tracing::warn!("event log: {e}");
    if e.is_transient() {
        LogError::transient(e.message)
    } else {
        LogError::new(e.message)
    }
}

fn int(n: usize) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

/// Appends `events` to `key` (opening it); the last sequence number and the streams evicted.
fn append_in(
    db: &Connection,
    limits: &Limits,
    key: &str,
    events: &[NewEvent],
    now: i64,
) -> rusqlite::Result<(u64, Vec<String>)> {
    let mut gone = Vec::new();
    let found = db
        .prepare_cached("SELECT id, next_seq FROM event_log_streams WHERE key = ?1")?
        .query_row([key], |r| Ok((r.get::<_, i64>(0)?, r.get::<_, i64>(1)?)))
        .optional()?;
    let (id, first_new) = match found {
        Some(found) => found,
        None => {
            let streams: i64 =
                db.query_row("SELECT streams FROM event_log_totals", [], |r| r.get(0))?;
            if streams >= limits.max_streams {
                gone.extend(evict_one(db, None)?);
            }
            db.prepare_cached(
                "INSERT INTO event_log_streams (key, next_seq, first_seq, events, bytes)
                 VALUES (?1, 1, 1, 0, 0)",
            )?
            .execute([key])?;
            let id = db.last_insert_rowid();
            db.prepare_cached("UPDATE event_log_totals SET streams = streams + 1")?
                .execute([])?;
            (id, 1)
        }
    };
    if events.is_empty() {
        return Ok(((first_new - 1).max(0) as u64, gone));
    }
    let mut next = first_new;
    let mut bytes = 0i64;
    let mut finished = false;
    {
        let mut insert = db.prepare_cached(
            "INSERT INTO event_log_events (stream, seq, at_ms, flags, data)
             VALUES (?1, ?2, ?3, ?4, ?5)",
        )?;
        for event in events {
            let flags =
                if event.last { LAST } else { 0 } | if event.disconnect { DISCONNECT } else { 0 };
            insert.execute(params![id, next, now, flags, &event.data[..]])?;
            next += 1;
            bytes += int(event.data.len());
            finished |= event.last;
        }
    }
    db.prepare_cached(
        "UPDATE event_log_streams SET next_seq = ?2, events = events + ?3, bytes = bytes + ?4,
             oldest_ms = coalesce(oldest_ms, ?5),
             completed_ms = CASE WHEN ?6 THEN coalesce(completed_ms, ?5) ELSE completed_ms END
         WHERE id = ?1",
    )?
    .execute(params![id, next, next - first_new, bytes, now, finished])?;
    db.prepare_cached("UPDATE event_log_totals SET bytes = bytes + ?1")?
        .execute([bytes])?;
    trim(db, limits, id, now)?;
    for _ in 0..EVICT_PER_APPEND {
        let total: i64 = db.query_row("SELECT bytes FROM event_log_totals", [], |r| r.get(0))?;
        if total <= limits.max_total_bytes {
            break;
        }
        match evict_one(db, Some(id))? {
            Some(key) => gone.push(key),
            None => break,
        }
    }
    Ok(((next - 1) as u64, gone))
}

/// Drops the oldest events of stream `id` beyond its count, age and byte limits.
fn trim(db: &Connection, limits: &Limits, id: i64, now: i64) -> rusqlite::Result<()> {
    let (next, first, events, bytes, oldest): (i64, i64, i64, i64, Option<i64>) = db
        .prepare_cached(
            "SELECT next_seq, first_seq, events, bytes, oldest_ms FROM event_log_streams
             WHERE id = ?1",
        )?
        .query_row([id], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?))
        })?;
    let cutoff = now.saturating_sub(limits.max_age_ms);
    let over_age = oldest.is_some_and(|t| t < cutoff);
    if events <= limits.max_events && bytes <= limits.max_stream_bytes && !over_age {
        return Ok(());
    }
    // Sequence numbers are contiguous from `first`, and appended in time order: the events to
    // drop are one range at the front.
    let mut upto = first + (events - limits.max_events).max(0);
    if over_age {
        let young: Option<i64> = db
            .prepare_cached(
                "SELECT seq FROM event_log_events WHERE stream = ?1 AND seq >= ?2 AND at_ms >= ?3
                 ORDER BY seq LIMIT 1",
            )?
            .query_row(params![id, first, cutoff], |r| r.get(0))
            .optional()?;
        upto = upto.max(young.unwrap_or(next));
    }
    let mut freed = delete_range(db, id, first, upto)?;
    let mut remaining = bytes - freed;
    while remaining > limits.max_stream_bytes && upto < next {
        let one = delete_range(db, id, upto, upto + 1)?;
        freed += one;
        remaining -= one;
        upto += 1;
    }
    let oldest: Option<i64> = db
        .prepare_cached("SELECT at_ms FROM event_log_events WHERE stream = ?1 AND seq = ?2")?
        .query_row(params![id, upto], |r| r.get(0))
        .optional()?;
    db.prepare_cached(
        "UPDATE event_log_streams SET first_seq = ?2, events = events - (?2 - first_seq),
             bytes = bytes - ?3, oldest_ms = ?4
         WHERE id = ?1",
    )?
    .execute(params![id, upto, freed, oldest])?;
    db.prepare_cached("UPDATE event_log_totals SET bytes = bytes - ?1")?
        .execute([freed])?;
    Ok(())
}

/// Deletes events `from..upto` of stream `id`; the bytes freed.
fn delete_range(db: &Connection, id: i64, from: i64, upto: i64) -> rusqlite::Result<i64> {
    if upto <= from {
        return Ok(0);
    }
    let mut delete = db.prepare_cached(
        "DELETE FROM event_log_events WHERE stream = ?1 AND seq >= ?2 AND seq < ?3
         RETURNING length(data)",
    )?;
    let sizes = delete.query_map(params![id, from, upto], |r| r.get::<_, i64>(0))?;
    sizes.sum()
}

/// Removes stream `id` whole; its key.
fn remove_stream(db: &Connection, id: i64) -> rusqlite::Result<Option<String>> {
    db.prepare_cached("DELETE FROM event_log_events WHERE stream = ?1")?
        .execute([id])?;
    let removed: Option<(String, i64)> = db
        .prepare_cached("DELETE FROM event_log_streams WHERE id = ?1 RETURNING key, bytes")?
        .query_row([id], |r| Ok((r.get(0)?, r.get(1)?)))
        .optional()?;
    let Some((key, bytes)) = removed else {
        return Ok(None);
    };
    db.prepare_cached("UPDATE event_log_totals SET streams = streams - 1, bytes = bytes - ?1")?
        .execute([bytes])?;
    Ok(Some(key))
}

/// Evicts one stream other than `keep`: the longest-finished, else the one opened longest ago.
fn evict_one(db: &Connection, keep: Option<i64>) -> rusqlite::Result<Option<String>> {
    let keep = keep.unwrap_or(-1);
    let victim: Option<i64> = db
        .prepare_cached(
            "SELECT id FROM event_log_streams WHERE completed_ms IS NOT NULL AND id != ?1
             ORDER BY completed_ms LIMIT 1",
        )?
        .query_row([keep], |r| r.get(0))
        .optional()?;
    let victim = match victim {
        Some(v) => Some(v),
        None => db
            .prepare_cached("SELECT id FROM event_log_streams WHERE id != ?1 ORDER BY id LIMIT 1")?
            .query_row([keep], |r| r.get(0))
            .optional()?,
    };
    match victim {
        Some(id) => remove_stream(db, id),
        None => Ok(None),
    }
}

/// The ids and keys of the streams whose key starts with `prefix`, in key order.
fn with_prefix(db: &Connection, prefix: &str) -> rusqlite::Result<Vec<(i64, String)>> {
    // Keys compare as UTF-8 bytes: every key with the prefix sorts from the prefix up to the
    // prefix followed by the greatest character.
    let upper = format!("{prefix}\u{10FFFF}");
    let mut select = db.prepare_cached(
        "SELECT id, key FROM event_log_streams WHERE key >= ?1 AND key < ?2 ORDER BY key",
    )?;
    let rows = select.query_map(params![prefix, upper], |r| Ok((r.get(0)?, r.get(1)?)))?;
    let mut found = Vec::new();
    for row in rows {
        let (id, key): (i64, String) = row?;
        if key.starts_with(prefix) {
            found.push((id, key));
        }
    }
    Ok(found)
}

/// One sweep round: finished streams past their grace, then expired events of idle streams;
/// whether there may be more to do, and the streams removed.
fn sweep_round(
    db: &Connection,
    limits: &Limits,
    now: i64,
) -> rusqlite::Result<(bool, Vec<String>)> {
    let mut gone = Vec::new();
    let finished: Vec<i64> = db
        .prepare_cached(
            "SELECT id FROM event_log_streams WHERE completed_ms < ?1 ORDER BY completed_ms
             LIMIT ?2",
        )?
        .query_map(
            params![now.saturating_sub(limits.grace_ms), int(SWEEP_BATCH)],
            |r| r.get(0),
        )?
        .collect::<rusqlite::Result<_>>()?;
    for id in &finished {
        gone.extend(remove_stream(db, *id)?);
    }
    let aged: Vec<i64> = db
        .prepare_cached("SELECT id FROM event_log_streams WHERE oldest_ms < ?1 LIMIT ?2")?
        .query_map(
            params![now.saturating_sub(limits.max_age_ms), int(SWEEP_BATCH)],
            |r| r.get(0),
        )?
        .collect::<rusqlite::Result<_>>()?;
    for id in &aged {
        trim(db, limits, *id, now)?;
    }
    let mut evicted = 0;
    while evicted < SWEEP_BATCH {
        let (streams, bytes): (i64, i64) =
            db.query_row("SELECT streams, bytes FROM event_log_totals", [], |r| {
                Ok((r.get(0)?, r.get(1)?))
            })?;
        if bytes <= limits.max_total_bytes && streams <= limits.max_streams {
            break;
        }
        match evict_one(db, None)? {
            Some(key) => gone.push(key),
            None => break,
        }
        evicted += 1;
    }
    let more = finished.len() == SWEEP_BATCH || aged.len() == SWEEP_BATCH || evicted == SWEEP_BATCH;
    Ok((more, gone))
}

fn read_in(db: &Connection, key: &str, after: u64, max: usize) -> rusqlite::Result<ReadBatch> {
    // One snapshot for the bounds and the events, so a trim between them cannot hide a gap.
    let tx = db.unchecked_transaction()?;
    let found: Option<(i64, i64, i64)> = tx
        .prepare_cached("SELECT id, next_seq, first_seq FROM event_log_streams WHERE key = ?1")?
        .query_row([key], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .optional()?;
    let Some((id, next, first)) = found else {
        return Ok(ReadBatch::default());
    };
    let mut events = Vec::new();
    if max > 0 {
        let after_i = i64::try_from(after).unwrap_or(i64::MAX);
        let mut select = tx.prepare_cached(
            "SELECT seq, flags, data FROM event_log_events WHERE stream = ?1 AND seq > ?2
             ORDER BY seq LIMIT ?3",
        )?;
        let rows = select.query_map(params![id, after_i, int(max)], |r| {
            let flags: i64 = r.get(1)?;
            Ok(StoredEvent {
                seq: r.get::<_, i64>(0)? as u64,
                data: Bytes::from(r.get::<_, Vec<u8>>(2)?),
                last: flags & LAST != 0,
                disconnect: flags & DISCONNECT != 0,
            })
        })?;
        for row in rows {
            events.push(row?);
        }
    }
    tx.finish()?;
    Ok(ReadBatch {
        events,
        known: true,
        dropped: (first.max(1) as u64).saturating_sub(after.saturating_add(1)),
        last_seq: (next - 1).max(0) as u64,
    })
}

impl EventLog for SqliteEventLog {
    fn append(&self, stream: &str, events: Vec<NewEvent>) -> BoxFuture<'_, Result<u64, LogError>> {
        let key = stream.to_owned();
        Box::pin(async move {
            let limits = self.limits;
            let now = i64::try_from(now_ms()).unwrap_or(i64::MAX);
            let write_key = key.clone();
            let (last, gone) = self
                .db
                .write(move |db| append_in(db, &limits, &write_key, &events, now))
                .await
                .map_err(log_error)?;
            // Committed: only now may a reader see it.
            self.wake(&key);
            for key in &gone {
                self.wake(key);
            }
            Ok(last)
        })
    }

    fn append_each<'a>(
        &'a self,
        streams: &'a [&'a str],
        event: NewEvent,
    ) -> BoxFuture<'a, Result<(), LogError>> {
        Box::pin(async move {
            let limits = self.limits;
            let now = i64::try_from(now_ms()).unwrap_or(i64::MAX);
            let keys: Vec<String> = streams.iter().map(|s| (*s).to_owned()).collect();
            let gone = self
                .db
                .write(move |db| {
                    let mut gone = Vec::new();
                    let events = [event];
                    for key in &keys {
                        gone.extend(append_in(db, &limits, key, &events, now)?.1);
                    }
                    Ok(gone)
                })
                .await
                .map_err(log_error)?;
            for key in streams
                .iter()
                .copied()
                .chain(gone.iter().map(String::as_str))
            {
                self.wake(key);
            }
            Ok(())
        })
    }

    fn read_after(
        &self,
        stream: &str,
        after: u64,
        max: usize,
    ) -> BoxFuture<'_, Result<ReadBatch, LogError>> {
        let key = stream.to_owned();
        Box::pin(async move {
            self.db
                .read(move |db| read_in(db, &key, after, max))
                .await
                .map_err(log_error)
        })
    }

    fn wait_after(&self, stream: &str, after: u64) -> BoxFuture<'_, ()> {
        let key = stream.to_owned();
        let news = lock(&self.waiters).entry(key.clone()).or_default().clone();
        Box::pin(async move {
            {
                // Registered before the check: an append committed after it wakes this wait.
                let notified = news.notified();
                tokio::pin!(notified);
                notified.as_mut().enable();
                match self.read_after(&key, after, 0).await {
                    Ok(now) if now.known && now.last_seq <= after => notified.await,
                    Ok(_) => {} // more already, or gone
                    // A failing database: wait a moment (or for an append) before the
                    // caller reads again, rather than spinning on the error.
                    Err(_) => {
                        let _ = tokio::time::timeout(Duration::from_secs(1), notified).await;
                    }
                }
            }
            let mut waiters = lock(&self.waiters);
            // Nobody else holds it: forget the stream's entry.
            if Arc::strong_count(&news) == 2 {
                waiters.remove(&key);
            }
        })
    }

    fn remove_prefix(&self, prefix: &str) -> BoxFuture<'_, ()> {
        let prefix = prefix.to_owned();
        Box::pin(async move {
            let _ = self
                .write_removing(move |db| {
                    let mut gone = Vec::new();
                    for (id, _) in with_prefix(db, &prefix)? {
                        gone.extend(remove_stream(db, id)?);
                    }
                    Ok(gone)
                })
                .await;
        })
    }

    fn remove(&self, stream: &str) -> BoxFuture<'_, ()> {
        let key = stream.to_owned();
        Box::pin(async move {
            let _ = self
                .write_removing(move |db| {
                    let id: Option<i64> = db
                        .prepare_cached("SELECT id FROM event_log_streams WHERE key = ?1")?
                        .query_row([&key], |r| r.get(0))
                        .optional()?;
                    Ok(match id {
                        Some(id) => remove_stream(db, id)?.into_iter().collect(),
                        None => Vec::new(),
                    })
                })
                .await;
        })
    }

    fn keys_with_prefix<'a>(
        &'a self,
        prefix: &'a str,
    ) -> BoxFuture<'a, Result<Vec<String>, LogError>> {
        let prefix = prefix.to_owned();
        Box::pin(async move {
            self.db
                .read(move |db| {
                    Ok(with_prefix(db, &prefix)?
                        .into_iter()
                        .map(|(_, key)| key)
                        .collect())
                })
                .await
                .map_err(log_error)
        })
    }

    fn sweep(&self) -> BoxFuture<'_, ()> {
        Box::pin(async move {
            loop {
                let limits = self.limits;
                let now = i64::try_from(now_ms()).unwrap_or(i64::MAX);
                let round = self
                    .db
                    .write(move |db| sweep_round(db, &limits, now))
                    .await
                    .map_err(log_error);
                let Ok((more, gone)) = round else { return };
                for key in &gone {
                    self.wake(key);
                }
                if !more {
                    return;
                }
            }
        })
    }
}

#[cfg(test)]
#[path = "event_log_tests.rs"]
mod tests;
