//! Launching an MCP server as a child process and talking to it over its stdin/stdout.

use std::collections::BTreeMap;
use std::ffi::OsString;
use std::process::Stdio;
use std::sync::Arc;
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};
use tokio_util::sync::CancellationToken;

use futures_util::future::BoxFuture;

use super::{StdioLimits, from_streams_closable};
use crate::client::{Client, ClientBuilder, ConnectError, Connection};
use crate::engine::Transport;

/// What happens to the child's stderr.
#[derive(Clone, Default)]
pub enum StderrMode {
    /// Passed through to this process's stderr (default).
    #[default]
    Inherit,
    /// Discarded.
    Null,
    /// Each line handed to a function (e.g. to log it).
    Capture(Arc<dyn Fn(String) + Send + Sync>),
}

impl std::fmt::Debug for StderrMode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::Inherit => "Inherit",
            Self::Null => "Null",
            Self::Capture(_) => "Capture",
        })
    }
}

/// How to launch a server.
#[derive(Debug, Clone)]
pub struct StdioCommand {
    /// The program.
    pub program: OsString,
    /// Its arguments.
    pub args: Vec<OsString>,
    /// Extra environment variables (the rest is inherited).
    pub env: BTreeMap<OsString, OsString>,
    /// The child's stderr.
    pub stderr: StderrMode,
    /// Framing limits.
    pub limits: StdioLimits,
    /// How long shutdown waits after closing stdin, and again after SIGTERM (default 2 s each).
    pub shutdown_wait: Duration,
}

impl StdioCommand {
    /// A command from a program and its arguments.
    pub fn new(
        program: impl Into<OsString>,
        args: impl IntoIterator<Item = impl Into<OsString>>,
    ) -> Self {
        Self {
            program: program.into(),
            args: args.into_iter().map(Into::into).collect(),
            env: BTreeMap::new(),
            stderr: StderrMode::Inherit,
            limits: StdioLimits::default(),
            shutdown_wait: Duration::from_secs(2),
        }
    }

    /// Adds an environment variable.
    pub fn env(mut self, key: impl Into<OsString>, value: impl Into<OsString>) -> Self {
        self.env.insert(key.into(), value.into());
        self
    }

    /// Sets what happens to stderr.
    pub fn stderr(mut self, mode: StderrMode) -> Self {
        self.stderr = mode;
        self
    }
}

/// A running server process.
#[derive(Debug)]
pub struct ChildServer {
    child: Child,
    close_stdin: CancellationToken,
    wait: Duration,
}

impl ChildServer {
    /// Spawns the command; returns the process and a transport over its pipes.
    pub fn spawn(command: &StdioCommand) -> std::io::Result<(ChildServer, Transport)> {
        let mut cmd = Command::new(&command.program);
        cmd.args(&command.args)
            .envs(&command.env)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(match command.stderr {
                StderrMode::Inherit => Stdio::inherit(),
                StderrMode::Null => Stdio::null(),
                StderrMode::Capture(_) => Stdio::piped(),
            })
            .kill_on_drop(true);
        let mut child = cmd.spawn()?;
        let stdin = child
            .stdin
            .take()
            .ok_or_else(|| std::io::Error::other("no stdin pipe"))?;
        let stdout = child
            .stdout
            .take()
            .ok_or_else(|| std::io::Error::other("no stdout pipe"))?;
        if let (StderrMode::Capture(sink), Some(stderr)) = (&command.stderr, child.stderr.take()) {
            let sink = sink.clone();
            tokio::spawn(async move {
                let mut lines = BufReader::new(stderr).lines();
                while let Ok(Some(line)) = lines.next_line().await {
                    sink(line);
                }
            });
        }
        let close_stdin = CancellationToken::new();
        let transport = from_streams_closable(stdout, stdin, command.limits, close_stdin.clone());
        Ok((
            ChildServer {
                child,
                close_stdin,
                wait: command.shutdown_wait,
            },
            transport,
        ))
    }

    /// The child's process id, while it runs.
    pub fn id(&self) -> Option<u32> {
        self.child.id()
    }

    /// Stops the server as the spec says: close its stdin, wait; SIGTERM (Unix), wait; SIGKILL.
    /// Returns how it ended.
    pub async fn shutdown(mut self) -> std::io::Result<std::process::ExitStatus> {
        self.close_stdin.cancel();
        if let Ok(status) = tokio::time::timeout(self.wait, self.child.wait()).await {
            return status;
        }
        #[cfg(unix)]
        if let Some(pid) = self.child.id().and_then(|p| i32::try_from(p).ok()) {
            // SAFETY: kill(2) with a pid we own and a valid signal number has no memory effects.
            #[allow(unsafe_code)] // the crate's one unsafe call: tokio has no SIGTERM for a child
            unsafe {
                libc::kill(pid, libc::SIGTERM);
            }
            if let Ok(status) = tokio::time::timeout(self.wait, self.child.wait()).await {
                return status;
            }
        }
        self.child.kill().await?;
        self.child.wait().await
    }
}

impl Connection for ChildServer {
    fn close(self: Box<Self>) -> BoxFuture<'static, ()> {
        Box::pin(async move {
            let _ = self.shutdown().await;
        })
    }

    fn as_any(&self) -> &dyn std::any::Any {
        self
    }
}

impl ClientBuilder {
    /// Launches a server process and connects to it over stdio.
    pub async fn connect_stdio(self, command: StdioCommand) -> Result<Client, ConnectError> {
        let (child, transport) = ChildServer::spawn(&command)?;
        self.establish(transport, Some(Box::new(child))).await
    }
}
