//! Query-string and body rules shared by every endpoint: which parameters exist, duplicate
//! and unknown names, content types and body size.

use kbc_domain::search::SearchParams;
use kbc_edge::errors::ApiError;

/// The largest request body accepted, in bytes.
pub const MAX_BODY_BYTES: usize = 16 * 1024;

/// The query parameters `GET /api/v1/businesses` understands.
pub const SEARCH_PARAMS: &[&str] = &[
    "q",
    "category",
    "city",
    "near",
    "radius_km",
    "sort",
    "page",
    "per_page",
];

/// Decoded query pairs, checked against the names an endpoint accepts: an unknown or
/// repeated name is a 400 naming it, so a typo never silently changes the answer.
pub fn checked_pairs(
    query: Option<&str>,
    allowed: &[&str],
) -> Result<Vec<(String, String)>, ApiError> {
    let mut pairs: Vec<(String, String)> = Vec::new();
    for (name, value) in url::form_urlencoded::parse(query.unwrap_or("").as_bytes()) {
        if !allowed.contains(&name.as_ref()) {
            let hint = if allowed.is_empty() {
                "this endpoint takes no query parameters".to_owned()
            } else {
                format!("known parameters: {}", allowed.join(", "))
            };
            return Err(ApiError::bad_request(
                &name,
                format!("unknown query parameter '{name}'; {hint}"),
            ));
        }
        if pairs.iter().any(|(seen, _)| seen == name.as_ref()) {
            return Err(ApiError::bad_request(
                &name,
                format!("query parameter '{name}' is given more than once"),
            ));
        }
        pairs.push((name.into_owned(), value.into_owned()));
    }
    Ok(pairs)
}

/// The search parameters from a query string.
pub fn search_params(query: Option<&str>) -> Result<SearchParams, ApiError> {
    let mut params = SearchParams::default();
    for (name, value) in checked_pairs(query, SEARCH_PARAMS)? {
        let slot = match name.as_str() {
            "q" => &mut params.q,
            "category" => &mut params.category,
            "city" => &mut params.city,
            "near" => &mut params.near,
            "radius_km" => &mut params.radius_km,
            "sort" => &mut params.sort,
            "page" => &mut params.page,
            _ => &mut params.per_page,
        };
        *slot = Some(value);
    }
    Ok(params)
}

/// Whether a request body is an HTML form post (`application/x-www-form-urlencoded`).
pub fn is_form(content_type: Option<&str>) -> bool {
    media_type(content_type).as_deref() == Some("application/x-www-form-urlencoded")
}

fn media_type(content_type: Option<&str>) -> Option<String> {
    content_type
        .and_then(|value| value.split(';').next())
        .map(|v| v.trim().to_ascii_lowercase())
}

/// Checks a write's `Content-Type` (JSON, any charset) and declared length before reading.
pub fn check_json_request(
    content_type: Option<&str>,
    content_length: Option<&str>,
) -> Result<(), ApiError> {
    let media_type = content_type
        .and_then(|value| value.split(';').next())
        .map(|v| v.trim().to_ascii_lowercase());
    if media_type.as_deref() != Some("application/json") {
        return Err(ApiError::unsupported_media_type("application/json"));
    }
    if let Some(length) = content_length {
        match length.trim().parse::<usize>() {
            Ok(length) if length > MAX_BODY_BYTES => {
                return Err(ApiError::payload_too_large(MAX_BODY_BYTES));
            }
            Ok(_) => {}
            Err(_) => {
                return Err(ApiError::bad_request(
                    "Content-Length",
                    "Content-Length must be a number",
                ));
            }
        }
    }
    Ok(())
}

/// Parses a JSON body into `T`, turning every failure into a 400 that says where and what.
pub fn json_body<T: serde::de::DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    if bytes.len() > MAX_BODY_BYTES {
        return Err(ApiError::payload_too_large(MAX_BODY_BYTES));
    }
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Err(ApiError::bad_request(
            "body",
            "the request body is empty; send a JSON object",
        ));
    }
    serde_json::from_slice(bytes).map_err(|err| {
        let message = err.to_string();
        // serde names unknown fields as "unknown field `name`"; point at that field.
        let field = message
            .split_once("unknown field `")
            .and_then(|(_, rest)| rest.split_once('`'))
            .map_or("body", |(name, _)| name);
        let code = if err.is_syntax() || err.is_eof() {
            "malformed_json"
        } else {
            "invalid_body"
        };
        ApiError {
            code,
            ..ApiError::bad_request(field, format!("the JSON body could not be read: {message}"))
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use kbc_domain::leads::LeadInput;

    #[test]
    fn search_parameters_are_decoded_into_their_slots() {
        let params = search_params(Some("q=broken+bow%20bakery&city=Idabel&page=2")).unwrap();
        assert_eq!(params.q.as_deref(), Some("broken bow bakery"));
        assert_eq!(params.city.as_deref(), Some("Idabel"));
        assert_eq!(params.page.as_deref(), Some("2"));
        assert_eq!(search_params(None).unwrap(), SearchParams::default());
    }

    #[test]
    fn unknown_and_repeated_parameters_are_named() {
        let unknown = search_params(Some("q=x&categroy=food")).unwrap_err();
        assert_eq!(
            (unknown.status, unknown.field.as_deref()),
            (400, Some("categroy"))
        );
        assert!(unknown.message.contains("known parameters: q, category"));
        let twice = search_params(Some("q=a&q=b")).unwrap_err();
        assert!(twice.message.contains("more than once"));
        let none_allowed = checked_pairs(Some("x=1"), &[]).unwrap_err();
        assert!(none_allowed.message.contains("takes no query parameters"));
    }

    #[test]
    fn writes_must_be_json_within_the_size_limit() {
        assert!(check_json_request(Some("application/json"), Some("10")).is_ok());
        assert!(check_json_request(Some("Application/JSON; charset=utf-8"), None).is_ok());
        assert_eq!(
            check_json_request(Some("text/plain"), None)
                .unwrap_err()
                .status,
            415
        );
        assert_eq!(check_json_request(None, None).unwrap_err().status, 415);
        assert_eq!(
            check_json_request(Some("application/x-www-form-urlencoded"), None)
                .unwrap_err()
                .status,
            415
        );
        assert_eq!(
            check_json_request(Some("application/json"), Some("16385"))
                .unwrap_err()
                .status,
            413
        );
        assert_eq!(
            check_json_request(Some("application/json"), Some("lots"))
                .unwrap_err()
                .status,
            400
        );
    }

    #[test]
    fn form_posts_are_recognised_whatever_the_charset() {
        assert!(is_form(Some("application/x-www-form-urlencoded")));
        assert!(is_form(Some(
            "Application/X-WWW-Form-Urlencoded; charset=UTF-8"
        )));
        assert!(!is_form(Some("application/json")) && !is_form(None));
    }

    #[test]
    fn malformed_json_is_a_400_saying_where() {
        let err = json_body::<LeadInput>(b"{\"name\": ").unwrap_err();
        assert_eq!((err.status, err.code), (400, "malformed_json"));
        assert!(err.message.contains("line 1"), "{}", err.message);
    }

    #[test]
    fn wrong_shapes_and_unknown_fields_are_named() {
        let unknown = json_body::<LeadInput>(br#"{"name":"a","admin":true}"#).unwrap_err();
        assert_eq!(
            (unknown.code, unknown.field.as_deref()),
            ("invalid_body", Some("admin"))
        );
        let wrong_type = json_body::<LeadInput>(br#"{"name": 5}"#).unwrap_err();
        assert_eq!(wrong_type.code, "invalid_body");
        let not_object = json_body::<LeadInput>(b"[1,2]").unwrap_err();
        assert_eq!(not_object.status, 400);
    }

    #[test]
    fn empty_and_oversized_bodies_are_refused() {
        assert_eq!(
            json_body::<LeadInput>(b"  ").unwrap_err().field.as_deref(),
            Some("body")
        );
        let big = vec![b' '; MAX_BODY_BYTES + 1];
        assert_eq!(json_body::<LeadInput>(&big).unwrap_err().status, 413);
    }
}
