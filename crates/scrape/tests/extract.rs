//! What `extract` reads from realistic business pages (fixtures under `tests/fixtures/`), and
//! that it and `hours_text::parse` survive anything.
// The test helpers state their expectations the way the tests do.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use kbc_scrape::charset;
use kbc_scrape::extract::{Facts, Finding, Source, extract};
use kbc_scrape::hours_text;
use proptest::prelude::*;
use url::Url;

fn fixture(name: &str) -> Vec<u8> {
    let path = format!("{}/tests/fixtures/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// The facts of a fixture served from `page`, its encoding detected as the analyzer will.
fn facts(name: &str, page: &str) -> Facts {
    let html = fixture(name);
    let encoding = charset::detect(Some("text/html"), &html);
    extract(&html, encoding, &Url::parse(page).unwrap())
}

fn values<T: Clone>(findings: &[Finding<T>]) -> Vec<T> {
    findings.iter().map(|f| f.value.clone()).collect()
}

fn value(finding: &Option<Finding<String>>) -> Option<&str> {
    finding.as_ref().map(|f| f.value.as_str())
}

fn week(days: [Option<&str>; 7]) -> [Option<String>; 7] {
    days.map(|day| day.map(str::to_owned))
}

fn hours(facts: &Facts) -> [Option<String>; 7] {
    facts.hours.as_ref().expect("hours").value.clone()
}

const PLUMBER: &str = "https://kiamichiplumbing.example/";

#[test]
fn wordpress_graph_names_the_business_node_not_the_website() {
    let facts = facts("plumber_wordpress.html", PLUMBER);
    let name = facts.name.unwrap();
    assert_eq!(name.value, "Kiamichi Plumbing & Drain");
    assert_eq!(name.source, Source::JsonLd);
    assert_eq!(name.evidence, r#""name": "Kiamichi Plumbing & Drain""#);
    assert!(
        value(&facts.description)
            .unwrap()
            .starts_with("Licensed plumbers serving Hugo")
    );
}

#[test]
fn json_ld_phone_comes_first_and_links_add_other_numbers_once() {
    let facts = facts("plumber_wordpress.html", PLUMBER);
    assert_eq!(values(&facts.phones), ["(580) 555-0123", "580-555-0199"]);
    assert_eq!(facts.phones[0].source, Source::JsonLd);
    assert_eq!(facts.phones[0].evidence, r#""telephone": "(580) 555-0123""#);
    assert_eq!(facts.phones[1].source, Source::Link);
    assert_eq!(facts.phones[1].evidence, r#"<a href="tel:580-555-0199">"#);
}

#[test]
fn json_ld_email_loses_its_mailto() {
    let facts = facts("plumber_wordpress.html", PLUMBER);
    assert_eq!(values(&facts.emails), ["office@kiamichiplumbing.example"]);
}

#[test]
fn json_ld_address_is_followed_through_its_id() {
    let facts = facts("plumber_wordpress.html", PLUMBER);
    assert_eq!(value(&facts.street), Some("1204 E Jackson St"));
    assert_eq!(value(&facts.city), Some("Hugo"));
    assert_eq!(value(&facts.state), Some("OK"));
    assert_eq!(value(&facts.zip), Some("74743"));
}

#[test]
fn json_ld_geo_given_as_strings() {
    let geo = facts("plumber_wordpress.html", PLUMBER).geo.unwrap();
    assert_eq!(geo.value, (34.0106, -95.5097));
    assert_eq!(geo.source, Source::JsonLd);
}

#[test]
fn json_ld_opening_hours_specification_fills_the_week() {
    let facts = facts("plumber_wordpress.html", PLUMBER);
    let weekday = Some("7:30-17:00");
    assert_eq!(
        hours(&facts),
        week([
            None,
            weekday,
            weekday,
            weekday,
            weekday,
            weekday,
            Some("8:00-12:00")
        ])
    );
    assert_eq!(facts.hours.unwrap().source, Source::JsonLd);
}

#[test]
fn social_profiles_from_same_as_and_links_without_share_buttons() {
    let facts = facts("plumber_wordpress.html", PLUMBER);
    assert_eq!(
        values(&facts.social),
        [
            (
                "facebook",
                "https://www.facebook.com/KiamichiPlumbing".to_owned()
            ),
            (
                "instagram",
                "https://www.instagram.com/kiamichiplumbing".to_owned()
            ),
            ("google", "https://g.page/kiamichi-plumbing".to_owned()),
        ]
    );
    assert_eq!(facts.social[0].source, Source::JsonLd);
    assert_eq!(facts.social[2].source, Source::Link);
}

#[test]
fn images_are_absolute_business_image_then_logo_then_og_image() {
    let facts = facts("plumber_wordpress.html", PLUMBER);
    assert_eq!(
        values(&facts.images),
        [
            "https://kiamichiplumbing.example/wp-content/uploads/2023/04/crew.jpg",
            "https://kiamichiplumbing.example/wp-content/uploads/2021/01/logo.png",
            "https://kiamichiplumbing.example/wp-content/uploads/2023/04/og-truck.jpg",
        ]
    );
    assert_eq!(facts.images[2].source, Source::OpenGraph);
}

const DINER: &str = "https://rosies.example/menu/";

#[test]
fn json_ld_array_with_split_shifts_and_closed_days() {
    let facts = facts("restaurant_array.html", DINER);
    let lunch = Some("6:00-14:00");
    assert_eq!(
        hours(&facts),
        week([
            Some("closed"),
            Some("closed"),
            lunch,
            lunch,
            lunch,
            Some("6:00-14:00, 17:00-21:30"),
            Some("7:00-13:00, 17:00-21:30"),
        ]),
        "Wednesday's Christmas Eve hours are a special day, not the week"
    );
}

#[test]
fn json_ld_address_as_one_line_is_split() {
    let facts = facts("restaurant_array.html", DINER);
    assert_eq!(value(&facts.street), Some("301 N Park Dr"));
    assert_eq!(value(&facts.city), Some("Broken Bow"));
    assert_eq!(value(&facts.state), Some("OK"));
    assert_eq!(value(&facts.zip), Some("74728"));
}

#[test]
fn json_ld_phone_array_yelp_same_as_and_image_objects() {
    let facts = facts("restaurant_array.html", DINER);
    assert_eq!(value(&facts.name), Some("Rosie's Diner"));
    assert_eq!(values(&facts.phones), ["+1 580-555-0142", "580.555.0143"]);
    assert_eq!(
        values(&facts.social),
        [(
            "yelp",
            "https://www.yelp.com/biz/rosies-diner-broken-bow".to_owned()
        )]
    );
    assert_eq!(
        values(&facts.images),
        [
            "https://rosies.example/img/front.jpg",
            "https://rosies.example/menu/img/pie.jpg"
        ]
    );
}

const BAKERY: &str = "https://sweetcrumbs.example/";

#[test]
fn microdata_business_inside_a_web_page_scope() {
    let facts = facts("bakery_microdata.html", BAKERY);
    let name = facts.name.unwrap();
    assert_eq!(
        name.value, "Sweet Crumbs Bakery",
        "not the review's or its author's name"
    );
    assert_eq!(name.source, Source::Microdata);
    assert_eq!(name.evidence, r#"itemprop="name": Sweet Crumbs Bakery"#);
    assert_eq!(
        value(&facts.description),
        Some("Scratch-made kolaches, cinnamon rolls and wedding cakes in downtown Antlers.")
    );
}

#[test]
fn microdata_nested_postal_address_and_geo() {
    let facts = facts("bakery_microdata.html", BAKERY);
    assert_eq!(value(&facts.street), Some("118 N High St"));
    assert_eq!(value(&facts.city), Some("Antlers"));
    assert_eq!(value(&facts.state), Some("OK"));
    assert_eq!(value(&facts.zip), Some("74523"));
    assert_eq!(facts.geo.unwrap().value, (34.231, -95.6197));
}

#[test]
fn microdata_phone_and_email_from_anchor_text_once() {
    let facts = facts("bakery_microdata.html", BAKERY);
    assert_eq!(
        values(&facts.phones),
        ["(580) 555-0177"],
        "the reviewer's number is not the bakery's"
    );
    assert_eq!(facts.phones[0].source, Source::Microdata);
    assert_eq!(values(&facts.emails), ["hello@sweetcrumbs.example"]);
}

#[test]
fn microdata_opening_hours_from_content_and_datetime() {
    let facts = facts("bakery_microdata.html", BAKERY);
    let baking = Some("6:00-15:00");
    assert_eq!(
        hours(&facts),
        week([
            None,
            None,
            baking,
            baking,
            baking,
            baking,
            Some("7:00-12:00")
        ])
    );
    assert_eq!(facts.hours.unwrap().source, Source::Microdata);
}

#[test]
fn microdata_image_is_made_absolute() {
    let facts = facts("bakery_microdata.html", BAKERY);
    assert_eq!(
        values(&facts.images),
        ["https://sweetcrumbs.example/photos/storefront.jpg"]
    );
}

const FEED: &str = "https://choctawfeed.example/";

#[test]
fn tel_and_mailto_anchors_deduplicated() {
    let facts = facts("links_only.html", FEED);
    assert_eq!(values(&facts.phones), ["(580) 555-0188"]);
    assert_eq!(facts.phones[0].source, Source::Link);
    assert_eq!(
        values(&facts.emails),
        ["sales@choctawfeed.example"],
        "without ?subject, once"
    );
}

#[test]
fn social_anchors_by_network_without_share_plugins_or_videos() {
    let facts = facts("links_only.html", FEED);
    assert_eq!(
        values(&facts.social),
        [
            (
                "facebook",
                "https://www.facebook.com/choctawfeed".to_owned()
            ),
            (
                "instagram",
                "https://www.instagram.com/choctawfeed".to_owned()
            ),
            ("x", "https://x.com/choctawfeed".to_owned()),
            ("youtube", "https://www.youtube.com/@choctawfeed".to_owned()),
            ("tiktok", "https://www.tiktok.com/@choctawfeed".to_owned()),
            (
                "linkedin",
                "https://www.linkedin.com/company/choctaw-feed".to_owned()
            ),
            (
                "google",
                "https://www.google.com/maps/place/Choctaw+Feed/@34.0,-95.5,17z?cid=123".to_owned()
            ),
        ]
    );
}

#[test]
fn footer_hours_read_from_the_visible_text() {
    let facts = facts("links_only.html", FEED);
    let hours = facts.hours.unwrap();
    let weekday = Some("7:30-17:30");
    assert_eq!(
        hours.value,
        week([
            Some("closed"),
            weekday,
            weekday,
            weekday,
            weekday,
            weekday,
            Some("8:00-12:00")
        ])
    );
    assert_eq!(hours.source, Source::Text);
    assert_eq!(
        hours.evidence,
        "Monday – Friday: 7:30 AM – 5:30 PM Saturday: 8:00 AM – 12:00 PM Sunday: Closed"
    );
}

#[test]
fn a_page_of_links_names_nothing() {
    let facts = facts("links_only.html", FEED);
    assert_eq!(facts.name, None, "the <title> is not read as the name");
    assert!(facts.images.is_empty());
}

const CABINS: &str = "https://hochatowncabins.example/";

#[test]
fn broken_json_ld_does_not_stop_the_next_script() {
    let facts = facts("broken_markup.html", CABINS);
    assert_eq!(value(&facts.name), Some("Hochatown Cabin Rentals"));
    assert_eq!(value(&facts.street), Some("40 Lukfata Trail Rd"));
    assert_eq!(value(&facts.zip), Some("74728"), "a numeric postalCode");
    let open = Some("9:00-18:00");
    let weekend = Some("10:00-16:00");
    assert_eq!(
        hours(&facts),
        week([weekend, open, open, open, open, open, weekend])
    );
}

#[test]
fn unclosed_and_stray_tags_still_yield_the_links() {
    let facts = facts("broken_markup.html", CABINS);
    assert_eq!(values(&facts.phones), ["580-555-0155"]);
    assert_eq!(values(&facts.emails), ["stay@hochatowncabins.example"]);
    assert_eq!(
        values(&facts.social),
        [(
            "instagram",
            "https://www.instagram.com/hochatowncabins".to_owned()
        )]
    );
}

#[test]
fn open_graph_and_business_contact_data() {
    let facts = facts("open_graph.html", "https://redriverauto.example/");
    let name = facts.name.as_ref().unwrap();
    assert_eq!(name.value, "Welcome | Red River Auto Repair");
    assert_eq!(name.source, Source::OpenGraph);
    assert_eq!(
        value(&facts.description),
        Some("ASE-certified mechanics in Idabel. Brakes, tires, diagnostics.")
    );
    assert_eq!(
        values(&facts.images),
        ["https://redriverauto.example/images/shop.jpg"]
    );
    assert_eq!(value(&facts.street), Some("902 SE Washington St"));
    assert_eq!(value(&facts.city), Some("Idabel"));
    assert_eq!(value(&facts.zip), Some("74745"));
    assert_eq!(values(&facts.phones), ["580-555-0166"]);
    assert_eq!(facts.geo.as_ref().unwrap().value, (33.8957, -94.8263));
    let weekday = Some("8:00-18:00");
    assert_eq!(
        hours(&facts),
        week([None, weekday, weekday, weekday, weekday, weekday, None])
    );
}

#[test]
fn og_site_name_is_preferred_to_og_title() {
    let html = br#"<meta property="og:title" content="Home"><meta property="og:site_name" content="Acme">"#;
    let facts = extract(html, encoding_rs::UTF_8, &Url::parse(PLUMBER).unwrap());
    assert_eq!(value(&facts.name), Some("Acme"));
}

#[test]
fn a_windows_1252_page_declared_as_latin_1() {
    let html = fixture("windows1252_cafe.html");
    let encoding = charset::detect(None, &html);
    assert_eq!(encoding, encoding_rs::WINDOWS_1252);
    let facts = extract(
        &html,
        encoding,
        &Url::parse("https://cafe.example/").unwrap(),
    );
    assert_eq!(value(&facts.name), Some("Le Petit Café"));
    assert_eq!(
        value(&facts.description),
        Some("Marie’s café – fresh bread every morning")
    );
    assert_eq!(values(&facts.phones), ["580-555-0111"]);
    let breakfast = Some("7:00-14:00");
    assert_eq!(
        hours(&facts),
        week([
            None, breakfast, breakfast, breakfast, breakfast, breakfast, breakfast
        ])
    );
}

#[test]
fn a_utf_16_page_with_a_byte_order_mark() {
    let page = r#"<html><head><script type="application/ld+json">
        {"@type": "CafeOrCoffeeShop", "name": "Café Olé", "telephone": "580-555-0122"}
        </script></head><body><p>Tue–Sun 7–3</p></body></html>"#;
    let mut html = vec![0xFF, 0xFE];
    html.extend(page.encode_utf16().flat_map(u16::to_le_bytes));
    let encoding = charset::detect(Some("text/html"), &html);
    assert_eq!(encoding, encoding_rs::UTF_16LE);
    let facts = extract(
        &html,
        encoding,
        &Url::parse("https://cafe.example/").unwrap(),
    );
    assert_eq!(value(&facts.name), Some("Café Olé"));
    assert_eq!(values(&facts.phones), ["580-555-0122"]);
    let open = Some("7:00-15:00");
    assert_eq!(
        hours(&facts),
        week([open, None, open, open, open, open, open])
    );
}

#[test]
fn a_page_stating_nothing_yields_no_facts() {
    let facts = facts("no_facts.html", "https://example.com/");
    assert_eq!(
        facts,
        Facts::default(),
        "scripts, noscript, template and bare links say nothing"
    );
}

#[test]
fn a_huge_page_finishes_and_keeps_the_facts_at_its_top() {
    let mut html = String::from(
        r#"<html><head><script type="application/ld+json">{"@type":"HardwareStore","name":"Big Box Hardware",
        "telephone":"580-555-0101"}</script></head><body><a href="mailto:info@bigbox.example">Email</a>"#,
    );
    let block = concat!(
        "<div class=\"product\"><p>Hammer &amp; nails, <b>aisle 7</b> — $12.99</p>",
        "<ul><li>Steel</li></ul></div>\n"
    );
    while html.len() < 3 << 20 {
        html.push_str(block);
    }
    html.push_str("<script type=\"application/ld+json\">[");
    html.push_str(&"{\"@type\":\"Thing\"},".repeat(40_000));
    html.push_str("{}]</script></body></html>");
    let started = std::time::Instant::now();
    let facts = extract(
        html.as_bytes(),
        encoding_rs::UTF_8,
        &Url::parse(PLUMBER).unwrap(),
    );
    eprintln!("3 MB page read in {:?}", started.elapsed());
    assert_eq!(value(&facts.name), Some("Big Box Hardware"));
    assert_eq!(values(&facts.phones), ["580-555-0101"]);
    assert_eq!(values(&facts.emails), ["info@bigbox.example"]);
}

#[test]
fn confidence_ranks_the_sources() {
    let ranked = [
        Source::JsonLd,
        Source::Microdata,
        Source::Link,
        Source::OpenGraph,
        Source::Text,
    ];
    assert!(
        ranked
            .windows(2)
            .all(|pair| pair[0].confidence() > pair[1].confidence())
    );
    assert_eq!(Source::JsonLd.confidence(), 0.97);
    assert_eq!(Source::Text.confidence(), 0.7);
}

/// Markup-shaped noise: tags the extractor cares about, broken attributes and stray text.
fn html_soup() -> impl Strategy<Value = String> {
    let piece = prop::sample::select(vec![
        "<script type=\"application/ld+json\">",
        "</script>",
        "{\"@type\":\"Plumber\",\"name\":\"x\",\"address\":",
        "\"openingHoursSpecification\":[{\"dayOfWeek\":\"Monday\",\"opens\":\"8",
        "<div itemscope itemtype=\"http://schema.org/Bakery\">",
        "<span itemprop=\"name telephone\">",
        "<p itemprop=\"address\" itemscope>",
        "</div>",
        "</span>",
        "<a href=\"tel:%",
        "<a href=\"mailto:a@b.c?x\">",
        "<a href=\"https://facebook.com/",
        "<meta property=\"og:image\" content=\"//[::1\">",
        "<template>",
        "&#xFFFFFFFF;",
        "&amp",
        "Mon–Fri 8am–5pm",
        "é’",
        "<",
        "\"",
        ">",
        "\n",
    ]);
    prop::collection::vec(piece, 0..60).prop_map(|pieces| pieces.concat())
}

fn hours_soup() -> impl Strategy<Value = String> {
    let piece = prop::sample::select(vec![
        "Mon", "Mo", "-", "–", "Fri", "Sunday", "closed", "8", "12", "24", "/7", ":", "30", "am",
        "p.m", "a.", "noon", "midnight", " ", "\n", ",", "&", "to", "7 days", "every", "day",
        "0800", "4th", "hours", "é",
    ]);
    prop::collection::vec(piece, 0..40).prop_map(|pieces| pieces.concat())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn extract_never_panics_on_bytes(bytes in prop::collection::vec(any::<u8>(), 0..4096)) {
        let page = Url::parse(PLUMBER).unwrap();
        for encoding in [encoding_rs::UTF_8, encoding_rs::WINDOWS_1252, encoding_rs::UTF_16BE] {
            let _ = extract(&bytes, encoding, &page);
        }
        let _ = charset::detect(Some(&String::from_utf8_lossy(&bytes)), &bytes);
    }

    #[test]
    fn extract_never_panics_on_markup(html in html_soup()) {
        let _ = extract(html.as_bytes(), encoding_rs::UTF_8, &Url::parse(PLUMBER).unwrap());
    }

    #[test]
    fn hours_text_never_panics(text in any::<String>(), soup in hours_soup()) {
        let _ = hours_text::parse(&text);
        if let Some(week) = hours_text::parse(&soup) {
            prop_assert!(week.iter().any(Option::is_some));
        }
    }
}
