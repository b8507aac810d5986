//! The ceiling: the least a server can do to answer an MCP `tools/call` over HTTP — parse the
//! body once into a borrowed struct, echo `arguments.text`, write the reply by hand, as JSON
//! or as a one-event `text/event-stream`. No sessions, no engine, no checks. `initialize`
//! gets a fixed session id so the load driver can speak to it like to any MCP server.
//!
//! For the fan-out workload (W4) it also holds streams — a `GET` stream, or the answer to a
//! `subscriptions/listen` — all fed by one tokio broadcast channel: `tools/call touch` sends
//! one `notifications/resources/updated` event to every stream. That is the least a tokio
//! and hyper server can do per delivery: one wake-up and one write per subscriber.
//!
//! `bench-ceiling --listen ADDR [--mode json|sse] [--workers N]` (N = 0: current-thread).

use axum::Router;
use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::serve::ListenerExt;
use bytes::{BufMut, Bytes, BytesMut};
use serde::Deserialize;
use serde_json::value::RawValue;
use tokio::sync::broadcast;

#[derive(Deserialize)]
struct Request<'a> {
    #[serde(borrow)]
    id: Option<&'a RawValue>,
    method: &'a str,
    #[serde(borrow)]
    params: Option<Params<'a>>,
}

#[derive(Deserialize)]
struct Params<'a> {
    name: Option<&'a str>,
    #[serde(borrow)]
    arguments: Option<Arguments<'a>>,
}

#[derive(Deserialize)]
struct Arguments<'a> {
    #[serde(borrow)]
    text: Option<&'a RawValue>,
}

#[derive(Clone)]
struct Mode {
    sse: bool,
    /// Every open stream's source of events.
    hub: broadcast::Sender<Bytes>,
}

/// The one event `touch` sends, framed.
const UPDATED: &[u8] = b"data: {\"jsonrpc\":\"2.0\",\"method\":\"notifications/resources/updated\",\"params\":{\"uri\":\"bench://tick\"}}\n\n";
/// The first event of a `subscriptions/listen` stream.
const ACKNOWLEDGED: &[u8] = b"data: {\"jsonrpc\":\"2.0\",\"method\":\"notifications/subscriptions/acknowledged\",\"params\":{}}\n\n";

/// An SSE response carrying `first` (if any), then everything the hub sends.
fn stream(hub: &broadcast::Sender<Bytes>, first: Option<Bytes>) -> Response {
    let events = futures_util::stream::unfold((hub.subscribe(), first), |(mut rx, first)| async {
        if let Some(event) = first {
            return Some((Ok::<_, std::convert::Infallible>(event), (rx, None)));
        }
        loop {
            match rx.recv().await {
                Ok(event) => return Some((Ok(event), (rx, None))),
                Err(broadcast::error::RecvError::Lagged(_)) => continue,
                Err(broadcast::error::RecvError::Closed) => return None,
            }
        }
    });
    let mut response = Response::new(Body::from_stream(events));
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/event-stream"),
    );
    response
}

async fn open_stream(State(mode): State<Mode>) -> Response {
    stream(&mode.hub, None)
}

async fn handle(State(mode): State<Mode>, body: Bytes) -> Response {
    let Ok(request) = serde_json::from_slice::<Request>(&body) else {
        return StatusCode::BAD_REQUEST.into_response();
    };
    let Some(id) = request.id else {
        return StatusCode::ACCEPTED.into_response(); // a notification
    };
    match request.method {
        "subscriptions/listen" => return stream(&mode.hub, Some(Bytes::from_static(ACKNOWLEDGED))),
        "tools/call" if request.params.as_ref().and_then(|p| p.name) == Some("touch") => {
            // No receivers yet is not an error here.
            let _ = mode.hub.send(Bytes::from_static(UPDATED));
        }
        _ => {}
    }
    let mut out = BytesMut::with_capacity(160);
    if mode.sse {
        out.put_slice(b"data: ");
    }
    out.put_slice(br#"{"jsonrpc":"2.0","id":"#);
    out.put_slice(id.get().as_bytes());
    let initialize = request.method == "initialize";
    if initialize {
        out.put_slice(
            br#","result":{"protocolVersion":"2025-11-25","capabilities":{"tools":{}},"serverInfo":{"name":"ceiling","version":"1"}}}"#,
        );
    } else {
        let text = request
            .params
            .and_then(|p| p.arguments)
            .and_then(|a| a.text)
            .map_or("\"\"", |t| t.get());
        out.put_slice(br#","result":{"content":[{"type":"text","text":"#);
        out.put_slice(text.as_bytes());
        out.put_slice(br#"}],"isError":false}}"#);
    }
    if mode.sse {
        out.put_slice(b"\n\n");
    }
    let mut response = Response::new(Body::from(out.freeze()));
    let kind = if mode.sse {
        "text/event-stream"
    } else {
        "application/json"
    };
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(kind));
    if initialize {
        headers.insert("mcp-session-id", HeaderValue::from_static("ceiling"));
    }
    response
}

fn main() -> std::io::Result<()> {
    let mut listen = String::from("127.0.0.1:8080");
    let mut workers = 1usize;
    let mut sse = false;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--listen" => listen = args.next().expect("--listen ADDR"),
            "--workers" => workers = args.next().expect("--workers N").parse().expect("a number"),
            "--mode" => sse = args.next().expect("--mode json|sse") == "sse",
            other => panic!("unknown argument {other}"),
        }
    }
    let runtime = if workers == 0 {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?
    } else {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(workers)
            .enable_all()
            .build()?
    };
    runtime.block_on(async move {
        let (hub, _) = broadcast::channel(16);
        let router = Router::new()
            .route("/mcp", post(handle).get(open_stream))
            .with_state(Mode { sse, hub });
        let listener = tokio::net::TcpListener::bind(&listen).await?;
        eprintln!("bench-ceiling listening on {}", listener.local_addr()?);
        // TCP_NODELAY, as every contestant has it (Node and asyncio set it by default).
        let listener = listener.tap_io(|tcp| {
            let _ = tcp.set_nodelay(true);
        });
        axum::serve(listener, router).await
    })
}
