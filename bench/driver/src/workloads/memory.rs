//! W5 idle memory: what one idle session costs the server, and what one idle SSE stream
//! adds, as resident memory (RSS) and as memory charged to a cgroup holding only the server
//! (which also counts kernel socket buffers).

use std::sync::Arc;
use std::time::Duration;

use super::{Ctx, Outcome};
use crate::mcp::Client;
use crate::proc::MemCgroup;

/// Connections the idle sessions are opened over (each opens many, one after another).
const SESSION_CONNECTIONS: usize = 16;
/// Stream setups in flight at once.
const STREAM_PARALLEL: usize = 64;

/// Opens `n` idle sessions, then `n` more sessions each holding an idle `GET` stream.
pub async fn run(ctx: &Ctx, n: usize) -> Outcome {
    let mut out = Outcome::default();
    let started = std::time::Instant::now();
    let cgroup = MemCgroup::create(&format!("spate-bench-{}", ctx.probe.pid));
    let charged = cgroup.as_ref().is_some_and(|c| c.add(ctx.probe.pid));
    let sample = |cg: &Option<MemCgroup>| {
        (
            ctx.probe.rss_bytes() as f64,
            cg.as_ref().filter(|_| charged).map(|c| c.usage() as f64),
        )
    };
    // Warm the allocator and the server's code paths.
    for _ in 0..50 {
        if let Ok(mut c) = Client::open(&ctx.target).await {
            let _ = c.delete().await;
        }
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    let (rss0, cg0) = sample(&cgroup);

    let per = n.div_ceil(SESSION_CONNECTIONS);
    let mut openers = Vec::new();
    for _ in 0..SESSION_CONNECTIONS {
        let target = ctx.target.clone();
        openers.push(tokio::spawn(async move {
            let mut opened = 0usize;
            let mut c = Client::connect(&target).await?;
            for _ in 0..per {
                c.initialize().await?;
                opened += 1;
            }
            Ok::<usize, crate::BoxError>(opened)
        }));
    }
    let mut sessions = 0usize;
    for o in openers {
        match o.await {
            Ok(Ok(k)) => sessions += k,
            Ok(Err(e)) => out.fail(format!("idle session: {e}")),
            Err(e) => out.fail(e),
        }
    }
    tokio::time::sleep(Duration::from_secs(1)).await;
    let (rss1, cg1) = sample(&cgroup);

    let gate = Arc::new(tokio::sync::Semaphore::new(STREAM_PARALLEL));
    let mut holders = Vec::new();
    for _ in 0..n {
        let (target, gate) = (ctx.target.clone(), gate.clone());
        holders.push(tokio::spawn(async move {
            let _permit = gate.acquire_owned().await;
            let mut c = Client::open(&target).await?;
            c.open_stream(None).await?;
            Ok::<Client, crate::BoxError>(c)
        }));
    }
    let mut streams = Vec::new();
    for h in holders {
        match h.await {
            Ok(Ok(c)) => streams.push(c),
            Ok(Err(e)) => out.fail(format!("idle stream: {e}")),
            Err(e) => out.fail(e),
        }
    }
    tokio::time::sleep(Duration::from_secs(1)).await;
    let (rss2, cg2) = sample(&cgroup);
    out.ops = (sessions + streams.len()) as u64;
    out.secs = started.elapsed().as_secs_f64();

    let s = sessions.max(1) as f64;
    let k = streams.len().max(1) as f64;
    out.metric("sessions", sessions as f64);
    out.metric("streams", streams.len() as f64);
    out.metric("session_rss_bytes", (rss1 - rss0) / s);
    out.metric("stream_rss_bytes", (rss2 - rss1) / k - (rss1 - rss0) / s);
    out.metric("session_and_stream_rss_bytes", (rss2 - rss1) / k);
    out.metric("rss_mib", rss2 / 1048576.0);
    if let (Some(c0), Some(c1), Some(c2)) = (cg0, cg1, cg2) {
        out.metric("session_cgroup_bytes", (c1 - c0) / s);
        out.metric("stream_cgroup_bytes", (c2 - c1) / k - (c1 - c0) / s);
        out.metric("session_and_stream_cgroup_bytes", (c2 - c1) / k);
    }
    drop(streams);
    out
}
