//! Training tutors, following their development, and communities of practice.

pub mod service;

use async_graphql::{Context, Enum, ID, InputObject, Object, Result, SimpleObject};
use chrono::{DateTime, NaiveDate, Utc};
use entities::{
    community, community_member, community_post, person, training_completion, training_module,
};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QuerySelect};

use crate::accounts::Person;
use crate::auth::{MANAGERS, READERS};
use crate::error::ApiError;
use crate::ids;
use crate::loaders::{
    AccountName, CommunitiesOf, CompletionsOf, MembersOf, ModulesOf, PersonById, PersonOfUser,
    ResourcesOf,
};
use crate::pagination::{Page, PageArgs, nested_page};
use crate::state::ContextExt;

/// How advanced a training module is.
#[derive(Enum, Copy, Clone, Eq, PartialEq)]
pub enum TrainingLevel {
    /// For tutors starting out.
    Basic,
    /// For tutors with some practice.
    Intermediate,
    /// For experienced tutors.
    Advanced,
}

impl From<entities::TrainingLevel> for TrainingLevel {
    fn from(l: entities::TrainingLevel) -> Self {
        match l {
            entities::TrainingLevel::Basic => Self::Basic,
            entities::TrainingLevel::Intermediate => Self::Intermediate,
            entities::TrainingLevel::Advanced => Self::Advanced,
        }
    }
}

impl From<TrainingLevel> for entities::TrainingLevel {
    fn from(l: TrainingLevel) -> Self {
        match l {
            TrainingLevel::Basic => Self::Basic,
            TrainingLevel::Intermediate => Self::Intermediate,
            TrainingLevel::Advanced => Self::Advanced,
        }
    }
}

/// A tutor's level from training plus tutoring hours: under 10, 50, 150, more.
#[derive(Enum, Copy, Clone, Eq, PartialEq)]
pub enum TutorLevel {
    /// Under 10 hours.
    Novice,
    /// 10 to under 50 hours.
    Practitioner,
    /// 50 to under 150 hours.
    Experienced,
    /// 150 hours or more.
    Expert,
}

impl From<worker::design::TutorLevel> for TutorLevel {
    fn from(l: worker::design::TutorLevel) -> Self {
        use worker::design::TutorLevel as L;
        match l {
            L::Novice => Self::Novice,
            L::Practitioner => Self::Practitioner,
            L::Experienced => Self::Experienced,
            L::Expert => Self::Expert,
        }
    }
}

pub struct TrainingModule(pub training_module::Model);

/// A training module for tutors.
#[Object]
impl TrainingModule {
    /// Global ID of the module; use with `recordCompletion`.
    async fn id(&self) -> ID {
        ids::encode("TrainingModule", self.0.id)
    }
    /// The module's title.
    async fn title(&self) -> &str {
        &self.0.title
    }
    /// What the module covers; may be empty.
    async fn description(&self) -> &str {
        &self.0.description
    }
    /// Length in hours; each completion adds them to the tutor's training
    /// hours.
    async fn hours(&self) -> f64 {
        self.0.hours
    }
    /// How advanced the module is.
    async fn level(&self) -> TrainingLevel {
        self.0.level.into()
    }
    /// Tutors who completed it. Coordinators only.
    async fn completions(&self, ctx: &Context<'_>) -> Result<Vec<Completion>> {
        ctx.caller_in(MANAGERS)?;
        let rows = ctx.loader().load_one(CompletionsOf(self.0.id)).await?;
        Ok(rows
            .unwrap_or_default()
            .into_iter()
            .map(Completion)
            .collect())
    }
}

pub struct Completion(pub training_completion::Model);

/// A tutor's completion of a training module.
#[Object]
impl Completion {
    /// The tutor who completed the module.
    async fn tutor(&self, ctx: &Context<'_>) -> Result<Person> {
        let p = ctx.loader().load_one(PersonById(self.0.person_id)).await?;
        Ok(Person::from(p.ok_or(ApiError::NotFound("person"))?))
    }
    /// The day the tutor completed it.
    async fn completed_on(&self) -> NaiveDate {
        self.0.completed_on
    }
}

/// A tutor's hours and the level they give.
#[derive(SimpleObject)]
pub struct TutorDevelopment {
    /// The tutor.
    pub tutor: Person,
    /// Hours of the programme's training modules the tutor completed.
    pub training_hours: f64,
    /// Hours of the tutor's held sessions in the programme.
    pub tutoring_hours: f64,
    /// The level the training and tutoring hours add up to.
    pub level: TutorLevel,
}

impl From<service::Development> for TutorDevelopment {
    fn from(d: service::Development) -> Self {
        Self {
            tutor: Person::from(d.tutor),
            training_hours: d.training_hours,
            tutoring_hours: d.tutoring_hours,
            level: d.level.into(),
        }
    }
}

pub struct Community(pub community::Model);

impl Community {
    /// Its members' person ids.
    async fn member_ids(&self, ctx: &Context<'_>) -> Result<Vec<i64>> {
        let rows = ctx.loader().load_one(MembersOf(self.0.id)).await?;
        Ok(rows
            .unwrap_or_default()
            .iter()
            .map(|m| m.person_id)
            .collect())
    }

    /// Refuses those who may not read the community's members and thread:
    /// see [`service::may_take_part`], here with batched loads.
    async fn check_part(&self, ctx: &Context<'_>, members: &[i64]) -> Result<()> {
        let caller = ctx.caller()?;
        if caller.may(MANAGERS) {
            return Ok(());
        }
        let me = PersonOfUser {
            organisation_id: caller.organisation_id,
            user_id: caller.own_account()?,
        };
        match ctx.loader().load_one(me).await? {
            Some(me) if members.contains(&me.id) => Ok(()),
            _ => Err(ApiError::Forbidden.into()),
        }
    }
}

/// A community of practice.
#[Object]
impl Community {
    /// Global ID of the community.
    async fn id(&self) -> ID {
        ids::encode("Community", self.0.id)
    }
    /// The community's name.
    async fn name(&self) -> &str {
        &self.0.name
    }
    /// What the community is for; may be empty.
    async fn description(&self) -> &str {
        &self.0.description
    }
    /// Its tutors. Coordinators and the community's own members only.
    async fn members(&self, ctx: &Context<'_>) -> Result<Vec<Person>> {
        let ids = self.member_ids(ctx).await?;
        self.check_part(ctx, &ids).await?;
        let found = ctx
            .loader()
            .load_many(ids.iter().map(|id| PersonById(*id)))
            .await?;
        let mut people: Vec<person::Model> = found.into_values().collect();
        people.sort_by(|a, b| a.name.cmp(&b.name).then(a.id.cmp(&b.id)));
        Ok(people.into_iter().map(Person::from).collect())
    }
    /// Links shared with the community, oldest first; readable by anyone
    /// who can see the community.
    async fn resources(&self, ctx: &Context<'_>) -> Result<Vec<Resource>> {
        let rows = ctx.loader().load_one(ResourcesOf(self.0.id)).await?;
        Ok(rows
            .unwrap_or_default()
            .into_iter()
            .map(|r| Resource {
                title: r.title,
                url: r.url,
                added_at: r.created_at,
            })
            .collect())
    }
    /// The thread, oldest first. Coordinators and the community's own
    /// members only.
    #[graphql(complexity = "crate::pagination::cost(first, last, child_complexity)")]
    async fn posts(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Rows from the start, or after `after`: at most 100; 20 when \
                          neither `first` nor `last` is given. Not with `last`.")]
        first: Option<i32>,
        #[graphql(desc = "Cursor of a row from a page of this list: the rows after it.")]
        after: Option<String>,
        #[graphql(desc = "Rows from the end, or before `before`: at most 100. Not with \
                          `first`.")]
        last: Option<i32>,
        #[graphql(desc = "Cursor of a row from a page of this list: the rows before it.")]
        before: Option<String>,
    ) -> Result<Page<Post>> {
        let ids = self.member_ids(ctx).await?;
        self.check_part(ctx, &ids).await?;
        let page = PageArgs::new(first, after, last, before);
        nested_page(ctx, self.0.id, PostsOf, page, Post).await
    }
}

crate::pagination::children_by_id!(
    /// The posts of communities, for their threads.
    PostsOf: community_post by CommunityId, "Community.posts", Asc
);

/// A link shared with a community of practice.
#[derive(SimpleObject)]
pub struct Resource {
    /// What the link is.
    pub title: String,
    /// An http or https address.
    pub url: String,
    /// When a coordinator added it.
    pub added_at: DateTime<Utc>,
}

pub struct Post(pub community_post::Model);

/// A message in a community's thread.
#[Object]
impl Post {
    /// Global ID of the post.
    async fn id(&self) -> ID {
        ids::encode("Post", self.0.id)
    }
    /// The message, as plain text.
    async fn body(&self) -> &str {
        &self.0.body
    }
    /// When it was posted.
    async fn posted_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
    /// The author's display name.
    async fn author(&self, ctx: &Context<'_>) -> Result<String> {
        let name = ctx
            .loader()
            .load_one(AccountName(self.0.author_user_id))
            .await?;
        Ok(name.unwrap_or_default())
    }
}

/// Lists of a programme, reached from `Programme`.
/// Open to every member: tutors choose their training from it.
pub(crate) async fn modules_of(
    ctx: &Context<'_>,
    programme_id: i64,
) -> Result<Vec<TrainingModule>> {
    ctx.caller()?;
    let rows = ctx.loader().load_one(ModulesOf(programme_id)).await?;
    Ok(rows
        .unwrap_or_default()
        .into_iter()
        .map(TrainingModule)
        .collect())
}

pub(crate) async fn communities_of(ctx: &Context<'_>, programme_id: i64) -> Result<Vec<Community>> {
    ctx.caller_in(READERS)?;
    let rows = ctx.loader().load_one(CommunitiesOf(programme_id)).await?;
    Ok(rows
        .unwrap_or_default()
        .into_iter()
        .map(Community)
        .collect())
}

pub(crate) async fn development_of(
    ctx: &Context<'_>,
    programme_id: i64,
) -> Result<Vec<TutorDevelopment>> {
    let caller = ctx.caller_in(MANAGERS)?;
    let rows = service::development(&ctx.state().db, caller.organisation_id, programme_id).await?;
    Ok(rows.into_iter().map(Into::into).collect())
}

#[derive(Default)]
pub struct DevelopmentQuery;

#[Object]
impl DevelopmentQuery {
    /// The signed-in tutor's own hours and level in a programme.
    async fn my_development(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Global ID of the programme; one of another organisation is NOT_FOUND.")]
        programme_id: ID,
    ) -> Result<Option<TutorDevelopment>> {
        let caller = ctx.caller()?;
        let db = &ctx.state().db;
        let me = service::person_of_user(db, caller.organisation_id, caller.own_account()?)
            .await?
            .ok_or(ApiError::Forbidden)?;
        let id = ids::decode(&programme_id, "Programme")?;
        let all = service::development(db, caller.organisation_id, id).await?;
        Ok(all
            .into_iter()
            .find(|d| d.tutor.id == me.id)
            .map(Into::into))
    }

    /// Communities the signed-in tutor belongs to.
    async fn my_communities(&self, ctx: &Context<'_>) -> Result<Vec<Community>> {
        let caller = ctx.caller()?;
        let db = &ctx.state().db;
        let Some(me) =
            service::person_of_user(db, caller.organisation_id, caller.own_account()?).await?
        else {
            return Ok(Vec::new());
        };
        let ids: Vec<i64> = community_member::Entity::find()
            .select_only()
            .column(community_member::Column::CommunityId)
            .filter(community_member::Column::PersonId.eq(me.id))
            .into_tuple()
            .all(db)
            .await
            .map_err(ApiError::from)?;
        let rows = community::Entity::find()
            .filter(community::Column::Id.is_in(ids))
            .all(db)
            .await
            .map_err(ApiError::from)?;
        Ok(rows.into_iter().map(Community).collect())
    }
}

/// A training module to add to a programme.
#[derive(InputObject)]
pub struct CreateTrainingModuleInput {
    /// Global ID of the programme.
    pub programme_id: ID,
    /// Not blank, at most 200 characters, on one line.
    pub title: String,
    /// What it covers, at most 10,000 characters; empty by default.
    #[graphql(default)]
    pub description: String,
    /// Length in hours: more than 0, at most 1000.
    pub hours: f64,
    /// How advanced it is.
    pub level: TrainingLevel,
}

/// A tutor's completion of a module, recorded once.
#[derive(InputObject)]
pub struct RecordCompletionInput {
    /// Global ID of the training module.
    pub module_id: ID,
    /// Global ID of a tutor of the organisation; CONFLICT when the
    /// completion is already recorded.
    pub tutor_id: ID,
    /// The day of completion; not in the future.
    pub completed_on: NaiveDate,
}

/// A community of practice to open in a programme.
#[derive(InputObject)]
pub struct CreateCommunityInput {
    /// Global ID of the programme.
    pub programme_id: ID,
    /// Not blank, at most 200 characters, on one line.
    pub name: String,
    /// What it is for, at most 10,000 characters; empty by default.
    #[graphql(default)]
    pub description: String,
}

/// A tutor to add to a community.
#[derive(InputObject)]
pub struct CommunityMemberInput {
    /// Global ID of the community.
    pub community_id: ID,
    /// Global ID of a tutor of the organisation; CONFLICT when already a
    /// member.
    pub tutor_id: ID,
}

/// A link to share with a community.
#[derive(InputObject)]
pub struct CommunityResourceInput {
    /// Global ID of the community.
    pub community_id: ID,
    /// What the link is: not blank, at most 200 characters.
    pub title: String,
    /// An http or https address, at most 2,000 characters.
    pub url: String,
}

/// A message for a community's thread.
#[derive(InputObject)]
pub struct PostInput {
    /// Global ID of the community; FORBIDDEN unless the caller coordinates
    /// or is a member.
    pub community_id: ID,
    /// Plain text, not blank, at most 10,000 characters.
    pub body: String,
}

/// The training module created or completed.
#[derive(SimpleObject)]
pub struct TrainingModulePayload {
    /// The module, as it stands after the change.
    pub module: TrainingModule,
}

/// The community created or changed.
#[derive(SimpleObject)]
pub struct CommunityPayload {
    /// The community, as it stands after the change.
    pub community: Community,
}

/// The post made.
#[derive(SimpleObject)]
pub struct PostPayload {
    /// The new post, last in the thread.
    pub post: Post,
}

#[derive(Default)]
pub struct DevelopmentMutation;

#[Object]
impl DevelopmentMutation {
    /// Adds a training module to a programme: what tutors learn, in how many
    /// hours, at which level. Coordinators and admins.
    async fn create_training_module(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The programme, and the module's title, description, hours and level.")]
        input: CreateTrainingModuleInput,
    ) -> Result<TrainingModulePayload> {
        let caller = ctx.caller_in(MANAGERS)?;
        let programme = ids::decode(&input.programme_id, "Programme")?;
        let module = service::create_module(
            &ctx.state().db,
            caller.organisation_id,
            programme,
            input.title,
            input.description,
            input.hours,
            input.level.into(),
        )
        .await?;
        Ok(TrainingModulePayload {
            module: TrainingModule(module),
        })
    }

    /// Records that a tutor completed a module.
    async fn record_completion(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The module, the tutor and the day they completed it.")]
        input: RecordCompletionInput,
    ) -> Result<TrainingModulePayload> {
        let caller = ctx.caller_in(MANAGERS)?;
        let module = ids::decode(&input.module_id, "TrainingModule")?;
        let tutor = ids::decode(&input.tutor_id, "Person")?;
        let db = &ctx.state().db;
        service::record_completion(
            db,
            caller.organisation_id,
            module,
            tutor,
            input.completed_on,
        )
        .await?;
        let module = training_module::Entity::find_by_id(module)
            .one(db)
            .await
            .map_err(ApiError::from)?
            .ok_or(ApiError::NotFound("training module"))?;
        Ok(TrainingModulePayload {
            module: TrainingModule(module),
        })
    }

    /// Opens a community of practice in a programme, where member tutors post
    /// and share resources. Coordinators and admins.
    async fn create_community(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The programme, and the community's name and description.")]
        input: CreateCommunityInput,
    ) -> Result<CommunityPayload> {
        let caller = ctx.caller_in(MANAGERS)?;
        let programme = ids::decode(&input.programme_id, "Programme")?;
        let created = service::create_community(
            &ctx.state().db,
            caller.organisation_id,
            programme,
            input.name,
            input.description,
        )
        .await?;
        Ok(CommunityPayload {
            community: Community(created),
        })
    }

    /// Adds a tutor of the organisation to a community; a tutor already a
    /// member is CONFLICT. Coordinators and admins.
    async fn add_community_member(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The community and the tutor.")] input: CommunityMemberInput,
    ) -> Result<CommunityPayload> {
        let caller = ctx.caller_in(MANAGERS)?;
        let id = ids::decode(&input.community_id, "Community")?;
        let tutor = ids::decode(&input.tutor_id, "Person")?;
        let db = &ctx.state().db;
        service::add_community_member(db, caller.organisation_id, id, tutor).await?;
        Ok(CommunityPayload {
            community: Community(service::find_community(db, caller.organisation_id, id).await?),
        })
    }

    /// Adds a resource to a community: a title and an `http` or `https` link.
    /// Coordinators and admins.
    async fn add_community_resource(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The community, and the resource's title and URL.")]
        input: CommunityResourceInput,
    ) -> Result<CommunityPayload> {
        let caller = ctx.caller_in(MANAGERS)?;
        let id = ids::decode(&input.community_id, "Community")?;
        let db = &ctx.state().db;
        service::add_resource(db, caller.organisation_id, id, input.title, input.url).await?;
        Ok(CommunityPayload {
            community: Community(service::find_community(db, caller.organisation_id, id).await?),
        })
    }

    /// Posts to a community: coordinators, and tutors who are members.
    async fn post_to_community(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The community and the text of the post.")] input: PostInput,
    ) -> Result<PostPayload> {
        let caller = ctx.caller()?;
        let id = ids::decode(&input.community_id, "Community")?;
        let post = service::post(&ctx.state().db, caller, id, input.body).await?;
        Ok(PostPayload { post: Post(post) })
    }
}
