//! Multi-round-trip requests on the client (2026-07-28 MRTR, SEP-2322; Base Protocol › Message
//! Patterns › Multi Round-Trip Requests,
//! <https://modelcontextprotocol.io/specification/2026-07-28/basic/patterns/mrtr>).
//!
//! A `tools/call`, `resources/read` or `prompts/get` may be answered with
//! `resultType: "input_required"`: questions for the client (`inputRequests`: elicitation,
//! sampling, roots) and an opaque `requestState`. The client answers each question with the
//! handler it registered (the same ones legacy server→client requests reach, so an accepted
//! form is filled from its schema's defaults here too), then sends the same request again
//! with a new JSON-RPC id, `inputResponses` under exactly the keys asked, and the
//! `requestState` echoed byte for byte (omitted when none came). Answers are only ever for
//! that one retry: nothing carries over to another request.
//!
//! A result without `resultType` is complete (servers of earlier versions send none);
//! `task` (a `tools/call` the server runs as a task) is followed by the `task_follow`
//! module; any other value makes the result invalid, as the spec requires.

use std::collections::BTreeMap;

use serde::Deserialize;
use serde_json::Value;
use serde_json::value::RawValue;
use spate_protocol::{
    InputRequest, InputResponse, JsonObject, ProtocolVersion, ResultType, methods,
};

use super::handlers::ClientHandlers;
use crate::engine::PeerError;

/// What a modern result is.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Round {
    /// The final result.
    Complete,
    /// The server needs answers first.
    InputRequired,
    /// The server runs the request as a task (2026 tasks extension): follow it.
    Task,
}

#[derive(Deserialize)]
struct Kind {
    #[serde(rename = "resultType", default)]
    result_type: Option<ResultType>,
}

#[derive(Deserialize)]
struct Asked {
    #[serde(rename = "inputRequests", default)]
    input_requests: Option<BTreeMap<String, Value>>,
    #[serde(rename = "requestState", default)]
    request_state: Option<String>,
}

/// Reads `resultType` of a result to `method`.
pub(crate) fn round_of(method: &str, result: &RawValue) -> Result<Round, PeerError> {
    let kind: Kind = serde_json::from_str(result.get())
        .map_err(|e| PeerError::Malformed(format!("{method}: resultType: {e}")))?;
    match kind.result_type {
        None | Some(ResultType::Complete) => Ok(Round::Complete),
        Some(ResultType::InputRequired) if allows_input(method) => Ok(Round::InputRequired),
        Some(ResultType::Task) if method == methods::TOOLS_CALL => Ok(Round::Task),
        Some(ResultType::InputRequired) => Err(PeerError::Malformed(format!(
            "{method} answered input_required, which only tools/call, resources/read and prompts/get may"
        ))),
        Some(other) => Err(PeerError::Malformed(format!(
            "{method} answered resultType {other:?}, which this client does not know"
        ))),
    }
}

/// The methods on which a server may ask for input.
fn allows_input(method: &str) -> bool {
    matches!(
        method,
        methods::TOOLS_CALL | methods::RESOURCES_READ | methods::PROMPTS_GET
    )
}

/// Answers the questions of an `input_required` result with the client's handlers and
/// turns `params` into the retry: `inputResponses` and `requestState` replaced by this
/// round's (each left out when there is none).
pub(crate) async fn prepare_retry(
    handlers: &ClientHandlers,
    version: ProtocolVersion,
    method: &str,
    result: &RawValue,
    params: &mut JsonObject,
) -> Result<(), PeerError> {
    let asked: Asked = serde_json::from_str(result.get())
        .map_err(|e| PeerError::Malformed(format!("{method}: input_required result: {e}")))?;
    if asked.input_requests.as_ref().is_none_or(BTreeMap::is_empty) && asked.request_state.is_none()
    {
        return Err(PeerError::Malformed(format!(
            "{method}: an input_required result with neither inputRequests nor requestState"
        )));
    }
    let mut requests = Vec::new();
    for (key, request) in asked.input_requests.unwrap_or_default() {
        let request: InputRequest = serde_json::from_value(request)
            .map_err(|e| PeerError::Malformed(format!("{method}: input request {key:?}: {e}")))?;
        requests.push((key, request));
    }
    let mut responses = JsonObject::new();
    for (key, response) in answer_all(handlers, version, method, requests).await? {
        let response = serde_json::to_value(response)
            .map_err(|e| PeerError::Malformed(format!("{method}: input response: {e}")))?;
        responses.insert(key, response);
    }
    if responses.is_empty() {
        params.remove("inputResponses");
    } else {
        params.insert("inputResponses".into(), Value::Object(responses));
    }
    match asked.request_state {
        Some(state) => params.insert("requestState".into(), Value::String(state)),
        None => params.remove("requestState"),
    };
    Ok(())
}

/// Answers input requests one after the other with the client's handlers (`what` names
/// the request or task they belong to, for errors).
pub(crate) async fn answer_all(
    handlers: &ClientHandlers,
    version: ProtocolVersion,
    what: &str,
    requests: Vec<(String, InputRequest)>,
) -> Result<Vec<(String, InputResponse)>, PeerError> {
    let mut responses = Vec::with_capacity(requests.len());
    for (key, request) in requests {
        let asked_for = request.method();
        let response = handlers.answer_input(request, version).await.map_err(|e| {
            PeerError::Malformed(format!(
                "{what}: the client could not answer input request {key:?} ({asked_for}): {}",
                e.message
            ))
        })?;
        responses.push((key, response));
    }
    Ok(responses)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
    use spate_protocol::ElicitResult;

    fn raw(v: Value) -> Box<RawValue> {
        spate_protocol::jsonrpc::to_raw(&v)
    }

    #[test]
    fn result_types_are_read_strictly() {
        let cases = [
            (json!({"content": []}), Some(Round::Complete)),
            (json!({"resultType": "complete"}), Some(Round::Complete)),
            (
                json!({"resultType": "input_required"}),
                Some(Round::InputRequired),
            ),
            (json!({"resultType": "task"}), Some(Round::Task)),
            (json!({"resultType": "later"}), None),
            (json!({"resultType": 3}), None),
        ];
        for (result, expected) in cases {
            let got = round_of("tools/call", &raw(result.clone())).ok();
            assert_eq!(got, expected, "{result}");
        }
        assert!(round_of("tools/list", &raw(json!({"resultType": "input_required"}))).is_err());
        assert!(round_of("prompts/get", &raw(json!({"resultType": "task"}))).is_err());
    }

    #[tokio::test]
    async fn retries_carry_the_answers_and_the_exact_state() {
        let handlers = ClientHandlers::default().elicitation(false, |_| async {
            Ok(ElicitResult::accept(JsonObject::new()))
        });
        let state = r#"{"nonce":"ä \u00e4","n":1}"#;
        let result = raw(
            json!({"resultType": "input_required", "requestState": state,
            "inputRequests": {"confirm": {"method": "elicitation/create", "params": {
                "message": "ok?", "requestedSchema": {"type": "object", "properties": {
                    "confirmed": {"type": "boolean", "default": true}}}}}}}),
        );
        let mut params = json!({"name": "t", "requestState": "old"})
            .as_object()
            .unwrap()
            .clone();
        let v = ProtocolVersion::V2026_07_28;
        prepare_retry(&handlers, v, "tools/call", &result, &mut params)
            .await
            .unwrap();
        assert_eq!(params["requestState"], state);
        assert_eq!(
            params["inputResponses"],
            json!({"confirm": {"action": "accept", "content": {"confirmed": true}}})
        );
        // A round with only state sends only state.
        let result = raw(json!({"resultType": "input_required", "requestState": "s2"}));
        prepare_retry(&handlers, v, "tools/call", &result, &mut params)
            .await
            .unwrap();
        assert_eq!(params.get("inputResponses"), None);
        assert_eq!(params["requestState"], "s2");
        // A question without a handler fails the call.
        let result = raw(json!({"resultType": "input_required", "inputRequests": {
            "r": {"method": "roots/list"}}}));
        let err = prepare_retry(&handlers, v, "tools/call", &result, &mut params).await;
        assert!(matches!(err, Err(PeerError::Malformed(_))));
    }
}
