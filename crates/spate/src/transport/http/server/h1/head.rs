//! One HTTP/1.1 request head: the request line and header fields, parsed with `httparse`,
//! and how the body after it is framed (RFC 9112 §6.3).

use std::mem::MaybeUninit;

use bytes::Bytes;
use http::header::{CONNECTION, CONTENT_LENGTH, EXPECT, TRANSFER_ENCODING};
use http::{HeaderMap, HeaderName, HeaderValue, Method, Request, StatusCode, Uri, Version};

use super::Rejection;

/// Most header fields one request may carry; more is answered with 431.
const MAX_HEADERS: usize = 100;

/// How the request body is delimited.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Framing {
    /// `Content-Length` bytes (0 when the request has neither framing header).
    Length(u64),
    /// `Transfer-Encoding: chunked`.
    Chunked,
}

/// A parsed request head.
#[derive(Debug)]
pub(super) struct Head {
    /// Method, target, version and header fields; the body is attached later.
    pub request: Request<()>,
    /// How the body is delimited.
    pub framing: Framing,
    /// Whether the connection may carry another request after this one.
    pub keep_alive: bool,
    /// The client waits for `100 Continue` before sending its body.
    pub expect_continue: bool,
}

/// Parses the head at the start of `buf`: `Ok(None)` while it is incomplete, else the head
/// and how many bytes of `buf` it took.
pub(super) fn parse(buf: &[u8]) -> Result<Option<(Head, usize)>, Rejection> {
    let mut fields = [const { MaybeUninit::<httparse::Header<'_>>::uninit() }; MAX_HEADERS];
    let mut parsed = httparse::Request::new(&mut []);
    let len = match parsed.parse_with_uninit_headers(buf, &mut fields) {
        Ok(httparse::Status::Complete(len)) => len,
        Ok(httparse::Status::Partial) => return Ok(None),
        Err(httparse::Error::TooManyHeaders) => {
            return Err(Rejection::new(
                StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE,
                "too many header fields",
            ));
        }
        Err(e) => return Err(Rejection::bad_request(parse_error(e))),
    };
    let (Some(method), Some(target), Some(minor)) = (parsed.method, parsed.path, parsed.version)
    else {
        return Err(Rejection::bad_request("incomplete request line"));
    };
    let method = Method::from_bytes(method.as_bytes())
        .map_err(|_| Rejection::bad_request("invalid method"))?;
    let uri =
        Uri::try_from(target).map_err(|_| Rejection::bad_request("invalid request target"))?;
    let version = if minor == 1 {
        Version::HTTP_11
    } else {
        Version::HTTP_10
    };
    // Header values are slices of one copy of the head, so a request costs one allocation
    // for all of them and the connection's read buffer is never shared.
    let copy = Bytes::copy_from_slice(&buf[..len]);
    let base = buf.as_ptr() as usize;
    let mut headers = HeaderMap::with_capacity(parsed.headers.len());
    for field in parsed.headers.iter() {
        let name = HeaderName::from_bytes(field.name.as_bytes())
            .map_err(|_| Rejection::bad_request("invalid header name"))?;
        let start = field.value.as_ptr() as usize - base;
        let value = HeaderValue::from_maybe_shared(copy.slice(start..start + field.value.len()))
            .map_err(|_| Rejection::bad_request("invalid header value"))?;
        headers.append(name, value);
    }
    let uri = effective_host(uri, &mut headers, version)?;
    let framing = framing(&headers, version)?;
    let keep_alive = keep_alive(&headers, version);
    let expect_continue = version == Version::HTTP_11
        && headers
            .get(EXPECT)
            .is_some_and(|v| v.as_bytes().eq_ignore_ascii_case(b"100-continue"));
    let mut request = Request::new(());
    *request.method_mut() = method;
    *request.uri_mut() = uri;
    *request.version_mut() = version;
    *request.headers_mut() = headers;
    let head = Head {
        request,
        framing,
        keep_alive,
        expect_continue,
    };
    Ok(Some((head, len)))
}

/// Settles which host a request names (RFC 9112 §3.2): an HTTP/1.1 request carries exactly
/// one `Host` field; a request in absolute form names its host in the target, which then
/// replaces any `Host` field, so the host checks see the one the request is for.
fn effective_host(uri: Uri, headers: &mut HeaderMap, version: Version) -> Result<Uri, Rejection> {
    let hosts = headers.get_all(http::header::HOST).iter().count();
    if hosts > 1 {
        return Err(Rejection::bad_request("more than one Host header field"));
    }
    if let Some(authority) = uri.authority() {
        let host = HeaderValue::from_str(authority.as_str())
            .map_err(|_| Rejection::bad_request("invalid request target"))?;
        headers.insert(http::header::HOST, host);
        // The router matches paths: keep the path and query of an absolute target.
        let origin_form = uri
            .path_and_query()
            .map_or("/", http::uri::PathAndQuery::as_str);
        return Uri::try_from(origin_form)
            .map_err(|_| Rejection::bad_request("invalid request target"));
    }
    if hosts == 0 && version == Version::HTTP_11 {
        return Err(Rejection::bad_request(
            "an HTTP/1.1 request needs a Host header field",
        ));
    }
    Ok(uri)
}

/// A short explanation of a malformed head.
fn parse_error(e: httparse::Error) -> &'static str {
    match e {
        httparse::Error::HeaderName => "invalid header name",
        httparse::Error::HeaderValue => "invalid header value",
        httparse::Error::NewLine | httparse::Error::Token => "malformed request head",
        httparse::Error::Status | httparse::Error::Version => "invalid request line",
        httparse::Error::TooManyHeaders => "too many header fields",
    }
}

/// The body framing the header fields announce; ambiguous framing, the classic request
/// smuggling vector, is refused rather than guessed (RFC 9112 §6.1, §6.3).
fn framing(headers: &HeaderMap, version: Version) -> Result<Framing, Rejection> {
    let mut codings = headers.get_all(TRANSFER_ENCODING).iter().peekable();
    if codings.peek().is_some() {
        if headers.contains_key(CONTENT_LENGTH) {
            return Err(Rejection::bad_request(
                "both Transfer-Encoding and Content-Length",
            ));
        }
        if version != Version::HTTP_11 {
            return Err(Rejection::bad_request("Transfer-Encoding in HTTP/1.0"));
        }
        let mut all = codings
            .flat_map(|v| v.as_bytes().split(|b| *b == b','))
            .map(|c| c.trim_ascii());
        return match (all.next(), all.next()) {
            (Some(c), None) if c.eq_ignore_ascii_case(b"chunked") => Ok(Framing::Chunked),
            _ => Err(Rejection::new(
                StatusCode::NOT_IMPLEMENTED,
                "only the chunked transfer coding is supported",
            )),
        };
    }
    let mut length = None;
    for value in headers.get_all(CONTENT_LENGTH) {
        for item in value.as_bytes().split(|b| *b == b',') {
            let n = parse_length(item.trim_ascii())
                .ok_or_else(|| Rejection::bad_request("invalid Content-Length"))?;
            if length.is_some_and(|l| l != n) {
                return Err(Rejection::bad_request("conflicting Content-Length values"));
            }
            length = Some(n);
        }
    }
    Ok(Framing::Length(length.unwrap_or(0)))
}

/// A `Content-Length` value: decimal digits only, no sign, no overflow.
fn parse_length(digits: &[u8]) -> Option<u64> {
    if digits.is_empty() || digits.len() > 19 || !digits.iter().all(u8::is_ascii_digit) {
        return None;
    }
    digits.iter().try_fold(0u64, |n, d| {
        n.checked_mul(10)?.checked_add(u64::from(d - b'0'))
    })
}

/// HTTP/1.1 keeps the connection unless told `close`; HTTP/1.0 only when told `keep-alive`.
fn keep_alive(headers: &HeaderMap, version: Version) -> bool {
    let has = |token: &[u8]| {
        headers.get_all(CONNECTION).iter().any(|v| {
            v.as_bytes()
                .split(|b| *b == b',')
                .any(|t| t.trim_ascii().eq_ignore_ascii_case(token))
        })
    };
    if version == Version::HTTP_11 {
        !has(b"close")
    } else {
        has(b"keep-alive")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn head(text: &str) -> Result<Option<(Head, usize)>, Rejection> {
        parse(text.as_bytes())
    }

    fn rejected(text: &str) -> StatusCode {
        head(text).expect_err(text).status
    }

    #[test]
    fn a_complete_head_yields_the_request_and_its_length() {
        let text = "POST /mcp?x=1 HTTP/1.1\r\nHost: a\r\nContent-Length: 12\r\nMcp-Session-Id: s\r\n\r\n{\"body\"";
        let (h, len) = head(text).unwrap().unwrap();
        assert_eq!(len, text.find("\r\n\r\n").unwrap() + 4);
        assert_eq!(h.request.method(), Method::POST);
        assert_eq!(h.request.uri().path(), "/mcp");
        assert_eq!(h.request.uri().query(), Some("x=1"));
        assert_eq!(h.request.headers()["mcp-session-id"], "s");
        assert_eq!(h.framing, Framing::Length(12));
        assert!(h.keep_alive);
        assert!(!h.expect_continue);
    }

    #[test]
    fn an_absolute_target_names_the_host() {
        let (h, _) =
            head("GET http://good.example:8080/mcp?x=1 HTTP/1.1\r\nHost: evil.example\r\n\r\n")
                .unwrap()
                .unwrap();
        assert_eq!(h.request.headers()["host"], "good.example:8080");
        assert_eq!(h.request.uri(), "/mcp?x=1");
        let (old, _) = head("GET / HTTP/1.0\r\n\r\n").unwrap().unwrap();
        assert!(
            old.request.headers().get("host").is_none(),
            "HTTP/1.0 may omit it"
        );
    }

    #[test]
    fn an_incomplete_head_asks_for_more() {
        assert!(head("GET /mcp HTTP/1.1\r\nHost: a\r\n").unwrap().is_none());
        assert!(head("GE").unwrap().is_none());
    }

    #[test]
    fn framing_and_connection_tokens_are_read_as_the_rfc_says() {
        let h = |t: &str| head(t).unwrap().unwrap().0;
        assert_eq!(
            h("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n").framing,
            Framing::Chunked
        );
        assert_eq!(
            h("GET / HTTP/1.1\r\nHost: a\r\n\r\n").framing,
            Framing::Length(0)
        );
        assert_eq!(
            h("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5, 5\r\n\r\n").framing,
            Framing::Length(5)
        );
        assert!(!h("GET / HTTP/1.1\r\nHost: a\r\nConnection: foo, Close\r\n\r\n").keep_alive);
        assert!(!h("GET / HTTP/1.0\r\n\r\n").keep_alive);
        assert!(h("GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n").keep_alive);
        assert!(
            h("POST / HTTP/1.1\r\nHost: a\r\nExpect: 100-Continue\r\nContent-Length: 1\r\n\r\n")
                .expect_continue
        );
    }

    #[test]
    fn hostile_heads_are_refused_with_the_right_status() {
        let bad = StatusCode::BAD_REQUEST;
        assert_eq!(
            rejected(
                "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n"
            ),
            bad
        );
        assert_eq!(
            rejected(
                "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\n"
            ),
            bad
        );
        assert_eq!(
            rejected("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: -1\r\n\r\n"),
            bad
        );
        assert_eq!(
            rejected("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: +1\r\n\r\n"),
            bad
        );
        assert_eq!(
            rejected("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 99999999999999999999\r\n\r\n"),
            bad
        );
        assert_eq!(
            rejected("POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n"),
            bad
        );
        assert_eq!(
            rejected("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip, chunked\r\n\r\n"),
            StatusCode::NOT_IMPLEMENTED
        );
        assert_eq!(
            rejected("GET / HTTP/1.1\r\nHost: a\r\nBad Name: x\r\n\r\n"),
            bad
        );
        assert_eq!(
            rejected("GET / HTTP/1.1\r\nHost: a\r\nX: a\x01b\r\n\r\n"),
            bad
        );
        assert_eq!(rejected("GET  HTTP/1.1\r\nHost: a\r\n\r\n"), bad);
        assert_eq!(rejected("\x00\x01\x02 / HTTP/1.1\r\nHost: a\r\n\r\n"), bad);
        assert_eq!(rejected("GET / HTTP/2.0\r\n\r\n"), bad);
        // RFC 9112 §3.2: exactly one Host in HTTP/1.1.
        assert_eq!(rejected("GET / HTTP/1.1\r\n\r\n"), bad);
        assert_eq!(
            rejected("GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n"),
            bad
        );
        let many: String = (0..=MAX_HEADERS).map(|i| format!("X-{i}: v\r\n")).collect();
        assert_eq!(
            rejected(&format!("GET / HTTP/1.1\r\nHost: a\r\n{many}\r\n")),
            StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE
        );
    }

    #[test]
    fn random_bytes_never_panic() {
        let mut state = 0x9e37_79b9_7f4a_7c15u64;
        for _ in 0..20_000 {
            let len = (state % 200) as usize;
            let mut bytes = b"POST / HTTP/1.1\r\n".to_vec();
            for _ in 0..len {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                bytes.push(b"\r\n:, aZ0\x00\xff-chunked"[(state % 17) as usize]);
            }
            let _ = parse(&bytes);
        }
    }
}
