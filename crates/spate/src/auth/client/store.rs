//! Where a client keeps what it got per MCP server: the authorization server it used, its
//! registration there, and its tokens. [`MemoryTokenStore`] for a process's life;
//! [`FileTokenStore`] for a command-line client (one file, owner-only permissions).

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use serde::{Deserialize, Serialize};

use super::OAuthError;
use super::token::TokenSet;

/// A client's registration at one authorization server. `Debug` shows no secret.
#[derive(Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct ClientRegistration {
    /// The issuer of the authorization server it belongs to (never reused at another).
    pub issuer: String,
    /// The client id.
    pub client_id: String,
    /// The client secret, for a confidential client.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_secret: Option<String>,
    /// The token-endpoint authentication method it registered with.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token_endpoint_auth_method: Option<String>,
}

impl std::fmt::Debug for ClientRegistration {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClientRegistration")
            .field("issuer", &self.issuer)
            .field("client_id", &self.client_id)
            .field("client_secret", &self.client_secret.as_ref().map(|_| "…"))
            .field(
                "token_endpoint_auth_method",
                &self.token_endpoint_auth_method,
            )
            .finish()
    }
}

/// What is kept for one MCP server.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, Eq)]
pub struct StoredAuth {
    /// The registration at the server's authorization server.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client: Option<ClientRegistration>,
    /// The tokens (issued by `client.issuer`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tokens: Option<TokenSet>,
    /// The scopes last requested, the base of a step-up.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scope: Option<String>,
}

/// Keeps [`StoredAuth`] by MCP server URL. Implementations must keep tokens private.
pub trait TokenStore: Send + Sync + std::fmt::Debug {
    /// What is kept for `server`.
    fn load(&self, server: &str) -> Result<Option<StoredAuth>, OAuthError>;
    /// Replaces what is kept for `server`.
    fn save(&self, server: &str, auth: &StoredAuth) -> Result<(), OAuthError>;
    /// Forgets `server`.
    fn remove(&self, server: &str) -> Result<(), OAuthError>;
}

/// A [`TokenStore`] in memory.
#[derive(Debug, Default)]
pub struct MemoryTokenStore {
    entries: Mutex<HashMap<String, StoredAuth>>,
}

impl MemoryTokenStore {
    fn entries(&self) -> std::sync::MutexGuard<'_, HashMap<String, StoredAuth>> {
        self.entries
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

impl TokenStore for MemoryTokenStore {
    fn load(&self, server: &str) -> Result<Option<StoredAuth>, OAuthError> {
        Ok(self.entries().get(server).cloned())
    }

    fn save(&self, server: &str, auth: &StoredAuth) -> Result<(), OAuthError> {
        self.entries().insert(server.to_owned(), auth.clone());
        Ok(())
    }

    fn remove(&self, server: &str) -> Result<(), OAuthError> {
        self.entries().remove(server);
        Ok(())
    }
}

/// A [`TokenStore`] in one JSON file, created with permissions `0600` (owner only) and
/// replaced atomically on every change.
#[derive(Debug)]
pub struct FileTokenStore {
    path: PathBuf,
    lock: Mutex<()>,
}

impl FileTokenStore {
    /// A store in the file at `path` (created on the first save).
    pub fn new(path: impl Into<PathBuf>) -> Self {
        Self {
            path: path.into(),
            lock: Mutex::new(()),
        }
    }

    /// The default file: `$XDG_CONFIG_HOME/spate/oauth.json`, else `~/.config/spate/oauth.json`.
    pub fn default_path() -> Option<PathBuf> {
        let base = std::env::var_os("XDG_CONFIG_HOME")
            .filter(|v| !v.is_empty())
            .map(PathBuf::from)
            .or_else(|| std::env::var_os("HOME").map(|h| Path::new(&h).join(".config")))?;
        Some(base.join("spate").join("oauth.json"))
    }

    /// The file this store uses.
    pub fn path(&self) -> &Path {
        &self.path
    }

    fn read(&self) -> Result<HashMap<String, StoredAuth>, OAuthError> {
        match std::fs::read(&self.path) {
            Ok(bytes) => serde_json::from_slice(&bytes).map_err(|e| {
                OAuthError::Store(format!("{} is not a token file: {e}", self.path.display()))
            }),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(HashMap::new()),
            Err(e) => Err(OAuthError::Store(format!("{}: {e}", self.path.display()))),
        }
    }

    fn write(&self, entries: &HashMap<String, StoredAuth>) -> Result<(), OAuthError> {
        use std::io::Write;
        use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
        let failed = |e: std::io::Error| OAuthError::Store(format!("{}: {e}", self.path.display()));
        if let Some(dir) = self.path.parent() {
            std::fs::create_dir_all(dir).map_err(failed)?;
        }
        let temp = self.path.with_extension("json.tmp");
        let _ = std::fs::remove_file(&temp);
        let mut file = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(&temp)
            .map_err(failed)?;
        file.set_permissions(std::fs::Permissions::from_mode(0o600))
            .map_err(failed)?;
        let body =
            serde_json::to_vec_pretty(entries).map_err(|e| OAuthError::Store(e.to_string()))?;
        file.write_all(&body).map_err(failed)?;
        file.sync_all().map_err(failed)?;
        std::fs::rename(&temp, &self.path).map_err(failed)
    }

    fn update(
        &self,
        change: impl FnOnce(&mut HashMap<String, StoredAuth>),
    ) -> Result<(), OAuthError> {
        let _guard = self
            .lock
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let mut entries = self.read()?;
        change(&mut entries);
        self.write(&entries)
    }
}

impl TokenStore for FileTokenStore {
    fn load(&self, server: &str) -> Result<Option<StoredAuth>, OAuthError> {
        Ok(self.read()?.remove(server))
    }

    fn save(&self, server: &str, auth: &StoredAuth) -> Result<(), OAuthError> {
        self.update(|entries| {
            entries.insert(server.to_owned(), auth.clone());
        })
    }

    fn remove(&self, server: &str) -> Result<(), OAuthError> {
        if !self.path.exists() {
            return Ok(());
        }
        self.update(|entries| {
            entries.remove(server);
        })
    }
}

#[cfg(test)]
mod tests {
    use std::os::unix::fs::PermissionsExt;

    use super::*;

    #[test]
    fn file_store_round_trips_with_owner_only_permissions() {
        let dir = std::env::temp_dir().join(format!("spate-oauth-{}", std::process::id()));
        let store = FileTokenStore::new(dir.join("nested").join("oauth.json"));
        let auth = StoredAuth {
            tokens: Some(TokenSet {
                access_token: "a".into(),
                refresh_token: Some("r".into()),
                expires_at: Some(1),
                scope: None,
            }),
            ..Default::default()
        };
        store.save("http://s/mcp", &auth).unwrap();
        let mode = std::fs::metadata(store.path())
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
        assert_eq!(store.load("http://s/mcp").unwrap(), Some(auth));
        assert_eq!(store.load("http://other/mcp").unwrap(), None);
        store.remove("http://s/mcp").unwrap();
        assert_eq!(store.load("http://s/mcp").unwrap(), None);
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn debug_shows_neither_secret_nor_tokens() {
        let auth = StoredAuth {
            client: Some(ClientRegistration {
                issuer: "https://as.example".into(),
                client_id: "id-1".into(),
                client_secret: Some("s3cret-value".into()),
                token_endpoint_auth_method: None,
            }),
            tokens: Some(TokenSet {
                access_token: "acc-token-value".into(),
                refresh_token: Some("ref-token-value".into()),
                expires_at: None,
                scope: None,
            }),
            scope: None,
        };
        let shown = format!("{auth:?}");
        assert!(shown.contains("id-1"), "{shown}");
        for secret in ["s3cret-value", "acc-token-value", "ref-token-value"] {
            assert!(!shown.contains(secret), "{secret} in {shown}");
        }
    }
}
