//! Our client in the 2026-07-28 era against our own dual-era server: over Streamable HTTP on
//! 127.0.0.1 (`McpHttp`) and over an in-memory connection (the stdio code path). Tools,
//! resources and prompts; handler questions answered as `input_required` rounds;
//! `subscriptions/listen` receiving resource updates and list changes; cache hints
//! invalidated by those notifications; logs only when a level is asked for.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use schemars::JsonSchema;
use serde::Deserialize;
use serde_json::json;
use spate::client::{
    CallOptions, Client, ClientHandlers, EraChoice, Subscription, SubscriptionEvent,
};
use spate::engine::PeerError;
use spate::engine::Transport;
use spate::server::{
    Args, CacheHints, Context, PromptEntry, ResourceEntry, Server, ServerConfig, ServerHandle,
    TaskSupport, ToolEntry, Uri,
};
use spate::transport::http::server::{HttpConfig, McpHttp};
use spate_protocol::{
    CacheScope, ContentBlock, CreateMessageRequestParams, CreateMessageResult, ElicitRequestParams,
    ElicitResult, Era, GetPromptResult, Implementation, JsonObject, LoggingLevel, Prompt,
    PromptMessage, Resource, ResourceContents, Role, Root, SamplingContentBlock, SamplingMessage,
    SubscriptionFilter, methods,
};

#[derive(Deserialize, JsonSchema)]
struct Add {
    a: f64,
    b: f64,
}

#[derive(Deserialize, JsonSchema)]
struct Text {
    text: String,
}

#[derive(Deserialize, JsonSchema)]
struct Nothing {}

#[derive(Deserialize, JsonSchema)]
struct Job {
    delay_ms: u64,
    #[serde(default)]
    quiet: bool,
}

/// How many `job` calls saw their cancellation and stopped.
static CANCELLED_JOBS: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

/// The note behind `mem://note`, shared with the `write_note` tool.
type Note = Arc<Mutex<String>>;

fn server(note: Note, config: ServerConfig) -> Server {
    let read_note = note.clone();
    Server::with_info(Implementation::new("modern-test", "3"), None, config)
        .tool(
            "add",
            "adds, logging the sum",
            |ctx: Context, Args(Add { a, b }): Args<Add>| async move {
                ctx.info(format!("adding {a} and {b}")).await?;
                Ok(format!("{}", a + b))
            },
        )
        .tool(
            "interview",
            "elicits a name, samples a model, lists roots",
            |ctx: Context, Args(Nothing {}): Args<Nothing>| async move {
                let schema = serde_json::from_value(json!({"type": "object", "properties": {
                "name": {"type": "string"}, "color": {"type": "string", "default": "blue"}}}))?;
                let answer = ctx
                    .elicit(ElicitRequestParams::form("who?", schema))
                    .await?;
                let sampled = ctx
                    .sample(CreateMessageRequestParams {
                        messages: vec![SamplingMessage::text(Role::User, "say hi")],
                        max_tokens: 10,
                        ..Default::default()
                    })
                    .await?;
                let roots = ctx.list_roots().await?;
                Ok(json!({
                    "answer": answer.content,
                    "model": sampled.model,
                    "roots": roots.roots.len()
                })
                .to_string())
            },
        )
        .tool(
            "write_note",
            "replaces the note and tells subscribers",
            move |ctx: Context, Args(Text { text }): Args<Text>| {
                let note = note.clone();
                async move {
                    *note.lock().unwrap() = text;
                    ctx.server().resource_updated("mem://note");
                    Ok("written")
                }
            },
        )
        .tool_entry(
            ToolEntry::new(
                "job",
                "asks who (unless quiet), then works delay_ms (may run as a task)",
                |ctx: Context, Args(Job { delay_ms, quiet }): Args<Job>| async move {
                    let mut name = serde_json::Value::Null;
                    if !quiet {
                        let schema = serde_json::from_value(json!({"type": "object",
                            "properties": {"name": {"type": "string"}}}))?;
                        let answer = ctx
                            .elicit(ElicitRequestParams::form("who?", schema))
                            .await?;
                        name = answer
                            .content
                            .and_then(|c| c.get("name").cloned())
                            .unwrap_or_default();
                    }
                    tokio::select! {
                        () = tokio::time::sleep(Duration::from_millis(delay_ms)) => {}
                        () = ctx.cancellation().cancelled() => {
                            CANCELLED_JOBS.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                            return Err("cancelled".into());
                        }
                    }
                    let task = if ctx.task_id().is_some() {
                        "as a task"
                    } else {
                        "in the call"
                    };
                    Ok(format!("done for {name} {task}"))
                },
            )
            .task_support(TaskSupport::Optional),
        )
        .resource(ResourceEntry::dynamic(
            Resource {
                uri: "mem://note".into(),
                name: "note".into(),
                ..Default::default()
            },
            move |Uri(uri): Uri| {
                let text = read_note.lock().unwrap().clone();
                async move { Ok(vec![ResourceContents::text(uri, text)]) }
            },
        ))
        .prompt(PromptEntry::new(
            Prompt {
                name: "greet".into(),
                ..Default::default()
            },
            || async move {
                Ok(GetPromptResult {
                    messages: vec![PromptMessage {
                        role: Role::User,
                        content: ContentBlock::text("hello"),
                    }],
                    ..Default::default()
                })
            },
        ))
}

/// Cache hints of a minute on lists and reads.
fn caching() -> ServerConfig {
    let minute = CacheHints {
        ttl_ms: 60_000,
        scope: CacheScope::Private,
    };
    {
        let mut config = ServerConfig::default();
        config.cache.tools = minute;
        config.cache.resources = minute;
        config.cache.reads = minute;
        config
    }
}

/// Serves on 127.0.0.1; returns the endpoint URL and the server's handle.
async fn serve_http(server: Server) -> (String, ServerHandle) {
    let handle = server.handle();
    let http = Arc::new(McpHttp::new(server, HttpConfig::default()));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/mcp", listener.local_addr().unwrap());
    tokio::spawn(async move { http.serve(listener).await });
    (url, handle)
}

fn handlers() -> ClientHandlers {
    ClientHandlers::default()
        .elicitation(false, |_params| async move {
            let mut content = JsonObject::new();
            content.insert("name".into(), json!("Grace"));
            Ok(ElicitResult::accept(content))
        })
        .sampling(false, |_params| async move {
            Ok(CreateMessageResult {
                role: Role::Assistant,
                content: SamplingContentBlock::text("hi").into(),
                model: "tiny".into(),
                stop_reason: None,
                meta: None,
            })
        })
        .roots(vec![Root {
            uri: "file:///tmp".into(),
            ..Default::default()
        }])
}

async fn connect_http(url: &str, era: EraChoice) -> Client {
    Client::builder("modern-client", "1")
        .era(era)
        .handlers(handlers())
        .connect_http(
            url,
            spate::transport::http::client::HttpClientOptions::default(),
        )
        .await
        .expect("connect")
}

async fn connect_memory(server: &Server) -> Client {
    let (a, b) = Transport::pair(64);
    server.serve(a);
    Client::builder("modern-client", "1")
        .era(EraChoice::Auto)
        .handlers(handlers())
        .connect(b)
        .await
        .expect("connect")
}

fn text(result: &spate_protocol::CallToolResult) -> &str {
    result.content[0].as_text().unwrap()
}

/// Everything a client does, in the modern era, whatever the transport.
async fn exercise(client: &Client, handle: &ServerHandle) {
    assert_eq!(client.era(), Era::Modern);
    assert_eq!(client.server().server_info.name, "modern-test");
    assert!(client.server().capabilities.tools.is_some());
    let tools: Vec<String> = client
        .list_all_tools()
        .await
        .unwrap()
        .into_iter()
        .map(|t| t.name)
        .collect();
    assert_eq!(tools, ["add", "interview", "write_note", "job"]);
    let sum = client
        .call_tool("add", json!({"a": 2, "b": 40}), CallOptions::default())
        .await
        .unwrap();
    assert_eq!(text(&sum), "42");

    // The server's questions come back as input_required rounds, answered by the handlers.
    let interview = client
        .call_tool("interview", json!({}), CallOptions::default())
        .await
        .unwrap();
    let body: serde_json::Value = serde_json::from_str(text(&interview)).unwrap();
    assert_eq!(
        body,
        json!({"answer": {"name": "Grace", "color": "blue"}, "model": "tiny", "roots": 1})
    );

    let read = client.read_resource("mem://note").await.unwrap();
    assert_eq!(read.contents.len(), 1);
    assert_eq!(
        client.list_all_resources().await.unwrap()[0].uri,
        "mem://note"
    );
    let prompt = client.get_prompt("greet", []).await.unwrap();
    assert_eq!(prompt.messages.len(), 1);
    client.ping().await.unwrap();

    // A subscription hears about the resource, and only from its acknowledgement on.
    let filter = SubscriptionFilter {
        resource_subscriptions: Some(vec!["mem://note".into()]),
        tools_list_changed: Some(true),
        ..Default::default()
    };
    let mut updates = client.listen(filter).await.unwrap();
    assert_eq!(
        updates.acknowledged().resource_subscriptions.as_deref(),
        Some(&["mem://note".to_owned()][..])
    );
    client
        .call_tool("write_note", json!({"text": "v2"}), CallOptions::default())
        .await
        .unwrap();
    assert!(matches!(
        next(&mut updates).await,
        SubscriptionEvent::ResourceUpdated { uri } if uri == "mem://note"
    ));
    handle.add_tool(ToolEntry::new(
        "late",
        "added later",
        |Args(Nothing {}): Args<Nothing>| async move { Ok("late") },
    ));
    assert!(matches!(
        next(&mut updates).await,
        SubscriptionEvent::ToolsListChanged
    ));
    // Two subscriptions at once are told apart by their ids.
    let mut second = client
        .listen(SubscriptionFilter {
            resource_subscriptions: Some(vec!["mem://note".into()]),
            ..Default::default()
        })
        .await
        .unwrap();
    assert_ne!(second.id(), updates.id());
    handle.resource_updated("mem://note");
    assert!(matches!(
        next(&mut updates).await,
        SubscriptionEvent::ResourceUpdated { .. }
    ));
    assert!(matches!(
        next(&mut second).await,
        SubscriptionEvent::ResourceUpdated { .. }
    ));
    assert!(updates.outcome().is_none(), "still running");
    drop(updates);
    handle.resource_updated("mem://note");
    assert!(matches!(
        next(&mut second).await,
        SubscriptionEvent::ResourceUpdated { .. }
    ));
}

async fn next(subscription: &mut Subscription) -> SubscriptionEvent {
    tokio::time::timeout(Duration::from_secs(5), subscription.next())
        .await
        .expect("an event in time")
        .expect("the subscription is still open")
}

#[tokio::test]
async fn modern_over_http_against_a_dual_era_server() {
    let note = Note::default();
    let (url, handle) = serve_http(server(note, ServerConfig::default())).await;
    let client = connect_http(&url, EraChoice::Auto).await;
    let http = client.http().unwrap();
    assert_eq!(http.session_id(), None, "2026-07-28 has no sessions");
    exercise(&client, &handle).await;
    assert_eq!(http.session_id(), None);
    client.close().await;

    // The same server, told to speak legacy, still does.
    let legacy = connect_http(&url, EraChoice::Legacy).await;
    assert_eq!(legacy.era(), Era::Legacy);
    assert!(legacy.http().unwrap().session_id().is_some());
    legacy.close().await;
}

#[tokio::test]
async fn modern_over_a_stream_connection_against_a_dual_era_server() {
    let server = server(Note::default(), ServerConfig::default());
    let client = connect_memory(&server).await;
    exercise(&client, &server.handle()).await;
    // (close() would wait for an in-memory connection that never ends.)
}

#[tokio::test]
async fn logs_arrive_only_at_the_level_asked_for() {
    let (url, _handle) = serve_http(server(Note::default(), ServerConfig::default())).await;
    for (level, expect_log) in [(None, false), (Some(LoggingLevel::Debug), true)] {
        let mut builder = Client::builder("modern-client", "1").era(EraChoice::Modern);
        if let Some(level) = level {
            builder = builder.log_level(level);
        }
        let client = builder
            .connect_http(&url, Default::default())
            .await
            .unwrap();
        let mut notes = client.notifications();
        client
            .call_tool("add", json!({"a": 1, "b": 2}), CallOptions::default())
            .await
            .unwrap();
        let mut logs = 0;
        while let Ok(note) = notes.try_recv() {
            logs += usize::from(note.method == methods::NOTIFICATIONS_MESSAGE);
        }
        assert_eq!(logs > 0, expect_log, "level {level:?}");
        client.close().await;
    }
}

#[tokio::test]
async fn cached_lists_and_reads_are_dropped_by_change_notifications() {
    let note = Note::default();
    *note.lock().unwrap() = "v1".into();
    let server = server(note.clone(), caching());
    let handle = server.handle();
    let (url, _) = serve_http(server).await;
    let client = connect_http(&url, EraChoice::Modern).await;
    let tools = || async { client.list_all_tools().await.unwrap().len() };
    let note_text = || async {
        let read = client.read_resource("mem://note").await.unwrap();
        match &read.contents[0] {
            ResourceContents::Text(t) => t.text.clone(),
            other => panic!("{other:?}"),
        }
    };
    assert_eq!(tools().await, 4);
    assert_eq!(note_text().await, "v1");

    // Without a subscription nothing tells the client: the cached answers stand (ttl 60 s).
    *note.lock().unwrap() = "v2".into();
    handle.add_tool(ToolEntry::new(
        "extra",
        "x",
        |Args(Nothing {}): Args<Nothing>| async move { Ok("x") },
    ));
    assert_eq!(tools().await, 4);
    assert_eq!(note_text().await, "v1");

    // A subscription's notifications make them stale.
    let mut updates = client
        .listen(SubscriptionFilter {
            tools_list_changed: Some(true),
            resource_subscriptions: Some(vec!["mem://note".into()]),
            ..Default::default()
        })
        .await
        .unwrap();
    handle.resource_updated("mem://note");
    next(&mut updates).await;
    assert_eq!(note_text().await, "v2");
    handle.add_tool(ToolEntry::new(
        "more",
        "x",
        |Args(Nothing {}): Args<Nothing>| async move { Ok("x") },
    ));
    next(&mut updates).await;
    assert_eq!(tools().await, 6);
    client.close().await;
}

#[tokio::test]
async fn without_the_capability_a_question_is_a_missing_capability_error() {
    let (url, _) = serve_http(server(Note::default(), ServerConfig::default())).await;
    let client = Client::builder("bare", "1")
        .era(EraChoice::Modern)
        .connect_http(&url, Default::default())
        .await
        .unwrap();
    let err = client
        .call_tool("interview", json!({}), CallOptions::default())
        .await
        .unwrap_err();
    assert!(
        matches!(&err, PeerError::Remote(e) if e.code == -32021),
        "{err}"
    );
    client.close().await;
}

#[tokio::test]
async fn cancelling_a_call_stops_waiting_for_a_handler() {
    let (url, _) = serve_http(server(Note::default(), ServerConfig::default())).await;
    let never = ClientHandlers::default().elicitation(false, |_params| async move {
        std::future::pending::<()>().await;
        Ok(ElicitResult::accept(JsonObject::new()))
    });
    let client = Client::builder("patient", "1")
        .era(EraChoice::Modern)
        .handlers(never)
        .connect_http(&url, Default::default())
        .await
        .unwrap();
    let cancel = tokio_util::sync::CancellationToken::new();
    let options = CallOptions {
        cancel: Some(cancel.clone()),
        ..Default::default()
    };
    let later = cancel.clone();
    tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(100)).await;
        later.cancel();
    });
    let outcome = tokio::time::timeout(
        Duration::from_secs(5),
        client.call_tool("interview", json!({}), options),
    )
    .await
    .expect("the call ends once cancelled");
    assert!(matches!(outcome, Err(PeerError::Cancelled)), "{outcome:?}");
    client.close().await;
}

#[tokio::test]
async fn a_call_the_server_runs_as_a_task_is_followed_to_its_end() {
    let (url, _) = serve_http(server(Note::default(), ServerConfig::default())).await;
    let connect = |tasks: bool| {
        Client::builder("tasker", "1")
            .era(EraChoice::Modern)
            .handlers(handlers())
            .tasks(tasks)
            .connect_http(&url, Default::default())
    };
    // Without the extension the same call is answered in one request (an MRTR round).
    let plain = connect(false).await.unwrap();
    let done = plain
        .call_tool("job", json!({"delay_ms": 10}), CallOptions::default())
        .await
        .unwrap();
    assert_eq!(text(&done), "done for \"Grace\" in the call");
    plain.close().await;

    // With it, the server makes a task: polled, its question answered by tasks/update.
    let tasker = connect(true).await.unwrap();
    let done = tasker
        .call_tool("job", json!({"delay_ms": 10}), CallOptions::default())
        .await
        .unwrap();
    assert_eq!(text(&done), "done for \"Grace\" as a task");

    // Cancelling the call cancels the task.
    let cancel = tokio_util::sync::CancellationToken::new();
    let later = cancel.clone();
    tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(200)).await;
        later.cancel();
    });
    let options = CallOptions {
        cancel: Some(cancel),
        ..Default::default()
    };
    let outcome = tokio::time::timeout(
        Duration::from_secs(5),
        tasker.call_tool("job", json!({"delay_ms": 60_000, "quiet": true}), options),
    )
    .await
    .expect("the call ends once cancelled");
    assert!(matches!(outcome, Err(PeerError::Cancelled)), "{outcome:?}");
    // The task runs apart from the call's stream: only tasks/cancel can have stopped it.
    let stopped = async {
        while CANCELLED_JOBS.load(std::sync::atomic::Ordering::SeqCst) == 0 {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    };
    tokio::time::timeout(Duration::from_secs(5), stopped)
        .await
        .expect("the server cancelled the task");
    tasker.close().await;
}
