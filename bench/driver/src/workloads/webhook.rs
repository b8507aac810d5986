//! W8 webhook delivery: S subscriptions (`events/subscribe`, each to its own callback URL
//! and secret) to a receiver the driver runs on 127.0.0.1 ([`crate::receiver`]). The server
//! verifies each callback with its signed challenge, which the receiver answers; then every
//! occurrence of `bench.tick` is POSTed to every subscription, one POST at a time per
//! subscription. The receiver verifies every signature over the raw body, checks the
//! subscription id header and that each subscription gets n = 1, 2, 3, … exactly once and in
//! order.
//!
//! Two phases on one server: light load (one `emit` at a time, the next once every
//! subscription has it: end-to-end latency from the `emit` POST to the receiver), then
//! saturation (one `emit` of a burst of events: deliveries per second and per server
//! CPU-second until the last is received).

use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde::Deserialize;
use spate::events::verification::answer_challenge;
use spate::events::webhook_signature::{SignatureVerifier, WebhookHeaders, WebhookSecret};

use super::fanout::EVENT;
use super::{Ctx, Outcome};
use crate::mcp::{Client, tool_text};
use crate::receiver::{self, Post};
use crate::stats::Lat;

/// How long a phase may take before what is missing counts as lost.
const PHASE_TIMEOUT: Duration = Duration::from_secs(120);

/// One subscription as the receiver sees it.
struct Sub {
    secret: WebhookSecret,
    /// The id `events/subscribe` answered (checked against `X-MCP-Subscription-Id`).
    id: Mutex<String>,
    /// The `n` expected next.
    next: AtomicU64,
}

/// What the receiver has seen.
struct Hooks {
    base: Instant,
    subs: Vec<Sub>,
    /// When each `n` was emitted (ns since `base`), for latency.
    emitted_ns: Vec<AtomicU64>,
    delivered: AtomicU64,
    challenges: AtomicUsize,
    duplicates: AtomicU64,
    errors: AtomicU64,
    first_error: Mutex<Option<String>>,
    lat: Mutex<Lat>,
}

#[derive(Deserialize)]
struct Body {
    name: String,
    data: Tick,
}

#[derive(Deserialize)]
struct Tick {
    n: u64,
}

impl Hooks {
    fn now_ns(&self) -> u64 {
        u64::try_from(self.base.elapsed().as_nanos()).unwrap_or(u64::MAX)
    }

    fn fail(&self, e: impl std::fmt::Display) {
        self.errors.fetch_add(1, Ordering::AcqRel);
        self.first_error
            .lock()
            .unwrap()
            .get_or_insert_with(|| e.to_string());
    }

    /// Answers one POST: 401 for a bad signature, the echo for a challenge, 204 for an
    /// event (checked and counted).
    fn accept(&self, post: Post) -> receiver::Answer {
        let now = self.now_ns();
        let index = post
            .path
            .strip_prefix("/hook/")
            .and_then(|i| i.parse::<usize>().ok())
            .filter(|i| *i < self.subs.len());
        let Some(index) = index else {
            self.fail(format!("a POST to {}", post.path));
            return (404, None);
        };
        let sub = &self.subs[index];
        let signed = WebhookHeaders {
            id: post.header("webhook-id"),
            timestamp: post.header("webhook-timestamp"),
            signature: post.header("webhook-signature"),
        };
        if let Err(e) = SignatureVerifier::new().verify([&sub.secret], &signed, &post.body) {
            self.fail(format!("subscription {index}: signature: {e}"));
            return (401, None);
        }
        if let Some(echo) = answer_challenge(&post.body) {
            self.challenges.fetch_add(1, Ordering::AcqRel);
            return (200, Some(echo));
        }
        let expected_id = sub.id.lock().unwrap().clone();
        if post.header("x-mcp-subscription-id") != expected_id {
            self.fail(format!(
                "subscription {index}: X-MCP-Subscription-Id {:?}, expected {expected_id:?}",
                post.header("x-mcp-subscription-id")
            ));
        }
        let body: Body = match serde_json::from_slice(&post.body) {
            Ok(b) => b,
            Err(e) => {
                self.fail(format!("subscription {index}: body: {e}"));
                return (204, None);
            }
        };
        if body.name != EVENT {
            self.fail(format!("subscription {index}: an event of {:?}", body.name));
        }
        let n = body.data.n;
        let next = sub.next.load(Ordering::Acquire);
        if n < next {
            self.duplicates.fetch_add(1, Ordering::AcqRel);
            return (204, None);
        }
        if n > next {
            self.fail(format!(
                "subscription {index}: n={n} arrived, expected {next} (lost or out of order)"
            ));
        }
        sub.next.store(n + 1, Ordering::Release);
        if let Some(at) = self.emitted_ns.get(n as usize) {
            let lat = now.saturating_sub(at.load(Ordering::Acquire));
            self.lat.lock().unwrap().record(Duration::from_nanos(lat));
        }
        self.delivered.fetch_add(1, Ordering::AcqRel);
        (204, None)
    }

    /// Waits until `target` deliveries in all were received (or the phase times out).
    async fn wait_for(&self, target: u64) -> bool {
        let deadline = Instant::now() + PHASE_TIMEOUT;
        while self.delivered.load(Ordering::Acquire) < target {
            if Instant::now() > deadline || self.errors.load(Ordering::Acquire) > 0 {
                return false;
            }
            tokio::time::sleep(Duration::from_micros(200)).await;
        }
        true
    }
}

/// Subscribes `subs` callbacks, emits `light` events one at a time, then a burst of `burst`.
pub async fn run(ctx: &Ctx, subs: usize, light: u64, burst: u64) -> Outcome {
    let mut out = Outcome::default();
    let hooks = Arc::new(Hooks {
        base: Instant::now(),
        subs: (0..subs)
            .map(|_| Sub {
                secret: WebhookSecret::generate(),
                id: Mutex::new(String::new()),
                next: AtomicU64::new(1),
            })
            .collect(),
        emitted_ns: (0..=light + burst).map(|_| AtomicU64::new(0)).collect(),
        delivered: AtomicU64::new(0),
        challenges: AtomicUsize::new(0),
        duplicates: AtomicU64::new(0),
        errors: AtomicU64::new(0),
        first_error: Mutex::new(None),
        lat: Mutex::new(Lat::default()),
    });
    let (listener, addr) = match receiver::bind().await {
        Ok(l) => l,
        Err(e) => {
            out.fail(format!("receiver: {e}"));
            return out;
        }
    };
    let handler = {
        let hooks = hooks.clone();
        Arc::new(move |post: Post| hooks.accept(post))
    };
    let server = tokio::spawn(receiver::serve(listener, handler));
    let result = phases(ctx, &hooks, &mut out, addr, light, burst).await;
    if let Err(e) = result {
        out.fail(e);
    }
    tokio::time::sleep(Duration::from_millis(300)).await; // late duplicates
    let dups = hooks.duplicates.load(Ordering::Acquire);
    let errors = hooks.errors.load(Ordering::Acquire);
    out.errors += dups + errors;
    if let Some(e) = hooks.first_error.lock().unwrap().take() {
        out.first_error.get_or_insert(e);
    }
    if dups > 0 {
        out.first_error
            .get_or_insert_with(|| format!("{dups} duplicated deliveries"));
    }
    let expected = light + burst;
    let lost: u64 = hooks
        .subs
        .iter()
        .map(|s| (expected + 1).saturating_sub(s.next.load(Ordering::Acquire)))
        .sum();
    if lost > 0 {
        out.errors += lost;
        out.first_error
            .get_or_insert_with(|| format!("{lost} deliveries lost"));
    }
    out.metric("subscriptions", subs as f64);
    out.metric("lost", lost as f64);
    out.metric("duplicated", dups as f64);
    out.metric(
        "challenges",
        hooks.challenges.load(Ordering::Acquire) as f64,
    );
    server.abort();
    out
}

async fn phases(
    ctx: &Ctx,
    hooks: &Hooks,
    out: &mut Outcome,
    addr: std::net::SocketAddr,
    light: u64,
    burst: u64,
) -> crate::Result<()> {
    let subs = hooks.subs.len() as u64;
    let mut control = Client::open(&ctx.target).await?;
    for (i, sub) in hooks.subs.iter().enumerate() {
        let params = format!(
            r#"{{"name":"{EVENT}","arguments":{{}},"delivery":{{"mode":"webhook","url":"http://{addr}/hook/{i}","secret":"{}"}},"cursor":null}}"#,
            sub.secret.to_text()
        );
        let result = control.request("events/subscribe", &params).await?;
        let result: serde_json::Value = serde_json::from_slice(&result)?;
        let id = result["id"]
            .as_str()
            .ok_or("events/subscribe answered without an id")?;
        *sub.id.lock().unwrap() = id.to_owned();
    }
    let challenges = hooks.challenges.load(Ordering::Acquire) as u64;
    if challenges != subs {
        return Err(format!("{challenges} challenges for {subs} subscriptions").into());
    }

    // Light load: one event at a time.
    let cpu0 = ctx.probe.cpu_ns();
    let t0 = Instant::now();
    for n in 1..=light {
        hooks.emitted_ns[n as usize].store(hooks.now_ns(), Ordering::Release);
        emit(&mut control, n, 1).await?;
        if !hooks.wait_for(n * subs).await {
            return Err(format!("light load: event {n} did not reach every subscription").into());
        }
    }
    let light_cpu = ctx.probe.cpu_ns().saturating_sub(cpu0);
    let light_secs = t0.elapsed().as_secs_f64();
    out.lat = std::mem::take(&mut *hooks.lat.lock().unwrap());
    let light_deliveries = (light * subs).max(1) as f64;
    out.metric(
        "light_cpu_us_per_delivery",
        light_cpu as f64 / 1000.0 / light_deliveries,
    );
    out.metric("light_deliveries_per_s", light_deliveries / light_secs);

    // Saturation: one call emits the whole burst.
    let cpu0 = ctx.probe.cpu_ns();
    let t0 = Instant::now();
    let start = hooks.now_ns();
    for n in light + 1..=light + burst {
        hooks.emitted_ns[n as usize].store(start, Ordering::Release);
    }
    emit(&mut control, light + 1, burst).await?;
    let all = hooks.wait_for((light + burst) * subs).await;
    out.secs = t0.elapsed().as_secs_f64();
    out.cpu_ns = ctx.probe.cpu_ns().saturating_sub(cpu0);
    out.ops = hooks
        .delivered
        .load(Ordering::Acquire)
        .saturating_sub(light * subs);
    let burst_lat = hooks.lat.lock().unwrap().summary();
    out.metric("burst_events", burst as f64);
    out.metric("burst_p50_ms", burst_lat.p50 / 1000.0);
    out.metric("burst_last_ms", burst_lat.max / 1000.0);
    if out.cpu_ns > 0 {
        out.metric(
            "deliveries_per_cpu_s",
            out.ops as f64 / (out.cpu_ns as f64 / 1e9),
        );
    }
    if !all {
        return Err("saturation: not every delivery arrived".into());
    }
    Ok(())
}

/// `emit {n, count}`; checks the answer (the last `n`).
async fn emit(control: &mut Client, n: u64, count: u64) -> crate::Result<()> {
    let reply = control
        .call_tool("emit", &format!(r#"{{"n":{n},"count":{count}}}"#), None)
        .await?;
    let last = tool_text(&reply.response)?;
    if last != (n + count - 1).to_string() {
        return Err(format!("emit answered {last:?}").into());
    }
    Ok(())
}
