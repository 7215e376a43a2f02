//! souk-api-tests
