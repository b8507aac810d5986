//! The HTTP+SSE transport of 2024-11-05: one GET stream that first names an `endpoint`,
//! then carries every server message; every client message is a POST to that endpoint.
//! The stream is the session: when it ends, the connection ends (there is no resumption).

use bytes::Bytes;
use http::header::{ACCEPT, CONTENT_TYPE};
use tokio::sync::{OwnedSemaphorePermit, oneshot};

use super::authorize;
use super::frames::Outgoing;
use super::sse::{SseItem, SseParser};
use super::stream::{PostStream, deliver, is_event_stream};
use super::{HTTP_ERROR, HttpTransportKind, Link, spawn_until};
use crate::engine::InboundFrame;

/// Opens the SSE stream at the URL and waits for its `endpoint` event.
pub(super) async fn open(link: &Link) -> Result<(), String> {
    let conn = &link.conn;
    let limit = conn.options.connect_timeout;
    let request = authorize::send(conn, || {
        conn.request(reqwest::Method::GET, &conn.url)
            .header(ACCEPT, "text/event-stream")
    });
    let response = tokio::time::timeout(limit, request)
        .await
        .map_err(|_| format!("GET timed out after {limit:?}"))?
        .map_err(|e| format!("GET failed: {e}"))?;
    if !response.status().is_success() {
        return Err(format!("GET answered HTTP {}", response.status()));
    }
    if !is_event_stream(&response) {
        return Err("GET did not answer with an event stream".to_owned());
    }
    let (tx, rx) = oneshot::channel();
    let reader = conn.cancel.child_token();
    spawn_until(&reader, read(link.clone(), response, tx));
    let data = match tokio::time::timeout(limit, rx).await {
        Ok(Ok(data)) => data,
        Ok(Err(_)) => return Err("the stream ended before its endpoint event".to_owned()),
        Err(_) => {
            reader.cancel();
            return Err(format!("no endpoint event within {limit:?}"));
        }
    };
    let endpoint = match conn.url.join(data.trim()) {
        Ok(url) if url.origin() == conn.url.origin() => url,
        Ok(url) => {
            reader.cancel();
            return Err(format!(
                "the endpoint {url} is not on the origin of {}",
                conn.url
            ));
        }
        Err(e) => {
            reader.cancel();
            return Err(format!("invalid endpoint {data:?}: {e}"));
        }
    };
    tracing::debug!("HTTP+SSE endpoint: {endpoint}");
    let mut state = conn.state();
    state.legacy_endpoint = Some(endpoint);
    state.kind = Some(HttpTransportKind::LegacySse);
    Ok(())
}

/// Reads the stream: the `endpoint` event once, then `message` events for the engine.
async fn read(link: Link, mut response: reqwest::Response, endpoint: oneshot::Sender<String>) {
    let mut endpoint = Some(endpoint);
    let mut parser = SseParser::new(link.conn.options.max_message_size);
    let mut items = Vec::new();
    while let Ok(Some(chunk)) = response.chunk().await {
        parser.feed(&chunk, &mut items);
        for item in items.drain(..) {
            let event = match item {
                SseItem::TooLarge { limit } => {
                    if !link.send(InboundFrame::TooLarge { limit }).await {
                        return;
                    }
                    continue;
                }
                SseItem::Event(event) => event,
            };
            match event.event.as_str() {
                "endpoint" => match endpoint.take() {
                    Some(tx) => {
                        let _ = tx.send(event.data);
                    }
                    None => tracing::debug!("ignoring a second endpoint event"),
                },
                "message" if !event.data.is_empty() => {
                    let init_id = {
                        let state = link.conn.state();
                        match state.protocol_version {
                            None => state.init.as_ref().map(|(id, _)| id.clone()),
                            Some(_) => None,
                        }
                    };
                    let mut post = PostStream::new([], init_id, false);
                    if !deliver(&link, event.data.into_bytes(), &mut post).await {
                        return;
                    }
                }
                other => tracing::debug!("ignoring SSE event {other:?}"),
            }
        }
    }
    tracing::debug!("the HTTP+SSE stream ended; closing the connection");
    if endpoint.is_none() {
        link.conn.cancel.cancel();
    }
}

/// POSTs one message to the endpoint. Answers come on the stream; a failed POST fails the
/// requests it carried.
pub(super) async fn send(link: Link, bytes: Bytes, out: Outgoing, _permit: OwnedSemaphorePermit) {
    let conn = &link.conn;
    let Some(endpoint) = conn.state().legacy_endpoint.clone() else {
        let message = "no HTTP+SSE endpoint";
        link.fail(&out.requests, HTTP_ERROR, message, serde_json::json!({}))
            .await;
        return;
    };
    let sent = authorize::send(conn, || {
        conn.request(reqwest::Method::POST, &endpoint)
            .header(CONTENT_TYPE, "application/json")
            .body(bytes.clone())
    });
    match sent.await {
        Ok(response) if response.status().is_success() => {}
        Ok(response) => link.fail_status(&out.requests, response).await,
        Err(e) => {
            let message = e.to_string();
            link.fail(&out.requests, HTTP_ERROR, &message, serde_json::json!({}))
                .await;
        }
    }
}
