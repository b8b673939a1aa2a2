//! The identity provider as the agent talks to it: its discovery document and signing keys
//! (each kept in the isolate for as long as the provider allows), the authorization URL of
//! a new sign-in, and the code-for-token exchange whose id_token `kbc-identity` verifies.
//!
//! The issuer is configuration (`OIDC_ISSUER`): Google in production, the local fake in
//! development and tests. Tokens, codes and secrets never reach a log line or a page.

use kbc_edge::runtime;
use kbc_identity::id_token::{self, Expected, Person, Rejection};
use kbc_identity::jwks::{self, SigningKeys};
use serde::Deserialize;
use std::cell::RefCell;
use worker::{Env, Fetch, Headers, Method, Request, RequestInit};

pub const GOOGLE: &str = "https://accounts.google.com";
/// How long a discovery document is kept (Google's changes rarely and says a day).
const DISCOVERY_SECONDS: i64 = 3600;

/// The client registration and where the provider lives.
pub struct Provider {
    pub issuer: String,
    pub client_id: String,
    client_secret: String,
    pub redirect_uri: String,
}

/// What is missing to sign anyone in (said on the sign-in page, never a crash).
#[derive(Debug)]
pub struct NotConfigured(pub &'static str);

impl Provider {
    pub fn from_env(env: &Env, own_origin: &str) -> Result<Self, NotConfigured> {
        let issuer = runtime::var(env, "OIDC_ISSUER").unwrap_or_else(|| GOOGLE.to_owned());
        // Secrets in production; plain vars locally, where the client is the fake's.
        let client_id = env
            .secret("GOOGLE_CLIENT_ID")
            .map(|s| s.to_string())
            .ok()
            .filter(|id| !id.is_empty())
            .ok_or(NotConfigured("GOOGLE_CLIENT_ID"))?;
        let client_secret = env
            .secret("GOOGLE_SECRET")
            .map(|s| s.to_string())
            .ok()
            .filter(|secret| !secret.is_empty())
            .ok_or(NotConfigured("GOOGLE_SECRET"))?;
        Ok(Self {
            issuer: issuer.trim_end_matches('/').to_owned(),
            client_id,
            client_secret,
            redirect_uri: format!("{own_origin}/auth/callback"),
        })
    }

    /// The name people see on the sign-in button.
    pub fn display_name(&self) -> &'static str {
        "Google"
    }
}

/// The endpoints of the provider's discovery document that a sign-in uses.
#[derive(Debug, Clone, Deserialize)]
pub struct Endpoints {
    issuer: String,
    pub authorization_endpoint: String,
    token_endpoint: String,
    jwks_uri: String,
}

impl Endpoints {
    /// The origin of the authorization endpoint, for the sign-in page's `form-action`.
    pub fn authorization_origin(&self) -> Option<String> {
        url::Url::parse(&self.authorization_endpoint)
            .ok()
            .map(|url| url.origin().ascii_serialization())
    }
}

thread_local! {
    static DISCOVERY: RefCell<Option<(String, Endpoints, i64)>> = const { RefCell::new(None) };
    static KEYS: RefCell<Option<(String, SigningKeys, i64)>> = const { RefCell::new(None) };
}

/// The provider's endpoints, from the isolate's copy while it is fresh.
pub async fn endpoints(provider: &Provider) -> Result<Endpoints, String> {
    let now = runtime::now();
    let cached = DISCOVERY.with(|cell| {
        cell.borrow()
            .as_ref()
            .filter(|(issuer, _, until)| *issuer == provider.issuer && *until > now)
            .map(|(_, endpoints, _)| endpoints.clone())
    });
    if let Some(endpoints) = cached {
        return Ok(endpoints);
    }
    let url = format!("{}/.well-known/openid-configuration", provider.issuer);
    let (text, _) = get(&url).await?;
    let endpoints: Endpoints = serde_json::from_str(&text)
        .map_err(|err| format!("the discovery document is not valid: {err}"))?;
    // OpenID Discovery §4.3: the document must name the issuer we asked.
    if endpoints.issuer.trim_end_matches('/') != provider.issuer {
        return Err("the discovery document names another issuer".into());
    }
    DISCOVERY.with(|cell| {
        *cell.borrow_mut() = Some((
            provider.issuer.clone(),
            endpoints.clone(),
            now + DISCOVERY_SECONDS,
        ));
    });
    Ok(endpoints)
}

/// The URL that starts a sign-in at the provider.
pub fn authorization_url(
    provider: &Provider,
    endpoints: &Endpoints,
    state: &str,
    nonce: &str,
    challenge: &str,
) -> Result<String, String> {
    let mut url = url::Url::parse(&endpoints.authorization_endpoint)
        .map_err(|err| format!("the authorization endpoint is not a URL: {err}"))?;
    url.query_pairs_mut()
        .append_pair("response_type", "code")
        .append_pair("client_id", &provider.client_id)
        .append_pair("redirect_uri", &provider.redirect_uri)
        .append_pair("scope", "openid email profile")
        .append_pair("state", state)
        .append_pair("nonce", nonce)
        .append_pair("code_challenge", challenge)
        .append_pair("code_challenge_method", "S256")
        .append_pair("prompt", "select_account");
    Ok(url.into())
}

/// Why a callback could not sign anyone in; logged by kind, shown as a friendly page.
#[derive(Debug)]
pub enum Failure {
    Provider(String),
    Token(Rejection),
}

#[derive(Deserialize)]
struct TokenAnswer {
    id_token: String,
}

/// Exchanges the authorization code (with the PKCE verifier) and verifies the id_token.
pub async fn finish(
    provider: &Provider,
    endpoints: &Endpoints,
    code: &str,
    verifier: &str,
    nonce: &str,
) -> Result<Person, Failure> {
    let body = url::form_urlencoded::Serializer::new(String::new())
        .append_pair("grant_type", "authorization_code")
        .append_pair("code", code)
        .append_pair("redirect_uri", &provider.redirect_uri)
        .append_pair("client_id", &provider.client_id)
        .append_pair("client_secret", &provider.client_secret)
        .append_pair("code_verifier", verifier)
        .finish();
    let headers = Headers::new();
    let _ = headers.set("Content-Type", "application/x-www-form-urlencoded");
    let _ = headers.set("Accept", "application/json");
    let mut init = RequestInit::new();
    init.with_method(Method::Post)
        .with_headers(headers)
        .with_body(Some(body.into()));
    let request = Request::new_with_init(&endpoints.token_endpoint, &init)
        .map_err(|err| Failure::Provider(format!("building the token request: {err}")))?;
    let mut response = Fetch::Request(request)
        .send()
        .await
        .map_err(|err| Failure::Provider(format!("the token endpoint did not answer: {err}")))?;
    let status = response.status_code();
    let text = response.text().await.unwrap_or_default();
    if status != 200 {
        // The error code only (`invalid_grant`): the rest may echo what we sent.
        let code = serde_json::from_str::<serde_json::Value>(&text)
            .ok()
            .and_then(|v| v.get("error").and_then(|e| e.as_str()).map(str::to_owned))
            .unwrap_or_default();
        return Err(Failure::Provider(format!(
            "the token endpoint answered {status} {code}"
        )));
    }
    let answer: TokenAnswer = serde_json::from_str(&text)
        .map_err(|_| Failure::Provider("the token answer has no id_token".into()))?;
    verify(provider, endpoints, &answer.id_token, nonce).await
}

/// Verifies with the cached keys; a key id the cache does not know is fetched once.
async fn verify(
    provider: &Provider,
    endpoints: &Endpoints,
    token: &str,
    nonce: &str,
) -> Result<Person, Failure> {
    let now = runtime::now();
    let expected = Expected {
        issuer: &provider.issuer,
        client_id: &provider.client_id,
        nonce,
        now: u64::try_from(now).unwrap_or_default(),
    };
    let (keys, fresh) = signing_keys(&endpoints.jwks_uri, false)
        .await
        .map_err(Failure::Provider)?;
    match id_token::verify(token, &keys, expected) {
        Err(Rejection::UnknownKey) if !fresh => {
            let (keys, _) = signing_keys(&endpoints.jwks_uri, true)
                .await
                .map_err(Failure::Provider)?;
            id_token::verify(token, &keys, expected).map_err(Failure::Token)
        }
        result => result.map_err(Failure::Token),
    }
}

/// The provider's signing keys and whether they were fetched just now.
async fn signing_keys(jwks_uri: &str, refetch: bool) -> Result<(SigningKeys, bool), String> {
    let now = runtime::now();
    if !refetch {
        let cached = KEYS.with(|cell| {
            cell.borrow()
                .as_ref()
                .filter(|(uri, _, until)| uri == jwks_uri && *until > now)
                .map(|(_, keys, _)| keys.clone())
        });
        if let Some(keys) = cached {
            return Ok((keys, false));
        }
    }
    let (text, cache_control) = get(jwks_uri).await?;
    let keys = SigningKeys::parse(&text)?;
    let seconds = i64::try_from(jwks::cache_seconds(cache_control.as_deref())).unwrap_or(0);
    KEYS.with(|cell| *cell.borrow_mut() = Some((jwks_uri.to_owned(), keys.clone(), now + seconds)));
    Ok((keys, true))
}

/// GETs a JSON document: its text and `Cache-Control`.
async fn get(url: &str) -> Result<(String, Option<String>), String> {
    let url = url::Url::parse(url).map_err(|err| format!("{url} is not a URL: {err}"))?;
    let mut response = Fetch::Url(url.clone())
        .send()
        .await
        .map_err(|err| format!("{url} did not answer: {err}"))?;
    if response.status_code() != 200 {
        return Err(format!("{url} answered {}", response.status_code()));
    }
    let cache_control = response.headers().get("Cache-Control").ok().flatten();
    let text = response
        .text()
        .await
        .map_err(|err| format!("reading {url}: {err}"))?;
    Ok((text, cache_control))
}
