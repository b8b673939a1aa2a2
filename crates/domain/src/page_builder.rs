//! The owner's page builder: a business's one-page site as an ordered list of typed
//! [`Section`]s (at most [`MAX_SECTIONS`]), each parsed from a plain HTML form that works
//! without JavaScript, and the snapshots publishing makes of it.
//!
//! Sections are private drafts: the public only ever sees a published snapshot, rendered by
//! `kbc-site` and stored in R2 under [`snapshot_key`]; one snapshot per business is current
//! (`published_pages`) and served while the listing is public ([`current_for_public`]).
//! Every operation takes the business id and scopes its SQL by it, so a neighbour's section
//! or snapshot number matches nothing.
//!
//! # The forms
//!
//! One form per section, its fields named below; lists are typed one item a line, so the
//! form is a textarea (see [`Kind::hint`], shown beside it):
//!
//! | kind | fields |
//! |---|---|
//! | `hero` | `headline` (required), `tagline` |
//! | `services` | `title`, `items`: `name \| description \| price`, description and price optional |
//! | `gallery` | `title`, `photo` (a checkbox per photo, value = its id; none ticked = every photo) |
//! | `testimonials` | `title`, `items`: `quote \| author`, author optional |
//! | `hours`, `contact` | `title` (the content is the listing's own hours, address and numbers) |
//! | `faq` | `title`, `items`: a `Q:` line then an `A:` line per question; other lines continue the one above |
//! | `about` | `title`, `body` (paragraphs) |
//! | `call_to_action` | `text` (required), `button`: `call`, `website`, `directions` or `email` |
//!
//! An empty title shows [`Kind::default_title`]; an empty list shows nothing on the page.

use crate::FieldError;
use crate::blob::{Blob, BlobStore};
use crate::db::{Database, DbError, DbResult, Statement, fetch_all, fetch_integer, fetch_optional};
use crate::error::{DomainError, DomainResult};
use crate::ordering::{self, Direction};
use crate::values::{Collector, Paragraphs, Slug, check_length, clean_line};
use serde::{Deserialize, Serialize};

/// The most sections one page may have.
pub const MAX_SECTIONS: i64 = 20;
/// Longest stored section, as JSON (the table's CHECK): above every list's limits combined.
const MAX_CONTENT_CHARS: usize = 60_000;

const TITLE_MAX: usize = 80;
const HEADLINE_MAX: usize = 120;
const TAGLINE_MAX: usize = 240;
const SERVICES_MAX: usize = 30;
const SERVICE_NAME_MAX: usize = 80;
const SERVICE_DESCRIPTION_MAX: usize = 300;
const PRICE_MAX: usize = 40;
const GALLERY_MAX: usize = 24;
const TESTIMONIALS_MAX: usize = 12;
const QUOTE_MAX: usize = 600;
const AUTHOR_MAX: usize = 80;
const FAQ_MAX: usize = 15;
const QUESTION_MAX: usize = 200;
const ANSWER_MAX: usize = 1000;
const ABOUT_MAX: usize = 5000;
const CALL_TO_ACTION_MAX: usize = 160;

/// The nine kinds of section.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Kind {
    Hero,
    Services,
    Gallery,
    Testimonials,
    Hours,
    Contact,
    Faq,
    About,
    CallToAction,
}

impl Kind {
    pub const ALL: [Kind; 9] = [
        Self::Hero,
        Self::Services,
        Self::Gallery,
        Self::Testimonials,
        Self::Hours,
        Self::Contact,
        Self::Faq,
        Self::About,
        Self::CallToAction,
    ];

    /// The stored name, as in the `kind` column and the JSON tag.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Hero => "hero",
            Self::Services => "services",
            Self::Gallery => "gallery",
            Self::Testimonials => "testimonials",
            Self::Hours => "hours",
            Self::Contact => "contact",
            Self::Faq => "faq",
            Self::About => "about",
            Self::CallToAction => "call_to_action",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|kind| kind.as_str() == raw)
    }

    /// What the owner picks from ("Add a section: …").
    pub fn label(self) -> &'static str {
        match self {
            Self::Hero => "Welcome banner",
            Self::Services => "Services and prices",
            Self::Gallery => "Photo gallery",
            Self::Testimonials => "Testimonials",
            Self::Hours => "Opening hours",
            Self::Contact => "Contact and directions",
            Self::Faq => "Questions and answers",
            Self::About => "About us",
            Self::CallToAction => "Call to action",
        }
    }

    /// The heading shown when the owner leaves the title empty (the hero and the call to
    /// action have none).
    pub fn default_title(self) -> &'static str {
        match self {
            Self::Hero | Self::CallToAction => "",
            Self::Services => "Our services",
            Self::Gallery => "Photos",
            Self::Testimonials => "What our customers say",
            Self::Hours => "Hours",
            Self::Contact => "Contact us",
            Self::Faq => "Questions and answers",
            Self::About => "About us",
        }
    }

    /// How to type the kind's list, for beside its textarea.
    pub fn hint(self) -> Option<&'static str> {
        match self {
            Self::Services => Some(
                "One service a line: name | description | price. Description and price may be left out, \
                 e.g. \"Drain cleaning | Kitchen and bath | from $90\".",
            ),
            Self::Testimonials => Some(
                "One testimonial a line: what they said | who said it (may be left out), \
                 e.g. \"Fixed our leak the same day! | Jo, Idabel\".",
            ),
            Self::Faq => Some(
                "Start each question with Q: and its answer on the next line with A:. \
                 Lines below an answer continue it as a new paragraph.",
            ),
            Self::Gallery => {
                Some("Tick the photos to show; tick none to show every photo of the listing.")
            }
            _ => None,
        }
    }
}

/// One service with what it is and costs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Service {
    pub name: String,
    pub description: String,
    pub price: String,
}

/// What a customer said, and who.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Testimonial {
    pub quote: String,
    pub author: String,
}

/// One question and its answer; the answer's lines are paragraphs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Question {
    pub question: String,
    pub answer: String,
}

/// Where a call to action's button leads: the listing's phone, website, a directions map
/// to its address, or its email. Without that detail on the listing, no button is shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Button {
    Call,
    Website,
    Directions,
    Email,
}

impl Button {
    pub const ALL: [Button; 4] = [Self::Call, Self::Website, Self::Directions, Self::Email];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Call => "call",
            Self::Website => "website",
            Self::Directions => "directions",
            Self::Email => "email",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        Self::ALL
            .into_iter()
            .find(|button| button.as_str() == raw.trim())
    }

    /// The form's choice and the button's default wording.
    pub fn label(self) -> &'static str {
        match self {
            Self::Call => "Call us",
            Self::Website => "Visit our website",
            Self::Directions => "Get directions",
            Self::Email => "Email us",
        }
    }
}

/// One section of a page, with its content already checked (see [`Section::parse`]). Stored
/// as this JSON, tagged with its kind.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Section {
    Hero {
        headline: String,
        tagline: String,
    },
    Services {
        title: String,
        items: Vec<Service>,
    },
    /// `photo_ids` empty: every photo of the listing.
    Gallery {
        title: String,
        photo_ids: Vec<i64>,
    },
    Testimonials {
        title: String,
        items: Vec<Testimonial>,
    },
    Hours {
        title: String,
    },
    Contact {
        title: String,
    },
    Faq {
        title: String,
        items: Vec<Question>,
    },
    About {
        title: String,
        body: String,
    },
    CallToAction {
        text: String,
        button: Button,
    },
}

/// A section's form as posted: name/value pairs in order, repeated names kept (the gallery's
/// `photo` checkboxes). Names a section does not read (the CSRF token) are ignored.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SectionForm(Vec<(String, String)>);

impl SectionForm {
    pub fn new(pairs: impl IntoIterator<Item = (String, String)>) -> Self {
        Self(pairs.into_iter().collect())
    }

    /// The first value of `name`, or `""`.
    pub fn value(&self, name: &str) -> &str {
        self.0
            .iter()
            .find(|(n, _)| n == name)
            .map_or("", |(_, v)| v.as_str())
    }

    /// Whether a checkbox `name` with this value was ticked.
    pub fn is_checked(&self, name: &str, value: &str) -> bool {
        self.values(name).any(|v| v == value)
    }

    fn values<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a str> {
        self.0
            .iter()
            .filter(move |(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    fn with(mut self, name: &str, value: impl Into<String>) -> Self {
        self.0.push((name.to_owned(), value.into()));
        self
    }
}

/// One line of text, cleaned like every single-line value; `min` 1 makes it required.
fn line(field: &str, raw: &str, min: usize, max: usize) -> Result<String, FieldError> {
    let text = clean_line(field, raw)?;
    check_length(field, &text, min, max)?;
    Ok(text)
}

/// One part of one line of a list textarea; the error names the line and the part.
fn part(
    field: &str,
    number: usize,
    what: &str,
    raw: &str,
    min: usize,
    max: usize,
) -> Result<String, FieldError> {
    // A tab typed into a textarea is a space, not a control character to refuse.
    line(field, &raw.replace('\t', " "), min, max)
        .map_err(|e| FieldError::new(field, format!("line {number}: {what} {}", e.message)))
}

/// The non-blank lines of a textarea with their numbers as the person sees them.
fn numbered_lines(raw: &str) -> impl Iterator<Item = (usize, &str)> {
    (1..)
        .zip(raw.lines())
        .map(|(number, text)| (number, text.trim()))
        .filter(|(_, text)| !text.is_empty())
}

fn too_many(field: &str, count: usize, max: usize, what: &str) -> Result<(), FieldError> {
    if count > max {
        Err(FieldError::new(field, format!("at most {max} {what}")))
    } else {
        Ok(())
    }
}

/// `text` without a case-insensitive ASCII `prefix`, trimmed.
fn strip_marker<'a>(text: &'a str, prefix: &str) -> Option<&'a str> {
    let (head, rest) = text.split_at_checked(prefix.len())?;
    head.eq_ignore_ascii_case(prefix).then(|| rest.trim())
}

fn services(raw: &str) -> Result<Vec<Service>, Vec<FieldError>> {
    let mut c = Collector::default();
    let mut items = Vec::new();
    for (number, text) in numbered_lines(raw) {
        let parts: Vec<&str> = text.split('|').collect();
        if parts.len() > 3 {
            c.0.push(FieldError::new(
                "items",
                format!("line {number}: use at most three parts, name | description | price"),
            ));
            continue;
        }
        let at = |i: usize| parts.get(i).copied().unwrap_or("");
        let name = c.take(part(
            "items",
            number,
            "the name",
            at(0),
            1,
            SERVICE_NAME_MAX,
        ));
        let description = c.take(part(
            "items",
            number,
            "the description",
            at(1),
            0,
            SERVICE_DESCRIPTION_MAX,
        ));
        let price = c.take(part("items", number, "the price", at(2), 0, PRICE_MAX));
        if let (Some(name), Some(description), Some(price)) = (name, description, price) {
            items.push(Service {
                name,
                description,
                price,
            });
        }
    }
    c.take(too_many(
        "items",
        items.len(),
        SERVICES_MAX,
        "services, one a line",
    ));
    if c.0.is_empty() { Ok(items) } else { Err(c.0) }
}

fn testimonials(raw: &str) -> Result<Vec<Testimonial>, Vec<FieldError>> {
    let mut c = Collector::default();
    let mut items = Vec::new();
    for (number, text) in numbered_lines(raw) {
        let (quote, author) = text.split_once('|').unwrap_or((text, ""));
        if author.contains('|') {
            c.0.push(FieldError::new(
                "items",
                format!("line {number}: use at most two parts, what they said | who said it"),
            ));
            continue;
        }
        let quote = c.take(part("items", number, "the quote", quote, 1, QUOTE_MAX));
        let author = c.take(part("items", number, "the author", author, 0, AUTHOR_MAX));
        if let (Some(quote), Some(author)) = (quote, author) {
            items.push(Testimonial { quote, author });
        }
    }
    c.take(too_many(
        "items",
        items.len(),
        TESTIMONIALS_MAX,
        "testimonials, one a line",
    ));
    if c.0.is_empty() { Ok(items) } else { Err(c.0) }
}

fn questions(raw: &str) -> Result<Vec<Question>, Vec<FieldError>> {
    struct Typed {
        question: String,
        answer: Option<String>,
    }
    let mut c = Collector::default();
    let mut typed: Vec<Typed> = Vec::new();
    for (number, text) in numbered_lines(raw) {
        let text = text.replace('\t', " ");
        if let Some(question) = strip_marker(&text, "Q:") {
            typed.push(Typed {
                question: question.to_owned(),
                answer: None,
            });
        } else if let Some(answer) = strip_marker(&text, "A:") {
            match typed.last_mut() {
                Some(Typed { answer: slot @ None, .. }) => *slot = Some(answer.to_owned()),
                Some(_) => c.0.push(FieldError::new(
                    "items",
                    format!("line {number}: this question has an answer already; start the next one with Q:"),
                )),
                None => c.0.push(FieldError::new(
                    "items",
                    format!("line {number}: start with a question, on a line beginning with Q:"),
                )),
            }
        } else {
            match typed.last_mut() {
                // Below an answer, a line is its next paragraph; below a question, more of it.
                Some(Typed {
                    answer: Some(answer),
                    ..
                }) => {
                    answer.push('\n');
                    answer.push_str(&text);
                }
                Some(Typed {
                    question,
                    answer: None,
                }) => {
                    question.push(' ');
                    question.push_str(&text);
                }
                None => c.0.push(FieldError::new(
                    "items",
                    format!("line {number}: start each question with Q: and its answer with A:"),
                )),
            }
        }
    }
    let mut items = Vec::new();
    for (number, Typed { question, answer }) in (1..).zip(typed) {
        let question = line("items", &question, 1, QUESTION_MAX)
            .map_err(|e| FieldError::new("items", format!("question {number} {}", e.message)));
        let answer = match answer {
            None => Err(FieldError::new(
                "items",
                format!("question {number} has no answer: add a line starting with A:"),
            )),
            Some(answer) => answer
                .split('\n')
                .map(|paragraph| clean_line("items", paragraph))
                .collect::<Result<Vec<_>, _>>()
                .map(|paragraphs| paragraphs.join("\n"))
                .and_then(|answer| check_length("items", &answer, 1, ANSWER_MAX).map(|()| answer))
                .map_err(|e| {
                    FieldError::new(
                        "items",
                        format!("the answer to question {number} {}", e.message),
                    )
                }),
        };
        if let (Some(question), Some(answer)) = (c.take(question), c.take(answer)) {
            items.push(Question { question, answer });
        }
    }
    c.take(too_many("items", items.len(), FAQ_MAX, "questions"));
    if c.0.is_empty() { Ok(items) } else { Err(c.0) }
}

/// A list's value, its errors collected with the other fields'.
fn list<T>(c: &mut Collector, parsed: Result<T, Vec<FieldError>>) -> Option<T> {
    parsed.map_err(|errors| c.0.extend(errors)).ok()
}

fn photo_ids(form: &SectionForm) -> Result<Vec<i64>, FieldError> {
    let mut ids: Vec<i64> = Vec::new();
    for raw in form.values("photo") {
        let id = raw
            .trim()
            .parse::<i64>()
            .ok()
            .filter(|id| *id > 0)
            .ok_or_else(|| FieldError::new("photo", "pick photos from the list"))?;
        if !ids.contains(&id) {
            ids.push(id);
        }
    }
    too_many("photo", ids.len(), GALLERY_MAX, "photos")?;
    Ok(ids)
}

impl Section {
    /// The content of a newly added section: empty lists and titles (which show nothing,
    /// or the default title) and a neutral headline or call to action to edit.
    pub fn new(kind: Kind) -> Self {
        let title = String::new;
        match kind {
            Kind::Hero => Self::Hero {
                headline: "Welcome".into(),
                tagline: String::new(),
            },
            Kind::Services => Self::Services {
                title: title(),
                items: Vec::new(),
            },
            Kind::Gallery => Self::Gallery {
                title: title(),
                photo_ids: Vec::new(),
            },
            Kind::Testimonials => Self::Testimonials {
                title: title(),
                items: Vec::new(),
            },
            Kind::Hours => Self::Hours { title: title() },
            Kind::Contact => Self::Contact { title: title() },
            Kind::Faq => Self::Faq {
                title: title(),
                items: Vec::new(),
            },
            Kind::About => Self::About {
                title: title(),
                body: String::new(),
            },
            Kind::CallToAction => Self::CallToAction {
                text: "Ready when you are: give us a call.".into(),
                button: Button::Call,
            },
        }
    }

    pub fn kind(&self) -> Kind {
        match self {
            Self::Hero { .. } => Kind::Hero,
            Self::Services { .. } => Kind::Services,
            Self::Gallery { .. } => Kind::Gallery,
            Self::Testimonials { .. } => Kind::Testimonials,
            Self::Hours { .. } => Kind::Hours,
            Self::Contact { .. } => Kind::Contact,
            Self::Faq { .. } => Kind::Faq,
            Self::About { .. } => Kind::About,
            Self::CallToAction { .. } => Kind::CallToAction,
        }
    }

    /// Parses a section of `kind` from its form (field names in the module docs), naming
    /// every problem at once; list errors name the line.
    pub fn parse(kind: Kind, form: &SectionForm) -> Result<Self, Vec<FieldError>> {
        let mut c = Collector::default();
        let title = |c: &mut Collector| c.take(line("title", form.value("title"), 0, TITLE_MAX));
        let section = match kind {
            Kind::Hero => {
                let headline = c.take(line("headline", form.value("headline"), 1, HEADLINE_MAX));
                let tagline = c.take(line("tagline", form.value("tagline"), 0, TAGLINE_MAX));
                headline
                    .zip(tagline)
                    .map(|(headline, tagline)| Self::Hero { headline, tagline })
            }
            Kind::Services => {
                let title = title(&mut c);
                let items = list(&mut c, services(form.value("items")));
                title
                    .zip(items)
                    .map(|(title, items)| Self::Services { title, items })
            }
            Kind::Gallery => {
                let title = title(&mut c);
                let photo_ids = c.take(photo_ids(form));
                title
                    .zip(photo_ids)
                    .map(|(title, photo_ids)| Self::Gallery { title, photo_ids })
            }
            Kind::Testimonials => {
                let title = title(&mut c);
                let items = list(&mut c, testimonials(form.value("items")));
                title
                    .zip(items)
                    .map(|(title, items)| Self::Testimonials { title, items })
            }
            Kind::Hours => title(&mut c).map(|title| Self::Hours { title }),
            Kind::Contact => title(&mut c).map(|title| Self::Contact { title }),
            Kind::Faq => {
                let title = title(&mut c);
                let items = list(&mut c, questions(form.value("items")));
                title
                    .zip(items)
                    .map(|(title, items)| Self::Faq { title, items })
            }
            Kind::About => {
                let title = title(&mut c);
                let body = c.take(Paragraphs::parse("body", form.value("body"), 0, ABOUT_MAX));
                title.zip(body).map(|(title, body)| Self::About {
                    title,
                    // A lone CR left after CRLFs became LFs is a line break too, so the
                    // body reads back from its own form unchanged.
                    body: body.as_str().replace('\r', "\n"),
                })
            }
            Kind::CallToAction => {
                let text = c.take(line("text", form.value("text"), 1, CALL_TO_ACTION_MAX));
                let button = c.take(Button::parse(form.value("button")).ok_or_else(|| {
                    FieldError::new("button", "choose call, website, directions or email")
                }));
                text.zip(button)
                    .map(|(text, button)| Self::CallToAction { text, button })
            }
        };
        match section {
            Some(section) if c.0.is_empty() => Ok(section),
            _ => Err(c.0),
        }
    }

    /// The form showing this section, the inverse of [`Section::parse`].
    pub fn to_form(&self) -> SectionForm {
        let form = SectionForm::default();
        let joined = |lines: Vec<String>| lines.join("\n");
        match self {
            Self::Hero { headline, tagline } => {
                form.with("headline", headline).with("tagline", tagline)
            }
            Self::Services { title, items } => form.with("title", title).with(
                "items",
                joined(
                    items
                        .iter()
                        .map(|s| match (s.description.is_empty(), s.price.is_empty()) {
                            (true, true) => s.name.clone(),
                            (false, true) => format!("{} | {}", s.name, s.description),
                            _ => format!("{} | {} | {}", s.name, s.description, s.price),
                        })
                        .collect(),
                ),
            ),
            Self::Gallery { title, photo_ids } => photo_ids
                .iter()
                .fold(form.with("title", title), |form, id| {
                    form.with("photo", id.to_string())
                }),
            Self::Testimonials { title, items } => form.with("title", title).with(
                "items",
                joined(
                    items
                        .iter()
                        .map(|t| {
                            if t.author.is_empty() {
                                t.quote.clone()
                            } else {
                                format!("{} | {}", t.quote, t.author)
                            }
                        })
                        .collect(),
                ),
            ),
            Self::Hours { title } | Self::Contact { title } => form.with("title", title),
            Self::Faq { title, items } => form.with("title", title).with(
                "items",
                joined(
                    items
                        .iter()
                        .map(|q| format!("Q: {}\nA: {}", q.question, q.answer))
                        .collect(),
                ),
            ),
            Self::About { title, body } => form.with("title", title).with("body", body),
            Self::CallToAction { text, button } => {
                form.with("text", text).with("button", button.as_str())
            }
        }
    }

    /// Whether this section is exactly what its own form would save: the rules of
    /// [`Section::parse`] hold for a section built any other way too.
    pub fn check(&self) -> Result<(), Vec<FieldError>> {
        let again = Self::parse(self.kind(), &self.to_form())?;
        if again == *self {
            Ok(())
        } else {
            Err(vec![FieldError::new(
                "content",
                "is not what its form would save",
            )])
        }
    }
}

/// A section as stored, in page order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredSection {
    pub id: i64,
    pub position: i64,
    pub section: Section,
    pub updated_at: i64,
}

#[derive(Deserialize)]
struct SectionRow {
    id: i64,
    position: i64,
    content: String,
    updated_at: i64,
}

impl SectionRow {
    fn decode(self) -> DbResult<StoredSection> {
        let section = serde_json::from_str(&self.content)
            .map_err(|e| DbError(format!("page section {}: {e}", self.id)))?;
        Ok(StoredSection {
            id: self.id,
            position: self.position,
            section,
            updated_at: self.updated_at,
        })
    }
}

/// The business's sections in page order.
pub async fn sections(db: &impl Database, business_id: i64) -> DbResult<Vec<StoredSection>> {
    let rows: Vec<SectionRow> = fetch_all(
        db,
        &Statement::new(
            "SELECT id, position, content, updated_at FROM page_sections WHERE business_id = ?1
              ORDER BY position, id",
        )
        .bind(business_id),
    )
    .await?;
    rows.into_iter().map(SectionRow::decode).collect()
}

/// One section of the business, for its edit form.
pub async fn section(
    db: &impl Database,
    business_id: i64,
    section_id: i64,
) -> DbResult<Option<StoredSection>> {
    let row: Option<SectionRow> = fetch_optional(
        db,
        &Statement::new(
            "SELECT id, position, content, updated_at FROM page_sections WHERE id = ?1 AND business_id = ?2",
        )
        .bind(section_id)
        .bind(business_id),
    )
    .await?;
    row.map(SectionRow::decode).transpose()
}

fn content_json(section: &Section) -> DomainResult<String> {
    let json =
        serde_json::to_string(section).map_err(|e| DbError(format!("page section json: {e}")))?;
    if json.chars().count() > MAX_CONTENT_CHARS {
        return Err(DomainError::invalid(
            "content",
            "is too long for one section",
        ));
    }
    Ok(json)
}

/// Adds a section of `kind` with [`Section::new`]'s content at the end of the page; its id.
/// A page already holding [`MAX_SECTIONS`] gets none (the count is decided by the insert).
pub async fn add(db: &impl Database, business_id: i64, kind: Kind, now: i64) -> DomainResult<i64> {
    let content = content_json(&Section::new(kind))?;
    let added = db
        .query(
            &Statement::new(
                "INSERT INTO page_sections (business_id, position, kind, content, updated_at)
                 SELECT ?1, coalesce((SELECT max(position) FROM page_sections WHERE business_id = ?1), 0) + 1,
                        ?2, ?3, ?4
                  WHERE (SELECT count(*) FROM page_sections WHERE business_id = ?1) < ?5
                 RETURNING id",
            )
            .bind(business_id)
            .bind(kind.as_str())
            .bind(content)
            .bind(now)
            .bind(MAX_SECTIONS),
        )
        .await?;
    added
        .first()
        .and_then(|row| row.get("id"))
        .and_then(serde_json::Value::as_i64)
        .ok_or_else(|| {
            DomainError::invalid(
                "kind",
                format!("a page has at most {MAX_SECTIONS} sections"),
            )
        })
}

/// Replaces a section's content; it keeps its kind and place. Gallery photos must be the
/// business's own.
pub async fn save(
    db: &impl Database,
    business_id: i64,
    section_id: i64,
    section: &Section,
    now: i64,
) -> DomainResult<()> {
    section.check().map_err(DomainError::Invalid)?;
    if let Section::Gallery { photo_ids, .. } = section {
        let ids =
            serde_json::to_string(photo_ids).map_err(|e| DbError(format!("photo ids: {e}")))?;
        let theirs = fetch_integer(
            db,
            &Statement::new(
                "SELECT count(*) FROM business_photos
                  WHERE business_id = ?1 AND id IN (SELECT value FROM json_each(?2))",
            )
            .bind(business_id)
            .bind(ids),
        )
        .await?;
        if usize::try_from(theirs).ok() != Some(photo_ids.len()) {
            return Err(DomainError::invalid("photo", "pick photos of this listing"));
        }
    }
    let saved = db
        .query(
            &Statement::new(
                "UPDATE page_sections SET content = ?4, updated_at = ?5
                  WHERE id = ?1 AND business_id = ?2 AND kind = ?3 RETURNING id",
            )
            .bind(section_id)
            .bind(business_id)
            .bind(section.kind().as_str())
            .bind(content_json(section)?)
            .bind(now),
        )
        .await?;
    if !saved.is_empty() {
        return Ok(());
    }
    match self::section(db, business_id, section_id).await? {
        Some(_) => Err(DomainError::invalid("kind", "a section keeps its kind")),
        None => Err(DomainError::NotFound("section".into())),
    }
}

async fn section_ids(db: &impl Database, business_id: i64) -> DbResult<Vec<i64>> {
    #[derive(Deserialize)]
    struct Id {
        id: i64,
    }
    let ids: Vec<Id> = fetch_all(
        db,
        &Statement::new(
            "SELECT id FROM page_sections WHERE business_id = ?1 ORDER BY position, id",
        )
        .bind(business_id),
    )
    .await?;
    Ok(ids.into_iter().map(|row| row.id).collect())
}

/// Numbers the sections 1, 2, 3… in the order given, in one batch.
async fn write_order(db: &impl Database, business_id: i64, ids: &[i64]) -> DbResult<()> {
    let statements: Vec<Statement> = (1_i64..)
        .zip(ids)
        .map(|(position, id)| {
            Statement::new(
                "UPDATE page_sections SET position = ?3 WHERE id = ?1 AND business_id = ?2",
            )
            .bind(*id)
            .bind(business_id)
            .bind(position)
        })
        .collect();
    db.batch(&statements).await
}

/// Swaps a section with its neighbour before or after it (the form's ↑/↓ buttons); false
/// when it is already first or last.
pub async fn nudge(
    db: &impl Database,
    business_id: i64,
    section_id: i64,
    direction: Direction,
) -> DomainResult<bool> {
    let mut ids = section_ids(db, business_id).await?;
    let at = ids
        .iter()
        .position(|id| *id == section_id)
        .ok_or_else(|| DomainError::NotFound("section".into()))?;
    if !ordering::step(&mut ids, at, direction) {
        return Ok(false);
    }
    write_order(db, business_id, &ids).await?;
    Ok(true)
}

/// Puts the sections in the order given, which must name each of the business's sections
/// exactly once.
pub async fn reorder(db: &impl Database, business_id: i64, order: &[i64]) -> DomainResult<()> {
    let current = section_ids(db, business_id).await?;
    if !ordering::is_reordering(&current, order) {
        return Err(DomainError::invalid(
            "order",
            "must name each section of the page once",
        ));
    }
    write_order(db, business_id, order).await?;
    Ok(())
}

pub async fn remove(db: &impl Database, business_id: i64, section_id: i64) -> DomainResult<()> {
    let removed = db
        .query(
            &Statement::new(
                "DELETE FROM page_sections WHERE id = ?1 AND business_id = ?2 RETURNING id",
            )
            .bind(section_id)
            .bind(business_id),
        )
        .await?;
    if removed.is_empty() {
        return Err(DomainError::NotFound("section".into()));
    }
    Ok(())
}

/// Where snapshot `number` of a business is stored in R2.
pub fn snapshot_key(business_id: i64, number: i64) -> String {
    format!("pages/{business_id}/{number}.html")
}

/// The number the next publication will take, and its object key.
pub async fn next_snapshot_key(db: &impl Database, business_id: i64) -> DbResult<(i64, String)> {
    let number = fetch_integer(
        db,
        &Statement::new(
            "SELECT coalesce(max(number), 0) + 1 FROM page_snapshots WHERE business_id = ?1",
        )
        .bind(business_id),
    )
    .await?;
    Ok((number, snapshot_key(business_id, number)))
}

/// Takes snapshot `number` for this publication (its row, not yet current): the database
/// decides which of two racing publications gets a number, before either stores a byte.
async fn reserve(
    db: &impl Database,
    business_id: i64,
    number: i64,
    key: &str,
    user_id: Option<i64>,
    now: i64,
) -> DomainResult<()> {
    if key != snapshot_key(business_id, number) {
        return Err(DomainError::invalid(
            "snapshot",
            "is not stored where this page's snapshots are",
        ));
    }
    let taken = db
        .query(
            &Statement::new(
                "INSERT INTO page_snapshots (business_id, number, object_key, published_by, created_at)
                 VALUES (?1, ?2, ?3, ?4, ?5)
                 ON CONFLICT (business_id, number) DO NOTHING RETURNING number",
            )
            .bind(business_id)
            .bind(number)
            .bind(key)
            .bind(user_id)
            .bind(now),
        )
        .await?
        .is_empty();
    if taken {
        return Err(DomainError::invalid(
            "publish",
            format!(
                "someone else published version {number} of this page at the same moment; \
                 look at the page and publish again if it is not yours"
            ),
        ));
    }
    Ok(())
}

/// Makes snapshot `number` current; it selects the snapshot from the business's own, so for
/// a number the business does not have it writes nothing.
const MAKE_CURRENT: &str = "INSERT INTO published_pages (business_id, number, published_at)
     SELECT business_id, number, ?3 FROM page_snapshots WHERE business_id = ?1 AND number = ?2
     ON CONFLICT (business_id) DO UPDATE SET number = excluded.number, published_at = excluded.published_at";

fn make_current(sql: impl Into<String>, business_id: i64, number: i64, now: i64) -> Statement {
    Statement::new(sql).bind(business_id).bind(number).bind(now)
}

/// Stores a rendered page as the business's next snapshot and makes it current: the number
/// is taken in the database first (of two racing publications one gets it, the other stores
/// nothing and is told), then the object goes to `blobs`, then it is made current. Returns
/// the snapshot's number.
pub async fn publish(
    db: &impl Database,
    blobs: &impl BlobStore,
    business_id: i64,
    html: String,
    user_id: Option<i64>,
    now: i64,
) -> DomainResult<i64> {
    let (number, key) = next_snapshot_key(db, business_id).await?;
    let page = Blob {
        bytes: html.into_bytes(),
        content_type: "text/html; charset=utf-8".into(),
    };
    reserve(db, business_id, number, &key, user_id, now).await?;
    if let Err(e) = blobs.put(&key, page).await {
        // Give the number back: a snapshot without its page must never become current.
        db.execute(
            &Statement::new("DELETE FROM page_snapshots WHERE business_id = ?1 AND number = ?2")
                .bind(business_id)
                .bind(number),
        )
        .await?;
        return Err(DbError(format!("storing page snapshot {key}: {e}")).into());
    }
    db.execute(&make_current(MAKE_CURRENT, business_id, number, now))
        .await?;
    Ok(number)
}

/// One publication of a page, as the owner's history lists it.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Snapshot {
    pub number: i64,
    pub object_key: String,
    pub created_at: i64,
    /// The email of who published it, while their account exists.
    pub published_by: Option<String>,
    #[serde(deserialize_with = "crate::db::flag")]
    pub is_current: bool,
}

/// Every snapshot of the business, newest first.
pub async fn snapshots(db: &impl Database, business_id: i64) -> DbResult<Vec<Snapshot>> {
    fetch_all(
        db,
        &Statement::new(
            "SELECT s.number, s.object_key, s.created_at, u.email AS published_by, p.number IS NOT NULL AS is_current
               FROM page_snapshots s
               LEFT JOIN users u ON u.id = s.published_by
               LEFT JOIN published_pages p ON p.business_id = s.business_id AND p.number = s.number
              WHERE s.business_id = ?1
              ORDER BY s.number DESC",
        )
        .bind(business_id),
    )
    .await
}

/// Makes an earlier snapshot of this business current again.
pub async fn restore(
    db: &impl Database,
    business_id: i64,
    number: i64,
    now: i64,
) -> DomainResult<()> {
    let returning = format!("{MAKE_CURRENT} RETURNING number");
    if db
        .query(&make_current(returning, business_id, number, now))
        .await?
        .is_empty()
    {
        return Err(DomainError::NotFound("snapshot".into()));
    }
    Ok(())
}

/// Takes the page down (its snapshots stay, to restore); false when none was published.
pub async fn unpublish(db: &impl Database, business_id: i64) -> DbResult<bool> {
    let removed = db
        .query(
            &Statement::new(
                "DELETE FROM published_pages WHERE business_id = ?1 RETURNING business_id",
            )
            .bind(business_id),
        )
        .await?;
    Ok(!removed.is_empty())
}

/// The object key of the page to serve at `/business/{slug}/page`: only for a public
/// listing with a current snapshot.
pub async fn current_for_public(db: &impl Database, slug: &Slug) -> DbResult<Option<String>> {
    #[derive(Deserialize)]
    struct Key {
        object_key: String,
    }
    let key: Option<Key> = fetch_optional(
        db,
        &Statement::new(concat!(
            "SELECT s.object_key FROM businesses b
               JOIN published_pages p ON p.business_id = b.id
               JOIN page_snapshots s ON s.business_id = p.business_id AND s.number = p.number
              WHERE b.slug = ?1 AND ",
            public_listing!("b")
        ))
        .bind(slug.as_str()),
    )
    .await?;
    Ok(key.map(|k| k.object_key))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::accounts::tests::signed_in;
    use crate::blob::MemoryBlobStore;
    use crate::db::sqlite::SqliteDatabase;
    use crate::directory::tests::{business, insert, some_category};
    use crate::directory::{self, Created, Visibility};
    use pollster::block_on;

    const NOW: i64 = 1_767_225_600;

    fn form(pairs: &[(&str, &str)]) -> SectionForm {
        SectionForm::new(pairs.iter().map(|(n, v)| (n.to_string(), v.to_string())))
    }

    fn fields(errors: &[FieldError]) -> Vec<(&str, &str)> {
        errors
            .iter()
            .map(|e| (e.field.as_str(), e.message.as_str()))
            .collect()
    }

    /// Two listings in Idabel: the owner's and a neighbour's.
    fn two_listings() -> (SqliteDatabase, Created, Created) {
        let db = SqliteDatabase::in_memory().unwrap();
        let category = some_category(&db, "food");
        let ours = insert(&db, &business("Our Cafe", category));
        let theirs = insert(&db, &business("Their Diner", category));
        (db, ours, theirs)
    }

    fn order(db: &SqliteDatabase, business_id: i64) -> Vec<i64> {
        block_on(sections(db, business_id))
            .unwrap()
            .into_iter()
            .map(|s| s.id)
            .collect()
    }

    fn add_all(db: &SqliteDatabase, business_id: i64, kinds: &[Kind]) -> Vec<i64> {
        kinds
            .iter()
            .map(|kind| block_on(add(db, business_id, *kind, NOW)).unwrap())
            .collect()
    }

    fn photo(db: &SqliteDatabase, business_id: i64, key: &str) -> i64 {
        block_on(crate::photos::add(
            db,
            business_id,
            key,
            "image/png",
            "",
            1,
            NOW,
        ))
        .unwrap()
    }

    /// Publishes a stand-in page through the memory store; its number.
    fn publish_page(db: &SqliteDatabase, business_id: i64, html: &str) -> i64 {
        let blobs = MemoryBlobStore::default();
        block_on(publish(db, &blobs, business_id, html.into(), None, NOW)).unwrap()
    }

    fn one_of_each() -> Vec<Section> {
        vec![
            Section::Hero {
                headline: "Fresh pies daily".into(),
                tagline: "Since 1987 on Main Street".into(),
            },
            Section::Services {
                title: "Menu".into(),
                items: vec![
                    Service {
                        name: "Pecan pie".into(),
                        description: "Whole, 9 inch".into(),
                        price: "$18".into(),
                    },
                    Service {
                        name: "Coffee".into(),
                        description: String::new(),
                        price: "$2".into(),
                    },
                    Service {
                        name: "Catering".into(),
                        description: String::new(),
                        price: String::new(),
                    },
                ],
            },
            Section::Gallery {
                title: String::new(),
                photo_ids: vec![3, 1],
            },
            Section::Testimonials {
                title: String::new(),
                items: vec![
                    Testimonial {
                        quote: "Best pie in the county".into(),
                        author: "Jo, Idabel".into(),
                    },
                    Testimonial {
                        quote: "Lovely".into(),
                        author: String::new(),
                    },
                ],
            },
            Section::Hours {
                title: "When we bake".into(),
            },
            Section::Contact {
                title: String::new(),
            },
            Section::Faq {
                title: String::new(),
                items: vec![Question {
                    question: "Do you deliver?".into(),
                    answer: "Yes, within Idabel.\nCall a day ahead.".into(),
                }],
            },
            Section::About {
                title: "Our story".into(),
                body: "Grandma's recipes.\n\nStill hers.".into(),
            },
            Section::CallToAction {
                text: "Order a pie for Sunday".into(),
                button: Button::Call,
            },
        ]
    }

    #[test]
    fn every_kind_reads_back_from_its_own_form() {
        let all = one_of_each();
        let kinds: Vec<Kind> = all.iter().map(Section::kind).collect();
        assert_eq!(kinds, Kind::ALL);
        for section in all {
            assert_eq!(
                Section::parse(section.kind(), &section.to_form()),
                Ok(section.clone())
            );
            assert_eq!(section.check(), Ok(()));
        }
    }

    #[test]
    fn every_kind_has_a_stored_name_a_label_and_valid_new_content() {
        for kind in Kind::ALL {
            assert_eq!(Kind::parse(kind.as_str()), Some(kind));
            assert!(!kind.label().is_empty());
            let new = Section::new(kind);
            assert_eq!(new.kind(), kind);
            assert_eq!(new.check(), Ok(()), "{kind:?}");
            let json = serde_json::to_value(&new).unwrap();
            assert_eq!(
                json["kind"],
                kind.as_str(),
                "the JSON tag is the kind column"
            );
        }
        assert_eq!(Kind::parse("script"), None);
    }

    #[test]
    fn services_are_typed_one_a_line_with_optional_description_and_price() {
        let typed = "  Drain cleaning | Kitchen and bath |  from $90 \n\nWater heaters\r\nRepairs\t| any | \n";
        let Section::Services { items, .. } =
            Section::parse(Kind::Services, &form(&[("items", typed)])).unwrap()
        else {
            panic!("services")
        };
        let parsed: Vec<(&str, &str, &str)> = items
            .iter()
            .map(|s| (s.name.as_str(), s.description.as_str(), s.price.as_str()))
            .collect();
        assert_eq!(
            parsed,
            [
                ("Drain cleaning", "Kitchen and bath", "from $90"),
                ("Water heaters", "", ""),
                ("Repairs", "any", ""),
            ]
        );
    }

    #[test]
    fn service_errors_name_the_line_and_the_part() {
        let typed = format!(
            "Fine | ok\n | no name\n{} | long\na | b | c | d",
            "n".repeat(81)
        );
        let errors = Section::parse(Kind::Services, &form(&[("items", &typed)])).unwrap_err();
        assert_eq!(
            fields(&errors),
            [
                ("items", "line 2: the name is required"),
                ("items", "line 3: the name must be at most 80 characters"),
                (
                    "items",
                    "line 4: use at most three parts, name | description | price"
                ),
            ]
        );
        let many = "x\n".repeat(31);
        let errors = Section::parse(Kind::Services, &form(&[("items", &many)])).unwrap_err();
        assert_eq!(
            fields(&errors),
            [("items", "at most 30 services, one a line")]
        );
    }

    #[test]
    fn testimonials_are_a_quote_and_an_optional_author_a_line() {
        let typed = "Fixed it the same day! | Jo, Idabel\nFriendly folks\n | nobody\na | b | c";
        let errors = Section::parse(Kind::Testimonials, &form(&[("items", typed)])).unwrap_err();
        assert_eq!(
            fields(&errors),
            [
                ("items", "line 3: the quote is required"),
                (
                    "items",
                    "line 4: use at most two parts, what they said | who said it"
                ),
            ]
        );
        let ok = Section::parse(
            Kind::Testimonials,
            &form(&[("items", "Fixed it! | Jo\nFriendly folks")]),
        )
        .unwrap();
        assert_eq!(
            ok,
            Section::Testimonials {
                title: String::new(),
                items: vec![
                    Testimonial {
                        quote: "Fixed it!".into(),
                        author: "Jo".into()
                    },
                    Testimonial {
                        quote: "Friendly folks".into(),
                        author: String::new()
                    },
                ],
            }
        );
    }

    #[test]
    fn questions_alternate_q_and_a_lines_and_lines_below_continue_them() {
        let typed = "q: Do you\n  deliver?\nA: Yes.\nWithin town.\n\nQ:Open Sundays?\na:   No  ";
        let Section::Faq { items, .. } =
            Section::parse(Kind::Faq, &form(&[("items", typed)])).unwrap()
        else {
            panic!("faq")
        };
        assert_eq!(
            items,
            [
                Question {
                    question: "Do you deliver?".into(),
                    answer: "Yes.\nWithin town.".into()
                },
                Question {
                    question: "Open Sundays?".into(),
                    answer: "No".into()
                },
            ]
        );
    }

    #[test]
    fn question_errors_say_what_is_missing_and_where() {
        let typed = "Hello there\nQ: First?\nA: Yes\nA: Again\nQ: Second?\nQ: \nA: fine";
        let errors = Section::parse(Kind::Faq, &form(&[("items", typed)])).unwrap_err();
        assert_eq!(
            fields(&errors),
            [
                (
                    "items",
                    "line 1: start each question with Q: and its answer with A:"
                ),
                (
                    "items",
                    "line 4: this question has an answer already; start the next one with Q:"
                ),
                (
                    "items",
                    "question 2 has no answer: add a line starting with A:"
                ),
                ("items", "question 3 is required"),
            ]
        );
        let errors = Section::parse(Kind::Faq, &form(&[("items", "A: orphan")])).unwrap_err();
        assert_eq!(
            fields(&errors),
            [(
                "items",
                "line 1: start with a question, on a line beginning with Q:"
            )]
        );
    }

    #[test]
    fn gallery_photos_are_ticked_checkboxes_in_order_without_repeats() {
        let ticked = form(&[
            ("title", "Our work"),
            ("photo", "7"),
            ("photo", "3"),
            ("photo", "7"),
        ]);
        assert_eq!(
            Section::parse(Kind::Gallery, &ticked),
            Ok(Section::Gallery {
                title: "Our work".into(),
                photo_ids: vec![7, 3]
            })
        );
        let shown = Section::Gallery {
            title: String::new(),
            photo_ids: vec![7, 3],
        }
        .to_form();
        assert!(shown.is_checked("photo", "3") && !shown.is_checked("photo", "4"));
        let errors =
            Section::parse(Kind::Gallery, &form(&[("photo", "-1"), ("photo", "x")])).unwrap_err();
        assert_eq!(fields(&errors), [("photo", "pick photos from the list")]);
    }

    #[test]
    fn a_call_to_action_needs_words_and_a_known_button() {
        let errors = Section::parse(
            Kind::CallToAction,
            &form(&[("text", " "), ("button", "javascript:alert(1)")]),
        )
        .unwrap_err();
        assert_eq!(
            fields(&errors),
            [
                ("text", "is required"),
                ("button", "choose call, website, directions or email")
            ]
        );
        for button in Button::ALL {
            let parsed = Section::parse(
                Kind::CallToAction,
                &form(&[("text", "Come by"), ("button", button.as_str())]),
            );
            assert_eq!(
                parsed,
                Ok(Section::CallToAction {
                    text: "Come by".into(),
                    button
                })
            );
        }
    }

    #[test]
    fn every_field_names_its_problem_at_once() {
        let errors = Section::parse(
            Kind::Hero,
            &form(&[("headline", ""), ("tagline", &"t".repeat(241))]),
        )
        .unwrap_err();
        assert_eq!(
            fields(&errors),
            [
                ("headline", "is required"),
                ("tagline", "must be at most 240 characters")
            ]
        );
        let errors = Section::parse(
            Kind::About,
            &form(&[("title", "Bell\u{7}"), ("body", "ok")]),
        )
        .unwrap_err();
        assert_eq!(
            fields(&errors),
            [("title", "must be a single line without control characters")]
        );
    }

    #[test]
    fn markup_is_kept_as_text_for_the_renderer_to_escape() {
        let hostile = "<script>alert(1)</script> \"quoted\" & 'Co'";
        let parsed = Section::parse(
            Kind::Hero,
            &form(&[("headline", hostile), ("tagline", "javascript:alert(1)")]),
        )
        .unwrap();
        assert_eq!(
            parsed,
            Section::Hero {
                headline: hostile.into(),
                tagline: "javascript:alert(1)".into()
            }
        );
    }

    #[test]
    fn a_section_built_around_the_form_rules_is_refused() {
        let piped = Section::Services {
            title: String::new(),
            items: vec![Service {
                name: "a | b".into(),
                description: String::new(),
                price: String::new(),
            }],
        };
        assert!(piped.check().is_err());
        let long = Section::Hero {
            headline: "h".repeat(500),
            tagline: String::new(),
        };
        assert!(long.check().is_err());
    }

    #[test]
    fn sections_are_added_at_the_end_with_new_content() {
        let (db, ours, _) = two_listings();
        let ids = add_all(&db, ours.id, &[Kind::Hero, Kind::Faq, Kind::Contact]);
        let stored = block_on(sections(&db, ours.id)).unwrap();
        assert_eq!(stored.iter().map(|s| s.id).collect::<Vec<_>>(), ids);
        assert_eq!(stored[1].section, Section::new(Kind::Faq));
        assert_eq!(stored[2].position, 3);
        assert_eq!(
            block_on(section(&db, ours.id, ids[0]))
                .unwrap()
                .unwrap()
                .section,
            Section::new(Kind::Hero)
        );
    }

    #[test]
    fn a_page_holds_at_most_twenty_sections() {
        let (db, ours, theirs) = two_listings();
        add_all(&db, ours.id, &[Kind::About; 20]);
        let err = block_on(add(&db, ours.id, Kind::Hero, NOW)).unwrap_err();
        assert!(
            matches!(&err, DomainError::Invalid(e) if e[0].message == "a page has at most 20 sections"),
            "{err}"
        );
        assert_eq!(order(&db, ours.id).len(), 20);
        assert!(
            block_on(add(&db, theirs.id, Kind::Hero, NOW)).is_ok(),
            "the limit is per page"
        );
    }

    #[test]
    fn saving_replaces_the_content_and_keeps_the_place() {
        let (db, ours, _) = two_listings();
        let ids = add_all(&db, ours.id, &[Kind::Hero, Kind::About]);
        let about = Section::About {
            title: "Who we are".into(),
            body: "Family run.".into(),
        };
        block_on(save(&db, ours.id, ids[1], &about, NOW + 5)).unwrap();
        let stored = block_on(section(&db, ours.id, ids[1])).unwrap().unwrap();
        assert_eq!(
            (stored.section, stored.position, stored.updated_at),
            (about, 2, NOW + 5)
        );
    }

    #[test]
    fn a_neighbours_section_cannot_be_read_saved_moved_or_removed() {
        let (db, ours, theirs) = two_listings();
        let mine = add_all(&db, ours.id, &[Kind::Hero, Kind::About]);
        let their = block_on(add(&db, theirs.id, Kind::Hero, NOW)).unwrap();
        let hero = Section::Hero {
            headline: "Taken over".into(),
            tagline: String::new(),
        };
        let not_found = |result: DomainResult<()>| matches!(result, Err(DomainError::NotFound(_)));
        assert!(block_on(section(&db, ours.id, their)).unwrap().is_none());
        assert!(not_found(block_on(save(&db, ours.id, their, &hero, NOW))));
        assert!(not_found(block_on(remove(&db, ours.id, their))));
        assert!(not_found(
            block_on(nudge(&db, ours.id, their, Direction::Earlier)).map(drop)
        ));
        assert!(matches!(
            block_on(reorder(&db, ours.id, &[mine[1], their, mine[0]])),
            Err(DomainError::Invalid(_))
        ));
        assert_eq!(
            block_on(section(&db, theirs.id, their))
                .unwrap()
                .unwrap()
                .section,
            Section::new(Kind::Hero),
            "untouched"
        );
        assert_eq!(order(&db, ours.id), mine);
    }

    #[test]
    fn a_section_keeps_its_kind_and_its_rules() {
        let (db, ours, _) = two_listings();
        let hero = block_on(add(&db, ours.id, Kind::Hero, NOW)).unwrap();
        let about = Section::About {
            title: String::new(),
            body: "x".into(),
        };
        assert!(matches!(
            block_on(save(&db, ours.id, hero, &about, NOW)),
            Err(DomainError::Invalid(e)) if e[0].field == "kind"
        ));
        let too_long = Section::Hero {
            headline: "h".repeat(121),
            tagline: String::new(),
        };
        assert!(matches!(
            block_on(save(&db, ours.id, hero, &too_long, NOW)),
            Err(DomainError::Invalid(_))
        ));
    }

    #[test]
    fn a_gallery_shows_only_photos_of_its_own_listing() {
        let (db, ours, theirs) = two_listings();
        let gallery = block_on(add(&db, ours.id, Kind::Gallery, NOW)).unwrap();
        let own = photo(&db, ours.id, "o/1.png");
        let other = photo(&db, theirs.id, "t/1.png");
        let picked = |photo_ids: Vec<i64>| Section::Gallery {
            title: String::new(),
            photo_ids,
        };
        assert!(matches!(
            block_on(save(&db, ours.id, gallery, &picked(vec![own, other]), NOW)),
            Err(DomainError::Invalid(e)) if e[0].field == "photo"
        ));
        block_on(save(&db, ours.id, gallery, &picked(vec![own]), NOW)).unwrap();
        assert_eq!(
            block_on(section(&db, ours.id, gallery))
                .unwrap()
                .unwrap()
                .section,
            picked(vec![own])
        );
    }

    #[test]
    fn nudging_swaps_with_the_neighbour_and_stops_at_the_ends() {
        let (db, ours, _) = two_listings();
        let [a, b, c] = add_all(&db, ours.id, &[Kind::Hero, Kind::About, Kind::Contact])[..] else {
            panic!("three sections")
        };
        assert!(block_on(nudge(&db, ours.id, c, Direction::Earlier)).unwrap());
        assert_eq!(order(&db, ours.id), [a, c, b]);
        assert!(block_on(nudge(&db, ours.id, a, Direction::Later)).unwrap());
        assert_eq!(order(&db, ours.id), [c, a, b]);
        assert!(!block_on(nudge(&db, ours.id, c, Direction::Earlier)).unwrap());
        assert!(!block_on(nudge(&db, ours.id, b, Direction::Later)).unwrap());
        assert_eq!(order(&db, ours.id), [c, a, b]);
    }

    #[test]
    fn reordering_needs_exactly_the_pages_sections() {
        let (db, ours, _) = two_listings();
        let [a, b, c] = add_all(&db, ours.id, &[Kind::Hero, Kind::About, Kind::Contact])[..] else {
            panic!("three sections")
        };
        for wrong in [
            vec![a, b],
            vec![a, b, c, c],
            vec![a, b, b],
            vec![a, b, c, 999],
        ] {
            assert!(
                matches!(
                    block_on(reorder(&db, ours.id, &wrong)),
                    Err(DomainError::Invalid(_))
                ),
                "{wrong:?}"
            );
        }
        block_on(reorder(&db, ours.id, &[c, a, b])).unwrap();
        assert_eq!(order(&db, ours.id), [c, a, b]);
    }

    #[test]
    fn removing_a_section_leaves_the_rest_in_order() {
        let (db, ours, _) = two_listings();
        let [a, b, c] = add_all(&db, ours.id, &[Kind::Hero, Kind::About, Kind::Contact])[..] else {
            panic!("three sections")
        };
        block_on(remove(&db, ours.id, b)).unwrap();
        assert_eq!(order(&db, ours.id), [a, c]);
        assert!(matches!(
            block_on(remove(&db, ours.id, b)),
            Err(DomainError::NotFound(_))
        ));
    }

    #[test]
    fn editing_sections_changes_nothing_the_public_sees() {
        let (db, ours, _) = two_listings();
        let before = block_on(crate::cache::generation(&db)).unwrap();
        let id = block_on(add(&db, ours.id, Kind::Hero, NOW)).unwrap();
        block_on(remove(&db, ours.id, id)).unwrap();
        assert_eq!(block_on(crate::cache::generation(&db)).unwrap(), before);
    }

    #[test]
    fn snapshots_are_numbered_per_business_from_one() {
        let (db, ours, theirs) = two_listings();
        assert_eq!(
            block_on(next_snapshot_key(&db, ours.id)).unwrap(),
            (1, format!("pages/{}/1.html", ours.id))
        );
        publish_page(&db, ours.id, "<p>one</p>");
        assert_eq!(
            block_on(next_snapshot_key(&db, ours.id)).unwrap(),
            (2, format!("pages/{}/2.html", ours.id))
        );
        assert_eq!(block_on(next_snapshot_key(&db, theirs.id)).unwrap().0, 1);
    }

    #[test]
    fn publishing_stores_the_page_and_makes_it_current() {
        let (db, ours, _) = two_listings();
        let blobs = MemoryBlobStore::default();
        let owner = signed_in(&db, "owner", "owner@example.test");
        let generation = block_on(crate::cache::generation(&db)).unwrap();
        let number = block_on(publish(
            &db,
            &blobs,
            ours.id,
            "<p>Hi</p>".into(),
            Some(owner.user_id),
            NOW,
        ))
        .unwrap();
        let key = snapshot_key(ours.id, number);
        let stored = block_on(blobs.get(&key)).unwrap().unwrap();
        assert_eq!(stored.bytes, b"<p>Hi</p>");
        assert_eq!(stored.content_type, "text/html; charset=utf-8");
        assert_eq!(
            block_on(current_for_public(&db, &ours.slug)).unwrap(),
            Some(key.clone())
        );
        assert_eq!(
            block_on(snapshots(&db, ours.id)).unwrap(),
            [Snapshot {
                number: 1,
                object_key: key,
                created_at: NOW,
                published_by: Some("owner@example.test".into()),
                is_current: true,
            }]
        );
        assert!(
            block_on(crate::cache::generation(&db)).unwrap() > generation,
            "the listing's link to the page shows at once"
        );
    }

    #[test]
    fn the_public_listing_says_whether_it_has_a_page() {
        let (db, ours, _) = two_listings();
        let has_page = || {
            block_on(directory::find_public(&db, &ours.slug))
                .unwrap()
                .unwrap()
                .has_page
        };
        assert!(!has_page());
        publish_page(&db, ours.id, "<p>v1</p>");
        assert!(has_page());
        assert!(block_on(unpublish(&db, ours.id)).unwrap());
        assert!(!has_page());
        assert!(!block_on(unpublish(&db, ours.id)).unwrap(), "already down");
        assert_eq!(block_on(current_for_public(&db, &ours.slug)).unwrap(), None);
        assert_eq!(block_on(snapshots(&db, ours.id)).unwrap().len(), 1, "kept");
    }

    #[test]
    fn a_number_taken_by_a_racing_publish_is_refused_without_overwriting() {
        let (db, ours, _) = two_listings();
        let first = signed_in(&db, "first", "first@example.test");
        let second = signed_in(&db, "second", "second@example.test");
        // Both publishers asked for the next number before either recorded it.
        let (number, key) = block_on(next_snapshot_key(&db, ours.id)).unwrap();
        let (same, _) = block_on(next_snapshot_key(&db, ours.id)).unwrap();
        assert_eq!(number, same);
        block_on(reserve(
            &db,
            ours.id,
            number,
            &key,
            Some(first.user_id),
            NOW,
        ))
        .unwrap();
        let err = block_on(reserve(
            &db,
            ours.id,
            number,
            &key,
            Some(second.user_id),
            NOW + 1,
        ))
        .unwrap_err();
        let DomainError::Invalid(errors) = err else {
            panic!("{err}")
        };
        assert_eq!(errors[0].field, "publish");
        assert!(
            errors[0]
                .message
                .contains("someone else published version 1"),
            "{}",
            errors[0].message
        );
        let history = block_on(snapshots(&db, ours.id)).unwrap();
        assert_eq!(history.len(), 1);
        assert_eq!(
            (history[0].published_by.as_deref(), history[0].created_at),
            (Some("first@example.test"), NOW)
        );
    }

    #[test]
    fn a_snapshot_is_recorded_only_under_its_own_key() {
        let (db, ours, theirs) = two_listings();
        let (number, _) = block_on(next_snapshot_key(&db, ours.id)).unwrap();
        let elsewhere = snapshot_key(theirs.id, number);
        assert!(matches!(
            block_on(reserve(&db, ours.id, number, &elsewhere, None, NOW)),
            Err(DomainError::Invalid(_))
        ));
        assert!(block_on(snapshots(&db, ours.id)).unwrap().is_empty());
    }

    #[test]
    fn an_earlier_snapshot_can_be_made_current_again() {
        let (db, ours, _) = two_listings();
        publish_page(&db, ours.id, "v1");
        publish_page(&db, ours.id, "v2");
        assert_eq!(
            block_on(current_for_public(&db, &ours.slug)).unwrap(),
            Some(snapshot_key(ours.id, 2))
        );
        block_on(restore(&db, ours.id, 1, NOW + 9)).unwrap();
        assert_eq!(
            block_on(current_for_public(&db, &ours.slug)).unwrap(),
            Some(snapshot_key(ours.id, 1))
        );
        let current: Vec<(i64, bool)> = block_on(snapshots(&db, ours.id))
            .unwrap()
            .iter()
            .map(|s| (s.number, s.is_current))
            .collect();
        assert_eq!(current, [(2, false), (1, true)]);
    }

    #[test]
    fn only_the_business_own_snapshots_can_be_restored() {
        let (db, ours, theirs) = two_listings();
        publish_page(&db, ours.id, "ours v1");
        publish_page(&db, theirs.id, "theirs v1");
        publish_page(&db, theirs.id, "theirs v2");
        for (business, number) in [(ours.id, 2), (ours.id, 0), (theirs.id, 5)] {
            assert!(
                matches!(
                    block_on(restore(&db, business, number, NOW)),
                    Err(DomainError::NotFound(_))
                ),
                "{business} {number}"
            );
        }
        assert_eq!(
            block_on(current_for_public(&db, &ours.slug)).unwrap(),
            Some(snapshot_key(ours.id, 1))
        );
        assert_eq!(
            block_on(current_for_public(&db, &theirs.slug)).unwrap(),
            Some(snapshot_key(theirs.id, 2))
        );
    }

    #[test]
    fn the_page_of_a_hidden_listing_is_not_served() {
        let (db, ours, _) = two_listings();
        publish_page(&db, ours.id, "<p>page</p>");
        let served = || block_on(current_for_public(&db, &ours.slug)).unwrap();
        assert!(served().is_some());
        for hidden in [Visibility::Suspended, Visibility::Draft] {
            block_on(directory::set_visibility(&db, ours.id, hidden, NOW)).unwrap();
            assert_eq!(served(), None, "{hidden:?}");
            block_on(directory::set_visibility(
                &db,
                ours.id,
                Visibility::Published,
                NOW,
            ))
            .unwrap();
            assert!(served().is_some());
        }
        block_on(directory::set_active(&db, ours.id, false, NOW)).unwrap();
        assert_eq!(served(), None, "removed");
    }

    #[test]
    fn a_listing_without_a_page_serves_none() {
        let (db, ours, _) = two_listings();
        block_on(add(&db, ours.id, Kind::Hero, NOW)).unwrap();
        assert_eq!(
            block_on(current_for_public(&db, &ours.slug)).unwrap(),
            None,
            "sections alone are drafts"
        );
    }

    #[test]
    fn erasing_a_listing_hands_back_its_snapshot_objects() {
        let (db, ours, _) = two_listings();
        photo(&db, ours.id, "o/1.png");
        block_on(add(&db, ours.id, Kind::Hero, NOW)).unwrap();
        publish_page(&db, ours.id, "v1");
        let admin = signed_in(&db, "ada", "ada@example.test");
        let mut keys = block_on(crate::listings::erase(&db, &admin, ours.id, NOW)).unwrap();
        keys.sort();
        assert_eq!(keys, ["o/1.png".to_owned(), snapshot_key(ours.id, 1)]);
        for table in ["page_sections", "page_snapshots", "published_pages"] {
            let rows = block_on(fetch_integer(
                &db,
                &Statement::new(format!("SELECT count(*) FROM {table}")),
            ))
            .unwrap();
            assert_eq!(rows, 0, "{table}");
        }
    }

    #[test]
    fn the_database_refuses_content_of_another_kind() {
        let (db, ours, _) = two_listings();
        let mismatched = Statement::new(
            "INSERT INTO page_sections (business_id, position, kind, content, updated_at)
             VALUES (?1, 1, 'about', '{\"kind\":\"hero\",\"headline\":\"x\",\"tagline\":\"\"}', 1)",
        )
        .bind(ours.id);
        assert!(block_on(db.execute(&mismatched)).is_err());
    }
}
