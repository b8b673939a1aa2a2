//! What the facts read on a website offer a listing: one value per field, in the closed set
//! of [`Field`]s, with the confidence its source earns and the snippet it was read from. The
//! domain checks each value by the listing's own rules when it is offered. The page's name
//! and images are not offered: renaming a listing is its owner's call, and photos are
//! uploaded by people (their rights are not the website's to give).

use kbc_domain::directory::SocialNetwork;
use kbc_domain::suggestions::{Field, week_text};
use kbc_scrape::extract::{Facts, Finding};

/// One value for one field.
#[derive(Debug, Clone, PartialEq)]
pub struct Offer {
    pub field: Field,
    pub value: String,
    pub confidence: f64,
    pub evidence: String,
}

impl Offer {
    fn from<T>(field: Field, value: String, finding: &Finding<T>) -> Self {
        Self {
            field,
            value,
            confidence: finding.source.confidence(),
            evidence: finding.evidence.clone(),
        }
    }
}

/// The offers `facts` make, in the order the fields are listed in [`Field::ALL`].
pub fn offers(facts: &Facts) -> Vec<Offer> {
    let mut offers = Vec::new();
    let text = |field: Field, finding: &Option<Finding<String>>| {
        finding
            .as_ref()
            .filter(|f| !f.value.trim().is_empty())
            .map(|f| Offer::from(field, f.value.trim().to_owned(), f))
    };
    offers.extend(text(Field::Description, &facts.description));
    offers.extend(text(Field::Phone, &facts.phones.first().cloned()));
    offers.extend(text(Field::Email, &facts.emails.first().cloned()));
    offers.extend(text(Field::Street, &facts.street));
    offers.extend(text(Field::City, &facts.city));
    offers.extend(text(Field::State, &facts.state));
    offers.extend(text(Field::Zip, &facts.zip));
    if let Some(geo) = &facts.geo {
        let (lat, lon) = geo.value;
        offers.push(Offer::from(
            Field::Location,
            format!("{lat:.5},{lon:.5}"),
            geo,
        ));
    }
    if let Some(hours) = &facts.hours {
        // A day the page does not mention is a day the business is closed.
        let week = hours.value.clone().map(|day| day.unwrap_or_default());
        let value = week_text(&week);
        if !value.is_empty() {
            offers.push(Offer::from(Field::Hours, value, hours));
        }
    }
    for network in SocialNetwork::ALL {
        let found = facts.social.iter().find(|f| f.value.0 == network.as_str());
        if let Some(found) = found {
            offers.push(Offer::from(
                Field::Social(network),
                found.value.1.clone(),
                found,
            ));
        }
    }
    offers
}

#[cfg(test)]
mod tests {
    use super::*;
    use kbc_scrape::extract::Source;

    fn found<T>(value: T, source: Source) -> Finding<T> {
        Finding {
            value,
            source,
            evidence: "evidence".into(),
        }
    }

    #[test]
    fn each_field_is_offered_once_with_its_sources_confidence() {
        let facts = Facts {
            phones: vec![
                found("(580) 555-0142".to_owned(), Source::JsonLd),
                found("(580) 555-0199".to_owned(), Source::Link),
            ],
            zip: Some(found("74745".to_owned(), Source::Microdata)),
            social: vec![
                found(
                    ("facebook", "https://www.facebook.com/ridgeline".to_owned()),
                    Source::JsonLd,
                ),
                found(
                    ("facebook", "https://www.facebook.com/other".to_owned()),
                    Source::Link,
                ),
            ],
            ..Facts::default()
        };
        let offered = offers(&facts);
        let fields: Vec<&str> = offered.iter().map(|o| o.field.as_str()).collect();
        assert_eq!(fields, ["phone", "zip", "facebook"]);
        assert_eq!(offered[0].value, "(580) 555-0142");
        assert_eq!(offered[0].confidence, Source::JsonLd.confidence());
        assert_eq!(offered[2].value, "https://www.facebook.com/ridgeline");
    }

    #[test]
    fn hours_become_a_week_with_unmentioned_days_closed() {
        let mut week: [Option<String>; 7] = Default::default();
        week[1] = Some("8:00-17:00".into());
        week[6] = Some("closed".into());
        let facts = Facts {
            hours: Some(found(week, Source::Text)),
            geo: Some(found((34.0123456, -94.7), Source::JsonLd)),
            ..Facts::default()
        };
        let offered = offers(&facts);
        assert_eq!(offered[0].field, Field::Location);
        assert_eq!(offered[0].value, "34.01235,-94.70000");
        assert_eq!(offered[1].field, Field::Hours);
        assert_eq!(
            offered[1].value,
            "Mon 8:00-17:00; Tue closed; Wed closed; Thu closed; Fri closed; Sat closed; Sun closed"
        );
    }

    #[test]
    fn a_page_without_facts_offers_nothing() {
        assert!(offers(&Facts::default()).is_empty());
    }
}
