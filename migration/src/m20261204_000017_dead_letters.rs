use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

fn a(name: &str) -> Alias {
    Alias::new(name)
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // Jobs the worker gave up on, kept for an admin to read and retry.
        // No organisation for jobs that span them all or whose target is
        // gone; the campaign id is kept as the payload named it, so no key
        // to a campaign that may have been deleted.
        manager
            .create_table(
                Table::create()
                    .table(a("dead_letter"))
                    .col(big_pk_auto(a("id")))
                    .col(big_integer_null(a("organisation_id")))
                    .col(big_integer_null(a("campaign_id")))
                    .col(string(a("kind")))
                    .col(json(a("payload")))
                    .col(text(a("reason")))
                    .col(integer(a("attempts")))
                    .col(timestamp_with_time_zone(a("failed_at")))
                    .foreign_key(
                        ForeignKey::create()
                            .from(a("dead_letter"), a("organisation_id"))
                            .to(a("organisation"), a("id"))
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("dead_letter_organisation")
                    .table(a("dead_letter"))
                    .col(a("organisation_id"))
                    .col(a("id"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("dead_letter_campaign")
                    .table(a("dead_letter"))
                    .col(a("campaign_id"))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(a("dead_letter")).to_owned())
            .await
    }
}
