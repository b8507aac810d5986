//! `subscriptions/listen` (2026-07-28; Base Protocol › Message Patterns › Subscriptions,
//! <https://modelcontextprotocol.io/specification/2026-07-28/basic/patterns/subscriptions>):
//! one long-lived request whose answer stream carries the notifications the client asked for,
//! each tagged with the subscription id (the listen request's id), until the client cancels it
//! (closes the stream on HTTP).
//!
//! It reads the same server events as legacy sessions (`events::forward` on stdio,
//! `http::fanout` for HTTP sessions), so one
//! `resource_updated` reaches a legacy subscriber and a modern listener, each in its era's
//! shape. The acknowledgement goes out only after the stream is subscribed to those events,
//! so nothing that happens after the client sees it can be missed.

use spate_protocol::modern::set_subscription_id;
use spate_protocol::{
    ErrorObject, FitVersion, Meta, NotificationParams, ProtocolVersion, Request,
    ResourceUpdatedNotificationParams, SubscriptionFilter,
    SubscriptionsAcknowledgedNotificationParams, SubscriptionsListenRequestParams,
    SubscriptionsListenResult, TaskStatusNotificationParams, methods,
};
use tokio::sync::broadcast::error::RecvError;

use super::ServerHandle;
use super::events::ServerEvent;
use super::router::{Answer, fitted};
use crate::engine::RequestContext;

/// Serves one listen request until it is cancelled or the connection closes.
pub(crate) async fn listen(
    server: ServerHandle,
    request: Request,
    rc: RequestContext,
    version: ProtocolVersion,
    with_tasks: bool,
) -> Answer {
    let params: SubscriptionsListenRequestParams = request.parse_params()?;
    let limit = server.shared.config.max_subscriptions;
    let with_events = !server.shared.catalog.snapshot().events.is_empty();
    let honoured = honoured(&params.notifications, limit, with_tasks, with_events)?;
    let id = request.id.clone();
    let mut events = server.shared.events.subscribe();

    let mut ack = SubscriptionsAcknowledgedNotificationParams {
        notifications: honoured.clone(),
        meta: None,
    };
    set_subscription_id(&mut ack.meta, &id);
    ack.fit_version(version);
    rc.peer
        .notify_related(&id, methods::NOTIFICATIONS_SUBSCRIPTIONS_ACKNOWLEDGED, &ack)
        .await
        .map_err(|e| ErrorObject::new(spate_protocol::error_code::INTERNAL_ERROR, e.to_string()))?;

    loop {
        let event = tokio::select! {
            () = rc.cancel.cancelled() => break,
            () = rc.peer.closed() => break,
            event = events.recv() => event,
        };
        let event = match event {
            Ok(event) => event,
            Err(RecvError::Lagged(missed)) => {
                tracing::warn!("a slow subscriptions/listen stream missed {missed} events");
                continue;
            }
            Err(RecvError::Closed) => break,
        };
        let Some((method, params)) = notification(&honoured, event, &id, version) else {
            continue;
        };
        if rc.peer.notify_related(&id, method, &params).await.is_err() {
            break;
        }
    }
    fitted(version, SubscriptionsListenResult::new(id))
}

/// What of the client's filter this server delivers: every list change it asks for,
/// resource subscriptions and task ids (at most `limit` of each; task ids only when the
/// request declares the tasks extension).
fn honoured(
    asked: &SubscriptionFilter,
    limit: usize,
    with_tasks: bool,
    with_events: bool,
) -> Result<SubscriptionFilter, ErrorObject> {
    let yes = |flag: Option<bool>| flag.filter(|on| *on);
    let uris = asked
        .resource_subscriptions
        .clone()
        .filter(|u| !u.is_empty());
    let task_ids = asked
        .task_ids
        .clone()
        .filter(|ids| with_tasks && !ids.is_empty());
    if uris.as_ref().is_some_and(|u| u.len() > limit)
        || task_ids.as_ref().is_some_and(|t| t.len() > limit)
    {
        return Err(ErrorObject::invalid_params(format!(
            "Too many subscriptions: at most {limit} resources and {limit} tasks per listen request"
        )));
    }
    Ok(SubscriptionFilter {
        tools_list_changed: yes(asked.tools_list_changed),
        prompts_list_changed: yes(asked.prompts_list_changed),
        resources_list_changed: yes(asked.resources_list_changed),
        resource_subscriptions: uris,
        task_ids,
        // Acknowledged only by a server that offers event types (and so declares
        // `listChanged` for them).
        events_list_changed: yes(asked.events_list_changed).filter(|_| with_events),
    })
}

/// The notification an event becomes on this stream, if the filter wants it.
fn notification(
    filter: &SubscriptionFilter,
    event: ServerEvent,
    id: &spate_protocol::RequestId,
    version: ProtocolVersion,
) -> Option<(&'static str, serde_json::Value)> {
    let tagged = || {
        let mut meta: Option<Meta> = None;
        set_subscription_id(&mut meta, id);
        meta
    };
    let list_changed = |method| {
        let mut params = NotificationParams { meta: tagged() };
        params.fit_version(version);
        Some((method, serde_json::to_value(params).ok()?))
    };
    match event {
        ServerEvent::ToolsChanged if filter.tools_list_changed == Some(true) => {
            list_changed(methods::NOTIFICATIONS_TOOLS_LIST_CHANGED)
        }
        ServerEvent::PromptsChanged if filter.prompts_list_changed == Some(true) => {
            list_changed(methods::NOTIFICATIONS_PROMPTS_LIST_CHANGED)
        }
        ServerEvent::EventsChanged if filter.events_list_changed == Some(true) => {
            list_changed(spate_protocol::events::methods::NOTIFICATIONS_EVENTS_LIST_CHANGED)
        }
        ServerEvent::ResourcesChanged if filter.resources_list_changed == Some(true) => {
            list_changed(methods::NOTIFICATIONS_RESOURCES_LIST_CHANGED)
        }
        ServerEvent::ResourceUpdated(uri)
            if filter
                .resource_subscriptions
                .as_ref()
                .is_some_and(|uris| uris.contains(&uri)) =>
        {
            let mut params = ResourceUpdatedNotificationParams {
                uri,
                meta: tagged(),
            };
            params.fit_version(version);
            Some((
                methods::NOTIFICATIONS_RESOURCES_UPDATED,
                serde_json::to_value(params).ok()?,
            ))
        }
        ServerEvent::TaskChanged { task, owner: None }
            if filter
                .task_ids
                .as_ref()
                .is_some_and(|ids| ids.contains(&task.task_id)) =>
        {
            let mut params = TaskStatusNotificationParams {
                task: *task,
                meta: tagged(),
            };
            params.fit_version(version);
            Some((
                methods::NOTIFICATIONS_TASKS,
                serde_json::to_value(params).ok()?,
            ))
        }
        _ => None,
    }
}
