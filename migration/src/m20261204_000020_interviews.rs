use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // An interview guide is answered by an interviewer for someone else.
        manager
            .alter_table(
                Table::alter()
                    .table(Alias::new("questionnaire"))
                    .add_column(
                        string(Alias::new("mode"))
                            .default("questionnaire")
                            .to_owned(),
                    )
                    .to_owned(),
            )
            .await?;
        // SQLite adds one column per statement.
        manager
            .alter_table(
                Table::alter()
                    .table(Alias::new("response"))
                    .add_column(big_integer_null(Alias::new("interviewer_id")))
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Alias::new("response"))
                    .add_column(text_null(Alias::new("notes")))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for column in ["notes", "interviewer_id"] {
            manager
                .alter_table(
                    Table::alter()
                        .table(Alias::new("response"))
                        .drop_column(Alias::new(column))
                        .to_owned(),
                )
                .await?;
        }
        manager
            .alter_table(
                Table::alter()
                    .table(Alias::new("questionnaire"))
                    .drop_column(Alias::new("mode"))
                    .to_owned(),
            )
            .await
    }
}
