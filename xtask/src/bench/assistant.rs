//! The assistant's turns, timed end to end against the fake model and speech endpoints
//! (`kbc_cf_fake::Ai`, which answers at once): what the agent worker itself costs for a
//! typed turn (two model rounds: a tool call that stores a proposal, then the answer) and a
//! voice turn (speech to text, the same turn, text to speech), one at a time.
//!
//! The owner is made the way people are made: the first public listing's email signs in
//! (the domain's `accounts::sign_in`) and claims it (approved at once: the email is the
//! listing's); its session is stored as the agent stores one, and the worker is driven over
//! HTTP with that cookie.

use super::load::Measured;
use crate::state;
use crate::supervise::{self, Fleet, Logs, Spec};
use crate::workers::Worker;
use crate::workspace::Workspace;
use anyhow::{Context, Result, bail};
use kbc_cf_fake::ai::{self, Ai};
use kbc_domain::accounts::{self, VerifiedIdentity};
use kbc_domain::claims::{self, ClaimOutcome};
use kbc_domain::db::{Statement, fetch_optional};
use kbc_domain::values::Slug;
use reqwest::blocking::Client;
use serde::Deserialize;
use sha2::{Digest, Sha256};
use std::path::Path;
use std::time::{Duration, Instant};

/// Far from the dev (87xx) and test (187xx) ports, next to the bench's api worker.
const AGENT_PORT: u16 = 28_788;
const SESSION_COOKIE: &str = "__Host-kbc-session";
const CSRF: &str = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

/// An owner signed in on the bench's state: the business they own and their session id.
struct Owner {
    business: i64,
    session: String,
}

fn make_owner(state_dir: &Path, now: i64) -> Result<Owner> {
    #[derive(Deserialize)]
    struct Listing {
        id: i64,
        slug: String,
        email: String,
    }
    let db = state::open_d1(state_dir)?;
    let listing: Listing = pollster::block_on(fetch_optional(
        &db,
        &Statement::new(
            "SELECT id, slug, email FROM businesses
              WHERE status = 'published' AND is_active = 1 AND email IS NOT NULL ORDER BY id LIMIT 1",
        ),
    ))?
    .context("the bench's state has no public listing with an email")?;
    let identity = VerifiedIdentity {
        issuer: "https://bench.invalid".into(),
        subject: "bench-owner".into(),
        email: listing.email.clone(),
        email_verified: true,
        name: "Bench Owner".into(),
    };
    let user_id = pollster::block_on(accounts::sign_in(&db, &identity, now))?;
    let actor = kbc_domain::accounts::Actor {
        user_id,
        email: listing.email,
    };
    let slug = Slug::parse("slug", &listing.slug).map_err(|e| anyhow::anyhow!("{e}"))?;
    match pollster::block_on(claims::request(&db, &actor, &slug, "", now))? {
        ClaimOutcome::Owner { .. } | ClaimOutcome::AlreadyOwner => {}
        other => bail!("the bench owner's claim was not approved at once: {other:?}"),
    }
    // Shaped like the agent's own: 256 bits as hex, stored as its SHA-256.
    let session = hex::encode(Sha256::digest(format!("bench-session-{now}").as_bytes()));
    let hash = hex::encode(Sha256::digest(session.as_bytes()));
    pollster::block_on(accounts::create_session(&db, &hash, user_id, CSRF, now))?;
    Ok(Owner {
        business: listing.id,
        session,
    })
}

/// A short recording: two seconds of 16 kHz mono silence as WAV.
fn recording() -> Vec<u8> {
    let data: u32 = 16_000 * 2 * 2;
    let mut wav = Vec::with_capacity(44 + data as usize);
    wav.extend_from_slice(b"RIFF");
    wav.extend_from_slice(&(36 + data).to_le_bytes());
    wav.extend_from_slice(b"WAVEfmt ");
    for field in [
        16u32.to_le_bytes(),
        [1, 0, 1, 0],
        16_000u32.to_le_bytes(),
        32_000u32.to_le_bytes(),
    ] {
        wav.extend_from_slice(&field);
    }
    wav.extend_from_slice(&[2, 0, 16, 0]);
    wav.extend_from_slice(b"data");
    wav.extend_from_slice(&data.to_le_bytes());
    wav.resize(44 + data as usize, 0);
    wav
}

/// Times `turns` typed and `turns` spoken turns; the Markdown lines for the results.
pub fn turns(ws: &Workspace, state_dir: &Path, turns: usize) -> Result<String> {
    let now = crate::workspace::unix_now();
    let owner = make_owner(state_dir, now)?;
    let model = Ai::start().context("starting the fake AI provider")?;
    let app = format!("http://127.0.0.1:{AGENT_PORT}");
    let mut spec = Spec::new(Worker::Agent, AGENT_PORT);
    spec.vars.extend([
        ("AI_API_BASE", format!("{}/client/v4", model.base_url())),
        ("AI_ACCOUNT_ID", ai::ACCOUNT_ID.to_owned()),
        ("AI_API_TOKEN", ai::API_TOKEN.to_owned()),
        ("APP_ORIGIN", app.clone()),
        // The bench measures turns, not the daily allowance.
        ("ASSISTANT_DAILY_TOKENS", "1000000000".to_owned()),
    ]);
    let logs = Logs::Files(ws.target_dir().join("bench-logs/assistant"));
    let mut fleet = Fleet::start(ws, state_dir, std::slice::from_ref(&spec), &logs)?;
    let client = Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(60))
        .build()?;
    let cookie = format!("{SESSION_COOKIE}={}", owner.session);
    let post = |path: &str, content_type: &str, body: Vec<u8>| {
        client
            .post(format!("{app}{path}"))
            .header("Cookie", &cookie)
            .header("Origin", &app)
            .header("Content-Type", content_type)
            .header("X-CSRF-Token", CSRF)
            .body(body)
            .send()
    };
    const FORM: &str = "application/x-www-form-urlencoded";
    let base = format!("/dashboard/{}/assistant", owner.business);
    let started = post(
        &format!("{base}/new"),
        FORM,
        format!("csrf={CSRF}").into_bytes(),
    )?;
    let conversation = started
        .headers()
        .get("location")
        .and_then(|l| l.to_str().ok())
        .filter(|_| started.status().as_u16() == 303)
        .with_context(|| format!("starting a conversation answered {}", started.status()))?
        .to_owned();
    let message = format!("csrf={CSRF}&message=Please+open+on+Saturdays+from+9+to+1").into_bytes();
    let audio = recording();
    let mut typed = Vec::with_capacity(turns);
    let mut spoken = Vec::with_capacity(turns);
    let all = Instant::now();
    for _ in 0..turns {
        supervise::check_interrupted()?;
        let at = Instant::now();
        let reply = post(&conversation, FORM, message.clone())?;
        if reply.status().as_u16() != 303 {
            bail!("a typed turn answered {}", reply.status());
        }
        typed.push(at.elapsed());
        let at = Instant::now();
        let reply = post(&format!("{conversation}/voice"), "audio/wav", audio.clone())?;
        let status = reply.status().as_u16();
        let body: serde_json::Value = serde_json::from_slice(&reply.bytes()?)?;
        if status != 200 || body["audio"].as_str().is_none_or(str::is_empty) {
            bail!("a voice turn answered {status}: {body}");
        }
        spoken.push(at.elapsed());
    }
    let elapsed = all.elapsed();
    fleet.stop()?;
    supervise::wait_ports_free(&[AGENT_PORT], Duration::from_secs(10))?;
    let typed = Measured::of(typed, elapsed);
    let spoken = Measured::of(spoken, elapsed);
    let line = format!(
        "{turns} typed turns (two model rounds: a tool call stored as a proposal, then the answer) \
         **p50 {:.0} ms, p95 {:.0} ms**; {turns} voice turns (a 2 s recording: speech to text, the \
         same turn, text to speech) **p50 {:.0} ms, p95 {:.0} ms** — against the fakes, which \
         answer at once, so this is the agent's own cost (D1 writes of the messages and the \
         proposal, the tool run, JSON), one turn at a time.\n",
        typed.percentile_ms(0.5),
        typed.percentile_ms(0.95),
        spoken.percentile_ms(0.5),
        spoken.percentile_ms(0.95),
    );
    println!("  {line}");
    Ok(line)
}
