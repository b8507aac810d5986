//! Sampling, elicitation, roots, and the 2026 modern types (discover, MRTR, listen).

use proptest::collection::{btree_map, vec};
use proptest::prelude::*;
use serde_json::Value;
use spate_protocol::*;

use super::content::{audio_content, content_block, image_content, role, text_content};
use super::features::{server_capabilities, tool};
use super::{
    MetaKind, any_json, any_object, big_u64, meta, name, number, opt, plain_object, request_id,
    text, unit, uri,
};

pub fn root() -> BoxedStrategy<Root> {
    ("[a-z0-9/_.-]{0,16}", opt(text()), meta(MetaKind::Plain))
        .prop_map(|(path, name, meta)| Root {
            uri: format!("file:///{path}"),
            name,
            meta,
        })
        .boxed()
}

pub fn list_roots_result() -> BoxedStrategy<ListRootsResult> {
    (vec(root(), 0..3), meta(MetaKind::Plain))
        .prop_map(|(roots, meta)| ListRootsResult { roots, meta })
        .boxed()
}

fn tool_use() -> BoxedStrategy<ToolUseContent> {
    (name(), name(), any_object(), meta(MetaKind::Plain))
        .prop_map(|(id, name, input, meta)| ToolUseContent {
            id,
            name,
            input,
            meta,
        })
        .boxed()
}

fn tool_result() -> BoxedStrategy<ToolResultContent> {
    (
        name(),
        vec(content_block(), 0..3),
        opt(prop_oneof![
            any_object().prop_map(Value::Object),
            any_json()
        ]),
        opt(any::<bool>()),
        meta(MetaKind::Plain),
    )
        .prop_map(
            |(tool_use_id, content, structured_content, is_error, meta)| ToolResultContent {
                tool_use_id,
                content,
                structured_content,
                is_error,
                meta,
            },
        )
        .boxed()
}

pub fn sampling_block() -> BoxedStrategy<SamplingContentBlock> {
    prop_oneof![
        3 => text_content().prop_map(SamplingContentBlock::Text),
        1 => image_content().prop_map(SamplingContentBlock::Image),
        1 => audio_content().prop_map(SamplingContentBlock::Audio),
        1 => tool_use().prop_map(SamplingContentBlock::ToolUse),
        1 => tool_result().prop_map(SamplingContentBlock::ToolResult),
    ]
    .boxed()
}

pub fn sampling_content() -> BoxedStrategy<SamplingContent> {
    prop_oneof![
        sampling_block().prop_map(SamplingContent::Single),
        vec(sampling_block(), 0..3).prop_map(SamplingContent::Multiple),
    ]
    .boxed()
}

pub fn sampling_message() -> BoxedStrategy<SamplingMessage> {
    (role(), sampling_content(), meta(MetaKind::Plain))
        .prop_map(|(role, content, meta)| SamplingMessage {
            role,
            content,
            meta,
        })
        .boxed()
}

pub fn create_message_params() -> BoxedStrategy<CreateMessageRequestParams> {
    let preferences = (
        opt(vec(opt(text()).prop_map(|name| ModelHint { name }), 0..3)),
        opt(unit()),
        opt(unit()),
        opt(unit()),
    )
        .prop_map(|(hints, cost, speed, intelligence)| ModelPreferences {
            hints,
            cost_priority: cost,
            speed_priority: speed,
            intelligence_priority: intelligence,
        });
    let include = prop::sample::select(vec![
        IncludeContext::None,
        IncludeContext::ThisServer,
        IncludeContext::AllServers,
    ]);
    let choice = opt(prop::sample::select(vec![
        ToolChoiceMode::Auto,
        ToolChoiceMode::Required,
        ToolChoiceMode::None,
    ]))
    .prop_map(|mode| ToolChoice { mode });
    (
        vec(sampling_message(), 0..3),
        opt(preferences),
        opt(text()),
        opt(include),
        opt(number()),
        big_u64(),
        opt(vec(text(), 0..3)),
        opt(plain_object()),
        opt(vec(tool(), 0..2)),
        opt(choice),
        opt(opt(super::safe_u64()).prop_map(|ttl| TaskMetadata { ttl })),
        meta(MetaKind::Request),
    )
        .prop_map(
            |(
                messages,
                model_preferences,
                system_prompt,
                include_context,
                temperature,
                max_tokens,
                stop_sequences,
                metadata,
                tools,
                tool_choice,
                task,
                meta,
            )| CreateMessageRequestParams {
                messages,
                model_preferences,
                system_prompt,
                include_context,
                temperature,
                max_tokens,
                stop_sequences,
                metadata,
                tools,
                tool_choice,
                task,
                meta,
            },
        )
        .boxed()
}

pub fn create_message_result() -> BoxedStrategy<CreateMessageResult> {
    (
        role(),
        sampling_content(),
        text(),
        opt(prop_oneof![
            Just("endTurn".to_owned()),
            Just("toolUse".to_owned()),
            text()
        ]),
        meta(MetaKind::Result),
    )
        .prop_map(
            |(role, content, model, stop_reason, meta)| CreateMessageResult {
                role,
                content,
                model,
                stop_reason,
                meta,
            },
        )
        .boxed()
}

fn enum_option() -> BoxedStrategy<EnumOption> {
    (text(), text())
        .prop_map(|(value, title)| EnumOption { value, title })
        .boxed()
}

/// Every one of the eight property shapes, with and without defaults.
pub fn primitive_schema() -> BoxedStrategy<PrimitiveSchemaDefinition> {
    use PrimitiveSchemaDefinition as P;
    let labels = || (opt(text()), opt(text()));
    let format = opt(prop::sample::select(vec![
        StringFormat::Email,
        StringFormat::Uri,
        StringFormat::Date,
        StringFormat::DateTime,
    ]));
    prop_oneof![
        (
            labels(),
            opt(0u64..10),
            opt(10u64..100),
            format,
            opt(text())
        )
            .prop_map(
                |((title, description), min_length, max_length, format, default)| P::String(
                    StringSchema {
                        title,
                        description,
                        min_length,
                        max_length,
                        format,
                        default
                    }
                )
            ),
        (
            labels(),
            any::<bool>(),
            opt(number()),
            opt(number()),
            opt(number())
        )
            .prop_map(
                |((title, description), integer, minimum, maximum, default)| {
                    P::Number(NumberSchema {
                        number_type: if integer {
                            NumberType::Integer
                        } else {
                            NumberType::Number
                        },
                        title,
                        description,
                        minimum,
                        maximum,
                        default,
                    })
                }
            ),
        (labels(), opt(any::<bool>())).prop_map(|((title, description), default)| {
            P::Boolean(BooleanSchema {
                title,
                description,
                default,
            })
        }),
        (labels(), vec(text(), 0..4), opt(text())).prop_map(
            |((title, description), values, default)| P::UntitledSingleSelect(
                UntitledSingleSelectEnumSchema {
                    title,
                    description,
                    values,
                    default
                }
            )
        ),
        (labels(), vec(enum_option(), 0..4), opt(text())).prop_map(
            |((title, description), one_of, default)| P::TitledSingleSelect(
                TitledSingleSelectEnumSchema {
                    title,
                    description,
                    one_of,
                    default
                }
            )
        ),
        (
            labels(),
            opt(0u64..3),
            opt(3u64..9),
            vec(text(), 0..4),
            opt(vec(text(), 0..3))
        )
            .prop_map(
                |((title, description), min_items, max_items, values, default)| {
                    P::UntitledMultiSelect(UntitledMultiSelectEnumSchema {
                        title,
                        description,
                        min_items,
                        max_items,
                        items: UntitledEnumItems {
                            item_type: "string".into(),
                            values,
                        },
                        default,
                    })
                }
            ),
        (
            labels(),
            opt(0u64..3),
            opt(3u64..9),
            vec(enum_option(), 0..4),
            opt(vec(text(), 0..3))
        )
            .prop_map(
                |((title, description), min_items, max_items, any_of, default)| {
                    P::TitledMultiSelect(TitledMultiSelectEnumSchema {
                        title,
                        description,
                        min_items,
                        max_items,
                        items: TitledEnumItems { any_of },
                        default,
                    })
                }
            ),
        (
            labels(),
            vec(text(), 0..4),
            opt(vec(text(), 0..4)),
            opt(text())
        )
            .prop_map(|((title, description), values, enum_names, default)| {
                P::LegacyTitledEnum(LegacyTitledEnumSchema {
                    title,
                    description,
                    values,
                    enum_names,
                    default,
                })
            }),
    ]
    .boxed()
}

pub fn elicitation_schema() -> BoxedStrategy<ElicitationSchema> {
    (
        opt(Just(
            "https://json-schema.org/draft/2020-12/schema".to_owned(),
        )),
        btree_map(name(), primitive_schema(), 0..4),
        any::<bool>(),
    )
        .prop_map(|(schema, properties, require)| ElicitationSchema {
            schema,
            required: require.then(|| properties.keys().cloned().collect()),
            properties,
        })
        .boxed()
}

/// Form and URL requests. URL requests always carry an `elicitationId` (required in
/// 2025-11-25; `fit_version` removes it for 2026).
pub fn elicit_params() -> BoxedStrategy<ElicitRequestParams> {
    let task = || opt(opt(super::safe_u64()).prop_map(|ttl| TaskMetadata { ttl }));
    prop_oneof![
        (
            text(),
            elicitation_schema(),
            any::<bool>(),
            task(),
            meta(MetaKind::Request)
        )
            .prop_map(|(message, requested_schema, explicit_mode, task, meta)| {
                ElicitRequestParams::Form {
                    message,
                    requested_schema,
                    explicit_mode,
                    task,
                    meta,
                }
            }),
        (text(), uri(), name(), task(), meta(MetaKind::Request)).prop_map(
            |(message, url, id, task, meta)| ElicitRequestParams::Url {
                message,
                url,
                elicitation_id: Some(id),
                task,
                meta,
            }
        ),
    ]
    .boxed()
}

/// Answers: strings, integers, booleans, string arrays (the schema's value types).
pub fn elicit_result() -> BoxedStrategy<ElicitResult> {
    let value = prop_oneof![
        text().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<bool>().prop_map(Value::from),
        vec(text(), 0..3).prop_map(Value::from),
    ];
    (
        prop::sample::select(vec![
            ElicitAction::Accept,
            ElicitAction::Decline,
            ElicitAction::Cancel,
        ]),
        opt(btree_map(name(), value, 0..4).prop_map(|m| m.into_iter().collect())),
        meta(MetaKind::Result),
    )
        .prop_map(|(action, content, meta)| ElicitResult {
            action,
            content,
            meta,
        })
        .boxed()
}

pub fn elicitation_complete_params() -> BoxedStrategy<ElicitationCompleteNotificationParams> {
    (name(), meta(MetaKind::Notification))
        .prop_map(
            |(elicitation_id, meta)| ElicitationCompleteNotificationParams {
                elicitation_id,
                meta,
            },
        )
        .boxed()
}

pub fn input_request() -> BoxedStrategy<InputRequest> {
    prop_oneof![
        create_message_params().prop_map(|params| InputRequest::CreateMessage { params }),
        opt(meta(MetaKind::Plain).prop_map(|meta| RequestParams { meta }))
            .prop_map(|params| InputRequest::ListRoots { params }),
        elicit_params().prop_map(|params| InputRequest::Elicit { params }),
    ]
    .boxed()
}

pub fn input_response() -> BoxedStrategy<InputResponse> {
    prop_oneof![
        create_message_result().prop_map(InputResponse::CreateMessage),
        list_roots_result().prop_map(InputResponse::ListRoots),
        elicit_result().prop_map(InputResponse::Elicit),
    ]
    .boxed()
}

pub fn input_required_result() -> BoxedStrategy<InputRequiredResult> {
    (
        opt(btree_map(name(), input_request(), 0..3)),
        opt(text()),
        meta(MetaKind::Result),
    )
        .prop_map(
            |(input_requests, request_state, meta)| InputRequiredResult {
                input_requests,
                request_state,
                result_type: None,
                meta,
            },
        )
        .boxed()
}

pub fn discover_result() -> BoxedStrategy<DiscoverResult> {
    (
        vec(prop_oneof![Just("2026-07-28".to_owned()), text()], 0..3),
        server_capabilities(),
        opt(text()),
        opt(big_u64()),
        opt(prop_oneof![
            Just(CacheScope::Public),
            Just(CacheScope::Private)
        ]),
        meta(MetaKind::Result),
    )
        .prop_map(
            |(supported_versions, capabilities, instructions, ttl_ms, cache_scope, meta)| {
                DiscoverResult {
                    supported_versions,
                    capabilities,
                    instructions,
                    ttl_ms,
                    cache_scope,
                    result_type: None,
                    meta,
                }
            },
        )
        .boxed()
}

pub fn subscription_filter() -> BoxedStrategy<SubscriptionFilter> {
    (
        opt(any::<bool>()),
        opt(any::<bool>()),
        opt(any::<bool>()),
        opt(vec(uri(), 0..3)),
        opt(vec(name(), 0..3)),
    )
        .prop_map(
            |(tools, prompts, resources, uris, task_ids)| SubscriptionFilter {
                tools_list_changed: tools,
                prompts_list_changed: prompts,
                resources_list_changed: resources,
                resource_subscriptions: uris,
                task_ids,
                // Not generated: the events extension has no published schema to check it
                // against (the events module's own tests cover it).
                events_list_changed: None,
            },
        )
        .boxed()
}

pub fn listen_params() -> BoxedStrategy<SubscriptionsListenRequestParams> {
    (subscription_filter(), meta(MetaKind::Request))
        .prop_map(|(notifications, meta)| SubscriptionsListenRequestParams {
            notifications,
            meta,
        })
        .boxed()
}

pub fn acknowledged_params() -> BoxedStrategy<SubscriptionsAcknowledgedNotificationParams> {
    (subscription_filter(), meta(MetaKind::Notification))
        .prop_map(
            |(notifications, meta)| SubscriptionsAcknowledgedNotificationParams {
                notifications,
                meta,
            },
        )
        .boxed()
}

/// A closing listen result; its `_meta` always names the subscription (required).
pub fn listen_result() -> BoxedStrategy<SubscriptionsListenResult> {
    (request_id(), meta(MetaKind::Result))
        .prop_map(|(id, extra)| {
            let mut result = SubscriptionsListenResult::new(id);
            result.result_type = None;
            if let (Some(m), Some(extra)) = (&mut result.meta, extra) {
                for (k, v) in extra {
                    m.entry(k).or_insert(v);
                }
            }
            result
        })
        .boxed()
}
