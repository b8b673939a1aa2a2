//! Typed values that outside input is parsed into at the edge. Each `parse` takes the name of
//! the field it came from, so a rejection names exactly what the person has to fix.

use crate::FieldError;
use serde::{Deserialize, Serialize};
use std::fmt;

/// Trims, folds runs of whitespace into one space, and rejects control characters.
pub(crate) fn clean_line(field: &str, raw: &str) -> Result<String, FieldError> {
    if raw.chars().any(char::is_control) {
        return Err(FieldError::new(
            field,
            "must be a single line without control characters",
        ));
    }
    Ok(raw.split_whitespace().collect::<Vec<_>>().join(" "))
}

pub(crate) fn check_length(
    field: &str,
    value: &str,
    min: usize,
    max: usize,
) -> Result<(), FieldError> {
    let length = value.chars().count();
    if length < min {
        return Err(if min == 1 {
            FieldError::new(field, "is required")
        } else {
            FieldError::new(field, format!("must be at least {min} characters"))
        });
    }
    if length > max {
        return Err(FieldError::new(
            field,
            format!("must be at most {max} characters"),
        ));
    }
    Ok(())
}

macro_rules! text_value {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
        #[serde(transparent)]
        pub struct $name(String);

        impl $name {
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }
    };
}

text_value!(
    /// A URL path segment: lowercase ASCII letters, digits and single inner hyphens.
    Slug
);

impl Slug {
    pub const MAX: usize = 120;

    pub fn parse(field: &str, raw: &str) -> Result<Self, FieldError> {
        let valid = !raw.is_empty()
            && raw.len() <= Self::MAX
            && raw
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
            && !raw.starts_with('-')
            && !raw.ends_with('-')
            && !raw.contains("--");
        if valid {
            Ok(Self(raw.to_owned()))
        } else {
            Err(FieldError::new(
                field,
                "must be lowercase letters, digits and single hyphens",
            ))
        }
    }

    /// Derives a slug from free text ("Bob's BBQ & Grill" -> "bob-s-bbq-grill"); `None` when
    /// nothing usable is left.
    pub fn from_text(text: &str) -> Option<Self> {
        let mut slug = String::with_capacity(text.len());
        for c in text.chars() {
            let c = fold_latin(c);
            if c.is_ascii_alphanumeric() {
                slug.push(c.to_ascii_lowercase());
            } else if !slug.is_empty() && !slug.ends_with('-') {
                slug.push('-');
            }
        }
        let mut slug = slug.trim_end_matches('-').to_owned();
        if slug.len() > Self::MAX {
            slug.truncate(Self::MAX);
            slug = slug.trim_end_matches('-').to_owned();
        }
        (!slug.is_empty()).then_some(Self(slug))
    }

    /// This slug with a numeric suffix, kept within the length limit.
    pub fn with_suffix(&self, n: u32) -> Self {
        let suffix = format!("-{n}");
        let mut base = self.0.clone();
        base.truncate(Self::MAX - suffix.len());
        Self(format!("{}{suffix}", base.trim_end_matches('-')))
    }
}

/// Maps common accented Latin letters to their ASCII base so "Café" slugs as "cafe".
fn fold_latin(c: char) -> char {
    match c {
        'à'..='å' | 'À'..='Å' => 'a',
        'ç' | 'Ç' => 'c',
        'è'..='ë' | 'È'..='Ë' => 'e',
        'ì'..='ï' | 'Ì'..='Ï' => 'i',
        'ñ' | 'Ñ' => 'n',
        'ò'..='ö' | 'Ò'..='Ö' => 'o',
        'ù'..='ü' | 'Ù'..='Ü' => 'u',
        'ý' | 'ÿ' | 'Ý' => 'y',
        other => other,
    }
}

text_value!(
    /// A business's display name: 2 to 120 characters on one line.
    BusinessName
);

impl BusinessName {
    pub fn parse(field: &str, raw: &str) -> Result<Self, FieldError> {
        let name = clean_line(field, raw)?;
        check_length(field, &name, 2, 120)?;
        if !name.chars().any(char::is_alphanumeric) {
            return Err(FieldError::new(field, "must contain letters or digits"));
        }
        Ok(Self(name))
    }
}

text_value!(
    /// A person's name as they give it: 1 to 100 characters on one line.
    PersonName
);

impl PersonName {
    pub fn parse(field: &str, raw: &str) -> Result<Self, FieldError> {
        let name = clean_line(field, raw)?;
        check_length(field, &name, 1, 100)?;
        Ok(Self(name))
    }
}

text_value!(
    /// Free text that may span lines (descriptions, messages), trimmed and length-checked.
    Paragraphs
);

impl Paragraphs {
    pub fn parse(field: &str, raw: &str, min: usize, max: usize) -> Result<Self, FieldError> {
        if raw
            .chars()
            .any(|c| c.is_control() && c != '\n' && c != '\r' && c != '\t')
        {
            return Err(FieldError::new(
                field,
                "must not contain control characters",
            ));
        }
        // Counted as sent (less surrounding spaces), before line endings are normalised.
        let trimmed = raw.trim();
        check_length(field, trimmed, min, max)?;
        Ok(Self(trimmed.replace("\r\n", "\n")))
    }
}

text_value!(
    /// A North American phone number, stored as E.164 (`+15805550123`).
    Phone
);

impl Phone {
    pub fn parse(field: &str, raw: &str) -> Result<Self, FieldError> {
        let allowed = |c: char| c.is_ascii_digit() || " ()-.+".contains(c);
        if !raw.chars().all(allowed) {
            return Err(FieldError::new(
                field,
                "may contain only digits, spaces and ( ) - . +",
            ));
        }
        let digits: String = raw.chars().filter(char::is_ascii_digit).collect();
        let national = match digits.len() {
            10 => digits.as_str(),
            11 => digits
                .strip_prefix('1')
                .ok_or_else(|| FieldError::new(field, "must be a 10-digit US phone number"))?,
            _ => return Err(FieldError::new(field, "must be a 10-digit US phone number")),
        };
        // Area codes and exchanges never start with 0 or 1.
        let starts_low = |at: usize| national.as_bytes().get(at).is_none_or(|&b| b < b'2');
        if starts_low(0) || starts_low(3) {
            return Err(FieldError::new(field, "is not a valid US phone number"));
        }
        Ok(Self(format!("+1{national}")))
    }

    /// Reads a value this type stored earlier.
    pub fn from_stored(stored: String) -> Self {
        Self(stored)
    }

    /// `(580) 555-0123`.
    pub fn display(&self) -> String {
        match self.0.strip_prefix("+1") {
            Some(n) if n.len() == 10 && n.bytes().all(|b| b.is_ascii_digit()) => {
                let (area, rest) = n.split_at(3);
                let (exchange, line) = rest.split_at(3);
                format!("({area}) {exchange}-{line}")
            }
            // Stored by something other than `parse`: show it as it is rather than fail.
            _ => self.0.clone(),
        }
    }
}

text_value!(
    /// An email address with a plausible domain, lowercased in its domain part.
    Email
);

impl Email {
    pub fn parse(field: &str, raw: &str) -> Result<Self, FieldError> {
        let raw = raw.trim();
        let invalid = || FieldError::new(field, "must be an email address like name@example.com");
        if raw.len() > 254 || raw.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(invalid());
        }
        let (local, domain) = raw.split_once('@').ok_or_else(invalid)?;
        let labels_ok = domain.split('.').all(|label| {
            !label.is_empty()
                && label.len() <= 63
                && label.chars().all(|c| c.is_alphanumeric() || c == '-')
                && !label.starts_with('-')
                && !label.ends_with('-')
        });
        // Only the characters real mailboxes use: anything URL-significant (`?`, `&`, `=`,
        // `%`, `#`, `/`) could add headers or recipients to the `mailto:` links we render.
        let local_ok = !local.is_empty()
            && local.len() <= 64
            && !local.starts_with('.')
            && !local.ends_with('.')
            && local
                .chars()
                .all(|c| c.is_alphanumeric() || matches!(c, '.' | '_' | '+' | '-' | '\''));
        if !local_ok || !labels_ok || !domain.contains('.') {
            return Err(invalid());
        }
        Ok(Self(format!("{local}@{}", domain.to_lowercase())))
    }
}

text_value!(
    /// An absolute http(s) URL; a bare host like `example.com` is read as https.
    WebUrl
);

impl WebUrl {
    pub fn parse(field: &str, raw: &str) -> Result<Self, FieldError> {
        let raw = raw.trim();
        if raw.len() > 2048 {
            return Err(FieldError::new(field, "must be at most 2048 characters"));
        }
        let candidate = if raw.contains("://") {
            raw.to_owned()
        } else {
            format!("https://{raw}")
        };
        let invalid = || {
            FieldError::new(
                field,
                "must be a web address starting with http:// or https://",
            )
        };
        let url = url::Url::parse(&candidate).map_err(|_| invalid())?;
        let host_ok = url
            .host_str()
            .is_some_and(|h| h.contains('.') || h == "localhost");
        if !matches!(url.scheme(), "http" | "https")
            || !host_ok
            || !url.username().is_empty()
            || url.password().is_some()
        {
            return Err(invalid());
        }
        Ok(Self(url.to_string()))
    }
}

/// The three states of the Kiamichi country.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub enum StateCode {
    #[serde(rename = "OK")]
    Oklahoma,
    #[serde(rename = "TX")]
    Texas,
    #[serde(rename = "AR")]
    Arkansas,
}

impl StateCode {
    pub fn parse(field: &str, raw: &str) -> Result<Self, FieldError> {
        match raw.trim().to_ascii_lowercase().as_str() {
            "ok" | "okla" | "oklahoma" => Ok(Self::Oklahoma),
            "tx" | "tex" | "texas" => Ok(Self::Texas),
            "ar" | "ark" | "arkansas" => Ok(Self::Arkansas),
            _ => Err(FieldError::new(
                field,
                "must be OK, TX or AR (we serve the Kiamichi country)",
            )),
        }
    }

    pub const ALL: [Self; 3] = [Self::Oklahoma, Self::Texas, Self::Arkansas];

    pub fn code(self) -> &'static str {
        match self {
            Self::Oklahoma => "OK",
            Self::Texas => "TX",
            Self::Arkansas => "AR",
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Self::Oklahoma => "Oklahoma",
            Self::Texas => "Texas",
            Self::Arkansas => "Arkansas",
        }
    }
}

/// A listing's plan. Plus and premium are the paid tiers: the featured rotation serves them
/// first, premium before plus. Only admins set it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Plan {
    #[default]
    Free,
    Plus,
    Premium,
}

impl Plan {
    pub const ALL: [Self; 3] = [Self::Free, Self::Plus, Self::Premium];

    pub fn parse(field: &str, raw: &str) -> Result<Self, FieldError> {
        Self::ALL
            .into_iter()
            .find(|plan| plan.as_str() == raw.trim().to_ascii_lowercase())
            .ok_or_else(|| FieldError::new(field, "must be free, plus or premium"))
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Free => "free",
            Self::Plus => "plus",
            Self::Premium => "premium",
        }
    }

    /// The name people see.
    pub fn label(self) -> &'static str {
        match self {
            Self::Free => "Free",
            Self::Plus => "Plus (paid)",
            Self::Premium => "Premium (paid)",
        }
    }
}

/// A town name: letters, spaces, periods, apostrophes and hyphens, with at least one letter
/// that has a URL form. The slug is derived once at parse, so every `CityName` has one.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
#[serde(into = "String")]
pub struct CityName {
    name: String,
    slug: Slug,
}

impl CityName {
    pub fn parse(field: &str, raw: &str) -> Result<Self, FieldError> {
        let name = clean_line(field, raw)?;
        check_length(field, &name, 2, 80)?;
        if !name
            .chars()
            .all(|c| c.is_alphabetic() || " .'-".contains(c))
        {
            return Err(FieldError::new(
                field,
                "may contain only letters, spaces, periods, apostrophes and hyphens",
            ));
        }
        // "--" or "日本" pass the character rule yet leave no letter a URL can carry.
        let slug = Slug::from_text(&name).ok_or_else(|| {
            FieldError::new(
                field,
                "must contain Latin letters (A to Z, accents allowed), like Broken Bow",
            )
        })?;
        Ok(Self { name, slug })
    }

    pub fn as_str(&self) -> &str {
        &self.name
    }

    pub fn slug(&self) -> &Slug {
        &self.slug
    }
}

impl fmt::Display for CityName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.name)
    }
}

impl From<CityName> for String {
    fn from(city: CityName) -> Self {
        city.name
    }
}

text_value!(
    /// A US ZIP code, `12345` or `12345-6789`.
    Zip
);

impl Zip {
    pub fn parse(field: &str, raw: &str) -> Result<Self, FieldError> {
        let raw = raw.trim();
        let digits = |s: &str, n: usize| s.len() == n && s.bytes().all(|b| b.is_ascii_digit());
        let valid = match raw.split_once('-') {
            Some((five, four)) => digits(five, 5) && digits(four, 4),
            None => digits(raw, 5),
        };
        if valid {
            Ok(Self(raw.to_owned()))
        } else {
            Err(FieldError::new(field, "must be a ZIP code like 74523"))
        }
    }
}

/// A point on Earth in decimal degrees.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct GeoPoint {
    pub latitude: f64,
    pub longitude: f64,
}

impl GeoPoint {
    pub fn new(field: &str, latitude: f64, longitude: f64) -> Result<Self, FieldError> {
        let valid = latitude.is_finite()
            && longitude.is_finite()
            && (-90.0..=90.0).contains(&latitude)
            && (-180.0..=180.0).contains(&longitude);
        if valid {
            Ok(Self {
                latitude,
                longitude,
            })
        } else {
            Err(FieldError::new(
                field,
                "latitude must be within -90..90 and longitude within -180..180",
            ))
        }
    }

    /// Parses `LAT,LON`.
    pub fn parse(field: &str, raw: &str) -> Result<Self, FieldError> {
        let invalid = || {
            FieldError::new(
                field,
                "must be LAT,LON in decimal degrees, like 34.0106,-94.7369",
            )
        };
        let (lat, lon) = raw.split_once(',').ok_or_else(invalid)?;
        let lat: f64 = lat.trim().parse().map_err(|_| invalid())?;
        let lon: f64 = lon.trim().parse().map_err(|_| invalid())?;
        Self::new(field, lat, lon)
    }

    /// Great-circle distance in kilometres (haversine).
    pub fn distance_km(self, other: GeoPoint) -> f64 {
        const EARTH_RADIUS_KM: f64 = 6371.0088;
        let (lat1, lat2) = (self.latitude.to_radians(), other.latitude.to_radians());
        let dlat = lat2 - lat1;
        let dlon = (other.longitude - self.longitude).to_radians();
        let a = (dlat / 2.0).sin().powi(2) + lat1.cos() * lat2.cos() * (dlon / 2.0).sin().powi(2);
        2.0 * EARTH_RADIUS_KM * a.sqrt().asin()
    }
}

/// A whole number parsed from a query string or form within inclusive bounds.
pub fn parse_bounded(field: &str, raw: &str, min: u32, max: u32) -> Result<u32, FieldError> {
    raw.trim()
        .parse::<u32>()
        .ok()
        .filter(|n| (min..=max).contains(n))
        .ok_or_else(|| {
            FieldError::new(field, format!("must be a whole number from {min} to {max}"))
        })
}

/// The text of a field that was given and is not blank.
pub fn given(raw: &Option<String>) -> Option<&str> {
    raw.as_deref().filter(|s| !s.trim().is_empty())
}

/// Collects field errors while parsing many fields, so all problems are reported at once.
#[derive(Default)]
pub struct Collector(pub Vec<FieldError>);

impl Collector {
    pub fn take<T>(&mut self, result: Result<T, FieldError>) -> Option<T> {
        result.map_err(|e| self.0.push(e)).ok()
    }

    /// A required field: absent or blank is an error naming it.
    pub fn required<T>(
        &mut self,
        field: &str,
        raw: &Option<String>,
        parse: impl FnOnce(&str) -> Result<T, FieldError>,
    ) -> Option<T> {
        match given(raw) {
            Some(text) => self.take(parse(text)),
            None => self.take(Err(FieldError::new(field, "is required"))),
        }
    }

    /// An optional field: absent or blank is `None`, anything else must parse.
    pub fn optional<T>(
        &mut self,
        raw: &Option<String>,
        parse: impl FnOnce(&str) -> Result<T, FieldError>,
    ) -> Option<Option<T>> {
        match given(raw) {
            Some(text) => self.take(parse(text)).map(Some),
            None => Some(None),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slug_accepts_lowercase_words_joined_by_single_hyphens() {
        assert_eq!(
            Slug::parse("slug", "broken-bow-bakery").unwrap().as_str(),
            "broken-bow-bakery"
        );
    }

    #[test]
    fn slug_rejects_uppercase_spaces_double_and_edge_hyphens() {
        for bad in [
            "Bakery",
            "two words",
            "a--b",
            "-a",
            "a-",
            "",
            "caf\u{e9}",
            &"a".repeat(121),
        ] {
            let err = Slug::parse("slug", bad).unwrap_err();
            assert_eq!(err.field, "slug", "{bad:?}");
        }
    }

    #[test]
    fn slug_from_text_folds_accents_and_punctuation() {
        assert_eq!(
            Slug::from_text("Bob's BBQ & Grill").unwrap().as_str(),
            "bob-s-bbq-grill"
        );
        assert_eq!(
            Slug::from_text("  Café Olé! ").unwrap().as_str(),
            "cafe-ole"
        );
        assert_eq!(
            Slug::from_text("<script>alert(1)</script>")
                .unwrap()
                .as_str(),
            "script-alert-1-script"
        );
        assert!(Slug::from_text("!!! ??").is_none());
    }

    #[test]
    fn slug_suffix_stays_within_the_limit() {
        let long = Slug::from_text(&"b".repeat(200)).unwrap();
        assert_eq!(long.as_str().len(), Slug::MAX);
        let suffixed = long.with_suffix(12);
        assert_eq!(suffixed.as_str().len(), Slug::MAX);
        assert!(suffixed.as_str().ends_with("-12"));
    }

    #[test]
    fn business_name_collapses_whitespace_and_checks_length() {
        assert_eq!(
            BusinessName::parse("name", "  Kiamichi   Feed  Store ")
                .unwrap()
                .as_str(),
            "Kiamichi Feed Store"
        );
        assert_eq!(
            BusinessName::parse("name", "A").unwrap_err().message,
            "must be at least 2 characters"
        );
        assert_eq!(
            BusinessName::parse("name", "   ").unwrap_err().message,
            "must be at least 2 characters"
        );
        assert_eq!(
            BusinessName::parse("name", &"x".repeat(121))
                .unwrap_err()
                .message,
            "must be at most 120 characters"
        );
        assert!(BusinessName::parse("name", "--").is_err());
        assert!(BusinessName::parse("name", "Line\u{0}break").is_err());
    }

    #[test]
    fn business_name_keeps_html_metacharacters_as_text() {
        let name = BusinessName::parse("name", "<script>alert(1)</script>").unwrap();
        assert_eq!(name.as_str(), "<script>alert(1)</script>");
    }

    #[test]
    fn person_name_is_required() {
        assert_eq!(
            PersonName::parse("name", " ").unwrap_err().message,
            "is required"
        );
        assert_eq!(
            PersonName::parse("name", "José Núñez").unwrap().as_str(),
            "José Núñez"
        );
    }

    #[test]
    fn paragraphs_keep_newlines_but_reject_other_control_characters() {
        assert_eq!(
            Paragraphs::parse("message", " line one\r\nline two ", 1, 100)
                .unwrap()
                .as_str(),
            "line one\nline two"
        );
        assert!(Paragraphs::parse("message", "bell\u{7}", 1, 100).is_err());
        assert_eq!(
            Paragraphs::parse("message", "", 1, 100)
                .unwrap_err()
                .message,
            "is required"
        );
        assert_eq!(
            Paragraphs::parse("message", "abc", 1, 2)
                .unwrap_err()
                .message,
            "must be at most 2 characters"
        );
    }

    #[test]
    fn phone_accepts_common_us_formats_and_stores_e164() {
        for raw in [
            "(580) 298-5555",
            "580-298-5555",
            "580.298.5555",
            "+1 580 298 5555",
            "15802985555",
        ] {
            assert_eq!(
                Phone::parse("phone", raw).unwrap().as_str(),
                "+15802985555",
                "{raw}"
            );
        }
        assert_eq!(
            Phone::parse("phone", "5802985555").unwrap().display(),
            "(580) 298-5555"
        );
        assert_eq!(Phone::from_stored("555-NOPE".into()).display(), "555-NOPE");
    }

    #[test]
    fn phone_rejects_letters_wrong_lengths_and_impossible_numbers() {
        assert!(Phone::parse("phone", "580-CALL-NOW").is_err());
        assert!(Phone::parse("phone", "298-5555").is_err());
        assert!(Phone::parse("phone", "25802985555").is_err());
        assert!(
            Phone::parse("phone", "080-298-5555").is_err(),
            "area code starts 2-9"
        );
        assert!(
            Phone::parse("phone", "580-098-5555").is_err(),
            "exchange starts 2-9"
        );
    }

    #[test]
    fn email_lowercases_the_domain_only() {
        assert_eq!(
            Email::parse("email", " Jane.Doe@Example.COM ")
                .unwrap()
                .as_str(),
            "Jane.Doe@example.com"
        );
    }

    #[test]
    fn email_rejects_malformed_addresses() {
        for bad in [
            "plainaddress",
            "a@b",
            "@example.com",
            "a b@example.com",
            "a@-x.com",
            "a@x..com",
            "<a>@x.com",
            "a@x\u{0}.com",
        ] {
            assert_eq!(
                Email::parse("email", bad).unwrap_err().field,
                "email",
                "{bad:?}"
            );
        }
    }

    #[test]
    fn web_url_accepts_http_and_https_and_bare_hosts() {
        assert_eq!(
            WebUrl::parse("website", "http://example.com/menu")
                .unwrap()
                .as_str(),
            "http://example.com/menu"
        );
        assert_eq!(
            WebUrl::parse("website", "www.example.com")
                .unwrap()
                .as_str(),
            "https://www.example.com/"
        );
    }

    #[test]
    fn web_url_rejects_other_schemes_and_credentials() {
        for bad in [
            "javascript:alert(1)",
            "ftp://example.com",
            "data:text/html,hi",
            "https://user:pw@example.com",
            "https://nodot",
            "http://",
        ] {
            assert!(WebUrl::parse("website", bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn state_code_accepts_codes_and_names_of_the_three_states() {
        assert_eq!(
            StateCode::parse("state", "ok").unwrap(),
            StateCode::Oklahoma
        );
        assert_eq!(StateCode::parse("state", "Texas").unwrap().code(), "TX");
        assert_eq!(
            StateCode::parse("state", "AR").unwrap(),
            StateCode::Arkansas
        );
        assert!(
            StateCode::parse("state", "KS")
                .unwrap_err()
                .message
                .contains("OK, TX or AR")
        );
    }

    #[test]
    fn a_plan_is_one_of_the_three_and_reads_back_as_stored() {
        for plan in Plan::ALL {
            assert_eq!(Plan::parse("plan", plan.as_str()).unwrap(), plan);
        }
        assert_eq!(Plan::parse("plan", " Premium ").unwrap(), Plan::Premium);
        assert_eq!(Plan::default(), Plan::Free);
        for bad in ["", "gold", "paid", "premium2"] {
            assert_eq!(
                Plan::parse("plan", bad).unwrap_err().field,
                "plan",
                "{bad:?}"
            );
        }
    }

    #[test]
    fn city_name_allows_real_town_names_and_gives_a_slug() {
        let city = CityName::parse("city", "  Broken   Bow ").unwrap();
        assert_eq!(city.as_str(), "Broken Bow");
        assert_eq!(city.slug().as_str(), "broken-bow");
        assert!(CityName::parse("city", "De Queen").is_ok());
        assert!(CityName::parse("city", "Robbers' Cave").is_ok());
        assert!(CityName::parse("city", "Idabel; DROP TABLE").is_err());
        assert!(CityName::parse("city", "X").is_err());
    }

    #[test]
    fn city_name_without_a_latin_letter_is_rejected_not_slugless() {
        for hostile in ["--", "日本", "..", "' - '", "Ωμέγα"] {
            let err = CityName::parse("city", hostile).unwrap_err();
            assert_eq!(err.field, "city", "{hostile:?}");
        }
    }

    #[test]
    fn city_name_serializes_as_its_name() {
        let city = CityName::parse("city", "Broken Bow").unwrap();
        assert_eq!(serde_json::to_string(&city).unwrap(), r#""Broken Bow""#);
    }

    #[test]
    fn email_rejects_characters_that_would_inject_mailto_parameters() {
        for hostile in [
            "a?cc=b@x.com",
            "a&bcc=evil@x.com",
            "a=b@x.com",
            "a%0A@x.com",
            "a#b@x.com",
            "a/b@x.com",
            ".a@x.com",
        ] {
            assert!(Email::parse("email", hostile).is_err(), "{hostile}");
        }
        assert!(Email::parse("email", "o'brien+leads@x.com").is_ok());
    }

    #[test]
    fn zip_accepts_five_and_nine_digit_forms() {
        assert!(Zip::parse("zip", "74523").is_ok());
        assert!(Zip::parse("zip", "74523-1234").is_ok());
        for bad in ["7452", "745234", "74523-12", "abcde"] {
            assert!(Zip::parse("zip", bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn geo_point_parses_lat_lon_and_rejects_out_of_range() {
        let p = GeoPoint::parse("near", "34.0106, -94.7369").unwrap();
        assert_eq!((p.latitude, p.longitude), (34.0106, -94.7369));
        for bad in ["34.0", "91,0", "0,181", "NaN,1", "a,b", "inf,1"] {
            assert!(GeoPoint::parse("near", bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn geo_distance_between_idabel_and_broken_bow_is_about_twenty_km() {
        let idabel = GeoPoint::new("p", 33.8957, -94.8266).unwrap();
        let broken_bow = GeoPoint::new("p", 34.0293, -94.7391).unwrap();
        let d = idabel.distance_km(broken_bow);
        assert!((16.0..18.0).contains(&d), "{d}");
    }

    #[test]
    fn bounded_numbers_name_their_range() {
        assert_eq!(parse_bounded("page", "3", 1, 10).unwrap(), 3);
        assert_eq!(
            parse_bounded("page", "0", 1, 10).unwrap_err().message,
            "must be a whole number from 1 to 10"
        );
        assert!(parse_bounded("page", "-1", 1, 10).is_err());
        assert!(parse_bounded("page", "1.5", 1, 10).is_err());
        assert!(parse_bounded("page", "99999999999", 1, 10).is_err());
    }
}
