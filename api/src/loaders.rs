//! Batched loading of relations: one query per relation and request, however
//! long the list that asks for it.

use std::collections::HashMap;

use async_graphql::dataloader::Loader;
use entities::{answer, invitation, item, person, questionnaire, response, scale, user_account};
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder, QuerySelect};

use crate::error::ApiError;

/// One loader for every relation, keyed by the newtypes below.
pub struct DbLoader {
    pub db: DatabaseConnection,
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
