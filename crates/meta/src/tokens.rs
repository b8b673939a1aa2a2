//! Page tokens at rest: AES-256-GCM under keys held in the `FACEBOOK_TOKEN_KEYS` secret
//! (`k2:<base64 32 bytes>,k1:<base64 32 bytes>`, the first one current), a fresh random
//! 96-bit nonce per seal, and associated data binding each ciphertext to its row so a blob
//! copied onto another row does not open. The key id is stored beside the blob: older keys
//! still open what they sealed, and `needs_rotation` says which rows to seal again. Neither
//! errors nor `Debug` ever show key bytes or plaintext.

use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Nonce};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use std::fmt;

const KEY_BYTES: usize = 32;
const NONCE_BYTES: usize = 12;
const MOST_ID_CHARS: usize = 16;

/// The token keys, the current (sealing) one first.
pub struct TokenKeys {
    keys: Vec<Key>,
}

struct Key {
    id: String,
    cipher: Aes256Gcm,
}

impl fmt::Debug for TokenKeys {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let ids: Vec<&str> = self.keys.iter().map(|key| key.id.as_str()).collect();
        f.debug_struct("TokenKeys")
            .field("ids", &ids)
            .finish_non_exhaustive()
    }
}

/// Why the keys secret is refused. Entries are named by their position (1 = first), never
/// by their text, which may be key material.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeysError {
    /// No key at all.
    Empty,
    /// An entry without `id:`.
    MissingId { entry: usize },
    /// An id other than 1 to 16 of `a-z`, `0-9`, `_`, `-`.
    BadId { entry: usize },
    /// A key that is not base64.
    NotBase64 { entry: usize },
    /// A key of another length than 32 bytes.
    WrongLength { entry: usize, bytes: usize },
    /// An id already used by an earlier entry.
    DuplicateId { entry: usize },
}

impl fmt::Display for KeysError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        const SHAPE: &str = "FACEBOOK_TOKEN_KEYS must be id:<base64 32 bytes>[,id:<...>]";
        match self {
            Self::Empty => write!(f, "{SHAPE}: it holds no key"),
            Self::MissingId { entry } => write!(f, "{SHAPE}: entry {entry} has no id"),
            Self::BadId { entry } => write!(
                f,
                "{SHAPE}: the id of entry {entry} must be 1 to {MOST_ID_CHARS} of a-z, 0-9, _ and -"
            ),
            Self::NotBase64 { entry } => {
                write!(f, "{SHAPE}: the key of entry {entry} is not base64")
            }
            Self::WrongLength { entry, bytes } => write!(
                f,
                "{SHAPE}: the key of entry {entry} is {bytes} bytes, not {KEY_BYTES}"
            ),
            Self::DuplicateId { entry } => {
                write!(f, "{SHAPE}: entry {entry} repeats an earlier id")
            }
        }
    }
}

impl std::error::Error for KeysError {}

/// Why a token could not be sealed or opened. Never carries the token or a key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TokenError {
    /// No random nonce could be made.
    NoRandomness,
    /// The row's key id is not among the keys (a key was dropped too early).
    UnknownKey,
    /// The blob is not base64 of a nonce and a ciphertext.
    Malformed,
    /// The blob does not open under its key with this row's associated data: tampered,
    /// copied from another row, or sealed under another key with the same id.
    Unreadable,
    /// The cipher refused to seal (the plaintext is beyond AES-GCM's limit).
    Unsealable,
}

impl fmt::Display for TokenError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::NoRandomness => "no random nonce could be made to seal the token",
            Self::UnknownKey => "the token was sealed under a key that is no longer configured",
            Self::Malformed => "the sealed token is not base64 of a nonce and a ciphertext",
            Self::Unreadable => "the sealed token does not open (tampered, or not this row's)",
            Self::Unsealable => "the token could not be sealed",
        })
    }
}

impl std::error::Error for TokenError {}

/// A sealed token as stored: the key's id and base64(nonce ‖ ciphertext ‖ tag).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sealed {
    pub key_id: String,
    pub blob: String,
}

impl TokenKeys {
    /// Reads the keys secret: comma-separated `id:<base64 32 bytes>`, the first current.
    pub fn parse(raw: &str) -> Result<Self, KeysError> {
        let mut keys: Vec<Key> = Vec::new();
        let entries = raw
            .split(',')
            .map(str::trim)
            .filter(|entry| !entry.is_empty());
        for (index, entry) in entries.enumerate() {
            let position = index + 1;
            let (id, material) = entry
                .split_once(':')
                .ok_or(KeysError::MissingId { entry: position })?;
            let id = id.trim();
            let id_is_valid = (1..=MOST_ID_CHARS).contains(&id.len())
                && id.bytes().all(|b| {
                    b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_' || b == b'-'
                });
            if !id_is_valid {
                return Err(KeysError::BadId { entry: position });
            }
            if keys.iter().any(|key| key.id == id) {
                return Err(KeysError::DuplicateId { entry: position });
            }
            let bytes = STANDARD
                .decode(material.trim())
                .map_err(|_| KeysError::NotBase64 { entry: position })?;
            let cipher = Aes256Gcm::new_from_slice(&bytes).map_err(|_| KeysError::WrongLength {
                entry: position,
                bytes: bytes.len(),
            })?;
            keys.push(Key {
                id: id.to_owned(),
                cipher,
            });
        }
        if keys.is_empty() {
            return Err(KeysError::Empty);
        }
        Ok(Self { keys })
    }

    /// The id new seals are made under.
    pub fn current_id(&self) -> &str {
        self.keys.first().map_or("", |key| key.id.as_str())
    }

    /// Seals `plaintext` under the current key, bound to `aad` (the row: the Page id).
    pub fn seal(&self, plaintext: &str, aad: &str) -> Result<Sealed, TokenError> {
        let key = self.keys.first().ok_or(TokenError::UnknownKey)?;
        let nonce = crate::random_bytes::<NONCE_BYTES>().map_err(|_| TokenError::NoRandomness)?;
        let ciphertext = key
            .cipher
            .encrypt(
                &Nonce::from(nonce),
                Payload {
                    msg: plaintext.as_bytes(),
                    aad: aad.as_bytes(),
                },
            )
            .map_err(|_| TokenError::Unsealable)?;
        let mut blob = Vec::with_capacity(NONCE_BYTES + ciphertext.len());
        blob.extend_from_slice(&nonce);
        blob.extend_from_slice(&ciphertext);
        Ok(Sealed {
            key_id: key.id.clone(),
            blob: STANDARD.encode(blob),
        })
    }

    /// Opens a blob sealed under `key_id` for the row `aad`.
    pub fn open(&self, key_id: &str, blob: &str, aad: &str) -> Result<String, TokenError> {
        let key = self
            .keys
            .iter()
            .find(|key| key.id == key_id)
            .ok_or(TokenError::UnknownKey)?;
        let bytes = STANDARD
            .decode(blob.trim())
            .map_err(|_| TokenError::Malformed)?;
        let (nonce, ciphertext) = bytes
            .split_first_chunk::<NONCE_BYTES>()
            .ok_or(TokenError::Malformed)?;
        let plaintext = key
            .cipher
            .decrypt(
                &Nonce::from(*nonce),
                Payload {
                    msg: ciphertext,
                    aad: aad.as_bytes(),
                },
            )
            .map_err(|_| TokenError::Unreadable)?;
        String::from_utf8(plaintext).map_err(|_| TokenError::Unreadable)
    }

    /// Whether a row sealed under `key_id` should be sealed again under the current key.
    pub fn needs_rotation(&self, key_id: &str) -> bool {
        key_id != self.current_id()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(byte: u8) -> String {
        STANDARD.encode([byte; KEY_BYTES])
    }

    fn keys() -> TokenKeys {
        TokenKeys::parse(&format!("k2:{},k1:{}", key(2), key(1))).unwrap()
    }

    #[test]
    fn a_sealed_token_opens_for_its_row() {
        let sealed = keys().seal("EAAPageToken", "101").unwrap();
        assert_eq!(sealed.key_id, "k2");
        assert!(!sealed.blob.contains("EAAPageToken"));
        assert_eq!(
            keys().open("k2", &sealed.blob, "101").unwrap(),
            "EAAPageToken"
        );
    }

    #[test]
    fn each_seal_uses_a_fresh_nonce() {
        let keys = keys();
        let (a, b) = (
            keys.seal("t", "101").unwrap(),
            keys.seal("t", "101").unwrap(),
        );
        assert_ne!(a.blob, b.blob);
    }

    #[test]
    fn a_blob_copied_to_another_row_does_not_open() {
        let sealed = keys().seal("EAAPageToken", "101").unwrap();
        assert_eq!(
            keys().open("k2", &sealed.blob, "102"),
            Err(TokenError::Unreadable)
        );
    }

    #[test]
    fn a_tampered_blob_does_not_open() {
        let sealed = keys().seal("EAAPageToken", "101").unwrap();
        let mut bytes = STANDARD.decode(&sealed.blob).unwrap();
        let last = bytes.last_mut().unwrap();
        *last ^= 1;
        let tampered = STANDARD.encode(bytes);
        assert_eq!(
            keys().open("k2", &tampered, "101"),
            Err(TokenError::Unreadable)
        );
        assert_eq!(
            keys().open("k2", "not base64!", "101"),
            Err(TokenError::Malformed)
        );
        assert_eq!(keys().open("k2", "AAAA", "101"), Err(TokenError::Malformed));
    }

    #[test]
    fn an_older_key_still_opens_and_asks_for_rotation() {
        let old = TokenKeys::parse(&format!("k1:{}", key(1))).unwrap();
        let sealed = old.seal("EAAPageToken", "101").unwrap();
        let keys = keys();
        assert_eq!(
            keys.open(&sealed.key_id, &sealed.blob, "101").unwrap(),
            "EAAPageToken"
        );
        assert!(keys.needs_rotation("k1"));
        assert!(!keys.needs_rotation("k2"));
        assert_eq!(keys.current_id(), "k2");
    }

    #[test]
    fn an_unknown_key_id_is_named_as_such() {
        let sealed = keys().seal("t", "101").unwrap();
        assert_eq!(
            keys().open("k9", &sealed.blob, "101"),
            Err(TokenError::UnknownKey)
        );
    }

    #[test]
    fn the_same_id_with_another_key_does_not_open() {
        let sealed = keys().seal("t", "101").unwrap();
        let other = TokenKeys::parse(&format!("k2:{}", key(9))).unwrap();
        assert_eq!(
            other.open("k2", &sealed.blob, "101"),
            Err(TokenError::Unreadable)
        );
    }

    #[test]
    fn malformed_secrets_are_refused_by_entry_position() {
        let good = key(1);
        let short = STANDARD.encode([1u8; 16]);
        let cases = [
            (String::new(), KeysError::Empty),
            (" , ".into(), KeysError::Empty),
            (good.clone(), KeysError::MissingId { entry: 1 }),
            (format!("K1:{good}"), KeysError::BadId { entry: 1 }),
            (format!(":{good}"), KeysError::BadId { entry: 1 }),
            (
                format!("k1:{good},{}:{good}", "a".repeat(17)),
                KeysError::BadId { entry: 2 },
            ),
            (
                format!("k1:{good},k2:%%%"),
                KeysError::NotBase64 { entry: 2 },
            ),
            (
                format!("k1:{short}"),
                KeysError::WrongLength {
                    entry: 1,
                    bytes: 16,
                },
            ),
            (
                format!("k1:{good},k1:{good}"),
                KeysError::DuplicateId { entry: 2 },
            ),
        ];
        for (raw, expected) in cases {
            assert_eq!(TokenKeys::parse(&raw).unwrap_err(), expected, "{raw}");
        }
    }

    #[test]
    fn errors_and_debug_never_show_key_material() {
        let secret = key(7);
        let err = TokenKeys::parse(&format!("k1:{secret},{secret}")).unwrap_err();
        assert!(!err.to_string().contains(&secret));
        let keys = TokenKeys::parse(&format!("k1:{secret}")).unwrap();
        let debug = format!("{keys:?}");
        assert!(debug.contains("k1") && !debug.contains(&secret) && !debug.contains("7, 7"));
        let err = keys
            .open("k1", "AAAAAAAAAAAAAAAAAAAAAAAAAAAA", "101")
            .unwrap_err();
        assert!(!err.to_string().contains("101"));
    }
}
