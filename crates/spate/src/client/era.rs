//! Which protocol era a connection speaks, and how a dual-era client finds out (2026-07-28:
//! Versioning and Compatibility › Backward Compatibility with Initialization-Based Versions,
//! <https://modelcontextprotocol.io/specification/2026-07-28/basic/versioning>, and the
//! "Backward Compatibility" sections of the stdio and Streamable HTTP transport pages).
//!
//! The probe is a `server/discover` in the 2026-07-28 envelope. A `DiscoverResult` means a
//! modern server. A *recognised modern error* means a modern server too: `-32022` names
//! the versions it speaks (the client retries with one it shares, and does not fall back),
//! `-32020`/`-32021` say it refused this request. Anything else — another JSON-RPC error
//! (`-32601`, `-32602`, a legacy server's "no session" `-32000`), an HTTP error without a
//! modern body, a timeout (a stdio server that stays silent) — means a legacy server, and
//! the client runs `initialize` instead. The fallback is never keyed to one error code.
//!
//! Over HTTP the decision is remembered per origin for the life of the process, so the next
//! connection to a legacy server skips the probe; a connection that fails forgets it, so the
//! one after probes again (the server may have changed).

use std::collections::HashMap;
use std::sync::Mutex;

use spate_protocol::{
    Era, ErrorObject, ProtocolVersion, UnsupportedProtocolVersionData, error_code,
};

use crate::engine::PeerError;
use crate::mutex::lock;

/// Which era to speak.
///
/// The default is [`EraChoice::Legacy`], so code written against the handshake keeps its
/// sessions, `resources/subscribe` and server→client requests; choose [`EraChoice::Auto`]
/// to talk to any server in the newest era it speaks (the `spate` CLI does).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum EraChoice {
    /// Probe with `server/discover`; fall back to `initialize` for legacy servers.
    Auto,
    /// The `initialize` handshake (2024-11-05 … 2025-11-25), without probing.
    #[default]
    Legacy,
    /// 2026-07-28 only: `server/discover` must succeed, there is no fallback.
    Modern,
}

/// What a failed `server/discover` says about the server.
#[derive(Debug)]
pub(crate) enum ProbeVerdict {
    /// A legacy server: run `initialize`.
    Legacy,
    /// A modern server that refused: the connection fails with this error.
    Refused(PeerError),
}

/// Reads a failed probe (after any version retry).
pub(crate) fn judge(error: PeerError) -> ProbeVerdict {
    match &error {
        PeerError::Remote(e) if e.code == error_code::UNSUPPORTED_PROTOCOL_VERSION => {
            // A modern server that shares no modern version with us; if it also speaks a
            // handshake version, talk to it that way.
            let legacy = supported_versions(e).iter().any(|v| v.era() == Era::Legacy);
            if legacy {
                ProbeVerdict::Legacy
            } else {
                ProbeVerdict::Refused(error)
            }
        }
        PeerError::Remote(e)
            if matches!(
                e.code,
                error_code::HEADER_MISMATCH | error_code::MISSING_REQUIRED_CLIENT_CAPABILITY
            ) =>
        {
            ProbeVerdict::Refused(error)
        }
        PeerError::Remote(_) | PeerError::Timeout(_) | PeerError::Malformed(_) => {
            ProbeVerdict::Legacy
        }
        PeerError::Closed | PeerError::Cancelled | PeerError::Busy(_) => {
            ProbeVerdict::Refused(error)
        }
    }
}

/// The versions a `-32022` error names that this crate knows.
fn supported_versions(error: &ErrorObject) -> Vec<ProtocolVersion> {
    error
        .data
        .clone()
        .and_then(|d| serde_json::from_value::<UnsupportedProtocolVersionData>(d).ok())
        .map(|d| {
            d.supported
                .iter()
                .filter_map(|v| ProtocolVersion::parse(v))
                .collect()
        })
        .unwrap_or_default()
}

/// Whether a request refused with this error is worth sending again with `version`: a
/// `-32022` whose `supported` list names it (the server may have rejected an earlier
/// choice, or, as the conformance suite does, the first request whatever it said).
pub(crate) fn retry_with(error: &PeerError, version: ProtocolVersion) -> bool {
    matches!(error, PeerError::Remote(e)
        if e.code == error_code::UNSUPPORTED_PROTOCOL_VERSION
            && supported_versions(e).contains(&version))
}

/// Origins remembered at most; beyond that the table starts afresh.
const MAX_ORIGINS: usize = 256;

/// The era found for each HTTP origin by an [`EraChoice::Auto`] probe, so the next
/// connection to it does not probe again. Clones of a [`ClientBuilder`](super::ClientBuilder)
/// share theirs; pass one to several builders with
/// [`ClientBuilder::era_memory`](super::ClientBuilder::era_memory). Bounded (256 origins).
#[derive(Debug, Default)]
pub struct EraMemory {
    eras: Mutex<HashMap<String, Era>>,
}

impl EraMemory {
    /// The era decided earlier for an HTTP origin.
    pub(crate) fn remembered(&self, origin: &str) -> Option<Era> {
        lock(&self.eras).get(origin).copied()
    }

    /// Remembers the era of an HTTP origin.
    pub(crate) fn remember(&self, origin: &str, era: Era) {
        let mut map = lock(&self.eras);
        if map.len() >= MAX_ORIGINS && !map.contains_key(origin) {
            map.clear();
        }
        map.insert(origin.to_owned(), era);
    }

    /// Forgets what was decided for an origin (its server changed).
    pub(crate) fn forget(&self, origin: &str) {
        lock(&self.eras).remove(origin);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn remote(code: i64, data: Option<serde_json::Value>) -> PeerError {
        let mut e = ErrorObject::new(code, "x");
        e.data = data;
        PeerError::Remote(e)
    }

    #[test]
    fn only_recognised_modern_errors_stop_the_fallback() {
        for legacy in [
            remote(-32601, None),
            remote(-32602, None),
            remote(-32000, None),
            // The HTTP client's transport error (`HTTP_ERROR`) for a 400.
            remote(-32050, Some(json!({"httpStatus": 400}))),
            remote(
                -32022,
                Some(json!({"supported": ["2025-11-25"], "requested": "x"})),
            ),
            PeerError::Timeout(std::time::Duration::from_secs(1)),
        ] {
            assert!(matches!(judge(legacy), ProbeVerdict::Legacy));
        }
        for modern in [
            remote(-32020, None),
            remote(-32021, None),
            remote(
                -32022,
                Some(json!({"supported": ["2099-01-01"], "requested": "x"})),
            ),
            PeerError::Closed,
        ] {
            assert!(matches!(judge(modern), ProbeVerdict::Refused(_)));
        }
    }

    #[test]
    fn a_version_is_retried_only_when_the_server_names_it() {
        let v = ProtocolVersion::V2026_07_28;
        let named = remote(
            -32022,
            Some(json!({"supported": ["2026-07-28"], "requested": "2026-07-28"})),
        );
        assert!(retry_with(&named, v));
        assert!(!retry_with(&remote(-32022, None), v));
        assert!(!retry_with(&remote(-32602, None), v));
    }

    #[test]
    fn origins_are_remembered_and_forgotten() {
        let memory = EraMemory::default();
        let origin = "http://remember.invalid:1";
        assert_eq!(memory.remembered(origin), None);
        memory.remember(origin, Era::Legacy);
        assert_eq!(memory.remembered(origin), Some(Era::Legacy));
        memory.forget(origin);
        assert_eq!(memory.remembered(origin), None);
    }
}
