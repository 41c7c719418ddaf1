//! Wrong derivatives of activation functions and their layers.
