//! The client OAuth flow (`spate::auth::client`) against a scripted MCP server + authorization
//! server on 127.0.0.1, for what a well-behaved server never shows: a resource that is not
//! the server, metadata of another issuer, a wrong `iss`, no PKCE, a server that always
//! wants more scope, a first authorization server without metadata. Each case checks what
//! the client refused to do (no authorization or token request reached the server) as well
//! as the error. The scripted server also speaks the HTTP+SSE transport behind OAuth, whose
//! `GET` stream is the first request to meet the `401`.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use axum::Router;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde_json::{Value, json};
use spate::auth::client::{
    Challenge, HeadlessAuthorizer, OAuthClient, OAuthClientConfig, OAuthError,
};
use spate::client::{Client, EraChoice};
use spate::transport::http::client::HttpClientOptions;

/// What the scripted servers do differently per case.
#[derive(Clone, Default)]
struct Script {
    /// The PRM `resource`; default: the server's own URL.
    resource: Option<String>,
    /// The AS metadata `issuer`; default: the origin.
    issuer: Option<String>,
    /// Leave `code_challenge_methods_supported` out.
    no_pkce: bool,
    /// The `iss` of the redirect; default: the issuer.
    iss: Option<String>,
    /// The redirect's `iss` is the issuer with a `/` added (normalized, so not equal).
    iss_with_slash: bool,
    /// `/mcp` answers every authenticated request with 403 insufficient_scope.
    always_forbidden: bool,
    /// The PRM names an authorization server without metadata before the real one.
    dead_first_server: bool,
}

struct Scripted {
    script: Script,
    origin: String,
    authorize: AtomicUsize,
    token: AtomicUsize,
    /// Messages for the HTTP+SSE stream, already framed as SSE events.
    sse: tokio::sync::broadcast::Sender<String>,
}

type Shared = State<Arc<Scripted>>;

fn json_reply(value: Value) -> impl IntoResponse {
    (
        [(header::CONTENT_TYPE, "application/json")],
        value.to_string(),
    )
}

/// The PRM of the endpoint at `/{path}`.
async fn prm(State(s): Shared, Path(path): Path<String>) -> Response {
    let resource = s
        .script
        .resource
        .clone()
        .unwrap_or(format!("{}/{path}", s.origin));
    let mut servers = vec![s.origin.clone()];
    if s.script.dead_first_server {
        servers.insert(0, format!("{}/nowhere", s.origin));
    }
    json_reply(json!({"resource": resource, "authorization_servers": servers})).into_response()
}

async fn metadata(State(s): Shared) -> Response {
    let o = &s.origin;
    let mut doc = json!({
        "issuer": s.script.issuer.clone().unwrap_or(o.clone()),
        "authorization_endpoint": format!("{o}/authorize"),
        "token_endpoint": format!("{o}/token"),
        "registration_endpoint": format!("{o}/register"),
        "code_challenge_methods_supported": ["S256"],
        "authorization_response_iss_parameter_supported": true,
    });
    if s.script.no_pkce {
        doc.as_object_mut()
            .unwrap()
            .remove("code_challenge_methods_supported");
    }
    json_reply(doc).into_response()
}

async fn register() -> Response {
    (
        StatusCode::CREATED,
        json_reply(json!({"client_id": "c1", "token_endpoint_auth_method": "none"})),
    )
        .into_response()
}

async fn authorize(State(s): Shared, uri: axum::http::Uri) -> Response {
    let q: Vec<(String, String)> =
        url::form_urlencoded::parse(uri.query().unwrap_or("").as_bytes())
            .into_owned()
            .collect();
    s.authorize.fetch_add(1, Ordering::SeqCst);
    let get = |k: &str| {
        q.iter()
            .find(|(n, _)| n == k)
            .map(|(_, v)| v.clone())
            .unwrap_or_default()
    };
    let mut iss = s.script.iss.clone().unwrap_or(s.origin.clone());
    if s.script.iss_with_slash {
        iss.push('/');
    }
    let target = format!(
        "{}?code=the-code&state={}&iss={}",
        get("redirect_uri"),
        get("state"),
        url::form_urlencoded::byte_serialize(iss.as_bytes()).collect::<String>()
    );
    (StatusCode::FOUND, [(header::LOCATION, target)]).into_response()
}

async fn token(State(s): Shared) -> Response {
    s.token.fetch_add(1, Ordering::SeqCst);
    json_reply(json!({"access_token": "tok", "token_type": "Bearer"})).into_response()
}

/// The `401` for a request to the endpoint at `/{path}` that carries no token.
fn unauthorized(s: &Scripted, headers: &HeaderMap, path: &str) -> Option<Response> {
    if headers.get(header::AUTHORIZATION).is_some() {
        return None;
    }
    let metadata = format!("{}/.well-known/oauth-protected-resource/{path}", s.origin);
    let value = format!(r#"Bearer resource_metadata="{metadata}", scope="a""#);
    Some(
        (
            StatusCode::UNAUTHORIZED,
            [(header::WWW_AUTHENTICATE, value)],
        )
            .into_response(),
    )
}

async fn mcp(State(s): Shared, headers: HeaderMap, body: axum::body::Bytes) -> Response {
    let metadata = format!("{}/.well-known/oauth-protected-resource/mcp", s.origin);
    if let Some(refused) = unauthorized(&s, &headers, "mcp") {
        return refused;
    }
    if s.script.always_forbidden {
        let value = format!(
            r#"Bearer error="insufficient_scope", scope="admin", resource_metadata="{metadata}""#
        );
        return (StatusCode::FORBIDDEN, [(header::WWW_AUTHENTICATE, value)]).into_response();
    }
    let request: Value = serde_json::from_slice(&body).unwrap_or_default();
    json_reply(json!({"jsonrpc": "2.0", "id": request["id"], "result": {}})).into_response()
}

/// HTTP+SSE: the stream, naming `/messages` as the endpoint, then every answer.
async fn sse(State(s): Shared, headers: HeaderMap) -> Response {
    if let Some(refused) = unauthorized(&s, &headers, "sse") {
        return refused;
    }
    let answers = s.sse.subscribe();
    let first =
        futures_util::stream::once(async { "event: endpoint\ndata: /messages\n\n".to_owned() });
    let rest = futures_util::stream::unfold(answers, |mut answers| async move {
        let event = answers.recv().await.ok()?;
        Some((event, answers))
    });
    let body = futures_util::StreamExt::map(futures_util::StreamExt::chain(first, rest), |e| {
        Ok::<_, std::convert::Infallible>(e)
    });
    (
        [(header::CONTENT_TYPE, "text/event-stream")],
        axum::body::Body::from_stream(body),
    )
        .into_response()
}

/// HTTP+SSE: a POSTed message; a request is answered on the stream (`initialize` as a
/// 2024-11-05 server, anything else with an empty result).
async fn messages(State(s): Shared, headers: HeaderMap, body: axum::body::Bytes) -> Response {
    if let Some(refused) = unauthorized(&s, &headers, "sse") {
        return refused;
    }
    let message: Value = serde_json::from_slice(&body).unwrap_or_default();
    if message.get("id").is_some() && message.get("method").is_some() {
        let result = match message["method"].as_str() {
            Some("initialize") => json!({
                "protocolVersion": "2024-11-05",
                "capabilities": {},
                "serverInfo": {"name": "scripted", "version": "0"},
            }),
            _ => json!({}),
        };
        let answer = json!({"jsonrpc": "2.0", "id": message["id"], "result": result});
        let _ = s.sse.send(format!("event: message\ndata: {answer}\n\n"));
    }
    StatusCode::ACCEPTED.into_response()
}

async fn start(script: Script) -> Arc<Scripted> {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let origin = format!("http://{}", listener.local_addr().unwrap());
    let shared = Arc::new(Scripted {
        script,
        origin,
        authorize: AtomicUsize::new(0),
        token: AtomicUsize::new(0),
        sse: tokio::sync::broadcast::channel(16).0,
    });
    let app = Router::new()
        .route("/.well-known/oauth-protected-resource/{path}", get(prm))
        .route("/.well-known/oauth-authorization-server", get(metadata))
        .route("/register", post(register))
        .route("/authorize", get(authorize))
        .route("/token", post(token))
        .route("/mcp", post(mcp))
        .route("/sse", get(sse))
        .route("/messages", post(messages))
        .with_state(shared.clone());
    tokio::spawn(async move { axum::serve(listener, app).await });
    shared
}

/// An OAuth client for the endpoint at `/mcp`.
fn oauth(s: &Scripted) -> OAuthClient {
    oauth_for(s, "mcp")
}

fn oauth_for(s: &Scripted, path: &str) -> OAuthClient {
    let mut config = OAuthClientConfig::new("test");
    config.authorizer = Some(Arc::new(HeadlessAuthorizer::new("http://localhost:9/cb")));
    OAuthClient::new(&format!("{}/{path}", s.origin), config).unwrap()
}

/// How many authorization and token requests reached the server.
fn counts(s: &Scripted) -> (usize, usize) {
    (
        s.authorize.load(Ordering::SeqCst),
        s.token.load(Ordering::SeqCst),
    )
}

async fn run(script: Script) -> (Arc<Scripted>, Result<(), OAuthError>) {
    let s = start(script).await;
    let challenge = Challenge {
        resource_metadata: Some(format!(
            "{}/.well-known/oauth-protected-resource/mcp",
            s.origin
        )),
        ..Default::default()
    };
    let outcome = oauth(&s).authorize(&challenge, None).await;
    (s, outcome)
}

#[tokio::test]
async fn a_well_behaved_server_gets_a_token() {
    let (s, outcome) = run(Script::default()).await;
    outcome.unwrap();
    assert_eq!(
        (
            s.authorize.load(Ordering::SeqCst),
            s.token.load(Ordering::SeqCst)
        ),
        (1, 1)
    );
}

#[tokio::test]
async fn a_resource_of_another_server_is_refused_before_authorizing() {
    let script = Script {
        resource: Some("https://evil.example.com/mcp".into()),
        ..Default::default()
    };
    let (s, outcome) = run(script).await;
    assert!(
        matches!(outcome, Err(OAuthError::ResourceMismatch { .. })),
        "{outcome:?}"
    );
    assert_eq!(s.authorize.load(Ordering::SeqCst), 0);
}

#[tokio::test]
async fn metadata_of_another_issuer_is_not_used() {
    let script = Script {
        issuer: Some("https://attacker.example.com".into()),
        ..Default::default()
    };
    let (s, outcome) = run(script).await;
    assert!(
        matches!(outcome, Err(OAuthError::IssuerMismatch { .. })),
        "{outcome:?}"
    );
    assert_eq!(s.authorize.load(Ordering::SeqCst), 0);
}

#[tokio::test]
async fn a_wrong_or_normalized_iss_stops_before_the_token_request() {
    let wrong = Script {
        iss: Some("https://evil.example.com".into()),
        ..Default::default()
    };
    let normalized = Script {
        iss_with_slash: true,
        ..Default::default()
    };
    for script in [wrong, normalized] {
        let (s, outcome) = run(script).await;
        assert!(
            matches!(outcome, Err(OAuthError::IssMismatch { .. })),
            "{outcome:?}"
        );
        let counts = (
            s.authorize.load(Ordering::SeqCst),
            s.token.load(Ordering::SeqCst),
        );
        assert_eq!(counts, (1, 0));
    }
}

#[tokio::test]
async fn no_pkce_support_means_no_authorization() {
    let (s, outcome) = run(Script {
        no_pkce: true,
        ..Default::default()
    })
    .await;
    assert!(
        matches!(outcome, Err(OAuthError::PkceUnsupported(_))),
        "{outcome:?}"
    );
    assert_eq!(s.authorize.load(Ordering::SeqCst), 0);
}

#[tokio::test]
async fn a_server_that_always_wants_more_scope_gets_three_authorizations() {
    let s = start(Script {
        always_forbidden: true,
        ..Default::default()
    })
    .await;
    let url = format!("{}/mcp", s.origin);
    let options = {
        let mut config = HttpClientOptions::default();
        config.oauth = Some(Arc::new(oauth(&s)));
        config
    };
    let connected = Client::builder("test", "0")
        .era(EraChoice::Legacy)
        .connect_http(&url, options)
        .await;
    let Err(error) = connected else {
        panic!("the connection should fail")
    };
    let error = error.to_string();
    assert!(error.contains("403"), "{error}");
    assert_eq!(s.authorize.load(Ordering::SeqCst), 3);
}

#[tokio::test]
async fn an_authorization_server_without_metadata_is_passed_over() {
    let (s, outcome) = run(Script {
        dead_first_server: true,
        ..Default::default()
    })
    .await;
    outcome.unwrap();
    assert_eq!(counts(&s), (1, 1));
}

#[tokio::test]
async fn the_http_sse_transport_authorizes_its_stream_and_posts() {
    let s = start(Script::default()).await;
    let url = format!("{}/sse", s.origin);
    let options = {
        let mut config = HttpClientOptions::default();
        config.oauth = Some(Arc::new(oauth_for(&s, "sse")));
        config.mode = spate::transport::http::client::HttpTransportMode::LegacySse;
        config
    };
    let client = Client::builder("test", "0")
        .era(EraChoice::Legacy)
        .connect_http(&url, options)
        .await
        .expect("initialize over HTTP+SSE after authorizing");
    assert_eq!(client.server().server_info.name, "scripted");
    assert_eq!(
        client.http().map(|h| h.kind()),
        Some(Some(
            spate::transport::http::client::HttpTransportKind::LegacySse
        ))
    );
    assert_eq!(counts(&s), (1, 1));
}
