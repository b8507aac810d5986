//! Our client, over stdio, against official peers: `@modelcontextprotocol/server-everything`
//! (TypeScript SDK) and a server built on the official Python SDK (`interop/python`).
//!
//! These need the peers installed; `scripts/test` installs them and runs these tests with
//! `--include-ignored`, passing their paths in `SPATE_NODE`, `SPATE_EVERYTHING`, `SPATE_PY2`
//! and `SPATE_INTEROP_PY_SERVER`. Plain `cargo test` lists them as ignored, never as passed.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::json;
use spate::client::{CallOptions, Client};
use spate::transport::stdio::{StderrMode, StdioCommand};
use spate_protocol::{LoggingLevel, LoggingMessageNotificationParams, methods};

use super::support::{env, exercise_server_everything, handlers, progress_recorder, text_of};

async fn wait_for_log(
    stream: &mut spate::client::NotificationStream,
    within: Duration,
) -> LoggingMessageNotificationParams {
    tokio::time::timeout(within, async {
        loop {
            let note = stream.recv().await.expect("notification stream ended");
            if note.method == methods::NOTIFICATIONS_MESSAGE {
                return note
                    .parse_params::<LoggingMessageNotificationParams>()
                    .expect("log params");
            }
        }
    })
    .await
    .expect("no log notification in time")
}

#[tokio::test]
#[ignore = "needs the official peers: run scripts/test"]
async fn drives_server_everything() {
    let prompts = Arc::new(Mutex::new(Vec::new()));
    let command = StdioCommand::new(env("SPATE_NODE"), [env("SPATE_EVERYTHING"), "stdio".into()])
        .stderr(StderrMode::Null);
    let client = Client::builder("spate-interop", "0")
        .handlers(handlers(prompts.clone()))
        .connect_stdio(command)
        .await
        .expect("connect");
    assert_eq!(client.protocol_version().as_str(), "2025-11-25");
    exercise_server_everything(&client, &prompts).await;
    client.close().await;
}

#[tokio::test]
#[ignore = "needs the official peers: run scripts/test"]
async fn drives_the_python_sdk_server() {
    let prompts = Arc::new(Mutex::new(Vec::new()));
    let command = StdioCommand::new(env("SPATE_PY2"), [env("SPATE_INTEROP_PY_SERVER")])
        .stderr(StderrMode::Null);
    let client = Client::builder("spate-interop", "0")
        .handlers(handlers(prompts.clone()))
        .connect_stdio(command)
        .await
        .expect("connect");

    let tools = client.list_all_tools().await.unwrap();
    let names: Vec<&str> = tools.iter().map(|t| t.name.as_str()).collect();
    for expected in ["add", "slow_count", "ask_model", "ask_user"] {
        assert!(
            names.contains(&expected),
            "{expected} missing from {names:?}"
        );
    }
    let sum = client
        .call_tool("add", json!({"a": 2, "b": 40}), CallOptions::default())
        .await
        .unwrap();
    assert_eq!(text_of(&sum), "Sum: 42");

    let mut notes = client.notifications();
    let (options, seen) = progress_recorder();
    let counted = client
        .call_tool("slow_count", json!({"n": 3}), options)
        .await
        .unwrap();
    assert_eq!(text_of(&counted), "Counted 3");
    assert_eq!(seen.lock().unwrap().len(), 3);
    let log = wait_for_log(&mut notes, Duration::from_secs(2)).await;
    assert_eq!(log.level, LoggingLevel::Info);

    let sampled = client
        .call_tool(
            "ask_model",
            json!({"prompt": "hello model"}),
            CallOptions::default(),
        )
        .await
        .unwrap();
    assert_eq!(text_of(&sampled), "Model said: forty-two");
    assert!(prompts.lock().unwrap()[0].contains("hello model"));

    let asked = client
        .call_tool(
            "ask_user",
            json!({"question": "who are you?"}),
            CallOptions::default(),
        )
        .await
        .unwrap();
    let text = text_of(&asked);
    assert!(text.starts_with("User accept"), "{text}");
    assert!(text.contains("Ada Lovelace"), "{text}");

    assert!(!client.list_all_resources().await.unwrap().is_empty());
    assert!(!client.list_all_prompts().await.unwrap().is_empty());
    client.close().await;
}
