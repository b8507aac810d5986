//! Writing Server-Sent Events.

use bytes::{BufMut, Bytes, BytesMut};

/// One SSE event with an id and JSON data (data never holds a newline: it is compact JSON).
pub fn event(id: &str, data: &[u8]) -> Bytes {
    let mut out = BytesMut::with_capacity(data.len() + id.len() + 16);
    out.put_slice(b"id: ");
    out.put_slice(id.as_bytes());
    out.put_slice(b"\ndata: ");
    out.put_slice(data);
    out.put_slice(b"\n\n");
    out.freeze()
}

/// One SSE event with JSON data and no id (2026-07-28 streams are not resumable).
pub fn data(data: &[u8]) -> Bytes {
    let mut out = BytesMut::with_capacity(data.len() + 8);
    out.put_slice(b"data: ");
    out.put_slice(data);
    out.put_slice(b"\n\n");
    out.freeze()
}

/// The priming event of SEP-1699: an id to resume from, a `retry` hint, and empty data.
pub fn priming(id: &str, retry_ms: u64) -> Bytes {
    Bytes::from(format!("id: {id}\nretry: {retry_ms}\ndata:\n\n"))
}

/// A named event without id (the old transport's `endpoint` and `message` events).
pub fn named(name: &str, data: &[u8]) -> Bytes {
    let mut out = BytesMut::with_capacity(data.len() + name.len() + 16);
    out.put_slice(b"event: ");
    out.put_slice(name.as_bytes());
    out.put_slice(b"\ndata: ");
    out.put_slice(data);
    out.put_slice(b"\n\n");
    out.freeze()
}

/// A comment line: keeps idle connections open, ignored by clients.
pub fn comment(text: &str) -> Bytes {
    Bytes::from(format!(": {text}\n\n"))
}

/// A `retry` field alone: tells the client how long to wait before reconnecting.
pub fn retry(retry_ms: u64) -> Bytes {
    Bytes::from(format!("retry: {retry_ms}\n\n"))
}
