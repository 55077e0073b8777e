use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

fn a(name: &str) -> Alias {
    Alias::new(name)
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // SQLite adds one column per statement.
        for column in [
            double(a("duration_months")).default(1.0).to_owned(),
            integer(a("planned_learners")).default(0).to_owned(),
        ] {
            manager
                .alter_table(
                    Table::alter()
                        .table(a("intervention"))
                        .add_column(column)
                        .to_owned(),
                )
                .await?;
        }

        manager
            .create_table(
                Table::create()
                    .table(a("tutoring_session"))
                    .col(big_pk_auto(a("id")))
                    .col(big_integer(a("organisation_id")))
                    .col(big_integer(a("programme_id")))
                    .col(big_integer(a("intervention_id")))
                    .col(big_integer_null(a("tutor_id")))
                    .col(timestamp_with_time_zone(a("held_at")))
                    .col(integer(a("minutes")))
                    .col(string(a("mode")))
                    .col(text(a("notes")))
                    .col(timestamp_with_time_zone(a("created_at")))
                    .foreign_key(
                        ForeignKey::create()
                            .from(a("tutoring_session"), a("intervention_id"))
                            .to(a("intervention"), a("id"))
                            .on_delete(ForeignKeyAction::Restrict),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("tutoring_session_programme")
                    .table(a("tutoring_session"))
                    .col(a("programme_id"))
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(a("session_participant"))
                    .col(big_integer(a("session_id")))
                    .col(big_integer(a("person_id")))
                    .col(boolean(a("attended")))
                    .primary_key(Index::create().col(a("session_id")).col(a("person_id")))
                    .foreign_key(
                        ForeignKey::create()
                            .from(a("session_participant"), a("session_id"))
                            .to(a("tutoring_session"), a("id"))
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(a("session_participant"), a("person_id"))
                            .to(a("person"), a("id"))
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in ["session_participant", "tutoring_session"] {
            manager
                .drop_table(Table::drop().table(a(table)).to_owned())
                .await?;
        }
        for column in ["planned_learners", "duration_months"] {
            manager
                .alter_table(
                    Table::alter()
                        .table(a("intervention"))
                        .drop_column(a(column))
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }
}
