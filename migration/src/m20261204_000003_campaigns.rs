use sea_orm_migration::{prelude::*, schema::*};

use crate::m20261204_000001_accounts::{Organisation, Person};
use crate::m20261204_000002_questionnaires::{Item, Questionnaire};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Campaign::Table)
                    .col(big_pk_auto(Campaign::Id))
                    .col(big_integer(Campaign::OrganisationId))
                    .col(big_integer(Campaign::QuestionnaireId))
                    .col(string(Campaign::Name))
                    .col(timestamp_with_time_zone(Campaign::OpensAt))
                    .col(timestamp_with_time_zone(Campaign::ClosesAt))
                    .col(json(Campaign::ReminderOffsetsHours))
                    .col(integer(Campaign::MinGroupSize))
                    .col(double(Campaign::LowScoreThreshold))
                    .col(timestamp_with_time_zone_null(Campaign::LaunchedAt))
                    .col(timestamp_with_time_zone(Campaign::CreatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(Campaign::Table, Campaign::OrganisationId)
                            .to(Organisation::Table, Organisation::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(Campaign::Table, Campaign::QuestionnaireId)
                            .to(Questionnaire::Table, Questionnaire::Id)
                            .on_delete(ForeignKeyAction::Restrict),
                    )
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(Invitation::Table)
                    .col(big_pk_auto(Invitation::Id))
                    .col(big_integer(Invitation::OrganisationId))
                    .col(big_integer(Invitation::CampaignId))
                    .col(big_integer(Invitation::PersonId))
                    .col(string(Invitation::TokenNonce))
                    .col(string_uniq(Invitation::TokenHash))
                    .col(timestamp_with_time_zone_null(Invitation::RespondedAt))
                    .col(timestamp_with_time_zone_null(Invitation::OptedOutAt))
                    .col(timestamp_with_time_zone(Invitation::CreatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(Invitation::Table, Invitation::CampaignId)
                            .to(Campaign::Table, Campaign::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(Invitation::Table, Invitation::PersonId)
                            .to(Person::Table, Person::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .index(
                        Index::create()
                            .name("invitation_campaign_person")
                            .col(Invitation::CampaignId)
                            .col(Invitation::PersonId)
                            .unique(),
                    )
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(EmailMessage::Table)
                    .col(big_pk_auto(EmailMessage::Id))
                    .col(big_integer(EmailMessage::OrganisationId))
                    .col(string_uniq(EmailMessage::Key))
                    .col(big_integer_null(EmailMessage::CampaignId))
                    .col(big_integer_null(EmailMessage::InvitationId))
                    .col(integer_null(EmailMessage::Step))
                    .col(string(EmailMessage::Recipient))
                    .col(string(EmailMessage::Subject))
                    .col(string(EmailMessage::Status))
                    .col(text_null(EmailMessage::Error))
                    .col(timestamp_with_time_zone(EmailMessage::CreatedAt))
                    .col(timestamp_with_time_zone_null(EmailMessage::SentAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(EmailMessage::Table, EmailMessage::OrganisationId)
                            .to(Organisation::Table, Organisation::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("email_message_invitation")
                    .table(EmailMessage::Table)
                    .col(EmailMessage::InvitationId)
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(Response::Table)
                    .col(big_pk_auto(Response::Id))
                    .col(big_integer(Response::OrganisationId))
                    .col(big_integer(Response::CampaignId))
                    .col(big_integer_null(Response::InvitationId).unique_key())
                    .col(string_null(Response::ExternalRef))
                    .col(string(Response::Source))
                    .col(json(Response::Attributes))
                    .col(string(Response::Digest))
                    .col(timestamp_with_time_zone(Response::SubmittedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(Response::Table, Response::CampaignId)
                            .to(Campaign::Table, Campaign::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("response_campaign")
                    .table(Response::Table)
                    .col(Response::CampaignId)
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(Answer::Table)
                    .col(big_pk_auto(Answer::Id))
                    .col(big_integer(Answer::ResponseId))
                    .col(big_integer(Answer::ItemId))
                    .col(double_null(Answer::NumberValue))
                    .col(text_null(Answer::TextValue))
                    .col(json_null(Answer::Choices))
                    .foreign_key(
                        ForeignKey::create()
                            .from(Answer::Table, Answer::ResponseId)
                            .to(Response::Table, Response::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(Answer::Table, Answer::ItemId)
                            .to(Item::Table, Item::Id)
                            .on_delete(ForeignKeyAction::Restrict),
                    )
                    .index(
                        Index::create()
                            .name("answer_response_item")
                            .col(Answer::ResponseId)
                            .col(Answer::ItemId)
                            .unique(),
                    )
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(CampaignResult::Table)
                    .col(big_pk_auto(CampaignResult::Id))
                    .col(big_integer(CampaignResult::OrganisationId))
                    .col(big_integer_uniq(CampaignResult::CampaignId))
                    .col(integer(CampaignResult::ResponseCount))
                    .col(json(CampaignResult::Data))
                    .col(timestamp_with_time_zone(CampaignResult::ComputedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(CampaignResult::Table, CampaignResult::CampaignId)
                            .to(Campaign::Table, Campaign::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(Report::Table)
                    .col(big_pk_auto(Report::Id))
                    .col(big_integer(Report::OrganisationId))
                    .col(big_integer(Report::CampaignId))
                    .col(integer(Report::Version))
                    .col(json(Report::Data))
                    .col(text(Report::Html))
                    .col(timestamp_with_time_zone(Report::CreatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(Report::Table, Report::CampaignId)
                            .to(Campaign::Table, Campaign::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .index(
                        Index::create()
                            .name("report_campaign_version")
                            .col(Report::CampaignId)
                            .col(Report::Version)
                            .unique(),
                    )
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(JobRun::Table)
                    .col(big_pk_auto(JobRun::Id))
                    .col(string(JobRun::Kind))
                    .col(json(JobRun::Payload))
                    .col(string(JobRun::Outcome))
                    .col(json(JobRun::Detail))
                    .col(timestamp_with_time_zone(JobRun::StartedAt))
                    .col(timestamp_with_time_zone(JobRun::FinishedAt))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            JobRun::Table.into_iden(),
            Report::Table.into_iden(),
            CampaignResult::Table.into_iden(),
            Answer::Table.into_iden(),
            Response::Table.into_iden(),
            EmailMessage::Table.into_iden(),
            Invitation::Table.into_iden(),
            Campaign::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}

#[derive(DeriveIden)]
enum Campaign {
    Table,
    Id,
    OrganisationId,
    QuestionnaireId,
    Name,
    OpensAt,
    ClosesAt,
    ReminderOffsetsHours,
    MinGroupSize,
    LowScoreThreshold,
    LaunchedAt,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Invitation {
    Table,
    Id,
    OrganisationId,
    CampaignId,
    PersonId,
    TokenNonce,
    TokenHash,
    RespondedAt,
    OptedOutAt,
    CreatedAt,
}

#[derive(DeriveIden)]
enum EmailMessage {
    Table,
    Id,
    OrganisationId,
    Key,
    CampaignId,
    InvitationId,
    Step,
    Recipient,
    Subject,
    Status,
    Error,
    CreatedAt,
    SentAt,
}

#[derive(DeriveIden)]
enum Response {
    Table,
    Id,
    OrganisationId,
    CampaignId,
    InvitationId,
    ExternalRef,
    Source,
    Attributes,
    Digest,
    SubmittedAt,
}

#[derive(DeriveIden)]
enum Answer {
    Table,
    Id,
    ResponseId,
    ItemId,
    NumberValue,
    TextValue,
    Choices,
}

#[derive(DeriveIden)]
enum CampaignResult {
    Table,
    Id,
    OrganisationId,
    CampaignId,
    ResponseCount,
    Data,
    ComputedAt,
}

#[derive(DeriveIden)]
enum Report {
    Table,
    Id,
    OrganisationId,
    CampaignId,
    Version,
    Data,
    Html,
    CreatedAt,
}

#[derive(DeriveIden)]
enum JobRun {
    Table,
    Id,
    Kind,
    Payload,
    Outcome,
    Detail,
    StartedAt,
    FinishedAt,
}
