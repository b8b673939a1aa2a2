//! What every worker needs at the edge and nothing more: the one JSON error shape and its
//! status codes, ETags, the `/health` answer, binding lookup, headers and bodies read within
//! a limit, the scheduled-run wrapper that records `job_runs`, the one model client
//! (chat completions, speech to text, text to speech) and the one Graph API client with the
//! key ring that seals Page tokens (`graph`).
//!
//! Business rules stay in `kbc-domain`; routes and rendering stay in each worker. The parts
//! that touch `worker` types compile only for wasm32; the rest is tested natively.

pub mod errors;
pub mod etag;
pub mod log;

#[cfg(target_arch = "wasm32")]
pub mod graph;
#[cfg(target_arch = "wasm32")]
pub mod http;
#[cfg(target_arch = "wasm32")]
pub mod model;
#[cfg(target_arch = "wasm32")]
pub mod runtime;

/// The git commit the running wasm was built from, stamped in by `cargo xtask build`.
pub const GIT_SHA: &str = match option_env!("KBC_GIT_SHA") {
    Some(sha) => sha,
    None => "unknown",
};
