//! The `agent` worker at app.kiamichibizconnect.com: the trusted half of the product. It
//! signs people in with OpenID Connect (Google in production, a local fake otherwise),
//! keeps their sessions, and serves the account page, the admin console and the owners'
//! dashboard with its assistant (chat and voice, over one model client) and its Facebook
//! Pages (Facebook Login, the posting queue, comment replies, Meta's webhook and data-deletion
//! callbacks). Every request is checked against the session's rights on the exact object it
//! touches. It must not hold business rules: those live in `kbc-domain` (accounts,
//! moderation, audit), and the pages in `kbc-console`.

pub mod routes;

#[cfg(target_arch = "wasm32")]
mod app;
#[cfg(target_arch = "wasm32")]
mod assistant;
#[cfg(target_arch = "wasm32")]
mod console;
#[cfg(target_arch = "wasm32")]
mod facebook;
#[cfg(target_arch = "wasm32")]
mod oidc;
#[cfg(target_arch = "wasm32")]
mod owner;
#[cfg(target_arch = "wasm32")]
mod respond;
#[cfg(target_arch = "wasm32")]
mod session;
#[cfg(target_arch = "wasm32")]
mod sign_in;
