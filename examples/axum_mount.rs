//! MCP as part of an existing axum app: `McpHttp::router()` is an axum `Router` (the MCP
//! endpoint `/mcp`, and `/sse` + `/message` for the 2024-11-05 transport), merged here beside
//! the app's own `/healthz` and served by `axum::serve` (hyper) rather than by
//! `McpHttp::serve`.
//!
//! One thing `McpHttp::serve` does that a mounted router cannot: derive the allowed `Host`
//! values from the address it is bound to. So the app sets `HttpConfig::allowed_hosts`
//! itself; without them any `Host` is accepted (DNS rebinding). The check guards the MCP
//! routes only: `/healthz` answers whatever the `Host`.
//!
//! ```sh
//! cargo run -p spate-examples --example axum_mount -- 127.0.0.1:8080   # port 0 picks a free one
//! curl http://127.0.0.1:8080/healthz                                   # ok
//! spate tools http://127.0.0.1:8080/mcp
//! ```

use axum::routing::get;
use schemars::JsonSchema;
use serde::Deserialize;
use spate::server::{Args, Server};
use spate::transport::http::server::{HttpConfig, McpHttp};

#[derive(Deserialize, JsonSchema)]
struct Shout {
    text: String,
}

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let addr = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "127.0.0.1:8080".to_owned());
    let listener = tokio::net::TcpListener::bind(&addr).await?;
    let bound = listener.local_addr()?;

    let server = Server::new("axum-example", "1.0").tool(
        "shout",
        "Repeat a text in capitals",
        |Args(Shout { text }): Args<Shout>| async move { Ok(text.to_uppercase()) },
    );
    let config = {
        let mut config = HttpConfig::default();
        config.allowed_hosts = HttpConfig::hosts_for(bound);
        config
    };
    // `router()` starts the session sweeper, so it is called inside the runtime.
    let mcp = McpHttp::new(server, config).router();

    let app = axum::Router::new()
        .route("/healthz", get(|| async { "ok" }))
        .merge(mcp);

    println!("serving MCP at http://{bound}/mcp, health at http://{bound}/healthz");
    axum::serve(listener, app).await
}
