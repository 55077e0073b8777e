//! End-to-end tests of the api: real HTTP, real SMTP, the real job queue.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod auth;
mod authz_matrix;
mod bad_input;
mod browser;
mod connections;
mod data_rights;
mod dead_letters;
mod delivery;
mod demo_statistics;
mod design;
mod development;
mod dissemination;
mod evaluation_loop;
mod exports;
mod fixtures;
mod generate;
mod graphql_http;
mod interviews;
mod live;
mod members;
mod operations;
mod pages;
mod privacy;
mod programme_report;
mod running;
mod schema_contract;
mod statement_count;
mod templates;
mod webhooks;
