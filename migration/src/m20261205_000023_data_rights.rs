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
        // Sensitive reads and writes, each recorded with the write it
        // describes. The actor is an account, or an API key acting for
        // the account that made it.
        manager
            .create_table(
                Table::create()
                    .table(a("audit_event"))
                    .col(big_pk_auto(a("id")))
                    .col(big_integer(a("organisation_id")))
                    .col(big_integer_null(a("actor_user_id")))
                    .col(big_integer_null(a("actor_api_key_id")))
                    .col(string(a("action")))
                    .col(string(a("target_kind")))
                    .col(big_integer_null(a("target_id")))
                    .col(json(a("detail")))
                    .col(string(a("client_address")))
                    .col(timestamp_with_time_zone(a("created_at")))
                    .foreign_key(&mut cascade(
                        "audit_event",
                        "organisation_id",
                        "organisation",
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("audit_event_organisation")
                    .table(a("audit_event"))
                    .col(a("organisation_id"))
                    .col(a("id"))
                    .to_owned(),
            )
            .await?;

        // How long an organisation keeps what it no longer needs; a
        // missing limit keeps it for good.
        manager
            .create_table(
                Table::create()
                    .table(a("retention_policy"))
                    .col(big_pk_auto(a("id")))
                    .col(big_integer(a("organisation_id")).unique_key())
                    .col(integer_null(a("free_text_days")))
                    .col(integer_null(a("email_log_days")))
                    .col(integer_null(a("audit_days")))
                    .col(big_integer_null(a("updated_by")))
                    .col(timestamp_with_time_zone(a("updated_at")))
                    .foreign_key(&mut cascade(
                        "retention_policy",
                        "organisation_id",
                        "organisation",
                    ))
                    .to_owned(),
            )
            .await?;

        // An erased person stays, nameless, so that counts keep adding up.
        manager
            .alter_table(
                Table::alter()
                    .table(a("person"))
                    .add_column(timestamp_with_time_zone_null(a("erased_at")))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(a("person"))
                    .drop_column(a("erased_at"))
                    .to_owned(),
            )
            .await?;
        for table in ["retention_policy", "audit_event"] {
            manager
                .drop_table(Table::drop().table(a(table)).to_owned())
                .await?;
        }
        Ok(())
    }
}
