//! Every fixture, driven with the exact messages the conformance suite sends, checked
//! against the exact content the suite's scenarios (and its reference fixture server) require.

use std::time::Duration;

use serde_json::{Value, json};

use crate::common::{Wire, related};

const PNG: &str = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8DwHwAFBQIAX8jx0gAAAABJRU5ErkJggg==";
const WAV: &str = "UklGRiYAAABXQVZFZm10IBAAAAABAAEAQB8AAAB9AAACABAAZGF0YQIAAAA=";

#[tokio::test]
async fn initialize_declares_every_capability_the_fixtures_use() {
    let (_wire, init) = Wire::initialized(json!({})).await;
    assert_eq!(init["protocolVersion"], "2025-11-25");
    assert_eq!(
        init["capabilities"],
        json!({
            "tools": {"listChanged": true},
            "resources": {"subscribe": true, "listChanged": true},
            "prompts": {"listChanged": true},
            "logging": {},
            "completions": {},
            "tasks": {"list": {}, "cancel": {}, "requests": {"tools": {"call": {}}}}
        })
    );
    assert_eq!(init["serverInfo"]["name"], "spate-conformance-server");
}

#[tokio::test]
async fn ping_and_set_level_answer_empty_objects() {
    let mut wire = Wire::suite_client().await;
    assert_eq!(wire.request("ping", json!({})).await, Ok(json!({})));
    assert_eq!(
        wire.request("logging/setLevel", json!({"level": "info"}))
            .await,
        Ok(json!({}))
    );
}

#[tokio::test]
async fn tools_list_is_complete_well_formed_and_starts_with_simple_text() {
    let mut wire = Wire::suite_client().await;
    let listed = wire.request("tools/list", json!({})).await.unwrap();
    assert!(listed.get("nextCursor").is_none(), "one page");
    let tools = listed["tools"].as_array().unwrap();
    let names: Vec<&str> = tools.iter().map(|t| t["name"].as_str().unwrap()).collect();
    assert_eq!(names[0], "test_simple_text");
    for expected in [
        "test_simple_text",
        "test_image_content",
        "test_audio_content",
        "test_embedded_resource",
        "test_multiple_content_types",
        "test_error_handling",
        "test_tool_with_progress",
        "test_tool_with_logging",
        "test_sampling",
        "test_elicitation",
        "test_elicitation_sep1034_defaults",
        "test_elicitation_sep1330_enums",
        "test_reconnection",
        "json_schema_2020_12_tool",
        "test_missing_capability",
        "test_streaming_elicitation",
        "test_logging_tool",
        "test_trigger_tool_change",
        "test_trigger_prompt_change",
        "test_x_mcp_header",
    ] {
        assert!(names.contains(&expected), "{expected} is not listed");
    }
    for tool in tools {
        let name = tool["name"].as_str().unwrap();
        assert!(
            (1..=128).contains(&name.len())
                && name
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || "_.-".contains(c)),
            "{name} breaks the tool-name SHOULD"
        );
        assert!(
            tool["description"].as_str().is_some_and(|d| !d.is_empty()),
            "{name} has no description"
        );
        assert_eq!(tool["inputSchema"]["type"], "object", "{name}");
    }
    // Stable order across calls (tools-list-deterministic-order).
    let again = wire.request("tools/list", json!({})).await.unwrap();
    assert_eq!(again, listed);

    let schema_of =
        |name: &str| tools.iter().find(|t| t["name"] == name).unwrap()["inputSchema"].clone();
    assert_eq!(schema_of("test_sampling")["required"], json!(["prompt"]));
    assert_eq!(
        schema_of("test_elicitation")["required"],
        json!(["message"])
    );
    assert_eq!(
        schema_of("test_x_mcp_header")["properties"]["region"]["x-mcp-header"],
        "Region"
    );
    // json-schema-2020-12: listed verbatim.
    assert_eq!(
        schema_of("json_schema_2020_12_tool"),
        json!({"$schema":"https://json-schema.org/draft/2020-12/schema","type":"object","$defs":{"address":{"$anchor":"addressDef","type":"object","properties":{"street":{"type":"string"},"city":{"type":"string"}}}},"properties":{"name":{"type":"string"},"address":{"$ref":"#/$defs/address"},"contactMethod":{"type":"string","enum":["phone","email"]},"phone":{"type":"string"},"email":{"type":"string"}},"allOf":[{"anyOf":[{"required":["phone"]},{"required":["email"]}]}],"if":{"properties":{"contactMethod":{"const":"phone"}},"required":["contactMethod"]},"then":{"required":["phone"]},"else":{"required":["email"]},"additionalProperties":false})
    );
}

#[tokio::test]
async fn content_tools_return_exactly_their_content() {
    let mut wire = Wire::suite_client().await;
    let cases = [
        (
            "test_simple_text",
            json!({"content": [{"type": "text", "text": "This is a simple text response for testing."}]}),
        ),
        (
            "test_image_content",
            json!({"content": [{"type": "image", "data": PNG, "mimeType": "image/png"}]}),
        ),
        (
            "test_audio_content",
            json!({"content": [{"type": "audio", "data": WAV, "mimeType": "audio/wav"}]}),
        ),
        (
            "test_embedded_resource",
            json!({"content": [{"type": "resource", "resource": {
                "uri": "test://embedded-resource",
                "mimeType": "text/plain",
                "text": "This is an embedded resource content."
            }}]}),
        ),
        (
            "test_multiple_content_types",
            json!({"content": [
                {"type": "text", "text": "Multiple content types test:"},
                {"type": "image", "data": PNG, "mimeType": "image/png"},
                {"type": "resource", "resource": {
                    "uri": "test://mixed-content-resource",
                    "mimeType": "application/json",
                    "text": "{\"test\":\"data\",\"value\":123}"
                }}
            ]}),
        ),
        (
            "test_error_handling",
            json!({"content": [{"type": "text", "text": "This tool intentionally returns an error for testing"}], "isError": true}),
        ),
    ];
    for (tool, expected) in cases {
        assert_eq!(wire.call(tool, json!({})).await, expected, "{tool}");
    }
}

#[tokio::test]
async fn an_unknown_tool_is_a_protocol_error_not_a_result() {
    let mut wire = Wire::suite_client().await;
    let err = wire
        .request(
            "tools/call",
            json!({"name": "no_such_tool", "arguments": {}}),
        )
        .await
        .unwrap_err();
    assert_eq!(err["code"], -32602);
}

#[tokio::test]
async fn progress_echoes_the_token_on_the_call_stream_about_50_ms_apart() {
    let mut wire = Wire::suite_client().await;
    let (result, sent) = wire
        .exchange(
            "tools/call",
            json!({"name": "test_tool_with_progress", "arguments": {}, "_meta": {"progressToken": "progress-test-1"}}),
            |r| panic!("unexpected request {r}"),
        )
        .await;
    let id = wire.last_id();
    assert_eq!(result.unwrap()["content"][0]["type"], "text");
    let progress: Vec<_> = sent
        .iter()
        .filter(|s| s.method() == Some("notifications/progress"))
        .collect();
    assert_eq!(progress.len(), 3, "{sent:?}");
    for (sent, value) in progress.iter().zip([0, 50, 100]) {
        assert_eq!(sent.route, related(id), "progress travels with the call");
        let params = &sent.message["params"];
        assert_eq!(params["progressToken"], "progress-test-1");
        assert_eq!(params["progress"], value);
        assert_eq!(params["total"], 100);
        assert_eq!(
            params["message"],
            format!("Completed step {value} of 100").as_str()
        );
    }
    for pair in progress.windows(2) {
        assert!(pair[1].at - pair[0].at >= Duration::from_millis(30));
    }
}

#[tokio::test]
async fn progress_without_a_token_sends_nothing_but_still_answers() {
    let mut wire = Wire::suite_client().await;
    let (result, sent) = wire
        .exchange(
            "tools/call",
            json!({"name": "test_tool_with_progress", "arguments": {}}),
            |r| panic!("unexpected request {r}"),
        )
        .await;
    assert!(result.is_ok());
    assert!(sent.is_empty(), "{sent:?}");
}

#[tokio::test]
async fn logging_sends_three_info_messages_during_the_call() {
    let mut wire = Wire::suite_client().await;
    assert_eq!(
        wire.request("logging/setLevel", json!({"level": "debug"}))
            .await,
        Ok(json!({}))
    );
    let (result, sent) = wire
        .exchange(
            "tools/call",
            json!({"name": "test_tool_with_logging", "arguments": {}}),
            |r| panic!("unexpected request {r}"),
        )
        .await;
    let id = wire.last_id();
    assert_eq!(
        result.unwrap(),
        json!({"content": [{"type": "text", "text": "Tool with logging executed successfully"}]})
    );
    let logs: Vec<_> = sent
        .iter()
        .filter(|s| s.method() == Some("notifications/message"))
        .collect();
    let data: Vec<&Value> = logs.iter().map(|s| &s.message["params"]["data"]).collect();
    assert_eq!(
        data,
        [
            "Tool execution started",
            "Tool processing data",
            "Tool execution completed"
        ]
    );
    for log in &logs {
        assert_eq!(log.message["params"]["level"], "info");
        assert_eq!(log.route, related(id));
    }
    assert!(logs[2].at - logs[0].at >= Duration::from_millis(60));
}

#[tokio::test]
async fn logging_respects_the_level_the_client_set() {
    let mut wire = Wire::suite_client().await;
    wire.request("logging/setLevel", json!({"level": "warning"}))
        .await
        .unwrap();
    let (_, sent) = wire
        .exchange(
            "tools/call",
            json!({"name": "test_tool_with_logging", "arguments": {}}),
            |r| panic!("unexpected request {r}"),
        )
        .await;
    assert!(sent.is_empty(), "info logs pass a warning level: {sent:?}");
}

#[tokio::test]
async fn sampling_asks_the_client_on_the_call_stream() {
    let mut wire = Wire::suite_client().await;
    let (result, sent) = wire
        .exchange(
            "tools/call",
            json!({"name": "test_sampling", "arguments": {"prompt": "Test prompt for sampling"}}),
            |_| {
                json!({
                    "role": "assistant",
                    "content": {"type": "text", "text": "This is a test response from the client"},
                    "model": "test-model",
                    "stopReason": "endTurn"
                })
            },
        )
        .await;
    let id = wire.last_id();
    let asked: Vec<_> = sent
        .iter()
        .filter(|s| s.method() == Some("sampling/createMessage"))
        .collect();
    assert_eq!(asked.len(), 1);
    assert_eq!(asked[0].route, related(id));
    assert_eq!(
        asked[0].message["params"],
        json!({
            "messages": [{"role": "user", "content": {"type": "text", "text": "Test prompt for sampling"}}],
            "maxTokens": 100
        })
    );
    assert_eq!(
        result.unwrap(),
        json!({"content": [{"type": "text", "text": "LLM response: This is a test response from the client"}]})
    );
}

#[tokio::test]
async fn sampling_without_the_capability_is_a_tool_error() {
    let (mut wire, _) = Wire::initialized(json!({})).await;
    let result = wire
        .call("test_sampling", json!({"prompt": "anything"}))
        .await;
    assert_eq!(result["isError"], true);
}

/// Calls an eliciting tool, answers with `content`, and returns (requested params, result).
async fn elicit(tool: &str, arguments: Value, content: Value) -> (Value, Value) {
    let mut wire = Wire::suite_client().await;
    let (result, sent) = wire
        .exchange(
            "tools/call",
            json!({"name": tool, "arguments": arguments}),
            |_| json!({"action": "accept", "content": content}),
        )
        .await;
    let id = wire.last_id();
    let asked: Vec<_> = sent
        .iter()
        .filter(|s| s.method() == Some("elicitation/create"))
        .collect();
    assert_eq!(asked.len(), 1, "{tool}: {sent:?}");
    assert_eq!(asked[0].route, related(id));
    (asked[0].message["params"].clone(), result.unwrap())
}

#[tokio::test]
async fn elicitation_asks_for_username_and_email() {
    let (params, result) = elicit(
        "test_elicitation",
        json!({"message": "Please provide your information"}),
        json!({"username": "testuser", "email": "test@example.com"}),
    )
    .await;
    assert_eq!(params["message"], "Please provide your information");
    assert_eq!(
        params["requestedSchema"],
        json!({
            "type": "object",
            "properties": {
                "username": {"type": "string", "description": "User's response"},
                "email": {"type": "string", "description": "User's email address"}
            },
            "required": ["username", "email"]
        })
    );
    assert_eq!(
        result["content"][0]["text"],
        r#"User response: action=accept, content={"email":"test@example.com","username":"testuser"}"#
    );
}

#[tokio::test]
async fn sep1034_defaults_cover_every_primitive_type() {
    let (params, result) = elicit(
        "test_elicitation_sep1034_defaults",
        json!({}),
        json!({"name": "Jane Smith", "age": 25, "score": 88, "status": "inactive", "verified": false}),
    )
    .await;
    let properties = &params["requestedSchema"]["properties"];
    let expect = [
        ("name", "string", json!("John Doe")),
        ("age", "integer", json!(30)),
        ("score", "number", json!(95.5)),
        ("status", "string", json!("active")),
        ("verified", "boolean", json!(true)),
    ];
    for (field, kind, default) in expect {
        assert_eq!(properties[field]["type"], kind, "{field}");
        // Exact JSON: 30 must be an integer, not 30.0.
        assert_eq!(properties[field]["default"], default, "{field}");
    }
    assert_eq!(properties["age"]["default"].to_string(), "30");
    assert_eq!(
        properties["status"]["enum"],
        json!(["active", "inactive", "pending"])
    );
    assert_eq!(params["requestedSchema"]["required"], json!([]));
    assert!(
        result["content"][0]["text"]
            .as_str()
            .unwrap()
            .starts_with("Elicitation completed: action=accept, content={")
    );
}

#[tokio::test]
async fn sep1330_sends_all_five_enum_variants() {
    let (params, result) = elicit(
        "test_elicitation_sep1330_enums",
        json!({}),
        json!({"untitledSingle": "option1", "titledSingle": "value1", "legacyEnum": "opt1",
               "untitledMulti": ["option1", "option2"], "titledMulti": ["value1", "value2"]}),
    )
    .await;
    let p = &params["requestedSchema"]["properties"];
    assert_eq!(p["untitledSingle"]["type"], "string");
    assert_eq!(
        p["untitledSingle"]["enum"],
        json!(["option1", "option2", "option3"])
    );
    assert!(p["untitledSingle"].get("oneOf").is_none());
    assert!(p["untitledSingle"].get("enumNames").is_none());

    assert_eq!(p["titledSingle"]["type"], "string");
    assert_eq!(
        p["titledSingle"]["oneOf"],
        json!([
            {"const": "value1", "title": "First Option"},
            {"const": "value2", "title": "Second Option"},
            {"const": "value3", "title": "Third Option"}
        ])
    );
    assert!(p["titledSingle"].get("enum").is_none());

    assert_eq!(p["legacyEnum"]["enum"], json!(["opt1", "opt2", "opt3"]));
    assert_eq!(
        p["legacyEnum"]["enumNames"],
        json!(["Option One", "Option Two", "Option Three"])
    );

    assert_eq!(p["untitledMulti"]["type"], "array");
    assert_eq!(
        p["untitledMulti"]["items"],
        json!({"type": "string", "enum": ["option1", "option2", "option3"]})
    );
    assert_eq!(p["untitledMulti"]["minItems"], 1);
    assert_eq!(p["untitledMulti"]["maxItems"], 3);

    assert_eq!(p["titledMulti"]["type"], "array");
    assert_eq!(
        p["titledMulti"]["items"],
        json!({"anyOf": [
            {"const": "value1", "title": "First Choice"},
            {"const": "value2", "title": "Second Choice"},
            {"const": "value3", "title": "Third Choice"}
        ]})
    );
    assert!(
        result["content"][0]["text"]
            .as_str()
            .unwrap()
            .contains(r#""titledMulti":["value1","value2"]"#)
    );
}

#[tokio::test]
async fn resources_list_starts_with_static_text_and_describes_each() {
    let mut wire = Wire::suite_client().await;
    let listed = wire.request("resources/list", json!({})).await.unwrap();
    let resources = listed["resources"].as_array().unwrap();
    assert_eq!(
        resources[0],
        json!({
            "uri": "test://static-text",
            "name": "static-text",
            "title": "Static text resource",
            "description": "A static text resource for testing",
            "mimeType": "text/plain"
        })
    );
    let uris: Vec<&str> = resources
        .iter()
        .map(|r| r["uri"].as_str().unwrap())
        .collect();
    assert_eq!(
        uris,
        [
            "test://static-text",
            "test://static-binary",
            "test://watched-resource"
        ]
    );
    for r in resources {
        assert!(r["name"].is_string() && r["description"].is_string(), "{r}");
    }
    let templates = wire
        .request("resources/templates/list", json!({}))
        .await
        .unwrap();
    assert_eq!(
        templates["resourceTemplates"][0]["uriTemplate"],
        "test://template/{id}/data"
    );
    assert_eq!(
        templates["resourceTemplates"][0]["mimeType"],
        "application/json"
    );
}

#[tokio::test]
async fn resources_read_exact_contents() {
    let mut wire = Wire::suite_client().await;
    let cases = [
        (
            "test://static-text",
            json!({"uri": "test://static-text", "mimeType": "text/plain", "text": "This is the content of the static text resource."}),
        ),
        (
            "test://static-binary",
            json!({"uri": "test://static-binary", "mimeType": "image/png", "blob": PNG}),
        ),
        (
            "test://watched-resource",
            json!({"uri": "test://watched-resource", "mimeType": "text/plain", "text": "Watched resource content"}),
        ),
        (
            "test://template/123/data",
            json!({"uri": "test://template/123/data", "mimeType": "application/json",
                   "text": "{\"id\":\"123\",\"templateTest\":true,\"data\":\"Data for ID: 123\"}"}),
        ),
    ];
    for (uri, contents) in cases {
        let read = wire
            .request("resources/read", json!({"uri": uri}))
            .await
            .unwrap();
        assert_eq!(read, json!({"contents": [contents]}), "{uri}");
    }
}

#[tokio::test]
async fn an_unknown_resource_is_an_error_naming_the_uri() {
    let mut wire = Wire::suite_client().await;
    let uri = "test://nonexistent-resource-for-conformance-testing";
    let err = wire
        .request("resources/read", json!({"uri": uri}))
        .await
        .unwrap_err();
    assert_eq!(err["data"]["uri"], uri);
}

#[tokio::test]
async fn subscribe_and_unsubscribe_answer_empty_objects() {
    let mut wire = Wire::suite_client().await;
    let uri = json!({"uri": "test://watched-resource"});
    assert_eq!(
        wire.request("resources/subscribe", uri.clone()).await,
        Ok(json!({}))
    );
    assert_eq!(
        wire.request("resources/unsubscribe", uri).await,
        Ok(json!({}))
    );
}

#[tokio::test]
async fn prompts_are_listed_with_descriptions_and_render_exactly() {
    let mut wire = Wire::suite_client().await;
    let listed = wire.request("prompts/list", json!({})).await.unwrap();
    let names: Vec<&str> = listed["prompts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            assert!(p["description"].is_string(), "{p}");
            p["name"].as_str().unwrap()
        })
        .collect();
    assert_eq!(
        names,
        [
            "test_simple_prompt",
            "test_prompt_with_arguments",
            "test_prompt_with_embedded_resource",
            "test_prompt_with_image",
            "test_input_required_result_prompt"
        ]
    );
    let user = |content: Value| json!({"role": "user", "content": content});
    let cases = [
        (
            json!({"name": "test_simple_prompt"}),
            vec![user(
                json!({"type": "text", "text": "This is a simple prompt for testing."}),
            )],
        ),
        (
            json!({"name": "test_prompt_with_arguments", "arguments": {"arg1": "testValue1", "arg2": "testValue2"}}),
            vec![user(
                json!({"type": "text", "text": "Prompt with arguments: arg1='testValue1', arg2='testValue2'"}),
            )],
        ),
        (
            json!({"name": "test_prompt_with_embedded_resource", "arguments": {"resourceUri": "test://example-resource"}}),
            vec![
                user(json!({"type": "resource", "resource": {
                    "uri": "test://example-resource",
                    "mimeType": "text/plain",
                    "text": "Embedded resource content for testing."
                }})),
                user(
                    json!({"type": "text", "text": "Please process the embedded resource above."}),
                ),
            ],
        ),
        (
            json!({"name": "test_prompt_with_image"}),
            vec![
                user(json!({"type": "image", "data": PNG, "mimeType": "image/png"})),
                user(json!({"type": "text", "text": "Please analyze the image above."})),
            ],
        ),
    ];
    for (params, messages) in cases {
        let got = wire.request("prompts/get", params.clone()).await.unwrap();
        assert_eq!(got, json!({"messages": messages}), "{params}");
    }
    let missing = wire
        .request(
            "prompts/get",
            json!({"name": "test_prompt_with_arguments", "arguments": {"arg1": "only"}}),
        )
        .await
        .unwrap_err();
    assert_eq!(missing["code"], -32602);
}

#[tokio::test]
async fn completion_suggests_values_for_arg1() {
    let mut wire = Wire::suite_client().await;
    let done = wire
        .request(
            "completion/complete",
            json!({"ref": {"type": "ref/prompt", "name": "test_prompt_with_arguments"},
                   "argument": {"name": "arg1", "value": "test"}}),
        )
        .await
        .unwrap();
    assert_eq!(
        done,
        json!({"completion": {"values": ["testValue1", "testValue2"], "total": 2, "hasMore": false}})
    );
    let template = wire
        .request(
            "completion/complete",
            json!({"ref": {"type": "ref/resource", "uri": "test://template/{id}/data"},
                   "argument": {"name": "id", "value": "1"}}),
        )
        .await
        .unwrap();
    assert_eq!(template["completion"]["values"], json!(["123"]));
}

#[tokio::test]
async fn trigger_tools_announce_list_changes_without_changing_the_lists() {
    let mut wire = Wire::suite_client().await;
    let before = wire.request("tools/list", json!({})).await.unwrap();
    let (result, mut sent) = wire
        .exchange(
            "tools/call",
            json!({"name": "test_trigger_tool_change", "arguments": {}}),
            |r| panic!("unexpected request {r}"),
        )
        .await;
    assert_eq!(result.unwrap()["content"][0]["text"], "Tool list changed");
    // The announcement is not tied to the call, so it may come just after the response.
    if !sent
        .iter()
        .any(|s| s.method() == Some("notifications/tools/list_changed"))
    {
        sent.push(wire.recv().await);
    }
    let announced = sent
        .iter()
        .find(|s| s.method() == Some("notifications/tools/list_changed"))
        .expect("tools/list_changed");
    assert_eq!(announced.route, spate::engine::Route::Standalone);
    assert_eq!(wire.request("tools/list", json!({})).await.unwrap(), before);

    let (result, mut sent) = wire
        .exchange(
            "tools/call",
            json!({"name": "test_trigger_prompt_change", "arguments": {}}),
            |r| panic!("unexpected request {r}"),
        )
        .await;
    assert_eq!(result.unwrap()["content"][0]["text"], "Prompt list changed");
    if !sent
        .iter()
        .any(|s| s.method() == Some("notifications/prompts/list_changed"))
    {
        sent.push(wire.recv().await);
    }
    assert!(
        sent.iter()
            .any(|s| s.method() == Some("notifications/prompts/list_changed"))
    );
}

#[tokio::test]
async fn the_2026_oriented_tools_answer_in_the_legacy_era() {
    let mut wire = Wire::suite_client().await;
    let streaming = wire.call("test_streaming_elicitation", json!({})).await;
    assert!(streaming.get("isError").is_none());
    let header = wire
        .call("test_x_mcp_header", json!({"region": "Hello", "level": 2}))
        .await;
    assert_eq!(header["content"][0]["text"], "region=Hello");
    let schema_tool = wire
        .call(
            "json_schema_2020_12_tool",
            json!({"name": "Ada", "email": "a@b.c"}),
        )
        .await;
    assert!(schema_tool.get("isError").is_none());
    // On a legacy session the tool really asks the client's model.
    let (with_sampling, sent) = wire
        .exchange(
            "tools/call",
            json!({"name": "test_missing_capability", "arguments": {}}),
            |request| {
                assert_eq!(request["method"], "sampling/createMessage");
                json!({"role": "assistant", "content": {"type": "text", "text": "hi"}, "model": "m"})
            },
        )
        .await;
    assert_eq!(
        with_sampling.unwrap()["content"][0]["text"],
        "The model said: hi"
    );
    assert!(
        sent.iter()
            .any(|s| s.message["method"] == "sampling/createMessage")
    );
    let reconnection = wire.call("test_reconnection", json!({})).await;
    assert_eq!(
        reconnection["content"][0]["text"],
        "Reconnection test completed"
    );

    let (mut bare, _) = Wire::initialized(json!({})).await;
    let without = bare.call("test_missing_capability", json!({})).await;
    assert_eq!(without["isError"], true);
}
