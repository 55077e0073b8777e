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
        // Where an organisation wants its events sent. The signing secret
        // is not stored: it is derived from a nonce with the installation's
        // secret key, so a copy of the database cannot sign. After a
        // rotation the previous nonce signs too, until its grace ends.
        manager
            .create_table(
                Table::create()
                    .table(a("webhook_endpoint"))
                    .col(big_pk_auto(a("id")))
                    .col(big_integer(a("organisation_id")))
                    .col(text(a("url")))
                    .col(string(a("description")))
                    .col(json(a("event_types")))
                    .col(string(a("secret_nonce")))
                    .col(string_null(a("previous_secret_nonce")))
                    .col(timestamp_with_time_zone_null(a("previous_secret_until")))
                    .col(boolean(a("enabled")))
                    .col(big_integer_null(a("created_by")))
                    .col(timestamp_with_time_zone(a("created_at")))
                    .col(timestamp_with_time_zone_null(a("disabled_at")))
                    .foreign_key(&mut cascade(
                        "webhook_endpoint",
                        "organisation_id",
                        "organisation",
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("webhook_endpoint_organisation")
                    .table(a("webhook_endpoint"))
                    .col(a("organisation_id"))
                    .col(a("id"))
                    .to_owned(),
            )
            .await?;

        // One event owed to one endpoint, recorded with the event; the
        // worker claims it (`claimed_until`) while it sends.
        manager
            .create_table(
                Table::create()
                    .table(a("webhook_delivery"))
                    .col(big_pk_auto(a("id")))
                    .col(big_integer(a("organisation_id")))
                    .col(big_integer(a("endpoint_id")))
                    .col(string(a("event_id")))
                    .col(string(a("event_type")))
                    .col(json(a("payload")))
                    .col(integer(a("attempts")).default(0))
                    // Attempts made before the latest redelivery: the retry
                    // schedule starts again from there.
                    .col(integer(a("attempts_before_redelivery")).default(0))
                    .col(string(a("status")))
                    .col(integer_null(a("last_status_code")))
                    .col(string_null(a("last_error")))
                    .col(timestamp_with_time_zone(a("next_attempt_at")))
                    .col(timestamp_with_time_zone_null(a("claimed_until")))
                    .col(timestamp_with_time_zone(a("created_at")))
                    .col(timestamp_with_time_zone_null(a("last_attempt_at")))
                    .col(timestamp_with_time_zone_null(a("delivered_at")))
                    .foreign_key(&mut cascade(
                        "webhook_delivery",
                        "endpoint_id",
                        "webhook_endpoint",
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("webhook_delivery_event")
                    .table(a("webhook_delivery"))
                    .col(a("endpoint_id"))
                    .col(a("event_id"))
                    .unique()
                    .to_owned(),
            )
            .await?;
        // The worker looks for deliveries pending and due.
        manager
            .create_index(
                Index::create()
                    .name("webhook_delivery_due")
                    .table(a("webhook_delivery"))
                    .col(a("status"))
                    .col(a("next_attempt_at"))
                    .to_owned(),
            )
            .await?;

        // Each attempt of a delivery, for the delivery log.
        manager
            .create_table(
                Table::create()
                    .table(a("webhook_attempt"))
                    .col(big_pk_auto(a("id")))
                    .col(big_integer(a("delivery_id")))
                    .col(integer(a("number")))
                    .col(timestamp_with_time_zone(a("attempted_at")))
                    .col(integer_null(a("status_code")))
                    .col(string_null(a("error")))
                    .col(big_integer(a("duration_ms")))
                    .foreign_key(&mut cascade(
                        "webhook_attempt",
                        "delivery_id",
                        "webhook_delivery",
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("webhook_attempt_delivery")
                    .table(a("webhook_attempt"))
                    .col(a("delivery_id"))
                    .col(a("number"))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in ["webhook_attempt", "webhook_delivery", "webhook_endpoint"] {
            manager
                .drop_table(Table::drop().table(a(table)).to_owned())
                .await?;
        }
        Ok(())
    }
}
