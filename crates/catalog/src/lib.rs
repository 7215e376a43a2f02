//! souk-catalog
