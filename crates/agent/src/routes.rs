//! Every URL of app.kiamichibizconnect.com: the route a path names, the method it takes and
//! the template it is logged under (never the raw path: ids and query strings stay out of
//! the logs). Plain Rust, tested natively.

use kbc_domain::accounts::Role;
use kbc_domain::ordering::Direction;
use kbc_domain::values::Slug;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Route {
    Health,
    Stylesheet,
    /// The dashboard's script, by its current fingerprint.
    Script,
    Icon,
    Home,
    SignIn,
    Callback,
    SignOut,
    SignOutEverywhere,
    Account,
    /// "Is this your business?": the claim page (GET) and the claim itself (POST).
    Claim(Slug),
    Admin,
    Submissions,
    Submission(i64),
    Approve(i64),
    Reject(i64),
    Users,
    GrantRole(i64),
    RevokeRole(i64, Role),
    RevokeSessions(i64),
    Invite,
    Audit,
    Posts,
    NewPost,
    CreatePost,
    Post(i64),
    SavePost(i64),
    UnpublishPost(i64),
    Businesses,
    Business(i64),
    EditBusiness(i64),
    BusinessState(i64),
    FeatureBusiness(i64),
    /// A listing's plan (free, plus or premium), which the featured rotation ranks by.
    BusinessPlan(i64),
    EraseBusiness(i64),
    /// A lead (second id) of a business (first id) marked as spam.
    SpamLead(i64, i64),
    Claims,
    ApproveClaim(i64),
    RejectClaim(i64),
    Jobs,
    /// The review queue of every listing's suggestions.
    Suggestions,
    /// A suggestion (second id) for a listing (first id), decided from the console.
    ListingSuggestion(i64, i64, SuggestionAction),
    /// The analyzer's runs and dead letters.
    Analyzer,
    /// A dead letter analyzed again.
    ReplayAnalysis(i64),
    /// The owner dashboard: their businesses, claims and added listings.
    Dashboard,
    /// Adding a new listing from the dashboard: the form (GET) and sending it (POST).
    NewListing,
    /// One business's part of the dashboard; the gate lets only its owners (and admins) in.
    Owner(i64, OwnerRoute),
    /// An admin's own assistant in the console, under `/admin/assistant`.
    Assistant(AssistantRoute),
    /// The directory's own Facebook Page, under `/admin/facebook`.
    Facebook(FacebookRoute),
    /// Where Facebook Login comes back (for owners and admins alike; the login names its Page).
    FacebookCallback,
    /// Meta's webhook: the subscription check (GET) and events (POST, signed by Meta).
    FacebookWebhook,
    /// Meta's data-deletion callback (POST, a signed request).
    DataDeletion,
    /// The status page of a data deletion, by its confirmation code.
    DeletionStatus(String),
}

/// A Facebook Page's addresses, under `/dashboard/{id}/facebook` and `/admin/facebook`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FacebookRoute {
    Home,
    /// Starts Facebook Login (POST).
    Connect,
    /// Picks one of the Pages offered after the login.
    Pick,
    Disconnect,
    Settings,
    /// Writes a post.
    NewPost,
    Post(i64, PostAction),
    Comment(i64, CommentAction),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PostAction {
    Edit,
    Reschedule,
    Approve,
    Cancel,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CommentAction {
    /// Saves a reply draft typed by a person.
    Draft,
    /// Asks the model for a reply draft.
    Suggest,
    /// Posts the drafted reply: the owner's approval.
    Reply,
}

impl FacebookRoute {
    fn resolve(rest: &[&str]) -> Option<Self> {
        Some(match rest {
            [] => Self::Home,
            ["connect"] => Self::Connect,
            ["pages"] => Self::Pick,
            ["disconnect"] => Self::Disconnect,
            ["settings"] => Self::Settings,
            ["posts"] => Self::NewPost,
            ["posts", post, action] => Self::Post(
                id_of(post)?,
                match *action {
                    "edit" => PostAction::Edit,
                    "reschedule" => PostAction::Reschedule,
                    "approve" => PostAction::Approve,
                    "cancel" => PostAction::Cancel,
                    _ => return None,
                },
            ),
            ["comments", comment, action] => Self::Comment(
                id_of(comment)?,
                match *action {
                    "draft" => CommentAction::Draft,
                    "suggest" => CommentAction::Suggest,
                    "reply" => CommentAction::Reply,
                    _ => return None,
                },
            ),
            _ => return None,
        })
    }

    fn kind(&self) -> Kind {
        match self {
            Self::Home => Kind::Read,
            Self::NewPost => Kind::Form,
            _ => Kind::Change,
        }
    }

    /// The template after `/dashboard/{id}` or `/admin`.
    fn template(&self, owner: bool) -> &'static str {
        match (self, owner) {
            (Self::Home, true) => "/dashboard/{id}/facebook",
            (Self::Connect, true) => "/dashboard/{id}/facebook/connect",
            (Self::Pick, true) => "/dashboard/{id}/facebook/pages",
            (Self::Disconnect, true) => "/dashboard/{id}/facebook/disconnect",
            (Self::Settings, true) => "/dashboard/{id}/facebook/settings",
            (Self::NewPost, true) => "/dashboard/{id}/facebook/posts",
            (Self::Post(..), true) => "/dashboard/{id}/facebook/posts/{post}/{action}",
            (Self::Comment(..), true) => "/dashboard/{id}/facebook/comments/{comment}/{action}",
            (Self::Home, false) => "/admin/facebook",
            (Self::Connect, false) => "/admin/facebook/connect",
            (Self::Pick, false) => "/admin/facebook/pages",
            (Self::Disconnect, false) => "/admin/facebook/disconnect",
            (Self::Settings, false) => "/admin/facebook/settings",
            (Self::NewPost, false) => "/admin/facebook/posts",
            (Self::Post(..), false) => "/admin/facebook/posts/{post}/{action}",
            (Self::Comment(..), false) => "/admin/facebook/comments/{comment}/{action}",
        }
    }
}

/// The assistant's addresses, under `/dashboard/{id}/assistant` and `/admin/assistant`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AssistantRoute {
    /// The conversations.
    Home,
    /// Starts a conversation (POST).
    Start,
    /// A conversation (GET) and a message to it (POST; streamed back when asked for).
    Conversation(i64),
    Rename(i64),
    Delete(i64),
    /// A recording (POST, audio): transcribed, answered, spoken back.
    Voice(i64),
    Approve(i64),
    Reject(i64),
}

impl AssistantRoute {
    fn resolve(rest: &[&str]) -> Option<Self> {
        Some(match rest {
            [] => Self::Home,
            ["new"] => Self::Start,
            ["actions", action, "approve"] => Self::Approve(id_of(action)?),
            ["actions", action, "reject"] => Self::Reject(id_of(action)?),
            [conversation] => Self::Conversation(id_of(conversation)?),
            [conversation, "rename"] => Self::Rename(id_of(conversation)?),
            [conversation, "delete"] => Self::Delete(id_of(conversation)?),
            [conversation, "voice"] => Self::Voice(id_of(conversation)?),
            _ => return None,
        })
    }

    fn kind(&self) -> Kind {
        match self {
            Self::Home => Kind::Read,
            Self::Conversation(_) => Kind::Form,
            _ => Kind::Change,
        }
    }

    /// The template after `/dashboard/{id}` or `/admin`.
    fn template(&self, owner: bool) -> &'static str {
        match (self, owner) {
            (Self::Home, true) => "/dashboard/{id}/assistant",
            (Self::Start, true) => "/dashboard/{id}/assistant/new",
            (Self::Conversation(_), true) => "/dashboard/{id}/assistant/{conversation}",
            (Self::Rename(_), true) => "/dashboard/{id}/assistant/{conversation}/rename",
            (Self::Delete(_), true) => "/dashboard/{id}/assistant/{conversation}/delete",
            (Self::Voice(_), true) => "/dashboard/{id}/assistant/{conversation}/voice",
            (Self::Approve(_), true) => "/dashboard/{id}/assistant/actions/{action}/approve",
            (Self::Reject(_), true) => "/dashboard/{id}/assistant/actions/{action}/reject",
            (Self::Home, false) => "/admin/assistant",
            (Self::Start, false) => "/admin/assistant/new",
            (Self::Conversation(_), false) => "/admin/assistant/{conversation}",
            (Self::Rename(_), false) => "/admin/assistant/{conversation}/rename",
            (Self::Delete(_), false) => "/admin/assistant/{conversation}/delete",
            (Self::Voice(_), false) => "/admin/assistant/{conversation}/voice",
            (Self::Approve(_), false) => "/admin/assistant/actions/{action}/approve",
            (Self::Reject(_), false) => "/admin/assistant/actions/{action}/reject",
        }
    }
}

/// What an owner does with one of their businesses, under `/dashboard/{id}`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OwnerRoute {
    Overview,
    /// The listing editor (GET) and saving it (POST).
    Edit,
    AddSpecialDay,
    /// A dated exception by its `YYYY-MM-DD` date.
    RemoveSpecialDay(String),
    History,
    Undo(i64),
    Leads,
    LeadsCsv,
    Lead(i64),
    LeadStage(i64),
    /// The photos (GET) and an upload (POST, multipart).
    Photos,
    Photo(i64, PhotoAction),
    /// A photo's bytes, for the dashboard (the public site serves only public listings').
    PhotoImage(i64),
    PhotoOrder,
    Analytics,
    /// The page builder with its preview.
    Builder,
    AddSection,
    Section(i64, SectionAction),
    SectionOrder,
    Publish,
    /// Takes the page down (its snapshots are kept).
    Unpublish,
    Restore(i64),
    Assistant(AssistantRoute),
    /// What the analyzer suggests for the listing.
    Suggestions,
    Suggestion(i64, SuggestionAction),
    /// The business's Facebook Page.
    Facebook(FacebookRoute),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PhotoAction {
    Alt,
    Cover,
    /// A step earlier or later (`/earlier`, `/later`).
    Move(Direction),
    Remove,
}

/// Deciding a suggestion: as suggested, as edited (`value`), or not at all.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SuggestionAction {
    Accept,
    AcceptEdited,
    Reject,
}

impl SuggestionAction {
    fn resolve(segment: &str) -> Option<Self> {
        match segment {
            "accept" => Some(Self::Accept),
            "accept-edited" => Some(Self::AcceptEdited),
            "reject" => Some(Self::Reject),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SectionAction {
    Save,
    Move(Direction),
    Remove,
}

/// `earlier` or `later` in a path.
fn direction_of(segment: &str) -> Option<Direction> {
    match segment {
        "earlier" => Some(Direction::Earlier),
        "later" => Some(Direction::Later),
        _ => None,
    }
}

impl OwnerRoute {
    fn resolve(rest: &[&str]) -> Option<Self> {
        Some(match rest {
            [] => Self::Overview,
            ["edit"] => Self::Edit,
            ["special-days"] => Self::AddSpecialDay,
            ["special-days", day, "remove"] => {
                let is_date =
                    day.len() == 10 && day.bytes().all(|b| b.is_ascii_digit() || b == b'-');
                Self::RemoveSpecialDay(is_date.then(|| (*day).to_owned())?)
            }
            ["history"] => Self::History,
            ["history", edit, "undo"] => Self::Undo(id_of(edit)?),
            ["leads"] => Self::Leads,
            ["leads.csv"] => Self::LeadsCsv,
            ["leads", lead] => Self::Lead(id_of(lead)?),
            ["leads", lead, "stage"] => Self::LeadStage(id_of(lead)?),
            ["photos"] => Self::Photos,
            ["photos", "order"] => Self::PhotoOrder,
            ["photos", photo, "image"] => Self::PhotoImage(id_of(photo)?),
            ["photos", photo, action] => Self::Photo(
                id_of(photo)?,
                match *action {
                    "alt" => PhotoAction::Alt,
                    "cover" => PhotoAction::Cover,
                    "remove" => PhotoAction::Remove,
                    other => PhotoAction::Move(direction_of(other)?),
                },
            ),
            ["analytics"] => Self::Analytics,
            ["page"] => Self::Builder,
            ["page", "sections"] => Self::AddSection,
            ["page", "sections", "order"] => Self::SectionOrder,
            ["page", "sections", section, action] => Self::Section(
                id_of(section)?,
                match *action {
                    "save" => SectionAction::Save,
                    "remove" => SectionAction::Remove,
                    other => SectionAction::Move(direction_of(other)?),
                },
            ),
            ["page", "publish"] => Self::Publish,
            ["page", "unpublish"] => Self::Unpublish,
            ["page", "snapshots", number, "restore"] => Self::Restore(id_of(number)?),
            ["assistant", rest @ ..] => Self::Assistant(AssistantRoute::resolve(rest)?),
            ["suggestions"] => Self::Suggestions,
            ["suggestions", suggestion, action] => {
                Self::Suggestion(id_of(suggestion)?, SuggestionAction::resolve(action)?)
            }
            ["facebook", rest @ ..] => Self::Facebook(FacebookRoute::resolve(rest)?),
            _ => return None,
        })
    }

    fn kind(&self) -> Kind {
        match self {
            Self::Overview
            | Self::History
            | Self::Leads
            | Self::LeadsCsv
            | Self::Lead(_)
            | Self::PhotoImage(_)
            | Self::Analytics
            | Self::Builder
            | Self::Suggestions => Kind::Read,
            Self::Edit | Self::Photos => Kind::Form,
            Self::Assistant(assistant) => assistant.kind(),
            Self::Facebook(facebook) => facebook.kind(),
            _ => Kind::Change,
        }
    }

    fn template(&self) -> &'static str {
        match self {
            Self::Overview => "/dashboard/{id}",
            Self::Edit => "/dashboard/{id}/edit",
            Self::AddSpecialDay => "/dashboard/{id}/special-days",
            Self::RemoveSpecialDay(_) => "/dashboard/{id}/special-days/{day}/remove",
            Self::History => "/dashboard/{id}/history",
            Self::Undo(_) => "/dashboard/{id}/history/{edit}/undo",
            Self::Leads => "/dashboard/{id}/leads",
            Self::LeadsCsv => "/dashboard/{id}/leads.csv",
            Self::Lead(_) => "/dashboard/{id}/leads/{lead}",
            Self::LeadStage(_) => "/dashboard/{id}/leads/{lead}/stage",
            Self::Photos => "/dashboard/{id}/photos",
            Self::Photo(..) => "/dashboard/{id}/photos/{photo}/{action}",
            Self::PhotoImage(_) => "/dashboard/{id}/photos/{photo}/image",
            Self::PhotoOrder => "/dashboard/{id}/photos/order",
            Self::Analytics => "/dashboard/{id}/analytics",
            Self::Builder => "/dashboard/{id}/page",
            Self::AddSection => "/dashboard/{id}/page/sections",
            Self::Section(..) => "/dashboard/{id}/page/sections/{section}/{action}",
            Self::SectionOrder => "/dashboard/{id}/page/sections/order",
            Self::Publish => "/dashboard/{id}/page/publish",
            Self::Unpublish => "/dashboard/{id}/page/unpublish",
            Self::Restore(_) => "/dashboard/{id}/page/snapshots/{number}/restore",
            Self::Assistant(assistant) => assistant.template(true),
            Self::Suggestions => "/dashboard/{id}/suggestions",
            Self::Suggestion(..) => "/dashboard/{id}/suggestions/{suggestion}/{action}",
            Self::Facebook(facebook) => facebook.template(true),
        }
    }
}

/// What a route accepts: reads are GET (and HEAD), changes are POST, and a form's page is
/// read with GET and sent back with POST to the same address.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Read,
    Change,
    Form,
}

impl Route {
    /// The route `path` names, if any; the stylesheet and the script by their current
    /// fingerprints only.
    pub fn resolve(path: &str, stylesheet: &str) -> Option<Route> {
        if path == stylesheet {
            return Some(Route::Stylesheet);
        }
        if path == kbc_console::assets::script_path() {
            return Some(Route::Script);
        }
        let segments: Vec<&str> = path.strip_prefix('/')?.split('/').collect();
        Some(match segments.as_slice() {
            ["health"] => Route::Health,
            ["assets", "icon.svg"] => Route::Icon,
            [""] => Route::Home,
            ["sign-in"] => Route::SignIn,
            ["auth", "callback"] => Route::Callback,
            ["sign-out"] => Route::SignOut,
            ["sign-out-everywhere"] => Route::SignOutEverywhere,
            ["account"] => Route::Account,
            ["claim", slug] => Route::Claim(Slug::parse("slug", slug).ok()?),
            ["admin"] => Route::Admin,
            ["admin", "submissions"] => Route::Submissions,
            ["admin", "submissions", id] => Route::Submission(id_of(id)?),
            ["admin", "submissions", id, "approve"] => Route::Approve(id_of(id)?),
            ["admin", "submissions", id, "reject"] => Route::Reject(id_of(id)?),
            ["admin", "users"] => Route::Users,
            ["admin", "users", id, "roles"] => Route::GrantRole(id_of(id)?),
            ["admin", "users", id, "roles", role, "revoke"] => {
                Route::RevokeRole(id_of(id)?, Role::parse("role", role).ok()?)
            }
            ["admin", "users", id, "sessions", "revoke"] => Route::RevokeSessions(id_of(id)?),
            ["admin", "invitations"] => Route::Invite,
            ["admin", "audit"] => Route::Audit,
            ["admin", "blog"] => Route::Posts,
            ["admin", "blog", "new"] => Route::NewPost,
            ["admin", "blog", "save"] => Route::CreatePost,
            ["admin", "blog", id] => Route::Post(id_of(id)?),
            ["admin", "blog", id, "save"] => Route::SavePost(id_of(id)?),
            ["admin", "blog", id, "unpublish"] => Route::UnpublishPost(id_of(id)?),
            ["admin", "businesses"] => Route::Businesses,
            ["admin", "businesses", id] => Route::Business(id_of(id)?),
            ["admin", "businesses", id, "edit"] => Route::EditBusiness(id_of(id)?),
            ["admin", "businesses", id, "state"] => Route::BusinessState(id_of(id)?),
            ["admin", "businesses", id, "feature"] => Route::FeatureBusiness(id_of(id)?),
            ["admin", "businesses", id, "plan"] => Route::BusinessPlan(id_of(id)?),
            ["admin", "businesses", id, "erase"] => Route::EraseBusiness(id_of(id)?),
            ["admin", "businesses", id, "leads", lead, "spam"] => {
                Route::SpamLead(id_of(id)?, id_of(lead)?)
            }
            ["admin", "claims"] => Route::Claims,
            ["admin", "claims", id, "approve"] => Route::ApproveClaim(id_of(id)?),
            ["admin", "claims", id, "reject"] => Route::RejectClaim(id_of(id)?),
            ["admin", "jobs"] => Route::Jobs,
            ["admin", "suggestions"] => Route::Suggestions,
            ["admin", "businesses", id, "suggestions", suggestion, action] => {
                Route::ListingSuggestion(
                    id_of(id)?,
                    id_of(suggestion)?,
                    SuggestionAction::resolve(action)?,
                )
            }
            ["admin", "analyzer"] => Route::Analyzer,
            ["admin", "analyzer", "dead-letters", id, "replay"] => {
                Route::ReplayAnalysis(id_of(id)?)
            }
            ["admin", "assistant", rest @ ..] => Route::Assistant(AssistantRoute::resolve(rest)?),
            ["admin", "facebook", rest @ ..] => Route::Facebook(FacebookRoute::resolve(rest)?),
            ["facebook", "callback"] => Route::FacebookCallback,
            ["facebook", "webhook"] => Route::FacebookWebhook,
            ["facebook", "data-deletion"] => Route::DataDeletion,
            ["facebook", "data-deletion", code] => {
                let is_code = (8..=64).contains(&code.len())
                    && code
                        .bytes()
                        .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
                Route::DeletionStatus(is_code.then(|| (*code).to_owned())?)
            }
            ["dashboard"] => Route::Dashboard,
            ["dashboard", "new"] => Route::NewListing,
            ["dashboard", id, rest @ ..] => Route::Owner(id_of(id)?, OwnerRoute::resolve(rest)?),
            _ => return None,
        })
    }

    pub fn kind(&self) -> Kind {
        match self {
            Route::SignOut
            | Route::SignOutEverywhere
            | Route::Approve(_)
            | Route::Reject(_)
            | Route::GrantRole(_)
            | Route::RevokeRole(..)
            | Route::RevokeSessions(_)
            | Route::Invite
            | Route::ApproveClaim(_)
            | Route::RejectClaim(_)
            | Route::EditBusiness(_)
            | Route::BusinessState(_)
            | Route::FeatureBusiness(_)
            | Route::BusinessPlan(_)
            | Route::EraseBusiness(_)
            | Route::SpamLead(..)
            | Route::CreatePost
            | Route::SavePost(_)
            | Route::UnpublishPost(_)
            | Route::ListingSuggestion(..)
            | Route::ReplayAnalysis(_)
            | Route::DataDeletion => Kind::Change,
            Route::FacebookWebhook => Kind::Form,
            Route::Facebook(facebook) => facebook.kind(),
            // Starting a sign-in stores state, so it is a POST too; its page is a GET.
            Route::SignIn | Route::Claim(_) | Route::NewListing => Kind::Form,
            Route::Owner(_, owner) => owner.kind(),
            Route::Assistant(assistant) => assistant.kind(),
            _ => Kind::Read,
        }
    }

    /// Whether `method` is one this route answers.
    pub fn accepts(&self, method: &str) -> bool {
        match self.kind() {
            Kind::Form => matches!(method, "GET" | "HEAD" | "POST"),
            Kind::Read => matches!(method, "GET" | "HEAD"),
            Kind::Change => method == "POST",
        }
    }

    /// The `Allow` header for a refused method.
    pub fn allow(&self) -> &'static str {
        match self.kind() {
            Kind::Form => "GET, HEAD, POST",
            Kind::Read => "GET, HEAD",
            Kind::Change => "POST",
        }
    }

    /// The business an owner-facing route touches: only its owners (and admins) may.
    pub fn business(&self) -> Option<i64> {
        match self {
            Route::Owner(id, _) => Some(*id),
            _ => None,
        }
    }

    /// How the route is logged.
    pub fn template(&self) -> &'static str {
        match self {
            Route::Health => "/health",
            Route::Stylesheet | Route::Script | Route::Icon => "/assets/{file}",
            Route::Home => "/",
            Route::SignIn => "/sign-in",
            Route::Callback => "/auth/callback",
            Route::SignOut => "/sign-out",
            Route::SignOutEverywhere => "/sign-out-everywhere",
            Route::Account => "/account",
            Route::Claim(_) => "/claim/{slug}",
            Route::Admin => "/admin",
            Route::Submissions => "/admin/submissions",
            Route::Submission(_) => "/admin/submissions/{id}",
            Route::Approve(_) => "/admin/submissions/{id}/approve",
            Route::Reject(_) => "/admin/submissions/{id}/reject",
            Route::Users => "/admin/users",
            Route::GrantRole(_) => "/admin/users/{id}/roles",
            Route::RevokeRole(..) => "/admin/users/{id}/roles/{role}/revoke",
            Route::RevokeSessions(_) => "/admin/users/{id}/sessions/revoke",
            Route::Invite => "/admin/invitations",
            Route::Audit => "/admin/audit",
            Route::Posts => "/admin/blog",
            Route::NewPost => "/admin/blog/new",
            Route::CreatePost => "/admin/blog/save",
            Route::Post(_) => "/admin/blog/{id}",
            Route::SavePost(_) => "/admin/blog/{id}/save",
            Route::UnpublishPost(_) => "/admin/blog/{id}/unpublish",
            Route::Businesses => "/admin/businesses",
            Route::Business(_) => "/admin/businesses/{id}",
            Route::EditBusiness(_) => "/admin/businesses/{id}/edit",
            Route::BusinessState(_) => "/admin/businesses/{id}/state",
            Route::FeatureBusiness(_) => "/admin/businesses/{id}/feature",
            Route::BusinessPlan(_) => "/admin/businesses/{id}/plan",
            Route::EraseBusiness(_) => "/admin/businesses/{id}/erase",
            Route::SpamLead(..) => "/admin/businesses/{id}/leads/{lead}/spam",
            Route::Claims => "/admin/claims",
            Route::ApproveClaim(_) => "/admin/claims/{id}/approve",
            Route::RejectClaim(_) => "/admin/claims/{id}/reject",
            Route::Jobs => "/admin/jobs",
            Route::Suggestions => "/admin/suggestions",
            Route::ListingSuggestion(..) => {
                "/admin/businesses/{id}/suggestions/{suggestion}/{action}"
            }
            Route::Analyzer => "/admin/analyzer",
            Route::ReplayAnalysis(_) => "/admin/analyzer/dead-letters/{id}/replay",
            Route::Dashboard => "/dashboard",
            Route::NewListing => "/dashboard/new",
            Route::Owner(_, owner) => owner.template(),
            Route::Assistant(assistant) => assistant.template(false),
            Route::Facebook(facebook) => facebook.template(false),
            Route::FacebookCallback => "/facebook/callback",
            Route::FacebookWebhook => "/facebook/webhook",
            Route::DataDeletion => "/facebook/data-deletion",
            Route::DeletionStatus(_) => "/facebook/data-deletion/{code}",
        }
    }

    /// Whether only admins may use it.
    pub fn is_admin(&self) -> bool {
        matches!(
            self,
            Route::Admin
                | Route::Submissions
                | Route::Submission(_)
                | Route::Approve(_)
                | Route::Reject(_)
                | Route::Users
                | Route::GrantRole(_)
                | Route::RevokeRole(..)
                | Route::RevokeSessions(_)
                | Route::Invite
                | Route::Audit
                | Route::Posts
                | Route::NewPost
                | Route::CreatePost
                | Route::Post(_)
                | Route::SavePost(_)
                | Route::UnpublishPost(_)
                | Route::Businesses
                | Route::Business(_)
                | Route::EditBusiness(_)
                | Route::BusinessState(_)
                | Route::FeatureBusiness(_)
                | Route::BusinessPlan(_)
                | Route::EraseBusiness(_)
                | Route::SpamLead(..)
                | Route::Claims
                | Route::ApproveClaim(_)
                | Route::RejectClaim(_)
                | Route::Jobs
                | Route::Suggestions
                | Route::ListingSuggestion(..)
                | Route::Analyzer
                | Route::ReplayAnalysis(_)
                | Route::Assistant(_)
                | Route::Facebook(_)
        )
    }

    /// The Facebook part of this route, in the dashboard or the console.
    pub fn facebook(&self) -> Option<FacebookRoute> {
        match self {
            Route::Owner(_, OwnerRoute::Facebook(facebook)) | Route::Facebook(facebook) => {
                Some(*facebook)
            }
            _ => None,
        }
    }

    /// The assistant's part of this route, in the dashboard or the console.
    pub fn assistant(&self) -> Option<AssistantRoute> {
        match self {
            Route::Owner(_, OwnerRoute::Assistant(assistant)) | Route::Assistant(assistant) => {
                Some(*assistant)
            }
            _ => None,
        }
    }
}

/// A database id in a path: digits only, positive, within range.
fn id_of(segment: &str) -> Option<i64> {
    let plain =
        !segment.is_empty() && segment.len() <= 18 && segment.bytes().all(|b| b.is_ascii_digit());
    plain
        .then(|| segment.parse::<i64>().ok())
        .flatten()
        .filter(|id| *id > 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn resolve(path: &str) -> Option<Route> {
        Route::resolve(path, "/assets/console.def.css")
    }

    #[test]
    fn paths_name_their_routes() {
        assert_eq!(resolve("/"), Some(Route::Home));
        assert_eq!(
            resolve("/admin/submissions/42/approve"),
            Some(Route::Approve(42))
        );
        assert_eq!(
            resolve("/admin/users/7/roles/admin/revoke"),
            Some(Route::RevokeRole(7, Role::Admin))
        );
        assert_eq!(
            resolve("/admin/businesses/12/plan"),
            Some(Route::BusinessPlan(12))
        );
        assert_eq!(resolve("/assets/console.def.css"), Some(Route::Stylesheet));
        assert_eq!(resolve("/assets/console.old.css"), None);
    }

    #[test]
    fn ids_are_positive_digits_only() {
        for bad in [
            "/admin/submissions/-1",
            "/admin/submissions/0",
            "/admin/submissions/+5",
            "/admin/submissions/1e3",
            "/admin/submissions/99999999999999999999",
            "/admin/submissions/",
            "/admin/users/1/roles/root/revoke",
        ] {
            assert_eq!(resolve(bad), None, "{bad}");
        }
    }

    #[test]
    fn changes_take_post_only_and_reads_take_get() {
        assert!(Route::Approve(1).accepts("POST"));
        assert!(!Route::Approve(1).accepts("GET"));
        assert!(Route::Submissions.accepts("GET"));
        assert!(!Route::Submissions.accepts("POST"));
        assert!(Route::SignIn.accepts("POST") && Route::SignIn.accepts("GET"));
        assert!(Route::BusinessPlan(1).accepts("POST") && !Route::BusinessPlan(1).accepts("GET"));
        assert!(Route::BusinessPlan(1).is_admin());
    }

    #[test]
    fn console_routes_are_admin_only_and_account_routes_are_not() {
        assert!(Route::Approve(1).is_admin());
        assert!(Route::Audit.is_admin());
        assert!(!Route::Account.is_admin());
        assert!(!Route::SignOut.is_admin());
    }

    #[test]
    fn dashboard_paths_name_the_business_and_the_object() {
        assert_eq!(
            resolve("/dashboard/12/leads/7/stage"),
            Some(Route::Owner(12, OwnerRoute::LeadStage(7)))
        );
        assert_eq!(
            resolve("/dashboard/3/photos/9/cover"),
            Some(Route::Owner(3, OwnerRoute::Photo(9, PhotoAction::Cover)))
        );
        assert_eq!(
            resolve("/dashboard/3/special-days/2026-12-25/remove"),
            Some(Route::Owner(
                3,
                OwnerRoute::RemoveSpecialDay("2026-12-25".into())
            ))
        );
        assert_eq!(resolve("/dashboard/3/special-days/..%2F/remove"), None);
        assert_eq!(resolve("/dashboard/3/photos/9/rotate"), None);
        assert_eq!(
            resolve("/dashboard/3/page/sections/4/later"),
            Some(Route::Owner(
                3,
                OwnerRoute::Section(4, SectionAction::Move(Direction::Later))
            ))
        );
        assert_eq!(
            resolve("/dashboard/3/photos/9/image"),
            Some(Route::Owner(3, OwnerRoute::PhotoImage(9)))
        );
        assert_eq!(resolve("/dashboard/0/edit"), None);
        assert_eq!(Route::Owner(3, OwnerRoute::Edit).business(), Some(3));
        assert!(Route::Owner(3, OwnerRoute::Edit).accepts("POST"));
        assert!(!Route::Owner(3, OwnerRoute::Undo(1)).accepts("GET"));
        assert!(!Route::Owner(3, OwnerRoute::Leads).accepts("POST"));
        assert!(!Route::Owner(3, OwnerRoute::Leads).is_admin());
    }

    #[test]
    fn assistant_paths_name_the_conversation_or_the_action() {
        assert_eq!(
            resolve("/dashboard/3/assistant/12/voice"),
            Some(Route::Owner(
                3,
                OwnerRoute::Assistant(AssistantRoute::Voice(12))
            ))
        );
        assert_eq!(
            resolve("/admin/assistant/actions/5/approve"),
            Some(Route::Assistant(AssistantRoute::Approve(5)))
        );
        assert!(Route::Assistant(AssistantRoute::Home).is_admin());
        assert!(!Route::Owner(3, OwnerRoute::Assistant(AssistantRoute::Home)).is_admin());
        assert!(
            Route::Owner(3, OwnerRoute::Assistant(AssistantRoute::Conversation(1))).accepts("POST")
        );
        assert!(!Route::Assistant(AssistantRoute::Approve(1)).accepts("GET"));
        assert_eq!(resolve("/dashboard/3/assistant/actions/x/approve"), None);
    }

    #[test]
    fn suggestion_and_analyzer_routes_take_their_methods_and_rights() {
        let owner = |rest: OwnerRoute| Route::Owner(3, rest);
        let accept = |action| owner(OwnerRoute::Suggestion(9, action));
        let cases = [
            (
                "/dashboard/3/suggestions",
                owner(OwnerRoute::Suggestions),
                Kind::Read,
                false,
            ),
            (
                "/dashboard/3/suggestions/9/accept",
                accept(SuggestionAction::Accept),
                Kind::Change,
                false,
            ),
            (
                "/dashboard/3/suggestions/9/accept-edited",
                accept(SuggestionAction::AcceptEdited),
                Kind::Change,
                false,
            ),
            (
                "/dashboard/3/suggestions/9/reject",
                accept(SuggestionAction::Reject),
                Kind::Change,
                false,
            ),
            ("/admin/suggestions", Route::Suggestions, Kind::Read, true),
            (
                "/admin/businesses/3/suggestions/9/accept-edited",
                Route::ListingSuggestion(3, 9, SuggestionAction::AcceptEdited),
                Kind::Change,
                true,
            ),
            ("/admin/analyzer", Route::Analyzer, Kind::Read, true),
            (
                "/admin/analyzer/dead-letters/4/replay",
                Route::ReplayAnalysis(4),
                Kind::Change,
                true,
            ),
        ];
        for (path, route, kind, admin) in cases {
            assert_eq!(resolve(path).as_ref(), Some(&route), "{path}");
            assert_eq!(route.kind(), kind, "{path}");
            assert_eq!(route.is_admin(), admin, "{path}");
            assert!(
                !route.template().contains(|c: char| c.is_ascii_digit()),
                "{path}"
            );
        }
        assert_eq!(
            resolve("/dashboard/3/suggestions"),
            Some(owner(OwnerRoute::Suggestions))
        );
        assert_eq!(owner(OwnerRoute::Suggestions).business(), Some(3));
        assert_eq!(
            Route::ListingSuggestion(3, 9, SuggestionAction::Accept).business(),
            None
        );
        for bad in [
            "/dashboard/3/suggestions/9/approve",
            "/dashboard/3/suggestions/0/accept",
            "/admin/businesses/x/suggestions/9/reject",
            "/admin/analyzer/dead-letters/-4/replay",
        ] {
            assert_eq!(resolve(bad), None, "{bad}");
        }
    }

    #[test]
    fn facebook_routes_name_their_page_and_meta_callbacks_need_no_session_route() {
        let owner = |rest: OwnerRoute| Route::Owner(3, rest);
        assert_eq!(
            resolve("/dashboard/3/facebook/posts/9/approve"),
            Some(owner(OwnerRoute::Facebook(FacebookRoute::Post(
                9,
                PostAction::Approve
            ))))
        );
        assert_eq!(
            resolve("/admin/facebook/comments/4/reply"),
            Some(Route::Facebook(FacebookRoute::Comment(
                4,
                CommentAction::Reply
            )))
        );
        assert!(Route::Facebook(FacebookRoute::Home).is_admin());
        assert!(!owner(OwnerRoute::Facebook(FacebookRoute::Home)).is_admin());
        assert!(Route::FacebookWebhook.accepts("GET") && Route::FacebookWebhook.accepts("POST"));
        assert!(Route::DataDeletion.accepts("POST") && !Route::DataDeletion.accepts("GET"));
        assert_eq!(
            resolve("/facebook/data-deletion/AbC123xyz_-9"),
            Some(Route::DeletionStatus("AbC123xyz_-9".into()))
        );
        for bad in [
            "/facebook/data-deletion/short",
            "/facebook/data-deletion/has%20space",
            "/dashboard/3/facebook/posts/9/publish",
            "/dashboard/3/facebook/comments/x/reply",
        ] {
            assert_eq!(resolve(bad), None, "{bad}");
        }
        assert_eq!(
            owner(OwnerRoute::Facebook(FacebookRoute::Post(
                9,
                PostAction::Edit
            )))
            .template(),
            "/dashboard/{id}/facebook/posts/{post}/{action}"
        );
    }

    #[test]
    fn templates_never_carry_ids() {
        assert_eq!(
            Route::Submission(12345).template(),
            "/admin/submissions/{id}"
        );
    }
}
