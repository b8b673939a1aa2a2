//! One listing analyzed: its website read (see `reader`), the facts extracted and offered
//! field by field (`offers`; the domain applies what it may), and — on the run that writes —
//! a better description proposed by the model when the listing's is missing or short. The
//! result is how the analysis ended, or a transient failure for the queue to retry.

use crate::offers::offers;
use crate::reader::{self, Unreadable};
use crate::writer;
use kbc_domain::DomainError;
use kbc_domain::analysis::{self, Ending, Offered};
use kbc_domain::cache;
use kbc_domain::db::d1::D1;
use kbc_domain::listings::{self, Listing};
use kbc_domain::suggestions::{Field, NewSuggestion};
use kbc_edge::model::ModelConfig;
use kbc_scrape::guard::Guard;
use kbc_scrape::{charset, extract};
use serde::{Deserialize, Serialize};
use std::time::Duration;

/// One message on the analyzer's queue: a listing, the run that selected it (0 for an
/// admin's replay) and whether this run also asks the model for a description.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Job {
    pub business: i64,
    pub run: i64,
    pub describe: bool,
}

/// What the analyzer needs besides the database.
pub struct Tools {
    pub guard: Guard,
    pub fetch_timeout: Duration,
    pub model: Option<ModelConfig>,
    /// The public answers' cache, told at once when a value was applied.
    pub cache: Option<kbc_domain::cache::KvCache>,
}

/// Why an analysis did not end: worth retrying later.
pub struct Retry(pub String);

impl From<DomainError> for Retry {
    fn from(err: DomainError) -> Self {
        Self(format!("the database: {err}"))
    }
}

impl From<kbc_domain::db::DbError> for Retry {
    fn from(err: kbc_domain::db::DbError) -> Self {
        Self(format!("the database: {err}"))
    }
}

/// Analyzes listing `job.business`; `Ok(None)` when the listing no longer exists.
pub async fn analyze(
    db: &D1,
    tools: &Tools,
    job: Job,
    now: i64,
) -> Result<Option<(Ending, String)>, Retry> {
    let Some(listing) = listings::find(db, job.business).await? else {
        return Ok(None);
    };
    let mut suggested = 0;
    let mut applied = 0;
    let mut site_description = None;
    let mut description_applied = false;
    let read = match listing.website.as_deref().filter(|w| !w.trim().is_empty()) {
        None => Err(Unreadable::Refused("the listing has no website".into())),
        Some(website) => reader::read(&tools.guard, website, tools.fetch_timeout).await,
    };
    let (read_ok, detail) = match read {
        Err(Unreadable::Transient(why)) => return Err(Retry(why)),
        Err(Unreadable::Refused(why)) => (false, why),
        Ok(page) => {
            let head: Vec<u8> = page.body.iter().take(1024).copied().collect();
            let encoding = charset::detect(page.content_type.as_deref(), &head);
            let facts = extract::extract(&page.body, encoding, &page.url);
            site_description = facts.description.as_ref().map(|d| d.value.clone());
            for offer in offers(&facts) {
                let new = NewSuggestion {
                    field: offer.field,
                    value: &offer.value,
                    confidence: offer.confidence,
                    source_url: page.url.as_str(),
                    evidence: &offer.evidence,
                };
                match analysis::offer(db, listing.id, &new, now).await {
                    Ok(Offered::Applied) => {
                        suggested += 1;
                        applied += 1;
                        description_applied |= offer.field == Field::Description;
                    }
                    Ok(Offered::Suggested) => suggested += 1,
                    // Known already, or a value the listing's rules refuse (a state outside
                    // the directory's three, say): nothing to offer.
                    Ok(Offered::Known) | Err(DomainError::Invalid(_)) => {}
                    Err(err) => {
                        // What was applied before the failure is public already: say so now,
                        // the retry will find those fields filled.
                        if applied > 0 {
                            publish(db, tools).await;
                        }
                        return Err(err.into());
                    }
                }
            }
            if applied > 0 {
                publish(db, tools).await;
            }
            let host = page.url.host_str().unwrap_or("the website");
            (
                true,
                format!("read {host}: {suggested} suggested, {applied} applied"),
            )
        }
    };
    if job.describe
        && let Some(model) = &tools.model
        && needs_description(&listing)
        && !description_applied
    {
        // The model's trouble is the run's note, never a reason to redo the website.
        if let Ok(Some(_)) =
            writer::describe(db, model, &listing, site_description.as_deref(), now).await
        {
            suggested += 1;
        }
    }
    let ending = if read_ok {
        Ending::Read {
            suggested,
            auto_applied: applied,
        }
    } else {
        Ending::NothingToRead { suggested }
    };
    Ok(Some((ending, detail)))
}

/// A value applied to a public listing shows at once, not when the edge copy of the cache
/// generation expires.
async fn publish(db: &D1, tools: &Tools) {
    if let Some(kv) = &tools.cache
        && let Err(err) = cache::publish_generation(kv, db).await
    {
        worker::console_error!("analyzer: republishing the cache generation failed: {err}");
    }
}

fn needs_description(listing: &Listing) -> bool {
    listing.description.trim().chars().count() < analysis::SHORT_DESCRIPTION
}
