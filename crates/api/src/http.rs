//! HTTP helpers of the api worker: the raw request method and the client's rate-limit
//! identity (the generic helpers are `kbc_edge::http`'s, re-exported here for both halves
//! of the worker).

use crate::routes::Verb;
use kbc_domain::rate_limit;
pub use kbc_edge::http::{BodyError, discard_body, header, read_body, set};
use kbc_edge::runtime;
use worker::{Env, Request};

/// The request's method as sent: `worker::Method` reads any name it does not know
/// (`QUERY`, `FOO`) as GET, which would let it through as a read.
pub fn verb(req: &Request) -> Verb {
    Verb::parse(&req.inner().method())
}

/// The salted hash that identifies a client for rate limits; the address is never kept.
pub fn client_hash(req: &Request, env: &Env) -> String {
    let salt = runtime::var(env, "CLIENT_HASH_SALT").unwrap_or_else(|| "kbc-local".into());
    let address = header(req, "CF-Connecting-IP").unwrap_or_else(|| "unknown".into());
    rate_limit::client_hash(&address, &salt)
}
