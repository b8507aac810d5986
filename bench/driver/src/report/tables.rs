//! One Markdown table per workload variant.

use super::{Group, Results, Spread};
use crate::contestants::Who;

/// A contestant's display name.
pub fn label(who: Who) -> &'static str {
    match who {
        Who::Spate => "Spate",
        Who::SpateSqlite => "Spate on SQLite",
        Who::Rmcp => "rmcp 3.11.0",
        Who::Ts => "TS SDK 1.32.2",
        Who::Python => "Python SDK 2.3.0",
        Who::Ceiling => "ceiling (bare axum)",
    }
}

/// Why a contestant has no row in a workload.
fn not_run(workload: &str, variant: &str, who: Who) -> Option<&'static str> {
    match (workload, who) {
        ("W2" | "W6" | "W10", Who::SpateSqlite) => None,
        (_, Who::SpateSqlite) => Some(
            "Spate on SQLite (`bench-server --data-dir`) runs the workloads that write through the event log: W2, W6 and W10",
        ),
        ("W10", Who::Spate) => None,
        ("W10", _) => Some("W10 measures Spate's own event log in process"),
        ("W7" | "W8" | "W9", _) => Some(
            "no other contestant serves the events extension (SEP-3415), so the events workloads run on Spate only",
        ),
        ("W1" | "W4" | "W5", Who::Ceiling) => None,
        (_, Who::Ceiling) => Some(
            "the ceiling only answers `tools/call echo`, fans one event out to bare streams (W4) and holds idle ones (W5)",
        ),
        ("W4", Who::Python) => Some(
            "`MCPServer` has no hook to keep subscribed sessions, so `touch` cannot reach them",
        ),
        ("W4", Who::Rmcp | Who::Ts) if variant.contains("listen") => {
            Some("`subscriptions/listen` (2026-07-28) is benchmarked on Spate only")
        }
        ("W6" | "storm", Who::Python) => {
            Some("the SDK ships no event store, so a stream cannot be resumed")
        }
        _ => None,
    }
}

/// The cause of a contestant's failures in a workload, where it is known.
fn known_cause(workload: &str, who: Who) -> Option<&'static str> {
    match (workload, who) {
        ("W6" | "storm", Who::Ts) => Some(
            "the SDK's `InMemoryEventStore` (from its examples; the SDK ships no other) replays events sorted by id, and its ids are `<stream>_<millisecond>_<random>`: events sent within one millisecond come back in random order",
        ),
        ("W6" | "storm", Who::Rmcp) => Some(
            "`LocalSessionManager` without an event store: a `Last-Event-ID` resumption of a call that has finished ends without replaying the rest of it",
        ),
        _ => None,
    }
}

fn num(v: f64) -> String {
    if v.abs() >= 100.0 {
        format!("{v:.0}")
    } else if v.abs() >= 10.0 {
        format!("{v:.1}")
    } else {
        format!("{v:.2}")
    }
}

fn spread(s: Option<Spread>) -> String {
    match s {
        None => "–".into(),
        Some(s) if s.min == s.max => num(s.median),
        Some(s) => format!("{} [{}–{}]", num(s.median), num(s.min), num(s.max)),
    }
}

fn opt(v: Option<f64>) -> String {
    v.map_or("–".into(), num)
}

fn errors(g: &Group) -> String {
    match (g.errors(), g.first_error()) {
        (0, _) => "0".into(),
        (n, Some(e)) => format!("**{n}**: {}", e.replace('|', "/")),
        (n, None) => format!("**{n}**"),
    }
}

/// Every table.
pub fn all(r: &Results) -> String {
    let mut s = String::from("## Results per workload\n\n");
    for (workload, variant) in r.variants() {
        s.push_str(&format!("### {workload}: {variant}\n\n"));
        let groups = r.groups(workload, variant);
        s.push_str(&match workload {
            "W1" | "W2" | "W3" => steady(r, workload, variant, &groups),
            "W4" | "W7" => fanout(&groups),
            "W8" => webhooks(&groups),
            "W9" => polls(&groups),
            "W5" => memory(&groups),
            "W6" => replay(&groups),
            "W10" => appends(&groups),
            _ => storm(&groups),
        });
        s.push_str(&provenance(r, &groups));
        for g in groups.iter().filter(|g| g.errors() > 0) {
            if let Some(cause) = known_cause(workload, g.who) {
                s.push_str(&format!("- {} failed: {cause}\n", label(g.who)));
            }
        }
        // Contestants left out for the same reason share one line.
        let mut absent: Vec<(&str, Vec<&str>)> = Vec::new();
        for who in Who::ALL {
            if groups.iter().all(|g| g.who != who) {
                if let Some(why) = not_run(workload, variant, who) {
                    match absent.iter_mut().find(|(w, _)| *w == why) {
                        Some((_, names)) => names.push(label(who)),
                        None => absent.push((why, vec![label(who)])),
                    }
                }
            }
        }
        for (why, names) in absent {
            s.push_str(&format!("- {}: n/a — {why}\n", names.join(", ")));
        }
        s.push('\n');
    }
    s
}

/// Where a table's rows come from, when not (all) from this run (`matrix --merge`).
fn provenance(r: &Results, groups: &[Group]) -> String {
    let current = r.machine.started.as_str();
    let mut runs: Vec<(&str, Vec<&str>)> = Vec::new();
    for g in groups {
        for c in &g.cells {
            let run = c.run.as_deref().unwrap_or(current);
            match runs.iter_mut().find(|(r, _)| *r == run) {
                Some((_, who)) if who.contains(&label(g.who)) => {}
                Some((_, who)) => who.push(label(g.who)),
                None => runs.push((run, vec![label(g.who)])),
            }
        }
    }
    match runs.as_slice() {
        [] => String::new(),
        [(run, _)] if *run == current => String::new(),
        [(run, _)] => format!("- rows from the earlier run started {run}\n"),
        _ => {
            let parts: Vec<String> = runs
                .iter()
                .map(|(run, who)| {
                    let this = if *run == current { " (this run)" } else { "" };
                    format!("{} from the run started {run}{this}", who.join(", "))
                })
                .collect();
            format!(
                "- rows from more than one run: {}; the machine moves by up to 1.5× between runs, so compare across them with care\n",
                parts.join("; ")
            )
        }
    }
}

fn ratio(a: Option<f64>, b: Option<f64>) -> String {
    match (a, b) {
        (Some(a), Some(b)) if b > 0.0 => format!("{:.2}", a / b),
        _ => "–".into(),
    }
}

fn steady(r: &Results, workload: &str, variant: &str, groups: &[Group]) -> String {
    let rmcp_cpu = groups
        .iter()
        .find(|g| g.who == Who::Rmcp)
        .and_then(|g| g.spread(|c| Some(c.cpu_us_per_op)))
        .map(|s| s.median);
    // The ceiling of W1 cells of the same answer mode and concurrency.
    let ceiling_tput = r
        .groups(workload, variant)
        .into_iter()
        .find(|g| g.who == Who::Ceiling)
        .and_then(|g| g.spread(|c| Some(c.throughput)))
        .map(|s| s.median);
    let mut s = String::from(
        "| contestant | answers | ops/s | server CPU-µs/op | server CPU % | p50 µs | p99 µs | CPU/op ÷ rmcp | ops/s ÷ ceiling | extra | errors |\n|---|---|---|---|---|---|---|---|---|---|---|\n",
    );
    for g in groups {
        let cpu = g.spread(|c| Some(c.cpu_us_per_op));
        let tput = g.spread(|c| Some(c.throughput));
        let extra = match workload {
            "W2" => format!(
                "{} events/s, first event p50 {} µs{}",
                opt(g.metric("events_per_s")),
                opt(g.metric("first_event_p50_us")),
                g.metric("disk_bytes_per_op")
                    .filter(|b| *b > 0.0)
                    .map(|b| format!("; {} B to disk per call", num(b)))
                    .unwrap_or_default()
            ),
            "W3" => format!(
                "initialize p50 {} / p99 {} µs; RSS {} → {} MiB",
                opt(g.metric("initialize_p50_us")),
                opt(g.metric("initialize_p99_us")),
                opt(g.metric("rss_before_mib")),
                opt(g.metric("rss_after_mib"))
            ),
            _ => String::new(),
        };
        s.push_str(&format!(
            "| {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} |\n",
            label(g.who),
            g.cells[0].mode,
            spread(tput),
            spread(cpu),
            spread(g.spread(|c| Some(c.cpu_pct))),
            spread(g.spread(|c| Some(c.lat.p50))),
            spread(g.spread(|c| Some(c.lat.p99))),
            ratio(cpu.map(|c| c.median), rmcp_cpu),
            ratio(tput.map(|t| t.median), ceiling_tput),
            extra,
            errors(g),
        ));
    }
    s
}

fn fanout(groups: &[Group]) -> String {
    let mut s = String::from(
        "| contestant | subscribers | setup s | last delivery p50 ms (max) | per-delivery p50 / p99 ms | deliveries/s | deliveries per server CPU-s | server CPU-µs/delivery | lost | duplicated | errors |\n|---|---|---|---|---|---|---|---|---|---|---|\n",
    );
    for g in groups {
        s.push_str(&format!(
            "| {} | {} | {} | {} ({}) | {} / {} | {} | {} | {} | {} | {} | {} |\n",
            label(g.who),
            opt(g.metric("subscribers")),
            opt(g.metric("setup_s")),
            spread(g.spread(|c| c.metrics.get("last_delivery_p50_ms").copied())),
            opt(g.metric("last_delivery_max_ms")),
            opt(g.spread(|c| Some(c.lat.p50 / 1000.0)).map(|s| s.median)),
            opt(g.spread(|c| Some(c.lat.p99 / 1000.0)).map(|s| s.median)),
            spread(g.spread(|c| c.metrics.get("deliveries_per_s").copied())),
            spread(g.spread(|c| c.metrics.get("deliveries_per_cpu_s").copied())),
            spread(g.spread(|c| Some(c.cpu_us_per_op))),
            opt(g.metric("lost")),
            opt(g.metric("duplicated")),
            errors(g),
        ));
    }
    s
}

fn memory(groups: &[Group]) -> String {
    let mut s = String::from(
        "| contestant | sessions / streams | per idle session, RSS B | per idle session, cgroup B | per idle stream (beyond its session), RSS B | per idle stream, cgroup B | session + stream, RSS B | RSS at the end MiB | errors |\n|---|---|---|---|---|---|---|---|---|\n",
    );
    for g in groups {
        s.push_str(&format!(
            "| {} | {} / {} | {} | {} | {} | {} | {} | {} | {} |\n",
            label(g.who),
            opt(g.metric("sessions")),
            opt(g.metric("streams")),
            spread(g.spread(|c| c.metrics.get("session_rss_bytes").copied())),
            spread(g.spread(|c| c.metrics.get("session_cgroup_bytes").copied())),
            spread(g.spread(|c| c.metrics.get("stream_rss_bytes").copied())),
            spread(g.spread(|c| c.metrics.get("stream_cgroup_bytes").copied())),
            spread(g.spread(|c| c.metrics.get("session_and_stream_rss_bytes").copied())),
            opt(g.metric("rss_mib")),
            errors(g),
        ));
    }
    if groups.iter().any(|g| g.who == Who::Ts) {
        s.push_str("- TS SDK: V8 collects garbage whenever it likes, so its deltas include earlier garbage freed meanwhile (a negative stream figure means a collection ran between the samples)\n");
    }
    if groups.iter().any(|g| g.who == Who::Ceiling) {
        s.push_str("- ceiling: keeps no sessions, so its stream figure is what one idle SSE connection costs in tokio, hyper and axum alone (hyper gives every connection an 8 KiB read buffer and an 8 KiB header buffer)\n");
    }
    s
}

fn replay(groups: &[Group]) -> String {
    let mut s = String::from(
        "| contestant | replay MB/s | replay events/s | first replayed event p50 / p99 µs | server CPU-µs per resumption | errors |\n|---|---|---|---|---|---|\n",
    );
    for g in groups {
        s.push_str(&format!(
            "| {} | {} | {} | {} / {} | {} | {} |\n",
            label(g.who),
            spread(g.spread(|c| c.metrics.get("replay_mb_per_s").copied())),
            opt(g.metric("replay_events_per_s")),
            opt(g
                .spread(|c| (c.ops > 0).then_some(c.lat.p50))
                .map(|s| s.median)),
            opt(g
                .spread(|c| (c.ops > 0).then_some(c.lat.p99))
                .map(|s| s.median)),
            spread(g.spread(|c| (c.ops > 0).then_some(c.cpu_us_per_op))),
            errors(g),
        ));
    }
    s
}

fn appends(groups: &[Group]) -> String {
    let mut s = String::from(
        "| contestant | appends/s | payload MB/s | CPU-µs/append (all threads) | CPU % | append p50 / p99 / p99.9 µs | disk bytes per payload byte (`write_bytes`) | `write()` bytes per payload byte | database files at the end, per byte held | errors |\n|---|---|---|---|---|---|---|---|---|---|\n",
    );
    for g in groups {
        let med = |f: fn(&super::Cell) -> f64| g.spread(|c| Some(f(c))).map(|s| s.median);
        s.push_str(&format!(
            "| {} | {} | {} | {} | {} | {} / {} / {} | {} | {} | {} | {} |\n",
            label(g.who),
            spread(g.spread(|c| Some(c.throughput))),
            opt(g.metric("payload_mb_per_s")),
            spread(g.spread(|c| Some(c.cpu_us_per_op))),
            spread(g.spread(|c| Some(c.cpu_pct))),
            opt(med(|c| c.lat.p50)),
            opt(med(|c| c.lat.p99)),
            opt(med(|c| c.lat.p999)),
            spread(g.spread(|c| c.metrics.get("write_amplification").copied())),
            opt(g.metric("syscall_write_amplification")),
            opt(g.metric("file_bytes_per_held_byte")),
            errors(g),
        ));
    }
    s.push_str("- `bench-server append` (no HTTP): each stream awaits its append before the next (for SQLite: until its group commit is done, as a server does before writing the event to the socket); the log's default retention (1000 events per stream), so appends also trim; the whole process pinned to the server CPU, the SQLite writer thread included; disk bytes are the process's `/proc/self/io` `write_bytes` over the measured window\n");
    s
}

fn storm(groups: &[Group]) -> String {
    let mut s = String::from(
        "| contestant | reconnects | all replayed in ms | first replayed event p50 / p99 µs | echo p99 calm → during storm µs | errors |\n|---|---|---|---|---|---|\n",
    );
    for g in groups {
        s.push_str(&format!(
            "| {} | {} | {} | {} / {} | {} → {} | {} |\n",
            label(g.who),
            opt(g.metric("reconnects")),
            spread(g.spread(|c| c.metrics.get("storm_ms").copied())),
            opt(g.spread(|c| Some(c.lat.p50)).map(|s| s.median)),
            opt(g.spread(|c| Some(c.lat.p99)).map(|s| s.median)),
            opt(g.metric("echo_p99_calm_us")),
            opt(g.metric("echo_p99_storm_us")),
            errors(g),
        ));
    }
    s
}

fn webhooks(groups: &[Group]) -> String {
    let mut s = String::from(
        "| contestant | subscriptions | light load: emit → receiver p50 / p99 ms | light load: server CPU-µs/delivery | burst: deliveries/s | burst: deliveries per server CPU-s | burst: server CPU-µs/delivery | burst: p50 / last ms | lost | duplicated | errors |\n|---|---|---|---|---|---|---|---|---|---|---|\n",
    );
    for g in groups {
        s.push_str(&format!(
            "| {} | {} | {} / {} | {} | {} | {} | {} | {} / {} | {} | {} | {} |\n",
            label(g.who),
            opt(g.metric("subscriptions")),
            spread(g.spread(|c| Some(c.lat.p50 / 1000.0))),
            opt(g.spread(|c| Some(c.lat.p99 / 1000.0)).map(|s| s.median)),
            spread(g.spread(|c| c.metrics.get("light_cpu_us_per_delivery").copied())),
            spread(g.spread(|c| Some(c.throughput))),
            spread(g.spread(|c| c.metrics.get("deliveries_per_cpu_s").copied())),
            spread(g.spread(|c| Some(c.cpu_us_per_op))),
            opt(g.metric("burst_p50_ms")),
            opt(g.metric("burst_last_ms")),
            opt(g.metric("lost")),
            opt(g.metric("duplicated")),
            errors(g),
        ));
    }
    s
}

fn polls(groups: &[Group]) -> String {
    let mut s = String::from(
        "| contestant | pollers | polls/s | server CPU-µs/poll | server CPU % | poll p50 / p99 µs | events emitted per s | events per poll | server CPU-µs per event received | errors |\n|---|---|---|---|---|---|---|---|---|---|\n",
    );
    for g in groups {
        s.push_str(&format!(
            "| {} | {} | {} | {} | {} | {} / {} | {} | {} | {} | {} |\n",
            label(g.who),
            opt(g.metric("pollers")),
            spread(g.spread(|c| Some(c.throughput))),
            spread(g.spread(|c| Some(c.cpu_us_per_op))),
            spread(g.spread(|c| Some(c.cpu_pct))),
            opt(g.spread(|c| Some(c.lat.p50)).map(|s| s.median)),
            opt(g.spread(|c| Some(c.lat.p99)).map(|s| s.median)),
            opt(g.metric("emit_rate")),
            opt(g.metric("events_per_poll_measured")),
            opt(g.metric("cpu_us_per_event")),
            errors(g),
        ));
    }
    s
}
