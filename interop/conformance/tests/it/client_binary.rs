//! The `conformance-client` binary as the suite runs it (a child process, the server URL as
//! its last argument, the scenario, protocol version and context in the environment),
//! against our own server on 127.0.0.1: the version picks the era, `toolCalls` are replayed
//! through a server that checks `Mcp-Param-*` headers, and an unknown scenario does nothing.

use std::process::Command;
use std::sync::{Arc, Mutex};

use serde::Deserialize;
use serde_json::json;
use spate::server::{Args, Context, Server, ToolEntry};
use spate::transport::http::server::{HttpConfig, McpHttp};
use spate_protocol::{Implementation, JsonObject, Tool};

const BIN: &str = env!("CARGO_BIN_EXE_conformance-client");

#[derive(Deserialize, schemars::JsonSchema)]
struct Numbers {
    a: f64,
    b: f64,
}

/// The protocol versions the server's tools were called in.
type Seen = Arc<Mutex<Vec<String>>>;

/// `add_numbers` (records the version of each call) and `regional`, whose `region`
/// argument travels as `Mcp-Param-Region` (the server refuses a call without it).
fn server(seen: Seen) -> Server {
    let schema = json!({"type": "object", "properties": {
        "region": {"type": "string", "x-mcp-header": "Region"}}});
    let regional = Tool {
        name: "regional".into(),
        input_schema: schema.as_object().unwrap().clone(),
        ..Tool::default()
    };
    Server::with_info(
        Implementation::new("binary-test", "1"),
        None,
        Default::default(),
    )
    .tool(
        "add_numbers",
        "adds",
        move |ctx: Context, Args(Numbers { a, b }): Args<Numbers>| {
            let seen = seen.clone();
            async move {
                let version = ctx.protocol_version().map(|v| v.to_string());
                seen.lock().unwrap().push(version.unwrap_or_default());
                Ok(format!("{}", a + b))
            }
        },
    )
    .tool_entry(ToolEntry::with_tool(
        regional,
        |Args(args): Args<JsonObject>| async move { Ok(format!("region {}", args["region"])) },
    ))
}

async fn serve(server: Server) -> String {
    let http = Arc::new(McpHttp::new(server, HttpConfig::default()));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/mcp", listener.local_addr().unwrap());
    tokio::spawn(async move { http.serve(listener).await });
    url
}

/// Runs the binary; returns whether it exited 0, and its stdout and stderr.
async fn run(url: &str, scenario: &str, version: &str, context: Option<&str>) -> (bool, String) {
    let mut command = Command::new(BIN);
    command
        .arg(url)
        .env("MCP_CONFORMANCE_SCENARIO", scenario)
        .env("MCP_CONFORMANCE_PROTOCOL_VERSION", version)
        .env_remove("MCP_CONFORMANCE_CONTEXT");
    if let Some(context) = context {
        command.env("MCP_CONFORMANCE_CONTEXT", context);
    }
    let out = tokio::task::spawn_blocking(move || command.output().expect("run the binary"))
        .await
        .unwrap();
    let text =
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    (out.status.success(), text)
}

#[tokio::test]
async fn the_run_version_picks_the_era() {
    let seen = Seen::default();
    let url = serve(server(seen.clone())).await;
    for version in ["2026-07-28", "2025-11-25", "2025-06-18"] {
        let (ok, output) = run(&url, "tools_call", version, None).await;
        assert!(ok, "{version}: {output}");
    }
    assert_eq!(
        *seen.lock().unwrap(),
        ["2026-07-28", "2025-11-25", "2025-11-25"],
        "2026-07-28 is spoken statelessly; earlier versions run initialize"
    );
}

#[tokio::test]
async fn context_tool_calls_are_replayed_with_their_headers() {
    let url = serve(server(Seen::default())).await;
    let context = json!({"name": "http-custom-headers", "toolCalls": [
        {"name": "regional", "arguments": {"region": "Hello, 世界"}},
        {"name": "regional", "arguments": {"region": null}}
    ]})
    .to_string();
    // The server refuses a call whose Mcp-Param-Region header is missing or wrong (-32020),
    // which would fail the flow.
    let (ok, output) = run(&url, "http-custom-headers", "2026-07-28", Some(&context)).await;
    assert!(ok, "{output}");
    let missing = json!({"toolCalls": [{"name": "nope", "arguments": {}}]}).to_string();
    let (ok, output) = run(&url, "http-custom-headers", "2026-07-28", Some(&missing)).await;
    assert!(!ok, "an unknown tool fails the flow: {output}");
    let (ok, output) = run(&url, "http-custom-headers", "2026-07-28", None).await;
    assert!(
        !ok && output.contains("MCP_CONFORMANCE_CONTEXT"),
        "{output}"
    );
}

#[tokio::test]
async fn an_unknown_scenario_does_nothing_and_succeeds() {
    let (ok, output) = run(
        "http://127.0.0.1:9/mcp",
        "sep-2640-client-no-prefetch",
        "2026-07-28",
        None,
    )
    .await;
    assert!(ok, "{output}");
    assert!(output.contains("not implemented"), "{output}");
}
