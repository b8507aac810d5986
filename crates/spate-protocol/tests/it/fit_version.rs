//! What `fit_version` does for particular versions, spelled out.

use serde_json::{Value, json};
use spate_protocol::meta::{self, Meta};
use spate_protocol::*;

fn fitted<T: FitVersion + serde::Serialize>(mut value: T, version: ProtocolVersion) -> Value {
    value.fit_version(version);
    serde_json::to_value(value).unwrap()
}

fn meta_of(pairs: &[(&str, Value)]) -> Option<Meta> {
    Some(
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), v.clone()))
            .collect(),
    )
}

#[test]
fn results_get_result_type_and_cache_hints_only_in_2026() {
    let list = ListToolsResult::default();
    assert_eq!(
        fitted(list.clone(), ProtocolVersion::V2026_07_28),
        json!({"tools": [], "resultType": "complete", "ttlMs": 0, "cacheScope": "private"})
    );
    let mut given = list;
    given.ttl_ms = Some(5);
    given.cache_scope = Some(CacheScope::Public);
    given.result_type = Some(ResultType::Complete);
    assert_eq!(
        fitted(given, ProtocolVersion::V2025_11_25),
        json!({"tools": []})
    );
    assert_eq!(
        fitted(InputRequiredResult::default(), ProtocolVersion::V2026_07_28)["resultType"],
        "input_required"
    );
}

#[test]
fn reserved_meta_keys_follow_the_version() {
    let mut result = EmptyResult {
        meta: meta_of(&[
            (meta::SERVER_INFO_KEY, json!({"name": "s", "version": "1"})),
            (meta::RELATED_TASK_KEY, json!({"taskId": "t"})),
            ("com.example/trace", json!(1)),
        ]),
        ..Default::default()
    };
    let legacy = fitted(result.clone(), ProtocolVersion::V2025_06_18);
    assert_eq!(legacy, json!({"_meta": {"com.example/trace": 1}}));
    let tasks = fitted(result.clone(), ProtocolVersion::V2025_11_25);
    assert!(tasks["_meta"].get(meta::RELATED_TASK_KEY).is_some());
    assert!(tasks["_meta"].get(meta::SERVER_INFO_KEY).is_none());
    result.fit_version(ProtocolVersion::V2026_07_28);
    let m = result.meta.unwrap();
    assert!(m.contains_key(meta::SERVER_INFO_KEY) && !m.contains_key(meta::RELATED_TASK_KEY));
}

#[test]
fn modern_requests_name_their_version_and_capabilities() {
    let params = PaginatedRequestParams::default();
    let modern = fitted(params.clone(), ProtocolVersion::V2026_07_28);
    assert_eq!(modern["_meta"][meta::PROTOCOL_VERSION_KEY], "2026-07-28");
    assert_eq!(modern["_meta"][meta::CLIENT_CAPABILITIES_KEY], json!({}));
    // Legacy: nothing to add, and modern keys go away.
    assert_eq!(fitted(params, ProtocolVersion::V2025_03_26), json!({}));
    let mut back: PaginatedRequestParams = serde_json::from_value(modern).unwrap();
    back.fit_version(ProtocolVersion::V2025_11_25);
    assert_eq!(back.meta, None);
}

#[test]
fn content_a_version_cannot_carry_becomes_text() {
    let link = ContentBlock::ResourceLink(Resource {
        title: Some("Main".into()),
        ..Resource::new("file:///main.rs", "main.rs")
    });
    let old = fitted(link.clone(), ProtocolVersion::V2025_03_26);
    assert_eq!(old["type"], "text");
    assert!(old["text"].as_str().unwrap().contains("file:///main.rs"));
    assert_eq!(
        fitted(link, ProtocolVersion::V2025_06_18)["type"],
        "resource_link"
    );

    let audio = ContentBlock::audio("AAAA", "audio/wav");
    assert_eq!(
        fitted(audio.clone(), ProtocolVersion::V2024_11_05)["type"],
        "text"
    );
    assert_eq!(fitted(audio, ProtocolVersion::V2025_03_26)["type"], "audio");

    let mut result = CallToolResult {
        content: vec![],
        structured_content: Some(json!([1, 2])),
        ..Default::default()
    };
    let legacy = fitted(result.clone(), ProtocolVersion::V2025_11_25);
    assert_eq!(
        legacy,
        json!({"content": [{"type": "text", "text": "[1,2]"}]})
    );
    result.structured_content = Some(json!({"a": 1}));
    assert_eq!(
        fitted(result.clone(), ProtocolVersion::V2025_06_18)["structuredContent"],
        json!({"a": 1})
    );
    assert!(
        fitted(result, ProtocolVersion::V2025_03_26)
            .get("structuredContent")
            .is_none()
    );
}

#[test]
fn descriptors_lose_what_older_versions_lack() {
    let tool = Tool {
        title: Some("T".into()),
        icons: Some(vec![Icon::new("https://x.example/i.png")]),
        output_schema: Some(json!({"type": "array"}).as_object().unwrap().clone()),
        execution: Some(ToolExecution::default()),
        annotations: Some(ToolAnnotations::default()),
        ..Tool::new("t", "d")
    };
    let v2024 = fitted(tool.clone(), ProtocolVersion::V2024_11_05);
    assert_eq!(
        v2024,
        json!({"name": "t", "description": "d",
               "inputSchema": {"type": "object", "additionalProperties": false}})
    );
    let v2025_11 = fitted(tool.clone(), ProtocolVersion::V2025_11_25);
    assert!(
        v2025_11.get("outputSchema").is_none(),
        "array roots only in 2026"
    );
    assert!(v2025_11.get("execution").is_some() && v2025_11.get("icons").is_some());
    let v2026 = fitted(tool, ProtocolVersion::V2026_07_28);
    assert!(v2026.get("execution").is_none() && v2026.get("outputSchema").is_some());

    let info = Implementation {
        title: Some("t".into()),
        description: Some("d".into()),
        website_url: Some("https://x.example".into()),
        ..Implementation::new("n", "1")
    };
    assert_eq!(
        fitted(info.clone(), ProtocolVersion::V2025_03_26),
        json!({"name": "n", "version": "1"})
    );
    assert_eq!(
        fitted(info, ProtocolVersion::V2025_06_18),
        json!({"name": "n", "version": "1", "title": "t"})
    );
}

#[test]
fn tasks_take_the_spelling_of_the_version() {
    let task = Task {
        ttl_ms: Some(1000),
        poll_interval_ms: Some(50),
        ..Task::working("t", "2026-01-01T00:00:00Z")
    };
    let created = CreateTaskResult {
        task: task.clone(),
        meta: None,
    };
    let legacy = fitted(created.clone(), ProtocolVersion::V2025_11_25);
    assert_eq!(legacy["task"]["ttl"], 1000);
    assert_eq!(legacy["task"]["pollInterval"], 50);
    let modern = fitted(created, ProtocolVersion::V2026_07_28);
    assert_eq!(modern["resultType"], "task");
    assert_eq!(modern["ttlMs"], 1000);
    assert_eq!(modern["pollIntervalMs"], 50);
    let unlimited = Task {
        ttl_ms: None,
        ..task
    };
    assert_eq!(
        fitted(unlimited, ProtocolVersion::V2026_07_28)["ttlMs"],
        Value::Null
    );
}

#[test]
fn sampling_and_elicitation_fall_back_for_older_peers() {
    let message = SamplingMessage {
        role: Role::User,
        content: SamplingContent::Multiple(vec![
            SamplingContentBlock::text("a"),
            SamplingContentBlock::text("b"),
        ]),
        meta: None,
    };
    assert_eq!(
        fitted(message, ProtocolVersion::V2025_06_18),
        json!({"role": "user", "content": {"type": "text", "text": "a\nb"}})
    );
    let url = ElicitRequestParams::url("Sign in", "https://x.example/a", Some("e1".into()));
    let v2025_06 = fitted(url.clone(), ProtocolVersion::V2025_06_18);
    assert!(v2025_06.get("mode").is_none() && v2025_06.get("requestedSchema").is_some());
    assert!(
        fitted(url.clone(), ProtocolVersion::V2026_07_28)
            .get("elicitationId")
            .is_none()
    );
    assert_eq!(
        fitted(url, ProtocolVersion::V2025_11_25)["elicitationId"],
        "e1"
    );
    let answer = ElicitResult::accept(
        json!({"colors": ["red", "blue"]})
            .as_object()
            .unwrap()
            .clone(),
    );
    assert_eq!(
        fitted(answer, ProtocolVersion::V2025_06_18)["content"]["colors"],
        "red, blue"
    );
}

#[test]
fn numbers_keep_their_integer_spelling() {
    let p = ProgressNotificationParams::new(ProgressToken::from(1), 50.0);
    assert_eq!(
        serde_json::to_string(&p).unwrap(),
        r#"{"progressToken":1,"progress":50}"#
    );
    let p = ProgressNotificationParams::new(ProgressToken::from(1), 0.25);
    assert_eq!(serde_json::to_value(&p).unwrap()["progress"], 0.25);
}

#[test]
fn header_params_are_listed_from_the_input_schema() {
    let tool: Tool = serde_json::from_value(json!({
        "name": "t",
        "inputSchema": {"type": "object", "properties": {
            "region": {"type": "string", "x-mcp-header": "Region"},
            "query": {"type": "string"},
            "bad": {"type": "string", "x-mcp-header": 3}
        }}
    }))
    .unwrap();
    assert_eq!(
        tool.header_params(),
        vec![HeaderParam {
            property: "region".into(),
            header: "Region".into()
        }]
    );
}
