//! `spate call` and `spate tools` over HTTP as a user runs them, against a real
//! `spate serve --listen 127.0.0.1:0` child process: Streamable HTTP, the old HTTP+SSE
//! transport (`--sse`), and bearer tokens.

use crate::served::{serve, spate, text};

#[test]
fn call_over_streamable_http_shows_the_result_progress_and_logs() {
    let server = serve(&[]);
    let url = format!("{}/mcp", server.origin);
    let out = spate(&["call", &url, "calculate", "a=10", "b=20"], &[]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(text(&out.stdout), "Result: 30\n");

    let out = spate(
        &[
            "call",
            &url,
            "process_files",
            r#"files=["a","b","c"]"#,
            "delay_ms=20",
        ],
        &[],
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(text(&out.stdout).starts_with("Done: processed 3 files"));
    let err = text(&out.stderr);
    for i in 1..=3 {
        assert!(err.contains(&format!("[progress {i}/3]")), "{err}");
        assert!(
            err.contains(&format!("[info] Processing document {i}/3")),
            "{err}"
        );
    }

    let out = spate(&["tools", &url], &[]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let listed = text(&out.stdout);
    for tool in [
        "calculate (a, b)",
        "process_files",
        "ask_model",
        "confirm_action",
    ] {
        assert!(listed.contains(tool), "{listed}");
    }
}

#[test]
fn sse_flag_speaks_the_old_transport() {
    let server = serve(&[]);
    let url = format!("{}/sse", server.origin);
    let out = spate(&["call", "--sse", &url, "calculate", "a=1", "b=2"], &[]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(text(&out.stdout), "Result: 3\n");
    // Without --sse the SSE endpoint refuses the POST and the client falls back by itself.
    let out = spate(&["call", &url, "calculate", "a=2", "b=2"], &[]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(text(&out.stdout), "Result: 4\n");
}

#[test]
fn bearer_tokens_come_from_the_flag_or_the_environment() {
    let server = serve(&["--bearer-token", "s3cret"]);
    let url = format!("{}/mcp", server.origin);
    let refused = spate(&["call", &url, "calculate", "a=1", "b=1"], &[]);
    assert_eq!(refused.status.code(), Some(2));
    assert!(
        text(&refused.stderr).contains("401"),
        "{}",
        text(&refused.stderr)
    );

    let flag = spate(
        &[
            "call",
            "--bearer-token",
            "s3cret",
            &url,
            "calculate",
            "a=1",
            "b=1",
        ],
        &[],
    );
    assert!(flag.status.success(), "{}", text(&flag.stderr));
    assert_eq!(text(&flag.stdout), "Result: 2\n");

    let env = spate(
        &["call", &url, "calculate", "a=2", "b=3"],
        &[("SPATE_BEARER_TOKEN", "s3cret")],
    );
    assert!(env.status.success(), "{}", text(&env.stderr));
    assert_eq!(text(&env.stdout), "Result: 5\n");
}

#[test]
fn a_word_that_is_not_a_url_is_refused_clearly() {
    let out = spate(&["call", "localhost:1", "calculate", "a=1"], &[]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("not an http(s) URL"));
    let out = spate(&["tools", "http://127.0.0.1:1/mcp", "extra"], &[]);
    assert_eq!(out.status.code(), Some(2));
}
