//! The audit log: every admin action, newest first, filterable by who and what.

use super::{PAGE_SIZE, query_value, when};
use crate::chrome::{Chrome, Viewer};
use askama::Template;
use kbc_domain::Page;
use kbc_domain::audit::{self, Entry, Filter};
use kbc_domain::db::Database;
use kbc_domain::error::DomainResult;
use kbc_site::view::Pager;

/// One entry as the log shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EntryRow {
    pub entry: Entry,
    pub at: String,
}

#[derive(Template)]
#[template(path = "audit.html")]
pub struct AuditPage {
    pub chrome: Chrome,
    pub filter: Filter,
    pub rows: Vec<EntryRow>,
    pub total: i64,
    pub pager: Pager,
}

impl AuditPage {
    pub async fn load(
        db: &impl Database,
        viewer: Viewer,
        filter: Filter,
        page: Page,
    ) -> DomainResult<Self> {
        let paged = audit::list(
            db,
            &filter,
            Page {
                size: PAGE_SIZE,
                ..page
            },
        )
        .await?;
        let pages = i64::from(paged.pages());
        let rows = paged
            .items
            .into_iter()
            .map(|entry| EntryRow {
                at: when(entry.created_at),
                entry,
            })
            .collect();
        let mut base = String::from("/admin/audit?");
        for (name, value) in [
            ("actor", &filter.actor),
            ("action", &filter.action),
            ("object", &filter.object_type),
        ] {
            if !value.trim().is_empty() {
                base.push_str(&format!("{name}={}&", query_value(value.trim())));
            }
        }
        Ok(Self {
            chrome: Chrome::new("Audit log", "audit", Some(viewer)),
            pager: Pager::new(&base, page.number, pages),
            total: paged.total,
            filter,
            rows,
        })
    }
}
