//! The fetch handler: JSON API requests (`/api/...`, `/health`) are answered here with the
//! caching, CORS and error conventions every endpoint shares; everything else is the public
//! site in [`crate::site`].

use crate::params::{self, MAX_BODY_BYTES};
use crate::routes::{self, Kind, OPENAPI, Route};
use crate::site;
use kbc_domain::cache::{self, Cache, KvCache};
use kbc_domain::db::d1::D1;
use kbc_domain::leads::LeadInput;
use kbc_domain::rate_limit;
use kbc_domain::search::{self, SearchQuery};
use kbc_domain::submissions::SubmissionInput;
use kbc_domain::values::Slug;
use kbc_domain::{categories, directory, leads, stats, submissions};
use kbc_edge::errors::ApiError;
use kbc_edge::etag;
use kbc_edge::runtime::{self, without_body};
use serde::Serialize;
use std::future::Future;
use worker::{Context, Env, Method, Request, Response, console_error, event};

const WORKER: &str = "api";
const CACHE_BINDING: &str = "CACHE";
/// How long KV keeps an answer; the generation in its key retires it sooner on any change.
const KV_TTL_SECONDS: u64 = 3600;
/// Browsers and shared caches may reuse a read this long, then revalidate with the ETag.
const READ_CACHE_CONTROL: &str = "public, max-age=60, stale-while-revalidate=300";

#[event(fetch)]
async fn fetch(req: Request, env: Env, ctx: Context) -> worker::Result<Response> {
    let path = req.path();
    if !routes::is_api_path(&path) {
        return Ok(site::serve(req, &env, &ctx).await);
    }
    let response = match handle(req, &env, &ctx).await {
        Ok(response) => response,
        Err(err) => runtime::error(&err),
    };
    Ok(response)
}

async fn handle(mut req: Request, env: &Env, ctx: &Context) -> Result<Response, ApiError> {
    let url = req
        .url()
        .map_err(|_| ApiError::bad_request("url", "the request URL could not be read"))?;
    let route = Route::resolve(url.path()).ok_or_else(|| {
        ApiError::new(
            404,
            "not_found",
            "there is no endpoint at this path; see /api/v1/openapi.json",
        )
    })?;
    let method = req.method();
    if method == Method::Options {
        return Ok(preflight(&route));
    }
    let allowed = match route.kind() {
        Kind::Read => matches!(method, Method::Get | Method::Head),
        Kind::Write => method == Method::Post,
    };
    if !allowed {
        return Err(ApiError::method_not_allowed(route.allow()));
    }
    match route.kind() {
        Kind::Read => {
            let response = if route == Route::Health {
                runtime::health(env, WORKER, env!("CARGO_PKG_VERSION")).await
            } else {
                let read = Read {
                    env,
                    ctx,
                    query: url.query(),
                    if_none_match: header(&req, "If-None-Match"),
                };
                read.answer(&route).await?
            };
            Ok(if method == Method::Head {
                without_body(response)
            } else {
                response
            })
        }
        Kind::Write => {
            if let Route::Leads(slug) = &route
                && params::is_form(header(&req, "Content-Type").as_deref())
            {
                // The lead form on a business page posts here without JavaScript.
                return Ok(site::lead_form(&mut req, env, slug).await);
            }
            write(&mut req, env, &route).await
        }
    }
}

pub(crate) fn header(req: &Request, name: &str) -> Option<String> {
    req.headers().get(name).ok().flatten()
}

pub(crate) fn set(response: &Response, name: &str, value: &str) {
    // Header names and values here are our own constants or ASCII we produced.
    let _ = response.headers().set(name, value);
}

/// The salted hash that identifies a client for rate limits; the address is never kept.
pub(crate) fn client_hash(req: &Request, env: &Env) -> String {
    let salt = runtime::var(env, "CLIENT_HASH_SALT").unwrap_or_else(|| "kbc-local".into());
    let address = header(req, "CF-Connecting-IP").unwrap_or_else(|| "unknown".into());
    rate_limit::client_hash(&address, &salt)
}

/// A body read from the cache, or computed and then stored under the database's current
/// cache generation, with `HIT`, `MISS` or `BYPASS` (`KV_CACHE=off`) for `X-Cache`.
pub(crate) async fn read_through<E, F>(
    env: &Env,
    ctx: &Context,
    db: &D1,
    scope: &str,
    canonical: &str,
    compute: F,
) -> Result<(String, &'static str), E>
where
    E: From<kbc_domain::db::DbError>,
    F: Future<Output = Result<String, E>>,
{
    let kv = (runtime::var(env, "KV_CACHE").as_deref() != Some("off"))
        .then(|| env.kv(CACHE_BINDING).ok())
        .flatten();
    let Some(kv) = kv.map(KvCache) else {
        return Ok((compute.await?, "BYPASS"));
    };
    let key = cache::key(cache::generation(db).await?, scope, canonical);
    if let Some(body) = kv.get(&key).await {
        return Ok((body, "HIT"));
    }
    let body = compute.await?;
    let value = body.clone();
    // Store after answering: the visitor should not wait for the cache write.
    ctx.wait_until(async move { kv.put(&key, &value, KV_TTL_SECONDS).await });
    Ok((body, "MISS"))
}

/// CORS preflight: reads may be fetched from any origin; writes are same-origin only.
fn preflight(route: &Route) -> Response {
    let response = runtime::empty(204);
    set(&response, "Allow", route.allow());
    if route.kind() == Kind::Read {
        set(&response, "Access-Control-Allow-Origin", "*");
        set(
            &response,
            "Access-Control-Allow-Methods",
            "GET, HEAD, OPTIONS",
        );
        set(&response, "Access-Control-Allow-Headers", "If-None-Match");
        set(&response, "Access-Control-Max-Age", "86400");
    }
    response
}

/// One GET: cached JSON through KV keyed by the database's cache generation, then ETag.
struct Read<'a> {
    env: &'a Env,
    ctx: &'a Context,
    query: Option<&'a str>,
    if_none_match: Option<String>,
}

impl Read<'_> {
    async fn answer(&self, route: &Route) -> Result<Response, ApiError> {
        if *route == Route::OpenApi {
            params::checked_pairs(self.query, &[])?;
            return Ok(self.finish(OPENAPI.to_owned(), "STATIC", "public, max-age=3600"));
        }
        let db = runtime::database(self.env)?;
        let (scope, canonical, search_query) = match route {
            Route::Categories | Route::Stats => {
                params::checked_pairs(self.query, &[])?;
                (route.template(), String::new(), None)
            }
            Route::Businesses => {
                let search_params = params::search_params(self.query)?;
                let query = SearchQuery::parse(&search_params).map_err(ApiError::invalid)?;
                ("search", query.canonical(), Some(query))
            }
            Route::Business(slug) => {
                params::checked_pairs(self.query, &[])?;
                ("business", slug.clone(), None)
            }
            _ => return Err(ApiError::internal()),
        };
        let compute = async {
            Ok::<_, ApiError>(match route {
                Route::Categories => to_json(&Categories {
                    categories: categories::tree(&db).await?,
                }),
                Route::Stats => to_json(&stats::directory(&db).await?),
                Route::Businesses => to_json(
                    &search::search(&db, search_query.as_ref().ok_or_else(ApiError::internal)?)
                        .await?,
                ),
                Route::Business(slug) => to_json(&Detail {
                    business: find_business(&db, slug).await?,
                }),
                _ => return Err(ApiError::internal()),
            })
        };
        let (body, status) =
            read_through(self.env, self.ctx, &db, scope, &canonical, compute).await?;
        Ok(self.finish(body, status, READ_CACHE_CONTROL))
    }

    fn finish(&self, body: String, cache_status: &str, cache_control: &str) -> Response {
        let tag = etag::of(body.as_bytes());
        let response = match &self.if_none_match {
            Some(header) if etag::matches(header, &tag) => runtime::empty(304),
            _ => runtime::text_response(200, body, "application/json; charset=utf-8"),
        };
        set(&response, "ETag", &tag);
        set(&response, "Cache-Control", cache_control);
        set(&response, "Access-Control-Allow-Origin", "*");
        set(&response, "Access-Control-Expose-Headers", "ETag, X-Cache");
        set(&response, "X-Cache", cache_status);
        response
    }
}

#[derive(Serialize)]
struct Categories {
    categories: Vec<categories::CategoryNode>,
}

#[derive(Serialize)]
struct Detail {
    business: directory::BusinessDetail,
}

async fn find_business(db: &D1, slug: &str) -> Result<directory::BusinessDetail, ApiError> {
    let not_found = || ApiError::not_found("business");
    let slug = Slug::parse("slug", slug).map_err(|_| not_found())?;
    directory::find_public(db, &slug)
        .await?
        .ok_or_else(not_found)
}

fn to_json<T: Serialize>(value: &T) -> String {
    serde_json::to_string(value).unwrap_or_else(|err| {
        console_error!("serializing an answer failed: {err}");
        "{}".into()
    })
}

#[derive(Serialize)]
struct Accepted {
    status: &'static str,
    message: &'static str,
}

/// One JSON POST: size-limited, rate-limited per client, spam-trapped, validated.
async fn write(req: &mut Request, env: &Env, route: &Route) -> Result<Response, ApiError> {
    params::check_json_request(
        header(req, "Content-Type").as_deref(),
        header(req, "Content-Length").as_deref(),
    )?;
    let db = runtime::database(env)?;
    let now = runtime::now();
    let client = client_hash(req, env);
    let limit = if *route == Route::Submissions {
        rate_limit::SUBMISSIONS
    } else {
        rate_limit::LEADS
    };
    rate_limit::hit(&db, limit, &client, now).await?;
    let bytes = req
        .bytes()
        .await
        .map_err(|_| ApiError::bad_request("body", "the request body could not be read"))?;
    if bytes.len() > MAX_BODY_BYTES {
        return Err(ApiError::payload_too_large(MAX_BODY_BYTES));
    }
    let accepted = match route {
        Route::Submissions => {
            let input: SubmissionInput = params::json_body(&bytes)?;
            if !input.is_bot() {
                let submission = input.parse().map_err(ApiError::invalid)?;
                submissions::create(&db, &submission, &client, now).await?;
            }
            Accepted {
                status: "pending_review",
                message: "Thank you. Your listing will appear once a moderator has reviewed it.",
            }
        }
        Route::Leads(slug) => {
            let slug = Slug::parse("slug", slug).map_err(|_| ApiError::not_found("business"))?;
            let input: LeadInput = params::json_body(&bytes)?;
            if !input.is_bot() {
                let lead = input.parse().map_err(ApiError::invalid)?;
                leads::create(&db, &slug, &lead, &client, now).await?;
            }
            Accepted {
                status: "received",
                message: "Thank you. Your request has been sent to the business.",
            }
        }
        _ => return Err(ApiError::internal()),
    };
    let response = runtime::json(202, &accepted);
    set(&response, "Cache-Control", "no-store");
    Ok(response)
}
