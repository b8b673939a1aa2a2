//! The Graph API as the product speaks it: the version rule, the login dialog's URL, the
//! request bodies and field lists, the answers we read (serde) and the error classification
//! that decides whether a call is retried, paused or given up. Tokens never leave through a
//! `Debug` impl or an error message: the answers holding one print it as `[redacted]`, and
//! Meta's messages are redacted before anyone sees them.

use serde::Deserialize;
use serde::de::DeserializeOwned;
use std::fmt;

/// The oldest Graph API major version we call: older ones are retired or about to be.
pub const MIN_MAJOR: u32 = 25;

/// The permissions the login dialog asks for, as Meta names them: list the person's Pages,
/// publish and read their posts, read and answer comments, and read post reach.
pub const SCOPES: &[&str] = &[
    "pages_show_list",
    "pages_read_engagement",
    "pages_manage_posts",
    "pages_manage_engagement",
    "pages_read_user_content",
    "read_insights",
];

/// `fields` of `GET /me/accounts`.
pub const ACCOUNTS_FIELDS: &str = "id,name,access_token,category,tasks";
/// `fields` of `GET /{page_id}` when renewing a Page token.
pub const PAGE_TOKEN_FIELDS: &str = "access_token,name";
/// `fields` of `GET /{page_id}/feed` when reconciling what was published.
pub const FEED_FIELDS: &str = "id,message,created_time";
/// `fields` of `GET /{post_id}` for a post's reaction and comment counts.
pub const STATS_FIELDS: &str =
    "reactions.summary(total_count).limit(0),comments.summary(total_count).limit(0)";
/// `metric` of `GET /{post_id}/insights`: the people who saw the post.
pub const REACH_METRIC: &str = "post_impressions_unique";

/// The longest error message of Meta's we keep (it is shown to owners).
pub const MOST_MESSAGE_CHARS: usize = 300;

const REDACTED: &str = "[redacted]";

/// A Graph API version like `v25.0`, at least [`MIN_MAJOR`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GraphVersion {
    major: u32,
    minor: u32,
}

/// Why a configured Graph API version is refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum VersionError {
    /// Not `v<major>.<minor>`.
    Malformed,
    /// A version older than [`MIN_MAJOR`].
    TooOld { major: u32 },
}

impl fmt::Display for VersionError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Malformed => write!(
                f,
                "the Graph API version must look like v{MIN_MAJOR}.0 (a \"v\", the major and minor numbers)"
            ),
            Self::TooOld { major } => write!(
                f,
                "Graph API v{major} is retired or about to be: use v{MIN_MAJOR}.0 or later"
            ),
        }
    }
}

impl std::error::Error for VersionError {}

impl GraphVersion {
    pub fn parse(raw: &str) -> Result<Self, VersionError> {
        let numbers = raw
            .trim()
            .strip_prefix('v')
            .ok_or(VersionError::Malformed)?;
        let (major, minor) = numbers.split_once('.').ok_or(VersionError::Malformed)?;
        let number = |text: &str| -> Result<u32, VersionError> {
            if text.is_empty() || text.len() > 4 || !text.bytes().all(|b| b.is_ascii_digit()) {
                return Err(VersionError::Malformed);
            }
            text.parse().map_err(|_| VersionError::Malformed)
        };
        let (major, minor) = (number(major)?, number(minor)?);
        if major < MIN_MAJOR {
            return Err(VersionError::TooOld { major });
        }
        Ok(Self { major, minor })
    }

    pub fn major(self) -> u32 {
        self.major
    }
}

impl fmt::Display for GraphVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "v{}.{}", self.major, self.minor)
    }
}

/// A configured base (`FACEBOOK_GRAPH_BASE`, `FACEBOOK_DIALOG_BASE`) that is not an absolute
/// http(s) URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BaseUrlError;

impl fmt::Display for BaseUrlError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("the Facebook base URL must be an absolute http(s) URL")
    }
}

impl std::error::Error for BaseUrlError {}

/// `{base}/{version}/{segments...}?{query}`, each segment and query value encoded. Tokens
/// belong in the `Authorization` header, never in `query` (except `debug_token`'s
/// `input_token`, as Meta documents it).
pub fn endpoint(
    base: &str,
    version: GraphVersion,
    segments: &[&str],
    query: &[(&str, &str)],
) -> Result<String, BaseUrlError> {
    let mut url = url::Url::parse(base).map_err(|_| BaseUrlError)?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(BaseUrlError);
    }
    {
        let mut path = url.path_segments_mut().map_err(|_| BaseUrlError)?;
        path.pop_if_empty()
            .push(&version.to_string())
            .extend(segments);
    }
    url.set_query(None);
    if !query.is_empty() {
        url.query_pairs_mut().extend_pairs(query);
    }
    Ok(url.into())
}

/// The Facebook Login dialog the browser is sent to: `{dialog_base}/{v}/dialog/oauth` with
/// the app, where to come back, the single-use `state` and the permissions asked for.
pub fn login_dialog_url(
    dialog_base: &str,
    version: GraphVersion,
    app_id: &str,
    redirect_uri: &str,
    state: &str,
    scopes: &[&str],
) -> Result<String, BaseUrlError> {
    let scope = scopes.join(",");
    endpoint(
        dialog_base,
        version,
        &["dialog", "oauth"],
        &[
            ("client_id", app_id),
            ("redirect_uri", redirect_uri),
            ("state", state),
            ("scope", scope.as_str()),
            ("response_type", "code"),
        ],
    )
}

/// The app access token (`Authorization: Bearer {id}|{secret}` for `debug_token`).
pub fn app_token(app_id: &str, app_secret: &str) -> String {
    format!("{app_id}|{app_secret}")
}

/// An `application/x-www-form-urlencoded` body.
pub fn form(pairs: &[(&str, &str)]) -> String {
    url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs(pairs)
        .finish()
}

/// `POST /{v}/oauth/access_token`: the login's code for a short-lived user token.
pub fn code_exchange_form(
    app_id: &str,
    app_secret: &str,
    redirect_uri: &str,
    code: &str,
) -> String {
    form(&[
        ("client_id", app_id),
        ("client_secret", app_secret),
        ("redirect_uri", redirect_uri),
        ("code", code),
    ])
}

/// `POST /{v}/oauth/access_token`: a short-lived user token for a long-lived one.
pub fn long_lived_exchange_form(app_id: &str, app_secret: &str, user_token: &str) -> String {
    form(&[
        ("grant_type", "fb_exchange_token"),
        ("client_id", app_id),
        ("client_secret", app_secret),
        ("fb_exchange_token", user_token),
    ])
}

/// Reads a Graph answer: a 2xx body as `T`, anything else (or a 2xx body carrying an
/// `error`, or one that is not a `T`) as a classified [`GraphError`].
pub fn parse<T: DeserializeOwned>(status: u16, body: &str) -> Result<T, GraphError> {
    if (200..300).contains(&status)
        && let Ok(answer) = serde_json::from_str::<T>(body)
    {
        return Ok(answer);
    }
    Err(GraphError::from_answer(status, body))
}

/// A user or Page token answer of `/oauth/access_token`.
#[derive(Clone, PartialEq, Eq, Deserialize)]
pub struct AccessToken {
    pub access_token: String,
    #[serde(default)]
    pub token_type: Option<String>,
    /// Seconds the token lives; absent for tokens that do not expire.
    #[serde(default)]
    pub expires_in: Option<i64>,
}

impl fmt::Debug for AccessToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AccessToken")
            .field("access_token", &REDACTED)
            .field("token_type", &self.token_type)
            .field("expires_in", &self.expires_in)
            .finish()
    }
}

/// `GET /me/accounts`: the Pages the person manages.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Accounts {
    #[serde(default)]
    pub data: Vec<PageAccount>,
    #[serde(default)]
    pub paging: Option<Paging>,
}

/// One Page of `/me/accounts`, with its Page token when the person may use it.
#[derive(Clone, PartialEq, Eq, Deserialize)]
pub struct PageAccount {
    pub id: String,
    pub name: String,
    #[serde(default)]
    pub access_token: Option<String>,
    #[serde(default)]
    pub category: Option<String>,
    #[serde(default)]
    pub tasks: Vec<String>,
}

impl PageAccount {
    /// Whether the person may publish as this Page (the `CREATE_CONTENT` or `MANAGE` task)
    /// and Meta gave us its token.
    pub fn can_publish(&self) -> bool {
        self.access_token.is_some()
            && self
                .tasks
                .iter()
                .any(|task| task == "CREATE_CONTENT" || task == "MANAGE")
    }
}

impl fmt::Debug for PageAccount {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PageAccount")
            .field("id", &self.id)
            .field("name", &self.name)
            .field(
                "access_token",
                &self.access_token.as_ref().map(|_| REDACTED),
            )
            .field("category", &self.category)
            .field("tasks", &self.tasks)
            .finish()
    }
}

/// Cursor paging of a list answer.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Paging {
    #[serde(default)]
    pub cursors: Option<Cursors>,
    #[serde(default)]
    pub next: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Cursors {
    #[serde(default)]
    pub before: Option<String>,
    #[serde(default)]
    pub after: Option<String>,
}

/// `GET /{page_id}?fields=access_token,name`: a fresh Page token.
#[derive(Clone, PartialEq, Eq, Deserialize)]
pub struct PageToken {
    pub id: String,
    #[serde(default)]
    pub name: Option<String>,
    pub access_token: String,
}

impl fmt::Debug for PageToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PageToken")
            .field("id", &self.id)
            .field("name", &self.name)
            .field("access_token", &REDACTED)
            .finish()
    }
}

/// `GET /debug_token`'s envelope.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct DebugToken {
    pub data: TokenInfo,
}

/// What Meta says about a token.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct TokenInfo {
    #[serde(default)]
    pub app_id: Option<String>,
    #[serde(default)]
    pub is_valid: bool,
    /// Unix seconds; 0 means the token never expires (Page tokens from long-lived user tokens).
    #[serde(default)]
    pub expires_at: i64,
    /// Unix seconds after which the person must log in again for us to read their data.
    #[serde(default)]
    pub data_access_expires_at: Option<i64>,
    /// `PAGE`, `USER`, `APP`.
    #[serde(default, rename = "type")]
    pub kind: Option<String>,
    #[serde(default)]
    pub scopes: Vec<String>,
    /// The Page of a Page token.
    #[serde(default)]
    pub profile_id: Option<String>,
    #[serde(default)]
    pub user_id: Option<String>,
    #[serde(default)]
    pub error: Option<TokenInfoError>,
}

impl TokenInfo {
    /// When the token stops working, `None` when it never does.
    pub fn expiry(&self) -> Option<i64> {
        (self.expires_at > 0).then_some(self.expires_at)
    }

    /// Whether the token is valid and still will be `margin` seconds after `now`.
    pub fn valid_for(&self, now: i64, margin: i64) -> bool {
        self.is_valid
            && self
                .expiry()
                .is_none_or(|at| at > now.saturating_add(margin))
    }
}

/// The reason `debug_token` gives for an invalid token.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct TokenInfoError {
    #[serde(default)]
    pub code: i64,
    #[serde(default)]
    pub message: String,
    #[serde(default)]
    pub subcode: Option<i64>,
}

/// `POST /{page_id}/feed` (`id` is the post) or `/{page_id}/photos` (`id` is the photo,
/// `post_id` the post).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct PostCreated {
    pub id: String,
    #[serde(default)]
    pub post_id: Option<String>,
}

impl PostCreated {
    /// The id of the post in the Page's feed, whichever endpoint published it.
    pub fn feed_post_id(&self) -> &str {
        self.post_id.as_deref().unwrap_or(&self.id)
    }
}

/// `GET /{page_id}/feed`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Feed {
    #[serde(default)]
    pub data: Vec<FeedPost>,
    #[serde(default)]
    pub paging: Option<Paging>,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct FeedPost {
    pub id: String,
    #[serde(default)]
    pub message: Option<String>,
    /// Like `2026-12-01T03:00:05+0000`.
    #[serde(default)]
    pub created_time: Option<String>,
}

impl FeedPost {
    /// `created_time` as unix seconds.
    pub fn created_at(&self) -> Option<i64> {
        self.created_time.as_deref().and_then(parse_time)
    }
}

/// A Graph timestamp (`2026-12-01T03:00:05+0000`, or with `Z`/`+00:00`) as unix seconds.
pub fn parse_time(text: &str) -> Option<i64> {
    let (date, rest) = text.split_once('T')?;
    let mut ymd = date.splitn(3, '-').map(|part| part.parse::<i64>().ok());
    let (year, month, day) = (ymd.next()??, ymd.next()??, ymd.next()??);
    let clock = rest.get(..8)?;
    let mut hms = clock.splitn(3, ':').map(|part| part.parse::<i64>().ok());
    let (hour, minute, second) = (hms.next()??, hms.next()??, hms.next()??);
    let zone = rest.get(8..)?.replace(':', "");
    let offset = match zone.as_str() {
        "" | "Z" => 0,
        _ => {
            let (sign, digits) = zone.split_at_checked(1)?;
            let sign = match sign {
                "+" => 1,
                "-" => -1,
                _ => return None,
            };
            let (h, m) = digits.split_at_checked(2)?;
            sign * (h.parse::<i64>().ok()? * 3600 + m.parse::<i64>().ok()? * 60)
        }
    };
    let valid = (1..=12).contains(&month)
        && (1..=31).contains(&day)
        && (0..24).contains(&hour)
        && (0..60).contains(&minute)
        && (0..=60).contains(&second);
    valid.then(|| {
        days_from_civil(year, month, day) * 86_400 + hour * 3600 + minute * 60 + second - offset
    })
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let year = if month <= 2 { year - 1 } else { year };
    let era = year.div_euclid(400);
    let year_of_era = year - era * 400;
    let day_of_year = (153 * (month + if month > 2 { -3 } else { 9 }) + 2) / 5 + day - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - 719_468
}

/// `GET /{post_id}?fields=reactions.summary(..),comments.summary(..)`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct PostStats {
    pub id: String,
    #[serde(default)]
    reactions: Option<Counted>,
    #[serde(default)]
    comments: Option<Counted>,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
struct Counted {
    #[serde(default)]
    summary: Option<Summary>,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
struct Summary {
    #[serde(default)]
    total_count: i64,
}

impl PostStats {
    pub fn reactions(&self) -> i64 {
        total(self.reactions.as_ref())
    }

    pub fn comments(&self) -> i64 {
        total(self.comments.as_ref())
    }
}

fn total(counted: Option<&Counted>) -> i64 {
    counted
        .and_then(|counted| counted.summary.as_ref())
        .map_or(0, |summary| summary.total_count)
}

/// `GET /{post_id}/insights?metric=...`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Insights {
    #[serde(default)]
    data: Vec<Metric>,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
struct Metric {
    name: String,
    #[serde(default)]
    values: Vec<MetricValue>,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
struct MetricValue {
    #[serde(default)]
    value: serde_json::Value,
}

impl Insights {
    /// The latest value of a numeric metric.
    pub fn metric(&self, name: &str) -> Option<i64> {
        self.data
            .iter()
            .find(|metric| metric.name == name)?
            .values
            .last()?
            .value
            .as_i64()
    }

    /// The people who saw the post ([`REACH_METRIC`]).
    pub fn reach(&self) -> Option<i64> {
        self.metric(REACH_METRIC)
    }
}

/// What a failed call means for the caller.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    /// Throttled: pause the Page (or app) instead of calling again soon.
    RateLimited,
    /// The token is expired, revoked or lacks a permission: the owner must reconnect.
    TokenInvalid,
    /// Meta's side failed for now: retry with backoff.
    Transient,
    /// The request itself is wrong: retrying gives the same answer.
    Permanent,
}

/// A failed Graph call, classified, with Meta's message made fit to show an owner.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GraphError {
    pub kind: ErrorKind,
    /// Meta's error code, 0 when the answer carried none.
    pub code: i64,
    pub subcode: Option<i64>,
    /// Meta's message, redacted and at most [`MOST_MESSAGE_CHARS`] characters.
    pub message: String,
}

#[derive(Deserialize)]
struct ErrorEnvelope {
    error: ErrorBody,
}

#[derive(Deserialize)]
struct ErrorBody {
    #[serde(default)]
    message: String,
    #[serde(default)]
    code: i64,
    #[serde(default)]
    error_subcode: Option<i64>,
    #[serde(default)]
    is_transient: bool,
}

impl GraphError {
    /// Classifies an answer from its HTTP status and body (Meta's error envelope).
    pub fn from_answer(status: u16, body: &str) -> Self {
        match serde_json::from_str::<ErrorEnvelope>(body) {
            Ok(ErrorEnvelope { error }) => {
                let mut kind = Self::classify(status, error.code);
                if kind == ErrorKind::Permanent && error.is_transient {
                    kind = ErrorKind::Transient;
                }
                let message = if error.message.trim().is_empty() {
                    format!("the Graph API answered HTTP {status}")
                } else {
                    redact(error.message.trim())
                };
                Self {
                    kind,
                    code: error.code,
                    subcode: error.error_subcode,
                    message,
                }
            }
            Err(_) => Self {
                kind: match status {
                    429 => ErrorKind::RateLimited,
                    500..=599 => ErrorKind::Transient,
                    _ => ErrorKind::Permanent,
                },
                code: 0,
                subcode: None,
                message: format!("the Graph API answered HTTP {status} with an unexpected body"),
            },
        }
    }

    /// The kind of an error with Meta's `code`, answered with HTTP `status`.
    pub fn classify(status: u16, code: i64) -> ErrorKind {
        match code {
            _ if status == 429 => ErrorKind::RateLimited,
            4 | 17 | 32 | 613 | 80_001..=80_014 => ErrorKind::RateLimited,
            190 | 102 | 463 | 467 => ErrorKind::TokenInvalid,
            1 | 2 => ErrorKind::Transient,
            _ if (500..600).contains(&status) => ErrorKind::Transient,
            _ => ErrorKind::Permanent,
        }
    }
}

impl fmt::Display for GraphError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} (code {}", self.message, self.code)?;
        if let Some(subcode) = self.subcode {
            write!(f, ", subcode {subcode}")?;
        }
        f.write_str(")")
    }
}

impl std::error::Error for GraphError {}

/// Query parameters whose values are secrets wherever they appear in a text.
const SECRET_PARAMS: &[&str] = &[
    "access_token",
    "input_token",
    "fb_exchange_token",
    "client_secret",
];

fn is_token_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_' || c == '-'
}

/// A run of token characters that looks like a secret: one holding a Meta token (`EAA` and
/// more than 17 characters after it, glued to whatever precedes it) or any long run.
fn looks_like_token(run: &str) -> bool {
    run.len() >= 32
        || run
            .match_indices("EAA")
            .any(|(at, _)| run.len().saturating_sub(at) > 20)
}

/// `text` with anything that looks like a token (a run holding `EAA` and 18 more characters,
/// any run of 32 or more letters, digits, `-` and `_`, the word after `Bearer`, the value
/// of `access_token=` and the other secret parameters) replaced by `[redacted]`, cut to
/// [`MOST_MESSAGE_CHARS`] characters.
pub fn redact(text: &str) -> String {
    let mut out = String::with_capacity(text.len().min(MOST_MESSAGE_CHARS * 4));
    let mut rest = text;
    while let Some(first) = rest.chars().next() {
        if !is_token_char(first) {
            out.push(first);
            rest = rest.get(first.len_utf8()..).unwrap_or_default();
            continue;
        }
        let end = rest.find(|c| !is_token_char(c)).unwrap_or(rest.len());
        let (run, after) = rest.split_at_checked(end).unwrap_or((rest, ""));
        rest = after;
        out.push_str(if looks_like_token(run) { REDACTED } else { run });
        let lower = run.to_ascii_lowercase();
        let secret_follows = if SECRET_PARAMS.contains(&lower.as_str()) {
            rest.strip_prefix('=').map(|value| ('=', value))
        } else if lower == "bearer" {
            rest.strip_prefix(' ').map(|value| (' ', value))
        } else {
            None
        };
        if let Some((separator, value)) = secret_follows {
            let value_end = value
                .find(|c: char| c == '&' || c == '"' || c == '\'' || c.is_whitespace())
                .unwrap_or(value.len());
            out.push(separator);
            out.push_str(REDACTED);
            rest = value.get(value_end..).unwrap_or_default();
        }
    }
    crate::clip(&out, MOST_MESSAGE_CHARS)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v25() -> GraphVersion {
        GraphVersion::parse("v25.0").unwrap()
    }

    #[test]
    fn versions_from_25_are_accepted() {
        assert_eq!(v25().to_string(), "v25.0");
        assert_eq!(GraphVersion::parse(" v26.1 ").unwrap().to_string(), "v26.1");
        assert_eq!(v25().major(), 25);
    }

    #[test]
    fn a_retired_version_is_refused_with_the_minimum_named() {
        let err = GraphVersion::parse("v19.0").unwrap_err();
        assert_eq!(err, VersionError::TooOld { major: 19 });
        assert!(err.to_string().contains("v25.0 or later"));
    }

    #[test]
    fn malformed_versions_are_refused() {
        for raw in [
            "25.0", "v25", "v25.", "v.0", "vx.0", "v25.0.1", "", "v99999.0",
        ] {
            assert_eq!(
                GraphVersion::parse(raw),
                Err(VersionError::Malformed),
                "{raw}"
            );
        }
    }

    #[test]
    fn the_login_dialog_carries_the_app_return_state_and_scopes() {
        let url = login_dialog_url(
            "https://www.facebook.com",
            v25(),
            "1234",
            "https://app.kiamichibizconnect.com/facebook/callback",
            "st&te",
            SCOPES,
        )
        .unwrap();
        assert_eq!(
            url,
            "https://www.facebook.com/v25.0/dialog/oauth?client_id=1234\
             &redirect_uri=https%3A%2F%2Fapp.kiamichibizconnect.com%2Ffacebook%2Fcallback\
             &state=st%26te&scope=pages_show_list%2Cpages_read_engagement%2Cpages_manage_posts\
             %2Cpages_manage_engagement%2Cpages_read_user_content%2Cread_insights&response_type=code"
        );
    }

    #[test]
    fn a_base_with_a_trailing_slash_or_path_keeps_one_slash() {
        let url = endpoint("http://127.0.0.1:8794/", v25(), &["123", "feed"], &[]).unwrap();
        assert_eq!(url, "http://127.0.0.1:8794/v25.0/123/feed");
        let url = endpoint(
            "http://127.0.0.1:8794/graph",
            v25(),
            &["me", "accounts"],
            &[],
        )
        .unwrap();
        assert_eq!(url, "http://127.0.0.1:8794/graph/v25.0/me/accounts");
    }

    #[test]
    fn endpoint_segments_and_query_values_are_encoded() {
        let url = endpoint(
            "https://graph.facebook.com",
            v25(),
            &["1/2"],
            &[("fields", FEED_FIELDS), ("since", "5")],
        )
        .unwrap();
        assert_eq!(
            url,
            "https://graph.facebook.com/v25.0/1%2F2?fields=id%2Cmessage%2Ccreated_time&since=5"
        );
    }

    #[test]
    fn bases_other_than_http_urls_are_refused() {
        for base in ["graph.facebook.com", "ftp://x", "mailto:a@b.c", ""] {
            assert_eq!(endpoint(base, v25(), &[], &[]), Err(BaseUrlError), "{base}");
        }
    }

    #[test]
    fn the_app_token_is_id_bar_secret() {
        assert_eq!(app_token("123", "s3cr3t"), "123|s3cr3t");
    }

    #[test]
    fn exchange_forms_are_url_encoded() {
        assert_eq!(
            code_exchange_form("1", "s&s", "https://a/b?c", "x y"),
            "client_id=1&client_secret=s%26s&redirect_uri=https%3A%2F%2Fa%2Fb%3Fc&code=x+y"
        );
        assert_eq!(
            long_lived_exchange_form("1", "s", "T"),
            "grant_type=fb_exchange_token&client_id=1&client_secret=s&fb_exchange_token=T"
        );
    }

    #[test]
    fn token_answers_parse_and_never_debug_print_the_token() {
        let token: AccessToken = parse(
            200,
            r#"{"access_token":"EAAsecretsecretsecret","token_type":"bearer","expires_in":5183944}"#,
        )
        .unwrap();
        assert_eq!(token.access_token, "EAAsecretsecretsecret");
        assert_eq!(token.expires_in, Some(5_183_944));
        assert!(!format!("{token:?}").contains("EAAsecret"));
        let token: AccessToken = parse(200, r#"{"access_token":"T"}"#).unwrap();
        assert_eq!((token.token_type, token.expires_in), (None, None));
    }

    #[test]
    fn accounts_list_pages_with_their_tasks() {
        let accounts: Accounts = parse(
            200,
            r#"{"data":[{"id":"101","name":"Pine Cafe","access_token":"PAGETOKEN","category":"Restaurant",
                "tasks":["CREATE_CONTENT","MANAGE","MODERATE"]},
               {"id":"102","name":"Viewer only","tasks":["ANALYZE"]}],
               "paging":{"cursors":{"before":"x","after":"y"}}}"#,
        )
        .unwrap();
        let [cafe, viewer] = accounts.data.as_slice() else {
            panic!("two pages")
        };
        assert_eq!(cafe.category.as_deref(), Some("Restaurant"));
        assert!(cafe.can_publish());
        assert!(!viewer.can_publish());
        assert!(!format!("{accounts:?}").contains("PAGETOKEN"));
        let after = accounts.paging.unwrap().cursors.unwrap().after;
        assert_eq!(after.as_deref(), Some("y"));
    }

    #[test]
    fn a_page_token_answer_parses_and_hides_its_token() {
        let page: PageToken = parse(
            200,
            r#"{"id":"101","name":"Pine Cafe","access_token":"FRESH"}"#,
        )
        .unwrap();
        assert_eq!(page.access_token, "FRESH");
        assert!(!format!("{page:?}").contains("FRESH"));
    }

    #[test]
    fn debug_token_reads_validity_expiry_and_the_page() {
        let info = parse::<DebugToken>(
            200,
            r#"{"data":{"app_id":"1","type":"PAGE","application":"KBC","data_access_expires_at":1800000000,
                "expires_at":0,"is_valid":true,"scopes":["pages_manage_posts"],"user_id":"7","profile_id":"101"}}"#,
        )
        .unwrap()
        .data;
        assert!(info.is_valid);
        assert_eq!(info.expiry(), None);
        assert!(info.valid_for(1_700_000_000, 86_400 * 365));
        assert_eq!(info.kind.as_deref(), Some("PAGE"));
        assert_eq!(info.profile_id.as_deref(), Some("101"));
        assert_eq!(info.data_access_expires_at, Some(1_800_000_000));
    }

    #[test]
    fn debug_token_of_an_invalid_token_carries_its_reason() {
        let info = parse::<DebugToken>(
            200,
            r#"{"data":{"is_valid":false,"expires_at":1700000000,"scopes":[],
                "error":{"code":190,"message":"Session has expired","subcode":463}}}"#,
        )
        .unwrap()
        .data;
        assert!(!info.valid_for(0, 0));
        assert_eq!(info.error.unwrap().subcode, Some(463));
    }

    #[test]
    fn a_token_expiring_within_the_margin_is_not_valid_for_it() {
        let info: TokenInfo =
            serde_json::from_str(r#"{"is_valid":true,"expires_at":1000}"#).unwrap();
        assert_eq!(info.expiry(), Some(1000));
        assert!(info.valid_for(0, 999));
        assert!(!info.valid_for(0, 1000));
    }

    #[test]
    fn a_photo_post_is_known_by_its_feed_post_id() {
        let photo: PostCreated = parse(200, r#"{"id":"555","post_id":"101_9"}"#).unwrap();
        assert_eq!(photo.feed_post_id(), "101_9");
        let text: PostCreated = parse(200, r#"{"id":"101_10"}"#).unwrap();
        assert_eq!(text.feed_post_id(), "101_10");
    }

    #[test]
    fn feed_posts_carry_their_creation_time() {
        let feed: Feed = parse(
            200,
            r#"{"data":[{"id":"101_1","message":"Hi","created_time":"2026-12-01T03:00:05+0000"}],"paging":{}}"#,
        )
        .unwrap();
        let post = feed.data.first().unwrap();
        assert_eq!(post.message.as_deref(), Some("Hi"));
        assert_eq!(post.created_at(), Some(1_796_094_005));
    }

    #[test]
    fn graph_times_parse_with_any_utc_offset_form() {
        assert_eq!(parse_time("1970-01-01T00:00:00+0000"), Some(0));
        assert_eq!(parse_time("1970-01-01T00:00:00Z"), Some(0));
        assert_eq!(parse_time("1970-01-01T01:00:00+01:00"), Some(0));
        assert_eq!(parse_time("2000-03-01T00:00:00-0600"), Some(951_890_400));
        for bad in [
            "",
            "2026-13-01T00:00:00+0000",
            "2026-12-01",
            "2026-12-01T00:00:00*0100",
        ] {
            assert_eq!(parse_time(bad), None, "{bad}");
        }
    }

    #[test]
    fn post_stats_read_the_summaries_and_default_to_zero() {
        let stats: PostStats = parse(
            200,
            r#"{"id":"101_1","reactions":{"data":[],"summary":{"total_count":12}},
                "comments":{"data":[],"summary":{"total_count":3}}}"#,
        )
        .unwrap();
        assert_eq!((stats.reactions(), stats.comments()), (12, 3));
        let bare: PostStats = parse(200, r#"{"id":"101_1"}"#).unwrap();
        assert_eq!((bare.reactions(), bare.comments()), (0, 0));
    }

    #[test]
    fn insights_give_the_posts_reach() {
        let insights: Insights = parse(
            200,
            r#"{"data":[{"name":"post_impressions_unique","period":"lifetime","values":[{"value":431}],
                "title":"Lifetime Post Total Reach","id":"101_1/insights/post_impressions_unique/lifetime"}]}"#,
        )
        .unwrap();
        assert_eq!(insights.reach(), Some(431));
        assert_eq!(insights.metric("post_clicks"), None);
    }

    fn error_body(code: i64) -> String {
        format!(
            r#"{{"error":{{"message":"Boom","type":"OAuthException","code":{code},
                "error_subcode":460,"fbtrace_id":"A1"}}}}"#
        )
    }

    #[test]
    fn throttling_codes_and_http_429_are_rate_limited() {
        for code in [4, 17, 32, 613, 80_001, 80_014] {
            assert_eq!(
                GraphError::from_answer(400, &error_body(code)).kind,
                ErrorKind::RateLimited,
                "{code}"
            );
        }
        assert_eq!(
            GraphError::from_answer(429, "slow down").kind,
            ErrorKind::RateLimited
        );
        assert_eq!(GraphError::classify(429, 100), ErrorKind::RateLimited);
    }

    #[test]
    fn token_codes_mean_the_owner_must_reconnect() {
        for code in [190, 102, 463, 467] {
            assert_eq!(
                GraphError::classify(400, code),
                ErrorKind::TokenInvalid,
                "{code}"
            );
        }
        let err = GraphError::from_answer(400, &error_body(190));
        assert_eq!((err.code, err.subcode), (190, Some(460)));
        assert_eq!(err.message, "Boom");
        assert_eq!(err.to_string(), "Boom (code 190, subcode 460)");
    }

    #[test]
    fn codes_1_and_2_and_server_errors_are_transient() {
        assert_eq!(GraphError::classify(500, 1), ErrorKind::Transient);
        assert_eq!(GraphError::classify(400, 2), ErrorKind::Transient);
        assert_eq!(GraphError::classify(503, 100), ErrorKind::Transient);
        assert_eq!(
            GraphError::from_answer(502, "<html>Bad gateway</html>").kind,
            ErrorKind::Transient
        );
    }

    #[test]
    fn other_codes_and_unreadable_client_errors_are_permanent() {
        assert_eq!(GraphError::classify(400, 100), ErrorKind::Permanent);
        assert_eq!(GraphError::classify(403, 200), ErrorKind::Permanent);
        let err = GraphError::from_answer(400, "not json");
        assert_eq!((err.kind, err.code), (ErrorKind::Permanent, 0));
        assert!(err.message.contains("HTTP 400"));
    }

    #[test]
    fn meta_flagging_an_error_transient_is_believed() {
        let body = r#"{"error":{"message":"Try later","code":368,"is_transient":true}}"#;
        assert_eq!(
            GraphError::from_answer(400, body).kind,
            ErrorKind::Transient
        );
    }

    #[test]
    fn a_success_body_that_is_not_the_answer_is_an_error() {
        let err =
            parse::<PostCreated>(200, r#"{"error":{"message":"Nope","code":100}}"#).unwrap_err();
        assert_eq!(
            (err.kind, err.message.as_str()),
            (ErrorKind::Permanent, "Nope")
        );
        let err = parse::<PostCreated>(200, "").unwrap_err();
        assert_eq!(err.kind, ErrorKind::Permanent);
    }

    #[test]
    fn meta_tokens_in_messages_are_redacted() {
        let message = "Invalid token EAABsbCS1iHgBAKZCsl0wZDZD for page 101";
        assert_eq!(redact(message), "Invalid token [redacted] for page 101");
        let long = format!("key {} rejected", "a1b2".repeat(8));
        assert_eq!(redact(&long), "key [redacted] rejected");
        assert_eq!(redact("EAA short"), "EAA short");
        assert_eq!(redact("at 0000EAABsbCS1iHgBAKZCsl0wZD"), "at [redacted]");
    }

    #[test]
    fn secret_query_values_and_bearer_tokens_are_redacted() {
        assert_eq!(
            redact("GET /me?access_token=abc123&fields=id failed"),
            "GET /me?access_token=[redacted]&fields=id failed"
        );
        assert_eq!(
            redact("used client_secret=xyz and input_token=short"),
            "used client_secret=[redacted] and input_token=[redacted]"
        );
        assert_eq!(
            redact("header Bearer abc.def x"),
            "header Bearer [redacted] x"
        );
    }

    #[test]
    fn error_messages_are_capped_for_owners() {
        let err = GraphError::from_answer(
            400,
            &format!(
                r#"{{"error":{{"message":"{}","code":100}}}}"#,
                "word ".repeat(200)
            ),
        );
        assert!(err.message.chars().count() <= MOST_MESSAGE_CHARS);
        assert!(err.message.ends_with('…'));
    }
}
