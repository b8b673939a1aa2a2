//! id_token verification, case by case: one valid sign-in and every way a token must fail.

// The helpers below build fixtures for the tests; a failure there is a failed test.
#![allow(clippy::unwrap_used, clippy::indexing_slicing)]

use ct_codecs::{Base64UrlSafeNoPadding, Encoder};
use jwt_simple::prelude::*;
use kbc_identity::id_token::{Expected, LEEWAY_SECONDS, Rejection, verify};
use kbc_identity::jwks::SigningKeys;
use serde_json::{Value, json};
use std::sync::OnceLock;

const ISSUER: &str = "https://accounts.google.com";
const CLIENT: &str = "kbc.apps.googleusercontent.com";
const NONCE: &str = "n-0S6_WzA2Mj";
const NOW: u64 = 1_767_225_600;

/// Generating RSA keys is slow in a debug build: two, made once, shared by every test.
fn key(index: usize) -> &'static RS256KeyPair {
    static KEYS: OnceLock<[RS256KeyPair; 2]> = OnceLock::new();
    &KEYS.get_or_init(|| {
        [
            RS256KeyPair::generate(2048).unwrap().with_key_id("key-1"),
            RS256KeyPair::generate(2048).unwrap().with_key_id("key-1"),
        ]
    })[index]
}

fn published() -> SigningKeys {
    let components = key(0).public_key().to_components();
    let jwks = json!({"keys": [{
        "kty": "RSA", "alg": "RS256", "use": "sig", "kid": "key-1",
        "n": Base64UrlSafeNoPadding::encode_to_string(components.n).unwrap(),
        "e": Base64UrlSafeNoPadding::encode_to_string(components.e).unwrap(),
    }]});
    SigningKeys::parse(&jwks.to_string()).unwrap()
}

fn claims() -> JWTClaims<Value> {
    let mut claims = Claims::with_custom_claims(
        json!({"email": "dana@example.com", "email_verified": true, "name": "Dana", "azp": CLIENT}),
        Duration::from_hours(1),
    )
    .with_issuer(ISSUER)
    .with_audience(CLIENT)
    .with_subject("10769150350006150715113082367")
    .with_nonce(NONCE);
    claims.issued_at = Some(UnixTimeStamp::from_secs(NOW - 10));
    claims.expires_at = Some(UnixTimeStamp::from_secs(NOW + 3590));
    claims.invalid_before = None;
    claims
}

fn signed(claims: JWTClaims<Value>) -> String {
    key(0).sign(claims).unwrap()
}

fn expected() -> Expected<'static> {
    Expected {
        issuer: ISSUER,
        client_id: CLIENT,
        nonce: NONCE,
        now: NOW,
    }
}

fn check(token: &str) -> Result<kbc_identity::id_token::Person, Rejection> {
    verify(token, &published(), expected())
}

fn encode(value: &Value) -> String {
    Base64UrlSafeNoPadding::encode_to_string(value.to_string()).unwrap()
}

#[test]
fn a_valid_token_names_its_subject_and_email() {
    let person = check(&signed(claims())).unwrap();
    assert_eq!(person.subject, "10769150350006150715113082367");
    assert_eq!(person.email, "dana@example.com");
    assert_eq!(person.name, "Dana");
}

#[test]
fn another_audience_is_refused() {
    assert_eq!(
        check(&signed(claims().with_audience("someone-else"))),
        Err(Rejection::Audience)
    );
}

#[test]
fn another_issuer_is_refused() {
    assert_eq!(
        check(&signed(claims().with_issuer("https://evil.example"))),
        Err(Rejection::Issuer)
    );
}

#[test]
fn an_expired_token_is_refused_beyond_the_leeway() {
    let mut late = claims();
    late.expires_at = Some(UnixTimeStamp::from_secs(NOW - LEEWAY_SECONDS - 1));
    assert_eq!(check(&signed(late)), Err(Rejection::Expired));
    let mut just = claims();
    just.expires_at = Some(UnixTimeStamp::from_secs(NOW - LEEWAY_SECONDS + 1));
    assert!(check(&signed(just)).is_ok());
}

#[test]
fn a_token_issued_in_the_future_is_refused() {
    let mut early = claims();
    early.issued_at = Some(UnixTimeStamp::from_secs(NOW + LEEWAY_SECONDS + 5));
    assert_eq!(check(&signed(early)), Err(Rejection::IssuedInTheFuture));
}

#[test]
fn another_sign_ins_nonce_is_refused() {
    assert_eq!(
        check(&signed(claims().with_nonce("replayed"))),
        Err(Rejection::Nonce)
    );
    let mut none = claims();
    none.nonce = None;
    assert_eq!(check(&signed(none)), Err(Rejection::Nonce));
}

#[test]
fn an_unknown_key_id_asks_for_a_refetch() {
    let other = RS256KeyPair::from_der(&key(0).to_der().unwrap())
        .unwrap()
        .with_key_id("key-2");
    assert_eq!(
        check(&other.sign(claims()).unwrap()),
        Err(Rejection::UnknownKey)
    );
}

#[test]
fn a_token_signed_by_another_key_is_refused() {
    // Same kid, different key: the signature check is what catches it.
    assert_eq!(
        check(&key(1).sign(claims()).unwrap()),
        Err(Rejection::Signature)
    );
}

#[test]
fn an_unsigned_token_is_refused() {
    let token = format!(
        "{}.{}.",
        encode(&json!({"alg": "none", "kid": "key-1", "typ": "JWT"})),
        encode(
            &json!({"iss": ISSUER, "aud": CLIENT, "sub": "x", "nonce": NONCE, "email": "a@b.c",
            "email_verified": true, "iat": NOW, "exp": NOW + 60})
        )
    );
    assert_eq!(check(&token), Err(Rejection::Algorithm("none".into())));
}

#[test]
fn a_token_signed_with_a_shared_secret_is_refused() {
    let hmac = HS256Key::generate().with_key_id("key-1");
    assert_eq!(
        check(&hmac.authenticate(claims()).unwrap()),
        Err(Rejection::Algorithm("HS256".into()))
    );
}

#[test]
fn a_tampered_payload_breaks_the_signature() {
    let token = signed(claims());
    let mut parts: Vec<String> = token.split('.').map(str::to_owned).collect();
    parts[1] = encode(
        &json!({"iss": ISSUER, "aud": CLIENT, "sub": "admin", "nonce": NONCE,
        "email": "admin@example.com", "email_verified": true, "iat": NOW, "exp": NOW + 60}),
    );
    assert_eq!(check(&parts.join(".")), Err(Rejection::Signature));
}

#[test]
fn an_unverified_email_is_refused() {
    let mut unverified = claims();
    unverified.custom = json!({"email": "dana@example.com", "email_verified": false});
    assert_eq!(check(&signed(unverified)), Err(Rejection::EmailNotVerified));
}

#[test]
fn a_token_without_expiry_is_refused() {
    let mut forever = claims();
    forever.expires_at = None;
    assert_eq!(check(&signed(forever)), Err(Rejection::MissingClaim("exp")));
}

#[test]
fn garbage_is_malformed() {
    assert_eq!(check("not-a-token"), Err(Rejection::Malformed));
}
