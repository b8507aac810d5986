//! The JSON-RPC 2.0 envelope: ids, requests, notifications, responses, errors and batches.
//!
//! Decoding is done once per frame and keeps `params` / `result` as raw JSON, so the engine
//! can route a message without paying for a typed parse it may never need. Every way a frame
//! can be wrong maps to exactly one [`DecodeError`], which knows the JSON-RPC error response
//! to answer with.

use std::fmt;

use serde::de::DeserializeOwned;
use serde::ser::SerializeMap;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::value::RawValue;

use crate::error_code;

/// A request id: a string or an integer, never null (Base Protocol › Overview › Messages ›
/// Requests, <https://modelcontextprotocol.io/specification/2026-07-28/basic>).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum RequestId {
    /// An integer id.
    Number(i64),
    /// A string id.
    String(String),
}

impl fmt::Display for RequestId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Number(n) => write!(f, "{n}"),
            Self::String(s) => write!(f, "{s:?}"),
        }
    }
}

impl From<i64> for RequestId {
    fn from(n: i64) -> Self {
        Self::Number(n)
    }
}

impl From<&str> for RequestId {
    fn from(s: &str) -> Self {
        Self::String(s.to_owned())
    }
}

impl From<String> for RequestId {
    fn from(s: String) -> Self {
        Self::String(s)
    }
}

impl Serialize for RequestId {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            Self::Number(n) => serializer.serialize_i64(*n),
            Self::String(s) => serializer.serialize_str(s),
        }
    }
}

impl<'de> Deserialize<'de> for RequestId {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct IdVisitor;
        impl serde::de::Visitor<'_> for IdVisitor {
            type Value = RequestId;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a string or an integer")
            }
            fn visit_i64<E: serde::de::Error>(self, v: i64) -> Result<RequestId, E> {
                Ok(RequestId::Number(v))
            }
            fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<RequestId, E> {
                i64::try_from(v)
                    .map(RequestId::Number)
                    .map_err(|_| E::custom("integer id out of range"))
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<RequestId, E> {
                Ok(RequestId::String(v.to_owned()))
            }
            fn visit_string<E: serde::de::Error>(self, v: String) -> Result<RequestId, E> {
                Ok(RequestId::String(v))
            }
        }
        deserializer.deserialize_any(IdVisitor)
    }
}

/// The error member of an error response.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ErrorObject {
    /// One of [`crate::error_code`] or an application code.
    pub code: i64,
    /// A short description.
    pub message: String,
    /// Extra detail defined by the sender; an explicit `null` is kept as `Some(Null)`.
    #[serde(
        default,
        deserialize_with = "crate::jsonrpc::present_value",
        skip_serializing_if = "Option::is_none"
    )]
    pub data: Option<serde_json::Value>,
}

/// Reads a present value as `Some`, even `null`, so a value re-encodes as it came
/// (`#[serde(default, deserialize_with = ...)]` on `Option<Value>` fields).
pub(crate) fn present_value<'de, D: Deserializer<'de>>(
    d: D,
) -> Result<Option<serde_json::Value>, D::Error> {
    serde_json::Value::deserialize(d).map(Some)
}

impl ErrorObject {
    /// An error with a code and a message.
    pub fn new(code: i64, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
            data: None,
        }
    }

    /// The same error with `data` attached.
    pub fn with_data(mut self, data: serde_json::Value) -> Self {
        self.data = Some(data);
        self
    }

    /// `-32602 Invalid params` with a message.
    pub fn invalid_params(message: impl Into<String>) -> Self {
        Self::new(error_code::INVALID_PARAMS, message)
    }

    /// `-32601 Method not found` naming the method.
    pub fn method_not_found(method: &str) -> Self {
        Self::new(
            error_code::METHOD_NOT_FOUND,
            format!("Method not found: {method}"),
        )
    }

    /// `-32603 Internal error` with a message.
    pub fn internal(message: impl Into<String>) -> Self {
        Self::new(error_code::INTERNAL_ERROR, message)
    }
}

impl fmt::Display for ErrorObject {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} ({}): {}",
            self.code,
            error_code::name(self.code),
            self.message
        )
    }
}

impl std::error::Error for ErrorObject {}

/// A request: expects exactly one response with the same id.
#[derive(Debug, Clone)]
pub struct Request {
    /// The id the response will carry.
    pub id: RequestId,
    /// The method name, e.g. `tools/call`.
    pub method: String,
    /// The parameters, untouched.
    pub params: Option<Box<RawValue>>,
}

/// A notification: no id, no response.
#[derive(Debug, Clone)]
pub struct Notification {
    /// The method name, e.g. `notifications/progress`.
    pub method: String,
    /// The parameters, untouched.
    pub params: Option<Box<RawValue>>,
}

/// A response: a result or an error for the request with the same id.
#[derive(Debug, Clone)]
pub struct Response {
    /// The id of the request answered; `None` (written as `null`) only when it could not be read.
    pub id: Option<RequestId>,
    /// The outcome.
    pub body: ResponseBody,
}

/// What a response carries.
#[derive(Debug, Clone)]
pub enum ResponseBody {
    /// A successful result, untouched.
    Result(Box<RawValue>),
    /// An error.
    Error(ErrorObject),
}

/// Any single JSON-RPC message.
#[derive(Debug, Clone)]
pub enum Message {
    /// A request.
    Request(Request),
    /// A notification.
    Notification(Notification),
    /// A response.
    Response(Response),
}

/// Serialises a value into raw JSON for `params` or `result`.
pub fn to_raw<T: Serialize + ?Sized>(value: &T) -> Box<RawValue> {
    // Serialising our own model types cannot fail: they hold no maps with non-string keys
    // and no types whose Serialize impl errors. Fall back to `null` rather than panic.
    serde_json::value::to_raw_value(value)
        .unwrap_or_else(|_| RawValue::from_string("null".to_owned()).expect("null is JSON"))
}

/// Parses raw `params` into a type; absent params parse as `{}`.
pub fn parse_params<T: DeserializeOwned>(params: Option<&RawValue>) -> Result<T, ErrorObject> {
    let text = params.map_or("{}", RawValue::get);
    serde_json::from_str(text)
        .map_err(|e| ErrorObject::invalid_params(format!("Invalid params: {e}")))
}

impl Request {
    /// A request with typed params.
    pub fn new<P: Serialize + ?Sized>(
        id: RequestId,
        method: impl Into<String>,
        params: &P,
    ) -> Self {
        Self {
            id,
            method: method.into(),
            params: Some(to_raw(params)),
        }
    }

    /// Parses `params` into a type (absent params parse as `{}`); a failure is `-32602`.
    pub fn parse_params<T: DeserializeOwned>(&self) -> Result<T, ErrorObject> {
        parse_params(self.params.as_deref())
    }
}

impl Notification {
    /// A notification with typed params.
    pub fn new<P: Serialize + ?Sized>(method: impl Into<String>, params: &P) -> Self {
        Self {
            method: method.into(),
            params: Some(to_raw(params)),
        }
    }

    /// Parses `params` into a type (absent params parse as `{}`).
    pub fn parse_params<T: DeserializeOwned>(&self) -> Result<T, ErrorObject> {
        parse_params(self.params.as_deref())
    }
}

impl Response {
    /// A successful response with a typed result.
    pub fn result<R: Serialize + ?Sized>(id: RequestId, result: &R) -> Self {
        Self {
            id: Some(id),
            body: ResponseBody::Result(to_raw(result)),
        }
    }

    /// An error response.
    pub fn error(id: Option<RequestId>, error: ErrorObject) -> Self {
        Self {
            id,
            body: ResponseBody::Error(error),
        }
    }
}

impl Message {
    /// Encodes the message as compact JSON on one line (no trailing newline).
    ///
    /// Raw parts that came from a peer may hold insignificant newlines; they are re-encoded
    /// compactly so the output is always a single line, as stdio framing requires.
    pub fn encode(&self) -> Vec<u8> {
        let mut out = serde_json::to_vec(self).unwrap_or_default();
        if out.contains(&b'\n') || out.contains(&b'\r') {
            if let Ok(value) = serde_json::from_slice::<serde_json::Value>(&out) {
                out = serde_json::to_vec(&value).unwrap_or_default();
            }
        }
        out
    }

    /// The method, for requests and notifications.
    pub fn method(&self) -> Option<&str> {
        match self {
            Self::Request(r) => Some(&r.method),
            Self::Notification(n) => Some(&n.method),
            Self::Response(_) => None,
        }
    }
}

impl From<Request> for Message {
    fn from(r: Request) -> Self {
        Self::Request(r)
    }
}

impl From<Notification> for Message {
    fn from(n: Notification) -> Self {
        Self::Notification(n)
    }
}

impl From<Response> for Message {
    fn from(r: Response) -> Self {
        Self::Response(r)
    }
}

impl Serialize for Message {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(None)?;
        map.serialize_entry("jsonrpc", "2.0")?;
        match self {
            Self::Request(r) => {
                map.serialize_entry("id", &r.id)?;
                map.serialize_entry("method", &r.method)?;
                if let Some(p) = &r.params {
                    map.serialize_entry("params", p)?;
                }
            }
            Self::Notification(n) => {
                map.serialize_entry("method", &n.method)?;
                if let Some(p) = &n.params {
                    map.serialize_entry("params", p)?;
                }
            }
            Self::Response(r) => {
                map.serialize_entry("id", &r.id)?;
                match &r.body {
                    ResponseBody::Result(v) => map.serialize_entry("result", v)?,
                    ResponseBody::Error(e) => map.serialize_entry("error", e)?,
                }
            }
        }
        map.end()
    }
}

/// What one frame held: one message or a batch.
#[derive(Debug)]
pub enum Frame {
    /// A single message.
    Single(Message),
    /// A JSON array of messages (allowed only in 2025-03-26); each element decoded on its own.
    Batch(Vec<Result<Message, DecodeError>>),
}

/// Why a frame or a batch element is not a valid message.
#[derive(Debug, Clone, PartialEq)]
pub struct DecodeError {
    /// `-32700` (not JSON) or `-32600` (JSON, but not a valid message).
    pub code: i64,
    /// The id, when it could be read, so the error response can carry it.
    pub id: Option<RequestId>,
    /// What was wrong, for the error message.
    pub detail: String,
}

impl DecodeError {
    fn invalid(id: Option<RequestId>, detail: impl Into<String>) -> Self {
        Self {
            code: error_code::INVALID_REQUEST,
            id,
            detail: detail.into(),
        }
    }

    /// The error response that answers this frame.
    pub fn to_response(&self) -> Response {
        let label = if self.code == error_code::PARSE_ERROR {
            "Parse error"
        } else {
            "Invalid Request"
        };
        Response::error(
            self.id.clone(),
            ErrorObject::new(self.code, format!("{label}: {}", self.detail)),
        )
    }
}

impl fmt::Display for DecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({})", self.detail, self.code)
    }
}

impl std::error::Error for DecodeError {}

#[derive(Deserialize)]
struct Envelope<'a> {
    #[serde(borrow, default)]
    jsonrpc: Option<&'a RawValue>,
    // `null` must stay visible: `Option` alone would turn it into "absent".
    #[serde(borrow, default, deserialize_with = "present")]
    id: Option<&'a RawValue>,
    #[serde(borrow, default)]
    method: Option<&'a RawValue>,
    #[serde(borrow, default)]
    params: Option<&'a RawValue>,
    #[serde(borrow, default)]
    result: Option<&'a RawValue>,
    #[serde(borrow, default)]
    error: Option<&'a RawValue>,
}

fn present<'de, D: Deserializer<'de>>(d: D) -> Result<Option<&'de RawValue>, D::Error> {
    <&RawValue>::deserialize(d).map(Some)
}

/// Decodes one frame (a stdio line or an HTTP body) into a message or a batch.
///
/// Whether a batch is acceptable depends on the negotiated version; the caller decides.
pub fn decode(bytes: &[u8]) -> Result<Frame, DecodeError> {
    let text = std::str::from_utf8(bytes).map_err(|e| DecodeError {
        code: error_code::PARSE_ERROR,
        id: None,
        detail: format!("not UTF-8: {e}"),
    })?;
    let first = text.trim_start().as_bytes().first().copied();
    if first == Some(b'[') {
        let items: Vec<&RawValue> = serde_json::from_str(text).map_err(classify_error)?;
        if items.is_empty() {
            return Err(DecodeError::invalid(None, "empty batch"));
        }
        return Ok(Frame::Batch(
            items.into_iter().map(|raw| decode_one(raw.get())).collect(),
        ));
    }
    decode_one(text).map(Frame::Single)
}

/// Decodes one frame that must hold a single message (batches are an error).
pub fn decode_message(bytes: &[u8]) -> Result<Message, DecodeError> {
    match decode(bytes)? {
        Frame::Single(m) => Ok(m),
        Frame::Batch(_) => Err(DecodeError::invalid(
            None,
            "JSON-RPC batches are not allowed in this protocol version",
        )),
    }
}

fn classify_error(e: serde_json::Error) -> DecodeError {
    use serde_json::error::Category;
    match e.classify() {
        Category::Syntax | Category::Eof | Category::Io => DecodeError {
            code: error_code::PARSE_ERROR,
            id: None,
            detail: e.to_string(),
        },
        Category::Data => DecodeError::invalid(None, e.to_string()),
    }
}

fn decode_one(text: &str) -> Result<Message, DecodeError> {
    let env: Envelope<'_> = serde_json::from_str(text).map_err(classify_error)?;
    // Read the id first so every later error can carry it.
    let id = match env.id {
        None => None,
        Some(raw) if raw.get() == "null" => None,
        Some(raw) => Some(
            serde_json::from_str::<RequestId>(raw.get())
                .map_err(|_| DecodeError::invalid(None, "id must be a string or an integer"))?,
        ),
    };
    let id_was_null = env.id.is_some_and(|raw| raw.get() == "null");
    match env.jsonrpc.map(RawValue::get) {
        Some("\"2.0\"") => {}
        _ => return Err(DecodeError::invalid(id, "jsonrpc must be \"2.0\"")),
    }
    let params = match env.params {
        None => None,
        Some(raw) => match raw.get().as_bytes().first() {
            Some(b'{') | Some(b'[') => Some(raw.to_owned()),
            _ => {
                return Err(DecodeError::invalid(
                    id,
                    "params must be an object or an array",
                ));
            }
        },
    };
    if let Some(method) = env.method {
        let method: String = serde_json::from_str(method.get())
            .map_err(|_| DecodeError::invalid(id.clone(), "method must be a string"))?;
        if env.result.is_some() || env.error.is_some() {
            return Err(DecodeError::invalid(
                id,
                "a message cannot have both method and result/error",
            ));
        }
        return match id {
            Some(id) => Ok(Message::Request(Request { id, method, params })),
            None if id_was_null => Err(DecodeError::invalid(None, "request id must not be null")),
            None => Ok(Message::Notification(Notification { method, params })),
        };
    }
    let body = match (env.result, env.error) {
        (Some(result), None) => {
            if id.is_none() {
                return Err(DecodeError::invalid(None, "a result response needs an id"));
            }
            ResponseBody::Result(result.to_owned())
        }
        (None, Some(error)) => {
            ResponseBody::Error(serde_json::from_str(error.get()).map_err(|e| {
                DecodeError::invalid(id.clone(), format!("malformed error object: {e}"))
            })?)
        }
        (Some(_), Some(_)) => {
            return Err(DecodeError::invalid(
                id,
                "a response cannot have both result and error",
            ));
        }
        (None, None) => {
            return Err(DecodeError::invalid(
                id,
                "neither a request, a notification nor a response",
            ));
        }
    };
    Ok(Message::Response(Response { id, body }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn code_of(text: &str) -> i64 {
        decode(text.as_bytes()).unwrap_err().code
    }

    #[test]
    fn classifies_the_three_kinds() {
        let m = decode_message(br#"{"jsonrpc":"2.0","id":7,"method":"ping"}"#).unwrap();
        assert!(matches!(
            m,
            Message::Request(Request {
                id: RequestId::Number(7),
                ..
            })
        ));
        let m =
            decode_message(br#"{"jsonrpc":"2.0","method":"notifications/initialized"}"#).unwrap();
        assert!(matches!(m, Message::Notification(_)));
        let m = decode_message(br#"{"jsonrpc":"2.0","id":"a","result":{}}"#).unwrap();
        assert!(matches!(
            m,
            Message::Response(Response {
                body: ResponseBody::Result(_),
                ..
            })
        ));
        let m =
            decode_message(br#"{"jsonrpc":"2.0","id":null,"error":{"code":-32700,"message":"x"}}"#)
                .unwrap();
        assert!(matches!(
            m,
            Message::Response(Response {
                id: None,
                body: ResponseBody::Error(_)
            })
        ));
    }

    #[test]
    fn hostile_frames_get_precise_codes() {
        assert_eq!(code_of("{not json"), error_code::PARSE_ERROR);
        assert_eq!(code_of(""), error_code::PARSE_ERROR);
        assert_eq!(code_of("\u{0}"), error_code::PARSE_ERROR);
        assert_eq!(code_of("42"), error_code::INVALID_REQUEST);
        assert_eq!(code_of("[]"), error_code::INVALID_REQUEST);
        assert_eq!(
            code_of(r#"{"id":1,"method":"x"}"#),
            error_code::INVALID_REQUEST
        );
        assert_eq!(
            code_of(r#"{"jsonrpc":"1.0","id":1,"method":"x"}"#),
            error_code::INVALID_REQUEST
        );
        assert_eq!(
            code_of(r#"{"jsonrpc":"2.0","id":null,"method":"x"}"#),
            error_code::INVALID_REQUEST
        );
        assert_eq!(
            code_of(r#"{"jsonrpc":"2.0","id":1.5,"method":"x"}"#),
            error_code::INVALID_REQUEST
        );
        assert_eq!(
            code_of(r#"{"jsonrpc":"2.0","id":1,"method":3}"#),
            error_code::INVALID_REQUEST
        );
        assert_eq!(
            code_of(r#"{"jsonrpc":"2.0","id":1,"method":"x","params":3}"#),
            error_code::INVALID_REQUEST
        );
        assert_eq!(
            code_of(r#"{"jsonrpc":"2.0","id":1}"#),
            error_code::INVALID_REQUEST
        );
        assert_eq!(
            code_of(r#"{"jsonrpc":"2.0","result":{}}"#),
            error_code::INVALID_REQUEST
        );
        let e = decode(br#"{"jsonrpc":"1.0","id":"k","method":"x"}"#).unwrap_err();
        assert_eq!(e.id, Some(RequestId::from("k")));
        assert_eq!(e.to_response().id, Some(RequestId::from("k")));
    }

    #[test]
    fn batches_decode_element_by_element() {
        let frame = decode(br#"[{"jsonrpc":"2.0","id":1,"method":"ping"}, 5]"#).unwrap();
        let Frame::Batch(items) = frame else {
            panic!("not a batch")
        };
        assert!(items[0].is_ok());
        assert_eq!(
            items[1].as_ref().unwrap_err().code,
            error_code::INVALID_REQUEST
        );
        assert!(decode_message(br#"[{"jsonrpc":"2.0","id":1,"method":"ping"}]"#).is_err());
    }

    #[test]
    fn encoding_is_one_line_even_from_pretty_raw_parts() {
        let m = decode_message(
            b"{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"x\",\"params\":{\n \"a\": 1\n}}",
        )
        .unwrap();
        let out = m.encode();
        assert!(!out.contains(&b'\n'));
        let back: serde_json::Value = serde_json::from_slice(&out).unwrap();
        assert_eq!(back["params"]["a"], 1);
        let r = Message::from(Response::error(None, ErrorObject::new(-32700, "bad")));
        assert_eq!(
            String::from_utf8(r.encode()).unwrap(),
            r#"{"jsonrpc":"2.0","id":null,"error":{"code":-32700,"message":"bad"}}"#
        );
    }
}
