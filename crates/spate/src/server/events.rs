//! Server-wide events (catalog changes, resource updates) fanned out to each connection.

use std::sync::Arc;

use spate_protocol::{FitVersion, ResourceUpdatedNotificationParams, methods};
use tokio::sync::broadcast::error::RecvError;

use super::ServerHandle;
use super::session::SessionState;
use crate::engine::PeerHandle;

/// Something every connection may need to hear about.
#[derive(Debug, Clone)]
pub(crate) enum ServerEvent {
    ToolsChanged,
    ResourcesChanged,
    PromptsChanged,
    ResourceUpdated(String),
    /// A task changed; `owner` is the legacy session that made it (`None`: a 2026 request).
    TaskChanged {
        task: Box<spate_protocol::Task>,
        owner: Option<String>,
    },
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
            if !state.is_initialized() {
                continue;
            }
            let sent = match event {
                ServerEvent::ToolsChanged => {
                    peer.notify(
                        methods::NOTIFICATIONS_TOOLS_LIST_CHANGED,
                        &serde_json::json!({}),
                    )
                    .await
                }
                ServerEvent::ResourcesChanged => {
                    peer.notify(
                        methods::NOTIFICATIONS_RESOURCES_LIST_CHANGED,
                        &serde_json::json!({}),
                    )
                    .await
                }
                ServerEvent::PromptsChanged => {
                    peer.notify(
                        methods::NOTIFICATIONS_PROMPTS_LIST_CHANGED,
                        &serde_json::json!({}),
                    )
                    .await
                }
                ServerEvent::ResourceUpdated(uri) if state.is_subscribed(&uri) => {
                    let params = ResourceUpdatedNotificationParams {
                        uri,
                        ..Default::default()
                    };
                    peer.notify(methods::NOTIFICATIONS_RESOURCES_UPDATED, &params)
                        .await
                }
                ServerEvent::ResourceUpdated(_) => Ok(()),
                ServerEvent::TaskChanged { task, owner }
                    if owner.as_deref() == Some(state.task_owner()) =>
                {
                    let mut params = spate_protocol::TaskStatusNotificationParams {
                        task: *task,
                        meta: None,
                    };
                    params.fit_version(spate_protocol::ProtocolVersion::V2025_11_25);
                    peer.notify(methods::NOTIFICATIONS_TASKS_STATUS, &params)
                        .await
                }
                ServerEvent::TaskChanged { .. } => Ok(()),
            };
            if sent.is_err() {
                return;
            }
        }
    });
}
