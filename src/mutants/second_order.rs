//! Wrong gradients and Hessians.
