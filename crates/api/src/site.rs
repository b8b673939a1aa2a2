//! The public site over HTTP: routes pages to `kbc-site`, caches their HTML through KV under
//! the cache generation, handles the two forms, streams photos from R2, and puts the
//! security headers on every page. Every failure is a friendly page, never a stack trace.

use crate::app::{client_hash, header, read_through, set};
use crate::params::MAX_BODY_BYTES;
use crate::routes::Page;
use kbc_domain::db::d1::D1;
use kbc_domain::error::{DomainError, DomainResult};
use kbc_domain::photos;
use kbc_domain::rate_limit::{self, Limit};
use kbc_domain::search::SearchParams;
use kbc_domain::values::{Slug, parse_bounded};
use kbc_domain::{blog, categories, directory, leads, submissions};
use kbc_edge::etag;
use kbc_edge::runtime::{self, without_body};
use kbc_site::forms::{Form, FormState, same_origin_post};
use kbc_site::pages::*;
use kbc_site::{assets, seo};
use worker::{Context, Env, Method, Request, Response, console_error};

const MEDIA_BINDING: &str = "MEDIA";
/// No script runs on the site; styles and images come from this origin only.
const CONTENT_SECURITY_POLICY: &str = "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; \
     base-uri 'none'; frame-ancestors 'none'";
/// HTML may be reused briefly by browsers, then revalidated with its ETag.
const PAGE_CACHE_CONTROL: &str = "public, max-age=60, stale-while-revalidate=300";
/// Pages are cached per five minutes so "open now" and scheduled posts stay current.
const PAGE_TIME_BUCKET: i64 = 300;

/// Answers any site request; never fails.
pub async fn serve(mut req: Request, env: &Env, ctx: &Context) -> Response {
    let Ok(url) = req.url() else {
        return problem(&site_for(env, None), 400, "That address could not be read.");
    };
    let site = site_for(env, Some(&url));
    let Some(page) = Page::resolve(url.path()) else {
        return not_found(&site, "There is no page at this address.");
    };
    let method = req.method();
    let response = match (method.clone(), &page) {
        (Method::Get | Method::Head, _) => get(&req, env, ctx, &site, &page, url.query()).await,
        (Method::Post, Page::Submit) => submit_form(&mut req, env, &site).await,
        _ => {
            let response = problem(&site, 405, "This page cannot be used that way.");
            set(&response, "Allow", page.allow());
            response
        }
    };
    if method == Method::Head {
        without_body(response)
    } else {
        response
    }
}

/// The site's own origin: configured for deployments, else the one the request came to.
fn site_for(env: &Env, url: Option<&url::Url>) -> Site {
    let origin = runtime::var(env, "SITE_ORIGIN")
        .or_else(|| url.map(|u| u.origin().ascii_serialization()))
        .unwrap_or_else(|| "https://kiamichibizconnect.com".into());
    Site {
        origin: origin.trim_end_matches('/').to_owned(),
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
        Page::Image(key) => return image(env, key).await,
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
    let Ok(db) = runtime::database(env) else {
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
    let page_number = match param("page").filter(|p| !p.is_empty()) {
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
    // The cache key is the page plus the parameters it reads, in a fixed order.
    let canonical = format!(
        "{page:?}|{}|{}|{}|{}|{page_number}|{lead_sent}|{}",
        param("q").unwrap_or_default(),
        param("city").unwrap_or_default(),
        param("category").unwrap_or_default(),
        site.origin,
        site.now / PAGE_TIME_BUCKET
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
                Page::Sitemap => Some(sitemap(&db, site).await?),
                _ => None,
            }
            // An empty body marks "no such page" in the cache too.
            .unwrap_or_default(),
        )
    };
    let (body, cache_status) = match read_through(env, ctx, &db, "page", &canonical, compute).await
    {
        Ok(found) => found,
        Err(err) => {
            console_error!("page {page:?} failed: {err}");
            return unavailable(site);
        }
    };
    if body.is_empty() {
        return not_found(site, "We have nothing at this address.");
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
    set(&response, "X-Cache", cache_status);
    response
}

/// Answers 304 when the browser's copy is current.
fn with_etag(req: &Request, response: Response, body: &str) -> Response {
    let tag = etag::of(body.as_bytes());
    if header(req, "If-None-Match").is_some_and(|h| etag::matches(&h, &tag)) {
        let not_modified = html(304, String::new());
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
                path: format!("/categories/{}", node.slug),
                lastmod: None,
            });
            walk(&node.children, urls);
        }
    }
    walk(&categories::tree(db).await?, &mut urls);
    for city in directory::cities(db).await? {
        urls.push(seo::SitemapUrl {
            path: format!("/cities/{}", city.slug),
            lastmod: None,
        });
    }
    for listed in directory::all_public(db).await? {
        urls.push(seo::SitemapUrl {
            path: format!("/business/{}", listed.slug),
            lastmod: date(listed.updated_at),
        });
    }
    for post in blog::published(db, site.now, 10_000, 0).await? {
        urls.push(seo::SitemapUrl {
            path: format!("/blog/{}", post.slug),
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

/// A photo streamed from R2. Only raster types are served inline; anything else is sent
/// as a download so no upload can run as a page or a script on our origin.
async fn image(env: &Env, key: &str) -> Response {
    let missing = || {
        text(
            404,
            "Image not found.".into(),
            "text/plain; charset=utf-8",
            "public, max-age=60",
        )
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
    let stored_type = object.http_metadata().content_type.unwrap_or_default();
    let inline_type = photos::parse_content_type("content_type", &stored_type).ok();
    let http_etag = object.http_etag();
    let Some(body) = object.body() else {
        return missing();
    };
    let Ok(body) = body.response_body() else {
        return missing();
    };
    let response = Response::from_body(body).unwrap_or_else(|_| missing());
    set(
        &response,
        "Content-Type",
        inline_type.unwrap_or("application/octet-stream"),
    );
    if inline_type.is_none() {
        set(&response, "Content-Disposition", "attachment");
    }
    set(&response, "X-Content-Type-Options", "nosniff");
    set(
        &response,
        "Content-Security-Policy",
        "default-src 'none'; sandbox",
    );
    set(
        &response,
        "Cache-Control",
        "public, max-age=31536000, immutable",
    );
    set(&response, "ETag", &http_etag);
    response
}

/// Reads a form body within the size limit, after checking it came from our own pages.
async fn read_form(req: &mut Request, site: &Site) -> Result<Form, Response> {
    let from_us = same_origin_post(
        &site.origin,
        header(req, "Origin").as_deref(),
        header(req, "Referer").as_deref(),
        header(req, "Sec-Fetch-Site").as_deref(),
    );
    if !from_us {
        return Err(problem(
            site,
            403,
            "Forms can only be sent from pages of this site. Please go back and send it again from there.",
        ));
    }
    if header(req, "Content-Length")
        .and_then(|l| l.parse::<usize>().ok())
        .is_some_and(|l| l > MAX_BODY_BYTES)
    {
        return Err(problem(
            site,
            413,
            "That was more text than this form accepts. Please shorten it and send again.",
        ));
    }
    match req.bytes().await {
        Ok(bytes) if bytes.len() <= MAX_BODY_BYTES => Ok(Form::parse(&bytes)),
        Ok(_) => Err(problem(
            site,
            413,
            "That was more text than this form accepts. Please shorten it and send again.",
        )),
        Err(_) => Err(problem(
            site,
            400,
            "The form could not be read. Please try again.",
        )),
    }
}

/// Counts a form post against the client's limit; a friendly 429 page past it.
async fn within_limit(db: &D1, limit: Limit, client: &str, site: &Site) -> Result<(), Response> {
    match rate_limit::hit(db, limit, client, site.now).await {
        Ok(()) => Ok(()),
        Err(DomainError::RateLimited { retry_after }) => {
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
        Err(err) => {
            console_error!("rate limit check failed: {err}");
            Err(unavailable(site))
        }
    }
}

/// `POST /submit`: a new listing for moderation; errors come back on the form as typed.
async fn submit_form(req: &mut Request, env: &Env, site: &Site) -> Response {
    let form = match read_form(req, site).await {
        Ok(form) => form,
        Err(response) => return response,
    };
    let Ok(db) = runtime::database(env) else {
        return unavailable(site);
    };
    let client = client_hash(req, env);
    if let Err(response) = within_limit(&db, rate_limit::SUBMISSIONS, &client, site).await {
        return response;
    }
    let input = form.submission();
    if input.is_bot() {
        return see_other("/submit/thanks");
    }
    let errors = match input.parse() {
        Ok(submission) => match submissions::create(&db, &submission, &client, site.now).await {
            Ok(_) => return see_other("/submit/thanks"),
            Err(DomainError::Invalid(errors)) => errors,
            Err(err) => {
                console_error!("storing a submission failed: {err}");
                return unavailable(site);
            }
        },
        Err(errors) => errors,
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
    let form = match read_form(req, &site).await {
        Ok(form) => form,
        Err(response) => return response,
    };
    let Ok(slug) = Slug::parse("slug", slug) else {
        return not_found(&site, "That business is not listed.");
    };
    let Ok(db) = runtime::database(env) else {
        return unavailable(&site);
    };
    let client = client_hash(req, env);
    if let Err(response) = within_limit(&db, rate_limit::LEADS, &client, &site).await {
        return response;
    }
    let sent = format!("/business/{slug}?lead=sent#contact");
    let input = form.lead();
    if input.is_bot() {
        return see_other(&sent);
    }
    let errors = match input.parse() {
        Ok(lead) => match leads::create(&db, &slug, &lead, &client, site.now).await {
            Ok(_) => return see_other(&sent),
            Err(DomainError::NotFound(_)) => {
                return not_found(&site, "That business is not listed.");
            }
            Err(DomainError::Invalid(errors)) => errors,
            Err(err) => {
                console_error!("storing a lead failed: {err}");
                return unavailable(&site);
            }
        },
        Err(errors) => errors,
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
