use sea_orm_migration::{prelude::*, schema::*};

use crate::m20261204_000001_accounts::Organisation;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Questionnaire::Table)
                    .col(big_pk_auto(Questionnaire::Id))
                    .col(big_integer(Questionnaire::OrganisationId))
                    .col(string(Questionnaire::Key))
                    .col(integer(Questionnaire::Version))
                    .col(string(Questionnaire::Title))
                    .col(text(Questionnaire::Description))
                    .col(string(Questionnaire::Audience))
                    .col(timestamp_with_time_zone_null(Questionnaire::LockedAt))
                    .col(timestamp_with_time_zone(Questionnaire::CreatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(Questionnaire::Table, Questionnaire::OrganisationId)
                            .to(Organisation::Table, Organisation::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .index(
                        Index::create()
                            .name("questionnaire_key_version")
                            .col(Questionnaire::OrganisationId)
                            .col(Questionnaire::Key)
                            .col(Questionnaire::Version)
                            .unique(),
                    )
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(Scale::Table)
                    .col(big_pk_auto(Scale::Id))
                    .col(big_integer(Scale::QuestionnaireId))
                    .col(string(Scale::Code))
                    .col(string(Scale::Name))
                    .col(integer(Scale::Position))
                    .foreign_key(
                        ForeignKey::create()
                            .from(Scale::Table, Scale::QuestionnaireId)
                            .to(Questionnaire::Table, Questionnaire::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .index(
                        Index::create()
                            .name("scale_questionnaire_code")
                            .col(Scale::QuestionnaireId)
                            .col(Scale::Code)
                            .unique(),
                    )
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(Item::Table)
                    .col(big_pk_auto(Item::Id))
                    .col(big_integer(Item::QuestionnaireId))
                    .col(big_integer_null(Item::ScaleId))
                    .col(integer(Item::Position))
                    .col(string(Item::Code))
                    .col(text(Item::Prompt))
                    .col(string(Item::Kind))
                    .col(integer_null(Item::Points))
                    .col(json(Item::Labels))
                    .col(boolean(Item::ReverseKeyed))
                    .col(double_null(Item::MinValue))
                    .col(double_null(Item::MaxValue))
                    .col(boolean(Item::Required))
                    .foreign_key(
                        ForeignKey::create()
                            .from(Item::Table, Item::QuestionnaireId)
                            .to(Questionnaire::Table, Questionnaire::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(Item::Table, Item::ScaleId)
                            .to(Scale::Table, Scale::Id)
                            .on_delete(ForeignKeyAction::SetNull),
                    )
                    .index(
                        Index::create()
                            .name("item_questionnaire_code")
                            .col(Item::QuestionnaireId)
                            .col(Item::Code)
                            .unique(),
                    )
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            Item::Table.into_iden(),
            Scale::Table.into_iden(),
            Questionnaire::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}

#[derive(DeriveIden)]
pub enum Questionnaire {
    Table,
    Id,
    OrganisationId,
    Key,
    Version,
    Title,
    Description,
    Audience,
    LockedAt,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Scale {
    Table,
    Id,
    QuestionnaireId,
    Code,
    Name,
    Position,
}

#[derive(DeriveIden)]
pub enum Item {
    Table,
    Id,
    QuestionnaireId,
    ScaleId,
    Position,
    Code,
    Prompt,
    Kind,
    Points,
    Labels,
    ReverseKeyed,
    MinValue,
    MaxValue,
    Required,
}
