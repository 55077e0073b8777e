//! Running a programme: matching runs over the stored profiles, needs and
//! decisions.
//!
//! A run proposes tutors for the learners of a programme who have an open
//! need on an axis the role serves and no active matching in the role. Active matchings stay as they
//! are and take their place in the tutors' capacity; proposals of earlier
//! runs that nobody decided on are withdrawn and replaced.

use std::collections::{HashMap, HashSet};

use chrono::Utc;
use entities::{
    MatchingStatus, NeedStatus, RunStatus, intervention, learner_profile, matching,
    matching_decision, matching_exclusion, matching_run, need, person, tutor_profile,
};
use sea_orm::sea_query::{Expr, Query};
use sea_orm::{
    ActiveEnum, ActiveModelTrait, ActiveValue::Set, ColumnTrait, Condition, ConnectionTrait,
    DatabaseConnection, DbErr, EntityTrait, QueryFilter,
};
use serde::{Deserialize, Serialize};

use crate::jobs::JobError;
use crate::matching::{self as engine, Learner, Proposal, Rules, Tutor, Weights, Window};

/// A competence as stored on a tutor profile.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Competence {
    pub axis_id: i64,
    pub level: i32,
}

/// Decodes one of the JSON lists a profile stores; a list that does not
/// read is reported rather than taken as empty.
pub fn list<T: for<'de> Deserialize<'de>>(value: &serde_json::Value) -> Result<Vec<T>, JobError> {
    serde_json::from_value(value.clone()).map_err(|e| JobError::Corrupt(e.to_string()))
}

/// Everyone a run over `role_id` considers, and the pairs ruled out by hand
/// or already active.
pub struct Pool {
    pub learners: Vec<Learner>,
    pub tutors: Vec<Tutor>,
    pub rules: Rules,
}

/// Loads the pool of a programme role.
pub async fn load_pool(
    db: &impl ConnectionTrait,
    programme_id: i64,
    role_id: i64,
) -> Result<Pool, JobError> {
    let live = matching::Entity::find()
        .filter(matching::Column::ProgrammeId.eq(programme_id))
        .filter(matching::Column::Status.eq(MatchingStatus::Active))
        .all(db)
        .await?;
    let mut rules = Rules::default();
    let mut matched_in_role: HashSet<i64> = HashSet::new();
    for m in &live {
        if m.role_id == role_id {
            rules.active.insert((m.learner_id, m.tutor_id));
            matched_in_role.insert(m.learner_id);
        }
    }
    for m in matching::Entity::find()
        .filter(matching::Column::ProgrammeId.eq(programme_id))
        .filter(matching::Column::RoleId.eq(role_id))
        .filter(matching::Column::Status.eq(MatchingStatus::Rejected))
        .all(db)
        .await?
    {
        rules.rejected.insert((m.learner_id, m.tutor_id));
    }
    for x in matching_exclusion::Entity::find()
        .filter(matching_exclusion::Column::ProgrammeId.eq(programme_id))
        .all(db)
        .await?
    {
        rules.exclusions.insert((x.learner_id, x.tutor_id));
    }

    // A role serves the axes of the interventions it delivers; a role that
    // delivers none yet is open to every need.
    let served: HashSet<i64> = intervention::Entity::find()
        .filter(intervention::Column::ProgrammeId.eq(programme_id))
        .filter(intervention::Column::RoleId.eq(role_id))
        .all(db)
        .await?
        .into_iter()
        .map(|i| i.axis_id)
        .collect();
    let mut needs: HashMap<i64, Vec<(i64, i32)>> = HashMap::new();
    for n in need::Entity::find()
        .filter(need::Column::ProgrammeId.eq(programme_id))
        .filter(need::Column::Status.eq(NeedStatus::Open))
        .all(db)
        .await?
    {
        let in_scope = served.is_empty() || served.contains(&n.axis_id);
        if in_scope && !matched_in_role.contains(&n.person_id) {
            needs
                .entry(n.person_id)
                .or_default()
                .push((n.axis_id, n.severity));
        }
    }
    let waiting: Vec<i64> = {
        let mut ids: Vec<i64> = needs.keys().copied().collect();
        ids.sort_unstable();
        ids
    };

    let profiles: HashMap<i64, learner_profile::Model> = learner_profile::Entity::find()
        .filter(learner_profile::Column::ProgrammeId.eq(programme_id))
        .all(db)
        .await?
        .into_iter()
        .map(|p| (p.person_id, p))
        .collect();
    let tutor_profiles: Vec<tutor_profile::Model> = tutor_profile::Entity::find()
        .filter(tutor_profile::Column::ProgrammeId.eq(programme_id))
        .all(db)
        .await?
        .into_iter()
        .filter(|p| list::<i64>(&p.role_ids).is_ok_and(|roles| roles.contains(&role_id)))
        .collect();

    let people: HashMap<i64, person::Model> = person::Entity::find()
        .filter(person::Column::Id.is_in(waiting.iter().copied()))
        .all(db)
        .await?
        .into_iter()
        .map(|p| (p.id, p))
        .collect();
    let mut previous: HashMap<i64, Vec<i64>> = HashMap::new();
    for m in matching::Entity::find()
        .filter(matching::Column::ProgrammeId.eq(programme_id))
        .filter(matching::Column::Status.eq(MatchingStatus::Ended))
        .all(db)
        .await?
    {
        previous.entry(m.learner_id).or_default().push(m.tutor_id);
    }

    let mut learners = Vec::with_capacity(waiting.len());
    for id in waiting {
        let profile = profiles.get(&id);
        // Without languages of their own, a learner works in their language.
        let mut languages = match profile {
            Some(p) => lower(list(&p.languages)?),
            None => Vec::new(),
        };
        if languages.is_empty() {
            languages.extend(people.get(&id).map(|p| p.language.to_lowercase()));
        }
        learners.push(Learner {
            id,
            languages,
            availability: profile
                .map(|p| list::<Window>(&p.availability))
                .transpose()?
                .unwrap_or_default(),
            modes: profile
                .map(|p| list(&p.modes))
                .transpose()?
                .unwrap_or_default(),
            needs: needs.remove(&id).unwrap_or_default(),
            previous_tutors: previous.remove(&id).unwrap_or_default(),
        });
    }
    let mut tutors = Vec::with_capacity(tutor_profiles.len());
    for p in tutor_profiles {
        tutors.push(Tutor {
            id: p.person_id,
            capacity: p.capacity,
            active: p.active_count,
            languages: lower(list(&p.languages)?),
            availability: list(&p.availability)?,
            modes: list(&p.modes)?,
            competences: list::<Competence>(&p.competences)?
                .into_iter()
                .map(|c| (c.axis_id, c.level))
                .collect(),
        });
    }
    Ok(Pool {
        learners,
        tutors,
        rules,
    })
}

fn lower(languages: Vec<String>) -> Vec<String> {
    languages.into_iter().map(|l| l.to_lowercase()).collect()
}

/// What a finished run stored.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct RunSummary {
    pub run_id: i64,
    pub learners: usize,
    pub proposed: usize,
    pub total_score: f64,
}

/// Carries out a queued run: proposes, then stores the proposals in place
/// of the undecided ones of earlier runs. A failure is recorded on the run.
pub async fn execute_run(db: &DatabaseConnection, run_id: i64) -> Result<RunSummary, JobError> {
    execute_run_with(db, run_id, None).await
}

/// [`execute_run`] over a pool the caller has just loaded, if any.
pub async fn execute_run_with(
    db: &DatabaseConnection,
    run_id: i64,
    pool: Option<Pool>,
) -> Result<RunSummary, JobError> {
    let run = matching_run::Entity::find_by_id(run_id)
        .one(db)
        .await?
        .ok_or(JobError::NotFound("matching run"))?;
    if run.status == RunStatus::Done {
        return Ok(RunSummary {
            run_id,
            learners: usize::try_from(run.learners).unwrap_or(0),
            proposed: usize::try_from(run.proposed).unwrap_or(0),
            total_score: run.total_score,
        });
    }
    set_status(db, run_id, RunStatus::Running, None).await?;
    match propose_and_store(db, &run, pool).await {
        Ok(summary) => Ok(summary),
        Err(e) => {
            set_status(db, run_id, RunStatus::Failed, Some(e.to_string())).await?;
            Err(e)
        }
    }
}

async fn set_status(
    db: &DatabaseConnection,
    run_id: i64,
    status: RunStatus,
    error: Option<String>,
) -> Result<(), DbErr> {
    matching_run::Entity::update_many()
        .col_expr(matching_run::Column::Status, Expr::value(status))
        .col_expr(matching_run::Column::Error, Expr::value(error))
        .filter(matching_run::Column::Id.eq(run_id))
        .exec(db)
        .await?;
    Ok(())
}

async fn propose_and_store(
    db: &DatabaseConnection,
    run: &matching_run::Model,
    pool: Option<Pool>,
) -> Result<RunSummary, JobError> {
    let weights: Weights = serde_json::from_value(run.weights.clone())
        .map_err(|e| JobError::Corrupt(format!("run weights: {e}")))?;
    let pool = match pool {
        Some(pool) => pool,
        None => load_pool(db, run.programme_id, run.role_id).await?,
    };
    let proposal: Proposal = engine::propose(&pool.learners, &pool.tutors, &pool.rules, &weights);
    let now = Utc::now();
    let total_score = proposal.total_units as f64 / engine::SCORE_UNITS;
    let ruled_out: serde_json::Map<String, serde_json::Value> = proposal
        .ruled_out
        .iter()
        .map(|(c, n)| (format!("{c:?}"), serde_json::json!(n)))
        .collect();

    let txn = crate::db::begin_write(db).await?;
    let undecided = Condition::all()
        .add(matching::Column::ProgrammeId.eq(run.programme_id))
        .add(matching::Column::RoleId.eq(run.role_id))
        .add(matching::Column::Status.eq(MatchingStatus::Proposed));
    record_decisions(
        &txn,
        undecided,
        Some(MatchingStatus::Proposed),
        MatchingStatus::Withdrawn,
        &format!("replaced by matching run {}", run.id),
    )
    .await?;
    matching::Entity::update_many()
        .col_expr(
            matching::Column::Status,
            Expr::value(MatchingStatus::Withdrawn),
        )
        .col_expr(
            matching::Column::Reason,
            Expr::value(format!("replaced by matching run {}", run.id)),
        )
        .col_expr(matching::Column::UpdatedAt, Expr::value(now))
        .filter(matching::Column::ProgrammeId.eq(run.programme_id))
        .filter(matching::Column::RoleId.eq(run.role_id))
        .filter(matching::Column::Status.eq(MatchingStatus::Proposed))
        .exec(&txn)
        .await?;
    let rows: Vec<matching::ActiveModel> = proposal
        .pairs
        .iter()
        .map(|pair| matching::ActiveModel {
            organisation_id: Set(run.organisation_id),
            programme_id: Set(run.programme_id),
            role_id: Set(run.role_id),
            learner_id: Set(pair.learner),
            tutor_id: Set(pair.tutor),
            run_id: Set(Some(run.id)),
            status: Set(MatchingStatus::Proposed),
            score: Set(pair.scored.score),
            breakdown: Set(serde_json::to_value(&pair.scored.contributions).unwrap_or_default()),
            decided_by: Set(None),
            reason: Set(String::new()),
            proposed_at: Set(now),
            updated_at: Set(now),
            ..Default::default()
        })
        .collect();
    for chunk in rows.chunks(500) {
        matching::Entity::insert_many(chunk.to_vec())
            .exec_without_returning(&txn)
            .await?;
    }
    record_decisions(
        &txn,
        Condition::all().add(matching::Column::RunId.eq(run.id)),
        None,
        MatchingStatus::Proposed,
        &format!("proposed by matching run {}", run.id),
    )
    .await?;
    let mut done: matching_run::ActiveModel = run.clone().into();
    done.status = Set(RunStatus::Done);
    done.learners = Set(i32::try_from(pool.learners.len()).unwrap_or(i32::MAX));
    done.proposed = Set(i32::try_from(proposal.pairs.len()).unwrap_or(i32::MAX));
    done.total_score = Set(total_score);
    done.ruled_out = Set(serde_json::Value::Object(ruled_out));
    done.error = Set(None);
    done.finished_at = Set(Some(Utc::now()));
    done.update(&txn).await?;
    txn.commit().await?;

    Ok(RunSummary {
        run_id: run.id,
        learners: pool.learners.len(),
        proposed: proposal.pairs.len(),
        total_score,
    })
}

/// Records the same decision, taken by a run, on every matching `which`
/// selects, in one statement.
async fn record_decisions(
    db: &impl ConnectionTrait,
    which: Condition,
    from: Option<MatchingStatus>,
    to: MatchingStatus,
    reason: &str,
) -> Result<(), DbErr> {
    let now = Utc::now();
    let select = Query::select()
        .column(matching::Column::Id)
        .expr(Expr::val(from.map(|s| s.to_value())))
        .expr(Expr::val(to.to_value()))
        .expr(Expr::val(Option::<i64>::None))
        .expr(Expr::val(reason))
        .expr(Expr::val(now))
        .from(matching::Entity)
        .cond_where(which)
        .to_owned();
    let insert = Query::insert()
        .into_table(matching_decision::Entity)
        .columns([
            matching_decision::Column::MatchingId,
            matching_decision::Column::FromStatus,
            matching_decision::Column::ToStatus,
            matching_decision::Column::DecidedBy,
            matching_decision::Column::Reason,
            matching_decision::Column::DecidedAt,
        ])
        .select_from(select)
        .map_err(|e| DbErr::Custom(e.to_string()))?
        .to_owned();
    db.execute(&insert).await?;
    Ok(())
}
