//! HTML forms: decoding `application/x-www-form-urlencoded` bodies into the domain's input
//! types, keeping what the visitor typed for a second try, and refusing cross-site posts.

use kbc_domain::FieldError;
use kbc_domain::directory::SocialNetwork;
use kbc_domain::hours::SpecialDay;
use kbc_domain::leads::LeadInput;
use kbc_domain::listings::ListingInput;
use kbc_domain::submissions::SubmissionInput;
use std::collections::BTreeMap;

/// The fields of a submitted form, by name (the last value wins for repeated names), and
/// every pair in order for forms that repeat a name (checkboxes).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Form {
    fields: BTreeMap<String, String>,
    pairs: Vec<(String, String)>,
}

impl Form {
    pub fn parse(body: &[u8]) -> Self {
        let pairs: Vec<(String, String)> = url::form_urlencoded::parse(body).into_owned().collect();
        Self {
            fields: pairs.iter().cloned().collect(),
            pairs,
        }
    }

    pub fn get(&self, name: &str) -> &str {
        self.fields.get(name).map_or("", String::as_str)
    }

    /// Every (name, value) pair as sent.
    pub fn pairs(&self) -> &[(String, String)] {
        &self.pairs
    }

    fn take(&self, name: &str) -> Option<String> {
        self.fields.get(name).cloned()
    }

    pub fn submission(&self) -> SubmissionInput {
        SubmissionInput {
            business_name: self.take("business_name"),
            category: self.take("category"),
            description: self.take("description"),
            phone: self.take("phone"),
            email: self.take("email"),
            website: self.take("website"),
            street: self.take("street"),
            city: self.take("city"),
            state: self.take("state"),
            zip: self.take("zip"),
            contact_name: self.take("contact_name"),
            homepage: self.take("homepage"),
        }
    }

    /// The listing editor's fields; dated exceptions are not in this form, so they come
    /// from the stored listing.
    pub fn listing(&self, special_days: Vec<SpecialDay>) -> ListingInput {
        ListingInput {
            name: self.get("name").to_owned(),
            category: self.get("category").to_owned(),
            description: self.get("description").to_owned(),
            phone: self.get("phone").to_owned(),
            email: self.get("email").to_owned(),
            website: self.get("website").to_owned(),
            street: self.get("street").to_owned(),
            city: self.get("city").to_owned(),
            state: self.get("state").to_owned(),
            zip: self.get("zip").to_owned(),
            keywords: self.get("keywords").to_owned(),
            towns: self.get("towns").to_owned(),
            service_radius_km: self.get("service_radius_km").to_owned(),
            social: SocialNetwork::ALL
                .into_iter()
                .map(|network| {
                    let field = format!("social_{}", network.as_str());
                    (network, self.get(&field).to_owned())
                })
                .collect(),
            location: self.get("location").to_owned(),
            hours: [0, 1, 2, 3, 4, 5, 6].map(|day| self.get(&format!("hours_{day}")).to_owned()),
            special_days,
        }
    }

    pub fn lead(&self) -> LeadInput {
        LeadInput {
            name: self.take("name"),
            email: self.take("email"),
            phone: self.take("phone"),
            message: self.take("message"),
            homepage: self.take("homepage"),
        }
    }
}

/// What a form shows: the values typed and the problem with each field, if any.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FormState {
    pub form: Form,
    pub errors: Vec<FieldError>,
}

impl FormState {
    pub fn with_errors(form: Form, errors: Vec<FieldError>) -> Self {
        Self { form, errors }
    }

    pub fn value(&self, name: &str) -> &str {
        self.form.get(name)
    }

    pub fn error(&self, name: &str) -> Option<&str> {
        FieldError::message_for(&self.errors, name)
    }

    pub fn has_errors(&self) -> bool {
        !self.errors.is_empty()
    }
}

/// Whether a form post comes from our own pages. Browsers send `Sec-Fetch-Site` and
/// `Origin` on every POST; a post another site's page makes carries that site's origin.
/// With neither header (old browsers, scripts), the `Referer` must be ours.
pub fn same_origin_post(
    own_origin: &str,
    origin: Option<&str>,
    referer: Option<&str>,
    fetch_site: Option<&str>,
) -> bool {
    if let Some(site) = fetch_site {
        return matches!(site, "same-origin" | "none");
    }
    if let Some(origin) = origin {
        return origin == own_origin;
    }
    referer.is_some_and(|r| r == own_origin || r.starts_with(&format!("{own_origin}/")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forms_decode_plus_and_percent_escapes() {
        let form = Form::parse(b"business_name=Bob%27s+BBQ+%26+Grill&city=Broken+Bow");
        assert_eq!(form.get("business_name"), "Bob's BBQ & Grill");
        assert_eq!(form.submission().city.as_deref(), Some("Broken Bow"));
        assert_eq!(form.get("missing"), "");
    }

    #[test]
    fn form_state_keeps_values_and_finds_errors_by_field() {
        let state = FormState::with_errors(
            Form::parse(b"email=nope"),
            vec![FieldError::new("email", "is bad")],
        );
        assert_eq!(state.value("email"), "nope");
        assert_eq!(state.error("email"), Some("is bad"));
        assert_eq!(state.error("name"), None);
        assert!(state.has_errors());
    }

    #[test]
    fn posts_from_our_pages_pass_and_from_elsewhere_do_not() {
        let own = "https://kiamichibizconnect.com";
        assert!(same_origin_post(own, Some(own), None, Some("same-origin")));
        assert!(same_origin_post(own, Some(own), None, None));
        assert!(same_origin_post(
            own,
            None,
            Some("https://kiamichibizconnect.com/submit"),
            None
        ));
        assert!(!same_origin_post(
            own,
            Some("https://evil.example"),
            None,
            Some("cross-site")
        ));
        assert!(
            !same_origin_post(own, Some(own), None, Some("cross-site")),
            "fetch metadata wins"
        );
        assert!(!same_origin_post(
            own,
            Some("https://evil.example"),
            None,
            None
        ));
        assert!(!same_origin_post(
            own,
            None,
            Some("https://kiamichibizconnect.com.evil.example/"),
            None
        ));
        assert!(!same_origin_post(own, None, None, None));
    }
}
