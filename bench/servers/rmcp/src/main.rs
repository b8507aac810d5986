//! The benchmark tool surface (`echo`, `calculate`, `bump`, `touch`, resource `bench://tick`)
//! on rmcp, written the way its documentation shows: `#[tool_router]` macros,
//! `StreamableHttpService` with a `LocalSessionManager`, mounted in axum.
//!
//! `bench-rmcp --listen ADDR [--workers N]` (N = 0: tokio current-thread runtime).

use std::sync::{Arc, Mutex};

use axum::serve::ListenerExt;
use rmcp::handler::server::router::tool::ToolRouter;
use rmcp::handler::server::wrapper::Parameters;
use rmcp::model::{
    ProgressNotificationParam, RequestMetaObject, ResourceUpdatedNotificationParam,
    ServerCapabilities, ServerConfig, SubscribeRequestParams,
};
use rmcp::service::RequestContext;
use rmcp::transport::streamable_http_server::session::local::LocalSessionManager;
use rmcp::transport::streamable_http_server::{StreamableHttpServerConfig, StreamableHttpService};
use rmcp::{ErrorData, Peer, RoleServer, ServerHandler, schemars, tool, tool_handler, tool_router};
use serde::Deserialize;

/// The resource every `touch` announces.
const TICK: &str = "bench://tick";

#[derive(Deserialize, schemars::JsonSchema)]
struct Echo {
    text: String,
}

#[derive(Deserialize, schemars::JsonSchema)]
struct Calculate {
    a: f64,
    b: f64,
}

#[derive(Deserialize, schemars::JsonSchema)]
struct Bump {
    k: u32,
    /// Bytes of padding in each progress message (resumption workloads).
    #[serde(default)]
    pad: usize,
}

/// Sessions subscribed to `bench://tick`.
type Subscribers = Arc<Mutex<Vec<Peer<RoleServer>>>>;

#[derive(Clone)]
struct Bench {
    tool_router: ToolRouter<Self>,
    subscribers: Subscribers,
}

#[tool_router]
impl Bench {
    fn new(subscribers: Subscribers) -> Self {
        Self {
            tool_router: Self::tool_router(),
            subscribers,
        }
    }

    #[tool(description = "Echo the text back")]
    fn echo(&self, Parameters(Echo { text }): Parameters<Echo>) -> String {
        text
    }

    #[tool(description = "Add two numbers")]
    fn calculate(&self, Parameters(Calculate { a, b }): Parameters<Calculate>) -> String {
        (a + b).to_string()
    }

    #[tool(description = "Send k progress notifications, then return k")]
    async fn bump(
        &self,
        Parameters(Bump { k, pad }): Parameters<Bump>,
        meta: RequestMetaObject,
        client: Peer<RoleServer>,
    ) -> Result<String, ErrorData> {
        if let Some(token) = meta.get_progress_token() {
            let message = "x".repeat(pad);
            for i in 1..=k {
                client
                    .notify_progress(
                        ProgressNotificationParam::new(token.clone(), f64::from(i))
                            .with_total(f64::from(k))
                            .with_message(message.clone()),
                    )
                    .await
                    .map_err(|e| ErrorData::internal_error(e.to_string(), None))?;
            }
        }
        Ok(k.to_string())
    }

    #[tool(description = "Announce an update of bench://tick to every subscriber")]
    async fn touch(&self) -> String {
        let peers: Vec<Peer<RoleServer>> = self.subscribers.lock().unwrap().clone();
        let mut reached = 0usize;
        for peer in peers {
            if peer
                .notify_resource_updated(ResourceUpdatedNotificationParam::new(TICK))
                .await
                .is_ok()
            {
                reached += 1;
            }
        }
        reached.to_string()
    }
}

#[tool_handler(router = self.tool_router)]
impl ServerHandler for Bench {
    fn get_info(&self) -> ServerConfig {
        ServerConfig::new(
            ServerCapabilities::builder()
                .enable_tools()
                .enable_resources()
                .enable_resources_subscribe()
                .build(),
        )
    }

    async fn subscribe(
        &self,
        request: SubscribeRequestParams,
        context: RequestContext<RoleServer>,
    ) -> Result<(), ErrorData> {
        if request.uri == TICK {
            self.subscribers.lock().unwrap().push(context.peer);
        }
        Ok(())
    }
}

fn main() -> std::io::Result<()> {
    let mut listen = String::from("127.0.0.1:8080");
    let mut workers = 1usize;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--listen" => listen = args.next().expect("--listen ADDR"),
            "--workers" => workers = args.next().expect("--workers N").parse().expect("a number"),
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
        let subscribers = Subscribers::default();
        let service: StreamableHttpService<Bench, LocalSessionManager> = StreamableHttpService::new(
            move || Ok(Bench::new(subscribers.clone())),
            Default::default(),
            StreamableHttpServerConfig::default(),
        );
        let router = axum::Router::new().nest_service("/mcp", service);
        let listener = tokio::net::TcpListener::bind(&listen).await?;
        eprintln!("bench-rmcp listening on {}", listener.local_addr()?);
        // TCP_NODELAY, as every contestant has it (Node and asyncio set it by default).
        let listener = listener.tap_io(|tcp| {
            let _ = tcp.set_nodelay(true);
        });
        axum::serve(listener, router).await
    })
}
