//! "Tolerant on input": unknown fields are ignored, optional fields may be missing, older
//! and newer shapes are both read. Malformed required parts are still errors.

use serde::de::DeserializeOwned;
use serde_json::{Value, json};
use spate_protocol::*;

fn read<T: DeserializeOwned>(value: Value) -> T {
    serde_json::from_value(value.clone()).unwrap_or_else(|e| panic!("cannot read {value}: {e}"))
}

fn fails<T: DeserializeOwned + std::fmt::Debug>(value: Value) -> String {
    serde_json::from_value::<T>(value.clone())
        .map(|t| panic!("{value} should not decode, got {t:?}"))
        .unwrap_err()
        .to_string()
}

#[test]
fn unknown_fields_are_ignored_everywhere() {
    let tool: Tool = read(json!({
        "name": "t",
        "inputSchema": {"type": "object", "x-future": 1},
        "annotations": {"readOnlyHint": true, "futureHint": "?"},
        "execution": {"taskSupport": "optional", "other": []},
        "someFutureField": {"a": 1}
    }));
    assert_eq!(tool.name, "t");
    assert_eq!(tool.annotations.unwrap().read_only_hint, Some(true));
    assert_eq!(
        tool.input_schema["x-future"], 1,
        "schemas are kept verbatim"
    );

    let caps: ServerCapabilities = read(json!({
        "tools": {"listChanged": true, "future": true},
        "somethingNew": {},
        "resources": {}
    }));
    assert_eq!(caps.tools.unwrap().list_changed, Some(true));
    assert_eq!(caps.resources, Some(ResourcesCapability::default()));

    let result: CallToolResult = read(json!({
        "content": [{"type": "text", "text": "hi", "extra": 1}],
        "isError": false,
        "unknown": null
    }));
    assert_eq!(result.content[0].as_text(), Some("hi"));

    let init: InitializeRequestParams = read(json!({
        "protocolVersion": "2024-11-05",
        "capabilities": {"roots": {"listChanged": true, "x": 1}, "sampling": {"y": 2}},
        "clientInfo": {"name": "c", "version": "1", "vendor": "acme"},
        "future": 1
    }));
    assert_eq!(init.client_info.name, "c");
    assert!(init.capabilities.sampling.is_some());
}

#[test]
fn missing_optional_fields_decode_to_none() {
    let r: Resource = read(json!({"uri": "file:///a", "name": "a"}));
    assert_eq!(r, Resource::new("file:///a", "a"));
    let list: ListToolsResult = read(json!({"tools": []}));
    assert!(list.next_cursor.is_none() && list.result_type.is_none() && list.ttl_ms.is_none());
    let p: PaginatedRequestParams = jsonrpc::parse_params(None).unwrap();
    assert_eq!(p, PaginatedRequestParams::default());
    let e: EmptyResult = read(json!({}));
    assert_eq!(e, EmptyResult::default());
    let m: LoggingMessageNotificationParams = read(json!({"level": "error", "data": null}));
    assert_eq!(m.level, LoggingLevel::Error);
    assert_eq!(m.data, Value::Null);
    let c: CancelledNotificationParams = read(json!({"reason": "task cancels use tasks/cancel"}));
    assert!(c.request_id.is_none(), "2025-11-25 allows no requestId");
    let caps: ClientCapabilities = read(json!({"elicitation": {}}));
    assert!(caps.elicitation.as_ref().unwrap().supports_form());
    assert!(!caps.elicitation.unwrap().supports_url());
}

#[test]
fn every_era_shape_is_read() {
    // resultType: known, extension-defined, and absent (= complete).
    let r: CallToolResult = read(json!({"content": [], "resultType": "complete"}));
    assert_eq!(r.result_type, Some(ResultType::Complete));
    let r: EmptyResult = read(json!({"resultType": "com.example/deferred"}));
    assert_eq!(
        r.result_type,
        Some(ResultType::Other("com.example/deferred".into()))
    );
    // Progress tokens and request ids: strings or integers.
    let p: ProgressNotificationParams =
        read(json!({"progressToken": 7, "progress": 1.5, "total": 10}));
    assert_eq!(p.progress_token, ProgressToken::Number(7));
    let p: ProgressNotificationParams = read(json!({"progressToken": "t", "progress": 0}));
    assert_eq!(p.progress_token, ProgressToken::from("t"));
    // Huge sizes.
    let r: Resource = read(json!({"uri": "u:x", "name": "n", "size": u64::MAX}));
    assert_eq!(r.size, Some(u64::MAX));
    // Sampling content: one block or several.
    let one: SamplingMessage =
        read(json!({"role": "user", "content": {"type": "text", "text": "a"}}));
    assert!(matches!(one.content, SamplingContent::Single(_)));
    let many: SamplingMessage = read(json!({"role": "assistant", "content": [
        {"type": "tool_use", "id": "1", "name": "f", "input": {}},
        {"type": "text", "text": "b"}
    ]}));
    assert_eq!(many.content.blocks().len(), 2);
    // Tasks: the 2025-11-25 spelling and the extension spelling.
    let legacy: CreateTaskResult = read(json!({"task": {
        "taskId": "t", "status": "working", "createdAt": "c", "lastUpdatedAt": "u",
        "ttl": null, "pollInterval": 500
    }}));
    assert_eq!(legacy.task.wire, TaskWire::Legacy);
    assert_eq!(legacy.task.poll_interval_ms, Some(500));
    assert_eq!(legacy.task.ttl_ms, None);
    let flat: CreateTaskResult = read(json!({
        "resultType": "task", "taskId": "t", "status": "working", "createdAt": "c",
        "lastUpdatedAt": "u", "ttlMs": 60000
    }));
    assert_eq!(flat.task.wire, TaskWire::Extension);
    assert_eq!(flat.task.ttl_ms, Some(60000));
    assert_eq!(
        serde_json::to_value(&flat).unwrap()["resultType"],
        "task",
        "the flat form is written back flat"
    );
    let detailed: GetTaskResult = read(json!({
        "resultType": "complete", "taskId": "t", "status": "failed", "createdAt": "c",
        "lastUpdatedAt": "u", "ttlMs": null, "error": {"code": -32603, "message": "boom"}
    }));
    assert_eq!(detailed.task.error.unwrap().code, -32603);
    // Elicitation: form without `mode` (2025-06-18), URL with and without elicitationId.
    let form: ElicitRequestParams =
        read(json!({"message": "m", "requestedSchema": {"properties": {}}}));
    assert_eq!(form.mode(), "form");
    let url: ElicitRequestParams =
        read(json!({"mode": "url", "message": "m", "url": "https://x", "elicitationId": "e"}));
    assert!(matches!(
        url,
        ElicitRequestParams::Url {
            elicitation_id: Some(_),
            ..
        }
    ));
    // Completion references, both kinds; `ResourceReference` of 2024 has the same shape.
    let c: CompleteRequestParams = read(json!({
        "ref": {"type": "ref/resource", "uri": "file:///{p}"},
        "argument": {"name": "p", "value": "a"}
    }));
    assert!(matches!(c.reference, CompletionReference::Resource(_)));
    // Input responses are told apart by shape.
    let responses: InputResponses = read(json!({
        "a": {"action": "decline"},
        "b": {"roots": []},
        "c": {"role": "assistant", "content": {"type": "text", "text": "x"}, "model": "m"}
    }));
    assert!(matches!(responses["a"], InputResponse::Elicit(_)));
    assert!(matches!(responses["b"], InputResponse::ListRoots(_)));
    assert!(matches!(responses["c"], InputResponse::CreateMessage(_)));
    // An explicit `null` error data survives.
    let e: ErrorObject = read(json!({"code": 1, "message": "m", "data": null}));
    assert_eq!(e.data, Some(Value::Null));
}

#[test]
fn malformed_required_parts_are_errors() {
    assert!(fails::<Tool>(json!({"name": "t"})).contains("inputSchema"));
    fails::<ContentBlock>(json!({"type": "video", "data": ""}));
    fails::<ContentBlock>(json!({"text": "no type"}));
    fails::<LoggingLevel>(json!("verbose"));
    fails::<PrimitiveSchemaDefinition>(json!({"type": "object"}));
    fails::<ElicitRequestParams>(json!({"mode": "form", "message": "no schema"}));
    fails::<ElicitRequestParams>(json!({"mode": "url", "message": "no url"}));
    fails::<ProgressNotificationParams>(json!({"progressToken": null, "progress": 1}));
    fails::<Task>(
        json!({"taskId": "t", "status": "sleeping", "createdAt": "c", "lastUpdatedAt": "u"}),
    );
    fails::<CallToolRequestParams>(json!({"arguments": {}}));
}
