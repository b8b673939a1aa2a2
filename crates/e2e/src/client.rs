//! A small blocking HTTP client for the end-to-end tests (reqwest): any method, any
//! headers, and an answer that keeps status, headers and body whatever the status was.

use reqwest::Method;
use reqwest::blocking::Client;
use reqwest::redirect::Policy;
use std::time::Duration;

/// One worker under test, addressed by the URL `cargo xtask test` put in the environment.
pub struct Worker {
    base: String,
    client: Client,
}

/// A complete answer.
#[derive(Debug)]
pub struct Reply {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    /// The body as text (invalid UTF-8 replaced); `bytes` holds it exactly.
    pub body: String,
    pub bytes: Vec<u8>,
}

impl Reply {
    /// The body as JSON; panics with the body when it is not JSON.
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.body))
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// Every value of a header that may repeat (`Set-Cookie`).
    pub fn headers_named(&self, name: &str) -> Vec<&str> {
        self.headers
            .iter()
            .filter(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
            .collect()
    }

    /// The `error.field` of a JSON error answer.
    pub fn error_field(&self) -> Option<String> {
        self.json()["error"]["field"].as_str().map(str::to_owned)
    }
}

impl Worker {
    /// The worker whose base URL is in `variable` (e.g. `KBC_API_URL`).
    pub fn from_env(variable: &str) -> Self {
        let base = std::env::var(variable).unwrap_or_else(|_| {
            panic!("{variable} is not set: run the end-to-end tests through `cargo xtask test`")
        });
        Self::at(&base)
    }

    /// A server at `base` (`http://127.0.0.1:PORT`).
    pub fn at(base: &str) -> Self {
        let base = base.to_owned();
        let client = Client::builder()
            // Tests look at redirects themselves.
            .redirect(Policy::none())
            .timeout(Duration::from_secs(30))
            .build()
            .expect("the HTTP client builds");
        Self { base, client }
    }

    pub fn api() -> Self {
        Self::from_env("KBC_API_URL")
    }

    pub fn agent() -> Self {
        Self::from_env("KBC_AGENT_URL")
    }

    /// The base URL, i.e. the origin (`http://127.0.0.1:PORT`).
    pub fn origin(&self) -> &str {
        &self.base
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// Sends a request with any method, headers and optional body.
    pub fn send(
        &self,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: Option<&[u8]>,
    ) -> Reply {
        let method = Method::from_bytes(method.as_bytes())
            .unwrap_or_else(|e| panic!("{method} is no HTTP method: {e}"));
        let mut request = self.client.request(method.clone(), self.url(path));
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        if let Some(body) = body {
            request = request.body(body.to_vec());
        }
        let response = request
            .send()
            .unwrap_or_else(|e| panic!("{method} {path}: {e}"));
        let headers = response
            .headers()
            .iter()
            .map(|(n, v)| {
                (
                    n.as_str().to_owned(),
                    v.to_str().unwrap_or_default().to_owned(),
                )
            })
            .collect();
        let status = response.status().as_u16();
        let bytes = response.bytes().map(|b| b.to_vec()).unwrap_or_default();
        Reply {
            status,
            headers,
            body: String::from_utf8_lossy(&bytes).into_owned(),
            bytes,
        }
    }

    pub fn get(&self, path: &str) -> Reply {
        self.send("GET", path, &[], None)
    }

    /// POSTs a JSON body from a distinct client address, so each test has its own rate limit.
    pub fn post_json(&self, path: &str, client: &str, body: &serde_json::Value) -> Reply {
        let bytes = body.to_string().into_bytes();
        self.send(
            "POST",
            path,
            &[
                ("Content-Type", "application/json"),
                ("CF-Connecting-IP", client),
            ],
            Some(&bytes),
        )
    }
}
