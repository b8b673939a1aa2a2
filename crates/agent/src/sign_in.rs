//! Signing in and out: the sign-in page, starting the OpenID flow (state, nonce and PKCE
//! verifier made here, kept single-use in D1, `state` also bound to this browser by a
//! cookie), the callback that finishes it into a session, and signing out.
//!
//! No parameter of the callback is ever shown or logged: a failure is one friendly page.

use crate::oidc::{self, Failure, Provider};
use crate::respond::{self, Allow, page_allowing, problem, redirect};
use crate::session::{self, SESSION_COOKIE, SIGN_IN_COOKIE, clear_cookie, set_cookie};
use kbc_console::pages::SignInPage;
use kbc_domain::accounts::{
    self, Role, SESSION_ABSOLUTE_SECONDS, SIGN_IN_ATTEMPT_SECONDS, Session, VerifiedIdentity,
};
use kbc_domain::db::d1::D1;
use kbc_identity::next::safe_next;
use kbc_identity::pkce::s256_challenge;
use kbc_identity::secrets::{random_secret, same_secret, stored_hash};
use kbc_site::forms::Form;
use worker::{Env, Request, Response, console_log};

/// A query parameter of the request, decoded.
pub fn query(req: &Request, name: &str) -> Option<String> {
    let url = req.url().ok()?;
    url.query_pairs()
        .find(|(key, _)| key == name)
        .map(|(_, value)| value.into_owned())
}

/// Where a signed-in person starts.
pub fn home_of(session: &Session) -> &'static str {
    if session.has(Role::Admin) {
        "/admin/submissions"
    } else {
        "/dashboard"
    }
}

/// `GET /sign-in`: the button, or straight on for someone already signed in.
pub async fn page(req: &Request, env: &Env, session: Option<&Session>) -> Response {
    let next = safe_next(query(req, "next").as_deref());
    if let Some(session) = session {
        return redirect(if next == kbc_identity::next::HOME {
            home_of(session)
        } else {
            &next
        });
    }
    let provider = match Provider::from_env(env, &session::own_origin(env)) {
        Ok(provider) => provider,
        Err(missing) => return not_configured(missing),
    };
    // The form's redirect continues to the provider, so `form-action` must allow it.
    let target = oidc::endpoints(&provider)
        .await
        .ok()
        .and_then(|e| e.authorization_origin());
    let signed_out = query(req, "signed_out").is_some();
    let page = SignInPage::new(next, provider.display_name().into(), signed_out);
    let allow = Allow {
        form_target: target.as_deref(),
        ..Allow::default()
    };
    page_allowing(200, &page, allow)
}

fn not_configured(missing: oidc::NotConfigured) -> Response {
    console_log!(
        "{{\"event\":\"sign_in_unavailable\",\"missing\":\"{}\"}}",
        missing.0
    );
    problem(
        503,
        None,
        "Sign-in is not available",
        "Sign-in is not set up on this server yet. Please try again later.",
    )
}

/// `POST /sign-in`: starts the flow and sends the browser to the provider.
pub async fn start(env: &Env, form: &Form, db: &D1, now: i64) -> Response {
    let provider = match Provider::from_env(env, &session::own_origin(env)) {
        Ok(provider) => provider,
        Err(missing) => return not_configured(missing),
    };
    let endpoints = match oidc::endpoints(&provider).await {
        Ok(endpoints) => endpoints,
        Err(err) => return provider_unreachable(&err),
    };
    let (Ok(state), Ok(nonce), Ok(verifier)) = (random_secret(), random_secret(), random_secret())
    else {
        return respond::unavailable(None);
    };
    let next = safe_next(Some(form.get("next")));
    if accounts::start_sign_in(db, &stored_hash(&state), &nonce, &verifier, &next, now)
        .await
        .is_err()
    {
        return respond::unavailable(None);
    }
    match oidc::authorization_url(
        &provider,
        &endpoints,
        &state,
        &nonce,
        &s256_challenge(&verifier),
    ) {
        Ok(url) => {
            let response = redirect(&url);
            set_cookie(&response, SIGN_IN_COOKIE, &state, SIGN_IN_ATTEMPT_SECONDS);
            response
        }
        Err(err) => provider_unreachable(&err),
    }
}

fn provider_unreachable(err: &str) -> Response {
    console_log!(
        "{{\"event\":\"sign_in_failed\",\"reason\":{}}}",
        serde_json::Value::from(err)
    );
    problem(
        502,
        None,
        "Google did not answer",
        "We could not reach Google to sign you in. Please try again in a minute.",
    )
}

/// A sign-in that cannot finish, said without echoing anything the request carried.
fn failed(reason: &str) -> Response {
    console_log!(
        "{{\"event\":\"sign_in_failed\",\"reason\":{}}}",
        serde_json::Value::from(reason)
    );
    let response = respond::sign_in_needed(
        400,
        "We could not sign you in",
        "This sign-in could not be completed: it may have expired or been used already. Please start again.",
    );
    clear_cookie(&response, SIGN_IN_COOKIE);
    response
}

/// `GET /auth/callback`: the provider sends the browser back with a code (or an error).
pub async fn callback(req: &Request, env: &Env, db: &D1, now: i64) -> Response {
    let state = query(req, "state").unwrap_or_default();
    let bound = session::cookie(req, SIGN_IN_COOKIE).unwrap_or_default();
    if state.is_empty() || !same_secret(&state, &bound) {
        return failed("state does not match this browser's sign-in");
    }
    let attempt = match accounts::take_sign_in(db, &stored_hash(&state), now).await {
        Ok(Some(attempt)) => attempt,
        Ok(None) => return failed("unknown, used or expired state"),
        Err(_) => return respond::unavailable(None),
    };
    if query(req, "error").is_some() {
        console_log!("{{\"event\":\"sign_in_cancelled\"}}");
        let response = respond::sign_in_needed(
            400,
            "Sign-in cancelled",
            "You did not finish signing in with Google. Nothing was changed.",
        );
        clear_cookie(&response, SIGN_IN_COOKIE);
        return response;
    }
    let Some(code) = query(req, "code").filter(|code| !code.is_empty() && code.len() <= 2048)
    else {
        return failed("no authorization code");
    };
    let provider = match Provider::from_env(env, &session::own_origin(env)) {
        Ok(provider) => provider,
        Err(missing) => return not_configured(missing),
    };
    let endpoints = match oidc::endpoints(&provider).await {
        Ok(endpoints) => endpoints,
        Err(err) => return provider_unreachable(&err),
    };
    let person = match oidc::finish(
        &provider,
        &endpoints,
        &code,
        &attempt.code_verifier,
        &attempt.nonce,
    )
    .await
    {
        Ok(person) => person,
        Err(Failure::Provider(err)) => return failed(&err),
        Err(Failure::Token(rejection)) => return failed(&rejection.to_string()),
    };
    let identity = VerifiedIdentity {
        issuer: provider.issuer.clone(),
        subject: person.subject,
        email: person.email,
        email_verified: true,
        name: person.name,
    };
    let Ok(user_id) = accounts::sign_in(db, &identity, now).await else {
        return respond::unavailable(None);
    };
    let (Ok(id), Ok(csrf)) = (random_secret(), random_secret()) else {
        return respond::unavailable(None);
    };
    if accounts::create_session(db, &stored_hash(&id), user_id, &csrf, now)
        .await
        .is_err()
    {
        return respond::unavailable(None);
    }
    console_log!("{{\"event\":\"signed_in\"}}");
    let response = redirect(&attempt.next_path);
    set_cookie(&response, SESSION_COOKIE, &id, SESSION_ABSOLUTE_SECONDS);
    clear_cookie(&response, SIGN_IN_COOKIE);
    response
}

/// `POST /sign-out`: ends this session.
pub async fn sign_out(req: &Request, db: &D1) -> Response {
    if let Some(hash) = session::session_hash(req)
        && accounts::end_session(db, &hash).await.is_err()
    {
        return respond::unavailable(None);
    }
    let response = redirect("/sign-in?signed_out=1");
    session::forget(&response);
    response
}

/// `POST /sign-out-everywhere`: ends every session of the signed-in person.
pub async fn sign_out_everywhere(db: &D1, session: &Session) -> Response {
    if accounts::end_all_sessions(db, session.user_id)
        .await
        .is_err()
    {
        return respond::unavailable(None);
    }
    let response = redirect("/sign-in?signed_out=1");
    session::forget(&response);
    response
}
