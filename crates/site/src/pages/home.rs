//! The home page: search, featured listings, categories, towns and news.

use super::*;

#[derive(Template)]
#[template(path = "home.html")]
pub struct HomePage {
    pub meta: Meta,
    pub featured: Vec<Card>,
    pub categories: Vec<CategoryLink>,
    pub towns: Vec<TownLink>,
    pub posts: Vec<PostLink>,
    pub town_names: Vec<String>,
    pub intro: &'static str,
}

impl HomePage {
    pub async fn load(db: &impl Database, site: &Site) -> DomainResult<Self> {
        let mut meta = Meta::new(
            site,
            "Kiamichi Biz Connect: local businesses of Southeast Oklahoma, Northeast Texas and Southwest \
                Arkansas".into(),
            REGION_INTRO.into(),
            "/",
            "home",
        );
        meta.json_ld = Some(seo::script_json(&serde_json::json!({
            "@context": "https://schema.org",
            "@type": "WebSite",
            "name": "Kiamichi Biz Connect",
            "url": format!("{}/", site.origin),
            "potentialAction": {
                "@type": "SearchAction",
                "target": format!("{}/search?q={{search_term_string}}", site.origin),
                "query-input": "required name=search_term_string",
            },
        })));
        let featured = search::featured(db, 6)
            .await?
            .iter()
            .map(Card::from_summary)
            .collect();
        let categories = categories::tree(db)
            .await?
            .iter()
            .map(|n| CategoryLink::from_node(n, 0))
            .collect();
        let posts = blog::published(db, site.now, 3, 0)
            .await?
            .iter()
            .map(PostLink::from_post)
            .collect();
        let towns = towns(db, 12).await?;
        let town_names = towns.iter().map(|t| t.name.clone()).collect();
        Ok(Self {
            meta,
            featured,
            categories,
            towns,
            posts,
            town_names,
            intro: REGION_INTRO,
        })
    }

    pub fn html(&self) -> String {
        render(self)
    }
}
