//! An incremental Server-Sent Events parser over decoded body bytes.

use bytes::{Buf, BytesMut};

/// One dispatched event.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Event {
    /// The `id` field, if the event had one.
    pub id: Option<String>,
    /// The `data` lines, joined with `\n`.
    pub data: Vec<u8>,
    /// Bytes of the event on the wire (fields and line ends).
    pub wire: usize,
}

/// Accumulates lines until a blank one dispatches an event.
#[derive(Debug, Default)]
pub struct Parser {
    current: Event,
    has_field: bool,
}

impl Parser {
    /// Takes the next complete event out of `buf`, leaving any partial line there.
    pub fn next(&mut self, buf: &mut BytesMut) -> Option<Event> {
        loop {
            let nl = buf.iter().position(|b| *b == b'\n')?;
            let mut line = &buf[..nl];
            if line.last() == Some(&b'\r') {
                line = &line[..line.len() - 1];
            }
            self.current.wire += nl + 1;
            if line.is_empty() {
                buf.advance(nl + 1);
                if self.has_field {
                    self.has_field = false;
                    return Some(std::mem::take(&mut self.current));
                }
                self.current.wire = 0;
                continue;
            }
            if line[0] != b':' {
                let (name, value) = match line.iter().position(|b| *b == b':') {
                    Some(i) => {
                        let v = &line[i + 1..];
                        (&line[..i], v.strip_prefix(b" ").unwrap_or(v))
                    }
                    None => (line, &b""[..]),
                };
                match name {
                    b"data" => {
                        if self.has_data() {
                            self.current.data.push(b'\n');
                        }
                        self.current.data.extend_from_slice(value);
                        self.has_field = true;
                    }
                    b"id" => {
                        self.current.id = Some(String::from_utf8_lossy(value).into_owned());
                        self.has_field = true;
                    }
                    _ => self.has_field = true,
                }
            }
            buf.advance(nl + 1);
        }
    }

    fn has_data(&self) -> bool {
        !self.current.data.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn events_split_anywhere_come_out_whole() {
        let wire = b": hi\n\nid: a.0.1\nretry: 5\ndata:\n\nid: a.0.2\r\ndata: {\"x\":1}\r\n\r\n";
        for split in 0..wire.len() {
            let mut parser = Parser::default();
            let mut buf = BytesMut::from(&wire[..split]);
            let mut events = Vec::new();
            while let Some(e) = parser.next(&mut buf) {
                events.push(e);
            }
            buf.extend_from_slice(&wire[split..]);
            while let Some(e) = parser.next(&mut buf) {
                events.push(e);
            }
            assert_eq!(events.len(), 2, "split at {split}");
            assert_eq!(events[0].id.as_deref(), Some("a.0.1"));
            assert!(events[0].data.is_empty());
            assert_eq!(events[1].data, br#"{"x":1}"#);
        }
    }
}
