//! Lifecycle, capabilities, tools, resources, prompts, completion, logging, notifications.

use std::collections::BTreeMap;

use proptest::collection::{btree_map, vec};
use proptest::prelude::*;
use serde_json::{Value, json};
use spate_protocol::*;

use super::content::{content_block, icons, resource, resource_contents, resource_template, role};
use super::{
    MetaKind, any_json, any_object, big_u64, logging_level, meta, name, number, opt, plain_object,
    progress_token, request_id, safe_u64, text, uri,
};

pub fn implementation() -> BoxedStrategy<Implementation> {
    (
        name(),
        text(),
        opt(text()),
        opt(text()),
        opt(uri()),
        icons(),
    )
        .prop_map(
            |(name, version, title, description, website_url, icons)| Implementation {
                name,
                version,
                title,
                description,
                website_url,
                icons,
            },
        )
        .boxed()
}

fn ext_map() -> BoxedStrategy<Option<BTreeMap<String, JsonObject>>> {
    opt(btree_map(
        prop_oneof![
            Just("io.modelcontextprotocol/tasks".to_owned()),
            "[a-z]{1,5}\\.[a-z]{1,5}/[a-z]{1,6}"
        ],
        plain_object(),
        0..3,
    ))
    .boxed()
}

pub fn server_capabilities() -> BoxedStrategy<ServerCapabilities> {
    let tasks = opt(
        (opt(plain_object()), opt(plain_object()), any::<bool>()).prop_map(
            |(list, cancel, call)| ServerTasksCapability {
                list,
                cancel,
                requests: call.then(|| ServerTaskRequests {
                    tools: Some(ToolsTaskRequests {
                        call: Some(JsonObject::new()),
                    }),
                }),
            },
        ),
    );
    (
        ext_map(),
        opt(plain_object()),
        opt(plain_object()),
        opt(opt(any::<bool>())),
        opt((opt(any::<bool>()), opt(any::<bool>()))),
        opt(opt(any::<bool>())),
        tasks,
        ext_map(),
    )
        .prop_map(
            |(experimental, logging, completions, prompts, resources, tools, tasks, extensions)| {
                ServerCapabilities {
                    experimental,
                    logging,
                    completions,
                    prompts: prompts.map(|list_changed| PromptsCapability { list_changed }),
                    resources: resources.map(|(subscribe, list_changed)| ResourcesCapability {
                        subscribe,
                        list_changed,
                    }),
                    tools: tools.map(|list_changed| ToolsCapability { list_changed }),
                    tasks,
                    extensions,
                    // The events extension's top-level key is not generated: there is no
                    // published schema to check it against (the events module's own
                    // tests cover it).
                    events: None,
                }
            },
        )
        .boxed()
}

pub fn client_capabilities() -> BoxedStrategy<ClientCapabilities> {
    let tasks = opt((
        opt(plain_object()),
        opt(plain_object()),
        any::<bool>(),
        any::<bool>(),
    )
        .prop_map(
            |(list, cancel, sampling, elicitation)| ClientTasksCapability {
                list,
                cancel,
                requests: Some(ClientTaskRequests {
                    sampling: sampling.then(|| SamplingTaskRequests {
                        create_message: Some(JsonObject::new()),
                    }),
                    elicitation: elicitation.then(|| ElicitationTaskRequests {
                        create: Some(JsonObject::new()),
                    }),
                }),
            },
        ));
    (
        ext_map(),
        opt(opt(any::<bool>())),
        opt((opt(plain_object()), opt(plain_object()))),
        opt((opt(plain_object()), opt(plain_object()))),
        tasks,
        ext_map(),
    )
        .prop_map(
            |(experimental, roots, sampling, elicitation, tasks, extensions)| ClientCapabilities {
                experimental,
                roots: roots.map(|list_changed| RootsCapability { list_changed }),
                sampling: sampling.map(|(context, tools)| SamplingCapability { context, tools }),
                elicitation: elicitation.map(|(form, url)| ElicitationCapability { form, url }),
                tasks,
                extensions,
            },
        )
        .boxed()
}

pub fn initialize_params() -> BoxedStrategy<InitializeRequestParams> {
    (
        prop_oneof![
            Just("2024-11-05".to_owned()),
            Just("2025-11-25".to_owned()),
            text()
        ],
        client_capabilities(),
        implementation(),
        meta(MetaKind::Request),
    )
        .prop_map(
            |(protocol_version, capabilities, client_info, meta)| InitializeRequestParams {
                protocol_version,
                capabilities,
                client_info,
                meta,
            },
        )
        .boxed()
}

pub fn initialize_result() -> BoxedStrategy<InitializeResult> {
    (
        prop_oneof![Just("2025-06-18".to_owned()), text()],
        server_capabilities(),
        implementation(),
        opt(text()),
        meta(MetaKind::Result),
    )
        .prop_map(
            |(protocol_version, capabilities, server_info, instructions, meta)| InitializeResult {
                protocol_version,
                capabilities,
                server_info,
                instructions,
                meta,
            },
        )
        .boxed()
}

/// A tool input schema: object root (sometimes without `type`, which fit fills), simple
/// properties, some with `x-mcp-header`.
pub fn input_schema() -> BoxedStrategy<JsonObject> {
    let property = (
        prop::sample::select(vec!["string", "number", "integer", "boolean"]),
        opt(text()),
        opt("[A-Z][a-zA-Z-]{0,8}"),
    )
        .prop_map(|(ty, description, header)| {
            let mut p = json!({ "type": ty });
            if let Some(d) = description {
                p["description"] = Value::from(d);
            }
            if let Some(h) = header {
                p["x-mcp-header"] = Value::from(h);
            }
            p
        });
    (
        btree_map(name(), property, 0..4),
        any::<bool>(),
        any::<bool>(),
        any::<bool>(),
    )
        .prop_map(|(props, typed, closed, require_all)| {
            let mut schema = JsonObject::new();
            if typed {
                schema.insert("type".into(), "object".into());
            }
            if require_all && !props.is_empty() {
                schema.insert("required".into(), props.keys().cloned().collect());
            }
            if !props.is_empty() {
                schema.insert(
                    "properties".into(),
                    Value::Object(props.into_iter().collect()),
                );
            }
            if closed {
                schema.insert("additionalProperties".into(), false.into());
            }
            schema
        })
        .boxed()
}

/// An output schema: an object root, or (2026) an array root.
pub fn output_schema() -> BoxedStrategy<JsonObject> {
    prop_oneof![
        input_schema().prop_map(|mut s| {
            s.insert("type".into(), "object".into());
            s
        }),
        Just(
            json!({"type": "array", "items": {"type": "string"}})
                .as_object()
                .unwrap()
                .clone()
        ),
    ]
    .boxed()
}

pub fn tool_annotations() -> BoxedStrategy<ToolAnnotations> {
    (
        opt(text()),
        opt(any::<bool>()),
        opt(any::<bool>()),
        opt(any::<bool>()),
        opt(any::<bool>()),
    )
        .prop_map(
            |(title, read_only_hint, destructive_hint, idempotent_hint, open_world_hint)| {
                ToolAnnotations {
                    title,
                    read_only_hint,
                    destructive_hint,
                    idempotent_hint,
                    open_world_hint,
                }
            },
        )
        .boxed()
}

pub fn tool() -> BoxedStrategy<Tool> {
    let execution = opt(opt(prop::sample::select(vec![
        TaskSupport::Forbidden,
        TaskSupport::Optional,
        TaskSupport::Required,
    ]))
    .prop_map(|task_support| ToolExecution { task_support }));
    (
        name(),
        opt(text()),
        opt(text()),
        input_schema(),
        opt(output_schema()),
        opt(tool_annotations()),
        icons(),
        execution,
        meta(MetaKind::Plain),
    )
        .prop_map(
            |(
                name,
                title,
                description,
                input_schema,
                output_schema,
                annotations,
                icons,
                execution,
                meta,
            )| Tool {
                name,
                title,
                description,
                input_schema,
                output_schema,
                annotations,
                icons,
                execution,
                meta,
            },
        )
        .boxed()
}

fn cache() -> BoxedStrategy<(Option<u64>, Option<CacheScope>)> {
    (
        opt(big_u64()),
        opt(prop_oneof![
            Just(CacheScope::Public),
            Just(CacheScope::Private)
        ]),
    )
        .boxed()
}

pub fn list_tools_result() -> BoxedStrategy<ListToolsResult> {
    (
        vec(tool(), 0..3),
        opt(text()),
        cache(),
        meta(MetaKind::Result),
    )
        .prop_map(
            |(tools, next_cursor, (ttl_ms, cache_scope), meta)| ListToolsResult {
                tools,
                next_cursor,
                ttl_ms,
                cache_scope,
                result_type: None,
                meta,
            },
        )
        .boxed()
}

pub fn call_tool_params() -> BoxedStrategy<CallToolRequestParams> {
    (
        name(),
        opt(any_object()),
        opt(opt(safe_u64()).prop_map(|ttl| TaskMetadata { ttl })),
        opt(btree_map(name(), super::client::input_response(), 0..3)),
        opt(text()),
        meta(MetaKind::Request),
    )
        .prop_map(
            |(name, arguments, task, input_responses, request_state, meta)| CallToolRequestParams {
                name,
                arguments,
                task,
                input_responses,
                request_state,
                meta,
            },
        )
        .boxed()
}

pub fn call_tool_result() -> BoxedStrategy<CallToolResult> {
    (
        vec(content_block(), 0..4),
        opt(prop_oneof![
            any_object().prop_map(Value::Object),
            any_json()
        ]),
        opt(any::<bool>()),
        meta(MetaKind::Result),
    )
        .prop_map(
            |(content, structured_content, is_error, meta)| CallToolResult {
                content,
                structured_content,
                is_error,
                result_type: None,
                meta,
            },
        )
        .boxed()
}

pub fn paginated_params() -> BoxedStrategy<PaginatedRequestParams> {
    (opt(text()), meta(MetaKind::Request))
        .prop_map(|(cursor, meta)| PaginatedRequestParams { cursor, meta })
        .boxed()
}

pub fn request_params() -> BoxedStrategy<RequestParams> {
    meta(MetaKind::Request)
        .prop_map(|meta| RequestParams { meta })
        .boxed()
}

pub fn notification_params() -> BoxedStrategy<NotificationParams> {
    meta(MetaKind::Notification)
        .prop_map(|meta| NotificationParams { meta })
        .boxed()
}

pub fn empty_result() -> BoxedStrategy<EmptyResult> {
    meta(MetaKind::Result)
        .prop_map(|meta| EmptyResult {
            result_type: None,
            meta,
        })
        .boxed()
}

pub fn list_resources_result() -> BoxedStrategy<ListResourcesResult> {
    (
        vec(resource(), 0..3),
        opt(text()),
        cache(),
        meta(MetaKind::Result),
    )
        .prop_map(
            |(resources, next_cursor, (ttl_ms, cache_scope), meta)| ListResourcesResult {
                resources,
                next_cursor,
                ttl_ms,
                cache_scope,
                result_type: None,
                meta,
            },
        )
        .boxed()
}

pub fn list_resource_templates_result() -> BoxedStrategy<ListResourceTemplatesResult> {
    (
        vec(resource_template(), 0..3),
        opt(text()),
        cache(),
        meta(MetaKind::Result),
    )
        .prop_map(
            |(resource_templates, next_cursor, (ttl_ms, cache_scope), meta)| {
                ListResourceTemplatesResult {
                    resource_templates,
                    next_cursor,
                    ttl_ms,
                    cache_scope,
                    result_type: None,
                    meta,
                }
            },
        )
        .boxed()
}

pub fn read_resource_params() -> BoxedStrategy<ReadResourceRequestParams> {
    (
        uri(),
        opt(btree_map(name(), super::client::input_response(), 0..2)),
        opt(text()),
        meta(MetaKind::Request),
    )
        .prop_map(
            |(uri, input_responses, request_state, meta)| ReadResourceRequestParams {
                uri,
                input_responses,
                request_state,
                meta,
            },
        )
        .boxed()
}

pub fn read_resource_result() -> BoxedStrategy<ReadResourceResult> {
    (
        vec(resource_contents(), 0..3),
        cache(),
        meta(MetaKind::Result),
    )
        .prop_map(
            |(contents, (ttl_ms, cache_scope), meta)| ReadResourceResult {
                contents,
                ttl_ms,
                cache_scope,
                result_type: None,
                meta,
            },
        )
        .boxed()
}

pub fn subscribe_params() -> BoxedStrategy<SubscribeRequestParams> {
    (uri(), meta(MetaKind::Request))
        .prop_map(|(uri, meta)| SubscribeRequestParams { uri, meta })
        .boxed()
}

pub fn unsubscribe_params() -> BoxedStrategy<UnsubscribeRequestParams> {
    (uri(), meta(MetaKind::Request))
        .prop_map(|(uri, meta)| UnsubscribeRequestParams { uri, meta })
        .boxed()
}

pub fn resource_updated_params() -> BoxedStrategy<ResourceUpdatedNotificationParams> {
    (uri(), meta(MetaKind::Notification))
        .prop_map(|(uri, meta)| ResourceUpdatedNotificationParams { uri, meta })
        .boxed()
}

pub fn prompt() -> BoxedStrategy<Prompt> {
    let argument = (name(), opt(text()), opt(text()), opt(any::<bool>())).prop_map(
        |(name, title, description, required)| PromptArgument {
            name,
            title,
            description,
            required,
        },
    );
    (
        name(),
        opt(text()),
        opt(text()),
        opt(vec(argument, 0..3)),
        icons(),
        meta(MetaKind::Plain),
    )
        .prop_map(
            |(name, title, description, arguments, icons, meta)| Prompt {
                name,
                title,
                description,
                arguments,
                icons,
                meta,
            },
        )
        .boxed()
}

pub fn list_prompts_result() -> BoxedStrategy<ListPromptsResult> {
    (
        vec(prompt(), 0..3),
        opt(text()),
        cache(),
        meta(MetaKind::Result),
    )
        .prop_map(
            |(prompts, next_cursor, (ttl_ms, cache_scope), meta)| ListPromptsResult {
                prompts,
                next_cursor,
                ttl_ms,
                cache_scope,
                result_type: None,
                meta,
            },
        )
        .boxed()
}

pub fn get_prompt_params() -> BoxedStrategy<GetPromptRequestParams> {
    (
        name(),
        opt(btree_map(name(), text(), 0..3)),
        opt(btree_map(name(), super::client::input_response(), 0..2)),
        opt(text()),
        meta(MetaKind::Request),
    )
        .prop_map(|(name, arguments, input_responses, request_state, meta)| {
            GetPromptRequestParams {
                name,
                arguments,
                input_responses,
                request_state,
                meta,
            }
        })
        .boxed()
}

pub fn get_prompt_result() -> BoxedStrategy<GetPromptResult> {
    let message =
        (role(), content_block()).prop_map(|(role, content)| PromptMessage { role, content });
    (opt(text()), vec(message, 0..3), meta(MetaKind::Result))
        .prop_map(|(description, messages, meta)| GetPromptResult {
            description,
            messages,
            result_type: None,
            meta,
        })
        .boxed()
}

pub fn complete_params() -> BoxedStrategy<CompleteRequestParams> {
    let reference = prop_oneof![
        (name(), opt(text()))
            .prop_map(|(name, title)| CompletionReference::Prompt(PromptReference { name, title })),
        super::uri_template()
            .prop_map(|uri| CompletionReference::Resource(ResourceTemplateReference { uri })),
    ];
    (
        reference,
        (name(), text()),
        opt(opt(btree_map(name(), text(), 0..3))),
        meta(MetaKind::Request),
    )
        .prop_map(
            |(reference, (name, value), context, meta)| CompleteRequestParams {
                reference,
                argument: CompletionArgument { name, value },
                context: context.map(|arguments| CompletionContext { arguments }),
                meta,
            },
        )
        .boxed()
}

pub fn complete_result() -> BoxedStrategy<CompleteResult> {
    (
        prop_oneof![
            8 => vec(text(), 0..4),
            1 => vec("[a-z]{1,3}", 101..104),
        ],
        opt(big_u64()),
        opt(any::<bool>()),
        meta(MetaKind::Result),
    )
        .prop_map(|(values, total, has_more, meta)| CompleteResult {
            completion: Completion {
                values,
                total,
                has_more,
            },
            result_type: None,
            meta,
        })
        .boxed()
}

pub fn set_level_params() -> BoxedStrategy<SetLevelRequestParams> {
    (logging_level(), meta(MetaKind::Request))
        .prop_map(|(level, meta)| SetLevelRequestParams { level, meta })
        .boxed()
}

pub fn logging_message_params() -> BoxedStrategy<LoggingMessageNotificationParams> {
    (
        logging_level(),
        opt(text()),
        any_json(),
        meta(MetaKind::Notification),
    )
        .prop_map(
            |(level, logger, data, meta)| LoggingMessageNotificationParams {
                level,
                logger,
                data,
                meta,
            },
        )
        .boxed()
}

pub fn progress_params() -> BoxedStrategy<ProgressNotificationParams> {
    (
        progress_token(),
        number(),
        opt(number()),
        opt(text()),
        meta(MetaKind::Notification),
    )
        .prop_map(
            |(progress_token, progress, total, message, meta)| ProgressNotificationParams {
                progress_token,
                progress,
                total,
                message,
                meta,
            },
        )
        .boxed()
}

/// `requestId` is always present: it is required in every version but 2025-11-25.
pub fn cancelled_params() -> BoxedStrategy<CancelledNotificationParams> {
    (request_id(), opt(text()), meta(MetaKind::Notification))
        .prop_map(|(request_id, reason, meta)| CancelledNotificationParams {
            request_id: Some(request_id),
            reason,
            meta,
        })
        .boxed()
}
