//! Meta's webhooks to the agent worker: the subscription handshake (`hub.verify_token`),
//! the `X-Hub-Signature-256` HMAC of the raw body (checked in constant time before anything
//! is read) and the Page feed's comment events in the body.

use hmac::{Hmac, Mac};
use serde::Deserialize;
use sha2::Sha256;
use subtle::ConstantTimeEq;

/// The most events one delivery yields; Meta batches far fewer.
pub const MOST_EVENTS: usize = 1000;
/// The longest comment text kept.
pub const MOST_MESSAGE_CHARS: usize = 8000;
/// The longest `hub.challenge` echoed back.
const MOST_CHALLENGE_CHARS: usize = 256;

/// Why an event's signature is refused (each answers 401).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SignatureError {
    /// No `X-Hub-Signature-256` header.
    Missing,
    /// The header is not `sha256=` and 64 hex digits.
    Malformed,
    /// The signature is not the body's HMAC under our app secret (or we have no secret).
    Mismatch,
}

impl std::fmt::Display for SignatureError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::Missing => "the event carries no X-Hub-Signature-256 header",
            Self::Malformed => "the X-Hub-Signature-256 header is not sha256=<64 hex digits>",
            Self::Mismatch => "the X-Hub-Signature-256 signature does not match the body",
        })
    }
}

impl std::error::Error for SignatureError {}

/// Checks `X-Hub-Signature-256: sha256=<hex HMAC-SHA256(app_secret, raw_body)>`. An empty
/// app secret matches nothing, so a missing secret fails closed.
pub fn verify_signature(
    app_secret: &[u8],
    header: Option<&str>,
    raw_body: &[u8],
) -> Result<(), SignatureError> {
    let header = header.ok_or(SignatureError::Missing)?.trim();
    let hex_digits = header
        .strip_prefix("sha256=")
        .ok_or(SignatureError::Malformed)?;
    let mut signature = [0u8; 32];
    hex::decode_to_slice(hex_digits, &mut signature).map_err(|_| SignatureError::Malformed)?;
    if app_secret.is_empty() {
        return Err(SignatureError::Mismatch);
    }
    let mut mac =
        Hmac::<Sha256>::new_from_slice(app_secret).map_err(|_| SignatureError::Mismatch)?;
    mac.update(raw_body);
    mac.verify_slice(&signature)
        .map_err(|_| SignatureError::Mismatch)
}

/// The subscription handshake (`GET ?hub.mode=subscribe&hub.verify_token=T&hub.challenge=C`):
/// the challenge to answer with when the mode is `subscribe` and the token is ours (compared
/// in constant time), `None` otherwise. Only a short challenge of letters, digits, `-`, `_`
/// and `.` is echoed, so the answer can never carry markup.
pub fn verify_subscription(
    expected_token: &str,
    mode: Option<&str>,
    token: Option<&str>,
    challenge: Option<&str>,
) -> Option<String> {
    let (token, challenge) = (token?, challenge?);
    let token_matches: bool = expected_token.as_bytes().ct_eq(token.as_bytes()).into();
    let challenge_is_plain = !challenge.is_empty()
        && challenge.len() <= MOST_CHALLENGE_CHARS
        && challenge
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'));
    (mode == Some("subscribe") && !expected_token.is_empty() && token_matches && challenge_is_plain)
        .then(|| challenge.to_owned())
}

/// What happened to a comment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CommentVerb {
    Add,
    Edited,
    Remove,
}

impl CommentVerb {
    fn parse(raw: &str) -> Option<Self> {
        match raw {
            "add" => Some(Self::Add),
            "edited" => Some(Self::Edited),
            "remove" => Some(Self::Remove),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Add => "add",
            Self::Edited => "edited",
            Self::Remove => "remove",
        }
    }
}

/// A comment on one of a Page's posts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommentEvent {
    pub verb: CommentVerb,
    pub page_id: String,
    pub post_id: String,
    pub comment_id: String,
    /// The comment answered, for a reply; `None` for a comment on the post itself (Meta
    /// sends the post id as the parent of those).
    pub parent_id: Option<String>,
    /// At most [`MOST_MESSAGE_CHARS`] characters; empty when Meta sends none (a removal).
    pub message: String,
    /// Empty when Meta leaves out who commented (it may for removals).
    pub from_id: String,
    pub from_name: String,
    /// Unix seconds (the delivery's time when the change carries none).
    pub created_time: i64,
}

/// A body that is not a webhook delivery at all.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MalformedEvent;

impl std::fmt::Display for MalformedEvent {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("the webhook body is not a JSON delivery with an object and entries")
    }
}

impl std::error::Error for MalformedEvent {}

#[derive(Deserialize)]
struct Delivery {
    object: String,
    #[serde(default)]
    entry: Vec<Entry>,
}

#[derive(Deserialize)]
struct Entry {
    #[serde(default)]
    id: String,
    #[serde(default)]
    time: i64,
    #[serde(default)]
    changes: Vec<Change>,
}

#[derive(Deserialize)]
struct Change {
    #[serde(default)]
    field: String,
    #[serde(default)]
    value: serde_json::Value,
}

#[derive(Deserialize)]
struct FeedChange {
    item: String,
    verb: String,
    comment_id: String,
    post_id: String,
    #[serde(default)]
    parent_id: Option<String>,
    #[serde(default)]
    message: Option<String>,
    #[serde(default)]
    from: Option<Author>,
    #[serde(default)]
    created_time: Option<i64>,
}

#[derive(Deserialize)]
struct Author {
    #[serde(default)]
    id: String,
    #[serde(default)]
    name: String,
}

/// The comment events of a delivery (verify its signature first). Other objects than
/// `page`, other fields than `feed`, other items than `comment`, other verbs and changes we
/// cannot read are skipped; at most [`MOST_EVENTS`] are returned.
pub fn comment_events(raw_body: &[u8]) -> Result<Vec<CommentEvent>, MalformedEvent> {
    let delivery: Delivery = serde_json::from_slice(raw_body).map_err(|_| MalformedEvent)?;
    if delivery.object != "page" {
        return Ok(Vec::new());
    }
    let events = delivery
        .entry
        .into_iter()
        .flat_map(|entry| {
            let (page_id, time) = (entry.id, entry.time);
            entry
                .changes
                .into_iter()
                .filter(|change| change.field == "feed")
                .filter_map(move |change| comment_event(&page_id, time, change.value))
        })
        .take(MOST_EVENTS)
        .collect();
    Ok(events)
}

fn comment_event(page_id: &str, time: i64, value: serde_json::Value) -> Option<CommentEvent> {
    let change: FeedChange = serde_json::from_value(value).ok()?;
    if change.item != "comment" || page_id.is_empty() {
        return None;
    }
    let verb = CommentVerb::parse(&change.verb)?;
    let parent_id = change
        .parent_id
        .filter(|parent| !parent.is_empty() && *parent != change.post_id);
    let message: String = change
        .message
        .unwrap_or_default()
        .chars()
        .take(MOST_MESSAGE_CHARS)
        .collect();
    let from = change.from.unwrap_or(Author {
        id: String::new(),
        name: String::new(),
    });
    Some(CommentEvent {
        verb,
        page_id: page_id.to_owned(),
        post_id: change.post_id,
        comment_id: change.comment_id,
        parent_id,
        message,
        from_id: from.id,
        from_name: from.name,
        created_time: change.created_time.unwrap_or(time),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &[u8] = b"app-secret";

    fn sign(body: &[u8]) -> String {
        let mut mac = Hmac::<Sha256>::new_from_slice(SECRET).unwrap();
        mac.update(body);
        format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
    }

    #[test]
    fn a_body_signed_with_our_secret_passes() {
        let body = br#"{"object":"page"}"#;
        assert_eq!(verify_signature(SECRET, Some(&sign(body)), body), Ok(()));
        let upper = sign(body).to_uppercase().replace("SHA256=", "sha256=");
        assert_eq!(verify_signature(SECRET, Some(&upper), body), Ok(()));
    }

    #[test]
    fn an_unsigned_event_is_missing_its_signature() {
        assert_eq!(
            verify_signature(SECRET, None, b"{}"),
            Err(SignatureError::Missing)
        );
    }

    #[test]
    fn a_header_that_is_not_sha256_hex_is_malformed() {
        let sig = sign(b"{}");
        let sha1 = sig.replace("sha256=", "sha1=");
        let short = sig.get(..40).unwrap().to_owned();
        for header in ["", "sha256=", "sha256=zz", sha1.as_str(), short.as_str()] {
            assert_eq!(
                verify_signature(SECRET, Some(header), b"{}"),
                Err(SignatureError::Malformed),
                "{header}"
            );
        }
    }

    #[test]
    fn a_changed_body_or_another_secret_mismatches() {
        let sig = sign(b"{\"a\":1}");
        assert_eq!(
            verify_signature(SECRET, Some(&sig), b"{\"a\":2}"),
            Err(SignatureError::Mismatch)
        );
        assert_eq!(
            verify_signature(b"other", Some(&sig), b"{\"a\":1}"),
            Err(SignatureError::Mismatch)
        );
    }

    #[test]
    fn without_an_app_secret_nothing_verifies() {
        let mut mac = Hmac::<Sha256>::new_from_slice(b"").unwrap();
        mac.update(b"{}");
        let sig = format!("sha256={}", hex::encode(mac.finalize().into_bytes()));
        assert_eq!(
            verify_signature(b"", Some(&sig), b"{}"),
            Err(SignatureError::Mismatch)
        );
    }

    #[test]
    fn the_subscription_answers_the_challenge_when_the_token_is_ours() {
        let answer = verify_subscription("tok", Some("subscribe"), Some("tok"), Some("1158201444"));
        assert_eq!(answer.as_deref(), Some("1158201444"));
    }

    #[test]
    fn the_subscription_is_refused_for_another_token_or_mode() {
        let c = Some("123");
        assert_eq!(
            verify_subscription("tok", Some("subscribe"), Some("tok2"), c),
            None
        );
        assert_eq!(verify_subscription("tok", Some("subscribe"), None, c), None);
        assert_eq!(
            verify_subscription("tok", Some("unsubscribe"), Some("tok"), c),
            None
        );
        assert_eq!(verify_subscription("tok", None, Some("tok"), c), None);
        assert_eq!(
            verify_subscription("", Some("subscribe"), Some(""), c),
            None
        );
    }

    #[test]
    fn a_challenge_that_could_carry_markup_is_not_echoed() {
        let ok = |challenge| verify_subscription("t", Some("subscribe"), Some("t"), challenge);
        assert_eq!(ok(Some("<script>")), None);
        assert_eq!(ok(Some("")), None);
        assert_eq!(ok(None), None);
        assert_eq!(ok(Some(&"9".repeat(257))), None);
    }

    fn delivery(changes: &str) -> Vec<u8> {
        format!(r#"{{"object":"page","entry":[{{"id":"101","time":1700000000,"changes":[{changes}]}}]}}"#)
            .into_bytes()
    }

    const COMMENT: &str = r#"{"field":"feed","value":{"item":"comment","verb":"add","comment_id":"101_1_5",
        "post_id":"101_1","parent_id":"101_1","message":"Open Sunday?","from":{"id":"77","name":"Ann Lee"},
        "created_time":1700000123}}"#;

    #[test]
    fn a_new_comment_on_a_post_becomes_an_event() {
        let events = comment_events(&delivery(COMMENT)).unwrap();
        assert_eq!(
            events,
            vec![CommentEvent {
                verb: CommentVerb::Add,
                page_id: "101".into(),
                post_id: "101_1".into(),
                comment_id: "101_1_5".into(),
                parent_id: None,
                message: "Open Sunday?".into(),
                from_id: "77".into(),
                from_name: "Ann Lee".into(),
                created_time: 1_700_000_123,
            }]
        );
    }

    #[test]
    fn a_reply_keeps_the_comment_it_answers() {
        let reply = COMMENT.replace(r#""parent_id":"101_1""#, r#""parent_id":"101_1_4""#);
        let events = comment_events(&delivery(&reply)).unwrap();
        assert_eq!(
            events.first().unwrap().parent_id.as_deref(),
            Some("101_1_4")
        );
    }

    #[test]
    fn edits_and_removals_are_events_with_their_verb() {
        let edited = COMMENT.replace(r#""verb":"add""#, r#""verb":"edited""#);
        let removed = r#"{"field":"feed","value":{"item":"comment","verb":"remove","comment_id":"101_1_5",
            "post_id":"101_1"}}"#;
        let events = comment_events(&delivery(&format!("{edited},{removed}"))).unwrap();
        let verbs: Vec<_> = events.iter().map(|event| event.verb).collect();
        assert_eq!(verbs, [CommentVerb::Edited, CommentVerb::Remove]);
        let removal = &events[1];
        assert_eq!(
            (removal.message.as_str(), removal.from_id.as_str()),
            ("", "")
        );
        assert_eq!(removal.created_time, 1_700_000_000);
    }

    #[test]
    fn other_items_fields_verbs_and_objects_are_skipped() {
        let like = r#"{"field":"feed","value":{"item":"reaction","verb":"add","post_id":"101_1"}}"#;
        let hidden = COMMENT.replace(r#""verb":"add""#, r#""verb":"hide""#);
        let other_field = COMMENT.replace(r#""field":"feed""#, r#""field":"mention""#);
        let garbled = r#"{"field":"feed","value":{"item":"comment","verb":"add","comment_id":5}}"#;
        let body = delivery(&format!(
            "{like},{hidden},{other_field},{garbled},{COMMENT}"
        ));
        assert_eq!(comment_events(&body).unwrap().len(), 1);
        let user = String::from_utf8(delivery(COMMENT))
            .unwrap()
            .replace("\"page\"", "\"user\"");
        assert_eq!(comment_events(user.as_bytes()).unwrap(), vec![]);
    }

    #[test]
    fn a_body_that_is_not_a_delivery_is_malformed() {
        assert_eq!(comment_events(b"not json"), Err(MalformedEvent));
        assert_eq!(comment_events(b"{\"entry\":[]}"), Err(MalformedEvent));
    }

    #[test]
    fn deliveries_are_bounded() {
        let many = vec![COMMENT; MOST_EVENTS + 5].join(",");
        assert_eq!(comment_events(&delivery(&many)).unwrap().len(), MOST_EVENTS);
        let long = COMMENT.replace("Open Sunday?", &"é".repeat(MOST_MESSAGE_CHARS + 10));
        let event = comment_events(&delivery(&long)).unwrap().remove(0);
        assert_eq!(event.message.chars().count(), MOST_MESSAGE_CHARS);
    }
}
