//! The posting run (03:00, 15:00, 22:00 UTC): fills the next day's slots of every connected
//! Page, reconciles leases a dead run left behind against the Page's feed, then publishes
//! what is due — each post leased before its Graph call, Meta's post id stored after it —
//! retrying transient failures with backoff within the run, pausing a Page that Meta rate
//! limits, and stopping a post as failed with Meta's error after its last attempt.

use crate::{Facebook, cards};
use kbc_domain::DomainError;
use kbc_domain::db::d1::D1;
use kbc_domain::facebook::Target;
use kbc_domain::facebook::connections::{self, Connection};
use kbc_domain::facebook::queue::{self, Due, Kind, Planned, Publication, Setback, Slot, SlotTime};
use kbc_domain::jobs::Outcome;
use kbc_edge::graph::{self, Graph};
use kbc_edge::model::{self, ModelConfig};
use kbc_edge::runtime::{self, ScheduledRun};
use kbc_meta::compose::{self, Angle};
use kbc_meta::graph::ErrorKind;
use kbc_model::{ChatRequest, Message};
use std::collections::HashMap;
use std::time::Duration;

/// Posts published in one run at most (the rest wait for the next).
const MOST_PER_RUN: i64 = 60;
/// How long a rate-limited Page rests when Meta does not say.
const PAUSE_SECONDS: i64 = 3600;
/// The wait before a transient failure is retried is `base × 2^(attempt − 1)`;
/// retries due within this many seconds are waited for in the run.
const RETRY_WINDOW_SECONDS: i64 = 180;

#[derive(Default)]
struct Tally {
    planned: u64,
    published: u64,
    reconciled: u64,
    retrying: u64,
    failed: u64,
    held: u64,
    cards: u64,
}

pub async fn run(
    db: &D1,
    facebook: &Facebook<'_>,
    run: &ScheduledRun,
) -> Result<(Outcome, String), DomainError> {
    // The run's clock: the scheduled time (a late delivery still fills its own slots), moving
    // on with the wall clock.
    let origin = run.scheduled_at.max(run.now);
    let clock = || origin + (runtime::now() - run.now);
    let env = facebook.env;
    let base = runtime::var(env, "FACEBOOK_RETRY_BASE_SECONDS")
        .and_then(|v| v.parse::<i64>().ok())
        .filter(|v| (1..=600).contains(v))
        .unwrap_or(30);
    let mut tally = Tally::default();
    let connections = connections::all(db).await?;
    let model = ModelConfig::from_env(facebook.env);
    let premium = queue::premium_connections(db).await?;
    for connection in connections.iter().filter(|c| !c.needs_reconnect()) {
        let is_premium = connection
            .business_id
            .is_some_and(|id| premium.contains(&id));
        tally.planned += fill(
            db,
            facebook,
            model.as_ref(),
            connection,
            is_premium,
            run.scheduled_at,
        )
        .await?;
    }
    let by_id: HashMap<i64, &Connection> = connections.iter().map(|c| (c.id, c)).collect();
    for stale in queue::stale_leases(db, clock()).await? {
        if reconcile(db, facebook, &by_id, &stale, clock()).await? {
            tally.reconciled += 1;
        }
    }
    let mut held_pages: Vec<i64> = Vec::new();
    let mut published_in_run = 0;
    let mut first_pass = true;
    loop {
        let due = queue::due(db, clock(), MOST_PER_RUN - published_in_run).await?;
        let mut next_retry: Option<i64> = None;
        for post in &due {
            let connection = post.connection_id.and_then(|id| by_id.get(&id)).copied();
            let Some(connection) = connection.filter(|c| {
                !c.needs_reconnect() && !c.is_paused(clock()) && !held_pages.contains(&c.id)
            }) else {
                // Counted once: a later pass (waiting for a retry) sees the same posts again.
                tally.held += u64::from(first_pass);
                continue;
            };
            match publish(db, facebook, connection, post, base, clock()).await? {
                Published::Done { card } => {
                    tally.published += 1;
                    tally.cards += u64::from(card);
                    published_in_run += 1;
                }
                Published::Lost => {}
                Published::RetryAt(at) => {
                    tally.retrying += 1;
                    next_retry = Some(next_retry.map_or(at, |n: i64| n.min(at)));
                }
                Published::Failed => tally.failed += 1,
                Published::HoldPage => {
                    held_pages.push(connection.id);
                    tally.held += 1;
                }
            }
        }
        first_pass = false;
        // Wait for a retry that falls within this run; later ones wait for the next run.
        match next_retry {
            Some(at) if at - clock() <= RETRY_WINDOW_SECONDS && published_in_run < MOST_PER_RUN => {
                let wait = (at - clock()).max(0);
                worker::Delay::from(Duration::from_secs(wait.unsigned_abs())).await;
                tally.retrying = tally.retrying.saturating_sub(1);
            }
            _ => break,
        }
    }
    let late = queue::expire_late(db, clock()).await?;
    Ok((
        Outcome::Success,
        format!(
            "planned {}, published {} ({} with a share card), reconciled {}, retrying {}, failed {}, \
             held back {} (Page paused or to reconnect), {} too late",
            tally.planned,
            tally.published,
            tally.cards,
            tally.reconciled,
            tally.retrying,
            tally.failed,
            tally.held,
            late
        ),
    ))
}

/// Plans the slots of the day after `from` for `connection`'s Page (a premium listing's
/// included); how many were added.
async fn fill(
    db: &D1,
    facebook: &Facebook<'_>,
    model: Option<&ModelConfig>,
    connection: &Connection,
    premium: bool,
    from: i64,
) -> Result<u64, DomainError> {
    let site = runtime::site_origin(facebook.env);
    let mut added = 0;
    for slot in queue::slots_ahead(from) {
        let planned = match (connection.target(), slot.slot) {
            (Target::Directory, Slot::Evening) => Some(engagement(connection, slot, &site)),
            (Target::Directory, Slot::Morning) => {
                spotlight(db, model, connection, slot, &site).await?
            }
            (Target::Directory, Slot::Afternoon) => share(db, connection, slot, &site).await?,
            (Target::Business(id), Slot::Morning)
                if premium && slot.weekday() == id.rem_euclid(7) =>
            {
                angle(db, model, connection, id, slot, &site).await?
            }
            (Target::Business(_), _) => None,
        };
        if let Some(planned) = planned
            && queue::plan(db, &planned, runtime::now()).await?
        {
            added += 1;
        }
    }
    Ok(added)
}

fn planned(connection: &Connection, slot: SlotTime, name: &str, kind: Kind) -> Planned {
    Planned {
        target: connection.target(),
        key: queue::idempotency_key(&connection.page_id, name, slot.at),
        kind,
        subject_id: None,
        topic: String::new(),
        body: String::new(),
        link: String::new(),
        written_by: "template",
        at: slot.at,
        review_first: connection.review_first,
    }
}

fn engagement(connection: &Connection, slot: SlotTime, site: &str) -> Planned {
    Planned {
        body: compose::engagement_prompt(slot.day()),
        link: site.to_owned(),
        ..planned(connection, slot, "engagement", Kind::Engagement)
    }
}

async fn spotlight(
    db: &D1,
    model: Option<&ModelConfig>,
    connection: &Connection,
    slot: SlotTime,
    site: &str,
) -> Result<Option<Planned>, DomainError> {
    let base = planned(connection, slot, "spotlight", Kind::Spotlight);
    if queue::is_planned(db, &base.key).await? {
        return Ok(None);
    }
    let Some(subject) = queue::next_spotlight(db, slot.at).await? else {
        return Ok(None);
    };
    let url = format!("{site}{}", kbc_site::urls::business(&subject.slug));
    let listing = listing_of(&subject, &url);
    let (body, written_by) = written(model, "a spotlight of this local business", &listing, &url)
        .await
        .unwrap_or_else(|| (compose::spotlight(&listing), "template"));
    Ok(Some(Planned {
        subject_id: Some(subject.id),
        body,
        link: url,
        written_by,
        ..base
    }))
}

async fn share(
    db: &D1,
    connection: &Connection,
    slot: SlotTime,
    site: &str,
) -> Result<Option<Planned>, DomainError> {
    let base = planned(connection, slot, "share", Kind::BlogShare);
    if queue::is_planned(db, &base.key).await? {
        return Ok(None);
    }
    if let Some(post) = queue::next_blog_share(db, slot.at).await? {
        let url = format!("{site}{}", kbc_site::urls::post(&post.slug));
        return Ok(Some(Planned {
            topic: post.slug,
            body: compose::blog_share(&post.title, &post.summary, &url),
            link: url,
            ..base
        }));
    }
    let Some(category) = queue::next_category(db, slot.at).await? else {
        return Ok(None);
    };
    let url = format!("{site}{}", kbc_site::urls::category(&category.slug));
    let names: Vec<&str> = category.names.iter().map(String::as_str).collect();
    Ok(Some(Planned {
        kind: Kind::CategoryHighlight,
        topic: category.slug.clone(),
        body: compose::category_highlight(&category.name, "the Kiamichi country", &names, &url),
        link: url,
        ..base
    }))
}

async fn angle(
    db: &D1,
    model: Option<&ModelConfig>,
    connection: &Connection,
    business_id: i64,
    slot: SlotTime,
    site: &str,
) -> Result<Option<Planned>, DomainError> {
    let key = queue::idempotency_key(&connection.page_id, "angle", slot.at);
    if queue::is_planned(db, &key).await? {
        return Ok(None);
    }
    let angles: Vec<&'static str> = Angle::ALL.iter().map(|a| a.as_str()).collect();
    let Some(name) = queue::next_angle(db, business_id, slot.at, &angles).await? else {
        return Ok(None);
    };
    let (Some(angle), Some(subject)) = (Angle::parse(name), queue::subject(db, business_id).await?)
    else {
        return Ok(None);
    };
    let url = format!("{site}{}", kbc_site::urls::business(&subject.slug));
    let listing = listing_of(&subject, &url);
    let month = month_of(slot.at);
    let about = format!(
        "a post about this business's {}",
        angle.label().to_lowercase()
    );
    let (body, written_by) = written(model, &about, &listing, &url)
        .await
        .unwrap_or_else(|| (compose::angle_post(angle, &listing, month), "template"));
    Ok(Some(Planned {
        subject_id: Some(subject.id),
        body,
        link: url,
        written_by,
        ..planned(connection, slot, "angle", Kind::Angle(name))
    }))
}

fn listing_of<'a>(subject: &'a queue::Subject, url: &'a str) -> compose::Listing<'a> {
    compose::Listing {
        name: &subject.name,
        category: &subject.category,
        city: &subject.city,
        state: &subject.state,
        description: &subject.description,
        phone: subject.phone.as_deref(),
        url,
    }
}

/// The month (1–12) of a unix time.
fn month_of(at: i64) -> u32 {
    u32::from(kbc_domain::hours::civil_from_days(at.div_euclid(86_400)).1)
}

/// The model's text for `about`, when a model is configured and answers something usable.
async fn written(
    model: Option<&ModelConfig>,
    about: &str,
    listing: &compose::Listing<'_>,
    url: &str,
) -> Option<(String, &'static str)> {
    let config = model?;
    let (system, user) = compose::model_messages(about, listing);
    let request = ChatRequest {
        model: config.model.clone(),
        messages: vec![Message::system(system), Message::user(user)],
        tools: Vec::new(),
        tool_choice: None,
        stream: false,
        max_tokens: Some(300),
        temperature: Some(0.6),
        stream_options: None,
    };
    let answer = model::chat(config, &request).await.ok()?;
    let text = answer.choices.into_iter().find_map(|c| c.message.content)?;
    Some((compose::accept_model_text(&text, url)?, "model"))
}

/// A lease left behind: if the Page's feed shows the post went out, record it; otherwise
/// put it back in the queue. `true` when it was found published.
async fn reconcile(
    db: &D1,
    facebook: &Facebook<'_>,
    by_id: &HashMap<i64, &Connection>,
    stale: &Due,
    now: i64,
) -> Result<bool, DomainError> {
    let token = new_lease_token();
    if !queue::lease(db, stale.id, &token, stale.lease_token.as_deref(), now).await? {
        return Ok(false);
    }
    let connection = stale.connection_id.and_then(|id| by_id.get(&id)).copied();
    let found = match connection {
        Some(connection) => match graph::open_page_token(&facebook.keys, connection) {
            Ok(page_token) => facebook
                .graph
                .feed_since(
                    &connection.page_id,
                    &page_token,
                    stale.leased_at.unwrap_or(now) - 120,
                )
                .await
                .ok()
                .and_then(|feed| {
                    feed.into_iter().find(|item| {
                        item.message.as_deref().map(str::trim) == Some(stale.body.trim())
                    })
                })
                .map(|item| (connection.page_id.clone(), item.id)),
            Err(_) => None,
        },
        None => None,
    };
    match found {
        Some((page_id, graph_post_id)) => {
            let publication = Publication {
                page_id,
                graph_post_id,
                media: "text",
                card_key: None,
            };
            Ok(queue::published(db, stale.id, &token, &publication, now).await?)
        }
        None => {
            queue::set_back(db, stale.id, &token, &Setback::Release, "", now).await?;
            Ok(false)
        }
    }
}

enum Published {
    Done {
        card: bool,
    },
    /// Another run took the post, or the lease was lost: nothing to count here.
    Lost,
    RetryAt(i64),
    Failed,
    /// The Page cannot take posts now (rate limit, token): its other posts wait too.
    HoldPage,
}

/// Publishes one due post to `connection`'s Page.
async fn publish(
    db: &D1,
    facebook: &Facebook<'_>,
    connection: &Connection,
    post: &Due,
    retry_base: i64,
    now: i64,
) -> Result<Published, DomainError> {
    let lease = new_lease_token();
    if !queue::lease(db, post.id, &lease, None, now).await? {
        return Ok(Published::Lost);
    }
    let attempt = post.attempts + 1;
    let page_token = match graph::open_page_token(&facebook.keys, connection) {
        Ok(token) => token,
        Err(_) => {
            // Sealed under a key we no longer hold: only a new login mends it.
            let why = "The stored Facebook connection can no longer be read; reconnect Facebook.";
            connections::mark_invalid(db, connection.id, why, now).await?;
            queue::set_back(db, post.id, &lease, &Setback::Release, why, now).await?;
            return Ok(Published::HoldPage);
        }
    };
    let media = cards::media_for(db, facebook, post).await;
    let graph: &Graph = &facebook.graph;
    let result = match &media {
        cards::Media::Image {
            bytes,
            content_type,
            ..
        } => {
            graph
                .publish_photo(
                    &connection.page_id,
                    &page_token,
                    &post.body,
                    bytes,
                    content_type,
                )
                .await
        }
        cards::Media::Text => {
            let link = (!post.link.is_empty()).then_some(post.link.as_str());
            graph
                .publish_text(&connection.page_id, &page_token, &post.body, link)
                .await
        }
    };
    match result {
        Ok(graph_post_id) => {
            let publication = Publication {
                page_id: connection.page_id.clone(),
                graph_post_id,
                media: media.name(),
                card_key: media.card_key(),
            };
            if queue::published(db, post.id, &lease, &publication, runtime::now().max(now)).await? {
                Ok(Published::Done {
                    card: media.name() == "card",
                })
            } else {
                Ok(Published::Lost)
            }
        }
        Err(error) => {
            let shown = format!("Facebook said: {}", error.message);
            match error.kind {
                ErrorKind::RateLimited => {
                    let until = now + PAUSE_SECONDS;
                    let reason =
                        "Facebook asked us to slow down; posting to this Page resumes in an hour.";
                    connections::pause(db, connection.id, until, reason, now).await?;
                    queue::set_back(db, post.id, &lease, &Setback::Release, &shown, now).await?;
                    Ok(Published::HoldPage)
                }
                ErrorKind::TokenInvalid => {
                    let why =
                        "Facebook no longer accepts this Page's connection; reconnect Facebook.";
                    connections::mark_invalid(db, connection.id, why, now).await?;
                    queue::set_back(db, post.id, &lease, &Setback::Release, &shown, now).await?;
                    Ok(Published::HoldPage)
                }
                ErrorKind::Transient if attempt < queue::MOST_ATTEMPTS => {
                    let wait = retry_base.saturating_mul(1 << (attempt - 1).clamp(0, 10));
                    let at = now + wait;
                    queue::set_back(db, post.id, &lease, &Setback::RetryAt(at), &shown, now)
                        .await?;
                    Ok(Published::RetryAt(at))
                }
                ErrorKind::Transient | ErrorKind::Permanent => {
                    queue::set_back(db, post.id, &lease, &Setback::Failed, &shown, now).await?;
                    Ok(Published::Failed)
                }
            }
        }
    }
}

/// A random token naming one lease.
fn new_lease_token() -> String {
    kbc_identity::secrets::random_secret()
        .unwrap_or_else(|_| format!("lease-{}", runtime::now_ms()))
}
