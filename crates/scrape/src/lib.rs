//! What a business's own website says, read safely and without I/O: which URLs may be
//! fetched at all (`guard`), what `robots.txt` allows us (`robots`), how a page's bytes are
//! encoded (`charset`), and the facts its HTML states (`extract`, with opening hours written
//! as text read by `hours_text`). The analyzer worker does the fetching around these rules.

pub mod charset;
pub mod extract;
pub mod guard;
pub mod hours_text;
pub mod robots;
