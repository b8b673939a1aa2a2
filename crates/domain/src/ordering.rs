//! Lists an owner puts in order by hand — a listing's photos, a page's sections: one item
//! moved a step earlier or later, and a whole new order checked to name each item once.

/// Which way an item moves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    /// Towards the first (the cover, the top of the page).
    Earlier,
    Later,
}

/// Swaps the item at `at` with its neighbour in `direction`; false (nothing moved) when it
/// is already first or last.
pub fn step(ids: &mut [i64], at: usize, direction: Direction) -> bool {
    let other = match direction {
        Direction::Earlier => at.checked_sub(1),
        Direction::Later => Some(at + 1).filter(|next| *next < ids.len()),
    };
    match other {
        Some(other) if at < ids.len() => {
            ids.swap(at, other);
            true
        }
        _ => false,
    }
}

/// Whether `order` names each of `current` exactly once.
pub fn is_reordering(current: &[i64], order: &[i64]) -> bool {
    let (mut current, mut order) = (current.to_vec(), order.to_vec());
    current.sort_unstable();
    order.sort_unstable();
    current == order
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_step_swaps_with_the_neighbour_and_stops_at_the_ends() {
        let mut ids = [1, 2, 3];
        assert!(step(&mut ids, 2, Direction::Earlier));
        assert_eq!(ids, [1, 3, 2]);
        assert!(!step(&mut ids, 0, Direction::Earlier));
        assert!(!step(&mut ids, 2, Direction::Later));
        assert!(!step(&mut ids, 7, Direction::Later), "no such place");
        assert_eq!(ids, [1, 3, 2]);
    }

    #[test]
    fn a_new_order_must_name_each_item_once() {
        assert!(is_reordering(&[1, 2, 3], &[3, 1, 2]));
        assert!(!is_reordering(&[1, 2, 3], &[3, 1]));
        assert!(!is_reordering(&[1, 2, 3], &[3, 1, 1]));
        assert!(!is_reordering(&[1, 2], &[1, 2, 9]));
    }
}
