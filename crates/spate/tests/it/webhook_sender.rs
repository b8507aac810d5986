//! The webhook sender over real sockets on 127.0.0.1: callback receivers that count the
//! connections they accept, so a test can tell "refused before contacting anything" from
//! "contacted and failed".

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use bytes::Bytes;
use spate::server::{CallbackRefusal, SendFailure, WebhookSender};
use spate::transport::http::client::webhook_sender::{
    HttpWebhookSender, MAX_REPLY_BODY, WebhookSenderConfig,
};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::TcpListener;
use tokio_rustls::TlsAcceptor;
use tokio_rustls::rustls;
use tokio_rustls::rustls::pki_types::pem::PemObject;
use tokio_rustls::rustls::pki_types::{CertificateDer, PrivateKeyDer};

/// A self-signed certificate for `localhost` and 127.0.0.1 (not a CA), valid until 2126, and
/// its key (test-only). Made with `openssl req -x509 -newkey ec -pkeyopt
/// ec_paramgen_curve:P-256 -nodes -days 36500 -subj /CN=localhost -addext
/// subjectAltName=DNS:localhost,IP:127.0.0.1 -addext basicConstraints=critical,CA:FALSE
/// -addext keyUsage=critical,digitalSignature -addext extendedKeyUsage=serverAuth`.
const CERT: &[u8] = include_bytes!("webhook_tls/cert.pem");
const KEY: &[u8] = include_bytes!("webhook_tls/key.pem");

/// What a receiver does once it has read a request.
#[derive(Clone)]
enum Answer {
    Reply {
        status: u16,
        headers: Vec<(&'static str, String)>,
        body: Vec<u8>,
        delay: Duration,
    },
    /// Reads the request and never answers.
    Silent,
    /// Writes these bytes as soon as the connection is accepted, reading nothing.
    Raw(&'static [u8]),
}

fn reply(status: u16, body: &[u8]) -> Answer {
    Answer::Reply {
        status,
        headers: Vec::new(),
        body: body.to_vec(),
        delay: Duration::ZERO,
    }
}

/// A request as received: the head lower-cased, and the body.
#[derive(Debug, Clone)]
struct Received {
    head: String,
    body: Vec<u8>,
}

struct Receiver {
    port: u16,
    accepted: Arc<AtomicUsize>,
    requests: Arc<Mutex<Vec<Received>>>,
}

impl Receiver {
    fn accepted(&self) -> usize {
        self.accepted.load(Ordering::SeqCst)
    }

    fn requests(&self) -> Vec<Received> {
        self.requests.lock().expect("requests").clone()
    }
}

/// A plain HTTP receiver, or a TLS one with the fixture certificate.
async fn receiver(answer: Answer, tls: bool) -> Receiver {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let port = listener.local_addr().expect("addr").port();
    let accepted = Arc::new(AtomicUsize::new(0));
    let requests = Arc::new(Mutex::new(Vec::new()));
    let acceptor = tls.then(tls_acceptor);
    let (count, log) = (Arc::clone(&accepted), Arc::clone(&requests));
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            count.fetch_add(1, Ordering::SeqCst);
            let (answer, log, acceptor) = (answer.clone(), Arc::clone(&log), acceptor.clone());
            tokio::spawn(async move {
                match acceptor {
                    Some(acceptor) => {
                        if let Ok(stream) = acceptor.accept(stream).await {
                            serve(stream, answer, log).await;
                        }
                    }
                    None => serve(stream, answer, log).await,
                }
            });
        }
    });
    Receiver {
        port,
        accepted,
        requests,
    }
}

fn tls_acceptor() -> TlsAcceptor {
    let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_slice_iter(CERT)
        .collect::<Result<_, _>>()
        .expect("cert");
    let key = PrivateKeyDer::from_pem_slice(KEY).expect("key");
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .expect("versions")
        .with_no_client_auth()
        .with_single_cert(certs, key)
        .expect("server config");
    TlsAcceptor::from(Arc::new(config))
}

async fn serve<S: AsyncRead + AsyncWrite + Unpin>(
    mut stream: S,
    answer: Answer,
    log: Arc<Mutex<Vec<Received>>>,
) {
    if let Answer::Raw(bytes) = answer {
        let _ = stream.write_all(bytes).await;
        let _ = stream.shutdown().await;
        return;
    }
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    let head_end = loop {
        if let Some(at) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break at + 4;
        }
        match stream.read(&mut chunk).await {
            Ok(0) | Err(_) => return,
            Ok(n) => buf.extend_from_slice(&chunk[..n]),
        }
    };
    let head = String::from_utf8_lossy(&buf[..head_end]).to_ascii_lowercase();
    let length: usize = head
        .lines()
        .find_map(|line| line.strip_prefix("content-length:"))
        .and_then(|value| value.trim().parse().ok())
        .unwrap_or(0);
    while buf.len() < head_end + length {
        match stream.read(&mut chunk).await {
            Ok(0) | Err(_) => return,
            Ok(n) => buf.extend_from_slice(&chunk[..n]),
        }
    }
    let body = buf[head_end..head_end + length].to_vec();
    log.lock().expect("log").push(Received { head, body });
    match answer {
        Answer::Silent => tokio::time::sleep(Duration::from_secs(60)).await,
        Answer::Raw(_) => {}
        Answer::Reply {
            status,
            headers,
            body,
            delay,
        } => {
            tokio::time::sleep(delay).await;
            let mut out = format!(
                "HTTP/1.1 {status} X\r\ncontent-length: {}\r\nconnection: close\r\n",
                body.len()
            );
            for (name, value) in headers {
                out.push_str(&format!("{name}: {value}\r\n"));
            }
            out.push_str("\r\n");
            let mut bytes = out.into_bytes();
            bytes.extend_from_slice(&body);
            let _ = stream.write_all(&bytes).await;
            let _ = stream.shutdown().await;
        }
    }
}

/// Loopback and plain http to it allowed, as in development.
fn dev_config() -> WebhookSenderConfig {
    let mut config = WebhookSenderConfig::default();
    config.policy.allow_loopback = true;
    config.allow_http_loopback = true;
    config
}

fn sender(config: WebhookSenderConfig) -> HttpWebhookSender {
    HttpWebhookSender::new(config).expect("sender")
}

fn headers() -> Vec<(&'static str, String)> {
    vec![
        ("webhook-id", "evt_789".to_owned()),
        ("X-MCP-Subscription-Id", "sub_abc".to_owned()),
    ]
}

const BODY: &[u8] = br#"{"eventId":"evt_789","name":"incident.created"}"#;

#[test]
fn strict_check_url_refusals() {
    use CallbackRefusal::{AddressNotAllowed, HttpsRequired, InvalidUrl};
    let strict = sender(WebhookSenderConfig::default());
    let long = format!("https://example.com/{}", "x".repeat(2048));
    let cases: &[(&str, CallbackRefusal)] = &[
        ("https://10.0.0.1/h", AddressNotAllowed),
        ("https://169.254.169.254/", AddressNotAllowed),
        ("https://[::1]/", AddressNotAllowed),
        ("https://0.0.0.0/", AddressNotAllowed),
        ("http://example.com", HttpsRequired),
        ("http://127.0.0.1:8080/", HttpsRequired),
        ("https://user:pass@example.com/", InvalidUrl),
        ("https://example.com/h#frag", InvalidUrl),
        ("https://127.1/", InvalidUrl),
        ("https://0x7f.1/", InvalidUrl),
        ("https://2130706433/", InvalidUrl),
        (long.as_str(), InvalidUrl),
    ];
    for &(raw, refusal) in cases {
        assert_eq!(strict.check_url(raw), Err(refusal), "{raw}");
    }
    assert_eq!(
        strict
            .check_url("https://Hooks.Example.com./a/../in?mcp_event_subscription=5f0c")
            .as_deref(),
        Ok("https://hooks.example.com/in?mcp_event_subscription=5f0c")
    );
}

#[tokio::test]
async fn a_name_resolving_to_loopback_is_never_contacted() {
    let listener = receiver(reply(200, b"{}"), false).await;
    let strict = sender(WebhookSenderConfig::default());
    // A name passes the subscribe-time check; its addresses are checked at delivery.
    let url = format!("https://localhost:{}/h", listener.port);
    assert!(strict.check_url(&url).is_ok());
    let answer = strict.post(&url, headers(), Bytes::from_static(BODY)).await;
    assert_eq!(answer, Err(SendFailure::AddressNotAllowed));
    // A literal loopback address never reaches the resolver: refused before sending too.
    let literal = format!("https://127.0.0.1:{}/h", listener.port);
    let answer = strict
        .post(&literal, headers(), Bytes::from_static(BODY))
        .await;
    assert_eq!(answer, Err(SendFailure::AddressNotAllowed));
    assert_eq!(listener.accepted(), 0);
}

#[tokio::test]
async fn posts_headers_and_body_intact() {
    let listener = receiver(reply(200, br#"{"challenge":"abc"}"#), false).await;
    let dev = sender(dev_config());
    let url = dev
        .check_url(&format!(
            "http://localhost:{}/hooks/a?mcp_event_subscription=7",
            listener.port
        ))
        .expect("loopback allowed");
    let answer = dev
        .post(&url, headers(), Bytes::from_static(BODY))
        .await
        .expect("reply");
    assert_eq!(answer.status, 200);
    assert_eq!(&answer.body[..], br#"{"challenge":"abc"}"#);
    let requests = listener.requests();
    assert_eq!(requests.len(), 1);
    let head = &requests[0].head;
    assert!(
        head.starts_with("post /hooks/a?mcp_event_subscription=7 http/1.1\r\n"),
        "{head}"
    );
    for line in [
        "content-type: application/json\r\n",
        "webhook-id: evt_789\r\n",
        "x-mcp-subscription-id: sub_abc\r\n",
        &format!("host: localhost:{}\r\n", listener.port),
    ] {
        assert!(head.contains(line), "{line:?} missing from {head}");
    }
    assert_eq!(requests[0].body, BODY);
}

#[tokio::test]
async fn redirects_are_reported_not_followed() {
    let target = receiver(reply(200, b"{}"), false).await;
    let redirect = Answer::Reply {
        status: 302,
        headers: vec![("location", format!("http://127.0.0.1:{}/", target.port))],
        body: Vec::new(),
        delay: Duration::ZERO,
    };
    let listener = receiver(redirect, false).await;
    let dev = sender(dev_config());
    let url = format!("http://127.0.0.1:{}/h", listener.port);
    let answer = dev
        .post(&url, headers(), Bytes::from_static(BODY))
        .await
        .expect("reply");
    assert_eq!(answer.status, 302);
    assert_eq!(listener.accepted(), 1);
    assert_eq!(target.accepted(), 0);
}

#[tokio::test]
async fn reply_bodies_are_cut_at_64_kib() {
    let big: Vec<u8> = (0..200_000u32).map(|i| (i % 251) as u8).collect();
    let listener = receiver(reply(200, &big), false).await;
    let dev = sender(dev_config());
    let url = format!("http://127.0.0.1:{}/h", listener.port);
    let answer = dev
        .post(&url, headers(), Bytes::from_static(BODY))
        .await
        .expect("reply");
    assert_eq!(answer.body.len(), MAX_REPLY_BODY);
    assert_eq!(&answer.body[..], &big[..MAX_REPLY_BODY]);
}

#[tokio::test]
async fn a_silent_receiver_times_out() {
    let listener = receiver(Answer::Silent, false).await;
    let mut config = dev_config();
    config.attempt_timeout = Duration::from_millis(300);
    let dev = sender(config);
    let url = format!("http://127.0.0.1:{}/h", listener.port);
    let start = Instant::now();
    let answer = dev.post(&url, headers(), Bytes::from_static(BODY)).await;
    let took = start.elapsed();
    assert_eq!(answer, Err(SendFailure::Timeout));
    assert!(
        took >= Duration::from_millis(300) && took < Duration::from_secs(3),
        "{took:?}"
    );
    assert_eq!(listener.requests().len(), 1);
}

#[tokio::test]
async fn a_closed_port_is_connection_refused() {
    let port = {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        listener.local_addr().expect("addr").port()
    };
    let dev = sender(dev_config());
    let answer = dev
        .post(
            &format!("http://127.0.0.1:{port}/h"),
            headers(),
            Bytes::from_static(BODY),
        )
        .await;
    assert_eq!(answer, Err(SendFailure::ConnectionRefused));
}

#[tokio::test]
async fn an_oversized_body_is_answered_413_without_sending() {
    let listener = receiver(reply(200, b"{}"), false).await;
    let mut config = dev_config();
    config.max_body = BODY.len() - 1;
    let dev = sender(config);
    let url = format!("http://127.0.0.1:{}/h", listener.port);
    let answer = dev
        .post(&url, headers(), Bytes::from_static(BODY))
        .await
        .expect("reply");
    assert_eq!((answer.status, answer.body.len()), (413, 0));
    assert_eq!(listener.accepted(), 0);
}

#[tokio::test]
async fn posts_to_one_host_are_bounded() {
    let slow = Answer::Reply {
        status: 204,
        headers: Vec::new(),
        body: Vec::new(),
        delay: Duration::from_millis(300),
    };
    let listener = receiver(slow, false).await;
    let mut config = dev_config();
    config.max_per_host = 1;
    let dev = Arc::new(sender(config));
    let url = format!("http://127.0.0.1:{}/h", listener.port);
    let posts: Vec<_> = (0..2)
        .map(|_| {
            let (dev, url) = (Arc::clone(&dev), url.clone());
            tokio::spawn(async move { dev.post(&url, headers(), Bytes::from_static(BODY)).await })
        })
        .collect();
    tokio::time::sleep(Duration::from_millis(150)).await;
    assert!(listener.requests().len() <= 1, "both POSTs ran at once");
    for post in posts {
        assert_eq!(post.await.expect("task").map(|r| r.status), Ok(204));
    }
    assert_eq!(listener.requests().len(), 2);
}

#[tokio::test]
async fn https_with_a_trusted_certificate() {
    let listener = receiver(reply(200, b"ok"), true).await;
    let url = format!("https://localhost:{}/h", listener.port);

    let mut config = dev_config();
    config.allow_http_loopback = false;
    config.extra_root_certificates = vec![CERT.to_vec()];
    let trusting = sender(config);
    let answer = trusting
        .post(&url, headers(), Bytes::from_static(BODY))
        .await
        .expect("reply");
    assert_eq!((answer.status, &answer.body[..]), (200, &b"ok"[..]));
    assert_eq!(listener.requests()[0].body, BODY);

    let untrusting = sender(dev_config());
    let answer = untrusting
        .post(&url, headers(), Bytes::from_static(BODY))
        .await;
    assert_eq!(answer, Err(SendFailure::Tls));
}

#[tokio::test]
async fn https_to_a_plain_http_receiver_is_a_tls_failure() {
    let plain = Answer::Raw(b"HTTP/1.1 400 Bad Request\r\ncontent-length: 0\r\n\r\n");
    let listener = receiver(plain, false).await;
    let dev = sender(dev_config());
    let url = format!("https://127.0.0.1:{}/h", listener.port);
    let answer = dev.post(&url, headers(), Bytes::from_static(BODY)).await;
    assert_eq!(answer, Err(SendFailure::Tls));
}

#[test]
fn unusable_certificates_fail_construction() {
    let mut config = WebhookSenderConfig::default();
    config.extra_root_certificates =
        vec![CERT.to_vec(), b"-----BEGIN CERTIFICATE-----\nnope".to_vec()];
    assert!(HttpWebhookSender::new(config).is_err());
}
