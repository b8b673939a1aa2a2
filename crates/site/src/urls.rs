//! Every public URL of the site, built in one place: the views link with these functions
//! and the api worker's route table matches the same section names, so a link and the
//! route that answers it cannot drift apart.

/// The first path segment of each section that has pages under it.
pub const CATEGORIES: &str = "categories";
pub const CITIES: &str = "cities";
pub const BUSINESS: &str = "business";
pub const BLOG: &str = "blog";
pub const IMAGES: &str = "images";
pub const SUBMIT: &str = "submit";
pub const SEARCH: &str = "search";

pub const HOME_PATH: &str = "/";
pub const SEARCH_PATH: &str = "/search";
pub const CATEGORIES_PATH: &str = "/categories";
pub const BLOG_PATH: &str = "/blog";
pub const SUBMIT_PATH: &str = "/submit";
pub const SUBMIT_THANKS: &str = "/submit/thanks";
pub const SITEMAP_PATH: &str = "/sitemap.xml";
pub const ROBOTS_PATH: &str = "/robots.txt";

pub fn category(slug: &str) -> String {
    format!("/{CATEGORIES}/{slug}")
}

pub fn city(slug: &str) -> String {
    format!("/{CITIES}/{slug}")
}

pub fn business(slug: &str) -> String {
    format!("/{BUSINESS}/{slug}")
}

/// The last segment of a business's own page under its listing.
pub const PAGE: &str = "page";

/// Where the listing page's links report a click (`{ping}/call`, `/website`, `/directions`).
pub fn ping(slug: &str) -> String {
    format!("/{BUSINESS}/{slug}/{PING}")
}

/// The path segment of [`ping`].
pub const PING: &str = "ping";

/// The page its owner built ([`kbc_domain::page_builder`]), under the listing.
pub fn business_page(slug: &str) -> String {
    format!("/{BUSINESS}/{slug}/{PAGE}")
}

/// Where an owner claims a listing: on the app, which holds everything signed-in.
pub fn claim(app_origin: &str, slug: &str) -> String {
    format!("{app_origin}/claim/{slug}")
}

pub fn post(slug: &str) -> String {
    format!("/{BLOG}/{slug}")
}

pub fn image(key: &str) -> String {
    format!("/{IMAGES}/{key}")
}

/// Where the lead form returns after a request was sent.
pub fn lead_sent(slug: &str) -> String {
    format!("{}?lead=sent#contact", business(slug))
}

/// A search for a keyword, escaped for the query string.
pub fn search_for(words: &str) -> String {
    let query = url::form_urlencoded::Serializer::new(String::new())
        .append_pair("q", words)
        .finish();
    format!("{SEARCH_PATH}?{query}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_name_their_section_and_escape_what_they_carry() {
        assert_eq!(business("pipe-pros"), "/business/pipe-pros");
        assert_eq!(business_page("pipe-pros"), "/business/pipe-pros/page");
        assert_eq!(image("photos/1/a.png"), "/images/photos/1/a.png");
        assert_eq!(lead_sent("x"), "/business/x?lead=sent#contact");
        assert_eq!(search_for("bbq & grill"), "/search?q=bbq+%26+grill");
    }
}
