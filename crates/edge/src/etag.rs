//! Strong ETags for JSON and HTML bodies, and the `If-None-Match` comparison.

/// A strong ETag for a body.
pub fn of(body: &[u8]) -> String {
    format!("\"{}\"", kbc_domain::fingerprint::sha256_hex(body, 12))
}

/// Whether an `If-None-Match` header value matches `etag` (list, weak forms and `*`).
pub fn matches(if_none_match: &str, etag: &str) -> bool {
    if_none_match
        .split(',')
        .map(|candidate| candidate.trim().trim_start_matches("W/"))
        .any(|candidate| candidate == "*" || candidate == etag)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_body_same_tag_different_body_different_tag() {
        assert_eq!(of(b"a"), of(b"a"));
        assert_ne!(of(b"a"), of(b"b"));
        assert!(of(b"a").starts_with('"') && of(b"a").ends_with('"'));
    }

    #[test]
    fn if_none_match_accepts_lists_weak_tags_and_star() {
        let tag = of(b"body");
        assert!(matches(&tag, &tag));
        assert!(matches(&format!("\"x\", W/{tag}"), &tag));
        assert!(matches("*", &tag));
        assert!(!matches("\"other\"", &tag));
    }
}
