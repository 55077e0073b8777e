//! Batched loading of relations: one query per relation and request, however
//! long the list that asks for it.

use std::any::Any;
use std::collections::HashMap;
use std::sync::{Mutex, PoisonError};

use async_graphql::dataloader::{DataLoader, Loader};
use entities::{answer, invitation, item, person, questionnaire, response, scale, user_account};
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder, QuerySelect};

use crate::error::ApiError;

/// One loader for every relation, keyed by the newtypes below.
pub struct DbLoader {
    pub db: DatabaseConnection,
    /// What a parent read with its own row for one of its fields.
    pub ahead: ReadAhead,
}

impl DbLoader {
    pub fn new(db: DatabaseConnection) -> Self {
        Self {
            db,
            ahead: ReadAhead::default(),
        }
    }

    /// The loader of one request (or one live connection): it gathers the
    /// keys asked for within `state.batch_window`, then reads each kind in
    /// one statement.
    pub fn per_request(state: &crate::state::AppState) -> DataLoader<Self> {
        DataLoader::new(Self::new(state.db.clone()), tokio::spawn).delay(state.batch_window)
    }
}

/// Values read ahead of the fields that show them, in the statement of
/// their parent, each kept under the key its field would load it by.
/// A field takes its value once; what no field takes goes with the request.
#[derive(Default)]
pub struct ReadAhead(Mutex<Vec<Box<dyn Any + Send>>>);

impl ReadAhead {
    pub fn keep<K: Send + 'static, V: Send + 'static>(&self, key: K, value: V) {
        self.lock().push(Box::new((key, value)));
    }

    /// The value kept under `key`, taken out.
    pub fn take<K: PartialEq + 'static, V: 'static>(&self, key: &K) -> Option<V> {
        let mut kept = self.lock();
        let at = kept.iter().position(|entry| {
            entry
                .downcast_ref::<(K, V)>()
                .is_some_and(|(kept, _)| kept == key)
        })?;
        let entry = kept.swap_remove(at).downcast::<(K, V)>().ok()?;
        Some(entry.1)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<Box<dyn Any + Send>>> {
        // Entries are whole once pushed: a panic elsewhere leaves them usable.
        self.0.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// Items of a questionnaire, in order.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct ItemsOf(pub i64);
/// Scales of a questionnaire, in order.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct ScalesOf(pub i64);
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct QuestionnaireById(pub i64);
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct PersonById(pub i64);
/// Answers of a response.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct AnswersOf(pub i64);
/// The display name of an account.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct AccountName(pub i64);
/// Invitation and response counts of a campaign.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct CountsOf(pub i64);

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Counts {
    pub invited: u64,
    pub responded: u64,
    pub responses: u64,
}

type LoadResult<K, V> = Result<HashMap<K, V>, async_graphql::Error>;

fn db_error(e: sea_orm::DbErr) -> async_graphql::Error {
    ApiError::from(e).into()
}

impl Loader<ItemsOf> for DbLoader {
    type Value = Vec<item::Model>;
    type Error = async_graphql::Error;

    async fn load(&self, keys: &[ItemsOf]) -> LoadResult<ItemsOf, Self::Value> {
        let rows = item::Entity::find()
            .filter(item::Column::QuestionnaireId.is_in(keys.iter().map(|k| k.0)))
            .order_by_asc(item::Column::Position)
            .all(&self.db)
            .await
            .map_err(db_error)?;
        let mut out: HashMap<ItemsOf, Vec<item::Model>> = HashMap::new();
        for row in rows {
            out.entry(ItemsOf(row.questionnaire_id))
                .or_default()
                .push(row);
        }
        Ok(out)
    }
}

impl Loader<ScalesOf> for DbLoader {
    type Value = Vec<scale::Model>;
    type Error = async_graphql::Error;

    async fn load(&self, keys: &[ScalesOf]) -> LoadResult<ScalesOf, Self::Value> {
        let rows = scale::Entity::find()
            .filter(scale::Column::QuestionnaireId.is_in(keys.iter().map(|k| k.0)))
            .order_by_asc(scale::Column::Position)
            .all(&self.db)
            .await
            .map_err(db_error)?;
        let mut out: HashMap<ScalesOf, Vec<scale::Model>> = HashMap::new();
        for row in rows {
            out.entry(ScalesOf(row.questionnaire_id))
                .or_default()
                .push(row);
        }
        Ok(out)
    }
}

impl Loader<QuestionnaireById> for DbLoader {
    type Value = questionnaire::Model;
    type Error = async_graphql::Error;

    async fn load(&self, keys: &[QuestionnaireById]) -> LoadResult<QuestionnaireById, Self::Value> {
        let rows = questionnaire::Entity::find()
            .filter(questionnaire::Column::Id.is_in(keys.iter().map(|k| k.0)))
            .all(&self.db)
            .await
            .map_err(db_error)?;
        Ok(rows
            .into_iter()
            .map(|r| (QuestionnaireById(r.id), r))
            .collect())
    }
}

impl Loader<PersonById> for DbLoader {
    type Value = person::Model;
    type Error = async_graphql::Error;

    async fn load(&self, keys: &[PersonById]) -> LoadResult<PersonById, Self::Value> {
        let rows = person::Entity::find()
            .filter(person::Column::Id.is_in(keys.iter().map(|k| k.0)))
            .all(&self.db)
            .await
            .map_err(db_error)?;
        Ok(rows.into_iter().map(|r| (PersonById(r.id), r)).collect())
    }
}

impl Loader<AnswersOf> for DbLoader {
    type Value = Vec<answer::Model>;
    type Error = async_graphql::Error;

    async fn load(&self, keys: &[AnswersOf]) -> LoadResult<AnswersOf, Self::Value> {
        let rows = answer::Entity::find()
            .filter(answer::Column::ResponseId.is_in(keys.iter().map(|k| k.0)))
            .order_by_asc(answer::Column::Id)
            .all(&self.db)
            .await
            .map_err(db_error)?;
        let mut out: HashMap<AnswersOf, Vec<answer::Model>> = HashMap::new();
        for row in rows {
            out.entry(AnswersOf(row.response_id)).or_default().push(row);
        }
        Ok(out)
    }
}

impl Loader<AccountName> for DbLoader {
    type Value = String;
    type Error = async_graphql::Error;

    async fn load(&self, keys: &[AccountName]) -> LoadResult<AccountName, Self::Value> {
        let rows: Vec<(i64, String)> = user_account::Entity::find()
            .select_only()
            .column(user_account::Column::Id)
            .column(user_account::Column::DisplayName)
            .filter(user_account::Column::Id.is_in(keys.iter().map(|k| k.0)))
            .into_tuple()
            .all(&self.db)
            .await
            .map_err(db_error)?;
        Ok(rows
            .into_iter()
            .map(|(id, name)| (AccountName(id), name))
            .collect())
    }
}

impl Loader<CountsOf> for DbLoader {
    type Value = Counts;
    type Error = async_graphql::Error;

    async fn load(&self, keys: &[CountsOf]) -> LoadResult<CountsOf, Self::Value> {
        let ids: Vec<i64> = keys.iter().map(|k| k.0).collect();
        let mut out: HashMap<CountsOf, Counts> = ids
            .iter()
            .map(|id| (CountsOf(*id), Counts::default()))
            .collect();

        let invitations: Vec<(i64, i64, i64)> = invitation::Entity::find()
            .select_only()
            .column(invitation::Column::CampaignId)
            .column_as(invitation::Column::Id.count(), "invited")
            .column_as(invitation::Column::RespondedAt.count(), "responded")
            .filter(invitation::Column::CampaignId.is_in(ids.clone()))
            .group_by(invitation::Column::CampaignId)
            .into_tuple()
            .all(&self.db)
            .await
            .map_err(db_error)?;
        for (id, invited, responded) in invitations {
            if let Some(c) = out.get_mut(&CountsOf(id)) {
                c.invited = invited as u64;
                c.responded = responded as u64;
            }
        }

        let responses: Vec<(i64, i64)> = response::Entity::find()
            .select_only()
            .column(response::Column::CampaignId)
            .column_as(response::Column::Id.count(), "responses")
            .filter(response::Column::CampaignId.is_in(ids))
            .group_by(response::Column::CampaignId)
            .into_tuple()
            .all(&self.db)
            .await
            .map_err(db_error)?;
        for (id, n) in responses {
            if let Some(c) = out.get_mut(&CountsOf(id)) {
                c.responses = n as u64;
            }
        }
        Ok(out)
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct AxisById(pub i64);

impl Loader<AxisById> for DbLoader {
    type Value = entities::support_axis::Model;
    type Error = async_graphql::Error;

    async fn load(&self, keys: &[AxisById]) -> LoadResult<AxisById, Self::Value> {
        use entities::support_axis;
        let rows = support_axis::Entity::find()
            .filter(support_axis::Column::Id.is_in(keys.iter().map(|k| k.0)))
            .all(&self.db)
            .await
            .map_err(db_error)?;
        Ok(rows.into_iter().map(|r| (AxisById(r.id), r)).collect())
    }
}

/// Loads rows of `$entity` by id, keyed by `$key`.
macro_rules! by_id_loader {
    ($(#[$doc:meta])* $key:ident => $entity:ident) => {
        $(#[$doc])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        pub struct $key(pub i64);

        impl Loader<$key> for DbLoader {
            type Value = entities::$entity::Model;
            type Error = async_graphql::Error;

            async fn load(&self, keys: &[$key]) -> LoadResult<$key, Self::Value> {
                use entities::$entity;
                let rows = $entity::Entity::find()
                    .filter($entity::Column::Id.is_in(keys.iter().map(|k| k.0)))
                    .all(&self.db)
                    .await
                    .map_err(db_error)?;
                Ok(rows.into_iter().map(|r| ($key(r.id), r)).collect())
            }
        }
    };
}

by_id_loader!(RoleById => tutor_role);
by_id_loader!(InterventionById => intervention);
by_id_loader!(
    /// A report link, by id.
    ShareById => report_share
);
by_id_loader!(
    /// A campaign report version, by id.
    ReportById => report
);

/// Audiences of a dissemination plan, in order.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct AudiencesOf(pub i64);

impl Loader<AudiencesOf> for DbLoader {
    type Value = Vec<entities::dissemination_audience::Model>;
    type Error = async_graphql::Error;

    async fn load(&self, keys: &[AudiencesOf]) -> LoadResult<AudiencesOf, Self::Value> {
        use entities::dissemination_audience as audience;
        let rows = audience::Entity::find()
            .filter(audience::Column::PlanId.is_in(keys.iter().map(|k| k.0)))
            .order_by_asc(audience::Column::Position)
            .all(&self.db)
            .await
            .map_err(db_error)?;
        let mut out: HashMap<AudiencesOf, Self::Value> = HashMap::new();
        for row in rows {
            out.entry(AudiencesOf(row.plan_id)).or_default().push(row);
        }
        Ok(out)
    }
}

/// Deliveries of a dissemination plan by status, and how many were opened.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct DeliveriesOf(pub i64);

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct DeliveryTally {
    pub by_status: HashMap<entities::EmailStatus, u64>,
    pub opened: u64,
}

impl Loader<DeliveriesOf> for DbLoader {
    type Value = DeliveryTally;
    type Error = async_graphql::Error;

    async fn load(&self, keys: &[DeliveriesOf]) -> LoadResult<DeliveriesOf, Self::Value> {
        use entities::dissemination_delivery as delivery;
        let ids: Vec<i64> = keys.iter().map(|k| k.0).collect();
        let rows: Vec<(i64, entities::EmailStatus, i64, Option<i64>)> = delivery::Entity::find()
            .select_only()
            .column(delivery::Column::PlanId)
            .column(delivery::Column::Status)
            .column_as(delivery::Column::Id.count(), "n")
            .column_as(delivery::Column::FirstOpenedAt.count(), "opened")
            .filter(delivery::Column::PlanId.is_in(ids))
            .group_by(delivery::Column::PlanId)
            .group_by(delivery::Column::Status)
            .into_tuple()
            .all(&self.db)
            .await
            .map_err(db_error)?;
        let mut out: HashMap<DeliveriesOf, DeliveryTally> = HashMap::new();
        for (plan, status, n, opened) in rows {
            let tally = out.entry(DeliveriesOf(plan)).or_default();
            tally
                .by_status
                .insert(status, u64::try_from(n).unwrap_or(0));
            tally.opened += opened.and_then(|o| u64::try_from(o).ok()).unwrap_or(0);
        }
        Ok(out)
    }
}

/// Attempts of a webhook delivery, first to last.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct AttemptsOf(pub i64);

impl Loader<AttemptsOf> for DbLoader {
    type Value = Vec<entities::webhook_attempt::Model>;
    type Error = async_graphql::Error;

    async fn load(&self, keys: &[AttemptsOf]) -> LoadResult<AttemptsOf, Self::Value> {
        use entities::webhook_attempt as attempt;
        let rows = attempt::Entity::find()
            .filter(attempt::Column::DeliveryId.is_in(keys.iter().map(|k| k.0)))
            .order_by_asc(attempt::Column::Number)
            .all(&self.db)
            .await
            .map_err(db_error)?;
        let mut out: HashMap<AttemptsOf, Self::Value> = HashMap::new();
        for row in rows {
            out.entry(AttemptsOf(row.delivery_id))
                .or_default()
                .push(row);
        }
        Ok(out)
    }
}

by_id_loader!(
    /// A matching, by id; callers check its organisation.
    MatchingById => matching
);
by_id_loader!(
    /// A campaign, by id; callers check its organisation.
    CampaignById => campaign
);

/// Loads the rows of `$entity` whose `$parent` column is among the keys,
/// grouped by it, in the order given.
macro_rules! children_loader {
    (
        $(#[$doc:meta])*
        $key:ident => $entity:ident by $column:ident . $field:ident,
        order [$($order:ident $dir:ident),+]
    ) => {
        $(#[$doc])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        pub struct $key(pub i64);

        impl Loader<$key> for DbLoader {
            type Value = Vec<entities::$entity::Model>;
            type Error = async_graphql::Error;

            async fn load(&self, keys: &[$key]) -> LoadResult<$key, Self::Value> {
                use entities::$entity;
                let rows = $entity::Entity::find()
                    .filter($entity::Column::$column.is_in(keys.iter().map(|k| k.0)))
                    $(.order_by($entity::Column::$order, sea_orm::Order::$dir))+
                    .all(&self.db)
                    .await
                    .map_err(db_error)?;
                let mut out: HashMap<$key, Self::Value> = HashMap::new();
                for row in rows {
                    out.entry($key(row.$field)).or_default().push(row);
                }
                Ok(out)
            }
        }
    };
}

children_loader!(
    /// Support axes of a programme.
    AxesOf => support_axis by ProgrammeId.programme_id, order [Id Asc]
);
children_loader!(
    /// Interventions of a programme.
    InterventionsOf => intervention by ProgrammeId.programme_id, order [Id Asc]
);
children_loader!(
    /// Tutor roles of a programme.
    RolesOf => tutor_role by ProgrammeId.programme_id, order [Id Asc]
);
children_loader!(
    /// Versions of a programme's guide, newest first.
    GuideVersionsOf => guide_version by ProgrammeId.programme_id, order [Version Desc]
);
children_loader!(
    /// Standards of a programme.
    StandardsOf => standard by ProgrammeId.programme_id, order [Id Asc]
);
children_loader!(
    /// Training modules of a programme.
    ModulesOf => training_module by ProgrammeId.programme_id, order [Id Asc]
);
children_loader!(
    /// Communities of a programme.
    CommunitiesOf => community by ProgrammeId.programme_id, order [Id Asc]
);
children_loader!(
    /// Need rules of a programme.
    NeedRulesOf => need_rule by ProgrammeId.programme_id, order [Id Asc]
);
children_loader!(
    /// Completions of a training module.
    CompletionsOf => training_completion by ModuleId.module_id, order [CompletedOn Asc, PersonId Asc]
);
children_loader!(
    /// Members of a community.
    MembersOf => community_member by CommunityId.community_id, order [PersonId Asc]
);
children_loader!(
    /// Resources of a community.
    ResourcesOf => community_resource by CommunityId.community_id, order [Id Asc]
);
children_loader!(
    /// Decisions on a matching, oldest first.
    DecisionsOf => matching_decision by MatchingId.matching_id, order [Id Asc]
);
children_loader!(
    /// Goals of a matching's plan, by target date.
    GoalsOf => plan_goal by MatchingId.matching_id, order [TargetDate Asc, Id Asc]
);
children_loader!(
    /// Planned interventions of a matching's plan, by start.
    PlanItemsOf => plan_item by MatchingId.matching_id, order [StartsOn Asc, Id Asc]
);

/// Sessions of a matching in time order, each with whether its learner
/// came (none before it is recorded).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct SessionsOf(pub i64);

impl Loader<SessionsOf> for DbLoader {
    type Value = Vec<(entities::tutoring_session::Model, Option<bool>)>;
    type Error = async_graphql::Error;

    async fn load(&self, keys: &[SessionsOf]) -> LoadResult<SessionsOf, Self::Value> {
        use entities::{session_participant, tutoring_session};
        let sessions = tutoring_session::Entity::find()
            .filter(tutoring_session::Column::MatchingId.is_in(keys.iter().map(|k| k.0)))
            .order_by_asc(tutoring_session::Column::HeldAt)
            .order_by_asc(tutoring_session::Column::Id)
            .all(&self.db)
            .await
            .map_err(db_error)?;
        let came: HashMap<i64, bool> = session_participant::Entity::find()
            .filter(session_participant::Column::SessionId.is_in(sessions.iter().map(|s| s.id)))
            .all(&self.db)
            .await
            .map_err(db_error)?
            .into_iter()
            .map(|p| (p.session_id, p.attended))
            .collect();
        let mut out: HashMap<SessionsOf, Self::Value> = HashMap::new();
        for session in sessions {
            let Some(matching) = session.matching_id else {
                continue;
            };
            let attended = came.get(&session.id).copied();
            out.entry(SessionsOf(matching))
                .or_default()
                .push((session, attended));
        }
        Ok(out)
    }
}

/// Health of a matching against its programme's standards, as of now.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct HealthOf(pub i64);

impl Loader<HealthOf> for DbLoader {
    type Value = worker::monitoring::Health;
    type Error = async_graphql::Error;

    async fn load(&self, keys: &[HealthOf]) -> LoadResult<HealthOf, Self::Value> {
        use entities::{matching, standard};
        use worker::monitoring::{self, Rule};
        let now = chrono::Utc::now();
        let matchings = matching::Entity::find()
            .filter(matching::Column::Id.is_in(keys.iter().map(|k| k.0)))
            .all(&self.db)
            .await
            .map_err(db_error)?;
        let standards = standard::Entity::find()
            .filter(standard::Column::ProgrammeId.is_in(matchings.iter().map(|m| m.programme_id)))
            .order_by_asc(standard::Column::Id)
            .all(&self.db)
            .await
            .map_err(db_error)?;
        let facts = monitoring::facts_of(&self.db, &matchings, now)
            .await
            .map_err(db_error)?;
        Ok(matchings
            .iter()
            .map(|m| {
                let rules: Vec<Rule> = standards
                    .iter()
                    .filter(|s| s.programme_id == m.programme_id)
                    .map(Rule::from)
                    .collect();
                let facts = facts.get(&m.id).cloned().unwrap_or_default();
                (HealthOf(m.id), monitoring::assess(&facts, &rules, now))
            })
            .collect())
    }
}

/// The stored figures of a campaign.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct ResultOf(pub i64);

impl Loader<ResultOf> for DbLoader {
    type Value = entities::campaign_result::Model;
    type Error = async_graphql::Error;

    async fn load(&self, keys: &[ResultOf]) -> LoadResult<ResultOf, Self::Value> {
        use entities::campaign_result;
        let rows = campaign_result::Entity::find()
            .filter(campaign_result::Column::CampaignId.is_in(keys.iter().map(|k| k.0)))
            .all(&self.db)
            .await
            .map_err(db_error)?;
        Ok(rows
            .into_iter()
            .map(|r| (ResultOf(r.campaign_id), r))
            .collect())
    }
}

/// The person an account is in an organisation.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct PersonOfUser {
    pub organisation_id: i64,
    pub user_id: i64,
}

impl Loader<PersonOfUser> for DbLoader {
    type Value = person::Model;
    type Error = async_graphql::Error;

    async fn load(&self, keys: &[PersonOfUser]) -> LoadResult<PersonOfUser, Self::Value> {
        let rows = person::Entity::find()
            .filter(person::Column::UserId.is_in(keys.iter().map(|k| k.user_id)))
            .filter(person::Column::OrganisationId.is_in(keys.iter().map(|k| k.organisation_id)))
            .order_by_asc(person::Column::Id)
            .all(&self.db)
            .await
            .map_err(db_error)?;
        let mut out = HashMap::new();
        for row in rows {
            let Some(user_id) = row.user_id else {
                continue;
            };
            let key = PersonOfUser {
                organisation_id: row.organisation_id,
                user_id,
            };
            // The first, as `person_of_user` finds it.
            out.entry(key).or_insert(row);
        }
        Ok(out)
    }
}

/// Emails of a campaign by where they stand, and its dead letters.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct DeliveryOf(pub i64);

impl Loader<DeliveryOf> for DbLoader {
    type Value = crate::campaigns::delivery::DeliveryCounts;
    type Error = async_graphql::Error;

    async fn load(&self, keys: &[DeliveryOf]) -> LoadResult<DeliveryOf, Self::Value> {
        let ids: Vec<i64> = keys.iter().map(|k| k.0).collect();
        let counts = crate::campaigns::delivery::counts_of(&self.db, &ids).await?;
        Ok(counts
            .into_iter()
            .map(|(id, c)| (DeliveryOf(id), c))
            .collect())
    }
}

children_loader!(
    /// Recommendations of a programme report version, in rule order.
    RecommendationsOf => recommendation by ReportId.report_id, order [Position Asc]
);
children_loader!(
    /// Links to a campaign report version, newest first.
    SharesOf => report_share by ReportId.report_id, order [Id Desc]
);
by_id_loader!(
    /// A programme report version, by id; callers check its organisation.
    ProgrammeReportById => programme_report
);
