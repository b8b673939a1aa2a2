//! HTTP client for the end-to-end tests.
