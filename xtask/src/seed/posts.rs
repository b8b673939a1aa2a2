//! The demo blog: a few published posts and one draft (which must never show publicly).

use super::listing::BASE_TIME;
use kbc_domain::DomainError;
use kbc_domain::blog::{self, NewPost};
use kbc_domain::db::sqlite::SqliteDatabase;
use kbc_domain::values::Slug;

struct Post {
    slug: &'static str,
    title: &'static str,
    summary: &'static str,
    body: &'static str,
    /// Days before the base time it was published; `None` is a draft.
    days_ago: Option<i64>,
}

const AUTHOR: &str = "Kiamichi Biz Connect";

const POSTS: &[Post] = &[
    Post {
        slug: "welcome-to-kiamichi-biz-connect",
        title: "Welcome to Kiamichi Biz Connect",
        summary: "One directory for the businesses of Southeast Oklahoma, Northeast Texas and Southwest Arkansas.",
        body: "Kiamichi Biz Connect lists the shops, trades, restaurants and services of our corner of three \
            states.\n\nSearch by what you need and where you are, and call or message the business directly.",
        days_ago: Some(120),
    },
    Post {
        slug: "list-your-business",
        title: "How to list your business",
        summary: "Adding a listing is free and takes five minutes.",
        body: "Use the submission form with your business name, category, town and a way to reach you.\n\nEvery \
            submission is reviewed by a person before it appears in the directory.",
        days_ago: Some(90),
    },
    Post {
        slug: "float-season-on-the-mountain-fork",
        title: "Float season on the Mountain Fork",
        summary: "Outfitters, cabins and cafes to plan a river weekend around.",
        body: "When the weather warms up the rivers fill with canoes and kayaks.\n\nBrowse Canoe & Kayak \
            Rentals and Cabins & Vacation Rentals to plan a trip, and book early for holiday weekends.",
        days_ago: Some(45),
    },
    Post {
        slug: "shop-local-this-holiday-season",
        title: "Shop local this holiday season",
        summary: "Gifts from boutiques, bakeries and craft shops in your own town.",
        body: "Every dollar spent at a local business stays in the community a little longer.\n\nFind \
            boutiques, bakeries and antique stores near you in the Shopping and Restaurants & Food categories.",
        days_ago: Some(10),
    },
    Post {
        slug: "spring-events-roundup",
        title: "Spring events roundup",
        summary: "Festivals, rodeos and fish fries coming up this spring.",
        body: "This post is still being written.",
        days_ago: None,
    },
];

/// Installs the posts; returns how many.
pub async fn install(db: &SqliteDatabase) -> Result<usize, DomainError> {
    for post in POSTS {
        let slug = Slug::parse("slug", post.slug)?;
        let published_at = post.days_ago.map(|days| BASE_TIME - days * 86_400);
        let new = NewPost {
            slug: &slug,
            title: post.title,
            summary: post.summary,
            body: post.body,
            author: AUTHOR,
            published_at,
        };
        blog::create(db, &new, published_at.unwrap_or(BASE_TIME)).await?;
    }
    Ok(POSTS.len())
}
