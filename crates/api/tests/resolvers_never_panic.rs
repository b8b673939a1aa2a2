//! Property tests: paths and query strings are outside input; the route and page resolvers
//! and the query checks answer a route, a page, `None` or a typed 4xx for any text.

use kbc_api::params::{checked_pairs, search_params};
use kbc_api::routes::{Page, Route};
use proptest::prelude::*;

fn path() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<String>(),
        "(/(api|v1|businesses|business|categories|cities|blog|images|submit|leads|[^/]{0,8})){0,6}/?",
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1024))]

    #[test]
    fn any_path_resolves_to_a_route_a_page_or_nothing(path in path()) {
        if let Some(route) = Route::resolve(&path) {
            prop_assert!(!route.allow().is_empty());
        }
        if let Some(page) = Page::resolve(&path) {
            prop_assert!(!page.allow().is_empty());
        }
    }

    #[test]
    fn any_query_string_parses_or_answers_a_client_error(query in any::<String>()) {
        if let Err(err) = search_params(Some(&query)) {
            prop_assert_eq!(err.status, 400);
        }
        if let Err(err) = checked_pairs(Some(&query), &["q"]) {
            prop_assert_eq!(err.status, 400);
        }
    }
}
