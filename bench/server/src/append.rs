//! W10: durable appends, measured in process. `streams` tasks each append one event of
//! `bytes` bytes to its own stream of the event log, await the append (for SQLite: until its
//! group is committed, as the HTTP layer does before writing an event to a socket), and
//! append the next: a closed loop, so the appends waiting at one moment are what one group
//! commit takes. The log is the one the server would use: `MemoryEventLog`, or
//! `SqliteEventLog` on `--data-dir` with the default retention (1000 events per stream, so
//! in the measured window every append also trims its stream's oldest event).
//!
//! Printed (one JSON line): appends and failures in the measured window, its length, the
//! process's CPU time in it (every thread: the runtime, the SQLite writer, the blocking
//! pool), append latency percentiles, and what the process wrote in it: `write_bytes` of
//! `/proc/self/io` (bytes sent to the storage layer, counted when pages are dirtied) and
//! `wchar` (bytes passed to `write`/`pwrite`), with the size of the database files at the end
//! and the event bytes the log holds.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU8, Ordering};
use std::time::{Duration, Instant};

use bytes::Bytes;
use spate::store::event_log::{EventLog, MemoryEventLog, NewEvent, Retention};
use spate::store::sqlite::event_log::SqliteEventLog;

/// Options of `bench-server append`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Concurrent streams, each appending in a closed loop.
    #[arg(long, default_value_t = 256)]
    streams: usize,
    /// Bytes per event.
    #[arg(long, default_value_t = 1000)]
    bytes: usize,
    /// Warm-up seconds (not measured).
    #[arg(long, default_value_t = 1.0)]
    warmup: f64,
    /// Measured seconds.
    #[arg(long, default_value_t = 3.0)]
    duration: f64,
}

const WARMUP: u8 = 0;
const MEASURE: u8 = 1;
const STOP: u8 = 2;

#[derive(Default)]
struct Tally {
    appends: u64,
    errors: u64,
    first_error: Option<String>,
    lat_ns: Vec<u64>,
}

/// Runs the measurement and prints its JSON line.
pub async fn run(args: Args, data_dir: Option<PathBuf>) -> std::io::Result<()> {
    let retention = Retention::default();
    let (log, sqlite): (Arc<dyn EventLog>, Option<Arc<SqliteEventLog>>) = match &data_dir {
        None => (Arc::new(MemoryEventLog::new(retention)), None),
        Some(dir) => {
            let log = SqliteEventLog::open(crate::open_db(dir)?, retention)
                .await
                .map_err(std::io::Error::other)?;
            let log = Arc::new(log);
            (log.clone(), Some(log))
        }
    };
    let payload = event(args.bytes);
    let phase = Arc::new(AtomicU8::new(WARMUP));
    let tasks: Vec<_> = (0..args.streams.max(1))
        .map(|i| {
            let (log, phase, payload) = (log.clone(), phase.clone(), payload.clone());
            tokio::spawn(async move { stream(&*log, i, &payload, &phase).await })
        })
        .collect();
    tokio::time::sleep(Duration::from_secs_f64(args.warmup)).await;
    let (cpu0, io0) = (cpu_ns(), io());
    let t0 = Instant::now();
    phase.store(MEASURE, Ordering::Release);
    tokio::time::sleep(Duration::from_secs_f64(args.duration)).await;
    phase.store(STOP, Ordering::Release);
    let secs = t0.elapsed().as_secs_f64();
    let (cpu1, io1) = (cpu_ns(), io());
    let mut all = Tally::default();
    for t in tasks {
        let t = t.await.map_err(std::io::Error::other)?;
        all.appends += t.appends;
        all.errors += t.errors;
        all.first_error = all.first_error.or(t.first_error);
        all.lat_ns.extend(t.lat_ns);
    }
    all.lat_ns.sort_unstable();
    let pct = |p: f64| -> f64 {
        if all.lat_ns.is_empty() {
            return 0.0;
        }
        let i = ((all.lat_ns.len() - 1) as f64 * p).round() as usize;
        all.lat_ns[i] as f64 / 1000.0
    };
    let held = match &sqlite {
        Some(log) => log.totals().await.map_or(0, |(_, bytes)| bytes),
        None => 0,
    };
    let files = data_dir.as_deref().map_or(0, file_bytes);
    println!(
        "{{\"appends\":{},\"errors\":{},\"first_error\":{},\"secs\":{secs},\"cpu_ns\":{},\
         \"payload_bytes\":{},\"write_bytes\":{},\"wchar\":{},\"p50_us\":{},\"p99_us\":{},\
         \"p999_us\":{},\"file_bytes\":{files},\"held_bytes\":{held}}}",
        all.appends,
        all.errors,
        all.first_error
            .map_or("null".into(), |e| format!("{:?}", e.replace('"', "'"))),
        cpu1.saturating_sub(cpu0),
        all.appends * args.bytes as u64,
        io1.0.saturating_sub(io0.0),
        io1.1.saturating_sub(io0.1),
        pct(0.5),
        pct(0.99),
        pct(0.999),
    );
    Ok(())
}

/// One stream's closed loop. Each append gets a fresh copy of the event, as a serialized
/// message would be, so the memory log is not flattered by sharing one buffer.
async fn stream(log: &dyn EventLog, i: usize, payload: &[u8], phase: &AtomicU8) -> Tally {
    let key = format!("bench-append/{i}");
    let mut tally = Tally::default();
    loop {
        let now = phase.load(Ordering::Acquire);
        if now == STOP {
            return tally;
        }
        let event = NewEvent {
            data: Bytes::copy_from_slice(payload),
            last: false,
            disconnect: false,
        };
        let t = Instant::now();
        let result = log.append(&key, vec![event]).await;
        if now == MEASURE && phase.load(Ordering::Acquire) == MEASURE {
            match result {
                Ok(_) => {
                    tally.appends += 1;
                    tally.lat_ns.push(t.elapsed().as_nanos() as u64);
                }
                Err(e) => {
                    tally.errors += 1;
                    tally.first_error.get_or_insert(e.to_string());
                }
            }
        }
        // The memory log answers without ever waiting: let the other streams and the timer
        // run (a server writes each event to a socket next, which yields too).
        tokio::task::yield_now().await;
    }
}

/// A `notifications/progress` message padded to `bytes` bytes (at least its frame).
fn event(bytes: usize) -> Vec<u8> {
    let head = r#"{"jsonrpc":"2.0","method":"notifications/progress","params":{"progressToken":7,"progress":1,"message":""#;
    let tail = r#""}}"#;
    let pad = bytes.saturating_sub(head.len() + tail.len());
    let mut s = String::with_capacity(bytes);
    s.push_str(head);
    s.extend(std::iter::repeat_n('x', pad));
    s.push_str(tail);
    s.into_bytes()
}

/// CPU time of every thread of this process, ns (per-thread schedstat).
fn cpu_ns() -> u64 {
    let Ok(tasks) = std::fs::read_dir("/proc/self/task") else {
        return 0;
    };
    tasks
        .flatten()
        .filter_map(|t| std::fs::read_to_string(t.path().join("schedstat")).ok())
        .filter_map(|s| s.split_whitespace().next()?.parse::<u64>().ok())
        .sum()
}

/// `(write_bytes, wchar)` of `/proc/self/io`.
fn io() -> (u64, u64) {
    let text = std::fs::read_to_string("/proc/self/io").unwrap_or_default();
    let field = |name: &str| {
        text.lines()
            .find_map(|l| l.strip_prefix(name)?.trim().parse::<u64>().ok())
            .unwrap_or(0)
    };
    (field("write_bytes:"), field("wchar:"))
}

/// Bytes of the database files in `dir` (the database, its WAL and shared memory).
fn file_bytes(dir: &Path) -> u64 {
    std::fs::read_dir(dir).map_or(0, |entries| {
        entries
            .flatten()
            .filter_map(|e| e.metadata().ok())
            .map(|m| m.len())
            .sum()
    })
}
