//! Latency histograms (HDR, nanoseconds, 3 significant digits) and their summaries.

use std::time::Duration;

use hdrhistogram::Histogram;
use serde::{Deserialize, Serialize};

/// A latency histogram.
#[derive(Debug, Clone)]
pub struct Lat(Histogram<u64>);

impl Default for Lat {
    fn default() -> Self {
        Self(Histogram::new_with_bounds(1, 120_000_000_000, 3).expect("valid bounds"))
    }
}

impl Lat {
    /// Records one latency.
    pub fn record(&mut self, d: Duration) {
        let ns = u64::try_from(d.as_nanos()).unwrap_or(u64::MAX).max(1);
        self.0.saturating_record(ns);
    }

    /// Adds another histogram's samples.
    pub fn merge(&mut self, other: &Lat) {
        let _ = self.0.add(&other.0);
    }

    /// Samples recorded.
    pub fn count(&self) -> u64 {
        self.0.len()
    }

    /// The percentiles, in microseconds.
    pub fn summary(&self) -> Percentiles {
        let us = |q: f64| self.0.value_at_quantile(q) as f64 / 1000.0;
        if self.0.is_empty() {
            return Percentiles::default();
        }
        Percentiles {
            p50: us(0.50),
            p90: us(0.90),
            p99: us(0.99),
            p999: us(0.999),
            max: self.0.max() as f64 / 1000.0,
        }
    }
}

/// Latency percentiles in microseconds.
#[derive(Debug, Clone, Copy, Default, Serialize, Deserialize, PartialEq)]
pub struct Percentiles {
    /// Median.
    pub p50: f64,
    /// 90th percentile.
    pub p90: f64,
    /// 99th percentile.
    pub p99: f64,
    /// 99.9th percentile.
    pub p999: f64,
    /// Largest sample.
    pub max: f64,
}
