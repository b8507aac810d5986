//! Sessions of the 2025-era Streamable HTTP transport (`Mcp-Session-Id`) as plain records, so
//! a session outlives the process that made it: the server writes a session's record when it
//! is created and whenever what it negotiated changes, and a server that restarted rebuilds
//! the session from its record the first time a request names it (no new `initialize`).
//!
//! The store knows no transport and no engine: a record is what a session negotiated, in
//! serialisable form; the server turns it back into its session state.

use std::collections::{BTreeSet, HashMap};
use std::sync::Mutex;

use futures_util::future::BoxFuture;
use serde::{Deserialize, Serialize};
use spate_protocol::{ClientCapabilities, Implementation, JsonObject, LoggingLevel};

/// What one session negotiated and chose.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[non_exhaustive]
pub struct SessionRecord {
    /// The `Mcp-Session-Id`.
    pub id: String,
    /// Grows with every change; a store keeps the record with the highest, so two writes
    /// racing each other cannot put an older state back.
    pub revision: u64,
    /// The protocol version negotiated at `initialize` (its wire form, e.g. `2025-11-25`).
    pub protocol_version: Option<String>,
    /// The client's capabilities.
    pub client_capabilities: Option<ClientCapabilities>,
    /// The client's name and version.
    pub client_info: Option<Implementation>,
    /// Whether `notifications/initialized` arrived.
    pub initialized: bool,
    /// The level `logging/setLevel` chose, if any.
    pub log_level: Option<LoggingLevel>,
    /// The resources the client subscribed to.
    pub subscriptions: BTreeSet<String>,
    /// Who the transport authenticated at `initialize`, when it did.
    pub principal: Option<PrincipalRecord>,
    /// The id that marks the session's tasks as its own, once it made one.
    pub task_owner: Option<String>,
    /// When the session was last used, in Unix milliseconds (see [`SessionStore::touch`]).
    pub used_ms: u64,
}

impl SessionRecord {
    /// An empty record for session `id`.
    pub fn new(id: impl Into<String>) -> Self {
        Self {
            id: id.into(),
            ..Self::default()
        }
    }
}

/// The authenticated caller of a session, as stored (the token itself never is).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[non_exhaustive]
pub struct PrincipalRecord {
    /// The subject (`sub`).
    pub subject: Option<String>,
    /// The OAuth client (`client_id` / `azp`).
    pub client_id: Option<String>,
    /// The issuer (`iss`).
    pub issuer: Option<String>,
    /// The granted scopes.
    pub scopes: BTreeSet<String>,
    /// When the token expires (Unix seconds).
    pub expires_at: Option<u64>,
    /// Every claim of the token.
    pub claims: JsonObject,
}

impl PrincipalRecord {
    /// A record of these fields.
    pub fn new(
        subject: Option<String>,
        client_id: Option<String>,
        issuer: Option<String>,
        scopes: BTreeSet<String>,
        expires_at: Option<u64>,
        claims: JsonObject,
    ) -> Self {
        Self {
            subject,
            client_id,
            issuer,
            scopes,
            expires_at,
            claims,
        }
    }
}

/// Why the session store failed.
#[derive(Debug, Clone, thiserror::Error)]
#[error("session store: {message}")]
pub struct SessionStoreError {
    /// What went wrong (a durable backend names its file and the cause).
    pub message: String,
    /// Whether trying again later may succeed.
    pub transient: bool,
}

/// Storage of session records.
pub trait SessionStore: Send + Sync + 'static {
    /// Stores `record`, unless the store holds one of the same session with a higher revision.
    fn save(&self, record: SessionRecord) -> BoxFuture<'_, Result<(), SessionStoreError>>;
    /// The record of session `id`, if stored.
    fn load<'a>(
        &'a self,
        id: &'a str,
    ) -> BoxFuture<'a, Result<Option<SessionRecord>, SessionStoreError>>;
    /// Notes that session `id` was used at `now_ms` (so [`SessionStore::expire`] keeps it).
    fn touch<'a>(
        &'a self,
        id: &'a str,
        now_ms: u64,
    ) -> BoxFuture<'a, Result<(), SessionStoreError>>;
    /// Forgets session `id`.
    fn remove<'a>(&'a self, id: &'a str) -> BoxFuture<'a, Result<(), SessionStoreError>>;
    /// Forgets every session last used before `before_ms`; how many.
    fn expire(&self, before_ms: u64) -> BoxFuture<'_, Result<usize, SessionStoreError>>;
}

/// Session records in this process's memory (they end with it): for tests, and for servers
/// that need no restart to keep sessions.
#[derive(Debug, Default)]
pub struct MemorySessionStore {
    records: Mutex<HashMap<String, SessionRecord>>,
}

impl MemorySessionStore {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, SessionRecord>> {
        self.records
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

impl SessionStore for MemorySessionStore {
    fn save(&self, record: SessionRecord) -> BoxFuture<'_, Result<(), SessionStoreError>> {
        let mut records = self.lock();
        let newer = records
            .get(&record.id)
            .is_none_or(|held| held.revision < record.revision);
        if newer {
            records.insert(record.id.clone(), record);
        }
        Box::pin(async { Ok(()) })
    }

    fn load<'a>(
        &'a self,
        id: &'a str,
    ) -> BoxFuture<'a, Result<Option<SessionRecord>, SessionStoreError>> {
        let found = self.lock().get(id).cloned();
        Box::pin(async move { Ok(found) })
    }

    fn touch<'a>(
        &'a self,
        id: &'a str,
        now_ms: u64,
    ) -> BoxFuture<'a, Result<(), SessionStoreError>> {
        if let Some(record) = self.lock().get_mut(id) {
            record.used_ms = record.used_ms.max(now_ms);
        }
        Box::pin(async { Ok(()) })
    }

    fn remove<'a>(&'a self, id: &'a str) -> BoxFuture<'a, Result<(), SessionStoreError>> {
        self.lock().remove(id);
        Box::pin(async { Ok(()) })
    }

    fn expire(&self, before_ms: u64) -> BoxFuture<'_, Result<usize, SessionStoreError>> {
        let mut records = self.lock();
        let held = records.len();
        records.retain(|_, r| r.used_ms >= before_ms);
        let gone = held - records.len();
        Box::pin(async move { Ok(gone) })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn the_highest_revision_wins_and_idle_records_expire() {
        let store = MemorySessionStore::new();
        let mut record = SessionRecord::new("a");
        record.revision = 2;
        record.log_level = Some(LoggingLevel::Info);
        store.save(record.clone()).await.unwrap();
        let mut older = record.clone();
        older.revision = 1;
        older.log_level = None;
        store.save(older).await.unwrap();
        assert_eq!(store.load("a").await.unwrap(), Some(record));
        store.touch("a", 100).await.unwrap();
        assert_eq!(store.expire(100).await.unwrap(), 0);
        assert_eq!(store.expire(101).await.unwrap(), 1);
        assert_eq!(store.load("a").await.unwrap(), None);
    }
}
