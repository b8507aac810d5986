//! Helpers of the micro-benchmarks in `benches/`: an in-process Spate HTTP endpoint driven
//! through its axum router (no sockets), so a benchmark sees only Spate's own work.

use std::time::Duration;

use axum::Router;
use axum::body::Body;
use bytes::Bytes;
use http::{Request, Response};
use http_body_util::BodyExt;
use spate::server::{Args, Context, Server};
use spate::transport::http::server::{HttpConfig, McpHttp, ResponseMode};
use tower::ServiceExt;

/// A `tools/call echo` body, as the load driver sends it.
pub const ECHO: &[u8] =
    br#"{"jsonrpc":"2.0","id":7,"method":"tools/call","params":{"name":"echo","arguments":{"text":"bench-0-1"}}}"#;

/// The benchmark surface, reduced to what the micro-benchmarks call.
fn server() -> Server {
    #[derive(serde::Deserialize, schemars::JsonSchema)]
    struct Echo {
        text: String,
    }
    #[derive(serde::Deserialize, schemars::JsonSchema)]
    struct Bump {
        k: u32,
    }
    Server::new("micro", "1")
        .tool(
            "echo",
            "Echo",
            |Args(Echo { text }): Args<Echo>| async move { Ok(text) },
        )
        .tool(
            "bump",
            "Progress k times",
            |ctx: Context, Args(Bump { k }): Args<Bump>| async move {
                for i in 1..=k {
                    ctx.progress(f64::from(i), Some(f64::from(k)), None).await?;
                }
                Ok(k.to_string())
            },
        )
}

/// An endpoint with one initialized session.
pub struct Endpoint {
    router: Router,
    /// The session id.
    pub session: String,
    next_id: u64,
}

impl Endpoint {
    /// Builds the router and opens a session (inside a tokio runtime).
    pub async fn new(mode: ResponseMode) -> Self {
        let config = {
            let mut config = HttpConfig::default();
            config.response_mode = mode;
            config
        };
        let router = McpHttp::new(server(), config).router();
        let mut this = Self {
            router,
            session: String::new(),
            next_id: 100,
        };
        let init = br#"{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"micro","version":"1"}}}"#;
        let response = this.post(init).await;
        this.session = response.headers()["mcp-session-id"]
            .to_str()
            .expect("ascii session id")
            .to_owned();
        let _ = collect(
            this.post(br#"{"jsonrpc":"2.0","method":"notifications/initialized"}"#)
                .await,
        )
        .await;
        this
    }

    fn request(&self, method: &str) -> http::request::Builder {
        let mut b = Request::builder()
            .method(method)
            .uri("/mcp")
            .header("host", "127.0.0.1")
            .header("accept", "application/json, text/event-stream")
            .header("content-type", "application/json");
        if !self.session.is_empty() {
            b = b
                .header("mcp-session-id", &self.session)
                .header("mcp-protocol-version", "2025-11-25");
        }
        b
    }

    /// POSTs a body and returns the response (body unread).
    pub async fn post(&self, body: &'static [u8]) -> Response<Body> {
        let request = self
            .request("POST")
            .body(Body::from(body))
            .expect("a request");
        self.router
            .clone()
            .oneshot(request)
            .await
            .expect("infallible")
    }

    /// One `tools/call echo`, answer read to the end; returns its length.
    pub async fn echo(&mut self) -> usize {
        self.next_id += 1;
        let body = format!(
            r#"{{"jsonrpc":"2.0","id":{},"method":"tools/call","params":{{"name":"echo","arguments":{{"text":"x"}}}}}}"#,
            self.next_id
        );
        let request = self
            .request("POST")
            .body(Body::from(body))
            .expect("a request");
        let response = self
            .router
            .clone()
            .oneshot(request)
            .await
            .expect("infallible");
        collect(response).await.len()
    }

    /// Starts `bump {k}` with a progress token, reads `keep` SSE events and drops the rest
    /// of the stream; returns the last event id read. The call goes on in the server.
    pub async fn cut_bump(&mut self, k: u32, keep: usize) -> String {
        self.next_id += 1;
        let id = self.next_id;
        let body = format!(
            r#"{{"jsonrpc":"2.0","id":{id},"method":"tools/call","params":{{"name":"bump","arguments":{{"k":{k}}},"_meta":{{"progressToken":{id}}}}}}}"#
        );
        let request = self
            .request("POST")
            .body(Body::from(body))
            .expect("a request");
        let mut body = self
            .router
            .clone()
            .oneshot(request)
            .await
            .expect("infallible")
            .into_body();
        let mut last = String::new();
        let mut events = 0;
        while events < keep {
            let Some(Ok(frame)) = body.frame().await else {
                break;
            };
            if let Ok(data) = frame.into_data() {
                for line in String::from_utf8_lossy(&data).lines() {
                    if let Some(v) = line.strip_prefix("id: ") {
                        last = v.to_owned();
                        events += 1;
                    }
                }
            }
        }
        drop(body);
        tokio::time::sleep(Duration::from_millis(5)).await;
        last
    }

    /// `GET` with `Last-Event-ID`: replays the rest of a stream; returns the bytes read.
    pub async fn replay(&self, last_event_id: &str) -> usize {
        let request = self
            .request("GET")
            .header("accept", "text/event-stream")
            .header("last-event-id", last_event_id)
            .body(Body::empty())
            .expect("a request");
        let response = self
            .router
            .clone()
            .oneshot(request)
            .await
            .expect("infallible");
        collect(response).await.len()
    }
}

/// Reads a whole response body.
pub async fn collect(response: Response<Body>) -> Bytes {
    response
        .into_body()
        .collect()
        .await
        .map(|c| c.to_bytes())
        .unwrap_or_default()
}
