//! Share cards: the image published with a post, rendered from our own HTML card template
//! (`kbc_meta::card`) by Cloudflare Browser Rendering's REST screenshot endpoint and kept in
//! R2 under `cards/{post}.png`. When rendering is not configured or fails, the listing's
//! cover photo goes instead, and without one the post goes as text with its link.

use crate::Facebook;
use kbc_domain::blob::{Blob, BlobStore, R2Store};
use kbc_domain::db::d1::D1;
use kbc_domain::facebook::queue::{self, Due};
use kbc_edge::http::{NoResponse, send_within, within};
use kbc_edge::runtime;
use kbc_meta::card::{self, Card};
use std::time::Duration;
use worker::{Headers, Method, Request, RequestInit};

/// How long a screenshot may take.
const RENDER_TIMEOUT: Duration = Duration::from_secs(30);
/// The largest image we accept back (Facebook takes up to 4 MB for a photo).
const MOST_IMAGE_BYTES: usize = 4 * 1024 * 1024;
/// The card's size: Facebook's recommended link-image ratio.
const WIDTH: u32 = 1200;
const HEIGHT: u32 = 630;

/// What goes with a post.
pub enum Media {
    Image {
        bytes: Vec<u8>,
        content_type: String,
        /// The R2 key of a rendered card; `None` for the cover photo.
        card_key: Option<String>,
    },
    Text,
}

impl Media {
    /// As the queue records it: card, cover or text.
    pub fn name(&self) -> &'static str {
        match self {
            Self::Image {
                card_key: Some(_), ..
            } => "card",
            Self::Image { .. } => "cover",
            Self::Text => "text",
        }
    }

    pub fn card_key(&self) -> Option<String> {
        match self {
            Self::Image { card_key, .. } => card_key.clone(),
            Self::Text => None,
        }
    }
}

/// The image for `post`: its share card, else its listing's cover photo, else none.
pub async fn media_for(db: &D1, facebook: &Facebook<'_>, post: &Due) -> Media {
    let about = post.subject_id.or(post.business_id);
    let subject = match about {
        Some(id) => queue::subject(db, id).await.ok().flatten(),
        None => None,
    };
    let store = facebook.env.bucket("MEDIA").ok().map(R2Store);
    let (headline, subline, category, place) = match &subject {
        Some(subject) => (
            subject.name.clone(),
            first_line(&post.body),
            subject.category.clone(),
            format!("{}, {}", subject.city, subject.state),
        ),
        None => (
            first_line(&post.body),
            String::new(),
            String::new(),
            "Southeast Oklahoma · Northeast Texas · Southwest Arkansas".to_owned(),
        ),
    };
    let html = card::html(&Card {
        headline: &headline,
        subline: &subline,
        category: &category,
        place: &place,
        brand: "Kiamichi Biz Connect",
    });
    if let (Some(renderer), Some(store)) = (Renderer::from_env(facebook), &store)
        && let Ok(bytes) = renderer.screenshot(&html).await
    {
        let key = format!("cards/{}.png", post.id);
        let blob = Blob {
            bytes: bytes.clone(),
            content_type: "image/png".into(),
        };
        if store.put(&key, blob).await.is_ok() {
            return Media::Image {
                bytes,
                content_type: "image/png".into(),
                card_key: Some(key),
            };
        }
    }
    let cover = match (
        subject.as_ref().and_then(|s| s.cover_key.as_deref()),
        &store,
    ) {
        (Some(key), Some(store)) => store.get(key).await.ok().flatten(),
        _ => None,
    };
    match cover {
        // Facebook takes JPEG and PNG photos; a WebP cover goes as a text post instead.
        Some(blob) if matches!(blob.content_type.as_str(), "image/jpeg" | "image/png") => {
            Media::Image {
                bytes: blob.bytes,
                content_type: blob.content_type,
                card_key: None,
            }
        }
        _ => Media::Text,
    }
}

/// The first line of a post, shortened for the card.
fn first_line(body: &str) -> String {
    let line = body
        .lines()
        .find(|l| !l.trim().is_empty())
        .unwrap_or_default();
    kbc_site::view::excerpt(line.trim(), 140)
}

/// Cloudflare Browser Rendering's screenshot endpoint, when configured.
struct Renderer {
    url: String,
    token: String,
}

impl Renderer {
    fn from_env(facebook: &Facebook<'_>) -> Option<Self> {
        let env = facebook.env;
        let base = runtime::var(env, "BROWSER_RENDERING_BASE")?;
        let account = runtime::var(env, "BROWSER_RENDERING_ACCOUNT_ID")?;
        let token = runtime::var(env, "BROWSER_RENDERING_TOKEN")?;
        Some(Self {
            url: format!(
                "{}/accounts/{account}/browser-rendering/screenshot",
                base.trim_end_matches('/')
            ),
            token,
        })
    }

    /// The PNG of `html` at the card's size.
    async fn screenshot(&self, html: &str) -> Result<Vec<u8>, String> {
        let body = serde_json::json!({
            "html": html,
            "viewport": { "width": WIDTH, "height": HEIGHT },
            "screenshotOptions": { "type": "png" },
        })
        .to_string();
        let headers = Headers::new();
        let set = headers
            .set("Authorization", &format!("Bearer {}", self.token))
            .is_ok()
            && headers.set("Content-Type", "application/json").is_ok();
        let mut init = RequestInit::new();
        init.with_method(Method::Post)
            .with_headers(headers)
            .with_body(Some(body.into()));
        let request = match Request::new_with_init(&self.url, &init) {
            Ok(request) if set => request,
            _ => return Err("the rendering address is not valid".into()),
        };
        let mut response = match send_within(request, RENDER_TIMEOUT).await {
            Ok(response) => response,
            Err(NoResponse::TimedOut) => return Err("rendering timed out".into()),
            Err(NoResponse::Unreachable(_)) => return Err("rendering could not be reached".into()),
        };
        let status = response.status_code();
        let is_png = response
            .headers()
            .get("Content-Type")
            .ok()
            .flatten()
            .is_some_and(|t| t.starts_with("image/png"));
        if status != 200 || !is_png {
            return Err(format!("rendering answered {status}"));
        }
        match within(RENDER_TIMEOUT, response.bytes()).await {
            Some(Ok(bytes)) if bytes.len() <= MOST_IMAGE_BYTES && bytes.starts_with(b"\x89PNG") => {
                Ok(bytes)
            }
            _ => Err("the rendered image was unreadable".into()),
        }
    }
}
