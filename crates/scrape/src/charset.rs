//! How a page's bytes are encoded: the byte-order mark, the Content-Type header's charset, a
//! `<meta charset>` (or `http-equiv` Content-Type) near the top of the page, else UTF-8. Labels
//! are read as the WHATWG encoding standard says, so `iso-8859-1` means windows-1252.

use encoding_rs::{Encoding, UTF_8, UTF_16BE, UTF_16LE, WINDOWS_1252, X_USER_DEFINED};
use lol_html::html_content::Element;
use lol_html::{HtmlRewriter, Settings, element};
use std::cell::Cell;

/// How far into the page a `<meta>` charset is looked for (the HTML standard's prescan).
const PRESCAN: usize = 1024;

/// From the Content-Type header's charset, else a `<meta charset>` / `<meta http-equiv
/// content-type>` in the first 1024 bytes, else UTF-8 (windows-1252 for labels like
/// iso-8859-1, per the WHATWG encoding standard). A byte-order mark comes first, as in the
/// HTML standard: it cannot be mistaken, while headers and meta tags are often stale.
pub fn detect(content_type: Option<&str>, head: &[u8]) -> &'static Encoding {
    if let Some((encoding, _)) = Encoding::for_bom(head) {
        return encoding;
    }
    if let Some(encoding) = content_type.and_then(charset_parameter).and_then(for_label) {
        return encoding;
    }
    match prescan(head) {
        // A page whose meta tag could be read as ASCII is not UTF-16, whatever it says.
        Some(encoding) if encoding == UTF_16LE || encoding == UTF_16BE => UTF_8,
        Some(encoding) if encoding == X_USER_DEFINED => WINDOWS_1252,
        Some(encoding) => encoding,
        None => UTF_8,
    }
}

fn for_label(label: &str) -> Option<&'static Encoding> {
    Encoding::for_label(label.trim().trim_matches(['"', '\'']).as_bytes())
}

/// The value of `charset=` in a Content-Type value (`text/html; charset="utf-8"`).
fn charset_parameter(content_type: &str) -> Option<&str> {
    content_type.split(';').skip(1).find_map(|parameter| {
        let (name, value) = parameter.split_once('=')?;
        name.trim()
            .eq_ignore_ascii_case("charset")
            .then(|| value.trim().trim_matches(['"', '\'']))
    })
}

/// The encoding a `<meta>` tag in the first bytes of the page declares.
fn prescan(head: &[u8]) -> Option<&'static Encoding> {
    let head = head.get(..PRESCAN).unwrap_or(head);
    let found: Cell<Option<&'static Encoding>> = Cell::new(None);
    let on_meta = |meta: &mut Element| {
        if found.get().is_some() {
            return Ok(());
        }
        let declared = match meta.get_attribute("charset") {
            Some(label) => for_label(&label),
            None => meta
                .get_attribute("http-equiv")
                .filter(|name| name.trim().eq_ignore_ascii_case("content-type"))
                .and(meta.get_attribute("content"))
                .and_then(|content| charset_parameter(&content).and_then(for_label)),
        };
        found.set(declared);
        Ok(())
    };
    let settings = Settings::new()
        .with_strict(false)
        .append_element_content_handler(element!("meta", on_meta));
    let mut rewriter = HtmlRewriter::new(settings, |_: &[u8]| {});
    // A page cut off mid-tag is expected here; whatever was read by then counts.
    if rewriter.write(head).is_ok() {
        let _ = rewriter.end();
    }
    found.get()
}

#[cfg(test)]
mod tests {
    use super::*;
    use encoding_rs::{SHIFT_JIS, WINDOWS_1251};

    #[test]
    fn the_header_charset_decides() {
        assert_eq!(
            detect(Some("text/html; charset=windows-1251"), b"<html>"),
            WINDOWS_1251
        );
        assert_eq!(
            detect(Some("text/html;charset=\"Shift_JIS\""), b""),
            SHIFT_JIS
        );
    }

    #[test]
    fn the_header_wins_over_a_meta_tag() {
        let page = b"<html><head><meta charset=\"windows-1251\">";
        assert_eq!(detect(Some("text/html; charset=utf-8"), page), UTF_8);
    }

    #[test]
    fn latin_1_labels_mean_windows_1252() {
        assert_eq!(
            detect(Some("text/html; charset=ISO-8859-1"), b""),
            WINDOWS_1252
        );
        assert_eq!(detect(None, b"<meta charset=latin1>"), WINDOWS_1252);
    }

    #[test]
    fn a_meta_charset_tag_when_the_header_says_nothing() {
        let page = b"<!doctype html><html><head><meta charset='iso-8859-1'><title>x</title>";
        assert_eq!(detect(Some("text/html"), page), WINDOWS_1252);
    }

    #[test]
    fn a_meta_http_equiv_content_type() {
        let page =
            br#"<head><META HTTP-EQUIV="Content-Type" CONTENT="text/html; charset=windows-1251">"#;
        assert_eq!(detect(None, page), WINDOWS_1251);
    }

    #[test]
    fn a_meta_tag_past_the_first_kilobyte_is_not_read() {
        let mut page = b"<html><head><!--".to_vec();
        page.extend(std::iter::repeat_n(b' ', 1100));
        page.extend(b"--><meta charset=windows-1251>");
        assert_eq!(detect(None, &page), UTF_8);
    }

    #[test]
    fn a_byte_order_mark_is_believed_first() {
        assert_eq!(
            detect(Some("text/html; charset=utf-8"), b"\xFF\xFE<\x00h\x00"),
            UTF_16LE
        );
        assert_eq!(detect(None, b"\xFE\xFF\x00<"), UTF_16BE);
        assert_eq!(
            detect(Some("text/html; charset=latin1"), b"\xEF\xBB\xBF<html>"),
            UTF_8
        );
    }

    #[test]
    fn a_meta_tag_claiming_utf_16_means_utf_8() {
        assert_eq!(detect(None, b"<meta charset=utf-16le>"), UTF_8);
    }

    #[test]
    fn unknown_labels_and_nothing_at_all_fall_back_to_utf_8() {
        assert_eq!(
            detect(Some("text/html; charset=klingon"), b"<meta charset=nope>"),
            UTF_8
        );
        assert_eq!(detect(None, b""), UTF_8);
        assert_eq!(detect(None, b"\x00\xFF<meta"), UTF_8);
    }
}
