//! Writing Server-Sent Events.
//!
//! The `put_*` functions append one event to a buffer, so a reader that has several events
//! ready writes them as one chunk (one allocation, one write); the others return one event
//! alone.

use std::fmt::{Display, Write};

use bytes::{BufMut, Bytes, BytesMut};

use super::decimal::Decimal;
use super::sessions::EventId;

/// Appends one SSE event with an id and JSON data (data never holds a newline: it is compact
/// JSON).
pub(super) fn put_event(out: &mut BytesMut, id: EventId<'_>, data: &[u8]) {
    out.reserve(data.len() + 64);
    out.put_slice(b"id: ");
    id.put(out);
    out.put_slice(b"\ndata: ");
    out.put_slice(data);
    out.put_slice(b"\n\n");
}

/// Appends one named event without id (the old transport's `endpoint` and `message` events).
pub(super) fn put_named(out: &mut BytesMut, name: &str, data: &[u8]) {
    out.reserve(data.len() + name.len() + 16);
    out.put_slice(b"event: ");
    out.put_slice(name.as_bytes());
    out.put_slice(b"\ndata: ");
    out.put_slice(data);
    out.put_slice(b"\n\n");
}

/// Appends a comment line: keeps idle connections open, ignored by clients.
pub(super) fn put_comment(out: &mut BytesMut, text: impl Display) {
    out.put_slice(b": ");
    put_display(out, text);
    out.put_slice(b"\n\n");
}

/// Appends a `retry` field alone: tells the client how long to wait before reconnecting.
pub(super) fn put_retry(out: &mut BytesMut, retry_ms: u64) {
    out.put_slice(b"retry: ");
    out.put_slice(Decimal::new(retry_ms).as_bytes());
    out.put_slice(b"\n\n");
}

fn put_display(out: &mut BytesMut, value: impl Display) {
    // Writing into a `BytesMut` cannot fail: it grows as needed.
    let _ = write!(out, "{value}");
}

/// One SSE event with JSON data and no id (2026-07-28 streams are not resumable).
pub(super) fn data(data: &[u8]) -> Bytes {
    let mut out = BytesMut::with_capacity(data.len() + 8);
    out.put_slice(b"data: ");
    out.put_slice(data);
    out.put_slice(b"\n\n");
    out.freeze()
}

/// Appends the priming event of SEP-1699: an id to resume from, a `retry` hint, and empty
/// data.
pub(super) fn put_priming(out: &mut BytesMut, id: EventId<'_>, retry_ms: u64) {
    out.put_slice(b"id: ");
    id.put(out);
    out.put_slice(b"\nretry: ");
    out.put_slice(Decimal::new(retry_ms).as_bytes());
    out.put_slice(b"\ndata:\n\n");
}

/// The priming event alone (see [`put_priming`]).
pub(super) fn priming(id: EventId<'_>, retry_ms: u64) -> Bytes {
    let mut out = BytesMut::with_capacity(64);
    put_priming(&mut out, id, retry_ms);
    out.freeze()
}

/// One named event without id (see [`put_named`]).
pub(super) fn named(name: &str, data: &[u8]) -> Bytes {
    let mut out = BytesMut::new();
    put_named(&mut out, name, data);
    out.freeze()
}

/// One comment line (see [`put_comment`]).
pub(super) fn comment(text: &str) -> Bytes {
    let mut out = BytesMut::new();
    put_comment(&mut out, text);
    out.freeze()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn events_are_framed_as_the_sse_grammar_says() {
        let mut out = BytesMut::new();
        put_event(&mut out, EventId::new("s", 2, 7), br#"{"a":1}"#);
        put_named(&mut out, "message", b"{}");
        put_comment(&mut out, "keep-alive");
        put_retry(&mut out, 1500);
        assert_eq!(
            &out[..],
            b"id: s.2.7\ndata: {\"a\":1}\n\nevent: message\ndata: {}\n\n: keep-alive\n\nretry: 1500\n\n"
        );
        assert_eq!(
            &priming(EventId::new("s", 0, 0), 10)[..],
            b"id: s.0.0\nretry: 10\ndata:\n\n"
        );
        assert_eq!(
            &named("endpoint", b"/m")[..],
            b"event: endpoint\ndata: /m\n\n"
        );
        assert_eq!(&comment("hi")[..], b": hi\n\n");
        assert_eq!(&data(b"{}")[..], b"data: {}\n\n");
    }
}
