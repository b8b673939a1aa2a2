//! Directory search: FTS5 with bm25 ranking, category (with sub-categories), city and
//! distance filters, and stable pagination with a total count.
//!
//! Ranking weights a name match far above a description match; featured listings get a
//! bounded boost ([`FEATURED_BOOST`]) so they lead among comparable matches but never
//! outrank a much better one. User text never reaches FTS syntax: it is split into words and
//! each word is quoted, the last one as a prefix.

use crate::categories;
use crate::db::{Database, Statement, Value, fetch_all, fetch_integer, placeholders};
use crate::directory::{CategorySummary, Rating};
use crate::error::DomainResult;
use crate::values::{CityName, Collector, GeoPoint, Slug, given, parse_bounded};
use crate::{DomainError, FieldError};
use serde::{Deserialize, Serialize};

/// bm25 column weights: name, description, keywords, category, city.
const BM25_WEIGHTS: &str = "10.0, 1.0, 4.0, 3.0, 2.0";
/// A featured listing's score is multiplied by this (bm25 is negative: more is better), so
/// it beats only matches less than 25% better than its own.
pub const FEATURED_BOOST: f64 = 1.25;
pub const DEFAULT_PER_PAGE: u32 = 20;
pub const MAX_PER_PAGE: u32 = 50;
pub const MAX_PAGE: u32 = 1000;
pub const DEFAULT_RADIUS_KM: f64 = 50.0;
pub const MAX_RADIUS_KM: u32 = 500;
const MAX_QUERY_CHARS: usize = 200;
const MAX_TERMS: usize = 8;
const KM_PER_DEGREE: f64 = 111.32;
/// Words that carry no meaning in "plumber in idabel"-style queries.
const STOP_WORDS: &[&str] = &[
    "a", "an", "and", "at", "for", "in", "near", "of", "on", "or", "the", "to",
];

/// The order of results.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum SortOrder {
    Relevance,
    Distance,
    Name,
}

/// A parsed search request.
#[derive(Debug, Clone, PartialEq)]
pub struct SearchQuery {
    pub text: Option<String>,
    pub category: Option<Slug>,
    pub city: Option<Slug>,
    pub near: Option<GeoPoint>,
    pub radius_km: f64,
    pub sort: SortOrder,
    pub page: u32,
    pub per_page: u32,
}

/// Raw request parameters as they arrive (query string or form), before parsing.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SearchParams {
    pub q: Option<String>,
    pub category: Option<String>,
    pub city: Option<String>,
    pub near: Option<String>,
    pub radius_km: Option<String>,
    pub sort: Option<String>,
    pub page: Option<String>,
    pub per_page: Option<String>,
}

impl SearchQuery {
    /// Parses raw parameters, collecting every problem so all can be reported at once.
    pub fn parse(params: &SearchParams) -> Result<Self, Vec<FieldError>> {
        let mut c = Collector::default();
        let text = given(&params.q).map(|t| t.trim().to_owned());
        if text
            .as_ref()
            .is_some_and(|t| t.chars().count() > MAX_QUERY_CHARS)
        {
            c.0.push(FieldError::new(
                "q",
                format!("must be at most {MAX_QUERY_CHARS} characters"),
            ));
        }
        let category = c
            .optional(&params.category, |raw| Slug::parse("category", raw.trim()))
            .flatten();
        // Cities come as slugs from links or as names typed by people; both mean the same town.
        let city = c
            .optional(&params.city, |raw| CityName::parse("city", raw))
            .flatten()
            .map(|city| city.slug());
        let near = c
            .optional(&params.near, |raw| GeoPoint::parse("near", raw))
            .flatten();
        let radius = c
            .optional(&params.radius_km, |raw| {
                parse_bounded("radius_km", raw, 1, MAX_RADIUS_KM)
            })
            .flatten();
        let near_given = given(&params.near).is_some();
        if radius.is_some() && !near_given {
            c.0.push(FieldError::new(
                "radius_km",
                "needs near=LAT,LON to measure from",
            ));
        }
        let sort = c
            .optional(&params.sort, |raw| match raw.trim() {
                "relevance" => Ok(SortOrder::Relevance),
                "distance" => Ok(SortOrder::Distance),
                "name" => Ok(SortOrder::Name),
                _ => Err(FieldError::new(
                    "sort",
                    "must be relevance, distance or name",
                )),
            })
            .flatten();
        if sort == Some(SortOrder::Distance) && !near_given {
            c.0.push(FieldError::new("sort", "distance order needs near=LAT,LON"));
        }
        let page = c
            .optional(&params.page, |raw| parse_bounded("page", raw, 1, MAX_PAGE))
            .flatten();
        let per_page = c
            .optional(&params.per_page, |raw| {
                parse_bounded("per_page", raw, 1, MAX_PER_PAGE)
            })
            .flatten();
        if !c.0.is_empty() {
            return Err(c.0);
        }
        let has_terms = text.as_deref().is_some_and(|t| !terms(t).is_empty());
        let sort = sort.unwrap_or(match (has_terms, near.is_some()) {
            (true, _) => SortOrder::Relevance,
            (false, true) => SortOrder::Distance,
            (false, false) => SortOrder::Name,
        });
        Ok(Self {
            text,
            category,
            city,
            near,
            radius_km: radius.map_or(DEFAULT_RADIUS_KM, f64::from),
            sort,
            page: page.unwrap_or(1),
            per_page: per_page.unwrap_or(DEFAULT_PER_PAGE),
        })
    }

    /// A stable text form of the query, for cache keys.
    pub fn canonical(&self) -> String {
        format!(
            "q={}&category={}&city={}&near={}&radius={}&sort={:?}&page={}&per_page={}",
            self.text
                .as_deref()
                .map(terms)
                .unwrap_or_default()
                .join(" "),
            self.category.as_ref().map_or("", Slug::as_str),
            self.city.as_ref().map_or("", Slug::as_str),
            self.near
                .map(|p| format!("{:.4},{:.4}", p.latitude, p.longitude))
                .unwrap_or_default(),
            self.radius_km,
            self.sort,
            self.page,
            self.per_page
        )
    }
}

/// The words of a query, lowercased, without stop words (unless nothing else is left).
pub fn terms(text: &str) -> Vec<String> {
    let words: Vec<String> = text
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_lowercase)
        .collect();
    let meaningful: Vec<String> = words
        .iter()
        .filter(|w| !STOP_WORDS.contains(&w.as_str()))
        .cloned()
        .collect();
    let mut chosen = if meaningful.is_empty() {
        words
    } else {
        meaningful
    };
    chosen.truncate(MAX_TERMS);
    chosen
}

/// The FTS5 MATCH expression for `text`: every word quoted and required, the last one as a
/// prefix so results appear while someone is still typing. `None` when there are no words.
pub fn match_expression(text: &str) -> Option<String> {
    let terms = terms(text);
    let last = terms.len().checked_sub(1)?;
    let quoted: Vec<String> = terms
        .iter()
        .enumerate()
        .map(|(i, term)| {
            if i == last {
                format!("\"{term}\"*")
            } else {
                format!("\"{term}\"")
            }
        })
        .collect();
    Some(quoted.join(" "))
}

/// One listing in a result page.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BusinessSummary {
    pub slug: String,
    pub name: String,
    pub description: String,
    pub category: CategorySummary,
    pub city: String,
    pub city_slug: String,
    pub state: String,
    pub phone: Option<String>,
    pub website: Option<String>,
    pub location: Option<GeoPoint>,
    pub rating: Option<Rating>,
    pub is_verified: bool,
    pub is_featured: bool,
    /// Kilometres from `near`, when the query had one.
    pub distance_km: Option<f64>,
}

/// One page of results.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SearchPage {
    pub results: Vec<BusinessSummary>,
    pub total: i64,
    pub page: u32,
    pub per_page: u32,
    pub total_pages: i64,
    pub sort: SortOrder,
}

#[derive(Deserialize)]
struct SummaryRow {
    slug: String,
    name: String,
    description: String,
    category_slug: String,
    category_name: String,
    city: String,
    city_slug: String,
    state: String,
    phone: Option<String>,
    website: Option<String>,
    latitude: Option<f64>,
    longitude: Option<f64>,
    rating_average: Option<f64>,
    rating_count: i64,
    is_verified: i64,
    is_featured: i64,
}

const SUMMARY_COLUMNS: &str = "b.slug, b.name, substr(b.description, 1, 240) AS description,
    c.slug AS category_slug, c.name AS category_name, b.city, b.city_slug, b.state, b.phone, b.website,
    b.latitude, b.longitude, b.rating_average, b.rating_count, b.is_verified, b.is_featured";

/// The FROM/WHERE part shared by the page query and the count query, with its values.
struct Filter {
    from: &'static str,
    conditions: Vec<String>,
    params: Vec<Value>,
    /// Whether the query has words, so bm25 can rank.
    ranked: bool,
    /// The values [`SQUARED_DISTANCE`] binds, when the query has a point.
    distance: Option<Vec<Value>>,
}

const PLAIN_FROM: &str = "businesses b JOIN categories c ON c.id = b.category_id";
const SEARCH_FROM: &str = "business_search s JOIN businesses b ON b.id = s.rowid JOIN categories c ON c.id = b.category_id";
/// Equirectangular squared distance in km² (111.32² per degree²); binds lat, lat, lon,
/// cos(lat), lon, cos(lat). Plain arithmetic needs no SQL math functions and is within 1%
/// at the radii a directory uses.
const SQUARED_DISTANCE: &str = "((b.latitude - ?) * (b.latitude - ?) + (b.longitude - ?) * ? * (b.longitude - ?) * ?) * 12392.1424";
const BY_NAME: &str = "b.is_featured DESC, b.name COLLATE NOCASE, b.id";

async fn build_filter(db: &impl Database, query: &SearchQuery) -> DomainResult<Filter> {
    let mut filter = Filter {
        from: PLAIN_FROM,
        conditions: vec!["b.status = 'published'".into(), "b.is_active = 1".into()],
        params: Vec::new(),
        ranked: false,
        distance: None,
    };
    if let Some(expression) = query.text.as_deref().and_then(match_expression) {
        filter.from = SEARCH_FROM;
        filter.conditions.push("business_search MATCH ?".into());
        filter.params.push(Value::Text(expression));
        filter.ranked = true;
    }
    if let Some(category) = &query.category {
        let ids = categories::subtree_ids(db, category)
            .await
            .map_err(|err| match err {
                DomainError::NotFound(_) => {
                    DomainError::invalid("category", format!("no category is called '{category}'"))
                }
                other => other,
            })?;
        filter
            .conditions
            .push(format!("b.category_id IN ({})", placeholders(ids.len())));
        filter.params.extend(ids.into_iter().map(Value::Integer));
    }
    if let Some(city) = &query.city {
        filter.conditions.push("b.city_slug = ?".into());
        filter.params.push(Value::Text(city.as_str().to_owned()));
    }
    if let Some(point) = query.near {
        let cos_lat = point.latitude.to_radians().cos().max(0.01);
        let dlat = query.radius_km / KM_PER_DEGREE;
        let dlon = query.radius_km / (KM_PER_DEGREE * cos_lat);
        // Bounding box first (indexed), then the exact radius.
        filter
            .conditions
            .push("b.latitude BETWEEN ? AND ? AND b.longitude BETWEEN ? AND ?".into());
        filter.params.extend(
            [
                point.latitude - dlat,
                point.latitude + dlat,
                point.longitude - dlon,
                point.longitude + dlon,
            ]
            .map(Value::Real),
        );
        let distance: Vec<Value> = [
            point.latitude,
            point.latitude,
            point.longitude,
            cos_lat,
            point.longitude,
            cos_lat,
        ]
        .map(Value::Real)
        .into();
        filter.conditions.push(format!("{SQUARED_DISTANCE} <= ?"));
        filter.params.extend(distance.iter().cloned());
        filter
            .params
            .push(Value::Real(query.radius_km * query.radius_km));
        filter.distance = Some(distance);
    }
    Ok(filter)
}

/// The count statement and the page statement for a filter.
fn statements(filter: Filter, query: &SearchQuery) -> (Statement, Statement) {
    let where_clause = filter.conditions.join(" AND ");
    let mut count = Statement::new(format!(
        "SELECT count(*) FROM {} WHERE {where_clause}",
        filter.from
    ));
    count.params = filter.params.clone();

    let mut params = filter.params;
    let order = match (query.sort, filter.ranked, filter.distance) {
        (SortOrder::Relevance, true, _) => format!(
            "bm25(business_search, {BM25_WEIGHTS}) * (CASE WHEN b.is_featured = 1 THEN {FEATURED_BOOST} ELSE 1.0 END), b.id"
        ),
        (SortOrder::Distance, _, Some(distance)) => {
            params.extend(distance);
            format!("{SQUARED_DISTANCE}, b.id")
        }
        _ => BY_NAME.into(),
    };
    let offset = i64::from(query.page - 1) * i64::from(query.per_page);
    params.extend([
        Value::Integer(i64::from(query.per_page)),
        Value::Integer(offset),
    ]);
    let page = Statement {
        sql: format!(
            "SELECT {SUMMARY_COLUMNS} FROM {} WHERE {where_clause} ORDER BY {order} LIMIT ? OFFSET ?",
            filter.from
        ),
        params,
    };
    (count, page)
}

/// Runs a search and returns one page plus the total number of matches.
pub async fn search(db: &impl Database, query: &SearchQuery) -> DomainResult<SearchPage> {
    let (count, page) = statements(build_filter(db, query).await?, query);
    let total = fetch_integer(db, &count).await?;
    let rows: Vec<SummaryRow> = fetch_all(db, &page).await?;
    let results = rows
        .into_iter()
        .map(|row| {
            let location = row
                .latitude
                .zip(row.longitude)
                .map(|(latitude, longitude)| GeoPoint {
                    latitude,
                    longitude,
                });
            BusinessSummary {
                distance_km: query
                    .near
                    .zip(location)
                    .map(|(from, to)| (from.distance_km(to) * 10.0).round() / 10.0),
                slug: row.slug,
                name: row.name,
                description: row.description,
                category: CategorySummary {
                    slug: row.category_slug,
                    name: row.category_name,
                },
                city: row.city,
                city_slug: row.city_slug,
                state: row.state,
                phone: row.phone,
                website: row.website,
                location,
                rating: row.rating_average.map(|average| Rating {
                    average,
                    count: row.rating_count,
                }),
                is_verified: row.is_verified == 1,
                is_featured: row.is_featured == 1,
            }
        })
        .collect();
    let per_page = i64::from(query.per_page);
    Ok(SearchPage {
        results,
        total,
        page: query.page,
        per_page: query.per_page,
        total_pages: (total + per_page - 1) / per_page,
        sort: query.sort,
    })
}

/// The count and page statements a search runs, for query-plan checks.
pub async fn statements_for(
    db: &impl Database,
    query: &SearchQuery,
) -> DomainResult<[Statement; 2]> {
    let (count, page) = statements(build_filter(db, query).await?, query);
    Ok([count, page])
}
