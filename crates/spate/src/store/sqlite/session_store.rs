//! Session records on the shared SQLite database: one row per session, the record as JSON
//! (its fields change with the protocol; the columns are what queries need).
//!
//! **Schema** (component `sessions`, version 1): `sessions (id, revision, used_ms, record)`,
//! with an index on `used_ms` for expiry. A save is an upsert that keeps the higher revision.

use futures_util::future::BoxFuture;
use rusqlite::{OptionalExtension, params};

use super::{Database, StorageError};
use crate::store::session_store::{SessionRecord, SessionStore, SessionStoreError};

const COMPONENT: &str = "sessions";

const MIGRATIONS: &[(u32, &str)] = &[(
    1,
    "CREATE TABLE sessions (
         id TEXT PRIMARY KEY,
         revision INTEGER NOT NULL,
         used_ms INTEGER NOT NULL,
         record TEXT NOT NULL
     ) STRICT;
     CREATE INDEX sessions_used ON sessions (used_ms);",
)];

/// The SQLite session store.
#[derive(Debug, Clone)]
pub struct SqliteSessionStore {
    db: Database,
}

impl SqliteSessionStore {
    /// The store in `db` (its table made or brought up to date).
    pub async fn open(db: Database) -> Result<Self, StorageError> {
        db.migrate(COMPONENT, MIGRATIONS).await?;
        Ok(Self { db })
    }
}

fn store_error(e: StorageError) -> SessionStoreError {
    tracing::warn!("session store: {e}");
    SessionStoreError {
        transient: e.is_transient(),
        message: e.message,
    }
}

fn int(n: u64) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

impl SessionStore for SqliteSessionStore {
    fn save(&self, record: SessionRecord) -> BoxFuture<'_, Result<(), SessionStoreError>> {
        Box::pin(async move {
            let json = serde_json::to_string(&record).map_err(|e| SessionStoreError {
                message: format!("cannot encode session {}: {e}", record.id),
                transient: false,
            })?;
            self.db
                .write(move |db| {
                    db.prepare_cached(
                        "INSERT INTO sessions (id, revision, used_ms, record) VALUES (?1, ?2, ?3, ?4)
                         ON CONFLICT (id) DO UPDATE SET revision = excluded.revision,
                             used_ms = max(used_ms, excluded.used_ms), record = excluded.record
                         WHERE excluded.revision > sessions.revision",
                    )?
                    .execute(params![
                        record.id,
                        int(record.revision),
                        int(record.used_ms),
                        json
                    ])
                })
                .await
                .map(drop)
                .map_err(store_error)
        })
    }

    fn load<'a>(
        &'a self,
        id: &'a str,
    ) -> BoxFuture<'a, Result<Option<SessionRecord>, SessionStoreError>> {
        let id = id.to_owned();
        Box::pin(async move {
            let found: Option<(String, i64)> = self
                .db
                .read(move |db| {
                    db.prepare_cached("SELECT record, used_ms FROM sessions WHERE id = ?1")?
                        .query_row([&id], |r| Ok((r.get(0)?, r.get(1)?)))
                        .optional()
                })
                .await
                .map_err(store_error)?;
            let Some((json, used)) = found else {
                return Ok(None);
            };
            let mut record: SessionRecord =
                serde_json::from_str(&json).map_err(|e| SessionStoreError {
                    message: format!("a stored session cannot be read: {e}"),
                    transient: false,
                })?;
            record.used_ms = record.used_ms.max(used.max(0) as u64);
            Ok(Some(record))
        })
    }

    fn touch<'a>(
        &'a self,
        id: &'a str,
        now_ms: u64,
    ) -> BoxFuture<'a, Result<(), SessionStoreError>> {
        let id = id.to_owned();
        Box::pin(async move {
            self.db
                .write(move |db| {
                    db.prepare_cached(
                        "UPDATE sessions SET used_ms = max(used_ms, ?2) WHERE id = ?1",
                    )?
                    .execute(params![id, int(now_ms)])
                })
                .await
                .map(drop)
                .map_err(store_error)
        })
    }

    fn remove<'a>(&'a self, id: &'a str) -> BoxFuture<'a, Result<(), SessionStoreError>> {
        let id = id.to_owned();
        Box::pin(async move {
            self.db
                .write(move |db| {
                    db.prepare_cached("DELETE FROM sessions WHERE id = ?1")?
                        .execute([id])
                })
                .await
                .map(drop)
                .map_err(store_error)
        })
    }

    fn expire(&self, before_ms: u64) -> BoxFuture<'_, Result<usize, SessionStoreError>> {
        Box::pin(async move {
            self.db
                .write(move |db| {
                    // In batches, so a large expiry never holds the writer for long.
                    db.prepare_cached(
                        "DELETE FROM sessions WHERE id IN
                             (SELECT id FROM sessions WHERE used_ms < ?1 LIMIT 512)",
                    )?
                    .execute([int(before_ms)])
                })
                .await
                .map_err(store_error)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::sqlite::Durability;

    #[tokio::test]
    async fn records_survive_a_reopen_and_the_newest_revision_wins() {
        let dir = std::env::temp_dir().join(format!("spate-sessions-{}", rand::random::<u64>()));
        let db = Database::open_dir(&dir, Durability::Normal).unwrap();
        let store = SqliteSessionStore::open(db).await.unwrap();
        let mut record = SessionRecord::new("abc");
        record.revision = 3;
        record.protocol_version = Some("2025-11-25".into());
        record.subscriptions.insert("demo://clock".into());
        store.save(record.clone()).await.unwrap();
        let mut stale = record.clone();
        stale.revision = 2;
        stale.subscriptions.clear();
        store.save(stale).await.unwrap();
        store.touch("abc", 50).await.unwrap();
        drop(store);
        let db = Database::open_dir(&dir, Durability::Normal).unwrap();
        let store = SqliteSessionStore::open(db).await.unwrap();
        let loaded = store.load("abc").await.unwrap().unwrap();
        assert_eq!(loaded.subscriptions, record.subscriptions);
        assert_eq!(loaded.used_ms, 50);
        assert_eq!(store.expire(50).await.unwrap(), 0);
        assert_eq!(store.expire(51).await.unwrap(), 1);
        assert!(store.load("abc").await.unwrap().is_none());
        std::fs::remove_dir_all(dir).unwrap();
    }
}
