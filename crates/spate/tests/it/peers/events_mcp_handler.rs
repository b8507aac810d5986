//! Spate's webhook client against the published `mcp-handler` package's events support
//! (`experimental_registerMcpEvents`, 2.4.0), served on 127.0.0.1 by
//! `interop/events/mcp-handler-server.mjs`: list, then the one delivery mode that server
//! offers (webhook), to Spate's receiver served over HTTPS with a certificate made here.
//!
//! Needs the peers `scripts/test` installs (`#[ignore]`d otherwise, and failing, not
//! skipping, when they are missing): `SPATE_NODE` and `SPATE_EVENTS_NODE_MODULES`
//! (`scripts/interop-setup events`).

use std::collections::HashSet;
use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::Value;
use spate::client::{Client, EraChoice};
use spate::events::WebhookSecret;
use spate::transport::http::client::HttpClientOptions;
use spate::transport::http::webhook_receiver::{
    ReceiverConfig, WebhookDeliveries, WebhookItem, WebhookReceiver,
};
use spate_protocol::JsonObject;
use spate_protocol::events::{DeliveryMode, SubscribeEventsRequestParams, WebhookDelivery};
use tokio::net::{TcpListener, TcpStream};
use tokio_rustls::TlsAcceptor;
use tokio_rustls::rustls;

use super::support::{Peer, env, interop_dir};

/// Events the server's worker delivers per subscription (and it then redelivers the first).
const EVENTS: usize = 5;

/// The server's report lines (one JSON object each, see the script's header).
type Reports = Arc<Mutex<Vec<Value>>>;

/// Starts the mcp-handler events server; answers it, its MCP URL and its reports.
fn start_server(ca_file: &std::path::Path) -> (Peer, String, Reports) {
    let mut child = Command::new(env("SPATE_NODE"))
        .arg(interop_dir().join("events/mcp-handler-server.mjs"))
        .env(
            "SPATE_EVENTS_NODE_MODULES",
            env("SPATE_EVENTS_NODE_MODULES"),
        )
        .env("PORT", "0")
        .env("RECV_CA", ca_file)
        .env("EVENT_COUNT", EVENTS.to_string())
        .env("EVENT_REDELIVER", "1")
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("start the mcp-handler events server");
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let first = lines.next().expect("announcement").expect("announcement");
    let url = first
        .strip_prefix("listening on ")
        .unwrap_or_else(|| panic!("unexpected first line {first:?}"))
        .to_owned();
    let reports = Reports::default();
    let sink = reports.clone();
    std::thread::spawn(move || {
        for line in lines.map_while(Result::ok) {
            if let Ok(value) = serde_json::from_str(&line) {
                sink.lock().unwrap().push(value);
            }
        }
    });
    (Peer(child), url, reports)
}

/// The reports of one kind (`upsert`, `remove`, `delivered`, …).
fn reports_of(reports: &Reports, kind: &str) -> Vec<Value> {
    let all = reports.lock().unwrap();
    all.iter().filter_map(|r| r.get(kind).cloned()).collect()
}

/// Waits until `ready` holds for the reports, or fails with them.
async fn until(reports: &Reports, what: &str, ready: impl Fn(&Reports) -> bool) {
    for _ in 0..300 {
        if ready(reports) {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("{what}: not seen; reports: {:?}", reports.lock().unwrap());
}

/// A self-signed certificate for 127.0.0.1 (written to a PEM file for the server's worker)
/// and a TLS acceptor serving it.
fn tls(dir: &std::path::Path) -> (TlsAcceptor, std::path::PathBuf) {
    let made = rcgen::generate_simple_self_signed(vec!["127.0.0.1".to_owned()]).unwrap();
    let ca_file = dir.join("receiver-cert.pem");
    std::fs::write(&ca_file, made.cert.pem()).unwrap();
    let key = rustls::pki_types::PrivateKeyDer::Pkcs8(made.key_pair.serialize_der().into());
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(vec![made.cert.der().clone()], key)
        .unwrap();
    (TlsAcceptor::from(Arc::new(config)), ca_file)
}

/// A TCP listener that hands axum only connections whose TLS handshake succeeded.
struct TlsListener {
    tcp: TcpListener,
    acceptor: TlsAcceptor,
}

impl axum::serve::Listener for TlsListener {
    type Io = tokio_rustls::server::TlsStream<TcpStream>;
    type Addr = SocketAddr;

    async fn accept(&mut self) -> (Self::Io, Self::Addr) {
        loop {
            let Ok((stream, peer)) = self.tcp.accept().await else {
                continue;
            };
            if let Ok(tls) = self.acceptor.accept(stream).await {
                return (tls, peer);
            }
        }
    }

    fn local_addr(&self) -> std::io::Result<SocketAddr> {
        self.tcp.local_addr()
    }
}

/// The receiver, served over HTTPS on 127.0.0.1 under `/hooks`; answers its base URL.
async fn serve_receiver(receiver: &WebhookReceiver, acceptor: TlsAcceptor) -> String {
    let tcp = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = tcp.local_addr().unwrap().port();
    let app = axum::Router::new().nest("/hooks", receiver.router());
    tokio::spawn(async move { axum::serve(TlsListener { tcp, acceptor }, app).await });
    format!("https://127.0.0.1:{port}/hooks")
}

/// The ids of the next `n` events, failing on anything else or after 30 s.
async fn events(deliveries: &mut WebhookDeliveries, n: usize) -> Vec<String> {
    let mut ids = Vec::new();
    while ids.len() < n {
        let item = tokio::time::timeout(Duration::from_secs(30), deliveries.recv())
            .await
            .unwrap_or_else(|_| panic!("only {} of {n} events arrived: {ids:?}", ids.len()));
        match item {
            Some(WebhookItem::Event(event)) => {
                assert_eq!(event.name, "demo.ping");
                ids.push(event.event_id);
            }
            other => panic!("expected an event, got {other:?}"),
        }
    }
    ids
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs the official peers: run scripts/test"]
async fn webhook_events_from_mcp_handler() {
    let dir = std::env::temp_dir().join(format!("spate-events-peer-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let (acceptor, ca_file) = tls(&dir);
    let (_server, mcp_url, reports) = start_server(&ca_file);

    let receiver = WebhookReceiver::new(ReceiverConfig::default());
    let base = serve_receiver(&receiver, acceptor).await;

    let mut options = HttpClientOptions::default();
    options.bearer_token = Some("dev-token".into());
    let client = Arc::new(
        Client::builder("spate-interop", "0")
            .era(EraChoice::Modern)
            .connect_http(&mcp_url, options)
            .await
            .expect("connect to the mcp-handler server"),
    );

    // list: the one type, offered by webhook only.
    let types = client.list_all_events().await.expect("events/list");
    let ping = types
        .iter()
        .find(|t| t.name == "demo.ping")
        .unwrap_or_else(|| panic!("demo.ping not listed: {types:?}"));
    assert_eq!(ping.delivery, vec![DeliveryMode::Webhook]);

    // webhook: register with the receiver, then subscribe (the server verifies the callback
    // before it answers) and keep the subscription.
    let (registration, mut deliveries) = receiver.register(WebhookSecret::generate());
    let url = registration.callback_url(&base);
    let params = SubscribeEventsRequestParams {
        name: "demo.ping".into(),
        arguments: JsonObject::new(),
        delivery: WebhookDelivery::new(url.clone(), registration.secret().to_text()),
        cursor: None,
        max_age_ms: None,
        ttl_ms: Some(Some(600_000)),
        meta: None,
    };
    let keeper = client
        .keep_webhook(params, Arc::new(registration.clone()))
        .await
        .expect("events/subscribe");
    let first = keeper.status().last;
    assert!(first.id.starts_with("sub_"), "{first:?}");
    assert!(first.refresh_before.is_some(), "{first:?}");
    assert_eq!(
        registration.subscription_id().as_deref(),
        Some(first.id.as_str())
    );
    until(&reports, "the verification", |r| {
        !reports_of(r, "verification").is_empty()
    })
    .await;
    assert_eq!(reports_of(&reports, "verification")[0]["status"], 200);

    // Every event arrives, once: the worker's redelivery of the first is acknowledged (its
    // report comes after all the others) but not handed out again.
    let ids = events(&mut deliveries, EVENTS).await;
    let distinct: HashSet<&String> = ids.iter().collect();
    assert_eq!(distinct.len(), EVENTS, "duplicates among {ids:?}");
    until(&reports, "the redelivery", |r| {
        reports_of(r, "delivered").len() == EVENTS + 1
    })
    .await;
    assert!(reports_of(&reports, "abandoned").is_empty());
    assert_eq!(deliveries.try_recv(), None, "the redelivery was handed out");
    assert_eq!(
        registration.cursor().as_deref(),
        Some(format!("cursor-{EVENTS}").as_str())
    );

    // refresh: the same subscription, carrying the last cursor.
    let mut status = keeper.watch();
    keeper.refresh_now();
    tokio::time::timeout(
        Duration::from_secs(20),
        status.wait_for(|s| s.refreshes == 1 || s.ended.is_some()),
    )
    .await
    .expect("a refresh in time")
    .unwrap();
    let refreshed = keeper.status();
    assert!(refreshed.ended.is_none(), "{:?}", refreshed.ended);
    assert_eq!(refreshed.last.id, first.id);
    until(&reports, "the second upsert", |r| {
        reports_of(r, "upsert").len() >= 2
    })
    .await;
    let upserts = reports_of(&reports, "upsert");
    assert_eq!(upserts.len(), 2, "{upserts:?}");
    assert_eq!(upserts[0]["cursor"], Value::Null);
    assert_eq!(upserts[1]["cursor"], format!("cursor-{EVENTS}"));
    assert_eq!(upserts[1]["id"], first.id.as_str());

    // unsubscribe, then again: the server answers NotFound (-32011), which is success.
    keeper.stop().await.expect("events/unsubscribe");
    client
        .unsubscribe_webhook("demo.ping", JsonObject::new(), url)
        .await
        .expect("a second unsubscribe is a success too");
    until(&reports, "both removes", |r| {
        reports_of(r, "remove").len() >= 2
    })
    .await;
    let removes = reports_of(&reports, "remove");
    assert_eq!(removes.len(), 2, "{removes:?}");
    assert_eq!(removes[0]["existed"], true);
    assert_eq!(removes[1]["existed"], false);
    assert_eq!(deliveries.try_recv(), None);

    Arc::try_unwrap(client)
        .expect("the only client")
        .close()
        .await;
    let _ = std::fs::remove_dir_all(&dir);
}
