//! switchback library (being written).
