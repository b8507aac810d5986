//! Decoding a `Transfer-Encoding: chunked` request body (RFC 9112 §7.1) as its bytes arrive,
//! with a cap on the decoded size and on every line.

use bytes::{Buf, BytesMut};
use http::StatusCode;

use super::Rejection;

/// Longest chunk-size line or trailer field accepted.
const MAX_LINE: usize = 4096;

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
}

impl ChunkedDecoder {
    /// A decoder that refuses bodies longer than `limit` decoded bytes.
    pub(super) fn new(limit: usize) -> Self {
        Self {
            state: State::Size,
            limit,
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
                    let size = chunk_size(&line)?;
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
                    }
                }
            }
        }
    }
}

/// Takes one CRLF-terminated line off `input` (without the CRLF), if it is all there.
fn take_line(input: &mut BytesMut) -> Result<Option<BytesMut>, Rejection> {
    let window = &input[..input.len().min(MAX_LINE + 2)];
    match window.windows(2).position(|w| w == b"\r\n") {
        Some(end) => {
            let line = input.split_to(end);
            input.advance(2);
            Ok(Some(line))
        }
        None if input.len() > MAX_LINE + 1 => Err(Rejection::bad_request("chunk line too long")),
        None => Ok(None),
    }
}

/// The size of a chunk-size line: hex digits, then optional `;extensions`.
fn chunk_size(line: &[u8]) -> Result<u64, Rejection> {
    let digits = line.split(|b| *b == b';').next().unwrap_or_default();
    let digits = digits.trim_ascii_end();
    let invalid = || Rejection::bad_request("invalid chunk size");
    if digits.is_empty() || digits.len() > 15 {
        return Err(invalid());
    }
    digits.iter().try_fold(0u64, |n, d| {
        let v = (*d as char).to_digit(16).ok_or_else(invalid)?;
        Ok(n * 16 + u64::from(v))
    })
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
        let wire =
            b"5;ext=1\r\nhello\r\n1A\r\n abcdefghijklmnopqrstuvwxy\r\n0\r\nX-T: 1\r\n\r\nNEXT";
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
        let cases: [(&[u8], usize, StatusCode); 7] = [
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
