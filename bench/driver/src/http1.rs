//! A minimal HTTP/1.1 client connection: write a prepared request, parse the response head,
//! read a body sized by `Content-Length`, chunked, or ended by close. Just what the driver
//! needs, with no per-request allocation beyond the body it returns.

use std::io;
use std::net::SocketAddr;

use bytes::{Buf, BytesMut};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// How the response body is delimited.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Framing {
    /// `Content-Length` bytes.
    Length(usize),
    /// `Transfer-Encoding: chunked`.
    Chunked,
    /// Until the server closes the connection.
    Close,
}

/// What the body is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// `application/json`.
    Json,
    /// `text/event-stream`.
    Sse,
    /// Anything else, or no body.
    Other,
}

/// A parsed response head.
#[derive(Debug, Clone)]
pub struct Head {
    /// The status code.
    pub status: u16,
    /// The media type of the body.
    pub kind: Kind,
    /// The `Mcp-Session-Id` header, if any.
    pub session: Option<String>,
    /// How the body ends.
    pub framing: Framing,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Chunk {
    /// Expecting a chunk-size line.
    Size,
    /// Inside a chunk with this many bytes left.
    Data(usize),
    /// Expecting the CRLF after a chunk.
    DataEnd,
}

/// One keep-alive connection.
pub struct Conn {
    io: TcpStream,
    buf: BytesMut,
    /// Body state of the response being read.
    body: Option<(Framing, Chunk)>,
}

impl Conn {
    /// Connects with `TCP_NODELAY`.
    pub async fn connect(addr: SocketAddr) -> io::Result<Self> {
        let io = TcpStream::connect(addr).await?;
        io.set_nodelay(true)?;
        Ok(Self {
            io,
            buf: BytesMut::with_capacity(16 * 1024),
            body: None,
        })
    }

    /// Writes a whole request.
    pub async fn send(&mut self, request: &[u8]) -> io::Result<()> {
        self.io.write_all(request).await
    }

    async fn fill(&mut self) -> io::Result<usize> {
        if self.buf.capacity() - self.buf.len() < 4096 {
            self.buf.reserve(16 * 1024);
        }
        let n = self.io.read_buf(&mut self.buf).await?;
        Ok(n)
    }

    /// Reads and parses the response head; the body is then read with [`Conn::read_body`].
    pub async fn head(&mut self) -> io::Result<Head> {
        loop {
            let mut headers = [httparse::EMPTY_HEADER; 32];
            let mut response = httparse::Response::new(&mut headers);
            match response.parse(&self.buf) {
                Ok(httparse::Status::Complete(len)) => {
                    let status = response.code.unwrap_or(0);
                    let mut head = Head {
                        status,
                        kind: Kind::Other,
                        session: None,
                        framing: Framing::Length(0),
                    };
                    let mut length = None;
                    let mut chunked = false;
                    for h in response.headers.iter() {
                        let value = std::str::from_utf8(h.value).unwrap_or_default();
                        if h.name.eq_ignore_ascii_case("content-type") {
                            let media = value.split(';').next().unwrap_or_default().trim();
                            head.kind = if media.eq_ignore_ascii_case("application/json") {
                                Kind::Json
                            } else if media.eq_ignore_ascii_case("text/event-stream") {
                                Kind::Sse
                            } else {
                                Kind::Other
                            };
                        } else if h.name.eq_ignore_ascii_case("content-length") {
                            length = value.trim().parse::<usize>().ok();
                        } else if h.name.eq_ignore_ascii_case("transfer-encoding") {
                            chunked = value.to_ascii_lowercase().contains("chunked");
                        } else if h.name.eq_ignore_ascii_case("mcp-session-id") {
                            head.session = Some(value.to_owned());
                        }
                    }
                    head.framing = if chunked {
                        Framing::Chunked
                    } else if let Some(n) = length {
                        Framing::Length(n)
                    } else if status == 204 || status == 304 || (100..200).contains(&status) {
                        Framing::Length(0)
                    } else {
                        Framing::Close
                    };
                    self.buf.advance(len);
                    self.body = Some((head.framing, Chunk::Size));
                    return Ok(head);
                }
                Ok(httparse::Status::Partial) => {
                    if self.fill().await? == 0 {
                        return Err(io::ErrorKind::UnexpectedEof.into());
                    }
                }
                Err(e) => return Err(io::Error::new(io::ErrorKind::InvalidData, e)),
            }
        }
    }

    /// Appends the next decoded body bytes to `out`; `false` once the body has ended.
    pub async fn read_body(&mut self, out: &mut BytesMut) -> io::Result<bool> {
        loop {
            let Some((framing, chunk)) = self.body else {
                return Ok(false);
            };
            match framing {
                Framing::Length(0) => {
                    self.body = None;
                    return Ok(false);
                }
                Framing::Length(n) => {
                    if self.buf.is_empty() && self.fill().await? == 0 {
                        return Err(io::ErrorKind::UnexpectedEof.into());
                    }
                    let take = n.min(self.buf.len());
                    out.extend_from_slice(&self.buf.split_to(take));
                    self.body = Some((Framing::Length(n - take), chunk));
                    if n == take {
                        self.body = None;
                    }
                    return Ok(true);
                }
                Framing::Close => {
                    if self.buf.is_empty() && self.fill().await? == 0 {
                        self.body = None;
                        return Ok(false);
                    }
                    out.extend_from_slice(&self.buf.split());
                    return Ok(true);
                }
                Framing::Chunked => match chunk {
                    Chunk::Size => {
                        let Some(end) = find_crlf(&self.buf) else {
                            if self.fill().await? == 0 {
                                return Err(io::ErrorKind::UnexpectedEof.into());
                            }
                            continue;
                        };
                        let line = std::str::from_utf8(&self.buf[..end]).unwrap_or_default();
                        let hex = line.split(';').next().unwrap_or_default().trim();
                        let size = usize::from_str_radix(hex, 16)
                            .map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e))?;
                        self.buf.advance(end + 2);
                        if size == 0 {
                            self.skip_trailers().await?;
                            self.body = None;
                            return Ok(false);
                        }
                        self.body = Some((framing, Chunk::Data(size)));
                    }
                    Chunk::Data(left) => {
                        if self.buf.is_empty() && self.fill().await? == 0 {
                            return Err(io::ErrorKind::UnexpectedEof.into());
                        }
                        let take = left.min(self.buf.len());
                        out.extend_from_slice(&self.buf.split_to(take));
                        let next = if take == left {
                            Chunk::DataEnd
                        } else {
                            Chunk::Data(left - take)
                        };
                        self.body = Some((framing, next));
                        return Ok(true);
                    }
                    Chunk::DataEnd => {
                        while self.buf.len() < 2 {
                            if self.fill().await? == 0 {
                                return Err(io::ErrorKind::UnexpectedEof.into());
                            }
                        }
                        self.buf.advance(2);
                        self.body = Some((framing, Chunk::Size));
                    }
                },
            }
        }
    }

    async fn skip_trailers(&mut self) -> io::Result<()> {
        loop {
            match find_crlf(&self.buf) {
                Some(0) => {
                    self.buf.advance(2);
                    return Ok(());
                }
                Some(end) => self.buf.advance(end + 2),
                None => {
                    if self.fill().await? == 0 {
                        return Err(io::ErrorKind::UnexpectedEof.into());
                    }
                }
            }
        }
    }

    /// Reads the whole body.
    pub async fn body(&mut self) -> io::Result<BytesMut> {
        let mut out = BytesMut::new();
        while self.read_body(&mut out).await? {}
        Ok(out)
    }
}

fn find_crlf(buf: &[u8]) -> Option<usize> {
    buf.windows(2).position(|w| w == b"\r\n")
}

/// Builds a request: method, path, `Host`, extra headers, optional JSON body.
pub fn request(
    method: &str,
    path: &str,
    host: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> Vec<u8> {
    let mut out = Vec::with_capacity(256 + body.len());
    out.extend_from_slice(method.as_bytes());
    out.push(b' ');
    out.extend_from_slice(path.as_bytes());
    out.extend_from_slice(b" HTTP/1.1\r\nHost: ");
    out.extend_from_slice(host.as_bytes());
    out.extend_from_slice(b"\r\n");
    for (name, value) in headers {
        out.extend_from_slice(name.as_bytes());
        out.extend_from_slice(b": ");
        out.extend_from_slice(value.as_bytes());
        out.extend_from_slice(b"\r\n");
    }
    if method != "GET" {
        out.extend_from_slice(b"Content-Length: ");
        out.extend_from_slice(body.len().to_string().as_bytes());
        out.extend_from_slice(b"\r\n");
    }
    out.extend_from_slice(b"\r\n");
    out.extend_from_slice(body);
    out
}
