//! Random secrets — session ids, CSRF tokens, `state`, `nonce`, PKCE verifiers — and the
//! hash under which a secret is stored, so the database never holds one usable as is.

use sha2::{Digest, Sha256};

/// 256 bits: a session id or a sign-in secret cannot be guessed or enumerated.
pub const SECRET_BYTES: usize = 32;

/// The operating system's (or, in a worker, Web Crypto's) random source failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NoRandomness(pub String);

impl std::fmt::Display for NoRandomness {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "no random source: {}", self.0)
    }
}

/// A fresh 256-bit secret as 64 lowercase hex digits (safe in cookies, forms and URLs).
pub fn random_secret() -> Result<String, NoRandomness> {
    let mut bytes = [0u8; SECRET_BYTES];
    getrandom::fill(&mut bytes).map_err(|err| NoRandomness(err.to_string()))?;
    Ok(hex::encode(bytes))
}

/// What is stored in place of a secret: its SHA-256, as hex.
pub fn stored_hash(secret: &str) -> String {
    hex::encode(Sha256::digest(secret.as_bytes()))
}

/// Compares two secrets in time independent of where they differ.
pub fn same_secret(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// Whether `text` has the shape of a secret this module makes (64 hex digits): anything else
/// in a cookie or form is rejected before it reaches the database.
pub fn looks_like_secret(text: &str) -> bool {
    text.len() == SECRET_BYTES * 2
        && text
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_are_256_bit_hex_and_differ() {
        let a = random_secret().unwrap();
        let b = random_secret().unwrap();
        assert!(looks_like_secret(&a));
        assert_ne!(a, b);
    }

    #[test]
    fn the_stored_hash_is_sha256_not_the_secret() {
        let secret = random_secret().unwrap();
        let stored = stored_hash(&secret);
        assert_eq!(stored.len(), 64);
        assert_ne!(stored, secret);
        assert_eq!(
            stored_hash("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }

    #[test]
    fn secrets_compare_equal_only_when_identical() {
        assert!(same_secret("abcd", "abcd"));
        assert!(!same_secret("abcd", "abce"));
        assert!(!same_secret("abcd", "abc"));
    }

    #[test]
    fn only_secret_shaped_text_passes() {
        assert!(!looks_like_secret("ABCDEF"));
        assert!(!looks_like_secret(&"g".repeat(64)));
        assert!(!looks_like_secret(&"A".repeat(64)));
    }
}
