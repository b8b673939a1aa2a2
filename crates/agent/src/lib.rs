//! The `agent` worker: the business owners' dashboard and assistant at
//! app.kiamichibizconnect.com. For now it serves `/health` and a JSON 404 for everything
//! else; dashboard features arrive with their own issues. It must not hold business rules:
//! those live in `kbc-domain`.
#![cfg(target_arch = "wasm32")]

use kbc_edge::runtime;
use worker::{Context, Env, Request, Response, Result, event};

const WORKER: &str = "agent";

#[event(fetch)]
async fn fetch(req: Request, env: Env, _ctx: Context) -> Result<Response> {
    Ok(runtime::health_only(&req, &env, WORKER, env!("CARGO_PKG_VERSION")).await)
}
