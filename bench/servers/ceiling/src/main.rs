//! The ceiling: the least a server can do to answer an MCP `tools/call` over HTTP — parse the
//! body once into a borrowed struct, echo `arguments.text`, write the reply by hand, as JSON
//! or as a one-event `text/event-stream`. No sessions, no engine, no checks. `initialize`
//! gets a fixed session id so the load driver can speak to it like to any MCP server.
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
    #[serde(borrow)]
    arguments: Option<Arguments<'a>>,
}

#[derive(Deserialize)]
struct Arguments<'a> {
    #[serde(borrow)]
    text: Option<&'a RawValue>,
}

#[derive(Clone, Copy)]
struct Mode {
    sse: bool,
}

async fn handle(State(mode): State<Mode>, body: Bytes) -> Response {
    let Ok(request) = serde_json::from_slice::<Request>(&body) else {
        return StatusCode::BAD_REQUEST.into_response();
    };
    let Some(id) = request.id else {
        return StatusCode::ACCEPTED.into_response(); // a notification
    };
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
        let router = Router::new()
            .route("/mcp", post(handle))
            .with_state(Mode { sse });
        let listener = tokio::net::TcpListener::bind(&listen).await?;
        eprintln!("bench-ceiling listening on {}", listener.local_addr()?);
        // TCP_NODELAY, as every contestant has it (Node and asyncio set it by default).
        let listener = listener.tap_io(|tcp| {
            let _ = tcp.set_nodelay(true);
        });
        axum::serve(listener, router).await
    })
}
