//! Blog posts are written in Markdown and shown as HTML that can carry nothing dangerous:
//! HTML in the source shows as text, links keep only http(s), mailto and our own paths,
//! images become their alt text (pages load images from our origin only), and headings
//! start at level 2 (the page has its own h1).

use pulldown_cmark::{CowStr, Event, HeadingLevel, Options, Parser, Tag, TagEnd, html};

/// `markdown` as safe HTML.
pub fn to_safe_html(markdown: &str) -> String {
    let mut in_image = 0_usize;
    let events =
        Parser::new_ext(markdown, Options::ENABLE_STRIKETHROUGH).filter_map(|event| match event {
            Event::Html(raw) | Event::InlineHtml(raw) => Some(Event::Text(raw)),
            Event::Start(Tag::Image { .. }) => {
                in_image += 1;
                None
            }
            Event::End(TagEnd::Image) => {
                in_image = in_image.saturating_sub(1);
                None
            }
            Event::Start(Tag::Link {
                link_type,
                dest_url,
                title,
                id,
            }) => Some(Event::Start(Tag::Link {
                link_type,
                dest_url: if allowed_link(&dest_url) {
                    dest_url
                } else {
                    CowStr::Borrowed("#")
                },
                title,
                id,
            })),
            Event::Start(Tag::Heading {
                level,
                id,
                classes,
                attrs,
            }) => Some(Event::Start(Tag::Heading {
                level: deeper(level),
                id,
                classes,
                attrs,
            })),
            Event::End(TagEnd::Heading(level)) => Some(Event::End(TagEnd::Heading(deeper(level)))),
            other => Some(other),
        });
    let mut out = String::with_capacity(markdown.len() * 3 / 2);
    html::push_html(&mut out, events);
    out
}

fn deeper(level: HeadingLevel) -> HeadingLevel {
    match level {
        HeadingLevel::H1 => HeadingLevel::H2,
        HeadingLevel::H2 => HeadingLevel::H3,
        HeadingLevel::H3 => HeadingLevel::H4,
        HeadingLevel::H4 => HeadingLevel::H5,
        HeadingLevel::H5 | HeadingLevel::H6 => HeadingLevel::H6,
    }
}

fn allowed_link(url: &str) -> bool {
    let lower = url.trim().to_ascii_lowercase();
    lower.starts_with("https://")
        || lower.starts_with("http://")
        || lower.starts_with("mailto:")
        || (lower.starts_with('/') && !lower.starts_with("//"))
        || lower.starts_with('#')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markdown_becomes_paragraphs_emphasis_lists_and_lower_headings() {
        let html = to_safe_html("# Open house\n\nCome **early**.\n\n- pie\n- coffee");
        assert!(html.contains("<h2>Open house</h2>"), "{html}");
        assert!(html.contains("<strong>early</strong>"));
        assert!(html.contains("<li>pie</li>"));
    }

    #[test]
    fn html_in_the_source_shows_as_text() {
        let html = to_safe_html("Hi <script>alert(1)</script> <img src=x onerror=alert(2)>");
        assert!(
            !html.contains("<script") && !html.contains("<img"),
            "{html}"
        );
        assert!(html.contains("&lt;script&gt;"));
    }

    #[test]
    fn only_safe_links_survive_and_images_become_text() {
        let html = to_safe_html(
            "[a](javascript:alert(1)) [b](https://example.com) [c](/blog) ![cat](https://x/cat.png)",
        );
        assert!(!html.contains("javascript:"), "{html}");
        assert!(html.contains("href=\"https://example.com\""));
        assert!(html.contains("href=\"/blog\""));
        assert!(!html.contains("<img") && html.contains("cat"));
    }
}
