//! Time-based workloads on `c` connections: W1 (steady-session `echo`, closed loop or at a
//! fixed arrival rate), W2 (`bump` with k progress events) and W3 (session churn:
//! `initialize` → `initialized` → `echo` → `DELETE`).

use std::sync::Arc;
use std::sync::atomic::{AtomicU8, Ordering};
use std::time::{Duration, Instant};

use super::{Ctx, Outcome};
use crate::Result;
use crate::mcp::{Client, Target};
use crate::stats::Lat;

/// What each operation is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    /// `tools/call echo` on a session opened once.
    Echo,
    /// `tools/call bump {k}` with a progress token: k progress events, then the result.
    Bump(u32),
    /// A whole session: initialize, initialized, echo, DELETE.
    Churn,
}

/// How requests are issued.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Pace {
    /// Each connection sends its next request when the last one is answered.
    Closed,
    /// Requests are due at a fixed total rate (per second), spread over the connections;
    /// latency counts from when a request was due (no coordinated omission).
    Open(f64),
}

const WARMUP: u8 = 0;
const MEASURE: u8 = 1;
const STOP: u8 = 2;

#[derive(Default)]
struct Worker {
    out: Outcome,
    /// Time to first SSE event (W2) or `initialize` latency (W3).
    second: Lat,
}

/// Runs `op` on `connections` connections for the warm-up, then measures for the duration.
pub async fn run(ctx: &Ctx, op: Op, connections: usize, pace: Pace) -> Outcome {
    let phase = Arc::new(AtomicU8::new(WARMUP));
    let started = Instant::now();
    let mut workers = Vec::new();
    for i in 0..connections {
        let target = ctx.target.clone();
        let phase = phase.clone();
        let schedule = match pace {
            Pace::Closed => None,
            Pace::Open(rate) => {
                let every = Duration::from_secs_f64(connections as f64 / rate);
                Some((every, started + Duration::from_secs_f64(i as f64 / rate)))
            }
        };
        workers.push(tokio::spawn(worker(target, op, phase, schedule, i)));
    }
    tokio::time::sleep(ctx.warmup).await;
    let rss_before = ctx.probe.rss_bytes();
    let cpu0 = ctx.probe.cpu_ns();
    let disk0 = ctx.probe.write_bytes();
    let t0 = Instant::now();
    phase.store(MEASURE, Ordering::Release);
    tokio::time::sleep(ctx.duration).await;
    phase.store(STOP, Ordering::Release);
    let secs = t0.elapsed().as_secs_f64();
    let cpu_ns = ctx.probe.cpu_ns().saturating_sub(cpu0);
    let disk = ctx.probe.write_bytes().saturating_sub(disk0);
    let mut total = Outcome {
        secs,
        cpu_ns,
        ..Outcome::default()
    };
    let mut second = Lat::default();
    for w in workers {
        match tokio::time::timeout(Duration::from_secs(10), w).await {
            Ok(Ok(w)) => {
                total.ops += w.out.ops;
                total.errors += w.out.errors;
                if total.first_error.is_none() {
                    total.first_error = w.out.first_error;
                }
                total.lat.merge(&w.out.lat);
                second.merge(&w.second);
            }
            _ => total.fail("a connection did not finish its last request within 10 s"),
        }
    }
    match op {
        Op::Bump(k) => {
            total.metric("events_per_s", f64::from(k) * total.ops as f64 / secs);
            let s = second.summary();
            total.metric("first_event_p50_us", s.p50);
            total.metric("first_event_p99_us", s.p99);
        }
        Op::Churn => {
            let s = second.summary();
            total.metric("initialize_p50_us", s.p50);
            total.metric("initialize_p99_us", s.p99);
            tokio::time::sleep(Duration::from_secs(1)).await;
            let after = ctx.probe.rss_bytes();
            total.metric("rss_before_mib", rss_before as f64 / 1048576.0);
            total.metric("rss_after_mib", after as f64 / 1048576.0);
        }
        Op::Echo => {}
    }
    if total.ops > 0 {
        // What reached the disk per operation (the SQLite contestant's log and sessions).
        total.metric("disk_bytes_per_op", disk as f64 / total.ops as f64);
    }
    total
}

async fn worker(
    target: Arc<Target>,
    op: Op,
    phase: Arc<AtomicU8>,
    schedule: Option<(Duration, Instant)>,
    index: usize,
) -> Worker {
    let mut w = Worker::default();
    let mut client: Option<Client> = None;
    let mut due = schedule.map(|(_, first)| first);
    let mut seq = 0u64;
    let mut last_done = Instant::now();
    loop {
        let now_phase = phase.load(Ordering::Acquire);
        if now_phase == STOP {
            return w;
        }
        if let (Some((every, _)), Some(at)) = (schedule, due.as_mut()) {
            tokio::time::sleep_until((*at).into()).await;
            *at += every;
        }
        let intended = due.map(|at| at - schedule.map_or(Duration::ZERO, |s| s.0));
        if client.is_none() {
            let opened = match op {
                Op::Churn => Client::connect(&target).await,
                _ => Client::open(&target).await,
            };
            match opened {
                Ok(c) => client = Some(c),
                Err(e) => {
                    if now_phase == MEASURE {
                        w.out.fail(format!("connect/initialize: {e}"));
                    }
                    tokio::time::sleep(Duration::from_millis(20)).await;
                    continue;
                }
            }
        }
        let c = client.as_mut().expect("connected above");
        seq += 1;
        let sent = Instant::now();
        let result = once(c, op, index, seq, &mut w.second, sent).await;
        let done = Instant::now();
        // Open loop: a request held back by the previous one counts from when it was due.
        let start = match intended {
            Some(due) if last_done > due => due,
            _ => sent,
        };
        last_done = done;
        if phase.load(Ordering::Acquire) != MEASURE {
            if result.is_err() {
                client = None;
            }
            continue;
        }
        match result {
            Ok(()) => {
                w.out.ops += 1;
                w.out.lat.record(done - start);
            }
            Err(e) => {
                w.out.fail(e);
                client = None;
            }
        }
    }
}

async fn once(
    c: &mut Client,
    op: Op,
    index: usize,
    seq: u64,
    second: &mut Lat,
    sent: Instant,
) -> Result<()> {
    match op {
        Op::Echo => {
            c.echo(&format!("bench-{index}-{seq}")).await?;
        }
        Op::Bump(k) => {
            let reply = c
                .call_tool("bump", &format!(r#"{{"k":{k}}}"#), Some(k))
                .await?;
            let text = crate::mcp::tool_text(&reply.response)?;
            if text != k.to_string() {
                return Err(format!("bump returned {text:?}").into());
            }
            if let Some(first) = reply.first_event {
                second.record(first - sent);
            }
        }
        Op::Churn => {
            let t = Instant::now();
            c.initialize().await?;
            second.record(t.elapsed());
            c.echo(&format!("churn-{index}-{seq}")).await?;
            c.delete().await?;
        }
    }
    Ok(())
}
