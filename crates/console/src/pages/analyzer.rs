//! What the analyzer found, for people to decide: a listing's completeness card on the
//! dashboard's overview, its pending suggestions (`/dashboard/{id}/suggestions`), the
//! console's review queue across every listing (`/admin/suggestions`), and the analyzer's runs
//! with its dead-letter list (`/admin/analyzer`). Suggested values, evidence and source
//! addresses come from businesses' websites: shown as text, the source linked only when it is
//! http(s), and never followed for ranking.

use super::{BusinessNav, PAGE_SIZE, when};
use crate::chrome::{Chrome, Notice, Viewer};
use askama::Template;
use kbc_domain::analysis::{self, Completeness, DeadLetter, LastAnalysis, RunCounts};
use kbc_domain::db::{Database, DbResult};
use kbc_domain::suggestions::{self, Field, Suggestion};
use kbc_domain::{FieldError, Page};
use kbc_site::view::Pager;

/// How many of the analyzer's runs `/admin/analyzer` shows.
const RUNS_SHOWN: u32 = 20;

/// The overview's "Listing completeness" card.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CompletenessCard {
    /// Out of 100.
    pub score: i64,
    pub missing: Vec<&'static str>,
    /// When the analyzer last read the website (Central time) and what it said.
    pub last: Option<(String, String)>,
    pub pending: usize,
    /// The business's dashboard, `/dashboard/{id}`.
    pub base: String,
}

impl CompletenessCard {
    pub fn new(
        id: i64,
        completeness: Option<Completeness>,
        last: Option<LastAnalysis>,
        pending: usize,
    ) -> Self {
        let Completeness { score, missing } = completeness.unwrap_or(Completeness {
            score: 0,
            missing: Vec::new(),
        });
        Self {
            score: score.clamp(0, 100),
            missing: missing.into_iter().map(|part| part.label()).collect(),
            last: last.map(|l| (when(l.analyzed_at), l.detail)),
            pending,
            base: format!("/dashboard/{id}"),
        }
    }

    pub async fn load(db: &impl Database, id: i64) -> DbResult<Self> {
        Ok(Self::new(
            id,
            analysis::completeness(db, id).await?,
            analysis::last(db, id).await?,
            suggestions::pending(db, id).await?.len(),
        ))
    }
}

/// An accept that did not pass: which suggestion, the value typed (none: as suggested), and
/// why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refused {
    pub id: i64,
    pub value: Option<String>,
    pub errors: Vec<FieldError>,
}

/// One pending suggestion with its three forms (accept, edit then accept, reject).
#[derive(Debug, Clone, PartialEq)]
pub struct SuggestionRow {
    pub id: i64,
    /// Where its forms post: `{action}/accept`, `{action}/accept-edited`, `{action}/reject`.
    pub action: String,
    /// Appended to those addresses: the queue's page (`?page=2`), or nothing.
    pub query: String,
    /// The listing it is for, in the console's queue (id, name).
    pub listing: Option<(i64, String)>,
    pub label: String,
    pub current: String,
    pub suggested: String,
    /// "85%".
    pub confidence: String,
    pub source: String,
    /// The source as a link, when it is an http(s) address.
    pub source_link: Option<String>,
    pub evidence: String,
    /// Edited in a text area rather than a one-line input.
    pub multiline: bool,
    /// The edit box's value: the suggestion, or what was typed when accepting it failed.
    pub value: String,
    pub error: Option<String>,
}

impl SuggestionRow {
    fn new(suggestion: Suggestion, action: String, refused: Option<&Refused>) -> Self {
        let field = Field::parse(&suggestion.field);
        let refused = refused.filter(|r| r.id == suggestion.id);
        let source_link = url::Url::parse(&suggestion.source_url)
            .ok()
            .filter(|u| matches!(u.scheme(), "http" | "https"))
            .map(String::from);
        Self {
            id: suggestion.id,
            action,
            query: String::new(),
            listing: None,
            label: field.map_or_else(|| suggestion.field.clone(), |f| f.label().to_owned()),
            confidence: format!("{:.0}%", suggestion.confidence.clamp(0.0, 1.0) * 100.0),
            source_link,
            multiline: matches!(field, Some(Field::Description | Field::Hours)),
            value: refused
                .and_then(|r| r.value.clone())
                .unwrap_or_else(|| suggestion.suggested_value.clone()),
            error: refused.map(|r| {
                let what: Vec<String> = r.errors.iter().map(ToString::to_string).collect();
                what.join("; ")
            }),
            current: suggestion.current_value,
            suggested: suggestion.suggested_value,
            source: suggestion.source_url,
            evidence: suggestion.evidence,
        }
    }
}

/// `/dashboard/{id}/suggestions`: what the analyzer suggests for one listing.
#[derive(Template)]
#[template(path = "suggestions.html")]
pub struct SuggestionsPage {
    pub chrome: Chrome,
    pub nav: BusinessNav,
    pub rows: Vec<SuggestionRow>,
}

impl SuggestionsPage {
    pub fn new(
        viewer: Viewer,
        nav: BusinessNav,
        pending: Vec<Suggestion>,
        refused: Option<Refused>,
        notice: Option<Notice>,
    ) -> Self {
        let base = format!("/dashboard/{}/suggestions", nav.id);
        Self {
            chrome: Chrome::new(
                format!("Suggestions for {}", nav.name),
                "dashboard",
                Some(viewer),
            )
            .with_notice(notice),
            rows: pending
                .into_iter()
                .map(|s| {
                    let action = format!("{base}/{}", s.id);
                    SuggestionRow::new(s, action, refused.as_ref())
                })
                .collect(),
            nav,
        }
    }

    pub async fn load(
        db: &impl Database,
        viewer: Viewer,
        nav: BusinessNav,
        refused: Option<Refused>,
        notice: Option<Notice>,
    ) -> DbResult<Self> {
        let pending = suggestions::pending(db, nav.id).await?;
        Ok(Self::new(viewer, nav, pending, refused, notice))
    }
}

/// `/admin/suggestions`: every listing's pending suggestions, oldest first.
#[derive(Template)]
#[template(path = "suggestion_queue.html")]
pub struct SuggestionQueuePage {
    pub chrome: Chrome,
    pub rows: Vec<SuggestionRow>,
    pub total: i64,
    pub pager: Pager,
}

impl SuggestionQueuePage {
    pub fn new(
        viewer: Viewer,
        paged: kbc_domain::Paged<suggestions::ForReview>,
        refused: Option<Refused>,
        notice: Option<Notice>,
    ) -> Self {
        let number = paged.page.number;
        let query = if number > 1 {
            format!("?page={number}")
        } else {
            String::new()
        };
        Self {
            chrome: Chrome::new("Suggestions", "suggestions", Some(viewer)).with_notice(notice),
            total: paged.total,
            pager: Pager::new("/admin/suggestions?", number, i64::from(paged.pages())),
            rows: paged
                .items
                .into_iter()
                .map(|item| {
                    let action = format!(
                        "/admin/businesses/{}/suggestions/{}",
                        item.business_id, item.suggestion.id
                    );
                    SuggestionRow {
                        query: query.clone(),
                        listing: Some((item.business_id, item.business_name)),
                        ..SuggestionRow::new(item.suggestion, action, refused.as_ref())
                    }
                })
                .collect(),
        }
    }

    pub async fn load(
        db: &impl Database,
        viewer: Viewer,
        page: Page,
        refused: Option<Refused>,
        notice: Option<Notice>,
    ) -> DbResult<Self> {
        let size = PAGE_SIZE;
        let paged = suggestions::pending_page(db, Page { size, ..page }).await?;
        Ok(Self::new(viewer, paged, refused, notice))
    }
}

/// One of the analyzer's runs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AnalyzerRun {
    pub scheduled: String,
    pub counts: RunCounts,
}

/// One analysis that kept failing, with where its replay stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LetterRow {
    pub letter: DeadLetter,
    pub failed: String,
    pub replay: String,
}

/// `/admin/analyzer`: the analyzer's latest runs with their counts, and the dead-letter list.
#[derive(Template)]
#[template(path = "analyzer.html")]
pub struct AnalyzerPage {
    pub chrome: Chrome,
    pub runs: Vec<AnalyzerRun>,
    pub letters: Vec<LetterRow>,
    pub total: i64,
    pub pager: Pager,
}

impl AnalyzerPage {
    pub fn new(
        viewer: Viewer,
        runs: Vec<RunCounts>,
        letters: kbc_domain::Paged<DeadLetter>,
        notice: Option<Notice>,
    ) -> Self {
        Self {
            chrome: Chrome::new("Analyzer", "analyzer", Some(viewer)).with_notice(notice),
            runs: runs
                .into_iter()
                .map(|counts| AnalyzerRun {
                    scheduled: when(counts.scheduled_at),
                    counts,
                })
                .collect(),
            total: letters.total,
            pager: Pager::new(
                "/admin/analyzer?",
                letters.page.number,
                i64::from(letters.pages()),
            ),
            letters: letters
                .items
                .into_iter()
                .map(|letter| LetterRow {
                    failed: when(letter.failed_at),
                    replay: match (letter.replay_requested_at, letter.replayed_at) {
                        (_, Some(at)) => format!("Queued again {}", when(at)),
                        (Some(at), None) => {
                            format!("Asked {}; the analyzer's next run queues it", when(at))
                        }
                        (None, None) => "Not replayed".to_owned(),
                    },
                    letter,
                })
                .collect(),
        }
    }

    pub async fn load(
        db: &impl Database,
        viewer: Viewer,
        page: Page,
        notice: Option<Notice>,
    ) -> DbResult<Self> {
        let runs = analysis::runs(db, RUNS_SHOWN).await?;
        let size = PAGE_SIZE;
        let letters = analysis::dead_letters(db, Page { size, ..page }).await?;
        Ok(Self::new(viewer, runs, letters, notice))
    }
}
