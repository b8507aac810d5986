//! Decoding a `Transfer-Encoding: chunked` request body (RFC 9112 §7.1) as its bytes arrive,
//! with a cap on the decoded size and on every line, and the grammar read strictly: a line
//! ends with CRLF and holds no other CR or LF (a front end that ends lines at a bare LF would
//! read another body: request smuggling), extensions and trailer fields are well formed, and
//! their bytes are capped as hyper caps them.

use bytes::{Buf, BytesMut};
use http::StatusCode;

use super::Rejection;

/// Longest chunk-size line or trailer field accepted.
const MAX_LINE: usize = 4096;
/// Most bytes of chunk extensions one body may carry, all lines together.
const MAX_EXTENSIONS: usize = 16 * 1024;
/// Most bytes of trailer fields one body may carry.
const MAX_TRAILERS: usize = 16 * 1024;
/// Most trailer fields one body may carry.
const MAX_TRAILER_FIELDS: usize = 100;

/// Where the decoder stands between two reads.
#[derive(Debug)]
enum State {
    /// Before a chunk-size line.
    Size,
    /// Inside chunk data, this many bytes still to come.
    Data(u64),
    /// After chunk data, before its CRLF.
    DataEnd,
    /// After the last chunk: trailer fields until an empty line.
    Trailers,
    /// The body is complete.
    Done,
}

/// An incremental decoder of one chunked body.
#[derive(Debug)]
pub(super) struct ChunkedDecoder {
    state: State,
    /// Most decoded bytes accepted.
    limit: usize,
    /// Extension bytes seen so far.
    extensions: usize,
    /// Trailer bytes and fields seen so far.
    trailers: (usize, usize),
}

impl ChunkedDecoder {
    /// A decoder that refuses bodies longer than `limit` decoded bytes.
    pub(super) fn new(limit: usize) -> Self {
        Self {
            state: State::Size,
            limit,
            extensions: 0,
            trailers: (0, 0),
        }
    }

    /// Consumes what it can of `input` into `body`; `Ok(true)` once the body is complete
    /// (what follows it in `input` is left there).
    pub(super) fn decode(
        &mut self,
        input: &mut BytesMut,
        body: &mut BytesMut,
    ) -> Result<bool, Rejection> {
        loop {
            match self.state {
                State::Done => return Ok(true),
                State::Size => {
                    let Some(line) = take_line(input)? else {
                        return Ok(false);
                    };
                    let (size, extensions) = chunk_size(&line)?;
                    self.extensions += extensions;
                    if self.extensions > MAX_EXTENSIONS {
                        return Err(Rejection::bad_request("too many chunk extension bytes"));
                    }
                    self.state = if size == 0 {
                        State::Trailers
                    } else {
                        if body.len() as u64 + size > self.limit as u64 {
                            return Err(Rejection::new(
                                StatusCode::PAYLOAD_TOO_LARGE,
                                "request body too large",
                            ));
                        }
                        State::Data(size)
                    };
                }
                State::Data(left) => {
                    if input.is_empty() {
                        return Ok(false);
                    }
                    let n = input.len().min(usize::try_from(left).unwrap_or(usize::MAX));
                    body.extend_from_slice(&input[..n]);
                    input.advance(n);
                    let left = left - n as u64;
                    self.state = if left == 0 {
                        State::DataEnd
                    } else {
                        State::Data(left)
                    };
                }
                State::DataEnd => {
                    if input.len() < 2 {
                        return Ok(false);
                    }
                    if &input[..2] != b"\r\n" {
                        return Err(Rejection::bad_request("chunk data not followed by CRLF"));
                    }
                    input.advance(2);
                    self.state = State::Size;
                }
                State::Trailers => {
                    let Some(line) = take_line(input)? else {
                        return Ok(false);
                    };
                    if line.is_empty() {
                        self.state = State::Done;
                        continue;
                    }
                    trailer_field(&line)?;
                    self.trailers.0 += line.len() + 2;
                    self.trailers.1 += 1;
                    if self.trailers.0 > MAX_TRAILERS || self.trailers.1 > MAX_TRAILER_FIELDS {
                        return Err(Rejection::new(
                            StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE,
                            "too many trailer fields",
                        ));
                    }
                }
            }
        }
    }
}

/// Takes one CRLF-terminated line off `input` (without the CRLF), if it is all there. A CR
/// or LF anywhere else in it is refused.
fn take_line(input: &mut BytesMut) -> Result<Option<BytesMut>, Rejection> {
    let window = &input[..input.len().min(MAX_LINE + 2)];
    let Some(end) = window.iter().position(|b| matches!(b, b'\r' | b'\n')) else {
        if input.len() > MAX_LINE {
            return Err(Rejection::bad_request("chunk line too long"));
        }
        return Ok(None);
    };
    match window.get(end..end + 2) {
        Some(b"\r\n") => {
            let line = input.split_to(end);
            input.advance(2);
            Ok(Some(line))
        }
        // A CR waiting for its LF.
        None if window[end] == b'\r' => Ok(None),
        _ => Err(Rejection::bad_request("a bare CR or LF in a chunk line")),
    }
}

/// A chunk-size line: the size (hex digits) and how many bytes of extensions follow it.
/// Extensions are `;name[=value]` (tokens, or a quoted value), with optional blanks around.
fn chunk_size(line: &[u8]) -> Result<(u64, usize), Rejection> {
    let invalid = || Rejection::bad_request("invalid chunk size");
    let digits = line.iter().take_while(|b| b.is_ascii_hexdigit()).count();
    if digits == 0 || digits > 15 {
        return Err(invalid());
    }
    let size = line[..digits].iter().try_fold(0u64, |n, d| {
        let v = (*d as char).to_digit(16).ok_or_else(invalid)?;
        Ok(n * 16 + u64::from(v))
    })?;
    let extensions = &line[digits..];
    let rest = extensions.trim_ascii_start();
    let visible = |b: &u8| matches!(b, b'\t' | b' '..=b'~' | 0x80..=0xff);
    if !(rest.is_empty() || rest.starts_with(b";")) || !extensions.iter().all(visible) {
        return Err(Rejection::bad_request("invalid chunk extension"));
    }
    Ok((size, extensions.len()))
}

/// A trailer field line: `name: value`, the name a token, the value without control
/// characters (RFC 9110 §5.5).
fn trailer_field(line: &[u8]) -> Result<(), Rejection> {
    let invalid = || Rejection::bad_request("invalid trailer field");
    let colon = line.iter().position(|b| *b == b':').ok_or_else(invalid)?;
    let (name, value) = (&line[..colon], &line[colon + 1..]);
    http::HeaderName::from_bytes(name).map_err(|_| invalid())?;
    if !value
        .iter()
        .all(|b| matches!(b, b'\t' | b' '..=b'~' | 0x80..=0xff))
    {
        return Err(invalid());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Feeds `wire` in pieces of `step` bytes; the decoded body and what was left over.
    fn feed(wire: &[u8], step: usize, limit: usize) -> Result<(Vec<u8>, Vec<u8>), Rejection> {
        let mut decoder = ChunkedDecoder::new(limit);
        let mut input = BytesMut::new();
        let mut body = BytesMut::new();
        for piece in wire.chunks(step) {
            input.extend_from_slice(piece);
            if decoder.decode(&mut input, &mut body)? {
                return Ok((body.to_vec(), input.to_vec()));
            }
        }
        Err(Rejection::bad_request("incomplete"))
    }

    #[test]
    fn bodies_decode_whole_or_byte_by_byte() {
        let wire = b"5;ext=1\r\nhello\r\n1A ; a=\"q v\"\r\n abcdefghijklmnopqrstuvwxy\r\n0\r\nX-T: 1\r\n\r\nNEXT";
        for step in [1, 2, 7, wire.len()] {
            let (body, _) = feed(wire, step, 100).unwrap();
            assert_eq!(body, b"hello abcdefghijklmnopqrstuvwxy");
        }
        let (_, rest) = feed(wire, wire.len(), 100).unwrap();
        assert_eq!(rest, b"NEXT");
    }

    #[test]
    fn hostile_bodies_are_refused() {
        let long_line = vec![b'1'; MAX_LINE + 10];
        let many_trailers: Vec<u8> = [b"0\r\n".to_vec()]
            .into_iter()
            .chain((0..=MAX_TRAILER_FIELDS).map(|i| format!("X-{i}: v\r\n").into_bytes()))
            .chain([b"\r\n".to_vec()])
            .flatten()
            .collect();
        let long_extensions: Vec<u8> = (0..20)
            .flat_map(|_| format!("1;{}\r\nx\r\n", "e".repeat(1000)).into_bytes())
            .chain(b"0\r\n\r\n".iter().copied())
            .collect();
        let cases: [(&[u8], usize, StatusCode); 16] = [
            // A bare LF inside an extension: another parser would read another chunk.
            (b"2;\nXX\r\nAB\r\n0\r\n\r\n", 100, StatusCode::BAD_REQUEST),
            (b"5\n\r\nhello\r\n0\r\n\r\n", 100, StatusCode::BAD_REQUEST),
            (b"5\rx\r\nhello\r\n0\r\n\r\n", 100, StatusCode::BAD_REQUEST),
            (b"5 x\r\nhello\r\n0\r\n\r\n", 100, StatusCode::BAD_REQUEST),
            (
                b"5;a\x01b\r\nhello\r\n0\r\n\r\n",
                100,
                StatusCode::BAD_REQUEST,
            ),
            (b"0\r\nno colon\r\n\r\n", 100, StatusCode::BAD_REQUEST),
            (b"0\r\nX: a\x00b\r\n\r\n", 100, StatusCode::BAD_REQUEST),
            (
                &many_trailers,
                100,
                StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE,
            ),
            (&long_extensions, 100, StatusCode::BAD_REQUEST),
            (b"zz\r\nhello\r\n0\r\n\r\n", 100, StatusCode::BAD_REQUEST),
            (b"5\r\nhelloXX0\r\n\r\n", 100, StatusCode::BAD_REQUEST),
            (b"fffffffffffffffff\r\n", 100, StatusCode::BAD_REQUEST),
            (b"\r\n", 100, StatusCode::BAD_REQUEST),
            (&long_line, 100, StatusCode::BAD_REQUEST),
            (
                b"b\r\nhello world\r\n0\r\n\r\n",
                10,
                StatusCode::PAYLOAD_TOO_LARGE,
            ),
            (
                b"6\r\nhello \r\n6\r\nworld!\r\n0\r\n\r\n",
                10,
                StatusCode::PAYLOAD_TOO_LARGE,
            ),
        ];
        for (wire, limit, status) in cases {
            let refused = feed(wire, wire.len(), limit).unwrap_err();
            assert_eq!(
                refused.status,
                status,
                "{:?}",
                String::from_utf8_lossy(wire)
            );
        }
    }
}
