//! The owner dashboard behind the gate in [`crate::app`]: the businesses someone runs, adding
//! a listing, and for one business (which the gate checked they own, or that they are an
//! admin) its editor, special days, history with undo, photos (uploaded to R2), leads
//! inbox and the analyzer's suggestions. Every domain call
//! names the business id of the route, so an id of another business finds nothing.

use crate::console::{decide_suggestion, failed, notice, page_number, publish};
use crate::respond::{self, Allow, not_found, page, problem, redirect, secure};
use crate::routes::{OwnerRoute, PhotoAction, Route, SectionAction, SuggestionAction};
use crate::sign_in::query;
use kbc_console::chrome::Viewer;
use kbc_console::pages::{
    self, AnalyticsPage, BuilderPage, BusinessNav, DashboardPage, EditorPage, HistoryPage,
    LeadPage, LeadsPage, NewListingPage, OverviewPage, PhotosPage, SpecialDayForm, SuggestionsPage,
};
use kbc_domain::FieldError;
use kbc_domain::accounts::{Role, Session};
use kbc_domain::analytics::Period;
use kbc_domain::blob::{Blob, BlobStore, R2Store};
use kbc_domain::db::DbResult;
use kbc_domain::db::d1::D1;
use kbc_domain::directory;
use kbc_domain::edits::{self, Author, AuthorKind, Means, Undone};
use kbc_domain::error::DomainError;
use kbc_domain::hours::SpecialDay;
use kbc_domain::images;
use kbc_domain::leads::{self, Stage};
use kbc_domain::listings::{self, Listing, ListingInput};
use kbc_domain::page_builder::{self, Kind, Section, SectionForm};
use kbc_domain::photos;
use kbc_domain::submissions;
use kbc_domain::{audit, claims};
use kbc_edge::http::{header, set};
use kbc_edge::runtime;
use kbc_site::forms::{Form, FormState};
use kbc_site::pages::{OwnerPage, Site};
use worker::{Env, FormEntry, Request, Response, console_error};

/// The R2 binding holding photos.
const MEDIA_BINDING: &str = "MEDIA";
/// The most an upload request may carry: the largest photo plus room for the form around it.
const MAX_UPLOAD_REQUEST: usize = images::Limits::UPLOAD.max_bytes + 64 * 1024;

/// A photo sent with a multipart form: its bytes, as received (nothing about them trusted).
pub struct Upload {
    pub bytes: Option<Vec<u8>>,
}

/// Reads a multipart upload: refused before a byte is read when its declared length is
/// missing or over the cap. The text fields become a [`Form`] for the CSRF check.
pub async fn read_upload(req: &mut Request) -> Result<(Form, Upload), Response> {
    let length = header(req, "Content-Length").and_then(|l| l.trim().parse::<usize>().ok());
    let too_large = || {
        problem(
            413,
            None,
            "That photo is too large",
            "A photo may be at most 10 MB. Nothing was stored.",
        )
    };
    match length {
        None => {
            return Err(problem(
                411,
                None,
                "Send the photo from the page",
                "Upload the photo with the form on the photos page.",
            ));
        }
        Some(length) if length > MAX_UPLOAD_REQUEST => {
            // Read to its end (within reason), so the browser shows this answer.
            kbc_edge::http::discard_body_up_to(req, 4 * MAX_UPLOAD_REQUEST).await;
            return Err(too_large());
        }
        Some(_) => {}
    }
    let is_multipart = header(req, "Content-Type").is_some_and(|t| {
        t.trim()
            .to_ascii_lowercase()
            .starts_with("multipart/form-data")
    });
    if !is_multipart {
        return Err(problem(
            415,
            None,
            "Not a form",
            "Send this from the page's form.",
        ));
    }
    let unreadable = || {
        problem(
            400,
            None,
            "Not readable",
            "What you sent could not be read.",
        )
    };
    let data = req.form_data().await.map_err(|_| unreadable())?;
    let mut fields = url::form_urlencoded::Serializer::new(String::new());
    for name in ["csrf", "alt"] {
        if let Some(FormEntry::Field(value)) = data.get(name) {
            fields.append_pair(name, &value);
        }
    }
    let bytes = match data.get("photo") {
        Some(FormEntry::File(file)) if file.size() > 0 => {
            Some(file.bytes().await.map_err(|_| unreadable())?)
        }
        _ => None,
    };
    if bytes
        .as_ref()
        .is_some_and(|b| b.len() > images::Limits::UPLOAD.max_bytes)
    {
        return Err(too_large());
    }
    Ok((Form::parse(fields.finish().as_bytes()), Upload { bytes }))
}

fn media(env: &Env) -> Option<R2Store> {
    env.bucket(MEDIA_BINDING).ok().map(R2Store)
}

/// As whom the session may open business `id`: its owner (holding the owner role, so taking
/// the role away ends every business's access at once), an admin, or not at all.
pub async fn access(db: &D1, session: &Session, id: i64) -> DbResult<Option<AuthorKind>> {
    if session.has(Role::Owner) && claims::owns(db, session.user_id, id).await? {
        Ok(Some(AuthorKind::Owner))
    } else if session.has(Role::Admin) {
        Ok(Some(AuthorKind::Admin))
    } else {
        Ok(None)
    }
}

fn author(session: &Session, kind: AuthorKind) -> Author {
    match kind {
        AuthorKind::Admin => Author::admin(&session.actor(), Means::Dashboard),
        _ => Author::owner(&session.actor(), Means::Dashboard),
    }
}

/// The photos page: its own script (drag to reorder) allowed.
fn photos_page(status: u16, photos: &PhotosPage) -> Response {
    let allow = Allow {
        scripts: true,
        ..Allow::default()
    };
    respond::page_allowing(status, photos, allow)
}

/// The page builder: its own script, and the preview's images from the public site.
fn builder_page(status: u16, builder: &BuilderPage, env: &Env) -> Response {
    let origin = runtime::site_origin(env);
    let allow = Allow {
        images: Some(&origin),
        scripts: true,
        ..Allow::default()
    };
    respond::page_allowing(status, builder, allow)
}

/// Renders the business's page from its sections and publishes it as a new snapshot, then
/// retires cached public answers; its number. Refused (invalid) when another publication
/// took the number first.
pub(crate) async fn publish_page(
    env: &Env,
    db: &D1,
    id: i64,
    user_id: Option<i64>,
    now: i64,
) -> Result<i64, DomainError> {
    let store = media(env).ok_or_else(|| {
        DomainError::Database(kbc_domain::db::DbError("no media bucket bound".into()))
    })?;
    let detail = directory::find_by_id(db, id)
        .await?
        .ok_or_else(|| DomainError::NotFound("business".into()))?;
    let sections = page_builder::sections(db, id).await?;
    let site = Site {
        origin: runtime::site_origin(env),
        app_origin: crate::session::own_origin(env),
        now,
    };
    let html = OwnerPage::new(&site, &detail, sections.iter().map(|s| &s.section)).html();
    let number = page_builder::publish(db, &store, id, html, user_id, now).await?;
    publish(env, db).await;
    Ok(number)
}

/// The section of the dashboard's navigation a route belongs to.
fn section(route: &OwnerRoute) -> &'static str {
    match route {
        OwnerRoute::Overview => "overview",
        OwnerRoute::Edit | OwnerRoute::AddSpecialDay | OwnerRoute::RemoveSpecialDay(_) => "edit",
        OwnerRoute::History | OwnerRoute::Undo(_) => "history",
        OwnerRoute::Leads
        | OwnerRoute::LeadsCsv
        | OwnerRoute::Lead(_)
        | OwnerRoute::LeadStage(_) => "leads",
        OwnerRoute::Photos | OwnerRoute::Photo(..) | OwnerRoute::PhotoOrder => "photos",
        OwnerRoute::Analytics => "analytics",
        OwnerRoute::Suggestions | OwnerRoute::Suggestion(..) => "suggestions",
        _ => "page",
    }
}

/// What a business's pages share: the listing and the navigation.
struct Opened {
    listing: Listing,
    nav: BusinessNav,
}

async fn open(
    db: &D1,
    env: &Env,
    session: &Session,
    id: i64,
    route: &OwnerRoute,
) -> Result<Opened, DomainError> {
    let listing = pages::listing(db, id).await?;
    let nav = BusinessNav::load(
        db,
        session.user_id,
        &listing,
        &runtime::site_origin(env),
        section(route),
    )
    .await?;
    Ok(Opened { listing, nav })
}

/// GET routes of the dashboard.
pub async fn read(
    route: Route,
    req: &Request,
    env: &Env,
    db: &D1,
    session: &Session,
    access: Option<AuthorKind>,
) -> Response {
    let viewer = Viewer::of(session);
    let loaded = match route {
        Route::Dashboard => DashboardPage::load(db, viewer.clone(), session.user_id, notice(req))
            .await
            .map(|p| page(200, &p)),
        Route::NewListing => NewListingPage::load(
            db,
            viewer.clone(),
            FormState::with_errors(Form::default(), Vec::new()),
        )
        .await
        .map(|p| page(200, &p)),
        Route::Owner(id, owner) => match access {
            Some(kind) => business_read(id, owner, req, env, db, session, kind).await,
            None => return not_found(Some(viewer)),
        },
        _ => return not_found(Some(viewer)),
    };
    loaded.unwrap_or_else(|err| failed(&err, viewer))
}

async fn business_read(
    id: i64,
    route: OwnerRoute,
    req: &Request,
    env: &Env,
    db: &D1,
    session: &Session,
    kind: AuthorKind,
) -> Result<Response, DomainError> {
    let viewer = Viewer::of(session);
    // What is no page needs neither the listing nor the navigation.
    let raw = match route {
        OwnerRoute::LeadsCsv => {
            let csv = leads::to_csv(&leads::export(db, id).await?);
            let response = runtime::text_response(200, csv, "text/csv; charset=utf-8");
            set(
                &response,
                "Content-Disposition",
                &format!("attachment; filename=\"leads-{id}.csv\""),
            );
            secure(&response);
            Some(response)
        }
        OwnerRoute::PhotoImage(photo) => {
            let found = photos::find(db, id, photo).await?;
            let (Some(found), Some(store)) = (found, media(env)) else {
                return Ok(not_found(Some(viewer.clone())));
            };
            Some(match store.get(&found.key).await {
                Ok(Some(blob)) => {
                    let Ok(response) = Response::from_bytes(blob.bytes) else {
                        return Ok(respond::unavailable(Some(viewer.clone())));
                    };
                    set(&response, "Content-Type", &found.content_type);
                    secure(&response);
                    response
                }
                Ok(None) => not_found(Some(viewer.clone())),
                Err(err) => {
                    console_error!("reading a photo: {err}");
                    respond::unavailable(Some(viewer.clone()))
                }
            })
        }
        _ => None,
    };
    if let Some(response) = raw {
        return Ok(response);
    }
    let Opened { listing, nav } = open(db, env, session, id, &route).await?;
    let Some(number) = page_number(req) else {
        return Ok(problem(
            400,
            Some(viewer),
            "No such page",
            "The page number is not valid.",
        ));
    };
    Ok(match route {
        OwnerRoute::Overview => page(
            200,
            &OverviewPage::load(db, viewer, nav, listing, notice(req)).await?,
        ),
        OwnerRoute::Edit => {
            let editor = EditorPage::load(
                db,
                viewer,
                nav,
                &listing,
                None,
                SpecialDayForm::default(),
                notice(req),
            )
            .await?;
            page(200, &editor)
        }
        OwnerRoute::History => page(
            200,
            &HistoryPage::load(db, viewer, nav, number, notice(req)).await?,
        ),
        OwnerRoute::Leads => {
            let stage = match query(req, "stage").as_deref() {
                None | Some("") => None,
                Some(raw) => match Stage::parse("stage", raw) {
                    Ok(stage) => Some(stage),
                    Err(_) => {
                        return Ok(problem(
                            400,
                            Some(viewer),
                            "No such stage",
                            "Leads are new, contacted, won or lost.",
                        ));
                    }
                },
            };
            page(200, &LeadsPage::load(db, viewer, nav, stage, number).await?)
        }
        OwnerRoute::Photos => photos_page(
            200,
            &PhotosPage::load(db, viewer, nav, None, notice(req)).await?,
        ),
        OwnerRoute::Builder => {
            let builder = BuilderPage::load(db, viewer, nav, None, notice(req)).await?;
            builder_page(200, &builder, env)
        }
        OwnerRoute::Suggestions => page(
            200,
            &SuggestionsPage::load(db, viewer, nav, None, notice(req)).await?,
        ),
        OwnerRoute::Analytics => {
            let period = match query(req, "days").as_deref() {
                None | Some("") => Period::default(),
                Some(raw) => match Period::parse(raw) {
                    Some(period) => period,
                    None => {
                        return Ok(problem(
                            400,
                            Some(viewer),
                            "No such period",
                            "Analytics cover the last 7, 30 or 90 days.",
                        ));
                    }
                },
            };
            page(
                200,
                &AnalyticsPage::load(db, viewer, nav, period, runtime::now()).await?,
            )
        }
        OwnerRoute::Lead(lead) => {
            // An owner opening a lead marks it read, as an inbox does; an admin looking in,
            // or a HEAD request, leaves it unread for the owner.
            let by_owner = kind == AuthorKind::Owner && req.inner().method() == "GET";
            let lead = leads::open(db, id, lead, by_owner, runtime::now()).await?;
            page(200, &LeadPage::new(viewer, nav, lead, notice(req)))
        }
        _ => not_found(Some(viewer)),
    })
}

/// POST routes of the dashboard, the form already checked for origin and CSRF token.
pub async fn change(
    route: Route,
    env: &Env,
    form: &Form,
    upload: Option<Upload>,
    db: &D1,
    session: &Session,
    kind: Option<AuthorKind>,
) -> Response {
    let viewer = Viewer::of(session);
    let now = runtime::now();
    match (route, kind) {
        (Route::NewListing, _) => add_listing(form, db, session, now).await,
        (Route::Owner(id, owner), Some(kind)) => {
            let author = author(session, kind);
            let action = Route::Owner(id, owner.clone()).template();
            // Field edits, undo and accepted suggestions are audited with their change
            // (`listings::save`).
            let audited_there = matches!(
                owner,
                OwnerRoute::Edit
                    | OwnerRoute::AddSpecialDay
                    | OwnerRoute::RemoveSpecialDay(_)
                    | OwnerRoute::Undo(_)
                    | OwnerRoute::Suggestion(_, SuggestionAction::Accept)
                    | OwnerRoute::Suggestion(_, SuggestionAction::AcceptEdited)
            );
            let response = if owner == OwnerRoute::Photos {
                let bytes = upload.and_then(|u| u.bytes);
                add_photo(id, env, form, bytes, db, session, now).await
            } else {
                business_change(id, owner, env, form, db, session, &author, now).await
            }
            .unwrap_or_else(|err| failed(&err, viewer));
            if kind == AuthorKind::Admin && !audited_there && response.status_code() == 303 {
                let entry = audit::entry(
                    &session.actor(),
                    &format!("dashboard POST {action}"),
                    "business",
                    &id.to_string(),
                    None,
                    None,
                    now,
                );
                if let Err(err) = kbc_domain::db::Database::execute(db, &entry).await {
                    console_error!("auditing an admin's dashboard change: {err}");
                }
            }
            response
        }
        _ => not_found(Some(viewer)),
    }
}

async fn add_listing(form: &Form, db: &D1, session: &Session, now: i64) -> Response {
    let viewer = Viewer::of(session);
    let outcome = match form.submission().parse() {
        Ok(submission) => submissions::create_by(db, session.user_id, &submission, now).await,
        Err(errors) => Err(DomainError::Invalid(errors)),
    };
    match outcome {
        Ok(_) => redirect("/dashboard?done=added"),
        Err(DomainError::Invalid(errors)) => {
            let state = FormState::with_errors(form.clone(), errors);
            match NewListingPage::load(db, viewer.clone(), state).await {
                Ok(again) => page(422, &again),
                Err(err) => failed(&err, viewer),
            }
        }
        Err(err) => failed(&err, viewer),
    }
}

#[allow(clippy::too_many_arguments)]
async fn business_change(
    id: i64,
    route: OwnerRoute,
    env: &Env,
    form: &Form,
    db: &D1,
    session: &Session,
    author: &Author,
    now: i64,
) -> Result<Response, DomainError> {
    let viewer = Viewer::of(session);
    let base = format!("/dashboard/{id}");
    Ok(match route {
        OwnerRoute::Edit => {
            let listing = pages::listing(db, id).await?;
            let input = form.listing(listing.special_days.clone());
            let saved = match input.parse() {
                Ok(edit) => listings::update(db, author, id, &edit, now).await,
                Err(errors) => Err(DomainError::Invalid(errors)),
            };
            match saved {
                Ok(()) => {
                    publish(env, db).await;
                    redirect(&format!("{base}/edit?done=listing-saved"))
                }
                Err(DomainError::Invalid(errors)) => {
                    let edit = Some((input, errors));
                    editor_again(db, env, session, &listing, edit, SpecialDayForm::default())
                        .await?
                }
                Err(err) => return Err(err),
            }
        }
        OwnerRoute::AddSpecialDay => {
            let listing = pages::listing(db, id).await?;
            let typed = SpecialDayForm {
                day: form.get("special_day").to_owned(),
                hours: form.get("special_hours").to_owned(),
                note: form.get("special_note").to_owned(),
                errors: Vec::new(),
            };
            let mut input = listing.as_input();
            let parsed = SpecialDay::parse(&typed.day, &typed.hours, &typed.note).and_then(|day| {
                input.special_days.retain(|d| d.day != day.day);
                input.special_days.push(day);
                input.parse()
            });
            match parsed {
                Ok(edit) => {
                    listings::update(db, author, id, &edit, now).await?;
                    publish(env, db).await;
                    redirect(&format!("{base}/edit?done=special-added#special-heading"))
                }
                Err(errors) => {
                    // A stored field today's rules refuse is shown beside it in the editor.
                    let (special, others): (Vec<_>, Vec<_>) = errors
                        .into_iter()
                        .partition(|e| e.field.starts_with("special_"));
                    let typed = SpecialDayForm {
                        errors: special,
                        ..typed
                    };
                    let edit = (!others.is_empty()).then(|| (listing.as_input(), others));
                    editor_again(db, env, session, &listing, edit, typed).await?
                }
            }
        }
        OwnerRoute::RemoveSpecialDay(ref day) => {
            let listing = pages::listing(db, id).await?;
            let mut input = listing.as_input();
            input.special_days.retain(|d| &d.day != day);
            if input.special_days.len() != listing.special_days.len() {
                match input.parse() {
                    Ok(edit) => listings::update(db, author, id, &edit, now).await?,
                    Err(errors) => {
                        let edit = Some((listing.as_input(), errors));
                        let special = SpecialDayForm::default();
                        return editor_again(db, env, session, &listing, edit, special).await;
                    }
                }
                publish(env, db).await;
            }
            redirect(&format!("{base}/edit?done=special-removed#special-heading"))
        }
        OwnerRoute::Undo(edit) => match edits::undo(db, author, id, edit, now).await? {
            Undone::Undone => {
                publish(env, db).await;
                redirect(&format!("{base}/history?done=undone"))
            }
            Undone::NotPossible => redirect(&format!("{base}/history?done=undo-not-possible")),
        },
        OwnerRoute::LeadStage(lead) => match Stage::parse("stage", form.get("stage")) {
            Ok(stage) => {
                leads::set_stage(db, id, lead, stage, now).await?;
                redirect(&format!("{base}/leads/{lead}?done=stage"))
            }
            Err(_) => problem(
                400,
                Some(viewer),
                "No such stage",
                "Leads are new, contacted, won or lost.",
            ),
        },
        OwnerRoute::Photo(photo, action) => {
            let photos_page = format!("{base}/photos");
            let done = match action {
                PhotoAction::Alt => match photos::set_alt(db, id, photo, form.get("alt")).await {
                    Err(DomainError::Invalid(_)) => "alt-invalid",
                    other => other.map(|()| "alt-saved")?,
                },
                PhotoAction::Cover => photos::make_cover(db, id, photo).await.map(|()| "cover")?,
                PhotoAction::Move(direction) => photos::nudge(db, id, photo, direction)
                    .await
                    .map(|()| "moved")?,
                PhotoAction::Remove => {
                    let key = photos::remove(db, id, photo).await?;
                    // The row is gone, so the page stops showing it whatever R2 answers.
                    if let Some(store) = media(env)
                        && let Err(err) = store.delete(&key).await
                    {
                        console_error!("deleting a photo's object: {err}");
                    }
                    "photo-removed"
                }
            };
            publish(env, db).await;
            redirect(&format!("{photos_page}?done={done}"))
        }
        OwnerRoute::AddSection => match Kind::parse(form.get("kind")) {
            Some(kind) => match page_builder::add(db, id, kind, now).await {
                Ok(section) => redirect(&format!(
                    "{base}/page?done=section-added#section-editor-{section}"
                )),
                Err(DomainError::Invalid(_)) => {
                    redirect(&format!("{base}/page?done=sections-full"))
                }
                Err(err) => return Err(err),
            },
            None => problem(
                400,
                Some(viewer),
                "No such section",
                "Choose a section from the list.",
            ),
        },
        OwnerRoute::Section(section, action) => {
            let after = match action {
                SectionAction::Save => {
                    let stored = page_builder::section(db, id, section)
                        .await?
                        .ok_or_else(|| DomainError::NotFound("section".into()))?;
                    let typed = SectionForm::new(
                        form.pairs()
                            .iter()
                            .filter(|(name, _)| name != "csrf")
                            .cloned(),
                    );
                    let saved = match Section::parse(stored.section.kind(), &typed) {
                        Ok(parsed) => page_builder::save(db, id, section, &parsed, now).await,
                        Err(errors) => Err(DomainError::Invalid(errors)),
                    };
                    match saved {
                        Ok(()) => "section-saved",
                        Err(DomainError::Invalid(errors)) => {
                            let Opened { nav, .. } = open(db, env, session, id, &route).await?;
                            let failed = Some((section, typed, errors));
                            let again = BuilderPage::load(db, viewer, nav, failed, None).await?;
                            return Ok(builder_page(422, &again, env));
                        }
                        Err(err) => return Err(err),
                    }
                }
                SectionAction::Move(direction) => {
                    page_builder::nudge(db, id, section, direction).await?;
                    "section-moved"
                }
                SectionAction::Remove => {
                    page_builder::remove(db, id, section).await?;
                    "section-removed"
                }
            };
            let anchor = if action == SectionAction::Remove {
                "#sections-heading".to_owned()
            } else {
                format!("#section-editor-{section}")
            };
            redirect(&format!("{base}/page?done={after}{anchor}"))
        }
        OwnerRoute::SectionOrder => {
            let Some(order) = order_of(form) else {
                return Ok(not_an_order(viewer));
            };
            page_builder::reorder(db, id, &order).await?;
            redirect(&format!("{base}/page?done=section-moved"))
        }
        OwnerRoute::Publish => match publish_page(env, db, id, Some(session.user_id), now).await {
            Ok(_) => redirect(&format!("{base}/page?done=published")),
            Err(DomainError::Invalid(_)) => redirect(&format!("{base}/page?done=publish-raced")),
            Err(err) => return Err(err),
        },
        OwnerRoute::Unpublish => {
            page_builder::unpublish(db, id).await?;
            publish(env, db).await;
            redirect(&format!("{base}/page?done=unpublished"))
        }
        OwnerRoute::Restore(number) => {
            page_builder::restore(db, id, number, now).await?;
            publish(env, db).await;
            redirect(&format!("{base}/page?done=restored"))
        }
        OwnerRoute::Suggestion(suggestion, action) => {
            match decide_suggestion(db, author, id, suggestion, action, form, now).await? {
                Ok(done) => {
                    if done == "suggestion-accepted" {
                        publish(env, db).await;
                    }
                    redirect(&format!("{base}/suggestions?done={done}"))
                }
                Err(refused) => {
                    let Opened { nav, .. } = open(db, env, session, id, &route).await?;
                    let again = SuggestionsPage::load(db, viewer, nav, Some(refused), None).await?;
                    page(422, &again)
                }
            }
        }
        OwnerRoute::PhotoOrder => {
            let Some(order) = order_of(form) else {
                return Ok(not_an_order(viewer));
            };
            photos::reorder(db, id, &order).await?;
            publish(env, db).await;
            redirect(&format!("{base}/photos?done=moved"))
        }
        _ => respond::not_found(Some(viewer)),
    })
}

/// The listing editor again (422) with what failed beside its fields; `listing` as the
/// request already read it.
async fn editor_again(
    db: &D1,
    env: &Env,
    session: &Session,
    listing: &Listing,
    edit: Option<(ListingInput, Vec<FieldError>)>,
    special: SpecialDayForm,
) -> Result<Response, DomainError> {
    let nav = BusinessNav::load(
        db,
        session.user_id,
        listing,
        &runtime::site_origin(env),
        "edit",
    )
    .await?;
    let again =
        EditorPage::load(db, Viewer::of(session), nav, listing, edit, special, None).await?;
    Ok(page(422, &again))
}

/// The ids a drag-to-reorder form sends, in their new order (`order=3,1,2`).
fn order_of(form: &Form) -> Option<Vec<i64>> {
    form.get("order")
        .split(',')
        .map(|id| id.trim().parse::<i64>().ok())
        .collect()
}

fn not_an_order(viewer: Viewer) -> Response {
    problem(
        400,
        Some(viewer),
        "Not an order",
        "The new order did not come as a list of ids; reload the page and drag again.",
    )
}

/// An upload: its type decided by its bytes, its metadata stripped, stored in R2 under
/// the hash of what is stored, then recorded; a failed record removes the object again
/// unless another photo already holds those very bytes.
async fn add_photo(
    id: i64,
    env: &Env,
    form: &Form,
    bytes: Option<Vec<u8>>,
    db: &D1,
    session: &Session,
    now: i64,
) -> Result<Response, DomainError> {
    let viewer = Viewer::of(session);
    let alt = form.get("alt").to_owned();
    let mut problems = Vec::new();
    if let Err(problem) = photos::parse_alt(&alt) {
        problems.push(problem);
    }
    let inspected = match bytes {
        None => {
            problems.push(FieldError::new("photo", "choose a photo to upload"));
            None
        }
        Some(bytes) => match images::inspect(&bytes, &images::Limits::UPLOAD) {
            Ok(inspected) => Some(inspected),
            Err(err) => {
                problems.push(err.into());
                None
            }
        },
    };
    let refused = |problems| async {
        let listing = pages::listing(db, id).await?;
        let nav = BusinessNav::load(
            db,
            session.user_id,
            &listing,
            &runtime::site_origin(env),
            "photos",
        )
        .await?;
        let again =
            PhotosPage::load(db, viewer.clone(), nav, Some((alt.clone(), problems)), None).await?;
        Ok::<_, DomainError>(photos_page(422, &again))
    };
    let Some(inspected) = inspected.filter(|_| problems.is_empty()) else {
        return refused(problems).await;
    };
    let Some(store) = media(env) else {
        return Ok(respond::unavailable(Some(viewer)));
    };
    let mut inspected = inspected;
    let key = images::content_key(id, &inspected);
    // The bytes move to R2; recording needs only the kind and the size (no second copy of
    // up to 10 MB in the isolate's memory).
    let blob = Blob {
        bytes: std::mem::take(&mut inspected.bytes),
        content_type: inspected.kind.content_type().to_owned(),
    };
    if let Err(err) = store.put(&key, blob).await {
        console_error!("storing a photo: {err}");
        return Ok(respond::unavailable(Some(viewer)));
    }
    match photos::upload(db, id, &inspected, &key, &alt, now).await {
        Ok(_) => {
            publish(env, db).await;
            Ok(redirect(&format!(
                "/dashboard/{id}/photos?done=photo-added"
            )))
        }
        Err(err) => {
            if !photos::is_recorded(db, &key).await.unwrap_or(true)
                && let Err(delete) = store.delete(&key).await
            {
                console_error!("removing an unrecorded photo: {delete}");
            }
            match err {
                DomainError::Invalid(problems) => refused(problems).await,
                other => Err(other),
            }
        }
    }
}
