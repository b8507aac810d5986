//! W4 fan-out: N subscribers each hold a stream — the session's `GET` stream after
//! `resources/subscribe` (legacy), or a 2026-07-28 `subscriptions/listen` stream (modern).
//! A control session calls `touch` once per round; the one `bench://tick` update must reach
//! every subscriber exactly once. Latency runs from the `touch` POST to each delivery.
//!
//! W7 is the same measurement over the events extension: each subscriber holds one
//! `events/stream` request for `bench.tick` (on its own 2025 session, or stateless
//! 2026-07-28), and each round's `emit {n: round}` must reach every subscriber exactly once
//! as `notifications/events/event` with that `n`, tagged with its own subscription id.

use std::sync::atomic::{AtomicU32, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde::Deserialize;

use super::{Ctx, Outcome};
use crate::Result;
use crate::mcp::{Client, MODERN_META, Msg, TICK, Target, contains, tool_text};
use crate::stats::Lat;

/// The event type `emit` records (bench-server).
pub const EVENT: &str = "bench.tick";

/// Which kind of stream the subscribers hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Style {
    /// `resources/subscribe`, then the session's standalone `GET` stream.
    Legacy,
    /// One `subscriptions/listen` request per subscriber (2026-07-28, no session).
    Modern,
}

/// What the subscribers are told about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Feed {
    /// W4: updates of the resource `bench://tick`, triggered by `touch`.
    Resource,
    /// W7: occurrences of the event type `bench.tick` on `events/stream`, triggered by
    /// `emit {n}`.
    Events,
}

/// Subscriber setups in flight at once.
const SETUP_PARALLEL: usize = 64;
/// How long one round may take before its missing deliveries count as lost.
const ROUND_TIMEOUT: Duration = Duration::from_secs(5);

struct Board {
    base: Instant,
    round: AtomicU32,
    sent_ns: AtomicU64,
    delivered: AtomicUsize,
    last_ns: AtomicU64,
    duplicates: AtomicU64,
    ready: AtomicUsize,
    failed: AtomicUsize,
    first_error: Mutex<Option<String>>,
    lat: Mutex<Lat>,
}

impl Board {
    fn now_ns(&self) -> u64 {
        u64::try_from(self.base.elapsed().as_nanos()).unwrap_or(u64::MAX)
    }

    fn failed(&self, e: impl std::fmt::Display) {
        self.failed.fetch_add(1, Ordering::AcqRel);
        self.first_error
            .lock()
            .unwrap()
            .get_or_insert_with(|| e.to_string());
    }
}

/// Sets up `n` subscribers, runs `rounds` updates, and checks every delivery.
pub async fn run(ctx: &Ctx, feed: Feed, style: Style, n: usize, rounds: u32) -> Outcome {
    let mut out = Outcome::default();
    let board = Arc::new(Board {
        base: Instant::now(),
        round: AtomicU32::new(0),
        sent_ns: AtomicU64::new(0),
        delivered: AtomicUsize::new(0),
        last_ns: AtomicU64::new(0),
        duplicates: AtomicU64::new(0),
        ready: AtomicUsize::new(0),
        failed: AtomicUsize::new(0),
        first_error: Mutex::new(None),
        lat: Mutex::new(Lat::default()),
    });
    let gate = Arc::new(tokio::sync::Semaphore::new(SETUP_PARALLEL));
    let setup_started = Instant::now();
    let mut tasks = Vec::with_capacity(n);
    for _ in 0..n {
        let (target, board, gate) = (ctx.target.clone(), board.clone(), gate.clone());
        tasks.push(tokio::spawn(async move {
            let permit = gate.acquire_owned().await;
            let setup = subscribe(&target, feed, style);
            match tokio::time::timeout(Duration::from_secs(30), setup).await {
                Err(_) => board.failed("subscriber setup took longer than 30 s"),
                Ok(Err(e)) => board.failed(format!("subscriber setup: {e}")),
                Ok(Ok((client, stream_id))) => {
                    board.ready.fetch_add(1, Ordering::AcqRel);
                    drop(permit);
                    receive(client, feed, stream_id, &board).await;
                }
            }
        }));
    }
    let deadline = Instant::now() + Duration::from_secs(300);
    while board.ready.load(Ordering::Acquire) + board.failed.load(Ordering::Acquire) < n
        && Instant::now() < deadline
    {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let ready = board.ready.load(Ordering::Acquire);
    out.metric("setup_s", setup_started.elapsed().as_secs_f64());
    out.metric("subscribers", ready as f64);
    let mut control = match Client::open(&ctx.target).await {
        Ok(c) => c,
        Err(e) => {
            out.fail(format!("control session: {e}"));
            return out;
        }
    };
    tokio::time::sleep(Duration::from_millis(200)).await;
    let cpu0 = ctx.probe.cpu_ns();
    let t0 = Instant::now();
    let mut lasts = Vec::new();
    for r in 1..=rounds {
        board.delivered.store(0, Ordering::Release);
        board.last_ns.store(0, Ordering::Release);
        board.sent_ns.store(board.now_ns(), Ordering::Release);
        board.round.store(r, Ordering::Release);
        if let Err(e) = trigger(&mut control, feed, r).await {
            out.fail(e);
        }
        let round_end = Instant::now() + ROUND_TIMEOUT;
        while board.delivered.load(Ordering::Acquire) < ready && Instant::now() < round_end {
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
        let got = board.delivered.load(Ordering::Acquire);
        out.ops += got as u64;
        if got < ready {
            out.errors += (ready - got) as u64;
            out.first_error.get_or_insert_with(|| {
                format!("round {r}: {} of {ready} deliveries lost", ready - got)
            });
        }
        lasts.push(board.last_ns.load(Ordering::Acquire) as f64 / 1e6);
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    tokio::time::sleep(Duration::from_millis(300)).await; // late duplicates
    out.secs = t0.elapsed().as_secs_f64();
    out.cpu_ns = ctx.probe.cpu_ns().saturating_sub(cpu0);
    let dups = board.duplicates.load(Ordering::Acquire);
    out.errors += dups;
    if dups > 0 {
        out.first_error
            .get_or_insert_with(|| format!("{dups} duplicated deliveries"));
    }
    let failed = board.failed.load(Ordering::Acquire);
    out.errors += failed as u64;
    if let Some(e) = board.first_error.lock().unwrap().take() {
        out.first_error.get_or_insert(e);
    }
    out.lat = board.lat.lock().unwrap().clone();
    lasts.sort_by(f64::total_cmp);
    let median_last = lasts.get(lasts.len() / 2).copied().unwrap_or(0.0);
    out.metric("last_delivery_p50_ms", median_last);
    out.metric("last_delivery_max_ms", lasts.last().copied().unwrap_or(0.0));
    if median_last > 0.0 {
        out.metric("deliveries_per_s", ready as f64 / (median_last / 1000.0));
    }
    if out.cpu_ns > 0 {
        out.metric(
            "deliveries_per_cpu_s",
            out.ops as f64 / (out.cpu_ns as f64 / 1e9),
        );
    }
    out.metric(
        "lost",
        (ready as u64 * u64::from(rounds)).saturating_sub(out.ops) as f64,
    );
    out.metric("duplicated", dups as f64);
    for t in tasks {
        t.abort();
    }
    out
}

/// Announces round `r`: `touch`, or `emit {n: r}` (which must answer `r`).
async fn trigger(control: &mut Client, feed: Feed, r: u32) -> Result<()> {
    match feed {
        Feed::Resource => {
            control
                .call_tool("touch", "{}", None)
                .await
                .map_err(|e| format!("touch: {e}"))?;
        }
        Feed::Events => {
            let reply = control
                .call_tool("emit", &format!(r#"{{"n":{r}}}"#), None)
                .await
                .map_err(|e| format!("emit: {e}"))?;
            let last = tool_text(&reply.response)?;
            if last != r.to_string() {
                return Err(format!("emit {r} answered {last:?}").into());
            }
        }
    }
    Ok(())
}

/// A subscriber's client, its stream open, and the id of the request that opened it (the
/// subscription id of `events/stream`).
async fn subscribe(target: &Arc<Target>, feed: Feed, style: Style) -> Result<(Client, u64)> {
    match (feed, style) {
        (Feed::Resource, Style::Legacy) => {
            let mut c = Client::open(target).await?;
            let id = c.id();
            let body = format!(
                r#"{{"jsonrpc":"2.0","id":{id},"method":"resources/subscribe","params":{{"uri":"{TICK}"}}}}"#
            );
            c.exchange(body.as_bytes(), id, None, &[]).await?;
            c.open_stream(None).await?;
            Ok((c, id))
        }
        (Feed::Resource, Style::Modern) => {
            let mut c = Client::connect(target).await?;
            c.listen().await?;
            Ok((c, 0))
        }
        (Feed::Events, _) => {
            let modern = style == Style::Modern;
            let mut c = if modern {
                Client::connect(target).await?
            } else {
                Client::open(target).await?
            };
            let id = c.id();
            let meta = if modern {
                format!(",{MODERN_META}")
            } else {
                String::new()
            };
            let params = format!(r#"{{"name":"{EVENT}","arguments":{{}}{meta}}}"#);
            c.open_request_stream("events/stream", id, &params, modern)
                .await?;
            // `active` comes first, before anything the stream delivers.
            loop {
                let event = c.next_event().await?.ok_or("events/stream ended at once")?;
                if event.data.is_empty() {
                    continue; // priming event of a resumable stream
                }
                if !contains(&event.data, b"notifications/events/active") {
                    return Err(
                        "events/stream did not start with notifications/events/active".into(),
                    );
                }
                return Ok((c, id));
            }
        }
    }
}

/// `params` of `notifications/events/event`, as far as the check needs them.
#[derive(Deserialize)]
struct Occurrence {
    data: Tick,
    #[serde(rename = "_meta")]
    meta: Tag,
}

#[derive(Deserialize)]
struct Tick {
    n: u32,
}

#[derive(Deserialize)]
struct Tag {
    #[serde(rename = "io.modelcontextprotocol/subscriptionId")]
    subscription: u64,
}

/// The round an event notification announces, checked to be tagged with `stream_id`.
fn event_round(data: &[u8], stream_id: u64) -> Result<u32> {
    let msg: Msg = serde_json::from_slice(data)?;
    let params = msg.params.ok_or("an event without params")?;
    let o: Occurrence = serde_json::from_str(params.get())?;
    if o.meta.subscription != stream_id {
        return Err(format!(
            "an event tagged with subscription {}, expected {stream_id}",
            o.meta.subscription
        )
        .into());
    }
    Ok(o.data.n)
}

async fn receive(mut client: Client, feed: Feed, stream_id: u64, board: &Board) {
    let needle: &[u8] = match feed {
        Feed::Resource => b"notifications/resources/updated",
        Feed::Events => b"notifications/events/event",
    };
    let mut seen = 0u32;
    loop {
        let event = match client.next_event().await {
            Ok(Some(e)) => e,
            Ok(None) => return,
            Err(e) => {
                board.failed(format!("subscriber stream: {e}"));
                return;
            }
        };
        if !contains(&event.data, needle) {
            continue;
        }
        let now = board.now_ns();
        let round = board.round.load(Ordering::Acquire);
        if feed == Feed::Events {
            match event_round(&event.data, stream_id) {
                Ok(n) if n == round => {}
                Ok(n) if n == seen => {
                    board.duplicates.fetch_add(1, Ordering::AcqRel);
                    continue;
                }
                Ok(n) => {
                    board.failed(format!("event n={n} arrived in round {round}"));
                    continue;
                }
                Err(e) => {
                    board.failed(format!("event notification: {e}"));
                    continue;
                }
            }
        }
        if round == seen {
            board.duplicates.fetch_add(1, Ordering::AcqRel);
            continue;
        }
        seen = round;
        let lat = now.saturating_sub(board.sent_ns.load(Ordering::Acquire));
        board.lat.lock().unwrap().record(Duration::from_nanos(lat));
        board.last_ns.fetch_max(lat, Ordering::AcqRel);
        board.delivered.fetch_add(1, Ordering::AcqRel);
    }
}
