//! HTTP helpers of the api worker: the raw request method (the generic helpers are
//! `kbc_edge::http`'s, re-exported here for both halves of the worker).

use crate::routes::Verb;
pub use kbc_edge::http::{BodyError, client_hash, discard_body, header, read_body, set};
use worker::Request;

/// The request's method as sent: `worker::Method` reads any name it does not know
/// (`QUERY`, `FOO`) as GET, which would let it through as a read.
pub fn verb(req: &Request) -> Verb {
    Verb::parse(&req.inner().method())
}
