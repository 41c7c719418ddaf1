//! Suite entries: Gradients and Hessians (logistic regression and the second-order catalogue).

use super::Entry;

/// The catalogue maps of this family.
pub(super) fn maps() -> Vec<Entry> {
    Vec::new()
}

/// The mutants of this family.
pub(super) fn mutants() -> Vec<Entry> {
    Vec::new()
}
