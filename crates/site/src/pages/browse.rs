//! Browsing: the category tree, one category with its listings, and one town with its listings.

use super::*;

/// One page of listings on a browse page (category, town) at `path`.
struct Browse {
    cards: Vec<Card>,
    total: i64,
    pager: Pager,
}

async fn browse(
    db: &impl Database,
    mut params: SearchParams,
    page: u32,
    path: &str,
) -> DomainResult<Browse> {
    params.page = Some(page.to_string());
    let query = SearchQuery::parse(&params).map_err(DomainError::Invalid)?;
    let results = search::search(db, &query).await?;
    Ok(Browse {
        cards: results.results.iter().map(Card::from_summary).collect(),
        total: results.total,
        pager: Pager::from_results(&format!("{path}?"), &results),
    })
}

#[derive(Template)]
#[template(path = "categories.html")]
pub struct CategoriesPage {
    pub meta: Meta,
    pub categories: Vec<CategoryLink>,
}

impl CategoriesPage {
    pub async fn load(db: &impl Database, site: &Site) -> DomainResult<Self> {
        let meta = Meta::new(
            site,
            "All categories — Kiamichi Biz Connect".into(),
            "Browse every kind of local business in the Kiamichi country, from restaurants and mechanics to \
                churches and ranch supply.".into(),
            "/categories",
            "categories",
        );
        let categories = categories::tree(db)
            .await?
            .iter()
            .map(|n| CategoryLink::from_node(n, 1))
            .collect();
        Ok(Self { meta, categories })
    }

    pub fn html(&self) -> String {
        render(self)
    }
}

fn find_node<'a>(
    nodes: &'a [CategoryNode],
    slug: &str,
) -> Option<(&'a CategoryNode, Vec<&'a CategoryNode>)> {
    for node in nodes {
        if node.slug == slug {
            return Some((node, Vec::new()));
        }
        if let Some((found, mut trail)) = find_node(&node.children, slug) {
            trail.insert(0, node);
            return Some((found, trail));
        }
    }
    None
}

/// A breadcrumb step.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Crumb {
    pub name: String,
    pub url: String,
}

#[derive(Template)]
#[template(path = "category.html")]
pub struct CategoryPage {
    pub meta: Meta,
    pub name: String,
    pub description: String,
    pub trail: Vec<Crumb>,
    pub children: Vec<CategoryLink>,
    pub results: Vec<Card>,
    pub total: i64,
    pub pager: Pager,
}

impl CategoryPage {
    pub async fn load(
        db: &impl Database,
        site: &Site,
        slug: &str,
        page: u32,
    ) -> DomainResult<Option<Self>> {
        let tree = categories::tree(db).await?;
        let Some((node, ancestors)) = find_node(&tree, slug) else {
            return Ok(None);
        };
        let path = urls::category(&node.slug);
        let description = if node.description.is_empty() {
            format!(
                "{} in Southeast Oklahoma, Northeast Texas and Southwest Arkansas.",
                node.name
            )
        } else {
            node.description.clone()
        };
        let meta = Meta::new(
            site,
            format!("{} — Kiamichi Biz Connect", node.name),
            description.clone(),
            &path,
            "categories",
        );
        let params = SearchParams {
            category: Some(node.slug.clone()),
            ..SearchParams::default()
        };
        let listing = browse(db, params, page, &path).await?;
        Ok(Some(Self {
            meta,
            name: node.name.clone(),
            description,
            trail: ancestors
                .iter()
                .map(|a| Crumb {
                    name: a.name.clone(),
                    url: urls::category(&a.slug),
                })
                .collect(),
            children: node
                .children
                .iter()
                .map(|c| CategoryLink::from_node(c, 0))
                .collect(),
            results: listing.cards,
            total: listing.total,
            pager: listing.pager,
        }))
    }

    pub fn html(&self) -> String {
        render(self)
    }
}

#[derive(Template)]
#[template(path = "city.html")]
pub struct CityPage {
    pub meta: Meta,
    pub name: String,
    pub state: String,
    pub results: Vec<Card>,
    pub total: i64,
    pub pager: Pager,
}

impl CityPage {
    pub async fn load(
        db: &impl Database,
        site: &Site,
        slug: &str,
        page: u32,
    ) -> DomainResult<Option<Self>> {
        let Ok(slug) = Slug::parse("city", slug) else {
            return Ok(None);
        };
        let Some(city) = directory::city(db, &slug).await? else {
            return Ok(None);
        };
        let path = urls::city(&city.slug);
        let state = view::state_name(&city.state).to_owned();
        let meta = Meta::new(
            site,
            format!(
                "Businesses in {}, {} — Kiamichi Biz Connect",
                city.name, city.state
            ),
            format!(
                "All {} local businesses listed in {}, {}.",
                city.businesses, city.name, state
            ),
            &path,
            "towns",
        );
        let params = SearchParams {
            city: Some(city.slug.clone()),
            ..SearchParams::default()
        };
        let listing = browse(db, params, page, &path).await?;
        Ok(Some(Self {
            meta,
            name: city.name,
            state,
            results: listing.cards,
            total: listing.total,
            pager: listing.pager,
        }))
    }

    pub fn html(&self) -> String {
        render(self)
    }
}
