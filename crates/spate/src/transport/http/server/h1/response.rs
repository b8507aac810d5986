//! Writing an HTTP/1.1 response: the status line and header fields, how the body is framed
//! (RFC 9112 §6), and the chunk framing of a streamed body.

use std::cell::RefCell;
use std::io::Write;
use std::time::{SystemTime, UNIX_EPOCH};

use http::header::{CONNECTION, CONTENT_LENGTH, DATE, TRANSFER_ENCODING};
use http::response::Parts;
use http::{Method, StatusCode, Version};

use crate::transport::http::server::decimal::Decimal;

/// How the response body goes on the wire.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum BodyFraming {
    /// No body at all (`HEAD`, 1xx, 204, 304).
    None,
    /// Exactly this many bytes.
    Length(u64),
    /// Chunked; the stream of frames decides its end.
    Chunked,
    /// Until the connection closes (an HTTP/1.0 client and a body of unknown length).
    UntilClose,
}

/// What the request says about the response it may get.
#[derive(Debug, Clone, Copy)]
pub(super) struct Asked {
    /// The request was `HEAD`.
    pub head: bool,
    /// The request's HTTP version.
    pub version: Version,
    /// The request allows another one after it on this connection.
    pub keep_alive: bool,
}

impl Asked {
    /// What a request of `method` and `version` asks, given its connection preference.
    pub(super) fn new(method: &Method, version: Version, keep_alive: bool) -> Self {
        Self {
            head: *method == Method::HEAD,
            version,
            keep_alive,
        }
    }
}

/// Chooses the framing of a response, writes its head into `out`, and says whether the
/// connection stays open after it.
pub(super) fn write_head(
    out: &mut Vec<u8>,
    parts: &Parts,
    exact_len: Option<u64>,
    asked: Asked,
) -> (BodyFraming, bool) {
    let status = parts.status;
    let declared = parts
        .headers
        .get(CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok()?.parse::<u64>().ok());
    let no_body = asked.head
        || status.is_informational()
        || status == StatusCode::NO_CONTENT
        || status == StatusCode::NOT_MODIFIED;
    let mut keep_alive = asked.keep_alive
        && !parts.headers.get_all(CONNECTION).iter().any(|v| {
            v.as_bytes()
                .split(|b| *b == b',')
                .any(|t| t.trim_ascii().eq_ignore_ascii_case(b"close"))
        });
    let framing = match (no_body, declared.or(exact_len)) {
        (true, _) => BodyFraming::None,
        (false, Some(n)) => BodyFraming::Length(n),
        (false, None) if asked.version == Version::HTTP_11 => BodyFraming::Chunked,
        (false, None) => {
            keep_alive = false;
            BodyFraming::UntilClose
        }
    };
    out.extend_from_slice(b"HTTP/1.1 ");
    out.extend_from_slice(status.as_str().as_bytes());
    out.push(b' ');
    out.extend_from_slice(status.canonical_reason().unwrap_or("").as_bytes());
    out.extend_from_slice(b"\r\n");
    for (name, value) in &parts.headers {
        if name == TRANSFER_ENCODING || (name == CONTENT_LENGTH && declared.is_none()) {
            continue;
        }
        field(out, name.as_str().as_bytes(), value.as_bytes());
    }
    if declared.is_none() {
        match framing {
            BodyFraming::Length(n) => field(out, b"content-length", Decimal::new(n).as_bytes()),
            BodyFraming::Chunked => field(out, b"transfer-encoding", b"chunked"),
            BodyFraming::None if asked.head => {
                if let Some(n) = exact_len {
                    field(out, b"content-length", Decimal::new(n).as_bytes());
                }
            }
            BodyFraming::None | BodyFraming::UntilClose => {}
        }
    }
    if !parts.headers.contains_key(DATE) {
        with_date(|date| field(out, b"date", date));
    }
    if !keep_alive && asked.keep_alive {
        field(out, b"connection", b"close");
    } else if keep_alive && asked.version == Version::HTTP_10 {
        field(out, b"connection", b"keep-alive");
    }
    out.extend_from_slice(b"\r\n");
    (framing, keep_alive)
}

/// Appends one chunk of a chunked body.
pub(super) fn write_chunk(out: &mut Vec<u8>, data: &[u8]) {
    if data.is_empty() {
        return; // an empty chunk would end the body
    }
    let mut digits = [0u8; 16];
    let mut left = data.len();
    let mut start = digits.len();
    while left > 0 {
        start -= 1;
        digits[start] = b"0123456789abcdef"[left % 16];
        left /= 16;
    }
    // One allocation for the whole chunk, however empty `out` was.
    out.reserve(digits.len() - start + data.len() + 4);
    out.extend_from_slice(&digits[start..]);
    out.extend_from_slice(b"\r\n");
    out.extend_from_slice(data);
    out.extend_from_slice(b"\r\n");
}

/// The last chunk of a chunked body, with no trailer fields.
pub(super) const LAST_CHUNK: &[u8] = b"0\r\n\r\n";

/// A minimal response the connection writes itself when a request cannot reach the router.
pub(super) fn write_rejection(out: &mut Vec<u8>, status: StatusCode, reason: &str) {
    let _ = write!(
        out,
        "HTTP/1.1 {} {}\r\ncontent-type: text/plain; charset=utf-8\r\ncontent-length: {}\r\nconnection: close\r\n",
        status.as_str(),
        status.canonical_reason().unwrap_or(""),
        reason.len()
    );
    with_date(|date| field(out, b"date", date));
    out.extend_from_slice(b"\r\n");
    out.extend_from_slice(reason.as_bytes());
}

fn field(out: &mut Vec<u8>, name: &[u8], value: &[u8]) {
    out.extend_from_slice(name);
    out.extend_from_slice(b": ");
    out.extend_from_slice(value);
    out.extend_from_slice(b"\r\n");
}

thread_local! {
    /// The `Date` value of the current second: formatted once a second per thread.
    static CURRENT_DATE: RefCell<(u64, [u8; 29])> = const { RefCell::new((u64::MAX, [0; 29])) };
}

/// Calls `f` with the current time as an IMF-fixdate (RFC 9110 §5.6.7).
fn with_date(f: impl FnOnce(&[u8])) {
    let now = SystemTime::now();
    let second = now.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs());
    CURRENT_DATE.with_borrow_mut(|(cached, text)| {
        if *cached != second {
            let mut cursor = &mut text[..];
            let _ = write!(cursor, "{}", httpdate::HttpDate::from(now));
            *cached = second;
        }
        f(&text[..]);
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    fn head_of(
        response: http::Response<()>,
        exact: Option<u64>,
        asked: Asked,
    ) -> (String, BodyFraming, bool) {
        let (parts, ()) = response.into_parts();
        let mut out = Vec::new();
        let (framing, keep) = write_head(&mut out, &parts, exact, asked);
        (String::from_utf8(out).unwrap(), framing, keep)
    }

    const GET_11: Asked = Asked {
        head: false,
        version: Version::HTTP_11,
        keep_alive: true,
    };

    #[test]
    fn a_sized_body_gets_its_length_and_an_open_one_is_chunked() {
        let ok = || {
            http::Response::builder()
                .header("content-type", "application/json")
                .body(())
                .unwrap()
        };
        let (text, framing, keep) = head_of(ok(), Some(42), GET_11);
        assert!(
            text.starts_with(
                "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 42\r\ndate: "
            ),
            "{text}"
        );
        assert!(text.ends_with(" GMT\r\n\r\n"), "{text}");
        assert_eq!((framing, keep), (BodyFraming::Length(42), true));
        let (text, framing, _) = head_of(ok(), None, GET_11);
        assert!(text.contains("transfer-encoding: chunked\r\n"), "{text}");
        assert_eq!(framing, BodyFraming::Chunked);
    }

    #[test]
    fn bodiless_answers_and_old_clients_are_framed_as_the_rfc_says() {
        let with = |status: u16| http::Response::builder().status(status).body(()).unwrap();
        assert_eq!(head_of(with(204), Some(0), GET_11).1, BodyFraming::None);
        let head = Asked {
            head: true,
            ..GET_11
        };
        let (text, framing, _) = head_of(with(200), Some(7), head);
        assert_eq!(framing, BodyFraming::None);
        assert!(text.contains("content-length: 7\r\n"), "{text}");
        let old = Asked {
            version: Version::HTTP_10,
            keep_alive: true,
            head: false,
        };
        let (text, framing, keep) = head_of(with(200), None, old);
        assert_eq!((framing, keep), (BodyFraming::UntilClose, false));
        assert!(text.contains("connection: close\r\n"), "{text}");
        let (text, _, keep) = head_of(with(200), Some(1), old);
        assert!(
            keep && text.contains("connection: keep-alive\r\n"),
            "{text}"
        );
    }

    #[test]
    fn a_handler_asking_to_close_closes() {
        let response = http::Response::builder()
            .header("connection", "close")
            .body(())
            .unwrap();
        let (_, _, keep) = head_of(response, Some(0), GET_11);
        assert!(!keep);
    }

    #[test]
    fn chunks_are_framed_in_hex_and_empty_data_is_skipped() {
        let mut out = Vec::new();
        write_chunk(&mut out, &[b'x'; 26]);
        write_chunk(&mut out, b"");
        out.extend_from_slice(LAST_CHUNK);
        assert_eq!(
            out,
            [b"1a\r\n".as_slice(), &[b'x'; 26], b"\r\n0\r\n\r\n"].concat()
        );
    }
}
