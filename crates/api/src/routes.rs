//! The public API's routes: one table that the router, the 405 `Allow` header and the
//! OpenAPI consistency test all read.

use kbc_site::urls;

/// A page of the public site (everything outside `/api/` and `/health`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Page {
    Home,
    Search,
    Categories,
    Category(String),
    City(String),
    Business(String),
    /// The business's own page, published from the owner's page builder.
    OwnerPage(String),
    /// A click on the listing's call, website or directions link, reported by `<a ping>`.
    Ping(String, kbc_domain::analytics::EventKind),
    Submit,
    SubmitThanks,
    Blog,
    Post(String),
    Info(kbc_site::pages::Info),
    Sitemap,
    Robots,
    Stylesheet,
    Icon,
    Image(String),
}

/// The longest image key served.
const MAX_IMAGE_KEY: usize = 200;

impl Page {
    /// Matches a site path. `None` is the 404 page.
    pub fn resolve(path: &str) -> Option<Page> {
        if let Some(info) = kbc_site::pages::Info::from_path(path) {
            return Some(Page::Info(info));
        }
        if kbc_site::assets::is_stylesheet_request(path) {
            return Some(Page::Stylesheet);
        }
        if path == kbc_site::assets::ICON_PATH || path == "/favicon.ico" {
            return Some(Page::Icon);
        }
        if let Some(key) = path
            .strip_prefix('/')
            .and_then(|rest| rest.strip_prefix(urls::IMAGES))
            .and_then(|rest| rest.strip_prefix('/'))
        {
            return valid_image_key(key).then(|| Page::Image(key.to_owned()));
        }
        let path = path
            .strip_suffix('/')
            .filter(|p| !p.is_empty())
            .unwrap_or(path);
        match path {
            urls::SITEMAP_PATH => return Some(Page::Sitemap),
            urls::ROBOTS_PATH => return Some(Page::Robots),
            urls::SUBMIT_THANKS => return Some(Page::SubmitThanks),
            _ => {}
        }
        let segments: Vec<&str> = path.split('/').skip(1).collect();
        let owned = |slug: &&str| (*slug).to_owned();
        Some(match segments.as_slice() {
            [""] => Page::Home,
            [urls::SEARCH] => Page::Search,
            [urls::CATEGORIES] => Page::Categories,
            [urls::CATEGORIES, slug] if !slug.is_empty() => Page::Category(owned(slug)),
            [urls::CITIES, slug] if !slug.is_empty() => Page::City(owned(slug)),
            [urls::BUSINESS, slug] if !slug.is_empty() => Page::Business(owned(slug)),
            [urls::BUSINESS, slug, urls::PAGE] if !slug.is_empty() => Page::OwnerPage(owned(slug)),
            [urls::BUSINESS, slug, urls::PING, click] if !slug.is_empty() => {
                use kbc_domain::analytics::EventKind;
                let kind = match *click {
                    "call" => EventKind::CallClick,
                    "website" => EventKind::WebsiteClick,
                    "directions" => EventKind::DirectionsClick,
                    _ => return None,
                };
                Page::Ping(owned(slug), kind)
            }
            [urls::SUBMIT] => Page::Submit,
            [urls::BLOG] => Page::Blog,
            [urls::BLOG, slug] if !slug.is_empty() => Page::Post(owned(slug)),
            _ => return None,
        })
    }

    /// The methods a page answers (for 405 and `Allow`).
    pub fn allow(&self) -> &'static str {
        match self {
            Page::Submit => "GET, HEAD, POST",
            Page::Ping(..) => "POST",
            _ => "GET, HEAD",
        }
    }

    /// The query parameters this page reads, in the order its cache key lists them; any
    /// other parameter changes nothing, so it shares the cached answer.
    pub fn reads(&self) -> &'static [&'static str] {
        match self {
            Page::Search => &["q", "city", "category", "page"],
            Page::Category(_) | Page::City(_) | Page::Blog => &["page"],
            Page::Business(_) => &["lead"],
            _ => &[],
        }
    }

    /// The path template, for logs (no path parameter is logged).
    pub fn template(&self) -> &'static str {
        match self {
            Page::Home => "/",
            Page::Search => "/search",
            Page::Categories => "/categories",
            Page::Category(_) => "/categories/{slug}",
            Page::City(_) => "/cities/{slug}",
            Page::Business(_) => "/business/{slug}",
            Page::OwnerPage(_) => "/business/{slug}/page",
            Page::Ping(..) => "/business/{slug}/ping/{link}",
            Page::Submit => "/submit",
            Page::SubmitThanks => "/submit/thanks",
            Page::Blog => "/blog",
            Page::Post(_) => "/blog/{slug}",
            Page::Info(info) => info.path(),
            Page::Sitemap => "/sitemap.xml",
            Page::Robots => "/robots.txt",
            Page::Stylesheet => "/assets/site.{hash}.css",
            Page::Icon => "/assets/icon.svg",
            Page::Image(_) => "/images/{key}",
        }
    }
}

/// The request methods the worker tells apart; anything else is `Other` and answers 405.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verb {
    Get,
    Head,
    Post,
    Options,
    Other,
}

impl Verb {
    /// Method names are case-sensitive (RFC 9110); only the exact names count.
    pub fn parse(method: &str) -> Self {
        match method {
            "GET" => Self::Get,
            "HEAD" => Self::Head,
            "POST" => Self::Post,
            "OPTIONS" => Self::Options,
            _ => Self::Other,
        }
    }
}

/// The route template of any path, for the request log: unmatched paths log as such.
pub fn template_of(path: &str) -> &'static str {
    if is_api_path(path) {
        Route::resolve(path).map_or("unmatched", |route| route.template())
    } else {
        Page::resolve(path).map_or("unmatched", |page| page.template())
    }
}

/// Image keys are ours: path segments of letters, digits, `-`, `_` and `.`, never `..`.
fn valid_image_key(key: &str) -> bool {
    !key.is_empty()
        && key.len() <= MAX_IMAGE_KEY
        && key.split('/').all(|segment| {
            !segment.is_empty()
                && segment != "."
                && segment != ".."
                && segment
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b))
        })
}

/// Whether a path belongs to the JSON API rather than the site.
pub fn is_api_path(path: &str) -> bool {
    path == "/health" || path == "/api" || path.starts_with("/api/")
}

/// A resolved route with its path parameter.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Route {
    Health,
    OpenApi,
    Categories,
    Businesses,
    Business(String),
    Leads(String),
    Stats,
    Submissions,
}

/// Whether a route is a read (cacheable, CORS-enabled) or a write.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Read,
    Write,
}

/// One documented operation: the OpenAPI path template and its method.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Operation {
    pub method: &'static str,
    pub path: &'static str,
}

/// Every operation the worker serves (HEAD and OPTIONS are implied for reads).
pub const OPERATIONS: &[Operation] = &[
    Operation {
        method: "get",
        path: "/health",
    },
    Operation {
        method: "get",
        path: "/api/v1/openapi.json",
    },
    Operation {
        method: "get",
        path: "/api/v1/categories",
    },
    Operation {
        method: "get",
        path: "/api/v1/businesses",
    },
    Operation {
        method: "get",
        path: "/api/v1/businesses/{slug}",
    },
    Operation {
        method: "post",
        path: "/api/v1/businesses/{slug}/leads",
    },
    Operation {
        method: "get",
        path: "/api/v1/stats",
    },
    Operation {
        method: "post",
        path: "/api/v1/submissions",
    },
];

/// The OpenAPI 3.1 document served at `/api/v1/openapi.json`.
pub const OPENAPI: &str = include_str!("../openapi.json");

impl Route {
    /// Matches a request path (without query). `None` is a 404.
    pub fn resolve(path: &str) -> Option<Route> {
        let path = path
            .strip_suffix('/')
            .filter(|p| !p.is_empty())
            .unwrap_or(path);
        let segments: Vec<&str> = path.split('/').skip(1).collect();
        Some(match segments.as_slice() {
            ["health"] => Route::Health,
            ["api", "v1", "openapi.json"] => Route::OpenApi,
            ["api", "v1", "categories"] => Route::Categories,
            ["api", "v1", "businesses"] => Route::Businesses,
            ["api", "v1", "businesses", slug] if !slug.is_empty() => {
                Route::Business((*slug).to_owned())
            }
            ["api", "v1", "businesses", slug, "leads"] if !slug.is_empty() => {
                Route::Leads((*slug).to_owned())
            }
            ["api", "v1", "stats"] => Route::Stats,
            ["api", "v1", "submissions"] => Route::Submissions,
            _ => return None,
        })
    }

    pub fn kind(&self) -> Kind {
        match self {
            Route::Leads(_) | Route::Submissions => Kind::Write,
            _ => Kind::Read,
        }
    }

    /// The `Allow` header value for this route.
    pub fn allow(&self) -> &'static str {
        match self.kind() {
            Kind::Read => "GET, HEAD, OPTIONS",
            Kind::Write => "POST, OPTIONS",
        }
    }

    /// The OpenAPI path template this route serves.
    pub fn template(&self) -> &'static str {
        match self {
            Route::Health => "/health",
            Route::OpenApi => "/api/v1/openapi.json",
            Route::Categories => "/api/v1/categories",
            Route::Businesses => "/api/v1/businesses",
            Route::Business(_) => "/api/v1/businesses/{slug}",
            Route::Leads(_) => "/api/v1/businesses/{slug}/leads",
            Route::Stats => "/api/v1/stats",
            Route::Submissions => "/api/v1/submissions",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;

    fn documented() -> serde_json::Value {
        serde_json::from_str(OPENAPI).expect("openapi.json is valid JSON")
    }

    #[test]
    fn the_openapi_document_is_version_3_1() {
        let doc = documented();
        assert!(doc["openapi"].as_str().unwrap().starts_with("3.1"));
        assert!(doc["info"]["title"].is_string() && doc["info"]["version"].is_string());
    }

    #[test]
    fn the_openapi_document_lists_exactly_the_served_operations() {
        let doc = documented();
        let in_doc: BTreeSet<(String, String)> = doc["paths"]
            .as_object()
            .unwrap()
            .iter()
            .flat_map(|(path, item)| {
                item.as_object()
                    .unwrap()
                    .keys()
                    .filter(|key| ["get", "post", "put", "patch", "delete"].contains(&key.as_str()))
                    .map(move |method| (method.clone(), path.clone()))
            })
            .collect();
        let served: BTreeSet<(String, String)> = OPERATIONS
            .iter()
            .map(|op| (op.method.to_owned(), op.path.to_owned()))
            .collect();
        assert_eq!(in_doc, served);
    }

    #[test]
    fn every_documented_path_resolves_to_the_route_with_that_template() {
        for op in OPERATIONS {
            let concrete = op.path.replace("{slug}", "some-business");
            let route =
                Route::resolve(&concrete).unwrap_or_else(|| panic!("{} does not resolve", op.path));
            assert_eq!(route.template(), op.path);
            let expected = if op.method == "post" {
                Kind::Write
            } else {
                Kind::Read
            };
            assert_eq!(route.kind(), expected, "{}", op.path);
        }
    }

    #[test]
    fn every_documented_operation_has_a_summary_and_responses_with_the_error_shape() {
        let doc = documented();
        for op in OPERATIONS {
            let operation = &doc["paths"][op.path][op.method];
            assert!(
                operation["summary"].is_string(),
                "{} {}",
                op.method,
                op.path
            );
            let responses = operation["responses"].as_object().unwrap();
            assert!(
                responses.keys().any(|code| code.starts_with('2')),
                "{} {}",
                op.method,
                op.path
            );
        }
        assert!(doc["components"]["schemas"]["Error"].is_object());
    }

    #[test]
    fn query_parameters_in_the_document_match_what_the_parser_accepts() {
        let doc = documented();
        // An exploded object parameter stands for one query parameter per property.
        let documented_params = |path: &str| -> BTreeSet<String> {
            doc["paths"][path]["get"]["parameters"]
                .as_array()
                .map(|params| {
                    params
                        .iter()
                        .filter(|p| p["in"] == "query")
                        .flat_map(|p| match p["schema"]["properties"].as_object() {
                            Some(properties) if p["explode"] == true => {
                                properties.keys().cloned().collect::<Vec<_>>()
                            }
                            _ => vec![p["name"].as_str().unwrap().to_owned()],
                        })
                        .collect()
                })
                .unwrap_or_default()
        };
        let accepted: BTreeSet<String> = crate::params::SEARCH_PARAMS
            .iter()
            .map(|s| s.to_string())
            .collect();
        assert_eq!(documented_params("/api/v1/businesses"), accepted);
        assert!(documented_params("/api/v1/categories").is_empty());
    }

    #[test]
    fn trailing_slashes_are_tolerated_and_unknown_paths_are_none() {
        assert_eq!(
            Route::resolve("/api/v1/categories/"),
            Some(Route::Categories)
        );
        assert_eq!(
            Route::resolve("/api/v1/businesses/x/leads"),
            Some(Route::Leads("x".into()))
        );
        for unknown in [
            "/",
            "/api",
            "/api/v2/categories",
            "/api/v1/businesses/x/y",
            "/api/v1//leads",
            "/health/x",
        ] {
            assert_eq!(Route::resolve(unknown), None, "{unknown}");
        }
    }

    #[test]
    fn writes_allow_post_and_reads_allow_get() {
        assert_eq!(Route::Submissions.allow(), "POST, OPTIONS");
        assert_eq!(Route::Stats.allow(), "GET, HEAD, OPTIONS");
    }

    #[test]
    fn site_paths_resolve_to_their_pages() {
        use kbc_site::pages::Info;
        let cases = [
            ("/", Page::Home),
            ("/search", Page::Search),
            ("/categories/", Page::Categories),
            ("/categories/plumbing", Page::Category("plumbing".into())),
            ("/cities/broken-bow", Page::City("broken-bow".into())),
            (
                "/business/kiamichi-plumbing-idabel",
                Page::Business("kiamichi-plumbing-idabel".into()),
            ),
            (
                "/business/kiamichi-plumbing-idabel/page",
                Page::OwnerPage("kiamichi-plumbing-idabel".into()),
            ),
            (
                "/business/kiamichi-plumbing-idabel/ping/call",
                Page::Ping(
                    "kiamichi-plumbing-idabel".into(),
                    kbc_domain::analytics::EventKind::CallClick,
                ),
            ),
            ("/submit", Page::Submit),
            ("/submit/thanks", Page::SubmitThanks),
            ("/blog", Page::Blog),
            ("/blog/spring-fair", Page::Post("spring-fair".into())),
            ("/about", Page::Info(Info::About)),
            ("/terms", Page::Info(Info::Terms)),
            ("/sitemap.xml", Page::Sitemap),
            ("/robots.txt", Page::Robots),
            ("/favicon.ico", Page::Icon),
            ("/assets/icon.svg", Page::Icon),
            (
                "/images/photos/12/front.jpg",
                Page::Image("photos/12/front.jpg".into()),
            ),
        ];
        for (path, page) in cases {
            assert_eq!(Page::resolve(path), Some(page), "{path}");
        }
        assert_eq!(
            Page::resolve(kbc_site::assets::stylesheet_path()),
            Some(Page::Stylesheet)
        );
    }

    #[test]
    fn unknown_site_paths_and_unsafe_image_keys_are_not_pages() {
        for path in [
            "/nope",
            "/business",
            "/business/a/b",
            "/images/",
            "/images/../secret",
            "/images/a//b",
            "/images/a b.png",
            "/images/%2e%2e/x",
        ] {
            assert_eq!(Page::resolve(path), None, "{path}");
        }
    }

    #[test]
    fn only_exact_method_names_are_known_verbs() {
        assert_eq!(Verb::parse("GET"), Verb::Get);
        assert_eq!(Verb::parse("POST"), Verb::Post);
        for other in ["QUERY", "get", "FOO", "", "PUT", "DELETE"] {
            assert_eq!(Verb::parse(other), Verb::Other, "{other}");
        }
    }

    #[test]
    fn logged_templates_never_carry_path_parameters() {
        assert_eq!(
            template_of("/business/jane-doe-plumbing"),
            "/business/{slug}"
        );
        assert_eq!(
            template_of("/api/v1/businesses/x/leads"),
            "/api/v1/businesses/{slug}/leads"
        );
        assert_eq!(template_of("/images/photos/1/a.png"), "/images/{key}");
        assert_eq!(template_of("/no/such/jane@example.com"), "unmatched");
        assert_eq!(template_of("/about"), "/about");
    }

    #[test]
    fn pages_read_only_their_own_parameters() {
        assert_eq!(Page::Sitemap.reads(), &[] as &[&str]);
        assert_eq!(Page::Search.reads(), ["q", "city", "category", "page"]);
        assert_eq!(Page::Business("x".into()).reads(), ["lead"]);
    }

    #[test]
    fn api_paths_are_told_apart_from_site_paths() {
        assert!(is_api_path("/health") && is_api_path("/api/v1/categories") && is_api_path("/api"));
        assert!(!is_api_path("/apiary") && !is_api_path("/") && !is_api_path("/business/x"));
    }
}
