//! Reading a listing's website as the guard allows: the address checked before any request,
//! `robots.txt` asked first (per origin), redirects followed by hand and each hop checked
//! again (at most three), one time limit over the whole read, the body cut at its cap as it
//! streams, and only HTML kept. What can never be read is [`Unreadable::Refused`] (not
//! retried); what may work later (a timeout, a 5xx, a dropped connection) is
//! [`Unreadable::Transient`] (the queue retries it).

use futures_util::StreamExt;
use kbc_edge::http::within;
use kbc_scrape::guard::{self, Guard, MAX_BODY_BYTES, MAX_REDIRECTS};
use kbc_scrape::robots::{MAX_ROBOTS_BYTES, Robots, robots_url};
use std::time::Duration;
use url::Url;
use worker::{AbortController, Fetch, Headers, Method, Request, RequestInit, RequestRedirect};

/// A page as read: where it ended up, its declared type and its bytes (at most the cap).
pub struct Page {
    pub url: Url,
    pub content_type: Option<String>,
    pub body: Vec<u8>,
}

/// Why a website could not be read, in a sentence for owners and operators (never a URL's
/// credentials: the guard refuses those before anything is sent).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Unreadable {
    Refused(String),
    Transient(String),
}

/// What one GET answered.
struct Answer {
    status: u16,
    location: Option<String>,
    content_type: Option<String>,
    body: Vec<u8>,
}

/// Reads `website` within `limit`.
pub async fn read(guard: &Guard, website: &str, limit: Duration) -> Result<Page, Unreadable> {
    let controller = AbortController::default();
    match within(limit, follow(guard, website, &controller)).await {
        Some(result) => result,
        None => {
            controller.abort();
            Err(Unreadable::Transient(format!(
                "the website did not answer within {} seconds",
                limit.as_secs()
            )))
        }
    }
}

async fn follow(
    guard: &Guard,
    website: &str,
    controller: &AbortController,
) -> Result<Page, Unreadable> {
    let refused = |r: guard::Refusal| Unreadable::Refused(r.to_string());
    let mut url = guard.check(website).map_err(refused)?;
    let mut robots_for: Option<(url::Origin, Robots)> = None;
    for hops in 0..=MAX_REDIRECTS {
        let origin = url.origin();
        let allowed = match &robots_for {
            Some((known, robots)) if *known == origin => robots.allows(&url),
            _ => {
                let robots = robots(&url, controller).await?;
                let allowed = robots.allows(&url);
                robots_for = Some((origin, robots));
                allowed
            }
        };
        if !allowed {
            return Err(Unreadable::Refused(
                "the website's robots.txt asks crawlers like ours not to read this page".into(),
            ));
        }
        let answer = get(&url, MAX_BODY_BYTES, controller).await?;
        match answer.status {
            300..=399 => {
                let location = answer.location.ok_or_else(|| {
                    Unreadable::Refused("the website redirected without saying where".into())
                })?;
                // `hops` redirects were followed before this one.
                url = guard.redirect(&url, &location, hops).map_err(refused)?;
            }
            200..=299 => {
                let is_html = answer.content_type.as_deref().is_some_and(|t| {
                    let t = t.to_ascii_lowercase();
                    t.starts_with("text/html") || t.starts_with("application/xhtml+xml")
                });
                if !is_html {
                    return Err(Unreadable::Refused("the website's page is not HTML".into()));
                }
                return Ok(Page {
                    url,
                    content_type: answer.content_type,
                    body: answer.body,
                });
            }
            429 | 500..=599 => {
                return Err(Unreadable::Transient(format!(
                    "the website answered {}",
                    answer.status
                )));
            }
            status => {
                return Err(Unreadable::Refused(format!(
                    "the website answered {status}"
                )));
            }
        }
    }
    Err(refused(guard::Refusal::TooManyRedirects))
}

/// The rules `robots.txt` sets for the page's origin: missing (4xx) allows everything; a
/// server error is retried later rather than read as a refusal of the whole site.
async fn robots(page: &Url, controller: &AbortController) -> Result<Robots, Unreadable> {
    let answer = get(&robots_url(page), MAX_ROBOTS_BYTES, controller).await?;
    match answer.status {
        200..=299 => Ok(Robots::parse(&String::from_utf8_lossy(&answer.body))),
        // A redirected robots.txt is not followed: read as missing.
        300..=499 => Ok(Robots::allow_all()),
        status => Err(Unreadable::Transient(format!(
            "the website's robots.txt answered {status}"
        ))),
    }
}

/// One GET without following redirects, the body read up to `cap` bytes.
async fn get(url: &Url, cap: usize, controller: &AbortController) -> Result<Answer, Unreadable> {
    let transient =
        |what: &str| Unreadable::Transient(format!("the website could not be reached ({what})"));
    let headers = Headers::new();
    headers
        .set("User-Agent", guard::USER_AGENT)
        .and_then(|()| headers.set("Accept", "text/html,application/xhtml+xml;q=0.9,*/*;q=0.1"))
        .map_err(|_| transient("headers"))?;
    let mut init = RequestInit::new();
    init.with_method(Method::Get)
        .with_headers(headers)
        .with_redirect(RequestRedirect::Manual);
    let request = Request::new_with_init(url.as_str(), &init).map_err(|_| transient("request"))?;
    let mut response = Fetch::Request(request)
        .send_with_signal(&controller.signal())
        .await
        .map_err(|_| transient("connection"))?;
    let status = response.status_code();
    let header = |name: &str| response.headers().get(name).ok().flatten();
    let location = header("Location");
    let content_type = header("Content-Type");
    let mut body = Vec::new();
    if (200..300).contains(&status)
        && let Ok(mut stream) = response.stream()
    {
        while let Some(chunk) = stream.next().await {
            let chunk = chunk.map_err(|_| transient("reading the page"))?;
            let room = cap.saturating_sub(body.len());
            body.extend(chunk.into_iter().take(room));
            if body.len() >= cap {
                break;
            }
        }
    }
    Ok(Answer {
        status,
        location,
        content_type,
        body,
    })
}
