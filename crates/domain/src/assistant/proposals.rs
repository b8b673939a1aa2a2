//! The changes the assistant may propose, as typed values: what each would do as people read
//! it (before → after) against the state it was proposed on, and doing it once approved —
//! only while that state still holds and within the scope's business, signed by the person
//! through the assistant ([`crate::edits::Means::Assistant`]).

use super::Scope;
use crate::db::Database;
use crate::directory::SocialNetwork;
use crate::edits;
use crate::error::{DomainError, DomainResult};
use crate::hours::{self, SpecialDay};
use crate::listings::{self, Listing, ListingInput};
use crate::ordering::Direction;
use crate::page_builder::{self, Section};
use crate::social_posts;
use crate::suggestions;
use serde::{Deserialize, Serialize};

/// The listing fields the assistant may change (a closed set; never a name from the model).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ListingField {
    Name,
    Description,
    Phone,
    Email,
    Website,
    Street,
    City,
    State,
    Zip,
    Keywords,
    Towns,
    ServiceRadiusKm,
    Facebook,
    Instagram,
}

impl ListingField {
    fn apply(self, input: &mut ListingInput, value: &str) {
        let value = value.to_owned();
        match self {
            Self::Name => input.name = value,
            Self::Description => input.description = value,
            Self::Phone => input.phone = value,
            Self::Email => input.email = value,
            Self::Website => input.website = value,
            Self::Street => input.street = value,
            Self::City => input.city = value,
            Self::State => input.state = value,
            Self::Zip => input.zip = value,
            Self::Keywords => input.keywords = value,
            Self::Towns => input.towns = value,
            Self::ServiceRadiusKm => input.service_radius_km = value,
            Self::Facebook => input.set_social(SocialNetwork::Facebook, value),
            Self::Instagram => input.set_social(SocialNetwork::Instagram, value),
        }
    }
}

/// One proposed change, stored with its pending action.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "change", rename_all = "snake_case")]
pub enum Proposal {
    UpdateListing {
        fields: Vec<(ListingField, String)>,
    },
    /// A weekday's hours (0 = Sunday) as [`hours::parse_day`] reads them; empty: closed.
    SetHours {
        day: u8,
        hours: String,
    },
    AddSpecialDay {
        date: String,
        hours: String,
        note: String,
    },
    RemoveSpecialDay {
        date: String,
    },
    AcceptSuggestion {
        id: i64,
    },
    RejectSuggestion {
        id: i64,
    },
    AddSection {
        section: Section,
    },
    EditSection {
        id: i64,
        section: Section,
    },
    MoveSection {
        id: i64,
        later: bool,
    },
    RemoveSection {
        id: i64,
    },
    PublishPage,
    RestoreSnapshot {
        number: i64,
    },
    SchedulePost {
        body: String,
        at: i64,
    },
    CancelPost {
        id: i64,
    },
}

/// A field as people read it, before and after.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Change {
    pub field: String,
    pub before: String,
    pub after: String,
}

impl Change {
    fn new(field: &str, before: impl Into<String>, after: impl Into<String>) -> Self {
        Self {
            field: field.to_owned(),
            before: before.into(),
            after: after.into(),
        }
    }
}

/// What a proposal would do, shown on its card, and the state it was proposed on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Preview {
    pub summary: String,
    pub changes: Vec<Change>,
    /// Checked again on approval (JSON of what the change was measured against).
    pub basis: String,
}

/// What doing an approved proposal needs from the worker beyond the database.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Executed {
    /// Done; what to tell the person.
    Done(String),
    /// Rendering and storing the page is the worker's (R2 and the site's renderer).
    PublishPage,
}

fn business_of(scope: &Scope) -> DomainResult<i64> {
    scope
        .business
        .ok_or_else(|| DomainError::invalid("business", "this change needs a business"))
}

async fn listing_of(db: &impl Database, business: i64) -> DomainResult<Listing> {
    listings::find(db, business)
        .await?
        .ok_or_else(|| DomainError::NotFound("business".into()))
}

fn json<T: Serialize>(value: &T) -> DomainResult<String> {
    serde_json::to_string(value)
        .map_err(|e| DomainError::Database(crate::db::DbError(format!("proposal json: {e}"))))
}

fn section_text(section: &Section) -> String {
    let form = section.to_form();
    let mut parts = vec![section.kind().label().to_owned()];
    for name in [
        "headline", "tagline", "title", "text", "body", "items", "button",
    ] {
        let value = form.value(name);
        if !value.is_empty() {
            parts.push(format!("{name}: {value}"));
        }
    }
    parts.join(" · ")
}

fn when(at: i64) -> String {
    let (year, month, day) = hours::local_date(at);
    let (_, minute) = hours::local_day_and_minute(at);
    format!(
        "{} {day}, {year} at {:02}:{:02} (Central)",
        hours::month_name(month),
        minute / 60,
        minute % 60
    )
}

impl Proposal {
    /// The listing's input with this change made, for the listing-field proposals.
    fn edited_input(&self, input: &mut ListingInput) -> Option<()> {
        match self {
            Self::UpdateListing { fields } => {
                for (field, value) in fields {
                    field.apply(input, value);
                }
            }
            Self::SetHours { day, hours } => {
                let slot = input.hours.get_mut(usize::from(*day))?;
                *slot = hours.clone();
            }
            Self::AddSpecialDay { date, hours, note } => {
                let special = SpecialDay::parse(date, hours, note).ok()?;
                input.special_days.retain(|s| s.day != special.day);
                input.special_days.push(special);
            }
            Self::RemoveSpecialDay { date } => {
                input.special_days.retain(|s| s.day != *date);
            }
            _ => return None,
        }
        Some(())
    }

    fn is_listing_edit(&self) -> bool {
        matches!(
            self,
            Self::UpdateListing { .. }
                | Self::SetHours { .. }
                | Self::AddSpecialDay { .. }
                | Self::RemoveSpecialDay { .. }
        )
    }

    /// What this would do for `scope`, checked against today's data: every value parsed by
    /// the domain's rules, every object looked up within the scope's business.
    pub async fn preview(
        &self,
        db: &impl Database,
        scope: &Scope,
        now: i64,
    ) -> DomainResult<Preview> {
        let business = business_of(scope)?;
        if self.is_listing_edit() {
            let listing = listing_of(db, business).await?;
            if let Self::AddSpecialDay { date, hours, note } = self {
                SpecialDay::parse(date, hours, note).map_err(DomainError::Invalid)?;
            }
            if let Self::RemoveSpecialDay { date } = self
                && !listing.special_days.iter().any(|s| s.day == *date)
            {
                return Err(DomainError::invalid(
                    "date",
                    format!("there is no special day on {date}"),
                ));
            }
            let mut input = listing.as_input();
            self.edited_input(&mut input)
                .ok_or_else(|| DomainError::invalid("day", "must be a day of the week"))?;
            let edit = input.parse().map_err(DomainError::Invalid)?;
            let after = listing.edited(&edit);
            let changes: Vec<Change> = edits::changes(&listing, &after)
                .into_iter()
                .map(|c| Change::new(c.field, c.before, c.after))
                .collect();
            if changes.is_empty() {
                return Err(DomainError::invalid(
                    "change",
                    "the listing already says that",
                ));
            }
            let fields: Vec<&str> = changes.iter().map(|c| c.field.as_str()).collect();
            return Ok(Preview {
                summary: format!("Change {} of {}", fields.join(", "), listing.name),
                changes,
                basis: json(&listing)?,
            });
        }
        let preview = |summary: String, changes: Vec<Change>, basis: String| Preview {
            summary,
            changes,
            basis,
        };
        Ok(match self {
            Self::AcceptSuggestion { id } | Self::RejectSuggestion { id } => {
                let found = suggestions::find(db, business, *id)
                    .await?
                    .filter(|s| s.status == "pending")
                    .ok_or_else(|| DomainError::NotFound("suggestion".into()))?;
                let accept = matches!(self, Self::AcceptSuggestion { .. });
                let change = if accept {
                    Change::new(&found.field, &found.current_value, &found.suggested_value)
                } else {
                    Change::new("Suggestion", &found.suggested_value, "rejected")
                };
                preview(
                    format!(
                        "{} the suggested {}",
                        if accept { "Accept" } else { "Reject" },
                        found.field
                    ),
                    vec![change],
                    String::new(),
                )
            }
            Self::AddSection { section } => {
                section.check().map_err(DomainError::Invalid)?;
                preview(
                    format!("Add a {} section to your page", section.kind().label()),
                    vec![Change::new("Page section", "", section_text(section))],
                    String::new(),
                )
            }
            Self::EditSection { id, section } => {
                section.check().map_err(DomainError::Invalid)?;
                let stored = page_builder::section(db, business, *id)
                    .await?
                    .ok_or_else(|| DomainError::NotFound("section".into()))?;
                if stored.section.kind() != section.kind() {
                    return Err(DomainError::invalid(
                        "kind",
                        "a section keeps its kind; add a new section instead",
                    ));
                }
                preview(
                    format!("Edit the {} section", section.kind().label()),
                    vec![Change::new(
                        "Page section",
                        section_text(&stored.section),
                        section_text(section),
                    )],
                    json(&stored.section)?,
                )
            }
            Self::MoveSection { id, later } => {
                let stored = page_builder::section(db, business, *id)
                    .await?
                    .ok_or_else(|| DomainError::NotFound("section".into()))?;
                let way = if *later { "down" } else { "up" };
                preview(
                    format!("Move the {} section {way}", stored.section.kind().label()),
                    vec![Change::new(
                        "Section order",
                        format!("position {}", stored.position),
                        format!("one step {way}"),
                    )],
                    String::new(),
                )
            }
            Self::RemoveSection { id } => {
                let stored = page_builder::section(db, business, *id)
                    .await?
                    .ok_or_else(|| DomainError::NotFound("section".into()))?;
                preview(
                    format!("Remove the {} section", stored.section.kind().label()),
                    vec![Change::new(
                        "Page section",
                        section_text(&stored.section),
                        "",
                    )],
                    String::new(),
                )
            }
            Self::PublishPage => {
                let sections = page_builder::sections(db, business).await?;
                if sections.is_empty() {
                    return Err(DomainError::invalid(
                        "page",
                        "has no sections to publish yet",
                    ));
                }
                let current = page_builder::snapshots(db, business)
                    .await?
                    .into_iter()
                    .find(|s| s.is_current)
                    .map_or("not published".to_owned(), |s| {
                        format!("version {}", s.number)
                    });
                let contents: Vec<&Section> = sections.iter().map(|s| &s.section).collect();
                preview(
                    "Publish your page as it is in the builder".into(),
                    vec![Change::new(
                        "Public page",
                        current,
                        format!("a new version with {} sections", sections.len()),
                    )],
                    json(&contents)?,
                )
            }
            Self::RestoreSnapshot { number } => {
                let snapshots = page_builder::snapshots(db, business).await?;
                if !snapshots.iter().any(|s| s.number == *number) {
                    return Err(DomainError::NotFound("snapshot".into()));
                }
                let current = snapshots
                    .iter()
                    .find(|s| s.is_current)
                    .map_or("not published".to_owned(), |s| {
                        format!("version {}", s.number)
                    });
                preview(
                    format!("Make version {number} of your page current"),
                    vec![Change::new(
                        "Public page",
                        current,
                        format!("version {number}"),
                    )],
                    String::new(),
                )
            }
            Self::SchedulePost { body, at } => {
                let body = social_posts::parse_body(body)?;
                if *at <= now {
                    return Err(DomainError::invalid(
                        "scheduled_at",
                        "must be in the future",
                    ));
                }
                preview(
                    format!("Schedule a Facebook post for {}", when(*at)),
                    vec![Change::new("Scheduled post", "", body.as_str())],
                    String::new(),
                )
            }
            Self::CancelPost { id } => {
                let post = social_posts::find(db, business, *id)
                    .await?
                    .filter(|p| p.status == "scheduled")
                    .ok_or_else(|| DomainError::NotFound("scheduled post".into()))?;
                preview(
                    format!("Cancel the post of {}", when(post.scheduled_at)),
                    vec![Change::new("Scheduled post", post.body, "cancelled")],
                    String::new(),
                )
            }
            Self::UpdateListing { .. }
            | Self::SetHours { .. }
            | Self::AddSpecialDay { .. }
            | Self::RemoveSpecialDay { .. } => {
                return Err(DomainError::invalid("change", "is a listing edit"));
            }
        })
    }

    /// Does the approved change for `scope`, only while what it was proposed on (`basis`)
    /// still holds; a listing edit lands in the edit history through the assistant.
    pub async fn execute(
        &self,
        db: &impl Database,
        scope: &Scope,
        basis: &str,
        now: i64,
    ) -> DomainResult<Executed> {
        let business = business_of(scope)?;
        let changed_since = || {
            DomainError::invalid(
                "basis",
                "this changed since the assistant proposed it; ask again",
            )
        };
        if self.is_listing_edit() {
            let current = listing_of(db, business).await?;
            let proposed_on: Listing = serde_json::from_str(basis).map_err(|_| changed_since())?;
            if current.as_input() != proposed_on.as_input() {
                return Err(changed_since());
            }
            let mut input = current.as_input();
            self.edited_input(&mut input).ok_or_else(changed_since)?;
            let edit = input.parse().map_err(DomainError::Invalid)?;
            listings::update(db, &scope.author(), business, &edit, now).await?;
            return Ok(Executed::Done("Your listing is updated.".into()));
        }
        let done = |message: &str| Ok(Executed::Done(message.to_owned()));
        match self {
            Self::AcceptSuggestion { id } => {
                match suggestions::accept(db, &scope.author(), business, *id, now).await? {
                    suggestions::Decided::Done => done("The suggestion is on your listing."),
                    suggestions::Decided::AlreadyDecided => Err(changed_since()),
                }
            }
            Self::RejectSuggestion { id } => {
                match suggestions::reject(db, business, *id, now).await? {
                    suggestions::Decided::Done => done("The suggestion is rejected."),
                    suggestions::Decided::AlreadyDecided => Err(changed_since()),
                }
            }
            Self::AddSection { section } => {
                let id = page_builder::add(db, business, section.kind(), now).await?;
                if let Err(err) = page_builder::save(db, business, id, section, now).await {
                    page_builder::remove(db, business, id).await?;
                    return Err(err);
                }
                done("The section is added to your page (publish it to show it).")
            }
            Self::EditSection { id, section } => {
                let stored = page_builder::section(db, business, *id)
                    .await?
                    .ok_or_else(|| DomainError::NotFound("section".into()))?;
                if json(&stored.section)? != basis {
                    return Err(changed_since());
                }
                page_builder::save(db, business, *id, section, now).await?;
                done("The section is saved (publish the page to show it).")
            }
            Self::MoveSection { id, later } => {
                let direction = if *later {
                    Direction::Later
                } else {
                    Direction::Earlier
                };
                page_builder::nudge(db, business, *id, direction).await?;
                done("The section is moved.")
            }
            Self::RemoveSection { id } => {
                page_builder::remove(db, business, *id).await?;
                done("The section is removed.")
            }
            Self::PublishPage => {
                let sections = page_builder::sections(db, business).await?;
                let contents: Vec<&Section> = sections.iter().map(|s| &s.section).collect();
                if json(&contents)? != basis {
                    return Err(changed_since());
                }
                Ok(Executed::PublishPage)
            }
            Self::RestoreSnapshot { number } => {
                page_builder::restore(db, business, *number, now).await?;
                done("That version of your page is current again.")
            }
            Self::SchedulePost { body, at } => {
                if *at <= now {
                    return Err(DomainError::invalid("scheduled_at", "that time has passed"));
                }
                let body = social_posts::parse_body(body)?;
                social_posts::schedule(db, business, Some(scope.actor.user_id), &body, *at, now)
                    .await?;
                done("The post is scheduled.")
            }
            Self::CancelPost { id } => {
                social_posts::cancel(db, business, *id, now).await?;
                done("The post is cancelled.")
            }
            Self::UpdateListing { .. }
            | Self::SetHours { .. }
            | Self::AddSpecialDay { .. }
            | Self::RemoveSpecialDay { .. } => Err(changed_since()),
        }
    }
}
