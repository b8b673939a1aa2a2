//! News: the list of published posts and one post.

use super::*;

#[derive(Template)]
#[template(path = "blog.html")]
pub struct BlogPage {
    pub meta: Meta,
    pub posts: Vec<PostLink>,
    pub pager: Pager,
}

const POSTS_PER_PAGE: u32 = 10;

impl BlogPage {
    pub async fn load(db: &impl Database, site: &Site, page: u32) -> DomainResult<Self> {
        let meta = Meta::new(
            site,
            "News and guides — Kiamichi Biz Connect".into(),
            "Stories about the businesses and towns of the Kiamichi country.".into(),
            "/blog",
            "blog",
        );
        // One extra post tells whether a next page exists without counting.
        let mut posts = blog::published(
            db,
            site.now,
            POSTS_PER_PAGE + 1,
            (page - 1) * POSTS_PER_PAGE,
        )
        .await?;
        let more = posts.len() > POSTS_PER_PAGE as usize;
        posts.truncate(POSTS_PER_PAGE as usize);
        let known_pages = i64::from(page) + i64::from(more);
        Ok(Self {
            meta,
            posts: posts.iter().map(PostLink::from_post).collect(),
            pager: Pager::new("/blog?", page, known_pages),
        })
    }

    pub fn html(&self) -> String {
        render(self)
    }
}

#[derive(Template)]
#[template(path = "post.html")]
pub struct PostPage {
    pub meta: Meta,
    pub title: String,
    pub author: String,
    pub date: String,
    /// The Markdown body as safe HTML ([`crate::markdown`]).
    pub body_html: String,
}

impl PostPage {
    pub async fn load(db: &impl Database, site: &Site, slug: &str) -> DomainResult<Option<Self>> {
        let Ok(slug) = Slug::parse("slug", slug) else {
            return Ok(None);
        };
        let Some(post) = blog::find_published(db, &slug, site.now).await? else {
            return Ok(None);
        };
        let path = urls::post(&post.slug);
        let mut meta = Meta::new(
            site,
            format!("{} — Kiamichi Biz Connect", post.title),
            post.summary.clone(),
            &path,
            "blog",
        );
        meta.og_type = "article";
        meta.json_ld = Some(seo::script_json(&serde_json::json!({
            "@context": "https://schema.org",
            "@type": "BlogPosting",
            "headline": post.title,
            "author": {"@type": "Person", "name": post.author},
            "datePublished": seo_date(post.published_at),
            "dateModified": seo_date(post.updated_at.max(post.published_at)),
            "mainEntityOfPage": meta.canonical,
        })));
        Ok(Some(Self {
            meta,
            date: view::date_label(post.published_at),
            author: post.author,
            body_html: crate::markdown::to_safe_html(&post.body),
            title: post.title,
        }))
    }

    pub fn html(&self) -> String {
        render(self)
    }
}

fn seo_date(unix: i64) -> String {
    let (year, month, day) = kbc_domain::hours::local_date(unix);
    format!("{year:04}-{month:02}-{day:02}")
}
