//! Who a request comes from, once the transport has authenticated it.

use std::collections::BTreeSet;

use spate_protocol::JsonObject;

/// The authenticated caller of a request, as its access token says (validated by the HTTP
/// transport's resource-server checks). The token itself is never kept: a server must not
/// pass a client's token on to other services.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Principal {
    /// The subject (`sub`): the user or machine the token was issued to.
    pub subject: Option<String>,
    /// The OAuth client that obtained the token (`client_id` / `azp`).
    pub client_id: Option<String>,
    /// The issuer (`iss`).
    pub issuer: Option<String>,
    /// The granted scopes.
    pub scopes: BTreeSet<String>,
    /// When the token expires (Unix seconds), if it says.
    pub expires_at: Option<u64>,
    /// Every claim of the token (or introspection answer), for what the fields above miss.
    pub claims: JsonObject,
}

impl Principal {
    /// Whether every scope of `needed` was granted.
    pub fn has_scopes<'a>(&self, needed: impl IntoIterator<Item = &'a String>) -> bool {
        needed.into_iter().all(|s| self.scopes.contains(s))
    }
}
