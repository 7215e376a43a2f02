//! souk-demo
