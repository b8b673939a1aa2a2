//! Claims: "Is this your business?" for a signed-in person, and the admins' queue of claims
//! that no rule could approve.

use super::{PAGE_SIZE, when};
use crate::chrome::{Chrome, Notice, Viewer};
use askama::Template;
use kbc_domain::claims::{self, Claim};
use kbc_domain::db::Database;
use kbc_domain::error::DomainResult;
use kbc_domain::values::Slug;
use kbc_domain::{DomainError, Page};
use kbc_site::view::Pager;

/// The claim page of one public listing.
#[derive(Template)]
#[template(path = "claim.html")]
pub struct ClaimPage {
    pub chrome: Chrome,
    pub slug: String,
    pub name: String,
    pub place: String,
    pub note_error: Option<String>,
}

impl ClaimPage {
    pub async fn load(
        db: &impl Database,
        viewer: Viewer,
        slug: &Slug,
        note_error: Option<String>,
    ) -> DomainResult<Self> {
        let listing = claims::claimable(db, slug)
            .await?
            .ok_or_else(|| DomainError::NotFound("business".into()))?;
        Ok(Self {
            chrome: Chrome::new(format!("Claim {}", listing.name), "account", Some(viewer)),
            slug: slug.as_str().to_owned(),
            place: format!("{}, {}", listing.city, listing.state),
            name: listing.name,
            note_error,
        })
    }
}

/// One claim in the admins' queue.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClaimRow {
    pub claim: Claim,
    pub received: String,
}

#[derive(Template)]
#[template(path = "claims.html")]
pub struct ClaimsPage {
    pub chrome: Chrome,
    pub rows: Vec<ClaimRow>,
    pub total: i64,
    pub pager: Pager,
}

impl ClaimsPage {
    pub async fn load(
        db: &impl Database,
        viewer: Viewer,
        page: Page,
        notice: Option<Notice>,
    ) -> DomainResult<Self> {
        let paged = claims::pending_page(
            db,
            Page {
                size: PAGE_SIZE,
                ..page
            },
        )
        .await?;
        let pages = i64::from(paged.pages());
        Ok(Self {
            chrome: Chrome::new("Claims", "claims", Some(viewer)).with_notice(notice),
            total: paged.total,
            pager: Pager::new("/admin/claims?", paged.page.number, pages),
            rows: paged
                .items
                .into_iter()
                .map(|claim| ClaimRow {
                    received: when(claim.created_at),
                    claim,
                })
                .collect(),
        })
    }
}
