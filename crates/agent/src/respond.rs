//! How the agent answers: HTML pages with the security headers (a CSP with no script but the
//! dashboard's own where a page asks for it, no caching of anything personal), friendly
//! problem pages, and 303 redirects.

use askama::Template;
use kbc_console::chrome::Viewer;
use kbc_console::pages::ProblemPage;
use kbc_edge::http::set;
use kbc_edge::runtime;
use worker::{Response, console_error};

/// What a page's CSP allows beyond our own styles, images and forms.
#[derive(Debug, Clone, Copy, Default)]
pub struct Allow<'a> {
    /// An origin a form may post to (the sign-in form's redirect goes on to the identity
    /// provider, and browsers check `form-action` on it).
    pub form_target: Option<&'a str>,
    /// An origin whose images the page shows (the public site's, in the page builder's
    /// preview).
    pub images: Option<&'a str>,
    /// Our own script (the dashboard's drag to reorder), from this origin only.
    pub scripts: bool,
    /// The assistant: the microphone, its script fetching answers from this origin, and the
    /// spoken answer played from a `data:` URL.
    pub voice: bool,
}

fn content_security_policy(allow: Allow) -> String {
    let extra = |origin: Option<&str>| origin.map(|o| format!(" {o}")).unwrap_or_default();
    format!(
        "default-src 'none'; style-src 'self'; img-src 'self'{}; {}{}form-action 'self'{}; base-uri 'none'; \
         frame-ancestors 'none'",
        extra(allow.images),
        if allow.scripts {
            "script-src 'self'; "
        } else {
            ""
        },
        if allow.voice {
            "connect-src 'self'; media-src data:; "
        } else {
            ""
        },
        extra(allow.form_target)
    )
}

/// A rendered page with the security headers; nothing signed-in is ever cached.
pub fn page(status: u16, template: &impl Template) -> Response {
    page_allowing(status, template, Allow::default())
}

/// [`page`] with a CSP that allows what `allow` says as well.
pub fn page_allowing(status: u16, template: &impl Template, allow: Allow) -> Response {
    let response = render(status, template, &content_security_policy(allow));
    if allow.voice {
        set(
            &response,
            "Permissions-Policy",
            "geolocation=(), camera=(), microphone=(self), interest-cohort=()",
        );
    }
    response
}

fn render(status: u16, template: &impl Template, policy: &str) -> Response {
    match template.render() {
        Ok(body) => html(status, body, policy),
        Err(err) => {
            console_error!("rendering a page failed: {err}");
            html(
                500,
                "<!doctype html><title>Error</title><p>Something went wrong on our side.</p>"
                    .into(),
                policy,
            )
        }
    }
}

fn html(status: u16, body: String, policy: &str) -> Response {
    let response = runtime::text_response(status, body, "text/html; charset=utf-8");
    set(&response, "Content-Security-Policy", policy);
    secure(&response);
    response
}

/// Headers every answer of the agent carries.
pub fn secure(response: &Response) {
    set(response, "Cache-Control", "no-store");
    set(
        response,
        "Strict-Transport-Security",
        "max-age=63072000; includeSubDomains; preload",
    );
    set(response, "Referrer-Policy", "same-origin");
    set(response, "X-Frame-Options", "DENY");
    set(response, "X-Content-Type-Options", "nosniff");
    set(
        response,
        "Permissions-Policy",
        "geolocation=(), camera=(), microphone=(), interest-cohort=()",
    );
}

/// A refusal or failure as a friendly page.
pub fn problem(status: u16, viewer: Option<Viewer>, heading: &str, message: &str) -> Response {
    page(status, &ProblemPage::new(viewer, heading, message, false))
}

/// Asks to sign in (again).
pub fn sign_in_needed(status: u16, heading: &str, message: &str) -> Response {
    page(status, &ProblemPage::new(None, heading, message, true))
}

pub fn not_found(viewer: Option<Viewer>) -> Response {
    problem(
        404,
        viewer,
        "Not found",
        "There is no page at this address.",
    )
}

pub fn unavailable(viewer: Option<Viewer>) -> Response {
    problem(
        503,
        viewer,
        "Try again in a moment",
        "We could not reach the database. Nothing was changed.",
    )
}

/// See Other: after a form, or to send the browser elsewhere. `location` is our own path or
/// the provider's authorization URL, never text from the request.
pub fn redirect(location: &str) -> Response {
    let response = runtime::empty(303);
    set(&response, "Location", location);
    secure(&response);
    response
}

/// A static asset, cacheable for good when its path is fingerprinted.
pub fn asset(body: &str, content_type: &str, immutable: bool) -> Response {
    let response = runtime::text_response(200, body.to_owned(), content_type);
    set(
        &response,
        "Cache-Control",
        if immutable {
            "public, max-age=31536000, immutable"
        } else {
            "public, max-age=86400"
        },
    );
    response
}
