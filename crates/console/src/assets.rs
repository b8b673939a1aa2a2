//! The console's stylesheet: the public site's, so both halves share one design language,
//! followed by the console's own rules (tables, inline actions), served as one file under a
//! fingerprinted path — one request per page, cacheable for good; and the dashboard's small
//! drag-to-reorder script, fingerprinted the same way.

use std::sync::OnceLock;

const CONSOLE_RULES: &str = include_str!("../static/console.css");

/// The whole stylesheet of the console's pages.
pub fn stylesheet() -> &'static str {
    static SHEET: OnceLock<String> = OnceLock::new();
    SHEET.get_or_init(|| format!("{}\n{CONSOLE_RULES}", kbc_site::assets::STYLESHEET))
}

/// `/assets/console.<hash>.css`, where the hash is of [`stylesheet`].
pub fn stylesheet_path() -> &'static str {
    static PATH: OnceLock<String> = OnceLock::new();
    PATH.get_or_init(|| {
        let fingerprint = kbc_domain::fingerprint::sha256_hex(stylesheet().as_bytes(), 6);
        format!("/assets/console.{fingerprint}.css")
    })
}

const DASHBOARD_SCRIPT: &str = include_str!("../static/dashboard.js");

/// The dashboard's one script (drag to reorder), small and first-party; every page works
/// without it.
pub fn script() -> &'static str {
    DASHBOARD_SCRIPT
}

/// `/assets/dashboard.<hash>.js`, where the hash is of [`script`].
pub fn script_path() -> &'static str {
    static PATH: OnceLock<String> = OnceLock::new();
    PATH.get_or_init(|| {
        let fingerprint = kbc_domain::fingerprint::sha256_hex(DASHBOARD_SCRIPT.as_bytes(), 6);
        format!("/assets/dashboard.{fingerprint}.js")
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_console_stylesheet_extends_the_sites_and_is_fingerprinted() {
        assert!(stylesheet().starts_with(kbc_site::assets::STYLESHEET));
        assert!(stylesheet().contains(".account-bar"));
        assert!(
            stylesheet_path().starts_with("/assets/console.")
                && stylesheet_path().ends_with(".css")
        );
    }
}
