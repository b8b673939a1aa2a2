//! One listing: contact, hours with "open now", service area, photos, structured data and the request form.

use super::*;

/// A listing as its page shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BusinessView {
    pub slug: String,
    /// Where a click on call, website or directions is counted (`<a ping>`, no script).
    pub ping_url: String,
    pub name: String,
    pub paragraphs: Vec<String>,
    pub category: String,
    pub category_url: String,
    pub city_url: String,
    pub street: String,
    pub locality: String,
    pub phone: Option<(String, String)>,
    pub email: Option<String>,
    pub website: Option<String>,
    pub map_url: Option<String>,
    pub hours: Vec<HoursRow>,
    pub open_now: Option<(bool, String)>,
    /// Holidays and other dated exceptions ahead: (date, hours).
    pub special_hours: Vec<(String, String)>,
    pub service_radius: Option<String>,
    pub service_cities: Vec<String>,
    pub social: Vec<(String, String)>,
    pub keywords: Vec<String>,
    pub photos: Vec<(String, String)>,
    /// The page its owner published, if any.
    pub page_url: Option<String>,
    pub rating: Option<String>,
    pub verified: bool,
    pub featured: bool,
}

impl BusinessView {
    fn new(b: &BusinessDetail, now: i64) -> Self {
        let network_label = |network: &str| {
            let mut label = network.to_owned();
            if let Some(first) = label.get_mut(0..1) {
                first.make_ascii_uppercase();
            }
            label
        };
        Self {
            ping_url: urls::ping(&b.slug),
            slug: b.slug.clone(),
            name: b.name.clone(),
            paragraphs: b.description.split("\n").map(str::trim).filter(|p| !p.is_empty()).map(str::to_owned).collect(),
            category: b.category.name.clone(),
            category_url: urls::category(&b.category.slug),
            city_url: urls::city(&b.address.city_slug),
            street: b.address.street.clone(),
            locality: format!("{}, {} {}", b.address.city, b.address.state, b.address.zip).trim().to_owned(),
            phone: b.phone.clone().zip(b.phone_display.clone()),
            email: b.email.clone(),
            website: b.website.as_deref().and_then(view::external_link),
            map_url: b.location.map(|p| {
                format!(
                    "https://www.openstreetmap.org/?mlat={lat:.5}&mlon={lon:.5}#map=16/{lat:.5}/{lon:.5}",
                    lat = p.latitude,
                    lon = p.longitude
                )
            }),
            hours: view::hours_table(&b.hours, now),
            open_now: view::open_now(&b.hours, &b.special_days, now),
            special_hours: view::special_hours(&b.special_days, now, 10),
            service_radius: b
                .service_area
                .radius_km
                .map(|km| format!("Serves about {km} km around {}", b.address.city)),
            service_cities: b.service_area.cities.clone(),
            social: b
                .social_links
                .iter()
                .filter_map(|link| {
                    let label = network_label(link.network.as_str());
                    view::external_link(&link.url).map(|url| (label, url))
                })
                .collect(),
            keywords: b.keywords.clone(),
            photos: b.photos.iter().map(|p| (urls::image(&p.key), p.alt.clone())).collect(),
            page_url: b.has_page.then(|| urls::business_page(&b.slug)),
            rating: b.rating.filter(|r| r.count > 0).map(|r| format!("★ {:.1} from {} reviews", r.average, r.count)),
            verified: b.is_verified,
            featured: b.is_featured,
        }
    }
}

#[derive(Template)]
#[template(path = "business.html")]
pub struct BusinessPage {
    pub meta: Meta,
    pub business: BusinessView,
    pub lead: FormState,
    pub lead_sent: bool,
    pub lead_action: String,
    /// "Is this your business?": claiming it on the app.
    pub claim_url: String,
}

impl BusinessPage {
    /// The page of a public listing; `lead` carries a failed lead form back for correction.
    pub async fn load(
        db: &impl Database,
        site: &Site,
        slug: &str,
        lead: FormState,
        lead_sent: bool,
    ) -> DomainResult<Option<Self>> {
        let Ok(slug) = Slug::parse("slug", slug) else {
            return Ok(None);
        };
        let Some(detail) = directory::find_public(db, &slug).await? else {
            return Ok(None);
        };
        let path = urls::business(&detail.slug);
        let description = if detail.description.is_empty() {
            format!(
                "{} — {} in {}, {}.",
                detail.name, detail.category.name, detail.address.city, detail.address.state
            )
        } else {
            detail.description.clone()
        };
        let mut meta = Meta::new(
            site,
            format!(
                "{} — {} in {}, {}",
                detail.name, detail.category.name, detail.address.city, detail.address.state
            ),
            description,
            &path,
            "",
        );
        meta.og_type = "business.business";
        meta.og_image = detail
            .photos
            .first()
            .map(|p| format!("{}{}", site.origin, urls::image(&p.key)));
        meta.json_ld = Some(seo::script_json(&seo::local_business(
            &detail,
            &meta.canonical,
            &site.origin,
        )));
        Ok(Some(Self {
            meta,
            lead_action: format!("/api/v1/businesses/{}/leads", detail.slug),
            claim_url: urls::claim(&site.app_origin, &detail.slug),
            business: BusinessView::new(&detail, site.now),
            lead,
            lead_sent,
        }))
    }

    pub fn html(&self) -> String {
        render(self)
    }
}
