//! `events/subscribe` and `events/unsubscribe` (SEP-3415, "Webhook"): the checks, in the
//! order clients observe them, and the lifetime grant.

use spate_protocol::events::{
    DeliveryMode, EventsErrorCodes, EventsErrorData, EventsErrorKind, SubscribeEventsRequestParams,
    SubscribeEventsResult, UnsubscribeEventsRequestParams, client_declares_events,
};
use spate_protocol::{ClientCapabilities, EmptyResult, ErrorObject, ProtocolVersion, Request};

use super::live::millis;
use super::registry::Admitted;
use super::settings::WebhookSettings;
use crate::events::derive_subscription_id;
use crate::events::webhook_signature::WebhookSecret;
use crate::server::router::{Answer, fitted};
use crate::server::tasks::iso8601;
use crate::server::triggers::reader::Reader;
use crate::server::{Principal, ServerHandle};
use crate::store::now_ms;
use crate::store::webhook_subscriptions::WireProfile;

/// The wire profile of a request's client: SEP-3415's when it declares the extension, else
/// the older design sketch's (ChatGPT and sketch-era clients).
fn profile_of(capabilities: Option<&ClientCapabilities>) -> WireProfile {
    if capabilities.is_some_and(client_declares_events) {
        WireProfile::Sep
    } else {
        WireProfile::Legacy
    }
}

fn codes_of(profile: WireProfile) -> EventsErrorCodes {
    match profile {
        WireProfile::Sep => EventsErrorCodes::SEP_3415,
        WireProfile::Legacy => EventsErrorCodes::DESIGN_SKETCH,
    }
}

/// Who owns subscriptions made by `principal`: its subject, else its OAuth client, else the
/// configured development principal.
fn owner(principal: Option<&Principal>, settings: &WebhookSettings) -> Option<String> {
    principal
        .and_then(|p| p.subject.clone().or_else(|| p.client_id.clone()))
        .or_else(|| settings.anonymous_principal.clone())
}

fn invalid(field: &str, reason: &str, message: &str) -> ErrorObject {
    let mut error = ErrorObject::invalid_params(message);
    let data = EventsErrorData {
        field: Some(field.to_owned()),
        reason: Some(reason.to_owned()),
        ..Default::default()
    };
    error.data = serde_json::to_value(data).ok();
    error
}

/// The checks every webhook request makes first: an owner, and a callback URL the sender
/// accepts (normalised).
fn owner_and_url(
    settings: &WebhookSettings,
    codes: EventsErrorCodes,
    principal: Option<&Principal>,
    url: &str,
) -> Result<(String, String), ErrorObject> {
    let Some(owner) = owner(principal, settings) else {
        let data = EventsErrorData {
            reason: Some("authentication_required".to_owned()),
            ..Default::default()
        };
        return Err(codes.error(EventsErrorKind::Forbidden, Some(data)));
    };
    let Some(sender) = settings.sender.as_deref() else {
        let data = EventsErrorData {
            feature: Some(EventsErrorData::FEATURE_DELIVERY_MODE.to_owned()),
            value: Some(DeliveryMode::Webhook.as_str().into()),
            ..Default::default()
        };
        return Err(codes.error(EventsErrorKind::Unsupported, Some(data)));
    };
    let url = sender
        .check_url(url)
        .map_err(|r| invalid("delivery.url", r.reason(), &r.to_string()))?;
    Ok((owner, url))
}

/// `events/subscribe` or `events/unsubscribe`.
pub(crate) async fn answer(
    server: &ServerHandle,
    request: &Request,
    version: ProtocolVersion,
    capabilities: Option<&ClientCapabilities>,
    principal: Option<&Principal>,
) -> Answer {
    if request.method == spate_protocol::events::methods::EVENTS_UNSUBSCRIBE {
        unsubscribe(server, request, version, capabilities, principal).await
    } else {
        subscribe(server, request, version, capabilities, principal).await
    }
}

/// `events/subscribe`: creates or refreshes the webhook subscription of the key (principal,
/// callback, type, arguments), after verifying the callback.
async fn subscribe(
    server: &ServerHandle,
    request: &Request,
    version: ProtocolVersion,
    capabilities: Option<&ClientCapabilities>,
    principal: Option<&Principal>,
) -> Answer {
    let p: SubscribeEventsRequestParams = request.parse_params()?;
    let profile = profile_of(capabilities);
    let codes = codes_of(profile);
    let settings = &server.shared.config.events.webhooks;
    if p.delivery.mode != DeliveryMode::Webhook {
        let data = EventsErrorData {
            feature: Some(EventsErrorData::FEATURE_DELIVERY_MODE.to_owned()),
            value: Some(p.delivery.mode.as_str().into()),
            ..Default::default()
        };
        return Err(codes.error(EventsErrorKind::Unsupported, Some(data)));
    }
    let (owner, url) = owner_and_url(settings, codes, principal, &p.delivery.url)?;
    WebhookSecret::parse(&p.delivery.secret)
        .map_err(|e| invalid("delivery.secret", "invalid_secret", &e.to_string()))?;
    let reader = Reader::open(
        server,
        codes,
        &p.name,
        &p.arguments,
        p.cursor.as_deref(),
        DeliveryMode::Webhook,
    )
    .await?
    .max_age(p.max_age_ms);
    let (expires_at_ms, refresh_before) = grant(settings, p.ttl_ms);
    let admitted = Admitted {
        id: derive_subscription_id(&owner, &url, &p.name, &p.arguments),
        principal: owner,
        url,
        name: p.name,
        arguments: p.arguments,
        secret: p.delivery.secret,
        profile,
        codes,
        expires_at_ms,
    };
    let id = admitted.id.clone();
    let done = server
        .shared
        .webhooks
        .subscribe(server, admitted, reader)
        .await?;
    let result = SubscribeEventsResult {
        id,
        refresh_before,
        cursor: Some(done.cursor),
        truncated: done.truncated,
        delivery_status: done.status,
        ..Default::default()
    };
    fitted(version, result)
}

/// `events/unsubscribe`: removes the subscription of the key. An unknown key answers the
/// empty result too (what ChatGPT's profile expects), unless `strict_unsubscribe`.
async fn unsubscribe(
    server: &ServerHandle,
    request: &Request,
    version: ProtocolVersion,
    capabilities: Option<&ClientCapabilities>,
    principal: Option<&Principal>,
) -> Answer {
    let p: UnsubscribeEventsRequestParams = request.parse_params()?;
    let codes = codes_of(profile_of(capabilities));
    let settings = &server.shared.config.events.webhooks;
    let (owner, url) = owner_and_url(settings, codes, principal, &p.delivery.url)?;
    let id = derive_subscription_id(&owner, &url, &p.name, &p.arguments);
    let existed = server.shared.webhooks.remove(server, &id).await?;
    if !existed && settings.strict_unsubscribe {
        let data = EventsErrorData {
            kind: Some(EventsErrorData::KIND_SUBSCRIPTION.to_owned()),
            ..Default::default()
        };
        return Err(codes.error(EventsErrorKind::NotFound, Some(data)));
    }
    fitted(version, EmptyResult::default())
}

/// The expiry granted for a `ttlMs` suggestion, and the `refreshBefore` that says it
/// (truncated to whole seconds, so never later than the expiry). `ttlMs: null` is granted
/// as no expiry only when `allow_no_expiry`; otherwise the longest lifetime is.
fn grant(settings: &WebhookSettings, ttl_ms: Option<Option<u64>>) -> (Option<u64>, Option<String>) {
    let ttl = match ttl_ms {
        None => millis(settings.default_ttl),
        Some(None) if settings.allow_no_expiry => return (None, None),
        Some(None) => millis(settings.max_ttl),
        Some(Some(ms)) => ms,
    };
    let ttl = ttl.clamp(millis(settings.min_ttl), millis(settings.max_ttl));
    let expires = now_ms().saturating_add(ttl);
    let whole_seconds = expires / 1000 * 1000;
    let mut text = iso8601(whole_seconds);
    // `…:SS.000Z` → `…:SSZ`: the grant is in whole seconds.
    if let Some(stem) = text.strip_suffix(".000Z") {
        text = format!("{stem}Z");
    }
    (Some(expires), Some(text))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lifetimes_are_clamped_and_no_expiry_needs_consent() {
        let settings = WebhookSettings::default();
        let ttl = |t| {
            let (at, text) = grant(&settings, t);
            (at.map(|at| (at - now_ms()) / 1000), text)
        };
        let (at, text) = ttl(None);
        assert!(matches!(at, Some(3599 | 3600)), "{at:?}");
        let text = text.unwrap_or_default();
        assert!(text.ends_with('Z') && !text.contains('.'), "{text}");
        assert!(matches!(ttl(Some(Some(1000))).0, Some(59 | 60)));
        assert!(matches!(ttl(Some(Some(u64::MAX))).0, Some(86_399 | 86_400)));
        assert!(matches!(ttl(Some(None)).0, Some(86_399 | 86_400)));
        let consenting = WebhookSettings {
            allow_no_expiry: true,
            ..Default::default()
        };
        assert_eq!(grant(&consenting, Some(None)), (None, None));
    }
}
