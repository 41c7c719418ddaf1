//! Wrong Jacobians of the layers of PML 1 sec. 13.3.3, layer normalisation and the MLP.
