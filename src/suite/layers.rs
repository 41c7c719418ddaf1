//! Suite entries: Layers of PML 1 sec. 13.3.3, layer normalisation and the MLP.

use super::Entry;

/// The catalogue maps of this family.
pub(super) fn maps() -> Vec<Entry> {
    Vec::new()
}

/// The mutants of this family.
pub(super) fn mutants() -> Vec<Entry> {
    Vec::new()
}
