//! The signed-in pages behind the gate in [`crate::app`]: the account page, and the admin
//! console's reads (queue, review, users, audit, suggestions, the analyzer) and changes
//! (approve, reject, roles, sessions, invitations, suggestions, replays). Rights were checked
//! before these run; each change names the exact object it touches, and every admin change is
//! recorded in the audit log by the domain.

use crate::respond::{self, not_found, page, problem, redirect};
use crate::routes::{Route, SuggestionAction};
use crate::sign_in::{self, query};
use kbc_console::chrome::{Notice, Viewer};
use kbc_console::pages::{
    AccountPage, AnalyzerPage, AuditPage, ClaimPage, ClaimsPage, JobsPage, ListingPage,
    ListingsPage, PostEditorPage, PostsPage, Refused, ReviewPage, SubmissionsPage,
    SuggestionQueuePage, UsersPage,
};
use kbc_domain::accounts::{self, Granted, Role, Session};
use kbc_domain::analysis;
use kbc_domain::audit::{self, Filter};
use kbc_domain::blog::{self, Publication};
use kbc_domain::claims::{self, ClaimOutcome, Decided};
use kbc_domain::db::d1::D1;
use kbc_domain::edits::{Author, Means};
use kbc_domain::error::DomainError;
use kbc_domain::submissions::{self, Decision};
use kbc_domain::suggestions::{self, Decided as Suggested};
use kbc_domain::values::Slug;
use kbc_domain::values::{Email, Plan};
use kbc_domain::{Page, cache};
use kbc_domain::{leads, listings};
use kbc_edge::runtime;
use kbc_identity::secrets::random_secret;
use kbc_site::forms::{Form, FormState};
use worker::{Env, Method, Request, RequestInit, Response, console_error};

/// What a `done` parameter after a redirect says; fixed texts, so nothing is reflected.
pub(crate) fn notice(req: &Request) -> Option<Notice> {
    let (ok, text) = match query(req, "done")?.as_str() {
        "approved" => (true, "Approved and published."),
        "rejected" => (true, "Rejected."),
        "already" => (
            false,
            "Someone already decided this submission; nothing was changed.",
        ),
        "granted" => (true, "Role granted."),
        "revoked" => (true, "Role taken away; that person's sessions have ended."),
        "own-admin" => (false, "You cannot take your own admin role."),
        "sessions" => (true, "That person is signed out everywhere."),
        "invited" => (
            true,
            "Invitation saved: the role goes to the next verified sign-in with that email.",
        ),
        "granted-email" => (
            true,
            "Role granted to the people signed in with that email.",
        ),
        "owner" => (true, "You own this listing now."),
        "assistant-approved" => (true, "Approved: the change is made."),
        "assistant-rejected" => (true, "Rejected: nothing was changed."),
        "assistant-failed" => (false, "That change could not be made; the card says why."),
        "assistant-already" => (
            false,
            "That proposal was already decided; nothing more was changed.",
        ),
        "assistant-expired" => (false, "That proposal expired; ask the assistant again."),
        "renamed" => (true, "Renamed."),
        "deleted" => (true, "Conversation deleted."),
        "listing-saved" => (true, "Saved; the public page shows it now."),
        "listing-suspend" => (true, "Suspended: the listing is off the public site."),
        "listing-reactivate" => (true, "Reactivated: the listing is public again."),
        "listing-remove" => (true, "Removed: hidden from the public site, kept here."),
        "listing-restore" => (true, "Restored."),
        "featured" => (
            true,
            "Featured: the place is locked for those days; the rotation works around it.",
        ),
        "plan" => (
            true,
            "Plan saved: the next featured rotation ranks the listing by it.",
        ),
        "post-saved" => (true, "Saved."),
        "post-unpublished" => (
            true,
            "Unpublished: the post is a draft again, off the public site.",
        ),
        "erased" => (true, "The listing and its personal data are erased."),
        "spam" => (true, "Marked as spam."),
        "claim-sent" => (
            true,
            "Claim sent: our team will check it; its status is below.",
        ),
        "owner-already" => (true, "You already own this listing."),
        "claim-approved" => (true, "Claim approved: they own the listing now."),
        "claim-rejected" => (true, "Claim rejected."),
        "claim-already" => (
            false,
            "Someone already decided this claim; nothing was changed.",
        ),
        "added" => (
            true,
            "Sent: our team checks new listings, usually within a day; it is yours once approved.",
        ),
        "special-added" => (true, "Special day saved; the public page follows it."),
        "special-removed" => (true, "Special day removed."),
        "undone" => (
            true,
            "Undone: the listing is back as it was before that change.",
        ),
        "undo-not-possible" => (
            false,
            "That change was already undone or is no longer the latest; nothing was changed.",
        ),
        "stage" => (true, "Stage saved."),
        "photo-added" => (true, "Photo added; the public page shows it now."),
        "photo-removed" => (true, "Photo deleted; it is gone from the public page."),
        "cover" => (true, "Cover photo chosen."),
        "moved" => (true, "Order saved."),
        "alt-saved" => (true, "Description saved."),
        "section-added" => (true, "Section added: fill it in below."),
        "section-saved" => (
            true,
            "Section saved; the preview shows it. Publish to make it public.",
        ),
        "section-moved" => (true, "Order saved."),
        "section-removed" => (true, "Section removed."),
        "sections-full" => (
            false,
            "A page holds at most 20 sections; nothing was added.",
        ),
        "published" => (true, "Published: your page is public now."),
        "publish-raced" => (
            false,
            "Someone published at the same moment; publish again to make sure yours is shown.",
        ),
        "restored" => (true, "That version is your public page again."),
        "unpublished" => (
            true,
            "Your page is taken down; every version is kept, and restoring one puts it back.",
        ),
        "alt-invalid" => (
            false,
            "A description is needed (at most 200 characters); nothing was changed.",
        ),
        "suggestion-accepted" => (
            true,
            "Accepted: the listing shows it now, and its history can undo it.",
        ),
        "suggestion-rejected" => (true, "Rejected: that value will not be suggested again."),
        "suggestion-already" => (
            false,
            "That suggestion was already decided; nothing was changed.",
        ),
        "replay-queued" => (
            true,
            "Replay requested: the analyzer has queued that listing again.",
        ),
        "replay-recorded" => (
            true,
            "Replay recorded: the analyzer's next run will queue it.",
        ),
        "replay-already" => (
            false,
            "A replay of that analysis was already requested; nothing was changed.",
        ),
        _ => return None,
    };
    Some(Notice {
        ok,
        text: text.into(),
    })
}

pub(crate) fn page_number(req: &Request) -> Option<Page> {
    Page::parse(query(req, "page").as_deref(), kbc_console::pages::PAGE_SIZE).ok()
}

/// A page that failed to load: missing thing, bad store.
pub(crate) fn failed(err: &DomainError, viewer: Viewer) -> Response {
    match err {
        DomainError::NotFound(_) => not_found(Some(viewer)),
        DomainError::Invalid(errors) => {
            let what: Vec<String> = errors.iter().map(ToString::to_string).collect();
            problem(
                400,
                Some(viewer),
                "That did not work",
                &format!("Nothing was changed: {}.", what.join("; ")),
            )
        }
        other => {
            console_error!("console: {other}");
            respond::unavailable(Some(viewer))
        }
    }
}

/// GET routes of a signed-in person.
pub async fn read(route: Route, req: &Request, db: &D1, session: &Session) -> Response {
    let viewer = Viewer::of(session);
    let Some(number) = page_number(req) else {
        return problem(
            400,
            Some(viewer),
            "No such page",
            "The page number is not valid.",
        );
    };
    let loaded = match route {
        Route::Account => {
            let roles = Role::ALL
                .into_iter()
                .filter(|r| session.has(*r))
                .map(Role::as_str)
                .collect();
            AccountPage::load(db, viewer.clone(), session.user_id, roles, notice(req))
                .await
                .map(|p| page(200, &p))
                .map_err(DomainError::from)
        }
        Route::Claim(slug) => ClaimPage::load(db, viewer.clone(), &slug, None)
            .await
            .map(|p| page(200, &p)),
        Route::Claims => ClaimsPage::load(db, viewer.clone(), number, notice(req))
            .await
            .map(|p| page(200, &p)),
        Route::Jobs => JobsPage::load(
            db,
            viewer.clone(),
            &query(req, "worker").unwrap_or_default(),
            number,
        )
        .await
        .map(|p| page(200, &p))
        .map_err(DomainError::from),
        Route::Admin => return redirect("/admin/submissions"),
        Route::Posts => PostsPage::load(db, viewer.clone(), number, runtime::now(), notice(req))
            .await
            .map(|p| page(200, &p)),
        Route::NewPost => {
            PostEditorPage::load(db, viewer.clone(), None, None, runtime::now(), None)
                .await
                .map(|p| page(200, &p))
        }
        Route::Post(id) => PostEditorPage::load(
            db,
            viewer.clone(),
            Some(id),
            None,
            runtime::now(),
            notice(req),
        )
        .await
        .map(|p| page(200, &p)),
        Route::Businesses => {
            let take = |name: &str| {
                query(req, name)
                    .unwrap_or_default()
                    .chars()
                    .take(200)
                    .collect::<String>()
            };
            let filter = listings::Filter {
                q: take("q"),
                state: take("state"),
            };
            ListingsPage::load(db, viewer.clone(), filter, number, notice(req))
                .await
                .map(|p| page(200, &p))
        }
        Route::Business(id) => {
            let Ok(leads_page) = Page::parse(query(req, "leads_page").as_deref(), 1) else {
                return problem(
                    400,
                    Some(viewer),
                    "No such page",
                    "The page number is not valid.",
                );
            };
            ListingPage::load(
                db,
                viewer.clone(),
                id,
                None,
                leads_page,
                notice(req),
                runtime::now(),
            )
            .await
            .map(|p| page(200, &p))
        }
        Route::Suggestions => {
            SuggestionQueuePage::load(db, viewer.clone(), number, None, notice(req))
                .await
                .map(|p| page(200, &p))
                .map_err(DomainError::from)
        }
        Route::Analyzer => AnalyzerPage::load(db, viewer.clone(), number, notice(req))
            .await
            .map(|p| page(200, &p))
            .map_err(DomainError::from),
        Route::Submissions => SubmissionsPage::load(db, viewer.clone(), number, notice(req))
            .await
            .map(|p| page(200, &p)),
        Route::Submission(id) => ReviewPage::load(db, viewer.clone(), id, None, None, notice(req))
            .await
            .map(|p| page(200, &p)),
        Route::Users => {
            let search = query(req, "q").unwrap_or_default();
            let search: String = search.chars().take(200).collect();
            UsersPage::load(
                db,
                viewer.clone(),
                session.user_id,
                &search,
                number,
                notice(req),
                None,
            )
            .await
            .map(|p| page(200, &p))
        }
        Route::Audit => {
            let take = |name: &str| {
                query(req, name)
                    .unwrap_or_default()
                    .chars()
                    .take(254)
                    .collect::<String>()
            };
            let filter = Filter {
                actor: take("actor"),
                action: take("action"),
                object_type: take("object"),
            };
            AuditPage::load(db, viewer.clone(), filter, number)
                .await
                .map(|p| page(200, &p))
        }
        _ => return not_found(Some(viewer)),
    };
    loaded.unwrap_or_else(|err| failed(&err, viewer))
}

/// POST routes of a signed-in person, their form already checked for origin and CSRF token.
pub async fn change(
    route: Route,
    req: &Request,
    env: &Env,
    form: &Form,
    db: &D1,
    session: &Session,
) -> Response {
    let now = runtime::now();
    let viewer = Viewer::of(session);
    let actor = session.actor();
    let result = match route {
        Route::SignOut => return sign_in::sign_out(req, db).await,
        Route::SignOutEverywhere => return sign_in::sign_out_everywhere(db, session).await,
        Route::Approve(id) => return approve(env, form, db, session, id, now).await,
        Route::Reject(id) => return reject(form, db, session, id, now).await,
        Route::GrantRole(user) => match Role::parse("role", form.get("role")) {
            Ok(role) => accounts::grant(db, &actor, user, role, now)
                .await
                .map(|()| "/admin/users?done=granted".to_owned()),
            Err(_) => {
                return problem(
                    400,
                    Some(viewer),
                    "No such role",
                    "Roles are admin and owner.",
                );
            }
        },
        Route::RevokeRole(user, role) => {
            match accounts::revoke(db, &actor, user, role, now).await {
                Err(DomainError::Invalid(_)) => Ok("/admin/users?done=own-admin".to_owned()),
                other => other.map(|()| "/admin/users?done=revoked".to_owned()),
            }
        }
        Route::RevokeSessions(user) => accounts::revoke_sessions(db, &actor, user, now)
            .await
            .map(|()| "/admin/users?done=sessions".to_owned()),
        Route::Invite => return invite(form, db, session, now).await,
        Route::EditBusiness(id) => return edit_listing(env, form, db, session, id, now).await,
        Route::CreatePost => return save_post(env, form, db, session, None, now).await,
        Route::SavePost(id) => return save_post(env, form, db, session, Some(id), now).await,
        Route::UnpublishPost(id) => blog::unpublish(db, &actor, id, now)
            .await
            .map(|()| format!("/admin/blog/{id}?done=post-unpublished")),
        Route::BusinessState(id) => match listings::Change::parse(form.get("change")) {
            Some(change) => listings::change(db, &actor, id, change, now)
                .await
                .map(|()| format!("/admin/businesses/{id}?done=listing-{}", form.get("change"))),
            None => return problem(400, Some(viewer), "No such change", "Nothing was changed."),
        },
        Route::FeatureBusiness(id) => match form.get("days").trim().parse::<i64>() {
            Ok(days) => listings::feature(db, &actor, id, now, days, now)
                .await
                .map(|()| format!("/admin/businesses/{id}?done=featured")),
            Err(_) => Err(DomainError::invalid("days", "must be a number of days")),
        },
        Route::BusinessPlan(id) => match Plan::parse("plan", form.get("plan")) {
            Ok(plan) => listings::set_plan(db, &actor, id, plan, now)
                .await
                .map(|()| format!("/admin/businesses/{id}?done=plan")),
            Err(err) => Err(err.into()),
        },
        Route::EraseBusiness(id) => {
            if form.get("confirm").trim() != "ERASE" {
                return problem(
                    422,
                    Some(viewer),
                    "Type ERASE to confirm",
                    "Erasing cannot be undone, so it needs the word ERASE typed in; nothing was changed.",
                );
            }
            match listings::erase(db, &actor, id, now).await {
                Ok(keys) => {
                    if let Ok(bucket) = env.bucket("MEDIA") {
                        for key in keys {
                            if let Err(err) = bucket.delete(&key).await {
                                console_error!("deleting an erased listing's photo: {err}");
                            }
                        }
                    }
                    Ok("/admin/businesses?done=erased".to_owned())
                }
                Err(err) => Err(err),
            }
        }
        Route::SpamLead(business, lead) => leads::mark_spam(db, &actor, business, lead, now)
            .await
            .map(|()| format!("/admin/businesses/{business}?done=spam")),
        Route::Claim(slug) => return claim(form, db, session, &slug, now).await,
        Route::ListingSuggestion(business, id, action) => {
            let number = page_number(req).unwrap_or(Page::first(1));
            let author = Author::admin(&actor, Means::Console);
            let decided = decide_suggestion(db, &author, business, id, action, form, now).await;
            return match decided {
                Ok(Ok(done)) => {
                    if done == "suggestion-accepted" {
                        publish(env, db).await;
                    } else if done == "suggestion-rejected" {
                        let entry = audit::entry(
                            &actor,
                            "suggestion.reject",
                            "suggestion",
                            &id.to_string(),
                            None,
                            None,
                            now,
                        );
                        if let Err(err) = kbc_domain::db::Database::execute(db, &entry).await {
                            console_error!("recording a rejected suggestion: {err}");
                        }
                    }
                    let page = match number.number {
                        1 => String::new(),
                        n => format!("page={n}&"),
                    };
                    redirect(&format!("/admin/suggestions?{page}done={done}"))
                }
                Ok(Err(refused)) => {
                    match SuggestionQueuePage::load(db, viewer.clone(), number, Some(refused), None)
                        .await
                    {
                        Ok(queue) => page(422, &queue),
                        Err(err) => failed(&err.into(), viewer),
                    }
                }
                Err(err) => failed(&err, viewer),
            };
        }
        Route::ReplayAnalysis(id) => {
            let done = match analysis::request_replay(db, &actor, id, now).await {
                Ok(Suggested::Done) if queue_replays(env).await => "replay-queued",
                Ok(Suggested::Done) => "replay-recorded",
                Ok(Suggested::AlreadyDecided) => "replay-already",
                Err(err) => return failed(&err, viewer),
            };
            return redirect(&format!("/admin/analyzer?done={done}"));
        }
        Route::ApproveClaim(id) | Route::RejectClaim(id) => {
            let approve = matches!(route, Route::ApproveClaim(_));
            let Ok(token) = random_secret() else {
                return respond::unavailable(Some(viewer));
            };
            match claims::decide(db, &actor, id, approve, form.get("reason"), &token, now).await {
                Ok(Decided::Now) if approve => Ok("/admin/claims?done=claim-approved".to_owned()),
                Ok(Decided::Now) => Ok("/admin/claims?done=claim-rejected".to_owned()),
                Ok(Decided::Already) => Ok("/admin/claims?done=claim-already".to_owned()),
                Err(DomainError::Invalid(_)) => {
                    return problem(
                        422,
                        Some(viewer),
                        "Say why",
                        "A rejection needs a reason; nothing was changed.",
                    );
                }
                Err(err) => Err(err),
            }
        }
        _ => return not_found(Some(viewer)),
    };
    match result {
        Ok(location) => {
            // Suspensions, removals and featuring change what the public sees.
            publish(env, db).await;
            redirect(&location)
        }
        Err(err) => failed(&err, viewer),
    }
}

async fn approve(
    env: &Env,
    form: &Form,
    db: &D1,
    session: &Session,
    id: i64,
    now: i64,
) -> Response {
    let viewer = Viewer::of(session);
    let edited = match form.submission().parse() {
        Ok(edited) => edited,
        Err(errors) => {
            let state = FormState::with_errors(form.clone(), errors);
            return match ReviewPage::load(db, viewer.clone(), id, Some(state), None, None).await {
                Ok(review) => page(422, &review),
                Err(err) => failed(&err, viewer),
            };
        }
    };
    let Ok(token) = random_secret() else {
        return respond::unavailable(Some(viewer));
    };
    match submissions::approve(db, &session.actor(), id, &edited, &token, now).await {
        Ok(Decision::Approved { .. }) => {
            publish(env, db).await;
            redirect("/admin/submissions?done=approved")
        }
        Ok(_) => redirect(&format!("/admin/submissions/{id}?done=already")),
        Err(DomainError::Invalid(errors)) => {
            let state = FormState::with_errors(form.clone(), errors);
            match ReviewPage::load(db, viewer.clone(), id, Some(state), None, None).await {
                Ok(review) => page(422, &review),
                Err(err) => failed(&err, viewer),
            }
        }
        Err(err) => failed(&err, viewer),
    }
}

async fn reject(form: &Form, db: &D1, session: &Session, id: i64, now: i64) -> Response {
    let viewer = Viewer::of(session);
    let Ok(token) = random_secret() else {
        return respond::unavailable(Some(viewer));
    };
    match submissions::reject(db, &session.actor(), id, form.get("reason"), &token, now).await {
        Ok(Decision::Rejected) => redirect("/admin/submissions?done=rejected"),
        Ok(_) => redirect(&format!("/admin/submissions/{id}?done=already")),
        Err(DomainError::Invalid(errors)) => {
            let message = errors.into_iter().next().map(|e| e.message);
            match ReviewPage::load(db, viewer.clone(), id, None, message, None).await {
                Ok(review) => page(422, &review),
                Err(err) => failed(&err, viewer),
            }
        }
        Err(err) => failed(&err, viewer),
    }
}

async fn invite(form: &Form, db: &D1, session: &Session, now: i64) -> Response {
    let viewer = Viewer::of(session);
    let parsed = Email::parse("email", form.get("email"))
        .and_then(|email| Ok((email, Role::parse("role", form.get("role"))?)));
    let (email, role) = match parsed {
        Ok(parsed) => parsed,
        Err(err) => {
            return match UsersPage::load(
                db,
                viewer.clone(),
                session.user_id,
                "",
                Page::first(1),
                None,
                Some(err.message),
            )
            .await
            {
                Ok(users) => page(422, &users),
                Err(err) => failed(&err, viewer),
            };
        }
    };
    let granted = match accounts::grant_by_email(db, &email, role, now).await {
        Ok(granted) => granted,
        Err(err) => return failed(&err, viewer),
    };
    let entry = audit::entry(
        &session.actor(),
        "role.invite",
        "email",
        email.as_str(),
        None,
        Some(role.as_str()),
        now,
    );
    if let Err(err) = kbc_domain::db::Database::execute(db, &entry).await {
        console_error!("recording an invitation: {err}");
    }
    redirect(match granted {
        Granted::Invited => "/admin/users?done=invited",
        Granted::Users(_) => "/admin/users?done=granted-email",
    })
}

async fn claim(form: &Form, db: &D1, session: &Session, slug: &Slug, now: i64) -> Response {
    let viewer = Viewer::of(session);
    match claims::request(db, &session.actor(), slug, form.get("note"), now).await {
        Ok(ClaimOutcome::Owner { .. }) => redirect("/account?done=owner"),
        Ok(ClaimOutcome::Pending { .. }) => redirect("/account?done=claim-sent"),
        Ok(ClaimOutcome::AlreadyOwner) => redirect("/account?done=owner-already"),
        Err(DomainError::Invalid(errors)) => {
            let message = errors.into_iter().next().map(|e| e.message);
            match ClaimPage::load(db, viewer.clone(), slug, message).await {
                Ok(claim) => page(422, &claim),
                Err(err) => failed(&err, viewer),
            }
        }
        Err(err) => failed(&err, viewer),
    }
}

async fn edit_listing(
    env: &Env,
    form: &Form,
    db: &D1,
    session: &Session,
    id: i64,
    now: i64,
) -> Response {
    let viewer = Viewer::of(session);
    let special_days = match listings::find(db, id).await {
        Ok(Some(listing)) => listing.special_days,
        Ok(None) => return not_found(Some(viewer)),
        Err(err) => return failed(&err.into(), viewer),
    };
    let input = form.listing(special_days);
    let outcome = match input.parse() {
        Ok(edit) => {
            listings::update(
                db,
                &Author::admin(&session.actor(), Means::Console),
                id,
                &edit,
                now,
            )
            .await
        }
        Err(errors) => Err(DomainError::Invalid(errors)),
    };
    match outcome {
        Ok(()) => {
            publish(env, db).await;
            redirect(&format!("/admin/businesses/{id}?done=listing-saved"))
        }
        Err(DomainError::Invalid(errors)) => {
            match ListingPage::load(
                db,
                viewer.clone(),
                id,
                Some((input, errors)),
                Page::first(1),
                None,
                now,
            )
            .await
            {
                Ok(listing) => page(422, &listing),
                Err(err) => failed(&err, viewer),
            }
        }
        Err(err) => failed(&err, viewer),
    }
}

/// Public data changed: retire cached answers at the edge at once.
pub(crate) async fn publish(env: &Env, db: &D1) {
    if let Some(kv) = runtime::cache(env)
        && let Err(err) = cache::publish_generation(&kv, db).await
    {
        console_error!("publishing the cache generation: {err}");
    }
}

async fn save_post(
    env: &Env,
    form: &Form,
    db: &D1,
    session: &Session,
    id: Option<i64>,
    now: i64,
) -> Response {
    let viewer = Viewer::of(session);
    let input = blog::PostInput {
        title: form.get("title").to_owned(),
        slug: form.get("slug").to_owned(),
        summary: form.get("summary").to_owned(),
        body: form.get("body").to_owned(),
        author: form.get("author").to_owned(),
    };
    let (choice, at) = (form.get("publish"), form.get("publish_at"));
    let mut errors = input.parse().err().unwrap_or_default();
    let publication = Publication::parse(choice, at, now)
        .map_err(|e| errors.push(e))
        .ok();
    let outcome = match (input.parse(), publication) {
        (Ok(edit), Some(publication)) if errors.is_empty() => {
            blog::save(db, &session.actor(), id, &edit, publication, now).await
        }
        _ => Err(DomainError::Invalid(errors)),
    };
    match outcome {
        Ok(saved) => {
            publish(env, db).await;
            redirect(&format!("/admin/blog/{saved}?done=post-saved"))
        }
        Err(DomainError::Invalid(errors)) => {
            let again = (input, choice.to_owned(), at.to_owned(), errors);
            match PostEditorPage::load(db, viewer.clone(), id, Some(again), now, None).await {
                Ok(editor) => page(422, &editor),
                Err(err) => failed(&err, viewer),
            }
        }
        Err(err) => failed(&err, viewer),
    }
}

/// Decides suggestion `id` of listing `business` as `action` says (an edited value comes as
/// the form's `value`): the `done` notice to show, or why the value was refused (nothing
/// stored). An accepted value changes the public listing: the caller publishes.
pub(crate) async fn decide_suggestion(
    db: &D1,
    author: &Author,
    business: i64,
    id: i64,
    action: SuggestionAction,
    form: &Form,
    now: i64,
) -> Result<Result<&'static str, Refused>, DomainError> {
    let edited = (action == SuggestionAction::AcceptEdited).then(|| form.get("value").to_owned());
    let decided = match (action, &edited) {
        (SuggestionAction::Reject, _) => suggestions::reject(db, business, id, now).await,
        (_, Some(value)) => suggestions::accept_edited(db, author, business, id, value, now).await,
        (_, None) => suggestions::accept(db, author, business, id, now).await,
    };
    Ok(Ok(match decided {
        Ok(Suggested::AlreadyDecided) => "suggestion-already",
        Ok(Suggested::Done) if action == SuggestionAction::Reject => "suggestion-rejected",
        Ok(Suggested::Done) => "suggestion-accepted",
        Err(DomainError::Invalid(errors)) => {
            let value = edited;
            return Ok(Err(Refused { id, value, errors }));
        }
        Err(err) => return Err(err),
    }))
}

/// Asks the analyzer, through its service binding, to queue the requested replays now; false
/// when it could not (its next run takes them then).
async fn queue_replays(env: &Env) -> bool {
    let Ok(analyzer) = env.service("ANALYZER") else {
        return false;
    };
    let mut init = RequestInit::new();
    init.with_method(Method::Post);
    match analyzer.fetch("https://analyzer/replay", Some(init)).await {
        Ok(response) if (200..300).contains(&response.status_code()) => true,
        Ok(response) => {
            console_error!("the analyzer refused a replay: {}", response.status_code());
            false
        }
        Err(err) => {
            console_error!("asking the analyzer to replay: {err}");
            false
        }
    }
}
