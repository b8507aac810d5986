//! [`OAuthClient`]: one MCP server's authorization, and the flow that renews it.

use std::sync::Mutex;

use url::Url;

use super::challenge::Challenge;
use super::discovery::{self, AuthServerMetadata};
use super::registration;
use super::store::{ClientRegistration, StoredAuth};
use super::token::{self, ClientAuth, TokenSet};
use super::{GrantKind, OAuthClientConfig, OAuthError};

/// The scope that asks for a refresh token (OpenID Connect).
const OFFLINE_ACCESS: &str = "offline_access";

/// One MCP server's authorization: the current access token, and [`OAuthClient::authorize`]
/// to get a new one when the server refuses it (see the [module docs](crate::auth::client)).
pub struct OAuthClient {
    server: Url,
    /// The server URL as given: the store key, and `resource` when there is no metadata.
    key: String,
    config: OAuthClientConfig,
    http: reqwest::Client,
    /// Held while authorizing: one flow at a time.
    flow: tokio::sync::Mutex<()>,
    auth: Mutex<StoredAuth>,
}

impl std::fmt::Debug for OAuthClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OAuthClient")
            .field("server", &self.key)
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

/// What discovery found for one authorization.
struct Found {
    /// Sent as `resource`, unchanged.
    resource: String,
    metadata: AuthServerMetadata,
    /// The resource's `scopes_supported`.
    scopes: Vec<String>,
}

impl OAuthClient {
    /// The authorization of the MCP server at `server`, starting from what `config.store`
    /// kept for it.
    pub fn new(server: &str, config: OAuthClientConfig) -> Result<Self, OAuthError> {
        let url = Url::parse(server)
            .map_err(|_| OAuthError::Config(format!("{server:?} is not a URL")))?;
        let key = server.split('#').next().unwrap_or(server).to_owned();
        let stored = config.store.load(&key)?.unwrap_or_default();
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|e| OAuthError::Config(e.to_string()))?;
        Ok(Self {
            server: url,
            key,
            config,
            http,
            flow: tokio::sync::Mutex::new(()),
            auth: Mutex::new(stored),
        })
    }

    fn current(&self) -> std::sync::MutexGuard<'_, StoredAuth> {
        self.auth
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// The access token to send, if there is one.
    pub fn access_token(&self) -> Option<String> {
        self.current()
            .tokens
            .as_ref()
            .map(|t| t.access_token.clone())
    }

    /// The scopes requested last.
    pub fn scope(&self) -> Option<String> {
        self.current().scope.clone()
    }

    /// How many authorizations one request may cause.
    pub fn max_authorizations(&self) -> u32 {
        self.config.max_authorizations
    }

    /// Forgets the tokens and registration, here and in the store.
    pub fn logout(&self) -> Result<(), OAuthError> {
        *self.current() = StoredAuth::default();
        self.config.store.remove(&self.key)
    }

    fn save(&self, auth: StoredAuth) -> Result<(), OAuthError> {
        self.config.store.save(&self.key, &auth)?;
        *self.current() = auth;
        Ok(())
    }

    /// Gets a new access token after the server refused `used` (`None`: none was sent) with
    /// `challenge`: a `401`, or a `403` whose challenge says `insufficient_scope`. Returns at
    /// once when another request already replaced `used`.
    pub async fn authorize(
        &self,
        challenge: &Challenge,
        used: Option<&str>,
    ) -> Result<(), OAuthError> {
        let _flow = self.flow.lock().await;
        let current = self.access_token();
        if current.is_some() && current.as_deref() != used {
            return Ok(());
        }
        let step_up = challenge.insufficient_scope();
        let found = self.discover(challenge).await?;
        let mut auth = self.current().clone();
        if auth
            .client
            .as_ref()
            .is_some_and(|c| c.issuer != found.metadata.issuer)
        {
            // Another authorization server now: nothing from the old one is used there.
            tracing::info!("the MCP server moved to {}", found.metadata.issuer);
            auth = StoredAuth::default();
        }
        if !step_up {
            if let Some(tokens) = self.refresh(&auth, &found).await {
                auth.tokens = Some(tokens);
                return self.save(auth);
            }
        }
        let scope = self.choose_scope(challenge, &auth, &found, step_up);
        let tokens = match self.config.grant {
            GrantKind::ClientCredentials => {
                self.client_credentials(&found, scope.as_deref()).await?
            }
            GrantKind::AuthorizationCode => {
                let authorizer = self.config.authorizer.as_ref().ok_or_else(|| {
                    OAuthError::Config("the authorization-code grant needs an authorizer".into())
                })?;
                let redirect_uri = authorizer.redirect_uri();
                let client = match auth.client.clone() {
                    Some(client) => client,
                    None => {
                        let client = registration::register(
                            &self.http,
                            &self.config,
                            &found.metadata,
                            &redirect_uri,
                        )
                        .await?;
                        auth.client = Some(client.clone());
                        self.save(auth.clone())?;
                        client
                    }
                };
                self.authorization_code(&found, &client, &redirect_uri, scope.as_deref())
                    .await?
            }
        };
        auth.tokens = Some(tokens);
        auth.scope = scope;
        self.save(auth)
    }

    /// Finds the resource identifier and the authorization server (module docs, 1 and 2).
    async fn discover(&self, challenge: &Challenge) -> Result<Found, OAuthError> {
        let advertised = challenge.resource_metadata.as_deref();
        match discovery::protected_resource(&self.http, &self.server, advertised).await? {
            Some(prm) => {
                let metadata = self.first_auth_server(&prm.authorization_servers).await?;
                Ok(Found {
                    resource: prm.resource.unwrap_or_else(|| self.key.clone()),
                    metadata,
                    scopes: prm.scopes_supported,
                })
            }
            None => {
                // 2025-03-26: the MCP server's origin is the authorization server.
                let origin = self.server.origin().ascii_serialization();
                let metadata = discovery::auth_server(&self.http, &origin)
                    .await?
                    .unwrap_or_else(|| AuthServerMetadata::defaults_at(&origin));
                Ok(Found {
                    resource: self.key.clone(),
                    metadata,
                    scopes: Vec::new(),
                })
            }
        }
    }

    /// The metadata of the first of the resource's authorization servers that has any (in
    /// the resource's order; one that fails or has none is passed over).
    async fn first_auth_server(
        &self,
        issuers: &[String],
    ) -> Result<AuthServerMetadata, OAuthError> {
        let mut why = OAuthError::Discovery("the resource names no authorization server".into());
        for issuer in issuers {
            match discovery::auth_server(&self.http, issuer).await {
                Ok(Some(metadata)) => return Ok(metadata),
                Ok(None) => why = OAuthError::Discovery(format!("no metadata for {issuer}")),
                Err(e) => why = e,
            }
            tracing::debug!("authorization server {issuer} passed over: {why}");
        }
        Err(why)
    }

    /// The scopes to request (module docs, 4); `None` to send no `scope`.
    fn choose_scope(
        &self,
        challenge: &Challenge,
        auth: &StoredAuth,
        found: &Found,
        step_up: bool,
    ) -> Option<String> {
        let words = |s: &str| s.split_whitespace().map(str::to_owned).collect::<Vec<_>>();
        let asked = match &challenge.scope {
            Some(scope) => words(scope),
            None => found.scopes.clone(),
        };
        let mut scopes = if step_up {
            auth.scope.as_deref().map(words).unwrap_or_default()
        } else {
            Vec::new()
        };
        for scope in asked {
            if !scopes.contains(&scope) {
                scopes.push(scope);
            }
        }
        let offline = OFFLINE_ACCESS.to_owned();
        if self.config.grant == GrantKind::AuthorizationCode
            && found.metadata.scopes_supported.contains(&offline)
            && !scopes.contains(&offline)
        {
            scopes.push(offline);
        }
        (!scopes.is_empty()).then(|| scopes.join(" "))
    }

    /// How `client` authenticates at the token endpoint.
    fn client_auth(client: &ClientRegistration, metadata: &AuthServerMetadata) -> ClientAuth {
        ClientAuth::choose(
            &client.client_id,
            client.client_secret.as_deref(),
            client.token_endpoint_auth_method.as_deref(),
            |m| metadata.supports_auth_method(m),
        )
    }

    /// New tokens from the refresh token, if there is one and the server takes it.
    async fn refresh(&self, auth: &StoredAuth, found: &Found) -> Option<TokenSet> {
        let refresh_token = auth.tokens.as_ref()?.refresh_token.clone()?;
        let client = auth.client.as_ref()?;
        let form = vec![
            ("grant_type", "refresh_token".to_owned()),
            ("refresh_token", refresh_token.clone()),
            ("resource", found.resource.clone()),
        ];
        let client_auth = Self::client_auth(client, &found.metadata);
        match token::request(
            &self.http,
            &found.metadata.token_endpoint,
            form,
            &client_auth,
        )
        .await
        {
            Ok(mut tokens) => {
                tokens.refresh_token.get_or_insert(refresh_token);
                Some(tokens)
            }
            Err(e) => {
                tracing::debug!("refreshing the token failed ({e}); authorizing again");
                None
            }
        }
    }

    /// The authorization-code grant with PKCE (module docs, 5).
    async fn authorization_code(
        &self,
        found: &Found,
        client: &ClientRegistration,
        redirect_uri: &str,
        scope: Option<&str>,
    ) -> Result<TokenSet, OAuthError> {
        let metadata = &found.metadata;
        let s256 = metadata
            .code_challenge_methods_supported
            .as_ref()
            .is_some_and(|m| m.iter().any(|m| m == "S256"));
        if !s256 {
            return Err(OAuthError::PkceUnsupported(metadata.issuer.clone()));
        }
        let endpoint = metadata.authorization_endpoint.as_deref().ok_or_else(|| {
            OAuthError::Discovery(format!("{} has no authorization endpoint", metadata.issuer))
        })?;
        let mut url = Url::parse(endpoint)
            .map_err(|_| OAuthError::Discovery(format!("bad authorization endpoint {endpoint}")))?;
        let (verifier, code_challenge) = token::pkce();
        let state = token::random_string(16);
        {
            let mut query = url.query_pairs_mut();
            query
                .append_pair("response_type", "code")
                .append_pair("client_id", &client.client_id)
                .append_pair("redirect_uri", redirect_uri)
                .append_pair("state", &state)
                .append_pair("code_challenge", &code_challenge)
                .append_pair("code_challenge_method", "S256")
                .append_pair("resource", &found.resource);
            if let Some(scope) = scope {
                query.append_pair("scope", scope);
            }
        }
        let authorizer = self
            .config
            .authorizer
            .as_ref()
            .ok_or_else(|| OAuthError::Config("no authorizer".into()))?;
        let response = authorizer.authorize(&url).await?;
        // RFC 9207: an exact comparison, before anything else of the response is believed.
        match (
            &response.iss,
            metadata.authorization_response_iss_parameter_supported,
        ) {
            (Some(iss), _) if *iss != metadata.issuer => {
                return Err(OAuthError::IssMismatch {
                    expected: metadata.issuer.clone(),
                    found: Some(iss.clone()),
                });
            }
            (None, true) => {
                return Err(OAuthError::IssMismatch {
                    expected: metadata.issuer.clone(),
                    found: None,
                });
            }
            _ => {}
        }
        if response.state.as_deref() != Some(state.as_str()) {
            return Err(OAuthError::StateMismatch);
        }
        if let Some(error) = response.error {
            return Err(OAuthError::Denied(error));
        }
        let code = response
            .code
            .ok_or_else(|| OAuthError::Denied("the redirect carried no code".into()))?;
        let form = vec![
            ("grant_type", "authorization_code".to_owned()),
            ("code", code),
            ("redirect_uri", redirect_uri.to_owned()),
            ("code_verifier", verifier),
            ("resource", found.resource.clone()),
        ];
        let client_auth = Self::client_auth(client, metadata);
        token::request(&self.http, &metadata.token_endpoint, form, &client_auth).await
    }

    /// The client-credentials grant.
    async fn client_credentials(
        &self,
        found: &Found,
        scope: Option<&str>,
    ) -> Result<TokenSet, OAuthError> {
        let id = self.config.client_id.clone().ok_or_else(|| {
            OAuthError::Config("the client-credentials grant needs a client id".into())
        })?;
        let client_auth = match &self.config.private_key_pem {
            Some(key_pem) => ClientAuth::PrivateKeyJwt {
                id,
                key_pem: key_pem.clone(),
                audience: found.metadata.issuer.clone(),
            },
            None => {
                let client = ClientRegistration {
                    issuer: found.metadata.issuer.clone(),
                    client_id: id,
                    client_secret: self.config.client_secret.clone(),
                    token_endpoint_auth_method: None,
                };
                Self::client_auth(&client, &found.metadata)
            }
        };
        let mut form = vec![
            ("grant_type", "client_credentials".to_owned()),
            ("resource", found.resource.clone()),
        ];
        if let Some(scope) = scope {
            form.push(("scope", scope.to_owned()));
        }
        token::request(
            &self.http,
            &found.metadata.token_endpoint,
            form,
            &client_auth,
        )
        .await
    }
}
