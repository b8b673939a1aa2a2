//! The `api` worker: the public JSON API at kiamichibizconnect.com/api/v1 (the public site
//! joins it in a later issue).
//!
//! It parses requests into domain types, calls `kbc-domain` services and renders JSON; no
//! business rule lives here. [`routes`] and [`params`] are plain Rust, tested natively
//! (including against the OpenAPI document); the fetch handler in `app` exists only on wasm32.

pub mod params;
pub mod routes;

#[cfg(target_arch = "wasm32")]
mod app;
