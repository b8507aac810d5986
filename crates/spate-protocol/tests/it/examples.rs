//! Every example of the 2026-07-28 schema decodes into our type for its folder and
//! re-encodes to the same JSON.
//!
//! The folder name is the schema type. `*Request` / `*Notification` folders hold JSON-RPC
//! messages (or, for the MRTR input requests, `{method, params}` objects); `*ResultResponse`
//! folders hold responses whose `result` is that result type; `*Error` folders hold either
//! an error object or a whole error response.

use std::collections::BTreeMap;
use std::fmt::Debug;

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use spate_protocol::jsonrpc::{decode_message, to_raw};
use spate_protocol::*;

use crate::common;

/// Decodes into `T` and re-encodes.
fn via<T: DeserializeOwned + Serialize>(value: &Value) -> Result<Value, String> {
    let typed: T = serde_json::from_value(value.clone()).map_err(|e| e.to_string())?;
    serde_json::to_value(&typed).map_err(|e| e.to_string())
}

/// Decodes into `T`, checks the variant, re-encodes.
fn via_checked<T: DeserializeOwned + Serialize + Debug>(
    value: &Value,
    ok: impl Fn(&T) -> bool,
) -> Result<Value, String> {
    let typed: T = serde_json::from_value(value.clone()).map_err(|e| e.to_string())?;
    if !ok(&typed) {
        return Err(format!("decoded into the wrong variant: {typed:?}"));
    }
    serde_json::to_value(&typed).map_err(|e| e.to_string())
}

fn message_value(message: Message) -> Result<Value, String> {
    serde_json::from_slice(&message.encode()).map_err(|e| e.to_string())
}

/// A JSON-RPC request whose params are `P`, through our envelope decoder.
fn request<P: DeserializeOwned + Serialize>(value: &Value, method: &str) -> Result<Value, String> {
    let bytes = serde_json::to_vec(value).unwrap();
    let Message::Request(req) = decode_message(&bytes).map_err(|e| e.to_string())? else {
        return Err("not a request".into());
    };
    if req.method != method {
        return Err(format!("method {} is not {method}", req.method));
    }
    let params: P = req.parse_params().map_err(|e| e.to_string())?;
    message_value(Message::Request(Request::new(req.id, req.method, &params)))
}

/// A JSON-RPC notification whose params are `P`.
fn notification<P: DeserializeOwned + Serialize>(
    value: &Value,
    method: &str,
) -> Result<Value, String> {
    let bytes = serde_json::to_vec(value).unwrap();
    let Message::Notification(n) = decode_message(&bytes).map_err(|e| e.to_string())? else {
        return Err("not a notification".into());
    };
    if n.method != method {
        return Err(format!("method {} is not {method}", n.method));
    }
    let rebuilt = match &n.params {
        None => Notification {
            method: n.method.clone(),
            params: None,
        },
        Some(_) => {
            let params: P = n.parse_params().map_err(|e| e.to_string())?;
            Notification::new(n.method.clone(), &params)
        }
    };
    message_value(Message::Notification(rebuilt))
}

/// A JSON-RPC result response whose result is `R`.
fn response<R: DeserializeOwned + Serialize>(value: &Value) -> Result<Value, String> {
    let bytes = serde_json::to_vec(value).unwrap();
    let Message::Response(resp) = decode_message(&bytes).map_err(|e| e.to_string())? else {
        return Err("not a response".into());
    };
    let ResponseBody::Result(raw) = &resp.body else {
        return Err("not a result".into());
    };
    let result: R = serde_json::from_str(raw.get()).map_err(|e| e.to_string())?;
    let id = resp.id.clone().ok_or("result without id")?;
    message_value(Message::Response(Response::result(id, &result)))
}

/// A JSON-RPC error response; its `data` decoded as `D` when given.
fn error_response<D: DeserializeOwned + Serialize>(
    value: &Value,
    code: i64,
) -> Result<Value, String> {
    let bytes = serde_json::to_vec(value).unwrap();
    let Message::Response(resp) = decode_message(&bytes).map_err(|e| e.to_string())? else {
        return Err("not a response".into());
    };
    let ResponseBody::Error(mut error) = resp.body else {
        return Err("not an error".into());
    };
    if error.code != code {
        return Err(format!("code {} is not {code}", error.code));
    }
    if let Some(data) = error.data.take() {
        let typed: D = serde_json::from_value(data).map_err(|e| format!("data: {e}"))?;
        error.data = Some(serde_json::to_value(typed).unwrap());
    }
    message_value(Message::Response(Response::error(resp.id, error)))
}

/// A bare error object.
fn error_object(value: &Value, code: i64) -> Result<Value, String> {
    via_checked::<ErrorObject>(value, |e| e.code == code)
}

/// An MRTR input request (`{method, params}`), through a loose envelope that keeps an
/// optional `id` / `jsonrpc` (the `ListRootsRequest` example carries an `id`), and through
/// [`InputRequest`], which must equal the value without them.
fn input_request<P: DeserializeOwned + Serialize>(
    value: &Value,
    method: &str,
) -> Result<Value, String> {
    #[derive(Serialize, Deserialize)]
    struct Loose<P> {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        jsonrpc: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        id: Option<RequestId>,
        method: String,
        #[serde(default = "none", skip_serializing_if = "Option::is_none")]
        params: Option<P>,
    }
    fn none<P>() -> Option<P> {
        None
    }
    let loose: Loose<P> = serde_json::from_value(value.clone()).map_err(|e| e.to_string())?;
    if loose.method != method {
        return Err(format!("method {} is not {method}", loose.method));
    }
    let typed: InputRequest = serde_json::from_value(value.clone()).map_err(|e| e.to_string())?;
    if typed.method() != method {
        return Err(format!("InputRequest decoded as {}", typed.method()));
    }
    let mut bare = value.clone();
    if let Value::Object(m) = &mut bare {
        m.remove("id");
        m.remove("jsonrpc");
    }
    let again = serde_json::to_value(&typed).unwrap();
    if again != bare {
        return Err(format!("InputRequest re-encodes to {again}"));
    }
    serde_json::to_value(&loose).map_err(|e| e.to_string())
}

fn is_form(p: &ElicitRequestParams) -> bool {
    matches!(p, ElicitRequestParams::Form { .. })
}

fn is_url(p: &ElicitRequestParams) -> bool {
    matches!(p, ElicitRequestParams::Url { .. })
}

/// Decodes one example of `folder` and returns its re-encoding.
fn reencode(folder: &str, v: &Value) -> Result<Value, String> {
    use PrimitiveSchemaDefinition as P;
    use methods as m;
    type Psd = PrimitiveSchemaDefinition;
    match folder {
        // Content blocks are decoded through their tagged unions.
        "TextContent" => via_checked::<ContentBlock>(v, |c| matches!(c, ContentBlock::Text(_))),
        "ImageContent" => via_checked::<ContentBlock>(v, |c| matches!(c, ContentBlock::Image(_))),
        "AudioContent" => via_checked::<ContentBlock>(v, |c| matches!(c, ContentBlock::Audio(_))),
        "ResourceLink" => {
            via_checked::<ContentBlock>(v, |c| matches!(c, ContentBlock::ResourceLink(_)))
        }
        "EmbeddedResource" => {
            via_checked::<ContentBlock>(v, |c| matches!(c, ContentBlock::Resource(_)))
        }
        "ToolUseContent" => via_checked::<SamplingContentBlock>(v, |c| {
            matches!(c, SamplingContentBlock::ToolUse(_))
        }),
        "ToolResultContent" => via_checked::<SamplingContentBlock>(v, |c| {
            matches!(c, SamplingContentBlock::ToolResult(_))
        }),
        "TextResourceContents" => {
            via_checked::<ResourceContents>(v, |c| matches!(c, ResourceContents::Text(_)))
        }
        "BlobResourceContents" => {
            via_checked::<ResourceContents>(v, |c| matches!(c, ResourceContents::Blob(_)))
        }
        // Elicitation form properties.
        "StringSchema" => via_checked::<Psd>(v, |p| matches!(p, P::String(_))),
        "NumberSchema" => via_checked::<Psd>(v, |p| matches!(p, P::Number(_))),
        "BooleanSchema" => via_checked::<Psd>(v, |p| matches!(p, P::Boolean(_))),
        "UntitledSingleSelectEnumSchema" => {
            via_checked::<Psd>(v, |p| matches!(p, P::UntitledSingleSelect(_)))
        }
        "TitledSingleSelectEnumSchema" => {
            via_checked::<Psd>(v, |p| matches!(p, P::TitledSingleSelect(_)))
        }
        "UntitledMultiSelectEnumSchema" => {
            via_checked::<Psd>(v, |p| matches!(p, P::UntitledMultiSelect(_)))
        }
        "TitledMultiSelectEnumSchema" => {
            via_checked::<Psd>(v, |p| matches!(p, P::TitledMultiSelect(_)))
        }
        "ElicitRequestFormParams" => via_checked::<ElicitRequestParams>(v, is_form),
        "ElicitRequestURLParams" => via_checked::<ElicitRequestParams>(v, is_url),
        // Plain types.
        "CallToolRequestParams" => via::<CallToolRequestParams>(v),
        "CallToolResult" => via::<CallToolResult>(v),
        "CancelledNotificationParams" => via::<CancelledNotificationParams>(v),
        "ClientCapabilities" => via::<ClientCapabilities>(v),
        "ServerCapabilities" => via::<ServerCapabilities>(v),
        "CompleteRequestParams" => via::<CompleteRequestParams>(v),
        "CompleteResult" => via::<CompleteResult>(v),
        "CreateMessageRequestParams" => via::<CreateMessageRequestParams>(v),
        "CreateMessageResult" => via::<CreateMessageResult>(v),
        "DiscoverResult" => via::<DiscoverResult>(v),
        "ElicitResult" => via::<ElicitResult>(v),
        "GetPromptRequestParams" => via::<GetPromptRequestParams>(v),
        "GetPromptResult" => via::<GetPromptResult>(v),
        "InputRequests" => via::<BTreeMap<String, InputRequest>>(v),
        "InputResponses" => via::<BTreeMap<String, InputResponse>>(v),
        "InputRequiredResult" => via::<InputRequiredResult>(v),
        "ListPromptsResult" => via::<ListPromptsResult>(v),
        "ListResourceTemplatesResult" => via::<ListResourceTemplatesResult>(v),
        "ListResourcesResult" => via::<ListResourcesResult>(v),
        "ListRootsResult" => via::<ListRootsResult>(v),
        "ListToolsResult" => via::<ListToolsResult>(v),
        "LoggingMessageNotificationParams" => via::<LoggingMessageNotificationParams>(v),
        "ModelPreferences" => via::<ModelPreferences>(v),
        "PaginatedRequestParams" => via::<PaginatedRequestParams>(v),
        "ProgressNotificationParams" => via::<ProgressNotificationParams>(v),
        "ReadResourceResult" => via::<ReadResourceResult>(v),
        "Resource" => via::<Resource>(v),
        "ResourceUpdatedNotificationParams" => via::<ResourceUpdatedNotificationParams>(v),
        "Root" => via::<Root>(v),
        "SamplingMessage" => via::<SamplingMessage>(v),
        "SubscriptionsListenResult" => via::<SubscriptionsListenResult>(v),
        "Tool" => via::<Tool>(v),
        // JSON-RPC requests.
        "CallToolRequest" => request::<CallToolRequestParams>(v, m::TOOLS_CALL),
        "CompleteRequest" => request::<CompleteRequestParams>(v, m::COMPLETION_COMPLETE),
        "DiscoverRequest" => request::<DiscoverRequestParams>(v, m::SERVER_DISCOVER),
        "GetPromptRequest" => request::<GetPromptRequestParams>(v, m::PROMPTS_GET),
        "ListPromptsRequest" => request::<PaginatedRequestParams>(v, m::PROMPTS_LIST),
        "ListResourceTemplatesRequest" => {
            request::<PaginatedRequestParams>(v, m::RESOURCES_TEMPLATES_LIST)
        }
        "ListResourcesRequest" => request::<PaginatedRequestParams>(v, m::RESOURCES_LIST),
        "ListToolsRequest" => request::<PaginatedRequestParams>(v, m::TOOLS_LIST),
        "ReadResourceRequest" => request::<ReadResourceRequestParams>(v, m::RESOURCES_READ),
        "SubscriptionsListenRequest" => {
            request::<SubscriptionsListenRequestParams>(v, m::SUBSCRIPTIONS_LISTEN)
        }
        // MRTR input requests: `{method, params}`.
        "CreateMessageRequest" => {
            input_request::<CreateMessageRequestParams>(v, m::SAMPLING_CREATE_MESSAGE)
        }
        "ElicitRequest" => input_request::<ElicitRequestParams>(v, m::ELICITATION_CREATE),
        "ListRootsRequest" => input_request::<ListRootsRequestParams>(v, m::ROOTS_LIST),
        // JSON-RPC notifications.
        "CancelledNotification" => {
            notification::<CancelledNotificationParams>(v, m::NOTIFICATIONS_CANCELLED)
        }
        "LoggingMessageNotification" => {
            notification::<LoggingMessageNotificationParams>(v, m::NOTIFICATIONS_MESSAGE)
        }
        "ProgressNotification" => {
            notification::<ProgressNotificationParams>(v, m::NOTIFICATIONS_PROGRESS)
        }
        "PromptListChangedNotification" => {
            notification::<NotificationParams>(v, m::NOTIFICATIONS_PROMPTS_LIST_CHANGED)
        }
        "ResourceListChangedNotification" => {
            notification::<NotificationParams>(v, m::NOTIFICATIONS_RESOURCES_LIST_CHANGED)
        }
        "ToolListChangedNotification" => {
            notification::<NotificationParams>(v, m::NOTIFICATIONS_TOOLS_LIST_CHANGED)
        }
        "ResourceUpdatedNotification" => {
            notification::<ResourceUpdatedNotificationParams>(v, m::NOTIFICATIONS_RESOURCES_UPDATED)
        }
        "SubscriptionsAcknowledgedNotification" => notification::<
            SubscriptionsAcknowledgedNotificationParams,
        >(
            v, m::NOTIFICATIONS_SUBSCRIPTIONS_ACKNOWLEDGED
        ),
        // JSON-RPC result responses.
        "CallToolResultResponse" => response::<CallToolResult>(v),
        "CompleteResultResponse" => response::<CompleteResult>(v),
        "DiscoverResultResponse" => response::<DiscoverResult>(v),
        "GetPromptResultResponse" => response::<GetPromptResult>(v),
        "ListPromptsResultResponse" => response::<ListPromptsResult>(v),
        "ListResourceTemplatesResultResponse" => response::<ListResourceTemplatesResult>(v),
        "ListResourcesResultResponse" => response::<ListResourcesResult>(v),
        "ListToolsResultResponse" => response::<ListToolsResult>(v),
        "ReadResourceResultResponse" => response::<ReadResourceResult>(v),
        "SubscriptionsListenResultResponse" => response::<SubscriptionsListenResult>(v),
        // Errors: whole responses with typed data, or bare error objects.
        "UnsupportedProtocolVersionError" => error_response::<UnsupportedProtocolVersionData>(
            v,
            error_code::UNSUPPORTED_PROTOCOL_VERSION,
        ),
        "MissingRequiredClientCapabilityError" => {
            error_response::<MissingRequiredClientCapabilityData>(
                v,
                error_code::MISSING_REQUIRED_CLIENT_CAPABILITY,
            )
        }
        "HeaderMismatchError" => error_response::<Value>(v, error_code::HEADER_MISMATCH),
        "ParseError" => error_object(v, error_code::PARSE_ERROR),
        "InvalidParamsError" => error_object(v, error_code::INVALID_PARAMS),
        "InternalError" => error_object(v, error_code::INTERNAL_ERROR),
        "MethodNotFoundError" => error_object(v, error_code::METHOD_NOT_FOUND),
        other => Err(format!("no type mapped for example folder {other}")),
    }
}

#[test]
fn every_2026_example_round_trips_through_its_type() {
    let dir = common::spec_dir().join("schema/2026-07-28/examples");
    assert!(dir.is_dir(), "examples missing at {}", dir.display());
    let mut folders: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_dir())
        .collect();
    folders.sort();
    let mut checked = 0;
    let mut failures = Vec::new();
    for folder in &folders {
        let name = folder.file_name().unwrap().to_str().unwrap().to_owned();
        let mut files: Vec<_> = std::fs::read_dir(folder)
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.extension().is_some_and(|e| e == "json"))
            .collect();
        files.sort();
        assert!(!files.is_empty(), "{name} has no examples");
        for file in files {
            let text = std::fs::read_to_string(&file).unwrap();
            let value: Value = serde_json::from_str(&text).unwrap();
            let label = format!("{name}/{}", file.file_name().unwrap().to_str().unwrap());
            match reencode(&name, &value) {
                Ok(again) if again == value => {}
                Ok(again) => failures.push(format!(
                    "{label}: re-encodes differently\n  was {value}\n  now {again}"
                )),
                Err(e) => failures.push(format!("{label}: {e}")),
            }
            checked += 1;
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {checked} examples fail:\n{}",
        failures.len(),
        failures.join("\n")
    );
    assert!(checked >= 100, "only {checked} examples found");
    // The raw-params path stays in use: `to_raw` of a typed value is what the engine sends.
    assert_eq!(to_raw(&EmptyResult::default()).get(), "{}");
}
