//! A minimal HTTP/1.1 server for webhook deliveries (W8): keep-alive connections, request
//! heads parsed with `httparse`, bodies sized by `Content-Length` (what webhook senders
//! send), one handler answering each request with a status and an optional JSON body.

use std::io;
use std::net::SocketAddr;
use std::sync::Arc;

use bytes::{Buf, BytesMut};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// The largest request accepted (head and body); SEP-3415 caps bodies at 256 KiB.
const MAX_REQUEST: usize = 512 * 1024;

/// One received request.
#[derive(Debug)]
pub struct Post {
    /// The request target, e.g. `/hook/3`.
    pub path: String,
    /// Header names (lower-case) and values.
    pub headers: Vec<(String, String)>,
    /// The raw body, as the signature covers it.
    pub body: BytesMut,
}

impl Post {
    /// A header's value (`name` in lower case), or `""`.
    pub fn header(&self, name: &str) -> &str {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map_or("", |(_, v)| v.as_str())
    }
}

/// What the handler answers: a status, and a JSON body (`None`: no body).
pub type Answer = (u16, Option<Vec<u8>>);

/// Accepts connections on `listener` until the task is dropped, answering every request
/// with `handle`.
pub async fn serve<F>(listener: TcpListener, handle: Arc<F>)
where
    F: Fn(Post) -> Answer + Send + Sync + 'static,
{
    loop {
        let Ok((io, _)) = listener.accept().await else {
            continue;
        };
        let _ = io.set_nodelay(true);
        let handle = handle.clone();
        tokio::spawn(async move {
            let _ = connection(io, &*handle).await;
        });
    }
}

/// A listener on a free 127.0.0.1 port.
pub async fn bind() -> io::Result<(TcpListener, SocketAddr)> {
    let listener = TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    Ok((listener, addr))
}

async fn connection<F>(mut io: TcpStream, handle: &F) -> io::Result<()>
where
    F: Fn(Post) -> Answer,
{
    let mut buf = BytesMut::with_capacity(8 * 1024);
    let mut reply = Vec::with_capacity(256);
    loop {
        let (post, length) = loop {
            if let Some(parsed) = parse_head(&mut buf)? {
                break parsed;
            }
            if buf.len() > MAX_REQUEST {
                return Err(io::Error::new(io::ErrorKind::InvalidData, "head too large"));
            }
            if io.read_buf(&mut buf).await? == 0 {
                return Ok(()); // closed between requests
            }
        };
        if length > MAX_REQUEST {
            return Err(io::Error::new(io::ErrorKind::InvalidData, "body too large"));
        }
        while buf.len() < length {
            if io.read_buf(&mut buf).await? == 0 {
                return Err(io::ErrorKind::UnexpectedEof.into());
            }
        }
        let post = Post {
            body: buf.split_to(length),
            ..post
        };
        let (status, body) = handle(post);
        reply.clear();
        let reason = match status {
            200 => "OK",
            204 => "No Content",
            401 => "Unauthorized",
            _ => "Status",
        };
        reply.extend_from_slice(format!("HTTP/1.1 {status} {reason}\r\n").as_bytes());
        match &body {
            Some(body) => {
                reply.extend_from_slice(
                    format!(
                        "Content-Type: application/json\r\nContent-Length: {}\r\n\r\n",
                        body.len()
                    )
                    .as_bytes(),
                );
                reply.extend_from_slice(body);
            }
            None if status == 204 => reply.extend_from_slice(b"\r\n"),
            None => reply.extend_from_slice(b"Content-Length: 0\r\n\r\n"),
        }
        io.write_all(&reply).await?;
    }
}

/// The request head at the front of `buf`, taken out of it, with the body's length.
fn parse_head(buf: &mut BytesMut) -> io::Result<Option<(Post, usize)>> {
    let mut headers = [httparse::EMPTY_HEADER; 32];
    let mut request = httparse::Request::new(&mut headers);
    let len = match request.parse(buf) {
        Ok(httparse::Status::Complete(len)) => len,
        Ok(httparse::Status::Partial) => return Ok(None),
        Err(e) => return Err(io::Error::new(io::ErrorKind::InvalidData, e)),
    };
    let mut length = 0usize;
    let mut kept = Vec::with_capacity(8);
    for h in request.headers.iter() {
        let value = std::str::from_utf8(h.value).unwrap_or_default().trim();
        let name = h.name.to_ascii_lowercase();
        if name == "content-length" {
            length = value
                .parse()
                .map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e))?;
        } else if name == "transfer-encoding" {
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                "chunked requests are not expected",
            ));
        }
        kept.push((name, value.to_owned()));
    }
    let post = Post {
        path: request.path.unwrap_or_default().to_owned(),
        headers: kept,
        body: BytesMut::new(),
    };
    buf.advance(len);
    Ok(Some((post, length)))
}
