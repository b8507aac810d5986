//! A raw JSON-RPC driver for the fixture server: the test writes the exact messages the
//! conformance suite writes and sees the exact messages (and their routes) the server sends.

use std::time::{Duration, Instant};

use serde_json::{Value, json};
use spate::engine::{InboundFrame, OutboundFrame, Route, Transport};
use tokio::sync::mpsc;

/// How long any single message may take to arrive.
const PATIENCE: Duration = Duration::from_secs(10);

/// One message from the server: the JSON, which exchange it belongs to, and when it came.
#[derive(Debug, Clone)]
pub struct Sent {
    pub message: Value,
    pub route: Route,
    pub at: Instant,
}

impl Sent {
    pub fn method(&self) -> Option<&str> {
        self.message.get("method").and_then(Value::as_str)
    }
}

/// The client end of a connection to a fresh fixture server.
pub struct Wire {
    to_server: mpsc::Sender<InboundFrame>,
    from_server: mpsc::Receiver<OutboundFrame>,
    next_id: i64,
}

impl Wire {
    /// Starts a fixture server on an in-memory transport (not yet initialized).
    pub fn start() -> Self {
        let (to_server, inbound) = mpsc::channel(64);
        let (outbound, from_server) = mpsc::channel(64);
        let server = spate_conformance::fixture_server();
        // The peer runs on its own task; dropping the handle does not stop it.
        let _peer = server.serve(Transport { inbound, outbound });
        Self {
            to_server,
            from_server,
            next_id: 1,
        }
    }

    /// Starts a server and runs the handshake the suite's SDK client runs, declaring
    /// `capabilities`; returns the driver and the initialize result.
    pub async fn initialized(capabilities: Value) -> (Self, Value) {
        let mut wire = Self::start();
        let init = wire
            .request(
                "initialize",
                json!({
                    "protocolVersion": "2025-11-25",
                    "capabilities": capabilities,
                    "clientInfo": {"name": "conformance-test-client", "version": "1.0.0"}
                }),
            )
            .await
            .expect("initialize succeeds");
        wire.notify("notifications/initialized", json!({})).await;
        (wire, init)
    }

    /// The capabilities the suite's client declares.
    pub async fn suite_client() -> Self {
        Self::initialized(json!({"sampling": {}, "elicitation": {}}))
            .await
            .0
    }

    pub async fn send(&self, message: Value) {
        let bytes = serde_json::to_vec(&message).unwrap();
        self.to_server
            .send(InboundFrame::Bytes(bytes))
            .await
            .expect("the server is running");
    }

    pub async fn notify(&self, method: &str, params: Value) {
        self.send(json!({"jsonrpc": "2.0", "method": method, "params": params}))
            .await;
    }

    /// The next message from the server (transport instructions such as "close this
    /// stream" are skipped: they carry no message).
    pub async fn recv(&mut self) -> Sent {
        let frame = loop {
            let frame = tokio::time::timeout(PATIENCE, self.from_server.recv())
                .await
                .expect("the server answers in time")
                .expect("the server is running");
            if frame.is_message() {
                break frame;
            }
        };
        Sent {
            message: serde_json::from_slice(&frame.bytes).expect("the server writes JSON"),
            route: frame.route,
            at: Instant::now(),
        }
    }

    /// The id of the most recent request this driver sent.
    pub fn last_id(&self) -> i64 {
        self.next_id - 1
    }

    fn id(&mut self) -> i64 {
        let id = self.next_id;
        self.next_id += 1;
        id
    }

    /// Sends a request and returns its result (or error object as `Err`).
    pub async fn request(&mut self, method: &str, params: Value) -> Result<Value, Value> {
        let (outcome, _) = self
            .exchange(method, params, |request| {
                panic!("unexpected server request {request}")
            })
            .await;
        outcome
    }

    /// Sends a request, answering server→client requests with `answer` (given the request,
    /// returning the result), until the response arrives. Returns the outcome and everything
    /// else the server sent in between, in order.
    pub async fn exchange(
        &mut self,
        method: &str,
        params: Value,
        mut answer: impl FnMut(&Value) -> Value,
    ) -> (Result<Value, Value>, Vec<Sent>) {
        let id = self.id();
        self.send(json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params}))
            .await;
        let mut between = Vec::new();
        loop {
            let sent = self.recv().await;
            let message = &sent.message;
            if message.get("method").is_none() && message["id"] == json!(id) {
                assert_eq!(sent.route, Route::Response(id.into()), "{message}");
                let outcome = match message.get("result") {
                    Some(result) => Ok(result.clone()),
                    None => Err(message["error"].clone()),
                };
                return (outcome, between);
            }
            if message.get("method").is_some() && message.get("id").is_some() {
                let result = answer(message);
                self.send(json!({"jsonrpc": "2.0", "id": message["id"], "result": result}))
                    .await;
            }
            between.push(sent);
        }
    }

    /// `tools/call` with arguments; the result.
    pub async fn call(&mut self, tool: &str, arguments: Value) -> Value {
        self.request("tools/call", json!({"name": tool, "arguments": arguments}))
            .await
            .unwrap_or_else(|e| panic!("{tool} failed: {e}"))
    }
}

/// The route of everything sent on behalf of request `id`.
pub fn related(id: i64) -> Route {
    Route::Request(id.into())
}
