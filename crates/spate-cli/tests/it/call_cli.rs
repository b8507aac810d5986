//! `spate call` and `spate tools` as a user runs them, against `spate serve --stdio`.

use std::process::Command;

fn spate(args: &[&str]) -> std::process::Output {
    // "SPATE" stands for this very binary, used as the server under test.
    let bin = env!("CARGO_BIN_EXE_spate");
    Command::new(bin)
        .args(args.iter().map(|a| if *a == "SPATE" { bin } else { a }))
        .output()
        .expect("run spate")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[test]
fn call_prints_the_result_and_shows_progress_and_logs_live() {
    let out = spate(&[
        "call",
        "--stdio",
        "--",
        "SPATE",
        "serve",
        "--stdio",
        "calculate",
        "a=10",
        "b=20",
    ]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(text(&out.stdout), "Result: 30\n");

    let out = spate(&[
        "call",
        "--stdio",
        "--",
        "SPATE",
        "serve",
        "--stdio",
        "process_files",
        r#"files=["a","b","c"]"#,
    ]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(
        text(&out.stdout).starts_with("Done: processed 3 files"),
        "{}",
        text(&out.stdout)
    );
    let err = text(&out.stderr);
    for i in 1..=3 {
        assert!(err.contains(&format!("[progress {i}/3]")), "{err}");
        assert!(
            err.contains(&format!("[info] Processing document {i}/3")),
            "{err}"
        );
    }
}

#[test]
fn call_reports_tool_errors_and_unknown_tools() {
    let out = spate(&[
        "call",
        "--stdio",
        "--",
        "SPATE",
        "serve",
        "--stdio",
        "calculate",
        "a=ten",
        "b=1",
    ]);
    assert_eq!(
        out.status.code(),
        Some(1),
        "isError must exit 1: {}",
        text(&out.stdout)
    );
    assert!(text(&out.stdout).contains("Invalid arguments"));
    let out = spate(&["call", "--stdio", "--", "SPATE", "serve", "--stdio", "nope"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("no tool \"nope\""),
        "{}",
        text(&out.stderr)
    );
    let out = spate(&["call", "--", "SPATE", "serve", "--stdio", "calculate"]);
    assert_eq!(
        out.status.code(),
        Some(2),
        "without a transport flag it must say what to do"
    );
}

#[test]
fn tools_lists_the_demo_tools() {
    let out = spate(&["tools", "--stdio", "--", "SPATE", "serve", "--stdio"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let listing = text(&out.stdout);
    assert!(listing.contains("calculate (a, b)"), "{listing}");
    assert!(
        listing.contains("process_files (delay_ms, files)")
            || listing.contains("process_files (files, delay_ms)"),
        "{listing}"
    );
    let out = spate(&[
        "tools", "--stdio", "--json", "--", "SPATE", "serve", "--stdio",
    ]);
    let tools: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(tools[0]["name"], "calculate");
    assert!(tools[0]["outputSchema"].is_object());
}
