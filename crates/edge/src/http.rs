//! HTTP helpers every worker shares: reading and setting headers, bodies read within a
//! limit while they stream in (a chunked body has no length to check up front), with what
//! is left unread drained so the connection ends cleanly, and the one way to call another
//! service within a time limit (`send_within`: the model, the Graph API, Browser Rendering).

use futures_util::future::{Either, select};
use futures_util::{StreamExt, pin_mut};
use std::time::Duration;
use worker::{AbortController, Delay, Fetch, Request, Response};

/// Waits for `future` at most `limit`; `None` when the time ran out.
pub async fn within<F: std::future::Future>(limit: Duration, future: F) -> Option<F::Output> {
    let delay = Delay::from(limit);
    pin_mut!(future);
    match select(future, delay).await {
        Either::Left((output, _)) => Some(output),
        Either::Right(_) => None,
    }
}

/// Why an outbound request got no response.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NoResponse {
    TimedOut,
    Unreachable(String),
}

/// Sends `request`, aborting it when no response has come within `limit`.
pub async fn send_within(request: Request, limit: Duration) -> Result<Response, NoResponse> {
    let controller = AbortController::default();
    let signal = controller.signal();
    match within(limit, Fetch::Request(request).send_with_signal(&signal)).await {
        None => {
            controller.abort();
            Err(NoResponse::TimedOut)
        }
        Some(Err(err)) => Err(NoResponse::Unreachable(err.to_string())),
        Some(Ok(response)) => Ok(response),
    }
}

pub fn header(req: &Request, name: &str) -> Option<String> {
    req.headers().get(name).ok().flatten()
}

pub fn set(response: &Response, name: &str, value: &str) {
    // Header names and values here are our own constants or ASCII we produced.
    let _ = response.headers().set(name, value);
}

/// Why a body was not read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BodyError {
    /// Longer than the limit: refused as soon as the declared length or the bytes read so far
    /// say so, without reading the rest.
    TooLarge,
    Unreadable,
}

/// How much of a too-large body is still read (and thrown away) after the limit, so that a
/// client still sending gets its 413 on a cleanly finished request; past this the rest is
/// left unread. Nothing beyond the limit is ever kept.
const DISCARD_AFTER_LIMIT: usize = 1024 * 1024;

/// The request body, at most `limit` bytes, checked while it streams in.
pub async fn read_body(req: &mut Request, limit: usize) -> Result<Vec<u8>, BodyError> {
    let declared = header(req, "Content-Length").and_then(|l| l.trim().parse::<usize>().ok());
    if declared.is_some_and(|length| length > limit) {
        return Err(BodyError::TooLarge);
    }
    if req.inner().body().is_none() {
        return Ok(Vec::new());
    }
    let mut stream = req.stream().map_err(|_| BodyError::Unreadable)?;
    let mut body = Vec::with_capacity(declared.unwrap_or(0).min(limit));
    while let Some(chunk) = stream.next().await {
        let chunk = chunk.map_err(|_| BodyError::Unreadable)?;
        if body.len() + chunk.len() > limit {
            discard(stream, DISCARD_AFTER_LIMIT).await;
            return Err(BodyError::TooLarge);
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

/// Reads what is left of a body the worker answered without, throwing it away.
pub async fn discard_body(req: &mut Request) {
    discard_body_up_to(req, DISCARD_AFTER_LIMIT).await;
}

/// [`discard_body`] reading up to `limit` bytes: a refused upload read to its end, so the
/// browser that sent it gets the answer instead of a connection closed mid-send.
pub async fn discard_body_up_to(req: &mut Request, limit: usize) {
    if req.inner().body().is_some()
        && let Ok(stream) = req.stream()
    {
        discard(stream, limit).await;
    }
}

async fn discard(mut stream: worker::ByteStream, limit: usize) {
    let mut total = 0;
    while let Some(Ok(chunk)) = stream.next().await {
        total += chunk.len();
        if total > limit {
            break;
        }
    }
}
