use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // Whether a high score is the good end (satisfaction) or the bad one (stress).
        manager
            .alter_table(
                Table::alter()
                    .table(Alias::new("scale"))
                    .add_column(
                        boolean(Alias::new("higher_is_better"))
                            .default(true)
                            .to_owned(),
                    )
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Alias::new("scale"))
                    .drop_column(Alias::new("higher_is_better"))
                    .to_owned(),
            )
            .await
    }
}
