//! What every console page carries around its content: the title, which section is current,
//! who is signed in, the session's CSRF token for the forms it holds, and an optional notice.

use kbc_domain::accounts::{Role, Session};

/// The person looking at the page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Viewer {
    pub email: String,
    pub name: String,
    pub is_admin: bool,
    /// Put in every form that changes something; the worker compares it with the session's.
    pub csrf: String,
}

impl Viewer {
    pub fn of(session: &Session) -> Self {
        Self {
            email: session.email.clone(),
            name: session.name.clone(),
            is_admin: session.has(Role::Admin),
            csrf: session.csrf_token.clone(),
        }
    }
}

/// A one-line message above the content (after a redirect, e.g. "Approved").
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notice {
    pub ok: bool,
    pub text: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Chrome {
    pub title: String,
    /// Which console navigation entry is current (`""` for none).
    pub section: &'static str,
    pub viewer: Option<Viewer>,
    pub notice: Option<Notice>,
    pub stylesheet: &'static str,
    /// The dashboard's script, on the pages that offer drag to reorder.
    pub script: Option<&'static str>,
}

impl Chrome {
    pub fn new(title: impl Into<String>, section: &'static str, viewer: Option<Viewer>) -> Self {
        Self {
            title: format!("{} — Kiamichi Biz Connect", title.into()),
            section,
            viewer,
            notice: None,
            stylesheet: crate::assets::stylesheet_path(),
            script: None,
        }
    }

    /// Adds the dashboard's script (drag to reorder) to the page.
    pub fn with_script(mut self) -> Self {
        self.script = Some(crate::assets::script_path());
        self
    }

    pub fn with_notice(mut self, notice: Option<Notice>) -> Self {
        self.notice = notice;
        self
    }

    /// The CSRF token for this page's forms (empty when nobody is signed in).
    pub fn csrf(&self) -> &str {
        self.viewer.as_ref().map_or("", |v| v.csrf.as_str())
    }
}
