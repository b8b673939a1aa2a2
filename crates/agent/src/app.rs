//! The fetch handler: resolves the route, answers assets and `/health`, finds the session,
//! then lets a request through only with the rights its route needs — signed in, admin for
//! the console, and for every change a post from our own pages carrying the session's CSRF
//! token. Writes the one structured log line of each request (route template, never the path).

use crate::respond::{self, asset, not_found, problem, redirect};
use crate::routes::{AssistantRoute, OwnerRoute, Route};
use crate::{assistant, console, facebook, owner, session, sign_in};
use kbc_console::chrome::Viewer;
use kbc_domain::accounts::Role;
use kbc_edge::http::{self, BodyError, header};
use kbc_edge::log::{self, RequestLine};
use kbc_edge::{GIT_SHA, runtime};
use kbc_site::forms::Form;
use worker::{Context, Env, Request, Response, event};

const WORKER: &str = "agent";
/// Forms of the console are small; anything longer is refused while it streams in.
const MAX_FORM_BYTES: usize = 16 * 1024;

#[event(fetch)]
async fn fetch(mut req: Request, env: Env, _ctx: Context) -> worker::Result<Response> {
    let started = runtime::now_ms();
    let path = req.path();
    let method = req.inner().method();
    let route = Route::resolve(&path, kbc_console::assets::stylesheet_path());
    let response = match &route {
        None => not_found(None),
        Some(route) if !route.accepts(&method) => {
            let response = problem(
                405,
                None,
                "Not allowed",
                "This address does not take that kind of request.",
            );
            http::set(&response, "Allow", route.allow());
            response
        }
        Some(route) => serve(route.clone(), &mut req, &env).await,
    };
    let response = if method == "HEAD" {
        runtime::without_body(response)
    } else {
        response
    };
    if !req.inner().body_used() {
        http::discard_body(&mut req).await;
    }
    let ray = header(&req, "cf-ray");
    runtime::log_request(&RequestLine {
        worker: WORKER,
        version: GIT_SHA,
        method: log::method(&method),
        route: route.as_ref().map_or("unmatched", Route::template),
        status: response.status_code(),
        duration_ms: runtime::now_ms() - started,
        cache: None,
        ray: log::ray(ray.as_deref()),
    });
    Ok(response)
}

async fn serve(route: Route, req: &mut Request, env: &Env) -> Response {
    match route {
        Route::Health => return runtime::health(env, WORKER, env!("CARGO_PKG_VERSION")).await,
        Route::Stylesheet => {
            return asset(
                kbc_console::assets::stylesheet(),
                "text/css; charset=utf-8",
                true,
            );
        }
        Route::Script => {
            return asset(
                kbc_console::assets::script(),
                "text/javascript; charset=utf-8",
                true,
            );
        }
        Route::Icon => return asset(kbc_site::assets::ICON, "image/svg+xml", false),
        _ => {}
    }
    let Ok(db) = runtime::database(env) else {
        return respond::unavailable(None);
    };
    let now = runtime::now();
    let Ok(current) = session::current(req, &db, now).await else {
        return respond::unavailable(None);
    };
    let method = req.inner().method();
    match (route, current) {
        (Route::SignIn, current) if method != "POST" => {
            sign_in::page(req, env, current.as_ref()).await
        }
        (Route::SignIn, _) => {
            // No session yet, so no CSRF token: the origin check stops cross-site starts.
            if !session::from_our_pages(req, env) {
                return cross_site(None);
            }
            match read_form(req).await {
                Ok(form) => sign_in::start(env, &form, &db, now).await,
                Err(response) => response,
            }
        }
        (Route::Callback, _) => sign_in::callback(req, env, &db, now).await,
        // Meta's callbacks carry no session: Meta's signatures authenticate them instead.
        (Route::FacebookWebhook, _) => facebook::webhook(req, env, &db).await,
        (Route::DataDeletion, _) => facebook::data_deletion(req, env, &db).await,
        (Route::DeletionStatus(code), current) => {
            facebook::deletion_status(&code, &db, current.as_ref().map(Viewer::of)).await
        }
        (Route::Home, None) => redirect("/sign-in"),
        (Route::Home, Some(session)) => redirect(sign_in::home_of(&session)),
        // Every POST a route accepts changes something (starting a sign-in aside, above).
        (_, None) => match method.as_str() {
            "POST" => respond::sign_in_needed(
                403,
                "You are signed out",
                "Your session has ended. Sign in again, then repeat what you were doing; nothing was changed.",
            ),
            _ => redirect(&sign_in_then(req)),
        },
        (route, Some(session)) => {
            if route.is_admin() && !session.has(Role::Admin) {
                return problem(
                    403,
                    Some(Viewer::of(&session)),
                    "For admins only",
                    "This page is for the directory's team.",
                );
            }
            // Owner-facing routes: only the business's owners (and admins); for anyone else
            // the business does not exist.
            let access = match route.business() {
                Some(id) => match owner::access(&db, &session, id).await {
                    Ok(Some(kind)) => Some(kind),
                    Ok(None) => return not_found(Some(Viewer::of(&session))),
                    Err(_) => return respond::unavailable(Some(Viewer::of(&session))),
                },
                None => None,
            };
            let is_dashboard = matches!(
                route,
                Route::Dashboard | Route::NewListing | Route::Owner(..)
            );
            match method.as_str() {
                "POST" => {
                    if !session::from_our_pages(req, env) {
                        return cross_site(Some(Viewer::of(&session)));
                    }
                    // A photo comes as a multipart form, a recording as audio (its token in a
                    // header); everything else as a plain form.
                    let mut audio = None;
                    let (form, upload) = if matches!(route, Route::Owner(_, OwnerRoute::Photos)) {
                        match owner::read_upload(req).await {
                            Ok((form, upload)) => (form, Some(upload)),
                            Err(response) => return response,
                        }
                    } else if matches!(route.assistant(), Some(AssistantRoute::Voice(_))) {
                        match assistant::read_audio(req).await {
                            Ok((form, recording)) => {
                                audio = Some(recording);
                                (form, None)
                            }
                            Err(response) => return response,
                        }
                    } else {
                        match read_form(req).await {
                            Ok(form) => (form, None),
                            Err(response) => return response,
                        }
                    };
                    if !session::carries_token(&form, &session) {
                        return problem(
                            403,
                            Some(Viewer::of(&session)),
                            "This form has expired",
                            "Reload the page and try again; nothing was changed.",
                        );
                    }
                    if let Some(page) = route.facebook() {
                        facebook::change(page, req, env, &form, &db, &session, route.business())
                            .await
                    } else if let Some(assistant) = route.assistant() {
                        let business = route.business();
                        assistant::change(
                            assistant, env, req, &form, audio, &db, &session, business, access,
                        )
                        .await
                    } else if is_dashboard {
                        owner::change(route, env, &form, upload, &db, &session, access).await
                    } else {
                        console::change(route, req, env, &form, &db, &session).await
                    }
                }
                _ if route == Route::FacebookCallback => {
                    facebook::callback(req, env, &db, &session).await
                }
                _ => match (route.facebook(), route.assistant()) {
                    (Some(page), _) => {
                        facebook::read(page, req, env, &db, &session, route.business()).await
                    }
                    (None, Some(assistant)) => {
                        let business = route.business();
                        assistant::read(assistant, env, req, &db, &session, business, access).await
                    }
                    (None, None) if is_dashboard => {
                        owner::read(route, req, env, &db, &session, access).await
                    }
                    (None, None) => console::read(route, req, &db, &session).await,
                },
            }
        }
    }
}

/// `/sign-in?next=<this page>`, so signing in comes back here.
fn sign_in_then(req: &Request) -> String {
    let Ok(url) = req.url() else {
        return "/sign-in".into();
    };
    let mut here = url.path().to_owned();
    if let Some(query) = url.query() {
        here.push('?');
        here.push_str(query);
    }
    let next: String = url::form_urlencoded::byte_serialize(here.as_bytes()).collect();
    format!("/sign-in?next={next}")
}

fn cross_site(viewer: Option<Viewer>) -> Response {
    problem(
        403,
        viewer,
        "This form was sent from another site",
        "Nothing was changed.",
    )
}

async fn read_form(req: &mut Request) -> Result<Form, Response> {
    let is_form = header(req, "Content-Type").is_some_and(|t| {
        t.trim()
            .to_ascii_lowercase()
            .starts_with("application/x-www-form-urlencoded")
    });
    if !is_form {
        return Err(problem(
            415,
            None,
            "Not a form",
            "Send this from the page's form.",
        ));
    }
    match http::read_body(req, MAX_FORM_BYTES).await {
        Ok(body) => Ok(Form::parse(&body)),
        Err(BodyError::TooLarge) => Err(problem(
            413,
            None,
            "Too long",
            "What you sent is longer than we accept.",
        )),
        Err(BodyError::Unreadable) => Err(problem(
            400,
            None,
            "Not readable",
            "What you sent could not be read.",
        )),
    }
}
