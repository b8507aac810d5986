//! Our client with `EraChoice::Auto` against official peers over HTTP: a Python SDK 2.x
//! server (`interop/python/modern_http_server.py`, dual-era) is spoken to in 2026-07-28 —
//! tools, resources, prompts, an `input_required` round, logs at the level asked for, and a
//! `subscriptions/listen` stream that receives a resource update and a list change — while
//! `@modelcontextprotocol/server-everything` (TypeScript SDK, legacy only) refuses the probe
//! and gets `initialize`, over Streamable HTTP and over the old HTTP+SSE transport.
//!
//! These need the peers `scripts/test` installs (they are `#[ignore]`d otherwise):
//! `SPATE_PY2`, `SPATE_NODE`, `SPATE_EVERYTHING`, and the repository's `interop/` folder.

use std::time::Duration;

use serde_json::json;
use spate::client::{
    CallOptions, Client, ClientHandlers, EraChoice, Subscription, SubscriptionEvent,
};
use spate::transport::http::client::{HttpClientOptions, HttpTransportKind};
use spate_protocol::{
    ElicitResult, Era, LoggingLevel, ResourceContents, SubscriptionFilter, methods,
};

use super::support::{Peer, env, interop_dir, python_script_server, server_everything};

/// Starts the Python SDK 2.x server and reads the URL it announces.
fn python_server() -> (Peer, String) {
    python_script_server("python/modern_http_server.py", &[])
}

async fn connect(url: &str, builder: spate::client::ClientBuilder) -> Client {
    builder
        .era(EraChoice::Auto)
        .handlers(
            ClientHandlers::default().elicitation(false, |_params| async move {
                // Accept without typing anything: the schema's defaults fill the answer.
                Ok(ElicitResult::accept(Default::default()))
            }),
        )
        .connect_http(url, HttpClientOptions::default())
        .await
        .expect("connect")
}

fn text(result: &spate_protocol::CallToolResult) -> String {
    result.content[0].as_text().unwrap_or_default().to_owned()
}

async fn next(subscription: &mut Subscription) -> SubscriptionEvent {
    tokio::time::timeout(Duration::from_secs(10), subscription.next())
        .await
        .expect("an event in time")
        .expect("the subscription is still open")
}

#[tokio::test]
#[ignore = "needs the official peers: run scripts/test"]
async fn python_sdk_2_server_in_the_modern_era() {
    let (_peer, url) = python_server();
    let builder = Client::builder("spate-interop", "0").log_level(LoggingLevel::Info);
    let client = connect(&url, builder).await;
    assert_eq!(client.era(), Era::Modern);
    assert_eq!(client.server().server_info.name, "spate-interop-py-server");
    assert_eq!(client.http().unwrap().session_id(), None);

    let tools: Vec<String> = client
        .list_all_tools()
        .await
        .unwrap()
        .into_iter()
        .map(|t| t.name)
        .collect();
    for expected in ["add", "slow_count", "touch", "grow", "confirm"] {
        assert!(
            tools.iter().any(|t| t == expected),
            "{expected} missing from {tools:?}"
        );
    }
    let sum = client
        .call_tool("add", json!({"a": 2, "b": 40}), CallOptions::default())
        .await
        .unwrap();
    assert_eq!(text(&sum), "Sum: 42");

    // Logs come because the requests ask for them (logLevel in _meta).
    let mut notes = client.notifications();
    let counted = client
        .call_tool(
            "slow_count",
            json!({"n": 3, "delay_ms": 0}),
            CallOptions::default(),
        )
        .await
        .unwrap();
    assert_eq!(text(&counted), "Counted 3");
    let mut logs = 0;
    while let Ok(note) = notes.try_recv() {
        logs += usize::from(note.method == methods::NOTIFICATIONS_MESSAGE);
    }
    assert_eq!(logs, 3);

    // One input_required round, answered by the elicitation handler (defaults filled in).
    let confirmed = client
        .call_tool(
            "confirm",
            json!({"question": "proceed?"}),
            CallOptions::default(),
        )
        .await
        .unwrap();
    assert_eq!(text(&confirmed), "confirmed accept ok=true");

    let resources = client.list_all_resources().await.unwrap();
    assert_eq!(resources[0].uri, "interop://greeting");
    let read = client.read_resource("interop://greeting").await.unwrap();
    let ResourceContents::Text(greeting) = &read.contents[0] else {
        panic!("{read:?}");
    };
    assert_eq!(greeting.text, "Hello from the Python interop server");
    let prompt = client
        .get_prompt("greet", [("name".to_owned(), "Ada".to_owned())])
        .await
        .unwrap();
    assert_eq!(prompt.messages.len(), 1);

    // A listen stream hears the resource update and the list change it asked for.
    let filter = SubscriptionFilter {
        resource_subscriptions: Some(vec!["interop://greeting".into()]),
        tools_list_changed: Some(true),
        ..Default::default()
    };
    let mut updates = client.listen(filter).await.unwrap();
    client
        .call_tool(
            "touch",
            json!({"uri": "interop://other"}),
            CallOptions::default(),
        )
        .await
        .unwrap();
    client
        .call_tool(
            "touch",
            json!({"uri": "interop://greeting"}),
            CallOptions::default(),
        )
        .await
        .unwrap();
    match next(&mut updates).await {
        SubscriptionEvent::ResourceUpdated { uri } => assert_eq!(uri, "interop://greeting"),
        other => panic!("expected the greeting's update first, got {other:?}"),
    }
    client
        .call_tool("grow", json!({}), CallOptions::default())
        .await
        .unwrap();
    assert!(matches!(
        next(&mut updates).await,
        SubscriptionEvent::ToolsListChanged
    ));
    drop(updates);
    client.close().await;
}

#[tokio::test]
#[ignore = "needs the official peers: run scripts/test"]
async fn server_everything_refuses_the_probe_and_gets_initialize() {
    let (_peer, port) = server_everything("streamableHttp");
    let url = format!("http://127.0.0.1:{port}/mcp");
    let client = connect(&url, Client::builder("spate-interop", "0")).await;
    assert_eq!(client.era(), Era::Legacy);
    assert!(client.http().unwrap().session_id().is_some());
    let echoed = client
        .call_tool("echo", json!({"message": "hi"}), CallOptions::default())
        .await
        .unwrap();
    assert!(text(&echoed).contains("hi"), "{echoed:?}");
    client.close().await;

    let (_peer, port) = server_everything("sse");
    let url = format!("http://127.0.0.1:{port}/sse");
    let client = connect(&url, Client::builder("spate-interop", "0")).await;
    assert_eq!(client.era(), Era::Legacy);
    assert_eq!(
        client.http().unwrap().kind(),
        Some(HttpTransportKind::LegacySse)
    );
    let echoed = client
        .call_tool("echo", json!({"message": "old"}), CallOptions::default())
        .await
        .unwrap();
    assert!(text(&echoed).contains("old"), "{echoed:?}");
    client.close().await;
}

#[tokio::test]
#[ignore = "needs the official peers: run scripts/test"]
async fn over_stdio_the_probe_finds_each_servers_era() {
    use spate::transport::stdio::{StderrMode, StdioCommand};
    let server = interop_dir().join("python/stdio_server.py");
    let cases = [
        (
            env("SPATE_PY2"),
            vec![server.clone().into_os_string()],
            Era::Modern,
        ),
        (env("SPATE_PY1"), vec![server.into_os_string()], Era::Legacy),
        (
            env("SPATE_NODE"),
            vec![env("SPATE_EVERYTHING").into(), "stdio".into()],
            Era::Legacy,
        ),
    ];
    for (program, args, era) in cases {
        let started = std::time::Instant::now();
        let command = StdioCommand::new(&program, args).stderr(StderrMode::Null);
        let client = Client::builder("spate-interop", "0")
            .era(EraChoice::Auto)
            .connect_stdio(command)
            .await
            .expect("connect");
        assert_eq!(client.era(), era, "{program}");
        let tools = client.list_all_tools().await.unwrap();
        assert!(!tools.is_empty());
        assert!(
            started.elapsed() < Duration::from_secs(4),
            "{program}: the probe was answered, not timed out"
        );
        client.close().await;
    }
}
