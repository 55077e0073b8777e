use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

fn a(name: &str) -> Alias {
    Alias::new(name)
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // Whether a response is in its campaign's running totals. Existing
        // responses are not: their campaigns' totals are built on the next
        // aggregation.
        manager
            .alter_table(
                Table::alter()
                    .table(a("response"))
                    .add_column(boolean(a("folded")).default(false).to_owned())
                    .to_owned(),
            )
            .await?;
        // Finds the few responses not yet folded among a campaign's many,
        // in id order, so that a chunk of them is read without sorting all.
        manager
            .create_index(
                Index::create()
                    .name("response_campaign_folded")
                    .table(a("response"))
                    .col(a("campaign_id"))
                    .col(a("folded"))
                    .col(a("id"))
                    .to_owned(),
            )
            .await?;

        // A campaign's running totals, as JSON; its row is also what
        // aggregations of the campaign lock to take turns.
        manager
            .create_table(
                Table::create()
                    .table(a("campaign_accumulator"))
                    .col(big_pk_auto(a("id")))
                    .col(big_integer(a("campaign_id")).unique_key())
                    .col(big_integer(a("responses")).default(0))
                    .col(text(a("data")))
                    .col(timestamp_with_time_zone(a("updated_at")))
                    .foreign_key(
                        ForeignKey::create()
                            .from(a("campaign_accumulator"), a("campaign_id"))
                            .to(a("campaign"), a("id"))
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(a("campaign_accumulator")).to_owned())
            .await?;
        manager
            .drop_index(
                Index::drop()
                    .name("response_campaign_folded")
                    .table(a("response"))
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(a("response"))
                    .drop_column(a("folded"))
                    .to_owned(),
            )
            .await
    }
}
