//! The public read endpoints of the `api` worker, over HTTP against workerd.

use kbc_e2e::client::Worker;
use kbc_e2e::fixtures::*;
use kbc_e2e::raw;
use serde_json::Value;

fn search(query: &str) -> Value {
    let reply = Worker::api().get(&format!("/api/v1/businesses?{query}"));
    assert_eq!(reply.status, 200, "{query}: {}", reply.body);
    reply.json()
}

fn slugs(page: &Value) -> Vec<String> {
    page["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["slug"].as_str().unwrap().to_owned())
        .collect()
}

#[test]
fn categories_form_a_tree_with_public_counts() {
    let reply = Worker::api().get("/api/v1/categories");
    assert_eq!(reply.status, 200);
    let tree = reply.json();
    let roots = tree["categories"].as_array().unwrap();
    assert!(roots.len() > 1, "seeded categories plus fixtures");
    let trades = roots
        .iter()
        .find(|c| c["slug"] == TRADES)
        .expect("fixture root");
    assert_eq!(trades["children"][0]["slug"], PLUMBING);
    // Plumbing holds the plumber and the hostile fixture publicly; its draft, closed and
    // suspended listings do not count.
    assert_eq!(trades["children"][0]["business_count"], 2);
    assert_eq!(trades["business_count"], 2 + 3 + PAGETEST_COUNT);
}

#[test]
fn reads_carry_cache_headers_cors_and_a_json_content_type() {
    let reply = Worker::api().get("/api/v1/categories");
    assert_eq!(
        reply.header("content-type"),
        Some("application/json; charset=utf-8")
    );
    assert!(
        reply
            .header("cache-control")
            .unwrap()
            .starts_with("public, max-age=")
    );
    assert!(reply.header("etag").unwrap().starts_with('"'));
    assert_eq!(reply.header("access-control-allow-origin"), Some("*"));
    assert_eq!(reply.header("x-content-type-options"), Some("nosniff"));
}

#[test]
fn a_current_etag_gets_304_without_a_body() {
    let api = Worker::api();
    let first = api.get("/api/v1/stats");
    let tag = first.header("etag").unwrap().to_owned();
    let again = api.send("GET", "/api/v1/stats", &[("If-None-Match", &tag)], None);
    assert_eq!(again.status, 304);
    assert!(again.body.is_empty());
    assert_eq!(again.header("etag"), Some(tag.as_str()));
    let stale = api.send(
        "GET",
        "/api/v1/stats",
        &[("If-None-Match", "\"stale\"")],
        None,
    );
    assert_eq!(stale.status, 200);
}

#[test]
fn head_answers_headers_without_a_body() {
    let reply = Worker::api().send("HEAD", "/api/v1/categories", &[], None);
    assert_eq!(reply.status, 200);
    assert!(reply.body.is_empty());
    assert!(reply.header("etag").is_some());
}

#[test]
fn preflight_allows_reads_from_any_origin_but_not_writes() {
    let api = Worker::api();
    let read = api.send(
        "OPTIONS",
        "/api/v1/businesses",
        &[("Origin", "https://example.org")],
        None,
    );
    assert_eq!(read.status, 204);
    assert_eq!(read.header("access-control-allow-origin"), Some("*"));
    assert!(
        read.header("access-control-allow-methods")
            .unwrap()
            .contains("GET")
    );
    let write = api.send(
        "OPTIONS",
        "/api/v1/submissions",
        &[("Origin", "https://example.org")],
        None,
    );
    assert_eq!(write.status, 204);
    assert_eq!(write.header("access-control-allow-origin"), None);
}

#[test]
fn search_ranks_a_name_match_above_a_description_match() {
    let page = search("q=zyzzogeton+plumbing");
    let found = slugs(&page);
    assert_eq!(found.first().map(String::as_str), Some(PLUMBER_SLUG));
    assert!(
        found.contains(&SUPPLY_SLUG.to_owned()),
        "description mentions plumbing"
    );
    assert_eq!(page["sort"], "relevance");
}

#[test]
fn search_returns_only_public_listings() {
    let page = search("q=zyzzogeton&per_page=50");
    assert_eq!(page["total"], PUBLIC_ZYZZOGETON);
    let found = slugs(&page);
    for hidden in [DRAFT_SLUG, CLOSED_SLUG, "zyzzogeton-suspended-idabel"] {
        assert!(
            !found.contains(&hidden.to_owned()),
            "{hidden} must not be public"
        );
    }
}

#[test]
fn the_last_word_matches_as_a_prefix() {
    assert_eq!(search("q=zyzzog")["total"], PUBLIC_ZYZZOGETON);
}

#[test]
fn unicode_queries_match_with_and_without_accents() {
    assert_eq!(
        slugs(&search("q=caf%C3%A9+%C3%B1and%C3%BA")),
        [UNICODE_SLUG]
    );
    assert_eq!(slugs(&search("q=cafe+nandu")), [UNICODE_SLUG]);
}

#[test]
fn fts_and_sql_metacharacters_in_a_query_are_plain_words() {
    for hostile in [
        "%22zyzzogeton",
        "zyzzogeton+OR+*",
        "%27%3B+DROP+TABLE+businesses%3B+--",
        "NEAR(a+b)",
        "%3Cscript%3E",
    ] {
        let reply = Worker::api().get(&format!("/api/v1/businesses?q={hostile}"));
        assert_eq!(reply.status, 200, "{hostile}: {}", reply.body);
    }
    assert_eq!(
        search("q=zyzzogeton")["total"],
        PUBLIC_ZYZZOGETON,
        "nothing was dropped"
    );
}

#[test]
fn category_filter_includes_sub_categories() {
    let all = search(&format!("q=zyzzogeton&category={TRADES}&per_page=50"));
    assert_eq!(all["total"], PUBLIC_ZYZZOGETON);
    let plumbing = search(&format!("q=zyzzogeton&category={PLUMBING}"));
    let mut found = slugs(&plumbing);
    found.sort();
    assert_eq!(found, [HOSTILE_SLUG, PLUMBER_SLUG]);
}

#[test]
fn city_filter_accepts_slugs_and_typed_names() {
    assert_eq!(
        slugs(&search("q=zyzzogeton&city=broken-bow")),
        [HOSTILE_SLUG]
    );
    assert_eq!(
        slugs(&search("q=zyzzogeton&city=Broken+Bow")),
        [HOSTILE_SLUG]
    );
}

#[test]
fn near_with_a_radius_filters_and_orders_by_distance() {
    let page = search(&format!(
        "category={TRADES}&near=33.8957,-94.8266&radius_km=30"
    ));
    assert_eq!(page["sort"], "distance");
    assert_eq!(slugs(&page), [PLUMBER_SLUG, HOSTILE_SLUG]);
    let first = page["results"][0]["distance_km"].as_f64().unwrap();
    let second = page["results"][1]["distance_km"].as_f64().unwrap();
    assert!(
        first < 0.5 && (15.0..19.0).contains(&second),
        "{first} {second}"
    );
}

#[test]
fn pagination_walks_every_result_once_and_reports_totals() {
    let mut seen = Vec::new();
    for page in 1..=3 {
        let body = search(&format!("q=pagetest&per_page=10&page={page}"));
        assert_eq!(
            (body["total"].as_i64(), body["total_pages"].as_i64()),
            (Some(PAGETEST_COUNT), Some(3))
        );
        seen.extend(slugs(&body));
    }
    assert_eq!(seen.len() as i64, PAGETEST_COUNT);
    seen.sort();
    seen.dedup();
    assert_eq!(seen.len() as i64, PAGETEST_COUNT, "no result on two pages");
}

#[test]
fn a_page_past_the_end_is_empty_with_the_total() {
    let body = search("q=pagetest&per_page=10&page=4");
    assert_eq!(body["results"], Value::Array(vec![]));
    assert_eq!(body["total"], PAGETEST_COUNT);
}

#[test]
fn no_match_is_an_empty_page_not_an_error() {
    let body = search("q=qqxxzzvv");
    assert_eq!(
        (body["total"].as_i64(), body["total_pages"].as_i64()),
        (Some(0), Some(0))
    );
}

#[test]
fn invalid_search_parameters_are_422_naming_the_field() {
    let api = Worker::api();
    let long = "a".repeat(201);
    for (query, field) in [
        ("page=0", "page"),
        ("per_page=51", "per_page"),
        ("page=abc", "page"),
        ("near=95,0", "near"),
        ("near=abc", "near"),
        ("radius_km=5", "radius_km"),
        ("sort=random", "sort"),
        ("category=Not+A+Slug", "category"),
        ("category=no-such-category", "category"),
        ("city=--", "city"),
        ("city=%E6%97%A5%E6%9C%AC", "city"),
        (&format!("q={long}") as &str, "q"),
    ] {
        let reply = api.get(&format!("/api/v1/businesses?{query}"));
        assert_eq!(reply.status, 422, "{query}: {}", reply.body);
        assert_eq!(reply.json()["error"]["code"], "validation_failed");
        assert_eq!(reply.error_field().as_deref(), Some(field), "{query}");
    }
}

#[test]
fn unknown_or_repeated_query_parameters_are_400_naming_them() {
    let api = Worker::api();
    let typo = api.get("/api/v1/businesses?qq=bakery");
    assert_eq!(
        (typo.status, typo.error_field().as_deref()),
        (400, Some("qq"))
    );
    let twice = api.get("/api/v1/businesses?q=a&q=b");
    assert_eq!(
        (twice.status, twice.error_field().as_deref()),
        (400, Some("q"))
    );
    let extra = api.get("/api/v1/categories?debug=1");
    assert_eq!(extra.status, 400);
}

#[test]
fn a_business_detail_has_contact_hours_area_and_links() {
    let reply = Worker::api().get(&format!("/api/v1/businesses/{PLUMBER_SLUG}"));
    assert_eq!(reply.status, 200);
    let b = &reply.json()["business"];
    assert_eq!(b["name"], "Zyzzogeton Plumbing");
    assert_eq!(b["category"]["slug"], PLUMBING);
    assert_eq!(
        (b["phone"].as_str(), b["phone_display"].as_str()),
        (Some("+15805550100"), Some("(580) 555-0100"))
    );
    assert_eq!(b["address"]["zip"], "74745");
    assert_eq!(b["service_area"]["radius_km"], 60);
    assert_eq!(b["service_area"]["cities"][0], "Broken Bow");
    assert_eq!(
        b["hours"][0],
        serde_json::json!({"day": 1, "opens_at": 480, "closes_at": 1020})
    );
    assert_eq!(b["social_links"][0]["network"], "facebook");
    assert_eq!(
        b["keywords"],
        serde_json::json!(["drain cleaning", "water heaters"])
    );
    assert_eq!(b["rating"]["count"], 12);
    assert_eq!(b["is_verified"], true);
}

#[test]
fn hostile_stored_text_comes_back_exactly_as_text() {
    let reply = Worker::api().get(&format!("/api/v1/businesses/{HOSTILE_SLUG}"));
    assert_eq!(reply.status, 200);
    assert_eq!(
        reply.header("content-type"),
        Some("application/json; charset=utf-8")
    );
    let b = &reply.json()["business"];
    assert_eq!(b["name"], HOSTILE_NAME);
    assert_eq!(
        b["description"],
        "\"'><img src=x onerror=alert(1)> '; DROP TABLE businesses; --"
    );
}

#[test]
fn hidden_unknown_and_malformed_slugs_are_404() {
    let api = Worker::api();
    for slug in [
        DRAFT_SLUG,
        CLOSED_SLUG,
        "no-such-business",
        "Not_A_Slug",
        "%3Cscript%3E",
    ] {
        let reply = api.get(&format!("/api/v1/businesses/{slug}"));
        assert_eq!(reply.status, 404, "{slug}");
        assert_eq!(reply.json()["error"]["code"], "not_found");
    }
}

#[test]
fn stats_count_public_listings_by_state() {
    let stats = Worker::api().get("/api/v1/stats").json();
    let businesses = stats["businesses"].as_i64().unwrap();
    assert!(businesses >= PUBLIC_ZYZZOGETON + PAGETEST_COUNT);
    let by_state: i64 = stats["by_state"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["businesses"].as_i64().unwrap())
        .sum();
    assert_eq!(by_state, businesses);
    assert!(stats["categories"].as_i64().unwrap() >= 2 && stats["cities"].as_i64().unwrap() >= 5);
}

#[test]
fn unknown_paths_are_404_json() {
    let reply = Worker::api().get("/api/v2/whatever");
    assert_eq!(reply.status, 404);
    assert_eq!(reply.json()["error"]["code"], "not_found");
}

#[test]
fn wrong_methods_are_405_with_allow() {
    let api = Worker::api();
    let put = api.send("PUT", "/api/v1/categories", &[], Some(b"{}"));
    assert_eq!(put.status, 405);
    assert_eq!(put.header("allow"), Some("GET, HEAD, OPTIONS"));
    assert_eq!(put.json()["error"]["code"], "method_not_allowed");
    let get_write = api.get("/api/v1/submissions");
    assert_eq!(
        (get_write.status, get_write.header("allow")),
        (405, Some("POST, OPTIONS"))
    );
    let delete = api.send(
        "DELETE",
        &format!("/api/v1/businesses/{PLUMBER_SLUG}"),
        &[],
        None,
    );
    assert_eq!(delete.status, 405);
}

#[test]
fn methods_the_worker_does_not_know_are_405_not_read_as_get() {
    let api = Worker::api();
    for path in [
        "/api/v1/categories",
        "/api/v1/stats",
        "/health",
        "/categories",
    ] {
        let query = raw::send("QUERY", &api.url(path), &[], None);
        assert_eq!(query.status, 405, "{path}");
        assert!(query.header("allow").is_some(), "{path}");
    }
}

#[test]
fn the_openapi_document_describes_paths_that_all_answer() {
    let api = Worker::api();
    let doc = api.get("/api/v1/openapi.json").json();
    assert!(doc["openapi"].as_str().unwrap().starts_with("3.1"));
    for (path, item) in doc["paths"].as_object().unwrap() {
        let concrete = path.replace("{slug}", PLUMBER_SLUG);
        for method in item.as_object().unwrap().keys() {
            let reply = match method.as_str() {
                "get" => api.get(&concrete),
                _ => api.post_json(&concrete, "198.51.100.250", &serde_json::json!({})),
            };
            assert!(
                ![404, 405, 500].contains(&reply.status),
                "{method} {path}: {} {}",
                reply.status,
                reply.body
            );
        }
    }
}
