//! Database migrations, portable across PostgreSQL and SQLite.

pub use sea_orm_migration::prelude::*;

mod m20261204_000001_accounts;
mod m20261204_000002_questionnaires;
mod m20261204_000003_campaigns;
mod m20261204_000004_design;
mod m20261204_000005_roles_and_guide;
mod m20261204_000006_costs;
mod m20261204_000007_scale_polarity;
mod m20261204_000008_training_and_communities;
mod m20261204_000009_need_hand_edits;
mod m20261204_000010_running;
mod m20261204_000011_public_pages;
mod m20261204_000012_accumulators;
mod m20261204_000013_job_durations;
mod m20261204_000014_suppression;
mod m20261204_000015_reminder_policy;
mod m20261204_000016_claims_and_clocks;
mod m20261204_000017_dead_letters;
mod m20261204_000018_evaluation;
mod m20261204_000019_dissemination;
mod m20261204_000020_interviews;
mod m20261205_000021_webhooks;
mod m20261205_000022_auth;
mod m20261205_000023_data_rights;
mod m20261205_000024_membership_password;

pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261204_000001_accounts::Migration),
            Box::new(m20261204_000002_questionnaires::Migration),
            Box::new(m20261204_000003_campaigns::Migration),
            Box::new(m20261204_000004_design::Migration),
            Box::new(m20261204_000005_roles_and_guide::Migration),
            Box::new(m20261204_000006_costs::Migration),
            Box::new(m20261204_000007_scale_polarity::Migration),
            Box::new(m20261204_000008_training_and_communities::Migration),
            Box::new(m20261204_000009_need_hand_edits::Migration),
            Box::new(m20261204_000010_running::Migration),
            Box::new(m20261204_000011_public_pages::Migration),
            Box::new(m20261204_000012_accumulators::Migration),
            Box::new(m20261204_000013_job_durations::Migration),
            Box::new(m20261204_000014_suppression::Migration),
            Box::new(m20261204_000015_reminder_policy::Migration),
            Box::new(m20261204_000016_claims_and_clocks::Migration),
            Box::new(m20261204_000017_dead_letters::Migration),
            Box::new(m20261204_000018_evaluation::Migration),
            Box::new(m20261204_000019_dissemination::Migration),
            Box::new(m20261204_000020_interviews::Migration),
            Box::new(m20261205_000021_webhooks::Migration),
            Box::new(m20261205_000022_auth::Migration),
            Box::new(m20261205_000023_data_rights::Migration),
            Box::new(m20261205_000024_membership_password::Migration),
        ]
    }
}
