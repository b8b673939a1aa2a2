//! Local fakes of the two third-party APIs `cargo xtask deploy` reaches: the Cloudflare REST
//! API with a production and a preview account (which the real wrangler talks to through
//! `CLOUDFLARE_API_BASE_URL`) and the GitHub
//! REST API (pull-request comments). Each runs on a loopback port, speaks the real wire
//! format (the `{"success","errors","messages","result"}` envelope, D1 on real SQLite),
//! records every call in order and can be told to fail chosen requests.
//!
//! It also fakes Google's OpenID provider (sign-in with test identities, real RS256
//! id_tokens) for the product's Google sign-in, and the AI provider (`ai`: Workers AI's
//! OpenAI-compatible chat completions, Whisper speech-to-text and MeloTTS text-to-speech,
//! scripted by tests over HTTP, canned answers otherwise) for the business assistant,
//! small businesses' own websites (`sites`) for the analyzer to read, and for Facebook Meta's
//! Graph API (`graph`: login, Pages and their tokens, publishing, counts, failures on demand)
//! and Browser Rendering's screenshot endpoint (`rendering`: the share cards' images).
//!
//! It owns only test doubles: the product never uses them, and `xtask` runs only the OpenID,
//! AI, sites, Graph API and rendering fakes, as the third parties of local development and
//! end-to-end tests.

pub mod ai;
pub mod cloudflare;
mod d1;
pub mod github;
pub mod graph;
pub mod http;
pub mod oidc;
pub mod rendering;
pub mod sites;

pub use ai::Ai;
pub use cloudflare::{Accounts, Cloudflare};
pub use github::GitHub;
pub use graph::Graph;
pub use http::{Call, Fault, Reply, Server};
pub use oidc::Provider;
pub use rendering::Rendering;
pub use sites::Sites;
