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
        // Who gets which report version, how and when. The report is named
        // by kind and id, so that reports of another kind are disseminated
        // the same way without a column of their own.
        manager
            .create_table(
                Table::create()
                    .table(a("dissemination_plan"))
                    .col(big_pk_auto(a("id")))
                    .col(big_integer(a("organisation_id")))
                    .col(string(a("name")))
                    .col(string(a("report_kind")))
                    .col(big_integer(a("report_id")))
                    .col(big_integer_null(a("created_by")))
                    .col(timestamp_with_time_zone(a("created_at")))
                    // Set by the first send; a plan started cannot be cancelled.
                    .col(timestamp_with_time_zone_null(a("started_at")))
                    .col(timestamp_with_time_zone_null(a("cancelled_at")))
                    .foreign_key(&mut cascade(
                        "dissemination_plan",
                        "organisation_id",
                        "organisation",
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("dissemination_plan_organisation")
                    .table(a("dissemination_plan"))
                    .col(a("organisation_id"))
                    .col(a("id"))
                    .to_owned(),
            )
            .await?;

        // One audience of a plan: a group of people or addresses, the
        // channel that reaches them, and when.
        manager
            .create_table(
                Table::create()
                    .table(a("dissemination_audience"))
                    .col(big_pk_auto(a("id")))
                    .col(big_integer(a("plan_id")))
                    .col(integer(a("position")))
                    .col(string(a("kind")))
                    .col(string(a("channel")))
                    .col(timestamp_with_time_zone(a("send_at")))
                    .col(integer(a("link_lifetime_days")))
                    .col(string(a("language")))
                    .col(json(a("recipients")))
                    // Derives the public link's token with the secret key.
                    .col(string(a("link_nonce")))
                    .col(big_integer_null(a("share_id")))
                    .col(timestamp_with_time_zone_null(a("done_at")))
                    .foreign_key(&mut cascade(
                        "dissemination_audience",
                        "plan_id",
                        "dissemination_plan",
                    ))
                    .foreign_key(
                        ForeignKey::create()
                            .from(a("dissemination_audience"), a("share_id"))
                            .to(a("report_share"), a("id"))
                            .on_delete(ForeignKeyAction::SetNull),
                    )
                    .to_owned(),
            )
            .await?;
        // The clock looks for audiences due and not done.
        manager
            .create_index(
                Index::create()
                    .name("dissemination_audience_due")
                    .table(a("dissemination_audience"))
                    .col(a("done_at"))
                    .col(a("send_at"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("dissemination_audience_plan")
                    .table(a("dissemination_audience"))
                    .col(a("plan_id"))
                    .to_owned(),
            )
            .await?;

        // One member of an audience: the email sent them, their personal
        // link (only its hash) and what became of it.
        manager
            .create_table(
                Table::create()
                    .table(a("dissemination_delivery"))
                    .col(big_pk_auto(a("id")))
                    .col(big_integer(a("organisation_id")))
                    .col(big_integer(a("plan_id")))
                    .col(big_integer(a("audience_id")))
                    .col(string(a("member_key")))
                    .col(string(a("address")))
                    .col(string(a("name")))
                    .col(big_integer_null(a("person_id")))
                    .col(string(a("language")))
                    .col(string(a("token_nonce")))
                    .col(string(a("token_hash")).unique_key())
                    .col(string(a("email_key")).unique_key())
                    .col(string(a("status")))
                    .col(text_null(a("error")))
                    .col(timestamp_with_time_zone(a("expires_at")))
                    .col(timestamp_with_time_zone(a("created_at")))
                    .col(timestamp_with_time_zone_null(a("sent_at")))
                    .col(timestamp_with_time_zone_null(a("first_opened_at")))
                    .col(integer(a("open_count")).default(0))
                    .col(timestamp_with_time_zone_null(a("revoked_at")))
                    .foreign_key(&mut cascade(
                        "dissemination_delivery",
                        "audience_id",
                        "dissemination_audience",
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("dissemination_delivery_member")
                    .table(a("dissemination_delivery"))
                    .col(a("audience_id"))
                    .col(a("member_key"))
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("dissemination_delivery_plan")
                    .table(a("dissemination_delivery"))
                    .col(a("plan_id"))
                    .col(a("id"))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            "dissemination_delivery",
            "dissemination_audience",
            "dissemination_plan",
        ] {
            manager
                .drop_table(Table::drop().table(a(table)).to_owned())
                .await?;
        }
        Ok(())
    }
}
