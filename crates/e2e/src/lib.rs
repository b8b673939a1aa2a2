//! The end-to-end tier's shared parts: fixtures installed into the local D1 before the
//! workers start (so tests can name exact businesses), and a small HTTP client for the
//! tests in `tests/`, and signing in to the agent worker through the fake Google.
//! `cargo xtask test` prepares the state, starts all four workers in
//! workerd and runs these tests with their URLs in `KBC_*_URL`.

pub mod client;
pub mod fixtures;
pub mod listings;
pub mod raw;
pub mod sign_in;
pub mod state;
