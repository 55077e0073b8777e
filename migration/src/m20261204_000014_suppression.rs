use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

fn a(name: &str) -> Alias {
    Alias::new(name)
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // Addresses an organisation no longer writes to: people who asked
        // for no email at all, and addresses the mail server refused for
        // good. Checked where every email is sent.
        manager
            .create_table(
                Table::create()
                    .table(a("suppression"))
                    .col(big_pk_auto(a("id")))
                    .col(big_integer(a("organisation_id")))
                    .col(string(a("address")))
                    .col(string(a("reason")))
                    .col(text_null(a("detail")))
                    .col(big_integer_null(a("created_by")))
                    .col(timestamp_with_time_zone(a("created_at")))
                    .foreign_key(
                        ForeignKey::create()
                            .from(a("suppression"), a("organisation_id"))
                            .to(a("organisation"), a("id"))
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("suppression_organisation_address")
                    .table(a("suppression"))
                    .col(a("organisation_id"))
                    .col(a("address"))
                    .unique()
                    .to_owned(),
            )
            .await?;
        // Delivery counts per campaign read the log by campaign.
        manager
            .create_index(
                Index::create()
                    .name("email_message_campaign_status")
                    .table(a("email_message"))
                    .col(a("campaign_id"))
                    .col(a("status"))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_index(
                Index::drop()
                    .name("email_message_campaign_status")
                    .table(a("email_message"))
                    .to_owned(),
            )
            .await?;
        manager
            .drop_table(Table::drop().table(a("suppression")).to_owned())
            .await
    }
}
