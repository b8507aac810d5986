//! One HTTP/1.1 connection: requests read one after another, each handed to the router and
//! its response written back; a peer that closes its side cancels what it was waiting for.

use std::future::{Future, poll_fn};
use std::io::ErrorKind;
use std::sync::Arc;

use axum::Router;
use axum::body::Body;
use bytes::{Buf, BufMut, Bytes, BytesMut};
use futures_util::FutureExt;
use http::{Response, StatusCode};
use http_body_util::BodyExt;
use hyper::body::{Body as _, Frame};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::time::Instant;
use tower::Service;

use super::chunked::ChunkedDecoder;
use super::head::{self, Framing, Head};
use super::response::{self, Asked, BodyFraming};
use super::{Limits, MAX_HEAD_BYTES, Rejection};

/// The first read buffer: most requests are a few hundred bytes, and an allocation this small
/// comes from the allocator's per-thread cache.
const FIRST_READ: usize = 1024;
/// Room made in the read buffer when it runs short after that.
const READ_SIZE: usize = 4096;
/// Ready body frames gathered into one write, at most.
const WRITE_BATCH: usize = 64 * 1024;
/// Bytes a closing connection reads and discards, so its last answer is not lost to a reset.
const LINGER_BYTES: usize = 1024 * 1024;

/// Why a connection ends early.
enum End {
    /// The peer closed, the socket failed, or a deadline passed: nothing more can be said.
    Gone,
    /// A request was refused before it reached the router: answer, then close.
    Refuse(Rejection),
}

impl From<Rejection> for End {
    fn from(rejection: Rejection) -> Self {
        End::Refuse(rejection)
    }
}

/// What became of a body frame.
enum Step {
    /// More may follow.
    More,
    /// The body ended as framed.
    Ended,
    /// The body failed or broke its framing: the connection cannot carry another response.
    Broken,
}

/// Serves requests on `stream` until the peer closes, a deadline passes, or a response
/// cannot be followed by another.
pub(super) async fn run(stream: TcpStream, router: Router, limits: Arc<Limits>) {
    let mut connection = Connection {
        stream,
        input: BytesMut::new(),
        scanned: 0,
        out: Vec::new(),
        limits,
    };
    if let Err(End::Refuse(rejection)) = connection.serve(router).await {
        connection.refuse(rejection).await;
    }
}

struct Connection {
    stream: TcpStream,
    /// Bytes read and not yet used; without capacity while a response stream idles.
    input: BytesMut,
    /// How much of `input` is known to hold no end of a head.
    scanned: usize,
    /// What goes out in the next write.
    out: Vec<u8>,
    limits: Arc<Limits>,
}

impl Connection {
    async fn serve(&mut self, mut router: Router) -> Result<(), End> {
        loop {
            let Some(head) = self.read_head().await? else {
                return Ok(());
            };
            let request = &head.request;
            let asked = Asked::new(request.method(), request.version(), head.keep_alive);
            let body = self.read_body(&head).await?;
            let request = head.request.map(|()| Body::from(body));
            let _ = poll_fn(|cx| Service::<http::Request<Body>>::poll_ready(&mut router, cx)).await;
            let response = match self.until_closed(router.call(request)).await {
                Some(Ok(response)) => response,
                Some(Err(never)) => match never {},
                None => return Err(End::Gone),
            };
            if !self.write_response(response, asked).await? {
                return Ok(());
            }
        }
    }

    /// The next request head; `None` when the connection ends cleanly between requests.
    async fn read_head(&mut self) -> Result<Option<Head>, End> {
        let mut deadline = None;
        loop {
            // Empty lines before a request line are ignored (RFC 9112 §2.2), but they start
            // the head's deadline: a client sending one now and then holds no connection.
            let blank = self
                .input
                .iter()
                .take_while(|b| matches!(b, b'\r' | b'\n'))
                .count();
            if blank > 0 {
                self.input.advance(blank);
                self.scanned = 0;
                deadline.get_or_insert_with(|| Instant::now() + self.limits.request_timeout);
            }
            if !method_may_follow(&self.input) {
                // Not HTTP (a TLS ClientHello, say): no line end may ever come, so refuse
                // now rather than at the head's deadline.
                return Err(Rejection::bad_request("not an HTTP/1.1 request").into());
            }
            if self.head_may_be_complete() {
                if let Some((head, len)) = head::parse(&self.input)? {
                    if len > MAX_HEAD_BYTES {
                        // One read may bring a whole head larger than the limit at once.
                        return Err(head_too_large().into());
                    }
                    self.input.advance(len);
                    self.scanned = 0;
                    return Ok(Some(head));
                }
            }
            if self.input.len() >= MAX_HEAD_BYTES {
                return Err(head_too_large().into());
            }
            let read = if self.input.is_empty() && deadline.is_none() {
                tokio::time::timeout(self.limits.idle_timeout, self.fill()).await
            } else {
                let at =
                    *deadline.get_or_insert_with(|| Instant::now() + self.limits.request_timeout);
                tokio::time::timeout_at(at, self.fill()).await
            };
            match read {
                Ok(Ok(0)) | Ok(Err(_)) => return Ok(None),
                Ok(Ok(_)) => {}
                Err(_) if self.input.is_empty() => return Ok(None),
                Err(_) => {
                    return Err(Rejection::new(
                        StatusCode::REQUEST_TIMEOUT,
                        "request head timed out",
                    )
                    .into());
                }
            }
        }
    }

    /// Whether `input` holds an empty line past what was already scanned: only then is a
    /// head parsed, so a head sent a byte at a time costs linear time, not quadratic.
    fn head_may_be_complete(&mut self) -> bool {
        let from = self.scanned.saturating_sub(3);
        let found = self.input[from..].windows(2).enumerate().any(|(i, w)| {
            w == b"\n\n" || (w == b"\n\r" && self.input.get(from + i + 2) == Some(&b'\n'))
        });
        self.scanned = self.input.len();
        found
    }

    /// Reads more into `input`; 0 when the peer closed.
    async fn fill(&mut self) -> std::io::Result<usize> {
        self.make_room();
        self.stream.read_buf(&mut self.input).await
    }

    /// Room in `input` for the next read.
    fn make_room(&mut self) {
        if self.input.capacity() == 0 {
            self.input.reserve(FIRST_READ);
        } else if self.input.capacity() - self.input.len() < FIRST_READ / 4 {
            self.input.reserve(READ_SIZE);
        }
    }

    /// The whole body of the request whose head is `head`, within the limits: all of it
    /// within one `request_timeout`, however it is dribbled.
    async fn read_body(&mut self, head: &Head) -> Result<Bytes, End> {
        let deadline = Instant::now() + self.limits.request_timeout;
        match head.framing {
            Framing::Length(0) => Ok(Bytes::new()),
            Framing::Length(len) => {
                if len > self.limits.max_body_bytes as u64 {
                    return Err(too_large().into());
                }
                let len = len as usize;
                if self.input.len() >= len {
                    let body = Bytes::copy_from_slice(&self.input[..len]);
                    self.input.advance(len);
                    return Ok(body);
                }
                self.send_continue(head).await?;
                let mut body = BytesMut::with_capacity(len);
                body.extend_from_slice(&self.input);
                self.input.clear();
                while body.len() < len {
                    let room = len - body.len();
                    let mut window = (&mut body).limit(room);
                    let read = self.stream.read_buf(&mut window);
                    match tokio::time::timeout_at(deadline, read).await {
                        Ok(Ok(0)) | Ok(Err(_)) => return Err(End::Gone),
                        Ok(Ok(_)) => {}
                        Err(_) => return Err(timed_out_body().into()),
                    }
                }
                Ok(body.freeze())
            }
            Framing::Chunked => {
                let mut decoder = ChunkedDecoder::new(self.limits.max_body_bytes);
                let mut body = BytesMut::new();
                let mut continued = false;
                loop {
                    if decoder.decode(&mut self.input, &mut body)? {
                        return Ok(body.freeze());
                    }
                    if !continued {
                        self.send_continue(head).await?;
                        continued = true;
                    }
                    match tokio::time::timeout_at(deadline, self.fill()).await {
                        Ok(Ok(0)) | Ok(Err(_)) => return Err(End::Gone),
                        Ok(Ok(_)) => {}
                        Err(_) => return Err(timed_out_body().into()),
                    }
                }
            }
        }
    }

    /// Tells a client that waits for it to send its body.
    async fn send_continue(&mut self, head: &Head) -> Result<(), End> {
        if !head.expect_continue {
            return Ok(());
        }
        self.stream
            .write_all(b"HTTP/1.1 100 Continue\r\n\r\n")
            .await
            .map_err(|_| End::Gone)
    }

    /// Runs `future` to its end unless the peer closes the connection first (`None`: the
    /// future is dropped, which cancels the request). Bytes of a next request that arrive
    /// meanwhile are kept, up to the size of a head.
    async fn until_closed<F: Future>(&mut self, future: F) -> Option<F::Output> {
        let mut future = std::pin::pin!(future);
        loop {
            let watching = self.input.len() < MAX_HEAD_BYTES;
            tokio::select! {
                biased;
                out = &mut future => return Some(out),
                ready = self.stream.readable(), if watching => {
                    if ready.is_err() || !self.take_available() {
                        return None;
                    }
                }
            }
        }
    }

    /// Reads what has arrived without waiting; false once the peer closed or the socket failed.
    fn take_available(&mut self) -> bool {
        self.make_room();
        match self.stream.try_read_buf(&mut self.input) {
            Ok(0) => false,
            Ok(_) => true,
            Err(e) => e.kind() == ErrorKind::WouldBlock,
        }
    }

    /// Writes `response`; whether the connection can carry another one after it.
    async fn write_response(
        &mut self,
        response: Response<Body>,
        asked: Asked,
    ) -> Result<bool, End> {
        let (parts, mut body) = response.into_parts();
        self.out.clear();
        let (framing, keep_alive) =
            response::write_head(&mut self.out, &parts, body.size_hint().exact(), asked);
        drop(parts);
        if framing == BodyFraming::None {
            self.flush().await?;
            return Ok(keep_alive);
        }
        let mut sent = 0u64;
        let mut step = Step::More;
        loop {
            // Everything ready now goes out in one write.
            while matches!(step, Step::More) && self.out.len() < WRITE_BATCH {
                let Some(frame) = body.frame().now_or_never() else {
                    break;
                };
                step = self.encode(frame, framing, &mut sent);
            }
            self.flush().await?;
            match step {
                Step::Ended => return Ok(keep_alive && framing != BodyFraming::UntilClose),
                Step::Broken => return Ok(false),
                Step::More => {}
            }
            // Nothing is ready: hold no buffer while the stream waits for its next event.
            self.release_buffers();
            let Some(frame) = self.until_closed(body.frame()).await else {
                return Err(End::Gone);
            };
            step = self.encode(frame, framing, &mut sent);
        }
    }

    /// Appends one body frame (or the end of the body) to `out`, framed.
    fn encode(
        &mut self,
        frame: Option<Result<Frame<Bytes>, axum::Error>>,
        framing: BodyFraming,
        sent: &mut u64,
    ) -> Step {
        let data = match frame {
            None => {
                return match framing {
                    BodyFraming::Chunked => {
                        self.out.extend_from_slice(response::LAST_CHUNK);
                        Step::Ended
                    }
                    BodyFraming::Length(len) if *sent != len => Step::Broken,
                    _ => Step::Ended,
                };
            }
            Some(Err(e)) => {
                // Ending without the last chunk (or short of the length) tells the client
                // the body is incomplete.
                tracing::debug!("response body failed: {e}");
                return Step::Broken;
            }
            Some(Ok(frame)) => match frame.into_data() {
                Ok(data) => data,
                Err(_trailers) => return Step::More,
            },
        };
        match framing {
            BodyFraming::Chunked => response::write_chunk(&mut self.out, &data),
            BodyFraming::Length(len) => {
                let room = len.saturating_sub(*sent);
                if data.len() as u64 > room {
                    self.out.extend_from_slice(&data[..room as usize]);
                    *sent = len;
                    return Step::Broken;
                }
                self.out.extend_from_slice(&data);
            }
            BodyFraming::UntilClose | BodyFraming::None => self.out.extend_from_slice(&data),
        }
        *sent += data.len() as u64;
        Step::More
    }

    /// Writes `out` to the socket; a client that takes none of it within the write timeout
    /// is dropped.
    async fn flush(&mut self) -> Result<(), End> {
        if self.out.is_empty() {
            return Ok(());
        }
        let mut written = 0;
        let mut outcome = Ok(());
        while written < self.out.len() {
            let write = self.stream.write(&self.out[written..]);
            match tokio::time::timeout(self.limits.write_timeout, write).await {
                Ok(Ok(0)) | Ok(Err(_)) | Err(_) => {
                    outcome = Err(End::Gone);
                    break;
                }
                Ok(Ok(n)) => written += n,
            }
        }
        self.out.clear();
        if self.out.capacity() > WRITE_BATCH * 2 {
            self.out = Vec::new();
        }
        outcome
    }

    fn release_buffers(&mut self) {
        if self.input.is_empty() {
            self.input = BytesMut::new();
            self.scanned = 0;
        }
        self.out = Vec::new();
    }

    /// Answers a refused request, then closes without resetting: what the client still
    /// sends is read and dropped for a moment, so the answer is not lost to a reset.
    async fn refuse(&mut self, rejection: Rejection) {
        self.out.clear();
        response::write_rejection(&mut self.out, rejection.status, rejection.reason);
        if self.flush().await.is_err() || self.stream.shutdown().await.is_err() {
            return;
        }
        let linger = async {
            // On the heap: a buffer on the stack would sit in every connection's future.
            let mut sink = vec![0u8; 4096];
            let mut left = LINGER_BYTES;
            while left > 0 {
                match self.stream.read(&mut sink).await {
                    Ok(0) | Err(_) => return,
                    Ok(n) => left = left.saturating_sub(n),
                }
            }
        };
        let _ = tokio::time::timeout(std::time::Duration::from_secs(1), linger).await;
    }
}

fn head_too_large() -> Rejection {
    Rejection::new(
        StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE,
        "request head too large",
    )
}

fn too_large() -> Rejection {
    Rejection::new(StatusCode::PAYLOAD_TOO_LARGE, "request body too large")
}

fn timed_out_body() -> Rejection {
    Rejection::new(StatusCode::REQUEST_TIMEOUT, "request body timed out")
}
/// Whether `input` (after any blank lines) may still become a request line: what came so
/// far of its method is token characters (RFC 9110 §5.6.2), at most [`MAX_METHOD`] of them,
/// followed by nothing yet or a space.
fn method_may_follow(input: &[u8]) -> bool {
    let is_tchar = |b: &u8| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(b);
    let method = input.iter().take_while(|b| is_tchar(b)).count();
    method <= MAX_METHOD && input.get(method).is_none_or(|b| *b == b' ')
}

/// The longest method accepted (the standard ones have at most 7 letters).
const MAX_METHOD: usize = 32;

#[cfg(test)]
mod tests {
    use super::*;

    /// Every connection's task holds this future for its whole life, idle streams included
    /// (bench W5): a buffer kept across an await inside it would cost every connection.
    #[tokio::test]
    async fn a_connection_future_stays_small() {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let stream = TcpStream::connect(addr).await.unwrap();
        let limits = Arc::new(Limits {
            max_body_bytes: 1,
            request_timeout: std::time::Duration::ZERO,
            idle_timeout: std::time::Duration::ZERO,
            write_timeout: std::time::Duration::ZERO,
        });
        let future = run(stream, Router::new(), limits);
        let size = std::mem::size_of_val(&future);
        assert!(size <= 1536, "a connection future of {size} bytes");
    }
}
