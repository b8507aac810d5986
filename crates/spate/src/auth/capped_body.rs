//! Reading an HTTP answer from a server we do not control (an authorization server's
//! metadata, JWKS or introspection answer; a webhook receiver's reply) without letting it
//! make us buffer more than we mean to: a body is read chunk by chunk, and reading stops at
//! the cap (the rest is never received).

use bytes::{Bytes, BytesMut};

/// At most `max` bytes of `response`'s body, and whether there was more (then what was read
/// is only the start, and the rest was never received).
pub(crate) async fn read_capped(
    response: &mut reqwest::Response,
    max: usize,
) -> Result<(Bytes, bool), reqwest::Error> {
    let mut read = BytesMut::new();
    while let Some(chunk) = response.chunk().await? {
        let room = max - read.len();
        if chunk.len() > room {
            read.extend_from_slice(&chunk[..room]);
            return Ok((read.freeze(), true));
        }
        read.extend_from_slice(&chunk);
    }
    Ok((read.freeze(), false))
}

/// The whole body of `response` if it is at most `max` bytes; else an error that says so.
pub(crate) async fn read_within(
    response: &mut reqwest::Response,
    max: usize,
) -> Result<Bytes, String> {
    match read_capped(response, max).await {
        Ok((body, false)) => Ok(body),
        Ok((_, true)) => Err(format!("the answer is larger than {max} bytes")),
        Err(e) => Err(e.to_string()),
    }
}
