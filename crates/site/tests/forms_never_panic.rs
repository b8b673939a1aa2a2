//! Property tests: form bodies and the same-origin headers are outside input; decoding them
//! returns values for any bytes and never panics.

use kbc_site::forms::{Form, same_origin_post};
use proptest::prelude::*;

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn any_body_decodes_into_a_form_and_its_inputs(body in proptest::collection::vec(any::<u8>(), 0..400)) {
        let form = Form::parse(&body);
        let _ = form.submission().parse();
        let _ = form.lead().parse();
    }

    #[test]
    fn percent_encoded_text_survives_decoding(name in "[a-z_]{1,12}", value in any::<String>()) {
        let body: String = url::form_urlencoded::Serializer::new(String::new())
            .append_pair(&name, &value)
            .finish();
        let form = Form::parse(body.as_bytes());
        prop_assert_eq!(form.get(&name), value.as_str());
    }

    #[test]
    fn origin_checks_answer_for_any_headers(
        origin in proptest::option::of(any::<String>()),
        referer in proptest::option::of(any::<String>()),
        fetch_site in proptest::option::of(any::<String>()),
    ) {
        let own = "https://kiamichibizconnect.com";
        let from_us = same_origin_post(own, origin.as_deref(), referer.as_deref(), fetch_site.as_deref());
        if fetch_site.as_deref() == Some("cross-site") {
            prop_assert!(!from_us);
        }
    }
}
