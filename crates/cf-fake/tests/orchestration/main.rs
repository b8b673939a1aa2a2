//! The deploy orchestration tests: the real `cargo xtask` and the real wrangler against
//! the Cloudflare and GitHub fakes, with health probes answered by the workers `cargo
//! xtask test` serves in workerd. Each test has its own fakes and sandbox, so they run in
//! parallel.

mod config;
mod deploy;
mod preview;
mod support;
