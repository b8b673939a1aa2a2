//! The two public writes of the `api` worker: submissions and leads, with every kind of bad
//! input, the spam trap and the rate limits.

use kbc_domain::db::{Statement, fetch_integer};
use kbc_e2e::client::Worker;
use kbc_e2e::fixtures::*;
use kbc_e2e::{raw, state};
use pollster::block_on;
use serde_json::{Value, json};

fn submission(name: &str) -> Value {
    json!({
        "business_name": name,
        "category": PLUMBING,
        "description": "Septic pumping & repair <b>fast</b>",
        "phone": "580-555-0177",
        "email": "owner@example.net",
        "website": "septic.example.com",
        "city": "Idabel",
        "state": "OK",
        "zip": "74745",
        "contact_name": "Jo Ann O'Neil"
    })
}

fn count(sql: &str, value: &str) -> i64 {
    block_on(fetch_integer(
        &state::database(),
        &Statement::new(sql).bind(value),
    ))
    .unwrap()
}

fn submissions_named(name: &str) -> i64 {
    count(
        "SELECT count(*) FROM submissions WHERE business_name = ?1",
        name,
    )
}

fn leads_from(name: &str) -> i64 {
    count("SELECT count(*) FROM leads WHERE name = ?1", name)
}

#[test]
fn a_submission_waits_for_moderation_and_is_not_public() {
    let name = "Zzsubmit Septic <Service> & Sons";
    let reply = Worker::api().post_json("/api/v1/submissions", "192.0.2.1", &submission(name));
    assert_eq!(reply.status, 202, "{}", reply.body);
    assert_eq!(reply.json()["status"], "pending_review");
    assert_eq!(
        count(
            "SELECT count(*) FROM submissions WHERE business_name = ?1 AND status = 'pending'",
            name
        ),
        1
    );
    assert_eq!(
        Worker::api().get("/api/v1/businesses?q=zzsubmit").json()["total"],
        0
    );
    assert_eq!(
        count("SELECT count(*) FROM businesses WHERE name = ?1", name),
        0
    );
}

#[test]
fn a_submission_stores_unicode_and_markup_verbatim() {
    let name = "Zzunicode Ñandú Café \"Quotes\" 'n' <b>Tags</b>";
    let reply = Worker::api().post_json("/api/v1/submissions", "192.0.2.2", &submission(name));
    assert_eq!(reply.status, 202, "{}", reply.body);
    assert_eq!(submissions_named(name), 1);
}

#[test]
fn sending_the_same_submission_twice_keeps_one() {
    let name = "Zztwice Lawn Care";
    for _ in 0..2 {
        assert_eq!(
            Worker::api()
                .post_json("/api/v1/submissions", "192.0.2.3", &submission(name))
                .status,
            202
        );
    }
    assert_eq!(submissions_named(name), 1);
}

#[test]
fn an_invalid_submission_is_422_listing_every_field() {
    let mut body = submission("Zzinvalid Co");
    body["email"] = json!("not-an-email");
    body["state"] = json!("KS");
    body["website"] = json!("javascript:alert(1)");
    let reply = Worker::api().post_json("/api/v1/submissions", "192.0.2.4", &body);
    assert_eq!(reply.status, 422);
    let error = &reply.json()["error"];
    assert_eq!(error["field"], "email");
    let fields: Vec<&str> = error["details"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["field"].as_str().unwrap())
        .collect();
    assert_eq!(fields, ["email", "website", "state"]);
    assert_eq!(submissions_named("Zzinvalid Co"), 0);
}

#[test]
fn a_submission_to_an_unknown_category_is_422() {
    let mut body = submission("Zzcategory Co");
    body["category"] = json!("no-such-category");
    let reply = Worker::api().post_json("/api/v1/submissions", "192.0.2.5", &body);
    assert_eq!(
        (reply.status, reply.error_field().as_deref()),
        (422, Some("category"))
    );
}

#[test]
fn malformed_json_is_400_saying_where() {
    let api = Worker::api();
    let reply = api.send(
        "POST",
        "/api/v1/submissions",
        &[
            ("Content-Type", "application/json"),
            ("CF-Connecting-IP", "192.0.2.6"),
        ],
        Some(b"{\"business_name\": \"x\",,}"),
    );
    assert_eq!(reply.status, 400);
    assert_eq!(reply.json()["error"]["code"], "malformed_json");
    assert!(
        reply.json()["error"]["message"]
            .as_str()
            .unwrap()
            .contains("line 1")
    );
}

#[test]
fn unknown_fields_and_wrong_types_are_400_naming_the_field() {
    let api = Worker::api();
    let mut body = submission("Zzunknown Co");
    body["status"] = json!("approved");
    let reply = api.post_json("/api/v1/submissions", "192.0.2.7", &body);
    assert_eq!(
        (reply.status, reply.error_field().as_deref()),
        (400, Some("status"))
    );
    let wrong = api.post_json(
        "/api/v1/submissions",
        "192.0.2.7",
        &json!({"business_name": 42}),
    );
    assert_eq!(
        (wrong.status, wrong.json()["error"]["code"].as_str()),
        (400, Some("invalid_body"))
    );
    let array = api.post_json("/api/v1/submissions", "192.0.2.7", &json!([1, 2]));
    assert_eq!(array.status, 400);
}

#[test]
fn a_write_that_is_not_json_is_415() {
    let api = Worker::api();
    for content_type in [
        "text/plain",
        "application/x-www-form-urlencoded",
        "multipart/form-data; boundary=x",
    ] {
        let reply = api.send(
            "POST",
            "/api/v1/submissions",
            &[
                ("Content-Type", content_type),
                ("CF-Connecting-IP", "192.0.2.8"),
            ],
            Some(b"business_name=x"),
        );
        assert_eq!(reply.status, 415, "{content_type}");
        assert_eq!(reply.json()["error"]["code"], "unsupported_media_type");
    }
    let none = api.send(
        "POST",
        "/api/v1/submissions",
        &[("CF-Connecting-IP", "192.0.2.8")],
        Some(b"{}"),
    );
    assert_eq!(none.status, 415);
}

#[test]
fn an_oversized_body_is_413_and_stores_nothing() {
    let mut body = submission("Zzhuge Co");
    body["description"] = json!("x".repeat(20_000));
    let reply = Worker::api().post_json("/api/v1/submissions", "192.0.2.9", &body);
    assert_eq!(reply.status, 413);
    assert_eq!(reply.json()["error"]["code"], "payload_too_large");
    assert_eq!(submissions_named("Zzhuge Co"), 0);
}

#[test]
fn a_filled_spam_trap_is_accepted_silently_and_stores_nothing() {
    let mut body = submission("Zzbot Pills Online");
    body["homepage"] = json!("http://spam.example");
    let reply = Worker::api().post_json("/api/v1/submissions", "192.0.2.10", &body);
    assert_eq!(reply.status, 202);
    assert_eq!(submissions_named("Zzbot Pills Online"), 0);
}

#[test]
fn too_many_submissions_from_one_client_are_429_with_retry_after() {
    let api = Worker::api();
    for i in 0..5 {
        let reply = api.post_json(
            "/api/v1/submissions",
            "192.0.2.11",
            &submission(&format!("Zzflood {i}")),
        );
        assert_eq!(reply.status, 202, "{i}: {}", reply.body);
    }
    let blocked = api.post_json(
        "/api/v1/submissions",
        "192.0.2.11",
        &submission("Zzflood 5"),
    );
    assert_eq!(blocked.status, 429);
    assert_eq!(blocked.json()["error"]["code"], "rate_limited");
    let retry: i64 = blocked.header("retry-after").unwrap().parse().unwrap();
    assert!((1..=3600).contains(&retry));
    assert_eq!(submissions_named("Zzflood 5"), 0);
    let other = api.post_json(
        "/api/v1/submissions",
        "192.0.2.12",
        &submission("Zzflood other"),
    );
    assert_eq!(other.status, 202, "another client has its own budget");
}

fn lead(name: &str) -> Value {
    json!({"name": name, "email": "customer@example.org", "message": "Please call me about a new water heater."})
}

#[test]
fn a_lead_reaches_a_public_business() {
    let reply = Worker::api().post_json(
        &format!("/api/v1/businesses/{PLUMBER_SLUG}/leads"),
        "192.0.2.20",
        &lead("Zzlead One"),
    );
    assert_eq!(reply.status, 202, "{}", reply.body);
    assert_eq!(reply.json()["status"], "received");
    let stored = count(
        "SELECT count(*) FROM leads l JOIN businesses b ON b.id = l.business_id WHERE b.slug = ?1 AND l.name =
            'Zzlead One'",
        PLUMBER_SLUG,
    );
    assert_eq!(stored, 1);
}

#[test]
fn a_lead_for_a_hidden_or_missing_business_is_404() {
    let api = Worker::api();
    for slug in [DRAFT_SLUG, CLOSED_SLUG, "no-such-business", "Bad_Slug"] {
        let reply = api.post_json(
            &format!("/api/v1/businesses/{slug}/leads"),
            "192.0.2.21",
            &lead("Zzlead Hidden"),
        );
        assert_eq!(reply.status, 404, "{slug}: {}", reply.body);
    }
    assert_eq!(leads_from("Zzlead Hidden"), 0);
}

#[test]
fn a_lead_without_a_way_to_answer_is_422() {
    let reply = Worker::api().post_json(
        &format!("/api/v1/businesses/{PLUMBER_SLUG}/leads"),
        "192.0.2.22",
        &json!({"name": "Zzlead Mute", "message": "Please call me back soon."}),
    );
    assert_eq!(
        (reply.status, reply.error_field().as_deref()),
        (422, Some("email"))
    );
    assert_eq!(leads_from("Zzlead Mute"), 0);
}

#[test]
fn a_lead_with_the_spam_trap_filled_is_dropped() {
    let mut body = lead("Zzlead Bot");
    body["homepage"] = json!("x");
    let reply = Worker::api().post_json(
        &format!("/api/v1/businesses/{PLUMBER_SLUG}/leads"),
        "192.0.2.23",
        &body,
    );
    assert_eq!(reply.status, 202);
    assert_eq!(leads_from("Zzlead Bot"), 0);
}

#[test]
fn too_many_leads_from_one_client_are_429() {
    let api = Worker::api();
    let path = format!("/api/v1/businesses/{SUPPLY_SLUG}/leads");
    for i in 0..20 {
        assert_eq!(
            api.post_json(&path, "192.0.2.24", &lead(&format!("Zzlead Flood {i}")))
                .status,
            202,
            "{i}"
        );
    }
    assert_eq!(
        api.post_json(&path, "192.0.2.24", &lead("Zzlead Flood 20"))
            .status,
        429
    );
    assert_eq!(leads_from("Zzlead Flood 20"), 0);
}

#[test]
fn clients_are_stored_as_hashes_never_addresses() {
    let api = Worker::api();
    api.post_json(
        &format!("/api/v1/businesses/{PLUMBER_SLUG}/leads"),
        "203.0.113.77",
        &lead("Zzlead Private"),
    );
    let db = state::database();
    let leaked = block_on(fetch_integer(
        &db,
        &Statement::new(
            "SELECT (SELECT count(*) FROM leads WHERE client_hash LIKE '%203.0.113%')
                  + (SELECT count(*) FROM rate_limits WHERE client_hash LIKE '%203.0.113%')
                  + (SELECT count(*) FROM submissions WHERE client_hash LIKE '%203.0.113%')",
        ),
    ))
    .unwrap();
    assert_eq!(leaked, 0);
}

#[test]
fn a_submission_sent_many_times_at_once_is_stored_once() {
    let name = "Zzrace Chimney Sweep";
    let statuses: Vec<u16> = std::thread::scope(|scope| {
        let sends: Vec<_> = (0..6)
            .map(|i| {
                scope.spawn(move || {
                    let client = format!("192.0.2.{}", 60 + i);
                    Worker::api()
                        .post_json("/api/v1/submissions", &client, &submission(name))
                        .status
                })
            })
            .collect();
        sends.into_iter().map(|send| send.join().unwrap()).collect()
    });
    assert!(statuses.iter().all(|&s| s == 202), "{statuses:?}");
    assert_eq!(submissions_named(name), 1);
}

#[test]
fn the_same_lead_repeated_within_minutes_is_stored_once() {
    let path = format!("/api/v1/businesses/{PLUMBER_SLUG}/leads");
    for _ in 0..3 {
        let reply = Worker::api().post_json(&path, "192.0.2.70", &lead("Zzlead Repeat"));
        assert_eq!(reply.status, 202, "{}", reply.body);
    }
    assert_eq!(leads_from("Zzlead Repeat"), 1);
}

#[test]
fn an_email_that_would_inject_mailto_parameters_is_422() {
    let mut body = lead("Zzlead Inject");
    body["email"] = json!("a?cc=victim@example.com&body=x@example.org");
    let reply = Worker::api().post_json(
        &format!("/api/v1/businesses/{PLUMBER_SLUG}/leads"),
        "192.0.2.71",
        &body,
    );
    assert_eq!(
        (reply.status, reply.error_field().as_deref()),
        (422, Some("email"))
    );
}

#[test]
fn a_chunked_json_body_past_the_limit_is_cut_off_with_413() {
    let chunk = vec![b' '; 8 * 1024];
    let status = raw::post_chunked(
        &Worker::api().url("/api/v1/submissions"),
        &[
            ("Content-Type", "application/json"),
            ("CF-Connecting-IP", "192.0.2.72"),
        ],
        &[chunk.clone(), chunk.clone(), chunk],
    );
    assert_eq!(status, 413);
}

#[test]
fn ipv6_clients_share_the_rate_limit_of_their_slash_64() {
    let api = Worker::api();
    let path = format!("/api/v1/businesses/{SUPPLY_SLUG}/leads");
    for i in 0..20 {
        let client = format!("2001:db8:77:1::{i:x}");
        let reply = api.post_json(&path, &client, &lead(&format!("Zzlead Six {i}")));
        assert_eq!(reply.status, 202, "{i}");
    }
    let next = api.post_json(&path, "2001:db8:77:1:ffff::1", &lead("Zzlead Six 20"));
    assert_eq!(next.status, 429, "a new address in the same /64");
    let other = api.post_json(&path, "2001:db8:77:2::1", &lead("Zzlead Six 21"));
    assert_eq!(other.status, 202, "another /64 has its own budget");
}
