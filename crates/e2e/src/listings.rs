//! Listings made the way people make them, for tests that need a fresh one: a submission
//! through the public API, approved by the admin through the console; and counting rows of
//! the local D1.

use crate::client::Worker;
use crate::sign_in::{self, ADMIN, NEIGHBOUR, OWNER, Session, sign_in_as};
use crate::state;
use kbc_domain::db::{Statement, fetch_integer};
use pollster::block_on;
use serde_json::json;

/// One integer the query (binding `value` as `?1`) returns.
pub fn count(sql: &str, value: &str) -> i64 {
    block_on(fetch_integer(
        &state::database(),
        &Statement::new(sql).bind(value),
    ))
    .unwrap()
}

/// A pending submission with the fake owner's email, sent from `client`; its id.
pub fn pending_submission(name: &str, client: &str) -> i64 {
    let reply = Worker::api().post_json(
        "/api/v1/submissions",
        client,
        &json!({
            "business_name": name,
            "category": crate::fixtures::CONSOLE,
            "description": "Drains & more",
            "phone": "580-555-0142",
            "email": "owner@ridgeline-plumbing.test",
            "city": "Idabel",
            "state": "OK",
            "contact_name": "Owen"
        }),
    );
    assert_eq!(reply.status, 202, "{}", reply.body);
    count("SELECT id FROM submissions WHERE business_name = ?1", name)
}

/// The approval form for `name`, as the review page sends it.
pub fn approval_form(token: &str, name: &str) -> String {
    url::form_urlencoded::Serializer::new(String::new())
        .append_pair("csrf", token)
        .append_pair("business_name", name)
        .append_pair("category", crate::fixtures::CONSOLE)
        .append_pair("description", "Drains & more")
        .append_pair("phone", "580-555-0142")
        .append_pair("email", "owner@ridgeline-plumbing.test")
        .append_pair("city", "Idabel")
        .append_pair("state", "OK")
        .append_pair("contact_name", "Owen")
        .finish()
}

/// A public listing made from a fresh submission sent with the fake owner's email; its slug.
pub fn published_listing(agent: &Worker, name: &str, client: &str) -> String {
    let id = pending_submission(name, client);
    let admin = sign_in_as(agent, ADMIN, "/admin/submissions");
    let token = sign_in::csrf_token(&admin.get(agent, &format!("/admin/submissions/{id}")).body);
    let reply = admin.post_raw(
        agent,
        &format!("/admin/submissions/{id}/approve"),
        &approval_form(&token, name),
        agent.origin(),
    );
    assert_eq!(
        reply.header("location"),
        Some("/admin/submissions?done=approved")
    );
    block_on(kbc_domain::db::fetch_all::<serde_json::Value>(
        &state::database(),
        &Statement::new("SELECT slug FROM businesses WHERE name = ?1").bind(name),
    ))
    .unwrap()[0]["slug"]
        .as_str()
        .unwrap()
        .to_owned()
}

/// A fresh public listing claimed by the fake owner (its email is the listing's): the
/// owner's session, the slug and the business id.
pub fn owned_listing(agent: &Worker, name: &str, client: &str) -> (Session, String, i64) {
    let slug = published_listing(agent, name, client);
    let owner = sign_in_as(agent, OWNER, "/dashboard");
    let claim = format!("/claim/{slug}");
    let reply = owner.post_form(agent, &claim, &claim, &[("note", "")]);
    assert_eq!(reply.header("location"), Some("/account?done=owner"));
    let id = count("SELECT id FROM businesses WHERE slug = ?1", &slug);
    (owner, slug, id)
}

/// The form of a new listing with the neighbour's email, as typed in the dashboard and as
/// the admin approves it.
pub fn neighbours_listing_fields(name: &str) -> Vec<(&str, &str)> {
    vec![
        ("business_name", name),
        ("category", crate::fixtures::CONSOLE),
        ("description", "Bread."),
        ("email", NEIGHBOUR),
        ("city", "Hugo"),
        ("state", "OK"),
        ("contact_name", "Nell"),
    ]
}

/// A listing the neighbour added from their dashboard, approved by the admin: the
/// neighbour's session and the business id.
pub fn neighbours_listing(agent: &Worker, name: &str) -> (Session, i64) {
    let neighbour = sign_in_as(agent, NEIGHBOUR, "/dashboard");
    let fields = neighbours_listing_fields(name);
    let reply = neighbour.post_form(agent, "/dashboard/new", "/dashboard/new", &fields);
    assert_eq!(
        reply.header("location"),
        Some("/dashboard?done=added"),
        "{}",
        reply.body
    );
    assert!(
        neighbour
            .get(agent, "/dashboard")
            .body
            .contains("waiting for review")
    );
    let submission = count("SELECT id FROM submissions WHERE business_name = ?1", name);
    let admin = sign_in_as(agent, ADMIN, "/admin/submissions");
    let review = format!("/admin/submissions/{submission}");
    let approved = admin.post_form(agent, &review, &format!("{review}/approve"), &fields);
    assert_eq!(
        approved.header("location"),
        Some("/admin/submissions?done=approved")
    );
    let id = count("SELECT id FROM businesses WHERE name = ?1", name);
    (neighbour, id)
}
