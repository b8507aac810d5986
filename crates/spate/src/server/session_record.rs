//! A session's negotiated state as a plain record of the store ([`SessionRecord`]), and back:
//! what lets a transport keep its sessions across a restart without the client initializing
//! again.

use std::sync::Arc;
use std::sync::atomic::Ordering;

use futures_util::future::BoxFuture;

#[cfg(feature = "http-server")]
use super::Principal;
use super::router::SessionState;
#[cfg(feature = "http-server")]
use crate::store::session_store::{PrincipalRecord, SessionRecord};

/// Told of every change of a session worth storing (the handshake, `initialized`, the log
/// level, resource subscriptions, the task owner); the change is stored when the future
/// resolves.
pub(crate) type OnChange = Arc<dyn Fn(&SessionState) -> BoxFuture<'static, ()> + Send + Sync>;

impl SessionState {
    #[cfg(feature = "http-server")]
    /// The state rebuilt from a stored record (a session restored after a restart).
    pub(crate) fn from_record(record: &SessionRecord) -> Self {
        let state = Self::default();
        if let Some(version) = record
            .protocol_version
            .as_deref()
            .and_then(spate_protocol::ProtocolVersion::parse)
        {
            let _ = state.version.set(version);
        }
        if let Some(caps) = &record.client_capabilities {
            let _ = state.client_capabilities.set(caps.clone());
        }
        if let Some(info) = &record.client_info {
            let _ = state.client_info.set(info.clone());
        }
        state
            .initialized
            .store(record.initialized, Ordering::Release);
        *crate::mutex::lock(&state.log_level) = record.log_level;
        crate::mutex::lock(&state.subscriptions).extend(record.subscriptions.iter().cloned());
        if let Some(p) = &record.principal {
            let _ = state.principal.set(Principal {
                subject: p.subject.clone(),
                client_id: p.client_id.clone(),
                issuer: p.issuer.clone(),
                scopes: p.scopes.clone(),
                expires_at: p.expires_at,
                claims: p.claims.clone(),
            });
        }
        if let Some(owner) = &record.task_owner {
            let _ = state.task_owner.set(owner.clone());
        }
        state.revision.store(record.revision, Ordering::Release);
        state
    }

    #[cfg(feature = "http-server")]
    /// The record of this state, for session `id`, at its current revision.
    pub(crate) fn to_record(&self, id: &str) -> SessionRecord {
        let mut record = SessionRecord::new(id);
        record.revision = self.revision.load(Ordering::Acquire);
        record.protocol_version = self.version().map(|v| v.as_str().to_owned());
        record.client_capabilities = self.client_capabilities();
        record.client_info = self.client_info();
        record.initialized = self.is_initialized();
        record.log_level = *crate::mutex::lock(&self.log_level);
        record.subscriptions = crate::mutex::lock(&self.subscriptions)
            .iter()
            .cloned()
            .collect();
        record.principal = self.principal().map(|p| {
            PrincipalRecord::new(
                p.subject,
                p.client_id,
                p.issuer,
                p.scopes,
                p.expires_at,
                p.claims,
            )
        });
        record.task_owner = self.task_owner.get().cloned();
        record.used_ms = crate::store::now_ms();
        record
    }

    #[cfg(feature = "http-server")]
    /// Asks that every change be told to `on_change` (once; later calls are ignored).
    pub(crate) fn set_on_change(&self, on_change: OnChange) {
        let _ = self.on_change.set(on_change);
    }

    /// Notes a change worth storing: the next revision, told to the transport's store; the
    /// future resolves once it is stored (at once without a store).
    pub(crate) fn changed(&self) -> BoxFuture<'static, ()> {
        self.revision.fetch_add(1, Ordering::AcqRel);
        match self.on_change.get() {
            Some(on_change) => on_change(self),
            None => Box::pin(async {}),
        }
    }
}

#[cfg(all(test, feature = "http-server"))]
mod tests {
    use super::*;
    use spate_protocol::{LoggingLevel, ProtocolVersion};

    #[test]
    fn a_state_comes_back_from_its_record() {
        let state = SessionState::default();
        let _ = state.version.set(ProtocolVersion::V2025_11_25);
        state.initialized.store(true, Ordering::Release);
        *crate::mutex::lock(&state.log_level) = Some(LoggingLevel::Warning);
        crate::mutex::lock(&state.subscriptions).insert("demo://clock".into());
        state.set_principal(Principal {
            subject: Some("ada".into()),
            ..Principal::default()
        });
        let owner = state.task_owner().to_owned();
        drop(state.changed());
        let record = state.to_record("s1");
        assert_eq!(record.revision, 1);
        let back = SessionState::from_record(&record);
        assert_eq!(back.version(), Some(ProtocolVersion::V2025_11_25));
        assert!(back.is_initialized());
        assert!(back.logs(LoggingLevel::Error) && !back.logs(LoggingLevel::Info));
        assert!(back.is_subscribed("demo://clock"));
        assert_eq!(back.principal().and_then(|p| p.subject), Some("ada".into()));
        assert!(back.owns_tasks_of(&owner));
        assert_eq!(back.to_record("s1").subscriptions, record.subscriptions);
    }
}
