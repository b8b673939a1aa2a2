//! One synthetic listing: a name, description, contact details, address, location, hours,
//! service area, links and flags, all parsed through the domain's value types exactly as
//! real input would be.
//!
//! Phones are only ever in the fictional 555-0100..555-0199 range, addresses on the web and
//! by mail only at example.com / example.net, so no real person can be reached through
//! generated data.

use super::catalog::{Hours, Leaf, Naming};
use super::rng::Rng;
use super::towns::{self, Town};
use super::words;
use kbc_domain::DomainError;
use kbc_domain::directory::{NewBusiness, OpeningHours, SocialNetwork};
use kbc_domain::values::{BusinessName, CityName, Email, GeoPoint, Phone, Plan, Slug, WebUrl, Zip};

/// Generated timestamps count back from here (2025-01-01T00:00:00Z), so a seed reproduces
/// the same data whenever it runs.
pub const BASE_TIME: i64 = 1_735_689_600;
const DAY: i64 = 86_400;

pub struct Listing {
    pub business: NewBusiness,
    pub created_at: i64,
}

pub fn generate(
    rng: &mut Rng,
    leaf: &Leaf,
    category_id: i64,
    town: &Town,
) -> Result<Listing, DomainError> {
    let name = name(rng, leaf, town);
    // The web and mail label: the name, plus the town unless the name already says it.
    let label = if name.contains(town.name) {
        name.clone()
    } else {
        format!("{name} {}", town.name)
    };
    let label = Slug::from_text(&label).expect("generated names contain letters");
    let street = if rng.percent(85) {
        format!("{} {}", rng.between(100, 2999), rng.pick(words::STREETS))
    } else {
        String::new()
    };
    let description = description(rng, leaf, town, &street);
    let phone = rng
        .percent(92)
        .then(|| format!("({}) 555-01{:02}", town.area_code, rng.below(100)));
    let email = rng.percent(75).then(|| {
        format!(
            "{}@{}",
            truncated(label.as_str(), 48),
            rng.pick(words::EMAIL_DOMAINS)
        )
    });
    let website = rng
        .percent(60)
        .then(|| format!("https://{}.example.com", truncated(label.as_str(), 63)));
    let (service_radius_km, service_areas) = if leaf.travels {
        let radius = rng.between(5, 16) * 5;
        let areas: Vec<&Town> = towns::neighbours(town, radius as f64)
            .into_iter()
            .take(4)
            .collect();
        (Some(radius as u32), areas)
    } else {
        (None, Vec::new())
    };
    let social_links = social_links(rng, &label)?;
    let keyword_count = rng.between(3, 6) as usize;
    let keywords = rng
        .sample(leaf.keywords, keyword_count)
        .into_iter()
        .map(|k| (*k).to_owned())
        .collect();
    let rating = rng.percent(70).then(|| {
        let average = 3.0 + rng.below(21) as f64 / 10.0;
        let count = 1 + rng.below(60) + rng.below(4) * rng.below(60);
        (average, count as u32)
    });
    let hours = if rng.percent(92) {
        weekly_hours(rng, leaf.hours)?
    } else {
        Vec::new()
    };
    let verified = rng.percent(30);
    let published = !rng.percent(3);
    // About one published listing in a hundred pays, two in five of those for premium. The
    // draws come last so every other value stays what it was before plans existed.
    let paid = published && rng.percent(1);
    let created_at = BASE_TIME - rng.below(3 * 365) as i64 * DAY - rng.below(DAY as u64) as i64;
    let plan = match (paid, paid && rng.percent(40)) {
        (true, true) => Plan::Premium,
        (true, false) => Plan::Plus,
        (false, _) => Plan::Free,
    };

    let business = NewBusiness {
        name: BusinessName::parse("name", &name)?,
        description,
        category_id,
        phone: phone.map(|p| Phone::parse("phone", &p)).transpose()?,
        email: email.map(|e| Email::parse("email", &e)).transpose()?,
        website: website.map(|w| WebUrl::parse("website", &w)).transpose()?,
        street,
        city: CityName::parse("city", town.name)?,
        state: town.state,
        zip: Some(Zip::parse("zip", town.zip)?),
        location: Some(jittered(rng, town)?),
        service_radius_km,
        service_areas: service_areas
            .iter()
            .map(|t| CityName::parse("service_areas", t.name))
            .collect::<Result<_, _>>()?,
        hours,
        social_links,
        keywords,
        rating,
        verified,
        featured: false,
        published,
        plan,
    };
    Ok(Listing {
        business,
        created_at,
    })
}

fn name(rng: &mut Rng, leaf: &Leaf, town: &Town) -> String {
    let trade = rng.pick(leaf.trades);
    let place = match rng.below(10) {
        0..=4 => town.name,
        5..=7 => rng.pick(words::REGIONAL),
        _ => rng.pick(words::NATURE),
    };
    if leaf.naming == Naming::Place {
        return format!("{place} {trade}");
    }
    let surname = rng.pick(words::SURNAMES);
    match rng.below(20) {
        0..=5 => format!("{} {trade}", possessive(surname)),
        6..=9 => format!("{surname} {trade}"),
        10..=11 => format!("{surname} & Sons {trade}"),
        12 => format!("{surname} Family {trade}"),
        13 => format!("{surname} & {} {trade}", rng.pick(words::SURNAMES)),
        _ => format!("{place} {trade}"),
    }
}

/// "Walker's", but "Rogers'".
fn possessive(name: &str) -> String {
    if name.ends_with('s') {
        format!("{name}'")
    } else {
        format!("{name}'s")
    }
}

fn description(rng: &mut Rng, leaf: &Leaf, town: &Town, street: &str) -> String {
    let neighbour = towns::neighbours(town, 120.0)
        .first()
        .map_or("the county", |t| t.name);
    let year = (1955 + rng.below(68)).to_string();
    let mut sentences = vec![*rng.pick(leaf.phrases)];
    for _ in 0..rng.below(3) {
        let phrase = *rng.pick(words::GENERIC_PHRASES);
        let unusable = phrase.contains("{street}") && street.is_empty();
        if !unusable && !sentences.contains(&phrase) {
            sentences.push(phrase);
        }
    }
    sentences
        .join(" ")
        .replace("{town}", town.name)
        .replace("{state}", town.state.code())
        .replace("{year}", &year)
        .replace("{neighbour}", neighbour)
        .replace("{street}", street)
}

fn social_links(rng: &mut Rng, label: &Slug) -> Result<Vec<(SocialNetwork, WebUrl)>, DomainError> {
    let mut links = Vec::new();
    if !rng.percent(40) {
        return Ok(links);
    }
    // Handles carry a `kbc-demo` prefix so they never name a real page.
    if rng.percent(90) {
        let url = format!("https://www.facebook.com/kbc-demo-{label}");
        links.push((SocialNetwork::Facebook, WebUrl::parse("social", &url)?));
    }
    if links.is_empty() || rng.percent(30) {
        let handle = truncated(label.as_str(), 20).replace('-', "_");
        let url = format!("https://www.instagram.com/kbc_demo_{handle}");
        links.push((SocialNetwork::Instagram, WebUrl::parse("social", &url)?));
    }
    Ok(links)
}

/// A point within a few kilometres of the town centre.
fn jittered(rng: &mut Rng, town: &Town) -> Result<GeoPoint, DomainError> {
    let round = |v: f64| (v * 100_000.0).round() / 100_000.0;
    let latitude = round(town.latitude + rng.signed_unit() * 0.035);
    let longitude = round(town.longitude + rng.signed_unit() * 0.04);
    Ok(GeoPoint::new("location", latitude, longitude)?)
}

/// The week of a kind of business, every time shifted by the same -30..+30 minutes so
/// neighbours do not all open on the hour.
fn weekly_hours(rng: &mut Rng, style: Hours) -> Result<Vec<OpeningHours>, DomainError> {
    const H: u16 = 60;
    const WEEKDAYS: [u8; 5] = [1, 2, 3, 4, 5];
    let mut week: Vec<(u8, u16, u16)> = Vec::new();
    let mut days = |days: &[u8], opens: u16, closes: u16| {
        week.extend(days.iter().map(|&day| (day, opens, closes)));
    };
    match style {
        Hours::Retail => {
            days(&WEEKDAYS, 9 * H, 18 * H);
            days(&[6], 9 * H, 17 * H);
            if rng.percent(30) {
                days(&[0], 13 * H, 17 * H);
            }
        }
        Hours::Restaurant => {
            days(&[1, 2, 3, 4], 11 * H, 21 * H);
            days(&[5, 6], 11 * H, 22 * H);
            if rng.percent(50) {
                days(&[0], 11 * H, 15 * H);
            }
        }
        Hours::Breakfast => {
            days(&[1, 2, 3, 4, 5, 6], 6 * H, 14 * H);
            days(&[0], 7 * H, 13 * H);
        }
        Hours::Bakery => days(&[2, 3, 4, 5, 6], 5 * H + 30, 13 * H),
        Hours::LateNight => {
            days(&[2, 3, 4], 11 * H, 23 * H);
            // Friday and Saturday run past midnight: closing 02:00 the next day.
            days(&[5, 6], 11 * H, 26 * H);
        }
        Hours::Trade => {
            days(&WEEKDAYS, 7 * H, 17 * H);
            if rng.percent(40) {
                days(&[6], 8 * H, 12 * H);
            }
        }
        Hours::Office => {
            if rng.percent(40) {
                days(&WEEKDAYS, 8 * H, 12 * H);
                days(&WEEKDAYS, 13 * H, 17 * H);
            } else {
                days(&WEEKDAYS, 8 * H + 30, 17 * H);
            }
        }
        Hours::Clinic => {
            days(&WEEKDAYS, 8 * H, 17 * H);
            if rng.percent(30) {
                days(&[6], 9 * H, 12 * H);
            }
        }
        Hours::Church => {
            days(&[0], 9 * H + 30, 12 * H);
            days(&[0], 18 * H, 19 * H + 30);
            days(&[3], 18 * H + 30, 20 * H);
        }
        Hours::AroundTheClock => days(&[0, 1, 2, 3, 4, 5, 6], 0, 24 * H),
        Hours::Outdoors => days(&[0, 1, 2, 3, 4, 5, 6], 5 * H, 19 * H),
        Hours::Grocery => days(&[0, 1, 2, 3, 4, 5, 6], 7 * H, 22 * H),
        Hours::Farm => {
            days(&WEEKDAYS, 7 * H + 30, 17 * H + 30);
            days(&[6], 7 * H + 30, 12 * H);
        }
        Hours::Salon => days(&[2, 3, 4, 5, 6], 9 * H, 17 * H),
        Hours::ChildCare => days(&WEEKDAYS, 6 * H + 30, 18 * H),
        Hours::Venue => {
            days(&[5], 16 * H, 24 * H);
            days(&[6], 10 * H, 24 * H);
            days(&[0], 12 * H, 18 * H);
        }
    }
    let around_the_clock = style == Hours::AroundTheClock;
    let shift = if around_the_clock {
        0
    } else {
        rng.between(0, 4) as i32 * 15 - 30
    };
    week.into_iter()
        .map(|(day, opens, closes)| {
            let opens = (i32::from(opens) + shift).clamp(0, 1439) as u16;
            let closes = (i32::from(closes) + shift).clamp(i32::from(opens) + 1, 2880) as u16;
            Ok(OpeningHours::new(day, opens, closes)?)
        })
        .collect()
}

/// At most `max` bytes of a slug (ASCII), without a trailing hyphen.
fn truncated(slug: &str, max: usize) -> &str {
    slug[..slug.len().min(max)].trim_end_matches('-')
}

#[cfg(test)]
mod tests {
    use super::possessive;

    #[test]
    fn possessives_of_names_ending_in_s_take_only_an_apostrophe() {
        assert_eq!(possessive("Walker"), "Walker's");
        assert_eq!(possessive("Rogers"), "Rogers'");
    }
}
