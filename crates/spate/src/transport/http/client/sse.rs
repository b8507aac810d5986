//! A small, bounded Server-Sent Events parser (the `text/event-stream` format of the HTML
//! standard), fed with arbitrary chunks of bytes.
//!
//! It follows the standard's parsing rules: lines end with CRLF, LF or CR (a CRLF split
//! across two chunks counts once); a UTF-8 byte order mark at the start of the stream is
//! skipped; `data:` lines are joined with `\n`; one space after the colon is dropped; lines
//! starting with `:` are comments; an `id` containing NUL is ignored; `retry` takes only
//! ASCII digits; an event is complete at a blank line, and an incomplete one at the end of
//! the stream is discarded. Text is decoded as UTF-8 with replacement characters.
//!
//! Unlike a browser it reports every completed block, even one with no data (the SEP-1699
//! priming event carries only an `id` and `retry`), so the caller decides what to skip.
//! Memory is bounded: an event (its data plus the line being read) longer than the maximum
//! is discarded up to its blank line and reported once as [`SseItem::TooLarge`].
//!
//! ```
//! use spate::transport::http::client::sse::{SseItem, SseParser};
//!
//! let mut parser = SseParser::new(1024);
//! let mut items = Vec::new();
//! parser.feed(b"id: 7\r\ndata: {\"a\":", &mut items);
//! parser.feed(b"1}\r\n\r\n", &mut items);
//! let SseItem::Event(event) = &items[0] else { panic!() };
//! assert_eq!(event.id.as_deref(), Some("7"));
//! assert_eq!(event.data, "{\"a\":1}");
//! ```

use std::time::Duration;

const BOM: &[u8] = b"\xEF\xBB\xBF";

/// One completed block of fields (up to a blank line).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SseEvent {
    /// The `id` field of this block, if it had one (an empty value resets the cursor).
    pub id: Option<String>,
    /// The `event` field; `message` when absent.
    pub event: String,
    /// The `data` lines joined with `\n`; empty for blocks without data (priming events).
    pub data: String,
    /// The `retry` field of this block: how long to wait before reconnecting.
    pub retry: Option<Duration>,
}

/// What the parser produces.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SseItem {
    /// A completed block.
    Event(SseEvent),
    /// An event longer than the maximum was discarded.
    TooLarge {
        /// The limit it broke, in bytes.
        limit: usize,
    },
}

/// Incremental SSE parser with a maximum event size.
#[derive(Debug)]
pub struct SseParser {
    max: usize,
    line: Vec<u8>,
    /// Bytes of the current line seen so far (also counted while discarding).
    line_len: usize,
    after_cr: bool,
    first_line: bool,
    skipping: bool,
    data: Vec<u8>,
    event: String,
    id: Option<String>,
    retry: Option<Duration>,
    has_fields: bool,
}

impl SseParser {
    /// A parser that refuses events longer than `max_event_size` bytes.
    pub fn new(max_event_size: usize) -> Self {
        Self {
            max: max_event_size,
            line: Vec::new(),
            line_len: 0,
            after_cr: false,
            first_line: true,
            skipping: false,
            data: Vec::new(),
            event: String::new(),
            id: None,
            retry: None,
            has_fields: false,
        }
    }

    /// Parses the next chunk of the stream, appending completed items to `out`.
    pub fn feed(&mut self, chunk: &[u8], out: &mut Vec<SseItem>) {
        let mut rest = chunk;
        while !rest.is_empty() {
            if self.after_cr {
                self.after_cr = false;
                if rest[0] == b'\n' {
                    rest = &rest[1..];
                    continue;
                }
            }
            match rest.iter().position(|&b| b == b'\n' || b == b'\r') {
                None => {
                    self.push_partial(rest);
                    break;
                }
                Some(i) => {
                    self.push_partial(&rest[..i]);
                    self.after_cr = rest[i] == b'\r';
                    rest = &rest[i + 1..];
                    self.end_line(out);
                }
            }
        }
    }

    /// Bytes held for the event being read (bounded by the maximum plus one line ending).
    pub fn buffered(&self) -> usize {
        self.line.len() + self.data.len()
    }

    fn push_partial(&mut self, bytes: &[u8]) {
        self.line_len = self.line_len.saturating_add(bytes.len());
        if self.skipping {
            return;
        }
        if self.line.len() + self.data.len() + bytes.len() > self.max {
            self.skipping = true;
            self.line = Vec::new();
            self.data = Vec::new();
            return;
        }
        self.line.extend_from_slice(bytes);
    }

    fn end_line(&mut self, out: &mut Vec<SseItem>) {
        let mut line = std::mem::take(&mut self.line);
        let seen = std::mem::take(&mut self.line_len);
        if std::mem::take(&mut self.first_line) && line.starts_with(BOM) {
            line.drain(..BOM.len());
        }
        if self.skipping {
            if seen == 0 {
                self.reset_event();
                self.skipping = false;
                out.push(SseItem::TooLarge { limit: self.max });
            }
            return;
        }
        if line.is_empty() {
            self.dispatch(out);
            return;
        }
        self.field(&line);
        // Keep the allocation for the next line.
        line.clear();
        self.line = line;
    }

    fn field(&mut self, line: &[u8]) {
        if line[0] == b':' {
            return; // comment (keep-alive)
        }
        let (name, value) = match line.iter().position(|&b| b == b':') {
            Some(i) => {
                let value = &line[i + 1..];
                (&line[..i], value.strip_prefix(b" ").unwrap_or(value))
            }
            None => (line, &b""[..]),
        };
        match name {
            b"data" => {
                self.data.extend_from_slice(value);
                self.data.push(b'\n');
            }
            b"event" => self.event = String::from_utf8_lossy(value).into_owned(),
            b"id" => {
                if value.contains(&0) {
                    return;
                }
                self.id = Some(String::from_utf8_lossy(value).into_owned());
            }
            b"retry" => {
                if value.is_empty() || !value.iter().all(u8::is_ascii_digit) {
                    return;
                }
                // All digits, so only overflow can fail: treat that as "very long".
                let ms = std::str::from_utf8(value)
                    .ok()
                    .and_then(|s| s.parse::<u64>().ok())
                    .unwrap_or(u64::MAX);
                self.retry = Some(Duration::from_millis(ms));
            }
            _ => return, // unknown fields are ignored
        }
        self.has_fields = true;
    }

    fn dispatch(&mut self, out: &mut Vec<SseItem>) {
        if !self.has_fields {
            return;
        }
        let mut data = std::mem::take(&mut self.data);
        if data.last() == Some(&b'\n') {
            data.pop();
        }
        let data = match String::from_utf8(data) {
            Ok(text) => text,
            Err(e) => String::from_utf8_lossy(e.as_bytes()).into_owned(),
        };
        let event = std::mem::take(&mut self.event);
        out.push(SseItem::Event(SseEvent {
            id: self.id.take(),
            event: if event.is_empty() {
                "message".to_owned()
            } else {
                event
            },
            data,
            retry: self.retry.take(),
        }));
        self.has_fields = false;
    }

    fn reset_event(&mut self) {
        self.data = Vec::new();
        self.event.clear();
        self.id = None;
        self.retry = None;
        self.has_fields = false;
    }
}
