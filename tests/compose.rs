//! Integration tests: compose.
