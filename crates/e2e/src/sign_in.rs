//! Signing in to the agent worker as a browser would, through the fake Google that
//! `cargo xtask test` runs (`KBC_OIDC_URL`): start at `/sign-in`, choose an identity on
//! the provider's page, come back through `/auth/callback` with the browser's sign-in
//! cookie. Each step is also available alone, for the tests that break one of them.

use crate::client::{Reply, Worker};

pub const SESSION_COOKIE: &str = "__Host-kbc-session";
pub const SIGN_IN_COOKIE: &str = "__Host-kbc-signin";

/// The fake provider's test identities (see `kbc_cf_fake::oidc::IDENTITIES`).
pub const ADMIN: &str = "admin@kiamichi.test";
pub const OWNER: &str = "owner@ridgeline-plumbing.test";
pub const NEIGHBOUR: &str = "neighbour@example.test";
pub const UNVERIFIED: &str = "unverified@example.test";

/// The value of cookie `name` among an answer's `Set-Cookie` headers.
pub fn set_cookie(reply: &Reply, name: &str) -> Option<String> {
    reply
        .headers_named("set-cookie")
        .into_iter()
        .find_map(|header| {
            let (pair, _) = header.split_once(';').unwrap_or((header, ""));
            let (key, value) = pair.split_once('=')?;
            (key.trim() == name).then(|| value.trim().to_owned())
        })
}

/// The full `Set-Cookie` header of cookie `name`, attributes included.
pub fn set_cookie_header<'a>(reply: &'a Reply, name: &str) -> Option<&'a str> {
    reply
        .headers_named("set-cookie")
        .into_iter()
        .find(|header| header.starts_with(&format!("{name}=")))
}

/// A started sign-in: the provider URL the browser was sent to and the cookie binding it.
pub struct Started {
    pub authorize_url: url::Url,
    pub state_cookie: String,
}

/// `POST /sign-in` from our own page, asking to come back to `next`.
pub fn start(agent: &Worker, next: &str) -> Started {
    let body = url::form_urlencoded::Serializer::new(String::new())
        .append_pair("next", next)
        .finish();
    let send = || {
        agent.send(
            "POST",
            "/sign-in",
            &[
                ("Origin", agent.origin()),
                ("Content-Type", "application/x-www-form-urlencoded"),
            ],
            Some(body.as_bytes()),
        )
    };
    let mut reply = send();
    // wrangler dev's proxy answers this itself when it swapped the local runtime under a
    // POST (it retries only GETs); the worker never saw the request, so it is sent again.
    if reply.status == 503 && reply.body.contains("restarted mid-request") {
        std::thread::sleep(std::time::Duration::from_secs(1));
        reply = send();
    }
    assert_eq!(reply.status, 303, "starting a sign-in: {}", reply.body);
    let location = reply
        .header("location")
        .expect("the sign-in goes to the provider");
    Started {
        authorize_url: url::Url::parse(location).expect("the provider URL is a URL"),
        state_cookie: set_cookie(&reply, SIGN_IN_COOKIE).expect("the sign-in cookie is set"),
    }
}

/// The provider's answer when `email` is chosen on its page: the callback URL (path and
/// query) it sends the browser to.
pub fn choose(started: &Started, email: &str) -> String {
    let provider =
        std::env::var("KBC_OIDC_URL").expect("KBC_OIDC_URL is set by `cargo xtask test`");
    let mut form = url::form_urlencoded::Serializer::new(String::new());
    for (name, value) in started.authorize_url.query_pairs() {
        form.append_pair(&name, &value);
    }
    form.append_pair("identity", email);
    let body = form.finish();
    let reply = Worker::at(&provider).send(
        "POST",
        "/o/oauth2/v2/auth/approve",
        &[("Content-Type", "application/x-www-form-urlencoded")],
        Some(body.as_bytes()),
    );
    assert_eq!(reply.status, 302, "the provider approves: {}", reply.body);
    let callback = url::Url::parse(
        reply
            .header("location")
            .expect("the provider redirects back"),
    )
    .unwrap();
    format!(
        "{}?{}",
        callback.path(),
        callback.query().unwrap_or_default()
    )
}

/// Comes back to the callback with the browser's sign-in cookie.
pub fn come_back(agent: &Worker, callback: &str, state_cookie: &str) -> Reply {
    agent.send(
        "GET",
        callback,
        &[("Cookie", &format!("{SIGN_IN_COOKIE}={state_cookie}"))],
        None,
    )
}

/// A signed-in browser: its session cookie.
pub struct Session {
    pub id: String,
    /// Where the callback sent the browser.
    pub landed_on: String,
    pub callback: Reply,
}

impl Session {
    pub fn cookie(&self) -> String {
        format!("{SESSION_COOKIE}={}", self.id)
    }

    pub fn get(&self, agent: &Worker, path: &str) -> Reply {
        agent.send("GET", path, &[("Cookie", &self.cookie())], None)
    }

    /// Posts a form from our own page, with the CSRF token the page at `page` carries.
    pub fn post_form(
        &self,
        agent: &Worker,
        page: &str,
        action: &str,
        fields: &[(&str, &str)],
    ) -> Reply {
        let token = csrf_token(&self.get(agent, page).body);
        let mut form = url::form_urlencoded::Serializer::new(String::new());
        form.append_pair("csrf", &token);
        for (name, value) in fields {
            form.append_pair(name, value);
        }
        self.post_raw(agent, action, &form.finish(), agent.origin())
    }

    /// Posts a form body as is, claiming to come from `origin`.
    pub fn post_raw(&self, agent: &Worker, action: &str, body: &str, origin: &str) -> Reply {
        agent.send(
            "POST",
            action,
            &[
                ("Cookie", &self.cookie()),
                ("Origin", origin),
                ("Content-Type", "application/x-www-form-urlencoded"),
            ],
            Some(body.as_bytes()),
        )
    }
}

/// Signs in as `email`, coming back to `next`.
pub fn sign_in_as(agent: &Worker, email: &str, next: &str) -> Session {
    let started = start(agent, next);
    let callback = choose(&started, email);
    let reply = come_back(agent, &callback, &started.state_cookie);
    assert_eq!(reply.status, 303, "the callback signs in: {}", reply.body);
    Session {
        id: set_cookie(&reply, SESSION_COOKIE).expect("a session cookie"),
        landed_on: reply.header("location").unwrap_or_default().to_owned(),
        callback: reply,
    }
}

/// The CSRF token in a console page's forms.
pub fn csrf_token(page: &str) -> String {
    let marker = "name=\"csrf\" value=\"";
    let start = page
        .find(marker)
        .map(|at| at + marker.len())
        .expect("the page has a form with a CSRF token");
    page[start..]
        .chars()
        .take_while(|c| c.is_ascii_hexdigit())
        .collect()
}
