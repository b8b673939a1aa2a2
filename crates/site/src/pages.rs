//! Every page of the public site: its view model, how it is loaded from the domain, and its
//! template. Loaders return `Ok(None)` when the thing asked for does not exist publicly.

use crate::assets;
use crate::forms::FormState;
use crate::seo;
use crate::urls;
use crate::view::{self, Card, HoursRow, Pager};
use askama::Template;
use kbc_domain::categories::{self, CategoryNode};
use kbc_domain::db::Database;
use kbc_domain::directory::{self, BusinessDetail};
use kbc_domain::error::{DomainError, DomainResult};
use kbc_domain::search::{self, SearchParams, SearchQuery};
use kbc_domain::values::{Slug, StateCode};
use kbc_domain::{FieldError, blog};

/// What every page needs to know about the request it answers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Site {
    /// `https://kiamichibizconnect.com`, without a trailing slash.
    pub origin: String,
    /// Unix seconds.
    pub now: i64,
}

/// Head metadata of a page: title, description, canonical URL, social cards, JSON-LD.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Meta {
    pub title: String,
    pub description: String,
    pub canonical: String,
    pub og_type: &'static str,
    pub og_image: Option<String>,
    /// Serialized with [`seo::script_json`], so it is safe inside a script element.
    pub json_ld: Option<String>,
    pub noindex: bool,
    /// Which main navigation entry is the current page.
    pub section: &'static str,
    pub stylesheet: &'static str,
}

impl Meta {
    fn new(
        site: &Site,
        title: String,
        description: String,
        path: &str,
        section: &'static str,
    ) -> Self {
        Self {
            title,
            description: view::excerpt(&description, 300),
            canonical: format!("{}{path}", site.origin),
            og_type: "website",
            og_image: None,
            json_ld: None,
            noindex: false,
            section,
            stylesheet: assets::stylesheet_path(),
        }
    }
}

/// Renders a template; a template failure (a formatting error) becomes a plain message.
fn render(template: &impl Template) -> String {
    template
        .render()
        .unwrap_or_else(|err| format!("This page could not be shown ({err})."))
}

/// A category link with its count and (one level of) children.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CategoryLink {
    pub name: String,
    pub url: String,
    pub count: i64,
    pub children: Vec<CategoryLink>,
}

impl CategoryLink {
    fn from_node(node: &CategoryNode, depth: usize) -> Self {
        Self {
            name: node.name.clone(),
            url: urls::category(&node.slug),
            count: node.business_count,
            children: if depth == 0 {
                Vec::new()
            } else {
                node.children
                    .iter()
                    .map(|c| Self::from_node(c, depth - 1))
                    .collect()
            },
        }
    }
}

/// A town link.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TownLink {
    pub name: String,
    pub url: String,
    pub count: i64,
}

async fn towns(db: &impl Database, limit: usize) -> DomainResult<Vec<TownLink>> {
    let mut towns: Vec<TownLink> = directory::cities(db)
        .await?
        .into_iter()
        .map(|c| TownLink {
            url: urls::city(&c.slug),
            name: format!("{}, {}", c.name, c.state),
            count: c.businesses,
        })
        .collect();
    towns.truncate(limit);
    Ok(towns)
}

/// A blog post in a list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PostLink {
    pub title: String,
    pub url: String,
    pub summary: String,
    pub date: String,
}

impl PostLink {
    fn from_post(post: &blog::Post) -> Self {
        Self {
            title: post.title.clone(),
            url: urls::post(&post.slug),
            summary: post.summary.clone(),
            date: view::date_label(post.published_at),
        }
    }
}

const REGION_INTRO: &str = "Plumbers, cafés, feed stores, cabins and clinics across Southeast Oklahoma, Northeast \
     Texas and Southwest Arkansas, from Antlers, Idabel and Broken Bow to Paris, De Queen and Mena.";

// ---------------------------------------------------------------------------------------

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
            "Kiamichi Biz Connect: local businesses of Southeast Oklahoma, Northeast Texas and Southwest Arkansas".into(),
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

// ---------------------------------------------------------------------------------------

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

// ---------------------------------------------------------------------------------------

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
            "Browse every kind of local business in the Kiamichi country, from restaurants and mechanics to churches and ranch supply.".into(),
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

// ---------------------------------------------------------------------------------------

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

// ---------------------------------------------------------------------------------------

/// A listing as its page shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BusinessView {
    pub slug: String,
    pub name: String,
    pub paragraphs: Vec<String>,
    pub category: String,
    pub category_url: String,
    pub city_url: String,
    pub street: String,
    pub locality: String,
    pub phone: Option<(String, String)>,
    pub email: Option<String>,
    pub website: Option<String>,
    pub map_url: Option<String>,
    pub hours: Vec<HoursRow>,
    pub open_now: Option<(bool, String)>,
    pub service_radius: Option<String>,
    pub service_cities: Vec<String>,
    pub social: Vec<(String, String)>,
    pub keywords: Vec<String>,
    pub photos: Vec<(String, String)>,
    pub rating: Option<String>,
    pub verified: bool,
    pub featured: bool,
}

impl BusinessView {
    fn new(b: &BusinessDetail, now: i64) -> Self {
        let network_label = |network: &str| {
            let mut label = network.to_owned();
            if let Some(first) = label.get_mut(0..1) {
                first.make_ascii_uppercase();
            }
            label
        };
        Self {
            slug: b.slug.clone(),
            name: b.name.clone(),
            paragraphs: b.description.split("\n").map(str::trim).filter(|p| !p.is_empty()).map(str::to_owned).collect(),
            category: b.category.name.clone(),
            category_url: urls::category(&b.category.slug),
            city_url: urls::city(&b.address.city_slug),
            street: b.address.street.clone(),
            locality: format!("{}, {} {}", b.address.city, b.address.state, b.address.zip).trim().to_owned(),
            phone: b.phone.clone().zip(b.phone_display.clone()),
            email: b.email.clone(),
            website: b.website.as_deref().and_then(view::external_link),
            map_url: b.location.map(|p| {
                format!(
                    "https://www.openstreetmap.org/?mlat={lat:.5}&mlon={lon:.5}#map=16/{lat:.5}/{lon:.5}",
                    lat = p.latitude,
                    lon = p.longitude
                )
            }),
            hours: view::hours_table(&b.hours, now),
            open_now: view::open_now(&b.hours, now),
            service_radius: b.service_area.radius_km.map(|km| format!("Serves about {km} km around {}", b.address.city)),
            service_cities: b.service_area.cities.clone(),
            social: b
                .social_links
                .iter()
                .filter_map(|link| view::external_link(&link.url).map(|url| (network_label(link.network.as_str()), url)))
                .collect(),
            keywords: b.keywords.clone(),
            photos: b.photos.iter().map(|p| (urls::image(&p.key), p.alt.clone())).collect(),
            rating: b.rating.filter(|r| r.count > 0).map(|r| format!("★ {:.1} from {} reviews", r.average, r.count)),
            verified: b.is_verified,
            featured: b.is_featured,
        }
    }
}

#[derive(Template)]
#[template(path = "business.html")]
pub struct BusinessPage {
    pub meta: Meta,
    pub business: BusinessView,
    pub lead: FormState,
    pub lead_sent: bool,
    pub lead_action: String,
}

impl BusinessPage {
    /// The page of a public listing; `lead` carries a failed lead form back for correction.
    pub async fn load(
        db: &impl Database,
        site: &Site,
        slug: &str,
        lead: FormState,
        lead_sent: bool,
    ) -> DomainResult<Option<Self>> {
        let Ok(slug) = Slug::parse("slug", slug) else {
            return Ok(None);
        };
        let Some(detail) = directory::find_public(db, &slug).await? else {
            return Ok(None);
        };
        let path = urls::business(&detail.slug);
        let description = if detail.description.is_empty() {
            format!(
                "{} — {} in {}, {}.",
                detail.name, detail.category.name, detail.address.city, detail.address.state
            )
        } else {
            detail.description.clone()
        };
        let mut meta = Meta::new(
            site,
            format!(
                "{} — {} in {}, {}",
                detail.name, detail.category.name, detail.address.city, detail.address.state
            ),
            description,
            &path,
            "",
        );
        meta.og_type = "business.business";
        meta.og_image = detail
            .photos
            .first()
            .map(|p| format!("{}{}", site.origin, urls::image(&p.key)));
        meta.json_ld = Some(seo::script_json(&seo::local_business(
            &detail,
            &meta.canonical,
            &site.origin,
        )));
        Ok(Some(Self {
            meta,
            lead_action: format!("/api/v1/businesses/{}/leads", detail.slug),
            business: BusinessView::new(&detail, site.now),
            lead,
            lead_sent,
        }))
    }

    pub fn html(&self) -> String {
        render(self)
    }
}

// ---------------------------------------------------------------------------------------

/// An option of the category picker: children are indented under their parent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CategoryOption {
    pub slug: String,
    pub label: String,
}

fn category_options(nodes: &[CategoryNode], depth: usize, out: &mut Vec<CategoryOption>) {
    for node in nodes {
        out.push(CategoryOption {
            slug: node.slug.clone(),
            label: format!("{}{}", "— ".repeat(depth), node.name),
        });
        category_options(&node.children, depth + 1, out);
    }
}

#[derive(Template)]
#[template(path = "submit.html")]
pub struct SubmitPage {
    pub meta: Meta,
    pub form: FormState,
    pub categories: Vec<CategoryOption>,
    pub states: [StateCode; 3],
}

impl SubmitPage {
    pub async fn load(db: &impl Database, site: &Site, form: FormState) -> DomainResult<Self> {
        let mut meta = Meta::new(
            site,
            "Add your business — Kiamichi Biz Connect".into(),
            "List your business in the Kiamichi country's directory for free. A person reviews every listing before it goes live.".into(),
            "/submit",
            "submit",
        );
        meta.noindex = form.has_errors();
        let mut categories = Vec::new();
        category_options(&categories::tree(db).await?, 0, &mut categories);
        Ok(Self {
            meta,
            form,
            categories,
            states: StateCode::ALL,
        })
    }

    /// The id of a field's input, for links from the error summary.
    pub fn field_id(&self, field: &str) -> String {
        format!("submit-{}", field.replace('_', "-"))
    }

    /// The label people see for a field.
    pub fn field_label(&self, field: &str) -> &'static str {
        match field {
            "business_name" => "Business name",
            "category" => "Category",
            "description" => "Description",
            "contact_name" => "Your name",
            "email" => "Email",
            "phone" => "Business phone",
            "website" => "Website",
            "street" => "Street address",
            "city" => "Town",
            "state" => "State",
            "zip" => "ZIP code",
            _ => "This form",
        }
    }

    pub fn html(&self) -> String {
        render(self)
    }
}

#[derive(Template)]
#[template(path = "thanks.html")]
pub struct ThanksPage {
    pub meta: Meta,
}

impl ThanksPage {
    pub fn new(site: &Site) -> Self {
        let mut meta = Meta::new(
            site,
            "Thank you — Kiamichi Biz Connect".into(),
            "Your listing was received and will appear once reviewed.".into(),
            "/submit/thanks",
            "submit",
        );
        meta.noindex = true;
        Self { meta }
    }

    pub fn html(&self) -> String {
        render(self)
    }
}

// ---------------------------------------------------------------------------------------

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
    pub paragraphs: Vec<String>,
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
            paragraphs: post
                .body
                .split("\n\n")
                .map(str::trim)
                .filter(|p| !p.is_empty())
                .map(str::to_owned)
                .collect(),
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

// ---------------------------------------------------------------------------------------

/// The fixed pages: about, advertise, privacy, terms.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Info {
    About,
    Advertise,
    Privacy,
    Terms,
}

impl Info {
    pub fn from_path(path: &str) -> Option<Self> {
        Some(match path {
            "/about" => Self::About,
            "/advertise" => Self::Advertise,
            "/privacy" => Self::Privacy,
            "/terms" => Self::Terms,
            _ => return None,
        })
    }

    pub const ALL: [Info; 4] = [Info::About, Info::Advertise, Info::Privacy, Info::Terms];

    pub fn path(self) -> &'static str {
        match self {
            Self::About => "/about",
            Self::Advertise => "/advertise",
            Self::Privacy => "/privacy",
            Self::Terms => "/terms",
        }
    }

    fn content(self) -> (&'static str, &'static [&'static str]) {
        match self {
            Self::About => (
                "About Kiamichi Biz Connect",
                &[
                    "Kiamichi Biz Connect is the business directory of the Kiamichi country: the hills, lakes and small towns of Southeast Oklahoma and the neighbouring corners of Texas and Arkansas.",
                    "We list the plumbers, cafés, feed stores, churches, cabins and clinics that keep these towns going, so that neighbours and visitors can find them, call them and send them a request in a minute, even on a slow rural connection.",
                    "Listings are free. Every new listing is checked by a person before it appears, and business owners can keep theirs up to date.",
                ],
            ),
            Self::Advertise => (
                "Advertise with us",
                &[
                    "Featured listings appear first among comparable results and on the home page for the period you book. They never push aside a listing that matches a search much better: residents come first.",
                    "Banner placements are available on the home page, on category pages and beside search results. Every advertisement is marked as such.",
                    "To book a featured listing or a placement, send a request from your listing page or write to the address on our About page.",
                ],
            ),
            Self::Privacy => (
                "Privacy",
                &[
                    "We store what businesses publish about themselves, and what you send through our forms: a request to a business goes to that business and to no one else.",
                    "We do not use advertising trackers or third-party analytics, and this site sets no cookies.",
                    "To limit spam we keep a one-way fingerprint of the network address a form was sent from, for a short time; we never store the address itself.",
                    "Ask us to see or delete anything you sent, and we will.",
                ],
            ),
            Self::Terms => (
                "Terms of use",
                &[
                    "Listings are provided by businesses and reviewed by us, but we cannot guarantee that every detail is current: call ahead before a long drive.",
                    "Do not submit listings for businesses you do not represent, and do not use the request forms to send advertising or anything unlawful.",
                    "We may edit or remove any listing or message that breaks these terms.",
                ],
            ),
        }
    }
}

#[derive(Template)]
#[template(path = "info.html")]
pub struct InfoPage {
    pub meta: Meta,
    pub heading: &'static str,
    pub paragraphs: &'static [&'static str],
}

impl InfoPage {
    pub fn new(site: &Site, info: Info) -> Self {
        let (heading, paragraphs) = info.content();
        let section = match info {
            Info::About => "about",
            Info::Advertise => "advertise",
            Info::Privacy | Info::Terms => "",
        };
        let meta = Meta::new(
            site,
            format!("{heading} — Kiamichi Biz Connect"),
            paragraphs.first().copied().unwrap_or(heading).into(),
            info.path(),
            section,
        );
        Self {
            meta,
            heading,
            paragraphs,
        }
    }

    pub fn html(&self) -> String {
        render(self)
    }
}

// ---------------------------------------------------------------------------------------

/// The helpful 404, and the friendly page for failures on our side.
#[derive(Template)]
#[template(path = "problem.html")]
pub struct ProblemPage {
    pub meta: Meta,
    pub heading: String,
    pub message: String,
    pub show_search: bool,
}

impl ProblemPage {
    pub fn not_found(site: &Site, what: &str) -> Self {
        let mut meta = Meta::new(
            site,
            "Page not found — Kiamichi Biz Connect".into(),
            "This page does not exist.".into(),
            "/",
            "",
        );
        meta.noindex = true;
        Self {
            meta,
            heading: "We couldn’t find that page".into(),
            message: format!(
                "{what} There may be a typo in the address, or the listing may have been removed. Try a search, or browse by category or town."
            ),
            show_search: true,
        }
    }

    pub fn failure(site: &Site, heading: &str, message: &str) -> Self {
        let mut meta = Meta::new(
            site,
            format!("{heading} — Kiamichi Biz Connect"),
            message.into(),
            "/",
            "",
        );
        meta.noindex = true;
        Self {
            meta,
            heading: heading.into(),
            message: message.into(),
            show_search: false,
        }
    }

    pub fn html(&self) -> String {
        render(self)
    }
}
