//! The tool surface every contestant of the benchmark serves, and (Spate only) the event
//! type `bench.tick` with its `emit` tool for the events workloads W7–W9.

use schemars::JsonSchema;
use serde::Deserialize;
use serde::Serialize;
use spate::server::{Args, Context, EventEntry, ResourceEntry, Server, ServerConfig, ToolError};
use spate_protocol::{Implementation, Resource};

/// Sessions (and 2026-07-28 requests in progress) the benchmark server holds at once.
pub const MAX_SESSIONS: usize = 50_000;

/// The resource every `touch` announces.
pub const TICK: &str = "bench://tick";

/// The event type every `emit` records an occurrence of (payload `{n}`).
pub const EVENT: &str = "bench.tick";

/// Webhook subscriptions the server accepts (all of them the one principal's).
pub const MAX_WEBHOOKS: usize = 10_000;

/// Occurrences of `bench.tick` the history keeps: a webhook burst of W8 and the pollers of
/// W9 read from it, and must never find their cursor gone.
pub const HISTORY: usize = 200_000;

#[derive(Deserialize, JsonSchema)]
struct Echo {
    text: String,
}

#[derive(Deserialize, JsonSchema)]
struct Calculate {
    a: f64,
    b: f64,
}

#[derive(Deserialize, JsonSchema)]
struct Bump {
    k: u32,
    /// Bytes of padding in each progress message (resumption workloads).
    #[serde(default)]
    pad: usize,
}

#[derive(Deserialize, JsonSchema)]
struct Touch {}

#[derive(Deserialize, JsonSchema)]
struct Emit {
    /// The `n` of the first occurrence.
    n: u64,
    /// Occurrences to emit, numbered n, n+1, … (default 1).
    #[serde(default)]
    count: Option<u64>,
}

/// The payload of `bench.tick`.
#[derive(Serialize, JsonSchema)]
struct Tick {
    n: u64,
}

/// The server: `echo {text}`, `calculate {a, b}`, `bump {k, pad?}` (k progress notifications
/// when the call has a progress token, then `k`), `touch` (announces an update of
/// `bench://tick` to its subscribers), the resource `bench://tick`, and the event type
/// `bench.tick` with `emit {n, count?}` (emits `count` occurrences `{n}`, `{n+1}`, …, then
/// returns the last `n`). `config` carries the events settings (history, webhooks).
pub fn server(config: ServerConfig) -> Server {
    Server::with_info(
        Implementation::new("spate-bench", env!("CARGO_PKG_VERSION")),
        None,
        config,
    )
    .tool(
        "echo",
        "Echo the text back",
        |Args(Echo { text }): Args<Echo>| async move { Ok(text) },
    )
    .tool(
        "calculate",
        "Add two numbers",
        |Args(Calculate { a, b }): Args<Calculate>| async move { Ok((a + b).to_string()) },
    )
    .tool("bump", "Send k progress notifications, then return k", bump)
    .tool(
        "touch",
        "Announce an update of bench://tick to every subscriber",
        |ctx: Context, Args(Touch {}): Args<Touch>| async move {
            ctx.server().resource_updated(TICK);
            Ok("ok")
        },
    )
    .tool(
        "emit",
        "Emit count occurrences of bench.tick numbered from n",
        emit,
    )
    .event(EventEntry::unfiltered::<Tick>(
        EVENT,
        "A tick of the benchmark",
    ))
    .resource(ResourceEntry::text(
        Resource {
            uri: TICK.into(),
            name: "tick".into(),
            ..Default::default()
        },
        "tick",
    ))
}

async fn bump(ctx: Context, Args(Bump { k, pad }): Args<Bump>) -> Result<String, ToolError> {
    let message = "x".repeat(pad);
    for i in 1..=k {
        let message = (pad > 0).then(|| message.clone());
        ctx.progress(f64::from(i), Some(f64::from(k)), message)
            .await?;
    }
    Ok(k.to_string())
}

async fn emit(ctx: Context, Args(Emit { n, count }): Args<Emit>) -> Result<String, ToolError> {
    let count = count.unwrap_or(1).max(1);
    let server = ctx.server();
    for n in n..n + count {
        server
            .emit(EVENT, &Tick { n }, None)
            .await
            .map_err(ToolError::failed)?;
    }
    Ok((n + count - 1).to_string())
}
