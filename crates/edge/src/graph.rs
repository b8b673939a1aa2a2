//! The one client of Meta's Graph API (the agent's Facebook Login and replies, the facebook
//! worker's publishing, token checks and insights) and the key ring that seals Page tokens.
//! The base URL and version are configuration (`FACEBOOK_GRAPH_BASE`, `FACEBOOK_GRAPH_VERSION`;
//! `config check` holds production to Meta's host and a current version). Tokens travel in
//! the `Authorization` header or a POST body — never in a URL we build, except
//! `debug_token`'s `input_token`, where Meta's API takes it — and never in an error.

use crate::http::{NoResponse, send_within, within};
use crate::runtime;
use kbc_domain::facebook::connections::Connection;
use kbc_meta::graph::{self, ErrorKind, GraphError, GraphVersion};
use kbc_meta::tokens::TokenKeys;
use serde::de::DeserializeOwned;
use std::time::Duration;
use worker::{Env, Headers, Method, Request, RequestInit};

/// How long one Graph call may take (a publish with an image included).
const CALL_TIMEOUT: Duration = Duration::from_secs(30);
/// The largest answer read (feeds and page lists are small).
const MOST_ANSWER_BYTES: usize = 1024 * 1024;

/// Where the Graph API is and the app's credentials.
#[derive(Clone)]
pub struct Graph {
    base: String,
    dialog: String,
    version: GraphVersion,
    app_id: String,
    app_secret: String,
}

impl std::fmt::Debug for Graph {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Graph")
            .field("base", &self.base)
            .field("app_id", &self.app_id)
            .finish_non_exhaustive()
    }
}

/// Why Facebook is not available: the names of what is missing or wrong (never values).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NotConfigured(pub String);

impl std::fmt::Display for NotConfigured {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Facebook is not configured: {}", self.0)
    }
}

impl Graph {
    /// The Graph API as the environment configures it.
    pub fn from_env(env: &Env) -> Result<Self, NotConfigured> {
        let base = runtime::var(env, "FACEBOOK_GRAPH_BASE");
        let dialog = runtime::var(env, "FACEBOOK_DIALOG_BASE");
        let version = runtime::var(env, "FACEBOOK_GRAPH_VERSION");
        let app_id = runtime::var(env, "FACEBOOK_APP_ID");
        let app_secret = runtime::var(env, "FACEBOOK_APP_SECRET");
        let missing: Vec<&str> = [
            ("FACEBOOK_GRAPH_BASE", base.is_none()),
            ("FACEBOOK_DIALOG_BASE", dialog.is_none()),
            ("FACEBOOK_GRAPH_VERSION", version.is_none()),
            ("FACEBOOK_APP_ID", app_id.is_none()),
            ("FACEBOOK_APP_SECRET", app_secret.is_none()),
        ]
        .into_iter()
        .filter_map(|(name, absent)| absent.then_some(name))
        .collect();
        let (Some(base), Some(dialog), Some(version), Some(app_id), Some(app_secret)) =
            (base, dialog, version, app_id, app_secret)
        else {
            return Err(NotConfigured(missing.join(", ")));
        };
        let version = GraphVersion::parse(&version)
            .map_err(|err| NotConfigured(format!("FACEBOOK_GRAPH_VERSION: {err}")))?;
        Ok(Self {
            base,
            dialog,
            version,
            app_id,
            app_secret,
        })
    }

    /// Meta's login dialog for our app, coming back to `redirect_uri` with `state`.
    pub fn dialog_url(&self, redirect_uri: &str, state: &str) -> Result<String, NotConfigured> {
        graph::login_dialog_url(
            &self.dialog,
            self.version,
            &self.app_id,
            redirect_uri,
            state,
            graph::SCOPES,
        )
        .map_err(|err| NotConfigured(format!("FACEBOOK_DIALOG_BASE: {err}")))
    }

    /// The app's secret, the key of webhook signatures and signed requests.
    pub fn app_secret(&self) -> &[u8] {
        self.app_secret.as_bytes()
    }

    /// Exchanges the login's `code` for a (short-lived) user token.
    pub async fn exchange_code(
        &self,
        code: &str,
        redirect_uri: &str,
    ) -> Result<graph::AccessToken, GraphError> {
        let form = graph::code_exchange_form(&self.app_id, &self.app_secret, redirect_uri, code);
        self.post_form(&["oauth", "access_token"], None, form).await
    }

    /// Exchanges a user token for a long-lived one (about 60 days).
    pub async fn long_lived(&self, user_token: &str) -> Result<graph::AccessToken, GraphError> {
        let form = graph::long_lived_exchange_form(&self.app_id, &self.app_secret, user_token);
        self.post_form(&["oauth", "access_token"], None, form).await
    }

    /// The Pages the person manages, with their Page tokens.
    pub async fn pages(&self, user_token: &str) -> Result<Vec<graph::PageAccount>, GraphError> {
        let accounts: graph::Accounts = self
            .get(
                &["me", "accounts"],
                &[("fields", graph::ACCOUNTS_FIELDS), ("limit", "100")],
                user_token,
            )
            .await?;
        Ok(accounts.data)
    }

    /// A fresh token of Page `page_id`, through the person's (long-lived) user token.
    pub async fn page_token(
        &self,
        page_id: &str,
        user_token: &str,
    ) -> Result<graph::PageToken, GraphError> {
        self.get(
            &[page_id],
            &[("fields", graph::PAGE_TOKEN_FIELDS)],
            user_token,
        )
        .await
    }

    /// What Meta says of `token` (validity, expiry, the person or Page it belongs to).
    pub async fn debug_token(&self, token: &str) -> Result<graph::TokenInfo, GraphError> {
        let answer: graph::DebugToken = self
            .get(
                &["debug_token"],
                &[("input_token", token)],
                &graph::app_token(&self.app_id, &self.app_secret),
            )
            .await?;
        Ok(answer.data)
    }

    /// Publishes a text post (with an optional link) to Page `page_id`; Meta's post id.
    pub async fn publish_text(
        &self,
        page_id: &str,
        page_token: &str,
        message: &str,
        link: Option<&str>,
    ) -> Result<String, GraphError> {
        let mut fields = vec![("message", message)];
        if let Some(link) = link {
            fields.push(("link", link));
        }
        let created: graph::PostCreated = self
            .post_form(&[page_id, "feed"], Some(page_token), graph::form(&fields))
            .await?;
        Ok(created.feed_post_id().to_owned())
    }

    /// Publishes a photo post to Page `page_id`; Meta's post id.
    pub async fn publish_photo(
        &self,
        page_id: &str,
        page_token: &str,
        message: &str,
        image: &[u8],
        content_type: &str,
    ) -> Result<String, GraphError> {
        let boundary = format!("kbc-{}", runtime::now_ms());
        let body = multipart(
            &boundary,
            &[("message", message), ("published", "true")],
            image,
            content_type,
        );
        let created: graph::PostCreated = self
            .send(
                Method::Post,
                &self.url(&[page_id, "photos"], &[])?,
                Some(page_token),
                Some((&format!("multipart/form-data; boundary={boundary}"), body)),
            )
            .await?;
        Ok(created.feed_post_id().to_owned())
    }

    /// The Page's posts since `since` (reconciling a publish whose answer was lost).
    pub async fn feed_since(
        &self,
        page_id: &str,
        page_token: &str,
        since: i64,
    ) -> Result<Vec<graph::FeedPost>, GraphError> {
        let since = since.to_string();
        let feed: graph::Feed = self
            .get(
                &[page_id, "feed"],
                &[
                    ("fields", graph::FEED_FIELDS),
                    ("since", &since),
                    ("limit", "25"),
                ],
                page_token,
            )
            .await?;
        Ok(feed.data)
    }

    /// Reactions and comments of post `post_id`, and its reach when Meta reports it.
    pub async fn post_numbers(
        &self,
        post_id: &str,
        page_token: &str,
    ) -> Result<(i64, i64, Option<i64>), GraphError> {
        let stats: graph::PostStats = self
            .get(&[post_id], &[("fields", graph::STATS_FIELDS)], page_token)
            .await?;
        // Reach needs read_insights; a Page without it still has its counts.
        let reach = self
            .get::<graph::Insights>(
                &[post_id, "insights"],
                &[("metric", graph::REACH_METRIC)],
                page_token,
            )
            .await
            .ok()
            .and_then(|insights| insights.reach());
        Ok((stats.reactions(), stats.comments(), reach))
    }

    /// Replies `message` to comment `comment_id` as the Page; Meta's comment id.
    pub async fn reply(
        &self,
        comment_id: &str,
        page_token: &str,
        message: &str,
    ) -> Result<String, GraphError> {
        let created: graph::PostCreated = self
            .post_form(
                &[comment_id, "comments"],
                Some(page_token),
                graph::form(&[("message", message)]),
            )
            .await?;
        Ok(created.id)
    }

    fn url(&self, segments: &[&str], query: &[(&str, &str)]) -> Result<String, GraphError> {
        graph::endpoint(&self.base, self.version, segments, query)
            .map_err(|_| unreachable_error("the Graph API address is not valid"))
    }

    async fn get<T: DeserializeOwned>(
        &self,
        segments: &[&str],
        query: &[(&str, &str)],
        token: &str,
    ) -> Result<T, GraphError> {
        let url = self.url(segments, query)?;
        self.send(Method::Get, &url, Some(token), None).await
    }

    async fn post_form<T: DeserializeOwned>(
        &self,
        segments: &[&str],
        token: Option<&str>,
        body: String,
    ) -> Result<T, GraphError> {
        let url = self.url(segments, &[])?;
        self.send(
            Method::Post,
            &url,
            token,
            Some(("application/x-www-form-urlencoded", body.into_bytes())),
        )
        .await
    }

    async fn send<T: DeserializeOwned>(
        &self,
        method: Method,
        url: &str,
        token: Option<&str>,
        body: Option<(&str, Vec<u8>)>,
    ) -> Result<T, GraphError> {
        let headers = Headers::new();
        let mut ok = headers.set("Accept", "application/json").is_ok();
        if let Some(token) = token {
            ok &= headers
                .set("Authorization", &format!("Bearer {token}"))
                .is_ok();
        }
        let mut init = RequestInit::new();
        init.with_method(method);
        if let Some((content_type, bytes)) = body {
            ok &= headers.set("Content-Type", content_type).is_ok();
            let array = worker::js_sys::Uint8Array::from(bytes.as_slice());
            init.with_body(Some(array.into()));
        }
        init.with_headers(headers);
        let request = match Request::new_with_init(url, &init) {
            Ok(request) if ok => request,
            _ => return Err(unreachable_error("the Graph API address is not valid")),
        };
        let mut response = match send_within(request, CALL_TIMEOUT).await {
            Ok(response) => response,
            Err(NoResponse::TimedOut) => {
                return Err(unreachable_error("Facebook did not answer in time"));
            }
            Err(NoResponse::Unreachable(_)) => {
                return Err(unreachable_error("Facebook could not be reached"));
            }
        };
        let status = response.status_code();
        let bytes = match within(CALL_TIMEOUT, response.bytes()).await {
            Some(Ok(bytes)) if bytes.len() <= MOST_ANSWER_BYTES => bytes,
            Some(Ok(_)) => return Err(unreachable_error("Facebook's answer was too long")),
            _ => return Err(unreachable_error("Facebook's answer was cut off")),
        };
        graph::parse(status, &String::from_utf8_lossy(&bytes))
    }
}

/// Facebook was not reached, or its answer not read: worth trying again later.
fn unreachable_error(message: &str) -> GraphError {
    GraphError {
        kind: ErrorKind::Transient,
        code: 0,
        subcode: None,
        message: message.to_owned(),
    }
}

/// A `multipart/form-data` body: the text fields, then the image as `source`.
fn multipart(boundary: &str, fields: &[(&str, &str)], image: &[u8], content_type: &str) -> Vec<u8> {
    let mut body = Vec::with_capacity(image.len() + 512);
    for (name, value) in fields {
        body.extend_from_slice(
            format!(
                "--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n"
            )
            .as_bytes(),
        );
    }
    let extension = if content_type == "image/png" {
        "png"
    } else {
        "jpg"
    };
    body.extend_from_slice(
        format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"source\"; filename=\"card.{extension}\"\r\n\
             Content-Type: {content_type}\r\n\r\n"
        )
        .as_bytes(),
    );
    body.extend_from_slice(image);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    body
}

/// The key ring sealing Page tokens at rest (`FACEBOOK_TOKEN_KEYS`), when configured.
pub fn token_keys(env: &Env) -> Result<TokenKeys, NotConfigured> {
    let raw = runtime::var(env, "FACEBOOK_TOKEN_KEYS")
        .ok_or_else(|| NotConfigured("FACEBOOK_TOKEN_KEYS".into()))?;
    TokenKeys::parse(&raw).map_err(|err| NotConfigured(format!("FACEBOOK_TOKEN_KEYS: {err}")))
}

/// What a sealed Page token is bound to: its Page, so a token copied into another row
/// does not open.
pub fn page_aad(page_id: &str) -> String {
    format!("page:{page_id}")
}

/// What a sealed long-lived user token is bound to.
pub fn user_aad(page_id: &str) -> String {
    format!("user:{page_id}")
}

/// The Page token of `connection`, opened (the message names no key or token).
pub fn open_page_token(keys: &TokenKeys, connection: &Connection) -> Result<String, String> {
    keys.open(
        &connection.key_id,
        &connection.page_token.0,
        &page_aad(&connection.page_id),
    )
    .map_err(|err| err.to_string())
}

/// The long-lived user token `connection` was made with, opened.
pub fn open_user_token(keys: &TokenKeys, connection: &Connection) -> Result<String, String> {
    keys.open(
        &connection.key_id,
        &connection.user_token.0,
        &user_aad(&connection.page_id),
    )
    .map_err(|err| err.to_string())
}
