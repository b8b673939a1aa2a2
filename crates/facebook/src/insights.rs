//! The numbers of recent posts (02:00 UTC): reactions, comments and reach of what was
//! published in the last 28 days, for the owner's analytics.

use crate::Facebook;
use kbc_domain::DomainError;
use kbc_domain::db::d1::D1;
use kbc_domain::facebook::connections::{self, Connection};
use kbc_domain::facebook::{Target, queue};
use kbc_edge::graph;
use std::collections::HashMap;
use std::collections::hash_map::Entry;

/// Posts measured in one run at most.
const MOST_PER_RUN: i64 = 200;

/// Fetches and stores the numbers of recent posts; how many were measured.
pub async fn fetch(db: &D1, facebook: &Facebook<'_>, now: i64) -> Result<u64, DomainError> {
    let mut tokens: HashMap<Option<i64>, Option<(Connection, String)>> = HashMap::new();
    let mut measured = 0;
    for post in queue::recently_published(db, now, MOST_PER_RUN).await? {
        if let Entry::Vacant(slot) = tokens.entry(post.business_id) {
            let connection = connections::of_target(db, Target::of(post.business_id)).await?;
            slot.insert(connection.and_then(|connection| {
                let token = graph::open_page_token(&facebook.keys, &connection).ok()?;
                Some((connection, token))
            }));
        }
        let Some(Some((connection, token))) = tokens.get(&post.business_id) else {
            continue;
        };
        if connection.needs_reconnect() {
            continue;
        }
        if let Ok((reactions, comments, reach)) = facebook
            .graph
            .post_numbers(&post.graph_post_id, token)
            .await
        {
            queue::record_stats(db, post.id, reactions, comments, reach, now).await?;
            measured += 1;
        }
    }
    Ok(measured)
}
