//! The moderation queue and a submission's review: every stored text shown as text, similar
//! listings beside it, the fields editable before approval, and reject with a reason.

use super::{PAGE_SIZE, when};
use crate::chrome::{Chrome, Notice, Viewer};
use askama::Template;
use kbc_domain::categories;
use kbc_domain::db::Database;
use kbc_domain::error::DomainResult;
use kbc_domain::submissions::{self, Similar, StoredSubmission};
use kbc_domain::values::StateCode;
use kbc_domain::{DomainError, Page};
use kbc_site::forms::{Form, FormState};
use kbc_site::pages::{CategoryOption, category_options};
use kbc_site::view::Pager;

/// One pending submission in the queue.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SubmissionRow {
    pub url: String,
    pub business_name: String,
    pub place: String,
    pub category: String,
    pub contact: String,
    pub received: String,
}

#[derive(Template)]
#[template(path = "submissions.html")]
pub struct SubmissionsPage {
    pub chrome: Chrome,
    pub rows: Vec<SubmissionRow>,
    pub total: i64,
    pub pager: Pager,
}

impl SubmissionsPage {
    pub async fn load(
        db: &impl Database,
        viewer: Viewer,
        page: Page,
        notice: Option<Notice>,
    ) -> DomainResult<Self> {
        let paged = submissions::pending_page(
            db,
            Page {
                size: PAGE_SIZE,
                ..page
            },
        )
        .await?;
        let rows = paged
            .items
            .iter()
            .map(|s| SubmissionRow {
                url: format!("/admin/submissions/{}", s.id),
                business_name: s.business_name.clone(),
                place: format!("{}, {}", s.city, s.state),
                category: s.category_slug.clone(),
                contact: format!("{} <{}>", s.contact_name, s.email),
                received: when(s.created_at),
            })
            .collect();
        Ok(Self {
            chrome: Chrome::new("Moderation queue", "submissions", Some(viewer))
                .with_notice(notice),
            rows,
            total: paged.total,
            pager: Pager::new(
                "/admin/submissions?",
                paged.page.number,
                i64::from(paged.pages()),
            ),
        })
    }
}

#[derive(Template)]
#[template(path = "review.html")]
pub struct ReviewPage {
    pub chrome: Chrome,
    pub submission: StoredSubmission,
    pub received: String,
    pub similar: Vec<Similar>,
    /// The editable fields: as stored, or as the moderator sent them with their errors.
    pub form: FormState,
    pub reject_error: Option<String>,
    pub categories: Vec<CategoryOption>,
    pub states: [StateCode; 3],
}

impl ReviewPage {
    /// The review of submission `id`; `form` carries a failed edit to show again.
    pub async fn load(
        db: &impl Database,
        viewer: Viewer,
        id: i64,
        form: Option<FormState>,
        reject_error: Option<String>,
        notice: Option<Notice>,
    ) -> DomainResult<Self> {
        let submission = submissions::find(db, id)
            .await?
            .ok_or_else(|| DomainError::NotFound("submission".into()))?;
        let similar = submissions::similar(db, &submission).await?;
        let categories = category_options(&categories::tree(db).await?);
        let form =
            form.unwrap_or_else(|| FormState::with_errors(stored_form(&submission), Vec::new()));
        Ok(Self {
            chrome: Chrome::new(
                format!("Review: {}", submission.business_name),
                "submissions",
                Some(viewer),
            )
            .with_notice(notice),
            received: when(submission.created_at),
            submission,
            similar,
            form,
            reject_error,
            categories,
            states: StateCode::ALL,
        })
    }

    pub fn is_pending(&self) -> bool {
        self.submission.status == "pending"
    }

    /// The id of a field's input, for links from the error summary.
    pub fn field_id(&self, field: &str) -> String {
        format!("review-{}", field.replace('_', "-"))
    }
}

/// The stored submission as the form a moderator edits.
fn stored_form(submission: &StoredSubmission) -> Form {
    let input = submission.as_input();
    let pairs = [
        ("business_name", input.business_name),
        ("category", input.category),
        ("description", input.description),
        ("phone", input.phone),
        ("email", input.email),
        ("website", input.website),
        ("street", input.street),
        ("city", input.city),
        ("state", input.state),
        ("zip", input.zip),
        ("contact_name", input.contact_name),
    ];
    let mut body = url::form_urlencoded::Serializer::new(String::new());
    for (name, value) in pairs {
        body.append_pair(name, value.as_deref().unwrap_or(""));
    }
    Form::parse(body.finish().as_bytes())
}
