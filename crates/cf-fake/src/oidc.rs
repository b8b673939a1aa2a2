//! The fake Google OpenID provider: discovery, the authorization endpoint as a sign-in page
//! offering the test [`IDENTITIES`] (no passwords, no JavaScript), the token endpoint
//! (authorization code with PKCE, the client authenticated by its secret in the form or by
//! HTTP Basic) and the JWKS, in Google's wire format. Its id_tokens are real RS256 JWTs in
//! Google's shape, so a relying party verifies them exactly as it verifies Google's.
//!
//! Stricter than Google on one point: an authorization request without an S256 PKCE
//! challenge is refused, so a client that forgets PKCE fails locally.

use crate::http::{Handler, Reply, Request, Server};
use jwt_simple::algorithms::{RS256KeyPair, RSAKeyPairLike};
use jwt_simple::claims::JWTClaims;
use jwt_simple::reexports::ct_codecs::{Base64, Base64UrlSafeNoPadding, Decoder, Encoder};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use std::io;
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};
use url::Url;

/// The one OAuth client the provider knows (fake, for local use only).
pub const CLIENT_ID: &str = "kbc-local.apps.fake-google.test";
pub const CLIENT_SECRET: &str = "fake-google-client-secret";

/// A Google account the sign-in page offers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Identity {
    pub sub: &'static str,
    pub email: &'static str,
    pub email_verified: bool,
    pub name: &'static str,
}

/// An admin, two business owners and an account whose email Google has not verified.
pub const IDENTITIES: &[Identity] = &[
    Identity {
        sub: "fake-admin-0001",
        email: "admin@kiamichi.test",
        email_verified: true,
        name: "Ada Admin",
    },
    Identity {
        sub: "fake-owner-0002",
        email: "owner@ridgeline-plumbing.test",
        email_verified: true,
        name: "Owen Owner",
    },
    Identity {
        sub: "fake-owner-0003",
        email: "neighbour@example.test",
        email_verified: true,
        name: "Nia Neighbour",
    },
    Identity {
        sub: "fake-unverified-0004",
        email: "unverified@example.test",
        email_verified: false,
        name: "Uma Unverified",
    },
];

const DISCOVERY_PATH: &str = "/.well-known/openid-configuration";
const AUTHORIZE_PATH: &str = "/o/oauth2/v2/auth";
/// Where the sign-in page's forms post the chosen identity (or the cancel).
const APPROVE_PATH: &str = "/o/oauth2/v2/auth/approve";
const TOKEN_PATH: &str = "/token";
const JWKS_PATH: &str = "/oauth2/v3/certs";
const SIGN_IN_TITLE: &str = "Sign in – Fake Google";
/// The authorization request's parameters the sign-in page passes on to approval.
const CARRIED_PARAMETERS: [&str; 8] = [
    "response_type",
    "client_id",
    "redirect_uri",
    "scope",
    "state",
    "nonce",
    "code_challenge",
    "code_challenge_method",
];
/// RFC 6749 §4.1.2: a code lives ten minutes at most.
const CODE_LIFETIME: Duration = Duration::from_secs(600);
const ID_TOKEN_LIFETIME_SECS: u64 = 3600;
/// What Google answers for a fresh access token.
const ACCESS_TOKEN_EXPIRES_IN: u64 = 3599;

/// The key every provider of a process starts with: generating an RSA key is the slow part
/// of starting a provider, and a test binary starts many.
static FIRST_KEY: Mutex<Option<SigningKey>> = Mutex::new(None);

#[derive(Clone)]
struct SigningKey {
    pair: RS256KeyPair,
    kid: String,
}

impl SigningKey {
    fn generate() -> io::Result<Self> {
        let pair = RS256KeyPair::generate(2048).map_err(io::Error::other)?;
        // Like Google's: 40 hex digits, a digest of the public key, so a new key has a new kid.
        let modulus = pair.public_key().to_components().n;
        let kid = hex(&Sha256::digest(&modulus)[..20]);
        Ok(Self {
            pair: pair.with_key_id(&kid),
            kid,
        })
    }

    fn first() -> io::Result<Self> {
        let mut first = FIRST_KEY.lock().unwrap_or_else(PoisonError::into_inner);
        match &*first {
            Some(key) => Ok(key.clone()),
            None => {
                let key = Self::generate()?;
                *first = Some(key.clone());
                Ok(key)
            }
        }
    }
}

/// What an approval granted; kept once redeemed, so a second use is refused as such.
#[derive(Clone)]
struct Grant {
    /// As the authorization request spelled it; the token request must repeat it exactly.
    redirect_uri: String,
    scope: String,
    nonce: Option<String>,
    code_challenge: String,
    identity: Identity,
    issued: Instant,
    redeemed: bool,
}

/// The provider's state; reach it through [`Server::with`].
pub struct Provider {
    key: SigningKey,
    /// Authorization code → what it grants.
    grants: BTreeMap<String, Grant>,
    jwks_fetches: usize,
}

impl Provider {
    pub fn new() -> io::Result<Self> {
        Ok(Self {
            key: SigningKey::first()?,
            grants: BTreeMap::new(),
            jwks_fetches: 0,
        })
    }

    pub fn start() -> io::Result<Server<Self>> {
        Server::start(Self::new()?)
    }

    /// Starts on `addr`, e.g. `"127.0.0.1:8791"` for a fixed issuer URL.
    pub fn start_on(addr: &str) -> io::Result<Server<Self>> {
        Server::start_on(Self::new()?, addr)
    }

    /// Signs with a new key pair under a new kid; the JWKS then serves only the new key.
    pub fn rotate_key(&mut self) -> io::Result<()> {
        self.key = SigningKey::generate()?;
        Ok(())
    }

    /// Signs `claims` (a JSON object, taken as given: nothing is added) with the current key,
    /// for tests that need a token the code flow would not mint (wrong audience, expired…).
    pub fn sign(&self, claims: Value) -> io::Result<String> {
        let claims = JWTClaims {
            issued_at: None,
            expires_at: None,
            invalid_before: None,
            issuer: None,
            subject: None,
            audiences: None,
            jwt_id: None,
            nonce: None,
            custom: claims,
        };
        self.key.pair.sign(claims).map_err(io::Error::other)
    }

    /// How many times the JWKS was fetched, so a test can check a client caches it.
    pub fn jwks_fetches(&self) -> usize {
        self.jwks_fetches
    }

    fn approve(&mut self, form: &BTreeMap<String, String>) -> io::Result<Reply> {
        let request = match AuthorizationRequest::parse(form) {
            Ok(request) => request,
            Err(refusal) => return Ok(refusal.page()),
        };
        let mut answer = Vec::new();
        if form.contains_key("cancel") {
            answer.push(("error", "access_denied".to_owned()));
        } else {
            let chosen = form.get("identity").map(String::as_str).unwrap_or_default();
            let Some(identity) = IDENTITIES
                .iter()
                .find(|i| i.sub == chosen || i.email == chosen)
            else {
                return Ok(Refusal::invalid_request(format!("No such identity: {chosen}")).page());
            };
            let code = format!("4/{}", random_hex(32)?);
            self.grants.insert(
                code.clone(),
                Grant {
                    redirect_uri: request.redirect_uri.to_owned(),
                    scope: request.scope.to_owned(),
                    nonce: request.nonce.map(str::to_owned),
                    code_challenge: request.code_challenge.to_owned(),
                    identity: *identity,
                    issued: Instant::now(),
                    redeemed: false,
                },
            );
            answer.push(("code", code));
            // Google adds these too; a client must ignore them.
            answer.push(("scope", request.scope.to_owned()));
            answer.push(("authuser", "0".to_owned()));
        }
        if let Some(state) = request.state {
            answer.push(("state", state.to_owned()));
        }
        let mut location = request.redirect_url;
        location.query_pairs_mut().extend_pairs(answer);
        Ok(Reply::redirect(location.as_str()))
    }

    fn token(&mut self, request: &Request, base_url: &str) -> io::Result<Reply> {
        let form = request.form();
        if let Err(refusal) = authenticate_client(request, &form) {
            return Ok(refusal);
        }
        if form.get("grant_type").map(String::as_str) != Some("authorization_code") {
            return Ok(token_error(
                400,
                "unsupported_grant_type",
                "Only authorization_code is supported.",
            ));
        }
        let grant = match self.redeem(&form) {
            Ok(grant) => grant,
            Err(description) => return Ok(token_error(400, "invalid_grant", description)),
        };
        let access_token = format!("ya29.fake-{}", random_hex(32)?);
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_err(io::Error::other)?
            .as_secs();
        let mut claims = json!({
            "iss": base_url,
            "azp": CLIENT_ID,
            "aud": CLIENT_ID,
            "sub": grant.identity.sub,
            "email": grant.identity.email,
            "email_verified": grant.identity.email_verified,
            // OpenID Connect Core §3.1.3.6: the left half of the access token's SHA-256.
            "at_hash": base64url(&Sha256::digest(&access_token)[..16])?,
            "name": grant.identity.name,
            "iat": now,
            "exp": now + ID_TOKEN_LIFETIME_SECS,
        });
        if let Some(nonce) = grant.nonce {
            claims["nonce"] = json!(nonce);
        }
        let answer = json!({
            "access_token": access_token,
            "expires_in": ACCESS_TOKEN_EXPIRES_IN,
            "scope": grant.scope,
            "token_type": "Bearer",
            "id_token": self.sign(claims)?,
        });
        Ok(Reply::json(200, &answer).with_header("Cache-Control", "no-store"))
    }

    /// The grant the form's code names, spent by this attempt whatever its outcome; or why
    /// the code does not grant anything (`invalid_grant`'s description).
    fn redeem(&mut self, form: &BTreeMap<String, String>) -> Result<Grant, &'static str> {
        let code = form.get("code").map(String::as_str).unwrap_or_default();
        let grant = self.grants.get_mut(code).ok_or("Malformed auth code.")?;
        if grant.redeemed {
            return Err("Code was already redeemed.");
        }
        grant.redeemed = true;
        if grant.issued.elapsed() > CODE_LIFETIME {
            return Err("Code has expired.");
        }
        if form.get("redirect_uri") != Some(&grant.redirect_uri) {
            return Err("redirect_uri does not match the authorization request.");
        }
        let verifier = form.get("code_verifier").ok_or("Missing code verifier.")?;
        // RFC 7636 §4.6: S256 is the unpadded base64url of the verifier's SHA-256.
        if !base64url(&Sha256::digest(verifier))
            .is_ok_and(|challenge| challenge == grant.code_challenge)
        {
            return Err("Invalid code verifier.");
        }
        Ok(grant.clone())
    }

    fn jwks(&mut self) -> io::Result<Reply> {
        self.jwks_fetches += 1;
        let public = self.key.pair.public_key().to_components();
        let keys = json!({"keys": [{
            "kty": "RSA",
            "alg": "RS256",
            "use": "sig",
            "kid": self.key.kid,
            "n": base64url(&public.n)?,
            "e": base64url(&public.e)?,
        }]});
        Ok(Reply::json(200, &keys).with_header("Cache-Control", "public, max-age=3600"))
    }
}

impl Handler for Provider {
    fn handle(&mut self, request: &Request, base_url: &str) -> Reply {
        let reply = match (request.method.as_str(), request.path.as_str()) {
            ("GET", DISCOVERY_PATH) => Ok(Reply::json(200, &discovery(base_url))),
            ("GET", AUTHORIZE_PATH) => Ok(match AuthorizationRequest::parse(&request.query) {
                Ok(_) => sign_in_page(&request.query),
                Err(refusal) => refusal.page(),
            }),
            ("POST", APPROVE_PATH) => self.approve(&request.form()),
            ("POST", TOKEN_PATH) => self.token(request, base_url),
            ("GET", JWKS_PATH) => self.jwks(),
            _ => Ok(html_page(404, "Error 404 (Not Found)", "")),
        };
        reply.unwrap_or_else(|err| {
            Reply::json(
                500,
                &json!({"error": "server_error", "error_description": err.to_string()}),
            )
        })
    }
}

fn discovery(base_url: &str) -> Value {
    json!({
        "issuer": base_url,
        "authorization_endpoint": format!("{base_url}{AUTHORIZE_PATH}"),
        "token_endpoint": format!("{base_url}{TOKEN_PATH}"),
        "jwks_uri": format!("{base_url}{JWKS_PATH}"),
        "response_types_supported": ["code"],
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": ["RS256"],
        "scopes_supported": ["openid", "email", "profile"],
        "token_endpoint_auth_methods_supported": ["client_secret_post", "client_secret_basic"],
        "claims_supported": ["aud", "azp", "email", "email_verified", "exp", "iat", "iss", "name", "nonce", "sub"],
        "code_challenge_methods_supported": ["plain", "S256"],
        "grant_types_supported": ["authorization_code"],
    })
}

/// An authorization request that passed every check.
struct AuthorizationRequest<'a> {
    redirect_uri: &'a str,
    redirect_url: Url,
    scope: &'a str,
    state: Option<&'a str>,
    nonce: Option<&'a str>,
    code_challenge: &'a str,
}

impl<'a> AuthorizationRequest<'a> {
    /// Checks the client and the redirect URI first: until both are known good, an error can
    /// only be shown, never sent back.
    fn parse(params: &'a BTreeMap<String, String>) -> Result<Self, Refusal> {
        let param = |name: &str| {
            params
                .get(name)
                .map(String::as_str)
                .filter(|v| !v.is_empty())
        };
        let missing =
            |name: &str| Refusal::invalid_request(format!("Required parameter is missing: {name}"));
        let client_id = param("client_id").ok_or_else(|| missing("client_id"))?;
        if client_id != CLIENT_ID {
            return Err(Refusal {
                error: "invalid_client",
                description: format!("The OAuth client was not found: {client_id}"),
            });
        }
        let redirect_uri = param("redirect_uri").ok_or_else(|| missing("redirect_uri"))?;
        let redirect_url = Url::parse(redirect_uri)
            .ok()
            .filter(|url| matches!(url.scheme(), "http" | "https") && url.fragment().is_none())
            .ok_or_else(|| {
                Refusal::invalid_request(format!(
                    "redirect_uri must be an absolute http(s) URL without a fragment: {redirect_uri}"
                ))
            })?;
        if param("response_type") != Some("code") {
            return Err(Refusal {
                error: "unsupported_response_type",
                description: "response_type must be code".to_owned(),
            });
        }
        let scope = param("scope").ok_or_else(|| missing("scope"))?;
        if !scope.split_whitespace().any(|s| s == "openid") {
            return Err(Refusal {
                error: "invalid_scope",
                description: format!("scope must include openid: {scope}"),
            });
        }
        if param("code_challenge_method") != Some("S256") {
            return Err(Refusal::invalid_request(
                "This fake requires PKCE: code_challenge_method must be S256".to_owned(),
            ));
        }
        // RFC 7636 §4.2; an S256 challenge is exactly 43 characters, so padding is an error.
        let code_challenge = param("code_challenge")
            .filter(|c| {
                (43..=128).contains(&c.len())
                    && c.bytes()
                        .all(|b| b.is_ascii_alphanumeric() || b"-._~".contains(&b))
            })
            .ok_or_else(|| {
                Refusal::invalid_request(
                    "code_challenge must be 43 to 128 characters of A-Z a-z 0-9 - . _ ~".to_owned(),
                )
            })?;
        Ok(Self {
            redirect_uri,
            redirect_url,
            scope,
            state: param("state"),
            nonce: param("nonce"),
            code_challenge,
        })
    }
}

/// Why an authorization request is refused: shown on an error page, as Google does.
struct Refusal {
    error: &'static str,
    description: String,
}

impl Refusal {
    fn invalid_request(description: String) -> Self {
        Self {
            error: "invalid_request",
            description,
        }
    }

    fn page(&self) -> Reply {
        let title = format!("Error 400: {}", self.error);
        html_page(
            400,
            &title,
            &format!("<p>{}</p>\n", escape(&self.description)),
        )
    }
}

/// One form per identity, each carrying the request on to approval, and a form to cancel.
fn sign_in_page(query: &BTreeMap<String, String>) -> Reply {
    let carried: String = CARRIED_PARAMETERS
        .iter()
        .filter_map(|name| query.get(*name).map(|value| hidden(name, value)))
        .collect();
    let form = |choice: String, button: String| {
        format!(
            "<form method=\"post\" action=\"{APPROVE_PATH}\">{carried}{choice}\
             <button type=\"submit\">{button}</button></form>"
        )
    };
    let accounts: String = IDENTITIES
        .iter()
        .map(|identity| {
            let button = format!(
                "Continue as {} ({})",
                escape(identity.name),
                escape(identity.email)
            );
            format!(
                "<li>{}</li>\n",
                form(hidden("identity", identity.sub), button)
            )
        })
        .collect();
    let body = format!(
        "<p>Choose an account to continue to {}</p>\n<ul>\n{accounts}</ul>\n{}\n",
        escape(CLIENT_ID),
        form(hidden("cancel", "true"), "Cancel".to_owned()),
    );
    html_page(200, SIGN_IN_TITLE, &body)
}

/// A page titled (and headed) `title`, around `body`, which must be HTML already.
pub(crate) fn html_page(status: u16, title: &str, body: &str) -> Reply {
    let title = escape(title);
    Reply::html(
        status,
        format!(
            "<!doctype html>\n<html lang=\"en\">\n<head><meta charset=\"utf-8\"><title>{title}</title></head>\n\
             <body>\n<h1>{title}</h1>\n{body}</body>\n</html>\n"
        ),
    )
}

pub(crate) fn hidden(name: &str, value: &str) -> String {
    format!(
        r#"<input type="hidden" name="{}" value="{}">"#,
        escape(name),
        escape(value)
    )
}

/// Escapes text for HTML content and quoted attribute values.
pub(crate) fn escape(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => escaped.push_str("&amp;"),
            '<' => escaped.push_str("&lt;"),
            '>' => escaped.push_str("&gt;"),
            '"' => escaped.push_str("&quot;"),
            '\'' => escaped.push_str("&#39;"),
            c => escaped.push(c),
        }
    }
    escaped
}

/// RFC 6749 §2.3.1: the client's secret in the form (`client_secret_post`) or in HTTP Basic
/// (`client_secret_basic`), never both.
fn authenticate_client(request: &Request, form: &BTreeMap<String, String>) -> Result<(), Reply> {
    let basic = request
        .header("authorization")
        .and_then(|value| value.strip_prefix("Basic "));
    let (client_id, secret) = match (basic, form.get("client_secret")) {
        (Some(_), Some(_)) => {
            return Err(token_error(
                400,
                "invalid_request",
                "Use one client authentication method, not two.",
            ));
        }
        // Both halves are form-encoded before base64; ours are unreserved characters only, which
        // encode as themselves.
        (Some(credentials), None) => Base64::decode_to_vec(credentials.trim(), None)
            .ok()
            .and_then(|decoded| String::from_utf8(decoded).ok())
            .and_then(|decoded| {
                let (id, secret) = decoded.split_once(':')?;
                Some((id.to_owned(), secret.to_owned()))
            })
            .unwrap_or_default(),
        (None, secret) => (
            form.get("client_id").cloned().unwrap_or_default(),
            secret.cloned().unwrap_or_default(),
        ),
    };
    if client_id == CLIENT_ID && secret == CLIENT_SECRET {
        Ok(())
    } else {
        Err(token_error(401, "invalid_client", "Unauthorized"))
    }
}

/// RFC 6749 §5.2.
fn token_error(status: u16, error: &str, description: &str) -> Reply {
    Reply::json(
        status,
        &json!({"error": error, "error_description": description}),
    )
}

fn base64url(bytes: &[u8]) -> io::Result<String> {
    Base64UrlSafeNoPadding::encode_to_string(bytes).map_err(io::Error::other)
}

pub(crate) fn random_hex(len: usize) -> io::Result<String> {
    let mut bytes = vec![0; len];
    getrandom::fill(&mut bytes).map_err(io::Error::other)?;
    Ok(hex(&bytes))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use jwt_simple::algorithms::{RS256PublicKey, RSAPublicKeyLike};
    use jwt_simple::common::VerificationOptions;
    use jwt_simple::token::Token;
    use reqwest::blocking::{Client, Response};
    use reqwest::redirect::Policy;
    use std::collections::HashSet;

    /// RFC 7636 Appendix B: a verifier and its S256 challenge.
    const VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
    const CHALLENGE: &str = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";
    const REDIRECT_URI: &str = "http://127.0.0.1:9/auth/callback";
    const STATE: &str = "state-3f9a";
    const NONCE: &str = "nonce-7c21";

    fn client() -> Client {
        Client::builder().redirect(Policy::none()).build().unwrap()
    }

    fn authorization(redirect_uri: &str, state: &str) -> Vec<(&'static str, String)> {
        vec![
            ("response_type", "code".to_owned()),
            ("client_id", CLIENT_ID.to_owned()),
            ("redirect_uri", redirect_uri.to_owned()),
            ("scope", "openid email profile".to_owned()),
            ("state", state.to_owned()),
            ("nonce", NONCE.to_owned()),
            ("code_challenge", CHALLENGE.to_owned()),
            ("code_challenge_method", "S256".to_owned()),
        ]
    }

    fn get(url: &str) -> Response {
        client().get(url).send().unwrap()
    }

    fn post_form(url: &str, pairs: &[(&str, String)]) -> Response {
        let body = url::form_urlencoded::Serializer::new(String::new())
            .extend_pairs(pairs)
            .finish();
        client()
            .post(url)
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body)
            .send()
            .unwrap()
    }

    fn json_of(reply: Response) -> Value {
        serde_json::from_str(&reply.text().unwrap()).unwrap()
    }

    /// Posts the sign-in page's choice (an `identity`, or `cancel`) and follows nothing: the
    /// redirect's location.
    fn approve(server: &Server<Provider>, redirect_uri: &str, choice: (&'static str, &str)) -> Url {
        let mut form = authorization(redirect_uri, STATE);
        form.push((choice.0, choice.1.to_owned()));
        let reply = post_form(&format!("{}{APPROVE_PATH}", server.base_url()), &form);
        assert_eq!(reply.status(), 302);
        Url::parse(reply.headers()["location"].to_str().unwrap()).unwrap()
    }

    fn query_of(url: &Url) -> BTreeMap<String, String> {
        url.query_pairs().into_owned().collect()
    }

    fn sign_in(server: &Server<Provider>, identity: &Identity) -> String {
        query_of(&approve(server, REDIRECT_URI, ("identity", identity.sub)))["code"].clone()
    }

    fn redeem(server: &Server<Provider>, code: &str, verifier: &str, secret: &str) -> Response {
        post_form(
            &format!("{}{TOKEN_PATH}", server.base_url()),
            &[
                ("grant_type", "authorization_code".to_owned()),
                ("code", code.to_owned()),
                ("redirect_uri", REDIRECT_URI.to_owned()),
                ("code_verifier", verifier.to_owned()),
                ("client_id", CLIENT_ID.to_owned()),
                ("client_secret", secret.to_owned()),
            ],
        )
    }

    fn jwks(server: &Server<Provider>) -> Value {
        json_of(get(&format!("{}{JWKS_PATH}", server.base_url())))
    }

    #[test]
    fn discovery_names_this_server_as_issuer_and_its_endpoints() {
        let server = Provider::start().unwrap();
        let base = server.base_url();

        let document = json_of(get(&format!("{base}{DISCOVERY_PATH}")));

        assert_eq!(document["issuer"], base);
        assert_eq!(
            document["authorization_endpoint"],
            format!("{base}/o/oauth2/v2/auth")
        );
        assert_eq!(document["token_endpoint"], format!("{base}/token"));
        assert_eq!(document["jwks_uri"], format!("{base}/oauth2/v3/certs"));
        assert_eq!(document["response_types_supported"], json!(["code"]));
        assert_eq!(
            document["id_token_signing_alg_values_supported"],
            json!(["RS256"])
        );
        assert_eq!(
            document["code_challenge_methods_supported"],
            json!(["plain", "S256"])
        );
        assert_eq!(
            document["token_endpoint_auth_methods_supported"],
            json!(["client_secret_post", "client_secret_basic"])
        );
    }

    #[test]
    fn the_code_flow_with_pkce_yields_an_id_token_the_jwks_verifies() {
        let server = Provider::start().unwrap();
        let base = server.base_url();
        let admin = &IDENTITIES[0];
        let page = get(Url::parse_with_params(
            &format!("{base}{AUTHORIZE_PATH}"),
            authorization(REDIRECT_URI, STATE),
        )
        .unwrap()
        .as_str());
        assert_eq!(page.status(), 200);
        assert!(
            page.text()
                .unwrap()
                .contains(&format!("Continue as {} ({})", admin.name, admin.email))
        );

        let location = approve(&server, REDIRECT_URI, ("identity", admin.sub));
        assert_eq!(query_of(&location)["state"], STATE);
        let reply = redeem(
            &server,
            &query_of(&location)["code"],
            VERIFIER,
            CLIENT_SECRET,
        );

        assert_eq!(reply.status(), 200);
        assert_eq!(reply.headers()["cache-control"], "no-store");
        let tokens = json_of(reply);
        assert_eq!(tokens["token_type"], "Bearer");
        assert_eq!(tokens["expires_in"], 3599);
        assert_eq!(tokens["scope"], "openid email profile");
        let id_token = tokens["id_token"].as_str().unwrap();
        let kid = Token::decode_metadata(id_token)
            .unwrap()
            .key_id()
            .unwrap()
            .to_owned();
        let key = jwks(&server)["keys"]
            .as_array()
            .unwrap()
            .iter()
            .find(|key| key["kid"] == kid.as_str())
            .cloned()
            .unwrap();
        let component = |name: &str| {
            Base64UrlSafeNoPadding::decode_to_vec(key[name].as_str().unwrap(), None).unwrap()
        };
        let public = RS256PublicKey::from_components(&component("n"), &component("e")).unwrap();
        let options = VerificationOptions {
            allowed_issuers: Some(HashSet::from([base.to_owned()])),
            allowed_audiences: Some(HashSet::from([CLIENT_ID.to_owned()])),
            required_nonce: Some(NONCE.to_owned()),
            ..VerificationOptions::default()
        };
        let claims = public
            .verify_token::<Value>(id_token, Some(options))
            .unwrap();
        assert_eq!(claims.subject.as_deref(), Some(admin.sub));
        assert_eq!(claims.custom["azp"], CLIENT_ID);
        assert_eq!(claims.custom["email"], admin.email);
        assert_eq!(claims.custom["email_verified"], true);
        assert_eq!(claims.custom["name"], admin.name);
    }

    #[test]
    fn a_code_can_be_redeemed_only_once() {
        let server = Provider::start().unwrap();
        let code = sign_in(&server, &IDENTITIES[1]);
        assert_eq!(
            redeem(&server, &code, VERIFIER, CLIENT_SECRET).status(),
            200
        );

        let again = redeem(&server, &code, VERIFIER, CLIENT_SECRET);

        assert_eq!(again.status(), 400);
        assert_eq!(json_of(again)["error"], "invalid_grant");
    }

    #[test]
    fn a_wrong_code_verifier_is_an_invalid_grant() {
        let server = Provider::start().unwrap();
        let code = sign_in(&server, &IDENTITIES[1]);

        let reply = redeem(
            &server,
            &code,
            "a-verifier-of-some-other-request-0123456789",
            CLIENT_SECRET,
        );

        assert_eq!(reply.status(), 400);
        assert_eq!(json_of(reply)["error"], "invalid_grant");
    }

    #[test]
    fn a_wrong_client_secret_is_an_invalid_client() {
        let server = Provider::start().unwrap();
        let code = sign_in(&server, &IDENTITIES[1]);

        let reply = redeem(&server, &code, VERIFIER, "not-the-secret");

        assert_eq!(reply.status(), 401);
        assert_eq!(json_of(reply)["error"], "invalid_client");
    }

    #[test]
    fn the_client_may_authenticate_with_http_basic() {
        let server = Provider::start().unwrap();
        let code = sign_in(&server, &IDENTITIES[2]);
        let credentials = Base64::encode_to_string(format!("{CLIENT_ID}:{CLIENT_SECRET}")).unwrap();
        let body = url::form_urlencoded::Serializer::new(String::new())
            .append_pair("grant_type", "authorization_code")
            .append_pair("code", &code)
            .append_pair("redirect_uri", REDIRECT_URI)
            .append_pair("code_verifier", VERIFIER)
            .finish();

        let reply = client()
            .post(format!("{}{TOKEN_PATH}", server.base_url()))
            .header("authorization", format!("Basic {credentials}"))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body)
            .send()
            .unwrap();

        assert_eq!(reply.status(), 200);
    }

    #[test]
    fn cancelling_redirects_with_access_denied_and_the_state() {
        let server = Provider::start().unwrap();

        let location = approve(&server, REDIRECT_URI, ("cancel", "true"));

        assert_eq!(location.as_str().split('?').next(), Some(REDIRECT_URI));
        let query = query_of(&location);
        assert_eq!(query["error"], "access_denied");
        assert_eq!(query["state"], STATE);
        assert!(!query.contains_key("code"));
    }

    #[test]
    fn the_code_is_appended_to_a_redirect_uri_that_has_a_query() {
        let server = Provider::start().unwrap();

        let location = approve(
            &server,
            "http://127.0.0.1:9/cb?from=menu",
            ("identity", IDENTITIES[0].email),
        );

        assert!(
            location
                .as_str()
                .starts_with("http://127.0.0.1:9/cb?from=menu&code="),
            "{location}"
        );
    }

    #[test]
    fn the_sign_in_page_escapes_what_the_request_reflects() {
        let server = Provider::start().unwrap();
        let hostile = "\"><script>alert(1)</script>";
        let params = authorization(&format!("http://127.0.0.1:9/cb?next={hostile}"), hostile);
        let url = Url::parse_with_params(&format!("{}{AUTHORIZE_PATH}", server.base_url()), params)
            .unwrap();

        let page = get(url.as_str());

        assert_eq!(page.status(), 200);
        let html = page.text().unwrap();
        assert!(!html.contains("<script"), "{html}");
        assert!(
            html.contains("value=\"&quot;&gt;&lt;script&gt;alert(1)&lt;/script&gt;\""),
            "{html}"
        );
        assert!(html.contains("next=&quot;&gt;&lt;script&gt;"), "{html}");
    }

    #[test]
    fn an_unknown_client_gets_an_error_page_and_no_redirect() {
        let server = Provider::start().unwrap();
        let mut params = authorization(REDIRECT_URI, STATE);
        params[1].1 = "someone-else.apps.googleusercontent.com".to_owned();
        let url = Url::parse_with_params(&format!("{}{AUTHORIZE_PATH}", server.base_url()), params)
            .unwrap();

        let page = get(url.as_str());

        assert_eq!(page.status(), 400);
        assert!(page.headers().get("location").is_none());
        assert!(page.text().unwrap().contains("Error 400: invalid_client"));
    }

    #[test]
    fn rotating_the_key_changes_the_kid_the_jwks_serves() {
        let server = Provider::start().unwrap();
        let before = jwks(&server)["keys"][0]["kid"].clone();

        server.with(Provider::rotate_key).unwrap();

        let keys = jwks(&server)["keys"].clone();
        assert_eq!(keys.as_array().unwrap().len(), 1);
        assert_ne!(keys[0]["kid"], before);
        assert_eq!(server.with(|provider| provider.jwks_fetches()), 2);
    }

    #[test]
    fn a_minted_token_carries_exactly_the_given_claims_under_the_current_kid() {
        let server = Provider::start().unwrap();
        let claims = json!({"iss": server.base_url(), "aud": "someone-else", "sub": "x", "exp": 1});

        let token = server
            .with(|provider| provider.sign(claims.clone()))
            .unwrap();

        let kid = Token::decode_metadata(&token)
            .unwrap()
            .key_id()
            .unwrap()
            .to_owned();
        assert_eq!(jwks(&server)["keys"][0]["kid"], kid.as_str());
        let payload = token.split('.').nth(1).unwrap();
        let payload: Value =
            serde_json::from_slice(&Base64UrlSafeNoPadding::decode_to_vec(payload, None).unwrap())
                .unwrap();
        assert_eq!(payload, claims);
    }
}
