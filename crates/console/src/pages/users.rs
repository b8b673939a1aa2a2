//! Users and roles: search people who signed in, grant and revoke roles, end someone's
//! sessions, and invite an email to a role before its first sign-in.

use super::{PAGE_SIZE, query_value, when};
use crate::chrome::{Chrome, Notice, Viewer};
use askama::Template;
use kbc_domain::Page;
use kbc_domain::accounts::{self, Invitation, Role, User};
use kbc_domain::db::Database;
use kbc_domain::error::DomainResult;
use kbc_site::view::Pager;

/// One user as the list shows them, with the roles they could still be given.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserRow {
    pub user: User,
    pub held: Vec<&'static str>,
    pub grantable: Vec<&'static str>,
    pub last_sign_in: String,
    pub is_viewer: bool,
}

#[derive(Template)]
#[template(path = "users.html")]
pub struct UsersPage {
    pub chrome: Chrome,
    pub search: String,
    pub rows: Vec<UserRow>,
    pub total: i64,
    pub pager: Pager,
    pub invitations: Vec<Invitation>,
    pub invite_error: Option<String>,
    pub roles: [&'static str; 2],
}

impl UsersPage {
    pub async fn load(
        db: &impl Database,
        viewer: Viewer,
        viewer_id: i64,
        search: &str,
        page: Page,
        notice: Option<Notice>,
        invite_error: Option<String>,
    ) -> DomainResult<Self> {
        let paged = accounts::list_users(
            db,
            search,
            Page {
                size: PAGE_SIZE,
                ..page
            },
        )
        .await?;
        let rows = paged
            .items
            .iter()
            .map(|user| UserRow {
                held: Role::ALL
                    .into_iter()
                    .filter(|r| user.has(*r))
                    .map(Role::as_str)
                    .collect(),
                grantable: Role::ALL
                    .into_iter()
                    .filter(|r| !user.has(*r))
                    .map(Role::as_str)
                    .collect(),
                last_sign_in: when(user.last_sign_in_at),
                is_viewer: user.id == viewer_id,
                user: user.clone(),
            })
            .collect();
        let base = if search.trim().is_empty() {
            "/admin/users?".to_owned()
        } else {
            format!("/admin/users?q={}&", query_value(search.trim()))
        };
        Ok(Self {
            chrome: Chrome::new("Users and roles", "users", Some(viewer)).with_notice(notice),
            search: search.trim().to_owned(),
            rows,
            total: paged.total,
            pager: Pager::new(&base, paged.page.number, i64::from(paged.pages())),
            invitations: accounts::invitations(db).await?,
            invite_error,
            roles: [Role::Admin.as_str(), Role::Owner.as_str()],
        })
    }
}
