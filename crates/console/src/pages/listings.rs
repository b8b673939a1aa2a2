//! Listings for admins: search and filter every listing whatever its state; one listing's
//! page to edit every public field (each error beside its field), suspend or reactivate,
//! remove or restore, set the plan, see where it stands in the featured rotation and lock a
//! featured place for some days, erase on a removal request, and read its leads (marking
//! spam).

use super::{PAGE_SIZE, query_value, when};
use crate::chrome::{Chrome, Notice, Viewer};
use askama::Template;
use kbc_domain::categories;
use kbc_domain::db::Database;
use kbc_domain::directory::SocialNetwork;
use kbc_domain::error::DomainResult;
use kbc_domain::featured::{self, Standing};
use kbc_domain::leads::{self, StoredLead};
use kbc_domain::listings::{self, Filter, Listing, ListingInput, Row};
use kbc_domain::values::{Plan, StateCode};
use kbc_domain::{DomainError, FieldError, Page};
use kbc_site::pages::{CategoryOption, category_options};
use kbc_site::view::Pager;

#[derive(Template)]
#[template(path = "listings.html")]
pub struct ListingsPage {
    pub chrome: Chrome,
    pub filter: Filter,
    pub rows: Vec<Row>,
    pub total: i64,
    pub pager: Pager,
    pub states: [(&'static str, &'static str); 5],
}

impl ListingsPage {
    pub async fn load(
        db: &impl Database,
        viewer: Viewer,
        filter: Filter,
        page: Page,
        notice: Option<Notice>,
    ) -> DomainResult<Self> {
        let paged = listings::list(
            db,
            &filter,
            Page {
                size: PAGE_SIZE,
                ..page
            },
        )
        .await?;
        let mut base = String::from("/admin/businesses?");
        for (name, value) in [("q", &filter.q), ("state", &filter.state)] {
            if !value.trim().is_empty() {
                base.push_str(&format!("{name}={}&", query_value(value.trim())));
            }
        }
        let pages = i64::from(paged.pages());
        Ok(Self {
            chrome: Chrome::new("Businesses", "businesses", Some(viewer)).with_notice(notice),
            pager: Pager::new(&base, paged.page.number, pages),
            total: paged.total,
            rows: paged.items,
            filter,
            states: [
                ("", "Any state"),
                ("published", "Published"),
                ("suspended", "Suspended"),
                ("draft", "Draft"),
                ("removed", "Removed"),
            ],
        })
    }
}

/// One lead as the listing page shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LeadRow {
    pub lead: StoredLead,
    pub received: String,
}

/// The listing editor's form (`listing_form.html`), in the console and the dashboard: every
/// public field as typed, each error beside its field.
#[derive(Debug, Clone, PartialEq)]
pub struct ListingForm {
    /// Where the form posts.
    pub action: String,
    pub form: ListingInput,
    pub errors: Vec<FieldError>,
    pub categories: Vec<CategoryOption>,
    pub states: [StateCode; 3],
}

impl ListingForm {
    /// The form for `listing`; `edit` carries a failed edit (as typed, with its errors).
    pub async fn load(
        db: &impl Database,
        action: String,
        listing: &Listing,
        edit: Option<(ListingInput, Vec<FieldError>)>,
    ) -> DomainResult<Self> {
        let (form, errors) = edit.unwrap_or_else(|| (listing.as_input(), Vec::new()));
        Ok(Self {
            action,
            form,
            errors,
            categories: category_options(&categories::tree(db).await?),
            states: StateCode::ALL,
        })
    }

    pub fn error(&self, field: &str) -> Option<&str> {
        FieldError::message_for(&self.errors, field)
    }

    /// Each weekday (Sunday first) with its field name, label and typed hours.
    pub fn days(&self) -> Vec<(String, &'static str, &str)> {
        (0_u8..)
            .zip(&self.form.hours)
            .map(|(day, typed)| {
                (
                    format!("hours_{day}"),
                    kbc_domain::hours::day_name(day),
                    typed.as_str(),
                )
            })
            .collect()
    }

    pub fn social_error(&self, network: &SocialNetwork) -> Option<&str> {
        self.error(&format!("social_{}", network.as_str()))
    }

    /// The form's value of a field, by name.
    pub fn value(&self, field: &str) -> &str {
        let f = &self.form;
        match field {
            "name" => &f.name,
            "description" => &f.description,
            "phone" => &f.phone,
            "email" => &f.email,
            "website" => &f.website,
            "street" => &f.street,
            "city" => &f.city,
            "zip" => &f.zip,
            "keywords" => &f.keywords,
            "towns" => &f.towns,
            "service_radius_km" => &f.service_radius_km,
            "location" => &f.location,
            _ => "",
        }
    }
}

#[derive(Template)]
#[template(path = "listing.html")]
pub struct ListingPage {
    pub chrome: Chrome,
    pub listing: Listing,
    pub editor: ListingForm,
    pub leads: Vec<LeadRow>,
    pub leads_total: i64,
    pub leads_pager: Pager,
    pub standing: Standing,
    /// Where the listing stands in the featured rotation, in words.
    pub featured_state: String,
    pub plans: [Plan; 3],
}

/// A listing's place in the featured rotation at `now`, as admins read it.
fn featured_state(standing: &Standing, now: i64) -> String {
    match (standing.featured_until, standing.locked) {
        (Some(until), true) => format!("Featured until {}: locked by an admin.", when(until)),
        (Some(until), false) => format!("Featured by the rotation until {}.", when(until)),
        (None, _) => match standing.resting_until(now) {
            Some(until) => format!(
                "Not featured; the rotation may choose it again from {}.",
                when(until)
            ),
            None => "Not featured; waiting for its turn in the rotation.".to_owned(),
        },
    }
}

impl ListingPage {
    /// Listing `id`; `edit` carries a failed edit (as typed, with its errors) to show again.
    pub async fn load(
        db: &impl Database,
        viewer: Viewer,
        id: i64,
        edit: Option<(ListingInput, Vec<FieldError>)>,
        leads_page: Page,
        notice: Option<Notice>,
        now: i64,
    ) -> DomainResult<Self> {
        let listing = listings::find(db, id)
            .await?
            .ok_or_else(|| DomainError::NotFound("business".into()))?;
        let standing = featured::standing(db, id, now)
            .await?
            .ok_or_else(|| DomainError::NotFound("business".into()))?;
        let editor =
            ListingForm::load(db, format!("/admin/businesses/{id}/edit"), &listing, edit).await?;
        let leads = leads::page_for_business(
            db,
            id,
            Page {
                size: PAGE_SIZE,
                ..leads_page
            },
        )
        .await?;
        let leads_pager = Pager::new(
            &format!("/admin/businesses/{id}?leads_"),
            leads.page.number,
            i64::from(leads.pages()),
        );
        let leads_total = leads.total;
        let leads = leads
            .items
            .into_iter()
            .map(|lead| LeadRow {
                received: when(lead.created_at),
                lead,
            })
            .collect();
        Ok(Self {
            chrome: Chrome::new(listing.name.clone(), "businesses", Some(viewer))
                .with_notice(notice),
            listing,
            editor,
            leads,
            leads_total,
            leads_pager,
            featured_state: featured_state(&standing, now),
            standing,
            plans: Plan::ALL,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// 2026-01-01 00:00 UTC: 6:00 PM on New Year's Eve in Oklahoma.
    const NEW_YEAR: i64 = 1_767_225_600;

    fn standing(featured_until: Option<i64>, locked: bool, last_ended: Option<i64>) -> Standing {
        Standing {
            plan: Plan::Plus,
            featured_until,
            locked,
            last_ended,
        }
    }

    #[test]
    fn the_featured_state_says_until_when_and_whose_place_it_is() {
        let until = NEW_YEAR + 7 * 86_400;
        let locked = featured_state(&standing(Some(until), true, None), NEW_YEAR);
        assert!(locked.starts_with("Featured until") && locked.ends_with("locked by an admin."));
        assert!(locked.contains(&when(until)), "{locked}");
        let rotated = featured_state(&standing(Some(until), false, None), NEW_YEAR);
        assert!(
            rotated.starts_with("Featured by the rotation until"),
            "{rotated}"
        );
    }

    #[test]
    fn a_listing_not_featured_is_resting_or_waiting_for_its_turn() {
        let resting = featured_state(&standing(None, false, Some(NEW_YEAR - 86_400)), NEW_YEAR);
        assert!(
            resting.contains(&when(NEW_YEAR - 86_400 + featured::REST)),
            "{resting}"
        );
        let rested = standing(None, false, Some(NEW_YEAR - 40 * 86_400));
        assert_eq!(
            featured_state(&rested, NEW_YEAR),
            "Not featured; waiting for its turn in the rotation."
        );
    }
}
