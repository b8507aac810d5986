//! What happened, per event type: every occurrence a source emits is kept in one bounded,
//! ordered history that all delivery modes read (poll today; push and webhooks to come), so
//! they can never disagree about what happened.
//!
//! Positions are sequence numbers per type, starting at 1, never reused within an
//! [`epoch`](EventHistory::epoch). A history that starts afresh (the memory backend after a
//! restart) has a new epoch, so a cursor from before tells its reader that it may have missed
//! something.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};

use futures_util::future::BoxFuture;
use serde_json::Value;
use tokio::sync::Notify;

use crate::mutex::lock;

/// One stored occurrence.
#[derive(Debug, Clone, PartialEq)]
pub struct HistoryEvent {
    /// Its position in its type's history.
    pub seq: u64,
    /// Its deduplication key.
    pub event_id: String,
    /// When it was emitted, in Unix milliseconds.
    pub timestamp_ms: u64,
    /// Its payload (a JSON object).
    pub data: Arc<Value>,
}

/// A read of one type's history.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct HistoryRead {
    /// The events after the position asked for, oldest first, at most as many as asked.
    pub events: Vec<HistoryEvent>,
    /// The oldest position still kept (the next one to come when nothing is kept).
    pub first_seq: u64,
    /// The newest position so far (0 before the first event).
    pub last_seq: u64,
}

/// A history that could not do what was asked.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("event history: {0}")]
pub struct HistoryError(pub String);

/// Where occurrences are kept: async and by type, so a durable or networked backend fits.
pub trait EventHistory: Send + Sync + 'static {
    /// Names this history's numbering: positions of one epoch mean nothing in another.
    fn epoch(&self) -> &str;

    /// Appends an occurrence to `name`'s history, unless one with the same `event_id` is
    /// still kept (an upstream redelivery is one event): then that one is returned.
    fn append<'a>(
        &'a self,
        name: &'a str,
        event_id: String,
        timestamp_ms: u64,
        data: Value,
    ) -> BoxFuture<'a, Result<HistoryEvent, HistoryError>>;

    /// At most `limit` events of `name` after position `after`.
    fn read_after<'a>(
        &'a self,
        name: &'a str,
        after: u64,
        limit: usize,
    ) -> BoxFuture<'a, Result<HistoryRead, HistoryError>>;

    /// Resolves once `name` has an event after `after` (at once if it has one already).
    fn wait_after<'a>(&'a self, name: &'a str, after: u64) -> BoxFuture<'a, ()>;
}

/// An [`EventHistory`] in memory: the newest `capacity` events of each type. Its epoch is
/// new in every process.
#[derive(Debug)]
pub struct MemoryEventHistory {
    epoch: String,
    capacity: usize,
    types: Mutex<HashMap<String, TypeHistory>>,
}

#[derive(Debug, Default)]
struct TypeHistory {
    events: VecDeque<HistoryEvent>,
    /// The position of each kept event, by id.
    ids: HashMap<String, u64>,
    last_seq: u64,
    news: Arc<Notify>,
}

impl MemoryEventHistory {
    /// A history keeping the newest `capacity` events of each type (at least 1).
    pub fn new(capacity: usize) -> Self {
        let mut bytes = [0u8; 8];
        rand::RngCore::fill_bytes(&mut rand::rng(), &mut bytes);
        Self {
            epoch: bytes.iter().map(|b| format!("{b:02x}")).collect(),
            capacity: capacity.max(1),
            types: Mutex::new(HashMap::new()),
        }
    }
}

impl EventHistory for MemoryEventHistory {
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
        let mut types = lock(&self.types);
        let history = types.entry(name.to_owned()).or_default();
        if let Some(&seq) = history.ids.get(&event_id) {
            let first = history.events.front().map_or(0, |e| e.seq);
            let kept = history.events[usize::try_from(seq - first).unwrap_or(usize::MAX)].clone();
            return Box::pin(async move { Ok(kept) });
        }
        history.last_seq += 1;
        let event = HistoryEvent {
            seq: history.last_seq,
            event_id,
            timestamp_ms,
            data: Arc::new(data),
        };
        history.ids.insert(event.event_id.clone(), event.seq);
        history.events.push_back(event.clone());
        while history.events.len() > self.capacity {
            if let Some(old) = history.events.pop_front() {
                history.ids.remove(&old.event_id);
            }
        }
        history.news.notify_waiters();
        Box::pin(async move { Ok(event) })
    }

    fn read_after<'a>(
        &'a self,
        name: &'a str,
        after: u64,
        limit: usize,
    ) -> BoxFuture<'a, Result<HistoryRead, HistoryError>> {
        let types = lock(&self.types);
        let read = match types.get(name) {
            None => HistoryRead {
                events: Vec::new(),
                first_seq: 1,
                last_seq: 0,
            },
            Some(history) => {
                let first_seq = history
                    .events
                    .front()
                    .map_or(history.last_seq + 1, |e| e.seq);
                let skip = usize::try_from(after.saturating_add(1).saturating_sub(first_seq))
                    .unwrap_or(usize::MAX);
                HistoryRead {
                    events: history
                        .events
                        .iter()
                        .skip(skip)
                        .take(limit)
                        .cloned()
                        .collect(),
                    first_seq,
                    last_seq: history.last_seq,
                }
            }
        };
        Box::pin(async move { Ok(read) })
    }

    fn wait_after<'a>(&'a self, name: &'a str, after: u64) -> BoxFuture<'a, ()> {
        let news = {
            let mut types = lock(&self.types);
            let history = types.entry(name.to_owned()).or_default();
            if history.last_seq > after {
                return Box::pin(async {});
            }
            history.news.clone()
        };
        Box::pin(async move {
            let notified = news.notified();
            tokio::pin!(notified);
            notified.as_mut().enable();
            // An append between the check above and `enable` would be missed: look again.
            if self
                .read_after(name, after, 1)
                .await
                .is_ok_and(|r| r.last_seq > after)
            {
                return;
            }
            notified.await;
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[tokio::test]
    async fn keeps_the_newest_events_in_order_and_dedups_by_id() {
        let history = MemoryEventHistory::new(3);
        for i in 1..=5 {
            let e = history
                .append("t", format!("e{i}"), i, json!({"i": i}))
                .await
                .unwrap();
            assert_eq!(e.seq, i);
        }
        let again = history
            .append("t", "e5".into(), 9, json!({}))
            .await
            .unwrap();
        assert_eq!(again.seq, 5, "a redelivered id is the same event");
        let read = history.read_after("t", 0, 10).await.unwrap();
        assert_eq!(read.first_seq, 3);
        assert_eq!(read.last_seq, 5);
        let seqs: Vec<u64> = read.events.iter().map(|e| e.seq).collect();
        assert_eq!(seqs, [3, 4, 5]);
        let read = history.read_after("t", 3, 1).await.unwrap();
        assert_eq!(read.events[0].event_id, "e4");
        let none = history.read_after("other", 0, 10).await.unwrap();
        assert_eq!(
            (none.first_seq, none.last_seq, none.events.len()),
            (1, 0, 0)
        );
    }

    #[tokio::test]
    async fn a_waiter_wakes_on_the_next_event() {
        let history = Arc::new(MemoryEventHistory::new(10));
        let waiter = {
            let history = history.clone();
            tokio::spawn(async move { history.wait_after("t", 0).await })
        };
        tokio::task::yield_now().await;
        history.append("t", "a".into(), 1, json!({})).await.unwrap();
        tokio::time::timeout(std::time::Duration::from_secs(5), waiter)
            .await
            .expect("woken")
            .unwrap();
    }
}
