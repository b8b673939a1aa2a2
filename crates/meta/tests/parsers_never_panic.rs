//! Property tests: everything Meta, a browser or a listing sends is outside input. The
//! parsers and composers answer for any text, and the limits they promise hold.

use kbc_meta::compose::{self, Angle, Listing};
use kbc_meta::{card, graph, signed_request, tokens, webhook};
use proptest::prelude::*;

/// Text that reaches the interesting branches often: JSON pieces, tokens, separators.
fn text() -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        Just("access_token=".to_owned()),
        Just("Bearer ".to_owned()),
        Just("EAABsbCS1iHgBAKZCsl0wZDZD".to_owned()),
        Just(
            r#"{"object":"page","entry":[{"id":"1","changes":[{"field":"feed","value":"#.to_owned()
        ),
        Just(r#"{"item":"comment","verb":"add","comment_id":"1_2","post_id":"1"}"#.to_owned()),
        Just("]}]}".to_owned()),
        Just("k1:".to_owned()),
        Just(",".to_owned()),
        Just(".".to_owned()),
        Just("2026-12-01T03:00:05+0000".to_owned()),
        Just("é😀\u{200b}".to_owned()),
        any::<String>(),
    ];
    prop::collection::vec(piece, 0..12).prop_map(|pieces| pieces.concat())
}

proptest! {
    #[test]
    fn graph_answers_and_messages_never_panic(status in 0u16..700, body in text()) {
        let err = graph::GraphError::from_answer(status, &body);
        prop_assert!(err.message.chars().count() <= graph::MOST_MESSAGE_CHARS);
        prop_assert!(!err.message.contains("EAABsbCS1iHgBAKZCsl0wZDZD"));
        let _ = graph::parse::<graph::Feed>(status, &body);
        let _ = graph::parse_time(&body);
        let _ = graph::GraphVersion::parse(&body);
    }

    #[test]
    fn redacted_text_never_holds_a_meta_token(text in text()) {
        let redacted = graph::redact(&text);
        prop_assert!(!redacted.contains("EAABsbCS1iHgBAKZCsl0wZDZD"));
        prop_assert!(redacted.chars().count() <= graph::MOST_MESSAGE_CHARS);
    }

    #[test]
    fn webhooks_never_panic(body in text(), header in text(), challenge in text()) {
        let _ = webhook::verify_signature(b"secret", Some(&header), body.as_bytes());
        let _ = webhook::verify_subscription("t", Some("subscribe"), Some("t"), Some(&challenge));
        if let Ok(events) = webhook::comment_events(body.as_bytes()) {
            prop_assert!(events.len() <= webhook::MOST_EVENTS);
        }
    }

    #[test]
    fn signed_requests_and_keys_never_panic(raw in text(), now in any::<i64>()) {
        let _ = signed_request::verify(b"secret", &raw, now);
        let _ = tokens::TokenKeys::parse(&raw);
    }

    #[test]
    fn sealed_tokens_round_trip_and_foreign_blobs_never_open(blob in text(), aad in text()) {
        let keys =
            tokens::TokenKeys::parse("k1:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=").unwrap();
        prop_assert!(keys.open("k1", &blob, &aad).is_err());
        let sealed = keys.seal(&blob, &aad).unwrap();
        prop_assert_eq!(keys.open(&sealed.key_id, &sealed.blob, &aad).unwrap(), blob);
    }

    #[test]
    fn composed_posts_stay_within_the_limit(
        name in text(),
        description in text(),
        phone in text(),
        day in any::<i64>(),
        month in any::<u32>(),
        model in text(),
    ) {
        let url = "https://kiamichibizconnect.com/business/x";
        let listing = Listing {
            name: &name,
            category: &name,
            city: &name,
            state: &name,
            description: &description,
            phone: Some(&phone),
            url,
        };
        let mut posts = vec![
            compose::spotlight(&listing),
            compose::blog_share(&name, &description, url),
            compose::category_highlight(&name, &name, &[&name, &description], url),
            compose::engagement_prompt(day),
        ];
        posts.extend(Angle::ALL.map(|angle| compose::angle_post(angle, &listing, month)));
        for post in posts {
            prop_assert!(post.chars().count() <= compose::MOST_CHARACTERS);
        }
        if let Some(post) = compose::accept_model_text(&model, url) {
            prop_assert!(post.chars().count() <= compose::MOST_CHARACTERS);
            prop_assert!(post.ends_with(url));
        }
        let _ = compose::model_messages(&name, &listing);
        let _ = card::html(&card::Card {
            headline: &name,
            subline: &description,
            category: &name,
            place: &phone,
            brand: "Kiamichi Biz Connect",
        });
    }
}
