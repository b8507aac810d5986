//! `spate watch` as a user runs it, against a real `spate serve` child: the demo server's
//! `demo://clock` resource changes every 5 s, and each era's way of subscribing (2026-07-28
//! `subscriptions/listen`, legacy `resources/subscribe` over Streamable HTTP, HTTP+SSE and
//! stdio) must print that update.

use crate::served::{BIN, serve, spate, text};

/// `spate watch TARGET… --resource demo://clock --count 1`, options after the URL as the
/// README writes it.
fn watch_clock(target: &[&str]) -> std::process::Output {
    let mut args = vec!["watch"];
    args.extend_from_slice(target);
    args.extend_from_slice(&["--resource", "demo://clock", "--count", "1"]);
    spate(&args, &[])
}

fn assert_clock_update(out: &std::process::Output) {
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(text(&out.stdout), "resources/updated demo://clock\n");
}

#[test]
fn watch_over_a_listen_stream() {
    let server = serve(&[]);
    let url = format!("{}/mcp", server.origin);
    assert_clock_update(&watch_clock(&["--era", "modern", &url]));
}

#[test]
fn watch_over_a_legacy_session() {
    let server = serve(&[]);
    let url = format!("{}/mcp", server.origin);
    assert_clock_update(&watch_clock(&["--era", "legacy", &url]));
}

#[test]
fn watch_over_http_sse() {
    let server = serve(&[]);
    let url = format!("{}/sse", server.origin);
    assert_clock_update(&watch_clock(&["--sse", &url]));
}

#[test]
fn watch_over_stdio_as_json() {
    let out = spate(
        &[
            "watch",
            "--json",
            "--resource",
            "demo://clock",
            "--count",
            "1",
            "--stdio",
            "--",
            BIN,
            "serve",
            "--stdio",
        ],
        &[],
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    let line: serde_json::Value = serde_json::from_slice(&out.stdout).expect("one JSON line");
    assert_eq!(line["method"], "notifications/resources/updated");
    assert_eq!(line["params"]["uri"], "demo://clock");
}

#[test]
fn watching_a_server_that_is_gone_fails_clearly() {
    let server = serve(&[]);
    let url = format!("{}/mcp", server.origin);
    drop(server);
    let out = watch_clock(&[&url]);
    assert!(!out.status.success(), "{}", text(&out.stdout));
    assert!(
        text(&out.stderr).contains("could not connect"),
        "{}",
        text(&out.stderr)
    );
}
