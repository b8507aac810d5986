//! Stamping the 2026-07-28 request envelope on every request a modern client sends: in
//! `params._meta`, the protocol version it is written in, what the client can do, who the
//! client is, and (when the user asked for logs) the lowest log level it wants (Base Protocol
//! › Overview › General fields › `_meta`,
//! <https://modelcontextprotocol.io/specification/2026-07-28/basic>). The envelope's wire
//! model, as servers read it, is [`spate_protocol::envelope::RequestEnvelope`]; this side
//! keeps its parts pre-serialised, since it writes them on every request.

use std::sync::Mutex;

use serde_json::Value;
use serde_json::value::RawValue;
use spate_protocol::jsonrpc::to_raw;
use spate_protocol::meta::{
    CLIENT_CAPABILITIES_KEY, CLIENT_INFO_KEY, LOG_LEVEL_KEY, PROTOCOL_VERSION_KEY,
};
use spate_protocol::{
    ClientCapabilities, FitVersion, Implementation, JsonObject, LoggingLevel, ProtocolVersion,
};

use super::era::retry_with;
use crate::engine::{PeerError, PeerHandle, RequestOptions};

/// What a modern client stamps on each request.
#[derive(Debug)]
pub(crate) struct RequestStamp {
    version: ProtocolVersion,
    capabilities: Value,
    client_info: Value,
    log_level: Mutex<Option<LoggingLevel>>,
}

impl RequestStamp {
    /// The envelope of a client with these capabilities and this identity.
    pub(crate) fn new(
        version: ProtocolVersion,
        capabilities: ClientCapabilities,
        client_info: Implementation,
        log_level: Option<LoggingLevel>,
    ) -> Self {
        let json =
            |v: serde_json::Result<Value>| v.unwrap_or_else(|_| Value::Object(JsonObject::new()));
        Self {
            version,
            capabilities: json(serde_json::to_value(capabilities.fitted(version))),
            client_info: json(serde_json::to_value(client_info.fitted(version))),
            log_level: Mutex::new(log_level),
        }
    }

    /// The version every request is written in.
    pub(crate) fn version(&self) -> ProtocolVersion {
        self.version
    }

    /// Sets the log level later requests ask for (`None`: no logs).
    pub(crate) fn set_log_level(&self, level: Option<LoggingLevel>) {
        *self
            .log_level
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = level;
    }

    /// Writes the envelope into `params._meta`, keeping whatever else `_meta` holds.
    pub(crate) fn stamp(&self, params: &mut JsonObject) {
        let meta = params
            .entry("_meta")
            .or_insert_with(|| Value::Object(JsonObject::new()));
        if !meta.is_object() {
            *meta = Value::Object(JsonObject::new());
        }
        let Value::Object(meta) = meta else { return };
        meta.insert(PROTOCOL_VERSION_KEY.into(), self.version.as_str().into());
        meta.insert(CLIENT_CAPABILITIES_KEY.into(), self.capabilities.clone());
        meta.insert(CLIENT_INFO_KEY.into(), self.client_info.clone());
        let level = *self
            .log_level
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        match level.map(serde_json::to_value) {
            Some(Ok(level)) => meta.insert(LOG_LEVEL_KEY.into(), level),
            _ => meta.remove(LOG_LEVEL_KEY),
        };
    }

    /// Sends one stamped request. A `-32022` that names our version is answered by sending
    /// the request once more (a new id): the server may have rejected an earlier choice.
    pub(crate) async fn request(
        &self,
        peer: &PeerHandle,
        method: &str,
        params: &JsonObject,
        options: RequestOptions,
    ) -> Result<Box<RawValue>, PeerError> {
        let mut params = params.clone();
        self.stamp(&mut params);
        let raw = to_raw(&params);
        match peer
            .request_raw(method, Some(raw.clone()), options.clone())
            .await
        {
            Err(error) if retry_with(&error, self.version) => {
                tracing::debug!("{method}: the server asked for {}; retrying", self.version);
                peer.request_raw(method, Some(raw), options).await
            }
            outcome => outcome,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn the_stamp_keeps_other_meta_and_follows_the_log_level() {
        let caps = ClientCapabilities {
            roots: Some(spate_protocol::RootsCapability {
                list_changed: Some(true),
            }),
            ..Default::default()
        };
        let envelope = RequestStamp::new(
            ProtocolVersion::V2026_07_28,
            caps,
            Implementation::new("c", "1"),
            None,
        );
        let mut params = json!({"name": "t", "_meta": {"progressToken": 3}})
            .as_object()
            .unwrap()
            .clone();
        envelope.stamp(&mut params);
        assert_eq!(
            params["_meta"],
            json!({
                "progressToken": 3,
                PROTOCOL_VERSION_KEY: "2026-07-28",
                CLIENT_CAPABILITIES_KEY: {"roots": {}},
                CLIENT_INFO_KEY: {"name": "c", "version": "1"},
            })
        );
        envelope.set_log_level(Some(LoggingLevel::Warning));
        envelope.stamp(&mut params);
        assert_eq!(params["_meta"][LOG_LEVEL_KEY], "warning");
        envelope.set_log_level(None);
        envelope.stamp(&mut params);
        assert!(params["_meta"].get(LOG_LEVEL_KEY).is_none());
    }
}
