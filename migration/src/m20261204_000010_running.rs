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

fn restrict(table: &str, column: &str, to: &str) -> ForeignKeyCreateStatement {
    ForeignKey::create()
        .from(a(table), a(column))
        .to(a(to), a("id"))
        .on_delete(ForeignKeyAction::Restrict)
        .to_owned()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // A tutor's profile in a programme. `active_count` counts the active
        // matchings; the check makes the database itself refuse more active
        // matchings than the capacity, whatever the code does.
        manager
            .create_table(
                Table::create()
                    .table(a("tutor_profile"))
                    .col(big_pk_auto(a("id")))
                    .col(big_integer(a("organisation_id")))
                    .col(big_integer(a("programme_id")))
                    .col(big_integer(a("person_id")))
                    .col(json(a("role_ids")))
                    .col(integer(a("capacity")))
                    .col(integer(a("active_count")).default(0))
                    .col(json(a("languages")))
                    .col(json(a("availability")))
                    .col(json(a("modes")))
                    .col(json(a("competences")))
                    .col(timestamp_with_time_zone(a("updated_at")))
                    .check(
                        Expr::col(a("active_count"))
                            .gte(0)
                            .and(Expr::col(a("active_count")).lte(Expr::col(a("capacity")))),
                    )
                    .foreign_key(&mut cascade("tutor_profile", "programme_id", "programme"))
                    .foreign_key(&mut cascade("tutor_profile", "person_id", "person"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("tutor_profile_person")
                    .table(a("tutor_profile"))
                    .col(a("programme_id"))
                    .col(a("person_id"))
                    .unique()
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(a("learner_profile"))
                    .col(big_pk_auto(a("id")))
                    .col(big_integer(a("organisation_id")))
                    .col(big_integer(a("programme_id")))
                    .col(big_integer(a("person_id")))
                    .col(json(a("languages")))
                    .col(json(a("availability")))
                    .col(json(a("modes")))
                    .col(timestamp_with_time_zone(a("updated_at")))
                    .foreign_key(&mut cascade("learner_profile", "programme_id", "programme"))
                    .foreign_key(&mut cascade("learner_profile", "person_id", "person"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("learner_profile_person")
                    .table(a("learner_profile"))
                    .col(a("programme_id"))
                    .col(a("person_id"))
                    .unique()
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(a("matching_exclusion"))
                    .col(big_pk_auto(a("id")))
                    .col(big_integer(a("organisation_id")))
                    .col(big_integer(a("programme_id")))
                    .col(big_integer(a("learner_id")))
                    .col(big_integer(a("tutor_id")))
                    .col(text(a("reason")))
                    .col(big_integer(a("created_by")))
                    .col(timestamp_with_time_zone(a("created_at")))
                    .foreign_key(&mut cascade(
                        "matching_exclusion",
                        "programme_id",
                        "programme",
                    ))
                    .foreign_key(&mut cascade("matching_exclusion", "learner_id", "person"))
                    .foreign_key(&mut cascade("matching_exclusion", "tutor_id", "person"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("matching_exclusion_pair")
                    .table(a("matching_exclusion"))
                    .col(a("programme_id"))
                    .col(a("learner_id"))
                    .col(a("tutor_id"))
                    .unique()
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(a("matching_run"))
                    .col(big_pk_auto(a("id")))
                    .col(big_integer(a("organisation_id")))
                    .col(big_integer(a("programme_id")))
                    .col(big_integer(a("role_id")))
                    .col(string(a("status")))
                    .col(json(a("weights")))
                    .col(big_integer(a("requested_by")))
                    .col(integer(a("learners")).default(0))
                    .col(integer(a("proposed")).default(0))
                    .col(double(a("total_score")).default(0.0))
                    .col(json(a("ruled_out")))
                    .col(text_null(a("error")))
                    .col(timestamp_with_time_zone(a("created_at")))
                    .col(timestamp_with_time_zone_null(a("finished_at")))
                    .foreign_key(&mut cascade("matching_run", "programme_id", "programme"))
                    .foreign_key(&mut cascade("matching_run", "role_id", "tutor_role"))
                    .to_owned(),
            )
            .await?;

        // Matchings are archived, never deleted: no cascade from people.
        manager
            .create_table(
                Table::create()
                    .table(a("matching"))
                    .col(big_pk_auto(a("id")))
                    .col(big_integer(a("organisation_id")))
                    .col(big_integer(a("programme_id")))
                    .col(big_integer(a("role_id")))
                    .col(big_integer(a("learner_id")))
                    .col(big_integer(a("tutor_id")))
                    .col(big_integer_null(a("run_id")))
                    .col(string(a("status")))
                    .col(double(a("score")))
                    .col(json(a("breakdown")))
                    .col(big_integer_null(a("decided_by")))
                    .col(text(a("reason")))
                    .col(timestamp_with_time_zone(a("proposed_at")))
                    .col(timestamp_with_time_zone_null(a("activated_at")))
                    .col(timestamp_with_time_zone_null(a("ended_at")))
                    .col(timestamp_with_time_zone(a("updated_at")))
                    .foreign_key(&mut restrict("matching", "programme_id", "programme"))
                    .foreign_key(&mut restrict("matching", "role_id", "tutor_role"))
                    .foreign_key(&mut restrict("matching", "learner_id", "person"))
                    .foreign_key(&mut restrict("matching", "tutor_id", "person"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("matching_programme_status")
                    .table(a("matching"))
                    .col(a("programme_id"))
                    .col(a("status"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("matching_tutor")
                    .table(a("matching"))
                    .col(a("tutor_id"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("matching_learner")
                    .table(a("matching"))
                    .col(a("learner_id"))
                    .to_owned(),
            )
            .await?;
        // One active matching per pair and role, and one open proposal:
        // partial unique indexes, written the same on PostgreSQL and SQLite.
        let db = manager.get_connection();
        db.execute_unprepared(
            "CREATE UNIQUE INDEX matching_one_active ON matching (learner_id, tutor_id, role_id) WHERE status = 'active'",
        )
        .await?;
        db.execute_unprepared(
            "CREATE UNIQUE INDEX matching_one_proposal ON matching (learner_id, tutor_id, role_id) WHERE status = 'proposed'",
        )
        .await?;
        // A learner has at most one active tutor in a role.
        db.execute_unprepared(
            "CREATE UNIQUE INDEX matching_one_per_role ON matching (learner_id, role_id) WHERE status = 'active'",
        )
        .await?;

        // Every decision on a matching, in order: the history behind its
        // current status.
        manager
            .create_table(
                Table::create()
                    .table(a("matching_decision"))
                    .col(big_pk_auto(a("id")))
                    .col(big_integer(a("matching_id")))
                    .col(string_null(a("from_status")))
                    .col(string(a("to_status")))
                    .col(big_integer_null(a("decided_by")))
                    .col(text(a("reason")))
                    .col(timestamp_with_time_zone(a("decided_at")))
                    .foreign_key(&mut cascade("matching_decision", "matching_id", "matching"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("matching_decision_matching")
                    .table(a("matching_decision"))
                    .col(a("matching_id"))
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(a("plan_goal"))
                    .col(big_pk_auto(a("id")))
                    .col(big_integer(a("organisation_id")))
                    .col(big_integer(a("matching_id")))
                    .col(text(a("description")))
                    .col(text(a("measure")))
                    .col(date(a("target_date")))
                    .col(string(a("status")))
                    .col(timestamp_with_time_zone(a("created_at")))
                    .col(timestamp_with_time_zone(a("updated_at")))
                    .foreign_key(&mut cascade("plan_goal", "matching_id", "matching"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(a("plan_item"))
                    .col(big_pk_auto(a("id")))
                    .col(big_integer(a("organisation_id")))
                    .col(big_integer(a("matching_id")))
                    .col(big_integer(a("intervention_id")))
                    .col(date(a("starts_on")))
                    .col(integer(a("every_days")))
                    .col(integer(a("sessions")))
                    .foreign_key(&mut cascade("plan_item", "matching_id", "matching"))
                    .foreign_key(&mut restrict(
                        "plan_item",
                        "intervention_id",
                        "intervention",
                    ))
                    .to_owned(),
            )
            .await?;
        for table in ["plan_goal", "plan_item"] {
            manager
                .create_index(
                    Index::create()
                        .name(format!("{table}_matching"))
                        .table(a(table))
                        .col(a("matching_id"))
                        .to_owned(),
                )
                .await?;
        }

        // Sessions of a matching, scheduled ahead or held; notes are timed
        // so the guide's notes standard can be checked.
        for column in [
            big_integer_null(a("matching_id")).to_owned(),
            string(a("status")).default("held").to_owned(),
            timestamp_with_time_zone_null(a("notes_at")).to_owned(),
        ] {
            manager
                .alter_table(
                    Table::alter()
                        .table(a("tutoring_session"))
                        .add_column(column)
                        .to_owned(),
                )
                .await?;
        }
        manager
            .create_index(
                Index::create()
                    .name("tutoring_session_matching")
                    .table(a("tutoring_session"))
                    .col(a("matching_id"))
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(a("relation_alert"))
                    .col(big_pk_auto(a("id")))
                    .col(big_integer(a("organisation_id")))
                    .col(big_integer(a("programme_id")))
                    .col(big_integer(a("matching_id")))
                    .col(big_integer(a("standard_id")))
                    .col(date(a("day")))
                    .col(string(a("severity")))
                    .col(text(a("message")))
                    .col(timestamp_with_time_zone(a("created_at")))
                    .foreign_key(&mut cascade("relation_alert", "matching_id", "matching"))
                    .foreign_key(&mut cascade("relation_alert", "standard_id", "standard"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("relation_alert_once")
                    .table(a("relation_alert"))
                    .col(a("matching_id"))
                    .col(a("standard_id"))
                    .col(a("day"))
                    .unique()
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_index(
                Index::drop()
                    .name("tutoring_session_matching")
                    .table(a("tutoring_session"))
                    .to_owned(),
            )
            .await?;
        for column in ["notes_at", "status", "matching_id"] {
            manager
                .alter_table(
                    Table::alter()
                        .table(a("tutoring_session"))
                        .drop_column(a(column))
                        .to_owned(),
                )
                .await?;
        }
        for table in [
            "relation_alert",
            "plan_item",
            "plan_goal",
            "matching_decision",
            "matching",
            "matching_run",
            "matching_exclusion",
            "learner_profile",
            "tutor_profile",
        ] {
            manager
                .drop_table(Table::drop().table(a(table)).to_owned())
                .await?;
        }
        Ok(())
    }
}
