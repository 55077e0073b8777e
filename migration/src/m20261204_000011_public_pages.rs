use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

fn a(name: &str) -> Alias {
    Alias::new(name)
}

fn cascade(table: &str, column: &str, to: &str) -> ForeignKeyCreateStatement {
    ForeignKey::create()
        .from(a(table), a(column))
        .to(a(to), a("id"))
        .on_delete(ForeignKeyAction::Cascade)
        .to_owned()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // Answers saved before submitting, one draft per invitation, removed
        // when the response is stored.
        manager
            .create_table(
                Table::create()
                    .table(a("response_draft"))
                    .col(big_pk_auto(a("id")))
                    .col(big_integer(a("invitation_id")).unique_key())
                    .col(json(a("answers")))
                    .col(timestamp_with_time_zone(a("saved_at")))
                    .foreign_key(&mut cascade(
                        "response_draft",
                        "invitation_id",
                        "invitation",
                    ))
                    .to_owned(),
            )
            .await?;

        // A link that shows one report version without an account, until it
        // expires or is revoked. Only the token's hash is kept.
        manager
            .create_table(
                Table::create()
                    .table(a("report_share"))
                    .col(big_pk_auto(a("id")))
                    .col(big_integer(a("organisation_id")))
                    .col(big_integer(a("report_id")))
                    .col(string(a("token_hash")).unique_key())
                    .col(string(a("audience")))
                    .col(timestamp_with_time_zone(a("expires_at")))
                    .col(big_integer_null(a("created_by")))
                    .col(timestamp_with_time_zone(a("created_at")))
                    .col(timestamp_with_time_zone_null(a("first_opened_at")))
                    .col(integer(a("open_count")).default(0))
                    .col(timestamp_with_time_zone_null(a("revoked_at")))
                    .foreign_key(&mut cascade("report_share", "report_id", "report"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("report_share_report")
                    .table(a("report_share"))
                    .col(a("report_id"))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in ["report_share", "response_draft"] {
            manager
                .drop_table(Table::drop().table(a(table)).to_owned())
                .await?;
        }
        Ok(())
    }
}
