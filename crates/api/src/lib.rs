//! The `api` worker: kiamichibizconnect.com — the public JSON API under `/api/v1` and the
//! public website (pages rendered by `kbc-site`) everywhere else.
//!
//! It parses requests into domain types, calls `kbc-domain` services and renders JSON; no
//! business rule lives here. [`routes`] and [`params`] are plain Rust, tested natively
//! (including against the OpenAPI document); the fetch handler in `app` exists only on wasm32.

pub mod params;
pub mod routes;

#[cfg(target_arch = "wasm32")]
mod app;
#[cfg(target_arch = "wasm32")]
mod site;
