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
            .map(|city| city.slug().clone());
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
    /// Every match, not just this page, when the page query could count them (see
    /// [`statements`]).
    total_matches: Option<i64>,
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
    b.latitude, b.longitude, b.rating_average, b.rating_count, b.is_verified, b.is_featured, b.id";

/// The FROM/WHERE part shared by the page query and the count query, with its values.
struct Filter {
    from: &'static str,
    /// `from` without the categories join, which a count never needs.
    count_from: &'static str,
    conditions: Vec<String>,
    params: Vec<Value>,
    /// Whether the query has words, so bm25 can rank.
    ranked: bool,
    /// The values [`SQUARED_DISTANCE`] binds, when the query has a point.
    distance: Option<Vec<Value>>,
}

const PLAIN_FROM: &str = "businesses b JOIN categories c ON c.id = b.category_id";
// CROSS JOIN pins the FTS index as the outer loop: left to itself, SQLite may drive from a
// city or category index and re-run the MATCH once per candidate row, which is O(n²)-slow.
const SEARCH_FROM: &str =
    "business_search s CROSS JOIN businesses b ON b.id = s.rowid JOIN categories c ON
    c.id = b.category_id";
const PLAIN_COUNT_FROM: &str = "businesses b";
const SEARCH_COUNT_FROM: &str = "business_search s CROSS JOIN businesses b ON b.id = s.rowid";
/// Equirectangular squared distance in km² (111.32² per degree²); binds lat, lat, lon,
/// cos(lat), lon, cos(lat). Plain arithmetic needs no SQL math functions and is within 1%
/// at the radii a directory uses.
const SQUARED_DISTANCE: &str =
    "((b.latitude - ?) * (b.latitude - ?) + (b.longitude - ?) * ? * (b.longitude -
    ?) * ?) * 12392.1424";
const BY_NAME: &str = "b.is_featured DESC, b.name COLLATE NOCASE, b.id";

async fn build_filter(db: &impl Database, query: &SearchQuery) -> DomainResult<Filter> {
    let mut filter = Filter {
        from: PLAIN_FROM,
        count_from: PLAIN_COUNT_FROM,
        conditions: vec![public_listing!("b").into()],
        params: Vec::new(),
        ranked: false,
        distance: None,
    };
    if let Some(expression) = query.text.as_deref().and_then(match_expression) {
        filter.from = SEARCH_FROM;
        filter.count_from = SEARCH_COUNT_FROM;
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

/// The statements for one page of a filter: a count, and the page itself.
struct Plan {
    count: Statement,
    page: Statement,
    /// Whether `page` carries the total in `total_matches`. Rank and distance orders visit
    /// every match to sort anyway, so counting with them costs nothing and saves D1 a round
    /// trip; the name order walks an index and stops after one page, so it counts apart.
    page_counts: bool,
}

fn statements(filter: Filter, query: &SearchQuery) -> Plan {
    let where_clause = filter.conditions.join(" AND ");
    let mut count = Statement::new(format!(
        "SELECT count(*) FROM {} WHERE {where_clause}",
        filter.count_from
    ));
    count.params = filter.params.clone();

    let mut params = filter.params;
    // Ranked and distance pages select their sort key in an inner query so the window
    // count can run over it (bm25 is only callable inside the FTS query itself).
    let sort_key = match (query.sort, filter.ranked, filter.distance) {
        (SortOrder::Relevance, true, _) => Some(format!(
            "bm25(business_search, {BM25_WEIGHTS}) * (CASE WHEN b.is_featured = 1 THEN {FEATURED_BOOST} ELSE 1.0 END)"
        )),
        (SortOrder::Distance, _, Some(distance)) => {
            // The key's placeholders come before the WHERE clause's in the SQL text.
            params.splice(0..0, distance);
            Some(SQUARED_DISTANCE.to_owned())
        }
        _ => None,
    };
    let offset = i64::from(query.page - 1) * i64::from(query.per_page);
    params.extend([
        Value::Integer(i64::from(query.per_page)),
        Value::Integer(offset),
    ]);
    let from = filter.from;
    let sql = match &sort_key {
        Some(key) => format!(
            "SELECT *, count(*) OVER () AS total_matches FROM (
                 SELECT {SUMMARY_COLUMNS}, {key} AS sort_key FROM {from} WHERE {where_clause}
             ) ORDER BY sort_key, id LIMIT ? OFFSET ?"
        ),
        None => format!(
            "SELECT {SUMMARY_COLUMNS} FROM {from} WHERE {where_clause} ORDER BY {BY_NAME} LIMIT ? OFFSET ?"
        ),
    };
    Plan {
        count,
        page: Statement { sql, params },
        page_counts: sort_key.is_some(),
    }
}

/// A result row as the public sees it; `near` adds the distance from that point.
fn summary(row: SummaryRow, near: Option<GeoPoint>) -> BusinessSummary {
    let location = row
        .latitude
        .zip(row.longitude)
        .map(|(latitude, longitude)| GeoPoint {
            latitude,
            longitude,
        });
    BusinessSummary {
        distance_km: near
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
}

/// Runs a search and returns one page plus the total number of matches.
pub async fn search(db: &impl Database, query: &SearchQuery) -> DomainResult<SearchPage> {
    let plan = statements(build_filter(db, query).await?, query);
    let rows: Vec<SummaryRow> = fetch_all(db, &plan.page).await?;
    let total = match rows.first().and_then(|row| row.total_matches) {
        Some(total) => total,
        None if plan.page_counts && query.page == 1 => 0,
        // Name order counts apart, and past the last page no row carries the total.
        None => fetch_integer(db, &plan.count).await?,
    };
    let results = rows
        .into_iter()
        .map(|row| summary(row, query.near))
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

/// Featured public listings, most recently updated first (the home page's showcase).
pub async fn featured(db: &impl Database, limit: u32) -> DomainResult<Vec<BusinessSummary>> {
    const PUBLIC: &str = public_listing!("b");
    let statement = Statement::new(format!(
        "SELECT {SUMMARY_COLUMNS} FROM {PLAIN_FROM}
          WHERE {PUBLIC} AND b.is_featured = 1
          ORDER BY b.updated_at DESC, b.id LIMIT ?1"
    ))
    .bind(limit);
    let rows: Vec<SummaryRow> = fetch_all(db, &statement).await?;
    Ok(rows.into_iter().map(|row| summary(row, None)).collect())
}

/// The count and page statements a search runs, for query-plan checks.
pub async fn statements_for(
    db: &impl Database,
    query: &SearchQuery,
) -> DomainResult<[Statement; 2]> {
    let plan = statements(build_filter(db, query).await?, query);
    Ok([plan.count, plan.page])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::categories::{self, NewCategory};
    use crate::db::sqlite::SqliteDatabase;
    use crate::directory::tests::{business, insert, some_category};
    use crate::directory::{self, NewBusiness, Visibility};
    use crate::values::CityName;
    use pollster::block_on;

    fn params(q: &str) -> SearchParams {
        SearchParams {
            q: Some(q.into()),
            ..SearchParams::default()
        }
    }

    fn run(db: &SqliteDatabase, params: &SearchParams) -> SearchPage {
        block_on(search(db, &SearchQuery::parse(params).unwrap())).unwrap()
    }

    fn names(page: &SearchPage) -> Vec<&str> {
        page.results.iter().map(|r| r.name.as_str()).collect()
    }

    fn described(name: &str, category: i64, description: &str) -> NewBusiness {
        let mut b = business(name, category);
        b.description = description.into();
        b
    }

    fn in_town(name: &str, category: i64, town: &str, lat: f64, lon: f64) -> NewBusiness {
        let mut b = business(name, category);
        b.city = CityName::parse("city", town).unwrap();
        b.location = Some(GeoPoint::new("p", lat, lon).unwrap());
        b
    }

    #[test]
    fn words_become_quoted_terms_with_a_prefix_on_the_last() {
        assert_eq!(
            match_expression("Bob's bbq").as_deref(),
            Some("\"bob\" \"s\" \"bbq\"*")
        );
        assert_eq!(
            match_expression("plumber in Idabel").as_deref(),
            Some("\"plumber\" \"idabel\"*")
        );
        assert_eq!(
            match_expression("the").as_deref(),
            Some("\"the\"*"),
            "only stop words: keep them"
        );
        assert_eq!(
            match_expression("pie OR NEAR(x)").as_deref(),
            Some("\"pie\" \"x\"*")
        );
        assert_eq!(match_expression("\" * ( -- ;"), None);
    }

    #[test]
    fn fts_syntax_in_user_text_is_inert() {
        let db = SqliteDatabase::in_memory().unwrap();
        let c = some_category(&db, "food");
        insert(&db, &business("Pie Shop", c));
        for hostile in [
            "\"pie",
            "pie OR shop",
            "name:pie",
            "pie*)",
            "NEAR(pie shop)",
            "'; DROP TABLE businesses; --",
        ] {
            let page = block_on(search(&db, &SearchQuery::parse(&params(hostile)).unwrap()));
            assert!(page.is_ok(), "{hostile}: {page:?}");
        }
        assert_eq!(run(&db, &params("'; DROP TABLE businesses; --")).total, 0);
        assert_eq!(run(&db, &params("pie")).total, 1, "table still there");
    }

    #[test]
    fn a_name_match_ranks_above_a_description_match() {
        let db = SqliteDatabase::in_memory().unwrap();
        let c = some_category(&db, "food");
        insert(
            &db,
            &described(
                "Sunrise Cafe",
                c,
                "We bake fresh bread and sell the best bakery goods around.",
            ),
        );
        insert(&db, &described("Broken Bow Bakery", c, "Coffee and cakes."));
        assert_eq!(
            names(&run(&db, &params("bakery"))),
            ["Broken Bow Bakery", "Sunrise Cafe"]
        );
    }

    #[test]
    fn the_last_word_matches_as_a_prefix() {
        let db = SqliteDatabase::in_memory().unwrap();
        let c = some_category(&db, "food");
        insert(&db, &business("Hochatown Barbecue", c));
        assert_eq!(run(&db, &params("hochatown barb")).total, 1);
        assert_eq!(
            run(&db, &params("barb hochatown")).total,
            0,
            "earlier words must match whole"
        );
    }

    #[test]
    fn plural_and_accented_queries_match_their_plain_forms() {
        let db = SqliteDatabase::in_memory().unwrap();
        let c = some_category(&db, "food");
        insert(&db, &business("Café Bakery", c));
        assert_eq!(run(&db, &params("bakeries")).total, 1);
        assert_eq!(run(&db, &params("cafe")).total, 1);
    }

    #[test]
    fn keywords_category_and_city_are_searchable() {
        let db = SqliteDatabase::in_memory().unwrap();
        let plumbing = some_category(&db, "plumbing");
        let mut b = business("Smith & Sons", plumbing);
        b.keywords = vec!["water heaters".into()];
        insert(&db, &b);
        assert_eq!(run(&db, &params("heaters")).total, 1, "keyword");
        assert_eq!(run(&db, &params("plumbing")).total, 1, "category name");
        assert_eq!(run(&db, &params("idabel")).total, 1, "city");
    }

    #[test]
    fn a_featured_listing_leads_among_equal_matches() {
        let db = SqliteDatabase::in_memory().unwrap();
        let c = some_category(&db, "food");
        insert(&db, &business("Alpha Pizza", c));
        let mut featured = business("Zulu Pizza", c);
        featured.featured = true;
        insert(&db, &featured);
        let page = run(&db, &params("pizza"));
        assert_eq!(names(&page), ["Zulu Pizza", "Alpha Pizza"]);
        assert!(page.results[0].is_featured);
    }

    #[test]
    fn a_featured_listing_never_outranks_a_much_better_match() {
        let db = SqliteDatabase::in_memory().unwrap();
        let c = some_category(&db, "food");
        insert(&db, &business("Kiamichi Pizza", c));
        let mut featured = described(
            "Valley Diner",
            c,
            "Burgers, steaks, catfish, salads, breakfast all day, pies, and on Fridays a pizza special.",
        );
        featured.featured = true;
        insert(&db, &featured);
        assert_eq!(
            names(&run(&db, &params("pizza"))),
            ["Kiamichi Pizza", "Valley Diner"]
        );
    }

    #[test]
    fn category_filter_includes_sub_categories() {
        let db = SqliteDatabase::in_memory().unwrap();
        let slug = |s| Slug::parse("slug", s).unwrap();
        let (food, bakeries) = (slug("food"), slug("bakeries"));
        let food_id = block_on(categories::create(
            &db,
            &NewCategory {
                slug: &food,
                name: "Food",
                description: "",
                icon: "",
                parent: None,
                position: 0,
            },
            1,
        ))
        .unwrap();
        let bakery_id = block_on(categories::create(
            &db,
            &NewCategory {
                slug: &bakeries,
                name: "Bakeries",
                description: "",
                icon: "",
                parent: Some(food_id),
                position: 0,
            },
            1,
        ))
        .unwrap();
        let other = some_category(&db, "auto");
        insert(&db, &business("Diner", food_id));
        insert(&db, &business("Bread Box", bakery_id));
        insert(&db, &business("Tire Town", other));
        let food_page = run(
            &db,
            &SearchParams {
                category: Some("food".into()),
                ..SearchParams::default()
            },
        );
        assert_eq!(names(&food_page), ["Bread Box", "Diner"]);
        let bakery_page = run(
            &db,
            &SearchParams {
                category: Some("bakeries".into()),
                ..SearchParams::default()
            },
        );
        assert_eq!(names(&bakery_page), ["Bread Box"]);
    }

    #[test]
    fn an_unknown_category_is_a_field_error() {
        let db = SqliteDatabase::in_memory().unwrap();
        let query = SearchQuery::parse(&SearchParams {
            category: Some("nope".into()),
            ..SearchParams::default()
        })
        .unwrap();
        let err = block_on(search(&db, &query)).unwrap_err();
        assert!(
            matches!(err, DomainError::Invalid(ref e) if e[0].field == "category"),
            "{err}"
        );
    }

    #[test]
    fn city_filter_accepts_a_slug_or_a_typed_name() {
        let db = SqliteDatabase::in_memory().unwrap();
        let c = some_category(&db, "food");
        insert(&db, &in_town("Bow Diner", c, "Broken Bow", 34.03, -94.74));
        insert(&db, &in_town("Hugo Diner", c, "Hugo", 34.01, -95.51));
        for city in ["broken-bow", "Broken Bow", " broken bow "] {
            let page = run(
                &db,
                &SearchParams {
                    city: Some(city.into()),
                    ..params("diner")
                },
            );
            assert_eq!(names(&page), ["Bow Diner"], "{city}");
        }
    }

    #[test]
    fn near_filters_by_radius_and_orders_by_distance() {
        let db = SqliteDatabase::in_memory().unwrap();
        let c = some_category(&db, "food");
        insert(&db, &in_town("Idabel Cafe", c, "Idabel", 33.8957, -94.8266));
        insert(
            &db,
            &in_town("Broken Bow Cafe", c, "Broken Bow", 34.0293, -94.7391),
        );
        insert(&db, &in_town("Durant Cafe", c, "Durant", 33.9940, -96.3708));
        insert(&db, &business("Nowhere Cafe", c)); // no location: never in a distance search
        let near_idabel = SearchParams {
            near: Some("33.90,-94.83".into()),
            radius_km: Some("30".into()),
            ..SearchParams::default()
        };
        let page = run(&db, &near_idabel);
        assert_eq!(page.sort, SortOrder::Distance);
        assert_eq!(names(&page), ["Idabel Cafe", "Broken Bow Cafe"]);
        let first = page.results[0].distance_km.unwrap();
        let second = page.results[1].distance_km.unwrap();
        assert!(
            first < 1.0 && (15.0..19.0).contains(&second),
            "{first} {second}"
        );

        let wide = SearchParams {
            radius_km: Some("200".into()),
            ..near_idabel
        };
        assert_eq!(run(&db, &wide).total, 3);
    }

    #[test]
    fn text_with_near_ranks_by_relevance_unless_distance_is_asked_for() {
        let db = SqliteDatabase::in_memory().unwrap();
        let c = some_category(&db, "food");
        insert(&db, &in_town("Tacos", c, "Broken Bow", 34.0293, -94.7391));
        let mut close = in_town("Corner Store", c, "Idabel", 33.8957, -94.8266);
        close.description = "Gas, groceries and tacos on Tuesday.".into();
        insert(&db, &close);
        let near = SearchParams {
            near: Some("33.8957,-94.8266".into()),
            ..params("tacos")
        };
        assert_eq!(names(&run(&db, &near)), ["Tacos", "Corner Store"]);
        let by_distance = SearchParams {
            sort: Some("distance".into()),
            ..near
        };
        assert_eq!(names(&run(&db, &by_distance)), ["Corner Store", "Tacos"]);
    }

    #[test]
    fn hidden_listings_never_appear_in_results_or_counts() {
        let db = SqliteDatabase::in_memory().unwrap();
        let c = some_category(&db, "food");
        let mut draft = business("Draft Donuts", c);
        draft.published = false;
        insert(&db, &draft);
        let inactive = insert(&db, &business("Closed Donuts", c));
        block_on(directory::set_active(&db, inactive.id, false, 2)).unwrap();
        let suspended = insert(&db, &business("Banned Donuts", c));
        block_on(directory::set_visibility(
            &db,
            suspended.id,
            Visibility::Suspended,
            2,
        ))
        .unwrap();
        insert(&db, &business("Open Donuts", c));
        let page = run(&db, &params("donuts"));
        assert_eq!((names(&page), page.total), (vec!["Open Donuts"], 1));
        assert_eq!(
            run(&db, &SearchParams::default()).total,
            1,
            "browse without words too"
        );
    }

    #[test]
    fn changes_to_a_listing_are_searchable_immediately() {
        let db = SqliteDatabase::in_memory().unwrap();
        let c = some_category(&db, "food");
        let mut draft = business("Later Latte", c);
        draft.published = false;
        let created = insert(&db, &draft);
        assert_eq!(run(&db, &params("latte")).total, 0);
        block_on(directory::set_visibility(
            &db,
            created.id,
            Visibility::Published,
            3,
        ))
        .unwrap();
        assert_eq!(run(&db, &params("latte")).total, 1);
        block_on(db.execute(&Statement::new("DELETE FROM business_keywords"))).unwrap();
        block_on(
            db.execute(
                &Statement::new("INSERT INTO business_keywords VALUES (?1, 'espresso')")
                    .bind(created.id),
            ),
        )
        .unwrap();
        assert_eq!(run(&db, &params("espresso")).total, 1, "keyword trigger");
        block_on(db.execute(&Statement::new(
            "UPDATE categories SET name = 'Coffeehouses'",
        )))
        .unwrap();
        assert_eq!(
            run(&db, &params("coffeehouses")).total,
            1,
            "category rename trigger"
        );
        block_on(db.execute(&Statement::new("DELETE FROM businesses"))).unwrap();
        assert_eq!(run(&db, &params("latte")).total, 0);
    }

    fn many(db: &SqliteDatabase, count: usize) {
        let c = some_category(db, "food");
        db.in_transaction(|| -> Result<(), DomainError> {
            for i in 0..count {
                let mut b = business(&format!("Shop {i:03}"), c);
                b.description = "General store".into();
                block_on(directory::create(db, &b, 1))?;
            }
            Ok(())
        })
        .unwrap();
    }

    #[test]
    fn pagination_is_stable_complete_and_counts_pages() {
        let db = SqliteDatabase::in_memory().unwrap();
        many(&db, 45);
        let page = |n: u32| {
            run(
                &db,
                &SearchParams {
                    page: Some(n.to_string()),
                    per_page: Some("20".into()),
                    ..params("store")
                },
            )
        };
        let (one, two, three) = (page(1), page(2), page(3));
        assert_eq!((one.total, one.total_pages), (45, 3));
        assert_eq!(
            (one.results.len(), two.results.len(), three.results.len()),
            (20, 20, 5)
        );
        let mut all: Vec<String> = [one, two, three]
            .iter()
            .flat_map(|p| p.results.iter().map(|r| r.slug.clone()))
            .collect();
        let before = all.len();
        all.sort();
        all.dedup();
        assert_eq!(all.len(), before, "no listing on two pages");
        assert_eq!(names(&page(1)), names(&page(1)), "same order every time");
    }

    #[test]
    fn a_page_past_the_end_is_empty_but_keeps_the_total() {
        let db = SqliteDatabase::in_memory().unwrap();
        many(&db, 3);
        let page = run(
            &db,
            &SearchParams {
                page: Some("9".into()),
                ..params("store")
            },
        );
        assert!(page.results.is_empty());
        assert_eq!((page.total, page.total_pages, page.page), (3, 1, 9));
    }

    #[test]
    fn no_results_is_an_empty_page() {
        let db = SqliteDatabase::in_memory().unwrap();
        many(&db, 3);
        let page = run(&db, &params("zzqx"));
        assert_eq!(
            (page.total, page.total_pages, page.results.len()),
            (0, 0, 0)
        );
    }

    #[test]
    fn browsing_without_words_lists_featured_first_then_by_name() {
        let db = SqliteDatabase::in_memory().unwrap();
        let c = some_category(&db, "food");
        insert(&db, &business("beta", c));
        insert(&db, &business("Alpha", c));
        let mut star = business("Zed", c);
        star.featured = true;
        insert(&db, &star);
        assert_eq!(
            names(&run(&db, &SearchParams::default())),
            ["Zed", "Alpha", "beta"]
        );
    }

    #[test]
    fn parameters_are_validated_with_every_problem_named() {
        let bad = SearchParams {
            q: Some("x".repeat(201)),
            category: Some("Not A Slug".into()),
            city: Some("<b>".into()),
            near: Some("91,0".into()),
            radius_km: Some("0".into()),
            sort: Some("random".into()),
            page: Some("0".into()),
            per_page: Some("51".into()),
        };
        let fields: Vec<String> = SearchQuery::parse(&bad)
            .unwrap_err()
            .into_iter()
            .map(|e| e.field)
            .collect();
        assert_eq!(
            fields,
            [
                "q",
                "category",
                "city",
                "near",
                "radius_km",
                "sort",
                "page",
                "per_page"
            ]
        );
    }

    #[test]
    fn radius_and_distance_order_need_a_point() {
        let radius = SearchParams {
            radius_km: Some("10".into()),
            ..SearchParams::default()
        };
        assert_eq!(
            SearchQuery::parse(&radius).unwrap_err()[0].field,
            "radius_km"
        );
        let sort = SearchParams {
            sort: Some("distance".into()),
            ..SearchParams::default()
        };
        assert_eq!(SearchQuery::parse(&sort).unwrap_err()[0].field, "sort");
    }

    #[test]
    fn defaults_apply_when_parameters_are_blank() {
        let blank = SearchParams {
            q: Some("  ".into()),
            page: Some(String::new()),
            ..SearchParams::default()
        };
        let query = SearchQuery::parse(&blank).unwrap();
        assert_eq!(
            (query.text, query.page, query.per_page, query.sort),
            (None, 1, DEFAULT_PER_PAGE, SortOrder::Name)
        );
        assert_eq!(query.radius_km, DEFAULT_RADIUS_KM);
    }

    #[test]
    fn canonical_form_ignores_case_and_spacing_of_words() {
        let a = SearchQuery::parse(&params("Broken  BOW bakery")).unwrap();
        let b = SearchQuery::parse(&params("broken bow bakery")).unwrap();
        assert_eq!(a.canonical(), b.canonical());
        let c = SearchQuery::parse(&SearchParams {
            page: Some("2".into()),
            ..params("broken bow bakery")
        })
        .unwrap();
        assert_ne!(a.canonical(), c.canonical());
    }

    /// Every table access of every search shape goes through an index or the FTS index:
    /// no statement scans `businesses` row by row, and word searches are driven by FTS.
    #[test]
    fn search_plans_never_scan_the_businesses_table() {
        let db = SqliteDatabase::in_memory().unwrap();
        let towns = [
            "Idabel", "Paris", "Hugo", "Antlers", "Durant", "Atoka", "Mena", "Poteau",
        ];
        let categories: Vec<i64> = ["food", "auto", "home", "health"]
            .iter()
            .map(|slug| some_category(&db, slug))
            .collect();
        for i in 0..200 {
            let town = towns[i % towns.len()];
            let mut b = in_town(
                &format!("Store {i}"),
                categories[i % categories.len()],
                town,
                33.5 + (i as f64) / 100.0,
                -95.0,
            );
            b.description = "General store".into();
            insert(&db, &b);
        }
        let shapes = [
            params("store"),
            SearchParams::default(),
            SearchParams {
                city: Some("paris".into()),
                ..SearchParams::default()
            },
            SearchParams {
                category: Some("food".into()),
                ..params("store")
            },
            SearchParams {
                category: Some("food".into()),
                ..SearchParams::default()
            },
            SearchParams {
                near: Some("33.9,-94.8".into()),
                radius_km: Some("25".into()),
                ..SearchParams::default()
            },
            SearchParams {
                near: Some("33.9,-94.8".into()),
                ..params("store")
            },
            SearchParams {
                city: Some("idabel".into()),
                ..params("store")
            },
        ];
        for shape in shapes {
            let query = SearchQuery::parse(&shape).unwrap();
            for statement in block_on(statements_for(&db, &query)).unwrap() {
                let plan = db.query_plan(&statement).unwrap();
                let scans: Vec<&String> = plan
                    .iter()
                    .filter(|line| line.starts_with("SCAN b") && !line.contains("USING"))
                    .collect();
                assert!(scans.is_empty(), "{shape:?}\n{}\n{plan:#?}", statement.sql);
                if query.text.is_some() {
                    // The FTS index must drive; an FTS lookup per candidate row re-runs MATCH.
                    let first_access = plan
                        .iter()
                        .find(|line| line.starts_with("SCAN") || line.starts_with("SEARCH"));
                    assert!(
                        first_access.is_some_and(|line| line.starts_with("SCAN s VIRTUAL TABLE")),
                        "{shape:?}\n{plan:#?}"
                    );
                }
            }
        }
    }

    #[test]
    fn featured_lists_only_public_featured_listings() {
        let db = SqliteDatabase::in_memory().unwrap();
        let c = some_category(&db, "food");
        let mut star = business("Star Diner", c);
        star.featured = true;
        insert(&db, &star);
        let mut hidden = business("Hidden Star", c);
        hidden.featured = true;
        hidden.published = false;
        insert(&db, &hidden);
        insert(&db, &business("Plain Diner", c));
        let names: Vec<String> = block_on(featured(&db, 10))
            .unwrap()
            .into_iter()
            .map(|s| s.name)
            .collect();
        assert_eq!(names, ["Star Diner"]);
    }
}
