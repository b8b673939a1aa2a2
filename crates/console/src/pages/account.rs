//! Signing in, the account page, and the friendly page every refusal or failure shows.

use crate::chrome::{Chrome, Notice, Viewer};
use askama::Template;
use kbc_domain::claims::{self, Claim, Owned};
use kbc_domain::db::{Database, DbResult};

/// "Sign in with Google": a form that starts the sign-in (a POST, since it stores state).
#[derive(Template)]
#[template(path = "sign_in.html")]
pub struct SignInPage {
    pub chrome: Chrome,
    /// Where to go once signed in; already a safe same-origin path.
    pub next: String,
    pub provider: String,
}

impl SignInPage {
    pub fn new(next: String, provider: String, signed_out: bool) -> Self {
        let chrome = Chrome::new("Sign in", "", None).with_notice(signed_out.then(|| {
            crate::chrome::Notice {
                ok: true,
                text: "You are signed out.".into(),
            }
        }));
        Self {
            chrome,
            next,
            provider,
        }
    }
}

/// A refusal or failure, said plainly; never echoes what the request carried.
#[derive(Template)]
#[template(path = "problem.html")]
pub struct ProblemPage {
    pub chrome: Chrome,
    pub heading: String,
    pub message: String,
    /// Offer to sign in (again).
    pub sign_in: bool,
}

impl ProblemPage {
    pub fn new(viewer: Option<Viewer>, heading: &str, message: &str, sign_in: bool) -> Self {
        Self {
            chrome: Chrome::new(heading, "", viewer),
            heading: heading.to_owned(),
            message: message.to_owned(),
            sign_in,
        }
    }
}

/// Who is signed in, their roles, the businesses they own, their claims and how those
/// stand, and signing out here or everywhere.
#[derive(Template)]
#[template(path = "account.html")]
pub struct AccountPage {
    pub chrome: Chrome,
    pub roles: Vec<&'static str>,
    pub owned: Vec<Owned>,
    pub claims: Vec<(Claim, String)>,
}

impl AccountPage {
    pub async fn load(
        db: &impl Database,
        viewer: Viewer,
        user_id: i64,
        roles: Vec<&'static str>,
        notice: Option<Notice>,
    ) -> DbResult<Self> {
        let claims = claims::of_user(db, user_id)
            .await?
            .into_iter()
            .map(|claim| {
                let received = crate::pages::when(claim.created_at);
                (claim, received)
            })
            .collect();
        Ok(Self {
            chrome: Chrome::new("Your account", "account", Some(viewer)).with_notice(notice),
            roles,
            owned: claims::owned_by(db, user_id).await?,
            claims,
        })
    }
}
