//! Server events to HTTP sessions, from one place: each event is encoded once and its bytes
//! appended to the standalone stream of every session that should hear it.
//!
//! Nothing here waits for a client. A session's standalone stream is a stream of the event
//! log, bounded by its retention (`max_events` per stream, oldest dropped first), so a client
//! that stops reading costs at most that much memory, never stalls the delivery to the
//! others, and is told, when it reads again, how many events it missed (an SSE comment from
//! the stream reader). Should this task itself fall more than the server's event backlog
//! behind, the events it missed are logged.

use std::sync::{Arc, Weak};

use bytes::Bytes;
use spate_protocol::Message;
use tokio::sync::broadcast::{self, error::RecvError};

use super::sessions::SessionRegistry;
use crate::server::ServerEvent;
use crate::store::event_log::NewEvent;

/// Starts the fan-out of `events` to the sessions of `registry`, until the registry is gone.
pub(super) fn start(registry: &Arc<SessionRegistry>, events: broadcast::Receiver<ServerEvent>) {
    tokio::spawn(run(Arc::downgrade(registry), events));
}

async fn run(registry: Weak<SessionRegistry>, mut events: broadcast::Receiver<ServerEvent>) {
    loop {
        let event = match events.recv().await {
            Ok(event) => event,
            Err(RecvError::Lagged(missed)) => {
                tracing::warn!("HTTP sessions missed {missed} server events (fan-out behind)");
                continue;
            }
            Err(RecvError::Closed) => return,
        };
        let Some(registry) = registry.upgrade() else {
            return;
        };
        deliver(&registry, &event).await;
    }
}

/// Appends one event to the standalone stream of every session it concerns, in one call to
/// the log.
async fn deliver(registry: &SessionRegistry, event: &ServerEvent) {
    let targets = registry.select(|s| !s.is_closed() && event.concerns(&s.state));
    if targets.is_empty() {
        return;
    }
    let keys: Vec<&str> = targets.iter().map(|s| s.standalone_key()).collect();
    let event = NewEvent {
        data: Bytes::from(Message::from(event.notification()).encode()),
        last: false,
        disconnect: false,
    };
    if let Err(e) = registry.log().append_each(&keys, event).await {
        tracing::error!("event log fan-out to {} sessions failed: {e}", keys.len());
    }
}
