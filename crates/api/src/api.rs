//! The JSON API (`/api/...`, `/health`): the route table's method rules, CORS, cached reads
//! with ETags, and the two public writes, each answered with the one error shape.

use crate::http::{self, BodyError, header, set};
use crate::params::{self, MAX_BODY_BYTES};
use crate::routes::{Kind, OPENAPI, Route, Verb};
use crate::{page_cache, site};
use kbc_domain::cache::Outcome;
use kbc_domain::db::d1::D1;
use kbc_domain::leads::LeadInput;
use kbc_domain::public_writes;
use kbc_domain::search::{self, SearchQuery};
use kbc_domain::submissions::SubmissionInput;
use kbc_domain::values::Slug;
use kbc_domain::{categories, directory, stats};
use kbc_edge::errors::ApiError;
use kbc_edge::etag;
use kbc_edge::runtime::{self, without_body};
use serde::Serialize;
use worker::{Context, Env, Request, Response, console_error};

const WORKER: &str = "api";
/// Browsers and shared caches may reuse a read this long, then revalidate with the ETag.
const READ_CACHE_CONTROL: &str = "public, max-age=60, stale-while-revalidate=300";

/// Answers any `/api/...` or `/health` request; never fails.
pub async fn serve(req: &mut Request, env: &Env, ctx: &Context) -> Response {
    match handle(req, env, ctx).await {
        Ok(response) => response,
        Err(err) => runtime::error(&err),
    }
}

async fn handle(req: &mut Request, env: &Env, ctx: &Context) -> Result<Response, ApiError> {
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
    let verb = http::verb(req);
    if verb == Verb::Options {
        return Ok(preflight(&route));
    }
    let allowed = match route.kind() {
        Kind::Read => matches!(verb, Verb::Get | Verb::Head),
        Kind::Write => verb == Verb::Post,
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
                    if_none_match: header(req, "If-None-Match"),
                };
                read.answer(&route).await?
            };
            Ok(if verb == Verb::Head {
                without_body(response)
            } else {
                response
            })
        }
        Kind::Write => {
            if let Route::Leads(slug) = &route
                && params::is_form(header(req, "Content-Type").as_deref())
            {
                // The lead form on a business page posts here without JavaScript.
                return Ok(site::lead_form(req, env, slug).await);
            }
            write(req, env, &route).await
        }
    }
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

/// One GET: cached JSON under the cache generation and version, then ETag.
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
            return Ok(self.finish(OPENAPI.to_owned(), None, "public, max-age=3600"));
        }
        let db = runtime::read_database(self.env)?;
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
        let params = [("request", canonical.as_str())];
        let (body, outcome) =
            page_cache::read_through(self.env, self.ctx, &db, scope, &params, compute).await?;
        Ok(self.finish(body, Some(outcome), READ_CACHE_CONTROL))
    }

    fn finish(&self, body: String, outcome: Option<Outcome>, cache_control: &str) -> Response {
        let tag = etag::of(body.as_bytes());
        let response = match &self.if_none_match {
            Some(header) if etag::matches(header, &tag) => runtime::empty(304),
            _ => runtime::text_response(200, body, "application/json; charset=utf-8"),
        };
        set(&response, "ETag", &tag);
        set(&response, "Cache-Control", cache_control);
        set(&response, "Access-Control-Allow-Origin", "*");
        set(&response, "Access-Control-Expose-Headers", "ETag, X-Cache");
        set(
            &response,
            "X-Cache",
            outcome.map_or("STATIC", Outcome::as_str),
        );
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

/// One JSON POST: admitted against the client's rate limit before the body is read, the
/// body read within its limit, then the domain's public write.
async fn write(req: &mut Request, env: &Env, route: &Route) -> Result<Response, ApiError> {
    params::check_json_request(
        header(req, "Content-Type").as_deref(),
        header(req, "Content-Length").as_deref(),
    )?;
    let db = runtime::database(env)?;
    let now = runtime::now();
    let client = http::client_hash(req, env);
    let accepted = match route {
        Route::Submissions => {
            let permit = public_writes::admit_submission(&db, &client, now).await?;
            let input: SubmissionInput = params::json_body(&read_json(req).await?)?;
            permit.submit(&db, &input).await?;
            Accepted {
                status: "pending_review",
                message: "Thank you. Your listing will appear once a moderator has reviewed it.",
            }
        }
        Route::Leads(slug) => {
            let slug = Slug::parse("slug", slug).map_err(|_| ApiError::not_found("business"))?;
            let permit = public_writes::admit_lead(&db, &client, now).await?;
            let input: LeadInput = params::json_body(&read_json(req).await?)?;
            permit.send(&db, &slug, &input).await?;
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

async fn read_json(req: &mut Request) -> Result<Vec<u8>, ApiError> {
    http::read_body(req, MAX_BODY_BYTES)
        .await
        .map_err(|err| match err {
            BodyError::TooLarge => ApiError::payload_too_large(MAX_BODY_BYTES),
            BodyError::Unreadable => {
                ApiError::bad_request("body", "the request body could not be read")
            }
        })
}
