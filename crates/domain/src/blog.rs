//! Blog posts. Drafts are never returned by the public readers.

use crate::db::{Database, DbResult, Statement, fetch_all, fetch_integer, fetch_optional};
use crate::values::Slug;
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
}
