//! A `spate serve --listen` child for the CLI's HTTP tests, and running `spate` itself.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};

pub const BIN: &str = env!("CARGO_BIN_EXE_spate");

/// A `spate serve --listen` child, killed on drop.
pub struct Served {
    child: Child,
    /// `http://127.0.0.1:PORT`
    pub origin: String,
}

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts `spate serve --listen 127.0.0.1:0` with `extra` arguments.
pub fn serve(extra: &[&str]) -> Served {
    let mut child = Command::new(BIN)
        .args(["serve", "--listen", "127.0.0.1:0"])
        .args(extra)
        .stderr(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .expect("start spate serve");
    let mut lines = BufReader::new(child.stderr.take().expect("stderr"));
    let mut line = String::new();
    lines.read_line(&mut line).expect("announcement");
    let start = line.find("http://").expect("serve announces its URL");
    let rest = &line[start..];
    let end = rest.find("/mcp").expect("the endpoint is /mcp");
    let origin = rest[..end].to_owned();
    // Keep draining stderr so the server never blocks on a full pipe.
    std::thread::spawn(move || for _ in lines.lines() {});
    Served { child, origin }
}

/// Runs `spate` with `args` and extra environment, stdin closed.
pub fn spate(args: &[&str], env: &[(&str, &str)]) -> std::process::Output {
    Command::new(BIN)
        .args(args)
        .env_remove("SPATE_BEARER_TOKEN")
        .envs(env.iter().copied())
        .output()
        .expect("run spate")
}

/// Bytes as text.
pub fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}
