use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

/// A password of one membership. An organisation that adds an address
/// already holding an account gives that membership a password of its
/// own, so no organisation can set the password another signs in with.
/// Null: the account's password.
#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Alias::new("membership"))
                    .add_column(string_null(Alias::new("password_hash")))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Alias::new("membership"))
                    .drop_column(Alias::new("password_hash"))
                    .to_owned(),
            )
            .await
    }
}
