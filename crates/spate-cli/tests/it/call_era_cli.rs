//! `spate call` and `spate tools` pick the protocol era themselves (`--era auto`, probing
//! with `server/discover`) or as told (`--era legacy|modern`), against a real dual-era
//! `spate serve` child over HTTP (`--listen 127.0.0.1:0`) and over stdio. The era in use is
//! read from the client's debug log (`SPATE_LOG`).

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};

const BIN: &str = env!("CARGO_BIN_EXE_spate");

/// A `spate serve --listen` child, killed on drop.
struct Served {
    child: Child,
    url: String,
}

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn serve() -> Served {
    let mut child = Command::new(BIN)
        .args(["serve", "--listen", "127.0.0.1:0"])
        .stderr(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .expect("start spate serve");
    let mut lines = BufReader::new(child.stderr.take().expect("stderr"));
    let mut line = String::new();
    lines.read_line(&mut line).expect("announcement");
    let start = line.find("http://").expect("serve announces its URL");
    let url = line[start..].split_whitespace().next().unwrap().to_owned();
    std::thread::spawn(move || for _ in lines.lines() {});
    Served { child, url }
}

/// Runs `spate` with the client's connection log on; returns (status ok, stdout, stderr).
fn spate(args: &[&str]) -> (bool, String, String) {
    let out = Command::new(BIN)
        .args(args)
        .env("SPATE_LOG", "spate::client=debug")
        .env_remove("SPATE_BEARER_TOKEN")
        .output()
        .expect("run spate");
    let text = |b: &[u8]| String::from_utf8_lossy(b).into_owned();
    (out.status.success(), text(&out.stdout), text(&out.stderr))
}

#[test]
fn the_era_is_probed_or_forced_over_http() {
    let server = serve();
    for (era, version) in [
        (None, "protocol 2026-07-28 (Modern era)"),
        (Some("auto"), "protocol 2026-07-28 (Modern era)"),
        (Some("modern"), "protocol 2026-07-28 (Modern era)"),
        (Some("legacy"), "protocol 2025-11-25 (Legacy era)"),
    ] {
        let mut args = vec!["call"];
        if let Some(era) = era {
            args.extend(["--era", era]);
        }
        args.extend([server.url.as_str(), "process_files", r#"files=["a","b"]"#]);
        let (ok, stdout, stderr) = spate(&args);
        assert!(ok, "{era:?}: {stderr}");
        assert!(stdout.starts_with("Done: processed 2 files"), "{stdout}");
        assert!(stderr.contains(version), "{era:?}: {stderr}");
        // Progress and logs are shown in both eras (2026-07-28 sends logs only when asked).
        assert!(stderr.contains("[progress 2/2]"), "{era:?}: {stderr}");
        assert!(
            stderr.contains("[info] Processing document 2/2"),
            "{era:?}: {stderr}"
        );

        let mut args = vec!["tools"];
        if let Some(era) = era {
            args.extend(["--era", era]);
        }
        args.push(server.url.as_str());
        let (ok, stdout, stderr) = spate(&args);
        assert!(ok, "{era:?}: {stderr}");
        assert!(stdout.contains("calculate (a, b)"), "{stdout}");
        assert!(stderr.contains(version), "{era:?}: {stderr}");
    }
}

#[test]
fn the_era_is_probed_or_forced_over_stdio() {
    for (era, version) in [("auto", "2026-07-28"), ("legacy", "2025-11-25")] {
        let (ok, stdout, stderr) = spate(&[
            "call",
            "--era",
            era,
            "--stdio",
            "--",
            BIN,
            "serve",
            "--stdio",
            "calculate",
            "a=1",
            "b=2",
        ]);
        assert!(ok, "{era}: {stderr}");
        assert_eq!(stdout, "Result: 3\n");
        assert!(
            stderr.contains(&format!("protocol {version}")),
            "{era}: {stderr}"
        );
    }
}

#[test]
fn the_old_sse_transport_has_no_modern_era() {
    let server = serve();
    let sse = server.url.replace("/mcp", "/sse");
    let (ok, _, stderr) = spate(&["tools", "--sse", "--era", "modern", &sse]);
    assert!(!ok);
    assert!(stderr.contains("cannot speak --era modern"), "{stderr}");
    let (ok, stdout, stderr) = spate(&["tools", "--sse", &sse]);
    assert!(ok, "{stderr}");
    assert!(stdout.contains("calculate"), "{stdout}");
    assert!(stderr.contains("protocol 2025-11-25"), "{stderr}");
}
