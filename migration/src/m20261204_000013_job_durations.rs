use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // How long each job ran, so job latency can be summed in SQL on any
        // backend; older rows have none.
        manager
            .alter_table(
                Table::alter()
                    .table(Alias::new("job_run"))
                    .add_column(big_integer_null(Alias::new("duration_ms")))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("job_run_kind")
                    .table(Alias::new("job_run"))
                    .col(Alias::new("kind"))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_index(
                Index::drop()
                    .name("job_run_kind")
                    .table(Alias::new("job_run"))
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Alias::new("job_run"))
                    .drop_column(Alias::new("duration_ms"))
                    .to_owned(),
            )
            .await
    }
}
