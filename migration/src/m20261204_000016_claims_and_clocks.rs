use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // When a sender last took the email on. A pending email whose claim
        // is older than any send can take belongs to a sender that stopped
        // mid-way, and another may take it over.
        manager
            .alter_table(
                Table::alter()
                    .table(Alias::new("email_message"))
                    .add_column(timestamp_with_time_zone_null(Alias::new("claimed_at")))
                    .to_owned(),
            )
            .await?;
        manager
            .get_connection()
            .execute_unprepared("UPDATE email_message SET claimed_at = created_at")
            .await?;
        // One row per slot of a clock (a reminder sweep, the nightly
        // check) that some worker fired: the others see it taken.
        manager
            .create_table(
                Table::create()
                    .table(Alias::new("clock_slot"))
                    .col(string(Alias::new("clock")))
                    .col(timestamp_with_time_zone(Alias::new("slot")))
                    .col(timestamp_with_time_zone(Alias::new("fired_at")))
                    .primary_key(
                        Index::create()
                            .col(Alias::new("clock"))
                            .col(Alias::new("slot")),
                    )
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(Alias::new("clock_slot")).to_owned())
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Alias::new("email_message"))
                    .drop_column(Alias::new("claimed_at"))
                    .to_owned(),
            )
            .await
    }
}
