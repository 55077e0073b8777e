use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Organisation::Table)
                    .col(big_pk_auto(Organisation::Id))
                    .col(string_uniq(Organisation::Slug))
                    .col(string(Organisation::Name))
                    .col(timestamp_with_time_zone(Organisation::CreatedAt))
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(UserAccount::Table)
                    .col(big_pk_auto(UserAccount::Id))
                    .col(string_uniq(UserAccount::Email))
                    .col(string(UserAccount::DisplayName))
                    .col(string(UserAccount::PasswordHash))
                    .col(timestamp_with_time_zone(UserAccount::CreatedAt))
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(Membership::Table)
                    .col(big_pk_auto(Membership::Id))
                    .col(big_integer(Membership::OrganisationId))
                    .col(big_integer(Membership::UserId))
                    .col(string(Membership::Role))
                    .col(timestamp_with_time_zone(Membership::CreatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(Membership::Table, Membership::OrganisationId)
                            .to(Organisation::Table, Organisation::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(Membership::Table, Membership::UserId)
                            .to(UserAccount::Table, UserAccount::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .index(
                        Index::create()
                            .name("membership_organisation_user")
                            .col(Membership::OrganisationId)
                            .col(Membership::UserId)
                            .unique(),
                    )
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(AccessToken::Table)
                    .col(big_pk_auto(AccessToken::Id))
                    .col(string_uniq(AccessToken::TokenHash))
                    .col(big_integer(AccessToken::MembershipId))
                    .col(timestamp_with_time_zone(AccessToken::CreatedAt))
                    .col(timestamp_with_time_zone(AccessToken::ExpiresAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(AccessToken::Table, AccessToken::MembershipId)
                            .to(Membership::Table, Membership::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(Person::Table)
                    .col(big_pk_auto(Person::Id))
                    .col(big_integer(Person::OrganisationId))
                    .col(string_null(Person::ExternalRef))
                    .col(string(Person::Name))
                    .col(string_null(Person::Email))
                    .col(string(Person::Kind))
                    .col(string(Person::Language))
                    .col(string(Person::TimeZone))
                    .col(timestamp_with_time_zone(Person::CreatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(Person::Table, Person::OrganisationId)
                            .to(Organisation::Table, Organisation::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .index(
                        Index::create()
                            .name("person_organisation_external_ref")
                            .col(Person::OrganisationId)
                            .col(Person::ExternalRef)
                            .unique(),
                    )
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            Person::Table.into_iden(),
            AccessToken::Table.into_iden(),
            Membership::Table.into_iden(),
            UserAccount::Table.into_iden(),
            Organisation::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}

#[derive(DeriveIden)]
pub enum Organisation {
    Table,
    Id,
    Slug,
    Name,
    CreatedAt,
}

#[derive(DeriveIden)]
enum UserAccount {
    Table,
    Id,
    Email,
    DisplayName,
    PasswordHash,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Membership {
    Table,
    Id,
    OrganisationId,
    UserId,
    Role,
    CreatedAt,
}

#[derive(DeriveIden)]
enum AccessToken {
    Table,
    Id,
    TokenHash,
    MembershipId,
    CreatedAt,
    ExpiresAt,
}

#[derive(DeriveIden)]
pub enum Person {
    Table,
    Id,
    OrganisationId,
    ExternalRef,
    Name,
    Email,
    Kind,
    Language,
    TimeZone,
    CreatedAt,
}
