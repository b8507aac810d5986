//! The benchmark matrix: which workload runs against which contestant, repeated, each run
//! on a freshly started server, every result kept as a [`Cell`].

use std::collections::BTreeMap;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::contestants::{Programs, Who};
use crate::mcp::Target;
use crate::proc::Probe;
use crate::stats::Percentiles;
use crate::workloads::steady::{Op, Pace};
use crate::workloads::{Ctx, Outcome, fanout, memory, poll, resume, steady, webhook};

/// What one run does.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Job {
    /// W1–W3.
    Steady {
        op: Op,
        connections: usize,
        pace: Pace,
    },
    /// W4 (resource updates) and W7 (events on `events/stream`).
    Fanout {
        feed: fanout::Feed,
        style: fanout::Style,
        n: usize,
        rounds: u32,
    },
    /// W5.
    Memory { n: usize },
    /// W6.
    Replay { m: u32, pad: usize, trials: u32 },
    /// The reconnect storm.
    Storm { r: usize, m: u32, pad: usize },
    /// W8: webhook deliveries to `subs` subscriptions, `light` events one at a time, then a
    /// burst of `burst`.
    Webhook { subs: usize, light: u64, burst: u64 },
    /// W9: `pollers` pollers while `rate` events per second are emitted.
    Poll {
        pollers: usize,
        rate: f64,
        pace: poll::Pace,
    },
    /// W10: appends of `bytes`-byte events to the event log itself (no HTTP) from `streams`
    /// concurrent streams, in `bench-server append`.
    Append { streams: usize, bytes: usize },
}

/// One row group of the report: a workload variant and who runs it.
#[derive(Debug, Clone)]
pub struct Spec {
    /// `W1` … `W9`, `storm`.
    pub workload: &'static str,
    /// What varies, e.g. `echo, JSON answers, c=32`.
    pub variant: String,
    /// The answer mode asked of the server.
    pub mode: &'static str,
    /// The job.
    pub job: Job,
    /// Who runs it (others get "n/a" with the reason).
    pub who: Vec<Who>,
}

/// The result of one run.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Cell {
    /// `W1` … `W6`, `storm`.
    pub workload: String,
    /// The variant.
    pub variant: String,
    /// The contestant.
    pub who: Who,
    /// The answer mode the server really used.
    pub mode: String,
    /// Repetition, from 1.
    pub rep: u32,
    /// Checked operations in the window.
    pub ops: u64,
    /// Failures (must be 0).
    pub errors: u64,
    /// The first failure.
    pub first_error: Option<String>,
    /// Operations per second.
    pub throughput: f64,
    /// Server CPU microseconds per operation.
    pub cpu_us_per_op: f64,
    /// Server CPU use in the window, percent of one core.
    pub cpu_pct: f64,
    /// Latency percentiles (µs).
    pub lat: Percentiles,
    /// Workload-specific figures.
    pub metrics: BTreeMap<String, f64>,
    /// The run it belongs to (its start time), where results of several runs are merged.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub run: Option<String>,
}

/// Sizes and durations of a run of the matrix.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Plan {
    /// Warm-up per time-based run, seconds.
    pub warmup_s: f64,
    /// Measured time per time-based run, seconds.
    pub duration_s: f64,
    /// Repetitions.
    pub reps: u32,
    /// W4 subscribers.
    pub fanout_n: usize,
    /// W4 rounds.
    pub fanout_rounds: u32,
    /// W5 sessions (and streams).
    pub memory_n: usize,
    /// W6 events per stream.
    pub replay_m: u32,
    /// W6 trials per run.
    pub replay_trials: u32,
    /// Storm reconnects.
    pub storm_r: usize,
    /// Bytes of padding per storm event.
    pub storm_pad: usize,
    /// Open-loop rate of W1, requests per second.
    pub open_rate: f64,
    /// Connections of the c=32 cells (fewer in smoke runs).
    pub many: usize,
    /// Sizes of the events workloads W7–W9 (absent from results written before them).
    #[serde(default)]
    pub events: EventsPlan,
    /// W10: concurrent streams, one variant each (absent from results written before it).
    #[serde(default)]
    pub append_streams: Vec<usize>,
    /// W10: bytes per event.
    #[serde(default)]
    pub append_bytes: usize,
}

/// Sizes of the events workloads (W7 uses `fanout_n` and `fanout_rounds` as W4 does).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct EventsPlan {
    /// W8: the subscription counts, one variant each.
    pub webhook_subs: Vec<usize>,
    /// W8: events emitted one at a time (light load).
    pub webhook_light: u64,
    /// W8: deliveries of the burst (events = this ÷ subscriptions).
    pub webhook_burst: u64,
    /// W9: pollers.
    pub pollers: usize,
    /// W9: events emitted per second while they poll.
    pub poll_rate: f64,
    /// W9: the interval of the paced variant, milliseconds.
    pub poll_every_ms: u64,
}

impl Default for EventsPlan {
    /// The full run's sizes.
    fn default() -> Self {
        Self {
            webhook_subs: vec![1, 100],
            webhook_light: 200,
            webhook_burst: 20_000,
            pollers: 1_000,
            poll_rate: 100.0,
            poll_every_ms: 1_000,
        }
    }
}

impl Plan {
    /// The full run.
    pub fn full(warmup_s: f64, duration_s: f64, reps: u32) -> Self {
        Self {
            warmup_s,
            duration_s,
            reps,
            fanout_n: 10_000,
            fanout_rounds: 10,
            memory_n: 2_000,
            replay_m: 1_000,
            replay_trials: 5,
            storm_r: 500,
            storm_pad: 100,
            open_rate: 1_000.0,
            many: 32,
            events: EventsPlan::default(),
            append_streams: vec![1, 256],
            append_bytes: 1000,
        }
    }

    /// The smoke run of the test command: every workload, tiny, checked.
    pub fn smoke() -> Self {
        Self {
            warmup_s: 0.2,
            duration_s: 0.5,
            reps: 1,
            fanout_n: 50,
            fanout_rounds: 3,
            memory_n: 50,
            replay_m: 200,
            replay_trials: 2,
            storm_r: 10,
            // Streams larger than the socket buffers: the server cannot have written them
            // to the end before the client drops (bench/README.md, "The smoke run").
            storm_pad: 4_000,
            open_rate: 200.0,
            many: 4,
            events: EventsPlan {
                webhook_subs: vec![1, 5],
                webhook_light: 10,
                webhook_burst: 200,
                pollers: 20,
                poll_rate: 100.0,
                poll_every_ms: 100,
            },
            append_streams: vec![1, 16],
            append_bytes: 1000,
        }
    }

    /// Every workload variant.
    pub fn specs(&self) -> Vec<Spec> {
        use Who::*;
        let steady = |op, connections, pace| Job::Steady {
            op,
            connections,
            pace,
        };
        let all = vec![Spate, Rmcp, Ts, Python, Ceiling];
        let sdks = vec![Spate, Rmcp, Ts, Python];
        let c = self.many;
        let mut specs = Vec::new();
        for (mode, label) in [("json", "JSON answers"), ("sse", "SSE answers")] {
            for conns in [1, c] {
                specs.push(Spec {
                    workload: "W1",
                    variant: format!("echo, {label}, c={conns}"),
                    mode,
                    job: steady(Op::Echo, conns, Pace::Closed),
                    who: all.clone(),
                });
            }
        }
        specs.push(Spec {
            workload: "W1",
            variant: format!(
                "echo, JSON answers, open loop {} req/s over c={c}",
                self.open_rate
            ),
            mode: "json",
            job: steady(Op::Echo, c, Pace::Open(self.open_rate)),
            who: all.clone(),
        });
        specs.push(Spec {
            workload: "W2",
            variant: format!("bump k=10, SSE answers, c={c}"),
            mode: "sse",
            job: steady(Op::Bump(10), c, Pace::Closed),
            who: vec![Spate, SpateSqlite, Rmcp, Ts, Python],
        });
        specs.push(Spec {
            workload: "W3",
            variant: "session churn (initialize → initialized → echo → DELETE), c=8".into(),
            mode: "json",
            job: steady(Op::Churn, c.min(8), Pace::Closed),
            who: sdks.clone(),
        });
        specs.push(Spec {
            workload: "W4",
            variant: format!("fan-out to {} GET streams (legacy)", self.fanout_n),
            mode: "json",
            job: Job::Fanout {
                feed: fanout::Feed::Resource,
                style: fanout::Style::Legacy,
                n: self.fanout_n,
                rounds: self.fanout_rounds,
            },
            who: vec![Spate, Rmcp, Ts, Ceiling],
        });
        specs.push(Spec {
            workload: "W4",
            variant: format!(
                "fan-out to {} subscriptions/listen streams (2026-07-28)",
                self.fanout_n
            ),
            mode: "json",
            job: Job::Fanout {
                feed: fanout::Feed::Resource,
                style: fanout::Style::Modern,
                n: self.fanout_n,
                rounds: self.fanout_rounds,
            },
            who: vec![Spate, Ceiling],
        });
        // W7 beside W4: the same fan-out over events/stream (Spate only: no other
        // contestant serves the events extension).
        for (style, label) in [
            (fanout::Style::Legacy, "2025-11-25 sessions"),
            (fanout::Style::Modern, "stateless 2026-07-28"),
        ] {
            specs.push(Spec {
                workload: "W7",
                variant: format!(
                    "events/stream fan-out to {} streams ({label})",
                    self.fanout_n
                ),
                mode: "json",
                job: Job::Fanout {
                    feed: fanout::Feed::Events,
                    style,
                    n: self.fanout_n,
                    rounds: self.fanout_rounds,
                },
                who: vec![Spate],
            });
        }
        specs.push(Spec {
            workload: "W5",
            variant: format!(
                "idle memory, {} sessions then {} GET streams",
                self.memory_n, self.memory_n
            ),
            mode: "json",
            job: Job::Memory { n: self.memory_n },
            who: all.clone(),
        });
        for pad in [100, 10_000] {
            specs.push(Spec {
                workload: "W6",
                variant: format!(
                    "resume after {} of {} events of {pad} B",
                    resume::DROP_AFTER,
                    self.replay_m
                ),
                mode: "sse",
                job: Job::Replay {
                    m: self.replay_m,
                    pad,
                    trials: self.replay_trials,
                },
                who: vec![Spate, SpateSqlite, Rmcp, Ts],
            });
        }
        let storm_m = self.replay_m.min(100);
        specs.push(Spec {
            workload: "storm",
            variant: format!(
                "{} simultaneous resumptions of {storm_m}-event streams of {} B events",
                self.storm_r, self.storm_pad
            ),
            mode: "sse",
            job: Job::Storm {
                r: self.storm_r,
                m: storm_m,
                pad: self.storm_pad,
            },
            who: vec![Spate, Rmcp, Ts],
        });
        let e = &self.events;
        for &subs in &e.webhook_subs {
            let burst = (e.webhook_burst / subs.max(1) as u64).max(1);
            specs.push(Spec {
                workload: "W8",
                variant: format!(
                    "webhooks to {subs} subscription(s): {} events one at a time, then a burst of {burst}",
                    e.webhook_light
                ),
                mode: "json",
                job: Job::Webhook {
                    subs,
                    light: e.webhook_light,
                    burst,
                },
                who: vec![Spate],
            });
        }
        for (pace, label) in [
            (poll::Pace::Closed, "closed loop".to_owned()),
            (
                poll::Pace::Every(Duration::from_millis(e.poll_every_ms)),
                format!("each every {} ms", e.poll_every_ms),
            ),
        ] {
            specs.push(Spec {
                workload: "W9",
                variant: format!(
                    "{} pollers, {label}, {} events/s emitted",
                    e.pollers, e.poll_rate
                ),
                mode: "json",
                job: Job::Poll {
                    pollers: e.pollers,
                    rate: e.poll_rate,
                    pace,
                },
                who: vec![Spate],
            });
        }
        for &streams in &self.append_streams {
            specs.push(Spec {
                workload: "W10",
                variant: format!(
                    "event-log appends of {} B events from {streams} concurrent stream(s), in process",
                    self.append_bytes
                ),
                mode: "json",
                job: Job::Append {
                    streams,
                    bytes: self.append_bytes,
                },
                who: vec![Spate, SpateSqlite],
            });
        }
        specs
    }
}

/// Runs one spec against one contestant on a fresh server.
pub async fn run_one(programs: &Programs, plan: &Plan, spec: &Spec, who: Who, rep: u32) -> Cell {
    let mode = who.mode(spec.mode);
    let mut out = if let Job::Append { streams, bytes } = spec.job {
        append(programs, plan, who, streams, bytes)
    } else {
        serve_and_run(programs, plan, spec, who, mode).await
    };
    if out.ops == 0 && out.errors == 0 {
        out.fail("no operation completed");
    }
    let secs = out.secs.max(1e-9);
    Cell {
        workload: spec.workload.into(),
        variant: spec.variant.clone(),
        who,
        mode: mode.into(),
        rep,
        ops: out.ops,
        errors: out.errors,
        first_error: out.first_error,
        throughput: out.ops as f64 / secs,
        cpu_us_per_op: if out.ops > 0 {
            out.cpu_ns as f64 / 1000.0 / out.ops as f64
        } else {
            0.0
        },
        cpu_pct: out.cpu_ns as f64 / 1e9 / secs * 100.0,
        lat: out.lat_override.unwrap_or_else(|| out.lat.summary()),
        metrics: out.metrics,
        run: None,
    }
}

/// W10: `bench-server append` measures itself; its JSON line becomes the outcome.
fn append(programs: &Programs, plan: &Plan, who: Who, streams: usize, bytes: usize) -> Outcome {
    let mut out = Outcome::default();
    let v = match programs.append(who, streams, bytes, plan.warmup_s, plan.duration_s) {
        Ok(v) => v,
        Err(e) => {
            out.fail(e);
            return out;
        }
    };
    let f = |k: &str| v[k].as_f64().unwrap_or(0.0);
    out.ops = f("appends") as u64;
    out.errors = f("errors") as u64;
    out.first_error = v["first_error"].as_str().map(str::to_owned);
    out.secs = f("secs");
    out.cpu_ns = f("cpu_ns") as u64;
    out.lat_override = Some(Percentiles {
        p50: f("p50_us"),
        p99: f("p99_us"),
        p999: f("p999_us"),
        ..Percentiles::default()
    });
    let payload = f("payload_bytes").max(1.0);
    out.metric("payload_mb_per_s", payload / 1e6 / out.secs.max(1e-9));
    out.metric("disk_write_bytes", f("write_bytes"));
    out.metric("write_amplification", f("write_bytes") / payload);
    out.metric("syscall_write_amplification", f("wchar") / payload);
    out.metric("file_bytes", f("file_bytes"));
    if f("held_bytes") > 0.0 {
        out.metric(
            "file_bytes_per_held_byte",
            f("file_bytes") / f("held_bytes"),
        );
    }
    out
}

/// Starts the contestant, runs the job against it, and stops it.
async fn serve_and_run(
    programs: &Programs,
    plan: &Plan,
    spec: &Spec,
    who: Who,
    mode: &str,
) -> Outcome {
    match programs.start(who, mode) {
        Ok(server) => {
            let ctx = Ctx {
                target: Target::new(server.addr),
                probe: Probe { pid: server.pid() },
                warmup: Duration::from_secs_f64(plan.warmup_s),
                duration: Duration::from_secs_f64(plan.duration_s),
            };
            let limit =
                Duration::from_secs_f64(plan.warmup_s + plan.duration_s) + Duration::from_secs(600);
            let out = match tokio::time::timeout(limit, job(&ctx, spec.job)).await {
                Ok(out) => out,
                Err(_) => {
                    let mut o = Outcome::default();
                    o.fail(format!("did not finish within {} s", limit.as_secs()));
                    o
                }
            };
            server.stop();
            out
        }
        Err(e) => {
            let mut o = Outcome::default();
            o.fail(format!("server start: {e}"));
            o
        }
    }
}

async fn job(ctx: &Ctx, job: Job) -> Outcome {
    match job {
        Job::Steady {
            op,
            connections,
            pace,
        } => steady::run(ctx, op, connections, pace).await,
        Job::Fanout {
            feed,
            style,
            n,
            rounds,
        } => fanout::run(ctx, feed, style, n, rounds).await,
        Job::Memory { n } => memory::run(ctx, n).await,
        Job::Replay { m, pad, trials } => resume::replay(ctx, m, pad, trials).await,
        Job::Storm { r, m, pad } => resume::storm(ctx, r, m, pad).await,
        Job::Webhook { subs, light, burst } => webhook::run(ctx, subs, light, burst).await,
        Job::Poll {
            pollers,
            rate,
            pace,
        } => poll::run(ctx, pollers, rate, pace).await,
        Job::Append { .. } => unreachable!("W10 runs no server"),
    }
}
