//! Search results: the query as typed, ranked listings, pagination and help when nothing matched.

use super::*;

/// The search results page. Invalid parameters are shown on the page, not thrown.
#[derive(Template)]
#[template(path = "search.html")]
pub struct SearchResultsPage {
    pub meta: Meta,
    pub q: String,
    pub city: String,
    pub category: String,
    pub results: Vec<Card>,
    pub total: i64,
    pub pager: Pager,
    pub problems: Vec<FieldError>,
    pub suggestions: Vec<CategoryLink>,
    pub towns: Vec<TownLink>,
    pub town_names: Vec<String>,
}

impl SearchResultsPage {
    pub async fn load(
        db: &impl Database,
        site: &Site,
        params: &SearchParams,
    ) -> DomainResult<Self> {
        let q = params.q.clone().unwrap_or_default();
        let city = params.city.clone().unwrap_or_default();
        let category = params.category.clone().unwrap_or_default();
        let title = match (q.trim(), city.trim()) {
            ("", "") => "Search local businesses".to_owned(),
            (q, "") => format!("“{q}” — search results"),
            ("", city) => format!("Businesses in {city}"),
            (q, city) => format!("“{q}” in {city} — search results"),
        };
        let mut meta = Meta::new(site, title, REGION_INTRO.into(), "/search", "search");
        meta.noindex = true;
        let outcome = match SearchQuery::parse(params) {
            Ok(query) => search::search(db, &query).await.map(|page| (query, page)),
            Err(errors) => Err(DomainError::Invalid(errors)),
        };
        let all_towns = directory::cities(db).await?;
        let town_names = all_towns.iter().map(|c| c.name.clone()).collect();
        let towns = all_towns
            .iter()
            .take(8)
            .map(|c| TownLink {
                url: urls::city(&c.slug),
                name: format!("{}, {}", c.name, c.state),
                count: c.businesses,
            })
            .collect();
        let suggestions: Vec<CategoryLink> = categories::tree(db)
            .await?
            .iter()
            .map(|n| CategoryLink::from_node(n, 0))
            .collect();
        let (results, total, pager, problems) = match outcome {
            Ok((query, page)) => {
                let base = search_base(&query);
                (
                    page.results.iter().map(Card::from_summary).collect(),
                    page.total,
                    Pager::from_results(&base, &page),
                    Vec::new(),
                )
            }
            Err(DomainError::Invalid(problems)) => {
                (Vec::new(), 0, Pager::new("/search?", 1, 0), problems)
            }
            Err(other) => return Err(other),
        };
        Ok(Self {
            meta,
            q,
            city,
            category,
            results,
            total,
            pager,
            problems,
            suggestions,
            towns,
            town_names,
        })
    }

    pub fn html(&self) -> String {
        render(self)
    }
}

/// The search URL for a query without its page, ready for `page=`.
fn search_base(query: &SearchQuery) -> String {
    let mut pairs = url::form_urlencoded::Serializer::new(String::new());
    if let Some(text) = &query.text {
        pairs.append_pair("q", text);
    }
    if let Some(city) = &query.city {
        pairs.append_pair("city", city.as_str());
    }
    if let Some(category) = &query.category {
        pairs.append_pair("category", category.as_str());
    }
    let encoded = pairs.finish();
    if encoded.is_empty() {
        "/search?".into()
    } else {
        format!("/search?{encoded}&")
    }
}
