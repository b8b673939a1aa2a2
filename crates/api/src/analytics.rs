//! Listing analytics at the edge: what the public site shows and what visitors click become
//! events on a Cloudflare Queue (never a D1 write per page view, nothing about the visitor
//! in them), sent after the answer; crawlers (by user agent) are not counted. The queue's
//! consumer — this worker too — counts each batch into the daily counters in one D1 batch
//! (`kbc_domain::analytics::record_batch`, exactly once per message however often the queue
//! delivers it); a batch that fails is retried after 30 seconds, three times, then left in
//! the dead-letter queue.

use crate::http::header;
use kbc_domain::analytics::{self, Event, EventKind};
use kbc_edge::runtime;
use worker::{
    Context, Env, MessageBatch, MessageExt, QueueRetryOptionsBuilder, Request, console_error, event,
};

/// The queue binding; absent (previews), nothing is collected.
const QUEUE_BINDING: &str = "ANALYTICS";

/// Sends `kind` for `listings` once the answer is on its way; crawlers are not counted.
pub fn collect(req: &Request, env: &Env, ctx: &Context, kind: EventKind, listings: Vec<String>) {
    if listings.is_empty() || analytics::is_bot(header(req, "User-Agent").as_deref()) {
        return;
    }
    let Ok(queue) = env.queue(QUEUE_BINDING) else {
        return;
    };
    let event = Event::new(kind, listings, runtime::now());
    ctx.wait_until(async move {
        if let Err(err) = queue.send(event).await {
            console_error!("analytics: sending an event failed: {err}");
        }
    });
}

/// The consumer: one D1 batch per queue batch. Unreadable messages are dropped (acknowledged
/// with the batch); a failed write retries the whole batch later, which counts nothing twice.
#[event(queue)]
pub async fn consume(batch: MessageBatch<Event>, env: Env, _ctx: Context) -> worker::Result<()> {
    let mut messages = Vec::new();
    for message in batch.iter() {
        match message {
            Ok(message) => messages.push((message.id(), message.into_body())),
            Err(err) => console_error!("analytics: an unreadable message was dropped: {err}"),
        }
    }
    let outcome = match runtime::database(&env) {
        Ok(db) => analytics::record_batch(&db, &messages, runtime::now())
            .await
            .map_err(|err| err.to_string()),
        Err(_) => Err("the database binding is missing".to_owned()),
    };
    match outcome {
        Ok(_) => batch.ack_all(),
        Err(err) => {
            console_error!(
                "analytics: a batch of {} will be retried: {err}",
                messages.len()
            );
            batch.retry_all_with_options(
                &QueueRetryOptionsBuilder::new()
                    .with_delay_seconds(30)
                    .build(),
            );
        }
    }
    Ok(())
}
