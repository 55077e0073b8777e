//! The economic model: what a programme's interventions are planned to cost,
//! what the logged sessions did cost, and what more learners would cost.
//!
//! A session costs its intervention's fixed cost (room, materials, platform)
//! plus the time of the role that delivers it: minutes ÷ 60 × hourly cost.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use chrono::{DateTime, Utc};
use entities::{SessionStatus, intervention, session_participant, tutor_role, tutoring_session};
use sea_orm::{ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter};

/// An intervention as planned.
#[derive(Clone, Debug)]
pub struct Plan {
    pub intervention_id: i64,
    pub axis_id: i64,
    pub role_id: Option<i64>,
    pub sessions_per_month: f64,
    pub duration_months: f64,
    pub session_minutes: i32,
    pub group_size: i32,
    pub fixed_cost: f64,
    /// Hourly cost of the delivering role; 0 without one.
    pub hourly_cost: f64,
    pub planned_learners: i32,
}

/// Fixed cost plus tutor time.
pub fn session_cost(fixed_cost: f64, minutes: i32, hourly_cost: f64) -> f64 {
    fixed_cost + f64::from(minutes) / 60.0 * hourly_cost
}

impl Plan {
    pub fn cost_per_session(&self) -> f64 {
        session_cost(self.fixed_cost, self.session_minutes, self.hourly_cost)
    }

    /// Groups needed for `learners`: a started group is a whole group.
    pub fn groups(&self, learners: i64) -> i64 {
        let size = i64::from(self.group_size.max(1));
        (learners.max(0) + size - 1) / size
    }

    /// Cost of running the intervention for `learners` over its duration.
    pub fn cost_for(&self, learners: i64) -> f64 {
        self.groups(learners) as f64
            * self.sessions_per_month
            * self.duration_months
            * self.cost_per_session()
    }

    pub fn planned_cost(&self) -> f64 {
        self.cost_for(i64::from(self.planned_learners))
    }
}

/// A logged session with what it cost to hold.
#[derive(Clone, Debug)]
pub struct Held {
    pub intervention_id: i64,
    pub axis_id: i64,
    pub role_id: Option<i64>,
    pub minutes: i32,
    pub fixed_cost: f64,
    pub hourly_cost: f64,
    /// Learners who attended; the session's cost is shared equally among them.
    pub learners: Vec<i64>,
}

impl Held {
    pub fn cost(&self) -> f64 {
        session_cost(self.fixed_cost, self.minutes, self.hourly_cost)
    }
}

/// Costs broken down every way a coordinator asks.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Breakdown {
    pub total: f64,
    /// Learners the total is shared among.
    pub learners: usize,
    /// total ÷ learners; `None` without learners.
    pub per_learner: Option<f64>,
    pub by_axis: BTreeMap<i64, f64>,
    /// Costs of interventions without a role are under `None`.
    pub by_role: BTreeMap<Option<i64>, f64>,
    pub by_intervention: BTreeMap<i64, f64>,
    /// Actual costs only: each learner's share of the sessions they were in.
    pub by_learner: BTreeMap<i64, f64>,
}

fn add<K: Ord>(map: &mut BTreeMap<K, f64>, key: K, amount: f64) {
    *map.entry(key).or_insert(0.0) += amount;
}

/// Planned costs, shared among the learners the programme expects.
pub fn planned(plans: &[Plan], expected_learners: usize) -> Breakdown {
    let mut b = Breakdown {
        learners: expected_learners,
        ..Breakdown::default()
    };
    for p in plans {
        let cost = p.planned_cost();
        b.total += cost;
        add(&mut b.by_axis, p.axis_id, cost);
        add(&mut b.by_role, p.role_id, cost);
        add(&mut b.by_intervention, p.intervention_id, cost);
    }
    b.per_learner = (expected_learners > 0).then(|| b.total / expected_learners as f64);
    b
}

/// Actual costs of the logged sessions, shared among the learners they served.
pub fn actual(sessions: &[Held]) -> Breakdown {
    let mut b = Breakdown::default();
    let mut learners = BTreeSet::new();
    for s in sessions {
        let cost = s.cost();
        b.total += cost;
        add(&mut b.by_axis, s.axis_id, cost);
        add(&mut b.by_role, s.role_id, cost);
        add(&mut b.by_intervention, s.intervention_id, cost);
        if !s.learners.is_empty() {
            let share = cost / s.learners.len() as f64;
            for l in &s.learners {
                add(&mut b.by_learner, *l, share);
                learners.insert(*l);
            }
        }
    }
    b.learners = learners.len();
    b.per_learner = (b.learners > 0).then(|| b.total / b.learners as f64);
    b
}

/// What `extra` more learners on an axis cost: each of them takes every
/// intervention of the axis, on top of the planned uptake.
#[derive(Clone, Debug, PartialEq)]
pub struct Scenario {
    pub extra_learners: i64,
    pub total: f64,
    /// (intervention, extra groups, extra cost)
    pub interventions: Vec<(i64, i64, f64)>,
}

pub fn more_learners(plans_on_axis: &[Plan], extra: i64) -> Scenario {
    let interventions: Vec<(i64, i64, f64)> = plans_on_axis
        .iter()
        .map(|p| {
            let planned = i64::from(p.planned_learners);
            let extra_groups = p.groups(planned + extra) - p.groups(planned);
            (
                p.intervention_id,
                extra_groups,
                p.cost_for(planned + extra) - p.planned_cost(),
            )
        })
        .collect();
    Scenario {
        extra_learners: extra,
        total: interventions.iter().map(|i| i.2).sum(),
        interventions,
    }
}

/// A programme's interventions and roles, loaded once, and the plan each
/// intervention makes: what every priority and cost figure starts from.
pub struct Catalogue {
    pub interventions: Vec<intervention::Model>,
    pub roles: Vec<tutor_role::Model>,
    pub plans: Vec<Plan>,
}

impl Catalogue {
    pub async fn load(db: &impl ConnectionTrait, programme_id: i64) -> Result<Self, DbErr> {
        let roles = tutor_role::Entity::find()
            .filter(tutor_role::Column::ProgrammeId.eq(programme_id))
            .all(db)
            .await?;
        let interventions = intervention::Entity::find()
            .filter(intervention::Column::ProgrammeId.eq(programme_id))
            .all(db)
            .await?;
        let rates: HashMap<i64, f64> = roles.iter().map(|r| (r.id, r.hourly_cost)).collect();
        let plans = interventions
            .iter()
            .map(|i| Plan {
                intervention_id: i.id,
                axis_id: i.axis_id,
                role_id: i.role_id,
                sessions_per_month: i.sessions_per_month,
                duration_months: i.duration_months,
                session_minutes: i.session_minutes,
                group_size: i.group_size,
                fixed_cost: i.session_cost,
                hourly_cost: i
                    .role_id
                    .and_then(|r| rates.get(&r))
                    .copied()
                    .unwrap_or(0.0),
                planned_learners: i.planned_learners,
            })
            .collect();
        Ok(Self {
            interventions,
            roles,
            plans,
        })
    }

    pub fn intervention(&self, id: i64) -> Option<&intervention::Model> {
        self.interventions.iter().find(|i| i.id == id)
    }
}

/// The sessions of a programme held (within `[from, to)` if given), each
/// with what it cost and the learners who attended it.
pub async fn held(
    db: &impl ConnectionTrait,
    catalogue: &Catalogue,
    programme_id: i64,
    within: Option<(DateTime<Utc>, DateTime<Utc>)>,
) -> Result<Vec<Held>, DbErr> {
    let mut sessions = tutoring_session::Entity::find()
        .filter(tutoring_session::Column::ProgrammeId.eq(programme_id))
        .filter(tutoring_session::Column::Status.eq(SessionStatus::Held));
    if let Some((from, to)) = within {
        sessions = sessions
            .filter(tutoring_session::Column::HeldAt.gte(from))
            .filter(tutoring_session::Column::HeldAt.lt(to));
    }
    let sessions = sessions.all(db).await?;
    // Only those who came share a session's cost.
    let mut participants: HashMap<i64, Vec<i64>> = HashMap::new();
    for p in session_participant::Entity::find()
        .filter(session_participant::Column::SessionId.is_in(sessions.iter().map(|s| s.id)))
        .filter(session_participant::Column::Attended.eq(true))
        .all(db)
        .await?
    {
        participants
            .entry(p.session_id)
            .or_default()
            .push(p.person_id);
    }
    let by_id: HashMap<i64, &Plan> = catalogue
        .plans
        .iter()
        .map(|p| (p.intervention_id, p))
        .collect();
    Ok(sessions
        .iter()
        .filter_map(|s| {
            let plan = by_id.get(&s.intervention_id)?;
            Some(Held {
                intervention_id: s.intervention_id,
                axis_id: plan.axis_id,
                role_id: plan.role_id,
                minutes: s.minutes,
                fixed_cost: plan.fixed_cost,
                hourly_cost: plan.hourly_cost,
                learners: participants.remove(&s.id).unwrap_or_default(),
            })
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn workshop() -> Plan {
        Plan {
            intervention_id: 1,
            axis_id: 10,
            role_id: Some(100),
            sessions_per_month: 2.0,
            duration_months: 3.0,
            session_minutes: 90,
            group_size: 8,
            fixed_cost: 50.0,
            hourly_cost: 40.0,
            planned_learners: 20,
        }
    }

    #[test]
    fn planned_cost_counts_whole_groups_sessions_and_tutor_time() {
        let coaching = Plan {
            intervention_id: 2,
            axis_id: 11,
            role_id: None,
            session_minutes: 30,
            group_size: 1,
            fixed_cost: 10.0,
            hourly_cost: 0.0,
            planned_learners: 5,
            duration_months: 1.0,
            ..workshop()
        };

        let b = planned(&[workshop(), coaching], 25);

        // Workshop: 50 + 1.5 h × 40 = 110 a session; 20 learners = 3 groups;
        // 3 × 2 a month × 3 months × 110 = 1980. Coaching: 5 × 2 × 1 × 10 = 100.
        assert_eq!(b.total, 2080.0);
        assert_eq!(b.by_axis[&10], 1980.0);
        assert_eq!(b.by_role[&None], 100.0);
        assert_eq!(b.per_learner, Some(2080.0 / 25.0));
    }

    #[test]
    fn actual_cost_is_shared_among_a_sessions_learners() {
        let held = |learners: Vec<i64>, minutes: i32| Held {
            intervention_id: 1,
            axis_id: 10,
            role_id: Some(100),
            minutes,
            fixed_cost: 50.0,
            hourly_cost: 40.0,
            learners,
        };

        let b = actual(&[held(vec![7, 8], 90), held(vec![7], 30)]);

        // 50 + 60 = 110 split 55/55; 50 + 20 = 70 to learner 7 alone.
        assert_eq!(b.total, 180.0);
        assert_eq!(b.by_learner[&7], 125.0);
        assert_eq!(b.by_learner[&8], 55.0);
        assert_eq!((b.learners, b.per_learner), (2, Some(90.0)));
    }

    #[test]
    fn more_learners_cost_the_groups_they_open() {
        // 20 planned fill 3 groups of 8 (4 places left): 4 more cost nothing,
        // 5 more open a fourth group: 2 × 3 × 110 = 660.
        assert_eq!(more_learners(&[workshop()], 4).total, 0.0);
        assert_eq!(
            more_learners(&[workshop()], 5).interventions,
            vec![(1, 1, 660.0)]
        );
    }
}
