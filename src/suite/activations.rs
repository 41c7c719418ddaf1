//! Suite entries: Activation functions (PML 1 sec. 13.4.3) and their layers `φ(Wx + b)`.

use super::Entry;

/// The catalogue maps of this family.
pub(super) fn maps() -> Vec<Entry> {
    Vec::new()
}

/// The mutants of this family.
pub(super) fn mutants() -> Vec<Entry> {
    Vec::new()
}
