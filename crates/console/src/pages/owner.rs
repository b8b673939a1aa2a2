//! The owner dashboard: the businesses someone owns (switching between them), their claims
//! and the listings they added; for one business its overview, the listing editor with
//! dated exceptions to the hours, the edit history with undo, the photos, the leads inbox, and
//! the page builder, and the analytics. Every
//! loader takes the business id the gate already checked the viewer may open.

use super::analyzer::CompletenessCard;
use super::listings::ListingForm;
use super::{PAGE_SIZE, when};
use crate::charts::Chart;
use crate::chrome::{Chrome, Notice, Viewer};
use askama::Template;
use kbc_domain::analytics::{self, Metric, Period};
use kbc_domain::claims::{self, Claim, Owned};
use kbc_domain::db::Database;
use kbc_domain::directory;
use kbc_domain::edits::{self, Edit};
use kbc_domain::error::DomainResult;
use kbc_domain::hours::SpecialDay;
use kbc_domain::leads::{self, Stage, StoredLead};
use kbc_domain::listings::{self, Listing, ListingInput};
use kbc_domain::page_builder::{self, Button, Kind, SectionForm, Snapshot};
use kbc_domain::photos::{self, OwnedPhoto};
use kbc_domain::submissions::{self, StoredSubmission};
use kbc_domain::values::StateCode;
use kbc_domain::{DomainError, FieldError, Page, categories};
use kbc_site::forms::FormState;
use kbc_site::pages::OwnerPreview;
use kbc_site::pages::{CategoryOption, category_options};
use kbc_site::view::Pager;

/// The dashboard's navigation for one business: its sections, the unread leads, and the
/// owner's other businesses to switch to.
#[derive(Debug, Clone, PartialEq)]
pub struct BusinessNav {
    pub id: i64,
    pub name: String,
    pub slug: String,
    /// Shown on the public site right now.
    pub public: bool,
    /// The public site's origin, for links to the listing.
    pub site_origin: String,
    /// Which section is open: `overview`, `edit`, `history`, `photos`, `leads`,
    /// `analytics`, `page` or `suggestions`.
    pub current: &'static str,
    pub unread: i64,
    /// Its Facebook Page must be connected again (the owner sees it on every page).
    pub reconnect_facebook: bool,
    pub businesses: Vec<Owned>,
}

impl BusinessNav {
    pub async fn load(
        db: &impl Database,
        user_id: i64,
        listing: &Listing,
        site_origin: &str,
        current: &'static str,
    ) -> DomainResult<Self> {
        Ok(Self {
            id: listing.id,
            name: listing.name.clone(),
            slug: listing.slug.clone(),
            public: listing.status == "published" && listing.is_active,
            site_origin: site_origin.to_owned(),
            current,
            unread: leads::unread(db, listing.id).await?,
            reconnect_facebook: kbc_domain::facebook::connections::of_target(
                db,
                kbc_domain::facebook::Target::Business(listing.id),
            )
            .await?
            .is_some_and(|connection| connection.needs_reconnect()),
            businesses: claims::owned_by(db, user_id).await?,
        })
    }

    /// The listing on the public site.
    pub fn public_url(&self) -> String {
        format!(
            "{}{}",
            self.site_origin,
            kbc_site::urls::business(&self.slug)
        )
    }

    /// The sections, as (key, label, path).
    pub fn sections(&self) -> [(&'static str, &'static str, String); 10] {
        let base = format!("/dashboard/{}", self.id);
        [
            ("overview", "Overview", base.clone()),
            ("edit", "Listing", format!("{base}/edit")),
            ("history", "History", format!("{base}/history")),
            ("photos", "Photos", format!("{base}/photos")),
            ("leads", "Leads", format!("{base}/leads")),
            ("analytics", "Analytics", format!("{base}/analytics")),
            ("page", "Page builder", format!("{base}/page")),
            ("suggestions", "Suggestions", format!("{base}/suggestions")),
            ("facebook", "Facebook", format!("{base}/facebook")),
            ("assistant", "Assistant", format!("{base}/assistant")),
        ]
    }
}

/// The listing a dashboard page is about; missing means not found.
pub async fn listing(db: &impl Database, id: i64) -> DomainResult<Listing> {
    listings::find(db, id)
        .await?
        .ok_or_else(|| DomainError::NotFound("business".into()))
}

/// `/dashboard`: everything someone owns or asked for.
#[derive(Template)]
#[template(path = "dashboard.html")]
pub struct DashboardPage {
    pub chrome: Chrome,
    pub businesses: Vec<(Owned, i64)>,
    pub claims: Vec<(Claim, String)>,
    pub added: Vec<(StoredSubmission, String)>,
}

impl DashboardPage {
    pub async fn load(
        db: &impl Database,
        viewer: Viewer,
        user_id: i64,
        notice: Option<Notice>,
    ) -> DomainResult<Self> {
        let unread = leads::unread_of_owner(db, user_id).await?;
        let businesses = claims::owned_by(db, user_id)
            .await?
            .into_iter()
            .map(|owned| {
                let count = unread.get(&owned.id).copied().unwrap_or(0);
                (owned, count)
            })
            .collect();
        let claims = claims::of_user(db, user_id)
            .await?
            .into_iter()
            .filter(|claim| claim.status != "approved")
            .map(|claim| {
                let sent = when(claim.created_at);
                (claim, sent)
            })
            .collect();
        let added = submissions::of_user(db, user_id)
            .await?
            .into_iter()
            .map(|s| {
                let sent = when(s.created_at);
                (s, sent)
            })
            .collect();
        Ok(Self {
            chrome: Chrome::new("Your businesses", "dashboard", Some(viewer)).with_notice(notice),
            businesses,
            claims,
            added,
        })
    }
}

/// `/dashboard/new`: a new listing, moderated like any other, theirs once approved.
#[derive(Template)]
#[template(path = "new_listing.html")]
pub struct NewListingPage {
    pub chrome: Chrome,
    pub form: FormState,
    pub categories: Vec<CategoryOption>,
    pub states: [StateCode; 3],
}

impl NewListingPage {
    pub async fn load(db: &impl Database, viewer: Viewer, form: FormState) -> DomainResult<Self> {
        Ok(Self {
            chrome: Chrome::new("Add a listing", "dashboard", Some(viewer)),
            form,
            categories: category_options(&categories::tree(db).await?),
            states: StateCode::ALL,
        })
    }

    pub fn field_id(&self, field: &str) -> String {
        format!("new-{}", field.replace('_', "-"))
    }
}

/// `/dashboard/{id}`: how the listing stands, how complete it is and what needs attention.
#[derive(Template)]
#[template(path = "overview.html")]
pub struct OverviewPage {
    pub chrome: Chrome,
    pub nav: BusinessNav,
    pub listing: Listing,
    pub last_edit: Option<(Edit, String)>,
    pub card: CompletenessCard,
}

impl OverviewPage {
    pub async fn load(
        db: &impl Database,
        viewer: Viewer,
        nav: BusinessNav,
        listing: Listing,
        notice: Option<Notice>,
    ) -> DomainResult<Self> {
        let last_edit = edits::history(db, listing.id, Page::first(1))
            .await?
            .items
            .into_iter()
            .next()
            .map(|edit| {
                let at = when(edit.created_at);
                (edit, at)
            });
        let card = CompletenessCard::load(db, listing.id).await?;
        Ok(Self {
            chrome: Chrome::new(listing.name.clone(), "dashboard", Some(viewer))
                .with_notice(notice),
            nav,
            listing,
            last_edit,
            card,
        })
    }
}

/// A dated exception as typed into its form, with the problems found.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SpecialDayForm {
    pub day: String,
    pub hours: String,
    pub note: String,
    pub errors: Vec<FieldError>,
}

impl SpecialDayForm {
    pub fn value(&self, field: &str) -> &str {
        match field {
            "special_day" => &self.day,
            "special_hours" => &self.hours,
            "special_note" => &self.note,
            _ => "",
        }
    }

    pub fn error(&self, field: &str) -> Option<&str> {
        FieldError::message_for(&self.errors, field)
    }
}

/// `/dashboard/{id}/edit`: every public field, and the dated exceptions to the hours.
#[derive(Template)]
#[template(path = "editor.html")]
pub struct EditorPage {
    pub chrome: Chrome,
    pub nav: BusinessNav,
    pub editor: ListingForm,
    pub special_days: Vec<SpecialDay>,
    pub special_form: SpecialDayForm,
}

impl EditorPage {
    pub async fn load(
        db: &impl Database,
        viewer: Viewer,
        nav: BusinessNav,
        listing: &Listing,
        edit: Option<(ListingInput, Vec<FieldError>)>,
        special_form: SpecialDayForm,
        notice: Option<Notice>,
    ) -> DomainResult<Self> {
        let action = format!("/dashboard/{}/edit", listing.id);
        Ok(Self {
            chrome: Chrome::new(format!("Edit {}", listing.name), "dashboard", Some(viewer))
                .with_notice(notice),
            nav,
            editor: ListingForm::load(db, action, listing, edit).await?,
            special_days: listing.special_days.clone(),
            special_form,
        })
    }
}

/// `/dashboard/{id}/history`: every edit, newest first, the latest with its undo.
#[derive(Template)]
#[template(path = "history.html")]
pub struct HistoryPage {
    pub chrome: Chrome,
    pub nav: BusinessNav,
    pub edits: Vec<(Edit, String)>,
    pub pager: Pager,
}

impl HistoryPage {
    pub async fn load(
        db: &impl Database,
        viewer: Viewer,
        nav: BusinessNav,
        page: Page,
        notice: Option<Notice>,
    ) -> DomainResult<Self> {
        let paged = edits::history(
            db,
            nav.id,
            Page {
                size: PAGE_SIZE,
                ..page
            },
        )
        .await?;
        let pager = Pager::new(
            &format!("/dashboard/{}/history?", nav.id),
            paged.page.number,
            i64::from(paged.pages()),
        );
        Ok(Self {
            chrome: Chrome::new(
                format!("History of {}", nav.name),
                "dashboard",
                Some(viewer),
            )
            .with_notice(notice),
            nav,
            edits: paged
                .items
                .into_iter()
                .map(|edit| {
                    let at = when(edit.created_at);
                    (edit, at)
                })
                .collect(),
            pager,
        })
    }
}

/// `/dashboard/{id}/leads`: the customer requests, newest first, by stage.
#[derive(Template)]
#[template(path = "leads.html")]
pub struct LeadsPage {
    pub chrome: Chrome,
    pub nav: BusinessNav,
    pub stage: Option<Stage>,
    pub stages: [Stage; 4],
    pub leads: Vec<(StoredLead, String)>,
    pub total: i64,
    pub pager: Pager,
}

impl LeadsPage {
    pub async fn load(
        db: &impl Database,
        viewer: Viewer,
        nav: BusinessNav,
        stage: Option<Stage>,
        page: Page,
    ) -> DomainResult<Self> {
        let paged = leads::inbox(
            db,
            nav.id,
            stage,
            Page {
                size: PAGE_SIZE,
                ..page
            },
        )
        .await?;
        let base = match stage {
            Some(stage) => format!("/dashboard/{}/leads?stage={}&", nav.id, stage.as_str()),
            None => format!("/dashboard/{}/leads?", nav.id),
        };
        Ok(Self {
            chrome: Chrome::new(format!("Leads of {}", nav.name), "dashboard", Some(viewer)),
            pager: Pager::new(&base, paged.page.number, i64::from(paged.pages())),
            total: paged.total,
            leads: paged
                .items
                .into_iter()
                .map(|lead| {
                    let at = when(lead.created_at);
                    (lead, at)
                })
                .collect(),
            nav,
            stage,
            stages: Stage::ALL,
        })
    }

    pub fn is_stage(&self, stage: &Stage) -> bool {
        self.stage == Some(*stage)
    }
}

/// `/dashboard/{id}/leads/{lead}`: one request, how to answer it, and its stage.
#[derive(Template)]
#[template(path = "lead.html")]
pub struct LeadPage {
    pub chrome: Chrome,
    pub nav: BusinessNav,
    pub lead: StoredLead,
    pub received: String,
    pub stages: [Stage; 4],
}

impl LeadPage {
    pub fn new(viewer: Viewer, nav: BusinessNav, lead: StoredLead, notice: Option<Notice>) -> Self {
        Self {
            chrome: Chrome::new(
                format!("Lead from {}", lead.name),
                "dashboard",
                Some(viewer),
            )
            .with_notice(notice),
            nav,
            received: when(lead.created_at),
            lead,
            stages: Stage::ALL,
        }
    }

    /// A `tel:` link for the lead's phone, digits and `+` only.
    pub fn call_link(&self) -> Option<String> {
        let phone = self.lead.phone.as_deref()?;
        let digits: String = phone
            .chars()
            .filter(|c| c.is_ascii_digit() || *c == '+')
            .collect();
        (!digits.is_empty()).then(|| format!("tel:{digits}"))
    }

    /// A `mailto:` link answering the request.
    pub fn email_link(&self) -> Option<String> {
        let email = self.lead.email.as_deref()?;
        let subject = format!("Your request to {}", self.nav.name);
        Some(format!(
            "mailto:{}?subject={}",
            super::query_value(email).replace("%40", "@"),
            super::query_value(&subject).replace('+', "%20")
        ))
    }
}

/// `/dashboard/{id}/photos`: upload (JPEG, PNG or WebP, alt text required), the cover
/// (the first), order, alt text and removal.
#[derive(Template)]
#[template(path = "photos.html")]
pub struct PhotosPage {
    pub chrome: Chrome,
    pub nav: BusinessNav,
    pub photos: Vec<OwnedPhoto>,
    /// The alt text typed with an upload that failed, and why it failed.
    pub alt: String,
    pub problems: Vec<FieldError>,
    pub most: i64,
}

impl PhotosPage {
    pub async fn load(
        db: &impl Database,
        viewer: Viewer,
        nav: BusinessNav,
        failed: Option<(String, Vec<FieldError>)>,
        notice: Option<Notice>,
    ) -> DomainResult<Self> {
        let (alt, problems) = failed.unwrap_or_default();
        Ok(Self {
            chrome: Chrome::new(format!("Photos of {}", nav.name), "dashboard", Some(viewer))
                .with_notice(notice)
                .with_script(),
            photos: photos::of_business(db, nav.id).await?,
            nav,
            alt,
            problems,
            most: photos::MAX_PER_BUSINESS,
        })
    }

    pub fn error(&self, field: &str) -> Option<&str> {
        FieldError::message_for(&self.problems, field)
    }
}

/// One section in the page builder: its stored content as the form shows it (or a failed
/// save as typed, with its problems).
#[derive(Debug, Clone, PartialEq)]
pub struct SectionEditor {
    pub id: i64,
    pub kind: Kind,
    pub form: SectionForm,
    pub errors: Vec<FieldError>,
}

impl SectionEditor {
    /// The fields its kind has, as (name, label, multi-line).
    pub fn fields(&self) -> Vec<(&'static str, &'static str, bool)> {
        match self.kind {
            Kind::Hero => vec![
                ("headline", "Headline", false),
                ("tagline", "Tagline", false),
            ],
            Kind::Services => vec![("title", "Title", false), ("items", "Services", true)],
            Kind::Testimonials => vec![("title", "Title", false), ("items", "Testimonials", true)],
            Kind::Faq => vec![
                ("title", "Title", false),
                ("items", "Questions and answers", true),
            ],
            Kind::About => vec![("title", "Title", false), ("body", "About", true)],
            Kind::CallToAction => vec![("text", "Text", false)],
            Kind::Gallery | Kind::Hours | Kind::Contact => vec![("title", "Title", false)],
        }
    }

    pub fn error(&self, field: &str) -> Option<&str> {
        FieldError::message_for(&self.errors, field)
    }

    pub fn is_gallery(&self) -> bool {
        self.kind == Kind::Gallery
    }

    pub fn has_button(&self) -> bool {
        self.kind == Kind::CallToAction
    }
}

/// `/dashboard/{id}/page`: the sections of the business's own page, each editable and
/// movable, a preview of them, publishing, and the snapshots to go back to.
#[derive(Template)]
#[template(path = "builder.html")]
pub struct BuilderPage {
    pub chrome: Chrome,
    pub nav: BusinessNav,
    pub editors: Vec<SectionEditor>,
    pub kinds: [Kind; 9],
    pub buttons: [Button; 4],
    pub photos: Vec<OwnedPhoto>,
    pub snapshots: Vec<(Snapshot, String)>,
    /// The preview, rendered by `kbc_site` with every text already escaped.
    pub preview: String,
    /// The published page on the public site.
    pub page_url: String,
    pub most: i64,
}

impl BuilderPage {
    /// `failed` carries a section save that did not pass: (section id, as typed, problems).
    pub async fn load(
        db: &impl Database,
        viewer: Viewer,
        nav: BusinessNav,
        failed: Option<(i64, SectionForm, Vec<FieldError>)>,
        notice: Option<Notice>,
    ) -> DomainResult<Self> {
        let stored = page_builder::sections(db, nav.id).await?;
        let detail = directory::find_by_id(db, nav.id)
            .await?
            .ok_or_else(|| DomainError::NotFound("business".into()))?;
        let preview =
            OwnerPreview::new(&nav.site_origin, &detail, stored.iter().map(|s| &s.section)).html();
        let editors = stored
            .iter()
            .map(|s| match &failed {
                Some((id, form, errors)) if *id == s.id => SectionEditor {
                    id: s.id,
                    kind: s.section.kind(),
                    form: form.clone(),
                    errors: errors.clone(),
                },
                _ => SectionEditor {
                    id: s.id,
                    kind: s.section.kind(),
                    form: s.section.to_form(),
                    errors: Vec::new(),
                },
            })
            .collect();
        let snapshots = page_builder::snapshots(db, nav.id)
            .await?
            .into_iter()
            .map(|snapshot| {
                let at = when(snapshot.created_at);
                (snapshot, at)
            })
            .collect();
        Ok(Self {
            chrome: Chrome::new(format!("Page of {}", nav.name), "dashboard", Some(viewer))
                .with_notice(notice)
                .with_script(),
            page_url: format!(
                "{}{}",
                nav.site_origin,
                kbc_site::urls::business_page(&nav.slug)
            ),
            photos: photos::of_business(db, nav.id).await?,
            nav,
            editors,
            kinds: Kind::ALL,
            buttons: Button::ALL,
            snapshots,
            preview,
            most: page_builder::MAX_SECTIONS,
        })
    }

    pub fn has_current(&self) -> bool {
        self.snapshots.iter().any(|(s, _)| s.is_current)
    }
}

/// `/dashboard/{id}/analytics`: views, search appearances, clicks and leads per day over 7,
/// 30 or 90 days, as charts with the same numbers in tables for screen readers.
#[derive(Template)]
#[template(path = "analytics.html")]
pub struct AnalyticsPage {
    pub chrome: Chrome,
    pub nav: BusinessNav,
    pub period: Period,
    pub periods: [Period; 3],
    pub charts: Vec<Chart>,
    /// (metric, total over the period).
    pub totals: Vec<(&'static str, i64)>,
    /// The Facebook Page's published posts over the period and what Meta counted for them.
    pub facebook: kbc_domain::social_posts::Numbers,
}

impl AnalyticsPage {
    pub async fn load(
        db: &impl Database,
        viewer: Viewer,
        nav: BusinessNav,
        period: Period,
        now: i64,
    ) -> DomainResult<Self> {
        let days = analytics::series(db, nav.id, period, now).await?;
        let sums = analytics::totals(&days);
        let since = now - period.days() * 86_400;
        let facebook = kbc_domain::social_posts::numbers(
            db,
            kbc_domain::facebook::Target::Business(nav.id),
            since,
        )
        .await?;
        Ok(Self {
            chrome: Chrome::new(
                format!("Analytics of {}", nav.name),
                "dashboard",
                Some(viewer),
            ),
            nav,
            period,
            periods: Period::ALL,
            totals: Metric::ALL
                .into_iter()
                .map(|metric| (metric.label(), sums.get(metric)))
                .collect(),
            charts: Chart::all(&days),
            facebook,
        })
    }
}
