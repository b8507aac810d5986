//! `bench-driver`: the load driver and report writer of Spate's benchmark (bench/README.md).
//!
//! ```text
//! bench-driver matrix --spate target/release/bench-server [--rmcp …] [--ceiling …] \
//!     [--node node --ts-dir DIR] [--python PY --py-server server.py] --out bench
//! bench-driver matrix --smoke --spate target/debug/bench-server --out target/bench/smoke
//! bench-driver matrix --spate … --contestants spate --workloads W4,W7,W8,W9 --merge --out bench
//! bench-driver report --results bench/results/results.json --out bench
//! ```

mod contestants;
mod http1;
mod machine;
mod matrix;
mod mcp;
mod proc;
mod receiver;
mod report;
mod sse;
mod stats;
mod workloads;

use std::path::PathBuf;

use clap::{Parser, Subcommand};

use contestants::{Programs, Who};
use matrix::Plan;

/// Any error, boxed.
pub type BoxError = Box<dyn std::error::Error + Send + Sync>;
/// The driver's result type.
pub type Result<T> = std::result::Result<T, BoxError>;

#[derive(Debug, Parser)]
#[command(about = "Load driver and report writer of Spate's MCP benchmark")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Runs the matrix and writes results.json, RESULTS.md and chart.svg.
    Matrix(Box<MatrixArgs>),
    /// Writes RESULTS.md and chart.svg again from a results.json.
    Report {
        /// The results file.
        #[arg(long)]
        results: PathBuf,
        /// Folder for RESULTS.md and results/chart.svg.
        #[arg(long)]
        out: PathBuf,
    },
}

#[derive(Debug, clap::Args)]
struct MatrixArgs {
    /// Tiny sizes, Spate only unless told otherwise; exits non-zero on any error.
    #[arg(long)]
    smoke: bool,
    /// Contestants to run (spate,rmcp,ts,python,ceiling); default: all that are given.
    #[arg(long, value_delimiter = ',')]
    contestants: Vec<String>,
    /// Workloads to run (W1,…,W9,storm); default: all.
    #[arg(long, value_delimiter = ',')]
    workloads: Vec<String>,
    /// Only the variants whose description contains this text.
    #[arg(long)]
    only: Option<String>,
    /// Warm-up seconds per time-based run.
    #[arg(long, default_value_t = 2.0)]
    warmup: f64,
    /// Measured seconds per time-based run.
    #[arg(long, default_value_t = 5.0)]
    duration: f64,
    /// Repetitions of every run.
    #[arg(long, default_value_t = 3)]
    reps: u32,
    /// W4 and W7 subscribers.
    #[arg(long)]
    fanout_n: Option<usize>,
    /// Keep the cells of the results.json already under `--out` that this run does not
    /// produce again (same workload, variant and contestant), so a partial run adds to the
    /// report instead of replacing it; the report says which run each table's rows are from.
    #[arg(long)]
    merge: bool,
    /// `bench-server` (Spate).
    #[arg(long)]
    spate: PathBuf,
    /// `bench-rmcp`.
    #[arg(long)]
    rmcp: Option<PathBuf>,
    /// `bench-ceiling`.
    #[arg(long)]
    ceiling: Option<PathBuf>,
    /// `node`.
    #[arg(long)]
    node: Option<PathBuf>,
    /// Folder with the TypeScript server's `server.mjs` and `node_modules`.
    #[arg(long)]
    ts_dir: Option<PathBuf>,
    /// The Python venv's `python`.
    #[arg(long)]
    python: Option<PathBuf>,
    /// The Python server's `server.py`.
    #[arg(long)]
    py_server: Option<PathBuf>,
    /// CPU the servers are pinned to.
    #[arg(long, default_value_t = 0)]
    server_cpu: usize,
    /// CPU the driver is pinned to.
    #[arg(long, default_value_t = 1)]
    driver_cpu: usize,
    /// A line about the conditions of the run, for RESULTS.md.
    #[arg(long)]
    note: Option<String>,
    /// Folder for RESULTS.md and results/ (results.json, chart.svg).
    #[arg(long)]
    out: PathBuf,
}

fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Matrix(args) => matrix_main(*args),
        Command::Report { results, out } => match report::rewrite(&results, &out) {
            Ok(()) => std::process::ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("bench-driver report: {e}");
                std::process::ExitCode::FAILURE
            }
        },
    }
}

fn matrix_main(args: MatrixArgs) -> std::process::ExitCode {
    let cpus = std::thread::available_parallelism().map_or(1, |n| n.get());
    let pinned = cpus >= 2 && proc::pin_to(args.driver_cpu);
    let programs = Programs {
        spate: args.spate.clone(),
        rmcp: args.rmcp.clone(),
        ceiling: args.ceiling.clone(),
        ts: args.node.clone().zip(args.ts_dir.clone()),
        python: args.python.clone().zip(args.py_server.clone()),
        cpu: pinned.then_some(args.server_cpu),
    };
    let mut plan = if args.smoke {
        Plan::smoke()
    } else {
        Plan::full(args.warmup, args.duration, args.reps)
    };
    if let Some(n) = args.fanout_n {
        plan.fanout_n = n;
    }
    let wanted: Vec<Who> = if args.contestants.is_empty() {
        Who::ALL.into_iter().filter(|w| programs.has(*w)).collect()
    } else {
        args.contestants
            .iter()
            .filter_map(|s| Who::parse(s))
            .collect()
    };
    let specs: Vec<_> = plan
        .specs()
        .into_iter()
        .filter(|s| {
            args.workloads.is_empty()
                || args
                    .workloads
                    .iter()
                    .any(|w| w.eq_ignore_ascii_case(s.workload))
        })
        .filter(|s| args.only.as_deref().is_none_or(|o| s.variant.contains(o)))
        .collect();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a tokio runtime");
    let mut machine = machine::Machine::describe(&programs, pinned, args.note.clone());
    let mut cells = Vec::new();
    let (mut passed, mut failed) = (0u32, 0u32);
    for rep in 1..=plan.reps {
        for spec in &specs {
            for who in spec
                .who
                .iter()
                .copied()
                .filter(|w| wanted.contains(w) && programs.has(*w))
            {
                let cell = runtime.block_on(matrix::run_one(&programs, &plan, spec, who, rep));
                let verdict = if cell.errors == 0 { "ok" } else { "FAILED" };
                eprintln!(
                    "[rep {rep}] {} {} | {:<7} {:>10.0} op/s {:>9.1} CPU-µs/op p99 {:>9.0} µs errors {} {verdict}{}",
                    spec.workload,
                    spec.variant,
                    who.name(),
                    cell.throughput,
                    cell.cpu_us_per_op,
                    cell.lat.p99,
                    cell.errors,
                    cell.first_error
                        .as_deref()
                        .map(|e| format!(" ({e})"))
                        .unwrap_or_default(),
                );
                if cell.errors == 0 {
                    passed += 1;
                } else {
                    failed += 1;
                }
                cells.push(cell);
            }
        }
    }
    machine.finish();
    for cell in &mut cells {
        cell.run = Some(machine.started.clone());
    }
    let mut results = report::Results {
        machine,
        plan,
        smoke: args.smoke,
        cells,
        earlier: Vec::new(),
    };
    if args.merge {
        if let Err(e) = report::merge_earlier(&mut results, &args.out) {
            eprintln!("bench-driver: merging the earlier results: {e}");
            return std::process::ExitCode::FAILURE;
        }
    }
    if let Err(e) = report::write(&results, &args.out) {
        eprintln!("bench-driver: writing the report: {e}");
        return std::process::ExitCode::FAILURE;
    }
    println!("{passed} passed, {failed} failed");
    if failed == 0 || !args.smoke {
        std::process::ExitCode::SUCCESS
    } else {
        std::process::ExitCode::FAILURE
    }
}
