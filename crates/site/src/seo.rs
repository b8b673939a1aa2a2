//! What search engines read: JSON-LD built with a JSON serializer (never by concatenation),
//! the sitemap and robots.txt.

use kbc_domain::directory::BusinessDetail;
use serde_json::{Value, json};

/// Serializes JSON for a `<script type="application/ld+json">` block. `<`, `>` and `&` are
/// escaped as JSON unicode escapes, so no stored text can close the script element.
pub fn script_json(value: &Value) -> String {
    let text = serde_json::to_string(value).unwrap_or_else(|_| "{}".into());
    text.replace('<', "\\u003c")
        .replace('>', "\\u003e")
        .replace('&', "\\u0026")
}

fn clock(minutes: u16) -> String {
    let minutes = minutes % 1440;
    format!("{:02}:{:02}", minutes / 60, minutes % 60)
}

/// schema.org `LocalBusiness` for a listing.
pub fn local_business(business: &BusinessDetail, page_url: &str, origin: &str) -> Value {
    let mut data = json!({
        "@context": "https://schema.org",
        "@type": "LocalBusiness",
        "@id": page_url,
        "name": business.name,
        "url": page_url,
        "address": {
            "@type": "PostalAddress",
            "streetAddress": business.address.street,
            "addressLocality": business.address.city,
            "addressRegion": business.address.state,
            "postalCode": business.address.zip,
            "addressCountry": "US",
        },
    });
    let Some(object) = data.as_object_mut() else {
        return data;
    };
    if !business.description.is_empty() {
        object.insert("description".into(), business.description.clone().into());
    }
    if let Some(phone) = &business.phone {
        object.insert("telephone".into(), phone.clone().into());
    }
    if let Some(location) = business.location {
        object.insert(
            "geo".into(),
            json!({"@type": "GeoCoordinates", "latitude": location.latitude, "longitude": location.longitude}),
        );
    }
    // Only http(s) addresses: anything else stored must not reach a crawler as a link.
    let same_as: Vec<String> = business
        .website
        .iter()
        .chain(business.social_links.iter().map(|link| &link.url))
        .filter_map(|url| crate::view::external_link(url))
        .collect();
    if !same_as.is_empty() {
        object.insert("sameAs".into(), same_as.into());
    }
    if !business.hours.is_empty() {
        let hours: Vec<Value> = business
            .hours
            .iter()
            .map(|h| {
                json!({
                    "@type": "OpeningHoursSpecification",
                    "dayOfWeek": format!("https://schema.org/{}", kbc_domain::hours::day_name(h.day)),
                    "opens": clock(h.opens_at),
                    "closes": clock(h.closes_at),
                })
            })
            .collect();
        object.insert("openingHoursSpecification".into(), hours.into());
    }
    if let Some(rating) = business.rating.filter(|r| r.count > 0) {
        object.insert(
            "aggregateRating".into(),
            json!({"@type": "AggregateRating", "ratingValue": rating.average, "reviewCount": rating.count}),
        );
    }
    if let Some(photo) = business.photos.first() {
        object.insert(
            "image".into(),
            format!("{origin}{}", crate::urls::image(&photo.key)).into(),
        );
    }
    data
}

/// One `<url>` of the sitemap.
pub struct SitemapUrl {
    pub path: String,
    pub lastmod: Option<(i64, u8, u8)>,
}

fn xml_escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&apos;")
}

/// The sitemap XML for `urls` under `origin`.
pub fn sitemap(origin: &str, urls: &[SitemapUrl]) -> String {
    let mut xml = String::from(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<urlset xmlns=\"http://www.sitemaps.org/schemas/sitemap/0.9\">\n",
    );
    for url in urls {
        xml.push_str("<url><loc>");
        xml.push_str(&xml_escape(&format!("{origin}{}", url.path)));
        xml.push_str("</loc>");
        if let Some((year, month, day)) = url.lastmod {
            xml.push_str(&format!("<lastmod>{year:04}-{month:02}-{day:02}</lastmod>"));
        }
        xml.push_str("</url>\n");
    }
    xml.push_str("</urlset>\n");
    xml
}

/// robots.txt: everything public may be crawled; forms and the API's writes may not.
pub fn robots(origin: &str) -> String {
    format!(
        "User-agent: *\nAllow: /\nDisallow: /submit\nDisallow: /api/v1/submissions\n\
         Disallow: /search\n\nSitemap: {origin}/sitemap.xml\n"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn script_json_cannot_close_the_script_element() {
        let text = script_json(&json!({"name": "</script><script>alert(1)</script> & co"}));
        assert!(!text.contains('<') && !text.contains('>') && !text.contains('&'));
        let back: Value = serde_json::from_str(&text).unwrap();
        assert_eq!(back["name"], "</script><script>alert(1)</script> & co");
    }

    #[test]
    fn sitemap_escapes_and_dates_its_urls() {
        let xml = sitemap(
            "https://example.org",
            &[
                SitemapUrl {
                    path: "/a?b=1&c=2".into(),
                    lastmod: Some((2026, 11, 3)),
                },
                SitemapUrl {
                    path: "/".into(),
                    lastmod: None,
                },
            ],
        );
        assert!(
            xml.contains(
                "<loc>https://example.org/a?b=1&amp;c=2</loc><lastmod>2026-11-03</lastmod>"
            )
        );
        assert!(xml.contains("<url><loc>https://example.org/</loc></url>"));
    }

    #[test]
    fn robots_points_at_the_sitemap_and_keeps_forms_out() {
        let robots = robots("https://example.org");
        assert!(robots.contains("Sitemap: https://example.org/sitemap.xml"));
        assert!(robots.contains("Disallow: /submit"));
    }
}
