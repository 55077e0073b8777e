//! Tests of the worker's side effects against a real database and SMTP server.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod aggregation;
mod dead_letters;
mod delivery;
mod export;
mod faults;
mod matching;
