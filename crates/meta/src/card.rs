//! The share card published with a post: a 1200×630 HTML document in the site's colours and
//! system fonts, which Browser Rendering screenshots to a PNG. It is never served to
//! browsers, but every text in it is still escaped (askama auto-escaping) since it comes
//! from listings and owners.

use askama::Template;

/// The card's width and height in CSS pixels (Facebook's link-image size).
pub const WIDTH: u32 = 1200;
pub const HEIGHT: u32 = 630;

/// The texts of a card. Long texts are cut here; the template clamps them to their lines.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Card<'a> {
    /// Usually the business's name or the post's title.
    pub headline: &'a str,
    /// A line under it (a short description, an angle's label), may be empty.
    pub subline: &'a str,
    /// May be empty.
    pub category: &'a str,
    /// "Broken Bow, OK"; may be empty.
    pub place: &'a str,
    /// The directory's name.
    pub brand: &'a str,
}

#[derive(Template)]
#[template(path = "card.html")]
struct CardPage {
    card: Texts,
}

struct Texts {
    headline: String,
    subline: String,
    category: String,
    place: String,
    brand: String,
}

/// The card as a complete HTML document.
pub fn html(card: &Card) -> String {
    let cut =
        |text: &str, max| crate::clip(&text.split_whitespace().collect::<Vec<_>>().join(" "), max);
    let page = CardPage {
        card: Texts {
            headline: cut(card.headline, 90),
            subline: cut(card.subline, 160),
            category: cut(card.category, 40),
            place: cut(card.place, 60),
            brand: cut(card.brand, 40),
        },
    };
    page.render()
        .unwrap_or_else(|_| String::from("<!doctype html><title>Kiamichi Biz Connect</title>"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn card<'a>(headline: &'a str) -> Card<'a> {
        Card {
            headline,
            subline: "Home cooking and fresh pies",
            category: "Restaurant",
            place: "Broken Bow, OK",
            brand: "Kiamichi Biz Connect",
        }
    }

    #[test]
    fn the_card_is_a_full_document_of_1200_by_630() {
        let html = html(&card("Pine Ridge Cafe"));
        assert!(html.starts_with("<!doctype html>"));
        assert!(html.contains("width: 1200px; height: 630px"));
        for text in [
            "Pine Ridge Cafe",
            "Home cooking and fresh pies",
            "Restaurant",
            "Broken Bow, OK",
        ] {
            assert!(html.contains(text), "{text}");
        }
    }

    #[test]
    fn the_card_loads_nothing_from_elsewhere() {
        let html = html(&card("Pine Ridge Cafe"));
        assert!(!html.contains("http") && !html.contains("@import") && !html.contains("<link"));
        assert!(html.contains("system-ui"));
    }

    #[test]
    fn texts_are_escaped() {
        let html = html(&card("<script>alert(1)</script> & Sons"));
        // askama writes numeric character references (&#60; for <).
        assert!(html.contains("<h1>&#60;script&#62;alert(1)&#60;/script&#62; &#38; Sons</h1>"));
        assert!(!html.contains("<script>"));
    }

    #[test]
    fn empty_parts_are_left_out() {
        let html = html(&Card {
            subline: "",
            category: " ",
            place: "",
            ..card("Pine Ridge Cafe")
        });
        assert!(!html.contains("class=\"subline\"") && !html.contains("class=\"category\""));
        assert!(!html.contains("class=\"place\""));
    }

    #[test]
    fn long_headlines_are_cut() {
        let html = html(&card(&"word ".repeat(100)));
        assert!(html.contains("word…"));
    }
}
