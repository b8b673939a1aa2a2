//! The assistant's page, in the dashboard (one business) and in the console (an admin's):
//! the person's conversations, the open one's messages with each proposed change as a card
//! (before → after, Approve / Reject while it waits), the message form (works without
//! script; the dashboard's script streams the answer and adds push-to-talk), and a plain
//! line when the assistant cannot answer (not configured, or today's allowance used).

use super::{BusinessNav, when};
use crate::chrome::{Chrome, Notice, Viewer};
use askama::Template;
use kbc_domain::assistant::actions::Action;
use kbc_domain::assistant::conversations::{Conversation, MESSAGE_MAX, Message, TITLE_MAX};
use kbc_domain::assistant::proposals::Change;

/// One line of a conversation as the page shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Entry {
    Said {
        by_person: bool,
        text: String,
        voice: bool,
        at: String,
    },
    Card(Card),
}

/// A proposed change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Card {
    pub id: i64,
    pub summary: String,
    pub changes: Vec<Change>,
    /// Waiting and decidable: the buttons show.
    pub open: bool,
    /// What happened, as people read it.
    pub state: String,
}

impl Card {
    fn of(action: Action, now: i64) -> Self {
        let state = match action.status.as_str() {
            _ if action.is_expired(now) => "Expired: ask again if you still want it.".to_owned(),
            "pending" => format!("Waiting for you until {}.", when(action.expires_at)),
            "approved" => format!("Approved. {}", action.outcome),
            "rejected" => "Rejected: nothing was changed.".to_owned(),
            "failed" => format!("Not done: {}", action.outcome),
            _ => "Being applied…".to_owned(),
        };
        Self {
            id: action.id,
            open: action.is_open(now),
            summary: action.summary,
            changes: action.changes,
            state,
        }
    }
}

#[derive(Template)]
#[template(path = "assistant.html")]
pub struct AssistantPage {
    pub chrome: Chrome,
    /// The business, in the dashboard; none in the console.
    pub nav: Option<BusinessNav>,
    /// `/dashboard/{id}/assistant` or `/admin/assistant`.
    pub base: String,
    pub conversations: Vec<Conversation>,
    pub current: Option<Conversation>,
    pub entries: Vec<Entry>,
    /// Why the assistant cannot answer now, if it cannot.
    pub unavailable: Option<String>,
    /// Push-to-talk is offered (speech configured).
    pub voice: bool,
    pub message_max: usize,
    pub title_max: usize,
}

/// What the page shows.
pub struct AssistantView {
    pub viewer: Viewer,
    pub nav: Option<BusinessNav>,
    pub base: String,
    pub conversations: Vec<Conversation>,
    pub current: Option<(Conversation, Vec<Message>, Vec<Action>)>,
    pub unavailable: Option<String>,
    pub voice: bool,
    pub notice: Option<Notice>,
    pub now: i64,
}

impl AssistantPage {
    pub fn new(view: AssistantView) -> Self {
        let title = match &view.current {
            Some((conversation, ..)) => conversation.title.clone(),
            None => "Assistant".to_owned(),
        };
        let section = if view.nav.is_some() {
            "dashboard"
        } else {
            "assistant"
        };
        let (current, entries) = match view.current {
            Some((conversation, messages, actions)) => {
                (Some(conversation), entries(messages, actions, view.now))
            }
            None => (None, Vec::new()),
        };
        Self {
            chrome: Chrome::new(title, section, Some(view.viewer))
                .with_notice(view.notice)
                .with_script(),
            nav: view.nav,
            base: view.base,
            conversations: view.conversations,
            current,
            entries,
            unavailable: view.unavailable,
            voice: view.voice,
            message_max: MESSAGE_MAX,
            title_max: TITLE_MAX,
        }
    }
}

/// Messages people read (the person's and the assistant's words; tool traffic stays out),
/// each card after the answer of the turn that proposed it ("approve the card below").
fn entries(messages: Vec<Message>, actions: Vec<Action>, now: i64) -> Vec<Entry> {
    let mut cards = actions.into_iter().peekable();
    let mut out = Vec::new();
    for message in messages {
        let by_person = message.role == "user";
        if by_person {
            // Cards of an earlier turn that ended without an answer.
            while let Some(card) = cards.next_if(|a| a.created_at < message.created_at) {
                out.push(Entry::Card(Card::of(card, now)));
            }
        }
        let said = (by_person || message.role == "assistant") && !message.content.trim().is_empty();
        let answered_at = message.created_at;
        if said {
            out.push(Entry::Said {
                by_person,
                text: message.content,
                voice: message.via == "voice",
                at: when(answered_at),
            });
        }
        if said && !by_person {
            while let Some(card) = cards.next_if(|a| a.created_at <= answered_at) {
                out.push(Entry::Card(Card::of(card, now)));
            }
        }
    }
    out.extend(cards.map(|card| Entry::Card(Card::of(card, now))));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn message(id: i64, role: &str, content: &str, at: i64) -> Message {
        Message {
            id,
            role: role.into(),
            content: content.into(),
            tool_calls: None,
            tool_call_id: None,
            via: "text".into(),
            created_at: at,
        }
    }

    fn action(id: i64, at: i64) -> Action {
        Action {
            id,
            conversation_id: 1,
            tool: "set_hours".into(),
            summary: "Change hours".into(),
            changes: Vec::new(),
            status: "pending".into(),
            outcome: String::new(),
            created_at: at,
            expires_at: at + 1800,
        }
    }

    fn shape(entries: &[Entry]) -> Vec<String> {
        entries
            .iter()
            .map(|e| match e {
                Entry::Said { by_person, .. } => {
                    if *by_person { "you" } else { "assistant" }.into()
                }
                Entry::Card(card) => format!("card {}", card.id),
            })
            .collect()
    }

    #[test]
    fn a_card_follows_the_answer_of_its_turn_and_tool_traffic_is_not_shown() {
        let messages = vec![
            message(1, "user", "Open Saturdays", 10),
            message(2, "assistant", "", 11),
            message(3, "tool", "{\"ok\":true}", 11),
            message(4, "assistant", "Approve the card below.", 12),
            message(5, "user", "Thanks", 20),
        ];
        let entries = entries(messages, vec![action(7, 11)], 15);
        assert_eq!(shape(&entries), ["you", "assistant", "card 7", "you"]);
    }

    #[test]
    fn a_card_of_a_turn_without_an_answer_comes_before_the_next_message() {
        let messages = vec![
            message(1, "user", "Open Saturdays", 10),
            message(2, "user", "Hello?", 30),
        ];
        let entries = entries(messages, vec![action(7, 11)], 15);
        assert_eq!(shape(&entries), ["you", "card 7", "you"]);
    }
}
