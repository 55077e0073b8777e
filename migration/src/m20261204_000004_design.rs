use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

fn cascade(from: (Alias, Alias), to: (Alias, Alias)) -> ForeignKeyCreateStatement {
    ForeignKey::create()
        .from(from.0, from.1)
        .to(to.0, to.1)
        .on_delete(ForeignKeyAction::Cascade)
        .to_owned()
}

fn a(name: &str) -> Alias {
    Alias::new(name)
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // Imported responses can be linked to the people who gave them.
        manager
            .alter_table(
                Table::alter()
                    .table(a("response"))
                    .add_column(big_integer_null(a("person_id")))
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(Programme::Table)
                    .col(big_pk_auto(Programme::Id))
                    .col(big_integer(Programme::OrganisationId))
                    .col(string(Programme::Name))
                    .col(text(Programme::Description))
                    .col(date(Programme::StartsOn))
                    .col(date(Programme::EndsOn))
                    .col(json(Programme::Goals))
                    .col(double(Programme::Budget))
                    .col(string(Programme::Currency))
                    .col(integer(Programme::ExpectedLearners))
                    .col(timestamp_with_time_zone(Programme::CreatedAt))
                    .foreign_key(&mut cascade(
                        (a("programme"), a("organisation_id")),
                        (a("organisation"), a("id")),
                    ))
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(SupportAxis::Table)
                    .col(big_pk_auto(SupportAxis::Id))
                    .col(big_integer(SupportAxis::OrganisationId))
                    .col(big_integer(SupportAxis::ProgrammeId))
                    .col(string(SupportAxis::Name))
                    .col(string(SupportAxis::Kind))
                    .col(text(SupportAxis::Description))
                    .col(double(SupportAxis::Weight))
                    .foreign_key(&mut cascade(
                        (a("support_axis"), a("programme_id")),
                        (a("programme"), a("id")),
                    ))
                    .index(
                        Index::create()
                            .name("support_axis_programme_name")
                            .col(SupportAxis::ProgrammeId)
                            .col(SupportAxis::Name)
                            .unique(),
                    )
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(NeedRule::Table)
                    .col(big_pk_auto(NeedRule::Id))
                    .col(big_integer(NeedRule::OrganisationId))
                    .col(big_integer(NeedRule::ProgrammeId))
                    .col(big_integer(NeedRule::AxisId))
                    .col(big_integer(NeedRule::CampaignId))
                    .col(string(NeedRule::ScaleCode))
                    .col(string(NeedRule::Direction))
                    .col(double(NeedRule::Threshold))
                    .col(timestamp_with_time_zone_null(NeedRule::AppliedAt))
                    .col(timestamp_with_time_zone(NeedRule::CreatedAt))
                    .foreign_key(&mut cascade(
                        (a("need_rule"), a("axis_id")),
                        (a("support_axis"), a("id")),
                    ))
                    .foreign_key(&mut cascade(
                        (a("need_rule"), a("campaign_id")),
                        (a("campaign"), a("id")),
                    ))
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(Need::Table)
                    .col(big_pk_auto(Need::Id))
                    .col(big_integer(Need::OrganisationId))
                    .col(big_integer(Need::ProgrammeId))
                    .col(big_integer(Need::AxisId))
                    .col(big_integer(Need::PersonId))
                    .col(integer(Need::Severity))
                    .col(string(Need::Source))
                    .col(string(Need::Status))
                    .col(text(Need::Evidence))
                    .col(big_integer_null(Need::RuleId))
                    .col(timestamp_with_time_zone(Need::CreatedAt))
                    .col(timestamp_with_time_zone(Need::UpdatedAt))
                    .foreign_key(&mut cascade(
                        (a("need"), a("axis_id")),
                        (a("support_axis"), a("id")),
                    ))
                    .foreign_key(&mut cascade(
                        (a("need"), a("person_id")),
                        (a("person"), a("id")),
                    ))
                    .index(
                        Index::create()
                            .name("need_axis_person_source")
                            .col(Need::AxisId)
                            .col(Need::PersonId)
                            .col(Need::Source)
                            .unique(),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("need_programme")
                    .table(Need::Table)
                    .col(Need::ProgrammeId)
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(Intervention::Table)
                    .col(big_pk_auto(Intervention::Id))
                    .col(big_integer(Intervention::OrganisationId))
                    .col(big_integer(Intervention::ProgrammeId))
                    .col(big_integer(Intervention::AxisId))
                    .col(string(Intervention::Name))
                    .col(text(Intervention::Description))
                    .col(string(Intervention::Format))
                    .col(string(Intervention::Tool))
                    .col(double(Intervention::SessionsPerMonth))
                    .col(integer(Intervention::SessionMinutes))
                    .col(integer(Intervention::GroupSize))
                    .col(double(Intervention::SessionCost))
                    .foreign_key(&mut cascade(
                        (a("intervention"), a("axis_id")),
                        (a("support_axis"), a("id")),
                    ))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            "intervention",
            "need",
            "need_rule",
            "support_axis",
            "programme",
        ] {
            manager
                .drop_table(Table::drop().table(a(table)).to_owned())
                .await?;
        }
        manager
            .alter_table(
                Table::alter()
                    .table(a("response"))
                    .drop_column(a("person_id"))
                    .to_owned(),
            )
            .await
    }
}

#[derive(DeriveIden)]
enum Programme {
    Table,
    Id,
    OrganisationId,
    Name,
    Description,
    StartsOn,
    EndsOn,
    Goals,
    Budget,
    Currency,
    ExpectedLearners,
    CreatedAt,
}

#[derive(DeriveIden)]
enum SupportAxis {
    Table,
    Id,
    OrganisationId,
    ProgrammeId,
    Name,
    Kind,
    Description,
    Weight,
}

#[derive(DeriveIden)]
enum NeedRule {
    Table,
    Id,
    OrganisationId,
    ProgrammeId,
    AxisId,
    CampaignId,
    ScaleCode,
    Direction,
    Threshold,
    AppliedAt,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Need {
    Table,
    Id,
    OrganisationId,
    ProgrammeId,
    AxisId,
    PersonId,
    Severity,
    Source,
    Status,
    Evidence,
    RuleId,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum Intervention {
    Table,
    Id,
    OrganisationId,
    ProgrammeId,
    AxisId,
    Name,
    Description,
    Format,
    Tool,
    SessionsPerMonth,
    SessionMinutes,
    GroupSize,
    SessionCost,
}
