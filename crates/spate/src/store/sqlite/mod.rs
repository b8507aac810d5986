//! The embedded SQLite database every durable store shares: one file, one writer thread that
//! commits in groups, readers off the async runtime, and migrations versioned in code.
//!
//! **Writes** go to one thread, which takes every write waiting and runs them in one
//! transaction (group commit: a burst of appends from many streams costs one `fsync`-free
//! WAL commit, not one each). Each write runs in its own savepoint, so one that fails is
//! rolled back alone; a write's future resolves only after its group's `COMMIT`, so nothing
//! is acknowledged that a crash could lose.
//!
//! **Reads** run on the blocking pool, each on a connection of a small pool (WAL lets them
//! run beside the writer).
//!
//! **PRAGMAs** (the choices, written down):
//! - `journal_mode = WAL`: readers never block the writer, and a commit is one append to the
//!   WAL;
//! - `synchronous = NORMAL`: a committed transaction survives the process being killed
//!   (`SIGKILL`), which is what the server promises; only an operating-system crash or a power
//!   loss can take the last commits back. `Durability::Full` (`synchronous = FULL`) closes
//!   that too, at one `fsync` per group;
//! - `busy_timeout = 5000` ms, `foreign_keys = ON`, `temp_store = MEMORY`;
//! - WAL checkpoints are SQLite's automatic ones (every 1000 pages), done by the writer.
//!
//! The durable stores on it: [`event_log`] (resumable SSE streams), [`session_store`]
//! (sessions that survive a restart), [`event_history`] (the events extension's
//! occurrences), [`webhook_subscriptions`], and [`task_store`].
//!
//! **Migrations**: each store declares its own list ([`Database::migrate`]), numbered from 1
//! and recorded in the table `spate_migrations` per component. A database whose recorded
//! version is newer than the code's is refused with a message that says so.

mod codec;
mod error;
pub mod event_history;
pub mod event_log;
pub mod session_store;
pub mod task_store;
#[cfg(test)]
mod testing;
pub mod webhook_subscriptions;

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use rusqlite::{Connection, OpenFlags};
use tokio::sync::oneshot;

pub use error::{StorageError, StorageErrorKind};
pub use event_history::{HistoryRetention, SqliteEventHistory};
pub use task_store::SqliteTaskStore;
pub use webhook_subscriptions::SqliteWebhookSubscriptions;

use crate::mutex::lock;

/// The file name of the database in a data directory.
pub const DATABASE_FILE: &str = "spate.db";
/// Writes waiting for the writer thread at most; beyond, a write waits for room.
const WRITE_QUEUE: usize = 4096;
/// Writes one group commits at most.
const GROUP_MAX: usize = 1024;
/// Read connections kept open.
const READERS: usize = 4;

/// How hard a commit holds on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum Durability {
    /// `synchronous = NORMAL`: survives the process being killed (the default).
    #[default]
    Normal,
    /// `synchronous = FULL`: survives a power loss too, at one `fsync` per commit group.
    Full,
}

/// One write waiting for the writer thread.
type Job = Box<dyn WriteJob>;

/// A write: runs inside the writer's transaction (in a savepoint of its own), then learns
/// how its group's commit went and tells its caller.
trait WriteJob: Send {
    /// Runs the write; `false` when it failed (its savepoint is then rolled back).
    fn run(&mut self, db: &Connection) -> bool;
    /// The write's own failure, if it ran and failed.
    fn failure(&self) -> Option<StorageError>;
    /// Tells the caller: the write's own result once `committed` is `Ok`, else that error
    /// (also for a write that never ran because the group failed first).
    fn finish(self: Box<Self>, committed: Result<(), StorageError>);
}

/// A write returning a `T`.
struct Typed<T, F> {
    f: Option<F>,
    result: Option<Result<T, StorageError>>,
    done: oneshot::Sender<Result<T, StorageError>>,
    path: PathBuf,
}

impl<T, F> WriteJob for Typed<T, F>
where
    T: Send + 'static,
    F: FnOnce(&Connection) -> rusqlite::Result<T> + Send + 'static,
{
    fn run(&mut self, db: &Connection) -> bool {
        let Some(f) = self.f.take() else {
            return false;
        };
        let result = f(db).map_err(|e| StorageError::sqlite(&self.path, &e));
        let ok = result.is_ok();
        self.result = Some(result);
        ok
    }

    fn failure(&self) -> Option<StorageError> {
        match &self.result {
            Some(Err(e)) => Some(e.clone()),
            _ => None,
        }
    }

    fn finish(self: Box<Self>, committed: Result<(), StorageError>) {
        let outcome = match (committed, self.result) {
            // Its own failure says more than the group's.
            (_, Some(Err(own))) => Err(own),
            (Ok(()), Some(Ok(value))) => Ok(value),
            (Err(e), _) => Err(e),
            (Ok(()), None) => Err(StorageError::closed(&self.path)),
        };
        let _ = self.done.send(outcome);
    }
}

/// The shared database (cheap to clone).
#[derive(Clone)]
pub struct Database {
    inner: Arc<Inner>,
}

struct Inner {
    path: PathBuf,
    writes: std::sync::mpsc::SyncSender<Job>,
    readers: Mutex<Vec<Connection>>,
}

impl std::fmt::Debug for Database {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Database")
            .field("path", &self.inner.path)
            .finish_non_exhaustive()
    }
}

impl Database {
    /// Opens (creating it if needed) the database `spate.db` in `dir` (created too).
    pub fn open_dir(dir: &Path, durability: Durability) -> Result<Self, StorageError> {
        std::fs::create_dir_all(dir).map_err(|e| StorageError::io(dir, &e))?;
        Self::open(&dir.join(DATABASE_FILE), durability)
    }

    /// Opens (creating it if needed) the database at `path`, and starts its writer thread.
    pub fn open(path: &Path, durability: Durability) -> Result<Self, StorageError> {
        let writer = connect(path, durability, true)?;
        // Fails here, not on the first write, when the file is not a database.
        writer
            .query_row("SELECT count(*) FROM sqlite_master", [], |r| {
                r.get::<_, i64>(0)
            })
            .map_err(|e| StorageError::sqlite(path, &e))?;
        // A damaged file (truncated, overwritten in part) can have an intact first page:
        // look at every page once now, so it is refused at start rather than found half-way
        // through serving.
        check_integrity(&writer, path)?;
        writer
            .execute_batch(
                "CREATE TABLE IF NOT EXISTS spate_migrations (
                     component TEXT PRIMARY KEY,
                     version INTEGER NOT NULL
                 ) STRICT",
            )
            .map_err(|e| StorageError::sqlite(path, &e))?;
        let (writes, queue) = std::sync::mpsc::sync_channel(WRITE_QUEUE);
        let thread_path = path.to_owned();
        std::thread::Builder::new()
            .name("spate-sqlite-writer".into())
            .spawn(move || write_loop(writer, &queue, &thread_path))
            .map_err(|e| StorageError::io(path, &e))?;
        Ok(Self {
            inner: Arc::new(Inner {
                path: path.to_owned(),
                writes,
                readers: Mutex::new(Vec::new()),
            }),
        })
    }

    /// The database file.
    pub fn path(&self) -> &Path {
        &self.inner.path
    }

    /// Caps the database at `pages` pages (`PRAGMA max_page_count`; a page is 4 KiB), or
    /// lifts the cap (`None`). A write that would grow the file past the cap fails as a full
    /// disk does ([`StorageErrorKind::Full`]: clients are answered 503 with `Retry-After`),
    /// and writes succeed again once the cap is raised or retention frees pages. A cap below
    /// the current size holds the database at its current size. Returns the cap in effect.
    pub async fn set_max_pages(&self, pages: Option<u64>) -> Result<u64, StorageError> {
        // SQLite's own ceiling: 2^32 - 2 pages.
        let pages = pages.unwrap_or(0xFFFF_FFFE);
        let cap: i64 = self
            .write(move |db| {
                db.query_row(&format!("PRAGMA max_page_count = {pages}"), [], |r| {
                    r.get(0)
                })
            })
            .await?;
        Ok(cap.unsigned_abs())
    }

    /// Brings `component`'s tables to the last of `migrations` (each `(version, sql)`,
    /// versions 1, 2, … in order), running those not yet applied in one transaction each.
    /// Refuses a database that a newer Spate migrated further.
    pub async fn migrate(
        &self,
        component: &'static str,
        migrations: &'static [(u32, &'static str)],
    ) -> Result<(), StorageError> {
        let path = self.inner.path.clone();
        self.write(move |db| -> rusqlite::Result<Result<(), StorageError>> {
            let current: u32 = db
                .query_row(
                    "SELECT version FROM spate_migrations WHERE component = ?1",
                    [component],
                    |r| r.get(0),
                )
                .or_else(|e| match e {
                    rusqlite::Error::QueryReturnedNoRows => Ok(0),
                    e => Err(e),
                })?;
            let latest = migrations.last().map_or(0, |(v, _)| *v);
            if current > latest {
                return Ok(Err(StorageError::too_new(
                    &path, component, current, latest,
                )));
            }
            for (version, sql) in migrations.iter().filter(|(v, _)| *v > current) {
                db.execute_batch(sql)?;
                db.execute(
                    "INSERT INTO spate_migrations (component, version) VALUES (?1, ?2)
                     ON CONFLICT (component) DO UPDATE SET version = excluded.version",
                    rusqlite::params![component, version],
                )?;
            }
            Ok(Ok(()))
        })
        .await?
    }

    /// Runs `f` in the writer's next commit group; resolves once that group is committed
    /// (or with the error that stopped `f` or the commit).
    pub async fn write<T, F>(&self, f: F) -> Result<T, StorageError>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> rusqlite::Result<T> + Send + 'static,
    {
        let (done, outcome) = oneshot::channel();
        let job: Job = Box::new(Typed {
            f: Some(f),
            result: None,
            done,
            path: self.inner.path.clone(),
        });
        let writes = self.inner.writes.clone();
        // The queue is bounded: when it is full, wait for room off the runtime.
        let sent = match writes.try_send(job) {
            Ok(()) => Ok(()),
            Err(std::sync::mpsc::TrySendError::Full(job)) => {
                tokio::task::spawn_blocking(move || writes.send(job).map_err(|_| ()))
                    .await
                    .unwrap_or(Err(()))
            }
            Err(std::sync::mpsc::TrySendError::Disconnected(_)) => Err(()),
        };
        if sent.is_err() {
            return Err(StorageError::closed(&self.inner.path));
        }
        outcome
            .await
            .unwrap_or_else(|_| Err(StorageError::closed(&self.inner.path)))
    }

    /// Runs `f` on a read connection, on the blocking pool.
    pub async fn read<T, F>(&self, f: F) -> Result<T, StorageError>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> rusqlite::Result<T> + Send + 'static,
    {
        let inner = self.inner.clone();
        tokio::task::spawn_blocking(move || {
            let pooled = lock(&inner.readers).pop();
            let db = match pooled {
                Some(db) => db,
                None => connect(&inner.path, Durability::Normal, false)?,
            };
            let result = f(&db).map_err(|e| StorageError::sqlite(&inner.path, &e));
            let mut readers = lock(&inner.readers);
            if readers.len() < READERS {
                readers.push(db);
            }
            result
        })
        .await
        .unwrap_or_else(|_| Err(StorageError::closed(&self.inner.path)))
    }
}

/// A connection with the PRAGMAs of this module's documentation.
fn connect(path: &Path, durability: Durability, writer: bool) -> Result<Connection, StorageError> {
    let flags = if writer {
        OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_CREATE
    } else {
        OpenFlags::SQLITE_OPEN_READ_ONLY
    } | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    let db =
        Connection::open_with_flags(path, flags).map_err(|e| StorageError::sqlite(path, &e))?;
    let synchronous = match durability {
        Durability::Normal => "NORMAL",
        Durability::Full => "FULL",
    };
    let setup = || -> rusqlite::Result<()> {
        db.busy_timeout(Duration::from_secs(5))?;
        if writer {
            db.pragma_update(None, "journal_mode", "WAL")?;
        }
        db.pragma_update(None, "synchronous", synchronous)?;
        db.pragma_update(None, "foreign_keys", "ON")?;
        db.pragma_update(None, "temp_store", "MEMORY")?;
        Ok(())
    };
    setup().map_err(|e| StorageError::sqlite(path, &e))?;
    Ok(db)
}

/// Why a commit group failed.
enum GroupFailed {
    /// A statement of the writer's own (begin, savepoint, commit).
    Sqlite(rusqlite::Error),
    /// A write failed and SQLite rolled the whole transaction back.
    RolledBack,
}

impl From<rusqlite::Error> for GroupFailed {
    fn from(e: rusqlite::Error) -> Self {
        Self::Sqlite(e)
    }
}

/// `PRAGMA quick_check`: the structure of every page (not the indexes' contents), read once.
fn check_integrity(db: &Connection, path: &Path) -> Result<(), StorageError> {
    let mut statement = db
        .prepare("PRAGMA quick_check(5)")
        .map_err(|e| StorageError::sqlite(path, &e))?;
    let findings = statement
        .query_map([], |r| r.get::<_, String>(0))
        .and_then(|rows| rows.collect::<rusqlite::Result<Vec<_>>>())
        .map_err(|e| StorageError::sqlite(path, &e))?;
    if findings.len() == 1 && findings[0] == "ok" {
        return Ok(());
    }
    Err(StorageError::damaged(path, &findings.join("; ")))
}

/// The writer thread: takes the writes waiting (up to [`GROUP_MAX`]), runs each in a
/// savepoint of one transaction, commits, then tells every caller.
fn write_loop(mut db: Connection, queue: &std::sync::mpsc::Receiver<Job>, path: &Path) {
    while let Ok(first) = queue.recv() {
        let mut group = vec![first];
        while group.len() < GROUP_MAX {
            match queue.try_recv() {
                Ok(job) => group.push(job),
                Err(_) => break,
            }
        }
        let outcome = (|| -> Result<(), GroupFailed> {
            let mut tx = db.transaction()?;
            for job in &mut group {
                let savepoint = tx.savepoint()?;
                if job.run(&savepoint) {
                    savepoint.commit()?;
                } else if savepoint.is_autocommit() {
                    // Some failures (a full disk among them) make SQLite roll the whole
                    // transaction back: the writes before this one are gone too, so the
                    // group fails with this write's cause, and nothing after it runs
                    // outside a transaction.
                    return Err(GroupFailed::RolledBack);
                }
                // else: dropping the savepoint rolls the failed write back, alone.
            }
            tx.commit().map_err(Into::into)
        })();
        let outcome = outcome.map_err(|e| match e {
            GroupFailed::Sqlite(e) => StorageError::sqlite(path, &e),
            GroupFailed::RolledBack => group
                .iter()
                .find_map(|job| job.failure())
                .unwrap_or_else(|| StorageError::closed(path)),
        });
        if let Err(e) = &outcome {
            tracing::error!("{e}");
        }
        for job in group {
            job.finish(outcome.clone());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MIGRATIONS: &[(u32, &str)] = &[
        (1, "CREATE TABLE t (x INTEGER NOT NULL) STRICT"),
        (2, "ALTER TABLE t ADD COLUMN y TEXT"),
    ];

    fn dir() -> PathBuf {
        let dir = std::env::temp_dir().join(format!("spate-sqlite-{}", rand::random::<u64>()));
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }

    #[tokio::test]
    async fn writes_commit_in_groups_and_survive_a_reopen() {
        let dir = dir();
        let db = Database::open_dir(&dir, Durability::Normal).unwrap();
        db.migrate("test", MIGRATIONS).await.unwrap();
        let writes: Vec<_> = (0..500)
            .map(|i| {
                let db = db.clone();
                tokio::spawn(async move {
                    db.write(move |c| c.execute("INSERT INTO t (x) VALUES (?1)", [i]))
                        .await
                })
            })
            .collect();
        for w in writes {
            assert_eq!(w.await.unwrap().unwrap(), 1);
        }
        // One failing write is rolled back alone.
        let bad = db
            .write(|c| c.execute("INSERT INTO t (x) VALUES (NULL)", []))
            .await;
        assert!(bad.is_err());
        drop(db);
        let db = Database::open_dir(&dir, Durability::Full).unwrap();
        db.migrate("test", MIGRATIONS).await.unwrap();
        let n: i64 = db
            .read(|c| c.query_row("SELECT count(*) FROM t", [], |r| r.get(0)))
            .await
            .unwrap();
        assert_eq!(n, 500);
        std::fs::remove_dir_all(dir).unwrap();
    }

    /// A full disk, injected through the engine itself (`max_page_count`): the write that
    /// does not fit fails as `Full` (transient), nothing of it is kept, everything committed
    /// before is intact, and writes succeed again once there is room.
    #[tokio::test]
    async fn a_full_database_refuses_the_write_and_keeps_what_was_committed() {
        let dir = dir();
        let db = Database::open_dir(&dir, Durability::Normal).unwrap();
        db.migrate("test", MIGRATIONS).await.unwrap();
        for i in 0..50 {
            db.write(move |c| c.execute("INSERT INTO t (x) VALUES (?1)", [i]))
                .await
                .unwrap();
        }
        let pages: i64 = db
            .read(|c| c.query_row("PRAGMA page_count", [], |r| r.get(0)))
            .await
            .unwrap();
        db.set_max_pages(Some(pages.unsigned_abs())).await.unwrap();
        let big = "x".repeat(64 * 1024);
        let e = db
            .write(move |c| c.execute("INSERT INTO t (x, y) VALUES (999, ?1)", [big]))
            .await
            .unwrap_err();
        assert_eq!(e.kind, StorageErrorKind::Full, "{e}");
        assert!(e.is_transient() && e.message.contains("spate.db"), "{e}");
        let count = |db: &Database| {
            let db = db.clone();
            async move {
                db.read(|c| {
                    c.query_row("SELECT count(*), max(x) FROM t", [], |r| {
                        Ok((r.get::<_, i64>(0)?, r.get::<_, i64>(1)?))
                    })
                })
                .await
                .unwrap()
            }
        };
        assert_eq!(count(&db).await, (50, 49), "the failed write left nothing");
        db.set_max_pages(None).await.unwrap();
        db.write(|c| c.execute("INSERT INTO t (x) VALUES (50)", []))
            .await
            .unwrap();
        assert_eq!(count(&db).await, (51, 50));
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[tokio::test]
    async fn a_newer_schema_and_a_foreign_file_are_refused_with_advice() {
        let dir = dir();
        let db = Database::open_dir(&dir, Durability::Normal).unwrap();
        db.migrate("test", MIGRATIONS).await.unwrap();
        let e = db.migrate("test", &MIGRATIONS[..1]).await.unwrap_err();
        assert_eq!(e.kind, StorageErrorKind::TooNew);
        assert!(
            e.message.contains("version 2") && e.message.contains("knows up to 1"),
            "{e}"
        );

        let foreign = dir.join("not-a-db");
        std::fs::write(&foreign, vec![b'x'; 4096]).unwrap();
        let e = Database::open(&foreign, Durability::Normal).unwrap_err();
        assert_eq!(e.kind, StorageErrorKind::Corrupt, "{e}");
        assert!(e.message.contains("not-a-db"), "names the file: {e}");
        std::fs::remove_dir_all(dir).unwrap();
    }
}
