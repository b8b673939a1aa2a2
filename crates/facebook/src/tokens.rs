//! Token care (02:00 and 14:00 UTC): every connection is checked with `debug_token`. A Page
//! token near its expiry is renewed where Meta allows (the long-lived user token exchanged
//! again, a fresh Page token fetched with it) and the renewed tokens are stored; one Meta
//! refuses is marked invalid, one that cannot be renewed is marked expiring — both show the
//! owner a "reconnect Facebook" notice. Tokens sealed under an old key are sealed again
//! under the current one. 02:00 also fetches the numbers of recent posts (`insights`).

use crate::{Facebook, insights};
use kbc_domain::DomainError;
use kbc_domain::db::d1::D1;
use kbc_domain::facebook::connections::{self, Check, Connection, Health, Renewed, SealedText};
use kbc_domain::jobs::Outcome;
use kbc_edge::graph;
use kbc_edge::runtime::{self, ScheduledRun};
use kbc_meta::graph::ErrorKind;

/// A token expiring within this many seconds is renewed.
const RENEW_WITHIN_SECONDS: i64 = 7 * 86_400;
/// Data access ending within this many seconds needs the person: only a new login renews it.
const DATA_ACCESS_NOTICE_SECONDS: i64 = 14 * 86_400;
/// The hour (UTC) of the run that also fetches insights.
const INSIGHTS_HOUR: i64 = 2;

#[derive(Default)]
struct Tally {
    checked: u64,
    renewed: u64,
    resealed: u64,
    expiring: u64,
    invalid: u64,
    unreachable: u64,
}

pub async fn run(
    db: &D1,
    facebook: &Facebook<'_>,
    run: &ScheduledRun,
) -> Result<(Outcome, String), DomainError> {
    let now = run.scheduled_at.max(run.now);
    let mut tally = Tally::default();
    for connection in connections::all(db).await? {
        tally.checked += 1;
        match care(db, facebook, &connection, now).await? {
            Cared::Fine => {}
            Cared::Renewed => tally.renewed += 1,
            Cared::Resealed => tally.resealed += 1,
            Cared::Expiring => tally.expiring += 1,
            Cared::Invalid => tally.invalid += 1,
            Cared::Unreachable => tally.unreachable += 1,
        }
    }
    let mut detail = format!(
        "checked {}, renewed {}, sealed again under the current key {}, expiring {}, invalid {}, \
         not reachable {}",
        tally.checked,
        tally.renewed,
        tally.resealed,
        tally.expiring,
        tally.invalid,
        tally.unreachable
    );
    if run.scheduled_at.rem_euclid(86_400) / 3600 == INSIGHTS_HOUR {
        let measured = insights::fetch(db, facebook, now).await?;
        detail.push_str(&format!("; numbers of {measured} recent posts fetched"));
    }
    Ok((Outcome::Success, detail))
}

enum Cared {
    Fine,
    Renewed,
    Resealed,
    Expiring,
    Invalid,
    Unreachable,
}

async fn care(
    db: &D1,
    facebook: &Facebook<'_>,
    connection: &Connection,
    now: i64,
) -> Result<Cared, DomainError> {
    let Ok(page_token) = graph::open_page_token(&facebook.keys, connection) else {
        let check = notice(
            Health::Invalid,
            "The stored connection can no longer be read.",
            connection,
        );
        connections::record_check(db, connection, &check, now).await?;
        return Ok(Cared::Invalid);
    };
    let debug = match facebook.graph.debug_token(&page_token).await {
        Ok(debug) => Some(debug),
        Err(error) if error.kind == ErrorKind::TokenInvalid => None,
        Err(_) => return Ok(Cared::Unreachable),
    };
    let Some(debug) = debug.filter(|d| d.is_valid) else {
        let check = notice(
            Health::Invalid,
            "Facebook no longer accepts this connection.",
            connection,
        );
        connections::record_check(db, connection, &check, now).await?;
        return Ok(Cared::Invalid);
    };
    let data_access_expires_at = debug.data_access_expires_at.unwrap_or(0);
    let expires_soon = debug.expires_at != 0 && debug.expires_at < now + RENEW_WITHIN_SECONDS;
    if expires_soon {
        return match renew(facebook, connection).await {
            Some(renewed) => {
                connections::store_renewed(db, connection, &renewed, now).await?;
                Ok(Cared::Renewed)
            }
            None => {
                let check = Check {
                    token_expires_at: debug.expires_at,
                    data_access_expires_at,
                    ..notice(
                        Health::Expiring,
                        "Facebook will end this connection soon and would not renew it.",
                        connection,
                    )
                };
                connections::record_check(db, connection, &check, now).await?;
                Ok(Cared::Expiring)
            }
        };
    }
    let data_access_ends =
        data_access_expires_at != 0 && data_access_expires_at < now + DATA_ACCESS_NOTICE_SECONDS;
    if data_access_ends {
        let check = Check {
            token_expires_at: debug.expires_at,
            data_access_expires_at,
            ..notice(
                Health::Expiring,
                "Facebook asks you to confirm this connection again soon.",
                connection,
            )
        };
        connections::record_check(db, connection, &check, now).await?;
        return Ok(Cared::Expiring);
    }
    if facebook.keys.needs_rotation(&connection.key_id)
        && let Some(resealed) = reseal(facebook, connection, &page_token, debug.expires_at)
    {
        connections::store_renewed(db, connection, &resealed, now).await?;
        return Ok(Cared::Resealed);
    }
    let check = Check {
        health: Health::Active,
        detail: String::new(),
        token_expires_at: debug.expires_at,
        data_access_expires_at,
    };
    connections::record_check(db, connection, &check, now).await?;
    Ok(Cared::Fine)
}

fn notice(health: Health, why: &str, connection: &Connection) -> Check {
    Check {
        health,
        detail: format!("{why} Reconnect Facebook to keep posting."),
        token_expires_at: connection.token_expires_at,
        data_access_expires_at: connection.data_access_expires_at,
    }
}

/// New tokens through the long-lived user token: exchanged again, then a fresh Page token.
async fn renew(facebook: &Facebook<'_>, connection: &Connection) -> Option<Renewed> {
    let user_token = graph::open_user_token(&facebook.keys, connection).ok()?;
    let user = facebook.graph.long_lived(&user_token).await.ok()?;
    let page = facebook
        .graph
        .page_token(&connection.page_id, &user.access_token)
        .await
        .ok()?;
    let debug = facebook.graph.debug_token(&page.access_token).await.ok()?;
    if !debug.is_valid {
        return None;
    }
    let now = runtime::now();
    seal(
        facebook,
        connection,
        &page.access_token,
        &user.access_token,
        debug.expires_at,
        user.expires_in.map_or(0, |seconds| now + seconds),
        debug
            .data_access_expires_at
            .unwrap_or(connection.data_access_expires_at),
    )
}

/// The same tokens sealed under the current key.
fn reseal(
    facebook: &Facebook<'_>,
    connection: &Connection,
    page_token: &str,
    token_expires_at: i64,
) -> Option<Renewed> {
    let user_token = graph::open_user_token(&facebook.keys, connection).ok()?;
    seal(
        facebook,
        connection,
        page_token,
        &user_token,
        token_expires_at,
        connection.user_token_expires_at,
        connection.data_access_expires_at,
    )
}

fn seal(
    facebook: &Facebook<'_>,
    connection: &Connection,
    page_token: &str,
    user_token: &str,
    token_expires_at: i64,
    user_token_expires_at: i64,
    data_access_expires_at: i64,
) -> Option<Renewed> {
    let page = facebook
        .keys
        .seal(page_token, &graph::page_aad(&connection.page_id))
        .ok()?;
    let user = facebook
        .keys
        .seal(user_token, &graph::user_aad(&connection.page_id))
        .ok()?;
    Some(Renewed {
        key_id: page.key_id,
        page_token: SealedText(page.blob),
        user_token: SealedText(user.blob),
        token_expires_at,
        user_token_expires_at,
        data_access_expires_at,
    })
}
