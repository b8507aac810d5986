//! The harness of the HTTP server tests: a test server with fast, slow and polling tools,
//! started on a real socket on 127.0.0.1, and a plain HTTP client speaking to it.

pub mod modern;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use reqwest::{Client, Response, StatusCode};
use schemars::JsonSchema;
use serde::Deserialize;
use serde_json::{Value, json};
use spate::server::{Args, Context, ResourceEntry, Server, ServerHandle};
use spate::transport::http::server::{HttpConfig, McpHttp};
use spate_protocol::Resource;

#[derive(Deserialize, JsonSchema)]
struct Burst {
    n: u32,
    /// Bytes of message text in every progress notification.
    #[serde(default)]
    pad: usize,
}

#[derive(Deserialize, JsonSchema)]
struct Slow {
    n: u32,
    delay_ms: u64,
}

#[derive(Deserialize, JsonSchema)]
struct NoInput {}

#[derive(Deserialize, JsonSchema)]
struct Job {
    delay_ms: u64,
    #[serde(default)]
    ask: bool,
}

#[derive(Deserialize, JsonSchema)]
struct Ask {
    question: String,
}

#[derive(Deserialize, JsonSchema)]
struct Add {
    a: f64,
    b: f64,
}

pub fn test_server() -> Server {
    test_server_with(spate::server::ServerConfig::default())
}

/// The test server with a configuration of the caller's (keys, limits).
pub fn test_server_with(config: spate::server::ServerConfig) -> Server {
    test_server_counting(config, Arc::default())
}

/// The test server, counting in `cancelled` its `slow` calls that saw their cancellation and
/// stopped. A count per server, not a static: tests run side by side, and a static would
/// also count the calls other tests cancel on their own servers.
pub fn test_server_counting(
    config: spate::server::ServerConfig,
    cancelled: Arc<AtomicUsize>,
) -> Server {
    let info = spate_protocol::Implementation::new("http-test", "1");
    Server::with_info(info, None, config)
        .tool(
            "whoami",
            "the authenticated subject, or \"anonymous\"",
            |ctx: Context, Args(NoInput {}): Args<NoInput>| async move {
                Ok(ctx
                    .principal()
                    .and_then(|p| p.subject)
                    .unwrap_or_else(|| "anonymous".to_owned()))
            },
        )
        .tool(
            "ask",
            "asks the user one question (elicitation)",
            |ctx: Context, Args(Ask { question }): Args<Ask>| async move {
                let schema = serde_json::from_value(json!({
                    "type": "object",
                    "properties": {"name": {"type": "string"}},
                    "required": ["name"]
                }))?;
                let answer = ctx
                    .elicit(spate_protocol::ElicitRequestParams::form(question, schema))
                    .await?;
                let name = answer
                    .content
                    .and_then(|c| c.get("name").cloned())
                    .unwrap_or_default();
                Ok(format!("answered {name}"))
            },
        )
        .tool("add", "adds", |Args(Add { a, b }): Args<Add>| async move {
            Ok(format!("{}", a + b))
        })
        .tool(
            "burst",
            "progress n times at once, never pausing",
            |ctx: Context, Args(Burst { n, pad }): Args<Burst>| async move {
                for i in 1..=n {
                    let message = (pad > 0).then(|| "x".repeat(pad));
                    ctx.progress(f64::from(i), Some(f64::from(n)), message)
                        .await?;
                }
                Ok(format!("burst done {n}"))
            },
        )
        .tool(
            "slow",
            "progress n times",
            move |ctx: Context, Args(Slow { n, delay_ms }): Args<Slow>| {
                let cancelled = cancelled.clone();
                async move {
                    for i in 1..=n {
                        if ctx.is_cancelled() {
                            cancelled.fetch_add(1, Ordering::SeqCst);
                            return Err("cancelled".into());
                        }
                        ctx.progress(f64::from(i), Some(f64::from(n)), None).await?;
                        tokio::time::sleep(Duration::from_millis(delay_ms)).await;
                    }
                    Ok(format!("slow done {n}"))
                }
            },
        )
        .tool(
            "poll",
            "closes its stream mid-call (SEP-1699)",
            |ctx: Context, Args(Slow { n: _, delay_ms }): Args<Slow>| async move {
                ctx.progress(1.0, None, None).await?;
                ctx.close_stream().await?;
                tokio::time::sleep(Duration::from_millis(delay_ms)).await;
                ctx.progress(2.0, None, None).await?;
                Ok("polled")
            },
        )
        .tool_entry(
            spate::server::ToolEntry::new(
                "job",
                "works delay_ms, asking for a go-ahead first when ask is set (may run as a task)",
                |ctx: Context, Args(Job { delay_ms, ask }): Args<Job>| async move {
                    if ask {
                        let schema = serde_json::from_value(json!({
                            "type": "object",
                            "properties": {"go": {"type": "boolean"}},
                            "required": ["go"]
                        }))?;
                        let request = spate_protocol::InputRequest::Elicit {
                            params: spate_protocol::ElicitRequestParams::form(
                                "Go?".to_owned(),
                                schema,
                            ),
                        };
                        ctx.ask_input("go_ahead", request).await?;
                    }
                    tokio::select! {
                        () = tokio::time::sleep(Duration::from_millis(delay_ms)) => {}
                        () = ctx.cancellation().cancelled() => return Err("cancelled".into()),
                    }
                    Ok(format!("job done after {delay_ms} ms"))
                },
            )
            .task_support(spate::server::TaskSupport::Optional),
        )
        .resource(ResourceEntry::text(
            Resource {
                uri: "mem://r".into(),
                name: "r".into(),
                ..Default::default()
            },
            "r",
        ))
}

/// A running server and a client for it.
pub struct Running {
    pub base: String,
    pub http: Arc<McpHttp>,
    pub handle: ServerHandle,
    pub client: Client,
}

pub async fn start(config: HttpConfig) -> Running {
    start_with(test_server(), config).await
}

/// Serves `server` on 127.0.0.1 with `config`.
pub async fn start_with(server: Server, config: HttpConfig) -> Running {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    serve_on(server, config, listener).await
}

/// Serves `server` with `config` on a listener the caller bound (to know its address first).
pub async fn serve_on(
    server: Server,
    config: HttpConfig,
    listener: tokio::net::TcpListener,
) -> Running {
    let handle = server.handle();
    let http = Arc::new(McpHttp::new(server, config));
    let base = format!("http://{}", listener.local_addr().unwrap());
    let serving = http.clone();
    tokio::spawn(async move { serving.serve(listener).await });
    Running {
        base,
        http,
        handle,
        client: Client::new(),
    }
}

pub const ACCEPT: &str = "application/json, text/event-stream";

pub fn init_body(id: i64) -> Value {
    json!({"jsonrpc": "2.0", "id": id, "method": "initialize", "params": {
        "protocolVersion": "2025-11-25", "capabilities": {}, "clientInfo": {"name": "t", "version": "0"}}})
}

impl Running {
    pub fn post(&self) -> reqwest::RequestBuilder {
        self.client
            .post(format!("{}/mcp", self.base))
            .header("content-type", "application/json")
            .header("accept", ACCEPT)
    }

    pub async fn initialize(&self) -> String {
        let r = self.post().json(&init_body(0)).send().await.unwrap();
        assert_eq!(r.status(), StatusCode::OK);
        let session = r.headers()["mcp-session-id"].to_str().unwrap().to_owned();
        assert!(
            session.len() >= 32 && session.bytes().all(|b| (0x21..=0x7e).contains(&b)),
            "{session}"
        );
        self.post()
            .header("mcp-session-id", &session)
            .json(&json!({"jsonrpc": "2.0", "method": "notifications/initialized"}))
            .send()
            .await
            .unwrap();
        session
    }

    /// A `GET` resuming a session's stream after `last_event_id`.
    pub async fn resume(&self, session: &str, last_event_id: &str) -> Response {
        self.client
            .get(format!("{}/mcp", self.base))
            .header("accept", "text/event-stream")
            .header("mcp-session-id", session)
            .header("last-event-id", last_event_id)
            .send()
            .await
            .unwrap()
    }

    pub async fn call(&self, session: &str, id: i64, method: &str, params: Value) -> Response {
        self.post()
            .header("mcp-session-id", session)
            .header("mcp-protocol-version", "2025-11-25")
            .json(&json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params}))
            .send()
            .await
            .unwrap()
    }
}

/// One parsed SSE event.
#[derive(Debug, Clone, Default)]
pub struct Event {
    pub id: Option<String>,
    pub name: Option<String>,
    pub data: String,
}

/// Reads SSE events from a response, `n` at most, giving up after `within`.
pub async fn read_events(response: &mut Response, n: usize, within: Duration) -> Vec<Event> {
    let mut buffer = String::new();
    let mut events = Vec::new();
    let deadline = tokio::time::Instant::now() + within;
    while events.len() < n {
        let Ok(chunk) = tokio::time::timeout_at(deadline, response.chunk()).await else {
            break;
        };
        let Some(chunk) = chunk.unwrap() else { break };
        buffer.push_str(&String::from_utf8_lossy(&chunk));
        take_events(&mut buffer, &mut events);
    }
    events
}

/// Moves every complete SSE event at the front of `buffer` into `events` (comments skipped).
pub fn take_events(buffer: &mut String, events: &mut Vec<Event>) {
    while let Some(end) = buffer.find("\n\n") {
        let block: String = buffer.drain(..end + 2).collect();
        let mut event = Event::default();
        let mut is_comment = true;
        for line in block.lines() {
            if let Some(v) = line.strip_prefix("id: ") {
                event.id = Some(v.to_owned());
                is_comment = false;
            } else if let Some(v) = line.strip_prefix("event: ") {
                event.name = Some(v.to_owned());
                is_comment = false;
            } else if let Some(v) = line.strip_prefix("data:") {
                event.data.push_str(v.trim_start());
                is_comment = false;
            }
        }
        if !is_comment {
            events.push(event);
        }
    }
}

/// The `progress` of every progress notification among `events`, in order.
pub fn progress_values(events: &[Event]) -> Vec<f64> {
    events
        .iter()
        .filter_map(|e| {
            let m: Value = serde_json::from_str(&e.data).ok()?;
            m["params"]["progress"].as_f64()
        })
        .collect()
}

/// A `GET` over a raw socket (`Connection: close`), read to its end: the status line and the
/// body's HTTP chunks exactly as the server framed them, which a client library would hide.
pub async fn raw_get_chunks(base: &str, headers: &[(&str, &str)]) -> (String, Vec<Vec<u8>>) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let addr = base.trim_start_matches("http://");
    let mut tcp = tokio::net::TcpStream::connect(addr).await.unwrap();
    let mut request = format!("GET /mcp HTTP/1.1\r\nhost: {addr}\r\nconnection: close\r\n");
    for (name, value) in headers {
        request.push_str(&format!("{name}: {value}\r\n"));
    }
    request.push_str("\r\n");
    tcp.write_all(request.as_bytes()).await.unwrap();
    let mut raw = Vec::new();
    tokio::time::timeout(Duration::from_secs(10), tcp.read_to_end(&mut raw))
        .await
        .expect("the response ends")
        .unwrap();
    let head_end = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .expect("a head");
    let head = String::from_utf8_lossy(&raw[..head_end]).to_lowercase();
    assert!(head.contains("transfer-encoding: chunked"), "{head}");
    let mut rest = &raw[head_end + 4..];
    let mut chunks = Vec::new();
    loop {
        let line_end = rest
            .windows(2)
            .position(|w| w == b"\r\n")
            .expect("a size line");
        let size_hex = std::str::from_utf8(&rest[..line_end]).unwrap();
        let size = usize::from_str_radix(size_hex.trim(), 16).expect("a hex chunk size");
        rest = &rest[line_end + 2..];
        if size == 0 {
            break;
        }
        chunks.push(rest[..size].to_vec());
        rest = &rest[size + 2..];
    }
    (head.lines().next().unwrap_or_default().to_owned(), chunks)
}
