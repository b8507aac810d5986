//! Newline-delimited JSON-RPC over byte streams: a process's stdin/stdout, a child's pipes,
//! or any other `AsyncRead`/`AsyncWrite` pair (Unix sockets, TCP).
//!
//! Lines are bounded: a line longer than the limit is skipped up to its newline and reported
//! as [`InboundFrame::TooLarge`], so one hostile message cannot exhaust memory or end the
//! connection.

use tokio::io::{AsyncBufRead, AsyncBufReadExt, AsyncRead, AsyncWrite, AsyncWriteExt, BufReader};
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

#[cfg(feature = "client")]
mod process;
#[cfg(feature = "client")]
pub use process::{ChildServer, StderrMode, StdioCommand};

use crate::engine::{InboundFrame, OutboundFrame, Route, Transport};

/// Limits of a stdio transport.
#[derive(Debug, Clone, Copy)]
#[non_exhaustive]
pub struct StdioLimits {
    /// The longest accepted line, in bytes (default 16 MiB).
    pub max_message_size: usize,
    /// Frames buffered in each direction (default 64).
    pub queue: usize,
}

impl Default for StdioLimits {
    fn default() -> Self {
        Self {
            max_message_size: 16 * 1024 * 1024,
            queue: 64,
        }
    }
}

/// A transport over a reader and a writer, one JSON message per line.
pub fn from_streams<R, W>(reader: R, writer: W, limits: StdioLimits) -> Transport
where
    R: AsyncRead + Unpin + Send + 'static,
    W: AsyncWrite + Unpin + Send + 'static,
{
    from_streams_closable(reader, writer, limits, CancellationToken::new())
}

/// Like [`from_streams`], and cancelling `close` shuts the writer (e.g. closes a child's
/// stdin) even while handles that could still send exist.
pub fn from_streams_closable<R, W>(
    reader: R,
    writer: W,
    limits: StdioLimits,
    close: CancellationToken,
) -> Transport
where
    R: AsyncRead + Unpin + Send + 'static,
    W: AsyncWrite + Unpin + Send + 'static,
{
    let (in_tx, inbound) = mpsc::channel(limits.queue);
    let (outbound, out_rx) = mpsc::channel(limits.queue);
    tokio::spawn(read_lines(
        BufReader::new(reader),
        in_tx,
        limits.max_message_size,
    ));
    tokio::spawn(write_lines(writer, out_rx, close));
    Transport { inbound, outbound }
}

/// A transport over this process's stdin and stdout (what an MCP server launched by a client uses).
pub fn process_stdio(limits: StdioLimits) -> Transport {
    from_streams(tokio::io::stdin(), tokio::io::stdout(), limits)
}

#[cfg(feature = "server")]
impl crate::server::Server {
    /// Serves this process's stdin/stdout until the client closes stdin.
    pub async fn serve_stdio(self) -> std::io::Result<()> {
        self.serve_stdio_with(StdioLimits::default()).await
    }

    /// Like [`serve_stdio`](Self::serve_stdio), with other framing limits.
    pub async fn serve_stdio_with(self, limits: StdioLimits) -> std::io::Result<()> {
        let peer = self.serve(process_stdio(limits));
        peer.task.await.map_err(std::io::Error::other)
    }
}

async fn read_lines<R: AsyncBufRead + Unpin>(
    mut reader: R,
    frames: mpsc::Sender<InboundFrame>,
    max: usize,
) {
    loop {
        let frame = match read_bounded_line(&mut reader, max).await {
            Ok(Some(frame)) => frame,
            Ok(None) => return,
            Err(e) => {
                tracing::debug!("stdio read failed: {e}");
                return;
            }
        };
        if let InboundFrame::Bytes(b) = &frame {
            if b.iter().all(u8::is_ascii_whitespace) {
                continue; // blank lines are not messages
            }
        }
        if frames.send(frame).await.is_err() {
            return;
        }
    }
}

/// Reads one line (without its `\n` / `\r\n`), or reports it too large after skipping it.
/// `Ok(None)` at end of input.
async fn read_bounded_line<R: AsyncBufRead + Unpin>(
    reader: &mut R,
    max: usize,
) -> std::io::Result<Option<InboundFrame>> {
    let mut line = Vec::new();
    let mut oversized = false;
    loop {
        let chunk = reader.fill_buf().await?;
        if chunk.is_empty() {
            // End of input: a final unterminated line still counts.
            return Ok(match (oversized, line.is_empty()) {
                (true, _) => Some(InboundFrame::TooLarge { limit: max }),
                (false, true) => None,
                (false, false) => Some(InboundFrame::Bytes(line)),
            });
        }
        let (take, done) = match chunk.iter().position(|&b| b == b'\n') {
            Some(i) => (i, true),
            None => (chunk.len(), false),
        };
        if !oversized {
            if line.len() + take > max {
                oversized = true;
                line = Vec::new();
            } else {
                line.extend_from_slice(&chunk[..take]);
            }
        }
        reader.consume(if done { take + 1 } else { take });
        if done {
            if oversized {
                return Ok(Some(InboundFrame::TooLarge { limit: max }));
            }
            if line.last() == Some(&b'\r') {
                line.pop();
            }
            return Ok(Some(InboundFrame::Bytes(line)));
        }
    }
}

/// Whether `route` answers the request whose exchange `previous` belonged to.
fn answers_previous(previous: Option<&Route>, route: &Route) -> bool {
    matches!((previous, route), (Some(Route::Request(a)), Route::Response(b)) if a == b)
}

async fn write_lines<W: AsyncWrite + Unpin>(
    mut writer: W,
    mut frames: mpsc::Receiver<OutboundFrame>,
    close: CancellationToken,
) {
    let mut previous: Option<Route> = None;
    loop {
        let frame = tokio::select! {
            f = frames.recv() => match f { Some(f) => f, None => break },
            () = close.cancelled() => break,
        };
        if write_frame(&mut writer, frame, &mut previous)
            .await
            .is_err()
        {
            return;
        }
        // Flush only when nothing else is queued: bursts go out in one write.
        while let Ok(next) = frames.try_recv() {
            if write_frame(&mut writer, next, &mut previous).await.is_err() {
                return;
            }
        }
        if writer.flush().await.is_err() {
            return;
        }
    }
    let _ = writer.shutdown().await;
}

async fn write_frame<W: AsyncWrite + Unpin>(
    writer: &mut W,
    frame: OutboundFrame,
    previous: &mut Option<Route>,
) -> std::io::Result<()> {
    if !frame.is_message() {
        return Ok(()); // one pipe, nothing to disconnect
    }
    if answers_previous(previous.as_ref(), &frame.route) {
        writer.flush().await?;
        tokio::time::sleep(super::RESPONSE_SETTLE).await;
    }
    let mut bytes = frame.bytes;
    bytes.push(b'\n');
    writer.write_all(&bytes).await?;
    *previous = Some(frame.route);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn frames_of(input: &'static [u8], max: usize) -> Vec<InboundFrame> {
        let (tx, mut rx) = mpsc::channel(16);
        read_lines(BufReader::with_capacity(4, input), tx, max).await;
        let mut out = Vec::new();
        while let Ok(f) = rx.try_recv() {
            out.push(f);
        }
        out
    }

    #[tokio::test]
    async fn splits_lines_skips_blank_and_strips_crlf() {
        let frames = frames_of(b"{\"a\":1}\r\n\n  \n{\"b\":2}", 100).await;
        let texts: Vec<_> = frames
            .iter()
            .map(|f| match f {
                InboundFrame::Bytes(b) => String::from_utf8(b.clone()).unwrap(),
                other => panic!("{other:?}"),
            })
            .collect();
        assert_eq!(texts, ["{\"a\":1}", "{\"b\":2}"]);
    }

    #[tokio::test]
    async fn an_over_long_line_is_reported_and_the_next_one_still_read() {
        let frames = frames_of(b"0123456789abcdef\n{}\n0123456789", 8).await;
        assert!(matches!(frames[0], InboundFrame::TooLarge { limit: 8 }));
        assert!(matches!(&frames[1], InboundFrame::Bytes(b) if b == b"{}"));
        assert!(matches!(frames[2], InboundFrame::TooLarge { limit: 8 }));
        assert_eq!(frames.len(), 3);
    }

    /// Records what was written between flushes.
    #[derive(Default, Clone)]
    struct Segments(std::sync::Arc<std::sync::Mutex<Vec<Vec<u8>>>>);

    impl AsyncWrite for Segments {
        fn poll_write(
            self: std::pin::Pin<&mut Self>,
            _: &mut std::task::Context<'_>,
            buf: &[u8],
        ) -> std::task::Poll<std::io::Result<usize>> {
            let mut segments = self.0.lock().unwrap();
            if segments.is_empty() {
                segments.push(Vec::new());
            }
            segments.last_mut().unwrap().extend_from_slice(buf);
            std::task::Poll::Ready(Ok(buf.len()))
        }
        fn poll_flush(
            self: std::pin::Pin<&mut Self>,
            _: &mut std::task::Context<'_>,
        ) -> std::task::Poll<std::io::Result<()>> {
            let mut segments = self.0.lock().unwrap();
            if segments.last().is_some_and(|s| !s.is_empty()) {
                segments.push(Vec::new());
            }
            std::task::Poll::Ready(Ok(()))
        }
        fn poll_shutdown(
            self: std::pin::Pin<&mut Self>,
            _: &mut std::task::Context<'_>,
        ) -> std::task::Poll<std::io::Result<()>> {
            std::task::Poll::Ready(Ok(()))
        }
    }

    #[tokio::test]
    async fn a_response_never_shares_a_write_with_its_own_last_notification() {
        use spate_protocol::RequestId;
        let sink = Segments::default();
        let (tx, rx) = mpsc::channel(8);
        let frame = |text: &str, route| OutboundFrame {
            bytes: text.as_bytes().to_vec(),
            route,
        };
        let id = RequestId::Number(1);
        tx.send(frame("other", Route::Standalone)).await.unwrap();
        tx.send(frame("progress", Route::Request(id.clone())))
            .await
            .unwrap();
        tx.send(frame("answer", Route::Response(id))).await.unwrap();
        tx.send(frame("answer2", Route::Response(RequestId::Number(2))))
            .await
            .unwrap();
        drop(tx);
        write_lines(sink.clone(), rx, CancellationToken::new()).await;
        let segments: Vec<String> = sink
            .0
            .lock()
            .unwrap()
            .iter()
            .filter(|s| !s.is_empty())
            .map(|s| String::from_utf8(s.clone()).unwrap())
            .collect();
        assert_eq!(segments, ["other\nprogress\n", "answer\nanswer2\n"]);
    }
}
