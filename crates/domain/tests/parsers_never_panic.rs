//! Property tests: every parser in the domain takes arbitrary Unicode and returns a value or
//! a typed error naming its field — never a panic, which would reset a worker's wasm instance.

use kbc_domain::analytics::{EventKind, Metric, Period, is_bot};
use kbc_domain::leads::LeadInput;
use kbc_domain::page_builder::{Kind, Section, SectionForm};
use kbc_domain::photos::{parse_alt, parse_content_type};
use kbc_domain::search::{SearchParams, SearchQuery, match_expression, terms};
use kbc_domain::submissions::SubmissionInput;
use kbc_domain::values::{
    BusinessName, CityName, Email, GeoPoint, Paragraphs, PersonName, Phone, Slug, StateCode,
    WebUrl, Zip, parse_bounded,
};
use proptest::prelude::*;

/// Any text, weighted towards the separators and symbols parsers split on.
fn hostile() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<String>(),
        "[-.,'@:/?&=%#+ 0-9a-zA-Z\u{0}-\u{1f}\u{80}-\u{10ffff}]{0,40}",
        "[日本Ωé\u{200b}\u{202e}\u{feff}-]{0,12}",
    ]
}

/// Typed lists: lines of hostile text with the page builder's separators and markers.
fn typed_lines() -> impl Strategy<Value = String> {
    prop::collection::vec(
        prop_oneof![hostile(), "(Q:|A:|q:|a:| )?[ |a-z<>\"'\t\r日]{0,30}"],
        0..8,
    )
    .prop_map(|lines| lines.join("\n"))
}

fn optional() -> impl Strategy<Value = Option<String>> {
    proptest::option::of(hostile())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn value_parsers_answer_a_value_or_an_error_naming_the_field(raw in hostile()) {
        let named = |field: &str| -> Result<(), TestCaseError> {
            prop_assert_eq!(field, "f");
            Ok(())
        };
        if let Err(e) = Slug::parse("f", &raw) { named(&e.field)?; }
        if let Err(e) = BusinessName::parse("f", &raw) { named(&e.field)?; }
        if let Err(e) = PersonName::parse("f", &raw) { named(&e.field)?; }
        if let Err(e) = Paragraphs::parse("f", &raw, 0, 50) { named(&e.field)?; }
        if let Err(e) = Email::parse("f", &raw) { named(&e.field)?; }
        if let Err(e) = WebUrl::parse("f", &raw) { named(&e.field)?; }
        if let Err(e) = StateCode::parse("f", &raw) { named(&e.field)?; }
        if let Err(e) = Zip::parse("f", &raw) { named(&e.field)?; }
        if let Err(e) = GeoPoint::parse("f", &raw) { named(&e.field)?; }
        if let Err(e) = parse_bounded("f", &raw, 1, 100) { named(&e.field)?; }
        if let Err(e) = parse_content_type("f", &raw) { named(&e.field)?; }
        if let Err(e) = parse_alt(&raw) { prop_assert_eq!(e.field, "alt"); }
        match Phone::parse("f", &raw) {
            Ok(phone) => prop_assert!(phone.display().starts_with('(')),
            Err(e) => named(&e.field)?,
        }
    }

    #[test]
    fn a_parsed_city_always_has_a_non_empty_slug(raw in hostile()) {
        if let Ok(city) = CityName::parse("city", &raw) {
            prop_assert!(!city.slug().as_str().is_empty());
            prop_assert!(Slug::parse("slug", city.slug().as_str()).is_ok());
        }
    }

    #[test]
    fn derived_slugs_are_valid_slugs(raw in hostile(), suffix in any::<u32>()) {
        if let Some(slug) = Slug::from_text(&raw) {
            prop_assert!(Slug::parse("slug", slug.as_str()).is_ok());
            prop_assert!(Slug::parse("slug", slug.with_suffix(suffix).as_str()).is_ok());
        }
    }

    #[test]
    fn search_queries_parse_or_name_every_bad_field(
        q in optional(), category in optional(), city in optional(), near in optional(),
        radius_km in optional(), sort in optional(), page in optional(), per_page in optional(),
    ) {
        let params = SearchParams { q, category, city, near, radius_km, sort, page, per_page };
        match SearchQuery::parse(&params) {
            Ok(query) => { query.canonical(); }
            Err(errors) => prop_assert!(!errors.is_empty()),
        }
    }

    #[test]
    fn query_words_always_quote_into_a_safe_match_expression(text in hostile()) {
        prop_assert!(terms(&text).iter().all(|t| !t.contains('"')));
        if let Some(expression) = match_expression(&text) {
            prop_assert!(expression.starts_with('"'));
        }
    }

    #[test]
    fn submissions_and_leads_parse_or_name_their_fields(
        a in optional(), b in optional(), c in optional(), d in optional(), e in optional(),
        f in optional(), g in optional(), h in optional(),
    ) {
        let submission = SubmissionInput {
            business_name: a.clone(), category: b.clone(), description: c.clone(),
            phone: d.clone(), email: e.clone(), website: f.clone(), street: g.clone(),
            city: h.clone(), state: a.clone(), zip: b.clone(), contact_name: c.clone(),
            homepage: None,
        };
        if let Err(errors) = submission.parse() { prop_assert!(!errors.is_empty()); }
        let lead = LeadInput { name: a, email: b, phone: c, message: d, homepage: e };
        if let Err(errors) = lead.parse() { prop_assert!(!errors.is_empty()); }
    }

    #[test]
    fn page_sections_parse_into_what_their_form_shows_or_name_every_problem(
        a in hostile(), b in typed_lines(), c in hostile(), photos in prop::collection::vec(hostile(), 0..4),
    ) {
        let mut pairs: Vec<(String, String)> = ["title", "headline", "tagline", "text", "button"]
            .iter()
            .map(|name| (name.to_string(), a.clone()))
            .collect();
        pairs.push(("items".into(), b.clone()));
        pairs.push(("body".into(), b));
        pairs.push(("button".into(), c));
        pairs.extend(photos.into_iter().map(|photo| ("photo".to_owned(), photo)));
        let form = SectionForm::new(pairs);
        for kind in Kind::ALL {
            match Section::parse(kind, &form) {
                Ok(section) => {
                    prop_assert_eq!(section.kind(), kind);
                    prop_assert_eq!(Section::parse(kind, &section.to_form()), Ok(section.clone()));
                    prop_assert_eq!(section.check(), Ok(()));
                }
                Err(errors) => prop_assert!(!errors.is_empty()),
            }
        }
    }

    #[test]
    fn user_agents_and_analytics_names_never_panic(raw in hostile()) {
        is_bot(Some(&raw));
        if let Some(kind) = EventKind::parse(&raw) { prop_assert_eq!(kind.as_str(), raw.as_str()); }
        if let Some(period) = Period::parse(&raw) { prop_assert_eq!(period.as_str(), raw.as_str()); }
        if let Some(metric) = Metric::parse(&raw) { prop_assert_eq!(metric.as_str(), raw.as_str()); }
    }
}
