//! A business's own page, built by its owner from [`Section`]s
//! ([`kbc_domain::page_builder`]): the complete document a publication stores in R2 and the
//! api serves at `/business/{slug}/page`, and the same sections as a fragment for the
//! owner's preview in the dashboard. Hours, address, numbers and photos come from the
//! listing itself; every text is escaped by the templates, every link is built here from
//! checked values (`tel:`, `mailto:`, http(s) only, our own image paths), and nothing needs a
//! script or an inline style.
//!
//! A snapshot is static HTML, so it shows nothing that depends on the moment it is read
//! (no "open now", no highlighted today). It links the stylesheet of the build that
//! published it: the api answers every older `/assets/site.<fingerprint>.css` with a
//! redirect to the current one (`kbc_site::assets::is_stylesheet_request`), so a page
//! published before a redeploy is styled by the current rules. That makes the `owner-*`
//! class names below (and the site classes they use) a contract with every stored snapshot:
//! restyle them freely, but rename or remove one only together with republishing.

use super::*;
use kbc_domain::page_builder::{Button, Section};

/// A link built from a checked value; `rel` is empty for our own and `tel:`/`mailto:` links.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Link {
    pub href: String,
    pub label: String,
    pub rel: &'static str,
}

/// Outside sites the owner or a listing names: not endorsed, and not told where from.
const OUTSIDE: &str = "nofollow ugc noopener";

/// The listing's ways to be reached, as links.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reach {
    pub street: String,
    pub locality: String,
    pub phone: Option<Link>,
    pub email: Option<Link>,
    pub website: Option<Link>,
    pub directions: Option<Link>,
    /// The request form on the listing.
    pub request: Link,
}

impl Reach {
    fn new(business: &BusinessDetail, base: &str) -> Self {
        Self {
            street: business.address.street.clone(),
            locality: locality(business),
            phone: business
                .phone
                .as_ref()
                .zip(business.phone_display.as_ref())
                .map(|(tel, shown)| Link {
                    href: format!("tel:{tel}"),
                    label: shown.clone(),
                    rel: "",
                }),
            email: business.email.as_ref().map(|email| Link {
                href: format!("mailto:{email}"),
                label: email.clone(),
                rel: "",
            }),
            website: business
                .website
                .as_deref()
                .and_then(view::external_link)
                .map(|href| Link {
                    href,
                    label: "Our website".into(),
                    rel: OUTSIDE,
                }),
            directions: view::directions_url(business.location, &business.address).map(|href| {
                Link {
                    href,
                    label: Button::Directions.label().into(),
                    rel: OUTSIDE,
                }
            }),
            request: Link {
                href: format!("{base}{}#contact", urls::business(&business.slug)),
                label: "Send us a request".into(),
                rel: "",
            },
        }
    }

    /// Where a call to action's button leads, if the listing has that detail.
    fn button(&self, button: Button) -> Option<Link> {
        let target = match button {
            Button::Call => &self.phone,
            Button::Website => &self.website,
            Button::Directions => &self.directions,
            Button::Email => &self.email,
        };
        target.as_ref().map(|link| Link {
            label: button.label().into(),
            ..link.clone()
        })
    }
}

fn locality(business: &BusinessDetail) -> String {
    let a = &business.address;
    format!("{}, {} {}", a.city, a.state, a.zip)
        .trim()
        .to_owned()
}

/// Non-empty lines of owner text, one paragraph each.
fn paragraphs(text: &str) -> Vec<String> {
    text.lines()
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .map(str::to_owned)
        .collect()
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServiceItem {
    pub name: String,
    pub description: String,
    pub price: String,
}

/// What one section shows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Body {
    Hero {
        headline: String,
        tagline: String,
    },
    Services(Vec<ServiceItem>),
    /// `(src, alt)`.
    Gallery(Vec<(String, String)>),
    /// `(quote, author)`.
    Testimonials(Vec<(String, String)>),
    Hours(Vec<HoursRow>),
    Contact(Box<Reach>),
    /// `(question, answer paragraphs)`.
    Faq(Vec<(String, Vec<String>)>),
    About(Vec<String>),
    CallToAction {
        text: String,
        button: Option<Link>,
    },
    /// The preview's stand-in for a section with nothing to show (left out of the page).
    Empty,
}

/// One section as rendered: its heading's id (for `aria-labelledby`), its heading and body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Block {
    pub anchor: String,
    pub kind: &'static str,
    pub label: &'static str,
    pub title: String,
    pub body: Body,
}

/// Everything the page shows, shared by the document and the preview.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OwnerPageView {
    pub name: String,
    pub category: String,
    pub locality: String,
    pub listing_url: String,
    pub blocks: Vec<Block>,
    /// In the dashboard: the name is not the page's h1, and empty sections say so.
    pub preview: bool,
}

impl OwnerPageView {
    /// `base` prefixes our own URLs: empty on the public site, its origin elsewhere.
    fn new<'a>(
        business: &BusinessDetail,
        sections: impl IntoIterator<Item = &'a Section>,
        base: &str,
        preview: bool,
    ) -> Self {
        let reach = Reach::new(business, base);
        let blocks = (1..)
            .zip(sections)
            .filter_map(|(number, section)| {
                let kind = section.kind();
                let (title, body) = body(section, business, &reach, base);
                let body = match body {
                    Some(body) => body,
                    None if preview => Body::Empty,
                    None => return None,
                };
                let title = if title.is_empty() {
                    kind.default_title().to_owned()
                } else {
                    title.to_owned()
                };
                Some(Block {
                    anchor: format!("section-{number}"),
                    kind: kind.as_str(),
                    label: kind.label(),
                    title,
                    body,
                })
            })
            .collect();
        Self {
            name: business.name.clone(),
            category: business.category.name.clone(),
            locality: locality(business),
            listing_url: format!("{base}{}", urls::business(&business.slug)),
            blocks,
            preview,
        }
    }
}

/// A section's title and what it shows; `None` when it has nothing to show.
fn body<'s>(
    section: &'s Section,
    business: &BusinessDetail,
    reach: &Reach,
    base: &str,
) -> (&'s str, Option<Body>) {
    let some_if = |shown: bool, body: Body| shown.then_some(body);
    match section {
        Section::Hero { headline, tagline } => (
            "",
            Some(Body::Hero {
                headline: headline.clone(),
                tagline: tagline.clone(),
            }),
        ),
        Section::Services { title, items } => (
            title,
            some_if(
                !items.is_empty(),
                Body::Services(
                    items
                        .iter()
                        .map(|s| ServiceItem {
                            name: s.name.clone(),
                            description: s.description.clone(),
                            price: s.price.clone(),
                        })
                        .collect(),
                ),
            ),
        ),
        Section::Gallery { title, photo_ids } => {
            // Only the listing's own photos exist here: an id of anyone else's matches none.
            let photos: Vec<&kbc_domain::photos::Photo> = if photo_ids.is_empty() {
                business.photos.iter().collect()
            } else {
                photo_ids
                    .iter()
                    .filter_map(|id| business.photos.iter().find(|p| p.id == *id))
                    .collect()
            };
            let shown: Vec<(String, String)> = photos
                .into_iter()
                .map(|p| {
                    let alt = if p.alt.trim().is_empty() {
                        format!("Photo of {}", business.name)
                    } else {
                        p.alt.clone()
                    };
                    (format!("{base}{}", urls::image(&p.key)), alt)
                })
                .collect();
            (title, some_if(!shown.is_empty(), Body::Gallery(shown)))
        }
        Section::Testimonials { title, items } => (
            title,
            some_if(
                !items.is_empty(),
                Body::Testimonials(
                    items
                        .iter()
                        .map(|t| (t.quote.clone(), t.author.clone()))
                        .collect(),
                ),
            ),
        ),
        Section::Hours { title } => {
            // A snapshot is read on any day: no row is marked as today.
            // Without hours the section says they are not listed (an empty table).
            let rows = if business.hours.is_empty() {
                Vec::new()
            } else {
                view::hours_table(&business.hours, 0)
                    .into_iter()
                    .map(|row| HoursRow {
                        today: false,
                        ..row
                    })
                    .collect()
            };
            (title, Some(Body::Hours(rows)))
        }
        Section::Contact { title } => (title, Some(Body::Contact(Box::new(reach.clone())))),
        Section::Faq { title, items } => (
            title,
            some_if(
                !items.is_empty(),
                Body::Faq(
                    items
                        .iter()
                        .map(|q| (q.question.clone(), paragraphs(&q.answer)))
                        .collect(),
                ),
            ),
        ),
        Section::About { title, body } => {
            let shown = paragraphs(body);
            (title, some_if(!shown.is_empty(), Body::About(shown)))
        }
        Section::CallToAction { text, button } => (
            "",
            Some(Body::CallToAction {
                text: text.clone(),
                button: reach.button(*button),
            }),
        ),
    }
}

/// The published page: a complete document in the site's layout.
#[derive(Template)]
#[template(path = "owner_page.html")]
pub struct OwnerPage {
    pub meta: Meta,
    pub page: OwnerPageView,
}

impl OwnerPage {
    pub fn new<'a>(
        site: &Site,
        business: &BusinessDetail,
        sections: impl IntoIterator<Item = &'a Section> + Clone,
    ) -> Self {
        let page = OwnerPageView::new(business, sections.clone(), "", false);
        let description = sections
            .clone()
            .into_iter()
            .find_map(|section| match section {
                Section::Hero { tagline, .. } if !tagline.is_empty() => Some(tagline.clone()),
                Section::About { body, .. } if !body.trim().is_empty() => Some(body.clone()),
                _ => None,
            })
            .or_else(|| (!business.description.is_empty()).then(|| business.description.clone()))
            .unwrap_or_else(|| {
                format!(
                    "{} — {} in {}.",
                    business.name, page.category, page.locality
                )
            });
        let mut meta = Meta::new(
            site,
            format!("{} — {}", business.name, page.locality),
            description,
            &urls::business_page(&business.slug),
            "",
        );
        meta.og_image = page
            .blocks
            .iter()
            .find_map(|block| match &block.body {
                Body::Gallery(photos) => photos.first().map(|(src, _)| src.clone()),
                _ => None,
            })
            .or_else(|| business.photos.first().map(|p| urls::image(&p.key)))
            .map(|path| format!("{}{path}", site.origin));
        Self { meta, page }
    }

    pub fn html(&self) -> String {
        render(self)
    }
}

/// The same sections for the owner's dashboard: an HTML fragment (every text already
/// escaped, so the dashboard's template writes it with `|safe`), styled by the rules the
/// console's stylesheet takes from the site's. Links and images point at `public_origin`,
/// where they live; sections with nothing to show say so instead of disappearing.
#[derive(Template)]
#[template(path = "owner_preview.html")]
pub struct OwnerPreview {
    pub page: OwnerPageView,
}

impl OwnerPreview {
    pub fn new<'a>(
        public_origin: &str,
        business: &BusinessDetail,
        sections: impl IntoIterator<Item = &'a Section>,
    ) -> Self {
        Self {
            page: OwnerPageView::new(business, sections, public_origin, true),
        }
    }

    pub fn html(&self) -> String {
        render(self)
    }
}
