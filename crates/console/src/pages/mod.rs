//! The console's pages, one module per area: signing in and the account (`account`), the
//! assistant (`assistant`, in the dashboard and the console), the
//! moderation queue and a submission's review (`moderation`), listings and their leads
//! (`listings`), the owner dashboard (`owner`), the blog (`blog`), claims (`claims`), users and
//! roles (`users`), job runs (`jobs`), the audit log (`audit`), the analyzer's suggestions,
//! runs and dead letters (`analyzer`), and a Facebook Page's connection, posts and comments
//! (`facebook`, in the dashboard and the console).

mod account;
mod analyzer;
mod assistant;
mod audit;
mod blog;
mod claims;
mod facebook;
mod jobs;
mod listings;
mod moderation;
mod owner;
mod users;

pub use account::{AccountPage, ProblemPage, SignInPage};
pub use analyzer::{
    AnalyzerPage, CompletenessCard, Refused, SuggestionQueuePage, SuggestionRow, SuggestionsPage,
};
pub use assistant::{AssistantPage, AssistantView, Card, Entry};
pub use audit::AuditPage;
pub use blog::{PostEditorPage, PostsPage};
pub use claims::{ClaimPage, ClaimsPage};
pub use facebook::{FacebookContext, FacebookPage, PostForm, local_input};
pub use jobs::JobsPage;
pub use listings::{ListingForm, ListingPage, ListingsPage};
pub use moderation::{ReviewPage, SubmissionRow, SubmissionsPage};
pub use owner::{
    AnalyticsPage, BuilderPage, BusinessNav, DashboardPage, EditorPage, HistoryPage, LeadPage,
    LeadsPage, NewListingPage, OverviewPage, PhotosPage, SectionEditor, SpecialDayForm, listing,
};
pub use users::UsersPage;

use kbc_domain::hours;
use kbc_site::view;

/// How many rows a console list shows per page.
pub const PAGE_SIZE: u32 = 25;

/// "November 30, 2026, 6:05 AM" in Central time: when something happened.
pub fn when(unix: i64) -> String {
    let (_, minute) = hours::local_day_and_minute(unix);
    format!("{}, {}", view::date_label(unix), view::clock(minute))
}

/// A query-string value, escaped for a link the templates build.
pub fn query_value(text: &str) -> String {
    url::form_urlencoded::byte_serialize(text.as_bytes()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_read_in_central_time() {
        // 2026-01-01 00:00 UTC is 6:00 PM on New Year's Eve in Oklahoma.
        assert_eq!(when(1_767_225_600), "December 31, 2025, 6:00 PM");
    }
}
