//! Whether a pull request is still open, and the one pull-request comment a preview keeps
//! up to date, through the GitHub REST API (`GITHUB_API_URL`, `GITHUB_REPOSITORY` and
//! `GITHUB_TOKEN`, as GitHub Actions sets them). The comment is found again by a hidden
//! marker and its author, so it is edited in place rather than repeated; anyone can post a
//! look-alike marker, so only a comment written by this very token's identity is edited.
//! The token only ever goes into the Authorization header.

use anyhow::{Context, Result, bail};
use reqwest::Client;
use reqwest::Method;
use serde_json::{Value, json};
use std::time::Duration;

/// Identifies the preview comment among a pull request's comments.
pub const MARKER: &str = "<!-- kbc-preview -->";

/// Who comments with the `GITHUB_TOKEN` of GitHub Actions.
const ACTIONS_BOT: &str = "github-actions[bot]";

pub struct GitHub {
    api: String,
    repository: String,
    token: String,
    client: Client,
}

impl GitHub {
    /// From the environment; `None` when no token or repository is configured (outside
    /// GitHub Actions), an error when running in GitHub Actions without them.
    pub fn from_env() -> Result<Option<Self>> {
        let var = |name: &str| std::env::var(name).ok().filter(|v| !v.is_empty());
        let (Some(token), Some(repository)) = (var("GITHUB_TOKEN"), var("GITHUB_REPOSITORY"))
        else {
            if var("GITHUB_ACTIONS").as_deref() == Some("true") {
                bail!(
                    "GITHUB_TOKEN and GITHUB_REPOSITORY must be set to comment on the pull request"
                );
            }
            return Ok(None);
        };
        let api = var("GITHUB_API_URL").unwrap_or_else(|| "https://api.github.com".into());
        let client = Client::builder()
            .timeout(Duration::from_secs(30))
            .build()
            .context("building the HTTP client")?;
        Ok(Some(Self {
            api: api.trim_end_matches('/').to_owned(),
            repository,
            token,
            client,
        }))
    }

    async fn send(&self, method: &str, path: &str, body: Option<&Value>) -> Result<Value> {
        let (status, text) = self.request(method, path, body).await?;
        if !(200..300).contains(&status) {
            bail!(
                "GitHub answered {status} to {method} {path}: {}",
                text.chars().take(300).collect::<String>()
            );
        }
        serde_json::from_str(&text)
            .with_context(|| format!("GitHub's answer to {method} {path} is not JSON"))
    }

    /// The status and body of one call, whatever the status.
    async fn request(
        &self,
        method: &str,
        path: &str,
        body: Option<&Value>,
    ) -> Result<(u16, String)> {
        let url = format!("{}{path}", self.api);
        let method = Method::from_bytes(method.as_bytes())
            .with_context(|| format!("{method} is no HTTP method"))?;
        let mut request = self
            .client
            .request(method.clone(), &url)
            .bearer_auth(&self.token)
            .header("Accept", "application/vnd.github+json")
            .header("X-GitHub-Api-Version", "2022-11-28")
            .header("User-Agent", "kbc-xtask");
        match (method.as_str(), body) {
            ("GET", _) => {}
            (_, Some(body)) => {
                request = request
                    .header("Content-Type", "application/json")
                    .body(body.to_string());
            }
            (method, None) => bail!("{method} needs a body"),
        }
        // The error names the URL only: the token is in a header reqwest never prints.
        let response = request
            .send()
            .await
            .with_context(|| format!("{method} {url}"))?;
        let status = response.status().as_u16();
        let text = response.text().await.unwrap_or_default();
        Ok((status, text))
    }

    /// The login this token writes comments as: `GET /user`, or for the `GITHUB_TOKEN` of
    /// Actions (an app installation token, which `/user` refuses with 403) the Actions bot.
    async fn login(&self) -> Result<String> {
        match self.request("GET", "/user", None).await? {
            (200, text) => serde_json::from_str::<Value>(&text)?["login"]
                .as_str()
                .map(str::to_owned)
                .context("GitHub's /user names no login"),
            (403, _) => Ok(ACTIONS_BOT.to_owned()),
            (status, _) => bail!("GitHub answered {status} to GET /user"),
        }
    }

    /// Whether pull request `pr` is open (a preview of a closed one must not be made).
    pub async fn is_open(&self, pr: u64) -> Result<bool> {
        let pull = self
            .send(
                "GET",
                &format!("/repos/{}/pulls/{pr}", self.repository),
                None,
            )
            .await?;
        Ok(pull["state"] == "open")
    }

    /// Creates the pull request's preview comment, or edits it if it exists.
    pub async fn upsert_comment(&self, pr: u64, body: &str) -> Result<()> {
        let body = format!("{MARKER}\n{body}");
        let login = self.login().await?;
        let mut page = 1;
        let existing = loop {
            let comments = self
                .send(
                    "GET",
                    &format!(
                        "/repos/{}/issues/{pr}/comments?per_page=100&page={page}",
                        self.repository
                    ),
                    None,
                )
                .await?;
            let comments = comments.as_array().cloned().unwrap_or_default();
            if let Some(found) = comments.iter().find(|c| {
                c["user"]["login"] == login.as_str()
                    && c["body"].as_str().is_some_and(|b| b.starts_with(MARKER))
            }) {
                break found["id"].as_u64();
            }
            if comments.len() < 100 {
                break None;
            }
            page += 1;
        };
        match existing {
            Some(id) => self
                .send(
                    "PATCH",
                    &format!("/repos/{}/issues/comments/{id}", self.repository),
                    Some(&json!({ "body": body })),
                )
                .await
                .map(drop),
            None => self
                .send(
                    "POST",
                    &format!("/repos/{}/issues/{pr}/comments", self.repository),
                    Some(&json!({ "body": body })),
                )
                .await
                .map(drop),
        }
    }
}
