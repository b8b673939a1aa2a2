//! The small HTTP server the fakes run on: one thread per server on a loopback port,
//! requests parsed into [`Request`] (method, path, query, headers, body), answered with a
//! [`Reply`] (a delayed one from a thread of its own), every call recorded in order, and
//! faults injected before routing.

use serde_json::Value;
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, MutexGuard};
use std::thread::JoinHandle;
use std::time::Duration;

/// One request as a handler sees it.
#[derive(Debug, Clone)]
pub struct Request {
    pub method: String,
    /// The path without the query string.
    pub path: String,
    pub query: BTreeMap<String, String>,
    /// Every query parameter in order, repeated names included (`?name=a&name=b`).
    pub query_pairs: Vec<(String, String)>,
    /// Lower-cased header names.
    pub headers: BTreeMap<String, String>,
    pub body: Vec<u8>,
}

impl Request {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .get(&name.to_ascii_lowercase())
            .map(String::as_str)
    }

    /// The body as JSON (`Null` when it is empty or not JSON).
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or(Value::Null)
    }

    /// The body as an `application/x-www-form-urlencoded` form, decoded like the query.
    pub fn form(&self) -> BTreeMap<String, String> {
        decode_form(&self.body)
    }

    /// The path split into segments after `prefix`, or `None` when it does not start there.
    pub fn segments_after<'a>(&'a self, prefix: &str) -> Option<Vec<&'a str>> {
        let rest = self.path.strip_prefix(prefix)?;
        Some(rest.split('/').filter(|s| !s.is_empty()).collect())
    }
}

/// An answer: status, content type, any further headers and body.
#[derive(Debug, Clone)]
pub struct Reply {
    pub status: u16,
    pub content_type: &'static str,
    /// Headers besides `Content-Type`, in the order they are sent.
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
    /// How long to wait before sending it; the server goes on serving other requests meanwhile.
    pub delay: Option<Duration>,
}

impl Reply {
    pub fn json(status: u16, value: &Value) -> Self {
        Self::bytes(status, "application/json", value.to_string().into_bytes())
    }

    pub fn bytes(status: u16, content_type: &'static str, body: Vec<u8>) -> Self {
        Self {
            status,
            content_type,
            headers: Vec::new(),
            body,
            delay: None,
        }
    }

    pub fn html(status: u16, body: String) -> Self {
        Self::bytes(status, "text/html; charset=utf-8", body.into_bytes())
    }

    /// A `302 Found` to `location`.
    pub fn redirect(location: &str) -> Self {
        Self::bytes(302, "text/plain", Vec::new()).with_header("Location", location)
    }

    pub fn with_header(mut self, name: &str, value: &str) -> Self {
        self.headers.push((name.to_owned(), value.to_owned()));
        self
    }

    /// Sent only after `delay`, like a slow upstream (a client's timeout can then be tested).
    pub fn after(mut self, delay: Duration) -> Self {
        self.delay = Some(delay);
        self
    }
}

/// One call the server received, for tests to assert on order and content.
#[derive(Debug, Clone)]
pub struct Call {
    pub method: String,
    pub path: String,
    pub query: BTreeMap<String, String>,
    pub body: Vec<u8>,
    pub status: u16,
}

impl Call {
    /// `METHOD /path`, the form tests match on.
    pub fn line(&self) -> String {
        format!("{} {}", self.method, self.path)
    }

    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or(Value::Null)
    }

    /// Whether the call can have changed anything: not a GET, not a GraphQL analytics
    /// query (a POST that only reads), and not refused.
    pub fn is_change(&self) -> bool {
        self.method != "GET" && !self.path.ends_with("/graphql") && self.status < 400
    }
}

/// A request the server must answer with a failure instead of routing it.
#[derive(Debug, Clone)]
pub struct Fault {
    pub method: String,
    /// Matches when the path contains this text.
    pub path_contains: String,
    /// Matches only when the body contains this text too (empty: any body).
    pub body_contains: String,
    /// How many matching requests fail (`None`: all of them).
    pub times: Option<u32>,
    pub reply: Reply,
}

/// What a server routes requests to; it holds the fake's state behind its own lock.
pub trait Handler: Send + 'static {
    fn handle(&mut self, request: &Request, base_url: &str) -> Reply;
}

struct Shared<H> {
    handler: H,
    calls: Vec<Call>,
    faults: Vec<Fault>,
}

/// A running fake; dropping it stops the server thread.
pub struct Server<H: Handler> {
    shared: Arc<Mutex<Shared<H>>>,
    server: Arc<tiny_http::Server>,
    base_url: String,
    thread: Option<JoinHandle<()>>,
}

impl<H: Handler> Server<H> {
    /// Binds a free loopback port and serves `handler` from a background thread.
    pub fn start(handler: H) -> std::io::Result<Self> {
        Self::start_on(handler, "127.0.0.1:0")
    }

    /// Binds `addr` (`"127.0.0.1:8791"`: a fixed port) and serves `handler` from a
    /// background thread.
    pub fn start_on(handler: H, addr: &str) -> std::io::Result<Self> {
        let server = tiny_http::Server::http(addr).map_err(std::io::Error::other)?;
        let bound = server
            .server_addr()
            .to_ip()
            .ok_or_else(|| std::io::Error::other("the fake is not on an IP socket"))?;
        let base_url = format!("http://{bound}");
        let server = Arc::new(server);
        let shared = Arc::new(Mutex::new(Shared {
            handler,
            calls: Vec::new(),
            faults: Vec::new(),
        }));
        let thread = {
            let server = Arc::clone(&server);
            let shared = Arc::clone(&shared);
            let base_url = base_url.clone();
            std::thread::spawn(move || serve(&server, &shared, &base_url))
        };
        Ok(Self {
            shared,
            server,
            base_url,
            thread: Some(thread),
        })
    }

    /// `http://127.0.0.1:PORT` (the address it is bound to).
    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    /// Every call received so far, in order.
    pub fn calls(&self) -> Vec<Call> {
        lock(&self.shared).calls.clone()
    }

    /// Makes matching requests fail from now on.
    pub fn inject(&self, fault: Fault) {
        lock(&self.shared).faults.push(fault);
    }

    /// Reads or changes the fake's state.
    pub fn with<T>(&self, f: impl FnOnce(&mut H) -> T) -> T {
        f(&mut lock(&self.shared).handler)
    }
}

impl<H: Handler> Drop for Server<H> {
    fn drop(&mut self) {
        self.server.unblock();
        if let Some(thread) = self.thread.take() {
            // A handler that panicked already failed the test that caused it.
            let _ = thread.join();
        }
    }
}

fn lock<H>(shared: &Mutex<Shared<H>>) -> MutexGuard<'_, Shared<H>> {
    // A panicking handler poisons the lock; the state is still the best evidence there is.
    shared
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

fn serve<H: Handler>(server: &tiny_http::Server, shared: &Mutex<Shared<H>>, base_url: &str) {
    for mut incoming in server.incoming_requests() {
        let request = match read(&mut incoming) {
            Ok(request) => request,
            Err(err) => {
                let reply = Reply::bytes(400, "text/plain", err.to_string().into_bytes());
                respond(incoming, reply);
                continue;
            }
        };
        let reply = {
            let mut shared = lock(shared);
            let reply = match take_fault(&mut shared.faults, &request) {
                Some(reply) => reply,
                None => shared.handler.handle(&request, base_url),
            };
            shared.calls.push(Call {
                method: request.method.clone(),
                path: request.path.clone(),
                query: request.query.clone(),
                body: request.body.clone(),
                status: reply.status,
            });
            reply
        };
        match reply.delay {
            // On a thread of its own, so one slow answer holds up no other request.
            Some(delay) => {
                std::thread::spawn(move || {
                    std::thread::sleep(delay);
                    respond(incoming, reply);
                });
            }
            None => respond(incoming, reply),
        }
    }
}

fn take_fault(faults: &mut Vec<Fault>, request: &Request) -> Option<Reply> {
    let body = String::from_utf8_lossy(&request.body);
    let index = faults.iter().position(|fault| {
        fault.method.eq_ignore_ascii_case(&request.method)
            && request.path.contains(&fault.path_contains)
            && body.contains(&fault.body_contains)
    })?;
    let fault = &mut faults[index];
    let reply = fault.reply.clone();
    match &mut fault.times {
        Some(1) => {
            faults.remove(index);
        }
        Some(left) => *left -= 1,
        None => {}
    }
    Some(reply)
}

fn read(incoming: &mut tiny_http::Request) -> std::io::Result<Request> {
    let url = incoming.url().to_owned();
    let (path, query_pairs): (String, Vec<(String, String)>) = match url.split_once('?') {
        Some((path, query)) => (
            path.to_owned(),
            url::form_urlencoded::parse(query.as_bytes())
                .into_owned()
                .collect(),
        ),
        None => (url, Vec::new()),
    };
    let query = query_pairs.iter().cloned().collect();
    let headers = incoming
        .headers()
        .iter()
        .map(|h| {
            (
                h.field.as_str().as_str().to_ascii_lowercase(),
                h.value.as_str().to_owned(),
            )
        })
        .collect();
    let mut body = Vec::new();
    incoming.as_reader().read_to_end(&mut body)?;
    Ok(Request {
        method: incoming.method().as_str().to_ascii_uppercase(),
        path: percent_decode(&path),
        query,
        query_pairs,
        headers,
        body,
    })
}

fn respond(incoming: tiny_http::Request, reply: Reply) {
    let header = tiny_http::Header::from_bytes(&b"Content-Type"[..], reply.content_type.as_bytes())
        .expect("static content types are valid headers");
    let mut response = tiny_http::Response::from_data(reply.body)
        .with_status_code(reply.status)
        .with_header(header);
    for (name, value) in &reply.headers {
        // Handlers build header values from URLs they serialised and constants; one tiny_http
        // still refuses (a control character) is dropped rather than panicking the server.
        if let Ok(header) = tiny_http::Header::from_bytes(name.as_bytes(), value.as_bytes()) {
            response.add_header(header);
        }
    }
    // The client hanging up early is its own business; the call is already recorded.
    let _ = incoming.respond(response);
}

/// A query string or form body: `+` is a space, `%XX` a byte; a repeated name keeps its last value.
fn decode_form(encoded: &[u8]) -> BTreeMap<String, String> {
    url::form_urlencoded::parse(encoded).into_owned().collect()
}

fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = |b: u8| (b as char).to_digit(16);
        if bytes[i] == b'%'
            && let (Some(high), Some(low)) = (
                bytes.get(i + 1).copied().and_then(hex),
                bytes.get(i + 2).copied().and_then(hex),
            )
        {
            out.push((high * 16 + low) as u8);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// One part of a `multipart/form-data` body.
#[derive(Debug, Clone)]
pub struct Part {
    pub name: String,
    /// The part's own `Content-Type` (a file's), when it has one.
    pub content_type: Option<String>,
    pub content: Vec<u8>,
}

/// Splits a `multipart/form-data` body into `(name, content)` parts.
pub fn multipart_parts(request: &Request) -> Vec<(String, Vec<u8>)> {
    multipart(request)
        .into_iter()
        .map(|part| (part.name, part.content))
        .collect()
}

/// Splits a `multipart/form-data` body into its parts.
pub fn multipart(request: &Request) -> Vec<Part> {
    let Some(boundary) = request
        .header("content-type")
        .and_then(|ct| ct.split("boundary=").nth(1))
        .map(|b| b.trim_matches('"').to_owned())
    else {
        return Vec::new();
    };
    let delimiter = format!("--{boundary}");
    let body = &request.body;
    let mut parts = Vec::new();
    let starts: Vec<usize> = find_all(body, delimiter.as_bytes());
    for window in starts.windows(2) {
        let part = &body[window[0] + delimiter.len()..window[1]];
        let part = part.strip_prefix(b"\r\n").unwrap_or(part);
        let part = part.strip_suffix(b"\r\n").unwrap_or(part);
        let Some(split) = find_all(part, b"\r\n\r\n").first().copied() else {
            continue;
        };
        let head = String::from_utf8_lossy(&part[..split]);
        let name = head
            .split("name=\"")
            .nth(1)
            .and_then(|rest| rest.split('"').next())
            .unwrap_or_default()
            .to_owned();
        let content_type = head.lines().find_map(|line| {
            let (field, value) = line.split_once(':')?;
            field
                .trim()
                .eq_ignore_ascii_case("content-type")
                .then(|| value.trim().to_owned())
        });
        parts.push(Part {
            name,
            content_type,
            content: part[split + 4..].to_vec(),
        });
    }
    parts
}

fn find_all(haystack: &[u8], needle: &[u8]) -> Vec<usize> {
    if needle.is_empty() || haystack.len() < needle.len() {
        return Vec::new();
    }
    (0..=haystack.len() - needle.len())
        .filter(|&i| &haystack[i..i + needle.len()] == needle)
        .collect()
}
