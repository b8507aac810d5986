//! Small HTTP responses shared by the handlers.

use axum::body::Body;
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use http::{HeaderValue, StatusCode, header};
use spate_protocol::{ErrorObject, Message, RequestId, Response as RpcResponse, error_code};

/// A status with a JSON-RPC error body without id (as the spec allows for transport errors).
pub(super) fn error_status(status: StatusCode, message: &str) -> Response {
    let code = match status {
        StatusCode::NOT_FOUND => error_code::INVALID_REQUEST,
        StatusCode::INTERNAL_SERVER_ERROR => error_code::INTERNAL_ERROR,
        _ => error_code::INVALID_REQUEST,
    };
    rpc_error(status, None, ErrorObject::new(code, message))
}

/// A status with a JSON-RPC error response body.
pub(super) fn rpc_error(status: StatusCode, id: Option<RequestId>, error: ErrorObject) -> Response {
    let body = Message::from(RpcResponse::error(id, error)).encode();
    json(status, Bytes::from(body))
}

/// A JSON body.
pub(super) fn json(status: StatusCode, body: Bytes) -> Response {
    let mut response = (status, Body::from(body)).into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    response
}

/// A `503` or `429` with `Retry-After` in seconds.
pub(super) fn retry_later(status: StatusCode, seconds: u64, message: &str) -> Response {
    let mut response = error_status(status, message);
    if let Ok(v) = HeaderValue::from_str(&seconds.to_string()) {
        response.headers_mut().insert(header::RETRY_AFTER, v);
    }
    response
}
