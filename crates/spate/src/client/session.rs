//! The engine handler of a client connection: server requests and notifications.

use futures_util::future::BoxFuture;
use serde::Serialize;
use serde_json::value::RawValue;
use spate_protocol::jsonrpc::to_raw;
use spate_protocol::{
    CreateMessageRequestParams, ElicitRequestParams, ErrorObject, ListRootsResult, Notification,
    Request, methods,
};
use tokio::sync::broadcast;

use super::handlers::{ClientHandlers, fill_defaults};
use crate::engine::{Handler, PeerHandle, RequestContext};

pub(crate) struct ClientSession {
    pub(crate) handlers: ClientHandlers,
    pub(crate) notifications: broadcast::Sender<Notification>,
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
                    let Some(handler) = handlers.sampling else {
                        return Err(ErrorObject::method_not_found(&request.method));
                    };
                    let params: CreateMessageRequestParams = request.parse_params()?;
                    encode(handler(params).await?)
                }
                methods::ELICITATION_CREATE => {
                    let Some(handler) = handlers.elicitation else {
                        return Err(ErrorObject::method_not_found(&request.method));
                    };
                    let params: ElicitRequestParams = request.parse_params()?;
                    if matches!(params, ElicitRequestParams::Url { .. })
                        && !handlers.elicitation_url
                    {
                        return Err(ErrorObject::invalid_params(
                            "URL-mode elicitation is not supported by this client",
                        ));
                    }
                    let result = handler(params.clone()).await?;
                    encode(fill_defaults(&params, result))
                }
                methods::ROOTS_LIST => {
                    let Some(roots) = handlers.roots else {
                        return Err(ErrorObject::method_not_found(&request.method));
                    };
                    let roots = roots
                        .read()
                        .unwrap_or_else(std::sync::PoisonError::into_inner)
                        .clone();
                    encode(ListRootsResult {
                        roots,
                        ..Default::default()
                    })
                }
                other => Err(ErrorObject::method_not_found(other)),
            }
        })
    }

    fn on_notification(
        &self,
        notification: Notification,
        _peer: &PeerHandle,
    ) -> BoxFuture<'static, ()> {
        // Nobody listening is fine: notifications are offered, not owed.
        let _ = self.notifications.send(notification);
        Box::pin(async {})
    }
}
