//! The URL guard as a specification: which website addresses the analyzer may fetch, how
//! redirects are re-checked, and what the local-only allow-list lifts.
// Helpers outside #[test] fns state expectations the way tests do.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use kbc_scrape::guard::{Guard, MAX_REDIRECTS, Refusal};
use proptest::prelude::*;
use url::Url;

fn strict() -> Guard {
    Guard::default()
}

fn refusal(raw: &str) -> Refusal {
    strict().check(raw).expect_err(raw)
}

fn url(raw: &str) -> Url {
    Url::parse(raw).unwrap()
}

// Public names

#[test]
fn a_public_https_name_is_accepted_with_its_fragment_dropped() {
    let checked = strict()
        .check("https://www.kiamichibiz.com/about?x=1#frag")
        .unwrap();
    assert_eq!(checked.as_str(), "https://www.kiamichibiz.com/about?x=1");
}

#[test]
fn a_public_http_name_is_accepted() {
    assert!(strict().check("http://kiamichibiz.com/").is_ok());
}

#[test]
fn an_uppercase_host_is_accepted_in_lowercase() {
    let checked = strict().check("HTTPS://WWW.KiamichiBiz.COM/Menu").unwrap();
    assert_eq!(checked.as_str(), "https://www.kiamichibiz.com/Menu");
}

#[test]
fn the_default_port_written_out_is_accepted() {
    let checked = strict().check("https://kiamichibiz.com:443/").unwrap();
    assert_eq!(checked.as_str(), "https://kiamichibiz.com/");
}

#[test]
fn a_trailing_dot_on_a_public_name_is_removed() {
    let checked = strict().check("https://kiamichibiz.com./hours").unwrap();
    assert_eq!(checked.as_str(), "https://kiamichibiz.com/hours");
}

#[test]
fn an_international_name_is_accepted_in_punycode() {
    let checked = strict().check("https://bäckerei.de/").unwrap();
    assert_eq!(checked.host_str(), Some("xn--bckerei-5wa.de"));
}

#[test]
fn a_name_merely_containing_example_is_accepted() {
    assert!(strict().check("https://notexample.com/").is_ok());
    assert!(
        strict()
            .check("https://example.com.kiamichibiz.com/")
            .is_ok()
    );
}

// Schemes and credentials

#[test]
fn a_file_url_is_refused() {
    assert_eq!(refusal("file:///etc/passwd"), Refusal::Scheme);
}

#[test]
fn a_javascript_url_is_refused() {
    assert_eq!(refusal("javascript:alert(1)"), Refusal::Scheme);
}

#[test]
fn an_ftp_url_is_refused() {
    assert_eq!(refusal("ftp://kiamichibiz.com/menu.pdf"), Refusal::Scheme);
}

#[test]
fn a_data_url_is_refused() {
    assert_eq!(refusal("data:text/html,<p>hi</p>"), Refusal::Scheme);
}

#[test]
fn a_relative_address_is_unparsable() {
    assert_eq!(refusal("www.kiamichibiz.com"), Refusal::Unparsable);
    assert_eq!(refusal(""), Refusal::Unparsable);
}

#[test]
fn a_user_name_is_refused() {
    assert_eq!(
        refusal("http://user@kiamichibiz.com/"),
        Refusal::Credentials
    );
}

#[test]
fn a_password_is_refused() {
    assert_eq!(
        refusal("https://:secret@kiamichibiz.com/"),
        Refusal::Credentials
    );
}

#[test]
fn a_good_name_before_an_at_sign_is_a_user_name() {
    assert_eq!(refusal("http://good.com@10.0.0.1/"), Refusal::Credentials);
}

// IP literals, in every spelling the parser understands

#[test]
fn a_dotted_ipv4_address_is_refused() {
    for raw in [
        "http://10.0.0.1/",
        "http://169.254.169.254/latest/meta-data/",
        "http://192.168.1.1/",
    ] {
        assert_eq!(refusal(raw), Refusal::IpLiteral, "{raw}");
    }
}

#[test]
fn a_public_ipv4_address_is_refused_too() {
    assert_eq!(refusal("https://1.1.1.1/"), Refusal::IpLiteral);
}

#[test]
fn a_decimal_ipv4_address_is_refused() {
    assert_eq!(refusal("http://2130706433/"), Refusal::IpLiteral);
}

#[test]
fn an_octal_ipv4_address_is_refused() {
    assert_eq!(refusal("http://0177.0.0.1/"), Refusal::IpLiteral);
}

#[test]
fn a_hex_ipv4_address_is_refused() {
    assert_eq!(refusal("http://0x7f.1/"), Refusal::IpLiteral);
    assert_eq!(refusal("http://0x7f000001/"), Refusal::IpLiteral);
}

#[test]
fn a_short_form_ipv4_address_is_refused() {
    assert_eq!(refusal("http://127.1/"), Refusal::IpLiteral);
}

#[test]
fn a_percent_encoded_ipv4_address_is_refused() {
    assert_eq!(refusal("http://%31%32%37.0.0.1/"), Refusal::IpLiteral);
}

#[test]
fn an_ipv4_address_with_a_trailing_dot_is_refused() {
    assert_eq!(refusal("http://127.0.0.1./"), Refusal::IpLiteral);
}

#[test]
fn an_ipv6_loopback_address_is_refused() {
    assert_eq!(refusal("http://[::1]/"), Refusal::IpLiteral);
}

#[test]
fn an_ipv4_mapped_ipv6_address_is_refused() {
    assert_eq!(refusal("http://[::ffff:127.0.0.1]/"), Refusal::IpLiteral);
}

#[test]
fn a_link_local_ipv6_address_is_refused() {
    assert_eq!(refusal("http://[fe80::1]/"), Refusal::IpLiteral);
}

#[test]
fn a_name_ending_in_a_number_is_never_a_public_name() {
    // The parser takes these for addresses and fails; either way they are not fetched.
    assert!(strict().check("http://1.2.3.4.5/").is_err());
    assert!(strict().check("http://kiamichibiz.123/").is_err());
}

// Ports

#[test]
fn a_non_default_port_is_refused() {
    assert_eq!(refusal("http://kiamichibiz.com:8080/"), Refusal::Port);
}

#[test]
fn the_https_port_on_http_is_refused() {
    assert_eq!(refusal("http://kiamichibiz.com:443/"), Refusal::Port);
}

// Names that are not public

#[test]
fn localhost_is_refused() {
    assert!(matches!(
        refusal("http://localhost/"),
        Refusal::ReservedName {
            name: "localhost",
            ..
        }
    ));
}

#[test]
fn localhost_in_capitals_with_a_trailing_dot_is_refused() {
    assert!(matches!(
        refusal("http://LOCALHOST./"),
        Refusal::ReservedName {
            name: "localhost",
            ..
        }
    ));
}

#[test]
fn a_subdomain_of_localhost_is_refused() {
    assert!(matches!(
        refusal("http://foo.localhost/"),
        Refusal::ReservedName {
            name: "localhost",
            ..
        }
    ));
}

#[test]
fn a_dot_local_name_is_refused() {
    assert!(matches!(
        refusal("http://printer.local/"),
        Refusal::ReservedName { name: "local", .. }
    ));
}

#[test]
fn internal_network_names_are_refused() {
    for raw in [
        "http://db.internal/",
        "http://wiki.intranet/",
        "http://nas.lan/",
        "http://router.home/",
        "http://mail.corp/",
        "http://printer.home.arpa/",
    ] {
        assert!(
            matches!(refusal(raw), Refusal::ReservedName { .. }),
            "{raw}"
        );
    }
}

#[test]
fn home_arpa_gives_its_own_reason() {
    assert!(matches!(
        refusal("http://nas.home.arpa/"),
        Refusal::ReservedName {
            name: "home.arpa",
            ..
        }
    ));
}

#[test]
fn testing_and_never_resolving_names_are_refused() {
    for raw in [
        "http://shop.test/",
        "http://shop.example/",
        "http://shop.invalid/",
        "http://abc.onion/",
    ] {
        assert!(
            matches!(refusal(raw), Refusal::ReservedName { .. }),
            "{raw}"
        );
    }
}

#[test]
fn example_com_and_its_subdomains_are_refused_as_documentation() {
    for raw in [
        "https://example.com/",
        "https://bakery.example.com/",
        "http://www.example.org/",
        "http://example.net/",
    ] {
        assert!(
            matches!(
                refusal(raw),
                Refusal::ReservedName {
                    reason: "is reserved for documentation",
                    ..
                }
            ),
            "{raw}"
        );
    }
}

#[test]
fn the_documentation_refusal_says_why_in_a_sentence() {
    assert_eq!(
        refusal("https://bakery.example.com/").to_string(),
        "The website's host name is under example.com, which is reserved for documentation."
    );
}

#[test]
fn a_trailing_dot_does_not_hide_a_reserved_name() {
    assert!(matches!(
        refusal("https://bakery.example.com./"),
        Refusal::ReservedName { .. }
    ));
}

#[test]
fn a_single_label_name_is_refused() {
    assert_eq!(refusal("http://intranet-server/"), Refusal::NotPublicName);
    assert_eq!(refusal("http://com./"), Refusal::NotPublicName);
}

#[test]
fn an_empty_label_is_refused() {
    assert_eq!(refusal("http://kiamichibiz..com/"), Refusal::NotPublicName);
    assert_eq!(refusal("http://kiamichibiz.com../"), Refusal::NotPublicName);
}

#[test]
fn a_refusal_never_repeats_the_credentials() {
    let text = refusal("https://admin:hunter2@kiamichibiz.com/").to_string();
    assert!(
        !text.contains("hunter2") && !text.contains("admin"),
        "{text}"
    );
}

// The local-only allow-list

#[test]
fn the_allow_list_permits_exactly_its_origin() {
    let guard = Guard::from_list("http://127.0.0.1:8793").unwrap();
    let checked = guard.check("http://127.0.0.1:8793/menu#top").unwrap();
    assert_eq!(checked.as_str(), "http://127.0.0.1:8793/menu");
}

#[test]
fn the_allow_list_refuses_the_same_host_on_another_port() {
    let guard = Guard::from_list("http://127.0.0.1:8793").unwrap();
    assert_eq!(
        guard.check("http://127.0.0.1:8794/"),
        Err(Refusal::IpLiteral)
    );
}

#[test]
fn the_allow_list_refuses_the_same_port_under_another_scheme() {
    let guard = Guard::from_list("http://127.0.0.1:8793").unwrap();
    assert!(guard.check("https://127.0.0.1:8793/").is_err());
}

#[test]
fn the_allow_list_never_lifts_the_credentials_rule() {
    let guard = Guard::from_list("http://127.0.0.1:8793").unwrap();
    assert_eq!(
        guard.check("http://me@127.0.0.1:8793/"),
        Err(Refusal::Credentials)
    );
}

#[test]
fn the_allow_list_still_accepts_public_names() {
    let guard = Guard::from_list("http://127.0.0.1:8793").unwrap();
    assert!(guard.check("https://kiamichibiz.com/").is_ok());
}

#[test]
fn the_allow_list_takes_commas_and_whitespace() {
    let guard =
        Guard::from_list(" http://127.0.0.1:8793,http://localhost:8794\n http://[::1]:8795 ")
            .unwrap();
    assert!(guard.check("http://127.0.0.1:8793/").is_ok());
    assert!(guard.check("http://localhost:8794/").is_ok());
    assert!(guard.check("http://[::1]:8795/").is_ok());
}

#[test]
fn an_empty_allow_list_is_none() {
    let guard = Guard::from_list("  ").unwrap();
    assert!(!guard.has_allow_list());
    assert!(guard.check("http://127.0.0.1:8793/").is_err());
}

#[test]
fn a_non_empty_allow_list_says_so() {
    assert!(
        Guard::from_list("http://127.0.0.1:8793")
            .unwrap()
            .has_allow_list()
    );
}

#[test]
fn an_allow_list_entry_that_is_not_an_origin_is_named_in_the_error() {
    for entry in [
        "127.0.0.1:8793",
        "ftp://127.0.0.1:21",
        "http://127.0.0.1:8793/path",
        "http://u@127.0.0.1:1",
    ] {
        let error = Guard::from_list(&format!("http://127.0.0.1:8793, {entry}")).unwrap_err();
        assert!(error.contains(entry), "{error}");
    }
}

#[test]
fn an_allow_list_entry_off_loopback_is_an_error() {
    for entry in ["http://10.0.0.1:80", "https://kiamichibiz.com"] {
        assert!(Guard::from_list(entry).is_err(), "{entry}");
    }
}

#[test]
fn new_takes_origins_and_ignores_their_paths() {
    let guard = Guard::new([url("http://127.0.0.1:8793/anything")]);
    assert!(guard.check("http://127.0.0.1:8793/else").is_ok());
}

// Redirects

#[test]
fn a_relative_redirect_resolves_against_the_page() {
    let from = url("https://www.kiamichibiz.com/a/b");
    assert_eq!(
        strict().redirect(&from, "c?d=1", 0).unwrap().as_str(),
        "https://www.kiamichibiz.com/a/c?d=1"
    );
    assert_eq!(
        strict().redirect(&from, "/home", 0).unwrap().as_str(),
        "https://www.kiamichibiz.com/home"
    );
}

#[test]
fn a_protocol_relative_redirect_keeps_the_scheme_and_is_checked() {
    let from = url("https://www.kiamichibiz.com/");
    let next = strict()
        .redirect(&from, "//shop.kiamichibiz.com/x", 1)
        .unwrap();
    assert_eq!(next.as_str(), "https://shop.kiamichibiz.com/x");
    assert_eq!(
        strict().redirect(&from, "//169.254.169.254/", 1),
        Err(Refusal::IpLiteral)
    );
}

#[test]
fn a_redirect_to_a_private_address_is_refused() {
    let from = url("https://www.kiamichibiz.com/");
    assert_eq!(
        strict().redirect(&from, "http://192.168.1.1/admin", 0),
        Err(Refusal::IpLiteral)
    );
}

#[test]
fn a_redirect_to_localhost_is_refused() {
    let from = url("https://www.kiamichibiz.com/");
    assert!(matches!(
        strict().redirect(&from, "http://localhost/", 0),
        Err(Refusal::ReservedName { .. })
    ));
}

#[test]
fn a_redirect_to_javascript_is_refused() {
    let from = url("https://www.kiamichibiz.com/");
    assert_eq!(
        strict().redirect(&from, "javascript:alert(1)", 0),
        Err(Refusal::Scheme)
    );
}

#[test]
fn the_third_redirect_is_followed_and_the_fourth_refused() {
    let from = url("https://www.kiamichibiz.com/");
    assert!(strict().redirect(&from, "/3", MAX_REDIRECTS - 1).is_ok());
    assert_eq!(
        strict().redirect(&from, "/4", MAX_REDIRECTS),
        Err(Refusal::TooManyRedirects)
    );
}

#[test]
fn a_redirect_drops_the_fragment() {
    let from = url("https://www.kiamichibiz.com/");
    assert_eq!(
        strict().redirect(&from, "/menu#lunch", 0).unwrap().as_str(),
        "https://www.kiamichibiz.com/menu"
    );
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn checking_any_string_never_panics(raw in any::<String>()) {
        let _ = strict().check(&raw);
        let _ = strict().check(&format!("http://{raw}"));
    }

    #[test]
    fn redirecting_to_any_location_never_panics(location in any::<String>(), hops in 0u8..6) {
        let from = url("https://www.kiamichibiz.com/a/b?c");
        if let Ok(next) = strict().redirect(&from, &location, hops) {
            prop_assert!(hops < MAX_REDIRECTS);
            prop_assert!(next.fragment().is_none());
        }
    }
}
