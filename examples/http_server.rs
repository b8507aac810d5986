//! A server over Streamable HTTP: two tools behind one endpoint, served by `McpHttp::serve`
//! on a TCP listener. `add` answers at once; `countdown` logs and reports progress while it
//! runs, so its answer arrives as an SSE stream instead of a single JSON body.
//!
//! The address comes from the first argument (`--listen` before it is optional; default
//! `127.0.0.1:8080`, port 0 picks a free one). The server prints its URL, then serves until
//! stopped:
//!
//! ```sh
//! cargo run -p spate-examples --example http_server -- --listen 127.0.0.1:8080
//! cargo run -p spate-examples --example client -- http://127.0.0.1:8080/mcp countdown '{"from": 3}'
//! ```

use std::time::Duration;

use schemars::JsonSchema;
use serde::Deserialize;
use spate::server::{Args, Context, Server};
use spate::transport::http::server::{HttpConfig, McpHttp};

#[derive(Deserialize, JsonSchema)]
struct Add {
    a: f64,
    b: f64,
}

#[derive(Deserialize, JsonSchema)]
struct Countdown {
    /// Where to start counting down from (at most 10).
    from: u32,
}

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let addr = std::env::args()
        .skip(1)
        .find(|a| a != "--listen")
        .unwrap_or_else(|| "127.0.0.1:8080".to_owned());

    let server = Server::new("http-example", "1.0")
        .tool(
            "add",
            "Add two numbers",
            |Args(Add { a, b }): Args<Add>| async move { Ok(format!("{}", a + b)) },
        )
        .tool(
            "countdown",
            "Count down to zero, one step every 100 ms, with progress and logs",
            |ctx: Context, Args(Countdown { from }): Args<Countdown>| async move {
                let from = from.min(10);
                for step in 1..=from {
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    ctx.info(format!("{} left", from - step)).await?;
                    ctx.progress(f64::from(step), Some(f64::from(from)), None)
                        .await?;
                }
                Ok("liftoff")
            },
        );

    let listener = tokio::net::TcpListener::bind(&addr).await?;
    // With the default config the server only answers requests whose Host names this
    // address, and browsers only from loopback origins.
    println!("serving MCP at http://{}/mcp", listener.local_addr()?);
    McpHttp::new(server, HttpConfig::default())
        .serve(listener)
        .await
}
