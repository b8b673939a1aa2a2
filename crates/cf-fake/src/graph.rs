//! The fake of Meta's Graph API as the product uses it: the login dialog as a page offering
//! the test [`PEOPLE`] (each with their Pages), the code and long-lived token exchanges,
//! `/me/accounts`, a Page's token, `debug_token`, publishing to a Page's feed (text, and
//! photos as multipart uploads), reading the feed back (reconciliation), a post's reactions,
//! comments and reach, and replies to comments, under any `/v{major}.{minor}/` from
//! [`MIN_VERSION`] on, in Meta's wire formats and errors.
//!
//! Every token it issues is random and remembered: one it never issued, one a test made
//! invalid and one past its expiry are refused with Meta's error 190. Stricter than Meta:
//! tokens are read only from `Authorization: Bearer`, a secret in a URL's query is refused,
//! and the login dialog requires `state`, so a client that leaks tokens or skips CSRF
//! protection fails locally.
//!
//! Tests in another process drive it over HTTP (`/__fake/…`): what it was asked (parameter
//! names, never tokens), what was published, failures and rate limits on demand, Page tokens
//! that expire or go invalid, and which Page token each publish used.

use crate::http::{self, Handler, Reply, Request, Server};
use crate::oidc::{escape, hidden, html_page, random_hex};
use kbc_domain::hours::iso_date;
use serde::Serialize;
use serde_json::{Map, Value, json};
use std::collections::BTreeMap;
use std::io;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};
use url::Url;

/// The Meta app the fake knows (`client_id`); numeric, like Meta's.
pub const APP_ID: &str = "1302847561920384";
pub const APP_SECRET: &str = "fake-facebook-app-secret-4b7e1d92";
/// What `debug_token` calls the app.
pub const APP_NAME: &str = "Kiamichi Biz Connect (local fake)";
/// The oldest Graph API version served (`/v22.0/` on); older ones are gone, as at Meta.
pub const MIN_VERSION: u32 = 22;
/// The permissions the product asks for in the login dialog. Tokens carry what was granted,
/// and each call needs its own: `pages_show_list` lists Pages, `pages_manage_posts` with
/// `pages_read_engagement` publishes, `pages_read_engagement` reads the feed and a post's
/// counts, `read_insights` its reach, `pages_manage_engagement` replies to comments.
pub const SCOPES: [&str; 5] = [
    "pages_show_list",
    "pages_read_engagement",
    "pages_manage_posts",
    "pages_manage_engagement",
    "read_insights",
];
/// What the code exchange's (short-lived) user token lasts, in seconds.
pub const SHORT_LIVED_SECS: u64 = 7199;
/// What the long-lived user token lasts (about 60 days), in seconds.
pub const LONG_LIVED_SECS: u64 = 5_183_944;
/// A post's counts until a test sets them (`POST /__fake/stats`).
pub const DEFAULT_STATS: Stats = Stats {
    reactions: 3,
    comments: 1,
    reach: 120,
};

/// A Facebook Page one of the test people manages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Page {
    pub id: &'static str,
    pub name: &'static str,
    pub category: &'static str,
}

/// A person the login dialog offers, with the Pages they manage.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Person {
    /// The app-scoped user id.
    pub id: &'static str,
    pub name: &'static str,
    pub pages: &'static [Page],
}

pub const PINE_RIDGE_BAKERY: Page = Page {
    id: "104729384756101",
    name: "Pine Ridge Bakery",
    category: "Bakery",
};
pub const RIDGELINE_PLUMBING: Page = Page {
    id: "104729384756102",
    name: "Ridgeline Plumbing",
    category: "Plumbing Service",
};
pub const KIAMICHI_OUTFITTERS: Page = Page {
    id: "104729384756103",
    name: "Kiamichi Outfitters",
    category: "Outdoor & Sporting Goods Company",
};
/// The directory's own Page.
pub const KIAMICHI_BIZ_CONNECT: Page = Page {
    id: "104729384756100",
    name: "Kiamichi Biz Connect",
    category: "Community",
};

/// A business owner with one Page.
pub const OWNER: Person = Person {
    id: "10229384756000001",
    name: "Paula Baker",
    pages: &[PINE_RIDGE_BAKERY],
};
/// A business owner with two Pages, who must pick one.
pub const TWO_PAGES_OWNER: Person = Person {
    id: "10229384756000002",
    name: "Rick Ridgeline",
    pages: &[RIDGELINE_PLUMBING, KIAMICHI_OUTFITTERS],
};
/// The directory's admin, who manages its own Page.
pub const ADMIN: Person = Person {
    id: "10229384756000003",
    name: "Ada Admin",
    pages: &[KIAMICHI_BIZ_CONNECT],
};
/// Someone with no Page at all.
pub const NO_PAGES: Person = Person {
    id: "10229384756000004",
    name: "Nia Neighbour",
    pages: &[],
};
/// Everyone the login dialog offers.
pub const PEOPLE: [Person; 4] = [OWNER, TWO_PAGES_OWNER, ADMIN, NO_PAGES];

const CONTROL_PREFIX: &str = "/__fake/";
const DIALOG_TITLE: &str = "Log in With Facebook – Fake Facebook";
/// The dialog's parameters its page carries on to the choice.
const CARRIED_PARAMETERS: [&str; 5] = [
    "client_id",
    "redirect_uri",
    "state",
    "scope",
    "response_type",
];
/// Permissions Meta knows besides [`SCOPES`]; any other asked for is an invalid scope.
const OTHER_PERMISSIONS: [&str; 4] = [
    "public_profile",
    "email",
    "pages_manage_metadata",
    "pages_read_user_content",
];
/// Secrets a URL must never carry (URLs end up in logs); `debug_token`'s `input_token` is
/// Meta's documented exception.
const NEVER_IN_URL: [&str; 3] = ["access_token", "client_secret", "fb_exchange_token"];
/// Parameters whose values `/__fake/requests` shows; of any other only the name is shown.
const SHOWN_VALUES: [&str; 12] = [
    "fields",
    "since",
    "until",
    "limit",
    "metric",
    "message",
    "caption",
    "link",
    "published",
    "grant_type",
    "redirect_uri",
    "scope",
];
/// What a login code lasts.
const CODE_LIFETIME: Duration = Duration::from_secs(600);
/// `data_access_expires_at`: 90 days after the login.
const DATA_ACCESS_SECS: u64 = 90 * 86_400;
/// Post, photo, comment and reply ids count up from here, so every one is distinct.
const ID_BASE: u64 = 122_100_000_000_000_000;
const FEED_DEFAULT_LIMIT: usize = 25;
const FEED_MAX_LIMIT: usize = 100;
/// What a Page token lets its holder do on the Page.
const TASKS: [&str; 4] = ["ADVERTISE", "CREATE_CONTENT", "MODERATE", "MANAGE"];
/// Meta's codes a client may retry: transient errors and rate limits.
const TRANSIENT_CODES: [u32; 6] = [1, 2, 4, 17, 32, 613];

/// A post's counts: reactions, comments and reach (`post_impressions_unique`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Stats {
    pub reactions: u64,
    pub comments: u64,
    pub reach: u64,
}

/// A post published to a Page (through `/feed`, or `/photos` with a photo).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Post {
    pub page_id: String,
    /// `{page_id}_{n}`.
    pub post_id: String,
    pub photo_id: Option<String>,
    pub message: Option<String>,
    pub link: Option<String>,
    pub has_photo: bool,
    pub photo_bytes: usize,
    pub photo_content_type: Option<String>,
    /// Unix seconds.
    pub created_time: u64,
}

/// A Page's reply to a comment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CommentReply {
    pub page_id: String,
    pub post_id: String,
    pub comment_id: String,
    pub reply_id: String,
    pub message: String,
    pub created_time: u64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    ShortUser,
    LongUser,
    Page(&'static Page),
}

#[derive(Debug, Clone)]
struct Token {
    kind: Kind,
    person: &'static Person,
    scopes: Vec<String>,
    issued_at: u64,
    /// Unix seconds; 0: never.
    expires_at: u64,
    invalid: bool,
    /// Which of its Page's tokens this is (1, 2, …); 0 for user tokens.
    generation: u32,
}

impl Token {
    /// Why Meta would refuse it now: the message and `error_subcode`.
    fn problem(&self, now: u64) -> Option<(&'static str, u32)> {
        if self.invalid {
            Some((
                "Error validating access token: The session has been invalidated because the user \
                 changed their password or Facebook has changed the session for security reasons.",
                460,
            ))
        } else if self.expires_at != 0 && self.expires_at <= now {
            Some(("Error validating access token: Session has expired.", 463))
        } else {
            None
        }
    }

    fn is_user(&self) -> bool {
        matches!(self.kind, Kind::ShortUser | Kind::LongUser)
    }
}

/// A login code, kept once redeemed so a second use is refused as such.
#[derive(Debug)]
struct Code {
    person: &'static Person,
    redirect_uri: String,
    scopes: Vec<String>,
    issued: Instant,
    used: bool,
}

/// An answer a test asked for (`POST /__fake/fail`).
#[derive(Debug, Clone)]
struct Failure {
    method: Option<String>,
    path_contains: String,
    status: u16,
    code: u32,
    subcode: Option<u32>,
    message: Option<String>,
    times: u32,
    /// The request is carried out and only its answer fails, as when Meta publishes a post
    /// but the connection drops before the id comes back.
    applied: bool,
}

impl Failure {
    fn parse(body: &Value) -> Result<Self, String> {
        let number = |name: &str| match body.get(name) {
            None | Some(Value::Null) => Ok(None),
            Some(value) => value
                .as_u64()
                .map(Some)
                .ok_or(format!("{name} must be a whole number")),
        };
        let text = |name: &str| body.get(name).and_then(Value::as_str).map(str::to_owned);
        let code = number("code")?;
        let status = match number("status")? {
            Some(status) => u16::try_from(status)
                .ok()
                .filter(|s| (400..=599).contains(s))
                .ok_or("status must be an error status (400-599)")?,
            None if matches!(code, None | Some(1 | 2)) => 500,
            None => 400,
        };
        let code = match code {
            Some(code) => u32::try_from(code).map_err(|_| "code is too large")?,
            None if status >= 500 => 2,
            None => 100,
        };
        Ok(Self {
            method: text("method").map(|m| m.to_ascii_uppercase()),
            path_contains: text("path_contains").unwrap_or_default(),
            status,
            code,
            subcode: number("subcode")?.and_then(|s| u32::try_from(s).ok()),
            message: text("message"),
            times: number("times")?
                .map_or(Ok(1), u32::try_from)
                .map_err(|_| "times is too large")?,
            applied: body
                .get("applied")
                .and_then(Value::as_bool)
                .unwrap_or(false),
        })
    }

    fn matches(&self, request: &Request) -> bool {
        self.method.as_ref().is_none_or(|m| *m == request.method)
            && request.path.contains(&self.path_contains)
    }

    fn reply(&self) -> Reply {
        let message = self.message.clone().unwrap_or_else(|| {
            match self.code {
                1 => "An unknown error has occurred.",
                2 => "An unexpected error has occurred. Please retry your request later.",
                4 => "(#4) Application request limit reached",
                17 => "(#17) User request limit reached",
                32 => "(#32) Page request limit reached",
                613 => "(#613) Calls to this api have exceeded the rate limit.",
                190 => "Error validating access token: Session has expired.",
                200 => "(#200) Permissions error",
                _ => "(#100) Invalid parameter",
            }
            .to_owned()
        });
        meta_error(self.status, self.code, self.subcode, &message)
    }
}

/// The photo of a multipart upload (its `source` part).
struct Photo {
    bytes: Vec<u8>,
    content_type: Option<String>,
}

/// A request's parameters: the query's, then the body's (a form, a JSON object or the text
/// parts of a multipart upload) over them.
struct Params {
    values: BTreeMap<String, String>,
    /// In the order sent, each once.
    names: Vec<String>,
    photo: Option<Photo>,
}

impl Params {
    fn of(request: &Request) -> Self {
        let mut pairs: Vec<(String, String)> = request.query_pairs.clone();
        let mut photo = None;
        let content_type = request
            .header("content-type")
            .unwrap_or_default()
            .to_ascii_lowercase();
        let mut names: Vec<String> = Vec::new();
        if content_type.starts_with("multipart/form-data") {
            for part in http::multipart(request) {
                if part.name == "source" {
                    names.push(part.name);
                    photo = Some(Photo {
                        bytes: part.content,
                        content_type: part.content_type,
                    });
                } else {
                    let value = String::from_utf8_lossy(&part.content).into_owned();
                    pairs.push((part.name, value));
                }
            }
        } else if content_type.starts_with("application/json") {
            if let Value::Object(fields) = request.json() {
                pairs.extend(fields.into_iter().map(|(name, value)| match value {
                    Value::String(text) => (name, text),
                    other => (name, other.to_string()),
                }));
            }
        } else if !request.body.is_empty() {
            pairs.extend(request.form());
        }
        for (name, _) in &pairs {
            if !names.contains(name) {
                names.push(name.clone());
            }
        }
        Self {
            values: pairs.into_iter().collect(),
            names,
            photo,
        }
    }

    fn get(&self, name: &str) -> Option<&str> {
        self.values.get(name).map(String::as_str)
    }

    /// A parameter that is present and not blank.
    fn text(&self, name: &str) -> Option<&str> {
        self.get(name).filter(|v| !v.trim().is_empty())
    }

    /// What `/__fake/requests` may show: secrets and codes by name only.
    fn shown(&self) -> Value {
        let values: Map<String, Value> = self
            .values
            .iter()
            .filter(|(name, _)| SHOWN_VALUES.contains(&name.as_str()))
            .map(|(name, value)| (name.clone(), json!(value)))
            .collect();
        json!({"params": self.names, "values": values})
    }
}

/// The fake's state; reach it through [`Server::with`] or, from another process, `/__fake/…`.
#[derive(Debug, Default)]
pub struct Graph {
    codes: BTreeMap<String, Code>,
    tokens: BTreeMap<String, Token>,
    /// Page id → the token the Page's token requests answer while it stays good.
    current: BTreeMap<&'static str, String>,
    /// Page id → how many tokens it was issued.
    generations: BTreeMap<&'static str, u32>,
    /// Page id → the generation of the token each publish used, in order.
    uses: BTreeMap<&'static str, Vec<u32>>,
    posts: Vec<Post>,
    replies: Vec<CommentReply>,
    /// Comments tests made (`POST /__fake/comments`): comment id → post id.
    comments: BTreeMap<String, String>,
    stats: BTreeMap<String, Stats>,
    failures: Vec<Failure>,
    requests: Vec<Value>,
    next_id: u64,
}

impl Handler for Graph {
    fn handle(&mut self, request: &Request, _base_url: &str) -> Reply {
        if let Some(action) = request.path.strip_prefix(CONTROL_PREFIX) {
            return self.control(request, action);
        }
        let params = Params::of(request);
        let holder = self.holder(request);
        let reply = self
            .graph(request, &params)
            .unwrap_or_else(|refusal| refusal);
        let mut record = params.shown();
        record["method"] = json!(request.method);
        record["path"] = json!(request.path);
        record["token"] = json!(holder);
        record["status"] = json!(reply.status);
        self.requests.push(record);
        reply
    }
}

impl Graph {
    pub fn new() -> Self {
        Self::default()
    }

    /// Starts on a free loopback port.
    pub fn start() -> io::Result<Server<Self>> {
        Server::start(Self::new())
    }

    /// Starts on `addr`, e.g. `"127.0.0.1:8794"`.
    pub fn start_on(addr: &str) -> io::Result<Server<Self>> {
        Server::start_on(Self::new(), addr)
    }

    /// Every post published, in order.
    pub fn posts(&self) -> &[Post] {
        &self.posts
    }

    /// Every reply to a comment, in order.
    pub fn replies(&self) -> &[CommentReply] {
        &self.replies
    }

    /// What kind of token the request carries, for the record: never the token itself.
    fn holder(&self, request: &Request) -> &'static str {
        match bearer(request) {
            None => "none",
            Some(token) if token == app_token() => "app",
            Some(token) => match self.tokens.get(token).map(|t| t.kind) {
                Some(Kind::ShortUser | Kind::LongUser) => "user",
                Some(Kind::Page(_)) => "page",
                None => "unknown",
            },
        }
    }

    fn graph(&mut self, request: &Request, params: &Params) -> Result<Reply, Reply> {
        let (version, segments) = versioned(&request.path)?;
        if let Some(name) = NEVER_IN_URL
            .iter()
            .find(|name| request.query.contains_key(**name))
        {
            return Err(meta_error(
                400,
                100,
                None,
                &format!(
                    "(#100) {name} must not be sent in the URL (the fake refuses what would be logged)"
                ),
            ));
        }
        let failure = self.take_failure(request);
        if let Some(failure) = failure.as_ref().filter(|f| !f.applied) {
            return Err(failure.reply());
        }
        let reply = self.route(request, params, version, &segments);
        match failure {
            Some(failure) => Err(failure.reply()),
            None => reply,
        }
    }

    fn take_failure(&mut self, request: &Request) -> Option<Failure> {
        let index = self.failures.iter().position(|f| f.matches(request))?;
        let failure = self.failures.get_mut(index)?;
        failure.times = failure.times.saturating_sub(1);
        let taken = failure.clone();
        if taken.times == 0 {
            self.failures.remove(index);
        }
        Some(taken)
    }

    fn route(
        &mut self,
        request: &Request,
        params: &Params,
        version: &str,
        segments: &[&str],
    ) -> Result<Reply, Reply> {
        match (request.method.as_str(), segments) {
            ("GET", ["dialog", "oauth"]) => dialog(params, version),
            ("POST", ["dialog", "oauth", "confirm"]) => self.confirm(params),
            ("GET" | "POST", ["oauth", "access_token"]) => self.exchange(params),
            ("GET", ["debug_token"]) => self.debug_token(request, params),
            ("GET", ["me"]) => {
                let (_, token) = self.caller(request)?;
                let (id, name) = match token.kind {
                    Kind::Page(page) => (page.id, page.name),
                    Kind::ShortUser | Kind::LongUser => (token.person.id, token.person.name),
                };
                Ok(Reply::json(200, &json!({"id": id, "name": name})))
            }
            ("GET", ["me", "accounts"]) => self.accounts(request),
            ("GET", [id]) => self.object(request, params, id),
            ("POST", [page, "feed"]) => self.publish(request, params, page),
            ("GET", [page, "feed"]) => self.feed(request, params, page),
            ("POST", [page, "photos"]) => self.publish_photo(request, params, page),
            ("GET", [post, "insights"]) => self.insights(request, params, post),
            ("POST", [comment, "comments"]) => self.reply(request, params, comment),
            (method, _) => Err(unsupported(method, segments.join("/").as_str())),
        }
    }

    fn confirm(&mut self, params: &Params) -> Result<Reply, Reply> {
        let dialog = Dialog::parse(params)?;
        let mut answer: Vec<(&str, String)> = Vec::new();
        if params.get("cancel").is_some() {
            answer.extend([
                ("error", "access_denied".to_owned()),
                ("error_code", "200".to_owned()),
                ("error_description", "Permissions error".to_owned()),
                ("error_reason", "user_denied".to_owned()),
            ]);
        } else {
            let chosen = params.get("person").unwrap_or_default();
            let Some(person) = PEOPLE.iter().find(|p| p.id == chosen) else {
                return Err(dialog_error(&format!("No such person: {chosen}")));
            };
            let code = format!("AQ{}", random(48)?);
            self.codes.insert(
                code.clone(),
                Code {
                    person,
                    redirect_uri: dialog.redirect_uri.to_owned(),
                    scopes: dialog.scopes,
                    issued: Instant::now(),
                    used: false,
                },
            );
            answer.push(("code", code));
        }
        answer.push(("state", dialog.state.to_owned()));
        let mut location = dialog.redirect_url;
        location.query_pairs_mut().extend_pairs(answer);
        Ok(Reply::redirect(location.as_str()))
    }

    fn exchange(&mut self, params: &Params) -> Result<Reply, Reply> {
        if params.get("client_id") != Some(APP_ID) {
            return Err(meta_error(
                400,
                101,
                None,
                "Error validating application. Invalid application ID.",
            ));
        }
        if params.get("client_secret") != Some(APP_SECRET) {
            return Err(meta_error(400, 1, None, "Error validating client secret."));
        }
        let (person, scopes, kind, lifetime) =
            if params.get("grant_type") == Some("fb_exchange_token") {
                let presented = params.get("fb_exchange_token").unwrap_or_default();
                let token = self.valid(presented)?;
                if !token.is_user() {
                    return Err(meta_error(
                        400,
                        100,
                        None,
                        "(#100) fb_exchange_token must be a user access token",
                    ));
                }
                (token.person, token.scopes, Kind::LongUser, LONG_LIVED_SECS)
            } else {
                let (person, scopes) = self.redeem(params)?;
                (person, scopes, Kind::ShortUser, SHORT_LIVED_SECS)
            };
        let now = now();
        let access_token = self.mint(Token {
            kind,
            person,
            scopes,
            issued_at: now,
            expires_at: now + lifetime,
            invalid: false,
            generation: 0,
        })?;
        Ok(Reply::json(
            200,
            &json!({"access_token": access_token, "token_type": "bearer", "expires_in": lifetime}),
        ))
    }

    /// The person and permissions the form's code grants, spent by this attempt whatever its
    /// outcome.
    fn redeem(&mut self, params: &Params) -> Result<(&'static Person, Vec<String>), Reply> {
        let refuse = |message: &str, subcode: u32| meta_error(400, 100, Some(subcode), message);
        let code = params
            .text("code")
            .ok_or_else(|| meta_error(400, 100, None, "(#100) Missing authorization code"))?;
        let grant = self
            .codes
            .get_mut(code)
            .ok_or_else(|| refuse("Invalid verification code format.", 36007))?;
        if grant.used {
            return Err(refuse("This authorization code has been used.", 36009));
        }
        grant.used = true;
        if grant.issued.elapsed() > CODE_LIFETIME {
            return Err(refuse("This authorization code has expired.", 36007));
        }
        if params.get("redirect_uri") != Some(grant.redirect_uri.as_str()) {
            return Err(refuse(
                "Error validating verification code. Please make sure your redirect_uri is identical \
                 to the one you used in the OAuth dialog request",
                36008,
            ));
        }
        Ok((grant.person, grant.scopes.clone()))
    }

    fn debug_token(&self, request: &Request, params: &Params) -> Result<Reply, Reply> {
        match bearer(request) {
            None => return Err(token_required()),
            Some(token) if token != app_token() => {
                return Err(meta_error(
                    400,
                    190,
                    None,
                    "Invalid OAuth access token signature.",
                ));
            }
            Some(_) => {}
        }
        let input = params.text("input_token").ok_or_else(|| {
            meta_error(
                400,
                100,
                None,
                "(#100) The parameter input_token is required",
            )
        })?;
        let Some(token) = self.tokens.get(input) else {
            let data = json!({
                "error": {"code": 190, "message": "Invalid OAuth access token - Cannot parse access token"},
                "is_valid": false,
                "scopes": [],
            });
            return Ok(Reply::json(200, &json!({"data": data})));
        };
        let mut data = json!({
            "app_id": APP_ID,
            "type": if token.is_user() { "USER" } else { "PAGE" },
            "application": APP_NAME,
            "data_access_expires_at": token.issued_at + DATA_ACCESS_SECS,
            "expires_at": token.expires_at,
            "is_valid": true,
            "issued_at": token.issued_at,
            "scopes": token.scopes,
            "user_id": token.person.id,
        });
        if let Kind::Page(page) = token.kind {
            data["profile_id"] = json!(page.id);
        }
        if let Some((message, subcode)) = token.problem(now()) {
            data["is_valid"] = json!(false);
            data["error"] = json!({"code": 190, "message": message, "subcode": subcode});
        }
        Ok(Reply::json(200, &json!({"data": data})))
    }

    fn accounts(&mut self, request: &Request) -> Result<Reply, Reply> {
        let (_, user) = self.caller(request)?;
        if !user.is_user() {
            return Err(meta_error(
                400,
                100,
                None,
                "(#100) Tried accessing nonexisting field (accounts) on node type (Page)",
            ));
        }
        // Without pages_show_list Meta lists no Page rather than refusing.
        let pages = match user.scopes.iter().any(|s| s == "pages_show_list") {
            true => user.person.pages,
            false => &[],
        };
        let mut data = Vec::new();
        for page in pages {
            let access_token = self.page_token(page, &user)?;
            data.push(json!({
                "access_token": access_token,
                "category": page.category,
                "category_list": [{"id": "2200", "name": page.category}],
                "name": page.name,
                "id": page.id,
                "tasks": TASKS,
            }));
        }
        let mut answer = json!({"data": data});
        if let (Some(first), Some(last)) = (pages.first(), pages.last()) {
            answer["paging"] =
                json!({"cursors": {"before": cursor(first.id), "after": cursor(last.id)}});
        }
        Ok(Reply::json(200, &answer))
    }

    /// The Page's token the holder of `user` gets: the current one while it is good (valid,
    /// non-expiring, the same permissions), else a new one that becomes current.
    fn page_token(&mut self, page: &'static Page, user: &Token) -> Result<String, Reply> {
        if let Some(current) = self.current.get(page.id)
            && let Some(token) = self.tokens.get(current)
            && !token.invalid
            && token.expires_at == 0
            && token.scopes == user.scopes
        {
            return Ok(current.clone());
        }
        let generation = self.generations.entry(page.id).or_default();
        *generation += 1;
        let generation = *generation;
        let token = self.mint(Token {
            kind: Kind::Page(page),
            person: user.person,
            scopes: user.scopes.clone(),
            issued_at: now(),
            expires_at: 0,
            invalid: false,
            generation,
        })?;
        self.current.insert(page.id, token.clone());
        Ok(token)
    }

    /// `GET /{id}`: a Page (its name, category, and for its manager a Page token) or a post
    /// (its message, time and counts).
    fn object(&mut self, request: &Request, params: &Params, id: &str) -> Result<Reply, Reply> {
        let (_, token) = self.caller(request)?;
        let fields = fields(params.get("fields").unwrap_or_default());
        let wants = |name: &str| fields.contains(&name);
        if let Some(page) = all_pages().find(|p| p.id == id) {
            let allowed = match token.kind {
                Kind::Page(held) => held.id == page.id,
                Kind::ShortUser | Kind::LongUser => token.person.pages.contains(page),
            };
            if !allowed {
                return Err(unsupported("get", id));
            }
            let mut answer = json!({"id": page.id});
            if wants("name") || fields.is_empty() {
                answer["name"] = json!(page.name);
            }
            if wants("category") {
                answer["category"] = json!(page.category);
            }
            if wants("access_token") && token.is_user() {
                answer["access_token"] = json!(self.page_token(page, &token)?);
            }
            return Ok(Reply::json(200, &answer));
        }
        let post = self.post(id, &token)?;
        require(&token, &["pages_read_engagement"])?;
        let stats = self.stats_of(&post.post_id);
        let mut answer = json!({"id": post.post_id});
        if (fields.is_empty() || wants("message"))
            && let Some(message) = &post.message
        {
            answer["message"] = json!(message);
        }
        if fields.is_empty() || wants("created_time") {
            answer["created_time"] = json!(meta_time(post.created_time));
        }
        if wants("reactions") {
            let summary = json!({"total_count": stats.reactions, "viewer_reaction": "NONE"});
            answer["reactions"] = json!({"data": [], "summary": summary});
        }
        if wants("comments") {
            answer["comments"] = json!({"data": [], "summary": {"order": "ranked",
                "total_count": stats.comments, "can_comment": true}});
        }
        Ok(Reply::json(200, &answer))
    }

    /// The post `id` names, if the token is its Page's.
    fn post(&self, id: &str, token: &Token) -> Result<Post, Reply> {
        let post = self
            .posts
            .iter()
            .find(|p| p.post_id == id)
            .ok_or_else(|| unsupported("get", id))?;
        match token.kind {
            Kind::Page(page) if page.id == post.page_id => Ok(post.clone()),
            Kind::Page(_) => Err(permission_error()),
            Kind::ShortUser | Kind::LongUser => Err(page_token_required()),
        }
    }

    fn stats_of(&self, post_id: &str) -> Stats {
        self.stats.get(post_id).copied().unwrap_or(DEFAULT_STATS)
    }

    fn publish(&mut self, request: &Request, params: &Params, page: &str) -> Result<Reply, Reply> {
        let (page, token) = self.page_caller(request, page)?;
        require(&token, &["pages_manage_posts", "pages_read_engagement"])?;
        let message = params.text("message").map(str::to_owned);
        let link = params.text("link").map(str::to_owned);
        if message.is_none() && link.is_none() {
            return Err(meta_error(
                400,
                100,
                None,
                "(#100) Missing message or attachment",
            ));
        }
        let post = self.add_post(page, &token, message, link, None);
        Ok(Reply::json(200, &json!({"id": post.post_id})))
    }

    fn publish_photo(
        &mut self,
        request: &Request,
        params: &Params,
        page: &str,
    ) -> Result<Reply, Reply> {
        let (page, token) = self.page_caller(request, page)?;
        require(&token, &["pages_manage_posts", "pages_read_engagement"])?;
        let photo = params
            .photo
            .as_ref()
            .ok_or_else(|| meta_error(400, 324, None, "(#324) Requires upload file"))?;
        let is_image = match photo.content_type.as_deref() {
            Some("image/png") => photo.bytes.starts_with(b"\x89PNG\r\n\x1a\n"),
            Some("image/jpeg") => photo.bytes.starts_with(&[0xFF, 0xD8, 0xFF]),
            _ => false,
        };
        if !is_image {
            return Err(meta_error(
                400,
                324,
                None,
                "(#324) Missing or invalid image file",
            ));
        }
        let message = params
            .text("message")
            .or_else(|| params.text("caption"))
            .map(str::to_owned);
        let photo_id = self.next_id().to_string();
        if params.get("published") == Some("false") {
            // An unpublished photo is no post; the product does not use them.
            return Ok(Reply::json(200, &json!({"id": photo_id})));
        }
        let post = self.add_post(page, &token, message, None, Some((photo_id, photo)));
        Ok(Reply::json(
            200,
            &json!({"id": post.photo_id, "post_id": post.post_id}),
        ))
    }

    fn add_post(
        &mut self,
        page: &'static Page,
        token: &Token,
        message: Option<String>,
        link: Option<String>,
        photo: Option<(String, &Photo)>,
    ) -> Post {
        let post = Post {
            page_id: page.id.to_owned(),
            post_id: format!("{}_{}", page.id, self.next_id()),
            message,
            link,
            has_photo: photo.is_some(),
            photo_bytes: photo.as_ref().map_or(0, |(_, p)| p.bytes.len()),
            photo_content_type: photo.as_ref().and_then(|(_, p)| p.content_type.clone()),
            photo_id: photo.map(|(id, _)| id),
            created_time: now(),
        };
        self.uses.entry(page.id).or_default().push(token.generation);
        self.posts.push(post.clone());
        post
    }

    fn feed(&self, request: &Request, params: &Params, page: &str) -> Result<Reply, Reply> {
        let (_, token) = self.page_caller(request, page)?;
        require(&token, &["pages_read_engagement"])?;
        let number = |name: &str| -> Result<Option<u64>, Reply> {
            params
                .text(name)
                .map(|v| {
                    v.parse::<u64>().map_err(|_| {
                        meta_error(
                            400,
                            100,
                            None,
                            &format!("(#100) {name} must be a unix time or number"),
                        )
                    })
                })
                .transpose()
        };
        let since = number("since")?.unwrap_or(0);
        let until = number("until")?.unwrap_or(u64::MAX);
        let limit = number("limit")?
            .and_then(|l| usize::try_from(l).ok())
            .unwrap_or(FEED_DEFAULT_LIMIT)
            .clamp(1, FEED_MAX_LIMIT);
        let data: Vec<Value> = self
            .posts
            .iter()
            .rev()
            .filter(|p| p.page_id == page && (since..=until).contains(&p.created_time))
            .take(limit)
            .map(|p| {
                let mut item = json!({"id": p.post_id, "created_time": meta_time(p.created_time)});
                if let Some(message) = &p.message {
                    item["message"] = json!(message);
                }
                item
            })
            .collect();
        let mut answer = json!({"data": data});
        if let (Some(first), Some(last)) = (data.first(), data.last()) {
            answer["paging"] = json!({"cursors": {
                "before": cursor(first["id"].as_str().unwrap_or_default()),
                "after": cursor(last["id"].as_str().unwrap_or_default()),
            }});
        }
        Ok(Reply::json(200, &answer))
    }

    fn insights(&self, request: &Request, params: &Params, id: &str) -> Result<Reply, Reply> {
        let (_, token) = self.caller(request)?;
        let post = self.post(id, &token)?;
        require(&token, &["read_insights"])?;
        let stats = self.stats_of(&post.post_id);
        let metrics = params
            .text("metric")
            .ok_or_else(|| meta_error(400, 100, None, "(#100) The parameter metric is required"))?;
        let mut data = Vec::new();
        for metric in metrics.split(',').map(str::trim) {
            let (value, title) = match metric {
                "post_impressions_unique" => (stats.reach, "Lifetime Post Total Reach"),
                "post_impressions" => (
                    stats.reach + stats.reach / 2,
                    "Lifetime Post Total Impressions",
                ),
                _ => {
                    return Err(meta_error(
                        400,
                        100,
                        None,
                        &format!("(#100) The value must be a valid insights metric: {metric}"),
                    ));
                }
            };
            data.push(json!({
                "name": metric,
                "period": "lifetime",
                "values": [{"value": value}],
                "title": title,
                "description": format!("Lifetime: {title} (a local fake's number)"),
                "id": format!("{}/insights/{metric}/lifetime", post.post_id),
            }));
        }
        Ok(Reply::json(200, &json!({"data": data})))
    }

    /// `POST /{comment_id}/comments`: the Page answers a comment on one of its posts. A
    /// comment id is `{post number}_{comment number}`, as in Meta's webhooks.
    fn reply(&mut self, request: &Request, params: &Params, comment: &str) -> Result<Reply, Reply> {
        let (_, token) = self.caller(request)?;
        let Kind::Page(page) = token.kind else {
            return Err(page_token_required());
        };
        let post_id = match self.comments.get(comment) {
            Some(post_id) => post_id.clone(),
            None => {
                let number = comment
                    .split_once('_')
                    .filter(|(post, reply)| digits(post) && digits(reply))
                    .map(|(post, _)| post)
                    .ok_or_else(|| unsupported("post", comment))?;
                format!("{}_{number}", page.id)
            }
        };
        let post = self
            .post(&post_id, &token)
            .map_err(|_| unsupported("post", comment))?;
        require(&token, &["pages_manage_engagement"])?;
        let message = params
            .text("message")
            .ok_or_else(|| meta_error(400, 100, None, "(#100) Missing message or attachment"))?;
        let post_number = post.post_id.rsplit('_').next().unwrap_or_default();
        let reply_id = format!("{post_number}_{}", self.next_id());
        self.replies.push(CommentReply {
            page_id: page.id.to_owned(),
            post_id: post.post_id,
            comment_id: comment.to_owned(),
            reply_id: reply_id.clone(),
            message: message.to_owned(),
            created_time: now(),
        });
        Ok(Reply::json(200, &json!({"id": reply_id})))
    }

    /// The token the request's `Authorization` carries, if Meta would accept it.
    fn caller(&self, request: &Request) -> Result<(String, Token), Reply> {
        let presented = bearer(request).ok_or_else(token_required)?;
        Ok((presented.to_owned(), self.valid(presented)?))
    }

    fn valid(&self, presented: &str) -> Result<Token, Reply> {
        let token = self.tokens.get(presented).ok_or_else(|| {
            meta_error(
                400,
                190,
                None,
                "Invalid OAuth access token - Cannot parse access token",
            )
        })?;
        match token.problem(now()) {
            Some((message, subcode)) => Err(meta_error(400, 190, Some(subcode), message)),
            None => Ok(token.clone()),
        }
    }

    /// The request's token, which must be `page`'s own, and that Page.
    fn page_caller(&self, request: &Request, page: &str) -> Result<(&'static Page, Token), Reply> {
        let (_, token) = self.caller(request)?;
        match token.kind {
            Kind::Page(held) if held.id == page => Ok((held, token)),
            Kind::Page(_) => Err(permission_error()),
            Kind::ShortUser | Kind::LongUser => Err(page_token_required()),
        }
    }

    fn mint(&mut self, token: Token) -> Result<String, Reply> {
        let presented = format!("EAA{}", random(64)?);
        self.tokens.insert(presented.clone(), token);
        Ok(presented)
    }

    fn next_id(&mut self) -> u64 {
        self.next_id += 1;
        ID_BASE + self.next_id
    }

    fn control(&mut self, request: &Request, action: &str) -> Reply {
        let body = request.json();
        let answer = match (request.method.as_str(), action) {
            ("POST", "reset") => {
                // Tokens stay: a Page connected before a reset stays connected.
                self.uses.clear();
                self.posts.clear();
                self.replies.clear();
                self.comments.clear();
                self.stats.clear();
                self.failures.clear();
                self.requests.clear();
                Ok(json!({}))
            }
            ("GET", "requests") => Ok(json!({"requests": self.requests})),
            ("GET", "posts") => {
                let page = request.query.get("page_id");
                let mine = |id: &String| page.is_none_or(|page| page == id);
                let posts: Vec<&Post> = self.posts.iter().filter(|p| mine(&p.page_id)).collect();
                let replies: Vec<&CommentReply> =
                    self.replies.iter().filter(|r| mine(&r.page_id)).collect();
                Ok(json!({"posts": posts, "replies": replies}))
            }
            ("POST", "fail") => Failure::parse(&body).map(|failure| {
                self.failures.push(failure);
                json!({"queued": self.failures.len()})
            }),
            ("POST", "tokens") => self.age_page_token(&body),
            ("POST", "user_tokens") => self.age_user_tokens(&body),
            ("GET", "token_uses") => Ok(self.token_uses()),
            ("POST", "stats") => self.set_stats(&body),
            ("POST", "comments") => self.comment(&body),
            _ => Err("no such control endpoint".to_owned()),
        };
        match answer {
            Ok(answer) => Reply::json(200, &answer),
            Err(problem) => Reply::json(400, &json!({"error": {"message": problem}})),
        }
    }

    /// `{"page_id", "expires_in": S}` or `{"page_id", "invalid": true}`: the Page's current
    /// token expires in S seconds, or is invalid from now on.
    fn age_page_token(&mut self, body: &Value) -> Result<Value, String> {
        let page = body["page_id"].as_str().ok_or("page_id is required")?;
        let current = self
            .current
            .get(page)
            .ok_or("no token was issued for that Page yet")?;
        let token = self
            .tokens
            .get_mut(current)
            .ok_or("the Page's token is gone")?;
        age(token, body)?;
        Ok(json!({
            "page_id": page,
            "generation": token.generation,
            "expires_at": token.expires_at,
            "is_valid": token.problem(now()).is_none(),
        }))
    }

    /// `{"expires_in": S}` or `{"invalid": true}`, optionally with `"person_id"`: every user
    /// token still good (of that person) expires in S seconds, or is invalid from now on.
    fn age_user_tokens(&mut self, body: &Value) -> Result<Value, String> {
        let person = body["person_id"].as_str();
        let now = now();
        let mut changed = 0;
        for token in self.tokens.values_mut() {
            if token.is_user()
                && token.problem(now).is_none()
                && person.is_none_or(|id| id == token.person.id)
            {
                age(token, body)?;
                changed += 1;
            }
        }
        Ok(json!({"changed": changed}))
    }

    /// For each Page: how many tokens it was issued, which is current, and which each
    /// publish used (by generation, never by value).
    fn token_uses(&self) -> Value {
        let pages: Map<String, Value> = self
            .generations
            .iter()
            .map(|(page, issued)| {
                let current = self
                    .current
                    .get(page)
                    .and_then(|t| self.tokens.get(t))
                    .map_or(0, |t| t.generation);
                let publishes = self.uses.get(page).cloned().unwrap_or_default();
                let mut distinct = publishes.clone();
                distinct.sort_unstable();
                distinct.dedup();
                (
                    (*page).to_owned(),
                    json!({
                        "issued": issued,
                        "current": current,
                        "publishes": publishes,
                        "distinct_tokens_used": distinct.len(),
                    }),
                )
            })
            .collect();
        json!({"pages": pages})
    }

    /// `{"post_id", "reactions", "comments", "reach"}` (any of the three).
    fn set_stats(&mut self, body: &Value) -> Result<Value, String> {
        let post = body["post_id"].as_str().ok_or("post_id is required")?;
        if !self.posts.iter().any(|p| p.post_id == post) {
            return Err(format!("no post {post}"));
        }
        let mut stats = self.stats_of(post);
        for (name, slot) in [
            ("reactions", &mut stats.reactions),
            ("comments", &mut stats.comments),
            ("reach", &mut stats.reach),
        ] {
            if let Some(value) = body.get(name) {
                *slot = value
                    .as_u64()
                    .ok_or(format!("{name} must be a whole number"))?;
            }
        }
        self.stats.insert(post.to_owned(), stats);
        Ok(json!(stats))
    }

    /// `{"post_id", "message", "from": {"id", "name"}}`: someone comments on a post. Answers
    /// the comment's id and the body of the webhook Meta would send (for the test to sign).
    fn comment(&mut self, body: &Value) -> Result<Value, String> {
        let post_id = body["post_id"].as_str().ok_or("post_id is required")?;
        let post = self
            .posts
            .iter()
            .find(|p| p.post_id == post_id)
            .ok_or(format!("no post {post_id}"))?
            .clone();
        let message = body["message"].as_str().unwrap_or("Do you deliver?");
        let from = match body.get("from") {
            Some(from) if from.is_object() => from.clone(),
            _ => json!({"id": "10229384756009999", "name": "Casey Customer"}),
        };
        let post_number = post
            .post_id
            .rsplit('_')
            .next()
            .unwrap_or_default()
            .to_owned();
        let comment_id = format!("{post_number}_{}", self.next_id());
        self.comments
            .insert(comment_id.clone(), post.post_id.clone());
        let now = now();
        let webhook = json!({
            "object": "page",
            "entry": [{
                "id": post.page_id,
                "time": now,
                "changes": [{
                    "field": "feed",
                    "value": {
                        "item": "comment",
                        "verb": "add",
                        "comment_id": comment_id,
                        "post_id": post.post_id,
                        "parent_id": post.post_id,
                        "message": message,
                        "from": from,
                        "created_time": now,
                    },
                }],
            }],
        });
        Ok(json!({"comment_id": comment_id, "webhook": webhook}))
    }
}

/// Applies `{"expires_in": S}` or `{"invalid": true}` to a token.
fn age(token: &mut Token, body: &Value) -> Result<(), String> {
    if body["invalid"].as_bool() == Some(true) {
        token.invalid = true;
    } else {
        let seconds = body["expires_in"]
            .as_u64()
            .ok_or("expires_in (seconds) or invalid: true is required")?;
        token.expires_at = now() + seconds;
    }
    Ok(())
}

/// A login dialog request that passed every check.
struct Dialog<'a> {
    redirect_uri: &'a str,
    redirect_url: Url,
    state: &'a str,
    scopes: Vec<String>,
}

impl<'a> Dialog<'a> {
    /// Checks the app and the redirect URI first: until both are known good, an error can
    /// only be shown, never sent back.
    fn parse(params: &'a Params) -> Result<Self, Reply> {
        if params.get("client_id") != Some(APP_ID) {
            return Err(dialog_error(
                "Invalid App ID: The provided app ID does not look like a valid app ID.",
            ));
        }
        let redirect_uri = params.text("redirect_uri").unwrap_or_default();
        let redirect_url = Url::parse(redirect_uri)
            .ok()
            .filter(|url| matches!(url.scheme(), "http" | "https"))
            .ok_or_else(|| {
                dialog_error(&format!(
                    "URL blocked: redirect_uri must be an absolute http(s) URL: {redirect_uri}"
                ))
            })?;
        if params.get("response_type").is_some_and(|t| t != "code") {
            return Err(dialog_error("This fake answers response_type=code only."));
        }
        let state = params.text("state").ok_or_else(|| {
            dialog_error("state is required (this fake refuses a login without it).")
        })?;
        let mut scopes = vec!["public_profile".to_owned()];
        for scope in params
            .get("scope")
            .unwrap_or_default()
            .split([',', ' '])
            .filter(|s| !s.is_empty())
        {
            if !SCOPES.contains(&scope) && !OTHER_PERMISSIONS.contains(&scope) {
                return Err(dialog_error(&format!("Invalid Scopes: {scope}")));
            }
            if !scopes.iter().any(|s| s == scope) {
                scopes.push(scope.to_owned());
            }
        }
        Ok(Self {
            redirect_uri,
            redirect_url,
            state,
            scopes,
        })
    }
}

/// The dialog: one form per person (with the Pages they manage) carrying the request on to
/// the choice, and a form to cancel.
fn dialog(params: &Params, version: &str) -> Result<Reply, Reply> {
    Dialog::parse(params)?;
    let carried: String = CARRIED_PARAMETERS
        .iter()
        .filter_map(|name| params.get(name).map(|value| hidden(name, value)))
        .collect();
    let form = |choice: String, button: String| {
        format!(
            "<form method=\"post\" action=\"/{version}/dialog/oauth/confirm\">{carried}{choice}\
             <button type=\"submit\">{button}</button></form>"
        )
    };
    let people: String = PEOPLE
        .iter()
        .map(|person| {
            let pages = match person.pages {
                [] => "no Pages".to_owned(),
                pages => pages.iter().map(|p| p.name).collect::<Vec<_>>().join(", "),
            };
            let button = format!("Continue as {} ({})", escape(person.name), escape(&pages));
            format!("<li>{}</li>\n", form(hidden("person", person.id), button))
        })
        .collect();
    let body = format!(
        "<p>{} is requesting access to your Pages.</p>\n<ul>\n{people}</ul>\n{}\n",
        escape(APP_NAME),
        form(hidden("cancel", "true"), "Cancel".to_owned()),
    );
    Ok(html_page(200, DIALOG_TITLE, &body))
}

fn dialog_error(message: &str) -> Reply {
    html_page(
        400,
        "Error – Fake Facebook",
        &format!("<p>{}</p>\n", escape(message)),
    )
}

/// The version (`v25.0`) and the path's segments after it.
fn versioned(path: &str) -> Result<(&str, Vec<&str>), Reply> {
    let mut segments = path.split('/').filter(|s| !s.is_empty());
    let version = segments.next().unwrap_or_default();
    let major = version
        .strip_prefix('v')
        .and_then(|v| v.split_once('.'))
        .filter(|(major, minor)| digits(major) && digits(minor))
        .and_then(|(major, _)| major.parse::<u32>().ok())
        .ok_or_else(|| meta_error(400, 2500, None, &format!("Unknown path components: {path}")))?;
    if major < MIN_VERSION {
        return Err(meta_error(
            400,
            2635,
            None,
            &format!(
                "(#2635) You are calling a deprecated version of the Graph API ({version}). \
                 Please update to at least v{MIN_VERSION}.0."
            ),
        ));
    }
    Ok((version, segments.collect()))
}

/// `fields=id,reactions.summary(total_count).limit(0),comments{…}`: the top-level names.
fn fields(text: &str) -> Vec<&str> {
    let mut names = Vec::new();
    let mut depth = 0usize;
    let mut start = 0;
    for (at, c) in text
        .char_indices()
        .chain(std::iter::once((text.len(), ',')))
    {
        match c {
            '(' | '{' => depth += 1,
            ')' | '}' => depth = depth.saturating_sub(1),
            ',' if depth == 0 => {
                let field = text.get(start..at).unwrap_or_default().trim();
                let name = field.split(['.', '{', '(']).next().unwrap_or_default();
                if !name.is_empty() {
                    names.push(name);
                }
                start = at + 1;
            }
            _ => {}
        }
    }
    names
}

fn require(token: &Token, scopes: &[&str]) -> Result<(), Reply> {
    let missing: Vec<&str> = scopes
        .iter()
        .copied()
        .filter(|scope| !token.scopes.iter().any(|s| s == scope))
        .collect();
    if missing.is_empty() {
        Ok(())
    } else {
        Err(meta_error(
            400,
            200,
            None,
            &format!(
                "(#200) Requires the {} permission(s), not granted in the login dialog",
                missing.join(", ")
            ),
        ))
    }
}

/// Meta's error body: `{"error": {"message", "type", "code", "error_subcode", "fbtrace_id"}}`.
fn meta_error(status: u16, code: u32, subcode: Option<u32>, message: &str) -> Reply {
    let kind = match (code, subcode) {
        (100, Some(33)) => "GraphMethodException",
        _ => "OAuthException",
    };
    let mut error = json!({
        "message": message,
        "type": kind,
        "code": code,
        "fbtrace_id": format!("A{}", random_hex(8).unwrap_or_default()),
    });
    if let Some(subcode) = subcode {
        error["error_subcode"] = json!(subcode);
    }
    if TRANSIENT_CODES.contains(&code) {
        error["is_transient"] = json!(true);
    }
    let reply = Reply::json(status, &json!({"error": error}));
    match code {
        190 => reply.with_header(
            "WWW-Authenticate",
            "OAuth \"Facebook Platform\" \"invalid_token\" \"Error validating access token\"",
        ),
        _ => reply,
    }
}

fn token_required() -> Reply {
    meta_error(
        400,
        104,
        None,
        "An access token is required to request this resource.",
    )
}

fn page_token_required() -> Reply {
    meta_error(
        400,
        210,
        None,
        "(#210) A page access token is required to request this resource.",
    )
}

fn permission_error() -> Reply {
    meta_error(
        400,
        200,
        None,
        "(#200) If posting to a page, requires both pages_read_engagement and pages_manage_posts \
         as an admin with sufficient administrative permission",
    )
}

fn unsupported(method: &str, id: &str) -> Reply {
    meta_error(
        400,
        100,
        Some(33),
        &format!(
            "Unsupported {} request. Object with ID '{id}' does not exist, cannot be loaded due to \
             missing permissions, or does not support this operation.",
            method.to_ascii_lowercase()
        ),
    )
}

fn bearer(request: &Request) -> Option<&str> {
    request
        .header("authorization")
        .and_then(|value| value.trim().split_once(' '))
        .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
        .map(|(_, token)| token.trim())
}

/// The app access token `debug_token` wants: `{app id}|{app secret}`.
fn app_token() -> String {
    format!("{APP_ID}|{APP_SECRET}")
}

fn all_pages() -> impl Iterator<Item = &'static Page> {
    PEOPLE.iter().flat_map(|person| person.pages.iter())
}

fn random(len: usize) -> Result<String, Reply> {
    random_hex(len).map_err(|err| {
        meta_error(
            500,
            1,
            None,
            &format!("An unknown error has occurred: {err}"),
        )
    })
}

/// An opaque paging cursor, base64-looking like Meta's.
fn cursor(id: &str) -> String {
    format!(
        "QVFI{}",
        id.bytes().map(|b| format!("{b:02X}")).collect::<String>()
    )
}

fn digits(text: &str) -> bool {
    !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit())
}

fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// Meta's time format: `2026-12-01T03:00:05+0000`.
fn meta_time(unix: u64) -> String {
    let days = i64::try_from(unix / 86_400).unwrap_or(i64::MAX);
    let seconds = unix % 86_400;
    format!(
        "{}T{:02}:{:02}:{:02}+0000",
        iso_date(days),
        seconds / 3600,
        seconds / 60 % 60,
        seconds % 60
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::blocking::{Client, RequestBuilder, Response};
    use reqwest::redirect::Policy;

    const V: &str = "v25.0";
    const REDIRECT_URI: &str = "http://127.0.0.1:9/facebook/callback";
    const STATE: &str = "state-81fe";
    const ALL_SCOPES: &str = "pages_show_list,pages_read_engagement,pages_manage_posts,\
        pages_manage_engagement,read_insights";

    fn client() -> Client {
        Client::builder().redirect(Policy::none()).build().unwrap()
    }

    fn url(server: &Server<Graph>, path: &str) -> String {
        format!("{}/{V}/{path}", server.base_url())
    }

    fn form(builder: RequestBuilder, pairs: &[(&str, &str)]) -> Response {
        let body = url::form_urlencoded::Serializer::new(String::new())
            .extend_pairs(pairs)
            .finish();
        builder
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body)
            .send()
            .unwrap()
    }

    fn with_query(base: String, pairs: &[(&str, &str)]) -> String {
        let mut url = Url::parse(&base).unwrap();
        url.query_pairs_mut().extend_pairs(pairs);
        url.into()
    }

    fn json_of(reply: Response) -> Value {
        serde_json::from_str(&reply.text().unwrap()).unwrap()
    }

    fn get(server: &Server<Graph>, path: &str, token: &str) -> Response {
        client()
            .get(url(server, path))
            .bearer_auth(token)
            .send()
            .unwrap()
    }

    fn control(server: &Server<Graph>, action: &str, body: Value) -> Value {
        let reply = client()
            .post(format!("{}/__fake/{action}", server.base_url()))
            .body(body.to_string())
            .send()
            .unwrap();
        assert_eq!(reply.status(), 200);
        json_of(reply)
    }

    fn look(server: &Server<Graph>, action: &str) -> Value {
        json_of(
            client()
                .get(format!("{}/__fake/{action}", server.base_url()))
                .send()
                .unwrap(),
        )
    }

    /// The dialog's choice (`person` or `cancel`) for `scope`: the redirect's query.
    fn choose(
        server: &Server<Graph>,
        scope: &str,
        choice: (&str, &str),
    ) -> BTreeMap<String, String> {
        let reply = form(
            client().post(url(server, "dialog/oauth/confirm")),
            &[
                ("client_id", APP_ID),
                ("redirect_uri", REDIRECT_URI),
                ("state", STATE),
                ("scope", scope),
                ("response_type", "code"),
                choice,
            ],
        );
        assert_eq!(reply.status(), 302);
        let location = Url::parse(reply.headers()["location"].to_str().unwrap()).unwrap();
        assert!(location.as_str().starts_with(REDIRECT_URI));
        location.query_pairs().into_owned().collect()
    }

    fn redeem(server: &Server<Graph>, code: &str, redirect_uri: &str) -> Response {
        form(
            client().post(url(server, "oauth/access_token")),
            &[
                ("client_id", APP_ID),
                ("client_secret", APP_SECRET),
                ("redirect_uri", redirect_uri),
                ("code", code),
            ],
        )
    }

    fn long_lived(server: &Server<Graph>, token: &str) -> Response {
        form(
            client().post(url(server, "oauth/access_token")),
            &[
                ("grant_type", "fb_exchange_token"),
                ("client_id", APP_ID),
                ("client_secret", APP_SECRET),
                ("fb_exchange_token", token),
            ],
        )
    }

    /// The whole login as `person` with every permission: the long-lived user token.
    fn log_in(server: &Server<Graph>, person: &Person) -> String {
        let code = choose(server, ALL_SCOPES, ("person", person.id))["code"].clone();
        let short = json_of(redeem(server, &code, REDIRECT_URI))["access_token"].clone();
        json_of(long_lived(server, short.as_str().unwrap()))["access_token"]
            .as_str()
            .unwrap()
            .to_owned()
    }

    /// Logs in as the bakery's owner: the bakery's Page token.
    fn bakery_token(server: &Server<Graph>) -> String {
        let user = log_in(server, &OWNER);
        let accounts = json_of(get(server, "me/accounts", &user));
        accounts["data"][0]["access_token"]
            .as_str()
            .unwrap()
            .to_owned()
    }

    fn publish(server: &Server<Graph>, page: &str, token: &str, message: &str) -> Response {
        form(
            client()
                .post(url(server, &format!("{page}/feed")))
                .bearer_auth(token),
            &[("message", message)],
        )
    }

    fn publish_photo(server: &Server<Graph>, page: &str, token: &str, image: &[u8]) -> Response {
        let mut body = Vec::new();
        body.extend(
            b"--XyZ\r\nContent-Disposition: form-data; name=\"message\"\r\n\r\nFresh bread\r\n",
        );
        body.extend(b"--XyZ\r\nContent-Disposition: form-data; name=\"published\"\r\n\r\ntrue\r\n");
        body.extend(
            b"--XyZ\r\nContent-Disposition: form-data; name=\"source\"; filename=\"card.png\"\r\n",
        );
        body.extend(b"Content-Type: image/png\r\n\r\n");
        body.extend(image);
        body.extend(b"\r\n--XyZ--\r\n");
        client()
            .post(url(server, &format!("{page}/photos")))
            .bearer_auth(token)
            .header("content-type", "multipart/form-data; boundary=XyZ")
            .body(body)
            .send()
            .unwrap()
    }

    fn debug(server: &Server<Graph>, token: &str) -> Value {
        let reply = client()
            .get(with_query(
                url(server, "debug_token"),
                &[("input_token", token)],
            ))
            .bearer_auth(format!("{APP_ID}|{APP_SECRET}"))
            .send()
            .unwrap();
        assert_eq!(reply.status(), 200);
        json_of(reply)["data"].clone()
    }

    fn error_of(reply: Response) -> (u16, Value) {
        let status = reply.status().as_u16();
        (status, json_of(reply)["error"].clone())
    }

    const PNG: &[u8] = b"\x89PNG\r\n\x1a\n0000 pretend the rest is a picture";

    #[test]
    fn the_dialog_offers_each_person_with_their_pages() {
        let server = Graph::start().unwrap();

        let reply = client()
            .get(with_query(
                url(&server, "dialog/oauth"),
                &[
                    ("client_id", APP_ID),
                    ("redirect_uri", REDIRECT_URI),
                    ("state", STATE),
                    ("scope", ALL_SCOPES),
                    ("response_type", "code"),
                ],
            ))
            .send()
            .unwrap();

        assert_eq!(reply.status(), 200);
        let page = reply.text().unwrap();
        for person in PEOPLE {
            assert!(page.contains(person.name), "{person:?}");
            assert!(page.contains(&format!("value=\"{}\"", person.id)));
        }
        assert!(page.contains("Pine Ridge Bakery"));
        assert!(page.contains("Ridgeline Plumbing, Kiamichi Outfitters"));
        assert!(page.contains("Kiamichi Biz Connect"));
        assert!(page.contains(&format!("action=\"/{V}/dialog/oauth/confirm\"")));
        assert!(page.contains("Cancel"));
    }

    #[test]
    fn the_dialog_refuses_another_app_a_missing_state_and_unknown_scopes() {
        let server = Graph::start().unwrap();
        let cases = [
            ("client_id", "999", "Invalid App ID"),
            ("state", "", "state is required"),
            ("scope", "publish_actions", "Invalid Scopes"),
            ("redirect_uri", "/relative", "URL blocked"),
        ];
        for (name, value, expected) in cases {
            let mut query = vec![
                ("client_id", APP_ID),
                ("redirect_uri", REDIRECT_URI),
                ("state", STATE),
                ("scope", ALL_SCOPES),
            ];
            query.retain(|(n, _)| *n != name);
            query.push((name, value));

            let reply = client()
                .get(with_query(url(&server, "dialog/oauth"), &query))
                .send()
                .unwrap();

            assert_eq!(reply.status(), 400, "{name}");
            assert!(reply.text().unwrap().contains(expected), "{name}");
        }
    }

    #[test]
    fn the_whole_login_ends_with_distinct_user_and_page_tokens() {
        let server = Graph::start().unwrap();

        let answer = choose(&server, ALL_SCOPES, ("person", OWNER.id));
        assert_eq!(answer["state"], STATE);
        let reply = redeem(&server, &answer["code"], REDIRECT_URI);
        assert_eq!(reply.status(), 200);
        let short = json_of(reply);
        assert_eq!(short["token_type"], "bearer");
        assert_eq!(short["expires_in"], SHORT_LIVED_SECS);
        let short = short["access_token"].as_str().unwrap().to_owned();
        let long = json_of(long_lived(&server, &short));
        assert_eq!(long["expires_in"], LONG_LIVED_SECS);
        let long = long["access_token"].as_str().unwrap().to_owned();
        let accounts = json_of(get(
            &server,
            "me/accounts?fields=id,name,access_token,category,tasks",
            &long,
        ));

        assert_eq!(accounts["data"].as_array().unwrap().len(), 1);
        let page = &accounts["data"][0];
        assert_eq!(page["id"], PINE_RIDGE_BAKERY.id);
        assert_eq!(page["name"], "Pine Ridge Bakery");
        assert_eq!(page["category"], "Bakery");
        assert!(
            page["tasks"]
                .as_array()
                .unwrap()
                .contains(&json!("CREATE_CONTENT"))
        );
        let page_token = page["access_token"].as_str().unwrap();
        let tokens = [short.as_str(), long.as_str(), page_token];
        for (i, token) in tokens.iter().enumerate() {
            assert!(token.starts_with("EAA") && token.len() > 100);
            assert!(!tokens[i + 1..].contains(token));
        }
        assert_eq!(json_of(get(&server, "me", &long))["name"], OWNER.name);
        assert_eq!(
            json_of(get(&server, "me", page_token))["id"],
            PINE_RIDGE_BAKERY.id
        );
    }

    #[test]
    fn a_person_with_two_pages_lists_both_and_one_without_sees_none() {
        let server = Graph::start().unwrap();

        let two = json_of(get(
            &server,
            "me/accounts",
            &log_in(&server, &TWO_PAGES_OWNER),
        ));
        let none = json_of(get(&server, "me/accounts", &log_in(&server, &NO_PAGES)));
        let admin = json_of(get(&server, "me/accounts", &log_in(&server, &ADMIN)));

        let ids: Vec<&Value> = two["data"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| &p["id"])
            .collect();
        assert_eq!(ids, [RIDGELINE_PLUMBING.id, KIAMICHI_OUTFITTERS.id]);
        assert_ne!(
            two["data"][0]["access_token"],
            two["data"][1]["access_token"]
        );
        assert_eq!(none["data"], json!([]));
        assert_eq!(admin["data"][0]["name"], "Kiamichi Biz Connect");
    }

    #[test]
    fn without_pages_show_list_no_page_is_listed() {
        let server = Graph::start().unwrap();
        let code = choose(&server, "pages_manage_posts", ("person", OWNER.id))["code"].clone();
        let user = json_of(redeem(&server, &code, REDIRECT_URI))["access_token"].clone();

        let accounts = json_of(get(&server, "me/accounts", user.as_str().unwrap()));

        assert_eq!(accounts["data"], json!([]));
        let scopes = debug(&server, user.as_str().unwrap())["scopes"].clone();
        assert_eq!(scopes, json!(["public_profile", "pages_manage_posts"]));
    }

    #[test]
    fn a_code_is_good_once_and_only_with_the_dialogs_redirect_uri() {
        let server = Graph::start().unwrap();
        let code = choose(&server, ALL_SCOPES, ("person", OWNER.id))["code"].clone();
        assert_eq!(redeem(&server, &code, REDIRECT_URI).status(), 200);

        let (status, again) = error_of(redeem(&server, &code, REDIRECT_URI));
        assert_eq!(status, 400);
        assert_eq!(again["code"], 100);
        assert_eq!(again["error_subcode"], 36009);
        assert_eq!(again["type"], "OAuthException");
        assert!(again["fbtrace_id"].is_string());

        let other = choose(&server, ALL_SCOPES, ("person", OWNER.id))["code"].clone();
        let (_, elsewhere) = error_of(redeem(&server, &other, "http://127.0.0.1:9/elsewhere"));
        assert_eq!(elsewhere["error_subcode"], 36008);
        let (_, forged) = error_of(redeem(&server, "AQforged", REDIRECT_URI));
        assert_eq!(forged["code"], 100);
    }

    #[test]
    fn the_exchanges_refuse_a_wrong_secret_and_an_unknown_token() {
        let server = Graph::start().unwrap();
        let code = choose(&server, ALL_SCOPES, ("person", OWNER.id))["code"].clone();

        let secret = form(
            client().post(url(&server, "oauth/access_token")),
            &[
                ("client_id", APP_ID),
                ("client_secret", "guess"),
                ("redirect_uri", REDIRECT_URI),
                ("code", &code),
            ],
        );
        let (_, unknown) = error_of(long_lived(&server, "EAAnever-issued"));

        assert_eq!(error_of(secret).1["code"], 1);
        assert_eq!(unknown["code"], 190);
        assert_eq!(redeem(&server, &code, REDIRECT_URI).status(), 200);
    }

    #[test]
    fn cancelling_sends_access_denied_with_the_state() {
        let server = Graph::start().unwrap();

        let answer = choose(&server, ALL_SCOPES, ("cancel", "true"));

        assert_eq!(answer["error"], "access_denied");
        assert_eq!(answer["error_reason"], "user_denied");
        assert_eq!(answer["state"], STATE);
        assert!(!answer.contains_key("code"));
    }

    #[test]
    fn debug_token_tells_valid_expiring_and_invalid_page_tokens_apart() {
        let server = Graph::start().unwrap();
        let token = bakery_token(&server);

        let valid = debug(&server, &token);
        assert_eq!(valid["is_valid"], true);
        assert_eq!(valid["type"], "PAGE");
        assert_eq!(valid["app_id"], APP_ID);
        assert_eq!(valid["profile_id"], PINE_RIDGE_BAKERY.id);
        assert_eq!(valid["user_id"], OWNER.id);
        assert_eq!(valid["expires_at"], 0);
        assert!(
            valid["scopes"]
                .as_array()
                .unwrap()
                .contains(&json!("pages_manage_posts"))
        );

        let aged = control(
            &server,
            "tokens",
            json!({"page_id": PINE_RIDGE_BAKERY.id, "expires_in": 3600}),
        );
        assert_eq!(aged["is_valid"], true);
        let expiring = debug(&server, &token);
        assert_eq!(expiring["is_valid"], true);
        let expires_at = expiring["expires_at"].as_u64().unwrap();
        assert!((now() + 3590..=now() + 3600).contains(&expires_at));

        control(
            &server,
            "tokens",
            json!({"page_id": PINE_RIDGE_BAKERY.id, "invalid": true}),
        );
        let invalid = debug(&server, &token);
        assert_eq!(invalid["is_valid"], false);
        assert_eq!(invalid["error"]["code"], 190);
        assert_eq!(invalid["error"]["subcode"], 460);
        let unknown = debug(&server, "EAAnever-issued");
        assert_eq!(unknown["is_valid"], false);
        assert_eq!(unknown["error"]["code"], 190);
    }

    #[test]
    fn debug_token_needs_the_app_token() {
        let server = Graph::start().unwrap();
        let token = bakery_token(&server);

        let reply = client()
            .get(with_query(
                url(&server, "debug_token"),
                &[("input_token", &token)],
            ))
            .bearer_auth(&token)
            .send()
            .unwrap();

        let (status, error) = error_of(reply);
        assert_eq!(status, 400);
        assert_eq!(error["code"], 190);
    }

    #[test]
    fn an_expired_token_is_refused_and_a_refresh_issues_a_new_one_that_publishing_uses() {
        let server = Graph::start().unwrap();
        let user = log_in(&server, &OWNER);
        let old = json_of(get(&server, "me/accounts", &user))["data"][0]["access_token"]
            .as_str()
            .unwrap()
            .to_owned();
        assert_eq!(
            publish(&server, PINE_RIDGE_BAKERY.id, &old, "before").status(),
            200
        );
        control(
            &server,
            "tokens",
            json!({"page_id": PINE_RIDGE_BAKERY.id, "expires_in": 0}),
        );

        let (status, expired) = error_of(publish(&server, PINE_RIDGE_BAKERY.id, &old, "refused"));
        assert_eq!(status, 400);
        assert_eq!(expired["code"], 190);
        assert_eq!(expired["error_subcode"], 463);

        let path = format!("{}?fields=access_token,name", PINE_RIDGE_BAKERY.id);
        let fresh = json_of(get(&server, &path, &user));
        assert_eq!(fresh["name"], "Pine Ridge Bakery");
        let new = fresh["access_token"].as_str().unwrap();
        assert_ne!(new, old);
        assert_eq!(debug(&server, new)["expires_at"], 0);
        assert_eq!(
            publish(&server, PINE_RIDGE_BAKERY.id, new, "after").status(),
            200
        );
        let again = json_of(get(&server, &path, &user));
        assert_eq!(again["access_token"], new, "a good token is not replaced");

        let uses = &look(&server, "token_uses")["pages"][PINE_RIDGE_BAKERY.id];
        assert_eq!(uses["issued"], 2);
        assert_eq!(uses["current"], 2);
        assert_eq!(uses["publishes"], json!([1, 2]));
        assert_eq!(uses["distinct_tokens_used"], 2);
    }

    #[test]
    fn a_user_token_made_invalid_cannot_refresh_page_tokens() {
        let server = Graph::start().unwrap();
        let user = log_in(&server, &OWNER);

        let changed = control(
            &server,
            "user_tokens",
            json!({"person_id": OWNER.id, "invalid": true}),
        );

        assert_eq!(changed["changed"], 2);
        let (_, error) = error_of(get(
            &server,
            &format!("{}?fields=access_token", PINE_RIDGE_BAKERY.id),
            &user,
        ));
        assert_eq!(error["code"], 190);
        assert_eq!(error["error_subcode"], 460);
    }

    #[test]
    fn a_text_and_a_photo_post_are_each_recorded_once_with_distinct_ids() {
        let server = Graph::start().unwrap();
        let token = bakery_token(&server);

        let text = json_of(publish(
            &server,
            PINE_RIDGE_BAKERY.id,
            &token,
            "Sourdough Saturday",
        ));
        let photo = json_of(publish_photo(&server, PINE_RIDGE_BAKERY.id, &token, PNG));

        let text_id = text["id"].as_str().unwrap();
        let photo_post = photo["post_id"].as_str().unwrap();
        assert!(text_id.starts_with(&format!("{}_", PINE_RIDGE_BAKERY.id)));
        assert!(photo_post.starts_with(&format!("{}_", PINE_RIDGE_BAKERY.id)));
        assert_ne!(text_id, photo_post);
        assert_ne!(photo["id"], photo["post_id"]);
        let posts =
            look(&server, &format!("posts?page_id={}", PINE_RIDGE_BAKERY.id))["posts"].clone();
        assert_eq!(posts.as_array().unwrap().len(), 2);
        assert_eq!(posts[0]["post_id"], text_id);
        assert_eq!(posts[0]["message"], "Sourdough Saturday");
        assert_eq!(posts[0]["has_photo"], false);
        assert_eq!(posts[1]["post_id"], photo_post);
        assert_eq!(posts[1]["message"], "Fresh bread");
        assert_eq!(posts[1]["has_photo"], true);
        assert_eq!(posts[1]["photo_bytes"], PNG.len());
        assert_eq!(posts[1]["photo_content_type"], "image/png");
        assert_eq!(look(&server, "posts?page_id=1")["posts"], json!([]));
    }

    #[test]
    fn a_photo_that_is_no_image_is_refused() {
        let server = Graph::start().unwrap();
        let token = bakery_token(&server);

        let (status, error) = error_of(publish_photo(
            &server,
            PINE_RIDGE_BAKERY.id,
            &token,
            b"<html>",
        ));

        assert_eq!(status, 400);
        assert_eq!(error["code"], 324);
        assert_eq!(look(&server, "posts")["posts"], json!([]));
    }

    #[test]
    fn publishing_needs_that_pages_own_token() {
        let server = Graph::start().unwrap();
        let user = log_in(&server, &OWNER);
        let bakery = json_of(get(&server, "me/accounts", &user))["data"][0]["access_token"].clone();

        let (_, with_user) = error_of(publish(&server, PINE_RIDGE_BAKERY.id, &user, "x"));
        let (_, elsewhere) = error_of(publish(
            &server,
            RIDGELINE_PLUMBING.id,
            bakery.as_str().unwrap(),
            "x",
        ));
        let (_, unknown) = error_of(publish(&server, PINE_RIDGE_BAKERY.id, "EAAforged", "x"));
        let (_, none) = error_of(form(
            client().post(url(&server, &format!("{}/feed", PINE_RIDGE_BAKERY.id))),
            &[("message", "x")],
        ));

        assert_eq!(with_user["code"], 210);
        assert_eq!(elsewhere["code"], 200);
        assert_eq!(unknown["code"], 190);
        assert_eq!(none["code"], 104);
        assert_eq!(look(&server, "posts")["posts"], json!([]));
    }

    #[test]
    fn injected_failures_answer_metas_error_body_then_stop() {
        let server = Graph::start().unwrap();
        let token = bakery_token(&server);
        control(
            &server,
            "fail",
            json!({"path_contains": "/feed", "status": 500, "code": 2, "times": 2}),
        );

        let first = error_of(publish(&server, PINE_RIDGE_BAKERY.id, &token, "a"));
        let second = error_of(publish(&server, PINE_RIDGE_BAKERY.id, &token, "b"));
        let third = publish(&server, PINE_RIDGE_BAKERY.id, &token, "c");

        assert_eq!(first.0, 500);
        assert_eq!(first.1["code"], 2);
        assert_eq!(first.1["is_transient"], true);
        assert_eq!(first.1["type"], "OAuthException");
        assert_eq!(second.0, 500);
        assert_eq!(third.status(), 200);
        let posts = look(&server, "posts")["posts"].clone();
        assert_eq!(posts.as_array().unwrap().len(), 1);
        assert_eq!(posts[0]["message"], "c");
    }

    #[test]
    fn a_rate_limit_answers_its_code_and_an_applied_failure_still_publishes() {
        let server = Graph::start().unwrap();
        let token = bakery_token(&server);
        control(
            &server,
            "fail",
            json!({"path_contains": "/photos", "code": 32}),
        );
        control(
            &server,
            "fail",
            json!({"path_contains": "/feed", "code": 2, "applied": true}),
        );

        let (status, limited) = error_of(publish_photo(&server, PINE_RIDGE_BAKERY.id, &token, PNG));
        let (lost_status, lost) = error_of(publish(
            &server,
            PINE_RIDGE_BAKERY.id,
            &token,
            "lost answer",
        ));

        assert_eq!(status, 400);
        assert_eq!(limited["code"], 32);
        assert_eq!(limited["message"], "(#32) Page request limit reached");
        assert_eq!(lost_status, 500);
        assert_eq!(lost["code"], 2);
        let posts = look(&server, "posts")["posts"].clone();
        assert_eq!(posts.as_array().unwrap().len(), 1);
        assert_eq!(posts[0]["message"], "lost answer");
    }

    #[test]
    fn the_feed_reads_back_posts_since_a_time_newest_first() {
        let server = Graph::start().unwrap();
        let token = bakery_token(&server);
        let first = json_of(publish(&server, PINE_RIDGE_BAKERY.id, &token, "one"))["id"].clone();
        let second = json_of(publish(&server, PINE_RIDGE_BAKERY.id, &token, "two"))["id"].clone();
        let feed = |since: u64| {
            let path = format!(
                "{}/feed?fields=id,message,created_time&since={since}&limit=25",
                PINE_RIDGE_BAKERY.id
            );
            json_of(get(&server, &path, &token))
        };

        let recent = feed(now() - 60);
        let later = feed(now() + 60);

        let ids: Vec<&Value> = recent["data"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| &p["id"])
            .collect();
        assert_eq!(ids, [&second, &first]);
        assert_eq!(recent["data"][1]["message"], "one");
        let created = recent["data"][0]["created_time"].as_str().unwrap();
        assert_eq!(created.len(), "2026-12-01T03:00:05+0000".len());
        assert!(created.ends_with("+0000"));
        assert_eq!(later["data"], json!([]));
    }

    #[test]
    fn a_posts_counts_and_reach_are_defaults_until_a_test_sets_them() {
        let server = Graph::start().unwrap();
        let token = bakery_token(&server);
        let post = json_of(publish(&server, PINE_RIDGE_BAKERY.id, &token, "one"))["id"]
            .as_str()
            .unwrap()
            .to_owned();
        let stats_path = format!(
            "{post}?fields=reactions.summary(total_count).limit(0),comments.summary(total_count).limit(0)"
        );
        let insights_path = format!("{post}/insights?metric=post_impressions_unique");

        let stats = json_of(get(&server, &stats_path, &token));
        let insights = json_of(get(&server, &insights_path, &token));
        assert_eq!(stats["id"], post.as_str());
        assert_eq!(stats["reactions"]["summary"]["total_count"], 3);
        assert_eq!(stats["comments"]["summary"]["total_count"], 1);
        assert_eq!(insights["data"][0]["name"], "post_impressions_unique");
        assert_eq!(insights["data"][0]["period"], "lifetime");
        assert_eq!(insights["data"][0]["values"][0]["value"], 120);

        control(
            &server,
            "stats",
            json!({"post_id": post, "reactions": 40, "reach": 900}),
        );
        let stats = json_of(get(&server, &stats_path, &token));
        let insights = json_of(get(&server, &insights_path, &token));
        assert_eq!(stats["reactions"]["summary"]["total_count"], 40);
        assert_eq!(stats["comments"]["summary"]["total_count"], 1);
        assert_eq!(insights["data"][0]["values"][0]["value"], 900);
        let (_, unknown) = error_of(get(
            &server,
            &format!("{post}/insights?metric=page_fans"),
            &token,
        ));
        assert_eq!(unknown["code"], 100);
    }

    #[test]
    fn a_reply_to_a_comment_is_recorded_with_its_own_id() {
        let server = Graph::start().unwrap();
        let token = bakery_token(&server);
        let post = json_of(publish(&server, PINE_RIDGE_BAKERY.id, &token, "one"))["id"].clone();
        let comment = control(
            &server,
            "comments",
            json!({"post_id": post, "message": "Open Sunday?"}),
        );
        let comment_id = comment["comment_id"].as_str().unwrap();
        let change = &comment["webhook"]["entry"][0]["changes"][0]["value"];
        assert_eq!(change["comment_id"], comment_id);
        assert_eq!(change["post_id"], post);
        assert_eq!(change["item"], "comment");

        let reply = json_of(form(
            client()
                .post(url(&server, &format!("{comment_id}/comments")))
                .bearer_auth(&token),
            &[("message", "Yes, 8 to noon!")],
        ));

        let reply_id = reply["id"].as_str().unwrap();
        assert_ne!(reply_id, comment_id);
        let replies = look(&server, "posts")["replies"].clone();
        assert_eq!(replies.as_array().unwrap().len(), 1);
        assert_eq!(replies[0]["comment_id"], comment_id);
        assert_eq!(replies[0]["reply_id"], reply_id);
        assert_eq!(replies[0]["message"], "Yes, 8 to noon!");
        assert_eq!(replies[0]["post_id"], post);
    }

    #[test]
    fn the_record_shows_parameter_names_but_never_a_token_code_or_secret() {
        let server = Graph::start().unwrap();
        let user = log_in(&server, &OWNER);
        let token = json_of(get(&server, "me/accounts", &user))["data"][0]["access_token"]
            .as_str()
            .unwrap()
            .to_owned();
        publish(&server, PINE_RIDGE_BAKERY.id, &token, "Sourdough Saturday");
        debug(&server, &token);

        let record = look(&server, "requests");

        let text = record.to_string();
        assert!(!text.contains(&user) && !text.contains(&token));
        assert!(!text.contains(APP_SECRET) && !text.contains("AQ"));
        let requests = record["requests"].as_array().unwrap();
        let exchange = requests
            .iter()
            .find(|r| r["params"].to_string().contains("\"code\""))
            .unwrap();
        assert_eq!(exchange["method"], "POST");
        assert_eq!(exchange["path"], format!("/{V}/oauth/access_token"));
        assert!(
            exchange["params"]
                .as_array()
                .unwrap()
                .contains(&json!("client_secret"))
        );
        let published = requests
            .iter()
            .find(|r| r["path"].as_str().unwrap().ends_with("/feed"))
            .unwrap();
        assert_eq!(published["values"]["message"], "Sourdough Saturday");
        assert_eq!(published["token"], "page");
        assert_eq!(published["status"], 200);
    }

    #[test]
    fn an_old_version_and_a_token_in_the_url_are_refused() {
        let server = Graph::start().unwrap();
        let token = bakery_token(&server);

        let old = client()
            .get(format!("{}/v18.0/me", server.base_url()))
            .bearer_auth(&token)
            .send()
            .unwrap();
        let in_url = client()
            .get(url(&server, &format!("me?access_token={token}")))
            .send()
            .unwrap();

        assert_eq!(error_of(old).1["code"], 2635);
        assert_eq!(error_of(in_url).1["code"], 100);
    }

    #[test]
    fn reset_forgets_posts_and_failures_but_not_tokens() {
        let server = Graph::start().unwrap();
        let token = bakery_token(&server);
        publish(&server, PINE_RIDGE_BAKERY.id, &token, "one");
        control(&server, "fail", json!({"path_contains": "/feed"}));

        control(&server, "reset", json!({}));

        assert_eq!(look(&server, "posts")["posts"], json!([]));
        assert_eq!(look(&server, "requests")["requests"], json!([]));
        assert_eq!(
            publish(&server, PINE_RIDGE_BAKERY.id, &token, "two").status(),
            200
        );
    }

    #[test]
    fn fields_are_the_top_level_names() {
        assert_eq!(
            fields("id,reactions.summary(total_count).limit(0),comments{message,from},message"),
            ["id", "reactions", "comments", "message"]
        );
        assert!(fields("").is_empty());
    }
}
