//! Blog posts. Drafts are never returned by the public readers; a post scheduled for later
//! becomes public at its time. Admins write them (Markdown, rendered safely by the site),
//! publish now or at a time, edit and unpublish; each change is audited.

use crate::accounts::Actor;
use crate::db::{Database, DbResult, Statement, fetch_all, fetch_integer, fetch_optional};
use crate::error::{DomainError, DomainResult};
use crate::values::{Collector, Slug};
use crate::{FieldError, Page, Paged};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewPost<'a> {
    pub slug: &'a Slug,
    pub title: &'a str,
    pub summary: &'a str,
    pub body: &'a str,
    pub author: &'a str,
    /// `Some(time)` publishes the post as of that time; `None` keeps it a draft.
    pub published_at: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Post {
    pub slug: String,
    pub title: String,
    pub summary: String,
    pub body: String,
    pub author: String,
    pub published_at: i64,
    pub updated_at: i64,
}

pub async fn create(db: &impl Database, post: &NewPost<'_>, now: i64) -> DbResult<i64> {
    let status = if post.published_at.is_some() {
        "published"
    } else {
        "draft"
    };
    let statement = Statement::new(
        "INSERT INTO blog_posts (slug, title, summary, body, author, status, published_at, created_at, updated_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?8) RETURNING id",
    )
    .bind(post.slug.as_str())
    .bind(post.title)
    .bind(post.summary)
    .bind(post.body)
    .bind(post.author)
    .bind(status)
    .bind(post.published_at)
    .bind(now);
    fetch_integer(db, &statement).await
}

const PUBLISHED: &str =
    "SELECT slug, title, summary, body, author, published_at, updated_at FROM blog_posts
   WHERE status = 'published' AND published_at <= ?1";

/// Published posts, newest first, that are already public at `now`.
pub async fn published(
    db: &impl Database,
    now: i64,
    limit: u32,
    offset: u32,
) -> DbResult<Vec<Post>> {
    let sql = format!("{PUBLISHED} ORDER BY published_at DESC, id DESC LIMIT ?2 OFFSET ?3");
    fetch_all(db, &Statement::new(sql).bind(now).bind(limit).bind(offset)).await
}

/// One published post by slug.
pub async fn find_published(db: &impl Database, slug: &Slug, now: i64) -> DbResult<Option<Post>> {
    fetch_optional(
        db,
        &Statement::new(format!("{PUBLISHED} AND slug = ?2"))
            .bind(now)
            .bind(slug.as_str()),
    )
    .await
}

/// A post as admins see it, whatever its state.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Draft {
    pub id: i64,
    pub slug: String,
    pub title: String,
    pub summary: String,
    pub body: String,
    pub author: String,
    pub status: String,
    pub published_at: Option<i64>,
    pub updated_at: i64,
}

const SELECT_DRAFT: &str =
    "SELECT id, slug, title, summary, body, author, status, published_at, updated_at
   FROM blog_posts";

/// Every post, drafts first, then newest.
pub async fn all(db: &impl Database, page: Page) -> DbResult<Paged<Draft>> {
    let items = fetch_all(
        db,
        &Statement::new(format!(
            "{SELECT_DRAFT} ORDER BY status = 'published', coalesce(published_at, updated_at) DESC, id DESC
             LIMIT ?1 OFFSET ?2"
        ))
        .bind(page.size)
        .bind(page.offset()),
    )
    .await?;
    let total = fetch_integer(db, &Statement::new("SELECT count(*) FROM blog_posts")).await?;
    Ok(Paged { items, total, page })
}

pub async fn find(db: &impl Database, id: i64) -> DbResult<Option<Draft>> {
    fetch_optional(
        db,
        &Statement::new(format!("{SELECT_DRAFT} WHERE id = ?1")).bind(id),
    )
    .await
}

/// A post as typed into the admins' form.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PostInput {
    pub title: String,
    /// Empty: made from the title.
    pub slug: String,
    pub summary: String,
    /// Markdown.
    pub body: String,
    pub author: String,
}

/// A post that passed every rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PostEdit {
    pub title: String,
    pub slug: Slug,
    pub summary: String,
    pub body: String,
    pub author: String,
}

fn bounded(c: &mut Collector, field: &str, raw: &str, min: usize, max: usize) -> String {
    let text = raw.trim().to_owned();
    let length = text.chars().count();
    if length < min || length > max {
        let rule = if min > 0 {
            format!("must be {min} to {max} characters")
        } else {
            format!("must be at most {max} characters")
        };
        c.0.push(FieldError::new(field, rule));
    }
    text
}

impl PostInput {
    pub fn parse(&self) -> Result<PostEdit, Vec<FieldError>> {
        let mut c = Collector::default();
        let title = bounded(&mut c, "title", &self.title, 1, 200);
        let slug = if self.slug.trim().is_empty() {
            Slug::from_text(&title).ok_or_else(|| {
                FieldError::new("slug", "could not be made from the title; give one")
            })
        } else {
            Slug::parse("slug", &self.slug)
        };
        let slug = c.take(slug);
        let summary = bounded(&mut c, "summary", &self.summary, 0, 500);
        let body = bounded(&mut c, "body", &self.body, 1, 50_000);
        let author = bounded(&mut c, "author", &self.author, 0, 100);
        match slug {
            Some(slug) if c.0.is_empty() => Ok(PostEdit {
                title,
                slug,
                summary,
                body,
                author,
            }),
            _ => Err(c.0),
        }
    }
}

impl Draft {
    pub fn as_input(&self) -> PostInput {
        PostInput {
            title: self.title.clone(),
            slug: self.slug.clone(),
            summary: self.summary.clone(),
            body: self.body.clone(),
            author: self.author.clone(),
        }
    }
}

/// When a post is public.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Publication {
    Draft,
    /// Public from this time on (now, or later: scheduled).
    At(i64),
}

impl Publication {
    /// The form's choice: `draft`, `now`, or `at` with a Central-time `YYYY-MM-DDTHH:MM`
    /// (what a `datetime-local` input sends).
    pub fn parse(choice: &str, at: &str, now: i64) -> Result<Self, FieldError> {
        match choice {
            "draft" => Ok(Publication::Draft),
            "now" => Ok(Publication::At(now)),
            "at" => {
                let bad = || {
                    FieldError::new(
                        "publish_at",
                        "must be a date and time like 2026-12-01T09:30",
                    )
                };
                let (date, time) = at.trim().split_once('T').ok_or_else(bad)?;
                let mut date_parts = date.split('-').map(str::parse::<i64>);
                let mut time_parts = time.split(':').map(str::parse::<i64>);
                let (
                    Some(Ok(year)),
                    Some(Ok(month)),
                    Some(Ok(day)),
                    Some(Ok(hour)),
                    Some(Ok(minute)),
                ) = (
                    date_parts.next(),
                    date_parts.next(),
                    date_parts.next(),
                    time_parts.next(),
                    time_parts.next(),
                )
                else {
                    return Err(bad());
                };
                let in_range = (1970..=9999).contains(&year)
                    && (1..=12).contains(&month)
                    && (1..=31).contains(&day)
                    && (0..24).contains(&hour)
                    && (0..60).contains(&minute);
                let narrow = |v: i64| u8::try_from(v).map_err(|_| bad());
                if !in_range {
                    return Err(bad());
                }
                Ok(Publication::At(crate::hours::central_to_unix(
                    year,
                    narrow(month)?,
                    narrow(day)?,
                    narrow(hour)?,
                    narrow(minute)?,
                )))
            }
            _ => Err(FieldError::new(
                "publish",
                "must be draft, now or at a time",
            )),
        }
    }
}

/// Creates (`id` None) or updates a post, as a draft or published at a time. A slug another
/// post uses is a field error.
pub async fn save(
    db: &impl Database,
    actor: &Actor,
    id: Option<i64>,
    edit: &PostEdit,
    publication: Publication,
    now: i64,
) -> DomainResult<i64> {
    let taken = fetch_integer(
        db,
        &Statement::new("SELECT count(*) FROM blog_posts WHERE slug = ?1 AND id IS NOT ?2")
            .bind(edit.slug.as_str())
            .bind(id),
    )
    .await?;
    if taken > 0 {
        return Err(DomainError::invalid(
            "slug",
            "another post already has this address",
        ));
    }
    let (status, published_at) = match publication {
        Publication::Draft => ("draft", None),
        Publication::At(at) => ("published", Some(at)),
    };
    let before = match id {
        Some(id) => Some(
            find(db, id)
                .await?
                .ok_or_else(|| DomainError::NotFound("post".into()))?,
        ),
        None => None,
    };
    let id = match id {
        None => fetch_integer(
            db,
            &Statement::new(
                "INSERT INTO blog_posts (slug, title, summary, body, author, status, published_at, created_at,
                     updated_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?8) RETURNING id",
            )
            .bind(edit.slug.as_str())
            .bind(edit.title.as_str())
            .bind(edit.summary.as_str())
            .bind(edit.body.as_str())
            .bind(edit.author.as_str())
            .bind(status)
            .bind(published_at)
            .bind(now),
        )
        .await?,
        Some(id) => {
            db.execute(
                &Statement::new(
                    "UPDATE blog_posts SET slug = ?2, title = ?3, summary = ?4, body = ?5, author = ?6, status = ?7,
                         published_at = ?8, updated_at = ?9
                      WHERE id = ?1",
                )
                .bind(id)
                .bind(edit.slug.as_str())
                .bind(edit.title.as_str())
                .bind(edit.summary.as_str())
                .bind(edit.body.as_str())
                .bind(edit.author.as_str())
                .bind(status)
                .bind(published_at)
                .bind(now),
            )
            .await?;
            id
        }
    };
    let after = find(db, id).await?;
    db.execute(&crate::audit::entry(
        actor,
        if before.is_some() {
            "post.edit"
        } else {
            "post.create"
        },
        "post",
        &id.to_string(),
        before
            .and_then(|b| serde_json::to_string(&b).ok())
            .as_deref(),
        after
            .and_then(|a| serde_json::to_string(&a).ok())
            .as_deref(),
        now,
    ))
    .await?;
    Ok(id)
}

/// Takes a post off the public site; it stays as a draft.
pub async fn unpublish(db: &impl Database, actor: &Actor, id: i64, now: i64) -> DomainResult<()> {
    find(db, id)
        .await?
        .ok_or_else(|| DomainError::NotFound("post".into()))?;
    db.batch(&[
        Statement::new("UPDATE blog_posts SET status = 'draft', published_at = NULL, updated_at = ?2 WHERE id = ?1")
            .bind(id)
            .bind(now),
        crate::audit::entry(actor, "post.unpublish", "post", &id.to_string(), None, None, now),
    ])
    .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::db::sqlite::SqliteDatabase;
    use pollster::block_on;

    fn post(db: &SqliteDatabase, slug: &str, published_at: Option<i64>) {
        let slug = Slug::parse("slug", slug).unwrap();
        let new = NewPost {
            slug: &slug,
            title: "T",
            summary: "S",
            body: "B",
            author: "A",
            published_at,
        };
        block_on(create(db, &new, 1)).unwrap();
    }

    #[test]
    fn drafts_and_scheduled_posts_are_not_public() {
        let db = SqliteDatabase::in_memory().unwrap();
        post(&db, "draft", None);
        post(&db, "future", Some(500));
        post(&db, "live", Some(100));
        let slugs: Vec<String> = block_on(published(&db, 200, 10, 0))
            .unwrap()
            .into_iter()
            .map(|p| p.slug)
            .collect();
        assert_eq!(slugs, ["live"]);
        assert!(
            block_on(find_published(
                &db,
                &Slug::parse("s", "draft").unwrap(),
                200
            ))
            .unwrap()
            .is_none()
        );
        assert!(
            block_on(find_published(
                &db,
                &Slug::parse("s", "future").unwrap(),
                200
            ))
            .unwrap()
            .is_none()
        );
        assert!(
            block_on(find_published(
                &db,
                &Slug::parse("s", "future").unwrap(),
                600
            ))
            .unwrap()
            .is_some()
        );
    }

    #[test]
    fn published_posts_come_newest_first_and_paginate() {
        let db = SqliteDatabase::in_memory().unwrap();
        for (slug, at) in [("old", 10), ("new", 30), ("mid", 20)] {
            post(&db, slug, Some(at));
        }
        let page = |offset| -> Vec<String> {
            block_on(published(&db, 100, 2, offset))
                .unwrap()
                .into_iter()
                .map(|p| p.slug)
                .collect()
        };
        assert_eq!(page(0), ["new", "mid"]);
        assert_eq!(page(2), ["old"]);
    }

    fn admin(db: &SqliteDatabase) -> Actor {
        crate::accounts::tests::signed_in(db, "ada", "ada@example.test")
    }

    fn input(title: &str) -> PostInput {
        PostInput {
            title: title.into(),
            body: "Hello **world**".into(),
            ..PostInput::default()
        }
    }

    #[test]
    fn a_draft_is_never_public_and_publishing_at_a_time_schedules_it() {
        let db = SqliteDatabase::in_memory().unwrap();
        let actor = admin(&db);
        let edit = input("Fall Festival").parse().unwrap();
        assert_eq!(edit.slug.as_str(), "fall-festival");
        let id = block_on(save(&db, &actor, None, &edit, Publication::Draft, 100)).unwrap();
        assert!(block_on(published(&db, 1000, 10, 0)).unwrap().is_empty());
        block_on(save(
            &db,
            &actor,
            Some(id),
            &edit,
            Publication::At(500),
            110,
        ))
        .unwrap();
        assert!(
            block_on(published(&db, 400, 10, 0)).unwrap().is_empty(),
            "scheduled"
        );
        assert_eq!(block_on(published(&db, 600, 10, 0)).unwrap().len(), 1);
        block_on(unpublish(&db, &actor, id, 700)).unwrap();
        assert!(block_on(published(&db, 800, 10, 0)).unwrap().is_empty());
        assert_eq!(
            block_on(all(&db, Page::first(10))).unwrap().items[0].status,
            "draft"
        );
    }

    #[test]
    fn a_publication_time_is_read_in_central_time() {
        // 2026-12-01 09:30 in Oklahoma (CST, UTC-6) is 15:30 UTC.
        assert_eq!(
            Publication::parse("at", "2026-12-01T09:30", 0),
            Ok(Publication::At(1_796_139_000))
        );
        assert_eq!(Publication::parse("now", "", 42), Ok(Publication::At(42)));
        assert!(Publication::parse("at", "tomorrow", 0).is_err());
        assert!(Publication::parse("at", "2026-13-01T09:30", 0).is_err());
        assert!(Publication::parse("later", "", 0).is_err());
    }

    #[test]
    fn a_slug_in_use_is_a_field_error_and_bad_fields_are_named() {
        let db = SqliteDatabase::in_memory().unwrap();
        let actor = admin(&db);
        let edit = input("Same").parse().unwrap();
        block_on(save(&db, &actor, None, &edit, Publication::Draft, 1)).unwrap();
        let Err(DomainError::Invalid(errors)) =
            block_on(save(&db, &actor, None, &edit, Publication::Draft, 2))
        else {
            panic!("a taken slug must be refused")
        };
        assert_eq!(errors[0].field, "slug");
        let fields: Vec<String> = PostInput::default()
            .parse()
            .unwrap_err()
            .into_iter()
            .map(|e| e.field)
            .collect();
        assert_eq!(fields, ["title", "slug", "body"]);
    }
}
