//! W6 resumption: a `bump` of M progress events on an SSE answer, dropped after the first
//! `DROP_AFTER` events; once the call has finished, `GET` with `Last-Event-ID` must replay the
//! rest — every progress event once, in order, then the response. Also the reconnect storm:
//! R such streams resumed at the same moment, beside a session measuring `echo` latency
//! (one call per millisecond; its server CPU is part of the storm's).

use std::sync::Arc;
use std::time::{Duration, Instant};

use super::{Ctx, Outcome};
use crate::Result;
use crate::mcp::{Client, Msg, Target};
use crate::stats::Lat;

/// Progress events read before the connection is dropped.
pub const DROP_AFTER: u32 = 10;
/// Time the server gets to finish the call after the drop.
const SETTLE: Duration = Duration::from_millis(300);
/// The storm's latency probe sends one `echo` per period (so it adds ≤ 1 000 req/s).
const PROBE_PERIOD: Duration = Duration::from_millis(1);
/// Longest a cut or a resumption may take before it counts as failed.
const STEP_TIMEOUT: Duration = Duration::from_secs(15);

/// `f`, failed if it takes longer than [`STEP_TIMEOUT`].
async fn bounded<T>(what: &str, f: impl std::future::Future<Output = Result<T>>) -> Result<T> {
    match tokio::time::timeout(STEP_TIMEOUT, f).await {
        Ok(r) => r,
        Err(_) => Err(format!("{what} did not finish within {} s", STEP_TIMEOUT.as_secs()).into()),
    }
}

/// A call cut off after `DROP_AFTER` events: its session and the last event id seen.
struct Cut {
    session: String,
    last_id: String,
    id: u64,
}

/// What a resumption replayed.
struct Replay {
    first_event: Duration,
    total: Duration,
    wire_bytes: usize,
}

/// Starts `bump {k: m, pad}` and drops the connection after `DROP_AFTER` progress events.
async fn cut(target: &Arc<Target>, m: u32, pad: usize) -> Result<Cut> {
    let mut c = Client::open(target).await?;
    let id = c.id();
    let body = format!(
        r#"{{"jsonrpc":"2.0","id":{id},"method":"tools/call","params":{{"name":"bump","arguments":{{"k":{m},"pad":{pad}}},"_meta":{{"progressToken":{id}}}}}}}"#
    );
    let head = c.post(body.as_bytes(), &[]).await?;
    if head.status != 200 || head.kind != crate::http1::Kind::Sse {
        return Err(format!("bump answered {} without an SSE stream", head.status).into());
    }
    let mut seen = 0;
    let mut last_id = None;
    while seen < DROP_AFTER {
        let event = c.next_event().await?.ok_or("stream ended early")?;
        if !event.data.is_empty() {
            seen += 1;
        }
        if let Some(i) = event.id {
            last_id = Some(i);
        }
    }
    let session = c.session.clone().ok_or("no session")?;
    drop(c); // the client goes away mid-call
    Ok(Cut {
        session,
        last_id: last_id.ok_or("the server's events carry no ids: nothing to resume from")?,
        id,
    })
}

/// Resumes a cut call and checks progress `DROP_AFTER + 1 ..= m`, then the response.
async fn resume(target: &Arc<Target>, cut: &Cut, m: u32) -> Result<Replay> {
    let mut c = Client::connect(target).await?;
    c.session = Some(cut.session.clone());
    let sent = Instant::now();
    c.open_stream(Some(&cut.last_id)).await?;
    let mut first = None;
    let mut next = DROP_AFTER + 1;
    let mut wire = 0usize;
    loop {
        let event = c
            .next_event()
            .await?
            .ok_or("replay ended before the response")?;
        wire += event.wire;
        if event.data.is_empty() {
            continue;
        }
        first.get_or_insert_with(|| sent.elapsed());
        let msg: Msg = serde_json::from_slice(&event.data)?;
        if msg.result.is_some() || msg.error.is_some() {
            if msg.id.map(|i| i.get()) != Some(cut.id.to_string().as_str()) {
                return Err("replayed response has another id".into());
            }
            if next != m + 1 {
                return Err(format!("response after progress {}, expected {m}", next - 1).into());
            }
            break;
        }
        if msg.method.as_deref() == Some("notifications/progress") {
            #[derive(serde::Deserialize)]
            struct P {
                progress: f64,
            }
            let p: P = serde_json::from_str(msg.params.ok_or("no params")?.get())?;
            if p.progress != f64::from(next) {
                return Err(format!(
                    "replayed progress {} where {next} was due (gap or duplicate)",
                    p.progress
                )
                .into());
            }
            next += 1;
        }
    }
    Ok(Replay {
        first_event: first.unwrap_or_default(),
        total: sent.elapsed(),
        wire_bytes: wire,
    })
}

/// W6: `trials` cut-and-resume rounds of M events of `pad` bytes each.
pub async fn replay(ctx: &Ctx, m: u32, pad: usize, trials: u32) -> Outcome {
    let mut out = Outcome::default();
    let mut rates = Vec::new();
    let mut cpu_ns = 0;
    let t0 = Instant::now();
    for _ in 0..trials {
        let cut = match bounded("the cut call", cut(&ctx.target, m, pad)).await {
            Ok(c) => c,
            Err(e) => {
                out.fail(format!("cut: {e}"));
                continue;
            }
        };
        tokio::time::sleep(SETTLE).await;
        let cpu0 = ctx.probe.cpu_ns();
        match bounded("the resumption", resume(&ctx.target, &cut, m)).await {
            Ok(r) => {
                cpu_ns += ctx.probe.cpu_ns().saturating_sub(cpu0);
                out.ops += 1;
                out.lat.record(r.first_event);
                rates.push(r.wire_bytes as f64 / r.total.as_secs_f64() / 1e6);
                out.metric("replayed_bytes", r.wire_bytes as f64);
            }
            Err(e) => out.fail(format!("resume: {e}")),
        }
    }
    out.secs = t0.elapsed().as_secs_f64();
    out.cpu_ns = cpu_ns;
    rates.sort_by(f64::total_cmp);
    if let Some(median) = rates.get(rates.len() / 2) {
        out.metric("replay_mb_per_s", *median);
        out.metric(
            "replay_events_per_s",
            *median * 1e6 / (out.metrics["replayed_bytes"] / f64::from(m + 1 - DROP_AFTER)),
        );
    }
    out.metric("first_event_p50_us", out.lat.summary().p50);
    out
}

/// The storm: `r` cut calls resumed at once, while one session measures `echo` latency.
pub async fn storm(ctx: &Ctx, r: usize, m: u32, pad: usize) -> Outcome {
    let mut out = Outcome::default();
    let gate = Arc::new(tokio::sync::Semaphore::new(32));
    let mut prepared = Vec::new();
    for _ in 0..r {
        let (target, gate) = (ctx.target.clone(), gate.clone());
        prepared.push(tokio::spawn(async move {
            let _p = gate.acquire_owned().await;
            bounded("the cut call", cut(&target, m, pad)).await
        }));
    }
    let mut cuts = Vec::new();
    for p in prepared {
        match p.await {
            Ok(Ok(c)) => cuts.push(Arc::new(c)),
            Ok(Err(e)) => out.fail(format!("cut: {e}")),
            Err(e) => out.fail(e),
        }
    }
    if cuts.is_empty() {
        return out;
    }
    tokio::time::sleep(SETTLE).await;
    let mut probe_client = match Client::open(&ctx.target).await {
        Ok(c) => c,
        Err(e) => {
            out.fail(format!("probe session: {e}"));
            return out;
        }
    };
    let mut before = Lat::default();
    let calm_until = Instant::now() + Duration::from_millis(500);
    while Instant::now() < calm_until {
        let t = Instant::now();
        if let Err(e) = probe_client.echo("calm").await {
            out.fail(format!("probe: {e}"));
            break;
        }
        before.record(t.elapsed());
        tokio::time::sleep(PROBE_PERIOD.saturating_sub(t.elapsed())).await;
    }
    let cpu0 = ctx.probe.cpu_ns();
    let t0 = Instant::now();
    let mut resumers = Vec::new();
    for c in &cuts {
        let (target, c) = (ctx.target.clone(), c.clone());
        resumers.push(tokio::spawn(async move {
            bounded("the resumption", resume(&target, &c, m)).await
        }));
    }
    let mut during = Lat::default();
    while resumers.iter().any(|h| !h.is_finished()) && t0.elapsed() < Duration::from_secs(60) {
        let t = Instant::now();
        if let Err(e) = probe_client.echo("storm").await {
            out.fail(format!("probe: {e}"));
            break;
        }
        during.record(t.elapsed());
        tokio::time::sleep(PROBE_PERIOD.saturating_sub(t.elapsed())).await;
    }
    for h in resumers {
        match h.await {
            Ok(Ok(replay)) => {
                out.ops += 1;
                out.lat.record(replay.first_event);
            }
            Ok(Err(e)) => out.fail(format!("storm resume: {e}")),
            Err(e) => out.fail(e),
        }
    }
    out.secs = t0.elapsed().as_secs_f64();
    out.cpu_ns = ctx.probe.cpu_ns().saturating_sub(cpu0);
    out.metric("reconnects", cuts.len() as f64);
    out.metric("storm_ms", out.secs * 1000.0);
    out.metric("echo_p99_calm_us", before.summary().p99);
    out.metric("echo_p99_storm_us", during.summary().p99);
    out.metric("echo_samples_storm", during.count() as f64);
    out
}
