use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

fn a(name: &str) -> Alias {
    Alias::new(name)
}

fn belongs_to_organisation(table: &str) -> ForeignKeyCreateStatement {
    ForeignKey::create()
        .from(a(table), a("organisation_id"))
        .to(a("organisation"), a("id"))
        .on_delete(ForeignKeyAction::Cascade)
        .to_owned()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // How far results may point back to a person. Campaigns made before
        // kept every response linked to its invitation: identified.
        manager
            .alter_table(
                Table::alter()
                    .table(a("campaign"))
                    .add_column(string(a("anonymity")).default("identified"))
                    .to_owned(),
            )
            .await?;
        // The programme a campaign evaluates, for programme reports.
        manager
            .alter_table(
                Table::alter()
                    .table(a("campaign"))
                    .add_column(big_integer_null(a("programme_id")))
                    .to_owned(),
            )
            .await?;

        // Criteria, indicators, bands and rules, kept whole as JSON: a grid
        // is read and scored as one document.
        manager
            .create_table(
                Table::create()
                    .table(a("analytical_grid"))
                    .col(big_pk_auto(a("id")))
                    .col(big_integer(a("organisation_id")))
                    .col(string(a("name")))
                    .col(text(a("description")))
                    .col(json(a("definition")))
                    .col(timestamp_with_time_zone(a("created_at")))
                    .foreign_key(&mut belongs_to_organisation("analytical_grid"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("analytical_grid_organisation_name")
                    .table(a("analytical_grid"))
                    .col(a("organisation_id"))
                    .col(a("name"))
                    .unique()
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(a("programme_report"))
                    .col(big_pk_auto(a("id")))
                    .col(big_integer(a("organisation_id")))
                    .col(big_integer(a("programme_id")))
                    .col(big_integer(a("grid_id")))
                    .col(date(a("period_from")))
                    .col(date(a("period_to")))
                    .col(integer(a("version")))
                    .col(json(a("data")))
                    .col(text(a("html")))
                    .col(text(a("csv")))
                    .col(big_integer_null(a("created_by")))
                    .col(timestamp_with_time_zone(a("created_at")))
                    .foreign_key(&mut belongs_to_organisation("programme_report"))
                    .foreign_key(
                        ForeignKey::create()
                            .from(a("programme_report"), a("programme_id"))
                            .to(a("programme"), a("id"))
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("programme_report_version")
                    .table(a("programme_report"))
                    .col(a("programme_id"))
                    .col(a("version"))
                    .unique()
                    .to_owned(),
            )
            .await?;

        // Recommendations of a report version, as the rules proposed them
        // and as coordinators edited and decided them.
        manager
            .create_table(
                Table::create()
                    .table(a("recommendation"))
                    .col(big_pk_auto(a("id")))
                    .col(big_integer(a("organisation_id")))
                    .col(big_integer(a("report_id")))
                    .col(integer(a("position")))
                    .col(string(a("rule")))
                    .col(string(a("priority")))
                    .col(string(a("audience")))
                    .col(text(a("text")))
                    .col(json(a("evidence")))
                    .col(string(a("status")))
                    .col(big_integer_null(a("decided_by")))
                    .col(timestamp_with_time_zone_null(a("decided_at")))
                    .foreign_key(&mut belongs_to_organisation("recommendation"))
                    .foreign_key(
                        ForeignKey::create()
                            .from(a("recommendation"), a("report_id"))
                            .to(a("programme_report"), a("id"))
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("recommendation_report")
                    .table(a("recommendation"))
                    .col(a("report_id"))
                    .col(a("position"))
                    .unique()
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in ["recommendation", "programme_report", "analytical_grid"] {
            manager
                .drop_table(Table::drop().table(a(table)).to_owned())
                .await?;
        }
        for column in ["programme_id", "anonymity"] {
            manager
                .alter_table(
                    Table::alter()
                        .table(a("campaign"))
                        .drop_column(a(column))
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }
}
