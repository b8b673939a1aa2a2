//! Sign-in with OpenID Connect, as the `agent` worker does it, without I/O: the random
//! secrets of a sign-in and a session ([`secrets`]), PKCE ([`pkce`]), verifying an id_token
//! against the issuer's published keys ([`id_token`]), how long those keys may be cached
//! ([`jwks`]), and where a finished sign-in may send the browser ([`next`]).
//!
//! The worker fetches and stores; this crate decides. It must not know about HTTP requests or
//! the database, so every rule here is tested natively.

pub mod id_token;
pub mod jwks;
pub mod next;
pub mod pkce;
pub mod secrets;
