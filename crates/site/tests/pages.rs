//! Every page rendered from real SQLite with the real migrations, including hostile stored
//! text, which must come out as inert text everywhere it appears.
// Fixture helpers outside #[test] functions unwrap too: a broken fixture should fail loudly.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

use kbc_domain::FieldError;
use kbc_domain::blog::{self, NewPost};
use kbc_domain::categories::{self, NewCategory};
use kbc_domain::db::sqlite::SqliteDatabase;
use kbc_domain::db::{Database, Statement};
use kbc_domain::directory::{self, NewBusiness, OpeningHours, SocialNetwork};
use kbc_domain::search::SearchParams;
use kbc_domain::values::{BusinessName, CityName, GeoPoint, Phone, Slug, StateCode, WebUrl};
use kbc_site::forms::{Form, FormState};
use kbc_site::pages::*;
use pollster::block_on;

const HOSTILE: &str = "<script>alert(1)</script> \"Quoted\" & 'Co'";
/// Monday 23 November 2026, 12:00 in Idabel.
const NOON_MONDAY: i64 = 1_795_456_800;

fn site() -> Site {
    Site {
        origin: "https://kiamichibizconnect.com".into(),
        app_origin: "https://app.kiamichibizconnect.com".into(),
        now: NOON_MONDAY,
    }
}

fn slug(s: &str) -> Slug {
    Slug::parse("slug", s).unwrap()
}

struct Directory {
    db: SqliteDatabase,
    plumber: String,
    hostile: String,
}

fn directory() -> Directory {
    let db = SqliteDatabase::in_memory().unwrap();
    let (trades, plumbing) = (slug("trades"), slug("plumbing"));
    let trades_id = block_on(categories::create(
        &db,
        &NewCategory {
            slug: &trades,
            name: "Trades",
            description: "Builders & fixers",
            icon: "",
            parent: None,
            position: 0,
        },
        1,
    ))
    .unwrap();
    let plumbing_id = block_on(categories::create(
        &db,
        &NewCategory {
            slug: &plumbing,
            name: "Plumbing",
            description: "",
            icon: "",
            parent: Some(trades_id),
            position: 0,
        },
        1,
    ))
    .unwrap();
    let town = |name| CityName::parse("city", name).unwrap();
    let mut plumber = NewBusiness::new(
        BusinessName::parse("n", "Idabel Plumbing").unwrap(),
        plumbing_id,
        town("Idabel"),
        StateCode::Oklahoma,
    );
    plumber.description = "Water heaters and drains.\nLicensed and insured.".into();
    plumber.phone = Some(Phone::parse("p", "580-555-0100").unwrap());
    plumber.website = Some(WebUrl::parse("w", "https://plumbing.example.com").unwrap());
    plumber.location = Some(GeoPoint::new("l", 33.8957, -94.8266).unwrap());
    plumber.hours = vec![OpeningHours::new(1, 480, 1020).unwrap()];
    plumber.social_links = vec![(
        SocialNetwork::Facebook,
        WebUrl::parse("s", "https://facebook.com/idabelplumbing").unwrap(),
    )];
    plumber.featured = true;
    let plumber = block_on(directory::create(&db, &plumber, 2)).unwrap();
    let mut hostile = NewBusiness::new(
        BusinessName::parse("n", HOSTILE).unwrap(),
        plumbing_id,
        town("Hugo"),
        StateCode::Oklahoma,
    );
    hostile.description = "</script><img src=x onerror=alert(2)>".into();
    hostile.keywords = vec!["<b>bold</b>".into()];
    let hostile = block_on(directory::create(&db, &hostile, 2)).unwrap();
    // A link that bypassed validation must still never become a javascript: link.
    block_on(
        db.execute(
            &Statement::new(
                "INSERT INTO business_social_links VALUES (?1, 'x', 'javascript:alert(3)')",
            )
            .bind(hostile.id),
        ),
    )
    .unwrap();
    for (post, published) in [("spring-fair", Some(100)), ("secret-draft", None)] {
        let post_slug = slug(post);
        let new = NewPost {
            slug: &post_slug,
            title: "Spring <fair>",
            summary: "Booths & food",
            body: "First.\n\nSecond.",
            author: "Ann",
            published_at: published,
        };
        block_on(blog::create(&db, &new, 1)).unwrap();
    }
    Directory {
        db,
        plumber: plumber.slug.to_string(),
        hostile: hostile.slug.to_string(),
    }
}

/// Asserts that no part of the hostile text survives unescaped.
fn assert_inert(html: &str) {
    assert!(!html.contains("<script>alert"), "raw script tag");
    assert!(!html.contains("<img src=x"), "raw img tag");
    assert!(!html.contains("<b>bold"), "raw markup");
    assert!(!html.contains("javascript:"), "javascript link");
    assert_eq!(
        html.matches("</script>").count(),
        html.matches("<script type=\"application/ld+json\">")
            .count()
    );
}

#[test]
fn every_page_has_one_h1_a_language_a_canonical_url_and_the_stylesheet() {
    let d = directory();
    let site = site();
    let pages = [
        block_on(HomePage::load(&d.db, &site)).unwrap().html(),
        block_on(BusinessPage::load(
            &d.db,
            &site,
            &d.plumber,
            FormState::default(),
            false,
        ))
        .unwrap()
        .unwrap()
        .html(),
        block_on(CategoriesPage::load(&d.db, &site)).unwrap().html(),
        block_on(SubmitPage::load(&d.db, &site, FormState::default()))
            .unwrap()
            .html(),
        ThanksPage::new(&site).html(),
    ];
    for html in pages {
        assert!(html.starts_with("<!doctype html>\n<html lang=\"en\">"));
        assert_eq!(html.matches("<h1").count(), 1);
        assert!(html.contains("<link rel=\"canonical\" href=\"https://kiamichibizconnect.com/"));
        assert!(html.contains(kbc_site::assets::stylesheet_path()));
        assert!(
            html.contains("<main id=\"main\"") && html.contains("<nav") && html.contains("<footer")
        );
        assert!(
            !html.contains("<script src") && !html.contains(" onclick="),
            "no JavaScript"
        );
    }
}

#[test]
fn the_home_page_shows_featured_listings_categories_towns_and_news() {
    let d = directory();
    let html = block_on(HomePage::load(&d.db, &site())).unwrap().html();
    assert!(html.contains("Idabel Plumbing"), "featured");
    assert!(html.contains("href=\"/categories/trades\""));
    assert!(html.contains("href=\"/cities/idabel\""));
    assert!(html.contains("Spring &#60;fair&#62;") || html.contains("Spring &lt;fair&gt;"));
    assert!(!html.contains("secret-draft"));
    assert!(html.contains("action=\"/search\""));
    assert_inert(&html);
}

#[test]
fn a_business_page_has_contact_hours_open_now_links_and_json_ld() {
    let d = directory();
    let page = block_on(BusinessPage::load(
        &d.db,
        &site(),
        &d.plumber,
        FormState::default(),
        false,
    ))
    .unwrap()
    .unwrap();
    let html = page.html();
    let ping = format!("/business/{}/ping", d.plumber);
    assert!(html.contains(&format!(
        "<a href=\"tel:+15805550100\" ping=\"{ping}/call\">(580) 555-0100</a>"
    )));
    assert!(
        html.contains(&format!("ping=\"{ping}/website\"")),
        "clicks are reported without a script"
    );
    assert!(html.contains("Open now · until 5:00 PM"));
    assert!(html.contains(
        "<tr class=\"today\"><th scope=\"row\">Monday</th><td>8:00 AM – 5:00 PM</td></tr>"
    ));
    assert!(html.contains("href=\"https://plumbing.example.com/\" rel=\"nofollow ugc noopener\""));
    assert!(
        html.contains("openstreetmap.org/?mlat=33.89570&amp;mlon=-94.82660")
            || html.contains("openstreetmap.org/?mlat=33.89570&#38;mlon=-94.82660")
    );
    assert!(html.contains("<p>Water heaters and drains.</p><p>Licensed and insured.</p>"));
    assert!(html.contains("action=\"/api/v1/businesses/idabel-plumbing-idabel/leads\""));
    let json_ld = html
        .split("<script type=\"application/ld+json\">")
        .nth(1)
        .unwrap()
        .split("</script>")
        .next()
        .unwrap();
    let data: serde_json::Value = serde_json::from_str(json_ld).unwrap();
    assert_eq!(data["@type"], "LocalBusiness");
    assert_eq!(data["telephone"], "+15805550100");
    assert_eq!(data["openingHoursSpecification"][0]["opens"], "08:00");
}

#[test]
fn hostile_text_is_inert_in_the_page_meta_tags_and_json_ld() {
    let d = directory();
    let page = block_on(BusinessPage::load(
        &d.db,
        &site(),
        &d.hostile,
        FormState::default(),
        false,
    ))
    .unwrap()
    .unwrap();
    let html = page.html();
    assert_inert(&html);
    assert!(
        html.contains("&#60;script&#62;") || html.contains("&lt;script&gt;"),
        "shown as text"
    );
    let json_ld = html
        .split("<script type=\"application/ld+json\">")
        .nth(1)
        .unwrap()
        .split("</script>")
        .next()
        .unwrap();
    let data: serde_json::Value = serde_json::from_str(json_ld).unwrap();
    assert_eq!(data["name"], HOSTILE, "JSON-LD carries the exact name");
    assert!(!html.contains("href=\"javascript"));
}

#[test]
fn lead_form_errors_are_shown_next_to_the_fields_with_what_was_typed() {
    let d = directory();
    let form = Form::parse(b"name=Sam+%3Cb%3E&email=nope&message=hi");
    let errors = vec![
        FieldError::new("email", "must be an email address"),
        FieldError::new("message", "is too short"),
    ];
    let page = block_on(BusinessPage::load(
        &d.db,
        &site(),
        &d.plumber,
        FormState::with_errors(form, errors),
        false,
    ))
    .unwrap()
    .unwrap();
    let html = page.html();
    assert!(html.contains("value=\"Sam &#60;b&#62;\"") || html.contains("value=\"Sam &lt;b&gt;\""));
    assert!(html.contains("aria-invalid=\"true\" aria-describedby=\"lead-email-error\""));
    assert!(html.contains("Email: must be an email address"));
    assert!(html.contains(">hi</textarea>"));
}

#[test]
fn a_sent_lead_is_confirmed_on_the_page() {
    let d = directory();
    let page = block_on(BusinessPage::load(
        &d.db,
        &site(),
        &d.plumber,
        FormState::default(),
        true,
    ))
    .unwrap()
    .unwrap();
    assert!(
        page.html()
            .contains("your request was sent to Idabel Plumbing")
    );
}

#[test]
fn unknown_and_malformed_business_slugs_have_no_page() {
    let d = directory();
    for missing in ["nobody", "Not_A_Slug"] {
        assert!(
            block_on(BusinessPage::load(
                &d.db,
                &site(),
                missing,
                FormState::default(),
                false
            ))
            .unwrap()
            .is_none()
        );
    }
}

#[test]
fn search_results_keep_the_query_and_paginate() {
    let d = directory();
    let params = SearchParams {
        q: Some("plumbing".into()),
        ..SearchParams::default()
    };
    let html = block_on(SearchResultsPage::load(&d.db, &site(), &params))
        .unwrap()
        .html();
    assert!(html.contains("value=\"plumbing\""));
    assert!(html.contains("2 businesses found."));
    assert!(html.contains("<meta name=\"robots\" content=\"noindex, follow\">"));
}

#[test]
fn no_results_offers_help_and_suggestions() {
    let d = directory();
    let params = SearchParams {
        q: Some("<zzqx>".into()),
        city: Some("Hugo".into()),
        ..SearchParams::default()
    };
    let html = block_on(SearchResultsPage::load(&d.db, &site(), &params))
        .unwrap()
        .html();
    assert!(html.contains("No businesses matched"));
    assert!(html.contains("Popular categories"));
    assert!(
        html.contains("href=\"/search?q=%3Czzqx%3E\""),
        "search everywhere link"
    );
    assert!(!html.contains("<zzqx>"));
}

#[test]
fn invalid_search_parameters_are_explained_on_the_page() {
    let d = directory();
    let params = SearchParams {
        page: Some("0".into()),
        ..SearchParams::default()
    };
    let html = block_on(SearchResultsPage::load(&d.db, &site(), &params))
        .unwrap()
        .html();
    assert!(html.contains("role=\"alert\"") && html.contains("page must be a whole number"));
}

#[test]
fn category_pages_show_sub_categories_breadcrumbs_and_listings() {
    let d = directory();
    let trades = block_on(CategoryPage::load(&d.db, &site(), "trades", 1))
        .unwrap()
        .unwrap()
        .html();
    assert!(trades.contains("href=\"/categories/plumbing\""));
    assert!(trades.contains("2 businesses"));
    let plumbing = block_on(CategoryPage::load(&d.db, &site(), "plumbing", 1))
        .unwrap()
        .unwrap()
        .html();
    assert!(plumbing.contains("<li><a href=\"/categories/trades\">Trades</a></li>"));
    assert!(
        block_on(CategoryPage::load(&d.db, &site(), "nothing", 1))
            .unwrap()
            .is_none()
    );
}

#[test]
fn city_pages_list_the_town_and_unknown_towns_have_none() {
    let d = directory();
    let html = block_on(CityPage::load(&d.db, &site(), "idabel", 1))
        .unwrap()
        .unwrap()
        .html();
    assert!(html.contains("Businesses in Idabel, Oklahoma"));
    assert!(
        block_on(CityPage::load(&d.db, &site(), "nowhere", 1))
            .unwrap()
            .is_none()
    );
}

#[test]
fn the_submit_form_keeps_values_and_names_every_problem() {
    let d = directory();
    let form = Form::parse(b"business_name=%3Cscript%3E&category=plumbing&state=TX");
    let errors = vec![
        FieldError::new("email", "is required"),
        FieldError::new("city", "is required"),
    ];
    let html = block_on(SubmitPage::load(
        &d.db,
        &site(),
        FormState::with_errors(form, errors),
    ))
    .unwrap()
    .html();
    assert!(html.contains("<option value=\"plumbing\" selected>— Plumbing</option>"));
    assert!(html.contains("<option value=\"TX\" selected>Texas</option>"));
    assert!(html.contains("href=\"#submit-email\">Email: is required"));
    assert!(
        html.contains("for=\"submit-business-name\""),
        "every input has a label"
    );
    assert!(!html.contains("<script>"));
}

#[test]
fn drafts_are_never_public_and_published_posts_read_in_paragraphs() {
    let d = directory();
    assert!(
        block_on(PostPage::load(&d.db, &site(), "secret-draft"))
            .unwrap()
            .is_none()
    );
    let html = block_on(PostPage::load(&d.db, &site(), "spring-fair"))
        .unwrap()
        .unwrap()
        .html();
    assert!(html.contains("<p>First.</p>\n<p>Second.</p>"), "{html}");
    let blog = block_on(BlogPage::load(&d.db, &site(), 1)).unwrap().html();
    assert!(blog.contains("/blog/spring-fair") && !blog.contains("secret-draft"));
}

#[test]
fn information_pages_and_the_not_found_page_render() {
    for info in Info::ALL {
        let html = InfoPage::new(&site(), info).html();
        assert!(html.contains(&format!(
            "href=\"https://kiamichibizconnect.com{}\"",
            info.path()
        )));
    }
    let missing = ProblemPage::not_found(&site(), "No business lives at this address.").html();
    assert!(
        missing.contains("We couldn’t find that page") && missing.contains("action=\"/search\"")
    );
    assert!(missing.contains("noindex"));
}
