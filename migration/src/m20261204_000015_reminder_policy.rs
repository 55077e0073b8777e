use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // How reminders are timed beyond their offsets: a local time of day,
        // quiet hours, a target response rate. None: at the offsets.
        manager
            .alter_table(
                Table::alter()
                    .table(Alias::new("campaign"))
                    .add_column(json_null(Alias::new("reminder_policy")))
                    .to_owned(),
            )
            .await?;
        // A campaign's invitations in id order, as its list pages them,
        // without sorting them all.
        manager
            .create_index(
                Index::create()
                    .name("invitation_campaign_id")
                    .table(Alias::new("invitation"))
                    .col(Alias::new("campaign_id"))
                    .col(Alias::new("id"))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_index(
                Index::drop()
                    .name("invitation_campaign_id")
                    .table(Alias::new("invitation"))
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Alias::new("campaign"))
                    .drop_column(Alias::new("reminder_policy"))
                    .to_owned(),
            )
            .await
    }
}
