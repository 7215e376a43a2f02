//! souk-auth
