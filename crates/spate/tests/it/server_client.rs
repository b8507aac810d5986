//! Our server and our client wired together in memory (and over real stdio framing through a
//! duplex pipe): every server feature end to end. The official peers check the wire shapes in
//! `peers/official_peers.rs` and `interop/`; these tests check behaviour.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use schemars::JsonSchema;
use serde::Deserialize;
use serde_json::json;
use spate::client::{CallOptions, Client, ClientHandlers};
use spate::engine::PeerError;
use spate::engine::Transport;
use spate::server::{
    Args, Context, Principal, PromptEntry, ResourceEntry, Server, ServerConfig, TemplateEntry,
    ToolEntry, ToolError, Uri, Vars, prefix_matches,
};
use spate::transport::stdio::{StdioLimits, from_streams};
use spate_protocol::{
    CompleteRequestParams, CompletionArgument, CompletionReference, ContentBlock, ElicitAction,
    ElicitRequestParams, ElicitResult, ElicitationSchema, GetPromptResult, Implementation, Prompt,
    PromptArgument, PromptMessage, PromptReference, Resource, ResourceContents, ResourceTemplate,
    ResourceTemplateReference, Role, Root, UrlElicitationRequiredData, methods,
};

#[derive(Deserialize, JsonSchema)]
struct Wait {
    millis: u64,
}

#[derive(Deserialize, JsonSchema)]
struct Nothing {}

fn server(config: ServerConfig) -> Server {
    Server::with_info(Implementation::new("test-server", "1"), None, config)
        .tool("wait", "Waits unless cancelled", |ctx: Context, Args(Wait { millis }): Args<Wait>| async move {
            tokio::select! {
                () = tokio::time::sleep(Duration::from_millis(millis)) => Ok("waited".to_owned()),
                () = ctx.cancellation().cancelled() => Err("cancelled".into()),
            }
        })
        .tool("boom", "Panics", |Args(Nothing {}): Args<Nothing>| async move {
            if true {
                panic!("tool exploded");
            }
            Ok("unreachable")
        })
        .tool("fails", "Returns an error", |Args(Nothing {}): Args<Nothing>| async move { Err::<String, _>("disk on fire".into()) })
        .tool("ask", "Elicits, samples and lists roots", |ctx: Context, Args(Nothing {}): Args<Nothing>| async move {
            let schema: ElicitationSchema = serde_json::from_value(json!({
                "type": "object",
                "properties": {
                    "name": {"type": "string"},
                    "color": {"type": "string", "enum": ["red", "blue"], "default": "blue"},
                    "count": {"type": "integer", "default": 3},
                    "tags": {"type": "array", "items": {"type": "string", "enum": ["a", "b"]}, "default": ["a"]}
                },
                "required": ["name"]
            }))
            ?;
            let answer = ctx
                .elicit(ElicitRequestParams::form("who?", schema))
                .await
                ?;
            let roots = ctx.list_roots().await?;
            Ok(json!({"answer": answer.content, "roots": roots.roots.len()}).to_string())
        })
        .resource(ResourceEntry::text(
            Resource { uri: "mem://a".into(), name: "a".into(), ..Default::default() },
            "alpha",
        ))
        .resource_template(
            TemplateEntry::new(
                ResourceTemplate { uri_template: "mem://items/{id}".into(), name: "item".into(), ..Default::default() },
                |Uri(uri): Uri, vars: BTreeMap<String, String>| async move {
                    Ok(vec![ResourceContents::text(uri, format!("item {}", vars["id"]))])
                },
            )
            .unwrap()
            .complete("id", |prefix, _| prefix_matches(["100", "101", "200"], prefix)),
        )
        .prompt(
            PromptEntry::new(
                Prompt {
                    name: "hello".into(),
                    arguments: Some(vec![PromptArgument { name: "who".into(), required: Some(true), ..Default::default() }]),
                    ..Default::default()
                },
                |args: BTreeMap<String, String>| async move {
                    Ok(GetPromptResult {
                        messages: vec![PromptMessage { role: Role::User, content: ContentBlock::text(format!("hi {}", args["who"])) }],
                        ..Default::default()
                    })
                },
            )
            .complete("who", |prefix, _| prefix_matches(["world", "wombat", "you"], prefix)),
        )
}

async fn connect(server: &Server, handlers: ClientHandlers) -> Client {
    let (a, b) = Transport::pair(64);
    server.serve(a);
    Client::builder("test-client", "1")
        .handlers(handlers)
        .connect(b)
        .await
        .expect("initialize")
}

#[tokio::test]
async fn tools_errors_and_panics_are_tool_results_or_internal_errors() {
    let s = server(ServerConfig::default());
    let client = connect(&s, ClientHandlers::default()).await;
    let failed = client
        .call_tool("fails", json!({}), CallOptions::default())
        .await
        .unwrap();
    assert_eq!(failed.is_error, Some(true));
    assert_eq!(failed.content[0].as_text(), Some("disk on fire"));
    let invalid = client
        .call_tool("wait", json!({"millis": "soon"}), CallOptions::default())
        .await
        .unwrap();
    assert_eq!(invalid.is_error, Some(true));
    assert!(
        invalid.content[0]
            .as_text()
            .unwrap()
            .starts_with("Invalid arguments")
    );
    let err = client
        .call_tool("boom", json!({}), CallOptions::default())
        .await
        .unwrap_err();
    assert!(
        matches!(err, PeerError::Remote(ref e) if e.code == -32603 && e.message.contains("tool exploded")),
        "{err:?}"
    );
    let ok = client
        .call_tool("wait", json!({"millis": 1}), CallOptions::default())
        .await
        .unwrap();
    assert_eq!(ok.content[0].as_text(), Some("waited"));
    // Schemas were derived from the argument types.
    let tools = client.list_all_tools().await.unwrap();
    let wait = tools.iter().find(|t| t.name == "wait").unwrap();
    assert_eq!(wait.input_schema["type"], "object");
    assert_eq!(wait.input_schema["properties"]["millis"]["type"], "integer");
}

#[tokio::test]
async fn cancelling_a_call_reaches_the_tool() {
    let s = server(ServerConfig::default());
    let client = connect(&s, ClientHandlers::default()).await;
    let cancel = tokio_util::sync::CancellationToken::new();
    let trigger = cancel.clone();
    tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(50)).await;
        trigger.cancel();
    });
    let started = std::time::Instant::now();
    let options = CallOptions {
        cancel: Some(cancel),
        ..Default::default()
    };
    let err = client
        .call_tool("wait", json!({"millis": 10_000}), options)
        .await
        .unwrap_err();
    assert!(matches!(err, PeerError::Cancelled));
    assert!(started.elapsed() < Duration::from_secs(5));
    // The connection still serves and the server has nothing left in flight.
    client.ping().await.unwrap();
}

#[tokio::test]
async fn pagination_walks_every_tool_once() {
    let config = {
        let mut config = ServerConfig::default();
        config.page_size = 2;
        config
    };
    let s = server(config);
    for i in 0..5 {
        s.handle().add_tool(ToolEntry::new(
            format!("extra{i}"),
            "x",
            |Args(Nothing {}): Args<Nothing>| async move { Ok("") },
        ));
    }
    let client = connect(&s, ClientHandlers::default()).await;
    let first = client.list_tools(None).await.unwrap();
    assert_eq!(first.tools.len(), 2);
    assert!(first.next_cursor.is_some());
    let all = client.list_all_tools().await.unwrap();
    let mut names: Vec<_> = all.iter().map(|t| t.name.clone()).collect();
    assert_eq!(names.len(), 9);
    names.dedup();
    assert_eq!(names.len(), 9);
}

#[tokio::test]
async fn resources_templates_subscriptions_and_list_changes() {
    let s = server(ServerConfig::default());
    let client = connect(&s, ClientHandlers::default()).await;
    let mut notes = client.notifications();
    let read = client.read_resource("mem://a").await.unwrap();
    assert_eq!(read.contents[0], ResourceContents::text("mem://a", "alpha"));
    let item = client.read_resource("mem://items/7").await.unwrap();
    assert_eq!(
        item.contents[0],
        ResourceContents::text("mem://items/7", "item 7")
    );
    let missing = client.read_resource("mem://nope").await.unwrap_err();
    assert!(
        matches!(missing, PeerError::Remote(ref e) if e.code == -32002),
        "{missing:?}"
    );

    client.subscribe("mem://a").await.unwrap();
    s.handle().resource_updated("mem://other");
    s.handle().resource_updated("mem://a");
    let note = tokio::time::timeout(Duration::from_secs(2), notes.recv())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(note.method, methods::NOTIFICATIONS_RESOURCES_UPDATED);
    assert_eq!(
        note.parse_params::<serde_json::Value>().unwrap()["uri"],
        "mem://a"
    );
    client.unsubscribe("mem://a").await.unwrap();
    s.handle().resource_updated("mem://a");
    assert!(s.handle().remove_tool("fails"));
    let note = tokio::time::timeout(Duration::from_secs(2), notes.recv())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        note.method,
        methods::NOTIFICATIONS_TOOLS_LIST_CHANGED,
        "no update after unsubscribe"
    );
    assert!(
        !client
            .list_all_tools()
            .await
            .unwrap()
            .iter()
            .any(|t| t.name == "fails")
    );
}

#[tokio::test]
async fn prompts_and_completion() {
    let s = server(ServerConfig::default());
    let client = connect(&s, ClientHandlers::default()).await;
    let got = client
        .get_prompt("hello", [("who".to_owned(), "world".to_owned())])
        .await
        .unwrap();
    assert_eq!(got.messages[0].content.as_text(), Some("hi world"));
    let missing = client.get_prompt("hello", []).await.unwrap_err();
    assert!(matches!(missing, PeerError::Remote(ref e) if e.code == -32602));
    let done = client
        .complete(CompleteRequestParams {
            reference: CompletionReference::Prompt(PromptReference {
                name: "hello".into(),
                ..Default::default()
            }),
            argument: CompletionArgument {
                name: "who".into(),
                value: "w".into(),
            },
            context: None,
            meta: None,
        })
        .await
        .unwrap();
    assert_eq!(done.completion.values, ["world", "wombat"]);
    let done = client
        .complete(CompleteRequestParams {
            reference: CompletionReference::Resource(ResourceTemplateReference {
                uri: "mem://items/{id}".into(),
            }),
            argument: CompletionArgument {
                name: "id".into(),
                value: "10".into(),
            },
            context: None,
            meta: None,
        })
        .await
        .unwrap();
    assert_eq!(done.completion.values, ["100", "101"]);
}

#[tokio::test]
async fn elicitation_fills_defaults_and_roots_are_listed() {
    let s = server(ServerConfig::default());
    let handlers = ClientHandlers::default()
        .elicitation(false, |_params| async move {
            let mut content = spate_protocol::JsonObject::new();
            content.insert("name".into(), json!("Grace"));
            Ok(ElicitResult {
                action: ElicitAction::Accept,
                content: Some(content),
                ..Default::default()
            })
        })
        .roots(vec![Root {
            uri: "file:///tmp".into(),
            name: Some("tmp".into()),
            ..Default::default()
        }]);
    let client = connect(&s, handlers).await;
    let result = client
        .call_tool("ask", json!({}), CallOptions::default())
        .await
        .unwrap();
    let body: serde_json::Value =
        serde_json::from_str(result.content[0].as_text().unwrap()).unwrap();
    assert_eq!(
        body["answer"],
        json!({"name": "Grace", "color": "blue", "count": 3, "tags": ["a"]})
    );
    assert_eq!(body["roots"], 1);

    // A client without those capabilities: the tool gets a clear error, nothing is sent.
    let bare = connect(&s, ClientHandlers::default()).await;
    let result = bare
        .call_tool("ask", json!({}), CallOptions::default())
        .await
        .unwrap();
    assert_eq!(result.is_error, Some(true));
    assert!(
        result.content[0]
            .as_text()
            .unwrap()
            .contains("does not support elicitation")
    );
}

#[tokio::test]
async fn real_stdio_framing_through_a_pipe() {
    let s = server(ServerConfig::default());
    let (client_io, server_io) = tokio::io::duplex(1 << 16);
    let (sr, sw) = tokio::io::split(server_io);
    let (cr, cw) = tokio::io::split(client_io);
    s.serve(from_streams(sr, sw, StdioLimits::default()));
    let client = Client::builder("pipe", "1")
        .connect(from_streams(cr, cw, StdioLimits::default()))
        .await
        .unwrap();
    let seen = Arc::new(Mutex::new(0));
    let counter = seen.clone();
    let result = client
        .call_tool(
            "wait",
            json!({"millis": 1}),
            CallOptions::with_progress(move |_| *counter.lock().unwrap() += 1),
        )
        .await
        .unwrap();
    assert_eq!(result.content[0].as_text(), Some("waited"));
    let err = client
        .call_tool("boom", json!({}), CallOptions::default())
        .await
        .unwrap_err();
    assert!(matches!(err, PeerError::Remote(ref e) if e.code == -32603));
    client.ping().await.expect("still serving after a panic");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 1)]
async fn requests_sent_right_after_initialize_find_the_handshake_done() {
    use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
    // A client that does not wait for the initialize answer: all three lines arrive in one
    // read, and the requests run as concurrent tasks; the handshake must still come first.
    let s = server(ServerConfig::default());
    let (client_io, server_io) = tokio::io::duplex(1 << 16);
    let (sr, sw) = tokio::io::split(server_io);
    s.serve(from_streams(sr, sw, StdioLimits::default()));
    let (cr, mut cw) = tokio::io::split(client_io);
    let lines = [
        json!({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
            "protocolVersion": "2025-11-25", "capabilities": {},
            "clientInfo": {"name": "eager", "version": "1"}}}),
        json!({"jsonrpc": "2.0", "method": "notifications/initialized"}),
        json!({"jsonrpc": "2.0", "id": 2, "method": "tools/list"}),
    ];
    let mut bytes = Vec::new();
    for line in &lines {
        bytes.extend_from_slice(line.to_string().as_bytes());
        bytes.push(b'\n');
    }
    cw.write_all(&bytes).await.unwrap();
    let mut reader = BufReader::new(cr).lines();
    let mut answers = BTreeMap::new();
    while answers.len() < 2 {
        let line = tokio::time::timeout(Duration::from_secs(5), reader.next_line())
            .await
            .expect("both requests answered")
            .unwrap()
            .expect("the server keeps the pipe open");
        let message: serde_json::Value = serde_json::from_str(&line).unwrap();
        if let Some(id) = message["id"].as_i64() {
            answers.insert(id, message);
        }
    }
    assert!(answers[&1]["result"]["protocolVersion"].is_string());
    assert!(
        answers[&2]["result"]["tools"].is_array(),
        "tools/list after initialize: {}",
        answers[&2]
    );
}

/// Handlers take extractors in any order (none at all included), and `ToolError::Protocol`
/// fails the request itself: a URL elicitation required (`-32042`) whose completion the
/// handler announces after its request has ended.
#[tokio::test]
async fn handler_extractors_protocol_errors_and_a_late_elicitation_complete() {
    let server = Server::new("extractors", "1")
        .tool(
            "whoami",
            "Who called",
            |who: Option<Principal>, _ctx: Context| async move {
                Ok(who
                    .and_then(|p| p.subject)
                    .unwrap_or_else(|| "anonymous".to_owned()))
            },
        )
        .tool("private", "Needs a caller", |who: Principal| async move {
            Ok(who.subject.unwrap_or_default())
        })
        .tool(
            "link",
            "Needs the user at a URL first",
            |ctx: Context| async move {
                let completer = ctx.elicitation_completer("e-1");
                tokio::spawn(async move {
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    completer.complete().await.expect("a 2025-11-25 session");
                });
                Err::<String, _>(ToolError::url_elicitation_required(
                    UrlElicitationRequiredData {
                        elicitations: vec![ElicitRequestParams::url(
                            "Connect your account",
                            "https://example.com/connect",
                            Some("e-1".to_owned()),
                        )],
                    },
                ))
            },
        );
    let client = connect(&server, ClientHandlers::default()).await;
    let tools = client.list_tools(None).await.unwrap().tools;
    let whoami = tools.iter().find(|t| t.name == "whoami").unwrap();
    assert_eq!(json!(whoami.input_schema), json!({"type": "object"}));

    let anonymous = client
        .call_tool("whoami", json!({}), CallOptions::default())
        .await
        .unwrap();
    assert_eq!(anonymous.content[0].as_text(), Some("anonymous"));
    let refused = client
        .call_tool("private", json!({}), CallOptions::default())
        .await
        .unwrap();
    assert_eq!(refused.is_error, Some(true));
    assert!(
        refused.content[0]
            .as_text()
            .unwrap()
            .contains("authenticated caller")
    );

    let mut notifications = client.notifications();
    let err = client
        .call_tool("link", json!({}), CallOptions::default())
        .await
        .unwrap_err();
    let PeerError::Remote(error) = err else {
        panic!("expected a JSON-RPC error, got {err:?}");
    };
    assert_eq!(error.code, -32042);
    let data: UrlElicitationRequiredData = serde_json::from_value(error.data.unwrap()).unwrap();
    assert!(matches!(
        &data.elicitations[0],
        ElicitRequestParams::Url { elicitation_id: Some(id), .. } if id == "e-1"
    ));
    let complete = tokio::time::timeout(Duration::from_secs(5), async {
        loop {
            let n = notifications.recv().await.unwrap();
            if n.method == methods::NOTIFICATIONS_ELICITATION_COMPLETE {
                return n;
            }
        }
    })
    .await
    .expect("notifications/elicitation/complete after the request ended");
    let params: serde_json::Value = serde_json::from_str(complete.params.unwrap().get()).unwrap();
    assert_eq!(params, json!({"elicitationId": "e-1"}));
}

#[derive(Deserialize)]
struct ItemId {
    id: u32,
}

#[derive(Deserialize, JsonSchema)]
struct Greeting {
    /// Whom to greet.
    name: String,
    /// How many times.
    times: Option<u32>,
}

/// Resources, templates and prompts take the same extractors as tools: typed template
/// variables, the URI, typed prompt arguments (whose schema lists the prompt's arguments).
#[tokio::test]
async fn resources_and_prompts_take_extractors_too() {
    let server = Server::new("extractors", "1")
        .resource_template(
            TemplateEntry::new(
                ResourceTemplate {
                    uri_template: "shop://items/{id}".into(),
                    name: "item".into(),
                    ..Default::default()
                },
                |Vars(ItemId { id }): Vars<ItemId>, Uri(uri): Uri| async move {
                    Ok(format!("{uri} is item number {}", id + 1))
                },
            )
            .unwrap(),
        )
        .prompt(PromptEntry::new(
            Prompt {
                name: "greet".into(),
                ..Default::default()
            },
            |Args(Greeting { name, times }): Args<Greeting>| async move {
                let line = format!("Hello, {name}! ").repeat(times.unwrap_or(1) as usize);
                Ok(GetPromptResult {
                    description: None,
                    messages: vec![PromptMessage::text(Role::User, line.trim_end())],
                    result_type: None,
                    meta: None,
                })
            },
        ));
    let client = connect(&server, ClientHandlers::default()).await;

    let read = client.read_resource("shop://items/41").await.unwrap();
    let ResourceContents::Text(text) = &read.contents[0] else {
        panic!("text contents expected: {read:?}");
    };
    assert_eq!(text.uri, "shop://items/41");
    assert_eq!(text.text, "shop://items/41 is item number 42");
    let err = client
        .read_resource("shop://items/forty")
        .await
        .unwrap_err();
    assert!(
        matches!(&err, PeerError::Remote(e) if e.code == -32602 && e.message.contains("Invalid arguments")),
        "{err:?}"
    );

    let prompts = client.list_prompts(None).await.unwrap().prompts;
    let arguments = prompts[0].arguments.clone().unwrap();
    let name = arguments.iter().find(|a| a.name == "name").unwrap();
    assert_eq!(name.required, Some(true));
    assert_eq!(name.description.as_deref(), Some("Whom to greet."));
    let times = arguments.iter().find(|a| a.name == "times").unwrap();
    assert_eq!(times.required, Some(false));
    let got = client
        .get_prompt(
            "greet",
            [
                ("name".to_owned(), "Ada".to_owned()),
                ("times".to_owned(), "2".to_owned()),
            ],
        )
        .await
        .unwrap();
    assert_eq!(
        got.messages[0].content.as_text(),
        Some("Hello, Ada! Hello, Ada!")
    );
    let err = client.get_prompt("greet", []).await.unwrap_err();
    assert!(
        matches!(&err, PeerError::Remote(e) if e.code == -32602),
        "{err:?}"
    );
}
