//! The tool surface every contestant of the benchmark serves.

use schemars::JsonSchema;
use serde::Deserialize;
use spate::server::{Args, Context, ResourceEntry, Server, ToolError};
use spate_protocol::Resource;

/// Sessions (and 2026-07-28 requests in progress) the benchmark server holds at once.
pub const MAX_SESSIONS: usize = 50_000;

/// The resource every `touch` announces.
pub const TICK: &str = "bench://tick";

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

/// The server: `echo {text}`, `calculate {a, b}`, `bump {k, pad?}` (k progress notifications
/// when the call has a progress token, then `k`), `touch` (announces an update of
/// `bench://tick` to its subscribers) and the resource `bench://tick`.
pub fn server() -> Server {
    Server::new("spate-bench", env!("CARGO_PKG_VERSION"))
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
