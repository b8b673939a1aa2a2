//! The fetch handler: sends `/api/...` and `/health` to the JSON API ([`crate::api`]) and
//! everything else to the public site ([`crate::site`]), then writes the one structured log
//! line of the request.

use crate::http::{self, header};
use crate::routes::{self, is_api_path};
use crate::{api, site};
use kbc_edge::log::{self, RequestLine};
use kbc_edge::{GIT_SHA, runtime};
use worker::{Context, Env, Request, Response, event};

#[event(fetch)]
async fn fetch(mut req: Request, env: Env, ctx: Context) -> worker::Result<Response> {
    let started = runtime::now_ms();
    let path = req.path();
    let method = req.inner().method();
    let ray = header(&req, "cf-ray");
    let response = if is_api_path(&path) {
        api::serve(&mut req, &env, &ctx).await
    } else {
        site::serve(&mut req, &env, &ctx).await
    };
    // Answered without reading the body (a refused or rate-limited post): let the client
    // finish sending, so its connection ends cleanly, keeping none of it.
    if !req.inner().body_used() {
        http::discard_body(&mut req).await;
    }
    let cache = response.headers().get("X-Cache").ok().flatten();
    runtime::log_request(&RequestLine {
        worker: "api",
        version: GIT_SHA,
        method: log::method(&method),
        route: routes::template_of(&path),
        status: response.status_code(),
        duration_ms: runtime::now_ms() - started,
        cache: cache.as_deref(),
        ray: log::ray(ray.as_deref()),
    });
    Ok(response)
}
