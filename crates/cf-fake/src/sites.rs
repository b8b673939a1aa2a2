//! The fake business websites the analyzer reads: several small sites a small-town business
//! would have, each under its own path prefix (`/{site}/` is its home page) on one loopback
//! server, with one `/robots.txt` for them all. Three carry their facts the ways real sites
//! do (schema.org JSON-LD, microdata, OpenGraph, `tel:`/`mailto:` links, social anchors,
//! hours as text); the rest are the ways a fetch goes wrong: a windows-1252 page labelled
//! ISO-8859-1, a page that answers late, a server error, a page robots.txt forbids to
//! [`BOT`], redirects to a private address and to another site, and a PDF.
//!
//! Every site request is recorded with its user agent, so a test in another process can
//! count what the analyzer fetched (`GET /__fake/requests`) and start afresh
//! (`POST /__fake/reset`).

use crate::http::{Handler, Reply, Request, Server};
use serde::Serialize;
use serde_json::{Value, json};
use std::io;
use std::time::Duration;

/// JSON-LD `@graph` (WordPress with an SEO plugin): a `Plumber` with address, geo, hours and
/// social profiles, plus OpenGraph tags.
pub const RIDGELINE_PLUMBING: &str = "ridgeline-plumbing";
/// JSON-LD `Bakery` with Saturday split into two shifts.
pub const PINE_RIDGE_BAKERY: &str = "pine-ridge-bakery";
/// No JSON-LD: microdata, `tel:`/`mailto:` links, social anchors (and a share link that is
/// not a profile), hours written in the footer.
pub const KIAMICHI_OUTFITTERS: &str = "kiamichi-outfitters";
/// windows-1252 bytes served as `charset=iso-8859-1`, as browsers read that label.
pub const LATIN1_CAFE: &str = "latin1-cafe";
/// Answers after [`SLOW_DEFAULT_DELAY`] (or `?delay_ms=`, or what `POST /__fake/slow` set).
pub const SLOW: &str = "slow";
/// Always `500`.
pub const BROKEN: &str = "broken";
/// Disallowed to [`BOT`] by robots.txt.
pub const BLOCKED: &str = "blocked";
/// `302` to [`PRIVATE_TARGET`], which a fetcher must refuse to follow.
pub const REDIRECT_PRIVATE: &str = "redirect-private";
/// `301` to the bakery's home page (a relative `Location`).
pub const REDIRECT_OK: &str = "redirect-ok";
/// `application/pdf`, not HTML.
pub const PDF: &str = "pdf";

/// Every site, by its path prefix.
pub const ALL: [&str; 10] = [
    RIDGELINE_PLUMBING,
    PINE_RIDGE_BAKERY,
    KIAMICHI_OUTFITTERS,
    LATIN1_CAFE,
    SLOW,
    BROKEN,
    BLOCKED,
    REDIRECT_PRIVATE,
    REDIRECT_OK,
    PDF,
];

/// The robots.txt product token the blocked site names.
pub const BOT: &str = "KiamichiBizConnectBot";
/// Where the private redirect points (never contacted by this server).
pub const PRIVATE_TARGET: &str = "http://10.0.0.1/admin";
/// Longer than any fetch timeout the analyzer should have.
pub const SLOW_DEFAULT_DELAY: Duration = Duration::from_secs(20);

const CONTROL_PREFIX: &str = "/__fake/";
/// Stands for the site's own absolute URL (`http://127.0.0.1:PORT/{site}`) in its pages.
const SITE_PLACEHOLDER: &str = "{{SITE}}";

const RIDGELINE_HTML: &str = include_str!("sites/ridgeline-plumbing.html");
const BAKERY_HTML: &str = include_str!("sites/pine-ridge-bakery.html");
const OUTFITTERS_HTML: &str = include_str!("sites/kiamichi-outfitters.html");
const CAFE_WINDOWS_1252: &[u8] = include_bytes!("sites/latin1-cafe.html");
const SLOW_HTML: &str = include_str!("sites/slow.html");
const BLOCKED_HTML: &str = include_str!("sites/blocked.html");
const ROBOTS_TXT: &str = include_str!("sites/robots.txt");
/// A one-page PDF of the bakery's menu, small but well formed.
const MENU_PDF: &[u8] = b"%PDF-1.4
1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj
2 0 obj << /Type /Pages /Kids [3 0 R] /Count 1 >> endobj
3 0 obj << /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R
  /Resources << /Font << /F1 5 0 R >> >> >> endobj
4 0 obj << /Length 44 >> stream
BT /F1 18 Tf 72 720 Td (Our menu) Tj ET
endstream endobj
5 0 obj << /Type /Font /Subtype /Type1 /BaseFont /Helvetica >> endobj
trailer << /Root 1 0 R >>
%%EOF
";

/// One request a site received.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SiteRequest {
    pub method: String,
    /// Without the query string.
    pub path: String,
    pub user_agent: Option<String>,
}

/// The sites' state; reach it through [`Server::with`] or, from another process, `/__fake/…`.
#[derive(Debug)]
pub struct Sites {
    requests: Vec<SiteRequest>,
    slow_delay: Duration,
}

impl Default for Sites {
    fn default() -> Self {
        Self {
            requests: Vec::new(),
            slow_delay: SLOW_DEFAULT_DELAY,
        }
    }
}

impl Handler for Sites {
    fn handle(&mut self, request: &Request, base_url: &str) -> Reply {
        if let Some(action) = request.path.strip_prefix(CONTROL_PREFIX) {
            return self.control(request, action);
        }
        self.requests.push(SiteRequest {
            method: request.method.clone(),
            path: request.path.clone(),
            user_agent: request.header("user-agent").map(str::to_owned),
        });
        if !matches!(request.method.as_str(), "GET" | "HEAD") {
            return page(405, "Method Not Allowed").with_header("Allow", "GET, HEAD");
        }
        if request.path == "/robots.txt" {
            return Reply::bytes(200, "text/plain", ROBOTS_TXT.as_bytes().to_vec());
        }
        let path = request.path.trim_start_matches('/');
        let (site, rest) = path
            .split_once('/')
            .map_or((path, None), |(site, rest)| (site, Some(rest)));
        match (site, rest) {
            // A broken server fails whatever is asked of it.
            (BROKEN, _) => page(500, "Internal Server Error"),
            (site, Some("")) => self.home(request, site, base_url).unwrap_or_else(not_found),
            // `/pine-ridge-bakery` as a web server answers it: on to the directory's address.
            (site, None) if ALL.contains(&site) => moved(301, &format!("/{site}/")),
            _ => not_found(),
        }
    }
}

impl Sites {
    pub fn new() -> Self {
        Self::default()
    }

    /// Starts on a free loopback port.
    pub fn start() -> io::Result<Server<Self>> {
        Server::start(Self::new())
    }

    /// Starts on `addr`, e.g. `"127.0.0.1:8793"`.
    pub fn start_on(addr: &str) -> io::Result<Server<Self>> {
        Server::start_on(Self::new(), addr)
    }

    /// The site requests received since the start or the last reset, in order.
    pub fn requests(&self) -> &[SiteRequest] {
        &self.requests
    }

    /// How long the slow site takes to answer from now on (unless a request says otherwise).
    pub fn set_slow_delay(&mut self, delay: Duration) {
        self.slow_delay = delay;
    }

    /// `site`'s home page, or `None` when there is no such site.
    fn home(&self, request: &Request, site: &str, base_url: &str) -> Option<Reply> {
        let own = |html: &str| {
            let url = format!("{base_url}/{site}");
            Reply::html(200, html.replace(SITE_PLACEHOLDER, &url))
        };
        Some(match site {
            RIDGELINE_PLUMBING => own(RIDGELINE_HTML),
            PINE_RIDGE_BAKERY => own(BAKERY_HTML),
            KIAMICHI_OUTFITTERS => own(OUTFITTERS_HTML),
            LATIN1_CAFE => Reply::bytes(
                200,
                "text/html; charset=iso-8859-1",
                CAFE_WINDOWS_1252.to_vec(),
            ),
            SLOW => {
                let delay = request
                    .query
                    .get("delay_ms")
                    .and_then(|ms| ms.parse().ok())
                    .map_or(self.slow_delay, Duration::from_millis);
                own(SLOW_HTML).after(delay)
            }
            BLOCKED => own(BLOCKED_HTML),
            REDIRECT_PRIVATE => moved(302, PRIVATE_TARGET),
            REDIRECT_OK => moved(301, &format!("/{PINE_RIDGE_BAKERY}/")),
            PDF => Reply::bytes(200, "application/pdf", MENU_PDF.to_vec()),
            _ => return None,
        })
    }

    fn control(&mut self, request: &Request, action: &str) -> Reply {
        match (request.method.as_str(), action) {
            ("GET", "requests") => Reply::json(200, &json!(self.requests)),
            // Everything back as it started: no requests, the default delay.
            ("POST", "reset") => {
                *self = Self::default();
                Reply::json(200, &json!({}))
            }
            ("POST", "slow") => match request.json().get("delay_ms").and_then(Value::as_u64) {
                Some(ms) => {
                    self.slow_delay = Duration::from_millis(ms);
                    Reply::json(200, &json!({"delay_ms": ms}))
                }
                None => Reply::json(
                    400,
                    &json!({"error": "the body must be {\"delay_ms\": <milliseconds>}"}),
                ),
            },
            _ => Reply::json(404, &json!({"error": "no such control endpoint"})),
        }
    }
}

/// The home page of `site` on a sites server at `base_url`.
pub fn home_url(base_url: &str, site: &str) -> String {
    format!("{base_url}/{site}/")
}

fn moved(status: u16, location: &str) -> Reply {
    Reply::bytes(status, "text/html; charset=utf-8", Vec::new()).with_header("Location", location)
}

fn not_found() -> Reply {
    page(404, "Not Found")
}

/// The plain error page a stock web server shows.
fn page(status: u16, title: &str) -> Reply {
    Reply::html(
        status,
        format!(
            "<!DOCTYPE html>\n<html><head><title>{status} {title}</title></head>\
             <body><h1>{title}</h1><hr><address>Apache Server</address></body></html>\n"
        ),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::blocking::{Client, Response};
    use reqwest::redirect::Policy;
    use std::time::Instant;

    const USER_AGENT: &str = "KiamichiBizConnectBot/1.0 (+https://kiamichibizconnect.com/bot)";

    fn client() -> Client {
        Client::builder()
            .redirect(Policy::none())
            .user_agent(USER_AGENT)
            .build()
            .unwrap()
    }

    fn get(server: &Server<Sites>, path: &str) -> Response {
        client()
            .get(format!("{}{path}", server.base_url()))
            .send()
            .unwrap()
    }

    fn post(server: &Server<Sites>, path: &str, body: Value) -> Response {
        client()
            .post(format!("{}{path}", server.base_url()))
            .body(body.to_string())
            .send()
            .unwrap()
    }

    fn requests(server: &Server<Sites>) -> Value {
        serde_json::from_str(&get(server, "/__fake/requests").text().unwrap()).unwrap()
    }

    fn content_type(reply: &Response) -> &str {
        reply.headers()["content-type"].to_str().unwrap()
    }

    fn location(reply: &Response) -> &str {
        reply.headers()["location"].to_str().unwrap()
    }

    /// The JSON-LD blocks of a page, parsed.
    fn json_ld(html: &str) -> Vec<Value> {
        html.split("<script type=\"application/ld+json\"")
            .skip(1)
            .map(|block| {
                let body = block.split_once('>').unwrap().1;
                serde_json::from_str(body.split("</script>").next().unwrap()).unwrap()
            })
            .collect()
    }

    #[test]
    fn the_plumbers_page_carries_a_json_ld_graph_with_its_own_urls() {
        let server = Sites::start().unwrap();

        let reply = get(&server, "/ridgeline-plumbing/");

        assert_eq!(reply.status(), 200);
        assert_eq!(content_type(&reply), "text/html; charset=utf-8");
        let html = reply.text().unwrap();
        let graph = json_ld(&html)[0]["@graph"].clone();
        let plumber = graph
            .as_array()
            .unwrap()
            .iter()
            .find(|node| node["@type"] == "Plumber")
            .unwrap();
        assert_eq!(plumber["telephone"], "(580) 555-0142");
        assert_eq!(plumber["address"]["streetAddress"], "12 Ridge Road");
        assert_eq!(plumber["address"]["postalCode"], "74745");
        assert_eq!(plumber["openingHoursSpecification"][1]["opens"], "08:00");
        let own = format!("{}/ridgeline-plumbing/", server.base_url());
        assert_eq!(plumber["url"], own.as_str());
        assert!(html.contains(&format!("<meta property=\"og:url\" content=\"{own}\">")));
        assert!(!html.contains(SITE_PLACEHOLDER));
    }

    #[test]
    fn the_bakery_splits_saturday_into_two_shifts() {
        let server = Sites::start().unwrap();

        let html = get(&server, "/pine-ridge-bakery/").text().unwrap();

        let bakery = &json_ld(&html)[0];
        assert_eq!(bakery["@type"], "Bakery");
        assert_eq!(bakery["address"]["addressLocality"], "Broken Bow");
        let saturdays: Vec<(&str, &str)> = bakery["openingHoursSpecification"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|spec| spec["dayOfWeek"] == "Saturday")
            .map(|spec| {
                (
                    spec["opens"].as_str().unwrap(),
                    spec["closes"].as_str().unwrap(),
                )
            })
            .collect();
        assert_eq!(saturdays, [("06:00", "10:00"), ("16:00", "20:00")]);
    }

    #[test]
    fn the_outfitters_page_has_microdata_links_and_written_hours_but_no_json_ld() {
        let server = Sites::start().unwrap();

        let html = get(&server, "/kiamichi-outfitters/").text().unwrap();

        assert!(json_ld(&html).is_empty());
        assert!(html.contains("itemtype=\"https://schema.org/LocalBusiness\""));
        assert!(html.contains("href=\"tel:+19185550163\""));
        assert!(html.contains("href=\"mailto:info@kiamichioutfitters.test\""));
        assert!(html.contains("https://www.youtube.com/@kiamichioutfitters"));
        assert!(html.contains("facebook.com/sharer/sharer.php?u="));
        assert!(html.contains("Mon–Fri 8am–6pm, Sat 9am–4pm, Sun closed"));
    }

    #[test]
    fn the_cafe_is_windows_1252_labelled_iso_8859_1() {
        let server = Sites::start().unwrap();

        let reply = get(&server, "/latin1-cafe/");

        assert_eq!(reply.status(), 200);
        assert_eq!(content_type(&reply), "text/html; charset=iso-8859-1");
        let bytes = reply.bytes().unwrap();
        assert!(std::str::from_utf8(&bytes).is_err());
        // `é` as ISO-8859-1 has it, `’` as only windows-1252 does.
        assert!(bytes.windows(4).any(|w| w == b"Caf\xe9"));
        assert!(bytes.windows(3).any(|w| w == b"We\x92"));
        assert!(bytes.windows(9).any(|w| w == b"telephone"));
    }

    #[test]
    fn robots_txt_disallows_only_the_blocked_site_and_only_to_the_bot() {
        let server = Sites::start().unwrap();

        let reply = get(&server, "/robots.txt");

        assert_eq!(reply.status(), 200);
        assert_eq!(content_type(&reply), "text/plain");
        let groups: Vec<String> = reply
            .text()
            .unwrap()
            .split("\n\n")
            .map(|group| {
                group
                    .lines()
                    .filter(|line| !line.starts_with('#'))
                    .collect::<Vec<_>>()
                    .join("\n")
            })
            .collect();
        assert_eq!(
            groups,
            [
                format!("User-agent: {BOT}\nDisallow: /blocked/"),
                "User-agent: *\nAllow: /".to_owned()
            ]
        );
        assert_eq!(get(&server, "/blocked/").status(), 200);
    }

    #[test]
    fn the_redirects_point_at_a_private_address_and_at_the_bakery() {
        let server = Sites::start().unwrap();

        let private = get(&server, "/redirect-private/");
        let ok = get(&server, "/redirect-ok/");

        assert_eq!(private.status(), 302);
        assert_eq!(location(&private), "http://10.0.0.1/admin");
        assert_eq!(ok.status(), 301);
        assert_eq!(location(&ok), "/pine-ridge-bakery/");
    }

    #[test]
    fn a_site_without_its_trailing_slash_is_moved_to_it() {
        let server = Sites::start().unwrap();

        let reply = get(&server, "/pine-ridge-bakery");

        assert_eq!(reply.status(), 301);
        assert_eq!(location(&reply), "/pine-ridge-bakery/");
    }

    #[test]
    fn the_broken_site_always_fails() {
        let server = Sites::start().unwrap();

        for path in ["/broken/", "/broken/contact.html"] {
            let reply = get(&server, path);
            assert_eq!(reply.status(), 500, "{path}");
            assert_eq!(content_type(&reply), "text/html; charset=utf-8");
        }
    }

    #[test]
    fn the_pdf_site_serves_a_pdf() {
        let server = Sites::start().unwrap();

        let reply = get(&server, "/pdf/");

        assert_eq!(reply.status(), 200);
        assert_eq!(content_type(&reply), "application/pdf");
        assert!(reply.bytes().unwrap().starts_with(b"%PDF-"));
    }

    #[test]
    fn unknown_sites_and_pages_are_not_found() {
        let server = Sites::start().unwrap();

        for path in [
            "/",
            "/nowhere/",
            "/ridgeline-plumbing/services/",
            "/favicon.ico",
        ] {
            let reply = get(&server, path);
            assert_eq!(reply.status(), 404, "{path}");
            assert!(reply.text().unwrap().contains("<h1>Not Found</h1>"));
        }
    }

    #[test]
    fn requests_are_recorded_in_order_with_their_user_agent_until_reset() {
        let server = Sites::start().unwrap();
        get(&server, "/robots.txt");
        get(&server, "/kiamichi-outfitters/?utm_source=test");

        let recorded = requests(&server);

        assert_eq!(
            recorded,
            json!([
                {"method": "GET", "path": "/robots.txt", "user_agent": USER_AGENT},
                {"method": "GET", "path": "/kiamichi-outfitters/", "user_agent": USER_AGENT},
            ])
        );
        assert_eq!(post(&server, "/__fake/reset", json!({})).status(), 200);
        let recorded = requests(&server);
        assert_eq!(recorded, json!([]));
    }

    #[test]
    fn the_slow_site_holds_up_no_other_site() {
        let server = Sites::start().unwrap();
        let base = server.base_url().to_owned();
        let started = Instant::now();
        let slow = std::thread::spawn(move || {
            client()
                .get(format!("{base}/slow/?delay_ms=1500"))
                .send()
                .unwrap()
                .status()
        });
        // The slow request is in (and recorded) before the fast one goes.
        while server.with(|sites| sites.requests().len()) == 0 {
            std::thread::sleep(Duration::from_millis(10));
        }

        let fast = get(&server, "/pine-ridge-bakery/");

        assert_eq!(fast.status(), 200);
        assert!(started.elapsed() < Duration::from_millis(1500));
        assert_eq!(slow.join().unwrap(), 200);
        assert!(started.elapsed() >= Duration::from_millis(1500));
    }

    #[test]
    fn the_slow_sites_delay_can_be_set_over_http() {
        let server = Sites::start().unwrap();
        assert_eq!(server.with(|sites| sites.slow_delay), SLOW_DEFAULT_DELAY);

        let reply = post(&server, "/__fake/slow", json!({"delay_ms": 50}));

        assert_eq!(reply.status(), 200);
        let started = Instant::now();
        assert_eq!(get(&server, "/slow/").status(), 200);
        assert!(started.elapsed() >= Duration::from_millis(50));
        post(&server, "/__fake/reset", json!({}));
        assert_eq!(server.with(|sites| sites.slow_delay), SLOW_DEFAULT_DELAY);
    }
}
