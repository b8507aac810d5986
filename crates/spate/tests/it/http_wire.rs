//! HTTP/1.1 on the wire, as `McpHttp::serve` speaks it, over raw sockets: pipelining,
//! chunked and `Expect: 100-continue` bodies, keep-alive and close, and every hostile head
//! or body answered with its status and a closed connection.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use spate::server::ServerConfig;
use spate::transport::http::server::HttpConfig;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::http_support::modern::{meta, request};
use crate::http_support::{init_body, start, start_with, test_server_counting};

const WITHIN: Duration = Duration::from_secs(10);

async fn connect(base: &str) -> TcpStream {
    TcpStream::connect(base.trim_start_matches("http://"))
        .await
        .unwrap()
}

/// A POST of `body` to `/mcp` with `extra` header lines, framed by `Content-Length`.
fn post(base: &str, body: &str, extra: &str) -> String {
    let host = base.trim_start_matches("http://");
    format!(
        "POST /mcp HTTP/1.1\r\nhost: {host}\r\ncontent-type: application/json\r\n\
         accept: application/json, text/event-stream\r\n{extra}content-length: {}\r\n\r\n{body}",
        body.len()
    )
}

/// Reads until the peer closes; what it sent.
async fn read_to_close(tcp: &mut TcpStream) -> String {
    let mut raw = Vec::new();
    tokio::time::timeout(WITHIN, tcp.read_to_end(&mut raw))
        .await
        .expect("the server closes the connection")
        .unwrap();
    String::from_utf8_lossy(&raw).into_owned()
}

/// Reads one response with a `Content-Length` body; its head and body.
async fn read_response(tcp: &mut TcpStream, buffered: &mut Vec<u8>) -> (String, String) {
    loop {
        if let Some(end) = buffered.windows(4).position(|w| w == b"\r\n\r\n") {
            let head = String::from_utf8_lossy(&buffered[..end]).to_lowercase();
            let len: usize = head
                .lines()
                .find_map(|l| l.strip_prefix("content-length: "))
                .map_or(0, |v| v.trim().parse().unwrap());
            if buffered.len() >= end + 4 + len {
                let body = String::from_utf8_lossy(&buffered[end + 4..end + 4 + len]).into_owned();
                buffered.drain(..end + 4 + len);
                return (head, body);
            }
        }
        let mut chunk = [0u8; 4096];
        let n = tokio::time::timeout(WITHIN, tcp.read(&mut chunk))
            .await
            .expect("a response")
            .unwrap();
        assert!(
            n > 0,
            "closed before a whole response: {:?}",
            String::from_utf8_lossy(buffered)
        );
        buffered.extend_from_slice(&chunk[..n]);
    }
}

#[tokio::test]
async fn pipelined_requests_are_answered_in_order_on_one_connection() {
    let s = start(HttpConfig::default()).await;
    let mut tcp = connect(&s.base).await;
    // Stray empty lines between requests, as some old clients send after a body, are ignored.
    let wire: String = (1..=3)
        .map(|id| post(&s.base, &init_body(id).to_string(), "") + "\r\n")
        .collect();
    tcp.write_all(wire.as_bytes()).await.unwrap();
    let mut buffered = Vec::new();
    for id in 1..=3 {
        let (head, body) = read_response(&mut tcp, &mut buffered).await;
        assert!(head.starts_with("http/1.1 200 ok"), "{head}");
        assert!(head.contains("\r\ndate: "), "{head}");
        let reply: serde_json::Value = serde_json::from_str(&body).unwrap();
        assert_eq!(reply["id"], id, "{body}");
    }
}

#[tokio::test]
async fn a_chunked_body_sent_after_100_continue_is_read_whole() {
    let s = start(HttpConfig::default()).await;
    let mut tcp = connect(&s.base).await;
    let host = s.base.trim_start_matches("http://");
    let body = init_body(7).to_string();
    let head = format!(
        "POST /mcp HTTP/1.1\r\nhost: {host}\r\ncontent-type: application/json\r\n\
         accept: application/json, text/event-stream\r\nexpect: 100-continue\r\n\
         transfer-encoding: chunked\r\n\r\n"
    );
    tcp.write_all(head.as_bytes()).await.unwrap();
    let mut interim = [0u8; 25];
    tokio::time::timeout(WITHIN, tcp.read_exact(&mut interim))
        .await
        .expect("100 Continue before the body")
        .unwrap();
    assert_eq!(&interim, b"HTTP/1.1 100 Continue\r\n\r\n");
    let (first, second) = body.split_at(10);
    let chunks = format!(
        "{:x};note=1\r\n{first}\r\n{:x}\r\n{second}\r\n0\r\n\r\n",
        first.len(),
        second.len()
    );
    tcp.write_all(chunks.as_bytes()).await.unwrap();
    let (head, reply) = read_response(&mut tcp, &mut Vec::new()).await;
    assert!(head.starts_with("http/1.1 200 ok"), "{head}");
    let reply: serde_json::Value = serde_json::from_str(&reply).unwrap();
    assert_eq!(reply["id"], 7);
}

/// Sends `wire`, expects an answer of `status` and then a closed connection.
async fn refused(base: &str, wire: &[u8], status: &str) {
    let mut tcp = connect(base).await;
    tcp.write_all(wire).await.unwrap();
    let answer = read_to_close(&mut tcp).await;
    assert!(
        answer.starts_with(&format!("HTTP/1.1 {status}")),
        "{status}: {answer:?}"
    );
    assert!(answer.contains("connection: close\r\n"), "{answer:?}");
    let status_lines = answer
        .split("\r\n")
        .filter(|line| line.starts_with("HTTP/1.1 "))
        .count();
    assert_eq!(status_lines, 1, "one answer only: {answer:?}");
}

#[tokio::test]
async fn hostile_heads_and_bodies_get_their_status_and_a_closed_connection() {
    let s = start({
        let mut config = HttpConfig::default();
        config.max_body_bytes = 1000;
        config
    })
    .await;
    let host = s.base.trim_start_matches("http://");
    let smuggle = format!(
        "POST /mcp HTTP/1.1\r\nhost: {host}\r\ncontent-length: 4\r\ntransfer-encoding: chunked\r\n\r\n0\r\n\r\n"
    );
    refused(&s.base, smuggle.as_bytes(), "400").await;
    refused(
        &s.base,
        b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03\r\n\r\n",
        "400",
    )
    .await;
    let huge_head = format!(
        "GET /mcp HTTP/1.1\r\nhost: {host}\r\nx-big: {}\r\n\r\n",
        "a".repeat(70_000)
    );
    refused(&s.base, huge_head.as_bytes(), "431").await;
    let declared = format!("POST /mcp HTTP/1.1\r\nhost: {host}\r\ncontent-length: 5000\r\n\r\n");
    refused(&s.base, declared.as_bytes(), "413").await;
    let chunked = format!(
        "POST /mcp HTTP/1.1\r\nhost: {host}\r\ntransfer-encoding: chunked\r\n\r\n7d0\r\n{}\r\n0\r\n\r\n",
        "x".repeat(2000)
    );
    refused(&s.base, chunked.as_bytes(), "413").await;
    let bad_chunk =
        format!("POST /mcp HTTP/1.1\r\nhost: {host}\r\ntransfer-encoding: chunked\r\n\r\nzz\r\n");
    refused(&s.base, bad_chunk.as_bytes(), "400").await;
    let gzip = format!("POST /mcp HTTP/1.1\r\nhost: {host}\r\ntransfer-encoding: gzip\r\n\r\n");
    refused(&s.base, gzip.as_bytes(), "501").await;
    // A bare LF in a chunk extension (a desync with front ends that end lines at LF): refused,
    // and the request smuggled after it is never answered.
    let smuggled = format!(
        "POST /mcp HTTP/1.1\r\nhost: {host}\r\ntransfer-encoding: chunked\r\n\r\n2;\nXX\r\nAB\r\n0\r\n\r\nGET /mcp HTTP/1.1\r\nhost: {host}\r\n\r\n"
    );
    refused(&s.base, smuggled.as_bytes(), "400").await;
    let bare_lf_size = format!(
        "POST /mcp HTTP/1.1\r\nhost: {host}\r\ntransfer-encoding: chunked\r\n\r\n5\n\r\nhello\r\n0\r\n\r\n"
    );
    refused(&s.base, bare_lf_size.as_bytes(), "400").await;
    // RFC 9112 §3.2: exactly one Host field in HTTP/1.1.
    let two_hosts = format!("GET /mcp HTTP/1.1\r\nhost: {host}\r\nhost: evil.example\r\n\r\n");
    refused(&s.base, two_hosts.as_bytes(), "400").await;
    refused(&s.base, b"GET /mcp HTTP/1.1\r\naccept: */*\r\n\r\n", "400").await;
    // A TLS ClientHello (no line end ever comes) is refused at once, not after a timeout.
    let started = std::time::Instant::now();
    refused(
        &s.base,
        b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03\x8a\x11\x02",
        "400",
    )
    .await;
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "{:?}",
        started.elapsed()
    );
    // The server still serves after all of that.
    let mut tcp = connect(&s.base).await;
    tcp.write_all(post(&s.base, &init_body(1).to_string(), "").as_bytes())
        .await
        .unwrap();
    let (head, _) = read_response(&mut tcp, &mut Vec::new()).await;
    assert!(head.starts_with("http/1.1 200 ok"), "{head}");
}

#[tokio::test]
async fn a_stalled_head_or_body_times_out_and_an_idle_connection_is_closed() {
    let s = start({
        let mut config = HttpConfig::default();
        config.request_timeout = Duration::from_millis(200);
        config.idle_connection_timeout = Duration::from_millis(300);
        config
    })
    .await;
    let mut slow = connect(&s.base).await;
    slow.write_all(b"POST /mcp HTTP/1.1\r\nhost: x\r\n")
        .await
        .unwrap();
    let answer = read_to_close(&mut slow).await;
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer:?}");
    let mut stalled = connect(&s.base).await;
    let partial = post(&s.base, &init_body(1).to_string(), "");
    stalled
        .write_all(&partial.as_bytes()[..partial.len() - 10])
        .await
        .unwrap();
    let answer = read_to_close(&mut stalled).await;
    assert!(
        answer.starts_with("HTTP/1.1 408"),
        "a stalled body: {answer:?}"
    );
    // Dribblers: an empty line every 100 ms before any request, or a body (sized, or chunked
    // with its extension) a byte at a time — each is cut off at the one deadline (200 ms),
    // never held by the next byte.
    let host = s.base.trim_start_matches("http://");
    let sized = format!("POST /mcp HTTP/1.1\r\nhost: {host}\r\ncontent-length: 100\r\n\r\n");
    let chunked =
        format!("POST /mcp HTTP/1.1\r\nhost: {host}\r\ntransfer-encoding: chunked\r\n\r\n");
    for (head, drip) in [
        ("", b'\n'),
        (sized.as_str(), b'x'),
        (chunked.as_str(), b'1'),
    ] {
        let mut dribbler = connect(&s.base).await;
        dribbler.write_all(head.as_bytes()).await.unwrap();
        let started = std::time::Instant::now();
        let drips = tokio::spawn(async move {
            for _ in 0..50 {
                if dribbler.write_all(&[drip]).await.is_err() {
                    break;
                }
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            dribbler
        });
        let mut dribbler = drips.await.unwrap();
        let answer = read_to_close(&mut dribbler).await;
        assert!(
            started.elapsed() < Duration::from_secs(2),
            "cut off at the deadline, not after {:?}: {answer:?}",
            started.elapsed()
        );
        if !head.is_empty() {
            assert!(answer.starts_with("HTTP/1.1 408"), "{answer:?}");
        }
    }
    let mut idle = connect(&s.base).await;
    idle.write_all(b"\r\n").await.unwrap(); // an empty line starts no request
    assert_eq!(read_to_close(&mut idle).await, "", "closed without a word");
    // A connection that keeps asking stays open past the idle timeout.
    let mut busy = connect(&s.base).await;
    let mut buffered = Vec::new();
    for id in 0..4 {
        busy.write_all(post(&s.base, &init_body(id).to_string(), "").as_bytes())
            .await
            .unwrap();
        let (head, _) = read_response(&mut busy, &mut buffered).await;
        assert!(head.starts_with("http/1.1 200 ok"), "{head}");
        tokio::time::sleep(Duration::from_millis(150)).await;
    }
}

#[tokio::test]
async fn connection_close_and_http_1_0_end_the_connection_after_the_answer() {
    let s = start(HttpConfig::default()).await;
    let body = init_body(3).to_string();
    for wire in [
        post(&s.base, &body, "connection: close\r\n"),
        post(&s.base, &body, "").replacen("HTTP/1.1", "HTTP/1.0", 1),
    ] {
        let mut tcp = connect(&s.base).await;
        tcp.write_all(wire.as_bytes()).await.unwrap();
        let answer = read_to_close(&mut tcp).await;
        assert!(answer.starts_with("HTTP/1.1 200 OK"), "{answer:?}");
        assert!(answer.contains("\"id\":3"), "{answer:?}");
    }
}

#[tokio::test]
async fn an_empty_response_has_no_body_and_the_connection_stays() {
    let s = start(HttpConfig::default()).await;
    let session = s.initialize().await;
    let mut tcp = connect(&s.base).await;
    let note = serde_json::json!({"jsonrpc": "2.0", "method": "notifications/initialized"});
    let extra = format!("mcp-session-id: {session}\r\nmcp-protocol-version: 2025-11-25\r\n");
    let mut buffered = Vec::new();
    for _ in 0..2 {
        tcp.write_all(post(&s.base, &note.to_string(), &extra).as_bytes())
            .await
            .unwrap();
        let (head, body) = read_response(&mut tcp, &mut buffered).await;
        assert!(head.starts_with("http/1.1 202 accepted"), "{head}");
        assert_eq!(body, "");
    }
}

#[tokio::test]
async fn a_peer_that_leaves_before_the_answer_cancels_the_request() {
    let cancelled_slow_calls = Arc::new(AtomicUsize::new(0));
    let server = test_server_counting(ServerConfig::default(), cancelled_slow_calls.clone());
    let s = start_with(server, HttpConfig::default()).await;
    // No progress token: nothing is written before the answer, so only the connection's read
    // side can tell that the client left (a 2026-07-28 request: leaving means cancelling).
    let params = serde_json::json!({"name": "slow", "arguments": {"n": 1000, "delay_ms": 20},
                                    "_meta": meta(serde_json::json!({}))});
    let call = request(&s, 1, "tools/call", params).send();
    assert!(
        tokio::time::timeout(Duration::from_millis(300), call)
            .await
            .is_err(),
        "the call is still running"
    );
    // The request future was dropped, and with it the connection.
    let cancelled = || cancelled_slow_calls.load(Ordering::SeqCst);
    for _ in 0..250 {
        if cancelled() > 0 && s.http.requests_in_progress() == 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(cancelled(), 1, "the handler saw the cancellation");
    assert_eq!(s.http.requests_in_progress(), 0);
}

/// A client that stops reading while its answer streams (here 300 progress events of 64 KiB)
/// is dropped once a write makes no progress for the write timeout, instead of pinning the
/// answer's buffers for as long as it likes.
#[tokio::test]
async fn a_client_that_stops_reading_is_dropped_at_the_write_timeout() {
    let s = start({
        let mut config = HttpConfig::default();
        config.write_timeout = Duration::from_millis(300);
        config
    })
    .await;
    let session = s.initialize().await;
    let host = s.base.trim_start_matches("http://");
    let body = serde_json::json!({"jsonrpc": "2.0", "id": 2, "method": "tools/call",
        "params": {"name": "burst", "arguments": {"n": 300, "pad": 65536},
                   "_meta": {"progressToken": "p"}}})
    .to_string();
    let wire = format!(
        "POST /mcp HTTP/1.1\r\nhost: {host}\r\ncontent-type: application/json\r\naccept: application/json, text/event-stream\r\nmcp-session-id: {session}\r\nmcp-protocol-version: 2025-11-25\r\ncontent-length: {}\r\n\r\n{body}",
        body.len()
    );
    let mut tcp = connect(&s.base).await;
    tcp.write_all(wire.as_bytes()).await.unwrap();
    // Not reading: the socket buffers fill, the server's writes stall.
    tokio::time::sleep(Duration::from_millis(2500)).await;
    let mut raw = Vec::new();
    tokio::time::timeout(Duration::from_secs(10), tcp.read_to_end(&mut raw))
        .await
        .expect("the server closed the connection")
        .ok();
    assert!(
        raw.len() < 300 * 65536,
        "cut off before the whole answer: {} bytes",
        raw.len()
    );
}
