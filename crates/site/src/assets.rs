//! Static assets compiled into the worker: the stylesheet, served under a fingerprinted
//! path so browsers may cache it forever and a new build is fetched at once.

use std::sync::OnceLock;

/// The whole stylesheet.
pub const STYLESHEET: &str = include_str!("../static/site.css");

/// `/assets/site.<hash>.css`, where the hash is of [`STYLESHEET`].
pub fn stylesheet_path() -> &'static str {
    static PATH: OnceLock<String> = OnceLock::new();
    PATH.get_or_init(|| {
        let fingerprint = kbc_domain::fingerprint::sha256_hex(STYLESHEET.as_bytes(), 6);
        format!("/assets/site.{fingerprint}.css")
    })
}

/// The site icon (a pine on green), our own file: served as SVG from our origin.
pub const ICON: &str = include_str!("../static/icon.svg");
/// Where the icon is served; browsers that ask for `/favicon.ico` are sent here.
pub const ICON_PATH: &str = "/assets/icon.svg";

/// Whether `path` asks for a stylesheet at all (current or from an older build).
pub fn is_stylesheet_request(path: &str) -> bool {
    path.starts_with("/assets/site.") && path.ends_with(".css")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_stylesheet_path_is_fingerprinted_by_content() {
        let path = stylesheet_path();
        assert!(path.starts_with("/assets/site.") && path.ends_with(".css"));
        assert_eq!(path.len(), "/assets/site.".len() + 12 + ".css".len());
        assert!(is_stylesheet_request(path));
        assert!(!is_stylesheet_request("/assets/other.js"));
    }

    #[test]
    fn the_stylesheet_stays_small() {
        assert!(STYLESHEET.len() < 12 * 1024, "{} bytes", STYLESHEET.len());
    }
}
