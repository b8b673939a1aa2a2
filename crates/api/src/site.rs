//! The public site over HTTP: routes pages to `kbc-site`, caches their HTML (see
//! [`crate::page_cache`]), handles the two forms, streams photos of public listings from R2,
//! and puts the security headers on every page. Every failure is a friendly page, never a
//! stack trace.

use crate::analytics;
use crate::http::{self, BodyError, header, set};
use crate::page_cache;
use crate::params::MAX_BODY_BYTES;
use crate::routes::{Page, Verb};
use kbc_domain::FieldError;
use kbc_domain::analytics::EventKind;
use kbc_domain::blob::{BlobStore, R2Store};
use kbc_domain::db::DbError;
use kbc_domain::db::d1::D1;
use kbc_domain::error::{DomainError, DomainResult};
use kbc_domain::public_writes::{self, Outcome};
use kbc_domain::search::SearchParams;
use kbc_domain::values::{Slug, parse_bounded};
use kbc_domain::{blog, categories, directory};
use kbc_domain::{page_builder, photos};
use kbc_edge::etag;
use kbc_edge::runtime::{self, without_body};
use kbc_site::forms::{Form, FormState, same_origin_post};
use kbc_site::pages::*;
use kbc_site::{assets, seo, urls};
use worker::{Context, Env, Request, Response, console_error};

const MEDIA_BINDING: &str = "MEDIA";
/// No script runs on the site; styles and images come from this origin only, and the only
/// request a page makes by itself is a link's click report (`<a ping>`, which `connect-src`
/// governs) to this origin.
const CONTENT_SECURITY_POLICY: &str = "default-src 'none'; style-src 'self'; img-src 'self'; connect-src 'self'; \
     form-action 'self'; base-uri 'none'; frame-ancestors 'none'";
/// HTML may be reused briefly by browsers, then revalidated with its ETag.
const PAGE_CACHE_CONTROL: &str = "public, max-age=60, stale-while-revalidate=300";
/// Pages are cached per five minutes so "open now" and scheduled posts stay current.
const PAGE_TIME_BUCKET: i64 = 300;

/// Answers any site request; never fails.
pub async fn serve(req: &mut Request, env: &Env, ctx: &Context) -> Response {
    let Ok(url) = req.url() else {
        return problem(&site_for(env, None), 400, "That address could not be read.");
    };
    let site = site_for(env, Some(&url));
    let Some(page) = Page::resolve(url.path()) else {
        return not_found(&site, "There is no page at this address.");
    };
    let verb = http::verb(req);
    let response = match (verb, &page) {
        (Verb::Get | Verb::Head, _) => get(req, env, ctx, &site, &page, url.query()).await,
        (Verb::Post, Page::Submit) => submit_form(req, env, &site).await,
        (Verb::Post, Page::Ping(slug, kind)) => {
            // Only a browser's ping from one of our own pages counts.
            if is_our_ping(req, &site) {
                analytics::collect(req, env, ctx, *kind, vec![slug.clone()]);
            }
            let response = runtime::empty(204);
            set(&response, "Cache-Control", "no-store");
            response
        }
        _ => {
            let response = problem(&site, 405, "This page cannot be used that way.");
            set(&response, "Allow", page.allow());
            response
        }
    };
    if verb == Verb::Head {
        without_body(response)
    } else {
        response
    }
}

/// Whether a click report is a browser's `<a ping>` from our own page: pings are sent as
/// `text/ping`, with `Ping-From` naming the page, or at least `Sec-Fetch-Site: same-origin`.
fn is_our_ping(req: &Request, site: &Site) -> bool {
    let is_ping =
        header(req, "Content-Type").is_some_and(|t| t.trim().eq_ignore_ascii_case("text/ping"));
    let from_us = header(req, "Ping-From")
        .map(|from| from.starts_with(&format!("{}/", site.origin)))
        .or_else(|| header(req, "Sec-Fetch-Site").map(|s| s == "same-origin"))
        .unwrap_or(false);
    is_ping && from_us
}

/// The site's own origin: configured for deployments, else the one the request came to.
fn site_for(env: &Env, url: Option<&url::Url>) -> Site {
    let origin = runtime::var(env, "SITE_ORIGIN")
        .or_else(|| url.map(|u| u.origin().ascii_serialization()))
        .unwrap_or_else(|| "https://kiamichibizconnect.com".into());
    let app_origin = runtime::var(env, "APP_ORIGIN")
        .unwrap_or_else(|| "https://app.kiamichibizconnect.com".into());
    Site {
        origin: origin.trim_end_matches('/').to_owned(),
        app_origin: app_origin.trim_end_matches('/').to_owned(),
        now: runtime::now(),
    }
}

async fn get(
    req: &Request,
    env: &Env,
    ctx: &Context,
    site: &Site,
    page: &Page,
    query: Option<&str>,
) -> Response {
    match page {
        Page::Stylesheet => return stylesheet(req),
        Page::Icon => return icon(req),
        Page::Image(key) => return image(env, ctx, site, key).await,
        Page::Robots => {
            return text(
                200,
                seo::robots(&site.origin),
                "text/plain; charset=utf-8",
                "public, max-age=86400",
            );
        }
        Page::SubmitThanks => return html(200, ThanksPage::new(site).html()),
        Page::Info(info) => return html(200, InfoPage::new(site, *info).html()),
        _ => {}
    }
    let Ok(db) = runtime::read_database(env) else {
        return unavailable(site);
    };
    let pairs: Vec<(String, String)> = url::form_urlencoded::parse(query.unwrap_or("").as_bytes())
        .into_owned()
        .collect();
    let param = |name: &str| {
        pairs
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.clone())
    };
    // Only a page that reads `page` judges it: `/sitemap.xml?page=x` is the sitemap.
    let page_number =
        match param("page").filter(|p| !p.is_empty() && page.reads().contains(&"page")) {
            None => 1,
            Some(raw) => match parse_bounded("page", &raw, 1, 1000) {
                Ok(number) => number,
                Err(_) => {
                    return problem(
                        site,
                        400,
                        "The page number must be a whole number from 1 to 1000.",
                    );
                }
            },
        };
    let lead_sent = param("lead").as_deref() == Some("sent");
    // The key holds only what the page reads: its path, its own parameters (so any other
    // parameter shares the answer), the origin its links use, and the five-minute bucket.
    let path = format!("{page:?}");
    let read_values: Vec<String> = page
        .reads()
        .iter()
        .map(|name| match *name {
            "page" => page_number.to_string(),
            "lead" => lead_sent.to_string(),
            other => param(other).unwrap_or_default(),
        })
        .collect();
    let bucket = (site.now / PAGE_TIME_BUCKET).to_string();
    let mut key_params: Vec<(&str, &str)> = vec![
        ("view", path.as_str()),
        ("origin", site.origin.as_str()),
        ("bucket", bucket.as_str()),
    ];
    key_params.extend(
        page.reads()
            .iter()
            .copied()
            .zip(read_values.iter().map(String::as_str)),
    );
    let compute = async {
        Ok::<_, DomainError>(
            match page {
                Page::Home => Some(HomePage::load(&db, site).await?.html()),
                Page::Search => {
                    let params = SearchParams {
                        q: param("q"),
                        city: param("city"),
                        category: param("category"),
                        page: Some(page_number.to_string()),
                        ..SearchParams::default()
                    };
                    Some(SearchResultsPage::load(&db, site, &params).await?.html())
                }
                Page::Categories => Some(CategoriesPage::load(&db, site).await?.html()),
                Page::Category(slug) => CategoryPage::load(&db, site, slug, page_number)
                    .await?
                    .map(|p| p.html()),
                Page::City(slug) => CityPage::load(&db, site, slug, page_number)
                    .await?
                    .map(|p| p.html()),
                Page::Business(slug) => {
                    BusinessPage::load(&db, site, slug, FormState::default(), lead_sent)
                        .await?
                        .map(|p| p.html())
                }
                Page::Submit => Some(
                    SubmitPage::load(&db, site, FormState::default())
                        .await?
                        .html(),
                ),
                Page::Blog => Some(BlogPage::load(&db, site, page_number).await?.html()),
                Page::Post(slug) => PostPage::load(&db, site, slug).await?.map(|p| p.html()),
                Page::OwnerPage(slug) => owner_page(env, &db, slug).await?,
                Page::Sitemap => Some(sitemap(&db, site).await?),
                _ => None,
            }
            // An empty body marks "no such page" in the cache too.
            .unwrap_or_default(),
        )
    };
    let cached = page_cache::read_through(env, ctx, &db, "page", &key_params, compute).await;
    let (body, cache_status) = match cached {
        Ok(found) => found,
        Err(err) => {
            console_error!("page {page:?} failed: {err}");
            return unavailable(site);
        }
    };
    if body.is_empty() {
        return not_found(site, "We have nothing at this address.");
    }
    if http::verb(req) == Verb::Get {
        match page {
            Page::Business(slug) => {
                analytics::collect(req, env, ctx, EventKind::View, vec![slug.clone()]);
            }
            Page::Search => {
                let shown = kbc_site::view::listed_slugs(&body);
                analytics::collect(req, env, ctx, EventKind::SearchAppearance, shown);
            }
            _ => {}
        }
    }
    let response = if *page == Page::Sitemap {
        text(
            200,
            body,
            "application/xml; charset=utf-8",
            "public, max-age=3600",
        )
    } else {
        with_etag(req, html(200, body.clone()), &body)
    };
    set(&response, "X-Cache", cache_status.as_str());
    response
}

/// The current snapshot of a business's own page, while the listing is public; served
/// under the site's headers and CSP like every page.
async fn owner_page(env: &Env, db: &D1, slug: &str) -> DomainResult<Option<String>> {
    let Ok(slug) = Slug::parse("slug", slug) else {
        return Ok(None);
    };
    let Some(key) = page_builder::current_for_public(db, &slug).await? else {
        return Ok(None);
    };
    let store_error = |e: String| DomainError::Database(DbError(format!("page snapshot: {e}")));
    let bucket = env
        .bucket(MEDIA_BINDING)
        .map_err(|e| store_error(e.to_string()))?;
    let found = R2Store(bucket)
        .get(&key)
        .await
        .map_err(|e| store_error(e.0))?;
    Ok(found.and_then(|blob| String::from_utf8(blob.bytes).ok()))
}

/// Answers 304 when the browser's copy is current, with the headers the 200 would carry.
fn with_etag(req: &Request, response: Response, body: &str) -> Response {
    let tag = etag::of(body.as_bytes());
    if header(req, "If-None-Match").is_some_and(|h| etag::matches(&h, &tag)) {
        let not_modified = without_body(response).with_status(304);
        set(&not_modified, "ETag", &tag);
        return not_modified;
    }
    set(&response, "ETag", &tag);
    response
}

async fn sitemap(db: &D1, site: &Site) -> DomainResult<String> {
    let date = |unix: i64| Some(kbc_domain::hours::local_date(unix));
    let mut urls = vec![
        seo::SitemapUrl {
            path: "/".into(),
            lastmod: None,
        },
        seo::SitemapUrl {
            path: "/categories".into(),
            lastmod: None,
        },
        seo::SitemapUrl {
            path: "/blog".into(),
            lastmod: None,
        },
        seo::SitemapUrl {
            path: "/submit".into(),
            lastmod: None,
        },
    ];
    urls.extend(Info::ALL.iter().map(|info| seo::SitemapUrl {
        path: info.path().into(),
        lastmod: None,
    }));
    fn walk(nodes: &[categories::CategoryNode], urls: &mut Vec<seo::SitemapUrl>) {
        for node in nodes {
            urls.push(seo::SitemapUrl {
                path: urls::category(&node.slug),
                lastmod: None,
            });
            walk(&node.children, urls);
        }
    }
    walk(&categories::tree(db).await?, &mut urls);
    for city in directory::cities(db).await? {
        urls.push(seo::SitemapUrl {
            path: urls::city(&city.slug),
            lastmod: None,
        });
    }
    for listed in directory::all_public(db).await? {
        urls.push(seo::SitemapUrl {
            path: urls::business(&listed.slug),
            lastmod: date(listed.updated_at),
        });
        if let Some(published_at) = listed.page_published_at {
            urls.push(seo::SitemapUrl {
                path: urls::business_page(&listed.slug),
                lastmod: date(published_at),
            });
        }
    }
    for post in blog::published(db, site.now, 10_000, 0).await? {
        urls.push(seo::SitemapUrl {
            path: urls::post(&post.slug),
            lastmod: date(post.updated_at.max(post.published_at)),
        });
    }
    Ok(seo::sitemap(&site.origin, &urls))
}

/// The stylesheet at its fingerprinted path; older fingerprints move to the current one.
fn stylesheet(req: &Request) -> Response {
    let current = assets::stylesheet_path();
    if req.path() != current {
        let response = text(
            301,
            String::new(),
            "text/plain; charset=utf-8",
            "public, max-age=300",
        );
        set(&response, "Location", current);
        return response;
    }
    text(
        200,
        assets::STYLESHEET.to_owned(),
        "text/css; charset=utf-8",
        "public, max-age=31536000, immutable",
    )
}

/// The site icon; `/favicon.ico`, which browsers ask for by habit, moves to it.
fn icon(req: &Request) -> Response {
    if req.path() != assets::ICON_PATH {
        let response = text(
            301,
            String::new(),
            "text/plain; charset=utf-8",
            "public, max-age=86400",
        );
        set(&response, "Location", assets::ICON_PATH);
        return response;
    }
    let response = text(
        200,
        assets::ICON.to_owned(),
        "image/svg+xml",
        "public, max-age=604800",
    );
    set(&response, "Content-Security-Policy", "default-src 'none'");
    response
}

/// A photo of a public listing streamed from R2. The database decides what is served, not
/// R2: a removed photo, or any photo of a hidden or unpublished listing, is a 404 even while
/// its object still exists. Only raster types are served, each as its recorded type. That
/// decision is cached like any public answer (photo changes bump the cache generation), so
/// a listing page's photos cost no D1 query per visitor.
async fn image(env: &Env, ctx: &Context, site: &Site, key: &str) -> Response {
    let missing = || {
        text(
            404,
            "Image not found.".into(),
            "text/plain; charset=utf-8",
            "public, max-age=60",
        )
    };
    let Ok(db) = runtime::read_database(env) else {
        return unavailable(site);
    };
    // The recorded content type, or "" for a key that is no public listing's photo.
    let lookup = async {
        let servable = photos::servable(&db, key).await?;
        Ok::<_, DbError>(servable.unwrap_or_default().to_owned())
    };
    let content_type =
        match page_cache::read_through(env, ctx, &db, "photo", &[("key", key)], lookup).await {
            Ok((content_type, _)) => content_type,
            Err(err) => {
                console_error!("photo lookup failed: {err}");
                return unavailable(site);
            }
        };
    let Ok(content_type) = photos::parse_content_type("content_type", &content_type) else {
        return missing();
    };
    let Ok(bucket) = env.bucket(MEDIA_BINDING) else {
        return missing();
    };
    let object = match bucket.get(key).execute().await {
        Ok(Some(object)) => object,
        Ok(None) => return missing(),
        Err(err) => {
            console_error!("R2 get failed: {err}");
            return text(
                503,
                "Image temporarily unavailable.".into(),
                "text/plain; charset=utf-8",
                "no-store",
            );
        }
    };
    let http_etag = object.http_etag();
    let Some(body) = object.body() else {
        return missing();
    };
    let Ok(body) = body.response_body() else {
        return missing();
    };
    let response = worker::ResponseBuilder::new().body(body);
    set(&response, "Content-Type", content_type);
    set(&response, "X-Content-Type-Options", "nosniff");
    set(
        &response,
        "Content-Security-Policy",
        "default-src 'none'; sandbox",
    );
    // A key named by its content never changes meaning; any other key may be replaced.
    set(
        &response,
        "Cache-Control",
        if photos::is_content_addressed(key) {
            "public, max-age=31536000, immutable"
        } else {
            "public, max-age=300"
        },
    );
    set(&response, "ETag", &http_etag);
    response
}

/// Refuses a form post that did not come from our own pages.
fn check_origin(req: &Request, site: &Site) -> Result<(), Response> {
    let from_us = same_origin_post(
        &site.origin,
        header(req, "Origin").as_deref(),
        header(req, "Referer").as_deref(),
        header(req, "Sec-Fetch-Site").as_deref(),
    );
    if from_us {
        Ok(())
    } else {
        Err(problem(
            site,
            403,
            "Forms can only be sent from pages of this site. Please go back and send it again from there.",
        ))
    }
}

/// Reads a form body within the size limit, cutting off a longer one as it streams in.
async fn read_form(req: &mut Request, site: &Site) -> Result<Form, Response> {
    match http::read_body(req, MAX_BODY_BYTES).await {
        Ok(bytes) => Ok(Form::parse(&bytes)),
        Err(BodyError::TooLarge) => Err(problem(
            site,
            413,
            "That was more text than this form accepts. Please shorten it and send again.",
        )),
        Err(BodyError::Unreadable) => Err(problem(
            site,
            400,
            "The form could not be read. Please try again.",
        )),
    }
}

/// A failed form post: the field errors to show on the form again (`Ok`), or the page to
/// answer with — 429 past the rate limit, 404 for a business that is not listed.
fn refused(err: DomainError, site: &Site) -> Result<Vec<FieldError>, Response> {
    match err {
        DomainError::Invalid(errors) => Ok(errors),
        DomainError::RateLimited { retry_after } => {
            let minutes = (retry_after + 59) / 60;
            let response = problem(
                site,
                429,
                &format!(
                    "You have sent several forms in a short time. Please try again in about {minutes} minutes."
                ),
            );
            set(&response, "Retry-After", &retry_after.max(1).to_string());
            Err(response)
        }
        DomainError::NotFound(_) => Err(not_found(site, "That business is not listed.")),
        err => {
            console_error!("a form post failed: {err}");
            Err(unavailable(site))
        }
    }
}

/// Admission refused: the page that says why.
fn not_admitted(err: DomainError, site: &Site) -> Response {
    refused(err, site)
        .err()
        .unwrap_or_else(|| unavailable(site))
}

/// `POST /submit`: a new listing for moderation; errors come back on the form as typed.
async fn submit_form(req: &mut Request, env: &Env, site: &Site) -> Response {
    if let Err(response) = check_origin(req, site) {
        return response;
    }
    let Ok(db) = runtime::database(env) else {
        return unavailable(site);
    };
    let client = http::client_hash(req, env);
    // Admitted before the body is read: a client past its limit costs no upload.
    let permit = match public_writes::admit_submission(&db, &client, site.now).await {
        Ok(permit) => permit,
        Err(err) => return not_admitted(err, site),
    };
    let form = match read_form(req, site).await {
        Ok(form) => form,
        Err(response) => return response,
    };
    let errors = match permit.submit(&db, &form.submission()).await {
        Ok(Outcome::Stored(_) | Outcome::Trapped) => return see_other(urls::SUBMIT_THANKS),
        Err(err) => match refused(err, site) {
            Ok(errors) => errors,
            Err(response) => return response,
        },
    };
    match SubmitPage::load(&db, site, FormState::with_errors(form, errors)).await {
        Ok(page) => html(422, page.html()),
        Err(_) => unavailable(site),
    }
}

/// A lead sent from a business page's form to `POST /api/v1/businesses/{slug}/leads`:
/// back to the page with a confirmation, or with the form and its errors.
pub async fn lead_form(req: &mut Request, env: &Env, slug: &str) -> Response {
    let site = site_for(env, req.url().ok().as_ref());
    if let Err(response) = check_origin(req, &site) {
        return response;
    }
    let Ok(slug) = Slug::parse("slug", slug) else {
        return not_found(&site, "That business is not listed.");
    };
    let Ok(db) = runtime::database(env) else {
        return unavailable(&site);
    };
    let client = http::client_hash(req, env);
    let permit = match public_writes::admit_lead(&db, &client, site.now).await {
        Ok(permit) => permit,
        Err(err) => return not_admitted(err, &site),
    };
    let form = match read_form(req, &site).await {
        Ok(form) => form,
        Err(response) => return response,
    };
    let errors = match permit.send(&db, &slug, &form.lead()).await {
        Ok(Outcome::Stored(_) | Outcome::Trapped) => {
            return see_other(&urls::lead_sent(slug.as_str()));
        }
        Err(err) => match refused(err, &site) {
            Ok(errors) => errors,
            Err(response) => return response,
        },
    };
    match BusinessPage::load(
        &db,
        &site,
        slug.as_str(),
        FormState::with_errors(form, errors),
        false,
    )
    .await
    {
        Ok(Some(page)) => html(422, page.html()),
        Ok(None) => not_found(&site, "That business is not listed."),
        Err(_) => unavailable(&site),
    }
}

fn see_other(location: &str) -> Response {
    let response = text(303, String::new(), "text/plain; charset=utf-8", "no-store");
    set(&response, "Location", location);
    response
}

fn not_found(site: &Site, what: &str) -> Response {
    html(404, ProblemPage::not_found(site, what).html())
}

fn problem(site: &Site, status: u16, message: &str) -> Response {
    let heading = match status {
        403 => "That form came from somewhere else",
        405 => "That doesn’t work here",
        413 => "That was too long",
        429 => "Please slow down",
        _ => "Something is not right",
    };
    html(status, ProblemPage::failure(site, heading, message).html())
}

fn unavailable(site: &Site) -> Response {
    let response = html(
        503,
        ProblemPage::failure(
            site,
            "We’ll be right back",
            "The directory is having a problem on our side. Please try again in a minute.",
        )
        .html(),
    );
    set(&response, "Retry-After", "60");
    response
}

/// An HTML answer with the site's security headers; only 200s may be cached.
fn html(status: u16, body: String) -> Response {
    let response = runtime::text_response(status, body, "text/html; charset=utf-8");
    set(
        &response,
        "Content-Security-Policy",
        CONTENT_SECURITY_POLICY,
    );
    set(
        &response,
        "Strict-Transport-Security",
        "max-age=63072000; includeSubDomains; preload",
    );
    set(
        &response,
        "Referrer-Policy",
        "strict-origin-when-cross-origin",
    );
    set(&response, "X-Frame-Options", "DENY");
    set(
        &response,
        "Permissions-Policy",
        "geolocation=(), camera=(), microphone=(), interest-cohort=()",
    );
    set(
        &response,
        "Cache-Control",
        if status == 200 {
            PAGE_CACHE_CONTROL
        } else {
            "no-store"
        },
    );
    response
}

fn text(status: u16, body: String, content_type: &str, cache_control: &str) -> Response {
    let response = runtime::text_response(status, body, content_type);
    set(&response, "Cache-Control", cache_control);
    response
}
