//! Accounts, sign-in and the people of an organisation.

use async_graphql::{Context, Enum, ID, InputObject, Object, Result, SimpleObject};
use chrono::Utc;
use entities::{PersonKind, Role, organisation, person, person_card, user_account};
use sea_orm::{ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter};

use crate::auth::{self, MANAGERS};
use crate::error::{ApiError, Problem};
use crate::ids;
use crate::pagination::{Page, PageArgs, Sort, keyset};
use crate::state::ContextExt;

/// A learner or tutor of the organisation, as the API shows them.
#[derive(Clone)]
pub struct Person(pub person_card::Model);

impl From<person::Model> for Person {
    fn from(row: person::Model) -> Self {
        Self(row.into())
    }
}

/// A learner or tutor of the organisation, whether or not they have an
/// account.
// Every field is at hand: resolved one after the other, they spare the
// scheduling that side-by-side fields cost, for each person of a list.
#[Object(serial)]
impl Person {
    /// Global ID of the person; use with `node(id:)` and wherever a
    /// `personId` is asked.
    pub async fn id(&self) -> ID {
        ids::encode("Person", self.0.id)
    }
    /// Full name as given; `Erased person` once the person is erased.
    async fn name(&self) -> &str {
        &self.0.name
    }
    /// Address that campaign invitations and reminders go to; null when none
    /// was given or the person was erased.
    async fn email(&self) -> Option<&str> {
        self.0.email.as_deref()
    }
    /// Whether the person takes part as a learner or as a tutor.
    async fn kind(&self) -> PersonRole {
        match self.0.kind {
            PersonKind::Learner => PersonRole::Learner,
            PersonKind::Tutor => PersonRole::Tutor,
        }
    }
    /// Language of the emails sent to this person (BCP 47, e.g. `en`, `fr`).
    async fn language(&self) -> &str {
        &self.0.language
    }
    /// Identifier in the organisation's own systems.
    async fn external_ref(&self) -> Option<&str> {
        self.0.external_ref.as_deref()
    }
    /// When the person was erased: their name and address are gone.
    async fn erased_at(&self) -> Option<chrono::DateTime<Utc>> {
        self.0.erased_at
    }
}

/// The part a person plays in the organisation's programmes.
#[derive(Enum, Copy, Clone, Eq, PartialEq)]
pub enum PersonRole {
    /// Receives tutoring or mentoring.
    Learner,
    /// Gives tutoring or mentoring.
    Tutor,
}

/// A member's role.
#[derive(Enum, Copy, Clone, Eq, PartialEq)]
pub enum MemberRole {
    /// Everything a coordinator may do, plus members, API keys, dead letters,
    /// the audit log and data-protection rights.
    Admin,
    /// Designs and runs programmes, campaigns and matchings; reads everything
    /// of the organisation.
    Coordinator,
    /// Sees the matchings, plans and sessions they tutor, once linked to a
    /// tutor person.
    Tutor,
    /// Sees their own matchings and plan and states their needs, once linked
    /// to a learner person.
    Learner,
    /// Reads results and reports, nothing personal.
    Observer,
    /// The role of API keys; never given to a member.
    Integration,
}

impl From<Role> for MemberRole {
    fn from(r: Role) -> Self {
        match r {
            Role::Admin => Self::Admin,
            Role::Coordinator => Self::Coordinator,
            Role::Tutor => Self::Tutor,
            Role::Learner => Self::Learner,
            Role::Observer => Self::Observer,
            Role::Integration => Self::Integration,
        }
    }
}

/// The signed-in user in the organisation of their token.
#[derive(SimpleObject)]
pub struct Viewer {
    /// The address the account signs in with.
    pub email: String,
    /// The name the account shows to others.
    pub display_name: String,
    /// The name of the organisation the token is for.
    pub organisation_name: String,
    /// The organisation's unique short name (lower-case letters, digits and
    /// dashes); `signIn` takes it as `organisation`.
    pub organisation_slug: String,
    /// What the account may do in that organisation.
    pub role: MemberRole,
}

#[derive(Default)]
pub struct AccountQuery;

#[Object]
impl AccountQuery {
    /// Who is calling: a signed-in member (an API key is not one).
    async fn viewer(&self, ctx: &Context<'_>) -> Result<Viewer> {
        let caller = ctx.caller()?;
        if caller.api_key.is_some() {
            return Err(ApiError::Forbidden.into());
        }
        let db = &ctx.state().db;
        let user = user_account::Entity::find_by_id(caller.user_id)
            .one(db)
            .await
            .map_err(ApiError::from)?
            .ok_or(ApiError::Unauthenticated)?;
        let org = organisation::Entity::find_by_id(caller.organisation_id)
            .one(db)
            .await
            .map_err(ApiError::from)?
            .ok_or(ApiError::Unauthenticated)?;
        Ok(Viewer {
            email: user.email,
            display_name: user.display_name,
            organisation_name: org.name,
            organisation_slug: org.slug,
            role: caller.role.into(),
        })
    }

    /// People of the organisation, in creation order.
    #[graphql(complexity = "crate::pagination::cost(first, last, child_complexity)")]
    async fn people(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "How many rows from the start: at most 100, 20 by default.")]
        first: Option<i32>,
        #[graphql(desc = "Cursor of an edge; the page starts after it.")] after: Option<String>,
        #[graphql(desc = "How many rows from the end: at most 100; not with `first`.")]
        last: Option<i32>,
        #[graphql(desc = "Cursor of an edge; the page ends before it.")] before: Option<String>,
    ) -> Result<Page<Person>> {
        let caller = ctx.caller_in(MANAGERS)?;
        let query = person::Entity::find()
            .filter(person::Column::OrganisationId.eq(caller.organisation_id));
        let sort = Sort::by_id("people", person::Column::Id, sea_orm::Order::Asc);
        let page = PageArgs::new(first, after, last, before);
        Ok(keyset(&ctx.state().db, query, &sort, page, Person::from).await?)
    }
}

/// A learner or tutor to add to the organisation.
#[derive(InputObject)]
pub struct PersonInput {
    /// Full name: 1 to 200 characters, without control characters.
    pub name: String,
    /// Address for invitations and reminders; optional.
    pub email: Option<String>,
    /// Whether the person is a learner or a tutor.
    pub kind: PersonRole,
    /// Language of the emails sent to the person (BCP 47, e.g. `en`, `fr`).
    #[graphql(default_with = "String::from(\"en\")")]
    pub language: String,
    /// Name from the IANA time zone database, e.g. `Europe/Paris`.
    #[graphql(default_with = "String::from(\"UTC\")")]
    pub time_zone: String,
    /// Identifier in the organisation's own systems: at most 200 characters.
    pub external_ref: Option<String>,
}

/// People to add in one call: at most 1,000, all or none.
#[derive(InputObject)]
pub struct CreatePeopleInput {
    /// The people; every invalid field is reported at once, as
    /// `people[i].field`.
    pub people: Vec<PersonInput>,
}

/// The people just added.
#[derive(SimpleObject)]
pub struct CreatePeoplePayload {
    /// The people created, in the order they were given.
    pub people: Vec<Person>,
}

/// Most people created in one call.
const MAX_PEOPLE: usize = 1000;

#[derive(Default)]
pub struct AccountMutation;

#[Object]
impl AccountMutation {
    /// Adds learners and tutors to the organisation.
    async fn create_people(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The learners and tutors to add, all or none.")] input: CreatePeopleInput,
    ) -> Result<CreatePeoplePayload> {
        let caller = ctx.caller_in(MANAGERS)?;
        if input.people.len() > MAX_PEOPLE {
            return Err(
                ApiError::bad_input(format!("at most {MAX_PEOPLE} people per call")).into(),
            );
        }
        let mut problems = Vec::new();
        for (i, p) in input.people.iter().enumerate() {
            check_person(i, p, &mut problems);
        }
        if !problems.is_empty() {
            return Err(ApiError::invalid(problems).into());
        }

        let db = &ctx.state().db;
        let txn = worker::db::begin_write(db).await.map_err(ApiError::from)?;
        let mut created = Vec::with_capacity(input.people.len());
        for p in input.people {
            let row = person::Entity::insert(person::ActiveModel {
                organisation_id: Set(caller.organisation_id),
                external_ref: Set(p.external_ref),
                name: Set(p.name.trim().to_owned()),
                email: Set(p.email.map(|e| e.trim().to_owned())),
                kind: Set(match p.kind {
                    PersonRole::Learner => PersonKind::Learner,
                    PersonRole::Tutor => PersonKind::Tutor,
                }),
                language: Set(p.language),
                time_zone: Set(p.time_zone),
                created_at: Set(Utc::now()),
                ..Default::default()
            })
            .exec_with_returning(&txn)
            .await
            .map_err(ApiError::from)?;
            created.push(Person::from(row));
        }
        txn.commit().await.map_err(ApiError::from)?;
        Ok(CreatePeoplePayload { people: created })
    }
}

/// Checks a person's fields; every problem is reported.
fn check_person(i: usize, p: &PersonInput, problems: &mut Vec<Problem>) {
    let at = |field: &str| format!("people[{i}].{field}");
    let name = p.name.trim();
    if name.is_empty() || name.chars().count() > 200 || name.chars().any(char::is_control) {
        problems.push(Problem::field(
            at("name"),
            "must be 1 to 200 characters, without control characters",
        ));
    }
    if let Some(email) = &p.email
        && !auth::valid_email(email.trim())
    {
        problems.push(Problem::field(at("email"), "is not an email address"));
    }
    crate::validate::language(problems, &at("language"), &p.language);
    // A name of the IANA time zone database, spelt as it spells it.
    let zone_ok = p.time_zone.parse::<chrono_tz::Tz>().is_ok();
    if !zone_ok {
        problems.push(Problem::field(
            at("timeZone"),
            "use a time zone name such as Europe/Paris",
        ));
    }
    if p.external_ref
        .as_ref()
        .is_some_and(|r| r.chars().count() > 200 || r.chars().any(char::is_control))
    {
        problems.push(Problem::field(
            at("externalRef"),
            "must be at most 200 characters, without control characters",
        ));
    }
}

/// Who is to become a member, and with which role.
#[derive(InputObject)]
pub struct AddMemberInput {
    /// The member's sign-in address; case and surrounding spaces are ignored.
    pub email: String,
    /// Name shown for the member: 1 to 200 characters. An address that
    /// already has an account keeps its own name.
    pub display_name: String,
    /// The role in this organisation; `INTEGRATION` is refused.
    pub role: MemberRole,
    /// The password the member signs in to this organisation with (at
    /// least 10 characters). An address that already has an account keeps
    /// its password in its other organisations; a password reset by email
    /// sets one password for all of them.
    pub password: String,
    /// The learner or tutor this member is, so they see their own records.
    pub person_id: Option<ID>,
}

/// A member of the organisation, as just added.
#[derive(SimpleObject)]
pub struct AddMemberPayload {
    /// The member's address, trimmed and in lower case.
    pub email: String,
    /// The role given.
    pub role: MemberRole,
}

#[derive(Default)]
pub struct MemberMutation;

#[Object]
impl MemberMutation {
    /// Gives someone a role in the caller's organisation: admins only.
    async fn add_member(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The address, name, role and password, and the person the member is.")]
        input: AddMemberInput,
    ) -> Result<AddMemberPayload> {
        let caller = ctx.caller_in(&[Role::Admin])?;
        let db = &ctx.state().db;
        let org = organisation::Entity::find_by_id(caller.organisation_id)
            .one(db)
            .await
            .map_err(ApiError::from)?
            .ok_or(ApiError::Unauthenticated)?;
        let role = match input.role {
            MemberRole::Admin => Role::Admin,
            MemberRole::Coordinator => Role::Coordinator,
            MemberRole::Tutor => Role::Tutor,
            MemberRole::Learner => Role::Learner,
            MemberRole::Observer => Role::Observer,
            MemberRole::Integration => Role::Integration,
        };
        let person = match &input.person_id {
            Some(id) => {
                let id = ids::decode(id, "Person")?;
                Some(linkable_person(db, caller.organisation_id, id, role).await?)
            }
            None => None,
        };
        let member = auth::add_member_by(
            db,
            (&org.slug, &org.name),
            (&input.email, &input.display_name, &input.password),
            role,
            Some(&crate::audit::Actor::of(ctx)?),
        )
        .await?;
        if let Some(person) = person {
            let mut active: person::ActiveModel = person.into();
            active.user_id = Set(Some(member.user_id));
            sea_orm::ActiveModelTrait::update(active, db)
                .await
                .map_err(ApiError::from)?;
        }
        Ok(AddMemberPayload {
            email: input.email.trim().to_lowercase(),
            role: input.role,
        })
    }
}

/// A person of the organisation that a member with `role` may be linked to.
async fn linkable_person(
    db: &sea_orm::DatabaseConnection,
    org: i64,
    person_id: i64,
    role: Role,
) -> Result<person::Model, ApiError> {
    let person = person::Entity::find_by_id(person_id)
        .filter(person::Column::OrganisationId.eq(org))
        .one(db)
        .await?
        .ok_or(ApiError::NotFound("person"))?;
    let fits = matches!(
        (role, person.kind),
        (Role::Learner, PersonKind::Learner) | (Role::Tutor, PersonKind::Tutor)
    );
    if !fits {
        return Err(ApiError::invalid(vec![Problem::field(
            "personId",
            "learners link to a learner, tutors to a tutor",
        )]));
    }
    if person.user_id.is_some() {
        return Err(ApiError::Conflict(
            "this person already has an account".into(),
        ));
    }
    Ok(person)
}
