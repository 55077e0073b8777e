//! End-to-end tests of the api: real HTTP, real SMTP, the real job queue.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod bad_input;
mod browser;
mod dead_letters;
mod delivery;
mod demo_statistics;
mod design;
mod development;
mod dissemination;
mod evaluation_loop;
mod fixtures;
mod graphql_http;
mod members;
mod operations;
mod pages;
mod running;
mod schema_contract;
