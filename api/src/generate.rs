//! A realistic organisation at a chosen scale, for load tests and
//! benchmarks: learners and tutors, one programme whose tutors each follow
//! a group of learners through held sessions, and campaigns of the bundled
//! learner questionnaire whose answers are drawn from the real bfi answers
//! (whole respondents, so scales keep their reliability).
//!
//! Rows are written in large multi-row inserts; 30,000 learners with four
//! campaigns (some two million answers) take a few minutes on PostgreSQL.

use std::collections::HashMap;
use std::time::Instant;

use chrono::{Duration, Utc};
use entities::{
    CommunicationTool, InterventionFormat, ItemKind, MatchingStatus, PersonKind, ResponseSource,
    Role, SessionStatus, answer, campaign, invitation, item, matching, person, response,
    session_participant, tutor_profile, tutoring_session,
};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, DatabaseConnection, EntityTrait, Iterable, QueryFilter,
    QuerySelect,
};
use serde::Serialize;
use serde_json::json;
use worker::tokens::{TokenKey, hash_token};

use crate::auth;
use crate::campaigns::service as campaigns;
use crate::demo;
use crate::error::{ApiError, ApiResult};
use crate::questionnaires::service as questionnaires;

/// How big an organisation to make.
#[derive(Clone, Debug)]
pub struct Scale {
    pub learners: usize,
    pub tutors: usize,
    /// Campaigns of the learner questionnaire, one per past term and the
    /// last one open.
    pub campaigns: usize,
    /// Share of invited learners who answer each campaign.
    pub response_rate: f64,
    /// Held sessions per tutorial relation.
    pub sessions_per_matching: usize,
    /// Seed of the random choices, so a run can be repeated.
    pub seed: u64,
}

impl Default for Scale {
    fn default() -> Self {
        Self {
            learners: 30_000,
            tutors: 2_000,
            campaigns: 4,
            response_rate: 0.7,
            sessions_per_matching: 4,
            seed: 1,
        }
    }
}

/// What was made, and how long it took.
#[derive(Clone, Debug, Default, Serialize)]
pub struct Generated {
    pub organisation_id: i64,
    pub admin_email: String,
    pub programme_id: i64,
    pub campaign_ids: Vec<i64>,
    pub learners: usize,
    pub tutors: usize,
    pub invitations: usize,
    pub responses: usize,
    pub answers: usize,
    pub matchings: usize,
    pub sessions: usize,
    pub seconds: f64,
}

/// Rows read or written at a time.
const CHUNK: usize = 4_000;

/// Values one statement may bind: SQLite's limit (32,766), under
/// PostgreSQL's (65,535).
const PARAMETERS: usize = 32_766;

/// One bfi respondent's 25 answers (`None` when missing), in item order.
fn bfi_answers() -> ApiResult<Vec<Vec<Option<f64>>>> {
    let mut reader = csv::Reader::from_reader(demo::BFI_CSV);
    let headers = reader.headers().map_err(ApiError::internal)?.clone();
    let columns: Vec<usize> = demo::bfi_codes()
        .map(|code| {
            headers
                .iter()
                .position(|h| h == code)
                .ok_or_else(|| ApiError::internal(anyhow::anyhow!("bfi column {code} missing")))
        })
        .collect::<ApiResult<_>>()?;
    let mut rows = Vec::new();
    for record in reader.records() {
        let record = record.map_err(ApiError::internal)?;
        rows.push(
            columns
                .iter()
                .map(|&c| record.get(c).and_then(|v| v.trim().parse::<f64>().ok()))
                .collect(),
        );
    }
    Ok(rows)
}

async fn insert_chunks<A, E>(db: &DatabaseConnection, rows: Vec<A>) -> ApiResult<()>
where
    E: EntityTrait<ActiveModel = A>,
    A: sea_orm::ActiveModelTrait<Entity = E> + Send,
{
    // A row binds at most one value per column.
    let per_statement = (PARAMETERS / E::Column::iter().count().max(1)).clamp(1, CHUNK);
    let mut rows = rows.into_iter().peekable();
    while rows.peek().is_some() {
        let chunk: Vec<A> = rows.by_ref().take(per_statement).collect();
        E::insert_many(chunk).exec_without_returning(db).await?;
    }
    Ok(())
}

/// Creates the people of one kind and returns their ids, in creation order.
async fn people(
    db: &DatabaseConnection,
    org: i64,
    kind: PersonKind,
    prefix: &str,
    count: usize,
    rng: &mut StdRng,
) -> ApiResult<Vec<i64>> {
    let now = Utc::now();
    let rows: Vec<person::ActiveModel> = (0..count)
        .map(|i| person::ActiveModel {
            organisation_id: Set(org),
            external_ref: Set(Some(format!("{prefix}-{i:06}"))),
            name: Set(format!(
                "{} {prefix} {i}",
                if i % 2 == 0 { "Alex" } else { "Sam" }
            )),
            email: Set(Some(format!("{prefix}{i}@generated.example"))),
            kind: Set(kind),
            language: Set(if rng.random_bool(0.3) { "fr" } else { "en" }.into()),
            time_zone: Set("Europe/Paris".into()),
            user_id: Set(None),
            created_at: Set(now),
            ..Default::default()
        })
        .collect();
    insert_chunks(db, rows).await?;
    let ids: Vec<(i64, Option<String>)> = person::Entity::find()
        .select_only()
        .column(person::Column::Id)
        .column(person::Column::ExternalRef)
        .filter(person::Column::OrganisationId.eq(org))
        .filter(person::Column::Kind.eq(kind))
        .into_tuple()
        .all(db)
        .await?;
    let mut ids: Vec<(String, i64)> = ids
        .into_iter()
        .filter_map(|(id, r)| Some((r?, id)))
        .filter(|(r, _)| r.starts_with(prefix))
        .collect();
    ids.sort();
    Ok(ids.into_iter().map(|(_, id)| id).collect())
}

/// Makes an organisation named `name` at `scale`, with an administrator
/// `admin@<name>.example` whose password is `password`.
pub async fn generate(
    db: &DatabaseConnection,
    tokens: &TokenKey,
    name: &str,
    password: &str,
    scale: &Scale,
) -> ApiResult<Generated> {
    let started = Instant::now();
    let mut rng = StdRng::seed_from_u64(scale.seed);
    let admin_email = format!("admin@{name}.example");
    let admin = auth::add_member(
        db,
        (name, name),
        &admin_email,
        "Coordinator",
        password,
        Role::Admin,
    )
    .await?;
    let org = admin.organisation_id;

    let learners = people(
        db,
        org,
        PersonKind::Learner,
        "learner",
        scale.learners,
        &mut rng,
    )
    .await?;
    let tutors = people(db, org, PersonKind::Tutor, "tutor", scale.tutors, &mut rng).await?;

    let mut out = Generated {
        organisation_id: org,
        admin_email,
        learners: learners.len(),
        tutors: tutors.len(),
        ..Generated::default()
    };

    let q = questionnaires::create(db, org, demo::bfi_questionnaire()).await?;
    let mut items = item::Entity::find()
        .filter(item::Column::QuestionnaireId.eq(q.id))
        .all(db)
        .await?;
    items.sort_by_key(|i| i.position);
    let codes: Vec<&str> = demo::bfi_codes().collect();
    let item_ids: Vec<i64> = codes
        .iter()
        .map(|c| {
            items
                .iter()
                .find(|i| i.code == *c && i.kind == ItemKind::Likert)
                .map(|i| i.id)
                .ok_or_else(|| ApiError::internal(anyhow::anyhow!("item {c} missing")))
        })
        .collect::<ApiResult<_>>()?;
    let bfi = bfi_answers()?;

    let now = Utc::now();
    for k in 0..scale.campaigns {
        // Terms of 90 days back from now; the last one is open.
        let back = (scale.campaigns - 1 - k) as i64 * 90;
        let opens_at = now - Duration::days(back + 10);
        let c = campaigns::create(
            db,
            org,
            campaigns::NewCampaign {
                questionnaire_id: q.id,
                name: format!("Learner questionnaire, term {}", k + 1),
                opens_at,
                closes_at: opens_at + Duration::days(30),
                reminder_offsets_hours: vec![72, 168],
                reminder_policy: None,
                min_group_size: 10,
                low_score_threshold: 0.5,
                anonymity: entities::Anonymity::Confidential,
                programme_id: None,
            },
        )
        .await?;
        campaign::Entity::update_many()
            .col_expr(campaign::Column::LaunchedAt, Expr::value(Some(opens_at)))
            .filter(campaign::Column::Id.eq(c.id))
            .exec(db)
            .await?;
        let made = campaign_answers(
            db,
            tokens,
            &c,
            &learners,
            &item_ids,
            &bfi,
            scale.response_rate,
            &mut rng,
        )
        .await?;
        out.invitations += learners.len();
        out.responses += made.0;
        out.answers += made.1;
        out.campaign_ids.push(c.id);
    }

    let (programme_id, matchings, sessions) =
        relations(db, org, &learners, &tutors, scale, &mut rng).await?;
    out.programme_id = programme_id;
    out.matchings = matchings;
    out.sessions = sessions;

    // Planner statistics for the tables just filled, as a running server's
    // autovacuum would have them.
    sea_orm::ConnectionTrait::execute_unprepared(db, "ANALYZE").await?;
    for id in &out.campaign_ids {
        worker::jobs::aggregate(db, *id)
            .await
            .map_err(ApiError::internal)?;
    }
    out.seconds = started.elapsed().as_secs_f64();
    Ok(out)
}

/// Invites every learner to a campaign; a share of them answer with a
/// randomly drawn bfi respondent's answers. Returns (responses, answers).
#[allow(clippy::too_many_arguments)]
async fn campaign_answers(
    db: &DatabaseConnection,
    tokens: &TokenKey,
    c: &campaign::Model,
    learners: &[i64],
    item_ids: &[i64],
    bfi: &[Vec<Option<f64>>],
    response_rate: f64,
    rng: &mut StdRng,
) -> ApiResult<(usize, usize)> {
    let submitted_at = c.opens_at + Duration::days(3);
    let answering: Vec<bool> = learners
        .iter()
        .map(|_| rng.random_bool(response_rate.clamp(0.0, 1.0)))
        .collect();
    let rows: Vec<invitation::ActiveModel> = learners
        .iter()
        .zip(&answering)
        .map(|(person_id, answers)| {
            let nonce = TokenKey::new_nonce();
            invitation::ActiveModel {
                organisation_id: Set(c.organisation_id),
                campaign_id: Set(c.id),
                person_id: Set(*person_id),
                token_hash: Set(hash_token(&tokens.token(&nonce))),
                token_nonce: Set(nonce),
                responded_at: Set(answers.then_some(submitted_at)),
                opted_out_at: Set(None),
                created_at: Set(c.opens_at),
                ..Default::default()
            }
        })
        .collect();
    insert_chunks(db, rows).await?;
    let invited: HashMap<i64, i64> = invitation::Entity::find()
        .select_only()
        .column(invitation::Column::PersonId)
        .column(invitation::Column::Id)
        .filter(invitation::Column::CampaignId.eq(c.id))
        .into_tuple::<(i64, i64)>()
        .all(db)
        .await?
        .into_iter()
        .collect();

    let mut responses = 0;
    let mut answers = 0;
    let respondents: Vec<i64> = learners
        .iter()
        .zip(&answering)
        .filter(|(_, a)| **a)
        .map(|(p, _)| *p)
        .collect();
    for chunk in respondents.chunks(CHUNK) {
        let drawn: Vec<&Vec<Option<f64>>> = chunk
            .iter()
            .map(|_| &bfi[rng.random_range(0..bfi.len())])
            .collect();
        let rows: Vec<response::ActiveModel> = chunk
            .iter()
            .zip(&drawn)
            .map(|(person_id, values)| response::ActiveModel {
                organisation_id: Set(c.organisation_id),
                campaign_id: Set(c.id),
                invitation_id: Set(invited.get(person_id).copied()),
                external_ref: Set(None),
                source: Set(ResponseSource::Invitation),
                attributes: Set(json!({})),
                digest: Set(format!("generated-{person_id}-{:?}", values)),
                person_id: Set(Some(*person_id)),
                submitted_at: Set(submitted_at),
                ..Default::default()
            })
            .collect();
        insert_chunks(db, rows).await?;
        let ids: HashMap<i64, i64> = response::Entity::find()
            .select_only()
            .column(response::Column::PersonId)
            .column(response::Column::Id)
            .filter(response::Column::CampaignId.eq(c.id))
            .filter(response::Column::PersonId.is_in(chunk.iter().copied()))
            .into_tuple::<(Option<i64>, i64)>()
            .all(db)
            .await?
            .into_iter()
            .filter_map(|(p, id)| Some((p?, id)))
            .collect();
        let mut rows = Vec::with_capacity(chunk.len() * item_ids.len());
        for (person_id, values) in chunk.iter().zip(&drawn) {
            let Some(&response_id) = ids.get(person_id) else {
                continue;
            };
            for (item_id, value) in item_ids.iter().zip(values.iter()) {
                if let Some(v) = value {
                    rows.push(answer::ActiveModel {
                        response_id: Set(response_id),
                        item_id: Set(*item_id),
                        number_value: Set(Some(*v)),
                        text_value: Set(None),
                        choices: Set(None),
                        ..Default::default()
                    });
                }
            }
        }
        responses += chunk.len();
        answers += rows.len();
        insert_chunks(db, rows).await?;
    }
    Ok((responses, answers))
}

/// A programme with one tutor role: each learner is matched with a tutor
/// (round robin) and has `sessions_per_matching` held sessions.
async fn relations(
    db: &DatabaseConnection,
    org: i64,
    learners: &[i64],
    tutors: &[i64],
    scale: &Scale,
    rng: &mut StdRng,
) -> ApiResult<(i64, usize, usize)> {
    use crate::design::service::{self as design, NewIntervention, NewProgramme};
    let today = Utc::now().date_naive();
    let programme = design::create_programme(
        db,
        org,
        NewProgramme {
            name: "Generated programme".into(),
            description: "Tutoring for every learner.".into(),
            starts_on: today - Duration::days(365),
            ends_on: today + Duration::days(365),
            goals: vec!["Every learner has a tutor".into()],
            budget: 1_000_000.0,
            currency: "EUR".into(),
            expected_learners: i32::try_from(learners.len()).unwrap_or(i32::MAX),
        },
    )
    .await?;
    let axis = design::create_axis(
        db,
        org,
        programme.id,
        "Study methods".into(),
        entities::AxisKind::Methodology,
        "Planning and organisation.".into(),
        5.0,
    )
    .await?;
    let per_tutor = learners.len().div_ceil(tutors.len().max(1));
    let role = design::create_role(
        db,
        org,
        programme.id,
        design::NewRole {
            name: "Academic tutor".into(),
            kind: entities::RoleKind::Tutor,
            functions: vec!["Follow each learner's plan".into()],
            hourly_cost: 40.0,
            expected_learners: i32::try_from(per_tutor).unwrap_or(i32::MAX),
            expected_hours_per_month: 20.0,
        },
    )
    .await?;
    let intervention = design::create_intervention(
        db,
        org,
        axis.id,
        NewIntervention {
            name: "Tutoring session".into(),
            description: String::new(),
            format: InterventionFormat::Individual,
            tool: CommunicationTool::Video,
            sessions_per_month: 2.0,
            session_minutes: 45,
            group_size: 1,
            session_cost: 0.0,
            role_id: Some(role.id),
            duration_months: 9.0,
            planned_learners: i32::try_from(learners.len()).unwrap_or(i32::MAX),
        },
    )
    .await?;
    if tutors.is_empty() {
        return Ok((programme.id, 0, 0));
    }

    let now = Utc::now();
    let capacity = i32::try_from(per_tutor).unwrap_or(i32::MAX);
    let mut load = vec![0i32; tutors.len()];
    for (i, _) in learners.iter().enumerate() {
        load[i % tutors.len()] += 1;
    }
    let profiles: Vec<tutor_profile::ActiveModel> = tutors
        .iter()
        .zip(&load)
        .map(|(person_id, active)| tutor_profile::ActiveModel {
            organisation_id: Set(org),
            programme_id: Set(programme.id),
            person_id: Set(*person_id),
            role_ids: Set(json!([role.id])),
            capacity: Set(capacity),
            active_count: Set(*active),
            languages: Set(json!(["en", "fr"])),
            availability: Set(json!([])),
            modes: Set(json!(["VIDEO"])),
            competences: Set(json!({ axis.id.to_string(): 4 })),
            updated_at: Set(now),
            ..Default::default()
        })
        .collect();
    insert_chunks(db, profiles).await?;

    let activated = now - Duration::days(120);
    let rows: Vec<matching::ActiveModel> = learners
        .iter()
        .enumerate()
        .map(|(i, learner)| matching::ActiveModel {
            organisation_id: Set(org),
            programme_id: Set(programme.id),
            role_id: Set(role.id),
            learner_id: Set(*learner),
            tutor_id: Set(tutors[i % tutors.len()]),
            run_id: Set(None),
            status: Set(MatchingStatus::Active),
            score: Set(rng.random_range(0.3..1.0)),
            breakdown: Set(json!([])),
            decided_by: Set(None),
            reason: Set("generated".into()),
            proposed_at: Set(activated),
            activated_at: Set(Some(activated)),
            ended_at: Set(None),
            updated_at: Set(activated),
            ..Default::default()
        })
        .collect();
    insert_chunks(db, rows).await?;
    let pairs: Vec<(i64, i64, i64)> = matching::Entity::find()
        .select_only()
        .column(matching::Column::Id)
        .column(matching::Column::LearnerId)
        .column(matching::Column::TutorId)
        .filter(matching::Column::ProgrammeId.eq(programme.id))
        .into_tuple()
        .all(db)
        .await?;

    let mut sessions = 0;
    for chunk in pairs.chunks(CHUNK / scale.sessions_per_matching.max(1)) {
        let mut rows = Vec::new();
        for (matching_id, _, tutor_id) in chunk {
            for s in 0..scale.sessions_per_matching {
                let held_at = activated
                    + Duration::days(7 + 14 * s as i64)
                    + Duration::minutes(rng.random_range(0..600));
                rows.push(tutoring_session::ActiveModel {
                    organisation_id: Set(org),
                    programme_id: Set(programme.id),
                    intervention_id: Set(intervention.id),
                    tutor_id: Set(Some(*tutor_id)),
                    held_at: Set(held_at),
                    minutes: Set(45),
                    mode: Set(CommunicationTool::Video),
                    notes: Set("Worked on the plan.".into()),
                    created_at: Set(held_at),
                    matching_id: Set(Some(*matching_id)),
                    status: Set(SessionStatus::Held),
                    notes_at: Set(Some(held_at + Duration::hours(2))),
                    ..Default::default()
                });
            }
        }
        sessions += rows.len();
        insert_chunks(db, rows).await?;
        let matching_ids: Vec<i64> = chunk.iter().map(|(m, _, _)| *m).collect();
        let held: Vec<(i64, Option<i64>)> = tutoring_session::Entity::find()
            .select_only()
            .column(tutoring_session::Column::Id)
            .column(tutoring_session::Column::MatchingId)
            .filter(tutoring_session::Column::MatchingId.is_in(matching_ids))
            .into_tuple()
            .all(db)
            .await?;
        let learner_of: HashMap<i64, i64> = chunk.iter().map(|(m, l, _)| (*m, *l)).collect();
        let rows: Vec<session_participant::ActiveModel> = held
            .into_iter()
            .filter_map(|(session_id, m)| {
                Some(session_participant::ActiveModel {
                    session_id: Set(session_id),
                    person_id: Set(*learner_of.get(&m?)?),
                    attended: Set(true),
                })
            })
            .collect();
        insert_chunks(db, rows).await?;
    }
    Ok((programme.id, pairs.len(), sessions))
}
