//! A description of the machine and the software of a run, for RESULTS.md.

use std::process::Command;

use serde::{Deserialize, Serialize};

use crate::contestants::Programs;

/// What ran where.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Machine {
    /// CPU model.
    pub cpu: String,
    /// Logical CPUs.
    pub cpus: usize,
    /// Memory in GiB.
    pub memory_gib: f64,
    /// Kernel release.
    pub kernel: String,
    /// `rustc --version`.
    pub rustc: String,
    /// `node --version`.
    pub node: Option<String>,
    /// `python --version`.
    pub python: Option<String>,
    /// Whether the server and the driver were pinned to separate CPUs.
    pub pinned: bool,
    /// Load average (1 min) when the run started and ended.
    pub load_start: f64,
    /// See `load_start`.
    pub load_end: f64,
    /// When the run started and ended (UTC, RFC 3339).
    pub started: String,
    /// See `started`.
    pub finished: String,
    /// The commit measured (`git describe --always --dirty`), if known.
    #[serde(default)]
    pub commit: Option<String>,
    /// The operator's note on the conditions.
    pub note: Option<String>,
}

fn read(path: &str) -> String {
    std::fs::read_to_string(path).unwrap_or_default()
}

fn version(program: &std::path::Path) -> Option<String> {
    let out = Command::new(program).arg("--version").output().ok()?;
    let text = String::from_utf8_lossy(if out.stdout.is_empty() {
        &out.stderr
    } else {
        &out.stdout
    })
    .trim()
    .to_owned();
    Some(text)
}

fn load() -> f64 {
    read("/proc/loadavg")
        .split_whitespace()
        .next()
        .and_then(|v| v.parse().ok())
        .unwrap_or(0.0)
}

fn now() -> String {
    Command::new("date")
        .args(["-u", "+%Y-%m-%dT%H:%M:%SZ"])
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
        .unwrap_or_default()
}

impl Machine {
    /// Describes this machine now.
    pub fn describe(programs: &Programs, pinned: bool, note: Option<String>) -> Self {
        let cpuinfo = read("/proc/cpuinfo");
        let cpu = cpuinfo
            .lines()
            .find_map(|l| l.strip_prefix("model name"))
            .map(|v| v.trim_start_matches([' ', '\t', ':']).to_owned())
            .unwrap_or_default();
        let memory_gib = read("/proc/meminfo")
            .lines()
            .find_map(|l| l.strip_prefix("MemTotal:"))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
            .map_or(0.0, |kb| kb / 1048576.0);
        Self {
            cpu,
            cpus: cpuinfo
                .lines()
                .filter(|l| l.starts_with("processor"))
                .count(),
            memory_gib,
            kernel: read("/proc/sys/kernel/osrelease").trim().to_owned(),
            rustc: version(std::path::Path::new("rustc")).unwrap_or_default(),
            node: programs.ts.as_ref().and_then(|(node, _)| version(node)),
            python: programs.python.as_ref().and_then(|(py, _)| version(py)),
            pinned,
            load_start: load(),
            load_end: 0.0,
            started: now(),
            finished: String::new(),
            commit: Command::new("git")
                .args(["describe", "--always", "--dirty"])
                .output()
                .ok()
                .filter(|o| o.status.success())
                .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned()),
            note,
        }
    }

    /// Notes the end of the run.
    pub fn finish(&mut self) {
        self.load_end = load();
        self.finished = now();
    }
}
