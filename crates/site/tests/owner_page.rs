//! Owners' pages rendered from real SQLite with the real migrations: every kind of section,
//! the document around them, the dashboard's preview, and hostile owner text and links,
//! which must come out inert.
// Fixture helpers outside #[test] functions unwrap too: a broken fixture should fail loudly.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

use kbc_domain::blob::MemoryBlobStore;
use kbc_domain::categories::{self, NewCategory};
use kbc_domain::db::sqlite::SqliteDatabase;
use kbc_domain::db::{Database, Statement};
use kbc_domain::directory::{self, BusinessDetail, NewBusiness, OpeningHours};
use kbc_domain::page_builder::{self, Button, Question, Section, Service, Testimonial};
use kbc_domain::photos;
use kbc_domain::values::{BusinessName, CityName, Email, GeoPoint, Phone, Slug, StateCode, WebUrl};
use kbc_site::forms::FormState;
use kbc_site::pages::{BusinessPage, OwnerPage, OwnerPreview, Site};
use pollster::block_on;

const HOSTILE: &str = "<script>alert(1)</script> \"Quoted\" & 'Co'";
const ORIGIN: &str = "https://kiamichibizconnect.com";

fn site() -> Site {
    Site {
        origin: ORIGIN.into(),
        app_origin: "https://app.kiamichibizconnect.com".into(),
        now: 1_795_456_800,
    }
}

struct Fixture {
    db: SqliteDatabase,
    bakery: i64,
    oven: i64,
    /// A photo of another listing.
    neighbours: i64,
}

fn fixture() -> Fixture {
    let db = SqliteDatabase::in_memory().unwrap();
    let slug = Slug::parse("slug", "bakeries").unwrap();
    let category = block_on(categories::create(
        &db,
        &NewCategory {
            slug: &slug,
            name: "Bakeries",
            description: "",
            icon: "",
            parent: None,
            position: 0,
        },
        1,
    ))
    .unwrap();
    let mut bakery = NewBusiness::new(
        BusinessName::parse("n", "Idabel Bakery").unwrap(),
        category,
        CityName::parse("c", "Idabel").unwrap(),
        StateCode::Oklahoma,
    );
    bakery.phone = Some(Phone::parse("p", "580-555-0100").unwrap());
    bakery.email = Some(Email::parse("e", "pies@example.com").unwrap());
    bakery.website = Some(WebUrl::parse("w", "https://bakery.example.com").unwrap());
    bakery.street = "12 Main St".into();
    bakery.location = Some(GeoPoint::new("l", 33.8957, -94.8266).unwrap());
    bakery.hours = vec![OpeningHours::new(1, 480, 1020).unwrap()];
    let bakery = block_on(directory::create(&db, &bakery, 2)).unwrap().id;
    let neighbour = NewBusiness::new(
        BusinessName::parse("n", "Hugo Diner").unwrap(),
        category,
        CityName::parse("c", "Hugo").unwrap(),
        StateCode::Oklahoma,
    );
    let neighbour = block_on(directory::create(&db, &neighbour, 2)).unwrap().id;
    let add = |business, key: &str, alt: &str, position| {
        block_on(photos::add(
            &db,
            business,
            key,
            "image/jpeg",
            alt,
            position,
            1,
        ))
        .unwrap()
    };
    add(bakery, "b/front.jpg", "The shop front", 1);
    let oven = add(bakery, "b/oven.jpg", "", 2);
    let neighbours = add(neighbour, "n/diner.jpg", "Diner", 1);
    Fixture {
        db,
        bakery,
        oven,
        neighbours,
    }
}

impl Fixture {
    fn detail(&self) -> BusinessDetail {
        block_on(directory::find_by_id(&self.db, self.bakery))
            .unwrap()
            .unwrap()
    }

    fn page(&self, sections: &[Section]) -> String {
        OwnerPage::new(&site(), &self.detail(), sections).html()
    }

    fn preview(&self, sections: &[Section]) -> String {
        OwnerPreview::new(ORIGIN, &self.detail(), sections).html()
    }

    fn set(&self, sql: &str) {
        block_on(self.db.execute(&Statement::new(sql).bind(self.bakery))).unwrap();
    }
}

fn every_kind() -> Vec<Section> {
    vec![
        Section::Hero {
            headline: "Fresh pies daily".into(),
            tagline: "Since 1987 on Main Street".into(),
        },
        Section::Services {
            title: "Menu".into(),
            items: vec![Service {
                name: "Pecan pie".into(),
                description: "Whole, 9 inch".into(),
                price: "$18".into(),
            }],
        },
        Section::Gallery {
            title: String::new(),
            photo_ids: Vec::new(),
        },
        Section::Testimonials {
            title: String::new(),
            items: vec![Testimonial {
                quote: "Best pie in the county".into(),
                author: "Jo, Idabel".into(),
            }],
        },
        Section::Hours {
            title: "When we bake".into(),
        },
        Section::Contact {
            title: String::new(),
        },
        Section::Faq {
            title: String::new(),
            items: vec![Question {
                question: "Do you deliver?".into(),
                answer: "Yes, within Idabel.\nCall a day ahead.".into(),
            }],
        },
        Section::About {
            title: "Our story".into(),
            body: "Grandma's recipes.\n\nStill hers.".into(),
        },
        Section::CallToAction {
            text: "Order a pie for Sunday".into(),
            button: Button::Call,
        },
    ]
}

/// Whether any ` on…=` attribute appears (`onclick=`, `onerror=`…).
fn has_event_handler(html: &str) -> bool {
    html.split(" on").skip(1).any(|rest| {
        let name = rest.chars().take_while(char::is_ascii_lowercase).count();
        name > 0 && rest.chars().nth(name) == Some('=')
    })
}

/// Where `needle` first appears, to check the order of the sections.
fn at(html: &str, needle: &str) -> usize {
    html.find(needle).expect(needle)
}

#[test]
fn every_kind_of_section_renders_in_the_owners_order() {
    let f = fixture();
    let html = f.page(&every_kind());
    let order = [
        "<h2 id=\"section-1\">Fresh pies daily</h2>",
        "<h2 id=\"section-2\">Menu</h2>",
        "<h2 id=\"section-3\">Photos</h2>",
        "<h2 id=\"section-4\">What our customers say</h2>",
        "<h2 id=\"section-5\">When we bake</h2>",
        "<h2 id=\"section-6\">Contact us</h2>",
        "<h2 id=\"section-7\">Questions and answers</h2>",
        "<h2 id=\"section-8\">Our story</h2>",
        "<p id=\"section-9\">Order a pie for Sunday</p>",
    ];
    let positions: Vec<usize> = order.iter().map(|needle| at(&html, needle)).collect();
    assert!(positions.windows(2).all(|w| w[0] < w[1]), "{positions:?}");
    assert!(html.contains("<p>Since 1987 on Main Street</p>"));
    assert!(html.contains("<h3>Pecan pie</h3>"));
    assert!(html.contains("<p class=\"owner-price\">$18</p>"));
    assert!(html.contains("<blockquote><p>Best pie in the county</p></blockquote>"));
    assert!(html.contains("<figcaption>— Jo, Idabel</figcaption>"));
    assert!(html.contains("<tr><th scope=\"row\">Monday</th><td>8:00 AM – 5:00 PM</td></tr>"));
    assert!(!html.contains("class=\"today\""), "a snapshot has no today");
    assert!(html.contains("12 Main St<br>Idabel, OK"));
    assert!(html.contains("<summary>Do you deliver?</summary>"));
    assert!(html.contains("<p>Yes, within Idabel.</p>"));
    assert!(html.contains("<p>Call a day ahead.</p>"));
    assert!(
        html.contains("<p>Grandma&#39;s recipes.</p>")
            || html.contains("<p>Grandma&#x27;s recipes.</p>")
    );
    assert!(html.contains("<a class=\"button\" href=\"tel:+15805550100\">Call us</a>"));
}

#[test]
fn the_page_is_a_complete_document_in_the_sites_layout_without_scripts_or_styles() {
    let f = fixture();
    let html = f.page(&every_kind());
    assert!(html.starts_with("<!doctype html>\n<html lang=\"en\">"));
    assert_eq!(html.matches("<h1").count(), 1);
    assert!(html.contains("<h1 class=\"owner-title\">Idabel Bakery</h1>"));
    assert!(html.contains(
        "<link rel=\"canonical\" href=\"https://kiamichibizconnect.com/business/idabel-bakery-idabel/page\">"
    ));
    assert!(html.contains(kbc_site::assets::stylesheet_path()));
    assert!(html.contains(
        "<a href=\"/business/idabel-bakery-idabel\">Idabel Bakery in the Kiamichi Biz Connect"
    ));
    assert!(html.contains("<meta name=\"description\" content=\"Since 1987 on Main Street\">"));
    assert!(html.contains(
        "<meta property=\"og:image\" content=\"https://kiamichibizconnect.com/images/b/front.jpg\">"
    ));
    assert!(html.contains("<main id=\"main\"") && html.contains("<footer"));
    assert!(!html.contains("<script"), "no script of any kind");
    assert!(!html.contains("style="), "no inline style");
    assert!(!html.contains("<style"), "no style element");
    assert!(!has_event_handler(&html), "no event handler attribute");
}

#[test]
fn contact_and_buttons_are_real_links_to_the_listings_details() {
    let f = fixture();
    let html = f.page(&[Section::Contact {
        title: String::new(),
    }]);
    let directions = "https://www.google.com/maps/dir/?api=1&#38;destination=33.89570%2C-94.82660";
    for link in [
        "<a href=\"tel:+15805550100\">(580) 555-0100</a>",
        "<a href=\"mailto:pies@example.com\">pies@example.com</a>",
        "<a href=\"https://bakery.example.com/\" rel=\"nofollow ugc noopener\">Our website</a>",
        &format!("<a href=\"{directions}\" rel=\"nofollow ugc noopener\">Get directions</a>"),
        "<a href=\"/business/idabel-bakery-idabel#contact\">Send us a request</a>",
    ] {
        assert!(html.contains(link), "{link}\n{html}");
    }
    let cta = |button| {
        f.page(&[Section::CallToAction {
            text: "Come by".into(),
            button,
        }])
    };
    assert!(
        cta(Button::Email)
            .contains("<a class=\"button\" href=\"mailto:pies@example.com\">Email us</a>")
    );
    assert!(cta(Button::Website).contains(
        "<a class=\"button\" href=\"https://bakery.example.com/\" rel=\"nofollow ugc noopener\">Visit our website</a>"
    ));
    assert!(
        cta(Button::Directions).contains(&format!("<a class=\"button\" href=\"{directions}\""))
    );
}

#[test]
fn a_button_without_the_detail_it_needs_is_left_out() {
    let f = fixture();
    f.set(
        "UPDATE businesses SET phone = NULL, email = NULL, website = NULL, latitude = NULL,
             longitude = NULL, street = '' WHERE id = ?1",
    );
    for button in Button::ALL {
        let html = f.page(&[Section::CallToAction {
            text: "Come by".into(),
            button,
        }]);
        assert!(html.contains("<p id=\"section-1\">Come by</p>"));
        assert!(!html.contains("class=\"button\""), "{button:?}");
    }
}

#[test]
fn a_gallery_shows_only_the_business_photos() {
    let f = fixture();
    let gallery = |photo_ids| Section::Gallery {
        title: "Our shop".into(),
        photo_ids,
    };
    let picked = f.page(&[gallery(vec![f.oven, f.neighbours])]);
    assert!(picked.contains("<img src=\"/images/b/oven.jpg\" alt=\"Photo of Idabel Bakery\""));
    assert!(!picked.contains("b/front.jpg\" alt"), "not picked");
    assert!(!picked.contains("n/diner.jpg"), "another listing's photo");
    let all = f.page(&[gallery(Vec::new())]);
    assert!(all.contains("<img src=\"/images/b/front.jpg\" alt=\"The shop front\""));
    assert!(all.contains("/images/b/oven.jpg"));
    assert!(!all.contains("n/diner.jpg"));
    assert!(
        all.find("b/front.jpg").unwrap() < all.find("b/oven.jpg").unwrap(),
        "listing order"
    );
}

#[test]
fn hostile_owner_text_and_links_are_inert() {
    let f = fixture();
    f.set("UPDATE businesses SET website = 'javascript:alert(3)', name = '<script>alert(4)</script>' WHERE id = ?1");
    f.set("UPDATE business_photos SET alt_text = '\" onerror=\"alert(5)' WHERE business_id = ?1");
    let hostile = HOSTILE.to_owned();
    let sections = vec![
        Section::Hero {
            headline: hostile.clone(),
            tagline: "javascript:alert(1)".into(),
        },
        Section::Services {
            title: hostile.clone(),
            items: vec![Service {
                name: hostile.clone(),
                description: "<img src=x onerror=alert(2)>".into(),
                price: hostile.clone(),
            }],
        },
        Section::Gallery {
            title: hostile.clone(),
            photo_ids: Vec::new(),
        },
        Section::Testimonials {
            title: hostile.clone(),
            items: vec![Testimonial {
                quote: hostile.clone(),
                author: hostile.clone(),
            }],
        },
        Section::Contact {
            title: hostile.clone(),
        },
        Section::Faq {
            title: hostile.clone(),
            items: vec![Question {
                question: hostile.clone(),
                answer: format!("{hostile}\n</details><b>bold</b>"),
            }],
        },
        Section::About {
            title: hostile.clone(),
            body: hostile.clone(),
        },
        Section::CallToAction {
            text: hostile.clone(),
            button: Button::Website,
        },
    ];
    for html in [f.page(&sections), f.preview(&sections)] {
        assert!(!html.contains("<script"), "raw script tag");
        assert!(!html.contains("<img src=x"), "raw img tag");
        assert!(!html.contains("<b>bold"), "raw markup");
        assert!(
            !html.contains("</details><b>"),
            "the answer cannot close its element"
        );
        assert!(!html.contains("href=\"javascript"), "javascript link");
        assert!(!html.contains("\"Quoted\""), "quotes escaped");
        assert!(
            !html.contains("onerror=\"alert"),
            "no attribute broken out of"
        );
        assert!(
            html.contains("&#60;script&#62;") || html.contains("&lt;script&gt;"),
            "shown as text"
        );
        assert!(
            !html.contains("class=\"button\""),
            "no button to a javascript: website"
        );
    }
}

#[test]
fn the_preview_shows_the_same_sections_as_a_fragment_with_absolute_links() {
    let f = fixture();
    let mut sections = every_kind();
    sections.push(Section::Services {
        title: String::new(),
        items: Vec::new(),
    });
    let preview = f.preview(&sections);
    assert!(preview.starts_with("<div class=\"owner-page owner-preview\">"));
    assert!(
        !preview.contains("<html") && !preview.contains("<h1"),
        "a fragment under the dashboard's h1"
    );
    assert!(preview.contains("<h2 class=\"owner-title\">Idabel Bakery</h2>"));
    assert!(preview.contains("<img src=\"https://kiamichibizconnect.com/images/b/front.jpg\""));
    assert!(
        preview.contains(
            "href=\"https://kiamichibizconnect.com/business/idabel-bakery-idabel#contact\""
        )
    );
    assert!(preview.contains("<h2 id=\"section-8\">Our story</h2>"));
    assert!(preview.contains("<p class=\"owner-empty\">Services and prices: nothing to show yet"));
    let page = f.page(&sections);
    assert!(
        !page.contains("section-10"),
        "the empty section is left out of the page"
    );
    assert!(!page.contains("owner-empty"));
}

#[test]
fn the_listing_links_its_owners_page_once_published() {
    let f = fixture();
    let listing = || {
        block_on(BusinessPage::load(
            &f.db,
            &site(),
            "idabel-bakery-idabel",
            FormState::default(),
            false,
        ))
        .unwrap()
        .unwrap()
        .html()
    };
    let link =
        "<a class=\"button\" href=\"/business/idabel-bakery-idabel/page\">Visit our page</a>";
    assert!(!listing().contains(link));
    let html = f.page(&every_kind());
    let blobs = MemoryBlobStore::default();
    block_on(page_builder::publish(
        &f.db, &blobs, f.bakery, html, None, 3,
    ))
    .unwrap();
    assert!(listing().contains(link));
}
