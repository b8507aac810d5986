//! The JSON examples of SEP-3415 (and of the design sketch where it differs) decode into
//! these types and encode back to the same JSON; unknown members are ignored.

use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};

use super::*;
use crate::capabilities::{ClientCapabilities, ServerCapabilities};
use crate::fit::FitVersion;
use crate::jsonrpc::{ErrorObject, Message, RequestId, ResponseBody, decode_message};
use crate::meta::{self, JsonObject};
use crate::result::ResultType;
use crate::version::ProtocolVersion;

/// Decodes `json` into `T`, checks that it encodes back to the same JSON value, returns it.
fn round_trip<T: DeserializeOwned + Serialize>(json: Value) -> T {
    let typed: T =
        serde_json::from_value(json.clone()).unwrap_or_else(|e| panic!("cannot read {json}: {e}"));
    assert_eq!(serde_json::to_value(&typed).unwrap(), json);
    typed
}

fn read<T: DeserializeOwned>(json: Value) -> T {
    serde_json::from_value(json.clone()).unwrap_or_else(|e| panic!("cannot read {json}: {e}"))
}

/// The params of a JSON-RPC request, through the envelope decoder.
fn request_params<P: DeserializeOwned>(text: &str, method: &str) -> P {
    let Message::Request(request) = decode_message(text.as_bytes()).unwrap() else {
        panic!("not a request: {text}");
    };
    assert_eq!(request.method, method);
    request.parse_params().unwrap()
}

fn params_of(text: &str) -> Value {
    serde_json::from_str::<Value>(text).unwrap()["params"].clone()
}

// The webhook event body of the SEP's delivery example, byte for byte.
const EVENT_BODY: &str = r#"{"eventId":"evt_789","name":"incident.created","timestamp":"2026-02-19T16:00:00Z","data":{"incidentId":"INC-1234","severity":"P1"},"cursor":"cursor_xyz"}"#;

#[test]
fn server_capability_is_read_from_either_key_and_written_to_both() {
    let sep: ServerCapabilities = round_trip(json!({
        "extensions": {"io.modelcontextprotocol/events": {"listChanged": true}}
    }));
    let offered = EventsCapability::offered_by(&sep).unwrap();
    assert!(offered.sends_list_changed());

    let sketch: ServerCapabilities = round_trip(json!({"events": {"listChanged": true}}));
    assert_eq!(EventsCapability::offered_by(&sketch), Some(offered.clone()));

    let chatgpt: ServerCapabilities = round_trip(json!({"events": {}}));
    let plain = EventsCapability::offered_by(&chatgpt).unwrap();
    assert!(!plain.sends_list_changed());

    assert_eq!(
        EventsCapability::offered_by(&ServerCapabilities::default()),
        None
    );

    let mut caps = ServerCapabilities::default();
    offered.advertise(&mut caps);
    assert_eq!(
        serde_json::to_value(caps.clone().fitted(ProtocolVersion::V2026_07_28)).unwrap(),
        json!({
            "extensions": {"io.modelcontextprotocol/events": {"listChanged": true}},
            "events": {"listChanged": true}
        })
    );
    // A 2025-11-25 `initialize` keeps the top-level key only; older versions have neither.
    assert_eq!(
        serde_json::to_value(caps.clone().fitted(ProtocolVersion::V2025_11_25)).unwrap(),
        json!({"events": {"listChanged": true}})
    );
    assert_eq!(
        serde_json::to_value(caps.fitted(ProtocolVersion::V2025_06_18)).unwrap(),
        json!({})
    );

    let mut empty = ServerCapabilities::default();
    EventsCapability::default().advertise(&mut empty);
    assert_eq!(
        serde_json::to_value(&empty).unwrap(),
        json!({"extensions": {"io.modelcontextprotocol/events": {}}, "events": {}})
    );
}

#[test]
fn a_malformed_extension_entry_still_means_offered() {
    let caps: ServerCapabilities = read(json!({
        "extensions": {"io.modelcontextprotocol/events": {"listChanged": "yes"}}
    }));
    assert_eq!(
        EventsCapability::offered_by(&caps),
        Some(EventsCapability::default())
    );
}

#[test]
fn client_declaration_in_request_meta() {
    let request_meta = json!({
        "_meta": {"io.modelcontextprotocol/clientCapabilities":
            {"extensions": {"io.modelcontextprotocol/events": {}}}}
    });
    let caps: ClientCapabilities =
        round_trip(request_meta["_meta"][meta::CLIENT_CAPABILITIES_KEY].clone());
    assert!(client_declares_events(&caps));
    assert!(!client_declares_events(&ClientCapabilities::default()));

    let mut built = ClientCapabilities::default();
    declare_client_events(&mut built);
    declare_client_events(&mut built);
    assert_eq!(built, caps);
}

#[test]
fn listen_filter_carries_events_list_changed() {
    let filter: crate::modern::SubscriptionFilter =
        round_trip(json!({"toolsListChanged": true, "eventsListChanged": true}));
    assert_eq!(filter.events_list_changed, Some(true));
}

#[test]
fn descriptor_and_list_result() {
    let list: ListEventsResult = round_trip(json!({
        "events": [{
            "name": "incident.created",
            "description": "Fires when an incident is opened.",
            "delivery": ["poll", "push", "webhook"],
            "inputSchema": {
                "type": "object",
                "properties": {"severity": {"type": "string", "enum": ["P1", "P2"]}}
            },
            "payloadSchema": {
                "type": "object",
                "properties": {"incidentId": {"type": "string"}, "severity": {"type": "string"}},
                "required": ["incidentId"]
            },
            "_meta": {"com.example/team": "sre"}
        }],
        "nextCursor": "page-2",
        "resultType": "complete"
    }));
    let descriptor = &list.events[0];
    assert!(descriptor.offers(&DeliveryMode::Webhook));
    assert_eq!(list.next_cursor.as_deref(), Some("page-2"));
}

#[test]
fn list_result_tolerates_null_cursor_extra_members_and_unknown_modes() {
    let list: ListEventsResult = read(json!({
        "events": [{
            "name": "email.received",
            "title": "Email received",
            "description": "d",
            "delivery": ["webhook", "carrier-pigeon"],
            "inputSchema": {"type": "object"},
            "payloadSchema": {"type": "object"},
            "x-future": 1
        }],
        "nextCursor": null
    }));
    assert_eq!(list.next_cursor, None);
    assert_eq!(list.result_type, None, "absent means complete");
    assert_eq!(
        list.events[0].delivery,
        [
            DeliveryMode::Webhook,
            DeliveryMode::Other("carrier-pigeon".into())
        ]
    );
    // The unknown mode is written back as it came; the unknown members are dropped.
    let back = serde_json::to_value(&list).unwrap();
    assert_eq!(
        back["events"][0]["delivery"],
        json!(["webhook", "carrier-pigeon"])
    );
    assert!(back["events"][0].get("title").is_none());
    // `events` is always written.
    assert_eq!(
        serde_json::to_value(ListEventsResult::default()).unwrap(),
        json!({"events": []})
    );
}

#[test]
fn list_result_fits_result_type_by_version() {
    let modern = ListEventsResult::default().fitted(ProtocolVersion::V2026_07_28);
    assert_eq!(modern.result_type, Some(ResultType::Complete));
    let legacy = modern.fitted(ProtocolVersion::V2025_11_25);
    assert_eq!(legacy.result_type, None);
}

#[test]
fn occurrence_webhook_body_round_trips_byte_for_byte() {
    let body: WebhookBody = serde_json::from_str(EVENT_BODY).unwrap();
    let WebhookBody::Event(event) = &body else {
        panic!("not an event: {body:?}");
    };
    assert_eq!(event.event_id, "evt_789");
    assert_eq!(event.position(), Some("cursor_xyz"));
    assert_eq!(event.data["severity"], "P1");
    assert_eq!(body.control_type(), None);
    assert_eq!(serde_json::to_string(&body).unwrap(), EVENT_BODY);
    let direct: EventOccurrence = serde_json::from_str(EVENT_BODY).unwrap();
    assert_eq!(serde_json::to_string(&direct).unwrap(), EVENT_BODY);
}

#[test]
fn occurrence_cursor_has_three_states() {
    let base = json!({
        "eventId": "e1", "name": "n", "timestamp": "2026-02-19T16:00:00Z", "data": {}
    });
    let absent: EventOccurrence = round_trip(base.clone());
    assert_eq!(absent.cursor, None);
    let mut with_null = base.clone();
    with_null["cursor"] = Value::Null;
    let null: EventOccurrence = round_trip(with_null);
    assert_eq!(null.cursor, Some(None));
    assert_eq!(null.position(), None);
    let built = EventOccurrence::new("e1", "n", "2026-02-19T16:00:00Z", JsonObject::new())
        .with_cursor(None);
    assert_eq!(built, null);
}

#[test]
fn occurrence_requires_its_fields_and_ignores_unknown_ones() {
    let event: EventOccurrence = read(json!({
        "eventId": "e1", "name": "n", "timestamp": "t", "data": {"a": 1},
        "severity": "ignored at top level", "_meta": {"com.example/x": 1}
    }));
    assert_eq!(event.data["a"], 1);
    assert!(serde_json::from_value::<EventOccurrence>(json!({"name": "n"})).is_err());
}

#[test]
fn poll_request_and_result() {
    let params: PollEventsRequestParams = round_trip(json!({
        "name": "incident.created",
        "arguments": {"severity": "P1"},
        "cursor": null,
        "maxAgeMs": 300000,
        "maxEvents": 50
    }));
    assert_eq!(params.cursor, None);
    assert_eq!(params.max_events, Some(50));

    let result: PollEventsResult = round_trip(json!({
        "events": [{
            "eventId": "evt_1", "name": "incident.created",
            "timestamp": "2026-02-19T16:00:00Z", "data": {"incidentId": "INC-1"}
        }],
        "cursor": "c2",
        "truncated": false,
        "hasMore": true,
        "nextPollMs": 5000,
        "resultType": "complete"
    }));
    assert!(result.has_more);
    assert_eq!(
        result.events[0].cursor, None,
        "poll entries carry no cursor"
    );

    // Strict writer: the always-present members are written even when empty.
    assert_eq!(
        serde_json::to_value(PollEventsResult::default()).unwrap(),
        json!({"events": [], "cursor": null, "truncated": false, "hasMore": false, "nextPollMs": 0})
    );
}

#[test]
fn poll_request_reads_sketch_and_field_spellings() {
    // Absent arguments and cursor; the sketch's long-poll hint, also under its older name.
    let minimal: PollEventsRequestParams = read(json!({"name": "n", "timeoutMs": 25000}));
    assert_eq!(minimal.arguments, JsonObject::new());
    assert_eq!(minimal.timeout_ms, Some(25000));
    let wait: PollEventsRequestParams = read(json!({"name": "n", "waitMs": 1000}));
    assert_eq!(wait.timeout_ms, Some(1000));
    // `null` arguments, and the sketch's `params` spelling.
    let null_args: PollEventsRequestParams = read(json!({"name": "n", "arguments": null}));
    assert_eq!(null_args.arguments, JsonObject::new());
    let old: PollEventsRequestParams = read(json!({"name": "n", "params": {"a": 1}, "x": 2}));
    assert_eq!(old.arguments["a"], 1);
    // Written with `arguments` and an explicit null cursor, never `timeoutMs` unless set.
    assert_eq!(
        serde_json::to_value(PollEventsRequestParams::new("n", old.arguments)).unwrap(),
        json!({"name": "n", "arguments": {"a": 1}, "cursor": null})
    );
}

#[test]
fn stream_request_of_the_sep_example() {
    let text = r#"{"jsonrpc":"2.0","id":7,"method":"events/stream",
 "params":{"name":"incident.created","arguments":{"severity":"P1"},"cursor":null,"maxAgeMs":600000}}"#;
    let params: StreamEventsRequestParams = request_params(text, methods::EVENTS_STREAM);
    assert_eq!(params.max_age_ms, Some(600_000));
    assert_eq!(serde_json::to_value(&params).unwrap(), params_of(text));
}

#[test]
fn stream_final_result_of_the_sep_example() {
    let text = r#"{"jsonrpc":"2.0","id":7,"result":{"resultType":"complete","_meta":{"io.modelcontextprotocol/subscriptionId":7}}}"#;
    let Message::Response(response) = decode_message(text.as_bytes()).unwrap() else {
        panic!("not a response");
    };
    let ResponseBody::Result(raw) = &response.body else {
        panic!("not a result");
    };
    let result: StreamEventsResult = serde_json::from_str(raw.get()).unwrap();
    assert_eq!(result, StreamEventsResult::new(RequestId::Number(7)));
    assert_eq!(
        subscription_id(result.meta.as_ref()),
        Some(RequestId::Number(7))
    );
    let expected: Value = serde_json::from_str::<Value>(text).unwrap()["result"].clone();
    assert_eq!(serde_json::to_value(&result).unwrap(), expected);

    // The sketch's bare result reads too.
    let sketch: StreamEventsResult = round_trip(json!({"_meta": {}}));
    assert_eq!(subscription_id(sketch.meta.as_ref()), None);
}

#[test]
fn stream_notifications_keep_their_subscription_id_in_every_version() {
    let active: EventsActiveNotificationParams = round_trip(json!({
        "cursor": "c1", "truncated": false,
        "_meta": {"io.modelcontextprotocol/subscriptionId": "req-1"}
    }));
    let heartbeat: EventsHeartbeatNotificationParams = round_trip(json!({
        "cursor": null, "_meta": {"io.modelcontextprotocol/subscriptionId": 7}
    }));
    let event: EventNotificationParams = round_trip(json!({
        "eventId": "evt_789", "name": "incident.created", "timestamp": "2026-02-19T16:00:00Z",
        "data": {"incidentId": "INC-1234"}, "cursor": "c2",
        "_meta": {"io.modelcontextprotocol/subscriptionId": 7}
    }));
    let error: EventsErrorNotificationParams = round_trip(json!({
        "error": {"code": -32603, "message": "UpstreamError", "data": {"reason": "fetch failed"}},
        "_meta": {"io.modelcontextprotocol/subscriptionId": 7}
    }));
    let terminated: EventsTerminatedNotificationParams = round_trip(json!({
        "error": {"code": -32024, "message": "Forbidden", "data": {"reason": "Access revoked"}},
        "_meta": {"io.modelcontextprotocol/subscriptionId": 7}
    }));
    for version in [ProtocolVersion::V2025_11_25, ProtocolVersion::V2026_07_28] {
        let id = |meta: Option<&crate::meta::Meta>| subscription_id(meta);
        assert_eq!(
            id(active.clone().fitted(version).meta.as_ref()),
            Some(RequestId::String("req-1".into()))
        );
        assert!(id(heartbeat.clone().fitted(version).meta.as_ref()).is_some());
        assert!(id(event.clone().fitted(version).meta.as_ref()).is_some());
        assert!(id(error.clone().fitted(version).meta.as_ref()).is_some());
        assert!(id(terminated.clone().fitted(version).meta.as_ref()).is_some());
        let result = StreamEventsResult::new(RequestId::Number(7)).fitted(version);
        assert!(id(result.meta.as_ref()).is_some());
        assert_eq!(
            result.result_type.is_some(),
            version >= ProtocolVersion::V2026_07_28
        );
    }
}

#[test]
fn subscribe_request_of_the_sketch_example() {
    let params: SubscribeEventsRequestParams = round_trip(json!({
        "name": "incident.created",
        "arguments": {"severity": "P1"},
        "delivery": {
            "mode": "webhook",
            "url": "https://proxy.example.com/hooks/client123",
            "secret": "whsec_AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8="
        },
        "cursor": null,
        "maxAgeMs": 300000,
        "ttlMs": 3600000
    }));
    assert_eq!(params.ttl_ms, Some(Some(3_600_000)));
    let debug = format!("{params:?}");
    assert!(
        !debug.contains("whsec_"),
        "the secret leaks into Debug: {debug}"
    );
}

#[test]
fn subscribe_ttl_has_three_states_and_mode_defaults_to_webhook() {
    let base = json!({
        "name": "n",
        "delivery": {"url": "https://a.example/h", "secret": "whsec_x"}
    });
    let absent: SubscribeEventsRequestParams = read(base.clone());
    assert_eq!(absent.ttl_ms, None);
    assert_eq!(absent.delivery.mode, DeliveryMode::Webhook);
    assert_eq!(absent.arguments, JsonObject::new());
    let mut null = base;
    null["ttlMs"] = Value::Null;
    let null: SubscribeEventsRequestParams = read(null);
    assert_eq!(null.ttl_ms, Some(None));
    // Written back in full: `arguments`, the mode and an explicit `null` for both.
    assert_eq!(
        serde_json::to_value(&null).unwrap(),
        json!({
            "name": "n", "arguments": {},
            "delivery": {"mode": "webhook", "url": "https://a.example/h", "secret": "whsec_x"},
            "cursor": null, "ttlMs": null
        })
    );
    // ChatGPT's subscribe: no ttlMs, no maxAgeMs.
    let chatgpt: SubscribeEventsRequestParams = read(json!({
        "name": "incident.created", "arguments": {"severity": "P1"},
        "delivery": {"mode": "webhook",
            "url": "https://connectors.api.openai.com/webhook/mcp-events/0123456789abcdef0123456789abcdef",
            "secret": "whsec_AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8="},
        "cursor": null
    }));
    assert_eq!(chatgpt.ttl_ms, None);
    // Another mode is read, so that the server can answer `Unsupported` with its value.
    let push: SubscribeEventsRequestParams = read(json!({
        "name": "n", "delivery": {"mode": "push", "url": "https://a.example/h", "secret": "s"}
    }));
    assert_eq!(push.delivery.mode, DeliveryMode::Push);
}

#[test]
fn subscribe_result_writes_refresh_before_and_cursor_even_when_null() {
    let result: SubscribeEventsResult = round_trip(json!({
        "id": "sub_a3f1c8e2b0d49f7e",
        "refreshBefore": "2026-02-19T16:30:00Z",
        "cursor": "cursor_start_001",
        "truncated": false,
        "resultType": "complete"
    }));
    assert_eq!(
        result.refresh_before.as_deref(),
        Some("2026-02-19T16:30:00Z")
    );
    let no_expiry = SubscribeEventsResult {
        id: "sub_1".into(),
        ..Default::default()
    };
    assert_eq!(
        serde_json::to_value(&no_expiry).unwrap(),
        json!({"id": "sub_1", "refreshBefore": null, "cursor": null, "truncated": false})
    );
    // ChatGPT-profile answer, read back.
    let chatgpt: SubscribeEventsResult = read(json!({
        "id": "sub_c55e0052003255d463cd1f02bb97b637",
        "refreshBefore": "2026-10-01T12:05:00Z", "cursor": null, "truncated": false
    }));
    assert_eq!(chatgpt.cursor, None);
}

#[test]
fn delivery_status_on_refresh() {
    let result: SubscribeEventsResult = round_trip(json!({
        "id": "sub_1",
        "refreshBefore": "2026-02-19T17:00:00Z",
        "cursor": "c9",
        "truncated": true,
        "deliveryStatus": {
            "active": false,
            "lastDeliveryAt": "2026-02-19T15:58:00Z",
            "lastError": "http_5xx",
            "failedSince": "2026-02-19T15:59:00Z",
            "throttled": true,
            "retryAfterMs": 60000
        },
        "resultType": "complete"
    }));
    let status = result.delivery_status.unwrap();
    assert_eq!(status.last_error, Some(DeliveryErrorCategory::Http5xx));
    // Minimal status: `active` defaults to true; the nullable members are written as null.
    let minimal: DeliveryStatus = read(json!({}));
    assert!(minimal.active);
    assert_eq!(
        serde_json::to_value(&minimal).unwrap(),
        json!({"active": true, "lastDeliveryAt": null, "lastError": null})
    );
    for category in [
        "connection_refused",
        "timeout",
        "tls_error",
        "http_4xx",
        "http_5xx",
        "challenge_failed",
        "something_new",
    ] {
        let read: DeliveryErrorCategory = serde_json::from_value(json!(category)).unwrap();
        assert_eq!(serde_json::to_value(&read).unwrap(), json!(category));
        assert_eq!(
            matches!(read, DeliveryErrorCategory::Other(_)),
            category == "something_new"
        );
    }
}

#[test]
fn unsubscribe_of_the_sep_example() {
    let text = r#"{"jsonrpc":"2.0","id":9,"method":"events/unsubscribe",
 "params":{"name":"incident.created","arguments":{"severity":"P1"},"delivery":{"url":"https://proxy.example.com/hooks/client123"}}}"#;
    let params: UnsubscribeEventsRequestParams = request_params(text, methods::EVENTS_UNSUBSCRIBE);
    assert_eq!(serde_json::to_value(&params).unwrap(), params_of(text));
    // ChatGPT repeats the mode.
    let chatgpt: UnsubscribeEventsRequestParams = round_trip(json!({
        "name": "incident.created", "arguments": {},
        "delivery": {"mode": "webhook", "url": "https://a.example/h"}
    }));
    assert_eq!(chatgpt.delivery.mode, Some(DeliveryMode::Webhook));
    let done: UnsubscribeEventsResult = round_trip(json!({"resultType": "complete"}));
    assert_eq!(done.result_type, Some(ResultType::Complete));
    let _: UnsubscribeEventsResult = read(json!({}));
}

#[test]
fn control_envelopes() {
    let verification =
        r#"{"type":"verification","challenge":"Q2hhbGxlbmdlTm9uY2UtMDAwMDAwMDAwMDAx"}"#;
    let body: WebhookBody = serde_json::from_str(verification).unwrap();
    assert_eq!(
        body,
        WebhookBody::Verification(VerificationEnvelope {
            challenge: "Q2hhbGxlbmdlTm9uY2UtMDAwMDAwMDAwMDAx".into()
        })
    );
    assert_eq!(serde_json::to_string(&body).unwrap(), verification);
    let answer: VerificationResponse =
        round_trip(json!({"challenge": "Q2hhbGxlbmdlTm9uY2UtMDAwMDAwMDAwMDAx"}));
    assert_eq!(answer.challenge, "Q2hhbGxlbmdlTm9uY2UtMDAwMDAwMDAwMDAx");

    let terminated = r#"{"type":"terminated","error":{"code":-32024,"message":"Forbidden","data":{"reason":"Access revoked"}}}"#;
    let body: WebhookBody = serde_json::from_str(terminated).unwrap();
    let WebhookBody::Terminated(end) = &body else {
        panic!("not terminated: {body:?}");
    };
    assert_eq!(
        EventsErrorKind::of(&end.error),
        Some(EventsErrorKind::Forbidden)
    );
    assert_eq!(serde_json::to_string(&body).unwrap(), terminated);

    let gap: WebhookBody = round_trip(json!({"type": "gap", "cursor": "fresh"}));
    assert_eq!(gap.control_type(), Some("gap"));
    let gap_null: WebhookBody = round_trip(json!({"type": "gap", "cursor": null}));
    assert_eq!(gap_null, WebhookBody::Gap(GapEnvelope { cursor: None }));

    // An unknown envelope type is kept, not an error; a known one with a bad shape is.
    let other: WebhookBody = round_trip(json!({"type": "future", "x": 1}));
    assert_eq!(other.control_type(), Some("future"));
    assert!(serde_json::from_str::<WebhookBody>(r#"{"type":"verification"}"#).is_err());
    assert!(serde_json::from_str::<WebhookBody>("[]").is_err());
    assert!(serde_json::from_str::<WebhookBody>(r#"{"type":"gap","cursor":"c","x":1}"#).is_ok());
}

#[test]
fn error_codes_in_both_numberings() {
    use EventsErrorKind as K;
    let kinds = [
        (K::NotFound, -32023, -32011),
        (K::Forbidden, -32024, -32012),
        (K::ResourceExhausted, -32025, -32013),
        (K::Unsupported, -32026, -32014),
        (K::CallbackEndpointError, -32027, -32015),
        (K::InvalidParams, -32602, -32602),
    ];
    for (kind, sep, sketch) in kinds {
        assert_eq!(EventsErrorCodes::SEP_3415.code(kind), sep);
        assert_eq!(EventsErrorCodes::DESIGN_SKETCH.code(kind), sketch);
        assert_eq!(EventsErrorKind::of(&ErrorObject::new(sep, "x")), Some(kind));
        assert_eq!(
            EventsErrorKind::of(&ErrorObject::new(sketch, "x")),
            Some(kind)
        );
    }
    assert_eq!(EventsErrorKind::of(&ErrorObject::new(-32603, "x")), None);
    assert_eq!(EventsErrorCodes::default(), EventsErrorCodes::SEP_3415);
}

#[test]
fn error_data_discriminators() {
    let unsupported = EventsErrorCodes::SEP_3415.error(
        EventsErrorKind::Unsupported,
        Some(EventsErrorData {
            feature: Some(EventsErrorData::FEATURE_DELIVERY_MODE.into()),
            value: Some(json!("poll")),
            ..Default::default()
        }),
    );
    assert_eq!(
        serde_json::to_value(&unsupported).unwrap(),
        json!({"code": -32026, "message": "Unsupported",
               "data": {"feature": "deliveryMode", "value": "poll"}})
    );
    let not_found = EventsErrorCodes::DESIGN_SKETCH.error(EventsErrorKind::NotFound, None);
    assert_eq!(
        serde_json::to_value(&not_found).unwrap(),
        json!({"code": -32011, "message": "NotFound"})
    );

    let exhausted = ErrorObject::new(-32025, "ResourceExhausted").with_data(json!({
        "limit": "subscriptions", "max": 100, "retryAfterMs": 1000, "vendor": "x"
    }));
    let data = EventsErrorData::of(&exhausted).unwrap();
    assert_eq!(data.limit.as_deref(), Some("subscriptions"));
    assert_eq!(data.retry_after_ms, Some(1000));
    assert_eq!(data.extra["vendor"], "x");
    assert_eq!(
        serde_json::to_value(&data).unwrap(),
        exhausted.data.clone().unwrap()
    );
    assert!(EventsErrorData::of(&ErrorObject::new(-32015, "no data")).is_none());
    assert!(EventsErrorData::of(&ErrorObject::new(-32015, "x").with_data(json!("s"))).is_none());
}

#[test]
fn invalid_params_with_a_reason_is_read_as_the_kind_it_means() {
    let with = |reason: &str| {
        EventsErrorKind::of(&ErrorObject::new(-32602, "bad").with_data(json!({"reason": reason})))
    };
    assert_eq!(with("unknown_event"), Some(EventsErrorKind::NotFound));
    assert_eq!(
        with("unsupported_delivery_mode"),
        Some(EventsErrorKind::Unsupported)
    );
    assert_eq!(with("not_authorized"), Some(EventsErrorKind::Forbidden));
    assert_eq!(with("not_authenticated"), Some(EventsErrorKind::Forbidden));
    assert_eq!(with("invalid_secret"), Some(EventsErrorKind::InvalidParams));
    assert_eq!(
        EventsErrorKind::of(&ErrorObject::new(-32602, "bad")),
        Some(EventsErrorKind::InvalidParams)
    );
}

#[test]
fn method_names() {
    assert!(
        methods::ALL_REQUESTS
            .iter()
            .chain(methods::ALL_NOTIFICATIONS.iter())
            .all(|m| methods::is_events_method(m))
    );
    assert!(!methods::is_events_method("tools/list"));
    assert_eq!(
        crate::methods::availability(methods::EVENTS_POLL, ProtocolVersion::V2026_07_28),
        crate::methods::Availability::Absent,
        "the core table does not list extension methods"
    );
}
