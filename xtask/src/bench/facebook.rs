//! Facebook publishing, timed end to end in workerd: the bench's first listings get the
//! fake Graph API's Pages connected (tokens obtained through Facebook Login's exchanges
//! with the fake, sealed as the agent seals them) and one post each due now; the posting
//! cron is fired run after run (each run publishes at most its bound) until every post is
//! published — leased, its share card rendered by the fake Browser Rendering and stored in
//! R2, uploaded to the fake Graph API with the post, Meta's post id stored.

use crate::fakes::Fakes;
use crate::state;
use crate::supervise::{self, Fleet, Logs, Spec};
use crate::workers::Worker;
use crate::workspace::Workspace;
use anyhow::{Context, Result, bail};
use kbc_cf_fake::graph::{self, Person};
use kbc_domain::accounts::{self, VerifiedIdentity};
use kbc_domain::db::sqlite::SqliteDatabase;
use kbc_domain::db::{Statement, fetch_integer};
use kbc_domain::directory;
use kbc_domain::facebook::Target;
use kbc_domain::facebook::connections::{self, PageOffer, SealedText};
use kbc_domain::social_posts;
use kbc_meta::tokens::TokenKeys;
use std::path::Path;
use std::time::{Duration, Instant};

/// The fakes' ports: the dev ports plus this, far from the dev and test ports.
const OFFSET: u16 = 20_000;
const FACEBOOK_PORT: u16 = 28_790;
/// How many listings get a Page and a due post.
const POSTS: usize = 240;
/// The key the bench seals tokens with, handed to the worker (worth nothing elsewhere).
const BENCH_KEYS: &str = "bench:YmVuY2gga2V5OiAzMiBieXRlcywgd29ydGggbm9uZSE=";
/// Runs fired at most before giving up.
const MOST_RUNS: i64 = 20;

/// The Pages of `person`, with their tokens, through the fake's Facebook Login exchanges.
fn pages_of(graph_base: &str, person: &Person) -> Result<Vec<(String, String, String)>> {
    let client = reqwest::blocking::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()?;
    let v = format!("{graph_base}/v25.0");
    let redirect_uri = "http://127.0.0.1:28788/facebook/callback";
    let scope = graph::SCOPES.join(",");
    let post_form = |path: &str, fields: &[(&str, &str)]| {
        client
            .post(format!("{v}/{path}"))
            .header("Content-Type", "application/x-www-form-urlencoded")
            .body(kbc_meta::graph::form(fields))
            .send()
    };
    let confirmed = post_form(
        "dialog/oauth/confirm",
        &[
            ("client_id", graph::APP_ID),
            ("redirect_uri", redirect_uri),
            ("state", "bench"),
            ("scope", &scope),
            ("response_type", "code"),
            ("person", person.id),
        ],
    )?;
    let location = confirmed
        .headers()
        .get("location")
        .and_then(|l| l.to_str().ok())
        .context("the fake dialog sent no code")?;
    let code = reqwest::Url::parse(location)?
        .query_pairs()
        .find(|(k, _)| k == "code")
        .map(|(_, v)| v.into_owned())
        .context("no code")?;
    let token = |form: &[(&str, &str)]| -> Result<String> {
        let answer: serde_json::Value =
            serde_json::from_slice(&post_form("oauth/access_token", form)?.bytes()?)?;
        answer["access_token"]
            .as_str()
            .map(str::to_owned)
            .context("no access token")
    };
    let short = token(&[
        ("client_id", graph::APP_ID),
        ("client_secret", graph::APP_SECRET),
        ("redirect_uri", redirect_uri),
        ("code", &code),
    ])?;
    let long = token(&[
        ("grant_type", "fb_exchange_token"),
        ("client_id", graph::APP_ID),
        ("client_secret", graph::APP_SECRET),
        ("fb_exchange_token", &short),
    ])?;
    let accounts = client
        .get(format!(
            "{v}/me/accounts?fields={}",
            kbc_meta::graph::ACCOUNTS_FIELDS
        ))
        .bearer_auth(&long)
        .send()?
        .bytes()?;
    let accounts: serde_json::Value = serde_json::from_slice(&accounts)?;
    let pages = accounts["data"].as_array().context("no Pages")?;
    Ok(pages
        .iter()
        .filter_map(|page| {
            Some((
                page["id"].as_str()?.to_owned(),
                page["access_token"].as_str()?.to_owned(),
                long.clone(),
            ))
        })
        .collect())
}

/// Connects the first [`POSTS`] public listings to the fake's Pages, each with one post due
/// at `due`; how many.
fn prepare(db: &SqliteDatabase, graph_base: &str, due: i64, now: i64) -> Result<usize> {
    let keys = TokenKeys::parse(BENCH_KEYS).map_err(|e| anyhow::anyhow!("{e}"))?;
    let mut pages = Vec::new();
    for person in [graph::OWNER, graph::TWO_PAGES_OWNER] {
        pages.extend(
            pages_of(graph_base, &person)?
                .into_iter()
                .map(|p| (person, p)),
        );
    }
    let admin = pollster::block_on(accounts::sign_in(
        db,
        &VerifiedIdentity {
            issuer: "bench".into(),
            subject: "bench".into(),
            email: "bench@kiamichi.test".into(),
            email_verified: true,
            name: "Bench".into(),
        },
        now,
    ))
    .map_err(|e| anyhow::anyhow!("{e:?}"))?;
    let public = pollster::block_on(directory::all_public(db))?;
    let mut prepared = 0;
    for (listed, (person, (page_id, page_token, user_token))) in
        public.iter().zip(pages.iter().cycle()).take(POSTS)
    {
        let find =
            Statement::new("SELECT id FROM businesses WHERE slug = ?1").bind(listed.slug.as_str());
        let id = pollster::block_on(fetch_integer(db, &find))?;
        let seal =
            |token: &str, aad: String| keys.seal(token, &aad).map_err(|e| anyhow::anyhow!("{e}"));
        let page = seal(page_token, format!("page:{page_id}"))?;
        let user = seal(user_token, format!("user:{page_id}"))?;
        let offer = PageOffer {
            page_id: page_id.clone(),
            page_name: format!("{} (bench)", person.name),
            category: String::new(),
            facebook_user_id: person.id.to_owned(),
            key_id: page.key_id,
            page_token: SealedText(page.blob),
            user_token: SealedText(user.blob),
            user_token_expires_at: 0,
            data_access_expires_at: 0,
        };
        let target = Target::Business(id);
        pollster::block_on(connections::offer_pages(db, admin, target, &[offer], now))?;
        pollster::block_on(connections::connect(db, admin, target, page_id, now))
            .map_err(|e| anyhow::anyhow!("{e:?}"))?;
        let body = social_posts::parse_body(&format!(
            "Fresh news from {} this week: come and see us. (bench post {prepared})",
            listed.slug
        ))
        .map_err(|e| anyhow::anyhow!("{e}"))?;
        pollster::block_on(social_posts::schedule_for(
            db, target, None, &body, due, now,
        ))?;
        prepared += 1;
    }
    Ok(prepared)
}

fn published(state_dir: &Path) -> Result<i64> {
    let db = state::open_d1(state_dir)?;
    Ok(pollster::block_on(fetch_integer(
        &db,
        &Statement::new("SELECT count(*) FROM facebook_posts WHERE status = 'published'"),
    ))?)
}

/// Publishes every prepared post through the posting cron; the Markdown line for the results.
pub fn posts_per_minute(ws: &Workspace, state_dir: &Path) -> Result<String> {
    let fakes = Fakes::start(OFFSET)?;
    let now = crate::workspace::unix_now();
    // The next 03:00 UTC slot; the posts are due half an hour before it.
    let slot = (now / 86_400 + 1) * 86_400 + 3 * 3_600;
    let prepared = {
        let db = state::open_d1(state_dir)?;
        prepare(&db, fakes.graph.base_url(), slot - 1_800, now)?
    };
    let mut spec = Spec::new(Worker::Facebook, FACEBOOK_PORT);
    spec.vars = fakes.vars_for(Worker::Facebook);
    spec.vars
        .push(("FACEBOOK_TOKEN_KEYS", BENCH_KEYS.to_owned()));
    let logs = Logs::Files(ws.target_dir().join("bench-logs/facebook"));
    let mut fleet = Fleet::start(ws, state_dir, std::slice::from_ref(&spec), &logs)?;
    let client = reqwest::blocking::Client::builder()
        .timeout(Duration::from_secs(900))
        .build()?;
    let started = Instant::now();
    let mut runs = 0;
    let outcome = loop {
        supervise::check_interrupted()?;
        if runs >= MOST_RUNS {
            break None;
        }
        // Each run its own scheduled minute, as Cloudflare's retries or a backlog would be.
        let fired = client
            .get(format!(
                "{}/cdn-cgi/handler/scheduled?cron=0+3,15,22+*+*+*&time={}",
                spec.url(),
                (slot + runs * 60) * 1000
            ))
            .send()?;
        runs += 1;
        if !fired.status().is_success() {
            bail!("firing the posting cron answered {}", fired.status());
        }
        if published(state_dir)? >= prepared as i64 {
            break Some(started.elapsed());
        }
    };
    fleet.stop()?;
    supervise::wait_ports_free(&[FACEBOOK_PORT], Duration::from_secs(10))?;
    let took = outcome.context("the posting runs did not publish every post")?;
    let received = fakes.graph.with(|graph| graph.posts().len());
    let cards = fakes
        .rendering
        .calls()
        .iter()
        .filter(|call| call.path.ends_with("/screenshot"))
        .count();
    let line = format!(
        "{prepared} posts due on {pages} connected Pages (fake Graph API), published by {runs} \
         posting runs (at most 60 each) in {secs:.1} s — **{rate:.0} posts published per \
         minute** — each leased, its share card rendered ({cards} screenshots from the fake \
         Browser Rendering, stored in R2) and uploaded with the post ({received} posts \
         received by the fake, none twice). The fakes answer at once, so this is the \
         worker's own cost per post (D1 lease and record, the card's HTML, R2, the upload).\n",
        pages = 4,
        secs = took.as_secs_f64(),
        rate = prepared as f64 / (took.as_secs_f64() / 60.0),
    );
    println!("  {line}");
    Ok(line)
}
