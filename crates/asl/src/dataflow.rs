//! dataflow (being written).
