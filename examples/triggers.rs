//! Triggers (the MCP events extension): a server with an event type, and an agent-side loop
//! that reacts to each occurrence as it happens.
//!
//! The server registers `order.created` (subscription argument `min_amount`: only orders at
//! least that big) and emits an order every 300 ms. Clients follow it by polling
//! (`events/poll`), by a push stream (`events/stream`) or by webhooks; here the follower uses
//! an `EventSubscription`, which picks the best mode the type offers (push, as no webhook
//! receiver is given), keeps its cursor and reopens a dropped stream from it.
//!
//! ```sh
//! cargo run -p spate-examples --example triggers -- --listen 127.0.0.1:8080
//! cargo run -p spate-examples --example triggers -- --follow http://127.0.0.1:8080/mcp --min 50 --count 3
//! ```

use std::sync::Arc;
use std::time::Duration;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use spate::client::{Client, SubscriptionItem};
use spate::server::{EventEntry, Server};
use spate::transport::http::client::HttpClientOptions;
use spate::transport::http::server::{HttpConfig, McpHttp};

/// What each occurrence carries.
#[derive(Debug, Serialize, Deserialize, JsonSchema)]
struct Order {
    /// The order number.
    n: u64,
    /// Its amount.
    amount: f64,
}

/// A subscription's arguments.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct OrderFilter {
    /// Only orders of at least this amount.
    min_amount: Option<f64>,
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let value = |flag: &str| {
        args.iter()
            .position(|a| a == flag)
            .and_then(|i| args.get(i + 1))
            .cloned()
    };
    match (value("--listen"), value("--follow")) {
        (Some(listen), _) => serve(&listen).await,
        (None, Some(url)) => {
            let min = value("--min").map(|m| m.parse()).transpose()?;
            let count = value("--count").map_or(Ok(5), |c| c.parse())?;
            follow(&url, min, count).await
        }
        _ => Err("usage: triggers --listen ADDR | --follow URL [--min AMOUNT] [--count N]".into()),
    }
}

/// Serves `order.created` over Streamable HTTP, emitting an order every 300 ms.
async fn serve(listen: &str) -> Result<(), Box<dyn std::error::Error>> {
    let server = Server::new("shop", "1.0").event(EventEntry::new(
        "order.created",
        "A new order was placed",
        |f: &OrderFilter, o: &Order| f.min_amount.is_none_or(|min| o.amount >= min),
    ));
    let handle = server.handle();
    tokio::spawn(async move {
        for n in 1.. {
            tokio::time::sleep(Duration::from_millis(300)).await;
            // Amounts cycle 10, 20, … 100, so a filter visibly drops some.
            let order = Order {
                n,
                amount: f64::from(u32::try_from(n % 10).unwrap_or(0) + 1) * 10.0,
            };
            if let Err(e) = handle
                .emit("order.created", &order, Some(format!("order-{n}")))
                .await
            {
                eprintln!("emit failed: {e}");
            }
        }
    });
    let listener = tokio::net::TcpListener::bind(listen).await?;
    println!(
        "serving order.created on http://{}/mcp",
        listener.local_addr()?
    );
    McpHttp::new(server, HttpConfig::default())
        .serve(listener)
        .await?;
    Ok(())
}

/// Follows `order.created` (orders of at least `min`) and prints `count` of them.
async fn follow(
    url: &str,
    min: Option<f64>,
    count: usize,
) -> Result<(), Box<dyn std::error::Error>> {
    let client = Arc::new(
        Client::builder("triggers-example", "1.0")
            .connect_http(url, HttpClientOptions::default())
            .await?,
    );
    let mut arguments = serde_json::Map::new();
    if let Some(min) = min {
        arguments.insert("min_amount".into(), min.into());
    }
    let mut orders = client
        .subscribe_events("order.created", arguments)
        .open()
        .await?;
    println!("following order.created by {:?}", orders.mode());
    let mut seen = 0;
    while seen < count {
        match orders.next().await? {
            SubscriptionItem::Event(event) => {
                let order: Order = serde_json::from_value(event.data.into())?;
                println!(
                    "order {} for {:.2} ({})",
                    order.n, order.amount, event.event_id
                );
                seen += 1;
            }
            SubscriptionItem::Gap => println!("(some orders may have been missed)"),
            other => println!("{other:?}"),
        }
    }
    orders.close().await?;
    Ok(())
}
