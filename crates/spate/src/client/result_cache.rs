//! A small cache of 2026-07-28 results that carry cache hints (`ttlMs`, `cacheScope`;
//! SEP-2549; Server Features › Utilities › Caching,
//! <https://modelcontextprotocol.io/specification/2026-07-28/server/utilities/caching>).
//!
//! - Only the cacheable methods are kept: `tools/list`, `prompts/list`, `resources/list`,
//!   `resources/templates/list` (each page on its own) and `resources/read`.
//! - The key is the method and its params without `_meta` (so the cursor or URI).
//! - A result is fresh until `ttlMs` after it arrived; `0`, a negative or a missing value
//!   means stale at once, so it is not kept. `input_required` results and the answers to
//!   multi-round retries are never kept (the caller does not offer them).
//! - A matching change notification drops entries early: `list_changed` for a list, and
//!   `resources/updated` for the read of that URI.
//! - `cacheScope` is honoured by construction: the cache belongs to one client connection,
//!   one authorization context, so `private` results never cross contexts.
//! - It holds at most `capacity` entries; when full, expired entries go first, then the one
//!   closest to expiring.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;

use serde::Deserialize;
use serde_json::value::RawValue;
use spate_protocol::{JsonObject, Notification, ResourceUpdatedNotificationParams, methods};
use tokio::time::Instant;

/// The methods whose results may be cached.
const CACHEABLE: [&str; 5] = [
    methods::TOOLS_LIST,
    methods::PROMPTS_LIST,
    methods::RESOURCES_LIST,
    methods::RESOURCES_TEMPLATES_LIST,
    methods::RESOURCES_READ,
];

/// Where a result is cached.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) struct CacheKey {
    method: &'static str,
    params: String,
}

struct Entry {
    result: Box<RawValue>,
    expires: Instant,
    uri: Option<String>,
}

/// Cached results of one connection.
pub(crate) struct ResultCache {
    capacity: usize,
    entries: Mutex<HashMap<CacheKey, Entry>>,
}

#[derive(Deserialize)]
struct Hints {
    #[serde(rename = "ttlMs", default)]
    ttl_ms: Option<serde_json::Number>,
}

impl ResultCache {
    /// A cache of at most `capacity` results.
    pub(crate) fn new(capacity: usize) -> Self {
        Self {
            capacity,
            entries: Mutex::new(HashMap::new()),
        }
    }

    fn entries(&self) -> std::sync::MutexGuard<'_, HashMap<CacheKey, Entry>> {
        self.entries
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// The key of a request, when its method is cacheable.
    pub(crate) fn key(method: &str, params: &JsonObject) -> Option<CacheKey> {
        let method = CACHEABLE.into_iter().find(|m| *m == method)?;
        let mut params = params.clone();
        params.remove("_meta");
        Some(CacheKey {
            method,
            params: serde_json::to_string(&params).ok()?,
        })
    }

    /// A fresh result, if one is cached.
    pub(crate) fn get(&self, key: &CacheKey) -> Option<Box<RawValue>> {
        let mut entries = self.entries();
        let entry = entries.get(key)?;
        if entry.expires > Instant::now() {
            return Some(entry.result.clone());
        }
        entries.remove(key);
        None
    }

    /// Keeps a complete result for as long as its `ttlMs` says.
    pub(crate) fn put(&self, key: CacheKey, result: &RawValue) {
        if self.capacity == 0 {
            return;
        }
        let ttl = serde_json::from_str::<Hints>(result.get())
            .ok()
            .and_then(|h| h.ttl_ms)
            .and_then(|n| n.as_u64())
            .unwrap_or(0);
        if ttl == 0 {
            return;
        }
        let now = Instant::now();
        let uri = (key.method == methods::RESOURCES_READ)
            .then(|| serde_json::from_str::<JsonObject>(&key.params).ok())
            .flatten()
            .and_then(|p| p.get("uri")?.as_str().map(str::to_owned));
        let mut entries = self.entries();
        if entries.len() >= self.capacity && !entries.contains_key(&key) {
            entries.retain(|_, e| e.expires > now);
        }
        if entries.len() >= self.capacity && !entries.contains_key(&key) {
            let soonest = entries
                .iter()
                .min_by_key(|(_, e)| e.expires)
                .map(|(k, _)| k.clone());
            if let Some(soonest) = soonest {
                entries.remove(&soonest);
            }
        }
        let entry = Entry {
            result: result.to_owned(),
            expires: now + Duration::from_millis(ttl),
            uri,
        };
        entries.insert(key, entry);
    }

    /// Drops what a change notification makes stale.
    pub(crate) fn invalidate(&self, notification: &Notification) {
        let stale: &[&str] = match notification.method.as_str() {
            methods::NOTIFICATIONS_TOOLS_LIST_CHANGED => &[methods::TOOLS_LIST],
            methods::NOTIFICATIONS_PROMPTS_LIST_CHANGED => &[methods::PROMPTS_LIST],
            methods::NOTIFICATIONS_RESOURCES_LIST_CHANGED => {
                &[methods::RESOURCES_LIST, methods::RESOURCES_TEMPLATES_LIST]
            }
            methods::NOTIFICATIONS_RESOURCES_UPDATED => {
                let Ok(updated) = notification.parse_params::<ResourceUpdatedNotificationParams>()
                else {
                    return;
                };
                self.entries()
                    .retain(|_, e| e.uri.as_deref() != Some(updated.uri.as_str()));
                return;
            }
            _ => return,
        };
        self.entries().retain(|k, _| !stale.contains(&k.method));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn obj(v: serde_json::Value) -> JsonObject {
        v.as_object().unwrap().clone()
    }

    fn raw(v: serde_json::Value) -> Box<RawValue> {
        spate_protocol::jsonrpc::to_raw(&v)
    }

    fn note(method: &str, params: serde_json::Value) -> Notification {
        Notification::new(method, &params)
    }

    #[tokio::test(start_paused = true)]
    async fn results_live_as_long_as_their_ttl() {
        let cache = ResultCache::new(8);
        assert!(ResultCache::key("tools/call", &JsonObject::new()).is_none());
        let key = ResultCache::key("tools/list", &obj(json!({"_meta": {"x": 1}}))).unwrap();
        assert_eq!(
            key,
            ResultCache::key("tools/list", &JsonObject::new()).unwrap()
        );
        cache.put(key.clone(), &raw(json!({"tools": [], "ttlMs": 0})));
        assert!(cache.get(&key).is_none(), "ttlMs 0 is stale at once");
        cache.put(key.clone(), &raw(json!({"tools": [], "ttlMs": -5})));
        assert!(cache.get(&key).is_none(), "a negative ttlMs is stale");
        cache.put(key.clone(), &raw(json!({"tools": [], "ttlMs": 1000})));
        tokio::time::advance(Duration::from_millis(999)).await;
        assert!(cache.get(&key).is_some());
        tokio::time::advance(Duration::from_millis(2)).await;
        assert!(cache.get(&key).is_none());
    }

    #[tokio::test(start_paused = true)]
    async fn change_notifications_drop_what_they_name() {
        let cache = ResultCache::new(8);
        let list = ResultCache::key("resources/list", &JsonObject::new()).unwrap();
        let tools = ResultCache::key("tools/list", &JsonObject::new()).unwrap();
        let a = ResultCache::key("resources/read", &obj(json!({"uri": "a://1"}))).unwrap();
        let b = ResultCache::key("resources/read", &obj(json!({"uri": "b://2"}))).unwrap();
        for key in [&list, &tools, &a, &b] {
            cache.put(key.clone(), &raw(json!({"ttlMs": 60_000})));
        }
        cache.invalidate(&note(
            "notifications/resources/updated",
            json!({"uri": "a://1"}),
        ));
        assert!(cache.get(&a).is_none());
        assert!(cache.get(&b).is_some());
        cache.invalidate(&note("notifications/resources/list_changed", json!({})));
        assert!(cache.get(&list).is_none());
        assert!(cache.get(&tools).is_some());
        cache.invalidate(&note("notifications/tools/list_changed", json!({})));
        assert!(cache.get(&tools).is_none());
    }

    #[tokio::test(start_paused = true)]
    async fn a_full_cache_drops_the_soonest_to_expire() {
        let cache = ResultCache::new(2);
        let key = |cursor: &str| {
            ResultCache::key("prompts/list", &obj(json!({"cursor": cursor}))).unwrap()
        };
        cache.put(key("1"), &raw(json!({"ttlMs": 5_000})));
        cache.put(key("2"), &raw(json!({"ttlMs": 1_000})));
        cache.put(key("3"), &raw(json!({"ttlMs": 9_000})));
        assert!(cache.get(&key("1")).is_some());
        assert!(cache.get(&key("2")).is_none());
        assert!(cache.get(&key("3")).is_some());
        let off = ResultCache::new(0);
        off.put(key("1"), &raw(json!({"ttlMs": 5_000})));
        assert!(off.get(&key("1")).is_none());
    }
}
