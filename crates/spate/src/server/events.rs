//! Server-wide events (catalog changes, resource updates) and who hears them: each stdio
//! (or other task-driven) connection forwards them itself; HTTP sessions get them from one
//! fan-out (`http::fanout`) that encodes each event once.

use std::sync::Arc;

use spate_protocol::{FitVersion, Notification, ResourceUpdatedNotificationParams, methods};
use tokio::sync::broadcast::error::RecvError;

use super::ServerHandle;
use super::router::SessionState;
use crate::engine::PeerHandle;

/// Something every connection may need to hear about.
#[derive(Debug, Clone)]
pub(crate) enum ServerEvent {
    ToolsChanged,
    ResourcesChanged,
    PromptsChanged,
    /// The set of event types changed (the events extension).
    EventsChanged,
    ResourceUpdated(String),
    /// A task changed; `owner` is the legacy session that made it (`None`: a 2026 request).
    TaskChanged {
        task: Box<spate_protocol::Task>,
        owner: Option<String>,
    },
}

impl ServerEvent {
    /// Whether a connection in `state` hears this event: it has finished initializing, and
    /// subscribed to the resource or owns the task the event is about.
    pub(crate) fn concerns(&self, state: &SessionState) -> bool {
        if !state.is_initialized() {
            return false;
        }
        match self {
            Self::ToolsChanged
            | Self::ResourcesChanged
            | Self::PromptsChanged
            | Self::EventsChanged => true,
            Self::ResourceUpdated(uri) => state.is_subscribed(uri),
            Self::TaskChanged { owner, .. } => {
                owner.as_deref().is_some_and(|o| state.owns_tasks_of(o))
            }
        }
    }

    /// The notification announcing this event (the same for every connection).
    pub(crate) fn notification(&self) -> Notification {
        match self {
            Self::ToolsChanged => list_changed(methods::NOTIFICATIONS_TOOLS_LIST_CHANGED),
            Self::ResourcesChanged => list_changed(methods::NOTIFICATIONS_RESOURCES_LIST_CHANGED),
            Self::PromptsChanged => list_changed(methods::NOTIFICATIONS_PROMPTS_LIST_CHANGED),
            Self::EventsChanged => {
                list_changed(spate_protocol::events::methods::NOTIFICATIONS_EVENTS_LIST_CHANGED)
            }
            Self::ResourceUpdated(uri) => {
                let params = ResourceUpdatedNotificationParams {
                    uri: uri.clone(),
                    ..Default::default()
                };
                Notification::new(methods::NOTIFICATIONS_RESOURCES_UPDATED, &params)
            }
            Self::TaskChanged { task, .. } => {
                let mut params = spate_protocol::TaskStatusNotificationParams {
                    task: (**task).clone(),
                    meta: None,
                };
                params.fit_version(spate_protocol::ProtocolVersion::V2025_11_25);
                Notification::new(methods::NOTIFICATIONS_TASKS_STATUS, &params)
            }
        }
    }
}

fn list_changed(method: &str) -> Notification {
    Notification::new(method, &serde_json::json!({}))
}

/// Forwards server events to one connection until it closes, filtered by what the client
/// subscribed to and by whether it has finished initializing.
pub(crate) fn forward(server: ServerHandle, state: Arc<SessionState>, peer: PeerHandle) {
    let mut events = server.shared.events.subscribe();
    tokio::spawn(async move {
        loop {
            let event = tokio::select! {
                e = events.recv() => e,
                () = peer.closed() => return,
            };
            let event = match event {
                Ok(e) => e,
                Err(RecvError::Lagged(missed)) => {
                    tracing::warn!("a slow connection missed {missed} server events");
                    continue;
                }
                Err(RecvError::Closed) => return,
            };
            if event.concerns(&state) && peer.send(event.notification().into()).await.is_err() {
                return;
            }
        }
    });
}
