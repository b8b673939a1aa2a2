//! Where a finished sign-in sends the browser: only ever a path on our own origin. Anything
//! that could leave it — a full URL, `//host`, `/\host`, control characters, a path that
//! resolves elsewhere — falls back to the start page.

use url::Url;

/// Where a sign-in without a usable `next` lands.
pub const HOME: &str = "/";
const LONGEST: usize = 512;

/// `raw` as a same-origin path with its query (never a fragment), or [`HOME`].
pub fn safe_next(raw: Option<&str>) -> String {
    raw.and_then(same_origin_path)
        .unwrap_or_else(|| HOME.to_owned())
}

fn same_origin_path(raw: &str) -> Option<String> {
    let plain = raw.len() <= LONGEST
        && raw.starts_with('/')
        && !raw.starts_with("//")
        && !raw.contains('\\')
        && !raw.chars().any(char::is_control);
    if !plain {
        return None;
    }
    // Resolving against a stand-in origin is how a browser would read it: the result must
    // still be on that origin.
    let base = Url::parse("https://origin.invalid/").ok()?;
    let resolved = base.join(raw).ok()?;
    if resolved.origin() != base.origin() {
        return None;
    }
    let mut path = resolved.path().to_owned();
    if let Some(query) = resolved.query() {
        path.push('?');
        path.push_str(query);
    }
    Some(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_local_path_and_its_query_are_kept() {
        assert_eq!(
            safe_next(Some("/admin/submissions?page=2")),
            "/admin/submissions?page=2"
        );
        assert_eq!(safe_next(Some("/dashboard#photos")), "/dashboard");
    }

    #[test]
    fn anything_that_could_leave_the_origin_goes_home() {
        for hostile in [
            "https://evil.example",
            "//evil.example",
            "///evil.example",
            "/\\evil.example",
            "\\\\evil.example",
            "http:evil.example",
            "javascript:alert(1)",
            "/%0d%0aLocation:%20https://evil.example",
            "/\r\nLocation: https://evil.example",
            "evil.example",
            "",
        ] {
            let next = safe_next(Some(hostile));
            assert!(
                next.starts_with('/') && !next.starts_with("//"),
                "{hostile:?} gave {next:?}"
            );
            assert!(
                !next.contains("\r") && !next.contains('\n'),
                "{hostile:?} gave {next:?}"
            );
            assert!(
                next == HOME || next.starts_with("/%0d%0a"),
                "{hostile:?} left the origin: {next:?}"
            );
        }
        assert_eq!(safe_next(None), HOME);
    }

    #[test]
    fn dot_segments_are_resolved_not_trusted() {
        assert_eq!(safe_next(Some("/a/../../admin")), "/admin");
    }
}
