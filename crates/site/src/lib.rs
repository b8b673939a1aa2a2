//! The public website at kiamichibizconnect.com: for each page, a view model loaded through
//! `kbc-domain` and a compiled askama template (auto-escaping) that renders it. Everything
//! here is plain Rust, tested natively on real SQLite; the `api` worker only routes, caches
//! and adds headers. No page needs JavaScript.

pub mod assets;
pub mod forms;
pub mod markdown;
pub mod pages;
pub mod seo;
pub mod urls;
pub mod view;
