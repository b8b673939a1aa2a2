//! PKCE (RFC 7636) with the S256 method: the verifier stays with us, its challenge goes to the
//! provider, so an intercepted authorization code is useless without the verifier.

use ct_codecs::{Base64UrlSafeNoPadding, Encoder};
use sha2::{Digest, Sha256};

/// The S256 challenge of `verifier`: unpadded base64url of its SHA-256.
pub fn s256_challenge(verifier: &str) -> String {
    Base64UrlSafeNoPadding::encode_to_string(Sha256::digest(verifier.as_bytes()))
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_s256_challenge_matches_the_rfc_example() {
        // RFC 7636, appendix B.
        assert_eq!(
            s256_challenge("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"),
            "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
        );
    }
}
