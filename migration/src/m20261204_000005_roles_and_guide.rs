use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

fn a(name: &str) -> Alias {
    Alias::new(name)
}

fn to_programme(table: &str) -> ForeignKeyCreateStatement {
    ForeignKey::create()
        .from(a(table), a("programme_id"))
        .to(a("programme"), a("id"))
        .on_delete(ForeignKeyAction::Cascade)
        .to_owned()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(a("tutor_role"))
                    .col(big_pk_auto(a("id")))
                    .col(big_integer(a("organisation_id")))
                    .col(big_integer(a("programme_id")))
                    .col(string(a("name")))
                    .col(string(a("kind")))
                    .col(json(a("functions")))
                    .col(double(a("hourly_cost")))
                    .col(integer(a("expected_learners")))
                    .col(double(a("expected_hours_per_month")))
                    .foreign_key(&mut to_programme("tutor_role"))
                    .index(
                        Index::create()
                            .name("tutor_role_programme_name")
                            .col(a("programme_id"))
                            .col(a("name"))
                            .unique(),
                    )
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(a("guide_version"))
                    .col(big_pk_auto(a("id")))
                    .col(big_integer(a("organisation_id")))
                    .col(big_integer(a("programme_id")))
                    .col(integer(a("version")))
                    .col(text(a("body")))
                    .col(timestamp_with_time_zone(a("created_at")))
                    .foreign_key(&mut to_programme("guide_version"))
                    .index(
                        Index::create()
                            .name("guide_version_programme_version")
                            .col(a("programme_id"))
                            .col(a("version"))
                            .unique(),
                    )
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(a("standard"))
                    .col(big_pk_auto(a("id")))
                    .col(big_integer(a("organisation_id")))
                    .col(big_integer(a("programme_id")))
                    .col(string(a("kind")))
                    .col(integer(a("threshold")))
                    .col(string(a("severity")))
                    .col(text(a("description")))
                    .foreign_key(&mut to_programme("standard"))
                    .index(
                        Index::create()
                            .name("standard_programme_kind")
                            .col(a("programme_id"))
                            .col(a("kind"))
                            .unique(),
                    )
                    .to_owned(),
            )
            .await?;

        // Who delivers an intervention, for costs per role.
        manager
            .alter_table(
                Table::alter()
                    .table(a("intervention"))
                    .add_column(big_integer_null(a("role_id")))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(a("intervention"))
                    .drop_column(a("role_id"))
                    .to_owned(),
            )
            .await?;
        for table in ["standard", "guide_version", "tutor_role"] {
            manager
                .drop_table(Table::drop().table(a(table)).to_owned())
                .await?;
        }
        Ok(())
    }
}
