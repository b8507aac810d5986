//! The client OAuth flow (`spate::oauth`) against a scripted MCP server + authorization
//! server on 127.0.0.1, for what a well-behaved server never shows: a resource that is not
//! the server, metadata of another issuer, a wrong `iss`, no PKCE, a server that always
//! wants more scope. Each case checks what the client refused to do (no authorization or
//! token request reached the server) as well as the error.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use axum::Router;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde_json::{Value, json};
use spate::client::{Client, EraChoice};
use spate::http_client::HttpClientOptions;
use spate::oauth::{Challenge, HeadlessAuthorizer, OAuthClient, OAuthClientConfig, OAuthError};

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
}

struct Scripted {
    script: Script,
    origin: String,
    authorize: AtomicUsize,
    token: AtomicUsize,
}

type Shared = State<Arc<Scripted>>;

fn json_reply(value: Value) -> impl IntoResponse {
    (
        [(header::CONTENT_TYPE, "application/json")],
        value.to_string(),
    )
}

async fn prm(State(s): Shared) -> Response {
    let resource = s
        .script
        .resource
        .clone()
        .unwrap_or(format!("{}/mcp", s.origin));
    json_reply(json!({"resource": resource, "authorization_servers": [s.origin]})).into_response()
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

async fn mcp(State(s): Shared, headers: HeaderMap, body: axum::body::Bytes) -> Response {
    let metadata = format!("{}/.well-known/oauth-protected-resource/mcp", s.origin);
    let authenticated = headers.get(header::AUTHORIZATION).is_some();
    if !authenticated {
        let value = format!(r#"Bearer resource_metadata="{metadata}", scope="a""#);
        return (
            StatusCode::UNAUTHORIZED,
            [(header::WWW_AUTHENTICATE, value)],
        )
            .into_response();
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

async fn start(script: Script) -> Arc<Scripted> {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let origin = format!("http://{}", listener.local_addr().unwrap());
    let shared = Arc::new(Scripted {
        script,
        origin,
        authorize: AtomicUsize::new(0),
        token: AtomicUsize::new(0),
    });
    let app = Router::new()
        .route("/.well-known/oauth-protected-resource/mcp", get(prm))
        .route("/.well-known/oauth-authorization-server", get(metadata))
        .route("/register", post(register))
        .route("/authorize", get(authorize))
        .route("/token", post(token))
        .route("/mcp", post(mcp))
        .with_state(shared.clone());
    tokio::spawn(async move { axum::serve(listener, app).await });
    shared
}

fn oauth(s: &Scripted) -> OAuthClient {
    let mut config = OAuthClientConfig::new("test");
    config.authorizer = Some(Arc::new(HeadlessAuthorizer::new("http://localhost:9/cb")));
    OAuthClient::new(&format!("{}/mcp", s.origin), config).unwrap()
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
    let options = HttpClientOptions {
        oauth: Some(Arc::new(oauth(&s))),
        ..Default::default()
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
