use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // A coordinator's own severity wins over a rule applied again later.
        manager
            .alter_table(
                Table::alter()
                    .table(Alias::new("need"))
                    .add_column(boolean(Alias::new("set_by_hand")).default(false).to_owned())
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Alias::new("need"))
                    .drop_column(Alias::new("set_by_hand"))
                    .to_owned(),
            )
            .await
    }
}
