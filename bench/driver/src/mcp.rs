//! Just enough MCP over Streamable HTTP to drive and check a server: `initialize` and the
//! session header, `notifications/initialized`, tool calls answered as JSON or as SSE (every
//! event parsed, progress checked in order, the response matched by id), `GET` streams with
//! `Last-Event-ID`, `DELETE`.

use std::borrow::Cow;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Instant;

use bytes::BytesMut;
use serde::Deserialize;
use serde_json::value::RawValue;

use crate::Result;
use crate::http1::{self, Conn, Head, Kind};
use crate::sse::{self, Event};

/// The legacy protocol version the driver negotiates.
pub const VERSION: &str = "2025-11-25";
/// The modern (stateless) protocol version.
pub const MODERN: &str = "2026-07-28";
/// The resource `touch` announces.
pub const TICK: &str = "bench://tick";
/// The `_meta` of a stateless 2026-07-28 request (a JSON member, without braces).
pub const MODERN_META: &str = r#""_meta":{"io.modelcontextprotocol/protocolVersion":"2026-07-28","io.modelcontextprotocol/clientCapabilities":{},"io.modelcontextprotocol/clientInfo":{"name":"spate-bench-driver","version":"1"}}"#;

/// Where the server is.
#[derive(Debug, Clone)]
pub struct Target {
    /// Its socket address.
    pub addr: SocketAddr,
    /// The `Host` header value.
    pub host: String,
    /// The MCP endpoint path.
    pub path: String,
}

impl Target {
    /// The endpoint `/mcp` at `addr`.
    pub fn new(addr: SocketAddr) -> Arc<Self> {
        Arc::new(Self {
            addr,
            host: addr.to_string(),
            path: "/mcp".into(),
        })
    }
}

/// A JSON-RPC message, fields borrowed from the bytes.
#[derive(Deserialize)]
pub struct Msg<'a> {
    /// Request or response id.
    #[serde(borrow)]
    pub id: Option<&'a RawValue>,
    /// Method of a request or notification.
    #[serde(borrow)]
    pub method: Option<Cow<'a, str>>,
    /// Result of a response.
    #[serde(borrow)]
    pub result: Option<&'a RawValue>,
    /// Error of a response.
    #[serde(borrow)]
    pub error: Option<&'a RawValue>,
    /// Params of a request or notification.
    #[serde(borrow)]
    pub params: Option<&'a RawValue>,
}

#[derive(Deserialize)]
struct ToolResult<'a> {
    #[serde(borrow)]
    content: Vec<Content<'a>>,
    #[serde(rename = "isError", default)]
    is_error: bool,
}

#[derive(Deserialize)]
struct Content<'a> {
    #[serde(borrow)]
    text: Option<Cow<'a, str>>,
}

#[derive(Deserialize)]
struct Progress {
    progress: f64,
}

/// What a POSTed request got back.
#[derive(Debug, Default)]
pub struct Reply {
    /// The JSON-RPC response.
    pub response: Vec<u8>,
    /// Whether it came as SSE.
    pub sse: bool,
    /// Progress notifications before it (checked to arrive as 1, 2, 3, …).
    pub progress: u32,
    /// When the first SSE event with data arrived.
    pub first_event: Option<Instant>,
    /// The id of the last SSE event read.
    pub last_event_id: Option<String>,
}

/// The text of a successful tool result (`content[0].text`).
pub fn tool_text(response: &[u8]) -> Result<String> {
    let msg: Msg = serde_json::from_slice(response)?;
    if let Some(e) = msg.error {
        return Err(format!("error response: {}", e.get()).into());
    }
    let result: ToolResult = serde_json::from_str(msg.result.ok_or("no result")?.get())?;
    if result.is_error {
        return Err("tool result has isError: true".into());
    }
    let text = result.content.into_iter().next().and_then(|c| c.text);
    Ok(text.ok_or("no text content")?.into_owned())
}

/// A connection with (after [`Client::initialize`]) one session.
pub struct Client {
    conn: Conn,
    target: Arc<Target>,
    /// The session id.
    pub session: Option<String>,
    next_id: u64,
    body: BytesMut,
    parser: sse::Parser,
}

impl Client {
    /// Connects to the target.
    pub async fn connect(target: &Arc<Target>) -> Result<Self> {
        Ok(Self {
            conn: Conn::connect(target.addr).await?,
            target: target.clone(),
            session: None,
            next_id: 0,
            body: BytesMut::with_capacity(8192),
            parser: sse::Parser::default(),
        })
    }

    /// Connects and opens a session (`initialize`, then `notifications/initialized`).
    pub async fn open(target: &Arc<Target>) -> Result<Self> {
        let mut client = Self::connect(target).await?;
        client.initialize().await?;
        Ok(client)
    }

    /// A fresh request id.
    pub fn id(&mut self) -> u64 {
        self.next_id += 1;
        self.next_id
    }

    /// Sends a POST with the session and version headers (plus `extra`).
    pub async fn post(&mut self, body: &[u8], extra: &[(&str, &str)]) -> Result<Head> {
        let mut headers: Vec<(&str, &str)> = vec![
            ("Content-Type", "application/json"),
            ("Accept", "application/json, text/event-stream"),
        ];
        if let Some(s) = &self.session {
            headers.push(("Mcp-Session-Id", s));
            headers.push(("MCP-Protocol-Version", VERSION));
        }
        headers.extend_from_slice(extra);
        let request = http1::request("POST", &self.target.path, &self.target.host, &headers, body);
        self.conn.send(&request).await?;
        Ok(self.conn.head().await?)
    }

    /// Starts a new session on this connection.
    pub async fn initialize(&mut self) -> Result<()> {
        self.session = None;
        let id = self.id();
        let body = format!(
            r#"{{"jsonrpc":"2.0","id":{id},"method":"initialize","params":{{"protocolVersion":"{VERSION}","capabilities":{{}},"clientInfo":{{"name":"spate-bench-driver","version":"1"}}}}}}"#
        );
        let (head, reply) = self.exchange(body.as_bytes(), id, None, &[]).await?;
        let session = head
            .session
            .ok_or("initialize answered without Mcp-Session-Id")?;
        let msg: Msg = serde_json::from_slice(&reply.response)?;
        if msg.result.is_none() {
            return Err(format!(
                "initialize failed: {}",
                String::from_utf8_lossy(&reply.response)
            )
            .into());
        }
        self.session = Some(session);
        self.notify(br#"{"jsonrpc":"2.0","method":"notifications/initialized"}"#)
            .await
    }

    /// POSTs a notification; expects 202 (or another 2xx).
    pub async fn notify(&mut self, body: &[u8]) -> Result<()> {
        let head = self.post(body, &[]).await?;
        self.body.clear();
        while self.conn.read_body(&mut self.body).await? {}
        if !(200..300).contains(&head.status) {
            return Err(format!("notification answered {}", head.status).into());
        }
        Ok(())
    }

    /// Calls a tool; checks `expect_progress` progress notifications (1…k) before the result.
    pub async fn call_tool(
        &mut self,
        name: &str,
        arguments: &str,
        expect_progress: Option<u32>,
    ) -> Result<Reply> {
        let id = self.id();
        let meta = if expect_progress.is_some() {
            format!(r#","_meta":{{"progressToken":{id}}}"#)
        } else {
            String::new()
        };
        let body = format!(
            r#"{{"jsonrpc":"2.0","id":{id},"method":"tools/call","params":{{"name":"{name}","arguments":{arguments}{meta}}}}}"#
        );
        let (_, reply) = self
            .exchange(body.as_bytes(), id, expect_progress, &[])
            .await?;
        if let Some(k) = expect_progress {
            if reply.progress != k {
                return Err(
                    format!("{} progress notifications, expected {k}", reply.progress).into(),
                );
            }
        }
        Ok(reply)
    }

    /// Calls `echo` with `text` and checks the echo.
    pub async fn echo(&mut self, text: &str) -> Result<Reply> {
        let reply = self
            .call_tool("echo", &format!(r#"{{"text":"{text}"}}"#), None)
            .await?;
        let got = tool_text(&reply.response)?;
        if got != text {
            return Err(format!("echo returned {got:?}, sent {text:?}").into());
        }
        Ok(reply)
    }

    /// POSTs a request and reads its answer, JSON or SSE, to the end of the body.
    pub async fn exchange(
        &mut self,
        body: &[u8],
        id: u64,
        progress: Option<u32>,
        extra: &[(&str, &str)],
    ) -> Result<(Head, Reply)> {
        let head = self.post(body, extra).await?;
        if head.status != 200 {
            let body = self.conn.body().await.unwrap_or_default();
            return Err(format!(
                "HTTP {} for a request: {}",
                head.status,
                String::from_utf8_lossy(&body)
            )
            .into());
        }
        let mut reply = Reply::default();
        match head.kind {
            Kind::Json => {
                reply.response = self.conn.body().await?.to_vec();
                check_id(&reply.response, id)?;
            }
            Kind::Sse => {
                reply.sse = true;
                self.parser = sse::Parser::default();
                self.body.clear();
                loop {
                    let Some(event) = self.next_event().await? else {
                        return Err("SSE stream ended before the response".into());
                    };
                    if event.id.is_some() {
                        reply.last_event_id = event.id.clone();
                    }
                    if event.data.is_empty() {
                        continue; // priming event
                    }
                    reply.first_event.get_or_insert_with(Instant::now);
                    if absorb(&event.data, id, progress.is_some(), &mut reply)? {
                        break;
                    }
                }
                // Read to the end of the stream so the connection can be reused.
                while self.conn.read_body(&mut self.body).await? {}
            }
            Kind::Other => return Err("answer is neither JSON nor SSE".into()),
        }
        Ok((head, reply))
    }

    /// Opens a `GET` stream on the session (resuming after `last_event_id` if given);
    /// read it with [`Client::next_event`].
    pub async fn open_stream(&mut self, last_event_id: Option<&str>) -> Result<()> {
        let session = self.session.clone().ok_or("no session")?;
        let mut headers = vec![
            ("Accept", "text/event-stream"),
            ("Mcp-Session-Id", session.as_str()),
            ("MCP-Protocol-Version", VERSION),
        ];
        if let Some(last) = last_event_id {
            headers.push(("Last-Event-ID", last));
        }
        let request = http1::request("GET", &self.target.path, &self.target.host, &headers, b"");
        self.conn.send(&request).await?;
        let head = self.conn.head().await?;
        if head.status != 200 || head.kind != Kind::Sse {
            let body = self.conn.body().await.unwrap_or_default();
            return Err(format!(
                "GET answered {}: {}",
                head.status,
                String::from_utf8_lossy(&body)
            )
            .into());
        }
        self.parser = sse::Parser::default();
        self.body.clear();
        Ok(())
    }

    /// Opens a 2026-07-28 `subscriptions/listen` stream for `bench://tick` updates and reads
    /// its acknowledgement.
    pub async fn listen(&mut self) -> Result<()> {
        let id = self.id();
        let params =
            format!(r#"{{"notifications":{{"resourceSubscriptions":["{TICK}"]}},{MODERN_META}}}"#);
        self.open_request_stream("subscriptions/listen", id, &params, true)
            .await?;
        let ack = self.next_event().await?.ok_or("listen stream ended")?;
        if !contains(&ack.data, b"notifications/subscriptions/acknowledged") {
            return Err("listen stream did not start with its acknowledgement".into());
        }
        Ok(())
    }

    /// POSTs a request whose answer is a long-lived SSE stream (`subscriptions/listen`,
    /// `events/stream`) — stateless 2026-07-28 (`modern`, `params` must carry
    /// [`MODERN_META`]) or on this connection's session — and checks that a stream began;
    /// read it with [`Client::next_event`].
    pub async fn open_request_stream(
        &mut self,
        method: &str,
        id: u64,
        params: &str,
        modern: bool,
    ) -> Result<()> {
        let body =
            format!(r#"{{"jsonrpc":"2.0","id":{id},"method":"{method}","params":{params}}}"#);
        let extra: &[(&str, &str)] = if modern {
            &[("MCP-Protocol-Version", MODERN), ("Mcp-Method", method)]
        } else {
            &[]
        };
        let head = self.post(body.as_bytes(), extra).await?;
        if head.status != 200 || head.kind != Kind::Sse {
            let body = self.conn.body().await.unwrap_or_default();
            return Err(format!(
                "{method} answered {}: {}",
                head.status,
                String::from_utf8_lossy(&body)
            )
            .into());
        }
        self.parser = sse::Parser::default();
        self.body.clear();
        Ok(())
    }

    /// A request on the session; the JSON-RPC `result`, or an error for an error response.
    pub async fn request(&mut self, method: &str, params: &str) -> Result<Vec<u8>> {
        let id = self.id();
        let body =
            format!(r#"{{"jsonrpc":"2.0","id":{id},"method":"{method}","params":{params}}}"#);
        let (_, reply) = self.exchange(body.as_bytes(), id, None, &[]).await?;
        let msg: Msg = serde_json::from_slice(&reply.response)?;
        match (msg.result, msg.error) {
            (Some(result), None) => Ok(result.get().as_bytes().to_vec()),
            (_, Some(e)) => Err(format!("{method} failed: {}", e.get()).into()),
            _ => Err(format!("{method}: neither result nor error").into()),
        }
    }

    /// The next event of the open stream; `None` when it ends.
    pub async fn next_event(&mut self) -> Result<Option<Event>> {
        loop {
            if let Some(event) = self.parser.next(&mut self.body) {
                return Ok(Some(event));
            }
            if !self.conn.read_body(&mut self.body).await? {
                return Ok(self.parser.next(&mut self.body));
            }
        }
    }

    /// Ends the session with `DELETE`.
    pub async fn delete(&mut self) -> Result<()> {
        let session = self.session.take().ok_or("no session")?;
        let headers = [
            ("Mcp-Session-Id", session.as_str()),
            ("MCP-Protocol-Version", VERSION),
        ];
        let request = http1::request(
            "DELETE",
            &self.target.path,
            &self.target.host,
            &headers,
            b"",
        );
        self.conn.send(&request).await?;
        let head = self.conn.head().await?;
        self.body.clear();
        while self.conn.read_body(&mut self.body).await? {}
        if !(200..300).contains(&head.status) {
            return Err(format!("DELETE answered {}", head.status).into());
        }
        Ok(())
    }
}

/// Takes in one SSE message of a request stream; `true` once it is the response.
fn absorb(data: &[u8], id: u64, progress: bool, reply: &mut Reply) -> Result<bool> {
    let msg: Msg = serde_json::from_slice(data)?;
    if msg.result.is_some() || msg.error.is_some() {
        check_id(data, id)?;
        reply.response = data.to_vec();
        return Ok(true);
    }
    if progress && msg.method.as_deref() == Some("notifications/progress") {
        let p: Progress = serde_json::from_str(msg.params.ok_or("progress without params")?.get())?;
        let expected = f64::from(reply.progress + 1);
        if p.progress != expected {
            return Err(format!("progress {} arrived, expected {expected}", p.progress).into());
        }
        reply.progress += 1;
    }
    Ok(false)
}

fn check_id(response: &[u8], id: u64) -> Result<()> {
    let msg: Msg = serde_json::from_slice(response)?;
    let got = msg.id.map(|r| r.get()).unwrap_or("null");
    if got.parse::<u64>().ok() != Some(id) {
        return Err(format!("response id {got}, expected {id}").into());
    }
    Ok(())
}

/// Whether `hay` contains `needle`.
pub fn contains(hay: &[u8], needle: &[u8]) -> bool {
    hay.windows(needle.len()).any(|w| w == needle)
}
