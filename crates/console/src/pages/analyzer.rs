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

#[cfg(test)]
mod tests {
    use super::*;
    use kbc_domain::Paged;
    use kbc_domain::analysis::Part;
    use kbc_domain::suggestions::ForReview;

    const HOSTILE: &str = "<script>alert(1)</script> \"Quoted\" & 'Co'";
    const ESCAPED: &str = "&#60;script&#62;alert(1)&#60;/script&#62;";
    /// 2026-01-01 00:00 UTC: 6:00 PM on New Year's Eve in Oklahoma.
    const NEW_YEAR: i64 = 1_767_225_600;

    fn viewer() -> Viewer {
        Viewer {
            email: "olive@example.test".into(),
            name: "Olive".into(),
            is_admin: false,
            csrf: "token123".into(),
        }
    }

    fn nav() -> BusinessNav {
        BusinessNav {
            id: 7,
            name: "Hugo Feed".into(),
            slug: "hugo-feed".into(),
            public: true,
            site_origin: "https://kiamichibizconnect.com".into(),
            current: "suggestions",
            unread: 0,
            reconnect_facebook: false,
            businesses: Vec::new(),
        }
    }

    fn suggestion(id: i64, field: &str, value: &str, source: &str) -> Suggestion {
        Suggestion {
            id,
            field: field.into(),
            current_value: String::new(),
            suggested_value: value.into(),
            confidence: 0.846,
            source_url: source.into(),
            evidence: format!("Seen: {value}"),
            status: "pending".into(),
            accepted_value: None,
            created_at: NEW_YEAR,
        }
    }

    fn dashboard(pending: Vec<Suggestion>, refused: Option<Refused>) -> String {
        SuggestionsPage::new(viewer(), nav(), pending, refused, None)
            .render()
            .unwrap()
    }

    /// The rendered text of one suggestion's section.
    fn section_of(html: &str, id: i64) -> &str {
        let (_, rest) = html.split_once(&format!("id=\"suggestion-{id}\"")).unwrap();
        rest.split_once("</section>").unwrap().0
    }

    #[test]
    fn text_from_a_website_renders_as_text_and_only_http_sources_become_links() {
        let html = dashboard(
            vec![
                suggestion(1, "description", HOSTILE, "javascript:alert(1)"),
                suggestion(
                    2,
                    "phone",
                    "+15805550199",
                    "https://hugofeed.example/contact",
                ),
            ],
            None,
        );
        assert!(!html.contains("<script>alert"), "{html}");
        assert!(html.contains(ESCAPED));
        assert!(!html.contains("href=\"javascript:"));
        assert!(
            section_of(&html, 1).contains("javascript:alert(1)"),
            "shown as text"
        );
        assert!(section_of(&html, 2).contains(
            "<a href=\"https://hugofeed.example/contact\" rel=\"nofollow noopener noreferrer\">"
        ));
    }

    #[test]
    fn each_suggestion_offers_accept_edit_and_reject_with_the_token() {
        let html = dashboard(vec![suggestion(3, "hours", "Mon 8:00-17:00", "")], None);
        let one = section_of(&html, 3);
        assert!(one.contains("Opening hours"));
        assert!(one.contains("85% confident"));
        for action in ["accept", "accept-edited", "reject"] {
            assert!(
                one.contains(&format!("action=\"/dashboard/7/suggestions/3/{action}\"")),
                "{action}"
            );
        }
        assert_eq!(one.matches("name=\"csrf\" value=\"token123\"").count(), 3);
        assert!(one.contains("<textarea id=\"suggestion-3-value\" name=\"value\""));
        assert!(one.contains(">Mon 8:00-17:00</textarea>"), "prefilled");
        assert!(!one.contains("read on"), "no source, no source line");
    }

    #[test]
    fn a_refused_value_shows_beside_its_own_suggestion_as_typed() {
        let refused = Refused {
            id: 2,
            value: Some("not an email".into()),
            errors: vec![FieldError::new("email", "must be an email address")],
        };
        let html = dashboard(
            vec![
                suggestion(1, "phone", "+15805550199", ""),
                suggestion(2, "email", "hugo@example.test", ""),
            ],
            Some(refused),
        );
        let (first, second) = (section_of(&html, 1), section_of(&html, 2));
        assert!(!first.contains("aria-invalid") && !first.contains("<details open>"));
        assert!(second.contains("<details open>"));
        assert!(second.contains("value=\"not an email\" aria-invalid=\"true\""));
        assert!(second.contains("Not accepted: email: must be an email address"));
    }

    #[test]
    fn a_refused_accept_as_suggested_keeps_the_suggested_value_in_the_box() {
        let refused = Refused {
            id: 1,
            value: None,
            errors: vec![FieldError::new("zip", "must be 5 digits")],
        };
        let html = dashboard(vec![suggestion(1, "zip", "74743", "")], Some(refused));
        assert!(section_of(&html, 1).contains("value=\"74743\" aria-invalid=\"true\""));
    }

    #[test]
    fn nothing_pending_says_so() {
        let html = dashboard(Vec::new(), None);
        assert!(html.contains("No suggestion waits for you."));
        assert!(html.contains("href=\"/dashboard/7/suggestions\" aria-current=\"page\""));
    }

    #[test]
    fn the_queue_names_each_listing_and_posts_to_the_console_keeping_its_page() {
        let item = |id, business_id: i64, name: &str| ForReview {
            business_id,
            business_name: name.into(),
            business_slug: "slug".into(),
            suggestion: suggestion(id, "zip", "74743", ""),
        };
        let paged = Paged {
            items: vec![item(3, 7, HOSTILE), item(4, 8, "Pine Ridge Bakery")],
            total: 27,
            page: Page {
                number: 2,
                size: PAGE_SIZE,
            },
        };
        let html = SuggestionQueuePage::new(viewer(), paged, None, None)
            .render()
            .unwrap();
        assert!(!html.contains("<script>alert") && html.contains(ESCAPED));
        assert!(html.contains("<a href=\"/admin/businesses/8\">Pine Ridge Bakery</a>: ZIP code"));
        assert!(html.contains("action=\"/admin/businesses/7/suggestions/3/reject?page=2\""));
        assert!(html.contains("action=\"/admin/businesses/8/suggestions/4/accept-edited?page=2\""));
        assert!(html.contains("27 waiting"));
        assert!(html.contains("href=\"/admin/suggestions\" rel=\"prev\""));
    }

    #[test]
    fn an_empty_queue_says_so() {
        let paged = Paged {
            items: Vec::new(),
            total: 0,
            page: Page::first(PAGE_SIZE),
        };
        let html = SuggestionQueuePage::new(viewer(), paged, None, None)
            .render()
            .unwrap();
        assert!(html.contains("No suggestion waits for a decision."));
    }

    #[derive(Template)]
    #[template(source = r#"{% include "completeness.html" %}"#, ext = "html")]
    struct Card {
        card: CompletenessCard,
    }

    #[test]
    fn the_completeness_card_shows_the_score_what_is_missing_and_the_last_reading() {
        let completeness = Completeness {
            score: 75,
            missing: vec![Part::Description, Part::Hours],
        };
        let last = LastAnalysis {
            analyzed_at: NEW_YEAR,
            outcome: "analyzed".into(),
            detail: HOSTILE.into(),
        };
        let card = CompletenessCard::new(7, Some(completeness), Some(last), 2);
        let html = Card { card }.render().unwrap();
        assert!(html.contains("value=\"75\""));
        assert!(html.contains("<li>a description</li><li>opening hours</li>"));
        assert!(html.contains("December 31, 2025, 6:00 PM"));
        assert!(!html.contains("<script>alert") && html.contains(ESCAPED));
        assert!(
            html.contains("<a href=\"/dashboard/7/suggestions\">2 suggestions wait for you</a>")
        );
        assert!(!html.contains("style="), "the CSP forbids inline styles");
    }

    #[test]
    fn a_listing_never_analyzed_says_so() {
        let html = Card {
            card: CompletenessCard::new(7, None, None, 0),
        }
        .render()
        .unwrap();
        assert!(html.contains("has not read your website yet"));
        assert!(html.contains("No suggestion waits for you"));
    }

    fn letter(id: i64, requested: Option<i64>, replayed: Option<i64>) -> DeadLetter {
        DeadLetter {
            id,
            business_id: 7,
            business_name: HOSTILE.into(),
            run_id: Some(1),
            reason: "timed out".into(),
            attempts: 3,
            failed_at: NEW_YEAR,
            replay_requested_at: requested,
            replayed_at: replayed,
        }
    }

    #[test]
    fn the_analyzer_page_counts_runs_and_offers_replay_only_once() {
        let run = RunCounts {
            run_id: 1,
            scheduled_at: NEW_YEAR,
            started_at: NEW_YEAR,
            outcome: "ok".into(),
            detail: String::new(),
            selected: 12,
            analyzed: 10,
            suggested: 9,
            auto_applied: 2,
            failed: 1,
            note: "model: 4 descriptions".into(),
        };
        let letters = Paged {
            items: vec![
                letter(1, None, None),
                letter(2, Some(NEW_YEAR), None),
                letter(3, Some(NEW_YEAR), Some(NEW_YEAR)),
            ],
            total: 3,
            page: Page::first(PAGE_SIZE),
        };
        let html = AnalyzerPage::new(viewer(), vec![run], letters, None)
            .render()
            .unwrap();
        let counts = "<td>ok</td><td>12</td><td>10</td><td>9</td><td>2</td><td>1</td>";
        assert!(html.contains(&format!(
            "<td>December 31, 2025, 6:00 PM</td>{counts}<td>model: 4 descriptions</td>"
        )));
        assert!(html.contains("action=\"/admin/analyzer/dead-letters/1/replay\""));
        assert_eq!(html.matches("/replay\"").count(), 1);
        assert!(html.contains("Asked December 31, 2025, 6:00 PM"));
        assert!(html.contains("Queued again December 31, 2025, 6:00 PM"));
        assert!(!html.contains("<script>alert") && html.contains(ESCAPED));
    }

    #[test]
    fn an_analyzer_that_never_ran_says_so() {
        let letters = Paged {
            items: Vec::new(),
            total: 0,
            page: Page::first(PAGE_SIZE),
        };
        let html = AnalyzerPage::new(viewer(), Vec::new(), letters, None)
            .render()
            .unwrap();
        assert!(html.contains("No run recorded yet."));
        assert!(html.contains("No analysis failed for good."));
    }
}
