//! The OAuth resource-server duties over real HTTP on 127.0.0.1: Protected Resource
//! Metadata, JWTs checked against a JWKS served by the test (tokens signed with a test key),
//! token introspection, challenges on 401 and 403, per-tool scopes, and the principal a
//! handler sees.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use axum::routing::{get, post};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::{Algorithm, EncodingKey, Header, encode};
use reqwest::StatusCode;
use serde_json::{Value, json};
use spate::auth::resource_server::{
    IntrospectionValidation, JwtValidation, OAuthConfig, TokenValidation,
};
use spate::transport::http::server::HttpConfig;

use crate::http_support::modern::{answer, meta, request};
use crate::http_support::{self, Running, init_body, test_server};

/// A key made for these tests only (never used anywhere else).
const TEST_KEY: &str = r#"-----BEGIN PRIVATE KEY-----
MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQDkfqpS71kRgOOQ
aeFelXxTcnJng5H3/AqExqwVHaowU/pZIQ8RBhOCPg2enT6nloolMLQW4hbRQHvQ
Ls7fWy2sfc8dAFxWdd+koO+3xQUIekZcRhdXFS4eoAWCFoMCdmLrcWuwCKKoL0i1
htDX6naEALebsPruyVBYFQJKoK5Y/hGe6iT5/JAcbRF8j2bZsdJHlvCaXvaJ1tou
uk0OaekcijPHaWNRCm9YJbMgLgIYRX77mnAgq/SbduClZ8F14TIKbud4ifF33+QF
6Bw1l5Vjqo1QdvK0mV8HrZ+0LxeyTPibogcwuolRjEgZiPurMY/hft5KSAU/yvl6
xUtOkmnBAgMBAAECggEAAcz/waSSQqGN6ZL0DD9IWg4CWc9/JIGvgYlhTM9NipD2
3aH1kPBH0hR0HgZmOoLkttNR8AY7IM4Ny7+6sKbyzrO1IKjikWnfZ9g+22dpmT4B
dPO2dmC72tDvCi3sPWY6dFmR/DKtOX8Z5xhXaAQ4h+TLjaYQ7DXY9MDBol3u0dO2
9dKUA+pjybwCIojImsKTWRNu75iLJ6txKM/dS7sF8EH0Ku2YhCAlPiOhTX2frHfp
/6xUWQOyR8qDVt/nX+vcAieBqgTIOBw5Pl3EIyTRjB9gsJUl23ZCRlfs40moGn7j
YjjYL7q990707Rog47Vv3xlcz5Q/bxCAJCWGedyeUwKBgQD9h7L1ZsjAirBOYPkK
iK1U/O48WVvuB5SVb2gIoDA5pvhSsTtlU6UmIF7TPxfhDKf3S5s6O2tE4qvJExxe
CMZUsB7lucq4mezA7bXzU76XCevjJKe/+/FDQ1pkn75QoFtBCMzozDY4AparJnjb
+g/7SLkjiZmzcVwjMr2XZGPn7wKBgQDmuIdQCvKIYgI3kBqg8QVtWx+nGtuBVxb8
AnghcMsSslbvRWIP+JtgXz5afb8P5mYIwmu/BLRF6Ho8zOhiRhS0NSHBDRXXhr6r
2P8bS+/yPIn4wBZaUYFUtxdkHNgsWo9kQDHZdiXM8k/zqHEGvhqaB+2saG1iQXRv
XMO9I+CZTwKBgAqWjTnEdiPcZuqPEDeJZ7vB6G0qyjURqfnnsi+SCRGPUJWbg0CD
EsWZ2nv2CZhDgAxK4wu2iY9R7By0qJ2gvi+xP0kWzkmRXBrekpe76pzCNFDDKiJR
ckz91huXtEoHuGfp5yzdwnHqYcJ6E9gUBHDZI6pBR+L/m/p4VwSok6ePAoGAU7+V
tnNS2DijT2HqmJMEgk56beDs3sUrHa0TyCe2PwInVlEcKGn4lIHeE2DjsrTSQsm3
7K2bdmjNvjYvAEUqDMPgjb/fNs29domdCF6HKanZ90ZalsxRItwXDIr/2RHCTQSU
U7h0PjGS3gI9jNICu/i2yEdbtTfHOQk2L/jO9TcCgYEAmYHynwlMifsSoCYzBlQj
VPSDdOUxo9MJOVsXecGdnccFbAIynSQV7eapFF/Tm/6PsD37JtVlHhIwUVsTNx9b
t5bwGmwMiop8JVyTUzAsZxH1t4F3ov69nN1jkbPdzau0603boG0wEnhL+b8SKyDc
1C7niMdiXnpGFUt6d5l9rlY=
-----END PRIVATE KEY-----"#;
/// Its public modulus, base64url.
const TEST_KEY_N: &str = "5H6qUu9ZEYDjkGnhXpV8U3JyZ4OR9_wKhMasFR2qMFP6WSEPEQYTgj4Nnp0-p5aKJTC0FuIW0UB70C7O31strH3PHQBcVnXfpKDvt8UFCHpGXEYXVxUuHqAFghaDAnZi63FrsAiiqC9ItYbQ1-p2hAC3m7D67slQWBUCSqCuWP4Rnuok-fyQHG0RfI9m2bHSR5bwml72idbaLrpNDmnpHIozx2ljUQpvWCWzIC4CGEV--5pwIKv0m3bgpWfBdeEyCm7neInxd9_kBegcNZeVY6qNUHbytJlfB62ftC8Xskz4m6IHMLqJUYxIGYj7qzGP4X7eSkgFP8r5esVLTpJpwQ";
const ISSUER: &str = "https://auth.test.invalid";

fn json_reply(value: &Value) -> impl axum::response::IntoResponse + use<> {
    (
        [(axum::http::header::CONTENT_TYPE, "application/json")],
        value.to_string(),
    )
}

fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

/// A JWKS on 127.0.0.1 that counts how often it is fetched.
async fn jwks() -> (String, Arc<AtomicUsize>) {
    let fetches = Arc::new(AtomicUsize::new(0));
    let counter = fetches.clone();
    let keys = json!({"keys": [{"kty": "RSA", "kid": "test-key", "use": "sig", "alg": "RS256",
                                "n": TEST_KEY_N, "e": "AQAB"}]});
    let app = axum::Router::new().route(
        "/jwks.json",
        get(move || {
            counter.fetch_add(1, Ordering::SeqCst);
            let keys = keys.clone();
            async move { json_reply(&keys) }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/jwks.json", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    (url, fetches)
}

/// An MCP server whose resource is its own URL, needing `mcp:read`, `slow` needing `mcp:write`.
async fn protected(validation: impl FnOnce(&str) -> TokenValidation) -> (Running, String) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let resource = format!("http://{}/mcp", listener.local_addr().unwrap());
    let mut oauth = OAuthConfig::new(resource.clone(), ISSUER, validation(&resource));
    oauth.scopes_supported = vec!["mcp:read".into(), "mcp:write".into()];
    oauth.required_scopes = vec!["mcp:read".into()];
    oauth.tool_scopes = [("slow".to_owned(), vec!["mcp:write".to_owned()])].into();
    oauth.event_scopes = [("alerts".to_owned(), vec!["mcp:write".to_owned()])].into();
    let config = {
        let mut config = HttpConfig::default();
        config.oauth = Some(oauth);
        config
    };
    let s = http_support::serve_on(test_server(), config, listener).await;
    (s, resource)
}

/// A protected server whose tokens are introspected at `app`'s `/introspect`, served on
/// 127.0.0.1; with its resource URL.
async fn introspected(app: axum::Router) -> (Running, String) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let endpoint = format!("http://{}/introspect", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    protected(|_| {
        TokenValidation::Introspection(IntrospectionValidation {
            endpoint,
            client_id: "mcp-server".into(),
            client_secret: "server-secret".into(),
            accept_missing_audience: false,
        })
    })
    .await
}

fn token(claims: Value) -> String {
    let mut header = Header::new(Algorithm::RS256);
    header.kid = Some("test-key".into());
    let key = EncodingKey::from_rsa_pem(TEST_KEY.as_bytes()).unwrap();
    encode(&header, &claims, &key).unwrap()
}

fn claims(resource: &str, scope: &str) -> Value {
    json!({"iss": ISSUER, "sub": "user-1", "aud": resource, "scope": scope,
           "exp": now() + 300, "iat": now(), "client_id": "client-1"})
}

async fn initialize(s: &Running, token: Option<&str>) -> reqwest::Response {
    let mut rb = s.post().json(&init_body(1));
    if let Some(token) = token {
        rb = rb.bearer_auth(token);
    }
    rb.send().await.unwrap()
}

fn challenge(r: &reqwest::Response) -> String {
    r.headers()
        .get("www-authenticate")
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default()
}

#[tokio::test]
async fn metadata_challenges_and_jwt_validation() {
    let (jwks_url, fetches) = jwks().await;
    let (s, resource) =
        protected(|_| TokenValidation::Jwt(JwtValidation::new(ISSUER, jwks_url))).await;
    let metadata_url = format!("{}/.well-known/oauth-protected-resource/mcp", s.base);

    // The metadata is public and names this resource and its authorization server.
    let prm: Value = s
        .client
        .get(&metadata_url)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(prm["resource"], resource);
    assert_eq!(prm["authorization_servers"], json!([ISSUER]));
    assert_eq!(prm["scopes_supported"], json!(["mcp:read", "mcp:write"]));
    let root: Value = s
        .client
        .get(format!("{}/.well-known/oauth-protected-resource", s.base))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(root, prm);

    // No token: 401 pointing at the metadata, with the scope to ask for.
    let bare = initialize(&s, None).await;
    assert_eq!(bare.status(), StatusCode::UNAUTHORIZED);
    let c = challenge(&bare);
    assert!(c.starts_with("Bearer "), "{c}");
    assert!(
        c.contains(&format!("resource_metadata=\"{metadata_url}\"")),
        "{c}"
    );
    assert!(c.contains("scope=\"mcp:read\""), "{c}");
    assert!(!c.contains("error="), "no error without a token: {c}");

    // A valid token.
    let good = token(claims(&resource, "mcp:read"));
    let ok = initialize(&s, Some(&good)).await;
    assert_eq!(ok.status(), StatusCode::OK);

    // Every kind of bad token: 401 invalid_token, and the server keeps serving.
    let mut expired = claims(&resource, "mcp:read");
    expired["exp"] = json!(now() - 3600);
    let mut wrong_aud = claims(&resource, "mcp:read");
    wrong_aud["aud"] = json!("http://elsewhere.invalid/mcp");
    let mut wrong_iss = claims(&resource, "mcp:read");
    wrong_iss["iss"] = json!("https://evil.invalid");
    let mut no_aud = claims(&resource, "mcp:read");
    no_aud.as_object_mut().unwrap().remove("aud");
    let unknown_kid = {
        let mut header = Header::new(Algorithm::RS256);
        header.kid = Some("other-key".into());
        let key = EncodingKey::from_rsa_pem(TEST_KEY.as_bytes()).unwrap();
        encode(&header, &claims(&resource, "mcp:read"), &key).unwrap()
    };
    let body = URL_SAFE_NO_PAD.encode(claims(&resource, "mcp:read").to_string());
    let alg_none = format!(
        "{}.{body}.",
        URL_SAFE_NO_PAD.encode(r#"{"alg":"none","typ":"JWT"}"#)
    );
    let tampered = {
        let (head, _) = good.rsplit_once('.').unwrap();
        let (header, _) = head.split_once('.').unwrap();
        let mut other = claims(&resource, "mcp:read mcp:write");
        other["sub"] = json!("admin");
        let forged_body = URL_SAFE_NO_PAD.encode(other.to_string());
        format!(
            "{header}.{forged_body}.{}",
            good.rsplit_once('.').unwrap().1
        )
    };
    let hs256 = encode(
        &Header::new(Algorithm::HS256),
        &claims(&resource, "mcp:read"),
        &EncodingKey::from_secret(TEST_KEY_N.as_bytes()),
    )
    .unwrap();
    for (what, bad) in [
        ("expired", token(expired)),
        ("wrong audience", token(wrong_aud)),
        ("no audience", token(no_aud)),
        ("wrong issuer", token(wrong_iss)),
        ("unknown key", unknown_kid),
        ("alg none", alg_none),
        ("tampered", tampered),
        ("HS256 with the public key as secret", hs256),
        ("garbage", "not-a-jwt".to_owned()),
    ] {
        let r = initialize(&s, Some(&bad)).await;
        assert_eq!(r.status(), StatusCode::UNAUTHORIZED, "{what}");
        let c = challenge(&r);
        assert!(c.contains("error=\"invalid_token\""), "{what}: {c}");
        assert!(c.contains("resource_metadata="), "{what}: {c}");
    }
    assert!(
        fetches.load(Ordering::SeqCst) <= 2,
        "unknown keys must not make the server hammer the JWKS"
    );

    // A token without the required scope: 403 insufficient_scope.
    let weak = token(claims(&resource, "profile"));
    let r = initialize(&s, Some(&weak)).await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let c = challenge(&r);
    assert!(c.contains("error=\"insufficient_scope\""), "{c}");
    assert!(c.contains("scope=\"mcp:read\""), "{c}");
}

#[tokio::test]
async fn tool_scopes_principals_and_sessions() {
    let (jwks_url, _) = jwks().await;
    let (s, resource) =
        protected(|_| TokenValidation::Jwt(JwtValidation::new(ISSUER, jwks_url))).await;
    let reader = token(claims(&resource, "mcp:read"));
    let writer = token(claims(&resource, "mcp:read mcp:write"));

    let r = initialize(&s, Some(&reader)).await;
    let session = r.headers()["mcp-session-id"].to_str().unwrap().to_owned();
    let call = |token: String, id: i64, tool: &'static str, args: Value| {
        let s = &s;
        let session = session.clone();
        async move {
            s.post()
                .bearer_auth(token)
                .header("mcp-session-id", session)
                .header("mcp-protocol-version", "2025-11-25")
                .json(&json!({"jsonrpc": "2.0", "id": id, "method": "tools/call",
                              "params": {"name": tool, "arguments": args}}))
                .send()
                .await
                .unwrap()
        }
    };
    let who = call(reader.clone(), 2, "whoami", json!({})).await;
    assert_eq!(who.status(), StatusCode::OK);
    let who: Value = who.json().await.unwrap();
    assert_eq!(
        who["result"]["content"][0]["text"], "user-1",
        "the handler sees the principal"
    );

    let refused = call(reader.clone(), 3, "slow", json!({"n": 1, "delay_ms": 0})).await;
    assert_eq!(refused.status(), StatusCode::FORBIDDEN);
    let c = challenge(&refused);
    assert!(c.contains("error=\"insufficient_scope\""), "{c}");
    assert!(c.contains("scope=\"mcp:read mcp:write\""), "{c}");
    let allowed = call(writer.clone(), 4, "slow", json!({"n": 1, "delay_ms": 0})).await;
    assert_eq!(allowed.status(), StatusCode::OK);

    // Event types require scopes the same way, in every mode.
    let events = |token: String, id: i64, method: &'static str| {
        let s = &s;
        let session = session.clone();
        async move {
            s.post()
                .bearer_auth(token)
                .header("mcp-session-id", session)
                .header("mcp-protocol-version", "2025-11-25")
                .json(&json!({"jsonrpc": "2.0", "id": id, "method": method,
                              "params": {"name": "alerts", "cursor": null}}))
                .send()
                .await
                .unwrap()
        }
    };
    for (id, method) in [
        (40, "events/poll"),
        (41, "events/stream"),
        (42, "events/subscribe"),
    ] {
        let refused = events(reader.clone(), id, method).await;
        assert_eq!(refused.status(), StatusCode::FORBIDDEN, "{method}");
        assert!(challenge(&refused).contains("scope=\"mcp:read mcp:write\""));
    }
    let past_the_scopes = events(writer.clone(), 43, "events/poll").await;
    assert_eq!(
        past_the_scopes.status(),
        StatusCode::OK,
        "then the router answers"
    );

    // Another subject's token cannot use this session.
    let mut other = claims(&resource, "mcp:read");
    other["sub"] = json!("user-2");
    let stolen = call(token(other), 5, "whoami", json!({})).await;
    assert_eq!(stolen.status(), StatusCode::FORBIDDEN);

    // 2026-07-28 requests carry their token each time, and handlers see it too.
    let (status, body) = answer(
        request(
            &s,
            6,
            "tools/call",
            json!({"name": "whoami", "arguments": {}, "_meta": meta(json!({}))}),
        )
        .bearer_auth(&reader),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["result"]["content"][0]["text"], "user-1");
    let (status, _) = answer(request(
        &s,
        7,
        "tools/call",
        json!({"name": "whoami", "arguments": {}, "_meta": meta(json!({}))}),
    ))
    .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn opaque_tokens_are_introspected() {
    let asked = Arc::new(AtomicUsize::new(0));
    let counter = asked.clone();
    let resource = Arc::new(std::sync::Mutex::new(String::new()));
    let seen_resource = resource.clone();
    let app = axum::Router::new().route(
        "/introspect",
        post(move |headers: axum::http::HeaderMap, form: String| {
            counter.fetch_add(1, Ordering::SeqCst);
            let resource = seen_resource.lock().unwrap().clone();
            async move {
                let authorized = headers
                    .get("authorization")
                    .is_some_and(|v| v.to_str().unwrap_or_default().starts_with("Basic "));
                let token = form
                    .split('&')
                    .find_map(|pair| pair.strip_prefix("token="))
                    .map(str::to_owned);
                let answer = match token.as_deref() {
                    Some("good-token") if authorized => {
                        json!({"active": true, "sub": "svc", "aud": resource,
                        "scope": "mcp:read", "exp": now() + 60, "client_id": "machine"})
                    }
                    Some("other-audience") if authorized => json!({"active": true, "sub": "svc",
                        "aud": "http://elsewhere.invalid/mcp", "scope": "mcp:read"}),
                    Some("no-audience") if authorized => json!({"active": true, "sub": "svc",
                        "scope": "mcp:read"}),
                    _ => json!({"active": false}),
                };
                json_reply(&answer)
            }
        }),
    );
    let (s, url) = introspected(app).await;
    *resource.lock().unwrap() = url;

    assert_eq!(
        initialize(&s, Some("good-token")).await.status(),
        StatusCode::OK
    );
    assert_eq!(
        initialize(&s, Some("good-token")).await.status(),
        StatusCode::OK
    );
    assert_eq!(
        asked.load(Ordering::SeqCst),
        1,
        "answers are cached briefly"
    );
    for bad in ["revoked-token", "other-audience", "no-audience"] {
        let r = initialize(&s, Some(bad)).await;
        assert_eq!(r.status(), StatusCode::UNAUTHORIZED, "{bad}");
        assert!(challenge(&r).contains("invalid_token"));
    }
}

/// An introspection endpoint that never stops answering (an endless body) is read only up
/// to the answer cap: the token is refused at once, not after buffering without end.
#[tokio::test]
async fn an_endless_introspection_answer_is_cut_off() {
    use futures_util::StreamExt as _;
    let app = axum::Router::new().route(
        "/introspect",
        post(|| async {
            let chunk = bytes::Bytes::from(vec![b' '; 64 * 1024]);
            let endless = futures_util::stream::repeat(chunk).map(Ok::<_, std::io::Error>);
            axum::response::Response::builder()
                .header("content-type", "application/json")
                .body(axum::body::Body::from_stream(endless))
                .unwrap()
        }),
    );
    let (s, _url) = introspected(app).await;
    let started = std::time::Instant::now();
    let r = initialize(&s, Some("any-token")).await;
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    assert!(
        started.elapsed() < std::time::Duration::from_secs(5),
        "refused once the cap was reached, not at the 10 s timeout: {:?}",
        started.elapsed()
    );
}
