//! Word lists the generator composes names, streets and descriptions from. Everything here
//! is generic: common surnames, local geography, ordinary street names.

/// Common American surnames, for family businesses.
#[rustfmt::skip]
pub const SURNAMES: &[&str] = &[
    "Adams", "Allen", "Anderson", "Bailey", "Baker", "Bell", "Bennett", "Brooks", "Brown",
    "Campbell", "Carter", "Clark", "Cole", "Coleman", "Collins", "Cook", "Cooper", "Cox",
    "Davis", "Edwards", "Evans", "Fisher", "Flores", "Ford", "Foster", "Garcia", "Gonzalez",
    "Graham", "Gray", "Green", "Hall", "Hamilton", "Harris", "Hayes", "Henderson", "Hernandez",
    "Hill", "Howard", "Hughes", "Jackson", "Jenkins", "Johnson", "Jones", "Jordan", "Kelly",
    "King", "Lewis", "Long", "Lopez", "Marshall", "Martin", "Martinez", "McDaniel", "Miller",
    "Mitchell", "Moore", "Morgan", "Morris", "Murphy", "Myers", "Nelson", "Nguyen", "Owens",
    "Parker", "Patterson", "Perry", "Peterson", "Phillips", "Powell", "Price", "Ramirez",
    "Reed", "Reynolds", "Richardson", "Rivera", "Roberts", "Rogers", "Ross", "Russell",
    "Sanders", "Scott", "Simmons", "Smith", "Stewart", "Sullivan", "Taylor", "Thomas",
    "Thompson", "Tran", "Turner", "Walker", "Wallace", "Ward", "Watson", "West", "White",
    "Williams", "Wilson", "Wood", "Wright", "Young",
];

/// Rivers, mountains and lakes of the region, as businesses here like to be named.
#[rustfmt::skip]
pub const REGIONAL: &[&str] = &[
    "Kiamichi", "Red River", "Ouachita", "Little River", "Mountain Fork", "Glover River",
    "Jackfork", "Winding Stair", "Sardis Lake", "Boggy Creek", "Blue River", "Rich Mountain",
    "Talimena", "Potato Hills", "Sans Bois", "Cossatot", "Lake Texoma", "Broken Bow Lake",
    "Pine Creek", "Hugo Lake",
];

/// Landscape words that name places and businesses anywhere in the region.
#[rustfmt::skip]
pub const NATURE: &[&str] = &[
    "Twin Oaks", "Cedar Hollow", "Red Oak", "Pine Ridge", "Blue Heron", "Big Cedar",
    "Wild Turkey", "Rocky Creek", "Whispering Pines", "Dogwood", "Redbud", "Timberline",
    "Eagle Bluff", "Sugar Creek", "Three Forks", "Shady Grove",
];

/// Ordinary small-town street names (numbers are added by the generator).
#[rustfmt::skip]
pub const STREETS: &[&str] = &[
    "Main St", "E Main St", "W Main St", "N Broadway", "S Broadway", "Hwy 70", "US-271",
    "US-259", "Hwy 3", "Pine St", "Oak Ave", "Cedar St", "Elm St", "Church St", "Jackson St",
    "Washington Ave", "Lincoln Rd", "Park Dr", "Industrial Blvd", "Lake Rd", "Old Hwy 2",
    "Mill St", "Depot St", "College Ave", "Ranch Rd", "River Rd", "Airport Rd", "Locust St",
];

/// Closing sentences; `{town}`, `{state}`, `{year}` and `{neighbour}` are filled in.
pub const GENERIC_PHRASES: &[&str] = &[
    "Family owned and operated since {year}.",
    "Proudly serving {town} and the surrounding area.",
    "Locally owned in {town}, {state}.",
    "Serving {town}, {neighbour} and everywhere in between.",
    "Stop by and say hello; we are on {street}.",
    "Call ahead and we will have it ready.",
    "Veteran owned and community minded.",
    "Ask about our senior and military discounts.",
    "Open since {year} and still going strong.",
];

pub const EMAIL_DOMAINS: &[&str] = &["example.com", "example.net"];
