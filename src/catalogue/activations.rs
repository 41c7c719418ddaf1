//! Activation functions of PML 1 sec. 13.4.3 and their neighbours, elementwise and as layers.
