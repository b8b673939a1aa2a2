//! The `api` worker: kiamichibizconnect.com — the public JSON API under `/api/v1` and the
//! public website (pages rendered by `kbc-site`) everywhere else.
//!
//! It parses requests into domain types, calls `kbc-domain` services and renders answers; no
//! business rule lives here. [`routes`] and [`params`] are plain Rust, tested natively
//! (including against the OpenAPI document); the rest exists only on wasm32:
//! `app` (entry and request log) → `api` (JSON) and `site` (pages, forms, photos), both over
//! `http` (shared HTTP helpers) and `page_cache` (the read-through cache); `analytics` sends
//! what the site shows and visitors click to a queue, and consumes it into daily counters.

pub mod params;
pub mod routes;

#[cfg(target_arch = "wasm32")]
mod analytics;
#[cfg(target_arch = "wasm32")]
mod api;
#[cfg(target_arch = "wasm32")]
mod app;
#[cfg(target_arch = "wasm32")]
mod http;
#[cfg(target_arch = "wasm32")]
mod page_cache;
#[cfg(target_arch = "wasm32")]
mod site;
