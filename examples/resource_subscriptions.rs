//! Resources that change, and clients told when they do. `counter://value` counts up once a
//! second; after each step the server calls `ServerHandle::resource_updated`, which sends
//! `notifications/resources/updated` to every client that subscribed to that URI with
//! `resources/subscribe` (or, in 2026-07-28, listens with `subscriptions/listen`). The
//! notification carries only the URI: a client reads the resource again for the new value.
//! The template `counter://value/base/{base}` shows the same count in another base, its
//! variable taken as a number through `Vars<T>`.
//!
//! Over stdio by default; over Streamable HTTP with `--listen ADDR` (it prints its URL):
//!
//! ```sh
//! cargo run -p spate-examples --example resource_subscriptions -- --listen 127.0.0.1:8080
//! spate watch http://127.0.0.1:8080/mcp --resource counter://value
//! ```

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use serde::Deserialize;
use spate::protocol::{ErrorObject, Resource, ResourceTemplate};
use spate::server::{ResourceEntry, Server, TemplateEntry, Vars};
use spate::transport::http::server::{HttpConfig, McpHttp};

const COUNTER: &str = "counter://value";

/// The variables of `counter://value/base/{base}`: the URI holds text, `Vars` parses it.
#[derive(Deserialize)]
struct Base {
    base: u32,
}

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let count = Arc::new(AtomicU64::new(0));

    let read_count = count.clone();
    let read_in_base = count.clone();
    let server = Server::new("counter", "1.0")
        .resource(ResourceEntry::dynamic(
            Resource {
                uri: COUNTER.into(),
                name: "counter".into(),
                description: Some("Counts up once a second; subscribe to hear it".into()),
                mime_type: Some("text/plain".into()),
                ..Default::default()
            },
            move || {
                let value = read_count.load(Ordering::Relaxed);
                async move { Ok(value.to_string()) }
            },
        ))
        .resource_template(
            TemplateEntry::new(
                ResourceTemplate {
                    uri_template: format!("{COUNTER}/base/{{base}}"),
                    name: "counter-in-base".into(),
                    description: Some("The counter written in base 2 to 36".into()),
                    mime_type: Some("text/plain".into()),
                    ..Default::default()
                },
                move |Vars(Base { base }): Vars<Base>| {
                    let value = read_in_base.load(Ordering::Relaxed);
                    async move {
                        in_base(value, base).ok_or_else(|| {
                            ErrorObject::invalid_params(format!("base {base} is not in 2..=36"))
                        })
                    }
                },
            )
            .expect("the template is valid"),
        );

    // The handle outlives the builder: it is how running code tells clients what changed.
    let handle = server.handle();
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(Duration::from_secs(1));
        tick.tick().await; // the first tick is immediate
        loop {
            tick.tick().await;
            count.fetch_add(1, Ordering::Relaxed);
            handle.resource_updated(COUNTER);
        }
    });

    let mut args = std::env::args().skip(1);
    match (args.next().as_deref(), args.next()) {
        (None, _) => server.serve_stdio().await,
        (Some("--listen"), Some(addr)) => {
            let listener = tokio::net::TcpListener::bind(&addr).await?;
            println!("serving MCP at http://{}/mcp", listener.local_addr()?);
            McpHttp::new(server, HttpConfig::default())
                .serve(listener)
                .await
        }
        _ => Err(std::io::Error::other(
            "usage: resource_subscriptions [--listen ADDR]",
        )),
    }
}

/// `value` written in `base` (2 to 36), or `None` for another base.
fn in_base(mut value: u64, base: u32) -> Option<String> {
    if !(2..=36).contains(&base) {
        return None;
    }
    let mut digits = Vec::new();
    loop {
        let digit = (value % u64::from(base)) as u32;
        digits.push(char::from_digit(digit, base)?);
        value /= u64::from(base);
        if value == 0 {
            break;
        }
    }
    Some(digits.iter().rev().collect())
}
