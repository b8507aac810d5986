//! A Spate server's webhooks against the Vercel AI SDK's MCP client (`@ai-sdk/mcp`, from
//! npm): it discovers the server, lists, subscribes with its own receiver (which checks
//! every signature, the `webhook-id` = `eventId` rule of its profile, and answers the
//! verification challenge), receives the events this test emits, refreshes, receives one
//! more, and unsubscribes (interop/events/ai-sdk-client.mjs).

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::Duration;

use schemars::JsonSchema;
use serde::Serialize;
use spate::server::{EventEntry, Server, ServerConfig};
use spate::transport::http::client::webhook_sender::{HttpWebhookSender, WebhookSenderConfig};
use spate::transport::http::server::HttpConfig;

use super::support::{Peer, env, interop_dir};
use crate::http_support::start_with;

#[derive(Serialize, JsonSchema)]
struct Tick {
    n: u64,
}

/// Events the AI SDK must receive before it refreshes.
const N: u64 = 200;

#[tokio::test]
#[ignore = "needs the events peers: run scripts/test"]
async fn ai_sdk_client_subscribes_receives_refreshes_and_unsubscribes() {
    let mut sender = WebhookSenderConfig::default();
    sender.policy.allow_loopback = true;
    sender.allow_http_loopback = true;
    let mut config = ServerConfig::default();
    config.events.webhooks.sender = Some(Arc::new(HttpWebhookSender::new(sender).unwrap()));
    // The AI SDK sends no credentials here: the development principal owns its subscription.
    config.events.webhooks.anonymous_principal = Some("ai-sdk".to_owned());
    // Its receiver answers 503 until it has stored the subscribe result: retry soon.
    config.events.webhooks.retry_delays = vec![Duration::from_millis(200); 20];
    let server = Server::with_info(
        spate_protocol::Implementation::new("webhooks-for-ai-sdk", "1"),
        None,
        config,
    )
    .event(EventEntry::unfiltered::<Tick>("tick", "A tick"));
    let handle = server.handle();
    let running = start_with(server, HttpConfig::default()).await;

    let child = Command::new(env("SPATE_NODE"))
        .arg(interop_dir().join("events/ai-sdk-client.mjs"))
        .env(
            "SPATE_EVENTS_NODE_MODULES",
            env("SPATE_EVENTS_NODE_MODULES"),
        )
        .env("MCP_URL", format!("{}/mcp", running.base))
        .env("EVENT_NAME", "tick")
        .env("EVENT_COUNT", N.to_string())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("start the AI SDK client");
    let mut peer = Peer(child);
    let (lines_tx, mut lines) = tokio::sync::mpsc::unbounded_channel();
    let stdout = peer.0.stdout.take().unwrap();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            let _ = lines_tx.send(line);
        }
    });
    let mut next_line = async || {
        tokio::time::timeout(Duration::from_secs(60), lines.recv())
            .await
            .expect("the AI SDK client went quiet")
            .expect("the AI SDK client exited early")
    };

    let line = next_line().await;
    let id = line.strip_prefix("subscribed ").expect(&line).to_owned();
    assert!(id.starts_with("sub_"), "{line}");
    for n in 0..N {
        handle.emit("tick", &Tick { n }, None).await.unwrap();
    }
    assert_eq!(next_line().await, format!("refreshed {id}"));
    handle.emit("tick", &Tick { n: N }, None).await.unwrap();
    let line = next_line().await;
    let seen: Vec<u64> = line
        .strip_prefix("done ")
        .expect(&line)
        .split(',')
        .map(|n| n.parse().unwrap())
        .collect();
    assert_eq!(
        seen,
        (0..=N).collect::<Vec<_>>(),
        "0 lost, 0 duplicated, in order"
    );
    let status = peer.0.wait().unwrap();
    assert!(status.success(), "{status}");
}
