use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

fn a(name: &str) -> Alias {
    Alias::new(name)
}

fn cascade(from: (&str, &str), to: &str) -> ForeignKeyCreateStatement {
    ForeignKey::create()
        .from(a(from.0), a(from.1))
        .to(a(to), a("id"))
        .on_delete(ForeignKeyAction::Cascade)
        .to_owned()
}

fn index(table: &str, name: &str, cols: &[&str]) -> IndexCreateStatement {
    let mut index = Index::create();
    index.name(name).table(a(table));
    for col in cols {
        index.col(a(col));
    }
    index.to_owned()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // A sign-in and the refresh tokens rotated from it.
        manager
            .create_table(
                Table::create()
                    .table(a("auth_session"))
                    .col(big_pk_auto(a("id")))
                    .col(big_integer(a("membership_id")))
                    .col(big_integer(a("user_id")))
                    .col(timestamp_with_time_zone(a("created_at")))
                    .col(timestamp_with_time_zone(a("expires_at")))
                    .col(timestamp_with_time_zone_null(a("revoked_at")))
                    .foreign_key(&mut cascade(
                        ("auth_session", "membership_id"),
                        "membership",
                    ))
                    .foreign_key(&mut cascade(("auth_session", "user_id"), "user_account"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                "auth_session",
                "auth_session_membership",
                &["membership_id", "expires_at"],
            ))
            .await?;
        manager
            .create_index(index("auth_session", "auth_session_user", &["user_id"]))
            .await?;

        // Used tokens are kept until they expire, to recognise their reuse.
        manager
            .create_table(
                Table::create()
                    .table(a("refresh_token"))
                    .col(big_pk_auto(a("id")))
                    .col(big_integer(a("session_id")))
                    .col(string_uniq(a("token_hash")))
                    .col(timestamp_with_time_zone(a("created_at")))
                    .col(timestamp_with_time_zone(a("expires_at")))
                    .col(timestamp_with_time_zone_null(a("used_at")))
                    .foreign_key(&mut cascade(
                        ("refresh_token", "session_id"),
                        "auth_session",
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                "refresh_token",
                "refresh_token_session",
                &["session_id"],
            ))
            .await?;

        // Access tokens name their session, so that ending it ends them.
        // No foreign key: SQLite cannot add one to an existing table; the
        // session's end deletes its tokens. The 12-hour tokens issued
        // before sessions existed are dropped: their holders sign in again
        // and get a refresh token.
        manager
            .get_connection()
            .execute_unprepared("DELETE FROM access_token")
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(a("access_token"))
                    .add_column(big_integer_null(a("session_id")))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                "access_token",
                "access_token_session",
                &["session_id"],
            ))
            .await?;
        manager
            .create_index(index(
                "access_token",
                "access_token_membership",
                &["membership_id", "expires_at"],
            ))
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(a("api_key"))
                    .col(big_pk_auto(a("id")))
                    .col(big_integer(a("organisation_id")))
                    .col(string(a("name")))
                    .col(string_uniq(a("prefix")))
                    .col(string_uniq(a("key_hash")))
                    .col(string(a("scopes")))
                    .col(big_integer(a("created_by")))
                    .col(timestamp_with_time_zone(a("created_at")))
                    .col(timestamp_with_time_zone_null(a("expires_at")))
                    .col(timestamp_with_time_zone_null(a("revoked_at")))
                    .col(timestamp_with_time_zone_null(a("last_used_at")))
                    .foreign_key(&mut cascade(("api_key", "organisation_id"), "organisation"))
                    .foreign_key(&mut cascade(("api_key", "created_by"), "user_account"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                "api_key",
                "api_key_organisation",
                &["organisation_id", "id"],
            ))
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(a("password_reset"))
                    .col(big_pk_auto(a("id")))
                    .col(big_integer_null(a("user_id")))
                    .col(string(a("nonce")))
                    .col(string_uniq(a("token_hash")))
                    .col(timestamp_with_time_zone(a("created_at")))
                    .col(timestamp_with_time_zone(a("expires_at")))
                    .col(timestamp_with_time_zone_null(a("used_at")))
                    .foreign_key(&mut cascade(("password_reset", "user_id"), "user_account"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index("password_reset", "password_reset_user", &["user_id"]))
            .await?;
        manager
            .create_index(index(
                "password_reset",
                "password_reset_expiry",
                &["expires_at"],
            ))
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in ["password_reset", "api_key", "refresh_token", "auth_session"] {
            manager
                .drop_table(Table::drop().table(a(table)).to_owned())
                .await?;
        }
        for name in ["access_token_membership", "access_token_session"] {
            manager
                .drop_index(Index::drop().name(name).table(a("access_token")).to_owned())
                .await?;
        }
        manager
            .alter_table(
                Table::alter()
                    .table(a("access_token"))
                    .drop_column(a("session_id"))
                    .to_owned(),
            )
            .await
    }
}
