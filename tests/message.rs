//! Integration tests: message.
