//! The issuer's published signing keys (JWKS): which key a token names, and how long the set
//! may be cached — as the issuer's `Cache-Control` says, within bounds, so a key rotation is
//! picked up within the day and an unknown `kid` is refetched at most once.

use jwt_simple::prelude::RS256PublicKey;
use serde::Deserialize;

/// Never keep keys longer than this, whatever the issuer says.
pub const LONGEST_CACHE_SECONDS: u64 = 24 * 3600;
/// Without a usable `max-age`, keep keys this long.
pub const DEFAULT_CACHE_SECONDS: u64 = 3600;

#[derive(Debug, Clone, Deserialize)]
struct JwkSet {
    keys: Vec<Jwk>,
}

#[derive(Debug, Clone, Deserialize)]
struct Jwk {
    kty: String,
    #[serde(default)]
    kid: Option<String>,
    #[serde(default)]
    alg: Option<String>,
    #[serde(default, rename = "use")]
    usage: Option<String>,
    #[serde(default)]
    n: Option<String>,
    #[serde(default)]
    e: Option<String>,
}

/// The RS256 signing keys of a JWKS document, by key id.
#[derive(Debug, Clone, Default)]
pub struct SigningKeys {
    keys: Vec<(String, RS256PublicKey)>,
}

impl SigningKeys {
    /// Reads a JWKS document, keeping the RSA signature keys that carry an id; others (a
    /// different type, an encryption key, a key without `kid`) are skipped.
    pub fn parse(document: &str) -> Result<Self, String> {
        let set: JwkSet = serde_json::from_str(document)
            .map_err(|err| format!("the JWKS is not valid: {err}"))?;
        let keys = set
            .keys
            .into_iter()
            .filter(|jwk| jwk.kty == "RSA")
            .filter(|jwk| jwk.alg.as_deref().is_none_or(|alg| alg == "RS256"))
            .filter(|jwk| jwk.usage.as_deref().is_none_or(|usage| usage == "sig"))
            .filter_map(|jwk| {
                let n = decode(jwk.n.as_deref()?)?;
                let e = decode(jwk.e.as_deref()?)?;
                let key = RS256PublicKey::from_components(&n, &e).ok()?;
                Some((jwk.kid?, key))
            })
            .collect();
        Ok(Self { keys })
    }

    pub fn find(&self, kid: &str) -> Option<&RS256PublicKey> {
        self.keys
            .iter()
            .find(|(id, _)| id == kid)
            .map(|(_, key)| key)
    }

    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }
}

fn decode(text: &str) -> Option<Vec<u8>> {
    use ct_codecs::{Base64UrlSafeNoPadding, Decoder};
    Base64UrlSafeNoPadding::decode_to_vec(text.trim_end_matches('='), None).ok()
}

/// How long a JWKS answer may be kept, from its `Cache-Control` header.
pub fn cache_seconds(cache_control: Option<&str>) -> u64 {
    let Some(header) = cache_control else {
        return DEFAULT_CACHE_SECONDS;
    };
    let directives: Vec<String> = header
        .split(',')
        .map(|d| d.trim().to_ascii_lowercase())
        .collect();
    if directives
        .iter()
        .any(|d| d == "no-store" || d == "no-cache")
    {
        return 0;
    }
    directives
        .iter()
        .find_map(|d| {
            d.strip_prefix("max-age=")?
                .trim_matches('"')
                .parse::<u64>()
                .ok()
        })
        .map_or(DEFAULT_CACHE_SECONDS, |seconds| {
            seconds.min(LONGEST_CACHE_SECONDS)
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_cache_lasts_as_long_as_the_issuer_says_within_a_day() {
        assert_eq!(
            cache_seconds(Some("public, max-age=19766, must-revalidate, no-transform")),
            19766
        );
        assert_eq!(
            cache_seconds(Some("max-age=9999999")),
            LONGEST_CACHE_SECONDS
        );
        assert_eq!(cache_seconds(Some("no-store")), 0);
        assert_eq!(cache_seconds(None), DEFAULT_CACHE_SECONDS);
        assert_eq!(cache_seconds(Some("public")), DEFAULT_CACHE_SECONDS);
    }

    #[test]
    fn keys_of_other_kinds_are_skipped() {
        let keys = SigningKeys::parse(
            r#"{"keys":[{"kty":"EC","kid":"ec","crv":"P-256","x":"a","y":"b"},
                        {"kty":"RSA","kid":"enc","use":"enc","n":"AQAB","e":"AQAB"}]}"#,
        )
        .unwrap();
        assert!(keys.is_empty());
        assert!(SigningKeys::parse("not json").is_err());
    }
}
