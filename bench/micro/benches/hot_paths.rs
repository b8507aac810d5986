//! Micro-benchmarks of the hot paths of one request and one stream:
//!
//! - `request/decode` and `request/classify`: parse a POSTed `tools/call` once and decide its
//!   era (what every POST does before anything else);
//! - `event_log/append` and `event_log/replay_64`: append one event to a stream of the
//!   in-memory event log, read 64 events after a cursor;
//! - `event_log/append_among_100k`: the same append in a log holding 100 000 streams, so
//!   a lookup that grows with the log (an ordered map instead of a hash) shows here;
//! - `event_log/session_among_100k`: one session's life in a log already holding 100 000
//!   streams of other sessions — open a request stream, finish it, end the session (its
//!   streams removed by prefix), so a cost that grows with the whole log shows here;
//! - `event_log/open_when_full`: open a stream in a log already at its cap of 100 000 live
//!   streams, which evicts the one opened longest ago;
//! - `http/echo_json`, `http/echo_sse`: a whole `tools/call echo` through the router in
//!   process (session lookup, engine, handler, log, JSON or SSE framing), no sockets;
//! - `http/replay_100`: `GET` with `Last-Event-ID` replaying 100 events, SSE framing of each.

use std::time::{Duration, Instant};

use bench_micro::{ECHO, Endpoint};
use bytes::Bytes;
use criterion::{Criterion, criterion_group, criterion_main};
use spate::protocol::envelope::{claims_modern, request_meta};
use spate::store::event_log::{EventLog, MemoryEventLog, NewEvent, Retention};
use spate::transport::http::server::ResponseMode;
use spate_protocol::Message;
use spate_protocol::jsonrpc::{Frame, decode};

fn request(c: &mut Criterion) {
    c.bench_function("request/decode", |b| {
        b.iter(|| decode(std::hint::black_box(ECHO)).expect("valid"))
    });
    c.bench_function("request/classify", |b| {
        b.iter(|| {
            let frame = decode(std::hint::black_box(ECHO)).expect("valid");
            match &frame {
                Frame::Single(Message::Request(r)) => {
                    claims_modern(request_meta(r.params.as_deref()).as_ref())
                }
                _ => false,
            }
        })
    });
}

fn event_log(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let data = Bytes::from_static(br#"{"jsonrpc":"2.0","method":"notifications/progress","params":{"progressToken":7,"progress":1,"total":10}}"#);
    let event = |last| NewEvent {
        data: data.clone(),
        last,
        disconnect: false,
    };
    c.bench_function("event_log/append", |b| {
        let log = MemoryEventLog::new(Retention::default());
        b.iter_custom(|iters| {
            rt.block_on(async {
                let t = Instant::now();
                for _ in 0..iters {
                    log.append("0123456789abcdef0123456789abcdef.1", vec![event(false)])
                        .await
                        .expect("append");
                }
                t.elapsed()
            })
        })
    });
    // A log already holding `n` live streams of other sessions.
    let filled = |n: u64| {
        let log = MemoryEventLog::new(Retention::default());
        rt.block_on(async {
            for i in 0..n {
                log.append(&format!("{:032x}.1", i * 7919), vec![event(false)])
                    .await
                    .expect("append");
            }
        });
        log
    };
    c.bench_function("event_log/append_among_100k", |b| {
        let log = filled(99_999);
        b.iter_custom(|iters| {
            rt.block_on(async {
                let t = Instant::now();
                for _ in 0..iters {
                    log.append("0123456789abcdef0123456789abcdef.1", vec![event(false)])
                        .await
                        .expect("append");
                }
                t.elapsed()
            })
        })
    });
    c.bench_function("event_log/replay_64", |b| {
        let log = MemoryEventLog::new(Retention::default());
        rt.block_on(async {
            log.append("s.1", (0..1000).map(|_| event(false)).collect())
                .await
                .expect("append")
        });
        b.iter_custom(|iters| {
            rt.block_on(async {
                let t = Instant::now();
                for i in 0..iters {
                    let batch = log
                        .read_after("s.1", (i % 900) + 10, 64)
                        .await
                        .expect("read");
                    std::hint::black_box(batch);
                }
                t.elapsed()
            })
        })
    });
    c.bench_function("event_log/session_among_100k", |b| {
        let log = filled(99_999);
        b.iter_custom(|iters| {
            rt.block_on(async {
                let t = Instant::now();
                for i in 0..iters {
                    let session = format!("{:032x}", u64::MAX - i);
                    let stream = format!("{session}.2");
                    log.append(&stream, vec![event(false), event(true)])
                        .await
                        .expect("append");
                    log.remove_prefix(&format!("{session}.")).await;
                }
                t.elapsed()
            })
        })
    });
    c.bench_function("event_log/open_when_full", |b| {
        let log = filled(Retention::default().max_streams as u64);
        let mut opened = 0u64;
        b.iter_custom(|iters| {
            rt.block_on(async {
                let t = Instant::now();
                for _ in 0..iters {
                    opened += 1;
                    log.append(&format!("{:032x}.2", u64::MAX - opened), vec![event(false)])
                        .await
                        .expect("append");
                }
                t.elapsed()
            })
        })
    });
}

fn http(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    for (name, mode) in [
        ("http/echo_json", ResponseMode::Json),
        ("http/echo_sse", ResponseMode::Sse),
    ] {
        let mut endpoint = rt.block_on(Endpoint::new(mode));
        c.bench_function(name, |b| {
            b.iter_custom(|iters| {
                rt.block_on(async {
                    let t = Instant::now();
                    for _ in 0..iters {
                        std::hint::black_box(endpoint.echo().await);
                    }
                    t.elapsed()
                })
            })
        });
    }
    let mut endpoint = rt.block_on(Endpoint::new(ResponseMode::Sse));
    c.bench_function("http/replay_100", |b| {
        b.iter_custom(|iters| {
            rt.block_on(async {
                let mut spent = Duration::ZERO;
                for _ in 0..iters {
                    let last = endpoint.cut_bump(110, 10).await;
                    let t = Instant::now();
                    std::hint::black_box(endpoint.replay(&last).await);
                    spent += t.elapsed();
                }
                spent
            })
        })
    });
}

criterion_group!(benches, request, event_log, http);
criterion_main!(benches);
