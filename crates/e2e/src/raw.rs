//! Requests no ordinary client sends: a body streamed in chunks with no `Content-Length`
//! (HTTP/1.1 chunked transfer coding), written straight to the socket, to prove a worker
//! stops reading at its limit rather than trusting a declared length.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Duration;

/// POSTs `chunks` to `url` (an `http://host:port/path`) chunked and returns the status code
/// of the answer (0 when none came).
pub fn post_chunked(url: &str, headers: &[(&str, &str)], chunks: &[Vec<u8>]) -> u16 {
    let rest = url.strip_prefix("http://").expect("an http:// URL");
    let (host, path) = rest
        .split_once('/')
        .map_or((rest, "/".to_owned()), |(h, p)| (h, format!("/{p}")));
    let mut stream =
        TcpStream::connect(host).unwrap_or_else(|e| panic!("connecting to {host}: {e}"));
    stream
        .set_read_timeout(Some(Duration::from_secs(30)))
        .expect("a timeout");
    let mut head = format!(
        "POST {path} HTTP/1.1\r\nHost: {host}\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n"
    );
    for (name, value) in headers {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    head.push_str("\r\n");
    // The worker may answer and close before every chunk is written: later writes failing
    // is expected, the answer is what counts.
    let _ = stream.write_all(head.as_bytes());
    for chunk in chunks {
        let _ = stream.write_all(format!("{:x}\r\n", chunk.len()).as_bytes());
        let _ = stream.write_all(chunk);
        let _ = stream.write_all(b"\r\n");
    }
    let _ = stream.write_all(b"0\r\n\r\n");
    let mut answer = Vec::new();
    let _ = stream.read_to_end(&mut answer);
    String::from_utf8_lossy(&answer)
        .split_whitespace()
        .nth(1)
        .and_then(|code| code.parse().ok())
        .unwrap_or(0)
}
