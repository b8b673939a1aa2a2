//! Facts a business's page states about itself — name, description, phones, emails, address,
//! map location, weekly hours, social profiles, images — read in one streaming pass of
//! lol_html from schema.org JSON-LD, schema.org microdata, `tel:`/`mailto:`/social links,
//! OpenGraph meta tags and the visible text, each finding with its source and a snippet of
//! where it was read. When sources disagree the more deliberate one wins (JSON-LD, then
//! microdata, links, OpenGraph, text). Work is bounded on any input and nothing panics.

use crate::hours_text::{self, Week};
use encoding_rs::Encoding;
use lol_html::html_content::{Element, EndTag, TextChunk, TextType};
use lol_html::{
    AsciiCompatibleEncoding, HtmlRewriter, MemorySettings, Settings, doc_text, element,
};
use serde_json::{Map, Value};
use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;
use url::Url;

/// Bytes of a page read at all; facts sit near the top, and the fetcher caps bodies anyway.
const MOST_HTML: usize = 4 << 20;
/// Bytes fed to the parser at a time, so a huge page streams instead of being tokenized whole.
const CHUNK: usize = 64 << 10;
/// The parser's own buffers (a tag split across chunks); past this the rest of the page is dropped.
const MOST_PARSER_MEMORY: usize = 8 << 20;
const MOST_SCRIPT: usize = 256 << 10;
const MOST_SCRIPTS: usize = 32;
const MOST_JSON_NODES: usize = 2_000;
const MOST_JSON_DEPTH: usize = 12;
/// Visible text kept for reading hours.
const MOST_TEXT: usize = 64 << 10;
/// Open elements followed at once (microdata scopes and values, templates, scripts).
const MOST_FRAMES: usize = 256;
/// Text kept for one microdata value.
const MOST_CAPTURE: usize = 4 << 10;
const MOST_DESCRIPTION: usize = 2_000;
const MOST_EVIDENCE: usize = 200;
/// Findings kept per list (phones, emails, social profiles, images).
const MOST_LISTED: usize = 20;
/// Values of one JSON-LD property read (`telephone`, `openingHoursSpecification`, …).
const MOST_VALUES: usize = 64;

/// Where a finding was read; the more deliberate the markup, the more it is believed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    JsonLd,
    Microdata,
    OpenGraph,
    Link,
    Text,
}

impl Source {
    /// How far a finding from this source is believed, for the suggestion's confidence.
    pub fn confidence(self) -> f64 {
        match self {
            Source::JsonLd => 0.97,
            Source::Microdata => 0.95,
            Source::Link => 0.9,
            Source::OpenGraph => 0.75,
            Source::Text => 0.7,
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Finding<T> {
    pub value: T,
    pub source: Source,
    /// a short snippet (≤ 200 chars) of where it was read, whitespace collapsed
    pub evidence: String,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Facts {
    pub name: Option<Finding<String>>,
    pub description: Option<Finding<String>>,
    /// As written (the caller parses them with the domain's Phone type).
    pub phones: Vec<Finding<String>>,
    pub emails: Vec<Finding<String>>,
    pub street: Option<Finding<String>>,
    pub city: Option<Finding<String>>,
    pub state: Option<Finding<String>>,
    pub zip: Option<Finding<String>>,
    /// Latitude, longitude.
    pub geo: Option<Finding<(f64, f64)>>,
    /// Weekly hours, index 0 = Sunday … 6 = Saturday; each day `None` (not stated),
    /// `Some("closed")`, or `Some("8:00-17:00")` / `Some("8:00-12:00, 13:00-17:30")` — 24-hour
    /// H:MM spans, comma-separated.
    pub hours: Option<Finding<[Option<String>; 7]>>,
    /// (network, absolute URL): network one of "facebook", "instagram", "x", "youtube",
    /// "tiktok", "linkedin", "yelp", "google".
    pub social: Vec<Finding<(&'static str, String)>>,
    /// Absolute URLs.
    pub images: Vec<Finding<String>>,
}

/// The facts `html` (raw bytes in `encoding`) states; `page` resolves relative URLs. Never
/// panics, bounded work on any input.
pub fn extract(html: &[u8], encoding: &'static Encoding, page: &Url) -> Facts {
    let html = html.get(..MOST_HTML).unwrap_or(html);
    let read = match AsciiCompatibleEncoding::new(encoding) {
        Some(ascii_compatible) => parse(html, ascii_compatible, page),
        None => {
            // lol_html reads ASCII-compatible encodings only: UTF-16 is decoded first.
            let (text, _) = encoding.decode_with_bom_removal(html);
            parse(text.as_bytes(), AsciiCompatibleEncoding::utf_8(), page)
        }
    };
    read.into_facts(page)
}

fn parse(html: &[u8], encoding: AsciiCompatibleEncoding, page_url: &Url) -> Page {
    let state = Rc::new(RefCell::new(Page::default()));
    let elements = {
        let state = Rc::clone(&state);
        move |el: &mut Element| {
            on_element(&state, el, page_url);
            Ok(())
        }
    };
    let texts = {
        let state = Rc::clone(&state);
        move |chunk: &mut TextChunk| {
            if let Ok(mut page) = state.try_borrow_mut() {
                page.on_text(chunk.as_str(), chunk.text_type());
            }
            Ok(())
        }
    };
    let settings = Settings::new()
        .with_encoding(encoding)
        .with_strict(false)
        .with_memory_settings(
            MemorySettings::new().with_max_allowed_memory_usage(MOST_PARSER_MEMORY),
        )
        .append_element_content_handler(element!("*", elements))
        .append_document_content_handler(doc_text!(texts));
    let mut rewriter = HtmlRewriter::new(settings, |_: &[u8]| {});
    // On a parser error (its memory cap) what was read so far still counts.
    if html
        .chunks(CHUNK)
        .all(|chunk| rewriter.write(chunk).is_ok())
    {
        let _ = rewriter.end();
    } else {
        drop(rewriter);
    }
    let mut page = state
        .try_borrow_mut()
        .map(|mut page| std::mem::take(&mut *page))
        .unwrap_or_default();
    while let Some(frame) = page.frames.pop() {
        page.finish(frame);
    }
    page
}

fn on_element(state: &Rc<RefCell<Page>>, el: &mut Element, page_url: &Url) {
    let Ok(mut page) = state.try_borrow_mut() else {
        return;
    };
    let tag = el.tag_name();
    match tag.as_str() {
        "td" | "th" => page.push_text("\t"),
        "address" | "article" | "aside" | "blockquote" | "br" | "dd" | "div" | "dl" | "dt"
        | "footer" | "form" | "h1" | "h2" | "h3" | "h4" | "h5" | "h6" | "header" | "hr" | "li"
        | "main" | "nav" | "ol" | "p" | "section" | "table" | "tr" | "ul" => page.push_text("\n"),
        _ => {}
    }
    match tag.as_str() {
        "script" => {
            let json_ld = el
                .get_attribute("type")
                .is_some_and(|t| t.trim().eq_ignore_ascii_case("application/ld+json"));
            if json_ld && page.scripts < MOST_SCRIPTS {
                page.scripts += 1;
                page.open(el, state, FrameKind::Script(String::new()));
            }
        }
        "template" if page.open(el, state, FrameKind::Hidden) => page.hidden += 1,
        "meta" => page.meta(el, page_url),
        "a" => page.link(el, page_url),
        _ => {}
    }
    page.microdata(el, &tag, state, page_url);
}

/// What the parser collected, by source, before the sources are ranked.
#[derive(Default)]
struct Page {
    frames: Vec<Frame>,
    next_id: u64,
    /// Open `<template>`s: their text is not shown.
    hidden: usize,
    scripts: usize,
    json_ld: Vec<String>,
    text: String,
    /// Whether the first business itemscope was seen (later ones are other businesses).
    business_seen: bool,
    micro: Facts,
    micro_latitude: Option<(f64, String)>,
    micro_longitude: Option<(f64, String)>,
    micro_hours: Vec<String>,
    links: Facts,
    open_graph: Facts,
    og_title: Option<Finding<String>>,
    meta_description: Option<Finding<String>>,
    og_latitude: Option<(f64, String)>,
    og_longitude: Option<(f64, String)>,
}

/// An element whose end matters: its content is a value, is hidden, or is JSON-LD.
struct Frame {
    id: u64,
    kind: FrameKind,
}

enum FrameKind {
    Scope(Role),
    Capture {
        owner: Role,
        props: Vec<String>,
        text: String,
        /// A `tel:`/`mailto:` href, for an anchor whose text turns out empty.
        href: Option<String>,
    },
    Hidden,
    Script(String),
}

/// Which thing a microdata scope describes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Role {
    Business,
    Address,
    Geo,
    Other,
}

impl Page {
    /// Pushes a frame closed by the element's end tag; false for elements without content.
    fn open(&mut self, el: &mut Element, state: &Rc<RefCell<Page>>, kind: FrameKind) -> bool {
        // Unclosed elements pile up; past this depth they are not followed at all.
        if self.frames.len() >= MOST_FRAMES {
            return false;
        }
        let id = self.next_id;
        let state = Rc::clone(state);
        let closed = el.on_end_tag(Box::new(move |_: &mut EndTag<'_>| {
            if let Ok(mut page) = state.try_borrow_mut() {
                page.close(id);
            }
            Ok(())
        }));
        if closed.is_err() {
            return false;
        }
        self.next_id += 1;
        self.frames.push(Frame { id, kind });
        true
    }

    /// Closes frame `id` and any left open inside it (lol_html does not report the ends of
    /// implicitly closed elements).
    fn close(&mut self, id: u64) {
        if !self.frames.iter().any(|frame| frame.id == id) {
            return;
        }
        while let Some(frame) = self.frames.pop() {
            let done = frame.id == id;
            self.finish(frame);
            if done {
                break;
            }
        }
    }

    fn finish(&mut self, frame: Frame) {
        match frame.kind {
            FrameKind::Script(text) => self.json_ld.push(text),
            FrameKind::Hidden => self.hidden = self.hidden.saturating_sub(1),
            FrameKind::Capture {
                owner,
                props,
                text,
                href,
            } => {
                let text = collapse(&decode_entities(&text));
                let value = if text.is_empty() {
                    href.unwrap_or_default()
                } else {
                    text
                };
                for prop in &props {
                    self.record_micro(owner, prop, &value);
                }
            }
            FrameKind::Scope(_) => {}
        }
    }

    fn on_text(&mut self, text: &str, kind: TextType) {
        match kind {
            TextType::ScriptData => {
                if let Some(Frame {
                    kind: FrameKind::Script(script),
                    ..
                }) = self.frames.last_mut()
                {
                    // A script too long to be read whole is dropped rather than read cut; the
                    // NUL marks it so later chunks are not appended to nothing.
                    if script.starts_with('\u{0}') {
                    } else if script.len() + text.len() <= MOST_SCRIPT {
                        script.push_str(text);
                    } else {
                        script.clear();
                        script.push('\u{0}');
                    }
                }
            }
            TextType::Data if self.hidden == 0 => {
                self.push_text(text);
                for frame in &mut self.frames {
                    if let FrameKind::Capture { text: capture, .. } = &mut frame.kind {
                        let room = MOST_CAPTURE.saturating_sub(capture.len());
                        capture.push_str(hours_text::prefix(text, room));
                    }
                }
            }
            _ => {}
        }
    }

    fn push_text(&mut self, text: &str) {
        let room = MOST_TEXT.saturating_sub(self.text.len());
        self.text.push_str(hours_text::prefix(text, room));
    }

    /// OpenGraph and other `<meta>` facts.
    fn meta(&mut self, el: &Element, page_url: &Url) {
        let Some(key) = el
            .get_attribute("property")
            .or_else(|| el.get_attribute("name"))
        else {
            return;
        };
        let Some(content) = el.get_attribute("content") else {
            return;
        };
        let key = key.trim().to_ascii_lowercase();
        let value = collapse(&decode_entities(&content));
        if value.is_empty() {
            return;
        }
        let evidence = snippet(&format!("<meta {key} content=\"{value}\">"));
        let found = |value: String| Finding {
            value,
            source: Source::OpenGraph,
            evidence: evidence.clone(),
        };
        let og = &mut self.open_graph;
        match key.as_str() {
            "og:site_name" => set(&mut og.name, found(value)),
            "og:title" => set(&mut self.og_title, found(value)),
            "og:description" => set(&mut og.description, found(cap(&value, MOST_DESCRIPTION))),
            "description" => set(
                &mut self.meta_description,
                found(cap(&value, MOST_DESCRIPTION)),
            ),
            "og:image" | "og:image:url" | "og:image:secure_url" => {
                if let Some(url) = absolute(page_url, &value) {
                    add_image(&mut og.images, found(url));
                }
            }
            "business:contact_data:street_address" => set(&mut og.street, found(value)),
            "business:contact_data:locality" => set(&mut og.city, found(value)),
            "business:contact_data:region" => set(&mut og.state, found(value)),
            "business:contact_data:postal_code" => set(&mut og.zip, found(value)),
            "business:contact_data:phone_number" => add_phone(&mut og.phones, found(value)),
            "business:contact_data:email" => {
                if let Some(email) = email(&value) {
                    add_email(&mut og.emails, found(email));
                }
            }
            "place:location:latitude" => {
                self.og_latitude = coordinate(&value).map(|c| (c, evidence))
            }
            "place:location:longitude" => {
                self.og_longitude = coordinate(&value).map(|c| (c, evidence));
            }
            _ => {}
        }
    }

    /// `tel:`, `mailto:` and social-profile anchors.
    fn link(&mut self, el: &Element, page_url: &Url) {
        let Some(href) = el.get_attribute("href") else {
            return;
        };
        let href = decode_entities(href.trim());
        let evidence = snippet(&format!("<a href=\"{href}\">"));
        let found = |value| Finding {
            value,
            source: Source::Link,
            evidence: evidence.clone(),
        };
        if let Some(number) = strip_prefix_ignore_case(&href, "tel:") {
            let number = percent_decode(number).trim().to_owned();
            add_phone(&mut self.links.phones, found(number));
        } else if strip_prefix_ignore_case(&href, "mailto:").is_some() {
            for address in mailto(&href) {
                add_email(&mut self.links.emails, found(address));
            }
        } else if let Some(profile) = page_url.join(&href).ok().and_then(|url| social(&url)) {
            add_social(
                &mut self.links.social,
                Finding {
                    value: profile,
                    source: Source::Link,
                    evidence,
                },
            );
        }
    }

    /// schema.org microdata: the first business `itemscope` and the properties inside it.
    fn microdata(
        &mut self,
        el: &mut Element,
        tag: &str,
        state: &Rc<RefCell<Page>>,
        page_url: &Url,
    ) {
        let itemprop = el.get_attribute("itemprop");
        let itemscope = el.has_attribute("itemscope");
        if itemprop.is_none() && !itemscope {
            return;
        }
        let props: Vec<String> = itemprop
            .unwrap_or_default()
            .split_whitespace()
            .map(str::to_ascii_lowercase)
            .collect();
        let owner = self.frames.iter().rev().find_map(|frame| match frame.kind {
            FrameKind::Scope(role) => Some(role),
            _ => None,
        });
        if itemscope {
            let types = el.get_attribute("itemtype").unwrap_or_default();
            let has = |name: &str| props.iter().any(|p| p == name);
            let role = if !self.business_seen
                && owner != Some(Role::Business)
                && microdata_business(&types)
            {
                self.business_seen = true;
                Role::Business
            } else if owner == Some(Role::Business) && has("address") {
                Role::Address
            } else if owner == Some(Role::Business) && has("geo") {
                Role::Geo
            } else {
                Role::Other
            };
            self.open(el, state, FrameKind::Scope(role));
            return;
        }
        let Some(owner) = owner.filter(|role| *role != Role::Other) else {
            return;
        };
        let url_like = props
            .iter()
            .any(|p| matches!(p.as_str(), "image" | "logo" | "sameas" | "url"));
        let attribute = el
            .get_attribute("content")
            .or_else(|| {
                url_like
                    .then(|| el.get_attribute("src").or_else(|| el.get_attribute("href")))
                    .flatten()
            })
            .or_else(|| {
                (tag == "time")
                    .then(|| el.get_attribute("datetime"))
                    .flatten()
            })
            .or_else(|| {
                matches!(tag, "data" | "meter")
                    .then(|| el.get_attribute("value"))
                    .flatten()
            });
        if let Some(value) = attribute {
            let value = collapse(&decode_entities(&value));
            let value = if url_like {
                absolute(page_url, &value).unwrap_or(value)
            } else {
                value
            };
            for prop in &props {
                self.record_micro(owner, prop, &value);
            }
            return;
        }
        let href = el
            .get_attribute("href")
            .filter(|h| {
                strip_prefix_ignore_case(h, "tel:").is_some()
                    || strip_prefix_ignore_case(h, "mailto:").is_some()
            })
            .map(|h| percent_decode(&h));
        let capture = FrameKind::Capture {
            owner,
            props,
            text: String::new(),
            href,
        };
        self.open(el, state, capture);
    }

    fn record_micro(&mut self, owner: Role, prop: &str, value: &str) {
        let value = value.trim();
        if value.is_empty() {
            return;
        }
        let evidence = snippet(&format!("itemprop=\"{prop}\": {value}"));
        let found = |value: String| Finding {
            value,
            source: Source::Microdata,
            evidence: evidence.clone(),
        };
        let micro = &mut self.micro;
        match (owner, prop) {
            (Role::Business, "name") => set(&mut micro.name, found(value.to_owned())),
            (Role::Business, "description") => {
                set(&mut micro.description, found(cap(value, MOST_DESCRIPTION)));
            }
            (Role::Business, "telephone") => {
                let number = strip_prefix_ignore_case(value, "tel:")
                    .unwrap_or(value)
                    .trim();
                add_phone(&mut micro.phones, found(number.to_owned()));
            }
            (Role::Business, "email") => {
                if let Some(email) = email(value) {
                    add_email(&mut micro.emails, found(email));
                }
            }
            (Role::Business, "openinghours") => self.micro_hours.push(value.to_owned()),
            (Role::Business, "image" | "logo") if value.starts_with("http") => {
                add_image(&mut micro.images, found(value.to_owned()));
            }
            (Role::Business, "sameas") => {
                if let Some(profile) = Url::parse(value).ok().and_then(|url| social(&url)) {
                    add_social(
                        &mut micro.social,
                        found_pair(profile, Source::Microdata, &evidence),
                    );
                }
            }
            (Role::Business, "address") => set_address(micro, value, Source::Microdata, &evidence),
            (Role::Address, "streetaddress") => set(&mut micro.street, found(value.to_owned())),
            (Role::Address, "addresslocality") => set(&mut micro.city, found(value.to_owned())),
            (Role::Address, "addressregion") => set(&mut micro.state, found(value.to_owned())),
            (Role::Address, "postalcode") => set(&mut micro.zip, found(value.to_owned())),
            (Role::Geo, "latitude") => {
                self.micro_latitude = coordinate(value).map(|c| (c, evidence))
            }
            (Role::Geo, "longitude") => {
                self.micro_longitude = coordinate(value).map(|c| (c, evidence))
            }
            _ => {}
        }
    }

    /// Ranks the sources into the page's facts.
    fn into_facts(mut self, page_url: &Url) -> Facts {
        let mut facts = json_ld(&self.json_ld, page_url);

        if let Some(week) = hours_text::parse(&self.micro_hours.join("\n")) {
            let evidence = snippet(&format!(
                "itemprop=\"openingHours\": {}",
                self.micro_hours.join("; ")
            ));
            self.micro.hours = Some(Finding {
                value: week,
                source: Source::Microdata,
                evidence,
            });
        }
        self.micro.geo = geo(self.micro_latitude, self.micro_longitude, Source::Microdata);
        facts.merge(self.micro);

        facts.merge(self.links);

        let og = &mut self.open_graph;
        if og.name.is_none() {
            og.name = self.og_title;
        }
        if og.description.is_none() {
            og.description = self.meta_description;
        }
        og.geo = geo(self.og_latitude, self.og_longitude, Source::OpenGraph);
        facts.merge(self.open_graph);

        let text = decode_entities(&self.text);
        if let Some((week, range)) = hours_text::parse_located(&text) {
            let evidence = snippet(text.get(range).unwrap_or_default());
            let text_facts = Facts {
                hours: Some(Finding {
                    value: week,
                    source: Source::Text,
                    evidence,
                }),
                ..Facts::default()
            };
            facts.merge(text_facts);
        }
        facts
    }
}

impl Facts {
    /// Adds what `later` (a less believed source) states and this does not.
    fn merge(&mut self, later: Facts) {
        let single = |mine: &mut Option<_>, theirs: Option<_>| {
            if mine.is_none() {
                *mine = theirs;
            }
        };
        single(&mut self.name, later.name);
        single(&mut self.description, later.description);
        single(&mut self.street, later.street);
        single(&mut self.city, later.city);
        single(&mut self.state, later.state);
        single(&mut self.zip, later.zip);
        if self.geo.is_none() {
            self.geo = later.geo;
        }
        if self.hours.is_none() {
            self.hours = later.hours;
        }
        later
            .phones
            .into_iter()
            .for_each(|p| add_phone(&mut self.phones, p));
        later
            .emails
            .into_iter()
            .for_each(|e| add_email(&mut self.emails, e));
        later
            .social
            .into_iter()
            .for_each(|s| add_social(&mut self.social, s));
        later
            .images
            .into_iter()
            .for_each(|i| add_image(&mut self.images, i));
    }
}

fn set(slot: &mut Option<Finding<String>>, finding: Finding<String>) {
    if slot.is_none() && !finding.value.is_empty() {
        *slot = Some(finding);
    }
}

fn add_unique<T>(list: &mut Vec<Finding<T>>, finding: Finding<T>, key: impl Fn(&T) -> String) {
    let new = key(&finding.value);
    if list.len() < MOST_LISTED && !new.is_empty() && list.iter().all(|f| key(&f.value) != new) {
        list.push(finding);
    }
}

fn add_phone(list: &mut Vec<Finding<String>>, finding: Finding<String>) {
    let digits = finding.value.chars().filter(char::is_ascii_digit).count();
    if (7..=15).contains(&digits) {
        add_unique(list, finding, |number| {
            let digits: String = number.chars().filter(char::is_ascii_digit).collect();
            // +1 (580) 555-0123 and 580-555-0123 are one number.
            match digits.strip_prefix('1') {
                Some(national) if digits.len() == 11 => national.to_owned(),
                _ => digits,
            }
        });
    }
}

fn add_email(list: &mut Vec<Finding<String>>, finding: Finding<String>) {
    add_unique(list, finding, |email| email.to_lowercase());
}

fn add_image(list: &mut Vec<Finding<String>>, finding: Finding<String>) {
    add_unique(list, finding, String::clone);
}

fn add_social(
    list: &mut Vec<Finding<(&'static str, String)>>,
    finding: Finding<(&'static str, String)>,
) {
    add_unique(list, finding, |(network, url)| {
        let url = url.to_lowercase();
        let bare = url.strip_prefix("https://").unwrap_or(&url);
        format!("{network} {}", bare.strip_prefix("www.").unwrap_or(bare))
    });
}

fn found_pair(
    value: (&'static str, String),
    source: Source,
    evidence: &str,
) -> Finding<(&'static str, String)> {
    Finding {
        value,
        source,
        evidence: evidence.to_owned(),
    }
}

fn geo(
    latitude: Option<(f64, String)>,
    longitude: Option<(f64, String)>,
    source: Source,
) -> Option<Finding<(f64, f64)>> {
    let ((latitude, lat_evidence), (longitude, lng_evidence)) = (latitude?, longitude?);
    valid_geo(latitude, longitude).then(|| Finding {
        value: (latitude, longitude),
        source,
        evidence: snippet(&format!("{lat_evidence} {lng_evidence}")),
    })
}

fn valid_geo(latitude: f64, longitude: f64) -> bool {
    (-90.0..=90.0).contains(&latitude)
        && (-180.0..=180.0).contains(&longitude)
        && !(latitude == 0.0 && longitude == 0.0)
}

fn coordinate(text: &str) -> Option<f64> {
    text.trim().parse::<f64>().ok().filter(|c| c.is_finite())
}

/// Street, city, state and ZIP out of one line ("123 Main St, Hugo, OK 74743").
fn set_address(facts: &mut Facts, text: &str, source: Source, evidence: &str) {
    let mut parts: Vec<&str> = text
        .split([',', '\n'])
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .collect();
    if parts.last().is_some_and(|p| {
        ["usa", "us", "united states", "united states of america"]
            .contains(&p.to_lowercase().as_str())
    }) {
        parts.pop();
    }
    let found = |value: &str| Finding {
        value: value.to_owned(),
        source,
        evidence: evidence.to_owned(),
    };
    let is_zip = |word: &str| {
        let (five, plus) = word.split_once('-').unwrap_or((word, "0000"));
        five.len() == 5
            && plus.len() == 4
            && five.bytes().chain(plus.bytes()).all(|b| b.is_ascii_digit())
    };
    if parts.len() >= 2
        && let Some(last) = parts.pop()
    {
        let words: Vec<&str> = last.split_whitespace().collect();
        match words.split_last() {
            Some((zip, state)) if is_zip(zip) => {
                set(&mut facts.zip, found(zip));
                if state.is_empty() {
                    if parts.len() >= 2
                        && let Some(state) = parts.pop()
                    {
                        set(&mut facts.state, found(state));
                    }
                } else {
                    set(&mut facts.state, found(&state.join(" ")));
                }
            }
            _ => set(&mut facts.state, found(last)),
        }
    }
    if parts.len() >= 2
        && let Some(city) = parts.pop()
    {
        set(&mut facts.city, found(city));
    }
    if !parts.is_empty() {
        set(&mut facts.street, found(&parts.join(", ")));
    }
}

/// The social network a profile URL belongs to, and the URL as kept; None for share buttons,
/// plugins, pixels, posts and anything not a profile.
pub(crate) fn social(url: &Url) -> Option<(&'static str, String)> {
    if !matches!(url.scheme(), "http" | "https") {
        return None;
    }
    let host = url.host_str()?.to_ascii_lowercase();
    let base = ["www.", "m.", "mobile.", "web.", "business."]
        .iter()
        .find_map(|sub| host.strip_prefix(sub))
        .unwrap_or(&host);
    let path = url.path().trim_end_matches('/');
    let first = path
        .trim_start_matches('/')
        .split('/')
        .next()
        .unwrap_or_default()
        .to_ascii_lowercase();
    let mut keep_query = false;
    let network = match base {
        "facebook.com" | "fb.com" | "fb.me" => {
            const NOT_PAGES: &[&str] = &[
                "sharer.php",
                "sharer",
                "share.php",
                "share",
                "dialog",
                "plugins",
                "tr",
                "l.php",
                "login",
                "login.php",
                "hashtag",
                "watch",
                "photo.php",
                "photo",
                "permalink.php",
                "story.php",
                "privacy",
                "policies",
                "help",
                "events",
            ];
            let versioned = first.starts_with('v') && first.contains('.');
            if first.is_empty() || versioned || NOT_PAGES.contains(&first.as_str()) {
                return None;
            }
            keep_query = first == "profile.php";
            "facebook"
        }
        "instagram.com" => {
            if first.is_empty()
                || ["p", "reel", "reels", "explore", "accounts", "stories", "tv"]
                    .contains(&first.as_str())
            {
                return None;
            }
            "instagram"
        }
        "twitter.com" | "x.com" => {
            if first.is_empty()
                || [
                    "intent", "share", "home", "search", "hashtag", "i", "login", "signup",
                ]
                .contains(&first.as_str())
            {
                return None;
            }
            "x"
        }
        "youtube.com"
            if first.starts_with('@') || ["channel", "c", "user"].contains(&first.as_str()) =>
        {
            "youtube"
        }
        "tiktok.com" if first.starts_with('@') => "tiktok",
        "linkedin.com" if ["company", "in", "school", "showcase"].contains(&first.as_str()) => {
            "linkedin"
        }
        "yelp.com" if first == "biz" => "yelp",
        "g.page" | "maps.app.goo.gl" => "google",
        "goo.gl" if first == "maps" => "google",
        "google.com" if first == "maps" => {
            keep_query = true;
            "google"
        }
        _ if base.starts_with("maps.google.") => {
            keep_query = true;
            "google"
        }
        _ => return None,
    };
    let host = host
        .strip_prefix("m.")
        .map_or(host.clone(), |bare| format!("www.{bare}"));
    let query = url
        .query()
        .filter(|q| keep_query && !q.is_empty())
        .map(|q| format!("?{q}"))
        .unwrap_or_default();
    Some((network, format!("https://{host}{path}{query}")))
}

/// The addresses of a `mailto:` link, without its `?subject=…`.
fn mailto(href: &str) -> Vec<String> {
    let addresses = strip_prefix_ignore_case(href, "mailto:").unwrap_or_default();
    let addresses = addresses.split('?').next().unwrap_or_default();
    percent_decode(addresses)
        .split(',')
        .filter_map(email)
        .collect()
}

/// An email address as kept, or None when the text is not one.
fn email(text: &str) -> Option<String> {
    let text = text.trim();
    let text = strip_prefix_ignore_case(text, "mailto:")
        .unwrap_or(text)
        .trim();
    let text = text.split('?').next().unwrap_or_default();
    let (local, domain) = text.split_once('@')?;
    let fits = !local.is_empty()
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !domain.contains('@')
        && text.len() <= 254
        && !text
            .chars()
            .any(|c| c.is_whitespace() || "<>()[]\\,;:\"".contains(c));
    fits.then(|| text.to_owned())
}

fn strip_prefix_ignore_case<'a>(text: &'a str, prefix: &str) -> Option<&'a str> {
    let head = text.get(..prefix.len())?;
    head.eq_ignore_ascii_case(prefix)
        .then(|| text.get(prefix.len()..))
        .flatten()
}

/// `%20` and friends in an href; malformed escapes stay as written.
fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        let hex = |at: usize| bytes.get(at).and_then(|h| (*h as char).to_digit(16));
        match (b, hex(i + 1), hex(i + 2)) {
            (b'%', Some(high), Some(low)) => {
                out.push((high * 16 + low) as u8);
                i += 3;
            }
            _ => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// An absolute http(s) URL for `href` on the page.
fn absolute(page_url: &Url, href: &str) -> Option<String> {
    let url = page_url.join(href.trim()).ok()?;
    matches!(url.scheme(), "http" | "https").then(|| url.to_string())
}

/// Whitespace collapsed to single spaces.
fn collapse(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// At most `most` characters of `text`, marked with an ellipsis when cut.
fn cap(text: &str, most: usize) -> String {
    if text.chars().count() <= most {
        return text.to_owned();
    }
    let mut cut: String = text.chars().take(most.saturating_sub(1)).collect();
    cut.push('…');
    cut
}

/// Evidence: collapsed and at most 200 characters.
fn snippet(text: &str) -> String {
    cap(&collapse(text), MOST_EVIDENCE)
}

/// HTML character references (lol_html hands text and attributes over as written).
fn decode_entities(text: &str) -> String {
    if !text.contains('&') {
        return text.to_owned();
    }
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find('&') {
        out.push_str(rest.get(..at).unwrap_or_default());
        rest = rest.get(at..).unwrap_or_default();
        let reference = rest
            .get(1..)
            .and_then(|after| {
                after
                    .find(';')
                    .filter(|end| *end <= 32)
                    .map(|end| (after, end))
            })
            .and_then(|(after, end)| Some((after.get(..end)?, end)));
        match reference.and_then(|(name, end)| Some((entity(name)?, end))) {
            Some((c, end)) => {
                out.push(c);
                rest = rest.get(end + 2..).unwrap_or_default();
            }
            None => {
                out.push('&');
                rest = rest.get(1..).unwrap_or_default();
            }
        }
    }
    out.push_str(rest);
    out
}

fn entity(name: &str) -> Option<char> {
    if let Some(number) = name.strip_prefix('#') {
        let code = match number.strip_prefix(['x', 'X']) {
            Some(hex) => u32::from_str_radix(hex, 16).ok()?,
            None => number.parse::<u32>().ok()?,
        };
        return char::from_u32(code)
            .filter(|c| *c != '\0')
            .or(Some('\u{FFFD}'));
    }
    Some(match name {
        "amp" => '&',
        "lt" => '<',
        "gt" => '>',
        "quot" => '"',
        "apos" => '\'',
        "nbsp" => ' ',
        "ndash" => '–',
        "mdash" => '—',
        "lsquo" => '‘',
        "rsquo" => '’',
        "ldquo" => '“',
        "rdquo" => '”',
        "hellip" => '…',
        "bull" => '•',
        "middot" => '·',
        "copy" => '©',
        "reg" => '®',
        "trade" => '™',
        "eacute" => 'é',
        "egrave" => 'è',
        "aacute" => 'á',
        "ntilde" => 'ñ',
        "ouml" => 'ö',
        "uuml" => 'ü',
        "auml" => 'ä',
        "ccedil" => 'ç',
        _ => return None,
    })
}

/// schema.org types that are never the business a page is about.
const NOT_BUSINESS: &[&str] = &[
    "WebSite",
    "WebPage",
    "CollectionPage",
    "ContactPage",
    "AboutPage",
    "ItemPage",
    "FAQPage",
    "QAPage",
    "SearchResultsPage",
    "ProfilePage",
    "CheckoutPage",
    "MedicalWebPage",
    "WPHeader",
    "WPFooter",
    "WPSideBar",
    "SiteNavigationElement",
    "BreadcrumbList",
    "ListItem",
    "ItemList",
    "ImageObject",
    "VideoObject",
    "MediaObject",
    "Person",
    "SearchAction",
    "ReadAction",
    "Action",
    "Article",
    "BlogPosting",
    "NewsArticle",
    "Blog",
    "Comment",
    "CreativeWork",
    "Question",
    "Answer",
    "HowTo",
    "Recipe",
    "Product",
    "Offer",
    "AggregateOffer",
    "Review",
    "Rating",
    "AggregateRating",
    "PostalAddress",
    "GeoCoordinates",
    "OpeningHoursSpecification",
    "ContactPoint",
    "Event",
    "Service",
    "Brand",
    "EntryPoint",
    "PropertyValue",
    "Thing",
];

/// The schema.org type name of a type IRI or term (`https://schema.org/Plumber` → `Plumber`).
fn type_name(text: &str) -> &str {
    text.trim()
        .rsplit(['/', ':', '#'])
        .next()
        .unwrap_or_default()
}

fn microdata_business(itemtype: &str) -> bool {
    let types: Vec<&str> = itemtype
        .split_whitespace()
        .filter(|t| t.contains("schema.org"))
        .collect();
    !types.is_empty() && types.iter().all(|t| !NOT_BUSINESS.contains(&type_name(t)))
}

/// The facts the page's JSON-LD states about the business it describes.
fn json_ld(scripts: &[String], page_url: &Url) -> Facts {
    let mut nodes: Vec<Value> = Vec::new();
    for script in scripts {
        if let Some(value) = read_json(script) {
            nodes.push(value);
        }
    }
    let mut objects: Vec<&Map<String, Value>> = Vec::new();
    for value in &nodes {
        collect_objects(value, 0, &mut objects);
    }
    let ids: HashMap<&str, &Map<String, Value>> = objects
        .iter()
        .filter_map(|o| Some((o.get("@id")?.as_str()?, *o)))
        .filter(|(_, o)| o.len() > 1)
        .collect();
    // Businesses first: the node stating an address, phone, hours or location; then
    // organisations (WordPress's site-publisher node holds the logo and profiles).
    let mut candidates: Vec<(u8, &Map<String, Value>)> = objects
        .iter()
        .filter_map(|o| {
            let types = types(o.get("@type")?);
            if types.is_empty() || types.iter().any(|t| NOT_BUSINESS.contains(t)) {
                return None;
            }
            let stated = [
                "address",
                "telephone",
                "openingHours",
                "openingHoursSpecification",
                "geo",
            ]
            .iter()
            .any(|key| o.contains_key(*key));
            Some((u8::from(stated), *o))
        })
        .collect();
    candidates.sort_by_key(|(rank, _)| std::cmp::Reverse(*rank));
    let mut facts = Facts::default();
    for (_, node) in candidates {
        let mut from_node = Facts::default();
        read_business(node, &ids, page_url, &mut from_node);
        // Contact fields come whole from the first node stating them, never mixed across
        // businesses; profiles and images (the publisher's logo) add up.
        fill(&mut facts.phones, std::mem::take(&mut from_node.phones));
        fill(&mut facts.emails, std::mem::take(&mut from_node.emails));
        let has_address = facts.street.is_some() || facts.city.is_some() || facts.zip.is_some();
        if has_address {
            from_node.street = None;
            from_node.city = None;
            from_node.state = None;
            from_node.zip = None;
        }
        facts.merge(from_node);
    }
    facts
}

/// One JSON-LD script; sloppy wrappers (`<!-- -->`, CDATA) and raw newlines in strings are
/// forgiven, anything else unreadable is skipped.
fn read_json(script: &str) -> Option<Value> {
    let text = script.trim();
    let text = text.strip_prefix("<!--").unwrap_or(text);
    let text = text.strip_suffix("-->").unwrap_or(text).trim();
    let text = text.strip_prefix("//<![CDATA[").unwrap_or(text);
    let text = text.strip_suffix("//]]>").unwrap_or(text);
    serde_json::from_str(text).ok().or_else(|| {
        let flattened: String = text
            .chars()
            .map(|c| if c.is_control() { ' ' } else { c })
            .collect();
        serde_json::from_str(&flattened).ok()
    })
}

fn collect_objects<'a>(value: &'a Value, depth: usize, out: &mut Vec<&'a Map<String, Value>>) {
    if depth > MOST_JSON_DEPTH || out.len() >= MOST_JSON_NODES {
        return;
    }
    match value {
        Value::Object(object) => {
            if object.contains_key("@type") {
                out.push(object);
            }
            for child in object.values() {
                collect_objects(child, depth + 1, out);
            }
        }
        Value::Array(items) => {
            for item in items {
                collect_objects(item, depth + 1, out);
            }
        }
        _ => {}
    }
}

fn types(value: &Value) -> Vec<&str> {
    match value {
        Value::String(name) => vec![type_name(name)],
        Value::Array(names) => names
            .iter()
            .filter_map(Value::as_str)
            .map(type_name)
            .collect(),
        _ => Vec::new(),
    }
}

/// A node that is only a reference (`{"@id": "#address"}`) resolved to the node it names.
fn resolve<'a>(
    value: &'a Value,
    ids: &HashMap<&str, &'a Map<String, Value>>,
) -> Option<&'a Map<String, Value>> {
    let object = value.as_object()?;
    match object.get("@id").and_then(Value::as_str) {
        Some(id) if object.len() == 1 => ids.get(id).copied(),
        _ => Some(object),
    }
}

/// The values of a property that may be one value or an array.
fn many(value: Option<&Value>) -> Vec<&Value> {
    match value {
        Some(Value::Array(items)) => items.iter().take(MOST_VALUES).collect(),
        Some(value) => vec![value],
        None => Vec::new(),
    }
}

/// A text value (a string, or a number such as a ZIP code), entities decoded.
fn text_of(value: &Value) -> Option<String> {
    let text = match value {
        Value::String(text) => collapse(&decode_entities(text)),
        Value::Number(number) => number.to_string(),
        Value::Array(items) => return items.iter().find_map(text_of),
        _ => return None,
    };
    (!text.is_empty()).then_some(text)
}

fn number_of(value: Option<&Value>) -> Option<f64> {
    match value? {
        Value::Number(number) => number.as_f64(),
        Value::String(text) => coordinate(text),
        _ => None,
    }
}

fn json_evidence(key: &str, value: &Value) -> String {
    snippet(&format!("\"{key}\": {value}"))
}

fn read_business(
    node: &Map<String, Value>,
    ids: &HashMap<&str, &Map<String, Value>>,
    page_url: &Url,
    facts: &mut Facts,
) {
    let found = |key: &str, value: String| Finding {
        value,
        source: Source::JsonLd,
        evidence: node
            .get(key)
            .map(|v| json_evidence(key, v))
            .unwrap_or_default(),
    };
    if let Some(name) = node.get("name").and_then(text_of) {
        set(&mut facts.name, found("name", name));
    }
    if let Some(description) = node.get("description").and_then(text_of) {
        set(
            &mut facts.description,
            found("description", cap(&description, MOST_DESCRIPTION)),
        );
    }
    for phone in many(node.get("telephone")).into_iter().filter_map(text_of) {
        add_phone(&mut facts.phones, found("telephone", phone));
    }
    for address in many(node.get("email"))
        .into_iter()
        .filter_map(text_of)
        .filter_map(|e| email(&e))
    {
        add_email(&mut facts.emails, found("email", address));
    }
    if let Some(address) = many(node.get("address")).into_iter().next() {
        let evidence = json_evidence("address", address);
        match (resolve(address, ids), text_of(address)) {
            (Some(postal), _) => {
                let part = |key: &str| {
                    let value = match postal.get(key)? {
                        Value::Array(lines) => lines
                            .iter()
                            .filter_map(text_of)
                            .collect::<Vec<_>>()
                            .join(", "),
                        value => text_of(value)?,
                    };
                    Some(Finding {
                        value,
                        source: Source::JsonLd,
                        evidence: evidence.clone(),
                    })
                };
                let slots = [
                    (&mut facts.street, "streetAddress"),
                    (&mut facts.city, "addressLocality"),
                    (&mut facts.state, "addressRegion"),
                    (&mut facts.zip, "postalCode"),
                ];
                for (slot, key) in slots {
                    if let Some(finding) = part(key) {
                        set(slot, finding);
                    }
                }
            }
            (None, Some(line)) => set_address(facts, &line, Source::JsonLd, &evidence),
            (None, None) => {}
        }
    }
    if let Some(geo) = node.get("geo").and_then(|g| resolve(g, ids))
        && let (Some(latitude), Some(longitude)) = (
            number_of(geo.get("latitude")),
            number_of(geo.get("longitude")),
        )
        && valid_geo(latitude, longitude)
        && facts.geo.is_none()
    {
        facts.geo = Some(Finding {
            value: (latitude, longitude),
            source: Source::JsonLd,
            evidence: node
                .get("geo")
                .map(|v| json_evidence("geo", v))
                .unwrap_or_default(),
        });
    }
    if facts.hours.is_none() {
        facts.hours = hours_specification(node, ids).or_else(|| {
            let lines: Vec<String> = many(node.get("openingHours"))
                .into_iter()
                .filter_map(text_of)
                .collect();
            Some(Finding {
                value: hours_text::parse(&lines.join("\n"))?,
                source: Source::JsonLd,
                evidence: json_evidence("openingHours", node.get("openingHours")?),
            })
        });
    }
    for profile in many(node.get("sameAs"))
        .into_iter()
        .filter_map(Value::as_str)
    {
        if let Some(profile) = Url::parse(profile.trim()).ok().and_then(|url| social(&url)) {
            let evidence = json_evidence("sameAs", &Value::String(profile.1.clone()));
            add_social(
                &mut facts.social,
                found_pair(profile, Source::JsonLd, &evidence),
            );
        }
    }
    for key in ["image", "logo"] {
        for image in many(node.get(key)) {
            let url = match image {
                Value::String(url) => Some(url.as_str()),
                other => resolve(other, ids)
                    .and_then(|o| o.get("url").or_else(|| o.get("contentUrl")))
                    .and_then(Value::as_str),
            };
            if let Some(url) = url.and_then(|u| absolute(page_url, u)) {
                let evidence = json_evidence(key, &Value::String(url.clone()));
                add_image(
                    &mut facts.images,
                    Finding {
                        value: url,
                        source: Source::JsonLd,
                        evidence,
                    },
                );
            }
        }
    }
}

/// Weekly hours from `openingHoursSpecification`: several specifications for one day are split
/// shifts; opening and closing at 00:00 means closed; a specification for one date (a holiday)
/// is not part of the week.
fn hours_specification(
    node: &Map<String, Value>,
    ids: &HashMap<&str, &Map<String, Value>>,
) -> Option<Finding<Week>> {
    let specifications = node.get("openingHoursSpecification")?;
    let mut days: [Option<Vec<(u16, u16)>>; 7] = Default::default();
    for spec in many(Some(specifications))
        .into_iter()
        .filter_map(|s| resolve(s, ids))
    {
        let (from, through) = (spec.get("validFrom"), spec.get("validThrough"));
        if from.is_some() && from == through {
            continue;
        }
        let time = |key: &str| spec.get(key).and_then(Value::as_str);
        let (Some(opens), Some(closes)) = (time("opens"), time("closes")) else {
            continue;
        };
        let (Some(opens_at), Some(closes_at)) = (
            hours_text::clock_minutes(opens),
            hours_text::clock_minutes(closes),
        ) else {
            continue;
        };
        let closed = opens_at == 0 && closes_at == 0 && !closes.trim().starts_with("24");
        let named = many(spec.get("dayOfWeek"))
            .into_iter()
            .filter_map(Value::as_str);
        for day in named.filter_map(weekday) {
            if let Some(slot) = days.get_mut(day) {
                let spans = slot.get_or_insert_with(Vec::new);
                if !closed {
                    spans.push((opens_at, closes_at));
                }
            }
        }
    }
    if days.iter().all(Option::is_none) {
        return None;
    }
    Some(Finding {
        value: days.map(|spans| spans.map(|spans| hours_text::format_day(&spans))),
        source: Source::JsonLd,
        evidence: json_evidence("openingHoursSpecification", specifications),
    })
}

/// 0 = Sunday for a schema.org day (`Monday`, `https://schema.org/Monday`).
fn weekday(text: &str) -> Option<usize> {
    const DAYS: [&str; 7] = [
        "sunday",
        "monday",
        "tuesday",
        "wednesday",
        "thursday",
        "friday",
        "saturday",
    ];
    let name = type_name(text).to_ascii_lowercase();
    DAYS.iter().position(|day| *day == name)
}

/// Fills a list from a later node only when no earlier node stated it.
fn fill<T>(mine: &mut Vec<T>, theirs: Vec<T>) {
    if mine.is_empty() {
        *mine = theirs;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn profile(url: &str) -> Option<(&'static str, String)> {
        social(&Url::parse(url).unwrap())
    }

    #[test]
    fn social_profiles_are_told_from_share_buttons_and_posts() {
        assert_eq!(
            profile("https://facebook.com/profile.php?id=123&ref=x"),
            Some((
                "facebook",
                "https://facebook.com/profile.php?id=123&ref=x".to_owned()
            ))
        );
        assert_eq!(
            profile("http://twitter.com/acme/?utm_source=site"),
            Some(("x", "https://twitter.com/acme".to_owned()))
        );
        assert_eq!(profile("https://fb.me/acme").map(|p| p.0), Some("facebook"));
        assert_eq!(
            profile("https://maps.app.goo.gl/xyz").map(|p| p.0),
            Some("google")
        );
        for not_profile in [
            "https://www.facebook.com/sharer/sharer.php?u=x",
            "https://www.facebook.com/share.php?u=x",
            "https://www.facebook.com/v18.0/plugins/page.php",
            "https://www.facebook.com/tr?id=1",
            "https://www.instagram.com/p/Cx1/",
            "https://www.linkedin.com/shareArticle?url=x",
            "https://youtu.be/abc",
            "https://www.yelp.com/writeareview/biz/x",
            "https://example.com/facebook.com/acme",
            "ftp://facebook.com/acme",
        ] {
            assert_eq!(profile(not_profile), None, "{not_profile}");
        }
    }

    #[test]
    fn entities_are_decoded_and_unknown_ones_kept() {
        assert_eq!(
            decode_entities("Tom &amp; Jerry&rsquo;s &#8211; &#x41;"),
            "Tom & Jerry’s – A"
        );
        assert_eq!(decode_entities("AT&T &bogus; &"), "AT&T &bogus; &");
        assert_eq!(decode_entities("&#0; &#xFFFFFFFF;"), "\u{FFFD} \u{FFFD}");
    }

    #[test]
    fn a_one_line_address_splits_into_its_parts() {
        let mut facts = Facts::default();
        set_address(
            &mut facts,
            "12 Main St, Suite 4, Hugo, Oklahoma, 74743-1234",
            Source::Text,
            "",
        );
        assert_eq!(facts.street.unwrap().value, "12 Main St, Suite 4");
        assert_eq!(facts.city.unwrap().value, "Hugo");
        assert_eq!(facts.state.unwrap().value, "Oklahoma");
        assert_eq!(facts.zip.unwrap().value, "74743-1234");
    }

    #[test]
    fn emails_must_look_like_addresses() {
        assert_eq!(
            email(" mailto:Info@Acme.example?subject=hi"),
            Some("Info@Acme.example".into())
        );
        assert_eq!(email("info at acme dot com"), None);
        assert_eq!(email("@acme.example"), None);
        assert_eq!(email("info@localhost"), None);
        assert_eq!(
            mailto("mailto:a@x.example,b@y.example?cc=c@z.example"),
            ["a@x.example", "b@y.example"]
        );
    }

    #[test]
    fn evidence_is_collapsed_and_capped_at_200_characters() {
        assert_eq!(snippet("  a \n\t b  "), "a b");
        let long = snippet(&"é".repeat(500));
        assert_eq!(long.chars().count(), 200);
        assert!(long.ends_with('…'));
    }

    #[test]
    fn unclosed_itemprops_beyond_the_frame_cap_are_not_followed() {
        let mut html = String::from(
            r#"<div itemscope itemtype="https://schema.org/Store"><h1 itemprop="name">Acme</h1>"#,
        );
        html.push_str(&r#"<span itemprop="description">x"#.repeat(5_000));
        let facts = extract(
            html.as_bytes(),
            encoding_rs::UTF_8,
            &Url::parse("https://a.example/").unwrap(),
        );
        assert_eq!(facts.name.unwrap().value, "Acme");
    }
}
