//! The targets of issue #5, checked against the results (ratios from one run's medians).

use super::Results;
use crate::contestants::Who;

struct Check {
    target: String,
    measured: String,
    met: Option<bool>,
}

fn cpu(r: &Results, workload: &str, pattern: &str, who: Who) -> Option<f64> {
    let g = r.find(workload, pattern, who)?;
    (g.errors() == 0)
        .then(|| g.spread(|c| Some(c.cpu_us_per_op)))?
        .map(|s| s.median)
}

fn tput(r: &Results, workload: &str, pattern: &str, who: Who) -> Option<f64> {
    let g = r.find(workload, pattern, who)?;
    (g.errors() == 0)
        .then(|| g.spread(|c| Some(c.throughput)))?
        .map(|s| s.median)
}

fn metric(r: &Results, workload: &str, pattern: &str, who: Who, name: &str) -> Option<f64> {
    let g = r.find(workload, pattern, who)?;
    (g.errors() == 0).then(|| g.metric(name))?
}

fn at_most(target: impl Into<String>, value: Option<f64>, limit: Option<f64>, unit: &str) -> Check {
    Check {
        target: target.into(),
        measured: match (value, limit) {
            (Some(v), Some(l)) => format!("{v:.2}{unit} (limit {l:.2}{unit})"),
            (Some(v), None) => format!("{v:.2}{unit} (no reference)"),
            _ => "not measured (missing or failed run)".into(),
        },
        met: value.zip(limit).map(|(v, l)| v <= l),
    }
}

fn at_least(
    target: impl Into<String>,
    value: Option<f64>,
    limit: Option<f64>,
    unit: &str,
) -> Check {
    let mut c = at_most(target, value, limit, unit);
    c.met = value.zip(limit).map(|(v, l)| v >= l);
    c
}

/// Adds what the ceiling measured in the same run, where a target is bounded by the machine
/// more than by the server (W4: one wake-up and one socket write per subscriber).
fn beside_ceiling(mut check: Check, ceiling: Option<f64>, unit: &str) -> Check {
    if let Some(c) = ceiling {
        check.measured.push_str(&format!("; ceiling {c:.2}{unit}"));
    }
    check
}

/// The section: one line per target, met or missed.
pub fn section(r: &Results) -> String {
    let many = format!("c={}", r.plan.many);
    let json = format!("JSON answers, {many}");
    let sse = format!("SSE answers, {many}");
    let half = |v: Option<f64>| v.map(|v| v / 2.0);
    let mut checks = vec![
        at_most(
            "W1 JSON: server CPU per call ≤ ½ of rmcp's",
            cpu(r, "W1", &json, Who::Spate),
            half(cpu(r, "W1", &json, Who::Rmcp)),
            " µs",
        ),
        at_most(
            "W1 SSE: server CPU per call ≤ ½ of rmcp's",
            cpu(r, "W1", &sse, Who::Spate),
            half(cpu(r, "W1", &sse, Who::Rmcp)),
            " µs",
        ),
        at_least(
            "W1 JSON: throughput ≥ 50 % of the ceiling",
            tput(r, "W1", &json, Who::Spate),
            half(tput(r, "W1", &json, Who::Ceiling)),
            " op/s",
        ),
        at_least(
            "W1 SSE: throughput ≥ 50 % of the (one-event SSE) ceiling",
            tput(r, "W1", &sse, Who::Spate),
            half(tput(r, "W1", &sse, Who::Ceiling)),
            " op/s",
        ),
        at_most(
            "W2: server CPU per bump call ≤ ⅓ of rmcp's",
            cpu(r, "W2", "bump", Who::Spate),
            cpu(r, "W2", "bump", Who::Rmcp).map(|v| v / 3.0),
            " µs",
        ),
        at_most(
            "W3: server CPU per churn cycle ≤ ½ of rmcp's",
            cpu(r, "W3", "churn", Who::Spate),
            half(cpu(r, "W3", "churn", Who::Rmcp)),
            " µs",
        ),
        at_most(
            "W3: memory returned after DELETE (RSS growth over the run ≤ 2 MiB)",
            metric(r, "W3", "churn", Who::Spate, "rss_after_mib")
                .zip(metric(r, "W3", "churn", Who::Spate, "rss_before_mib"))
                .map(|(a, b)| a - b),
            Some(2.0),
            " MiB",
        ),
    ];
    for (style, pattern) in [("legacy GET", "GET streams"), ("listen", "listen")] {
        let subs = metric(r, "W4", pattern, Who::Spate, "subscribers");
        checks.push(Check {
            target: format!("W4 {style}: 10 000 subscribers served"),
            measured: subs.map_or("not measured".into(), |s| format!("{s:.0}")),
            met: subs.map(|s| s >= 10_000.0),
        });
        let last = "last_delivery_p50_ms";
        checks.push(beside_ceiling(
            at_most(
                format!("W4 {style}: last delivery ≤ 50 ms"),
                metric(r, "W4", pattern, Who::Spate, last),
                Some(50.0),
                " ms",
            ),
            metric(r, "W4", pattern, Who::Ceiling, last),
            " ms",
        ));
        let rate = "deliveries_per_cpu_s";
        checks.push(beside_ceiling(
            at_least(
                format!("W4 {style}: ≥ 100 k deliveries per server CPU-second"),
                metric(r, "W4", pattern, Who::Spate, rate),
                Some(100_000.0),
                "",
            ),
            metric(r, "W4", pattern, Who::Ceiling, rate),
            "",
        ));
    }
    checks.push(at_most(
        "W5: ≤ 4 KiB per idle session (cgroup; RSS if no cgroup)",
        metric(r, "W5", "idle", Who::Spate, "session_cgroup_bytes")
            .or_else(|| metric(r, "W5", "idle", Who::Spate, "session_rss_bytes")),
        Some(4096.0),
        " B",
    ));
    let stream = |who| {
        metric(r, "W5", "idle", who, "stream_cgroup_bytes")
            .or_else(|| metric(r, "W5", "idle", who, "stream_rss_bytes"))
    };
    checks.push(beside_ceiling(
        at_most(
            "W5: ≤ 8 KiB per idle SSE stream (beyond its session; cgroup)",
            stream(Who::Spate),
            Some(8192.0),
            " B",
        ),
        stream(Who::Ceiling),
        " B",
    ));
    checks.push(at_least(
        "W6: replay ≥ 200 MB/s (10 000 B events)",
        metric(r, "W6", "10000 B", Who::Spate, "replay_mb_per_s"),
        Some(200.0),
        " MB/s",
    ));
    checks.push(at_most(
        "W6: first replayed event < 1 ms (100 B events)",
        metric(r, "W6", "of 100 B", Who::Spate, "first_event_p50_us").map(|v| v / 1000.0),
        Some(1.0),
        " ms",
    ));
    for (name, who) in [("TS SDK", Who::Ts), ("Python SDK", Who::Python)] {
        for (w, pattern, what) in [
            ("W1", json.as_str(), "W1 JSON"),
            ("W1", sse.as_str(), "W1 SSE"),
            ("W2", "bump", "W2"),
            ("W3", "churn", "W3"),
        ] {
            let target = format!("{what}: ≥ 10× the {name} (server CPU per op)");
            let ratio = cpu(r, w, pattern, who)
                .zip(cpu(r, w, pattern, Who::Spate))
                .map(|(o, s)| o / s);
            checks.push(at_least(target, ratio, Some(10.0), "×"));
        }
    }
    let mut s = String::from(
        "## Targets (issue #5)\n\n| target | measured (Spate, medians) | |\n|---|---|---|\n",
    );
    lines(&mut s, &checks);
    s.push_str(
        "## Targets of durable state (issue #23)\n\n| target | measured (Spate on SQLite, medians) | |\n|---|---|---|\n",
    );
    lines(&mut s, &durable(r));
    s
}

/// Issue #23's targets: the SQLite contestant beside the memory one of the same run.
fn durable(r: &Results) -> Vec<Check> {
    let sqlite = Who::SpateSqlite;
    let most = r
        .plan
        .append_streams
        .iter()
        .max()
        .map(|n| format!("from {n} concurrent"));
    let most = most.as_deref().unwrap_or("concurrent");
    let mut checks = vec![
        at_least(
            "W10: ≥ 100 000 durable appends/s of ≤ 1 KB events (group commit)",
            tput(r, "W10", most, sqlite),
            Some(100_000.0),
            " /s",
        ),
        at_most(
            "W2: server CPU per bump call on SQLite ≤ 1.3× the memory backend's",
            cpu(r, "W2", "bump", sqlite),
            cpu(r, "W2", "bump", Who::Spate).map(|v| v * 1.3),
            " µs",
        ),
    ];
    for (pattern, what) in [("10000 B", "10 000 B"), ("of 100 B", "100 B")] {
        checks.push(beside_memory(
            at_least(
                format!("W6: replay from SQLite ≥ 200 MB/s ({what} events)"),
                metric(r, "W6", pattern, sqlite, "replay_mb_per_s"),
                Some(200.0),
                " MB/s",
            ),
            metric(r, "W6", pattern, Who::Spate, "replay_mb_per_s"),
            " MB/s",
        ));
    }
    let amp = metric(r, "W10", most, sqlite, "write_amplification");
    checks.push(Check {
        target: "W10: write amplification reported (disk bytes per event byte)".into(),
        measured: amp.map_or("not measured".into(), |a| format!("{a:.2}×")),
        met: None,
    });
    checks
}

/// Adds the memory backend's figure of the same run.
fn beside_memory(mut check: Check, memory: Option<f64>, unit: &str) -> Check {
    if let Some(m) = memory {
        check.measured.push_str(&format!("; memory {m:.2}{unit}"));
    }
    check
}

fn lines(s: &mut String, checks: &[Check]) {
    for c in checks {
        let verdict = match c.met {
            Some(true) => "met",
            Some(false) => "**missed**",
            None => "–",
        };
        s.push_str(&format!(
            "| {} | {} | {} |\n",
            c.target, c.measured, verdict
        ));
    }
    s.push('\n');
}
