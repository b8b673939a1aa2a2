//! The owner dashboard end to end in workerd: an owner edits their listing and the public
//! page shows it at once, special days move the public "open now" line, undo happens
//! exactly once, the leads inbox (read, stage, CSV), adding a listing that becomes theirs —
//! and a neighbour editing ids in the address reaches nothing of another business.

use kbc_e2e::client::Worker;
use kbc_e2e::listings::{count, neighbours_listing, owned_listing};
use kbc_e2e::sign_in::{self, ADMIN, NEIGHBOUR, OWNER, Session, sign_in_as};
use serde_json::json;
use std::sync::{Mutex, MutexGuard};

/// The agent and the api write one local SQLite file: these tests take turns.
static ONE_AT_A_TIME: Mutex<()> = Mutex::new(());

fn exclusive() -> MutexGuard<'static, ()> {
    ONE_AT_A_TIME
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// The api's isolates see a new cache generation within a second.
fn until_the_edge_sees_it() {
    std::thread::sleep(std::time::Duration::from_millis(1100));
}

/// The editor's form as the page holds it, with `changes` applied.
fn editor_fields(page: &str, changes: &[(&str, &str)]) -> Vec<(String, String)> {
    let mut fields: Vec<(String, String)> = Vec::new();
    for name in [
        "name",
        "phone",
        "email",
        "website",
        "street",
        "city",
        "zip",
        "keywords",
        "towns",
        "service_radius_km",
        "location",
    ] {
        fields.push((name.into(), input_value(page, &format!("listing-{name}"))));
    }
    for day in 0..7 {
        fields.push((
            format!("hours_{day}"),
            input_value(page, &format!("listing-hours_{day}")),
        ));
    }
    fields.push(("category".into(), kbc_e2e::fixtures::CONSOLE.into()));
    fields.push(("state".into(), "OK".into()));
    fields.push(("description".into(), "Drains & more".into()));
    for (name, value) in changes {
        fields.retain(|(n, _)| n != name);
        fields.push(((*name).into(), (*value).into()));
    }
    fields
}

/// The `value` of the input with `id` (HTML-unescaped for the few entities askama writes).
fn input_value(page: &str, id: &str) -> String {
    let marker = format!("id=\"{id}\"");
    let Some(at) = page.find(&marker) else {
        return String::new();
    };
    let rest = &page[at..];
    let Some(start) = rest.find("value=\"").map(|v| v + 7) else {
        return String::new();
    };
    let raw: String = rest[start..].chars().take_while(|c| *c != '"').collect();
    raw.replace("&#43;", "+")
        .replace("&#x2b;", "+")
        .replace("&#47;", "/")
        .replace("&#x2f;", "/")
        .replace("&amp;", "&")
}

fn save(
    agent: &Worker,
    owner: &Session,
    id: i64,
    changes: &[(&str, &str)],
) -> kbc_e2e::client::Reply {
    let page = owner.get(agent, &format!("/dashboard/{id}/edit"));
    assert_eq!(page.status, 200, "{}", page.body);
    let fields = editor_fields(&page.body, changes);
    let borrowed: Vec<(&str, &str)> = fields
        .iter()
        .map(|(n, v)| (n.as_str(), v.as_str()))
        .collect();
    owner.post_form(
        agent,
        &format!("/dashboard/{id}/edit"),
        &format!("/dashboard/{id}/edit"),
        &borrowed,
    )
}

#[test]
fn an_owner_edits_their_listing_and_the_public_page_shows_it_at_once() {
    let _turn = exclusive();
    let agent = Worker::agent();
    let (owner, slug, id) = owned_listing(&agent, "Qqdash Edited Drains", "198.51.100.71");
    let dashboard = owner.get(&agent, "/dashboard");
    assert!(
        dashboard.body.contains("Qqdash Edited Drains"),
        "{}",
        dashboard.body
    );
    let reply = save(
        &agent,
        &owner,
        id,
        &[("keywords", "sewer camera, qqdashkeyword")],
    );
    assert_eq!(
        reply.header("location"),
        Some(format!("/dashboard/{id}/edit?done=listing-saved").as_str()),
        "{}",
        reply.body
    );
    until_the_edge_sees_it();
    let public = Worker::api().get(&format!("/api/v1/businesses/{slug}"));
    assert!(
        public.json()["business"]["keywords"]
            .as_array()
            .unwrap()
            .contains(&json!("qqdashkeyword"))
    );
    let history = owner.get(&agent, &format!("/dashboard/{id}/history"));
    assert!(history.body.contains("Keywords") && history.body.contains("qqdashkeyword"));
    assert!(
        history.body.contains(OWNER),
        "the owner is named as the author"
    );
}

#[test]
fn an_invalid_edit_names_the_field_and_changes_nothing() {
    let _turn = exclusive();
    let agent = Worker::agent();
    let (owner, slug, id) = owned_listing(&agent, "Qqdash Invalid Drains", "198.51.100.72");
    let reply = save(&agent, &owner, id, &[("phone", "12"), ("name", "")]);
    assert_eq!(reply.status, 422);
    assert!(
        reply.body.contains("id=\"listing-phone-error\""),
        "{}",
        reply.body
    );
    assert!(reply.body.contains("id=\"listing-name-error\""));
    let public = Worker::api().get(&format!("/api/v1/businesses/{slug}"));
    assert_eq!(public.json()["business"]["name"], "Qqdash Invalid Drains");
    assert_eq!(
        count(
            "SELECT count(*) FROM listing_edits WHERE business_id = ?1",
            &id.to_string()
        ),
        0
    );
}

/// Today's date in Oklahoma.
fn today() -> String {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    let (year, month, day) = kbc_domain::hours::local_date(now);
    format!("{year}-{month:02}-{day:02}")
}

#[test]
fn a_special_day_closes_the_listing_on_the_public_page_and_undo_opens_it_once() {
    let _turn = exclusive();
    let agent = Worker::agent();
    let (owner, slug, id) = owned_listing(&agent, "Qqdash Holiday Drains", "198.51.100.73");
    let all_day: Vec<(String, String)> = (0..7)
        .map(|d| (format!("hours_{d}"), "0:00-0:00".into()))
        .collect();
    let all_day: Vec<(&str, &str)> = all_day
        .iter()
        .map(|(n, v)| (n.as_str(), v.as_str()))
        .collect();
    assert_eq!(save(&agent, &owner, id, &all_day).status, 303);
    until_the_edge_sees_it();
    let page = Worker::api().get(&format!("/business/{slug}"));
    assert!(page.body.contains("Open now"), "{}", page.body);

    let edit = format!("/dashboard/{id}/edit");
    let reply = owner.post_form(
        &agent,
        &edit,
        &format!("/dashboard/{id}/special-days"),
        &[
            ("special_day", &today()),
            ("special_hours", "closed"),
            ("special_note", "Qqdash inventory day"),
        ],
    );
    assert_eq!(reply.status, 303, "{}", reply.body);
    until_the_edge_sees_it();
    let page = Worker::api().get(&format!("/business/{slug}"));
    assert!(page.body.contains("Closed now"), "{}", page.body);
    assert!(page.body.contains("Qqdash inventory day"));

    let history = owner.get(&agent, &format!("/dashboard/{id}/history"));
    let latest = count(
        "SELECT max(id) FROM listing_edits WHERE business_id = ?1",
        &id.to_string(),
    );
    assert!(history.body.contains(&format!("/history/{latest}/undo")));
    let token = sign_in::csrf_token(&history.body);
    let body = format!("csrf={token}");
    let undo = format!("/dashboard/{id}/history/{latest}/undo");
    let replies: Vec<String> = std::thread::scope(|scope| {
        let runs: Vec<_> = (0..3)
            .map(|_| scope.spawn(|| owner.post_raw(&agent, &undo, &body, agent.origin())))
            .collect();
        runs.into_iter()
            .map(|run| {
                run.join()
                    .unwrap()
                    .header("location")
                    .unwrap_or_default()
                    .to_owned()
            })
            .collect()
    });
    assert_eq!(
        replies
            .iter()
            .filter(|l| l.ends_with("done=undone"))
            .count(),
        1,
        "{replies:?}"
    );
    assert_eq!(
        count(
            "SELECT count(*) FROM listing_edits WHERE undoes = ?1",
            &latest.to_string()
        ),
        1,
        "one undo recorded"
    );
    until_the_edge_sees_it();
    let page = Worker::api().get(&format!("/business/{slug}"));
    assert!(page.body.contains("Open now"), "{}", page.body);
}

#[test]
fn the_leads_inbox_opens_marks_read_sets_the_stage_and_exports_csv() {
    let _turn = exclusive();
    let agent = Worker::agent();
    let (owner, slug, id) = owned_listing(&agent, "Qqdash Lead Drains", "198.51.100.74");
    let sent = Worker::api().post_json(
        &format!("/api/v1/businesses/{slug}/leads"),
        "198.51.100.75",
        &json!({"name": "=Sam <b>", "email": "sam@example.com", "message": "Need a quote for a water heater."}),
    );
    assert_eq!(sent.status, 202, "{}", sent.body);
    let lead = count(
        "SELECT id FROM leads WHERE business_id = ?1",
        &id.to_string(),
    );
    let overview = owner.get(&agent, &format!("/dashboard/{id}"));
    assert!(overview.body.contains("1 unread lead"), "{}", overview.body);
    let inbox = owner.get(&agent, &format!("/dashboard/{id}/leads"));
    assert!(
        inbox.body.contains("=Sam &lt;b&gt;") || inbox.body.contains("=Sam &#60;b&#62;"),
        "{}",
        inbox.body
    );
    let opened = owner.get(&agent, &format!("/dashboard/{id}/leads/{lead}"));
    assert!(
        opened.body.contains("mailto:sam@example.com"),
        "{}",
        opened.body
    );
    assert!(
        owner
            .get(&agent, &format!("/dashboard/{id}"))
            .body
            .contains("No unread leads")
    );
    let staged = owner.post_form(
        &agent,
        &format!("/dashboard/{id}/leads/{lead}"),
        &format!("/dashboard/{id}/leads/{lead}/stage"),
        &[("stage", "won")],
    );
    assert_eq!(staged.status, 303);
    let won = owner.get(&agent, &format!("/dashboard/{id}/leads?stage=won"));
    assert!(won.body.contains("=Sam"));
    let csv = owner.get(&agent, &format!("/dashboard/{id}/leads.csv"));
    assert_eq!(csv.header("content-type"), Some("text/csv; charset=utf-8"));
    assert!(
        csv.header("content-disposition")
            .unwrap()
            .starts_with("attachment")
    );
    assert!(
        csv.body
            .contains("\"'=Sam <b>\",\"sam@example.com\",\"\",\"won\""),
        "{}",
        csv.body
    );
}

#[test]
fn a_neighbour_reaches_nothing_of_another_business_by_editing_ids() {
    let _turn = exclusive();
    let agent = Worker::agent();
    let (_owner, slug, id) = owned_listing(&agent, "Qqdash Guarded Drains", "198.51.100.76");
    let neighbour = sign_in_as(&agent, NEIGHBOUR, "/dashboard");
    let reads = [
        "",
        "/edit",
        "/history",
        "/leads",
        "/leads.csv",
        "/leads/1",
        "/photos",
        "/analytics",
        "/page",
        "/facebook",
    ];
    for path in reads {
        let reply = neighbour.get(&agent, &format!("/dashboard/{id}{path}"));
        assert_eq!(reply.status, 404, "GET {path}: {}", reply.body);
        assert!(!reply.body.contains("Qqdash Guarded Drains"), "{path}");
    }
    let token = sign_in::csrf_token(&neighbour.get(&agent, "/dashboard").body);
    let changes = [
        ("/edit", "name=Stolen"),
        (
            "/special-days",
            "special_day=2030-01-01&special_hours=closed",
        ),
        ("/special-days/2030-01-01/remove", ""),
        ("/history/1/undo", ""),
        ("/leads/1/stage", "stage=lost"),
        ("/photos/1/remove", ""),
        ("/page/publish", ""),
        ("/page/sections", "kind=hero"),
        ("/page/snapshots/1/restore", ""),
        ("/facebook/connect", ""),
        ("/facebook/pages", "page_id=104729384756101"),
        ("/facebook/disconnect", ""),
        ("/facebook/settings", "review_first=1"),
        (
            "/facebook/posts",
            "body=Stolen&scheduled_at=2030-01-01T09:00",
        ),
        ("/facebook/posts/1/cancel", ""),
        ("/facebook/posts/1/edit", "body=Stolen"),
        ("/facebook/comments/1/reply", ""),
    ];
    for (path, fields) in changes {
        let body = format!("csrf={token}&{fields}");
        let reply = neighbour.post_raw(
            &agent,
            &format!("/dashboard/{id}{path}"),
            &body,
            agent.origin(),
        );
        assert_eq!(reply.status, 404, "POST {path}: {}", reply.body);
    }
    let public = Worker::api().get(&format!("/api/v1/businesses/{slug}"));
    assert_eq!(public.json()["business"]["name"], "Qqdash Guarded Drains");
    assert_eq!(
        count(
            "SELECT count(*) FROM listing_edits WHERE business_id = ?1",
            &id.to_string()
        ),
        0
    );
}

#[test]
fn an_admin_may_open_any_dashboard_and_is_recorded_as_the_team() {
    let _turn = exclusive();
    let agent = Worker::agent();
    let (owner, _slug, id) = owned_listing(&agent, "Qqdash Admin Drains", "198.51.100.77");
    let admin = sign_in_as(&agent, ADMIN, "/dashboard");
    let page = admin.get(&agent, &format!("/dashboard/{id}/edit"));
    assert_eq!(page.status, 200);
    assert_eq!(save(&agent, &admin, id, &[("towns", "Hugo")]).status, 303);
    let history = owner.get(&agent, &format!("/dashboard/{id}/history"));
    assert!(
        history.body.contains("Kiamichi Biz Connect team"),
        "{}",
        history.body
    );
    assert!(
        !history.body.contains(ADMIN),
        "owners are not shown the team's emails"
    );
}

#[test]
fn a_listing_added_from_the_dashboard_becomes_the_owners_once_approved() {
    let _turn = exclusive();
    let agent = Worker::agent();
    let (neighbour, id) = neighbours_listing(&agent, "Qqdash Added Bakery");
    let dashboard = neighbour.get(&agent, "/dashboard");
    assert!(dashboard.body.contains("Qqdash Added Bakery"));
    assert!(!dashboard.body.contains("waiting for review"));
    assert_eq!(
        neighbour
            .get(&agent, &format!("/dashboard/{id}/edit"))
            .status,
        200
    );
}

#[test]
fn an_owner_reaches_no_object_of_another_business_through_their_own() {
    let _turn = exclusive();
    let agent = Worker::agent();
    let (owner, slug, theirs) = owned_listing(&agent, "Qqdash Object Drains", "198.51.100.85");
    // The other business gets one of everything: a lead, a photo, a section, an edit and a
    // published page.
    let sent = Worker::api().post_json(
        &format!("/api/v1/businesses/{slug}/leads"),
        "198.51.100.86",
        &json!({"name": "Pat", "email": "pat@example.com", "message": "Need a plumber tomorrow."}),
    );
    assert_eq!(sent.status, 202);
    let token = sign_in::csrf_token(
        &owner
            .get(&agent, &format!("/dashboard/{theirs}/photos"))
            .body,
    );
    let form = photo_form(&token, "Their van", "van.jpg", "image/jpeg", GPS_JPEG);
    assert_eq!(upload(&agent, &owner, theirs, form).status, 303);
    let builder = format!("/dashboard/{theirs}/page");
    owner.post_form(
        &agent,
        &builder,
        &format!("{builder}/sections"),
        &[("kind", "about")],
    );
    owner.post_form(&agent, &builder, &format!("{builder}/publish"), &[]);
    assert_eq!(
        save(&agent, &owner, theirs, &[("towns", "Broken Bow")]).status,
        303
    );
    let of = |sql: &str| count(sql, &theirs.to_string());
    let lead = of("SELECT id FROM leads WHERE business_id = ?1");
    let photo = of("SELECT id FROM business_photos WHERE business_id = ?1");
    let section = of("SELECT id FROM page_sections WHERE business_id = ?1");
    let edit = of("SELECT max(id) FROM listing_edits WHERE business_id = ?1");

    let (neighbour, mine) = neighbours_listing(&agent, "Qqdash Object Bakery");
    let reads = [format!("/leads/{lead}"), format!("/photos/{photo}/image")];
    for path in reads {
        let reply = neighbour.get(&agent, &format!("/dashboard/{mine}{path}"));
        assert_eq!(reply.status, 404, "GET {path} through their own business");
    }
    let page = neighbour.get(&agent, &format!("/dashboard/{mine}/page"));
    let token = sign_in::csrf_token(&page.body);
    // Another business's object is not found through this one; a new order naming it is
    // refused as not this business's order.
    let changes = [
        (format!("/leads/{lead}/stage"), "stage=lost".to_owned(), 404),
        (format!("/photos/{photo}/alt"), "alt=Stolen".to_owned(), 404),
        (format!("/photos/{photo}/cover"), String::new(), 404),
        (format!("/photos/{photo}/later"), String::new(), 404),
        (format!("/photos/{photo}/remove"), String::new(), 404),
        ("/photos/order".to_owned(), format!("order={photo}"), 400),
        (
            format!("/page/sections/{section}/save"),
            "title=Stolen".to_owned(),
            404,
        ),
        (
            format!("/page/sections/{section}/earlier"),
            String::new(),
            404,
        ),
        (
            format!("/page/sections/{section}/remove"),
            String::new(),
            404,
        ),
        (
            "/page/sections/order".to_owned(),
            format!("order={section}"),
            400,
        ),
        (format!("/history/{edit}/undo"), String::new(), 404),
        ("/page/snapshots/1/restore".to_owned(), String::new(), 404),
    ];
    for (path, fields, status) in changes {
        let body = format!("csrf={token}&{fields}");
        let reply = neighbour.post_raw(
            &agent,
            &format!("/dashboard/{mine}{path}"),
            &body,
            agent.origin(),
        );
        assert_eq!(reply.status, status, "POST {path}: {}", reply.body);
    }
    // Whatever each answered, nothing of the other business changed.
    assert_eq!(
        of("SELECT count(*) FROM leads WHERE business_id = ?1 AND stage = 'new'"),
        1
    );
    assert_eq!(
        of(
            "SELECT count(*) FROM business_photos WHERE business_id = ?1 AND alt_text = 'Their van'"
        ),
        1
    );
    assert_eq!(
        of("SELECT count(*) FROM page_sections WHERE business_id = ?1"),
        1
    );
    assert_eq!(
        of("SELECT count(*) FROM listing_edits WHERE business_id = ?1 AND undone_at IS NULL"),
        1
    );
    assert_eq!(
        of("SELECT count(*) FROM published_pages WHERE business_id = ?1 AND number = 1"),
        1
    );
    assert_eq!(
        count(
            "SELECT count(*) FROM page_snapshots WHERE business_id = ?1",
            &mine.to_string()
        ),
        0
    );
}

/// A multipart body as a browser sends the photos form: the CSRF token, the alt text and
/// one file part; and its content type.
fn photo_form(
    token: &str,
    alt: &str,
    file_name: &str,
    declared: &str,
    bytes: &[u8],
) -> (Vec<u8>, String) {
    let boundary = "----kbcE2eBoundary7MA4YWxkTrZu0gW";
    let mut body = Vec::new();
    for (name, value) in [("csrf", token), ("alt", alt)] {
        body.extend_from_slice(
            format!(
                "--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n"
            )
            .as_bytes(),
        );
    }
    body.extend_from_slice(
        format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"photo\"; filename=\"{file_name}\"\r\n\
             Content-Type: {declared}\r\n\r\n"
        )
        .as_bytes(),
    );
    body.extend_from_slice(bytes);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    (body, format!("multipart/form-data; boundary={boundary}"))
}

fn upload(
    agent: &Worker,
    owner: &Session,
    id: i64,
    form: (Vec<u8>, String),
) -> kbc_e2e::client::Reply {
    let (body, content_type) = form;
    agent.send(
        "POST",
        &format!("/dashboard/{id}/photos"),
        &[
            ("Cookie", &owner.cookie()),
            ("Origin", agent.origin()),
            ("Content-Type", &content_type),
        ],
        Some(&body),
    )
}

const GPS_JPEG: &[u8] = include_bytes!("../../domain/tests/fixtures/gps.jpg");

#[test]
fn an_uploaded_photo_appears_publicly_without_its_location_data_and_goes_when_deleted() {
    let _turn = exclusive();
    let agent = Worker::agent();
    let (owner, slug, id) = owned_listing(&agent, "Qqdash Photo Drains", "198.51.100.78");
    let token = sign_in::csrf_token(&owner.get(&agent, &format!("/dashboard/{id}/photos")).body);
    let reply = upload(
        &agent,
        &owner,
        id,
        photo_form(
            &token,
            "The shop's front door",
            "door.jpg",
            "image/jpeg",
            GPS_JPEG,
        ),
    );
    assert_eq!(
        reply.header("location"),
        Some(format!("/dashboard/{id}/photos?done=photo-added").as_str()),
        "{}",
        reply.body
    );
    let key = photo_key(id);
    assert!(
        key.starts_with(&format!("photos/{id}/")) && key.ends_with(".jpg"),
        "{key}"
    );
    until_the_edge_sees_it();
    let page = Worker::api().get(&format!("/business/{slug}"));
    assert!(
        page.body.contains(&format!("/images/{key}")),
        "{}",
        page.body
    );
    assert!(
        page.body.contains("The shop&#x27;s front door")
            || page.body.contains("The shop&#39;s front door")
    );
    let served = Worker::api().send("GET", &format!("/images/{key}"), &[], None);
    assert_eq!(served.status, 200);
    assert_eq!(served.header("content-type"), Some("image/jpeg"));
    let bytes = served.bytes.clone();
    assert!(bytes.starts_with(&[0xFF, 0xD8, 0xFF]));
    assert!(bytes.len() < GPS_JPEG.len(), "the metadata is gone");
    assert!(
        !bytes.windows(4).any(|w| w == b"Exif"),
        "no Exif segment left"
    );

    let photo =
        kbc_e2e::listings::count("SELECT id FROM business_photos WHERE object_key = ?1", &key);
    let removed = owner.post_form(
        &agent,
        &format!("/dashboard/{id}/photos"),
        &format!("/dashboard/{id}/photos/{photo}/remove"),
        &[],
    );
    assert_eq!(removed.status, 303);
    until_the_edge_sees_it();
    assert!(
        !Worker::api()
            .get(&format!("/business/{slug}"))
            .body
            .contains(&key)
    );
    assert_eq!(
        Worker::api()
            .send("GET", &format!("/images/{key}"), &[], None)
            .status,
        404
    );
}

/// The key of a business's (only) photo.
fn photo_key(id: i64) -> String {
    let rows = pollster::block_on(kbc_domain::db::fetch_all::<serde_json::Value>(
        &kbc_e2e::state::database(),
        &kbc_domain::db::Statement::new(
            "SELECT object_key FROM business_photos WHERE business_id = ?1",
        )
        .bind(id),
    ))
    .unwrap();
    rows[0]["object_key"].as_str().unwrap().to_owned()
}

#[test]
fn a_renamed_non_image_or_a_missing_description_is_refused_and_stores_nothing() {
    let _turn = exclusive();
    let agent = Worker::agent();
    let (owner, _slug, id) = owned_listing(&agent, "Qqdash Disguise Drains", "198.51.100.79");
    let token = sign_in::csrf_token(&owner.get(&agent, &format!("/dashboard/{id}/photos")).body);
    let html = b"<html><script>alert(1)</script></html>";
    let reply = upload(
        &agent,
        &owner,
        id,
        photo_form(&token, "Front", "front.jpg", "image/jpeg", html),
    );
    assert_eq!(reply.status, 422, "{}", reply.body);
    assert!(
        reply.body.contains("must be a JPEG, PNG or WebP image"),
        "{}",
        reply.body
    );
    let no_alt = upload(
        &agent,
        &owner,
        id,
        photo_form(&token, "", "door.jpg", "image/jpeg", GPS_JPEG),
    );
    assert_eq!(no_alt.status, 422);
    assert!(
        no_alt.body.contains("id=\"photo-alt-error\""),
        "{}",
        no_alt.body
    );
    let photos = "SELECT count(*) FROM business_photos WHERE business_id = ?1";
    assert_eq!(kbc_e2e::listings::count(photos, &id.to_string()), 0);
}

#[test]
fn an_oversized_upload_is_refused_before_it_is_read() {
    let _turn = exclusive();
    let agent = Worker::agent();
    let (owner, _slug, id) = owned_listing(&agent, "Qqdash Huge Drains", "198.51.100.80");
    let token = sign_in::csrf_token(&owner.get(&agent, &format!("/dashboard/{id}/photos")).body);
    let huge = vec![0xFF_u8; 11 * 1024 * 1024];
    let reply = upload(
        &agent,
        &owner,
        id,
        photo_form(&token, "Big", "big.jpg", "image/jpeg", &huge),
    );
    assert_eq!(reply.status, 413, "{}", reply.body);
    assert!(reply.body.contains("at most 10 MB"));
    let photos = "SELECT count(*) FROM business_photos WHERE business_id = ?1";
    assert_eq!(kbc_e2e::listings::count(photos, &id.to_string()), 0);
}

/// Whether the hostile headline is on the page as text (askama writes `<` as `&#60;`).
fn shown_as_text(page: &str) -> bool {
    page.contains("Qqdash first &#60;script&#62;") || page.contains("Qqdash first &lt;script&gt;")
}

#[test]
fn an_owner_publishes_a_page_then_restores_an_earlier_snapshot_and_a_suspended_listing_hides_it() {
    let _turn = exclusive();
    let agent = Worker::agent();
    let (owner, slug, id) = owned_listing(&agent, "Qqdash Page Drains", "198.51.100.81");
    let builder = format!("/dashboard/{id}/page");
    let added = owner.post_form(
        &agent,
        &builder,
        &format!("{builder}/sections"),
        &[("kind", "hero")],
    );
    assert_eq!(added.status, 303, "{}", added.body);
    let section = kbc_e2e::listings::count(
        "SELECT id FROM page_sections WHERE business_id = ?1",
        &id.to_string(),
    );
    let save = |headline: &str| {
        let reply = owner.post_form(
            &agent,
            &builder,
            &format!("{builder}/sections/{section}/save"),
            &[
                ("headline", headline),
                ("tagline", "Drains cleared since 1999"),
            ],
        );
        assert_eq!(reply.status, 303, "{}", reply.body);
    };
    let publish = || {
        let reply = owner.post_form(&agent, &builder, &format!("{builder}/publish"), &[]);
        assert_eq!(
            reply.header("location"),
            Some(format!("{builder}?done=published").as_str())
        );
    };
    save("Qqdash first <script>alert(1)</script>");
    let preview = owner.get(&agent, &builder);
    assert!(shown_as_text(&preview.body), "{}", preview.body);
    publish();
    until_the_edge_sees_it();
    let public = format!("/business/{slug}/page");
    let page = Worker::api().get(&public);
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(shown_as_text(&page.body));
    assert!(!page.body.contains("<script>alert(1)"));
    assert!(
        page.header("content-security-policy")
            .unwrap()
            .contains("default-src 'none'")
    );
    let listing = Worker::api().get(&format!("/business/{slug}"));
    assert!(listing.body.contains(&public), "the listing links its page");
    let sitemap = Worker::api().get("/sitemap.xml");
    assert!(
        sitemap.body.contains(&public),
        "search engines are told of it"
    );

    save("Qqdash second headline");
    publish();
    until_the_edge_sees_it();
    assert!(
        Worker::api()
            .get(&public)
            .body
            .contains("Qqdash second headline")
    );

    let restored = owner.post_form(
        &agent,
        &builder,
        &format!("{builder}/snapshots/1/restore"),
        &[],
    );
    assert_eq!(
        restored.header("location"),
        Some(format!("{builder}?done=restored").as_str())
    );
    until_the_edge_sees_it();
    let page = Worker::api().get(&public);
    assert!(page.body.contains("Qqdash first") && !page.body.contains("Qqdash second"));

    let admin = sign_in_as(&agent, ADMIN, "/admin/businesses");
    let console = format!("/admin/businesses/{id}");
    let suspended = admin.post_form(
        &agent,
        &console,
        &format!("{console}/state"),
        &[("change", "suspend")],
    );
    assert_eq!(suspended.status, 303);
    until_the_edge_sees_it();
    assert_eq!(
        Worker::api().get(&public).status,
        404,
        "a suspended listing's page is not served"
    );
}

#[test]
fn a_section_that_breaks_a_rule_names_the_problem_and_keeps_what_was_typed() {
    let _turn = exclusive();
    let agent = Worker::agent();
    let (owner, _slug, id) = owned_listing(&agent, "Qqdash Faq Drains", "198.51.100.82");
    let builder = format!("/dashboard/{id}/page");
    owner.post_form(
        &agent,
        &builder,
        &format!("{builder}/sections"),
        &[("kind", "faq")],
    );
    let section = kbc_e2e::listings::count(
        "SELECT id FROM page_sections WHERE business_id = ?1",
        &id.to_string(),
    );
    let reply = owner.post_form(
        &agent,
        &builder,
        &format!("{builder}/sections/{section}/save"),
        &[("title", "Questions"), ("items", "Q: Do you clear roots?")],
    );
    assert_eq!(reply.status, 422, "{}", reply.body);
    assert!(
        reply.body.contains("Do you clear roots?"),
        "what was typed is kept"
    );
    assert!(reply.body.contains("field-error") || reply.body.contains("notice error"));
}

const BROWSER: &str = concat!(
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) ",
    "Chrome/131.0.0.0 Safari/537.36"
);

/// The total of a metric as the analytics page's table shows it.
fn total(page: &str, label: &str) -> i64 {
    let row = format!("<th scope=\"row\">{label}</th><td>");
    let at = page
        .find(&row)
        .map(|at| at + row.len())
        .expect("the metric's row");
    page[at..]
        .chars()
        .take_while(char::is_ascii_digit)
        .collect::<String>()
        .parse()
        .unwrap()
}

#[test]
fn visits_searches_and_clicks_move_the_owners_analytics_and_crawlers_do_not() {
    let _turn = exclusive();
    let agent = Worker::agent();
    let (owner, slug, id) = owned_listing(&agent, "Qqdash Counted Drains", "198.51.100.83");
    let analytics = format!("/dashboard/{id}/analytics?days=7");
    let before = owner.get(&agent, &analytics);
    assert_eq!(before.status, 200, "{}", before.body);
    assert_eq!(total(&before.body, "Listing views"), 0);
    assert!(
        before.body.contains("<svg role=\"img\""),
        "charts are server-rendered SVG"
    );
    let api = Worker::api();
    for _ in 0..3 {
        let page = api.send(
            "GET",
            &format!("/business/{slug}"),
            &[("User-Agent", BROWSER)],
            None,
        );
        assert_eq!(page.status, 200);
    }
    let crawler = "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)";
    api.send(
        "GET",
        &format!("/business/{slug}"),
        &[("User-Agent", crawler)],
        None,
    );
    let search = api.send(
        "GET",
        "/search?q=Qqdash+Counted",
        &[("User-Agent", BROWSER)],
        None,
    );
    assert!(
        search.body.contains(&format!("data-listing=\"{slug}\"")),
        "{}",
        search.body
    );
    let ping = api.send(
        "POST",
        &format!("/business/{slug}/ping/call"),
        &[
            ("User-Agent", BROWSER),
            ("Content-Type", "text/ping"),
            ("Sec-Fetch-Site", "same-origin"),
        ],
        Some(b"PING"),
    );
    assert_eq!(ping.status, 204);
    let forged = api.send(
        "POST",
        &format!("/business/{slug}/ping/call"),
        &[("User-Agent", BROWSER), ("Sec-Fetch-Site", "cross-site")],
        Some(b"x"),
    );
    assert_eq!(forged.status, 204, "answered alike, counted not");
    // The queue hands the consumer a batch within a second or so.
    let mut after = String::new();
    for _ in 0..20 {
        std::thread::sleep(std::time::Duration::from_millis(500));
        after = owner.get(&agent, &analytics).body;
        if total(&after, "Listing views") >= 3
            && total(&after, "Calls") >= 1
            && total(&after, "Search appearances") >= 1
        {
            // One batch interval more, for anything that should not have counted to show.
            std::thread::sleep(std::time::Duration::from_millis(1500));
            after = owner.get(&agent, &analytics).body;
            break;
        }
    }
    assert_eq!(
        total(&after, "Listing views"),
        3,
        "three people, no crawler"
    );
    assert_eq!(total(&after, "Search appearances"), 1);
    assert_eq!(
        total(&after, "Calls"),
        1,
        "the forged report is not counted"
    );
}

#[test]
fn only_the_pages_that_offer_dragging_may_run_the_dashboards_own_script() {
    let _turn = exclusive();
    let agent = Worker::agent();
    let (owner, _slug, id) = owned_listing(&agent, "Qqdash Script Drains", "198.51.100.84");
    let photos = owner.get(&agent, &format!("/dashboard/{id}/photos"));
    let csp = photos.header("content-security-policy").unwrap().to_owned();
    assert!(
        csp.contains("script-src 'self'") && !csp.contains("unsafe-inline"),
        "{csp}"
    );
    let marker = "<script src=\"";
    let at = photos
        .body
        .find(marker)
        .expect("the photos page loads the script")
        + marker.len();
    let src: String = photos.body[at..]
        .chars()
        .take_while(|c| *c != '"')
        .collect();
    let script = agent.get(&src);
    assert_eq!(script.status, 200);
    assert_eq!(
        script.header("content-type"),
        Some("text/javascript; charset=utf-8")
    );
    assert!(script.body.contains("data-reorder"));
    let editor = owner.get(&agent, &format!("/dashboard/{id}/edit"));
    let csp = editor.header("content-security-policy").unwrap();
    assert!(
        !csp.contains("script-src") && !editor.body.contains("<script"),
        "{csp}"
    );
}
