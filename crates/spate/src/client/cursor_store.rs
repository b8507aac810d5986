//! Where an [`EventSubscription`](super::EventSubscription) keeps its cursor between runs:
//! the [`CursorStore`] trait, a [`MemoryCursorStore`] and a [`FileCursorStore`].
//!
//! The trait is async (boxed futures, so it stays object safe): a save sits on the path of
//! every item a subscription hands out, and a durable store does I/O for it (a file write, a
//! database round trip); a sync trait would block a runtime worker for that long, or push
//! every implementation into `spawn_blocking` on its own.

use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use futures_util::future::BoxFuture;
use spate_protocol::JsonObject;

use crate::events::canonical_json::canonical_json;

/// A cursor store that could not do what was asked.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("cursor store: {0}")]
pub struct CursorStoreError(pub String);

/// Keeps one cursor per key (an opaque position the server gave; see [`cursor_key`] for the
/// keys a subscription uses).
pub trait CursorStore: Send + Sync + 'static {
    /// The cursor saved under `key`, if any.
    fn load<'a>(&'a self, key: &'a str) -> BoxFuture<'a, Result<Option<String>, CursorStoreError>>;

    /// Replaces the cursor saved under `key`. When this resolves `Ok`, a later
    /// [`CursorStore::load`] (in this process or, for a durable store, the next) answers it.
    fn save<'a>(
        &'a self,
        key: &'a str,
        cursor: &'a str,
    ) -> BoxFuture<'a, Result<(), CursorStoreError>>;
}

impl<S: CursorStore + ?Sized> CursorStore for Arc<S> {
    fn load<'a>(&'a self, key: &'a str) -> BoxFuture<'a, Result<Option<String>, CursorStoreError>> {
        (**self).load(key)
    }

    fn save<'a>(
        &'a self,
        key: &'a str,
        cursor: &'a str,
    ) -> BoxFuture<'a, Result<(), CursorStoreError>> {
        (**self).save(key, cursor)
    }
}

/// The key a subscription saves its cursor under unless told another: the event type's name
/// and the canonical JSON of its arguments (so `{"a":1,"b":2}` and `{"b":2,"a":1}` share a
/// cursor), separated by a space. Two servers offering a type of the same name share it
/// too: give such subscriptions keys of their own.
pub fn cursor_key(name: &str, arguments: &JsonObject) -> String {
    let arguments = serde_json::Value::Object(arguments.clone());
    format!("{name} {}", canonical_json(&arguments))
}

/// A [`CursorStore`] in memory: survives a subscription, not the process. Cloning shares it.
#[derive(Debug, Clone, Default)]
pub struct MemoryCursorStore {
    cursors: Arc<Mutex<HashMap<String, String>>>,
}

impl MemoryCursorStore {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }

    /// The cursor kept under `key` (what [`CursorStore::load`] answers, without waiting).
    pub fn get(&self, key: &str) -> Option<String> {
        crate::mutex::lock(&self.cursors).get(key).cloned()
    }
}

impl CursorStore for MemoryCursorStore {
    fn load<'a>(&'a self, key: &'a str) -> BoxFuture<'a, Result<Option<String>, CursorStoreError>> {
        let found = self.get(key);
        Box::pin(async move { Ok(found) })
    }

    fn save<'a>(
        &'a self,
        key: &'a str,
        cursor: &'a str,
    ) -> BoxFuture<'a, Result<(), CursorStoreError>> {
        crate::mutex::lock(&self.cursors).insert(key.to_owned(), cursor.to_owned());
        Box::pin(async { Ok(()) })
    }
}

/// A [`CursorStore`] in one JSON file (an object of key → cursor), replaced atomically (a
/// temporary file renamed over it) on every save, on a blocking thread. Meant for a handful
/// of subscriptions: each save rewrites the whole file.
#[derive(Debug, Clone)]
pub struct FileCursorStore {
    path: Arc<PathBuf>,
    /// Serializes read-modify-write cycles within this process.
    lock: Arc<Mutex<()>>,
}

impl FileCursorStore {
    /// A store in the file at `path` (created on the first save; its directory must exist).
    pub fn new(path: impl Into<PathBuf>) -> Self {
        Self {
            path: Arc::new(path.into()),
            lock: Arc::default(),
        }
    }

    fn read(path: &std::path::Path) -> Result<BTreeMap<String, String>, CursorStoreError> {
        match std::fs::read(path) {
            Ok(bytes) => serde_json::from_slice(&bytes)
                .map_err(|e| CursorStoreError(format!("{}: {e}", path.display()))),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(BTreeMap::new()),
            Err(e) => Err(CursorStoreError(format!("{}: {e}", path.display()))),
        }
    }

    fn write(path: &std::path::Path, all: &BTreeMap<String, String>) -> std::io::Result<()> {
        let mut temporary = path.as_os_str().to_owned();
        temporary.push(".tmp");
        let temporary = PathBuf::from(temporary);
        let bytes = serde_json::to_vec_pretty(all).map_err(std::io::Error::other)?;
        std::fs::write(&temporary, bytes)?;
        std::fs::rename(&temporary, path)
    }

    /// Runs `work` on a blocking thread, holding the store's lock.
    async fn blocking<T: Send + 'static>(
        &self,
        work: impl FnOnce(&std::path::Path) -> Result<T, CursorStoreError> + Send + 'static,
    ) -> Result<T, CursorStoreError> {
        let (path, lock) = (self.path.clone(), self.lock.clone());
        tokio::task::spawn_blocking(move || {
            let _held = crate::mutex::lock(&lock);
            work(&path)
        })
        .await
        .map_err(|e| CursorStoreError(e.to_string()))?
    }
}

impl CursorStore for FileCursorStore {
    fn load<'a>(&'a self, key: &'a str) -> BoxFuture<'a, Result<Option<String>, CursorStoreError>> {
        let key = key.to_owned();
        Box::pin(self.blocking(move |path| Ok(Self::read(path)?.remove(&key))))
    }

    fn save<'a>(
        &'a self,
        key: &'a str,
        cursor: &'a str,
    ) -> BoxFuture<'a, Result<(), CursorStoreError>> {
        let (key, cursor) = (key.to_owned(), cursor.to_owned());
        Box::pin(self.blocking(move |path| {
            let mut all = Self::read(path)?;
            all.insert(key, cursor);
            Self::write(path, &all)
                .map_err(|e| CursorStoreError(format!("{}: {e}", path.display())))
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_ignore_the_order_of_arguments() {
        let one: JsonObject = serde_json::from_str(r#"{"a":1,"b":[true]}"#).unwrap();
        let two: JsonObject = serde_json::from_str(r#"{"b":[true],"a":1.0}"#).unwrap();
        assert_eq!(cursor_key("t", &one), cursor_key("t", &two));
        assert_eq!(cursor_key("t", &one), r#"t {"a":1,"b":[true]}"#);
        assert_ne!(cursor_key("u", &one), cursor_key("t", &one));
    }

    #[tokio::test]
    async fn the_file_store_keeps_cursors_across_instances() {
        let dir = std::env::temp_dir().join(format!("spate-cursors-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("cursors.json");
        let _ = std::fs::remove_file(&path);
        let store = FileCursorStore::new(&path);
        assert_eq!(store.load("a").await.unwrap(), None);
        store.save("a", "v1.x.1").await.unwrap();
        store.save("b", "v1.x.9").await.unwrap();
        store.save("a", "v1.x.2").await.unwrap();
        let again = FileCursorStore::new(&path);
        assert_eq!(again.load("a").await.unwrap().as_deref(), Some("v1.x.2"));
        assert_eq!(again.load("b").await.unwrap().as_deref(), Some("v1.x.9"));
        std::fs::write(&path, "not json").unwrap();
        assert!(again.load("a").await.is_err());
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
