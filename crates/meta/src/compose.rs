//! Post texts for a Page from listing data, through fixed templates (no model): business
//! spotlights, blog shares, category highlights, engagement prompts and the weekly angles of
//! premium listings. And, when a model is configured, the prompt that asks it for a post and
//! the check its answer must pass before it replaces the template. Every text is plain,
//! says only what the listing says, and carries its link once, at the end.

use crate::clip;

/// The longest post we compose (the domain's `social_posts::MOST_CHARACTERS`).
pub const MOST_CHARACTERS: usize = 2000;
/// The longest description quoted in a post: people read a few lines on Facebook.
const MOST_DESCRIPTION_CHARS: usize = 400;
/// The longest name, category or place quoted.
const MOST_FIELD_CHARS: usize = 120;
/// The most businesses a category highlight names.
const MOST_NAMES: usize = 8;
/// What the model is asked to stay under.
pub const MODEL_MOST_CHARACTERS: usize = 600;

/// The listing facts a post may use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Listing<'a> {
    pub name: &'a str,
    pub category: &'a str,
    pub city: &'a str,
    pub state: &'a str,
    pub description: &'a str,
    pub phone: Option<&'a str>,
    /// The listing's page on the directory, linked once at the end.
    pub url: &'a str,
}

/// The weekly angles of a premium listing's posts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Angle {
    Services,
    Testimonial,
    Seasonal,
    Promotion,
    NewProduct,
    BehindTheScenes,
    Team,
    Community,
}

impl Angle {
    pub const ALL: [Angle; 8] = [
        Self::Services,
        Self::Testimonial,
        Self::Seasonal,
        Self::Promotion,
        Self::NewProduct,
        Self::BehindTheScenes,
        Self::Team,
        Self::Community,
    ];

    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Services => "services",
            Self::Testimonial => "testimonial",
            Self::Seasonal => "seasonal",
            Self::Promotion => "promotion",
            Self::NewProduct => "new_product",
            Self::BehindTheScenes => "behind_the_scenes",
            Self::Team => "team",
            Self::Community => "community",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|angle| angle.as_str() == raw)
    }

    /// The name owners read.
    pub fn label(self) -> &'static str {
        match self {
            Self::Services => "Services",
            Self::Testimonial => "Customer stories",
            Self::Seasonal => "Seasonal",
            Self::Promotion => "Offers",
            Self::NewProduct => "What's new",
            Self::BehindTheScenes => "Behind the scenes",
            Self::Team => "The team",
            Self::Community => "Community",
        }
    }
}

/// Whitespace (newlines included) collapsed to single spaces, cut to `max` characters.
fn one_line(text: &str, max: usize) -> String {
    clip(&text.split_whitespace().collect::<Vec<_>>().join(" "), max)
}

/// `body`, a blank line and `url`, within [`MOST_CHARACTERS`]: the body gives way.
fn with_link(body: &str, url: &str) -> String {
    let url = url.trim();
    if url.is_empty() {
        return clip(body, MOST_CHARACTERS);
    }
    let room = MOST_CHARACTERS.saturating_sub(url.chars().count() + 2);
    let text = format!("{}\n\n{url}", clip(body.trim(), room));
    clip(&text, MOST_CHARACTERS)
}

/// The listing's fields made fit to quote.
struct Facts {
    name: String,
    category: String,
    place: String,
    description: String,
    call: String,
}

impl Facts {
    fn of(listing: &Listing) -> Self {
        let city = one_line(listing.city, MOST_FIELD_CHARS);
        let state = one_line(listing.state, MOST_FIELD_CHARS);
        let place = match (city.is_empty(), state.is_empty()) {
            (false, false) => format!("{city}, {state}"),
            (false, true) => city,
            (true, _) => state,
        };
        let call = listing
            .phone
            .map(|phone| one_line(phone, 40))
            .filter(|phone| !phone.is_empty())
            .map(|phone| format!(" Call {phone}."))
            .unwrap_or_default();
        Self {
            name: one_line(listing.name, MOST_FIELD_CHARS),
            category: one_line(listing.category, MOST_FIELD_CHARS).to_lowercase(),
            place,
            description: one_line(listing.description, MOST_DESCRIPTION_CHARS),
            call,
        }
    }

    /// " in {place}" or nothing.
    fn in_place(&self) -> String {
        if self.place.is_empty() {
            String::new()
        } else {
            format!(" in {}", self.place)
        }
    }

    /// The description as its own paragraph, or nothing.
    fn about(&self) -> String {
        if self.description.is_empty() {
            String::new()
        } else {
            format!("\n\n{}", self.description)
        }
    }
}

/// A business spotlight: who they are, what they say about themselves, how to reach them.
pub fn spotlight(listing: &Listing) -> String {
    let facts = Facts::of(listing);
    let body = format!(
        "Local spotlight: {name}, {category}{in_place}.{about}\n\nSee their hours, photos and \
         details on Kiamichi Biz Connect.{call}",
        name = facts.name,
        category = facts.category,
        in_place = facts.in_place(),
        about = facts.about(),
        call = facts.call,
    );
    with_link(&body, listing.url)
}

/// A blog post shared to the Page.
pub fn blog_share(title: &str, excerpt: &str, url: &str) -> String {
    let title = one_line(title, 200);
    let excerpt = one_line(excerpt, MOST_DESCRIPTION_CHARS);
    let body = if excerpt.is_empty() {
        format!("New on the Kiamichi Biz Connect blog: {title}")
    } else {
        format!("New on the Kiamichi Biz Connect blog: {title}\n\n{excerpt}")
    };
    with_link(&body, url)
}

/// A category's businesses in one place, the first [`MOST_NAMES`] of them named.
pub fn category_highlight(category: &str, place: &str, names: &[&str], url: &str) -> String {
    let category = one_line(category, MOST_FIELD_CHARS);
    let place = one_line(place, MOST_FIELD_CHARS);
    let names: Vec<String> = names
        .iter()
        .map(|name| one_line(name, MOST_FIELD_CHARS))
        .filter(|name| !name.is_empty())
        .take(MOST_NAMES)
        .collect();
    let where_ = if place.is_empty() {
        "around the Kiamichi country".to_owned()
    } else {
        format!("in {place}")
    };
    let mut body = format!("Looking for {} {where_}?", category.to_lowercase());
    if !names.is_empty() {
        body.push_str(" Here are some local choices:\n");
        for name in &names {
            body.push_str("\n• ");
            body.push_str(name);
        }
    }
    body.push_str("\n\nSee them all, with hours and contact details, on Kiamichi Biz Connect.");
    with_link(&body, url)
}

const PROMPTS: [&str; 10] = [
    "What's your favorite spot along the Kiamichi River? Tell us in the comments!",
    "Where do you go for the best catfish in southeast Oklahoma? We're taking notes.",
    "Broken Bow Lake, Beavers Bend or somewhere only locals know: where do you spend a \
     Saturday outdoors?",
    "Have you driven the Talimena Scenic Drive this year? Share your favorite overlook!",
    "Which small-town diner serves the best breakfast between Antlers and Idabel?",
    "What's one local business you'd tell every newcomer about? Give them a shout-out below.",
    "Fall color in the Ouachitas, spring on the Red River: what's your favorite season around \
     here, and why?",
    "Paris, Texarkana, Hugo or Mena: which nearby town do you visit most, and what brings you \
     there?",
    "What's a tradition that makes the Kiamichi country feel like home to you?",
    "Which local festival or rodeo do you never miss? Tell us when it is so others can go too!",
];

/// A friendly question about life in the Kiamichi country (southeast Oklahoma, northeast
/// Texas, southwest Arkansas), a different one each day (days since the epoch).
pub fn engagement_prompt(day: i64) -> String {
    let count = i64::try_from(PROMPTS.len()).unwrap_or(1);
    let index = usize::try_from(day.rem_euclid(count)).unwrap_or(0);
    PROMPTS.get(index).copied().unwrap_or_default().to_owned()
}

/// The season of a month in the Kiamichi country, with something people do then.
fn season(month: u32) -> (&'static str, &'static str) {
    match month {
        3..=5 => (
            "spring",
            "the dogwoods are blooming and everyone's busy getting outdoors",
        ),
        6..=8 => ("summer", "the lakes are full and the days are long"),
        9..=11 => (
            "fall",
            "the hills are turning color and the evenings cool off",
        ),
        _ => (
            "winter",
            "folks are staying close to home and checking in on neighbors",
        ),
    }
}

fn month_name(month: u32) -> &'static str {
    match month {
        1 => "January",
        2 => "February",
        3 => "March",
        4 => "April",
        5 => "May",
        6 => "June",
        7 => "July",
        8 => "August",
        9 => "September",
        10 => "October",
        11 => "November",
        _ => "December",
    }
}

/// A premium listing's post for this week's angle; `month` (1–12) for the seasonal one.
pub fn angle_post(angle: Angle, listing: &Listing, month: u32) -> String {
    let facts = Facts::of(listing);
    let Facts { name, category, .. } = &facts;
    let (in_place, about, call) = (facts.in_place(), facts.about(), &facts.call);
    let body = match angle {
        Angle::Services => format!(
            "What can {name} do for you? They're a {category}{in_place}.{about}\n\nReach out to \
             ask about their services.{call}"
        ),
        Angle::Testimonial => format!(
            "Have you done business with {name}{in_place}? Share your experience in the comments: a \
             kind word goes a long way for a local business, and it helps your neighbors \
             choose.{about}"
        ),
        Angle::Seasonal => {
            let (season, scene) = season(month);
            format!(
                "{named} around here means {scene}. Whatever this {season} has in store, {name} \
                 ({category}){in_place} is ready to help.{about}{call}",
                named = month_name(month),
            )
        }
        Angle::Promotion => format!(
            "Thinking about trying {name}{in_place}? Ask about their current offers when you \
             get in touch.{call}{about}"
        ),
        Angle::NewProduct => format!(
            "What's new at {name}? Stop by or get in touch to see what this {category} has \
             going on lately.{call}{about}"
        ),
        Angle::BehindTheScenes => format!(
            "Ever wonder what goes into running a {category}{in_place}? Every day at {name} \
             starts long before the doors open.{about}\n\nGot a question for them? Ask it in \
             the comments."
        ),
        Angle::Team => format!(
            "Behind every local business are local people. Say hello to the folks at {name} \
             next time you're{in_place}!{about}{call}"
        ),
        Angle::Community => format!(
            "{name} is part of what makes {home} home. Every dollar spent with a local \
             {category} stays close to home and keeps our towns going.{about}",
            home = if facts.place.is_empty() {
                "the Kiamichi country"
            } else {
                &facts.place
            },
        ),
    };
    with_link(&body, listing.url)
}

/// The model's instructions and the listing's facts, for a post of the kind described
/// (e.g. "a business spotlight" or "a seasonal post for December").
pub fn model_messages(kind: &str, listing: &Listing) -> (String, String) {
    let system = format!(
        "You write short, friendly Facebook posts for Kiamichi Biz Connect, a directory of local \
         businesses in southeast Oklahoma, northeast Texas and southwest Arkansas. Write plain \
         text only: no Markdown, no links, no more than two hashtags, at most one emoji. Stay \
         under {MODEL_MOST_CHARACTERS} characters. Use only the facts you are given; never \
         invent prices, offers, awards, hours, reviews or quotes. We add the link to the \
         listing ourselves. Answer with the post's text and nothing else."
    );
    let facts = Facts::of(listing);
    let mut user = format!(
        "Write {kind}.\n\nBusiness: {}\nCategory: {}\nPlace: {}",
        facts.name,
        one_line(listing.category, MOST_FIELD_CHARS),
        facts.place
    );
    if !facts.description.is_empty() {
        user.push_str("\nAbout them: ");
        user.push_str(&facts.description);
    }
    if let Some(phone) = listing.phone.filter(|phone| !phone.trim().is_empty()) {
        user.push_str("\nPhone: ");
        user.push_str(&one_line(phone, 40));
    }
    (system, user)
}

/// The model's post, made ready to publish with `url` appended once: trimmed, unwrapped
/// from quotes, and refused (`None`) when empty, over [`MOST_CHARACTERS`], or linking
/// anywhere (a link to `url` itself is dropped and appended again).
pub fn accept_model_text(raw: &str, url: &str) -> Option<String> {
    let url = url.trim();
    let without_link = if url.is_empty() {
        raw.to_owned()
    } else {
        raw.replace(url, "")
    };
    let mut text = without_link.trim();
    for (open, close) in [("\"", "\""), ("“", "”"), ("'", "'")] {
        if let Some(inner) = text
            .strip_prefix(open)
            .and_then(|rest| rest.strip_suffix(close))
        {
            text = inner.trim();
        }
    }
    let lower = text.to_lowercase();
    let links = lower.contains("http") || lower.contains("www.");
    if text.is_empty() || links || text.chars().count() > MOST_CHARACTERS {
        return None;
    }
    let post = with_link(text, url);
    (post.chars().count() <= MOST_CHARACTERS && post.contains(text)).then_some(post)
}

#[cfg(test)]
mod tests {
    use super::*;

    const URL: &str = "https://kiamichibizconnect.com/business/pine-ridge-cafe";

    fn cafe() -> Listing<'static> {
        Listing {
            name: "Pine Ridge Cafe",
            category: "Restaurant",
            city: "Broken Bow",
            state: "OK",
            description: "Home cooking, fresh pies and catfish on Fridays.",
            phone: Some("(580) 555-0100"),
            url: URL,
        }
    }

    fn once(text: &str, needle: &str) -> bool {
        text.matches(needle).count() == 1
    }

    #[test]
    fn a_spotlight_names_the_business_place_description_phone_and_link() {
        let post = spotlight(&cafe());
        assert_eq!(
            post,
            "Local spotlight: Pine Ridge Cafe, restaurant in Broken Bow, OK.\n\n\
             Home cooking, fresh pies and catfish on Fridays.\n\n\
             See their hours, photos and details on Kiamichi Biz Connect. Call (580) 555-0100.\n\n\
             https://kiamichibizconnect.com/business/pine-ridge-cafe"
        );
    }

    #[test]
    fn a_spotlight_without_description_or_phone_leaves_them_out() {
        let listing = Listing {
            description: "  ",
            phone: None,
            ..cafe()
        };
        let post = spotlight(&listing);
        assert!(!post.contains("Call") && !post.contains("\n\n\n"));
        assert!(post.ends_with(URL));
    }

    #[test]
    fn long_descriptions_are_cut_at_a_word_with_an_ellipsis() {
        let long = "We fix tractors and mowers. ".repeat(100);
        let listing = Listing {
            description: &long,
            ..cafe()
        };
        let post = spotlight(&listing);
        assert!(post.contains("…\n\nSee their hours"));
        assert!(post.chars().count() <= MOST_CHARACTERS);
    }

    #[test]
    fn every_text_stays_within_the_limit_even_from_huge_fields() {
        let huge = "x".repeat(10_000);
        let listing = Listing {
            name: &huge,
            category: &huge,
            city: &huge,
            state: &huge,
            description: &huge,
            phone: Some(&huge),
            url: URL,
        };
        let names = vec![huge.as_str(); 50];
        let mut texts = vec![
            spotlight(&listing),
            blog_share(&huge, &huge, URL),
            category_highlight(&huge, &huge, &names, URL),
        ];
        texts.extend(Angle::ALL.map(|angle| angle_post(angle, &listing, 12)));
        for text in texts {
            assert!(text.chars().count() <= MOST_CHARACTERS, "{}", text.len());
            assert!(once(&text, URL), "{text}");
        }
    }

    #[test]
    fn a_blog_share_has_title_excerpt_and_link() {
        let post = blog_share(
            "Fall festivals",
            "Where to go\nthis October.",
            "https://k.com/blog/f",
        );
        assert_eq!(
            post,
            "New on the Kiamichi Biz Connect blog: Fall festivals\n\nWhere to go this October.\n\n\
             https://k.com/blog/f"
        );
    }

    #[test]
    fn a_category_highlight_lists_up_to_eight_names() {
        let names = ["A", "B", "C", "D", "E", "F", "G", "H", "I", "J"];
        let post = category_highlight("Plumbers", "Idabel, OK", &names, "https://k.com/c");
        assert!(
            post.starts_with("Looking for plumbers in Idabel, OK? Here are some local choices:")
        );
        assert!(post.contains("\n• H") && !post.contains("• I"));
        assert!(post.ends_with("\n\nhttps://k.com/c"));
    }

    #[test]
    fn a_category_highlight_without_names_or_place_still_reads() {
        let post = category_highlight("Florists", "", &[], "https://k.com/c");
        assert!(post.starts_with("Looking for florists around the Kiamichi country?"));
        assert!(!post.contains('•'));
    }

    #[test]
    fn engagement_prompts_rotate_through_every_question_daily() {
        let week: Vec<String> = (0..7).map(engagement_prompt).collect();
        for (i, prompt) in week.iter().enumerate() {
            assert!(!prompt.is_empty());
            assert!(!week.iter().skip(i + 1).any(|other| other == prompt));
        }
        assert_eq!(engagement_prompt(-1), engagement_prompt(9));
        assert_eq!(engagement_prompt(3), engagement_prompt(13));
    }

    #[test]
    fn every_angle_has_its_own_template_and_a_stored_name() {
        let posts: Vec<String> = Angle::ALL.map(|a| angle_post(a, &cafe(), 4)).to_vec();
        for (i, post) in posts.iter().enumerate() {
            assert!(
                post.contains("Pine Ridge Cafe") && once(post, URL),
                "{post}"
            );
            assert!(!posts.iter().skip(i + 1).any(|other| other == post));
        }
        for angle in Angle::ALL {
            assert_eq!(Angle::parse(angle.as_str()), Some(angle));
            assert!(!angle.label().is_empty());
        }
        assert_eq!(Angle::NewProduct.as_str(), "new_product");
        assert_eq!(Angle::parse("Services"), None);
    }

    #[test]
    fn the_seasonal_angle_follows_the_month() {
        let december = angle_post(Angle::Seasonal, &cafe(), 12);
        assert!(december.starts_with("December around here") && december.contains("winter"));
        let april = angle_post(Angle::Seasonal, &cafe(), 4);
        assert!(april.starts_with("April around here") && april.contains("spring"));
    }

    #[test]
    fn the_model_is_given_the_facts_and_the_rules() {
        let (system, user) = model_messages("a business spotlight", &cafe());
        assert!(system.contains("never invent") && system.contains("600 characters"));
        assert!(system.contains("plain text") || system.contains("Write plain"));
        assert!(user.starts_with("Write a business spotlight."));
        assert!(
            user.contains("Business: Pine Ridge Cafe") && user.contains("Phone: (580) 555-0100")
        );
        assert!(!user.contains(URL));
    }

    #[test]
    fn model_text_is_trimmed_unquoted_and_linked() {
        let post = accept_model_text("  \"Come try the pie!\" \n", URL).unwrap();
        assert_eq!(post, format!("Come try the pie!\n\n{URL}"));
        let post = accept_model_text(&format!("“Pie day!” {URL}"), URL);
        assert_eq!(post, Some(format!("Pie day!\n\n{URL}")));
        let post = accept_model_text(&format!("Pie day! {URL}"), URL).unwrap();
        assert!(once(&post, URL));
    }

    #[test]
    fn model_text_that_is_empty_too_long_or_links_elsewhere_is_refused() {
        assert_eq!(accept_model_text("  \"\" ", URL), None);
        assert_eq!(
            accept_model_text(&"a".repeat(MOST_CHARACTERS + 1), URL),
            None
        );
        assert_eq!(accept_model_text("Visit http://spam.example", URL), None);
        assert_eq!(accept_model_text("Visit www.spam.example", URL), None);
    }
}
