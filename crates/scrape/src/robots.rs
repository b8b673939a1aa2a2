//! What a site's `robots.txt` allows our crawler, read per RFC 9309.
//!
//! The group naming our product token ([`USER_AGENT_TOKEN`], case-insensitive) applies, else
//! the `*` group, else nothing is disallowed; several groups for the same agent are combined.
//! The longest matching `Allow`/`Disallow` pattern wins and `Allow` wins a tie; patterns know
//! `*` (any run of characters) and a final `$` (end of the path). Paths and patterns are
//! compared percent-encoding-normalised. Only the first [`MAX_ROBOTS_BYTES`] are read.
//!
//! Parsed by hand: the format is a few line records, and the crates that parse it (such as
//! `texting_robots`) pull in `regex`, too heavy for a Worker's wasm bundle.

use url::Url;

use crate::guard::USER_AGENT_TOKEN;

/// The part of a `robots.txt` that is read (RFC 9309's minimum of 500 kibibytes); the
/// analyzer need not fetch more.
pub const MAX_ROBOTS_BYTES: usize = 500 * 1024;

/// The rules of one `robots.txt` that apply to our user agent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Robots {
    rules: Vec<Rule>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct Rule {
    allow: bool,
    /// Normalised, starting with `/` or `*`.
    pattern: String,
}

/// Which agents the group being read applies to.
#[derive(Default)]
struct Group {
    us: bool,
    anyone: bool,
    /// Still in the group's `User-agent` lines: a further one joins the group instead of
    /// starting the next.
    naming: bool,
}

impl Robots {
    /// The rules for us in `body`, a `robots.txt`. Lines that are not records are ignored.
    pub fn parse(body: &str) -> Self {
        let body = head(body, MAX_ROBOTS_BYTES);
        let body = body.strip_prefix('\u{feff}').unwrap_or(body);
        let (mut ours, mut anyones) = (Vec::new(), Vec::new());
        let mut named_us = false;
        let mut group = Group::default();
        for line in body.split(['\n', '\r']) {
            let line = line.split_once('#').map_or(line, |(record, _)| record);
            let Some((key, value)) = line.split_once(':') else {
                continue;
            };
            let value = value.trim();
            match key.trim().to_ascii_lowercase().as_str() {
                "user-agent" | "useragent" | "user agent" => {
                    if !group.naming {
                        group = Group {
                            naming: true,
                            ..Group::default()
                        };
                    }
                    if value == "*" {
                        group.anyone = true;
                    } else if product_token(value).eq_ignore_ascii_case(USER_AGENT_TOKEN) {
                        group.us = true;
                        named_us = true;
                    }
                }
                key @ ("allow" | "disallow" | "dissallow" | "disalow" | "dissalow") => {
                    group.naming = false;
                    // An empty Disallow allows everything; an empty Allow says nothing.
                    if value.is_empty() {
                        continue;
                    }
                    let rule = Rule {
                        allow: key == "allow",
                        pattern: pattern(value),
                    };
                    if group.anyone {
                        anyones.push(rule.clone());
                    }
                    if group.us {
                        ours.push(rule);
                    }
                }
                // Sitemap, Crawl-delay and the like neither end a group nor restrict us.
                _ => {}
            }
        }
        Self {
            rules: if named_us { ours } else { anyones },
        }
    }

    /// Everything allowed: the answer when `robots.txt` is 404, 410 or another 4xx.
    pub fn allow_all() -> Self {
        Self { rules: Vec::new() }
    }

    /// Nothing allowed: the answer when `robots.txt` is 5xx or unreachable (RFC 9309: assume
    /// a complete disallow).
    pub fn disallow_all() -> Self {
        Self {
            rules: vec![Rule {
                allow: false,
                pattern: "*".to_owned(),
            }],
        }
    }

    /// Whether `url`'s path and query may be fetched.
    pub fn allows(&self, url: &Url) -> bool {
        let mut target = normalise(url.path());
        if let Some(query) = url.query() {
            target.push('?');
            target.push_str(&normalise(query));
        }
        self.rules
            .iter()
            .filter(|rule| matches(&rule.pattern, &target))
            .max_by(|a, b| {
                a.pattern
                    .len()
                    .cmp(&b.pattern.len())
                    .then(a.allow.cmp(&b.allow))
            })
            .is_none_or(|rule| rule.allow)
    }
}

/// Where `page`'s `robots.txt` lives: same scheme, host and port, path `/robots.txt`.
pub fn robots_url(page: &Url) -> Url {
    let mut url = page.clone();
    url.set_path("/robots.txt");
    url.set_query(None);
    url.set_fragment(None);
    // Only a URL without a host refuses these, and it has no credentials to drop.
    let _ = url.set_username("");
    let _ = url.set_password(None);
    url
}

/// The longest prefix of `body` no longer than `max` bytes that ends on a character boundary.
fn head(body: &str, max: usize) -> &str {
    let end = (0..=max.min(body.len()))
        .rev()
        .find(|&end| body.is_char_boundary(end));
    end.and_then(|end| body.get(..end)).unwrap_or("")
}

/// The product token a `User-agent` value starts with (`Name/1.0` names `Name`).
fn product_token(value: &str) -> &str {
    let end = value
        .find(|c: char| !(c.is_ascii_alphabetic() || c == '-' || c == '_'))
        .unwrap_or(value.len());
    value.get(..end).unwrap_or("")
}

/// A rule's pattern, normalised like the paths it is matched against; one not starting with
/// `/` or `*` is read as starting with `/`, as its author meant.
fn pattern(value: &str) -> String {
    let pattern = normalise(value);
    if pattern.starts_with(['/', '*']) {
        pattern
    } else {
        format!("/{pattern}")
    }
}

/// `text` with RFC 9309's percent-encoding normalisation: bytes outside the URI's unreserved
/// and reserved characters are encoded, encoded unreserved characters are decoded, and
/// escapes are uppercase. The result is ASCII.
fn normalise(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut bytes = text.bytes();
    while let Some(byte) = bytes.next() {
        let escaped = (byte == b'%')
            .then(|| {
                let mut ahead = bytes.clone();
                let high = ahead.next().and_then(hex_value)?;
                let low = ahead.next().and_then(hex_value)?;
                bytes = ahead;
                Some(high << 4 | low)
            })
            .flatten();
        match escaped {
            Some(decoded) if is_unreserved(decoded) => out.push(char::from(decoded)),
            Some(other) => push_escape(&mut out, other),
            None if is_unreserved(byte) || is_reserved(byte) || byte == b'%' => {
                out.push(char::from(byte));
            }
            None => push_escape(&mut out, byte),
        }
    }
    out
}

fn hex_value(digit: u8) -> Option<u8> {
    char::from(digit)
        .to_digit(16)
        .and_then(|value| u8::try_from(value).ok())
}

fn push_escape(out: &mut String, byte: u8) {
    out.push_str(&format!("%{byte:02X}"));
}

fn is_unreserved(byte: u8) -> bool {
    byte.is_ascii_alphanumeric() || b"-._~".contains(&byte)
}

fn is_reserved(byte: u8) -> bool {
    b":/?#[]@!$&'()*+,;=".contains(&byte)
}

/// Whether `pattern` matches `path` from its start: `*` matches any run of characters and a
/// final `$` requires the path to end there.
fn matches(pattern: &str, path: &str) -> bool {
    let (pattern, anchored) = match pattern.strip_suffix('$') {
        Some(pattern) => (pattern, true),
        None => (pattern, false),
    };
    let mut pieces = pattern.split('*');
    let Some(mut rest) = path.strip_prefix(pieces.next().unwrap_or_default()) else {
        return false;
    };
    let pieces: Vec<&str> = pieces.collect();
    let Some((last, middle)) = pieces.split_last() else {
        return !anchored || rest.is_empty();
    };
    // Taking each middle piece at its first occurrence leaves the most room for the rest.
    for piece in middle {
        let Some(at) = rest.find(piece) else {
            return false;
        };
        rest = rest.get(at + piece.len()..).unwrap_or_default();
    }
    if anchored {
        rest.ends_with(last)
    } else {
        rest.contains(last)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalising_decodes_unreserved_escapes_and_uppercases_the_rest() {
        assert_eq!(normalise("/%7euser/%2fa%2Fb"), "/~user/%2Fa%2Fb");
    }

    #[test]
    fn normalising_encodes_non_ascii_and_spaces() {
        assert_eq!(normalise("/café menu"), "/caf%C3%A9%20menu");
    }

    #[test]
    fn a_stray_percent_sign_is_kept() {
        assert_eq!(normalise("/100%/%zz"), "/100%/%zz");
    }

    #[test]
    fn a_wildcard_in_the_middle_matches_any_run() {
        assert!(matches("/a*/c", "/a/b/c/d"));
        assert!(!matches("/a*/c", "/a/b/d"));
    }

    #[test]
    fn an_end_anchor_after_a_wildcard_checks_the_end() {
        assert!(matches("/*.php$", "/x/index.php"));
        assert!(!matches("/*.php$", "/x/index.php?q=1"));
        assert!(matches("/a$", "/a"));
        assert!(!matches("/a$", "/ab"));
    }

    #[test]
    fn the_head_of_a_long_body_ends_on_a_character_boundary() {
        assert_eq!(head("aé", 2), "a");
        assert_eq!(head("ab", 5), "ab");
    }
}
