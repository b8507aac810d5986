//! Our HTTP client's session handling against our server over real sockets: the session id
//! and version headers, a new session after the server forgets the old one (404), bearer
//! tokens, the DELETE on close, and progress and server requests on the way.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use reqwest::StatusCode;
use serde_json::json;
use spate::client::{CallOptions, Client, ClientHandlers};
use spate::transport::http::client::{HttpClientOptions, HttpTransportKind};
use spate::transport::http::server::HttpConfig;
use spate_protocol::{ElicitAction, ElicitResult};

use crate::http_support::start;

async fn connect(url: &str, options: HttpClientOptions, handlers: ClientHandlers) -> Client {
    Client::builder("session-test", "1")
        .handlers(handlers)
        .connect_http(url, options)
        .await
        .unwrap_or_else(|e| panic!("connect to {url}: {e}"))
}

#[tokio::test]
async fn a_forgotten_session_is_replaced_and_the_call_goes_through() {
    let s = start(HttpConfig::default()).await;
    let url = format!("{}/mcp", s.base);
    let client = connect(
        &url,
        HttpClientOptions::default(),
        ClientHandlers::default(),
    )
    .await;
    let http = client.http().expect("an HTTP client");
    assert_eq!(http.kind(), Some(HttpTransportKind::Streamable));
    assert_eq!(http.protocol_version().as_deref(), Some("2025-11-25"));
    let first = http.session_id().expect("a session");
    assert_eq!(s.http.session_count(), 1);

    // The server ends the session behind the client's back.
    let gone = s
        .client
        .delete(&url)
        .header("mcp-session-id", &first)
        .send()
        .await
        .unwrap();
    assert_eq!(gone.status(), StatusCode::OK);
    assert_eq!(s.http.session_count(), 0);

    let result = client
        .call_tool("add", json!({"a": 2, "b": 3}), CallOptions::default())
        .await
        .expect("the call is retried on a new session");
    assert_eq!(result.content[0].as_text(), Some("5"));
    let second = http.session_id().expect("a new session");
    assert_ne!(first, second);
    assert_eq!(http.session_renewals(), 1);
    assert_eq!(s.http.session_count(), 1);

    // Closing DELETEs the session.
    client.close().await;
    for _ in 0..50 {
        if s.http.session_count() == 0 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    assert_eq!(
        s.http.session_count(),
        0,
        "the client's close ended the session"
    );
}

#[tokio::test]
async fn bearer_tokens_are_sent_and_required() {
    let s = start({
        let mut config = HttpConfig::default();
        config.bearer_tokens = vec!["s3cret".into()];
        config
    })
    .await;
    let url = format!("{}/mcp", s.base);
    let refused = Client::builder("session-test", "1")
        .connect_http(&url, HttpClientOptions::default())
        .await;
    let error = refused.expect_err("no token, no session").to_string();
    assert!(error.contains("401"), "{error}");
    let options = {
        let mut config = HttpClientOptions::default();
        config.bearer_token = Some("s3cret".into());
        config
    };
    let client = connect(&url, options, ClientHandlers::default()).await;
    let tools = client.list_all_tools().await.unwrap();
    assert!(tools.iter().any(|t| t.name == "add"));
    client.close().await;
}

#[tokio::test]
async fn progress_and_a_server_request_travel_on_the_call_stream() {
    let s = start(HttpConfig::default()).await;
    let url = format!("{}/mcp", s.base);
    let asked = Arc::new(AtomicUsize::new(0));
    let counter = asked.clone();
    let handlers = ClientHandlers::default().elicitation(false, move |_params| {
        counter.fetch_add(1, Ordering::SeqCst);
        async move {
            let mut content = spate_protocol::JsonObject::new();
            content.insert("name".into(), json!("Ada"));
            Ok(ElicitResult {
                action: ElicitAction::Accept,
                content: Some(content),
                ..Default::default()
            })
        }
    });
    let client = connect(&url, HttpClientOptions::default(), handlers).await;
    let seen = Arc::new(std::sync::Mutex::new(Vec::new()));
    let sink = seen.clone();
    let options = CallOptions::with_progress(move |p| sink.lock().unwrap().push(p.progress));
    let slow = client
        .call_tool("slow", json!({"n": 4, "delay_ms": 10}), options)
        .await
        .unwrap();
    assert_eq!(slow.content[0].as_text(), Some("slow done 4"));
    assert_eq!(*seen.lock().unwrap(), vec![1.0, 2.0, 3.0, 4.0]);
    let answered = client
        .call_tool("ask", json!({"question": "name?"}), CallOptions::default())
        .await
        .unwrap();
    assert_eq!(answered.content[0].as_text(), Some("answered \"Ada\""));
    assert_eq!(asked.load(Ordering::SeqCst), 1);
    client.close().await;
}
