//! Integration tests: subscribers.
