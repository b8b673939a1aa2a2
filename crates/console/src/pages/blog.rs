//! The blog for admins: every post with its state (drafts are never public), and the editor
//! to write one in Markdown and keep it a draft, publish it now or at a time, or unpublish it.

use super::{PAGE_SIZE, when};
use crate::chrome::{Chrome, Notice, Viewer};
use askama::Template;
use kbc_domain::blog::{self, Draft, PostInput};
use kbc_domain::db::Database;
use kbc_domain::error::DomainResult;
use kbc_domain::{DomainError, FieldError, Page};
use kbc_site::view::Pager;

/// One post in the list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PostRow {
    pub post: Draft,
    /// "draft", "published November 3, …" or "scheduled for …".
    pub state: String,
}

#[derive(Template)]
#[template(path = "posts.html")]
pub struct PostsPage {
    pub chrome: Chrome,
    pub rows: Vec<PostRow>,
    pub total: i64,
    pub pager: Pager,
}

fn state_of(post: &Draft, now: i64) -> String {
    match post.published_at {
        Some(at) if post.status == "published" && at > now => format!("scheduled for {}", when(at)),
        Some(at) if post.status == "published" => format!("published {}", when(at)),
        _ => "draft".to_owned(),
    }
}

impl PostsPage {
    pub async fn load(
        db: &impl Database,
        viewer: Viewer,
        page: Page,
        now: i64,
        notice: Option<Notice>,
    ) -> DomainResult<Self> {
        let paged = blog::all(
            db,
            Page {
                size: PAGE_SIZE,
                ..page
            },
        )
        .await?;
        let pages = i64::from(paged.pages());
        Ok(Self {
            chrome: Chrome::new("Blog", "blog", Some(viewer)).with_notice(notice),
            total: paged.total,
            pager: Pager::new("/admin/blog?", paged.page.number, pages),
            rows: paged
                .items
                .into_iter()
                .map(|post| PostRow {
                    state: state_of(&post, now),
                    post,
                })
                .collect(),
        })
    }
}

/// The editor of a new post (`id` None) or an existing one.
#[derive(Template)]
#[template(path = "post_editor.html")]
pub struct PostEditorPage {
    pub chrome: Chrome,
    pub id: Option<i64>,
    pub form: PostInput,
    /// `draft`, `now` or `at`, and the time for `at`.
    pub publish: String,
    pub publish_at: String,
    pub state: String,
    pub errors: Vec<FieldError>,
}

impl PostEditorPage {
    /// `edit` carries a failed save (as typed, with its errors) to show again.
    pub async fn load(
        db: &impl Database,
        viewer: Viewer,
        id: Option<i64>,
        edit: Option<(PostInput, String, String, Vec<FieldError>)>,
        now: i64,
        notice: Option<Notice>,
    ) -> DomainResult<Self> {
        let existing = match id {
            Some(id) => Some(
                blog::find(db, id)
                    .await?
                    .ok_or_else(|| DomainError::NotFound("post".into()))?,
            ),
            None => None,
        };
        let state = existing
            .as_ref()
            .map_or_else(|| "new".to_owned(), |post| state_of(post, now));
        let (form, publish, publish_at, errors) = match edit {
            Some(edit) => edit,
            None => match &existing {
                Some(post) => (
                    post.as_input(),
                    if post.status == "published" {
                        "now".into()
                    } else {
                        "draft".into()
                    },
                    String::new(),
                    Vec::new(),
                ),
                None => (
                    PostInput::default(),
                    "draft".into(),
                    String::new(),
                    Vec::new(),
                ),
            },
        };
        let title = if id.is_some() {
            format!("Edit: {}", form.title)
        } else {
            "New post".to_owned()
        };
        Ok(Self {
            chrome: Chrome::new(title, "blog", Some(viewer)).with_notice(notice),
            id,
            form,
            publish,
            publish_at,
            state,
            errors,
        })
    }

    pub fn error(&self, field: &str) -> Option<&str> {
        FieldError::message_for(&self.errors, field)
    }

    /// Where the form posts.
    pub fn action(&self) -> String {
        match self.id {
            Some(id) => format!("/admin/blog/{id}/save"),
            None => "/admin/blog/save".to_owned(),
        }
    }
}
