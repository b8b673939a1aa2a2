//! Short, stable fingerprints of bytes (SHA-256, hex): cache keys, ETags, client hashes and
//! asset names all shorten the same digest the same way.

use sha2::{Digest, Sha256};

/// The first `bytes` bytes (at most 32) of the SHA-256 of `data`, as lowercase hex.
pub fn sha256_hex(data: &[u8], bytes: usize) -> String {
    let digest = Sha256::digest(data);
    hex::encode(digest.get(..bytes.min(digest.len())).unwrap_or_default())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fingerprints_are_hex_prefixes_of_sha256() {
        assert_eq!(sha256_hex(b"abc", 4), "ba7816bf");
        assert_eq!(sha256_hex(b"abc", 99).len(), 64);
    }
}
