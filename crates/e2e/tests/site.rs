//! The public website served by the `api` worker in workerd: every page, its headers, the
//! forms, photos from R2, and hostile stored text rendered as text.

use kbc_domain::db::{Statement, fetch_integer};
use kbc_e2e::client::{Reply, Worker};
use kbc_e2e::fixtures::*;
use kbc_e2e::{raw, state};
use pollster::block_on;
use std::sync::Once;

fn get(path: &str) -> Reply {
    Worker::api().get(path)
}

fn page(path: &str) -> String {
    let reply = get(path);
    assert_eq!(reply.status, 200, "{path}: {}", reply.body);
    assert_eq!(
        reply.header("content-type"),
        Some("text/html; charset=utf-8"),
        "{path}"
    );
    reply.body
}

/// POSTs a form as a browser on our own pages would.
fn post_form(path: &str, client: &str, body: &str) -> Reply {
    let origin = Worker::api().url("");
    Worker::api().send(
        "POST",
        path,
        &[
            ("Content-Type", "application/x-www-form-urlencoded"),
            ("Origin", &origin),
            ("Sec-Fetch-Site", "same-origin"),
            ("CF-Connecting-IP", client),
        ],
        Some(body.as_bytes()),
    )
}

fn count(sql: &str, value: &str) -> i64 {
    block_on(fetch_integer(
        &state::database(),
        &Statement::new(sql).bind(value),
    ))
    .unwrap()
}

#[test]
fn every_page_answers_with_html_and_the_security_headers() {
    let paths = [
        "/".to_owned(),
        "/search?q=zyzzogeton".into(),
        "/categories".into(),
        format!("/categories/{TRADES}"),
        "/cities/idabel".into(),
        format!("/business/{PLUMBER_SLUG}"),
        "/submit".into(),
        "/submit/thanks".into(),
        "/blog".into(),
        format!("/blog/{POST_SLUG}"),
        "/about".into(),
        "/advertise".into(),
        "/privacy".into(),
        "/terms".into(),
    ];
    for path in paths {
        let reply = get(&path);
        assert_eq!(reply.status, 200, "{path}");
        let csp = reply.header("content-security-policy").unwrap_or_default();
        assert!(
            csp.contains("default-src 'none'") && csp.contains("frame-ancestors 'none'"),
            "{path}: {csp}"
        );
        assert!(
            !csp.contains("script-src") && !csp.contains("unsafe-inline"),
            "no script may run: {csp}"
        );
        assert!(
            reply
                .header("strict-transport-security")
                .unwrap_or_default()
                .starts_with("max-age="),
            "{path}"
        );
        assert_eq!(
            reply.header("x-content-type-options"),
            Some("nosniff"),
            "{path}"
        );
        assert_eq!(
            reply.header("referrer-policy"),
            Some("strict-origin-when-cross-origin"),
            "{path}"
        );
        assert!(
            reply
                .body
                .starts_with("<!doctype html>\n<html lang=\"en\">"),
            "{path}"
        );
        assert_eq!(reply.body.matches("<h1").count(), 1, "{path}: one h1");
    }
}

#[test]
fn titles_and_descriptions_are_unique_per_page() {
    let title = |html: &str| {
        html.split("<title>")
            .nth(1)
            .unwrap()
            .split("</title>")
            .next()
            .unwrap()
            .to_owned()
    };
    let titles: Vec<String> = [
        "/",
        "/categories",
        "/submit",
        &format!("/business/{PLUMBER_SLUG}"),
        "/cities/idabel",
        "/about",
    ]
    .iter()
    .map(|p| title(&page(p)))
    .collect();
    let mut unique = titles.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len(), titles.len(), "{titles:?}");
}

#[test]
fn the_business_page_has_contact_hours_photo_map_and_structured_data() {
    let html = page(&format!("/business/{PLUMBER_SLUG}"));
    assert!(html.contains("<h1>Zyzzogeton Plumbing</h1>"));
    assert!(html.contains(&format!(
        "<a href=\"tel:+15805550100\" ping=\"/business/{PLUMBER_SLUG}/ping/call\">(580) 555-0100</a>"
    )));
    assert!(html.contains("8:00 AM – 5:00 PM"));
    assert!(html.contains("Open now") || html.contains("Closed now"));
    assert!(html.contains(&format!(
        "<img src=\"/images/{PHOTO_KEY}\" alt=\"The shop front\""
    )));
    assert!(html.contains("https://www.openstreetmap.org/?mlat=33.89570"));
    assert!(
        html.contains("href=\"https://zyzzogeton.example.com/\" rel=\"nofollow ugc noopener\"")
    );
    assert!(html.contains(&format!(
        "<link rel=\"canonical\" href=\"{}/business/{PLUMBER_SLUG}\">",
        Worker::api().url("")
    )));
    assert!(
        html.contains("<meta property=\"og:title\"")
            && html.contains("<meta name=\"twitter:card\"")
    );
    let json_ld = html
        .split("<script type=\"application/ld+json\">")
        .nth(1)
        .unwrap()
        .split("</script>")
        .next()
        .unwrap();
    let data: serde_json::Value = serde_json::from_str(json_ld).unwrap();
    assert_eq!(
        (data["@type"].as_str(), data["name"].as_str()),
        (Some("LocalBusiness"), Some("Zyzzogeton Plumbing"))
    );
}

#[test]
fn hostile_stored_text_renders_as_text_in_the_page_meta_and_json_ld() {
    let html = page(&format!("/business/{HOSTILE_SLUG}"));
    assert!(!html.contains("<script>alert(1)"), "no live script tag");
    assert!(!html.contains("<img src=x"), "no live img tag");
    assert!(!html.contains("<b>bold</b>"));
    assert!(
        html.contains("&#60;script&#62;alert(1)&#60;/script&#62;")
            || html.contains("&lt;script&gt;alert(1)")
    );
    let title = html
        .split("<title>")
        .nth(1)
        .unwrap()
        .split("</title>")
        .next()
        .unwrap();
    assert!(!title.contains('<'), "{title}");
    let json_ld = html
        .split("<script type=\"application/ld+json\">")
        .nth(1)
        .unwrap()
        .split("</script>")
        .next()
        .unwrap();
    assert!(!json_ld.contains('<'));
    let data: serde_json::Value = serde_json::from_str(json_ld).unwrap();
    assert_eq!(data["name"], HOSTILE_NAME);
    for listing in [
        "/search?q=zyzzogeton",
        &format!("/categories/{PLUMBING}"),
        "/cities/broken-bow",
    ] {
        assert!(!page(listing).contains("<script>alert(1)"), "{listing}");
    }
}

#[test]
fn search_keeps_the_query_and_ranks_like_the_api() {
    let html = page("/search?q=zyzzogeton+plumbing&city=");
    assert!(html.contains("value=\"zyzzogeton plumbing\""));
    let first_result = html.split("<ul class=\"grid\">").nth(1).unwrap();
    assert!(
        first_result
            .trim_start()
            .contains(&format!("/business/{PLUMBER_SLUG}"))
    );
    assert!(html.contains("businesses found."));
}

#[test]
fn a_search_without_results_offers_help() {
    let html = page("/search?q=qqxxzzvv&city=Idabel");
    assert!(html.contains("No businesses matched"));
    assert!(html.contains("Popular categories") && html.contains("href=\"/cities/"));
}

#[test]
fn category_and_city_pages_list_and_paginate() {
    let trades = page(&format!("/categories/{TRADES}"));
    assert!(
        trades.contains(&format!("href=\"/categories/{PLUMBING}\"")),
        "sub-category"
    );
    assert!(
        trades.contains("rel=\"next\""),
        "more than one page of fixtures"
    );
    let second = page(&format!("/categories/{TRADES}?page=2"));
    assert!(second.contains("rel=\"prev\""));
    assert!(page("/cities/atoka").contains("Pagetest Store"));
}

#[test]
fn drafts_hidden_listings_and_unknown_paths_get_the_helpful_404() {
    for path in [
        format!("/blog/{DRAFT_POST_SLUG}"),
        format!("/business/{DRAFT_SLUG}"),
        format!("/business/{CLOSED_SLUG}"),
        "/business/no-such-place".into(),
        "/categories/no-such-category".into(),
        "/cities/atlantis".into(),
        "/nothing/here".into(),
    ] {
        let reply = get(&path);
        assert_eq!(reply.status, 404, "{path}");
        assert!(
            reply.body.contains("We couldn’t find that page")
                && reply.body.contains("action=\"/search\""),
            "{path}"
        );
        assert!(reply.body.contains("noindex"));
    }
}

#[test]
fn a_bad_page_number_is_a_friendly_400() {
    let reply = get("/categories/e2e-trades?page=0");
    assert_eq!(reply.status, 400);
    assert!(reply.body.contains("page number"));
}

#[test]
fn the_submit_form_keeps_what_was_typed_and_names_each_problem() {
    let reply = post_form(
        "/submit",
        "198.51.100.1",
        "business_name=Zzsite+%3CCo%3E&email=nope&city=Idabel&state=OK",
    );
    assert_eq!(reply.status, 422);
    assert!(
        reply.body.contains("value=\"Zzsite &#60;Co&#62;\"")
            || reply.body.contains("value=\"Zzsite &lt;Co&gt;\"")
    );
    assert!(reply.body.contains("id=\"submit-email-error\""));
    assert!(reply.body.contains("id=\"submit-category-error\""));
    assert_eq!(
        count(
            "SELECT count(*) FROM submissions WHERE business_name = ?1",
            "Zzsite <Co>"
        ),
        0
    );
}

#[test]
fn a_valid_submission_lands_on_the_thank_you_page_and_waits_for_review() {
    let body = format!(
        "business_name=Zzsite+Feed+%26+Seed&category={PLUMBING}&email=feed%40example.com\
         &city=Antlers&state=OK&contact_name=Lou"
    );
    let reply = post_form("/submit", "198.51.100.2", &body);
    assert_eq!(reply.status, 303, "{}", reply.body);
    assert_eq!(reply.header("location"), Some("/submit/thanks"));
    assert_eq!(
        count(
            "SELECT count(*) FROM submissions WHERE business_name = ?1 AND status = 'pending'",
            "Zzsite Feed & Seed"
        ),
        1
    );
    assert!(
        !page("/search?q=zzsite").contains("Zzsite Feed"),
        "not public"
    );
}

#[test]
fn forms_posted_from_another_site_are_refused() {
    let api = Worker::api();
    for (path, body) in [
        ("/submit", "business_name=Zzevil"),
        (
            &format!("/api/v1/businesses/{PLUMBER_SLUG}/leads") as &str,
            "name=Zzevil",
        ),
    ] {
        let reply = api.send(
            "POST",
            path,
            &[
                ("Content-Type", "application/x-www-form-urlencoded"),
                ("Origin", "https://evil.example"),
                ("Sec-Fetch-Site", "cross-site"),
                ("CF-Connecting-IP", "198.51.100.3"),
            ],
            Some(body.as_bytes()),
        );
        assert_eq!(reply.status, 403, "{path}");
        assert!(reply.body.contains("only be sent from pages of this site"));
    }
}

#[test]
fn the_lead_form_posts_to_the_lead_endpoint_and_comes_back_confirmed() {
    let path = format!("/api/v1/businesses/{PLUMBER_SLUG}/leads");
    let reply = post_form(
        &path,
        "198.51.100.4",
        "name=Zzsite+Lead&email=lead%40example.com&message=Please+call+about+a+leak",
    );
    assert_eq!(reply.status, 303, "{}", reply.body);
    let location = reply.header("location").unwrap().to_owned();
    assert_eq!(
        location,
        format!("/business/{PLUMBER_SLUG}?lead=sent#contact")
    );
    assert!(page(location.split('#').next().unwrap()).contains("your request was sent"));
    assert_eq!(
        count("SELECT count(*) FROM leads WHERE name = ?1", "Zzsite Lead"),
        1
    );
}

#[test]
fn lead_form_errors_come_back_on_the_business_page() {
    let path = format!("/api/v1/businesses/{PLUMBER_SLUG}/leads");
    let reply = post_form(&path, "198.51.100.5", "name=Zzsite+Mute&message=hi");
    assert_eq!(reply.status, 422);
    assert!(reply.body.contains("<h1>Zyzzogeton Plumbing</h1>"));
    assert!(
        reply.body.contains("id=\"lead-email-error\"") && reply.body.contains(">hi</textarea>")
    );
    assert_eq!(
        count("SELECT count(*) FROM leads WHERE name = ?1", "Zzsite Mute"),
        0
    );
}

#[test]
fn too_many_forms_from_one_client_get_a_friendly_429() {
    let body = "business_name=Zzsite+Flood&email=bad";
    for _ in 0..5 {
        assert_eq!(post_form("/submit", "198.51.100.6", body).status, 422);
    }
    let reply = post_form("/submit", "198.51.100.6", body);
    assert_eq!(reply.status, 429);
    assert!(reply.header("retry-after").is_some() && reply.body.contains("Please slow down"));
}

#[test]
fn wrong_methods_on_pages_are_405_with_allow() {
    let reply = Worker::api().send(
        "POST",
        "/categories",
        &[("CF-Connecting-IP", "198.51.100.7")],
        None,
    );
    assert_eq!(
        (reply.status, reply.header("allow")),
        (405, Some("GET, HEAD"))
    );
    let delete = Worker::api().send("DELETE", "/submit", &[], None);
    assert_eq!(
        (delete.status, delete.header("allow")),
        (405, Some("GET, HEAD, POST"))
    );
}

/// Uploads a hostile SVG to the local R2 once (the fixture photos are there already).
fn upload_media() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        let svg = b"<svg xmlns=\"http://www.w3.org/2000/svg\"><script>alert(1)</script></svg>";
        state::put_local_object("e2e/evil.svg", svg, "image/svg+xml");
    });
}

#[test]
fn photos_are_streamed_from_r2_with_their_type_and_a_long_cache() {
    upload_media();
    let reply = get(&format!("/images/{PHOTO_KEY}"));
    assert_eq!(reply.status, 200);
    assert_eq!(reply.header("content-type"), Some("image/png"));
    assert_eq!(
        reply.header("cache-control"),
        Some("public, max-age=31536000, immutable"),
        "the key names the content"
    );
    assert_eq!(reply.header("x-content-type-options"), Some("nosniff"));
}

#[test]
fn an_object_that_is_no_listing_photo_is_never_served() {
    upload_media();
    let reply = get("/images/e2e/evil.svg");
    assert_eq!(reply.status, 404);
    assert!(!reply.body.contains("<svg"));
}

#[test]
fn photos_of_a_hidden_listing_are_404_though_stored() {
    upload_media();
    assert_eq!(get(&format!("/images/{DRAFT_PHOTO_KEY}")).status, 404);
}

#[test]
fn missing_and_traversing_image_paths_are_404() {
    for path in [
        "/images/e2e/none.png",
        "/images/../wrangler.toml",
        "/images/%2e%2e/x.png",
    ] {
        assert_eq!(get(path).status, 404, "{path}");
    }
}

#[test]
fn the_stylesheet_is_fingerprinted_and_cached_forever() {
    let home = page("/");
    let path = home
        .split("<link rel=\"stylesheet\" href=\"")
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap()
        .to_owned();
    let css = get(&path);
    assert_eq!(css.status, 200);
    assert_eq!(css.header("content-type"), Some("text/css; charset=utf-8"));
    assert_eq!(
        css.header("cache-control"),
        Some("public, max-age=31536000, immutable")
    );
    let old = get("/assets/site.000000000000.css");
    assert_eq!(
        (old.status, old.header("location")),
        (301, Some(path.as_str()))
    );
}

#[test]
fn the_sitemap_lists_public_urls_with_lastmod_and_robots_points_to_it() {
    let reply = get("/sitemap.xml");
    assert_eq!(reply.status, 200);
    assert_eq!(
        reply.header("content-type"),
        Some("application/xml; charset=utf-8")
    );
    let origin = Worker::api().url("");
    assert!(reply.body.contains(&format!(
        "<loc>{origin}/business/{PLUMBER_SLUG}</loc><lastmod>"
    )));
    assert!(
        reply
            .body
            .contains(&format!("<loc>{origin}/blog/{POST_SLUG}</loc>"))
    );
    assert!(
        reply
            .body
            .contains(&format!("<loc>{origin}/categories/{PLUMBING}</loc>"))
    );
    assert!(
        !reply.body.contains(DRAFT_SLUG)
            && !reply.body.contains(DRAFT_POST_SLUG)
            && !reply.body.contains(CLOSED_SLUG)
    );
    let robots = get("/robots.txt");
    assert!(
        robots
            .body
            .contains(&format!("Sitemap: {origin}/sitemap.xml"))
    );
}

#[test]
fn pages_are_cached_and_revalidate_with_their_etag() {
    let first = get("/categories");
    let tag = first.header("etag").unwrap().to_owned();
    let again = (0..50)
        .map(|_| {
            std::thread::sleep(std::time::Duration::from_millis(50));
            get("/categories")
        })
        .find(|reply| reply.header("x-cache") == Some("HIT"))
        .expect("a repeat comes from the cache");
    assert_eq!(again.body, first.body);
    let not_modified = Worker::api().send("GET", "/categories", &[("If-None-Match", &tag)], None);
    assert_eq!(not_modified.status, 304);
}

#[test]
fn a_search_for_a_town_without_latin_letters_is_a_friendly_page() {
    for city in ["--", "%E6%97%A5%E6%9C%AC"] {
        let reply = get(&format!("/search?q=bakery&city={city}"));
        assert_eq!(reply.status, 200, "{city}");
        assert!(reply.body.contains("must contain Latin letters"), "{city}");
        assert!(reply.body.contains("</html>"), "{city}");
    }
}

#[test]
fn a_parameter_the_page_does_not_read_shares_its_cached_answer() {
    let first = get("/sitemap.xml");
    assert_eq!(first.status, 200);
    let hit = (0..50)
        .map(|n| {
            std::thread::sleep(std::time::Duration::from_millis(50));
            get(&format!("/sitemap.xml?x=random-{n}-{}", std::process::id()))
        })
        .find(|reply| reply.header("x-cache") == Some("HIT"))
        .expect("a random parameter still hits the cache");
    assert_eq!(hit.body, first.body);
}

#[test]
fn a_304_carries_the_cache_control_of_its_200() {
    let first = get("/categories");
    let tag = first.header("etag").unwrap().to_owned();
    let not_modified = Worker::api().send("GET", "/categories", &[("If-None-Match", &tag)], None);
    assert_eq!(not_modified.status, 304);
    assert_eq!(
        not_modified.header("cache-control"),
        first.header("cache-control")
    );
    assert!(first.header("cache-control").unwrap().starts_with("public"));
}

#[test]
fn a_chunked_form_past_the_limit_is_cut_off_with_413() {
    let origin = Worker::api().url("");
    let chunk = format!("description={}", "x".repeat(8 * 1024)).into_bytes();
    let status = raw::post_chunked(
        &Worker::api().url("/submit"),
        &[
            ("Content-Type", "application/x-www-form-urlencoded"),
            ("Origin", &origin),
            ("Sec-Fetch-Site", "same-origin"),
            ("CF-Connecting-IP", "198.51.100.201"),
        ],
        &[chunk.clone(), chunk.clone(), chunk],
    );
    assert_eq!(status, 413);
}

#[test]
fn a_form_post_past_the_rate_limit_is_refused_before_its_body_is_read() {
    let client = "198.51.100.202";
    for _ in 0..5 {
        assert_eq!(post_form("/submit", client, "business_name=x").status, 422);
    }
    let origin = Worker::api().url("");
    // Too long to be accepted: refused for the rate limit, so it was never read.
    let chunk = vec![b'x'; 12 * 1024];
    let status = raw::post_chunked(
        &Worker::api().url("/submit"),
        &[
            ("Content-Type", "application/x-www-form-urlencoded"),
            ("Origin", &origin),
            ("Sec-Fetch-Site", "same-origin"),
            ("CF-Connecting-IP", client),
        ],
        &[chunk.clone(), chunk],
    );
    assert_eq!(status, 429);
}

#[test]
fn a_page_ignores_a_page_number_it_does_not_read() {
    assert_eq!(get("/sitemap.xml?page=abc").status, 200);
    assert_eq!(get("/search?page=abc").status, 400);
}
