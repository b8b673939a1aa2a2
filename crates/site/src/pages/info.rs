//! The fixed pages (about, advertise, privacy, terms); their copy lives in `templates/info/`.

use super::*;

/// The fixed pages: about, advertise, privacy, terms.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Info {
    About,
    Advertise,
    Privacy,
    Terms,
}

impl Info {
    pub fn from_path(path: &str) -> Option<Self> {
        Some(match path {
            "/about" => Self::About,
            "/advertise" => Self::Advertise,
            "/privacy" => Self::Privacy,
            "/terms" => Self::Terms,
            _ => return None,
        })
    }

    pub const ALL: [Info; 4] = [Info::About, Info::Advertise, Info::Privacy, Info::Terms];

    pub fn path(self) -> &'static str {
        match self {
            Self::About => "/about",
            Self::Advertise => "/advertise",
            Self::Privacy => "/privacy",
            Self::Terms => "/terms",
        }
    }

    pub fn heading(self) -> &'static str {
        match self {
            Self::About => "About Kiamichi Biz Connect",
            Self::Advertise => "Advertise with us",
            Self::Privacy => "Privacy",
            Self::Terms => "Terms of use",
        }
    }

    /// The page's description for search engines and link previews (its copy lives in
    /// `templates/info/`).
    fn summary(self) -> &'static str {
        match self {
            Self::About => {
                "The business directory of the Kiamichi country: Southeast Oklahoma and the neighbouring \
                 corners of Texas and Arkansas."
            }
            Self::Advertise => {
                "Featured listings and banner placements, always marked and never ahead of a better match."
            }
            Self::Privacy => {
                "What we store, what we never store, and how to have what you sent deleted."
            }
            Self::Terms => "The rules for using the listings and the request forms.",
        }
    }
}

#[derive(Template)]
#[template(path = "info.html")]
pub struct InfoPage {
    pub meta: Meta,
    pub info: Info,
}

impl InfoPage {
    pub fn new(site: &Site, info: Info) -> Self {
        let heading = info.heading();
        let section = match info {
            Info::About => "about",
            Info::Advertise => "advertise",
            Info::Privacy | Info::Terms => "",
        };
        let meta = Meta::new(
            site,
            format!("{heading} — Kiamichi Biz Connect"),
            info.summary().into(),
            info.path(),
            section,
        );
        Self { meta, info }
    }

    pub fn html(&self) -> String {
        render(self)
    }
}
