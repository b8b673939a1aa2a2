//! Pages of a long list, as the console shows them: which page, how many per page, and the
//! total, so every list can say where it is and link to its neighbours.

use crate::FieldError;
use crate::values::parse_bounded;

/// One page of a list; `number` starts at 1.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Page {
    pub number: u32,
    pub size: u32,
}

/// Far enough for any list the console shows; beyond it, narrow the search.
const MAX_PAGE: u32 = 10_000;

impl Page {
    pub fn first(size: u32) -> Self {
        Self { number: 1, size }
    }

    /// The page named by a `page` parameter (absent: the first).
    pub fn parse(raw: Option<&str>, size: u32) -> Result<Self, FieldError> {
        let number = match raw {
            None | Some("") => 1,
            Some(raw) => parse_bounded("page", raw, 1, MAX_PAGE)?,
        };
        Ok(Self { number, size })
    }

    pub fn offset(self) -> i64 {
        i64::from(self.number.saturating_sub(1)) * i64::from(self.size)
    }
}

/// The items of one page and how many there are in all.
#[derive(Debug, Clone, PartialEq)]
pub struct Paged<T> {
    pub items: Vec<T>,
    pub total: i64,
    pub page: Page,
}

impl<T> Paged<T> {
    /// How many pages the whole list fills (at least one, so an empty list has a page 1).
    pub fn pages(&self) -> u32 {
        let size = i64::from(self.page.size.max(1));
        u32::try_from(((self.total + size - 1) / size).max(1)).unwrap_or(u32::MAX)
    }

    pub fn has_next(&self) -> bool {
        self.page.number < self.pages()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_page_counts_its_offset_from_one() {
        assert_eq!(Page::parse(Some("3"), 20).unwrap().offset(), 40);
        assert_eq!(Page::parse(None, 20).unwrap(), Page::first(20));
        assert!(Page::parse(Some("0"), 20).is_err());
        assert!(Page::parse(Some("x"), 20).is_err());
    }

    #[test]
    fn an_empty_list_has_one_page_and_no_next() {
        let paged: Paged<u8> = Paged {
            items: vec![],
            total: 0,
            page: Page::first(20),
        };
        assert_eq!(paged.pages(), 1);
        assert!(!paged.has_next());
        let paged: Paged<u8> = Paged {
            items: vec![],
            total: 41,
            page: Page::first(20),
        };
        assert_eq!(paged.pages(), 3);
        assert!(paged.has_next());
    }
}
