//! Our client, over stdio, against official peers: `@modelcontextprotocol/server-everything`
//! (TypeScript SDK) and a server built on the official Python SDK (`interop/python`).
//!
//! These need the peers installed; `scripts/test` installs them and runs these tests with
//! `--include-ignored`, passing their paths in `SPATE_NODE`, `SPATE_EVERYTHING`, `SPATE_PY2`
//! and `SPATE_INTEROP_PY_SERVER`. Plain `cargo test` lists them as ignored, never as passed.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::json;
use spate::client::{CallOptions, Client, ClientHandlers, StderrMode, StdioCommand};
use spate_protocol::{
    ContentBlock, CreateMessageResult, ElicitAction, ElicitRequestParams, ElicitResult,
    LoggingLevel, LoggingMessageNotificationParams, Role, SamplingContentBlock, methods,
};

fn env(name: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| {
        panic!("{name} is not set: run scripts/test, which installs the official peers")
    })
}

/// Answers sampling with a fixed reply that records the prompt, and elicitation by accepting
/// with only `name` filled in (the rest must come from the schema's defaults).
fn handlers(prompts: Arc<Mutex<Vec<String>>>) -> ClientHandlers {
    ClientHandlers::default()
        .sampling(false, move |params| {
            let prompts = prompts.clone();
            async move {
                let text = serde_json::to_string(&params.messages).unwrap_or_default();
                prompts.lock().unwrap().push(text);
                Ok(CreateMessageResult {
                    role: Role::Assistant,
                    content: SamplingContentBlock::text("forty-two").into(),
                    model: "spate-test-model".into(),
                    stop_reason: Some(spate_protocol::sampling::STOP_END_TURN.into()),
                    meta: None,
                })
            }
        })
        .elicitation(false, |params| async move {
            assert!(
                matches!(params, ElicitRequestParams::Form { .. }),
                "{params:?}"
            );
            let mut content = spate_protocol::JsonObject::new();
            content.insert("name".into(), json!("Ada Lovelace"));
            Ok(ElicitResult {
                action: ElicitAction::Accept,
                content: Some(content),
                ..Default::default()
            })
        })
}

fn text_of(result: &spate_protocol::CallToolResult) -> String {
    result
        .content
        .iter()
        .filter_map(|b| match b {
            ContentBlock::Text(t) => Some(t.text.as_str()),
            _ => None,
        })
        .collect::<Vec<_>>()
        .join("\n")
}

fn progress_recorder() -> (CallOptions, Arc<Mutex<Vec<f64>>>) {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let sink = seen.clone();
    (
        CallOptions::with_progress(move |p| sink.lock().unwrap().push(p.progress)),
        seen,
    )
}

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

    let tools = client.list_all_tools().await.unwrap();
    let names: Vec<&str> = tools.iter().map(|t| t.name.as_str()).collect();
    for expected in [
        "echo",
        "get-sum",
        "trigger-long-running-operation",
        "trigger-sampling-request",
        "trigger-elicitation-request",
    ] {
        assert!(
            names.contains(&expected),
            "{expected} missing from {names:?}"
        );
    }

    let sum = client
        .call_tool("get-sum", json!({"a": 2, "b": 3}), CallOptions::default())
        .await
        .unwrap();
    assert!(text_of(&sum).contains('5'), "{sum:?}");

    let (options, seen) = progress_recorder();
    let long = client
        .call_tool(
            "trigger-long-running-operation",
            json!({"duration": 1, "steps": 3}),
            options,
        )
        .await
        .unwrap();
    assert_ne!(long.is_error, Some(true), "{long:?}");
    assert_eq!(*seen.lock().unwrap(), vec![1.0, 2.0, 3.0]);

    let mut notes = client.notifications();
    client.set_logging_level(LoggingLevel::Debug).await.unwrap();
    client
        .call_tool(
            "toggle-simulated-logging",
            json!({}),
            CallOptions::default(),
        )
        .await
        .unwrap();
    let log = wait_for_log(&mut notes, Duration::from_secs(8)).await;
    assert!(!log.data.is_null());

    let sampled = client
        .call_tool(
            "trigger-sampling-request",
            json!({"prompt": "meaning of life"}),
            CallOptions::default(),
        )
        .await
        .unwrap();
    assert!(text_of(&sampled).contains("forty-two"), "{sampled:?}");
    assert!(prompts.lock().unwrap()[0].contains("meaning of life"));

    let elicited = client
        .call_tool(
            "trigger-elicitation-request",
            json!({}),
            CallOptions::default(),
        )
        .await
        .unwrap();
    let text = text_of(&elicited);
    assert!(text.contains("Ada Lovelace"), "{text}");
    // Defaults from the schema were filled in by our client.
    assert!(text.contains("It was a dark and stormy night."), "{text}");
    assert!(text.contains("42"), "{text}");

    let resources = client.list_all_resources().await.unwrap();
    assert!(!resources.is_empty());
    let read = client.read_resource(&resources[0].uri).await.unwrap();
    assert!(!read.contents.is_empty());
    let prompts_list = client.list_all_prompts().await.unwrap();
    assert!(!prompts_list.is_empty());
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
