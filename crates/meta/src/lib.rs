//! Meta's (Facebook's) rules and wire formats, without I/O, for the facebook and agent
//! workers: the Graph API's answers and errors (`graph`), webhook signatures and comment
//! events (`webhook`), the data-deletion `signed_request` (`signed_request`), Page tokens
//! sealed at rest (`tokens`), post texts from listing data (`compose`) and the share card's
//! HTML (`card`). Everything here is pure and compiles for wasm32 and natively; the callers
//! do the HTTP, the storage and the clock.

pub mod card;
pub mod compose;
pub mod graph;
pub mod signed_request;
pub mod tokens;
pub mod webhook;

/// The operating system's (or, in a worker, Web Crypto's) random source failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NoRandomness(pub String);

impl std::fmt::Display for NoRandomness {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "no random source: {}", self.0)
    }
}

impl std::error::Error for NoRandomness {}

fn random_bytes<const N: usize>() -> Result<[u8; N], NoRandomness> {
    let mut bytes = [0u8; N];
    getrandom::fill(&mut bytes).map_err(|err| NoRandomness(err.to_string()))?;
    Ok(bytes)
}

/// `text` cut to at most `max` characters (not bytes), ending with "…" when cut. Cuts at
/// the last space when there is one in the second half, so words stay whole.
fn clip(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_owned();
    }
    let room = max.saturating_sub(1);
    let keep: String = text.chars().take(room).collect();
    let ends_a_word = text.chars().nth(room).is_some_and(char::is_whitespace);
    let cut = match keep.rfind(char::is_whitespace) {
        Some(space) if !ends_a_word && space * 2 >= keep.len() => {
            keep.get(..space).unwrap_or(&keep)
        }
        _ => &keep,
    };
    format!("{}…", cut.trim_end())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_text_is_not_clipped() {
        assert_eq!(clip("Pine Ridge", 10), "Pine Ridge");
    }

    #[test]
    fn long_text_is_clipped_at_a_word_with_an_ellipsis() {
        assert_eq!(
            clip("fresh catfish every friday night", 20),
            "fresh catfish every…"
        );
        assert!(clip(&"word ".repeat(100), 50).chars().count() <= 50);
    }

    #[test]
    fn a_single_long_word_is_cut_inside_it() {
        assert_eq!(clip("abcdefghij", 5), "abcd…");
    }

    #[test]
    fn clipping_counts_characters_not_bytes() {
        assert_eq!(clip("ééééé", 3), "éé…");
    }
}
