//! A Facebook Page's part of the dashboard (`/dashboard/{id}/facebook`) and of the console
//! for the directory's own Page (`/admin/facebook`): the connection and its health (with
//! the "reconnect Facebook" notice), the Pages offered after a login, the posting queue to
//! write, edit, approve, reschedule or cancel, what was published with Meta's numbers or
//! error, and comments with the replies the owner approves. Text from Facebook and from
//! posts is shown as text; a post's Facebook address is built from its id, never taken.

use super::{BusinessNav, when};
use crate::chrome::{Chrome, Notice, Viewer};
use askama::Template;
use kbc_domain::FieldError;
use kbc_domain::db::{Database, DbResult};
use kbc_domain::facebook::Target;
use kbc_domain::facebook::comments::{self, Comment};
use kbc_domain::facebook::connections::{self, Connection, PageChoice};
use kbc_domain::hours;
use kbc_domain::social_posts::{self, Post};

/// How many comments the page lists.
const COMMENTS_SHOWN: i64 = 50;

/// The connection as the page shows it (no token, sealed or not).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConnectionView {
    pub page_name: String,
    pub page_url: String,
    pub status: String,
    pub detail: String,
    pub needs_reconnect: bool,
    /// Why and until when posting is paused, when it is.
    pub paused: Option<String>,
    pub review_first: bool,
    pub connected: String,
    pub checked: Option<String>,
}

impl ConnectionView {
    fn new(connection: &Connection, now: i64) -> Self {
        Self {
            page_url: format!(
                "https://www.facebook.com/{}",
                digits_or_empty(&connection.page_id)
            ),
            page_name: connection.page_name.clone(),
            status: connection.status.clone(),
            detail: connection.status_detail.clone(),
            needs_reconnect: connection.needs_reconnect(),
            paused: connection.is_paused(now).then(|| {
                format!(
                    "{} (until {})",
                    connection.pause_reason,
                    when(connection.paused_until)
                )
            }),
            review_first: connection.review_first,
            connected: when(connection.connected_at),
            checked: connection.checked_at.map(when),
        }
    }
}

/// One post as the page lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PostRow {
    pub id: i64,
    pub body: String,
    pub when: String,
    /// The reschedule box's value: Central time, `YYYY-MM-DDTHH:MM`.
    pub at_value: String,
    pub status: String,
    pub kind: &'static str,
    pub written_by: String,
    pub upcoming: bool,
    pub draft: bool,
    pub error: String,
    pub facebook_url: Option<String>,
    pub media: String,
    /// "12 reactions · 3 comments · reached 480", once Meta counted.
    pub numbers: Option<String>,
}

impl PostRow {
    fn new(post: Post) -> Self {
        let numbers = match (post.reactions, post.comments) {
            (Some(reactions), Some(comments)) => Some(match post.reach {
                Some(reach) => {
                    format!("{reactions} reactions · {comments} comments · reached {reach}")
                }
                None => format!("{reactions} reactions · {comments} comments"),
            }),
            _ => None,
        };
        Self {
            id: post.id,
            when: when(post.scheduled_at),
            at_value: local_input(post.scheduled_at),
            upcoming: post.is_upcoming(),
            draft: post.status == "draft",
            kind: kind_label(&post.kind),
            facebook_url: post
                .graph_post_id
                .as_deref()
                .map(|id| format!("https://www.facebook.com/{}", digits_or_empty(id))),
            media: post.media.clone().unwrap_or_default(),
            error: post.last_error.clone(),
            written_by: post.written_by.clone(),
            status: post.status.clone(),
            body: post.body,
            numbers,
        }
    }
}

fn kind_label(kind: &str) -> &'static str {
    match kind {
        "spotlight" => "Business spotlight",
        "blog_share" => "Blog share",
        "category_highlight" => "Category highlight",
        "engagement" => "Question for followers",
        "angle" => "Weekly feature",
        _ => "Your post",
    }
}

/// A Facebook id as digits and underscores only (anything else would not be Meta's).
fn digits_or_empty(id: &str) -> &str {
    if id.bytes().all(|b| b.is_ascii_digit() || b == b'_') {
        id
    } else {
        ""
    }
}

/// `YYYY-MM-DDTHH:MM` in Central time, as a `datetime-local` box takes it.
pub fn local_input(unix: i64) -> String {
    let (year, month, day) = hours::local_date(unix);
    let (_, minute) = hours::local_day_and_minute(unix);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}",
        minute / 60,
        minute % 60
    )
}

/// The "write a post" form as sent, with what was wrong.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PostForm {
    pub body: String,
    pub at: String,
    pub errors: Vec<FieldError>,
}

/// `/dashboard/{id}/facebook` or `/admin/facebook`.
#[derive(Template)]
#[template(path = "facebook.html")]
pub struct FacebookPage {
    pub chrome: Chrome,
    pub nav: Option<BusinessNav>,
    /// Where the page's forms post: `/dashboard/{id}/facebook` or `/admin/facebook`.
    pub base: String,
    pub heading: String,
    /// Why Facebook cannot be connected here (not configured), if so.
    pub unavailable: Option<String>,
    pub connection: Option<ConnectionView>,
    pub choices: Vec<PageChoice>,
    pub upcoming: Vec<PostRow>,
    pub past: Vec<PostRow>,
    pub comments: Vec<Comment>,
    pub form: PostForm,
    /// Whether a model can draft replies.
    pub can_draft: bool,
}

/// What the page needs beyond the database.
pub struct FacebookContext {
    pub viewer: Viewer,
    pub nav: Option<BusinessNav>,
    pub target: Target,
    pub user_id: i64,
    pub unavailable: Option<String>,
    pub can_draft: bool,
    pub form: PostForm,
    pub notice: Option<Notice>,
    pub now: i64,
}

impl FacebookPage {
    pub async fn load(db: &impl Database, context: FacebookContext) -> DbResult<Self> {
        let FacebookContext {
            viewer,
            nav,
            target,
            user_id,
            unavailable,
            can_draft,
            form,
            notice,
            now,
        } = context;
        let connection = connections::of_target(db, target).await?;
        let comments = match &connection {
            Some(connection) => comments::of_connection(db, connection.id, COMMENTS_SHOWN).await?,
            None => Vec::new(),
        };
        let choices = connections::page_choices(db, user_id, target, now).await?;
        let (upcoming, past): (Vec<PostRow>, Vec<PostRow>) =
            social_posts::of_target(db, target, now)
                .await?
                .into_iter()
                .map(PostRow::new)
                .partition(|row| row.upcoming || row.status == "publishing");
        let (base, heading) = match &nav {
            Some(nav) => (
                format!("/dashboard/{}/facebook", nav.id),
                format!("Facebook for {}", nav.name),
            ),
            None => (
                "/admin/facebook".to_owned(),
                "The directory's Facebook Page".to_owned(),
            ),
        };
        let section = if nav.is_some() {
            "dashboard"
        } else {
            "facebook"
        };
        let mut past = past;
        past.reverse();
        Ok(Self {
            chrome: Chrome::new(heading.clone(), section, Some(viewer)).with_notice(notice),
            nav,
            base,
            heading,
            unavailable,
            connection: connection.as_ref().map(|c| ConnectionView::new(c, now)),
            choices,
            upcoming,
            past,
            comments,
            form,
            can_draft,
        })
    }

    pub fn error(&self, field: &str) -> Option<&str> {
        FieldError::message_for(&self.form.errors, field)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_facebook_address_is_built_only_from_an_id_of_digits() {
        assert_eq!(digits_or_empty("1234_5678"), "1234_5678");
        assert_eq!(digits_or_empty("javascript:alert(1)"), "");
    }

    #[test]
    fn a_time_reads_back_as_central_datetime_local() {
        // 2026-01-01 15:00 UTC is 9:00 AM in Oklahoma.
        assert_eq!(local_input(1_767_279_600), "2026-01-01T09:00");
    }
}
