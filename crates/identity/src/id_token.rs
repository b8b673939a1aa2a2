//! Verifying an id_token (OpenID Connect Core §3.1.3.7): an RS256 signature by a key the
//! issuer publishes, our issuer and audience, a current `exp`/`iat` with a small leeway, the
//! `nonce` of this sign-in, and a verified email. Users are then keyed by `sub`.
//!
//! The time is passed in: a worker's clock is the request's, and jwt-simple's own clock is
//! not to be relied on in wasm.

use crate::jwks::SigningKeys;
use jwt_simple::JWTError;
use jwt_simple::prelude::{
    Duration, HashSet, RSAPublicKeyLike, Token, UnixTimeStamp, VerificationOptions,
};
use serde::Deserialize;

/// Clock difference tolerated between the issuer and us.
pub const LEEWAY_SECONDS: u64 = 60;
/// Google's tokens name their issuer with or without the scheme.
const GOOGLE_ISSUER: &str = "https://accounts.google.com";
const GOOGLE_ISSUER_BARE: &str = "accounts.google.com";

/// What this sign-in expects of its token.
#[derive(Debug, Clone, Copy)]
pub struct Expected<'a> {
    pub issuer: &'a str,
    pub client_id: &'a str,
    pub nonce: &'a str,
    /// Unix seconds.
    pub now: u64,
}

/// The person a verified token names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Person {
    pub subject: String,
    pub email: String,
    pub name: String,
}

/// Why a token was refused. [`Rejection::UnknownKey`] is the one worth a JWKS refetch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Rejection {
    Malformed,
    /// Anything but RS256, `none` included.
    Algorithm(String),
    UnknownKey,
    Signature,
    Issuer,
    Audience,
    Expired,
    IssuedInTheFuture,
    Nonce,
    MissingClaim(&'static str),
    EmailNotVerified,
}

impl std::fmt::Display for Rejection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Rejection::Malformed => write!(f, "the id_token is not a JWT"),
            Rejection::Algorithm(alg) => write!(f, "the id_token is signed with {alg}, not RS256"),
            Rejection::UnknownKey => {
                write!(f, "the id_token names a key the issuer does not publish")
            }
            Rejection::Signature => write!(f, "the id_token's signature does not verify"),
            Rejection::Issuer => write!(f, "the id_token comes from another issuer"),
            Rejection::Audience => write!(f, "the id_token is meant for another client"),
            Rejection::Expired => write!(f, "the id_token has expired"),
            Rejection::IssuedInTheFuture => write!(f, "the id_token is issued in the future"),
            Rejection::Nonce => write!(f, "the id_token's nonce is not this sign-in's"),
            Rejection::MissingClaim(claim) => write!(f, "the id_token has no {claim}"),
            Rejection::EmailNotVerified => write!(f, "the email address is not verified"),
        }
    }
}

#[derive(Debug, Deserialize)]
struct ProviderClaims {
    #[serde(default)]
    email: Option<String>,
    #[serde(default)]
    email_verified: Option<Verified>,
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    azp: Option<String>,
}

/// `email_verified` is a boolean, though some issuers send it as a string.
#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum Verified {
    Flag(bool),
    Text(String),
}

impl Verified {
    fn is_true(&self) -> bool {
        match self {
            Verified::Flag(flag) => *flag,
            Verified::Text(text) => text == "true",
        }
    }
}

/// Verifies `token` with `keys` as `expected` says, returning the person it names.
pub fn verify(
    token: &str,
    keys: &SigningKeys,
    expected: Expected<'_>,
) -> Result<Person, Rejection> {
    let metadata = Token::decode_metadata(token).map_err(|_| Rejection::Malformed)?;
    if metadata.algorithm() != "RS256" {
        return Err(Rejection::Algorithm(
            metadata.algorithm().chars().take(16).collect(),
        ));
    }
    let key = metadata
        .key_id()
        .and_then(|kid| keys.find(kid))
        .ok_or(Rejection::UnknownKey)?;
    let mut issuers = HashSet::from([expected.issuer.to_owned()]);
    if expected.issuer == GOOGLE_ISSUER {
        issuers.insert(GOOGLE_ISSUER_BARE.to_owned());
    }
    let options = VerificationOptions {
        allowed_issuers: Some(issuers),
        allowed_audiences: Some(HashSet::from([expected.client_id.to_owned()])),
        required_nonce: Some(expected.nonce.to_owned()),
        time_tolerance: Some(Duration::from_secs(LEEWAY_SECONDS)),
        artificial_time: Some(UnixTimeStamp::from_secs(expected.now)),
        max_token_length: Some(16 * 1024),
        ..VerificationOptions::default()
    };
    let claims = key
        .verify_token::<ProviderClaims>(token, Some(options))
        .map_err(|err| match err.downcast_ref::<JWTError>() {
            Some(JWTError::RequiredIssuerMismatch | JWTError::RequiredIssuerMissing) => {
                Rejection::Issuer
            }
            Some(JWTError::RequiredAudienceMismatch | JWTError::RequiredAudienceMissing) => {
                Rejection::Audience
            }
            Some(JWTError::TokenHasExpired) => Rejection::Expired,
            Some(JWTError::ClockDrift | JWTError::TokenNotValidYet) => Rejection::IssuedInTheFuture,
            Some(JWTError::RequiredNonceMismatch | JWTError::RequiredNonceMissing) => {
                Rejection::Nonce
            }
            Some(JWTError::AlgorithmMismatch) => Rejection::Algorithm("another algorithm".into()),
            _ => Rejection::Signature,
        })?;
    // jwt-simple checks these when present; OpenID requires them.
    claims.expires_at.ok_or(Rejection::MissingClaim("exp"))?;
    claims.issued_at.ok_or(Rejection::MissingClaim("iat"))?;
    let audiences = claims.audiences.map(|a| a.into_set()).unwrap_or_default();
    if audiences.len() > 1 && claims.custom.azp.as_deref() != Some(expected.client_id) {
        return Err(Rejection::Audience);
    }
    let subject = claims
        .subject
        .filter(|s| !s.is_empty())
        .ok_or(Rejection::MissingClaim("sub"))?;
    let email = claims
        .custom
        .email
        .filter(|e| !e.is_empty())
        .ok_or(Rejection::MissingClaim("email"))?;
    if !claims
        .custom
        .email_verified
        .as_ref()
        .is_some_and(Verified::is_true)
    {
        return Err(Rejection::EmailNotVerified);
    }
    Ok(Person {
        subject,
        email,
        name: claims.custom.name.unwrap_or_default(),
    })
}
