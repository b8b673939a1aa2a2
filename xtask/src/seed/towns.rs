//! The real towns of the Kiamichi country that synthetic listings are placed in, with their
//! approximate centres, a ZIP code of the town and its telephone area code.

use kbc_domain::values::{GeoPoint, StateCode};

pub struct Town {
    pub name: &'static str,
    pub state: StateCode,
    pub zip: &'static str,
    pub area_code: u16,
    pub latitude: f64,
    pub longitude: f64,
    /// Relative share of listings, roughly following population.
    pub weight: u32,
}

impl Town {
    pub fn centre(&self) -> GeoPoint {
        GeoPoint {
            latitude: self.latitude,
            longitude: self.longitude,
        }
    }
}

const fn town(
    name: &'static str,
    state: StateCode,
    zip: &'static str,
    area_code: u16,
    latitude: f64,
    longitude: f64,
    weight: u32,
) -> Town {
    Town {
        name,
        state,
        zip,
        area_code,
        latitude,
        longitude,
        weight,
    }
}

use StateCode::{Arkansas as AR, Oklahoma as OK, Texas as TX};

pub const TOWNS: &[Town] = &[
    town("McAlester", OK, "74501", 918, 34.9334, -95.7697, 18),
    town("Durant", OK, "74701", 580, 33.9940, -96.3708, 18),
    town("Paris", TX, "75460", 903, 33.6609, -95.5555, 20),
    town("Poteau", OK, "74953", 918, 35.0537, -94.6236, 9),
    town("Idabel", OK, "74745", 580, 33.8957, -94.8266, 7),
    town("Hugo", OK, "74743", 580, 34.0107, -95.5097, 6),
    town("Mena", AR, "71953", 479, 34.5862, -94.2397, 6),
    town("De Queen", AR, "71832", 870, 34.0379, -94.3413, 6),
    town("Broken Bow", OK, "74728", 580, 34.0293, -94.7391, 5),
    town("Ashdown", AR, "71822", 870, 33.6743, -94.1310, 4),
    town("Atoka", OK, "74525", 580, 34.3856, -96.1283, 4),
    town("Clarksville", TX, "75426", 903, 33.6101, -95.0527, 4),
    town("Heavener", OK, "74937", 918, 34.8890, -94.6008, 3),
    town("Wilburton", OK, "74578", 918, 34.9198, -95.3080, 3),
    town("Antlers", OK, "74523", 580, 34.2312, -95.6200, 3),
    town("Stigler", OK, "74462", 918, 35.2537, -95.1230, 3),
    town("Hochatown", OK, "74728", 580, 34.1715, -94.7516, 3),
    town("Coalgate", OK, "74538", 580, 34.5384, -96.2186, 2),
    town("Talihina", OK, "74571", 918, 34.7515, -95.0480, 2),
    town("Valliant", OK, "74764", 580, 34.0029, -95.0930, 1),
    town("Clayton", OK, "74536", 918, 34.5876, -95.3561, 1),
    town("Wright City", OK, "74766", 580, 34.0640, -95.0050, 1),
];

/// Picks a town with probability proportional to its weight.
pub fn weighted(rng: &mut super::rng::Rng) -> &'static Town {
    let total: u32 = TOWNS.iter().map(|t| t.weight).sum();
    let mut ticket = rng.below(u64::from(total)) as u32;
    for town in TOWNS {
        if ticket < town.weight {
            return town;
        }
        ticket -= town.weight;
    }
    unreachable!("the ticket is below the total weight")
}

/// Other towns within `radius_km` of `home`, nearest first.
pub fn neighbours(home: &Town, radius_km: f64) -> Vec<&'static Town> {
    let mut near: Vec<(f64, &'static Town)> = TOWNS
        .iter()
        .filter(|t| t.name != home.name)
        .map(|t| (home.centre().distance_km(t.centre()), t))
        .filter(|(distance, _)| *distance <= radius_km)
        .collect();
    near.sort_by(|a, b| a.0.total_cmp(&b.0));
    near.into_iter().map(|(_, t)| t).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use kbc_domain::values::{CityName, Zip};

    #[test]
    fn every_town_parses_and_lies_in_the_region() {
        for town in TOWNS {
            CityName::parse("city", town.name).unwrap();
            Zip::parse("zip", town.zip).unwrap();
            assert!((33.3..35.5).contains(&town.latitude), "{}", town.name);
            assert!((-96.5..-93.8).contains(&town.longitude), "{}", town.name);
        }
    }

    #[test]
    fn neighbours_are_near_and_sorted() {
        let broken_bow = TOWNS.iter().find(|t| t.name == "Broken Bow").unwrap();
        let near = neighbours(broken_bow, 40.0);
        assert_eq!(near[0].name, "Hochatown");
        assert!(near.iter().all(|t| t.name != "Broken Bow"));
        assert!(near.iter().all(|t| t.name != "McAlester"));
    }
}
