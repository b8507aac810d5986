//! The webhook client calls and the `WebhookKeeper`, against a scripted 2026-07-28 server on
//! 127.0.0.1: what `events/subscribe` and `events/unsubscribe` send, `NotFound` in either
//! numbering as a successful unsubscribe, and the keeper's answers to `NotFound` (list again,
//! subscribe afresh) and `Forbidden` (stop).

use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::extract::State;
use axum::response::IntoResponse;
use serde_json::{Value, json};
use spate::client::{Client, EraChoice, KeeperStatus, WebhookBinding};
use spate::engine::PeerError;
use spate::transport::http::client::HttpClientOptions;
use spate_protocol::JsonObject;
use spate_protocol::events::{
    SubscribeEventsRequestParams, SubscribeEventsResult, WebhookDelivery,
};

/// Answers one request: `Ok(result)` or `Err((code, data))`.
type Script = dyn Fn(&str, &Value, usize) -> Result<Value, (i64, Value)> + Send + Sync;

#[derive(Clone)]
struct Mock {
    /// Every (method, params) seen after discovery.
    seen: Arc<Mutex<Vec<(String, Value)>>>,
    script: Arc<Script>,
}

async fn handle(State(mock): State<Mock>, body: axum::body::Bytes) -> axum::response::Response {
    let request: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    let method = request["method"].as_str().unwrap_or("").to_owned();
    if request.get("id").is_none() {
        return axum::http::StatusCode::ACCEPTED.into_response();
    }
    let answer = if method == "server/discover" {
        Ok(
            json!({"supportedVersions": ["2026-07-28"], "capabilities": {"events": {}},
            "_meta": {"io.modelcontextprotocol/serverInfo": {"name": "mock", "version": "1"}}}),
        )
    } else {
        let count = {
            let mut seen = mock.seen.lock().unwrap();
            seen.push((method.clone(), request["params"].clone()));
            seen.iter().filter(|(m, _)| *m == method).count()
        };
        (mock.script)(&method, &request["params"], count)
    };
    let reply = match answer {
        Ok(mut result) => {
            result["resultType"] = json!("complete");
            json!({"jsonrpc": "2.0", "id": request["id"], "result": result})
        }
        Err((code, data)) => json!({"jsonrpc": "2.0", "id": request["id"],
            "error": {"code": code, "message": "refused", "data": data}}),
    };
    (
        [(axum::http::header::CONTENT_TYPE, "application/json")],
        reply.to_string(),
    )
        .into_response()
}

async fn connect(
    script: impl Fn(&str, &Value, usize) -> Result<Value, (i64, Value)> + Send + Sync + 'static,
) -> (Arc<Client>, Arc<Mutex<Vec<(String, Value)>>>) {
    let mock = Mock {
        seen: Arc::default(),
        script: Arc::new(script),
    };
    let seen = mock.seen.clone();
    let router = axum::Router::new()
        .route("/mcp", axum::routing::post(handle))
        .with_state(mock);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/mcp", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, router).await });
    let client = Client::builder("webhook-test", "0")
        .era(EraChoice::Modern)
        .connect_http(&url, HttpClientOptions::default())
        .await
        .expect("connect");
    (Arc::new(client), seen)
}

fn granted(id: &str) -> Value {
    json!({"id": id, "refreshBefore": "2099-01-01T00:00:00Z", "cursor": null, "truncated": false})
}

fn params(ttl_ms: Option<Option<u64>>, max_age_ms: Option<u64>) -> SubscribeEventsRequestParams {
    SubscribeEventsRequestParams {
        name: "demo.ping".into(),
        arguments: JsonObject::new(),
        delivery: WebhookDelivery::new(
            "https://hooks.example/h/t",
            spate::events::WebhookSecret::generate().to_text(),
        ),
        cursor: None,
        max_age_ms,
        ttl_ms,
        meta: None,
    }
}

#[tokio::test]
async fn subscribe_sends_what_every_server_accepts_and_not_found_unsubscribes() {
    let (client, seen) = connect(|method, _params, n| match (method, n) {
        ("events/subscribe", _) => Ok(granted("sub_1")),
        ("events/unsubscribe", 1) => Ok(json!({})),
        ("events/unsubscribe", 2) => Err((-32011, json!({"kind": "subscription"}))),
        ("events/unsubscribe", 3) => Err((-32023, json!({"kind": "subscription"}))),
        _ => Err((-32012, json!({}))),
    })
    .await;
    let result = client
        .subscribe_webhook(params(Some(Some(0)), Some(0)))
        .await
        .unwrap();
    assert_eq!(result.id, "sub_1");
    {
        let seen = seen.lock().unwrap();
        let sent = &seen[0].1;
        assert_eq!(sent["arguments"], json!({}));
        assert_eq!(sent["delivery"]["mode"], "webhook");
        assert_eq!(sent["ttlMs"], 1);
        assert_eq!(sent["maxAgeMs"], 1);
        assert_eq!(sent["cursor"], Value::Null);
    }
    for _ in 0..3 {
        client
            .unsubscribe_webhook("demo.ping", JsonObject::new(), "https://hooks.example/h/t")
            .await
            .expect("removed, or NotFound in either numbering");
    }
    let refused = client
        .unsubscribe_webhook("demo.ping", JsonObject::new(), "https://hooks.example/h/t")
        .await;
    assert!(matches!(refused, Err(PeerError::Remote(e)) if e.code == -32012));
    let seen = seen.lock().unwrap();
    assert_eq!(seen[1].1["arguments"], json!({}));
    assert_eq!(seen[1].1["delivery"]["url"], "https://hooks.example/h/t");
}

/// A binding that records subscribe results and serves a fixed cursor.
#[derive(Default)]
struct Recorder {
    ids: Mutex<Vec<String>>,
}

impl WebhookBinding for Recorder {
    fn cursor(&self) -> Option<String> {
        Some("cursor-7".into())
    }

    fn subscribed(&self, result: &SubscribeEventsResult) {
        self.ids.lock().unwrap().push(result.id.clone());
    }
}

async fn wait(keeper: &spate::client::WebhookKeeper, ready: impl Fn(&KeeperStatus) -> bool) {
    let mut status = keeper.watch();
    tokio::time::timeout(Duration::from_secs(10), status.wait_for(ready))
        .await
        .expect("in time")
        .unwrap();
}

#[tokio::test]
async fn the_keeper_refreshes_resubscribes_after_not_found_and_stops_on_forbidden() {
    let (client, seen) = connect(|method, _params, n| match (method, n) {
        ("events/subscribe", 1 | 2 | 4) => Ok(granted("sub_1")),
        ("events/subscribe", 3) => Err((-32023, json!({"kind": "subscription"}))),
        ("events/subscribe", _) => Err((-32012, json!({"reason": "revoked"}))),
        ("events/list", _) => Ok(
            json!({"events": [{"name": "demo.ping", "delivery": ["webhook"],
            "inputSchema": {"type": "object"}, "payloadSchema": {"type": "object"}}]}),
        ),
        ("events/unsubscribe", _) => Ok(json!({})),
        _ => Err((-32601, json!({}))),
    })
    .await;
    let binding = Arc::new(Recorder::default());
    let keeper = client
        .keep_webhook(params(None, None), binding.clone())
        .await
        .unwrap();

    // A refresh: the same call, with the binding's cursor.
    keeper.refresh_now();
    wait(&keeper, |s| s.refreshes == 1).await;
    // NotFound: list again, then a fresh subscribe from now (no cursor).
    keeper.refresh_now();
    wait(&keeper, |s| s.resubscribes == 1).await;
    // Forbidden: the keeper stops.
    keeper.refresh_now();
    wait(&keeper, |s| s.ended.is_some()).await;
    assert_eq!(binding.ids.lock().unwrap().len(), 3);
    keeper.stop().await.unwrap();

    let seen = seen.lock().unwrap();
    let methods: Vec<&str> = seen.iter().map(|(m, _)| m.as_str()).collect();
    assert_eq!(
        methods,
        [
            "events/subscribe",
            "events/subscribe",
            "events/subscribe",
            "events/list",
            "events/subscribe",
            "events/subscribe",
            "events/unsubscribe"
        ]
    );
    let cursors: Vec<&Value> = seen.iter().map(|(_, p)| &p["cursor"]).collect();
    assert_eq!(cursors[0], &Value::Null);
    assert_eq!(cursors[1], "cursor-7");
    assert_eq!(cursors[2], "cursor-7");
    assert_eq!(
        cursors[4],
        &Value::Null,
        "a fresh subscribe starts from now"
    );
    let secrets: Vec<&Value> = seen
        .iter()
        .filter(|(m, _)| m == "events/subscribe")
        .map(|(_, p)| &p["delivery"]["secret"])
        .collect();
    assert!(
        secrets.windows(2).all(|w| w[0] == w[1]),
        "same key, same secret"
    );
}
