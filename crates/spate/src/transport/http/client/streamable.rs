//! Streamable HTTP: one POST per outgoing message, the answer as JSON or an SSE stream,
//! session capture, re-initialization after a `404`, and the choice of transport on the
//! first exchange.

use std::collections::HashSet;
use std::sync::Arc;
use std::sync::atomic::Ordering;

use bytes::Bytes;
use http::StatusCode;
use http::header::{ACCEPT, CONTENT_TYPE};
use spate_protocol::RequestId;
use spate_protocol::http_headers::{PROTOCOL_VERSION, SESSION_ID};
use tokio::sync::{OwnedSemaphorePermit, Semaphore, mpsc};
use tokio_util::sync::CancellationToken;

use super::authorize;
use super::frames::{self, Outgoing};
use super::stream::{self, PostStream, StreamKind};
use super::{
    Conn, HTTP_ERROR, HttpTransportKind, HttpTransportMode, Link, STREAM_LOST, legacy, lock,
    spawn_until,
};
use crate::engine::OutboundFrame;

/// The result of one POST and what it was sent with.
pub(super) struct Sent {
    response: Result<reqwest::Response, reqwest::Error>,
    generation: u64,
    with_session: bool,
    /// The OAuth access token it carried.
    token: Option<String>,
}

/// Reads the engine's outgoing frames and sends each one; ends the session when the engine
/// stops writing or the connection is closed.
pub(super) async fn drive(
    link: Link,
    mut outbound: mpsc::Receiver<OutboundFrame>,
    requests: Arc<Semaphore>,
    sends: Arc<Semaphore>,
) {
    let conn = link.conn.clone();
    loop {
        let frame = tokio::select! {
            () = conn.cancel.cancelled() => break,
            frame = outbound.recv() => match frame {
                Some(frame) => frame,
                None => break,
            },
        };
        if !frame.is_message() {
            continue; // transport instructions are for servers
        }
        let out = Outgoing::of(&frame.bytes);
        let pool = if out.requests.is_empty() {
            &sends
        } else {
            &requests
        };
        let permit = tokio::select! {
            () = conn.cancel.cancelled() => break,
            permit = pool.clone().acquire_owned() => match permit {
                Ok(permit) => permit,
                Err(_) => break,
            },
        };
        let bytes = Bytes::from(frame.bytes);
        if let (true, Some(id)) = (out.initialize, out.requests.first()) {
            conn.state().init = Some((id.clone(), bytes.clone()));
        }
        if let Some(id) = &out.cancels {
            if let Some(token) = lock(&conn.live).get(id) {
                token.cancel();
            }
        }
        if out.requests.is_empty() && conn.modern.load(Ordering::SeqCst) {
            // 2026-07-28 has no client notifications over HTTP: closing the stream (above)
            // is the cancellation.
            continue;
        }
        let kind = conn.state().kind;
        match kind {
            Some(HttpTransportKind::Streamable) if out.initialized => {
                // Nothing else goes out before the standalone stream is open: the server
                // may write to it in answer to the very next request.
                tokio::select! {
                    () = conn.cancel.cancelled() => break,
                    () = exchange(link.clone(), bytes, out, None, permit) => {}
                }
            }
            Some(HttpTransportKind::Streamable) => {
                spawn_until(
                    &conn.cancel,
                    exchange(link.clone(), bytes, out, None, permit),
                );
            }
            Some(HttpTransportKind::LegacySse) => {
                spawn_until(&conn.cancel, legacy::send(link.clone(), bytes, out, permit));
            }
            None => {
                tokio::select! {
                    () = conn.cancel.cancelled() => break,
                    () = decide(&link, bytes, out, permit) => {}
                }
            }
        }
    }
    drop(link);
    conn.end().await;
}

/// The first exchange picks the transport: Streamable HTTP, or HTTP+SSE when `initialize`
/// gets 400, 404 or 405 (or when forced).
async fn decide(link: &Link, bytes: Bytes, out: Outgoing, permit: OwnedSemaphorePermit) {
    let conn = &link.conn;
    let mode = conn.options.mode;
    if mode == HttpTransportMode::LegacySse {
        match legacy::open(link).await {
            Ok(()) => spawn_until(&conn.cancel, legacy::send(link.clone(), bytes, out, permit)),
            Err(reason) => {
                let message = format!("HTTP+SSE connection to {} failed: {reason}", conn.url);
                link.fail(&out.requests, HTTP_ERROR, &message, serde_json::json!({}))
                    .await;
            }
        }
        return;
    }
    let sent = post(conn, &bytes, &out).await;
    if let Ok(response) = &sent.response {
        let status = response.status();
        let refused = matches!(status.as_u16(), 400 | 404 | 405);
        if out.initialize && mode == HttpTransportMode::Auto && refused {
            tracing::debug!("initialize POST got {status}; trying HTTP+SSE");
            match legacy::open(link).await {
                Ok(()) => {
                    spawn_until(&conn.cancel, legacy::send(link.clone(), bytes, out, permit));
                }
                Err(reason) => {
                    let message = format!(
                        "POST {} answered {status}, and the HTTP+SSE fallback failed: {reason}",
                        conn.url
                    );
                    let data = serde_json::json!({"httpStatus": status.as_u16()});
                    link.fail(&out.requests, HTTP_ERROR, &message, data).await;
                }
            }
            return;
        }
        if status.is_success() {
            conn.state().kind = Some(HttpTransportKind::Streamable);
        }
    }
    spawn_until(
        &conn.cancel,
        exchange(link.clone(), bytes, out, Some(sent), permit),
    );
}

/// POSTs a message: a modern request with its request-metadata headers and no session,
/// anything else with the current session headers.
async fn post(conn: &Conn, body: &Bytes, out: &Outgoing) -> Sent {
    let token = conn.oauth_token();
    let rb = conn
        .request(reqwest::Method::POST, &conn.url)
        .header(ACCEPT, "application/json, text/event-stream")
        .header(CONTENT_TYPE, "application/json")
        .body(body.clone());
    let (rb, generation, with_session) = match &out.modern {
        Some(modern) => {
            let headers = modern.headers(&lock(&conn.tool_headers));
            (rb.headers(headers), conn.generation(), false)
        }
        None => conn.with_session(rb),
    };
    Sent {
        response: rb.send().await,
        generation,
        with_session,
        token,
    }
}

/// Sends one message (unless already sent) and handles the answer; on a `404` for a
/// session that expired, sets up a new session and sends the message once more.
async fn exchange(
    link: Link,
    bytes: Bytes,
    out: Outgoing,
    sent: Option<Sent>,
    _permit: OwnedSemaphorePermit,
) {
    let conn = &link.conn;
    // A single request's stream stops when the engine cancels the request.
    let stop = CancellationToken::new();
    let watched = match out.requests.as_slice() {
        [id] => {
            lock(&conn.live).insert(id.clone(), stop.clone());
            Some(id.clone())
        }
        _ => None,
    };
    tokio::select! {
        () = stop.cancelled() => {}
        () = exchange_inner(&link, &bytes, &out, sent) => {}
    }
    if let Some(id) = watched {
        lock(&conn.live).remove(&id);
    }
}

async fn exchange_inner(link: &Link, bytes: &Bytes, out: &Outgoing, sent: Option<Sent>) {
    let conn = &link.conn;
    let mut sent = match sent {
        Some(sent) => sent,
        None => post(conn, bytes, out).await,
    };
    let mut retried = false;
    let mut authorizations = 0;
    loop {
        let response = match sent.response {
            Ok(response) => response,
            Err(e) => {
                let message = format!("HTTP request to {} failed: {e}", conn.url);
                link.fail(&out.requests, HTTP_ERROR, &message, serde_json::json!({}))
                    .await;
                return;
            }
        };
        let status = response.status();
        if let Some((oauth, challenge)) = authorize::challenge(conn, &response, authorizations) {
            authorizations += 1;
            match oauth.authorize(&challenge, sent.token.as_deref()).await {
                Ok(()) => {
                    sent = post(conn, bytes, out).await;
                    continue;
                }
                Err(e) => {
                    let message =
                        format!("HTTP {status} from {}; authorization failed: {e}", conn.url);
                    let data = serde_json::json!({"httpStatus": status.as_u16()});
                    link.fail(&out.requests, HTTP_ERROR, &message, data).await;
                    return;
                }
            }
        }
        if status == StatusCode::NOT_FOUND && sent.with_session && !out.initialize && !retried {
            retried = true;
            match renew(link, sent.generation).await {
                Ok(()) => {
                    sent = post(conn, bytes, out).await;
                    continue;
                }
                Err(reason) => {
                    let message = format!(
                        "the server ended the session (HTTP 404) and a new one could not be set up: {reason}"
                    );
                    let data = serde_json::json!({"httpStatus": 404});
                    link.fail(&out.requests, HTTP_ERROR, &message, data).await;
                    return;
                }
            }
        }
        if !status.is_success() {
            match (&out.modern, out.requests.as_slice()) {
                (Some(_), [id]) => link.fail_modern(id, response).await,
                _ => link.fail_status(&out.requests, response).await,
            }
            return;
        }
        if out.initialize {
            conn.state()
                .kind
                .get_or_insert(HttpTransportKind::Streamable);
            if let Err(message) = capture_session(conn, &response) {
                link.fail(&out.requests, HTTP_ERROR, &message, serde_json::json!({}))
                    .await;
                return;
            }
        }
        let init_id = if out.initialize {
            out.requests.first().cloned()
        } else {
            None
        };
        let mut post = PostStream::new(out.requests.iter().cloned(), init_id, false);
        post.resumable = out.modern.is_none();
        answer(link, response, post, sent.generation).await;
        if out.initialized {
            open_standalone(link, sent.generation).await;
        }
        return;
    }
}

/// Records the session id the server assigned in its answer to `initialize`.
fn capture_session(conn: &Conn, response: &reqwest::Response) -> Result<(), String> {
    let Some(value) = response.headers().get(SESSION_ID) else {
        return Ok(()); // a server without sessions
    };
    if !frames::valid_session_id(value.as_bytes()) {
        return Err("the server sent a session id that is not visible ASCII".to_owned());
    }
    let id = String::from_utf8_lossy(value.as_bytes()).into_owned();
    conn.state().session_id = Some(id);
    Ok(())
}

/// Reads the answer to a POST: nothing (202), one JSON message, or an SSE stream. Requests
/// left unanswered fail. Returns the negotiated version when `post` swallows the
/// `initialize` result.
async fn answer(
    link: &Link,
    mut response: reqwest::Response,
    mut post: PostStream,
    generation: u64,
) -> Option<String> {
    let conn = &link.conn;
    let content_type = response
        .headers()
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_ascii_lowercase();
    if content_type.starts_with("text/event-stream") {
        let post = stream::run(
            link,
            Some(response),
            StreamKind::Post(post),
            generation,
            None,
        )
        .await;
        return post.and_then(|p| p.captured);
    }
    if response.status() == StatusCode::ACCEPTED || post.pending.is_empty() {
        if !post.pending.is_empty() {
            tracing::debug!("a request was accepted (202) without an answer");
        }
        return None;
    }
    if !content_type.starts_with("application/json") {
        let message = format!("the server answered with content type {content_type:?}");
        let data = serde_json::json!({"httpStatus": response.status().as_u16()});
        link.fail(&post.pending, HTTP_ERROR, &message, data).await;
        return None;
    }
    match read_body(&mut response, conn.options.max_message_size).await {
        Ok(body) => {
            if !stream::deliver(link, body.to_vec(), &mut post).await {
                return None;
            }
            let message = "the JSON answer did not answer the request";
            link.fail(&post.pending, HTTP_ERROR, message, serde_json::json!({}))
                .await;
        }
        Err(message) => {
            link.fail(&post.pending, HTTP_ERROR, &message, serde_json::json!({}))
                .await;
        }
    }
    post.captured
}

/// Reads a whole body, refusing more than `max` bytes.
pub(super) async fn read_body(
    response: &mut reqwest::Response,
    max: usize,
) -> Result<Bytes, String> {
    let too_large = || format!("the answer exceeds the maximum message size of {max} bytes");
    if response.content_length().is_some_and(|n| n > max as u64) {
        return Err(too_large());
    }
    let mut body = Vec::new();
    loop {
        match response.chunk().await {
            Ok(Some(chunk)) => {
                if body.len() + chunk.len() > max {
                    return Err(too_large());
                }
                body.extend_from_slice(&chunk);
            }
            Ok(None) => return Ok(body.into()),
            Err(e) => return Err(format!("reading the answer failed: {e}")),
        }
    }
}

/// Sets up a new session after the one used by `failed_generation` expired: replays the
/// original `initialize`, sends `notifications/initialized`, then switches every later
/// message (and a new standalone stream) to the new session. Calls made concurrently wait
/// and reuse the result.
async fn renew(link: &Link, failed_generation: u64) -> Result<(), String> {
    let conn = &link.conn;
    let _guard = conn.renewing.lock().await;
    let (init_id, init) = {
        let state = conn.state();
        if state.generation != failed_generation {
            return Ok(()); // someone else already did it
        }
        state
            .init
            .clone()
            .ok_or_else(|| "no initialize request to replay".to_owned())?
    };
    tracing::info!("MCP session expired (HTTP 404); initializing a new one");
    let response = conn
        .request(reqwest::Method::POST, &conn.url)
        .header(ACCEPT, "application/json, text/event-stream")
        .header(CONTENT_TYPE, "application/json")
        .body(init)
        .send()
        .await
        .map_err(|e| e.to_string())?;
    if !response.status().is_success() {
        return Err(format!("initialize answered HTTP {}", response.status()));
    }
    let session = match response.headers().get(SESSION_ID) {
        Some(v) if frames::valid_session_id(v.as_bytes()) => {
            Some(String::from_utf8_lossy(v.as_bytes()).into_owned())
        }
        Some(_) => return Err("invalid session id".to_owned()),
        None => None,
    };
    let mut pending = HashSet::new();
    pending.insert(init_id.clone());
    let post = PostStream::new(pending, Some(init_id), true);
    let version = answer(link, response, post, failed_generation)
        .await
        .ok_or_else(|| "no InitializeResult in the answer".to_owned())?;
    let mut rb = conn
        .request(reqwest::Method::POST, &conn.url)
        .header(ACCEPT, "application/json, text/event-stream")
        .header(CONTENT_TYPE, "application/json")
        .header(PROTOCOL_VERSION, &version)
        .body(frames::initialized_notification());
    if let Some(id) = &session {
        rb = rb.header(SESSION_ID, id);
    }
    let status = rb.send().await.map_err(|e| e.to_string())?.status();
    if !status.is_success() {
        return Err(format!("notifications/initialized answered HTTP {status}"));
    }
    let generation = {
        let mut state = conn.state();
        state.session_id = session;
        state.protocol_version = Some(version);
        state.generation += 1;
        state.renewals += 1;
        state.generation
    };
    open_standalone(link, generation).await;
    Ok(())
}

/// Sets up a new session without waiting (the standalone stream found the old one gone).
pub(super) fn renew_in_background(link: &Link, generation: u64) {
    let task_link = link.clone();
    spawn_until(&link.conn.cancel, async move {
        if let Err(reason) = renew(&task_link, generation).await {
            tracing::warn!("the MCP session ended and a new one could not be set up: {reason}");
        }
    });
}

/// Opens the standalone GET stream of the session `generation` (replacing an older one) and
/// waits until the server has answered the `GET` (bounded by the connect timeout), so that
/// what the server sends from its very next message on has a stream to travel on.
///
/// Only a session has a standalone stream: a server that gave no session id cannot tell
/// whose `GET` it is, so none is opened (a `GET` there would also look like a resumption).
pub(super) async fn open_standalone(link: &Link, generation: u64) {
    let conn = &link.conn;
    if !conn.options.standalone_stream {
        return;
    }
    let token = conn.cancel.child_token();
    {
        let mut state = conn.state();
        if state.generation != generation || state.session_id.is_none() {
            return;
        }
        if let Some(old) = state.standalone.replace(token.clone()) {
            old.cancel();
        }
    }
    let (opened, answered) = tokio::sync::oneshot::channel();
    let task_link = link.clone();
    spawn_until(&token, async move {
        stream::run(
            &task_link,
            None,
            StreamKind::Standalone,
            generation,
            Some(opened),
        )
        .await;
    });
    let _ = tokio::time::timeout(conn.options.connect_timeout, answered).await;
}

/// Fails the requests of an old session's stream that can no longer be resumed.
pub(super) async fn fail_lost(link: &Link, pending: &HashSet<RequestId>, why: &str) {
    let message = format!("the answer stream was lost and could not be resumed: {why}");
    link.fail(
        pending,
        STREAM_LOST,
        &message,
        serde_json::json!({"reason": why}),
    )
    .await;
}
