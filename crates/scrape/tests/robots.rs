//! robots.txt as a specification (RFC 9309): which group applies to us, which rule wins, and
//! what an unreadable robots.txt means.
// Helpers outside #[test] fns state expectations the way tests do.
#![allow(clippy::unwrap_used)]

use kbc_scrape::robots::{Robots, robots_url};
use proptest::prelude::*;
use url::Url;

fn allows(body: &str, path: &str) -> bool {
    let url = Url::parse("https://www.kiamichibiz.com")
        .unwrap()
        .join(path)
        .unwrap();
    Robots::parse(body).allows(&url)
}

// Groups

#[test]
fn an_empty_robots_txt_allows_everything() {
    assert!(allows("", "/anything"));
}

#[test]
fn the_star_group_applies_when_none_names_us() {
    let body = "User-agent: *\nDisallow: /private\n";
    assert!(!allows(body, "/private/a"));
    assert!(allows(body, "/public"));
}

#[test]
fn our_group_replaces_the_star_group() {
    let body = "User-agent: *\nDisallow: /\n\nUser-agent: KiamichiBizConnectBot\nDisallow: /cart\n";
    assert!(allows(body, "/menu"));
    assert!(!allows(body, "/cart"));
}

#[test]
fn our_group_applies_even_when_it_disallows_nothing() {
    let body = "User-agent: KiamichiBizConnectBot\nDisallow:\n\nUser-agent: *\nDisallow: /\n";
    assert!(allows(body, "/menu"));
}

#[test]
fn a_user_agent_line_without_rules_shares_the_next_groups_rules() {
    // Blank lines do not end a group (RFC 9309): both agents are named before the rules.
    let body = "User-agent: KiamichiBizConnectBot\n\nUser-agent: Googlebot\nDisallow: /\n";
    assert!(!allows(body, "/menu"));
}

#[test]
fn our_token_is_matched_without_regard_to_case() {
    let body = "User-agent: kiamichibizconnectbot\nDisallow: /\n";
    assert!(!allows(body, "/menu"));
}

#[test]
fn our_token_followed_by_a_version_names_us() {
    let body = "User-agent: KiamichiBizConnectBot/1.0\nDisallow: /\n";
    assert!(!allows(body, "/menu"));
}

#[test]
fn another_bots_group_does_not_apply() {
    let body = "User-agent: Googlebot\nDisallow: /\n";
    assert!(allows(body, "/menu"));
}

#[test]
fn a_prefix_of_our_token_does_not_name_us() {
    let body = "User-agent: Kiamichi\nDisallow: /\n";
    assert!(allows(body, "/menu"));
}

#[test]
fn a_group_may_name_several_agents() {
    let body = "User-agent: Googlebot\nUser-agent: KiamichiBizConnectBot\nDisallow: /menu\n";
    assert!(!allows(body, "/menu"));
}

#[test]
fn groups_naming_us_are_combined() {
    let body = "User-agent: KiamichiBizConnectBot\nDisallow: /a\n\n\
                User-agent: Googlebot\nDisallow: /b\n\n\
                User-agent: KiamichiBizConnectBot\nDisallow: /c\n";
    assert!(!allows(body, "/a"));
    assert!(allows(body, "/b"));
    assert!(!allows(body, "/c"));
}

#[test]
fn a_user_agent_line_after_rules_starts_a_new_group() {
    let body =
        "User-agent: KiamichiBizConnectBot\nDisallow: /a\nUser-agent: Googlebot\nDisallow: /b\n";
    assert!(!allows(body, "/a"));
    assert!(allows(body, "/b"));
}

#[test]
fn rules_before_any_user_agent_are_ignored() {
    let body = "Disallow: /\nUser-agent: *\nDisallow: /x\n";
    assert!(allows(body, "/menu"));
}

#[test]
fn sitemap_and_crawl_delay_lines_do_not_break_a_group() {
    let body = "User-agent: *\nCrawl-delay: 10\nSitemap: https://www.kiamichibiz.com/s.xml\nDisallow: /x\n";
    assert!(!allows(body, "/x"));
}

// Rules and precedence

#[test]
fn an_empty_disallow_allows_everything() {
    let body = "User-agent: *\nDisallow:\n";
    assert!(allows(body, "/menu"));
}

#[test]
fn disallow_slash_disallows_everything() {
    let body = "User-agent: *\nDisallow: /\n";
    assert!(!allows(body, "/"));
    assert!(!allows(body, "/menu?x=1"));
}

#[test]
fn the_longest_matching_rule_wins() {
    let body = "User-agent: *\nDisallow: /shop\nAllow: /shop/hours\n";
    assert!(allows(body, "/shop/hours"));
    assert!(!allows(body, "/shop/cart"));
    let body = "User-agent: *\nAllow: /shop\nDisallow: /shop/cart\n";
    assert!(!allows(body, "/shop/cart"));
}

#[test]
fn allow_wins_a_tie() {
    let body = "User-agent: *\nDisallow: /page\nAllow: /page\n";
    assert!(allows(body, "/page"));
}

#[test]
fn rules_match_path_prefixes_case_sensitively() {
    let body = "User-agent: *\nDisallow: /Private\n";
    assert!(!allows(body, "/Private/x"));
    assert!(allows(body, "/private/x"));
}

#[test]
fn rules_see_the_query() {
    let body = "User-agent: *\nDisallow: /*?session=\n";
    assert!(!allows(body, "/menu?session=1"));
    assert!(allows(body, "/menu"));
}

#[test]
fn a_wildcard_matches_any_run_of_characters() {
    let body = "User-agent: *\nDisallow: /*/admin\n";
    assert!(!allows(body, "/shop/admin/users"));
    assert!(allows(body, "/admin"));
}

#[test]
fn a_dollar_anchors_the_end_of_the_path() {
    let body = "User-agent: *\nDisallow: /*.pdf$\n";
    assert!(!allows(body, "/files/menu.pdf"));
    assert!(allows(body, "/files/menu.pdf.html"));
}

#[test]
fn allowing_only_the_root_with_an_anchor() {
    let body = "User-agent: *\nAllow: /$\nDisallow: /\n";
    assert!(allows(body, "/"));
    assert!(!allows(body, "/menu"));
}

#[test]
fn percent_encoding_is_normalised_on_both_sides() {
    let body = "User-agent: *\nDisallow: /%7ejoe\nDisallow: /café\n";
    assert!(!allows(body, "/~joe/page"));
    assert!(!allows(body, "/caf%C3%A9/menu"));
    assert!(!allows(body, "/caf%c3%a9/menu"));
}

#[test]
fn a_pattern_without_a_leading_slash_is_read_from_the_root() {
    let body = "User-agent: *\nDisallow: private\n";
    assert!(!allows(body, "/private"));
}

// Tolerance

#[test]
fn keys_are_case_insensitive_and_spacing_is_ignored() {
    let body = "USER-AGENT :   *   \n  disallow :  /x  \n";
    assert!(!allows(body, "/x"));
}

#[test]
fn comments_crlf_and_a_byte_order_mark_are_ignored() {
    let body = "\u{feff}# our rules\r\nUser-agent: * # everyone\r\nDisallow: /x # not x\r\n";
    assert!(!allows(body, "/x"));
    assert!(allows(body, "/y"));
}

#[test]
fn garbage_lines_are_ignored() {
    let body =
        "<html><body>Not found</body></html>\nUser-agent: *\nthis is not a record\nDisallow: /x\n";
    assert!(!allows(body, "/x"));
}

#[test]
fn a_common_misspelling_of_disallow_is_honoured() {
    let body = "User-agent: *\nDissallow: /x\n";
    assert!(!allows(body, "/x"));
}

#[test]
fn only_the_first_500_kibibytes_are_read() {
    let padding = "# padding\n".repeat(52 * 1024);
    let body = format!("User-agent: *\nDisallow: /early\n{padding}Disallow: /late\n");
    assert!(!allows(&body, "/early"));
    assert!(allows(&body, "/late"));
}

// Unreadable robots.txt

#[test]
fn allow_all_allows_everything() {
    let url = Url::parse("https://www.kiamichibiz.com/any/path?q=1").unwrap();
    assert!(Robots::allow_all().allows(&url));
}

#[test]
fn disallow_all_allows_nothing() {
    for raw in [
        "https://www.kiamichibiz.com/",
        "https://www.kiamichibiz.com/any/path?q=1",
    ] {
        assert!(
            !Robots::disallow_all().allows(&Url::parse(raw).unwrap()),
            "{raw}"
        );
    }
}

// Where robots.txt lives

#[test]
fn robots_txt_lives_at_the_root_of_the_same_origin() {
    let page = Url::parse("http://127.0.0.1:8793/menu/today?x=1#lunch").unwrap();
    assert_eq!(
        robots_url(&page).as_str(),
        "http://127.0.0.1:8793/robots.txt"
    );
    let page = Url::parse("https://www.kiamichibiz.com/about").unwrap();
    assert_eq!(
        robots_url(&page).as_str(),
        "https://www.kiamichibiz.com/robots.txt"
    );
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn any_body_parses_and_answers_for_any_path(body in any::<String>(), path in any::<String>()) {
        let robots = Robots::parse(&body);
        let base = Url::parse("https://www.kiamichibiz.com/").unwrap();
        if let Ok(url) = base.join(&path) {
            let _ = robots.allows(&url);
        }
    }

    #[test]
    fn any_rule_parses_and_answers(rule in "[ -~]{0,40}", path in "[ -~]{0,40}") {
        let robots = Robots::parse(&format!("User-agent: *\nDisallow: {rule}\nAllow: {path}\n"));
        let base = Url::parse("https://www.kiamichibiz.com/").unwrap();
        if let Ok(url) = base.join(&path) {
            let _ = robots.allows(&url);
        }
    }
}
