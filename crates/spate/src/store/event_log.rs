//! The event log behind resumable SSE streams.
//!
//! Every message bound for an SSE stream is appended here *before* any socket sees it; a
//! reader (the first attach of a stream, or a `GET` with `Last-Event-ID`) replays what follows
//! its cursor and then waits for more, in one loop. So a dropped connection loses nothing and a
//! resumed one repeats nothing.
//!
//! The trait is shaped for networked backends (SQLite, Redis) as much as for memory: appends
//! are batched, reads are ranges after a cursor, waiting is a separate call, and nothing hands
//! out references into the store.

use std::collections::{BTreeSet, HashMap, VecDeque};
use std::ops::Bound;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use bytes::Bytes;
use futures_util::future::BoxFuture;
use tokio::sync::Notify;

/// One event to append.
#[derive(Debug, Clone)]
pub struct NewEvent {
    /// The SSE `data` (one JSON-RPC message); empty for a disconnect marker.
    pub data: Bytes,
    /// Whether this is the stream's last event (the response that ends a request stream).
    pub last: bool,
    /// A marker, not a message: a reader attached when it was appended closes its connection
    /// (SEP-1699 polling); readers attached later skip it.
    pub disconnect: bool,
}

/// One stored event.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredEvent {
    /// Position in its stream, from 1.
    pub seq: u64,
    /// The SSE `data`.
    pub data: Bytes,
    /// Whether the stream ends with it.
    pub last: bool,
    /// Whether it is a disconnect marker (see [`NewEvent::disconnect`]).
    pub disconnect: bool,
}

/// What a read found.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ReadBatch {
    /// Events after the cursor, oldest first.
    pub events: Vec<StoredEvent>,
    /// Whether the stream exists (unknown streams never replay anything).
    pub known: bool,
    /// Events after the cursor that retention already dropped: a gap the reader must report.
    pub dropped: u64,
    /// The sequence number of the stream's newest event (0 if none yet).
    pub last_seq: u64,
}

/// Why the log could not do something.
#[derive(Debug, Clone, thiserror::Error)]
#[error("event log: {message}")]
pub struct LogError {
    /// What went wrong (a durable backend names its file and the cause).
    pub message: String,
    /// Whether trying again later may succeed (a full disk, a lock held elsewhere): the HTTP
    /// layer answers 503 with `Retry-After` then.
    pub transient: bool,
}

impl LogError {
    /// A failure that trying again will not mend.
    pub fn new(message: impl Into<String>) -> Self {
        Self {
            message: message.into(),
            transient: false,
        }
    }

    /// A failure that may pass (see [`LogError::transient`]).
    pub fn transient(message: impl Into<String>) -> Self {
        Self {
            message: message.into(),
            transient: true,
        }
    }
}

/// Storage of SSE streams. Stream keys are opaque strings chosen by the transport.
pub trait EventLog: Send + Sync + 'static {
    /// Appends events to a stream (creating it), returning the sequence number of the last one.
    fn append(&self, stream: &str, events: Vec<NewEvent>) -> BoxFuture<'_, Result<u64, LogError>>;
    /// Appends one event to each of many streams (a server event fanned out to sessions): one
    /// call, so a backend can batch what would otherwise be one round trip per stream.
    fn append_each<'a>(
        &'a self,
        streams: &'a [&'a str],
        event: NewEvent,
    ) -> BoxFuture<'a, Result<(), LogError>>;
    /// Reads at most `max` events after `after` (0 = from the start).
    fn read_after(
        &self,
        stream: &str,
        after: u64,
        max: usize,
    ) -> BoxFuture<'_, Result<ReadBatch, LogError>>;
    /// Resolves when the stream has an event after `after` or is removed. Callers bound the
    /// wait themselves (a reader's keep-alive clock, a POST's wait for a JSON answer).
    fn wait_after(&self, stream: &str, after: u64) -> BoxFuture<'_, ()>;
    /// Removes every stream whose key starts with `prefix` (a session's streams).
    fn remove_prefix(&self, prefix: &str) -> BoxFuture<'_, ()>;
    /// Removes one stream.
    fn remove(&self, stream: &str) -> BoxFuture<'_, ()>;
    /// The keys of every stream held whose key starts with `prefix` (a session's streams,
    /// so a session restored after a restart numbers its next stream past them).
    fn keys_with_prefix<'a>(
        &'a self,
        prefix: &'a str,
    ) -> BoxFuture<'a, Result<Vec<String>, LogError>>;
    /// Drops what retention no longer keeps; backends that expire entries themselves need
    /// not do anything.
    fn sweep(&self) -> BoxFuture<'_, ()> {
        Box::pin(async {})
    }
}

/// Retention limits of a log.
#[derive(Debug, Clone, Copy)]
#[non_exhaustive]
pub struct Retention {
    /// Events kept per stream; older ones are dropped (default 1000).
    pub max_events: usize,
    /// Age after which an event is dropped (default 10 min).
    pub max_age: Duration,
    /// How long a finished stream stays resumable (default 5 min).
    pub completed_grace: Duration,
    /// Streams held in all (default 100 000); beyond, the longest-finished ones go first, then
    /// — all streams live — the one opened longest ago.
    pub max_streams: usize,
    /// Bytes of event data kept per stream (default 16 MiB); older events are dropped. Only
    /// the durable backends count bytes: the memory log is bounded by `max_events`.
    pub max_stream_bytes: u64,
    /// Bytes of event data kept in all (default 1 GiB); beyond, whole streams go, in the
    /// order of `max_streams`. Only the durable backends count bytes.
    pub max_total_bytes: u64,
}

impl Default for Retention {
    fn default() -> Self {
        Self {
            max_events: 1000,
            max_age: Duration::from_secs(600),
            completed_grace: Duration::from_secs(300),
            max_streams: 100_000,
            max_stream_bytes: 16 << 20,
            max_total_bytes: 1 << 30,
        }
    }
}

#[derive(Debug)]
struct StreamLog {
    /// Which opening of this key it is (see [`Ages::next_id`]).
    id: u64,
    events: VecDeque<(StoredEvent, Instant)>,
    next_seq: u64,
    completed_at: Option<Instant>,
    /// Wakes readers waiting for more; made by the first wait, so the many streams nobody
    /// waits on (an answer written at once) do not each hold one.
    news: Option<Arc<Notify>>,
}

impl StreamLog {
    fn new(id: u64) -> Self {
        Self {
            id,
            events: VecDeque::new(),
            next_seq: 1,
            completed_at: None,
            news: None,
        }
    }

    /// Wakes whoever waits on this stream.
    fn wake(&self) {
        if let Some(news) = &self.news {
            news.notify_waiters();
        }
    }

    fn trim(&mut self, retention: &Retention, now: Instant) {
        while self.events.len() > retention.max_events
            || self
                .events
                .front()
                .is_some_and(|(_, at)| now.duration_since(*at) > retention.max_age)
        {
            self.events.pop_front();
        }
    }
}

/// Streams appended to under one hold of the lock in [`EventLog::append_each`].
const FAN_OUT_SLICE: usize = 256;

/// Names each queue of [`Ages`] may hold beyond twice the streams held.
const QUEUE_SLACK: usize = 1024;

/// Streams by `(id, key)`, oldest first.
type AgeQueue = VecDeque<(u64, Arc<str>)>;

/// The order streams were opened and finished in, so the log evicts in amortised constant
/// time instead of scanning every stream it holds. Entries are `(id, key)`; both queues may
/// name streams already gone or keys opened again since (the id tells), which are skipped when
/// met and dropped when a queue outgrows twice the streams held.
#[derive(Debug, Default)]
struct Ages {
    /// Streams in the order they finished: the first to go when the log is full.
    finished: AgeQueue,
    /// Streams in the order they were opened: the next to go when none has finished.
    opened: AgeQueue,
    /// The id of the next stream opened, so a key reused after its removal is not taken
    /// for the stream that had it before.
    next_id: u64,
}

/// Everything the memory log holds, under one lock. Each key is allocated once and shared
/// by the map, the ordered index and the queues.
#[derive(Debug, Default)]
struct Store {
    /// The streams by key: every append and read is one hash lookup, with aHash (randomly
    /// seeded, so still collision-resistant; SipHash took ~250 instructions a lookup).
    streams: HashMap<Arc<str>, StreamLog, ahash::RandomState>,
    /// The same keys in order, so a session's streams (one prefix) are one range; touched
    /// only when a stream is opened or removed.
    ordered: BTreeSet<Arc<str>>,
    /// Eviction order.
    ages: Ages,
}

impl Store {
    /// Opens a stream under `key`, which must not be held.
    fn open(&mut self, key: &str) -> &mut StreamLog {
        let key: Arc<str> = Arc::from(key);
        let id = self.ages.next_id;
        self.ages.next_id += 1;
        self.ages.opened.push_back((id, key.clone()));
        self.ordered.insert(key.clone());
        self.streams.entry(key).or_insert(StreamLog::new(id))
    }

    /// Removes one stream, waking whoever waits on it.
    fn remove(&mut self, key: &str) {
        if let Some((key, log)) = self.streams.remove_entry(key) {
            self.ordered.remove(&key);
            log.wake();
        }
    }

    /// Whether `key` is held and is still the opening numbered `id`.
    fn holds(&self, id: u64, key: &str) -> bool {
        self.streams.get(key).is_some_and(|log| log.id == id)
    }

    /// Makes room for one stream: the longest-finished one, else — all streams live — the
    /// one opened longest ago; both in amortised constant time.
    fn evict_one(&mut self) {
        let victim = match self.oldest_held(|ages| &mut ages.finished) {
            Some(key) => Some(key),
            None => self.oldest_held(|ages| &mut ages.opened),
        };
        if let Some(key) = victim {
            self.remove(&key);
        }
    }

    /// Takes entries off the front of one queue until one names a stream still held.
    fn oldest_held(&mut self, queue: fn(&mut Ages) -> &mut AgeQueue) -> Option<Arc<str>> {
        while let Some((id, key)) = queue(&mut self.ages).pop_front() {
            if self.holds(id, &key) {
                return Some(key);
            }
        }
        None
    }

    /// Appends events to a stream (opening it, evicting another if the log is full) and wakes
    /// its readers; returns the sequence number of the last one.
    fn append(
        &mut self,
        retention: &Retention,
        stream: &str,
        events: impl IntoIterator<Item = NewEvent>,
        now: Instant,
    ) -> u64 {
        // An append to a known stream is one lookup and allocates nothing; only a new stream
        // pays for its key.
        let log = match self.streams.get_mut(stream) {
            Some(log) => log,
            None => {
                if self.streams.len() >= retention.max_streams.max(1) {
                    self.evict_one();
                }
                self.open(stream)
            }
        };
        let events = events.into_iter();
        if log.events.capacity() == 0 && events.size_hint().0 > 0 {
            // Most streams are one answer: room for what comes, not the four slots a first
            // push would make.
            log.events.reserve_exact(events.size_hint().0);
        }
        let mut finished = None;
        for event in events {
            let seq = log.next_seq;
            log.next_seq += 1;
            if event.last && log.completed_at.is_none() {
                log.completed_at = Some(now);
                finished = Some(log.id);
            }
            log.events.push_back((
                StoredEvent {
                    seq,
                    data: event.data,
                    last: event.last,
                    disconnect: event.disconnect,
                },
                now,
            ));
        }
        log.trim(retention, now);
        log.wake();
        let last = log.next_seq - 1;
        if let Some(id) = finished {
            // The key's one allocation, shared with the map (looked up only when a stream ends).
            if let Some((key, _)) = self.streams.get_key_value(stream) {
                self.ages.finished.push_back((id, key.clone()));
            }
        }
        // Streams removed after a JSON answer or ended with their session leave names behind;
        // compacting once a queue doubles keeps it proportional to the streams held, not to
        // the cap, at amortised constant cost.
        let bound = 2 * self.streams.len().max(QUEUE_SLACK);
        self.forget_gone(bound);
        last
    }

    /// Forgets the entries of streams no longer held in each queue longer than `bound`.
    fn forget_gone(&mut self, bound: usize) {
        let streams = &self.streams;
        let holds = |(id, key): &(u64, Arc<str>)| {
            streams.get(key.as_ref()).is_some_and(|log| log.id == *id)
        };
        for queue in [&mut self.ages.finished, &mut self.ages.opened] {
            if queue.len() > bound {
                queue.retain(holds);
            }
        }
    }
}

/// The in-memory event log: for one process and tests, and `spate serve` without a data
/// directory (the durable one is `store::sqlite::event_log`, feature `sqlite`).
#[derive(Debug, Default)]
pub struct MemoryEventLog {
    store: Mutex<Store>,
    retention: Retention,
}

impl MemoryEventLog {
    /// A log with the given retention.
    pub fn new(retention: Retention) -> Self {
        Self {
            store: Mutex::new(Store::default()),
            retention,
        }
    }

    /// How many streams it holds (for tests and metrics).
    pub fn stream_count(&self) -> usize {
        self.lock().streams.len()
    }

    /// How many events it holds across all streams (for tests and metrics).
    pub fn event_count(&self) -> usize {
        self.lock()
            .streams
            .values()
            .map(|log| log.events.len())
            .sum()
    }

    /// Drops expired events and finished streams past their grace period.
    pub fn sweep_now(&self) {
        let now = Instant::now();
        let mut store = self.lock();
        let Store {
            streams, ordered, ..
        } = &mut *store;
        streams.retain(|key, log| {
            log.trim(&self.retention, now);
            let keep = log
                .completed_at
                .is_none_or(|t| now.duration_since(t) <= self.retention.completed_grace);
            if !keep {
                ordered.remove(key);
                log.wake();
            }
            keep
        });
        store.forget_gone(0);
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Store> {
        self.store
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

impl EventLog for MemoryEventLog {
    fn append(&self, stream: &str, events: Vec<NewEvent>) -> BoxFuture<'_, Result<u64, LogError>> {
        let last = self
            .lock()
            .append(&self.retention, stream, events, Instant::now());
        Box::pin(async move { Ok(last) })
    }

    fn append_each<'a>(
        &'a self,
        streams: &'a [&'a str],
        event: NewEvent,
    ) -> BoxFuture<'a, Result<(), LogError>> {
        let now = Instant::now();
        // The lock is let go between slices, so appends of other streams wait for one slice
        // of a large fan-out, not for all of it.
        for slice in streams.chunks(FAN_OUT_SLICE) {
            let mut store = self.lock();
            for stream in slice {
                store.append(&self.retention, stream, [event.clone()], now);
            }
        }
        Box::pin(async { Ok(()) })
    }

    fn read_after(
        &self,
        stream: &str,
        after: u64,
        max: usize,
    ) -> BoxFuture<'_, Result<ReadBatch, LogError>> {
        let store = self.lock();
        let batch = match store.streams.get(stream) {
            None => ReadBatch::default(),
            Some(log) => {
                let first_kept = log.events.front().map_or(log.next_seq, |(e, _)| e.seq);
                // Sequence numbers are contiguous from `first_kept`, so the first event after
                // the cursor is found by position rather than by scanning the whole stream.
                let skip =
                    usize::try_from(after.saturating_sub(first_kept - 1)).unwrap_or(usize::MAX);
                ReadBatch {
                    events: log
                        .events
                        .iter()
                        .skip(skip)
                        .take(max)
                        .map(|(e, _)| e.clone())
                        .collect(),
                    known: true,
                    dropped: first_kept.saturating_sub(after.saturating_add(1)),
                    last_seq: log.next_seq - 1,
                }
            }
        };
        Box::pin(async move { Ok(batch) })
    }

    fn wait_after(&self, stream: &str, after: u64) -> BoxFuture<'_, ()> {
        // Appends wake the stream's waiters with `notify_waiters`, which reaches a future from
        // the moment it is made. Made here under the same lock as the check, it cannot miss an
        // append that comes after the check, so one lookup is enough.
        let news = match self.lock().streams.get_mut(stream) {
            Some(log) if log.next_seq - 1 <= after => {
                let news = log.news.get_or_insert_with(Default::default);
                Some(news.clone().notified_owned())
            }
            _ => None, // already has more, or gone: return at once
        };
        Box::pin(async move {
            if let Some(news) = news {
                news.await;
            }
        })
    }

    fn remove_prefix(&self, prefix: &str) -> BoxFuture<'_, ()> {
        let mut store = self.lock();
        // Keys are ordered, so a session's streams sit together from its prefix on: ending a
        // session costs its own streams, not a scan of every stream the log holds.
        let doomed: Vec<Arc<str>> = store
            .ordered
            .range::<str, _>((Bound::Included(prefix), Bound::Unbounded))
            .take_while(|key| key.starts_with(prefix))
            .cloned()
            .collect();
        for key in doomed {
            store.remove(&key);
        }
        Box::pin(async {})
    }

    fn remove(&self, stream: &str) -> BoxFuture<'_, ()> {
        self.lock().remove(stream);
        Box::pin(async {})
    }

    fn keys_with_prefix<'a>(
        &'a self,
        prefix: &'a str,
    ) -> BoxFuture<'a, Result<Vec<String>, LogError>> {
        let keys = self
            .lock()
            .ordered
            .range::<str, _>((Bound::Included(prefix), Bound::Unbounded))
            .take_while(|key| key.starts_with(prefix))
            .map(|key| key.to_string())
            .collect();
        Box::pin(async move { Ok(keys) })
    }

    fn sweep(&self) -> BoxFuture<'_, ()> {
        self.sweep_now();
        Box::pin(async {})
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ev(text: &str, last: bool) -> NewEvent {
        NewEvent {
            data: Bytes::from(text.to_owned()),
            last,
            disconnect: false,
        }
    }

    #[tokio::test]
    async fn append_read_and_wait() {
        let log = MemoryEventLog::default();
        assert!(!log.read_after("s", 0, 10).await.unwrap().known);
        assert_eq!(
            log.append("s", vec![ev("a", false), ev("b", false)])
                .await
                .unwrap(),
            2
        );
        let batch = log.read_after("s", 1, 10).await.unwrap();
        assert_eq!(batch.events.len(), 1);
        assert_eq!(batch.events[0].data, "b");
        let log = Arc::new(log);
        let appender = {
            let log = log.clone();
            tokio::spawn(async move {
                tokio::time::sleep(Duration::from_millis(20)).await;
                log.append("s", vec![ev("c", true)]).await.unwrap();
            })
        };
        tokio::time::timeout(Duration::from_secs(5), log.wait_after("s", 2))
            .await
            .expect("the append wakes the waiter");
        let batch = log.read_after("s", 2, 10).await.unwrap();
        assert_eq!(batch.events[0].data, "c");
        assert!(batch.events[0].last);
        appender.await.unwrap();
    }

    #[tokio::test]
    async fn one_event_reaches_each_of_many_streams_and_wakes_their_readers() {
        let log = Arc::new(MemoryEventLog::default());
        // More streams than one hold of the lock covers, some already holding events.
        let keys: Vec<String> = (0..FAN_OUT_SLICE * 2 + 3)
            .map(|i| format!("s{i}.0"))
            .collect();
        for key in keys.iter().step_by(2) {
            log.append(key, vec![ev("before", false)]).await.unwrap();
        }
        let waiter = {
            let log = log.clone();
            tokio::spawn(async move { log.wait_after("s0.0", 1).await })
        };
        tokio::task::yield_now().await;
        let refs: Vec<&str> = keys.iter().map(String::as_str).collect();
        log.append_each(&refs, ev("update", false)).await.unwrap();
        tokio::time::timeout(Duration::from_secs(5), waiter)
            .await
            .expect("the fan-out wakes a waiting reader")
            .unwrap();
        for (i, key) in keys.iter().enumerate() {
            let batch = log.read_after(key, 0, 10).await.unwrap();
            let data: Vec<_> = batch.events.iter().map(|e| e.data.clone()).collect();
            let expected: &[&str] = if i % 2 == 0 {
                &["before", "update"]
            } else {
                &["update"]
            };
            assert_eq!(data, expected, "{key}");
        }
    }

    #[tokio::test]
    async fn retention_is_bounded_and_gaps_are_reported() {
        let log = MemoryEventLog::new(Retention {
            max_events: 3,
            ..Default::default()
        });
        for i in 0..10 {
            log.append("s", vec![ev(&i.to_string(), false)])
                .await
                .unwrap();
        }
        let batch = log.read_after("s", 0, 100).await.unwrap();
        assert_eq!(
            batch.events.iter().map(|e| e.seq).collect::<Vec<_>>(),
            [8, 9, 10]
        );
        assert_eq!(batch.dropped, 7);
        assert_eq!(log.read_after("s", 7, 100).await.unwrap().dropped, 0);
        let after_nine = log.read_after("s", 9, 100).await.unwrap();
        assert_eq!(
            after_nine.events.iter().map(|e| e.seq).collect::<Vec<_>>(),
            [10]
        );
        assert!(
            log.read_after("s", 10, 100)
                .await
                .unwrap()
                .events
                .is_empty()
        );
        assert!(
            log.read_after("s", u64::MAX, 100)
                .await
                .unwrap()
                .events
                .is_empty()
        );
        log.remove_prefix("s").await;
        assert_eq!(log.stream_count(), 0);
    }

    #[tokio::test]
    async fn removing_a_prefix_takes_exactly_that_sessions_streams() {
        let log = Arc::new(MemoryEventLog::default());
        for key in ["a.1", "a.2", "a.", "ab.1", "b.1", "Z.1"] {
            log.append(key, vec![ev("x", false)]).await.unwrap();
        }
        let waiter = {
            let log = log.clone();
            tokio::spawn(async move { log.wait_after("a.2", 1).await })
        };
        tokio::time::sleep(Duration::from_millis(20)).await;
        log.remove_prefix("a.").await;
        // A reader waiting on a removed stream wakes at once instead of at its timeout.
        tokio::time::timeout(Duration::from_secs(5), waiter)
            .await
            .expect("the waiter of a removed stream wakes")
            .unwrap();
        for (key, known) in [
            ("a.1", false),
            ("a.2", false),
            ("a.", false),
            ("ab.1", true),
            ("b.1", true),
            ("Z.1", true),
        ] {
            assert_eq!(
                log.read_after(key, 0, 1).await.unwrap().known,
                known,
                "{key}"
            );
        }
        log.remove_prefix("nothing.").await;
        assert_eq!(log.stream_count(), 3);
    }

    #[tokio::test]
    async fn the_number_of_streams_is_bounded_finished_ones_go_first() {
        let log = MemoryEventLog::new(Retention {
            max_streams: 2,
            ..Default::default()
        });
        log.append("open", vec![ev("x", false)]).await.unwrap();
        log.append("done", vec![ev("y", true)]).await.unwrap();
        log.append("new", vec![ev("z", false)]).await.unwrap();
        assert_eq!(log.stream_count(), 2);
        assert!(!log.read_after("done", 0, 1).await.unwrap().known);
        assert!(log.read_after("open", 0, 1).await.unwrap().known);
    }

    #[tokio::test]
    async fn with_every_stream_live_the_one_opened_longest_ago_goes() {
        let log = MemoryEventLog::new(Retention {
            max_streams: 2,
            ..Default::default()
        });
        // "a" is opened first, removed, and opened again after "b": the reopened "a" is the
        // younger of the two, so "b" is the one to go.
        log.append("a", vec![ev("x", false)]).await.unwrap();
        log.append("b", vec![ev("x", false)]).await.unwrap();
        log.remove("a").await;
        log.append("a", vec![ev("x", false)]).await.unwrap();
        log.append("c", vec![ev("x", false)]).await.unwrap();
        assert_eq!(log.stream_count(), 2);
        assert!(!log.read_after("b", 0, 1).await.unwrap().known);
        // A live stream whose events all expired still counts and can still be evicted.
        let log = MemoryEventLog::new(Retention {
            max_streams: 2,
            max_age: Duration::ZERO,
            ..Default::default()
        });
        log.append("quiet", vec![ev("x", false)]).await.unwrap();
        tokio::time::sleep(Duration::from_millis(5)).await;
        log.sweep_now();
        log.append("busy", vec![ev("x", false)]).await.unwrap();
        log.append("new", vec![ev("x", false)]).await.unwrap();
        assert_eq!(log.stream_count(), 2);
        assert!(!log.read_after("quiet", 0, 1).await.unwrap().known);
        assert!(log.read_after("busy", 0, 1).await.unwrap().known);
    }

    #[tokio::test]
    async fn names_of_removed_streams_do_not_pile_up() {
        let log = MemoryEventLog::default();
        for i in 0..10_000 {
            let key = format!("s{i}");
            log.append(&key, vec![ev("answer", true)]).await.unwrap();
            log.remove(&key).await;
        }
        let store = log.lock();
        let ages = &store.ages;
        assert!(ages.finished.len() <= 2 * QUEUE_SLACK + 1);
        assert!(ages.opened.len() <= 2 * QUEUE_SLACK + 1);
    }
}
