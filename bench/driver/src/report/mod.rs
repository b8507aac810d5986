//! Results on disk (`results/results.json`) and the report made from them: `RESULTS.md`, a
//! table per workload with every contestant, ratios to rmcp and to the ceiling, the targets
//! of issue #5 checked, and `results/chart.svg`.

mod chart;
mod tables;
mod targets;

use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::Result;
use crate::contestants::Who;
use crate::machine::Machine;
use crate::matrix::{Cell, Plan};

/// Everything a run produced.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Results {
    /// Where and when.
    pub machine: Machine,
    /// Sizes and durations.
    pub plan: Plan,
    /// Whether this was a smoke run.
    pub smoke: bool,
    /// Every run.
    pub cells: Vec<Cell>,
    /// Earlier runs some cells were kept from (`matrix --merge`), oldest first.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub earlier: Vec<Machine>,
}

/// The runs of one workload variant by one contestant, summarised over repetitions.
#[derive(Debug, Clone)]
pub struct Group<'a> {
    /// The contestant.
    pub who: Who,
    /// Its runs.
    pub cells: Vec<&'a Cell>,
}

/// Median, minimum and maximum.
#[derive(Debug, Clone, Copy, Default)]
pub struct Spread {
    /// Median.
    pub median: f64,
    /// Minimum.
    pub min: f64,
    /// Maximum.
    pub max: f64,
}

impl Group<'_> {
    /// The spread of one figure over the repetitions.
    pub fn spread(&self, f: impl Fn(&Cell) -> Option<f64>) -> Option<Spread> {
        let mut v: Vec<f64> = self.cells.iter().filter_map(|c| f(c)).collect();
        if v.is_empty() {
            return None;
        }
        v.sort_by(f64::total_cmp);
        Some(Spread {
            median: v[v.len() / 2],
            min: v[0],
            max: v[v.len() - 1],
        })
    }

    /// The median of a workload metric.
    pub fn metric(&self, name: &str) -> Option<f64> {
        self.spread(|c| c.metrics.get(name).copied())
            .map(|s| s.median)
    }

    /// Failures over all repetitions.
    pub fn errors(&self) -> u64 {
        self.cells.iter().map(|c| c.errors).sum()
    }

    /// The first failure message.
    pub fn first_error(&self) -> Option<&str> {
        self.cells.iter().find_map(|c| c.first_error.as_deref())
    }
}

impl Results {
    /// The (workload, variant) pairs in the order they ran.
    pub fn variants(&self) -> Vec<(&str, &str)> {
        let mut seen: Vec<(&str, &str)> = Vec::new();
        for c in &self.cells {
            let key = (c.workload.as_str(), c.variant.as_str());
            if !seen.contains(&key) {
                seen.push(key);
            }
        }
        seen
    }

    /// The runs of one variant, per contestant, in report order.
    pub fn groups(&self, workload: &str, variant: &str) -> Vec<Group<'_>> {
        Who::ALL
            .into_iter()
            .filter_map(|who| {
                let cells: Vec<&Cell> = self
                    .cells
                    .iter()
                    .filter(|c| c.who == who && c.workload == workload && c.variant == variant)
                    .collect();
                (!cells.is_empty()).then_some(Group { who, cells })
            })
            .collect()
    }

    /// One contestant's runs of the variant whose name contains `pattern`.
    pub fn find(&self, workload: &str, pattern: &str, who: Who) -> Option<Group<'_>> {
        let (_, variant) = self
            .variants()
            .into_iter()
            .find(|(w, v)| *w == workload && v.contains(pattern))?;
        self.groups(workload, variant)
            .into_iter()
            .find(|g| g.who == who)
    }
}

/// Writes `results/results.json`, `results/chart.svg` and `RESULTS.md` under `out`.
pub fn write(results: &Results, out: &Path) -> Result<()> {
    std::fs::create_dir_all(out.join("results"))?;
    std::fs::write(
        out.join("results/results.json"),
        serde_json::to_string_pretty(results)?,
    )?;
    render(results, out)
}

/// The order of workloads in the report: the events fan-out (W7) beside the resource
/// fan-out (W4) it is compared with, the other events workloads last.
const ORDER: [&str; 11] = [
    "W1", "W2", "W3", "W4", "W7", "W5", "W6", "storm", "W8", "W9", "W10",
];

/// Adds to `results` the cells of the `results/results.json` under `out` that it does not
/// hold again (same workload, variant and contestant), each tagged with its run, and puts
/// every cell in report order.
pub fn merge_earlier(results: &mut Results, out: &Path) -> Result<()> {
    let path = out.join("results/results.json");
    let earlier: Results = serde_json::from_str(&std::fs::read_to_string(&path)?)?;
    let fresh = |c: &Cell| {
        results
            .cells
            .iter()
            .any(|n| n.workload == c.workload && n.variant == c.variant && n.who == c.who)
    };
    let mut kept: Vec<Cell> = earlier
        .cells
        .iter()
        .filter(|c| !fresh(c))
        .cloned()
        .map(|mut c| {
            c.run.get_or_insert_with(|| earlier.machine.started.clone());
            c
        })
        .collect();
    if kept.is_empty() {
        return Ok(());
    }
    let mut runs = earlier.earlier;
    if kept
        .iter()
        .any(|c| c.run.as_deref() == Some(&earlier.machine.started))
    {
        runs.push(earlier.machine);
    }
    runs.retain(|m| kept.iter().any(|c| c.run.as_deref() == Some(&m.started)));
    results.earlier = runs;
    kept.append(&mut results.cells);
    let rank = |w: &str| ORDER.iter().position(|o| *o == w).unwrap_or(ORDER.len());
    kept.sort_by_key(|c| rank(&c.workload));
    results.cells = kept;
    Ok(())
}

/// Reads a results file and writes the report again.
pub fn rewrite(results: &Path, out: &Path) -> Result<()> {
    let results: Results = serde_json::from_str(&std::fs::read_to_string(results)?)?;
    std::fs::create_dir_all(out.join("results"))?;
    render(&results, out)
}

fn render(results: &Results, out: &Path) -> Result<()> {
    std::fs::write(out.join("results/chart.svg"), chart::svg(results))?;
    let mut md = String::new();
    md.push_str(&header(results));
    md.push_str(&targets::section(results));
    md.push_str(&tables::all(results));
    std::fs::write(out.join("RESULTS.md"), md)?;
    Ok(())
}

fn header(r: &Results) -> String {
    let m = &r.machine;
    let p = &r.plan;
    let mut s = String::from("# Benchmark results\n\n");
    s.push_str("Written by `bench/run` (`bench-driver matrix`); regenerate the report from the raw data with `bench-driver report --results bench/results/results.json --out bench`. Method: `bench/README.md`.\n\n");
    if r.smoke {
        s.push_str("**Smoke run** (tiny sizes, correctness only): the numbers mean nothing.\n\n");
    }
    s.push_str("## Machine and conditions\n\n");
    s.push_str(&format!(
        "- {} × {}, {:.0} GiB, Linux {}; {}\n",
        m.cpus, m.cpu, m.memory_gib, m.kernel, m.rustc
    ));
    let runtimes: Vec<String> = [
        m.node.as_ref().map(|n| format!("Node {n}")),
        m.python.clone(),
    ]
    .into_iter()
    .flatten()
    .collect();
    if !runtimes.is_empty() {
        s.push_str(&format!("- {}\n", runtimes.join("; ")));
    }
    s.push_str(&format!(
        "- {}; every server one worker (tokio 1 worker thread, one Node process, one uvicorn worker), started fresh for every run, loopback only\n",
        if m.pinned {
            "server pinned to CPU 0 (`taskset -c 0`), driver pinned to CPU 1"
        } else {
            "NOT pinned (fewer than 2 CPUs)"
        }
    ));
    s.push_str(&format!(
        "- time-based runs: {} s warm-up (discarded) + {} s measured; {} repetitions; tables show the median and [min–max]\n",
        p.warmup_s, p.duration_s, p.reps
    ));
    s.push_str(&format!(
        "- run from {} to {}; 1-minute load average {:.2} at the start, {:.2} at the end\n",
        m.started, m.finished, m.load_start, m.load_end
    ));
    if let Some(commit) = &m.commit {
        s.push_str(&format!("- commit measured: `{commit}`\n"));
    }
    if let Some(note) = &m.note {
        s.push_str(&format!("- {note}\n"));
    }
    for e in &r.earlier {
        s.push_str(&format!(
            "- rows kept from an earlier run (`matrix --merge`): {} to {}{}{}; a table whose rows come from more than one run says so\n",
            e.started,
            e.finished,
            e.commit
                .as_ref()
                .map(|c| format!(", commit `{c}`"))
                .unwrap_or_default(),
            e.note
                .as_ref()
                .map(|n| format!(" ({n})"))
                .unwrap_or_default(),
        ));
    }
    s.push_str("\n![throughput and p99 latency](results/chart.svg)\n\n");
    s
}
