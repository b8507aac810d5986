//! The servers under test, how to start each one pinned to the server CPU, and what each
//! supports.

use std::net::{SocketAddr, TcpListener};
use std::os::unix::process::CommandExt;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};

use crate::Result;

/// One contestant.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Who {
    /// Spate's `bench-server`.
    Spate,
    /// The same `bench-server` with `--data-dir`: its event log and sessions on SQLite.
    #[serde(rename = "spate-sqlite")]
    SpateSqlite,
    /// rmcp with `StreamableHttpService` + `LocalSessionManager`.
    Rmcp,
    /// The TypeScript SDK on Node.
    Ts,
    /// The Python SDK under uvicorn.
    Python,
    /// The bare axum JSON-RPC echo.
    Ceiling,
}

impl Who {
    /// Every contestant, in report order.
    pub const ALL: [Who; 6] = [
        Who::Spate,
        Who::SpateSqlite,
        Who::Rmcp,
        Who::Ts,
        Who::Python,
        Who::Ceiling,
    ];

    /// The short name used on the command line.
    pub fn name(self) -> &'static str {
        match self {
            Who::Spate => "spate",
            Who::SpateSqlite => "spate-sqlite",
            Who::Rmcp => "rmcp",
            Who::Ts => "ts",
            Who::Python => "python",
            Who::Ceiling => "ceiling",
        }
    }

    /// Parses a short name.
    pub fn parse(s: &str) -> Option<Who> {
        Who::ALL.into_iter().find(|w| w.name() == s)
    }

    /// The answer framing the server really uses when `wanted` is asked for.
    pub fn mode(self, wanted: &'static str) -> &'static str {
        match self {
            // rmcp answers JSON only in stateless mode; with sessions every answer is SSE.
            Who::Rmcp => "sse",
            _ => wanted,
        }
    }
}

/// Where the servers' programs are.
#[derive(Debug, Clone)]
pub struct Programs {
    /// `bench-server`.
    pub spate: PathBuf,
    /// `bench-rmcp`.
    pub rmcp: Option<PathBuf>,
    /// `bench-ceiling`.
    pub ceiling: Option<PathBuf>,
    /// `node`, and the folder holding `server.mjs` and its `node_modules`.
    pub ts: Option<(PathBuf, PathBuf)>,
    /// The venv's `python`, and `server.py`.
    pub python: Option<(PathBuf, PathBuf)>,
    /// CPU to pin servers to (`None`: no pinning).
    pub cpu: Option<usize>,
}

/// A running server.
#[derive(Debug)]
pub struct Running {
    child: Child,
    /// Where it listens.
    pub addr: SocketAddr,
    /// The SQLite contestant's data directory, removed once the server is stopped.
    data: Option<DataDir>,
}

/// A fresh data directory for one run of the SQLite contestant, on the temporary
/// directory's file system; removed when dropped.
#[derive(Debug)]
pub struct DataDir(PathBuf);

impl DataDir {
    fn new() -> Result<Self> {
        use std::sync::atomic::{AtomicU32, Ordering};
        static NEXT: AtomicU32 = AtomicU32::new(0);
        let dir = std::env::temp_dir().join(format!(
            "spate-bench-{}-{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        ));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir)?;
        Ok(Self(dir))
    }

    /// Its path.
    pub fn path(&self) -> &std::path::Path {
        &self.0
    }
}

impl Drop for DataDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

impl Running {
    /// Its process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Stops it (SIGTERM, then SIGKILL after 2 s) and waits for it.
    pub fn stop(mut self) {
        // SAFETY: plain signal to our own child.
        unsafe {
            libc::kill(self.child.id() as i32, libc::SIGTERM);
        }
        let deadline = Instant::now() + Duration::from_secs(2);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
        drop(self.data.take());
    }
}

impl Programs {
    /// Whether the contestant's program is available.
    pub fn has(&self, who: Who) -> bool {
        match who {
            Who::Spate | Who::SpateSqlite => true,
            Who::Rmcp => self.rmcp.is_some(),
            Who::Ceiling => self.ceiling.is_some(),
            Who::Ts => self.ts.is_some(),
            Who::Python => self.python.is_some(),
        }
    }

    /// Starts a contestant on a free loopback port in `mode` (json|sse) with one worker, and
    /// waits until it accepts connections.
    pub fn start(&self, who: Who, mode: &str) -> Result<Running> {
        let addr = free_port()?;
        let listen = addr.to_string();
        let mut cmd = self.pinned();
        let mut data = None;
        match who {
            Who::Spate => {
                cmd.arg(&self.spate)
                    .args(["--listen", &listen, "--mode", mode, "--workers", "1"]);
            }
            Who::SpateSqlite => {
                let dir = DataDir::new()?;
                cmd.arg(&self.spate)
                    .args(["--listen", &listen, "--mode", mode, "--workers", "1"])
                    .arg("--data-dir")
                    .arg(dir.path());
                data = Some(dir);
            }
            Who::Ceiling => {
                cmd.arg(self.ceiling.as_ref().ok_or("no ceiling binary")?)
                    .args(["--listen", &listen, "--mode", mode, "--workers", "1"]);
            }
            Who::Rmcp => {
                cmd.arg(self.rmcp.as_ref().ok_or("no rmcp binary")?).args([
                    "--listen",
                    &listen,
                    "--workers",
                    "1",
                ]);
            }
            Who::Ts => {
                let (node, dir) = self.ts.as_ref().ok_or("no TypeScript server")?;
                let dir = dir.canonicalize()?;
                cmd.arg(node)
                    .arg(dir.join("server.mjs"))
                    .args(["--listen", &listen, "--mode", mode])
                    .current_dir(&dir)
                    .env("NODE_ENV", "production");
            }
            Who::Python => {
                let (python, script) = self.python.as_ref().ok_or("no Python server")?;
                cmd.arg(python)
                    .arg(script)
                    .args(["--listen", &listen, "--mode", mode]);
            }
        }
        die_with_driver(&mut cmd);
        cmd.stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        let child = cmd.spawn()?;
        let running = Running { child, addr, data };
        let deadline = Instant::now() + Duration::from_secs(30);
        while Instant::now() < deadline {
            if std::net::TcpStream::connect_timeout(&addr, Duration::from_millis(200)).is_ok() {
                return Ok(running);
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        running.stop();
        Err(format!(
            "{} did not start listening on {addr} within 30 s",
            who.name()
        )
        .into())
    }
}

impl Programs {
    /// A command that runs its program on the server CPU (when pinning).
    fn pinned(&self) -> Command {
        match self.cpu {
            Some(cpu) => {
                let mut c = Command::new("taskset");
                c.args(["-c", &cpu.to_string()]);
                c
            }
            None => Command::new("env"),
        }
    }

    /// Runs `bench-server append` (W10) pinned to the server CPU, on the memory log
    /// (`spate`) or on SQLite in a fresh data directory (`spate-sqlite`), and returns the
    /// JSON line it prints.
    pub fn append(
        &self,
        who: Who,
        streams: usize,
        bytes: usize,
        warmup: f64,
        duration: f64,
    ) -> Result<serde_json::Value> {
        let mut cmd = self.pinned();
        cmd.arg(&self.spate).args(["--workers", "1"]);
        let data = match who {
            Who::Spate => None,
            Who::SpateSqlite => Some(DataDir::new()?),
            other => return Err(format!("{} has no event log to append to", other.name()).into()),
        };
        if let Some(dir) = &data {
            cmd.arg("--data-dir").arg(dir.path());
        }
        cmd.arg("append")
            .args(["--streams", &streams.to_string()])
            .args(["--bytes", &bytes.to_string()])
            .args(["--warmup", &warmup.to_string()])
            .args(["--duration", &duration.to_string()]);
        die_with_driver(&mut cmd);
        let out = cmd.stdin(Stdio::null()).output()?;
        drop(data);
        if !out.status.success() {
            return Err(format!(
                "bench-server append: {}: {}",
                out.status,
                String::from_utf8_lossy(&out.stderr).trim()
            )
            .into());
        }
        let line = String::from_utf8_lossy(&out.stdout);
        Ok(serde_json::from_str(line.trim())?)
    }
}

/// The child dies with the driver, however the driver ends.
fn die_with_driver(cmd: &mut Command) {
    // SAFETY: prctl is async-signal-safe and touches only the child being started.
    unsafe {
        cmd.pre_exec(|| {
            libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL);
            Ok(())
        });
    }
}

fn free_port() -> Result<SocketAddr> {
    let l = TcpListener::bind("127.0.0.1:0")?;
    Ok(l.local_addr()?)
}
