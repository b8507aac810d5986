//! The fixtures through Spate's own client, as an application would use them: typed calls,
//! progress callbacks, answers to sampling and elicitation, and notifications.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::json;
use spate::client::{CallOptions, Client, ClientHandlers};
use spate::engine::Transport;
use spate::server::Server;
use spate_protocol::{
    CreateMessageResult, ElicitResult, Role, SamplingContent, SamplingContentBlock, methods,
};

async fn connect(server: &Server, handlers: ClientHandlers) -> Client {
    let (a, b) = Transport::pair(64);
    server.serve(a);
    Client::builder("conformance-test-client", "1.0.0")
        .handlers(handlers)
        .connect(b)
        .await
        .expect("initialize")
}

fn answering_handlers() -> ClientHandlers {
    ClientHandlers::default()
        .sampling(false, |params| async move {
            let asked = params.messages[0].content.blocks()[0].clone();
            let SamplingContentBlock::Text(asked) = asked else {
                panic!("expected a text prompt");
            };
            Ok(CreateMessageResult {
                role: Role::Assistant,
                content: SamplingContent::Single(SamplingContentBlock::text(format!(
                    "echo of {}",
                    asked.text
                ))),
                model: "test-model".into(),
                stop_reason: Some("endTurn".into()),
                meta: None,
            })
        })
        // Accept with nothing filled in: the client fills the schema's defaults.
        .elicitation(false, |_params| async move {
            Ok(ElicitResult::accept(Default::default()))
        })
}

#[tokio::test]
async fn progress_reaches_the_callers_callback() {
    let server = spate_conformance::fixture_server();
    let client = connect(&server, ClientHandlers::default()).await;
    let seen = Arc::new(Mutex::new(Vec::new()));
    let sink = seen.clone();
    let options = CallOptions::with_progress(move |update| {
        sink.lock()
            .unwrap()
            .push((update.progress, update.total, update.message));
    });
    let result = client
        .call_tool("test_tool_with_progress", json!({}), options)
        .await
        .unwrap();
    assert_eq!(result.is_error, None);
    let seen = seen.lock().unwrap().clone();
    assert_eq!(
        seen,
        [
            (0.0, Some(100.0), Some("Completed step 0 of 100".to_owned())),
            (
                50.0,
                Some(100.0),
                Some("Completed step 50 of 100".to_owned())
            ),
            (
                100.0,
                Some(100.0),
                Some("Completed step 100 of 100".to_owned())
            ),
        ]
    );
}

#[tokio::test]
async fn logs_arrive_as_notifications() {
    let server = spate_conformance::fixture_server();
    let client = connect(&server, ClientHandlers::default()).await;
    let mut notifications = client.notifications();
    client
        .set_logging_level(spate_protocol::LoggingLevel::Debug)
        .await
        .unwrap();
    client
        .call_tool("test_tool_with_logging", json!({}), CallOptions::default())
        .await
        .unwrap();
    let mut data = Vec::new();
    while data.len() < 3 {
        let n = tokio::time::timeout(Duration::from_secs(5), notifications.recv())
            .await
            .unwrap()
            .unwrap();
        if n.method == methods::NOTIFICATIONS_MESSAGE {
            let params: serde_json::Value = serde_json::from_str(n.params.unwrap().get()).unwrap();
            data.push(params["data"].as_str().unwrap().to_owned());
        }
    }
    assert_eq!(
        data,
        [
            "Tool execution started",
            "Tool processing data",
            "Tool execution completed"
        ]
    );
}

#[tokio::test]
async fn sampling_and_elicitation_round_trip_through_the_client() {
    let server = spate_conformance::fixture_server();
    let client = connect(&server, answering_handlers()).await;
    let sampled = client
        .call_tool(
            "test_sampling",
            json!({"prompt": "What is 2+2?"}),
            CallOptions::default(),
        )
        .await
        .unwrap();
    assert_eq!(
        sampled.content[0].as_text(),
        Some("LLM response: echo of What is 2+2?")
    );

    let elicited = client
        .call_tool(
            "test_elicitation_sep1034_defaults",
            json!({}),
            CallOptions::default(),
        )
        .await
        .unwrap();
    assert_eq!(
        elicited.content[0].as_text(),
        Some(
            r#"Elicitation completed: action=accept, content={"age":30,"name":"John Doe","score":95.5,"status":"active","verified":true}"#
        )
    );

    let enums = client
        .call_tool(
            "test_elicitation_sep1330_enums",
            json!({}),
            CallOptions::default(),
        )
        .await
        .unwrap();
    assert_eq!(
        enums.content[0].as_text(),
        Some("Elicitation completed: action=accept, content={}")
    );
}

#[tokio::test]
async fn without_handlers_interactive_tools_fail_as_tool_errors() {
    let server = spate_conformance::fixture_server();
    let client = connect(&server, ClientHandlers::default()).await;
    for (tool, args) in [
        ("test_sampling", json!({"prompt": "hi"})),
        ("test_elicitation", json!({"message": "hi"})),
        ("test_elicitation_sep1034_defaults", json!({})),
    ] {
        let result = client
            .call_tool(tool, args, CallOptions::default())
            .await
            .unwrap();
        assert_eq!(result.is_error, Some(true), "{tool}");
    }
}

#[tokio::test]
async fn subscribers_hear_about_the_watched_resource() {
    let server = spate_conformance::fixture_server();
    let client = connect(&server, ClientHandlers::default()).await;
    let mut notifications = client.notifications();
    client.subscribe("test://watched-resource").await.unwrap();
    server.handle().resource_updated("test://watched-resource");
    let updated = loop {
        let n = tokio::time::timeout(Duration::from_secs(5), notifications.recv())
            .await
            .expect("an update arrives")
            .unwrap();
        if n.method == methods::NOTIFICATIONS_RESOURCES_UPDATED {
            break n;
        }
    };
    let params: serde_json::Value = serde_json::from_str(updated.params.unwrap().get()).unwrap();
    assert_eq!(params["uri"], "test://watched-resource");

    client.unsubscribe("test://watched-resource").await.unwrap();
    server.handle().resource_updated("test://watched-resource");
    client.ping().await.unwrap();
    tokio::time::sleep(Duration::from_millis(50)).await;
    while let Ok(n) = notifications.try_recv() {
        assert_ne!(
            n.method,
            methods::NOTIFICATIONS_RESOURCES_UPDATED,
            "no update after unsubscribe"
        );
    }
}

#[tokio::test]
async fn resources_prompts_and_completion_through_typed_calls() {
    let server = spate_conformance::fixture_server();
    let client = connect(&server, ClientHandlers::default()).await;
    let resources = client.list_all_resources().await.unwrap();
    assert_eq!(resources[0].uri, "test://static-text");
    let read = client
        .read_resource("test://template/abc/data")
        .await
        .unwrap();
    assert_eq!(read.contents[0].mime_type(), Some("application/json"));
    let prompt = client
        .get_prompt(
            "test_prompt_with_arguments",
            [
                ("arg1".to_owned(), "hello".to_owned()),
                ("arg2".to_owned(), "world".to_owned()),
            ],
        )
        .await
        .unwrap();
    assert_eq!(
        prompt.messages[0].content.as_text(),
        Some("Prompt with arguments: arg1='hello', arg2='world'")
    );
    assert_eq!(client.list_all_prompts().await.unwrap().len(), 5);
}
