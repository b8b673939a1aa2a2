//! The fake GitHub REST API: pull requests of one repository (open unless closed) and
//! their (issue) comments, listed, created and edited as `api.github.com` does, requiring
//! a bearer token; `/user` names the token's login (403 for a token it does not know, as
//! for an app installation token), and a comment's author is its token's login.

use crate::http::{Handler, Reply, Request, Server};
use serde_json::{Value, json};
use std::collections::{BTreeMap, BTreeSet};

/// One comment on a pull request.
#[derive(Debug, Clone)]
pub struct Comment {
    pub id: u64,
    pub pr: u64,
    /// The login of whoever wrote it.
    pub author: String,
    pub body: String,
}

/// The comments of every pull request; reach them through [`Server::with`].
#[derive(Default)]
pub struct GitHub {
    next_id: u64,
    pub comments: Vec<Comment>,
    /// Pull requests that are closed; every other number is an open pull request.
    pub closed: BTreeSet<u64>,
    /// Token → the login it authenticates as.
    pub logins: BTreeMap<String, String>,
}

/// The token the tests give xtask, and the user it belongs to.
pub const TOKEN: &str = "test-github-token";
pub const LOGIN: &str = "kbc-preview-bot";

impl GitHub {
    pub fn start() -> std::io::Result<Server<Self>> {
        Server::start(Self {
            next_id: 1000,
            comments: Vec::new(),
            closed: BTreeSet::new(),
            logins: BTreeMap::from([(TOKEN.to_owned(), LOGIN.to_owned())]),
        })
    }

    /// The comments on pull request `pr`, oldest first.
    pub fn comments_on(&self, pr: u64) -> Vec<Comment> {
        self.comments
            .iter()
            .filter(|c| c.pr == pr)
            .cloned()
            .collect()
    }
}

fn comment_json(comment: &Comment, base_url: &str) -> Value {
    json!({
        "id": comment.id,
        "url": format!("{base_url}/repos/comments/{}", comment.id),
        "body": comment.body,
        "user": {"login": comment.author, "type": "User"},
    })
}

fn message(status: u16, text: &str) -> Reply {
    Reply::json(
        status,
        &json!({"message": text, "documentation_url": "https://docs.github.com/rest"}),
    )
}

impl Handler for GitHub {
    fn handle(&mut self, request: &Request, base_url: &str) -> Reply {
        let Some(token) = request
            .header("authorization")
            .and_then(|value| value.strip_prefix("Bearer "))
            .filter(|token| !token.is_empty())
        else {
            return message(401, "Requires authentication");
        };
        let login = self.logins.get(token).cloned();
        if request.method == "GET" && request.path == "/user" {
            return match login {
                Some(login) => Reply::json(200, &json!({"login": login, "type": "User"})),
                None => message(403, "Resource not accessible by integration"),
            };
        }
        let Some(segments) = request.segments_after("/repos/") else {
            return message(404, "Not Found");
        };
        match (request.method.as_str(), segments.as_slice()) {
            ("GET", [owner, repo, "pulls", pr]) => match pr.parse::<u64>() {
                Ok(pr) => Reply::json(
                    200,
                    &json!({
                        "number": pr,
                        "state": if self.closed.contains(&pr) { "closed" } else { "open" },
                        "html_url": format!("https://github.com/{owner}/{repo}/pull/{pr}"),
                    }),
                ),
                Err(_) => message(404, "Not Found"),
            },
            ("GET", [_owner, _repo, "issues", pr, "comments"]) => {
                let Ok(pr) = pr.parse::<u64>() else {
                    return message(404, "Not Found");
                };
                let page: usize = request
                    .query
                    .get("page")
                    .and_then(|p| p.parse().ok())
                    .unwrap_or(1);
                let per_page: usize = request
                    .query
                    .get("per_page")
                    .and_then(|p| p.parse().ok())
                    .unwrap_or(30);
                let all: Vec<Value> = self
                    .comments_on(pr)
                    .iter()
                    .map(|c| comment_json(c, base_url))
                    .collect();
                let page: Vec<Value> = all
                    .into_iter()
                    .skip((page - 1) * per_page)
                    .take(per_page)
                    .collect();
                Reply::json(200, &Value::Array(page))
            }
            ("POST", [_owner, _repo, "issues", pr, "comments"]) => {
                let (Ok(pr), Some(body)) = (
                    pr.parse::<u64>(),
                    request.json()["body"].as_str().map(str::to_owned),
                ) else {
                    return message(422, "Validation Failed");
                };
                self.next_id += 1;
                let comment = Comment {
                    id: self.next_id,
                    pr,
                    author: login.unwrap_or_else(|| "github-actions[bot]".to_owned()),
                    body,
                };
                let answer = comment_json(&comment, base_url);
                self.comments.push(comment);
                Reply::json(201, &answer)
            }
            ("PATCH", [_owner, _repo, "issues", "comments", id]) => {
                let body = request.json()["body"].as_str().map(str::to_owned);
                let found = id
                    .parse::<u64>()
                    .ok()
                    .and_then(|id| self.comments.iter_mut().find(|c| c.id == id));
                match (found, body) {
                    (Some(comment), Some(body)) => {
                        comment.body = body;
                        let answer = comment_json(comment, base_url);
                        Reply::json(200, &answer)
                    }
                    (None, _) => message(404, "Not Found"),
                    (_, None) => message(422, "Validation Failed"),
                }
            }
            _ => message(404, "Not Found"),
        }
    }
}
