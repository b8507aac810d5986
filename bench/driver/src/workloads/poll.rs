//! W9 pollers: P sessions each loop `events/poll` for `bench.tick` with the cursor of its
//! last answer, while a control session emits events at a fixed rate (an open-loop
//! schedule: a late `emit` carries every event that has fallen due). Closed loop (the next
//! poll as soon as the answer is in: saturation) or paced (each poller once per interval,
//! at once again while `hasMore`: light load). Every poller must see n = 1, 2, 3, … exactly
//! once and in order, never `truncated`; after the measured window the emitter stops and
//! every poller polls until it has the last event.

use std::sync::Arc;
use std::sync::atomic::{AtomicU8, AtomicU64, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use serde::Deserialize;

use super::fanout::EVENT;
use super::{Ctx, Outcome};
use crate::Result;
use crate::mcp::{Client, Target, tool_text};

/// How the pollers pace themselves.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Pace {
    /// The next poll as soon as the last is answered.
    Closed,
    /// One poll per interval (staggered over the pollers), at once again while `hasMore`.
    Every(Duration),
}

const WARMUP: u8 = 0;
const MEASURE: u8 = 1;
const DRAIN: u8 = 2;

/// Poller setups in flight at once.
const SETUP_PARALLEL: usize = 64;
/// The emitter's tick.
const EMIT_TICK: Duration = Duration::from_millis(10);
/// How long the pollers get to catch up after the emitter stopped.
const DRAIN_TIMEOUT: Duration = Duration::from_secs(60);

#[derive(Deserialize)]
struct PollResult {
    events: Vec<Polled>,
    cursor: Option<String>,
    #[serde(default)]
    truncated: bool,
    #[serde(rename = "hasMore", default)]
    has_more: bool,
}

#[derive(Deserialize)]
struct Polled {
    data: Tick,
}

#[derive(Deserialize)]
struct Tick {
    n: u64,
}

/// What the pollers share.
struct Shared {
    phase: AtomicU8,
    /// The last `n` emitted, once the emitter has stopped (`u64::MAX` before).
    last: AtomicU64,
    ready: AtomicUsize,
}

/// What one poller measured.
#[derive(Default)]
struct Tally {
    out: Outcome,
    events: u64,
}

/// Runs `pollers` pollers while `rate` events per second are emitted.
pub async fn run(ctx: &Ctx, pollers: usize, rate: f64, pace: Pace) -> Outcome {
    let mut out = Outcome::default();
    let shared = Arc::new(Shared {
        phase: AtomicU8::new(WARMUP),
        last: AtomicU64::new(u64::MAX),
        ready: AtomicUsize::new(0),
    });
    let gate = Arc::new(tokio::sync::Semaphore::new(SETUP_PARALLEL));
    let mut tasks = Vec::with_capacity(pollers);
    for i in 0..pollers {
        let (target, shared, gate) = (ctx.target.clone(), shared.clone(), gate.clone());
        let offset = match pace {
            Pace::Closed => Duration::ZERO,
            Pace::Every(every) => every.mul_f64(i as f64 / pollers as f64),
        };
        tasks.push(tokio::spawn(async move {
            let permit = gate.acquire_owned().await;
            let setup = tokio::time::timeout(Duration::from_secs(30), start(&target)).await;
            drop(permit);
            match setup {
                Ok(Ok((client, cursor))) => {
                    shared.ready.fetch_add(1, Ordering::AcqRel);
                    poller(client, cursor, &shared, pace, offset).await
                }
                Ok(Err(e)) => failed(format!("poller setup: {e}")),
                Err(_) => failed("poller setup took longer than 30 s"),
            }
        }));
    }
    let deadline = Instant::now() + Duration::from_secs(120);
    while shared.ready.load(Ordering::Acquire) < pollers
        && tasks.iter().any(|t| !t.is_finished())
        && Instant::now() < deadline
    {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    out.metric("pollers", shared.ready.load(Ordering::Acquire) as f64);
    let emitter = {
        let (target, shared) = (ctx.target.clone(), shared.clone());
        tokio::spawn(async move { emitter(&target, &shared, rate).await })
    };
    tokio::time::sleep(ctx.warmup).await;
    let cpu0 = ctx.probe.cpu_ns();
    let t0 = Instant::now();
    shared.phase.store(MEASURE, Ordering::Release);
    tokio::time::sleep(ctx.duration).await;
    shared.phase.store(DRAIN, Ordering::Release);
    out.secs = t0.elapsed().as_secs_f64();
    out.cpu_ns = ctx.probe.cpu_ns().saturating_sub(cpu0);
    let emitted = match emitter.await {
        Ok(Ok(n)) => n,
        Ok(Err(e)) => {
            out.fail(format!("emitter: {e}"));
            0
        }
        Err(e) => {
            out.fail(e);
            0
        }
    };
    shared.last.store(emitted, Ordering::Release);
    // Events the pollers received in polls of the measured window.
    let mut events = 0u64;
    for t in tasks {
        match tokio::time::timeout(DRAIN_TIMEOUT, t).await {
            Ok(Ok(tally)) => {
                out.ops += tally.out.ops;
                out.errors += tally.out.errors;
                if out.first_error.is_none() {
                    out.first_error = tally.out.first_error;
                }
                out.lat.merge(&tally.out.lat);
                events += tally.events;
            }
            Ok(Err(e)) => out.fail(e),
            Err(_) => out.fail("a poller did not catch up within 60 s of the last emit"),
        }
    }
    out.metric("events_emitted", emitted as f64);
    out.metric(
        "emit_rate",
        emitted as f64 / (ctx.warmup + ctx.duration).as_secs_f64(),
    );
    out.metric("events_received_measured", events as f64);
    if out.ops > 0 {
        out.metric("events_per_poll_measured", events as f64 / out.ops as f64);
    }
    if events > 0 {
        // What a delivered event costs, where polls carry many (the paced variant).
        out.metric(
            "cpu_us_per_event",
            out.cpu_ns as f64 / 1000.0 / events as f64,
        );
    }
    out
}

fn failed(e: impl std::fmt::Display) -> Tally {
    let mut t = Tally::default();
    t.out.fail(e);
    t
}

/// A session and the cursor of "now" (its first poll, without a cursor).
async fn start(target: &Arc<Target>) -> Result<(Client, String)> {
    let mut c = Client::open(target).await?;
    let first = poll(&mut c, None).await?;
    if !first.events.is_empty() {
        return Err("a poll without a cursor returned old events".into());
    }
    let cursor = first.cursor.ok_or("a poll answered without a cursor")?;
    Ok((c, cursor))
}

async fn poll(c: &mut Client, cursor: Option<&str>) -> Result<PollResult> {
    let params = match cursor {
        Some(cursor) => format!(r#"{{"name":"{EVENT}","arguments":{{}},"cursor":"{cursor}"}}"#),
        None => format!(r#"{{"name":"{EVENT}","arguments":{{}}}}"#),
    };
    let result = c.request("events/poll", &params).await?;
    Ok(serde_json::from_slice(&result)?)
}

async fn poller(
    mut c: Client,
    mut cursor: String,
    shared: &Shared,
    pace: Pace,
    offset: Duration,
) -> Tally {
    let mut tally = Tally::default();
    let mut next = 1u64; // the n expected next
    let mut due = Instant::now() + offset;
    let mut has_more = false;
    loop {
        let phase = shared.phase.load(Ordering::Acquire);
        if phase == DRAIN && next > shared.last.load(Ordering::Acquire) {
            return tally;
        }
        if let (Pace::Every(every), false, false) = (pace, has_more, phase == DRAIN) {
            tokio::time::sleep_until(due.into()).await;
            due += every;
        }
        // The phase when the poll is sent (a paced poller may have slept across a change).
        let phase = shared.phase.load(Ordering::Acquire);
        let sent = Instant::now();
        let result = match poll(&mut c, Some(&cursor)).await {
            Ok(r) => r,
            Err(e) => {
                tally.out.fail(format!("poll: {e}"));
                return tally;
            }
        };
        if phase == MEASURE && shared.phase.load(Ordering::Acquire) == MEASURE {
            tally.out.ops += 1;
            tally.out.lat.record(sent.elapsed());
            tally.events += result.events.len() as u64;
        }
        if result.truncated {
            tally.out.fail("a poll answered truncated: true");
        }
        for e in &result.events {
            if e.data.n != next {
                tally.out.fail(format!(
                    "n={} polled, expected {next} ({})",
                    e.data.n,
                    if e.data.n < next {
                        "duplicated"
                    } else {
                        "lost or out of order"
                    }
                ));
            }
            next = next.max(e.data.n + 1);
        }
        has_more = result.has_more;
        match result.cursor {
            Some(c) => cursor = c,
            None => {
                tally.out.fail("a poll answered without a cursor");
                return tally;
            }
        }
    }
}

/// Emits `rate` events per second until the drain begins; answers the last `n`.
async fn emitter(target: &Arc<Target>, shared: &Shared, rate: f64) -> Result<u64> {
    let mut c = Client::open(target).await?;
    let started = Instant::now();
    let mut emitted = 0u64;
    while shared.phase.load(Ordering::Acquire) != DRAIN {
        let due = (started.elapsed().as_secs_f64() * rate) as u64;
        if due > emitted {
            let count = due - emitted;
            let reply = c
                .call_tool(
                    "emit",
                    &format!(r#"{{"n":{},"count":{count}}}"#, emitted + 1),
                    None,
                )
                .await?;
            if tool_text(&reply.response)? != due.to_string() {
                return Err(format!("emit up to {due} answered otherwise").into());
            }
            emitted = due;
        }
        tokio::time::sleep(EMIT_TICK).await;
    }
    Ok(emitted)
}
