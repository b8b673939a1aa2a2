//! Sessions over HTTP: the `__Host-` cookies that carry a session id or a started sign-in,
//! finding the live session of a request (by the id's hash), and the checks every
//! state-changing request passes — our own origin and the session's CSRF token.

use kbc_domain::accounts::{self, Session};
use kbc_domain::db::d1::D1;
use kbc_edge::http::header;
use kbc_identity::secrets::{looks_like_secret, same_secret, stored_hash};
use kbc_site::forms::{Form, same_origin_post};
use worker::{Env, Request, Response};

/// Carries the session id. `__Host-`: only set by us, over HTTPS, for the whole origin.
pub const SESSION_COOKIE: &str = "__Host-kbc-session";
/// Carries the `state` of a started sign-in, binding the callback to this browser.
pub const SIGN_IN_COOKIE: &str = "__Host-kbc-signin";

/// The value of cookie `name` on the request.
pub fn cookie(req: &Request, name: &str) -> Option<String> {
    let header = header(req, "Cookie")?;
    header.split(';').find_map(|pair| {
        let (key, value) = pair.trim().split_once('=')?;
        (key == name).then(|| value.trim().to_owned())
    })
}

/// Sets cookie `name` for `max_age` seconds: HttpOnly, Secure, SameSite=Lax, whole origin.
pub fn set_cookie(response: &Response, name: &str, value: &str, max_age: i64) {
    let _ = response.headers().append(
        "Set-Cookie",
        &format!("{name}={value}; Path=/; Max-Age={max_age}; Secure; HttpOnly; SameSite=Lax"),
    );
}

pub fn clear_cookie(response: &Response, name: &str) {
    set_cookie(response, name, "", 0);
}

/// The live session the request's cookie names, if any.
pub async fn current(
    req: &Request,
    db: &D1,
    now: i64,
) -> Result<Option<Session>, kbc_domain::db::DbError> {
    match cookie(req, SESSION_COOKIE) {
        Some(id) if looks_like_secret(&id) => accounts::session(db, &stored_hash(&id), now).await,
        _ => Ok(None),
    }
}

/// The session id on the request, when it has the shape of one (to sign it out).
pub fn session_hash(req: &Request) -> Option<String> {
    cookie(req, SESSION_COOKIE)
        .filter(|id| looks_like_secret(id))
        .map(|id| stored_hash(&id))
}

/// This deployment's own origin (`https://app.kiamichibizconnect.com`).
pub fn own_origin(env: &Env) -> String {
    kbc_edge::runtime::var(env, "APP_ORIGIN")
        .unwrap_or_else(|| "https://app.kiamichibizconnect.com".into())
}

/// Whether a post comes from one of our own pages.
pub fn from_our_pages(req: &Request, env: &Env) -> bool {
    same_origin_post(
        &own_origin(env),
        header(req, "Origin").as_deref(),
        header(req, "Referer").as_deref(),
        header(req, "Sec-Fetch-Site").as_deref(),
    )
}

/// Whether a form carries this session's CSRF token.
pub fn carries_token(form: &Form, session: &Session) -> bool {
    same_secret(form.get("csrf"), &session.csrf_token)
}

/// Marks the answer as having ended the session in this browser.
pub fn forget(response: &Response) {
    clear_cookie(response, SESSION_COOKIE);
}
