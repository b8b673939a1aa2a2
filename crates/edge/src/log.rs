//! The one structured log line per request and per scheduled run (Workers Logs indexes
//! JSON). It holds what operators need and nothing about people: the route template, never
//! the raw path or query; no addresses, emails, phones, tokens or session ids.

use serde::Serialize;

/// One request, as logged when its answer leaves the worker.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RequestLine<'a> {
    pub worker: &'a str,
    /// The git sha of the running build.
    pub version: &'a str,
    pub method: &'a str,
    /// The route template (`/business/{slug}`), so no path parameter reaches the log.
    pub route: &'a str,
    pub status: u16,
    pub duration_ms: i64,
    /// `HIT`, `MISS`, `BYPASS`, or absent when the answer is not cacheable.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cache: Option<&'a str>,
    /// Cloudflare's id of the request, to find it in Cloudflare's own logs.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ray: Option<&'a str>,
}

/// One scheduled run, as logged when it ends.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RunLine<'a> {
    pub worker: &'a str,
    pub version: &'a str,
    pub job: &'a str,
    pub cron: &'a str,
    pub scheduled_at: i64,
    /// `success`, `failure`, `skipped`, or `duplicate` when another delivery owned the run.
    pub outcome: &'a str,
    pub duration_ms: i64,
}

/// The JSON text of a log line.
pub fn json(line: &impl Serialize) -> String {
    serde_json::to_string(line).unwrap_or_default()
}

/// A request method as logged: the standard ones by name, anything else (a client may send
/// any token there) as `other`.
pub fn method(raw: &str) -> &'static str {
    const KNOWN: [&str; 7] = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"];
    KNOWN
        .into_iter()
        .find(|known| *known == raw)
        .unwrap_or("other")
}

/// A `cf-ray` header as logged: its expected shape (hex id, `-`, colo) or nothing, so no
/// text a client sends in that header reaches the log.
pub fn ray(header: Option<&str>) -> Option<&str> {
    header.filter(|ray| {
        ray.len() <= 40 && ray.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_request_line_is_one_json_object_with_the_route_template() {
        let line = RequestLine {
            worker: "api",
            version: "abc123",
            method: "GET",
            route: "/business/{slug}",
            status: 200,
            duration_ms: 12,
            cache: Some("HIT"),
            ray: ray(Some("8f1e2d3c4b5a6978-DFW")),
        };
        let text = json(&line);
        assert!(!text.contains('\n'));
        let value: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!(value["route"], "/business/{slug}");
        assert_eq!(value["ray"], "8f1e2d3c4b5a6978-DFW");
        assert_eq!(value["cache"], "HIT");
    }

    #[test]
    fn only_standard_methods_are_logged_by_name() {
        assert_eq!(method("POST"), "POST");
        assert_eq!(method("JANEDOE"), "other");
    }

    #[test]
    fn a_ray_header_that_is_not_a_ray_is_not_logged() {
        assert_eq!(ray(Some("jane@example.com")), None);
        assert_eq!(ray(Some("a b")), None);
        assert_eq!(ray(None), None);
    }
}
