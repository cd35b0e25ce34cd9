//! gazette: compose, check, render and deliver a curated links newsletter.
//!
//! The crate is a pipeline, one module per stage: a TOML [`draft`] is checked,
//! [`render`]ed once into HTML and text, turned into one [`message`] per
//! subscriber, and sent, with the [`store`] keeping subscribers and the ledger.

pub mod address;
pub mod cli;
pub mod clock;
pub mod commands;
pub mod config;
pub mod diag;
pub mod draft;
pub mod error;
pub mod fields;
pub mod lock;
pub mod message;
pub mod render;
pub mod schedule;
pub mod send;
pub mod serve;
pub mod store;

pub use error::{Error, Result};
