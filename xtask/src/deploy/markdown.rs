//! Text from outside (commit subjects, error messages, probe answers) made inert for the
//! Markdown that GitHub renders: the pull-request comment and the step summary. Escaped
//! text shows as typed and can open no tag, link, image or table cell.

/// `text` as one line of plain Markdown: HTML-significant characters as entities, Markdown
/// punctuation (pipes of table cells included) backslash-escaped, line breaks as spaces.
pub fn text(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\n' | '\r' => out.push(' '),
            '\\' | '`' | '*' | '_' | '[' | ']' | '(' | ')' | '{' | '}' | '#' | '+' | '-' | '.'
            | '!' | '|' | '~' | ':' => {
                out.push('\\');
                out.push(c);
            }
            c if c.is_control() => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

/// `text` as an inline code span, which renders no HTML or link: backticks and line breaks
/// cannot end it early, and a pipe cannot end a table cell.
pub fn code(text: &str) -> String {
    let inner: String = text
        .chars()
        .map(|c| match c {
            '`' => '\'',
            c if c.is_control() => ' ',
            c => c,
        })
        .collect();
    format!("`{}`", inner.replace('|', "\\|"))
}

/// `url` as an autolink when it is a plain http(s) URL, otherwise as [`text`].
pub fn link(url: &str) -> String {
    let plain = url
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || "-._~:/?#@!$&'*+,;=%".contains(c));
    if plain && (url.starts_with("https://") || url.starts_with("http://")) {
        format!("<{url}>")
    } else {
        text(url)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn html_in_text_is_shown_not_rendered() {
        let escaped = text("<img src=x onerror=alert(1)>");

        assert!(
            !escaped.contains('<') && !escaped.contains('>'),
            "{escaped}"
        );
        assert!(escaped.starts_with("&lt;img src=x onerror=alert\\(1\\)&gt;"));
    }

    #[test]
    fn a_link_cannot_be_formed() {
        let escaped = text("[click](javascript:alert(1))");

        assert!(!escaped.contains("]("), "{escaped}");
        assert!(!escaped.contains("javascript:"), "{escaped}");
    }

    #[test]
    fn pipes_and_line_breaks_cannot_leave_a_table_cell() {
        let escaped = text("a | b\n| c |");

        assert!(!escaped.contains('\n'));
        assert_eq!(escaped.matches('|').count(), escaped.matches("\\|").count());
    }

    #[test]
    fn only_plain_http_urls_become_links() {
        assert_eq!(
            link("https://kbc-api-pr-7.kbc-fake.workers.dev"),
            "<https://kbc-api-pr-7.kbc-fake.workers.dev>"
        );
        assert!(!link("javascript:alert(1)").contains('<'));
        assert!(!link("https://x.dev/<img src=x>").contains("<img"));
    }

    #[test]
    fn a_code_span_cannot_be_closed_early_or_split_a_cell() {
        assert_eq!(code("kbc`db|x\ny"), "`kbc'db\\|x y`");
    }
}
