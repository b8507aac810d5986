//! The workloads. Each measures one thing against a running server and returns an
//! [`Outcome`]; the matrix turns outcomes into result cells.

pub mod fanout;
pub mod memory;
pub mod poll;
pub mod resume;
pub mod steady;
pub mod webhook;

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use crate::mcp::Target;
use crate::proc::Probe;
use crate::stats::Lat;

/// What every workload gets.
#[derive(Debug, Clone)]
pub struct Ctx {
    /// The server.
    pub target: Arc<Target>,
    /// Its process.
    pub probe: Probe,
    /// Load before measuring (discarded).
    pub warmup: Duration,
    /// Measured time of time-based workloads.
    pub duration: Duration,
}

/// What a workload measured.
#[derive(Debug, Default)]
pub struct Outcome {
    /// Operations completed and checked in the measured window.
    pub ops: u64,
    /// Operations that failed (wrong answer, HTTP error, lost or duplicated event, …).
    pub errors: u64,
    /// The first failure, for the report.
    pub first_error: Option<String>,
    /// Length of the measured window in seconds.
    pub secs: f64,
    /// Server CPU time in the window, in nanoseconds.
    pub cpu_ns: u64,
    /// Per-operation latency.
    pub lat: Lat,
    /// Latency percentiles measured elsewhere (W10's own process), reported instead of `lat`.
    pub lat_override: Option<crate::stats::Percentiles>,
    /// Workload-specific figures (names carry their unit).
    pub metrics: BTreeMap<String, f64>,
}

impl Outcome {
    /// Counts a failure, keeping the first message.
    pub fn fail(&mut self, error: impl std::fmt::Display) {
        self.errors += 1;
        if self.first_error.is_none() {
            self.first_error = Some(error.to_string());
        }
    }

    /// Adds a figure.
    pub fn metric(&mut self, name: &str, value: f64) {
        self.metrics.insert(name.to_owned(), value);
    }
}
