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
        // The account a person signs in with, when they have one.
        manager
            .alter_table(
                Table::alter()
                    .table(a("person"))
                    .add_column(big_integer_null(a("user_id")))
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(a("training_module"))
                    .col(big_pk_auto(a("id")))
                    .col(big_integer(a("organisation_id")))
                    .col(big_integer(a("programme_id")))
                    .col(string(a("title")))
                    .col(text(a("description")))
                    .col(double(a("hours")))
                    .col(string(a("level")))
                    .foreign_key(&mut cascade("training_module", "programme_id", "programme"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(a("training_completion"))
                    .col(big_integer(a("module_id")))
                    .col(big_integer(a("person_id")))
                    .col(date(a("completed_on")))
                    .primary_key(Index::create().col(a("module_id")).col(a("person_id")))
                    .foreign_key(&mut cascade(
                        "training_completion",
                        "module_id",
                        "training_module",
                    ))
                    .foreign_key(&mut cascade("training_completion", "person_id", "person"))
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(a("community"))
                    .col(big_pk_auto(a("id")))
                    .col(big_integer(a("organisation_id")))
                    .col(big_integer(a("programme_id")))
                    .col(string(a("name")))
                    .col(text(a("description")))
                    .col(timestamp_with_time_zone(a("created_at")))
                    .foreign_key(&mut cascade("community", "programme_id", "programme"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(a("community_member"))
                    .col(big_integer(a("community_id")))
                    .col(big_integer(a("person_id")))
                    .col(timestamp_with_time_zone(a("joined_at")))
                    .primary_key(Index::create().col(a("community_id")).col(a("person_id")))
                    .foreign_key(&mut cascade(
                        "community_member",
                        "community_id",
                        "community",
                    ))
                    .foreign_key(&mut cascade("community_member", "person_id", "person"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(a("community_resource"))
                    .col(big_pk_auto(a("id")))
                    .col(big_integer(a("community_id")))
                    .col(string(a("title")))
                    .col(string(a("url")))
                    .col(timestamp_with_time_zone(a("created_at")))
                    .foreign_key(&mut cascade(
                        "community_resource",
                        "community_id",
                        "community",
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(a("community_post"))
                    .col(big_pk_auto(a("id")))
                    .col(big_integer(a("community_id")))
                    .col(big_integer(a("author_user_id")))
                    .col(text(a("body")))
                    .col(timestamp_with_time_zone(a("created_at")))
                    .foreign_key(&mut cascade("community_post", "community_id", "community"))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            "community_post",
            "community_resource",
            "community_member",
            "community",
            "training_completion",
            "training_module",
        ] {
            manager
                .drop_table(Table::drop().table(a(table)).to_owned())
                .await?;
        }
        manager
            .alter_table(
                Table::alter()
                    .table(a("person"))
                    .drop_column(a("user_id"))
                    .to_owned(),
            )
            .await
    }
}
