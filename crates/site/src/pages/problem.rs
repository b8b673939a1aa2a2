//! The helpful 404 and the friendly page for failures on our side.

use super::*;

/// The helpful 404, and the friendly page for failures on our side.
#[derive(Template)]
#[template(path = "problem.html")]
pub struct ProblemPage {
    pub meta: Meta,
    pub heading: String,
    pub message: String,
    pub show_search: bool,
}

impl ProblemPage {
    pub fn not_found(site: &Site, what: &str) -> Self {
        let mut meta = Meta::new(
            site,
            "Page not found — Kiamichi Biz Connect".into(),
            "This page does not exist.".into(),
            "/",
            "",
        );
        meta.noindex = true;
        Self {
            meta,
            heading: "We couldn’t find that page".into(),
            message: format!(
                "{what} There may be a typo in the address, or the listing may have been removed. Try a search, \
                    or browse by category or town."
            ),
            show_search: true,
        }
    }

    pub fn failure(site: &Site, heading: &str, message: &str) -> Self {
        let mut meta = Meta::new(
            site,
            format!("{heading} — Kiamichi Biz Connect"),
            message.into(),
            "/",
            "",
        );
        meta.noindex = true;
        Self {
            meta,
            heading: heading.into(),
            message: message.into(),
            show_search: false,
        }
    }

    pub fn html(&self) -> String {
        render(self)
    }
}
