//! The console's stylesheet, served beside the public one under a fingerprinted path.

use std::sync::OnceLock;

pub const STYLESHEET: &str = include_str!("../static/console.css");

/// `/assets/console.<hash>.css`.
pub fn stylesheet_path() -> &'static str {
    static PATH: OnceLock<String> = OnceLock::new();
    PATH.get_or_init(|| {
        let fingerprint = kbc_domain::fingerprint::sha256_hex(STYLESHEET.as_bytes(), 6);
        format!("/assets/console.{fingerprint}.css")
    })
}
