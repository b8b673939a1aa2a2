//! A small blocking HTTP client for the end-to-end tests: any method, any headers, and an
//! answer that keeps status, headers and body whatever the status was.

use std::time::Duration;
use ureq::Agent;
use ureq::http::Request;

/// One worker under test, addressed by the URL `cargo xtask test` put in the environment.
pub struct Worker {
    base: String,
    agent: Agent,
}

/// A complete answer.
#[derive(Debug)]
pub struct Reply {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: String,
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
        let agent = Agent::config_builder()
            .http_status_as_error(false)
            // Tests look at redirects themselves.
            .max_redirects(0)
            .timeout_global(Some(Duration::from_secs(30)))
            .build()
            .into();
        Self { base, agent }
    }

    pub fn api() -> Self {
        Self::from_env("KBC_API_URL")
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
        let mut builder = Request::builder().method(method).uri(self.url(path));
        for (name, value) in headers {
            builder = builder.header(*name, *value);
        }
        let request = builder
            .body(body.map(<[u8]>::to_vec).unwrap_or_default())
            .expect("a valid request");
        let mut response = self
            .agent
            .run(request)
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
        let body = response.body_mut().read_to_string().unwrap_or_default();
        Reply {
            status: response.status().as_u16(),
            headers,
            body,
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
