//! Requests no ordinary client sends, written straight to the socket: a body streamed in
//! chunks with no `Content-Length` (HTTP/1.1 chunked transfer coding), to prove a worker
//! stops reading at its limit rather than trusting a declared length; and methods that
//! HTTP libraries refuse to send (`QUERY`), to prove a worker does not read them as GET.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Duration;

/// The status line and headers of an answer (its body is not read).
#[derive(Debug)]
pub struct RawReply {
    pub status: u16,
    /// `name: value` lines, names lowercased.
    pub headers: Vec<String>,
}

impl RawReply {
    pub fn header(&self, name: &str) -> Option<&str> {
        let prefix = format!("{}:", name.to_ascii_lowercase());
        self.headers
            .iter()
            .find_map(|line| line.strip_prefix(&prefix).map(str::trim))
    }
}

/// Sends `method` to `url` (an `http://host:port/path`); with `chunks`, as a chunked body.
pub fn send(
    method: &str,
    url: &str,
    headers: &[(&str, &str)],
    chunks: Option<&[Vec<u8>]>,
) -> RawReply {
    let rest = url.strip_prefix("http://").expect("an http:// URL");
    let (host, path) = rest
        .split_once('/')
        .map_or((rest, "/".to_owned()), |(h, p)| (h, format!("/{p}")));
    let mut stream =
        TcpStream::connect(host).unwrap_or_else(|e| panic!("connecting to {host}: {e}"));
    stream
        .set_read_timeout(Some(Duration::from_secs(30)))
        .expect("a read timeout");
    let mut head = format!("{method} {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n");
    if chunks.is_some() {
        head.push_str("Transfer-Encoding: chunked\r\n");
    }
    for (name, value) in headers {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    head.push_str("\r\n");
    // The worker may answer and close before every chunk is written: later writes failing
    // is expected, the answer is what counts.
    let _ = stream.write_all(head.as_bytes());
    if let Some(chunks) = chunks {
        for chunk in chunks {
            let _ = stream.write_all(format!("{:x}\r\n", chunk.len()).as_bytes());
            let _ = stream.write_all(chunk);
            let _ = stream.write_all(b"\r\n");
        }
        let _ = stream.write_all(b"0\r\n\r\n");
    }
    // Only the status line and headers are needed: stop at their end rather than wait for
    // the server to close a connection it may keep alive.
    let mut answer = Vec::new();
    let mut buffer = [0u8; 4096];
    while !answer.windows(4).any(|window| window == b"\r\n\r\n") {
        match stream.read(&mut buffer) {
            Ok(0) | Err(_) => break,
            Ok(read) => answer.extend_from_slice(&buffer[..read]),
        }
    }
    let text = String::from_utf8_lossy(&answer);
    let head = text.split("\r\n\r\n").next().unwrap_or_default();
    let mut lines = head.lines();
    let status = lines
        .next()
        .and_then(|line| line.split_whitespace().nth(1))
        .and_then(|code| code.parse().ok())
        .unwrap_or(0);
    let headers = lines
        .map(|line| match line.split_once(':') {
            Some((name, value)) => format!("{}:{value}", name.to_ascii_lowercase()),
            None => line.to_owned(),
        })
        .collect();
    RawReply { status, headers }
}

/// POSTs `chunks` chunked and returns the status code of the answer (0 when none came).
pub fn post_chunked(url: &str, headers: &[(&str, &str)], chunks: &[Vec<u8>]) -> u16 {
    send("POST", url, headers, Some(chunks)).status
}
