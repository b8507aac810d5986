//! The engine handler of a client connection: server requests and notifications.

use std::sync::Arc;

use futures_util::future::BoxFuture;
use serde::Serialize;
use serde_json::value::RawValue;
use spate_protocol::jsonrpc::to_raw;
use spate_protocol::{ErrorObject, Notification, Request, methods};
use tokio::sync::broadcast;

use super::handlers::ClientHandlers;
use super::listen::ListenRoutes;
use super::result_cache::ResultCache;
use crate::engine::{Handler, PeerHandle, RequestContext};

/// Where the server's notifications go: the cache they make stale, the subscription they
/// belong to, and everyone reading [`super::Client::notifications`].
pub(crate) struct Routing {
    pub(crate) notifications: broadcast::Sender<Notification>,
    pub(crate) listens: Arc<ListenRoutes>,
    pub(crate) cache: ResultCache,
}

pub(crate) struct ClientSession {
    pub(crate) handlers: ClientHandlers,
    pub(crate) routing: Arc<Routing>,
}

fn encode<T: Serialize>(value: T) -> Result<Box<RawValue>, ErrorObject> {
    Ok(to_raw(&value))
}

impl Handler for ClientSession {
    fn on_request(
        &self,
        request: Request,
        _context: RequestContext,
    ) -> BoxFuture<'static, Result<Box<RawValue>, ErrorObject>> {
        let handlers = self.handlers.clone();
        Box::pin(async move {
            match request.method.as_str() {
                methods::SAMPLING_CREATE_MESSAGE => {
                    encode(handlers.create_message(request.parse_params()?).await?)
                }
                methods::ELICITATION_CREATE => {
                    encode(handlers.elicit(request.parse_params()?).await?)
                }
                methods::ROOTS_LIST => encode(handlers.list_roots()?),
                other => Err(ErrorObject::method_not_found(other)),
            }
        })
    }

    fn on_notification(
        &self,
        notification: Notification,
        _peer: &PeerHandle,
    ) -> BoxFuture<'static, ()> {
        let routing = &self.routing;
        routing.cache.invalidate(&notification);
        routing.listens.route(&notification);
        // Nobody listening is fine: notifications are offered, not owed.
        let _ = routing.notifications.send(notification);
        Box::pin(async {})
    }
}
