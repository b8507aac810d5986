//! Task records on SQLite: statuses and results survive a restart, and a task whose handler
//! was running when the process ended is not left `working` forever.
//!
//! **Interrupted tasks.** A handler lives in the process that started it, and a database
//! is used by one process at a time (the server's, opening its stores once as it starts).
//! So every task still `working` or `input_required` when [`SqliteTaskStore::open`] runs
//! was left by a process that is gone: `open` turns each `failed`, with a status message
//! and an error that say the server restarted while it ran, before any server can read the
//! store. A server built on the store therefore never shows one as running.
//! [`interrupted`](SqliteTaskStore::interrupted) tells how many there were. (Opening a
//! second store on a database a live server is using would fail that server's running
//! tasks: open it once.)
//!
//! **Schema** (component `tasks`): `tasks` with the creation order (`seq`, for listing),
//! the id, the owner and the expiry as columns (indexed for listing by owner and for the
//! sweep), the status as a column (a partial index finds the unfinished ones), and the
//! record as JSON. An update reads, changes and writes the record inside the writer's
//! transaction, so it is atomic and applied once.

use futures_util::future::BoxFuture;
use rusqlite::{Connection, OptionalExtension, params};
use spate_protocol::{ErrorObject, TaskStatus, error_code};

use super::codec::{count, from_json, int, to_json};
use super::{Database, StorageError};
use crate::store::task_store::{TaskChange, TaskRecord, TaskStore, TaskStoreError};
use crate::store::{iso8601, now_ms};

/// What an interrupted task's status message (and error) says.
pub const INTERRUPTED: &str =
    "The server restarted while this task was running; its result is lost. Run it again.";

const MIGRATIONS: &[(u32, &str)] = &[(
    1,
    "CREATE TABLE tasks (
         seq INTEGER PRIMARY KEY AUTOINCREMENT,
         id TEXT NOT NULL UNIQUE,
         owner TEXT,
         status TEXT NOT NULL,
         expires_at_ms INTEGER,
         record BLOB NOT NULL
     ) STRICT;
     CREATE INDEX tasks_owner ON tasks (owner, seq);
     CREATE INDEX tasks_expiry ON tasks (expires_at_ms) WHERE expires_at_ms IS NOT NULL;
     CREATE INDEX tasks_unfinished ON tasks (status)
         WHERE status IN ('working', 'input_required');",
)];

/// A [`TaskStore`] in a [`Database`], holding at most `capacity` tasks.
#[derive(Debug, Clone)]
pub struct SqliteTaskStore {
    db: Database,
    capacity: usize,
    interrupted: usize,
}

impl SqliteTaskStore {
    /// Opens the store in `db` (migrating its tables) and fails the tasks a previous
    /// process left running (see the module documentation).
    pub async fn open(db: &Database, capacity: usize) -> Result<Self, StorageError> {
        db.migrate("tasks", MIGRATIONS).await?;
        let interrupted = db.write(|c| fail_interrupted(c, now_ms())).await?;
        if interrupted > 0 {
            tracing::warn!(
                "{interrupted} task(s) were running when the server stopped; they are now failed ({})",
                db.path().display()
            );
        }
        Ok(Self {
            db: db.clone(),
            capacity,
            interrupted,
        })
    }

    /// How many tasks [`open`](Self::open) found left running and failed.
    pub fn interrupted(&self) -> usize {
        self.interrupted
    }
}

fn status_text(status: TaskStatus) -> &'static str {
    match status {
        TaskStatus::Working => "working",
        TaskStatus::InputRequired => "input_required",
        TaskStatus::Completed => "completed",
        TaskStatus::Failed => "failed",
        TaskStatus::Cancelled => "cancelled",
    }
}

/// Fails every unfinished task; how many.
fn fail_interrupted(c: &Connection, now_ms: u64) -> rusqlite::Result<usize> {
    let unfinished = c
        .prepare("SELECT id, record FROM tasks WHERE status IN ('working', 'input_required')")?
        .query_map([], |r| {
            let record: Vec<u8> = r.get(1)?;
            Ok((r.get::<_, String>(0)?, from_json::<TaskRecord>(1, &record)))
        })?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    let now = iso8601(now_ms);
    let mut failed = 0;
    for (id, record) in unfinished {
        let mut record = match record {
            Ok(record) => record,
            Err(e) => {
                // Unreadable: it cannot be served either way; forget it rather than refuse
                // to start.
                tracing::warn!("task {id} is unreadable and is dropped: {e}");
                c.execute("DELETE FROM tasks WHERE id = ?1", [&id])?;
                continue;
            }
        };
        record.task.status = TaskStatus::Failed;
        record.task.status_message = Some(INTERRUPTED.to_owned());
        record.task.error = Some(ErrorObject::new(error_code::INTERNAL_ERROR, INTERRUPTED));
        record.task.input_requests = None;
        record.task.last_updated_at.clone_from(&now);
        record.responses.clear();
        write_back(c, &id, &record)?;
        failed += 1;
    }
    Ok(failed)
}

/// Writes a changed record and its key columns.
fn write_back(c: &Connection, id: &str, record: &TaskRecord) -> rusqlite::Result<()> {
    c.prepare_cached(
        "UPDATE tasks SET owner = ?2, status = ?3, expires_at_ms = ?4, record = ?5 WHERE id = ?1",
    )?
    .execute(params![
        id,
        record.owner,
        status_text(record.task.status),
        record.expires_at_ms.map(int),
        to_json(record)?
    ])
    .map(drop)
}

/// The live record of `id` (not expired at `now_ms`).
fn live(c: &Connection, id: &str, now_ms: u64) -> rusqlite::Result<Option<TaskRecord>> {
    c.prepare_cached(
        "SELECT record FROM tasks
         WHERE id = ?1 AND (expires_at_ms IS NULL OR expires_at_ms > ?2)",
    )?
    .query_row(params![id, int(now_ms)], |r| {
        let record: Vec<u8> = r.get(0)?;
        from_json(0, &record)
    })
    .optional()
}

fn failed(e: &StorageError) -> TaskStoreError {
    TaskStoreError::Backend(e.to_string())
}

/// What a create found.
enum Created {
    Stored,
    Full,
}

impl TaskStore for SqliteTaskStore {
    fn create(&self, record: TaskRecord) -> BoxFuture<'_, Result<(), TaskStoreError>> {
        let capacity = self.capacity;
        Box::pin(async move {
            let created = self
                .db
                .write(move |c| {
                    let held: i64 = c
                        .prepare_cached("SELECT count(*) FROM tasks")?
                        .query_row([], |r| r.get(0))?;
                    if held >= count(capacity) {
                        return Ok(Created::Full);
                    }
                    c.prepare_cached(
                        "INSERT INTO tasks (id, owner, status, expires_at_ms, record)
                         VALUES (?1, ?2, ?3, ?4, ?5)",
                    )?
                    .execute(params![
                        record.task.task_id,
                        record.owner,
                        status_text(record.task.status),
                        record.expires_at_ms.map(int),
                        to_json(&record)?
                    ])?;
                    Ok(Created::Stored)
                })
                .await
                .map_err(|e| failed(&e))?;
            match created {
                Created::Stored => Ok(()),
                Created::Full => Err(TaskStoreError::Full(capacity)),
            }
        })
    }

    fn get<'a>(&'a self, id: &'a str) -> BoxFuture<'a, Result<Option<TaskRecord>, TaskStoreError>> {
        let id = id.to_owned();
        Box::pin(async move {
            self.db
                .read(move |c| live(c, &id, now_ms()))
                .await
                .map_err(|e| failed(&e))
        })
    }

    fn update<'a>(
        &'a self,
        id: &'a str,
        change: TaskChange,
    ) -> BoxFuture<'a, Result<Option<TaskRecord>, TaskStoreError>> {
        let id = id.to_owned();
        Box::pin(async move {
            self.db
                .write(move |c| {
                    let Some(mut record) = live(c, &id, now_ms())? else {
                        return Ok(None);
                    };
                    change(&mut record);
                    write_back(c, &id, &record)?;
                    Ok(Some(record))
                })
                .await
                .map_err(|e| failed(&e))
        })
    }

    fn list<'a>(
        &'a self,
        owner: Option<&'a str>,
        offset: usize,
        limit: usize,
    ) -> BoxFuture<'a, Result<Vec<TaskRecord>, TaskStoreError>> {
        let owner = owner.map(str::to_owned);
        Box::pin(async move {
            self.db
                .read(move |c| {
                    c.prepare_cached(
                        "SELECT record FROM tasks
                         WHERE owner IS ?1 AND (expires_at_ms IS NULL OR expires_at_ms > ?2)
                         ORDER BY seq LIMIT ?3 OFFSET ?4",
                    )?
                    .query_map(
                        params![owner, int(now_ms()), count(limit), count(offset)],
                        |r| {
                            let record: Vec<u8> = r.get(0)?;
                            from_json(0, &record)
                        },
                    )?
                    .collect()
                })
                .await
                .map_err(|e| failed(&e))
        })
    }

    fn sweep(&self, now_ms: u64) -> BoxFuture<'_, Result<usize, TaskStoreError>> {
        Box::pin(async move {
            self.db
                .write(move |c| {
                    c.prepare_cached(
                        "DELETE FROM tasks
                         WHERE expires_at_ms IS NOT NULL AND expires_at_ms <= ?1",
                    )?
                    .execute([int(now_ms)])
                })
                .await
                .map_err(|e| failed(&e))
        })
    }
}

#[cfg(test)]
#[path = "task_store_tests.rs"]
mod tests;
