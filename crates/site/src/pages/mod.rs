//! Every page of the public site: its view model, how it is loaded from the domain, and its
//! template, one module per page (or family of pages). Loaders return `Ok(None)` when the
//! thing asked for does not exist publicly. What all pages share lives here.

mod browse;
mod business;
mod home;
mod info;
mod news;
mod owner_page;
mod problem;
mod results;
mod submit;

pub use browse::*;
pub use business::*;
pub use home::*;
pub use info::*;
pub use news::*;
pub use owner_page::*;
pub use problem::*;
pub use results::*;
pub use submit::*;

use crate::assets;
use crate::forms::FormState;
use crate::seo;
use crate::urls;
use crate::view::{self, Card, HoursRow, Pager};
use askama::Template;
use kbc_domain::categories::{self, CategoryNode};
use kbc_domain::db::Database;
use kbc_domain::directory::{self, BusinessDetail};
use kbc_domain::error::{DomainError, DomainResult};
use kbc_domain::search::{self, SearchParams, SearchQuery};
use kbc_domain::values::{Slug, StateCode};
use kbc_domain::{FieldError, blog};

/// What every page needs to know about the request it answers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Site {
    /// `https://kiamichibizconnect.com`, without a trailing slash.
    pub origin: String,
    /// Where owners sign in and claim listings (`https://app.kiamichibizconnect.com`).
    pub app_origin: String,
    /// Unix seconds.
    pub now: i64,
}

/// Head metadata of a page: title, description, canonical URL, social cards, JSON-LD.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Meta {
    pub title: String,
    pub description: String,
    pub canonical: String,
    pub og_type: &'static str,
    pub og_image: Option<String>,
    /// Serialized with [`seo::script_json`], so it is safe inside a script element.
    pub json_ld: Option<String>,
    pub noindex: bool,
    /// Which main navigation entry is the current page.
    pub section: &'static str,
    pub stylesheet: &'static str,
}

impl Meta {
    fn new(
        site: &Site,
        title: String,
        description: String,
        path: &str,
        section: &'static str,
    ) -> Self {
        Self {
            title,
            description: view::excerpt(&description, 300),
            canonical: format!("{}{path}", site.origin),
            og_type: "website",
            og_image: None,
            json_ld: None,
            noindex: false,
            section,
            stylesheet: assets::stylesheet_path(),
        }
    }
}

/// Renders a template; a template failure (a formatting error) becomes a plain message.
fn render(template: &impl Template) -> String {
    template
        .render()
        .unwrap_or_else(|err| format!("This page could not be shown ({err})."))
}

/// A category link with its count and (one level of) children.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CategoryLink {
    pub name: String,
    pub url: String,
    pub count: i64,
    pub children: Vec<CategoryLink>,
}

impl CategoryLink {
    fn from_node(node: &CategoryNode, depth: usize) -> Self {
        Self {
            name: node.name.clone(),
            url: urls::category(&node.slug),
            count: node.business_count,
            children: if depth == 0 {
                Vec::new()
            } else {
                node.children
                    .iter()
                    .map(|c| Self::from_node(c, depth - 1))
                    .collect()
            },
        }
    }
}

/// A town link.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TownLink {
    pub name: String,
    pub url: String,
    pub count: i64,
}

async fn towns(db: &impl Database, limit: usize) -> DomainResult<Vec<TownLink>> {
    let mut towns: Vec<TownLink> = directory::cities(db)
        .await?
        .into_iter()
        .map(|c| TownLink {
            url: urls::city(&c.slug),
            name: format!("{}, {}", c.name, c.state),
            count: c.businesses,
        })
        .collect();
    towns.truncate(limit);
    Ok(towns)
}

/// A blog post in a list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PostLink {
    pub title: String,
    pub url: String,
    pub summary: String,
    pub date: String,
}

impl PostLink {
    fn from_post(post: &blog::Post) -> Self {
        Self {
            title: post.title.clone(),
            url: urls::post(&post.slug),
            summary: post.summary.clone(),
            date: view::date_label(post.published_at),
        }
    }
}

const REGION_INTRO: &str = "Plumbers, cafés, feed stores, cabins and clinics across Southeast Oklahoma, Northeast \
     Texas and Southwest Arkansas, from Antlers, Idabel and Broken Bow to Paris, De Queen and Mena.";
