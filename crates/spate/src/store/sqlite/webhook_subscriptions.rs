//! Webhook subscriptions on SQLite: a server that restarts finds its subscriptions, their
//! secrets and their delivery watermarks, and resumes delivery from them
//! (`ServerHandle::resume_webhooks`).
//!
//! **Schema** (component `webhook_subscriptions`):
//! - `webhook_subscriptions`: the id and the principal as columns (the principal indexed,
//!   for [`count`](WebhookSubscriptionStore::count)), the record as JSON, and the watermark
//!   and delivery state in columns of their own: progress is saved after every delivery, so
//!   it is one `UPDATE` of two small columns, and those columns are what a read returns
//!   (whatever the JSON says of them);
//! - `webhook_verifications`: one row per (principal, callback URL), at most
//!   [`MAX_VERIFICATIONS`], the oldest forgotten first.
//!
//! Secrets are kept as they are (the receiver needs them to check signatures, so they
//! cannot be hashed): the database file is as sensitive as the server's configuration.

use futures_util::future::BoxFuture;
use rusqlite::{Connection, OptionalExtension, params};

use super::codec::{count, from_json, int, to_json, uint};
use super::{Database, StorageError};
use crate::store::webhook_subscriptions::{
    DeliveryState, SubscriptionStoreError, Verification, WebhookSubscription,
    WebhookSubscriptionStore,
};

/// Verifications kept at most.
pub const MAX_VERIFICATIONS: usize = 100_000;

const MIGRATIONS: &[(u32, &str)] = &[(
    1,
    "CREATE TABLE webhook_subscriptions (
         id TEXT PRIMARY KEY,
         principal TEXT NOT NULL,
         record BLOB NOT NULL,
         cursor TEXT NOT NULL,
         state BLOB NOT NULL
     ) STRICT;
     CREATE INDEX webhook_subscriptions_principal ON webhook_subscriptions (principal);
     CREATE TABLE webhook_verifications (
         principal TEXT NOT NULL,
         url TEXT NOT NULL,
         verified_at_ms INTEGER NOT NULL,
         secret TEXT NOT NULL,
         PRIMARY KEY (principal, url)
     ) STRICT;
     CREATE INDEX webhook_verifications_age ON webhook_verifications (verified_at_ms);",
)];

/// A [`WebhookSubscriptionStore`] in a [`Database`].
#[derive(Debug, Clone)]
pub struct SqliteWebhookSubscriptions {
    db: Database,
}

impl SqliteWebhookSubscriptions {
    /// Opens the store in `db`, migrating its tables.
    pub async fn open(db: &Database) -> Result<Self, StorageError> {
        db.migrate("webhook_subscriptions", MIGRATIONS).await?;
        Ok(Self { db: db.clone() })
    }
}

type Answer<'a, T> = BoxFuture<'a, Result<T, SubscriptionStoreError>>;

fn failed(e: &StorageError) -> SubscriptionStoreError {
    SubscriptionStoreError(e.to_string())
}

/// A row back as a record: the JSON, with the progress columns over it.
fn subscription(row: &rusqlite::Row<'_>) -> rusqlite::Result<WebhookSubscription> {
    let record: Vec<u8> = row.get(0)?;
    let state: Vec<u8> = row.get(2)?;
    let mut subscription: WebhookSubscription = from_json(0, &record)?;
    subscription.cursor = row.get(1)?;
    subscription.state = from_json(2, &state)?;
    Ok(subscription)
}

fn all(c: &Connection) -> rusqlite::Result<Vec<WebhookSubscription>> {
    c.prepare_cached("SELECT record, cursor, state FROM webhook_subscriptions ORDER BY id")?
        .query_map([], subscription)?
        .collect()
}

impl WebhookSubscriptionStore for SqliteWebhookSubscriptions {
    fn put(&self, subscription: WebhookSubscription) -> Answer<'_, ()> {
        Box::pin(async move {
            self.db
                .write(move |c| {
                    c.prepare_cached(
                        "INSERT INTO webhook_subscriptions (id, principal, record, cursor, state)
                         VALUES (?1, ?2, ?3, ?4, ?5)
                         ON CONFLICT (id) DO UPDATE SET principal = excluded.principal,
                             record = excluded.record, cursor = excluded.cursor,
                             state = excluded.state",
                    )?
                    .execute(params![
                        subscription.id,
                        subscription.principal,
                        to_json(&subscription)?,
                        subscription.cursor,
                        to_json(&subscription.state)?,
                    ])
                    .map(drop)
                })
                .await
                .map_err(|e| failed(&e))
        })
    }

    fn get<'a>(&'a self, id: &'a str) -> Answer<'a, Option<WebhookSubscription>> {
        let id = id.to_owned();
        Box::pin(async move {
            self.db
                .read(move |c| {
                    c.prepare_cached(
                        "SELECT record, cursor, state FROM webhook_subscriptions WHERE id = ?1",
                    )?
                    .query_row([id], subscription)
                    .optional()
                })
                .await
                .map_err(|e| failed(&e))
        })
    }

    fn remove<'a>(&'a self, id: &'a str) -> Answer<'a, bool> {
        let id = id.to_owned();
        Box::pin(async move {
            self.db
                .write(move |c| {
                    c.prepare_cached("DELETE FROM webhook_subscriptions WHERE id = ?1")?
                        .execute([id])
                        .map(|n| n > 0)
                })
                .await
                .map_err(|e| failed(&e))
        })
    }

    fn all(&self) -> Answer<'_, Vec<WebhookSubscription>> {
        Box::pin(async move { self.db.read(all).await.map_err(|e| failed(&e)) })
    }

    fn count<'a>(&'a self, principal: &'a str) -> Answer<'a, (usize, usize)> {
        let principal = principal.to_owned();
        Box::pin(async move {
            self.db
                .read(move |c| {
                    c.prepare_cached(
                        "SELECT (SELECT count(*) FROM webhook_subscriptions WHERE principal = ?1),
                                (SELECT count(*) FROM webhook_subscriptions)",
                    )?
                    .query_row([principal], |r| {
                        let (mine, all): (i64, i64) = (r.get(0)?, r.get(1)?);
                        Ok((as_usize(mine), as_usize(all)))
                    })
                })
                .await
                .map_err(|e| failed(&e))
        })
    }

    fn save_progress<'a>(
        &'a self,
        id: &'a str,
        cursor: String,
        state: DeliveryState,
    ) -> Answer<'a, ()> {
        let id = id.to_owned();
        Box::pin(async move {
            self.db
                .write(move |c| {
                    c.prepare_cached(
                        "UPDATE webhook_subscriptions SET cursor = ?2, state = ?3 WHERE id = ?1",
                    )?
                    .execute(params![id, cursor, to_json(&state)?])
                    .map(drop)
                })
                .await
                .map_err(|e| failed(&e))
        })
    }

    fn verification<'a>(
        &'a self,
        principal: &'a str,
        url: &'a str,
    ) -> Answer<'a, Option<Verification>> {
        let (principal, url) = (principal.to_owned(), url.to_owned());
        Box::pin(async move {
            self.db
                .read(move |c| {
                    c.prepare_cached(
                        "SELECT verified_at_ms, secret FROM webhook_verifications
                         WHERE principal = ?1 AND url = ?2",
                    )?
                    .query_row([principal, url], |r| {
                        Ok(Verification {
                            verified_at_ms: uint(r.get(0)?),
                            secret: r.get(1)?,
                        })
                    })
                    .optional()
                })
                .await
                .map_err(|e| failed(&e))
        })
    }

    fn verified<'a>(
        &'a self,
        principal: &'a str,
        url: &'a str,
        verification: Verification,
    ) -> Answer<'a, ()> {
        let (principal, url) = (principal.to_owned(), url.to_owned());
        Box::pin(async move {
            self.db
                .write(move |c| {
                    c.prepare_cached(
                        "INSERT INTO webhook_verifications (principal, url, verified_at_ms, secret)
                         VALUES (?1, ?2, ?3, ?4)
                         ON CONFLICT (principal, url) DO UPDATE SET
                             verified_at_ms = excluded.verified_at_ms, secret = excluded.secret",
                    )?
                    .execute(params![
                        principal,
                        url,
                        int(verification.verified_at_ms),
                        verification.secret
                    ])?;
                    // Beyond the bound, the oldest go (normally none, or the one).
                    c.prepare_cached(
                        "DELETE FROM webhook_verifications WHERE rowid IN (
                             SELECT rowid FROM webhook_verifications ORDER BY verified_at_ms
                             LIMIT max((SELECT count(*) FROM webhook_verifications) - ?1, 0))",
                    )?
                    .execute([count(MAX_VERIFICATIONS)])
                    .map(drop)
                })
                .await
                .map_err(|e| failed(&e))
        })
    }
}

fn as_usize(n: i64) -> usize {
    usize::try_from(n).unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::store::sqlite::testing::{TempDir, refuse_writes};
    use crate::store::webhook_subscriptions::{StoredSecret, WireProfile};

    fn record(id: &str, principal: &str) -> WebhookSubscription {
        WebhookSubscription {
            id: id.to_owned(),
            principal: principal.to_owned(),
            url: "https://example.com/hook?x='1'".to_owned(),
            name: "tick".to_owned(),
            arguments: json!({"a": [1, {"b": null}]}).as_object().cloned().unwrap(),
            secrets: vec![
                StoredSecret {
                    secret: "whsec_new".to_owned(),
                    retire_at_ms: None,
                },
                StoredSecret {
                    secret: "whsec_old".to_owned(),
                    retire_at_ms: Some(123),
                },
            ],
            profile: WireProfile::Sep,
            created_at_ms: 1,
            expires_at_ms: Some(u64::MAX / 2),
            cursor: "v1.epoch.0".to_owned(),
            state: DeliveryState::default(),
        }
    }

    #[tokio::test]
    async fn records_progress_and_verifications_survive_a_reopen() {
        let dir = TempDir::new();
        let db = dir.open();
        let store = SqliteWebhookSubscriptions::open(&db).await.unwrap();
        store.put(record("sub_a", "alice")).await.unwrap();
        store.put(record("sub_b", "alice")).await.unwrap();
        store.put(record("sub_c", "bob")).await.unwrap();
        assert_eq!(store.count("alice").await.unwrap(), (2, 3));
        assert_eq!(store.count("nobody").await.unwrap(), (0, 3));
        let state = DeliveryState {
            suspended: true,
            last_delivery_at_ms: Some(5),
            last_error: Some("timeout".to_owned()),
            failed_since_ms: Some(6),
            failed_attempts: 7,
        };
        store
            .save_progress("sub_a", "v1.epoch.42".to_owned(), state.clone())
            .await
            .unwrap();
        store
            .save_progress("gone", "v1.epoch.1".to_owned(), state.clone())
            .await
            .unwrap();
        assert!(store.remove("sub_c").await.unwrap());
        assert!(!store.remove("sub_c").await.unwrap());
        let verification = Verification {
            verified_at_ms: 9,
            secret: "whsec_v".to_owned(),
        };
        store
            .verified("alice", "https://example.com/hook", verification.clone())
            .await
            .unwrap();
        drop(store);
        drop(db);

        let db = dir.open();
        let store = SqliteWebhookSubscriptions::open(&db).await.unwrap();
        let mut expected = record("sub_a", "alice");
        expected.cursor = "v1.epoch.42".to_owned();
        expected.state = state;
        assert_eq!(store.get("sub_a").await.unwrap(), Some(expected.clone()));
        assert_eq!(store.get("sub_c").await.unwrap(), None);
        let all = store.all().await.unwrap();
        assert_eq!(all, [expected, record("sub_b", "alice")]);
        assert_eq!(
            store
                .verification("alice", "https://example.com/hook")
                .await
                .unwrap(),
            Some(verification)
        );
        assert_eq!(
            store
                .verification("bob", "https://example.com/hook")
                .await
                .unwrap(),
            None
        );
        // A put replaces, progress included.
        store.put(record("sub_a", "carol")).await.unwrap();
        assert_eq!(
            store.get("sub_a").await.unwrap(),
            Some(record("sub_a", "carol"))
        );
        assert_eq!(store.count("alice").await.unwrap(), (1, 2));
    }

    #[tokio::test]
    async fn a_failing_write_is_the_stores_error() {
        let dir = TempDir::new();
        let db = dir.open();
        let store = SqliteWebhookSubscriptions::open(&db).await.unwrap();
        store.put(record("sub_a", "alice")).await.unwrap();
        refuse_writes(&db, true).await;
        let e = store.put(record("sub_b", "alice")).await.unwrap_err();
        assert!(e.0.contains("spate.db"), "names the file: {e}");
        assert!(
            store
                .save_progress("sub_a", "v1.e.9".into(), DeliveryState::default())
                .await
                .is_err()
        );
        assert!(store.remove("sub_a").await.is_err());
        // Reads still work, and show nothing of the failed writes.
        assert_eq!(store.count("alice").await.unwrap(), (1, 1));
        assert_eq!(
            store.get("sub_a").await.unwrap().unwrap().cursor,
            "v1.epoch.0"
        );
        refuse_writes(&db, false).await;
        store.put(record("sub_b", "alice")).await.unwrap();
        assert_eq!(store.count("alice").await.unwrap(), (2, 2));
    }

    #[tokio::test]
    async fn a_damaged_row_is_an_error_not_a_panic() {
        let dir = TempDir::new();
        let db = dir.open();
        let store = SqliteWebhookSubscriptions::open(&db).await.unwrap();
        store.put(record("sub_a", "alice")).await.unwrap();
        db.write(|c| c.execute("UPDATE webhook_subscriptions SET record = x'00ff'", []))
            .await
            .unwrap();
        assert!(store.get("sub_a").await.is_err());
        assert!(store.all().await.is_err());
    }
}
