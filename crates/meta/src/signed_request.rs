//! Meta's data-deletion callback: the `signed_request` (`<b64url signature>.<b64url
//! payload>`, HMAC-SHA256 under the app secret over the payload as sent) that says whose
//! Facebook data to delete, and the confirmation code we answer with.

use base64::Engine;
use base64::alphabet;
use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
use hmac::{Hmac, Mac};
use serde::Deserialize;
use sha2::Sha256;

/// A request older than this is refused (Meta sends it as the person asks).
pub const MOST_AGE_SECONDS: i64 = 86_400;
/// Clocks differ: a request up to this far in our future is accepted.
pub const MOST_SKEW_SECONDS: i64 = 300;
/// Longer requests are not Meta's.
const MOST_RAW_BYTES: usize = 8 * 1024;

/// Meta sends base64url without padding; some clients add it back.
const B64URL: GeneralPurpose = GeneralPurpose::new(
    &alphabet::URL_SAFE,
    GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent),
);

/// A verified deletion request: the app-scoped id of the person whose data goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignedRequest {
    pub user_id: String,
    pub issued_at: i64,
}

/// Why a `signed_request` is refused. Nothing of the request is echoed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SignedRequestError {
    /// Not two base64url parts, or a payload that is not the expected JSON.
    Malformed,
    /// The signature is not the payload's HMAC under our app secret (or we have no secret).
    BadSignature,
    /// The payload names another algorithm than HMAC-SHA256.
    UnsupportedAlgorithm,
    /// Issued more than [`MOST_AGE_SECONDS`] ago.
    Expired,
    /// Issued more than [`MOST_SKEW_SECONDS`] in the future.
    FromTheFuture,
    /// No usable `user_id`.
    NoUser,
}

impl std::fmt::Display for SignedRequestError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::Malformed => "the signed_request is not <signature>.<payload> in base64url JSON",
            Self::BadSignature => "the signed_request's signature does not match",
            Self::UnsupportedAlgorithm => "the signed_request is not signed with HMAC-SHA256",
            Self::Expired => "the signed_request is more than a day old",
            Self::FromTheFuture => "the signed_request is issued in the future",
            Self::NoUser => "the signed_request names no user",
        })
    }
}

impl std::error::Error for SignedRequestError {}

#[derive(Deserialize)]
struct Payload {
    #[serde(default)]
    algorithm: String,
    issued_at: i64,
    #[serde(default)]
    user_id: Option<String>,
}

/// Verifies a `signed_request` at `now` (unix seconds): the signature first (constant time),
/// then the algorithm, the age and the user.
pub fn verify(app_secret: &[u8], raw: &str, now: i64) -> Result<SignedRequest, SignedRequestError> {
    let raw = raw.trim();
    if raw.len() > MOST_RAW_BYTES {
        return Err(SignedRequestError::Malformed);
    }
    let (signature, payload) = raw.split_once('.').ok_or(SignedRequestError::Malformed)?;
    let signature = B64URL
        .decode(signature)
        .map_err(|_| SignedRequestError::Malformed)?;
    if app_secret.is_empty() {
        return Err(SignedRequestError::BadSignature);
    }
    let mut mac =
        Hmac::<Sha256>::new_from_slice(app_secret).map_err(|_| SignedRequestError::BadSignature)?;
    mac.update(payload.as_bytes());
    mac.verify_slice(&signature)
        .map_err(|_| SignedRequestError::BadSignature)?;
    let payload = B64URL
        .decode(payload)
        .map_err(|_| SignedRequestError::Malformed)?;
    let payload: Payload =
        serde_json::from_slice(&payload).map_err(|_| SignedRequestError::Malformed)?;
    if !payload.algorithm.eq_ignore_ascii_case("HMAC-SHA256") {
        return Err(SignedRequestError::UnsupportedAlgorithm);
    }
    if now.saturating_sub(payload.issued_at) > MOST_AGE_SECONDS {
        return Err(SignedRequestError::Expired);
    }
    if payload.issued_at.saturating_sub(now) > MOST_SKEW_SECONDS {
        return Err(SignedRequestError::FromTheFuture);
    }
    let user_id = payload
        .user_id
        .filter(|id| {
            !id.is_empty() && id.len() <= 128 && id.bytes().all(|b| b.is_ascii_alphanumeric())
        })
        .ok_or(SignedRequestError::NoUser)?;
    Ok(SignedRequest {
        user_id,
        issued_at: payload.issued_at,
    })
}

/// A fresh confirmation code for Meta's deletion answer: 16 URL-safe characters (96 bits).
pub fn confirmation_code() -> Result<String, crate::NoRandomness> {
    let bytes = crate::random_bytes::<12>()?;
    Ok(base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes))
}

#[cfg(test)]
mod tests {
    use super::*;
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;

    const SECRET: &[u8] = b"app-secret";
    const NOW: i64 = 1_700_000_000;

    fn signed(secret: &[u8], payload_json: &str) -> String {
        let payload = URL_SAFE_NO_PAD.encode(payload_json);
        let mut mac = Hmac::<Sha256>::new_from_slice(secret).unwrap();
        mac.update(payload.as_bytes());
        let signature = URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes());
        format!("{signature}.{payload}")
    }

    fn payload(issued_at: i64) -> String {
        format!(r#"{{"algorithm":"HMAC-SHA256","issued_at":{issued_at},"user_id":"218471"}}"#)
    }

    #[test]
    fn a_request_signed_with_our_secret_names_the_user() {
        let request = verify(SECRET, &signed(SECRET, &payload(NOW - 60)), NOW).unwrap();
        assert_eq!(
            request,
            SignedRequest {
                user_id: "218471".into(),
                issued_at: NOW - 60
            }
        );
    }

    #[test]
    fn padding_on_either_part_is_tolerated() {
        // A 32-byte signature is 43 characters unpadded, 44 with its padding.
        let raw = signed(SECRET, &payload(NOW));
        let (signature, payload) = raw.split_once('.').unwrap();
        let padded = format!("{signature}=.{payload}");
        assert!(verify(SECRET, &padded, NOW).is_ok());
    }

    #[test]
    fn another_secret_or_a_changed_payload_is_refused() {
        let raw = signed(b"other", &payload(NOW));
        assert_eq!(
            verify(SECRET, &raw, NOW),
            Err(SignedRequestError::BadSignature)
        );
        let raw = signed(SECRET, &payload(NOW));
        let (signature, _) = raw.split_once('.').unwrap();
        let forged = format!(
            "{signature}.{}",
            URL_SAFE_NO_PAD.encode(payload(NOW).replace("218471", "999"))
        );
        assert_eq!(
            verify(SECRET, &forged, NOW),
            Err(SignedRequestError::BadSignature)
        );
        assert_eq!(
            verify(b"", &raw, NOW),
            Err(SignedRequestError::BadSignature)
        );
    }

    #[test]
    fn garbage_is_malformed() {
        for raw in ["", "abc", "!!!.abc", &"a.".repeat(5000)] {
            assert_eq!(
                verify(SECRET, raw, NOW),
                Err(SignedRequestError::Malformed),
                "{raw}"
            );
        }
        let not_json = signed(SECRET, "not json");
        assert_eq!(
            verify(SECRET, &not_json, NOW),
            Err(SignedRequestError::Malformed)
        );
    }

    #[test]
    fn only_hmac_sha256_is_accepted() {
        let raw = signed(SECRET, &payload(NOW).replace("HMAC-SHA256", "none"));
        assert_eq!(
            verify(SECRET, &raw, NOW),
            Err(SignedRequestError::UnsupportedAlgorithm)
        );
    }

    #[test]
    fn a_request_older_than_a_day_is_expired() {
        let raw = signed(SECRET, &payload(NOW - MOST_AGE_SECONDS - 1));
        assert_eq!(verify(SECRET, &raw, NOW), Err(SignedRequestError::Expired));
        let raw = signed(SECRET, &payload(NOW - MOST_AGE_SECONDS));
        assert!(verify(SECRET, &raw, NOW).is_ok());
    }

    #[test]
    fn a_request_from_beyond_five_minutes_ahead_is_refused() {
        let raw = signed(SECRET, &payload(NOW + MOST_SKEW_SECONDS + 1));
        assert_eq!(
            verify(SECRET, &raw, NOW),
            Err(SignedRequestError::FromTheFuture)
        );
        let raw = signed(SECRET, &payload(NOW + MOST_SKEW_SECONDS));
        assert!(verify(SECRET, &raw, NOW).is_ok());
    }

    #[test]
    fn a_request_without_a_plain_user_id_is_refused() {
        for user in [r#""""#, r#""a/b""#, "null"] {
            let json = payload(NOW).replace(r#""218471""#, user);
            let raw = signed(SECRET, &json);
            assert_eq!(
                verify(SECRET, &raw, NOW),
                Err(SignedRequestError::NoUser),
                "{user}"
            );
        }
    }

    #[test]
    fn confirmation_codes_are_16_url_safe_characters_and_differ() {
        let (a, b) = (confirmation_code().unwrap(), confirmation_code().unwrap());
        assert_eq!(a.len(), 16);
        assert!(
            a.bytes()
                .all(|c| c.is_ascii_alphanumeric() || c == b'-' || c == b'_')
        );
        assert_ne!(a, b);
    }
}
