//! The personal data the system holds: where it is ([`PERSONAL_COLUMNS`]),
//! how all of it about one person is gathered ([`export`]), and how a
//! person is erased while the figures their answers went into stay as
//! they were ([`erase`]).

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use entities::{
    EmailStatus, SuppressionReason, answer, api_key, audit_event, auth_session, community_member,
    community_post, dissemination_audience, dissemination_delivery, dissemination_plan,
    email_message, invitation, item, learner_profile, matching, matching_decision,
    matching_exclusion, matching_run, membership, need, password_reset, person, plan_goal,
    plan_item, programme_report, recommendation, relation_alert, report_share, response,
    response_draft, retention_policy, session_participant, suppression, training_completion,
    tutor_profile, tutoring_session, user_account, webhook_endpoint,
};
use sea_orm::sea_query::{Expr, ExprTrait, Query};
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect,
};
use serde::Serialize;
use serde_json::{Map, Value};

/// Every column that names, reaches or holds something of a person:
/// `(table, column)`. Each table here has its section in [`export`].
/// `tests` checks it against the entities, so that a new column that looks
/// personal cannot be left out unseen.
pub const PERSONAL_COLUMNS: &[(&str, &str)] = &[
    ("api_key", "created_by"),
    ("audit_event", "actor_user_id"),
    ("auth_session", "user_id"),
    ("answer", "text_value"),
    ("community_member", "person_id"),
    ("community_post", "author_user_id"),
    ("community_post", "body"),
    ("dissemination_audience", "recipients"),
    ("dissemination_delivery", "person_id"),
    ("dissemination_delivery", "address"),
    ("dissemination_delivery", "name"),
    ("dissemination_plan", "created_by"),
    ("email_message", "recipient"),
    ("invitation", "person_id"),
    ("learner_profile", "person_id"),
    ("matching", "learner_id"),
    ("matching", "tutor_id"),
    ("matching", "decided_by"),
    ("matching", "reason"),
    ("matching_decision", "decided_by"),
    ("matching_decision", "reason"),
    ("matching_exclusion", "learner_id"),
    ("matching_exclusion", "tutor_id"),
    ("matching_exclusion", "created_by"),
    ("matching_exclusion", "reason"),
    ("matching_run", "requested_by"),
    ("membership", "user_id"),
    ("need", "person_id"),
    ("need", "evidence"),
    ("password_reset", "user_id"),
    ("person", "name"),
    ("person", "email"),
    ("person", "external_ref"),
    ("person", "user_id"),
    ("plan_goal", "description"),
    ("plan_goal", "measure"),
    ("programme_report", "created_by"),
    ("recommendation", "decided_by"),
    ("relation_alert", "matching_id"),
    ("report_share", "created_by"),
    ("response", "person_id"),
    ("response", "interviewer_id"),
    ("response", "external_ref"),
    ("response", "notes"),
    ("response_draft", "answers"),
    ("retention_policy", "updated_by"),
    ("session_participant", "person_id"),
    ("suppression", "address"),
    ("suppression", "created_by"),
    ("training_completion", "person_id"),
    ("tutor_profile", "person_id"),
    ("tutoring_session", "tutor_id"),
    ("tutoring_session", "notes"),
    ("user_account", "email"),
    ("user_account", "display_name"),
    ("webhook_endpoint", "created_by"),
];

/// Columns whose names look personal but hold nothing of a person:
/// `(table, column, why)`.
pub const IMPERSONAL_COLUMNS: &[(&str, &str, &str)] = &[
    ("analytical_grid", "name", "names a grid"),
    ("api_key", "name", "names a key"),
    ("campaign", "name", "names a campaign"),
    ("community", "name", "names a community"),
    ("dissemination_plan", "name", "names a plan"),
    ("intervention", "name", "names an intervention"),
    ("organisation", "name", "names the organisation"),
    ("programme", "name", "names a programme"),
    ("scale", "name", "names a scale"),
    ("support_axis", "name", "names an axis"),
    ("tutor_role", "name", "names a role"),
    (
        "guide_version",
        "body",
        "the guide's text, written for everyone",
    ),
];

/// Whether a column's name says it may reach or hold a person: an id of a
/// person or an account, an actor, a name, an address, free text.
pub fn looks_personal(column: &str) -> bool {
    const IDS: &[&str] = &[
        "person_id",
        "learner_id",
        "tutor_id",
        "user_id",
        "interviewer_id",
    ];
    const EXACT: &[&str] = &[
        "created_by",
        "decided_by",
        "requested_by",
        "updated_by",
        "email",
        "recipient",
        "recipients",
        "address",
        "name",
        "display_name",
        "external_ref",
        "notes",
        "body",
        "text_value",
    ];
    IDS.iter()
        .any(|s| column == *s || column.ends_with(&format!("_{s}")))
        || EXACT.contains(&column)
}

/// What replaces free text that was erased or outlived its retention: a
/// non-empty text, so that counts of answers given stay what they were.
pub const ERASED_TEXT: &str = "[erased]";
/// The name an erased person goes by.
pub const ERASED_NAME: &str = "Erased person";

/// Keys left out of exported rows: secrets, and whole documents that are
/// the organisation's rather than the person's.
const LEFT_OUT: &[&str] = &[
    "password_hash",
    "token_hash",
    "key_hash",
    "token_nonce",
    "nonce",
    "link_nonce",
    "secret_nonce",
    "previous_secret_nonce",
    "html",
    "csv",
    "data",
];

fn rows<T: Serialize>(rows: Vec<T>) -> Value {
    let mut out = Vec::with_capacity(rows.len());
    for row in rows {
        let mut value = serde_json::to_value(row).unwrap_or(Value::Null);
        if let Value::Object(map) = &mut value {
            map.retain(|k, _| !LEFT_OUT.contains(&k.as_str()));
        }
        out.push(value);
    }
    Value::Array(out)
}

/// Who a person is across the tables: their row, their account, and the
/// ids that lead to the rest.
struct Subject {
    person: person::Model,
    user_id: Option<i64>,
    /// The person's address and their account's.
    emails: Vec<String>,
    invitations: Vec<i64>,
    matchings: Vec<i64>,
}

async fn subject(
    db: &impl ConnectionTrait,
    organisation_id: i64,
    person_id: i64,
) -> Result<Option<Subject>, DbErr> {
    let Some(person) = person::Entity::find_by_id(person_id)
        .filter(person::Column::OrganisationId.eq(organisation_id))
        .one(db)
        .await?
    else {
        return Ok(None);
    };
    let mut emails: Vec<String> = person
        .email
        .iter()
        .map(|e| crate::suppression::normalise(e))
        .collect();
    if let Some(user_id) = person.user_id
        && let Some(user) = user_account::Entity::find_by_id(user_id).one(db).await?
    {
        emails.push(crate::suppression::normalise(&user.email));
    }
    emails.sort();
    emails.dedup();
    let invitations = invitation::Entity::find()
        .select_only()
        .column(invitation::Column::Id)
        .filter(invitation::Column::OrganisationId.eq(organisation_id))
        .filter(invitation::Column::PersonId.eq(person_id))
        .into_tuple()
        .all(db)
        .await?;
    let matchings = matching::Entity::find()
        .select_only()
        .column(matching::Column::Id)
        .filter(matching::Column::OrganisationId.eq(organisation_id))
        .filter(
            Condition::any()
                .add(matching::Column::LearnerId.eq(person_id))
                .add(matching::Column::TutorId.eq(person_id)),
        )
        .into_tuple()
        .all(db)
        .await?;
    Ok(Some(Subject {
        user_id: person.user_id,
        person,
        emails,
        invitations,
        matchings,
    }))
}

/// An account id that matches no row, for people without an account.
const NO_ACCOUNT: i64 = -1;

/// Every row about person `person_id` of the organisation, table by table,
/// as one JSON document; `None` if the organisation has no such person.
pub async fn export(
    db: &impl ConnectionTrait,
    organisation_id: i64,
    person_id: i64,
    at: DateTime<Utc>,
) -> Result<Option<Value>, DbErr> {
    let Some(s) = subject(db, organisation_id, person_id).await? else {
        return Ok(None);
    };
    let org = organisation_id;
    let user = s.user_id.unwrap_or(NO_ACCOUNT);
    let mut t: BTreeMap<&str, Value> = BTreeMap::new();

    t.insert("person", rows(vec![s.person.clone()]));
    t.insert(
        "user_account",
        rows(user_account::Entity::find_by_id(user).all(db).await?),
    );
    let memberships = membership::Entity::find()
        .filter(membership::Column::UserId.eq(user))
        .filter(membership::Column::OrganisationId.eq(org))
        .all(db)
        .await?;
    let membership_ids: Vec<i64> = memberships.iter().map(|m| m.id).collect();
    t.insert("membership", rows(memberships));
    t.insert(
        "auth_session",
        rows(
            auth_session::Entity::find()
                .filter(auth_session::Column::MembershipId.is_in(membership_ids))
                .all(db)
                .await?,
        ),
    );
    t.insert(
        "password_reset",
        rows(
            password_reset::Entity::find()
                .filter(password_reset::Column::UserId.eq(user))
                .all(db)
                .await?,
        ),
    );
    t.insert(
        "api_key",
        rows(
            api_key::Entity::find()
                .filter(api_key::Column::OrganisationId.eq(org))
                .filter(api_key::Column::CreatedBy.eq(user))
                .all(db)
                .await?,
        ),
    );
    t.insert(
        "audit_event",
        rows(
            audit_event::Entity::find()
                .filter(audit_event::Column::OrganisationId.eq(org))
                .filter(
                    Condition::any()
                        .add(audit_event::Column::ActorUserId.eq(user))
                        .add(
                            Condition::all()
                                .add(audit_event::Column::TargetKind.eq("Person"))
                                .add(audit_event::Column::TargetId.eq(person_id)),
                        ),
                )
                .order_by_asc(audit_event::Column::Id)
                .all(db)
                .await?,
        ),
    );

    // Evaluation: invitations, responses (their own and the interviews
    // recorded about them or by them), answers, drafts, emails.
    t.insert(
        "invitation",
        rows(
            invitation::Entity::find()
                .filter(invitation::Column::Id.is_in(s.invitations.clone()))
                .all(db)
                .await?,
        ),
    );
    let responses = response::Entity::find()
        .filter(response::Column::OrganisationId.eq(org))
        .filter(
            Condition::any()
                .add(response::Column::PersonId.eq(person_id))
                .add(response::Column::InvitationId.is_in(s.invitations.clone()))
                .add(response::Column::InterviewerId.eq(user)),
        )
        .order_by_asc(response::Column::Id)
        .all(db)
        .await?;
    let response_ids: Vec<i64> = responses.iter().map(|r| r.id).collect();
    t.insert("response", rows(responses));
    t.insert(
        "answer",
        rows(
            answer::Entity::find()
                .filter(answer::Column::ResponseId.is_in(response_ids))
                .order_by_asc(answer::Column::Id)
                .all(db)
                .await?,
        ),
    );
    t.insert(
        "response_draft",
        rows(
            response_draft::Entity::find()
                .filter(response_draft::Column::InvitationId.is_in(s.invitations.clone()))
                .all(db)
                .await?,
        ),
    );
    t.insert(
        "email_message",
        rows(
            email_message::Entity::find()
                .filter(email_message::Column::OrganisationId.eq(org))
                .filter(
                    Condition::any()
                        .add(email_message::Column::Recipient.is_in(s.emails.clone()))
                        .add(email_message::Column::InvitationId.is_in(s.invitations.clone())),
                )
                .order_by_asc(email_message::Column::Id)
                .all(db)
                .await?,
        ),
    );
    let hashes: Vec<String> = s
        .emails
        .iter()
        .map(|e| crate::suppression::hashed(e))
        .collect();
    t.insert(
        "suppression",
        rows(
            suppression::Entity::find()
                .filter(suppression::Column::OrganisationId.eq(org))
                .filter(
                    Condition::any()
                        .add(suppression::Column::Address.is_in(s.emails.clone()))
                        .add(suppression::Column::Address.is_in(hashes))
                        .add(suppression::Column::CreatedBy.eq(user)),
                )
                .all(db)
                .await?,
        ),
    );

    // Running: needs, profiles, relations and what hangs on them.
    t.insert(
        "need",
        rows(
            need::Entity::find()
                .filter(need::Column::OrganisationId.eq(org))
                .filter(need::Column::PersonId.eq(person_id))
                .all(db)
                .await?,
        ),
    );
    t.insert(
        "learner_profile",
        rows(
            learner_profile::Entity::find()
                .filter(learner_profile::Column::OrganisationId.eq(org))
                .filter(learner_profile::Column::PersonId.eq(person_id))
                .all(db)
                .await?,
        ),
    );
    t.insert(
        "tutor_profile",
        rows(
            tutor_profile::Entity::find()
                .filter(tutor_profile::Column::OrganisationId.eq(org))
                .filter(tutor_profile::Column::PersonId.eq(person_id))
                .all(db)
                .await?,
        ),
    );
    t.insert(
        "matching",
        rows(
            matching::Entity::find()
                .filter(
                    Condition::any()
                        .add(matching::Column::Id.is_in(s.matchings.clone()))
                        .add(matching::Column::DecidedBy.eq(user)),
                )
                .filter(matching::Column::OrganisationId.eq(org))
                .all(db)
                .await?,
        ),
    );
    t.insert(
        "matching_decision",
        rows(
            matching_decision::Entity::find()
                .filter(
                    Condition::any()
                        .add(matching_decision::Column::MatchingId.is_in(s.matchings.clone()))
                        .add(matching_decision::Column::DecidedBy.eq(user)),
                )
                .filter(
                    matching_decision::Column::MatchingId.in_subquery(
                        Query::select()
                            .column(matching::Column::Id)
                            .from(matching::Entity)
                            .and_where(matching::Column::OrganisationId.eq(org))
                            .to_owned(),
                    ),
                )
                .all(db)
                .await?,
        ),
    );
    t.insert(
        "matching_exclusion",
        rows(
            matching_exclusion::Entity::find()
                .filter(matching_exclusion::Column::OrganisationId.eq(org))
                .filter(
                    Condition::any()
                        .add(matching_exclusion::Column::LearnerId.eq(person_id))
                        .add(matching_exclusion::Column::TutorId.eq(person_id))
                        .add(matching_exclusion::Column::CreatedBy.eq(user)),
                )
                .all(db)
                .await?,
        ),
    );
    t.insert(
        "matching_run",
        rows(
            matching_run::Entity::find()
                .filter(matching_run::Column::OrganisationId.eq(org))
                .filter(matching_run::Column::RequestedBy.eq(user))
                .all(db)
                .await?,
        ),
    );
    t.insert(
        "plan_goal",
        rows(
            plan_goal::Entity::find()
                .filter(plan_goal::Column::MatchingId.is_in(s.matchings.clone()))
                .all(db)
                .await?,
        ),
    );
    t.insert(
        "plan_item",
        rows(
            plan_item::Entity::find()
                .filter(plan_item::Column::MatchingId.is_in(s.matchings.clone()))
                .all(db)
                .await?,
        ),
    );
    let participations = session_participant::Entity::find()
        .filter(session_participant::Column::PersonId.eq(person_id))
        .filter(
            session_participant::Column::SessionId.in_subquery(
                Query::select()
                    .column(tutoring_session::Column::Id)
                    .from(tutoring_session::Entity)
                    .and_where(tutoring_session::Column::OrganisationId.eq(org))
                    .to_owned(),
            ),
        )
        .all(db)
        .await?;
    let attended: Vec<i64> = participations.iter().map(|p| p.session_id).collect();
    t.insert("session_participant", rows(participations));
    t.insert(
        "tutoring_session",
        rows(
            tutoring_session::Entity::find()
                .filter(tutoring_session::Column::OrganisationId.eq(org))
                .filter(
                    Condition::any()
                        .add(tutoring_session::Column::TutorId.eq(person_id))
                        .add(tutoring_session::Column::MatchingId.is_in(s.matchings.clone()))
                        .add(tutoring_session::Column::Id.is_in(attended)),
                )
                .order_by_asc(tutoring_session::Column::Id)
                .all(db)
                .await?,
        ),
    );
    t.insert(
        "relation_alert",
        rows(
            relation_alert::Entity::find()
                .filter(relation_alert::Column::MatchingId.is_in(s.matchings.clone()))
                .all(db)
                .await?,
        ),
    );

    // Development: training and communities.
    t.insert(
        "training_completion",
        rows(
            training_completion::Entity::find()
                .filter(training_completion::Column::PersonId.eq(person_id))
                .filter(
                    training_completion::Column::ModuleId
                        .in_subquery(org_rows(entities::training_module::Entity, org)),
                )
                .all(db)
                .await?,
        ),
    );
    t.insert(
        "community_member",
        rows(
            community_member::Entity::find()
                .filter(community_member::Column::PersonId.eq(person_id))
                .filter(
                    community_member::Column::CommunityId
                        .in_subquery(org_rows(entities::community::Entity, org)),
                )
                .all(db)
                .await?,
        ),
    );
    t.insert(
        "community_post",
        rows(
            community_post::Entity::find()
                .filter(community_post::Column::AuthorUserId.eq(user))
                .filter(
                    community_post::Column::CommunityId
                        .in_subquery(org_rows(entities::community::Entity, org)),
                )
                .all(db)
                .await?,
        ),
    );

    // Dissemination: the audiences that list them, what was sent them.
    let audiences = dissemination_audience::Entity::find()
        .filter(
            dissemination_audience::Column::PlanId
                .in_subquery(org_rows(dissemination_plan::Entity, org)),
        )
        .all(db)
        .await?
        .into_iter()
        .filter(|a| lists_any(&a.recipients, &s.emails))
        .collect();
    t.insert("dissemination_audience", rows(audiences));
    t.insert(
        "dissemination_delivery",
        rows(
            dissemination_delivery::Entity::find()
                .filter(dissemination_delivery::Column::OrganisationId.eq(org))
                .filter(
                    Condition::any()
                        .add(dissemination_delivery::Column::PersonId.eq(person_id))
                        .add(dissemination_delivery::Column::Address.is_in(s.emails.clone())),
                )
                .all(db)
                .await?,
        ),
    );

    // What they did as a member of staff.
    t.insert(
        "dissemination_plan",
        rows(
            dissemination_plan::Entity::find()
                .filter(dissemination_plan::Column::OrganisationId.eq(org))
                .filter(dissemination_plan::Column::CreatedBy.eq(user))
                .all(db)
                .await?,
        ),
    );
    t.insert(
        "programme_report",
        rows(
            programme_report::Entity::find()
                .filter(programme_report::Column::OrganisationId.eq(org))
                .filter(programme_report::Column::CreatedBy.eq(user))
                .all(db)
                .await?,
        ),
    );
    t.insert(
        "recommendation",
        rows(
            recommendation::Entity::find()
                .filter(recommendation::Column::OrganisationId.eq(org))
                .filter(recommendation::Column::DecidedBy.eq(user))
                .all(db)
                .await?,
        ),
    );
    t.insert(
        "report_share",
        rows(
            report_share::Entity::find()
                .filter(report_share::Column::OrganisationId.eq(org))
                .filter(report_share::Column::CreatedBy.eq(user))
                .all(db)
                .await?,
        ),
    );
    t.insert(
        "retention_policy",
        rows(
            retention_policy::Entity::find()
                .filter(retention_policy::Column::OrganisationId.eq(org))
                .filter(retention_policy::Column::UpdatedBy.eq(user))
                .all(db)
                .await?,
        ),
    );
    t.insert(
        "webhook_endpoint",
        rows(
            webhook_endpoint::Entity::find()
                .filter(webhook_endpoint::Column::OrganisationId.eq(org))
                .filter(webhook_endpoint::Column::CreatedBy.eq(user))
                .all(db)
                .await?,
        ),
    );

    let tables: Map<String, Value> = t.into_iter().map(|(k, v)| (k.to_owned(), v)).collect();
    Ok(Some(serde_json::json!({
        "format": 1,
        "exported_at": at,
        "organisation_id": org,
        "person_id": person_id,
        "tables": tables,
    })))
}

/// The ids of an organisation's rows of `entity` (a table with `id` and
/// `organisation_id` columns), as a subquery.
fn org_rows<E: EntityTrait>(entity: E, org: i64) -> sea_orm::sea_query::SelectStatement {
    Query::select()
        .column(sea_orm::sea_query::Alias::new("id"))
        .from(entity)
        .and_where(Expr::col(sea_orm::sea_query::Alias::new("organisation_id")).eq(org))
        .to_owned()
}

/// Whether a recipients list (`[{"name", "email"}]`) names any of `emails`.
fn lists_any(recipients: &Value, emails: &[String]) -> bool {
    recipients.as_array().is_some_and(|list| {
        list.iter().any(|r| {
            r["email"]
                .as_str()
                .is_some_and(|e| emails.contains(&crate::suppression::normalise(e)))
        })
    })
}

/// What an erasure changed.
#[derive(Clone, Debug, Default, Serialize)]
pub struct Erased {
    /// False when the person had been erased before: nothing changed.
    pub erased: bool,
    /// The account that was disabled, if the person had one.
    pub user_id: Option<i64>,
    pub api_keys_revoked: u64,
    pub sessions_ended: u64,
    pub texts_cleared: u64,
    /// The person's addresses, normalised, as they were before: to find
    /// copies of mail to them kept outside the database.
    #[serde(skip)]
    pub addresses: Vec<String>,
}

/// Erases person `person_id` of the organisation: their name, addresses
/// and the free text by them or about them are replaced, their account is
/// closed (every session ended, every API key they made revoked) and their
/// address goes on the suppression list as a hash. What their answers
/// count for stays: responses, answers' values, needs, matchings and
/// sessions keep their rows, so every figure computed from them is the
/// same. `None` if the organisation has no such person; a second erasure
/// changes nothing.
pub async fn erase(
    db: &impl ConnectionTrait,
    organisation_id: i64,
    person_id: i64,
    at: DateTime<Utc>,
    erased_by: Option<i64>,
) -> Result<Option<Erased>, DbErr> {
    let Some(s) = subject(db, organisation_id, person_id).await? else {
        return Ok(None);
    };
    if s.person.erased_at.is_some() {
        return Ok(Some(Erased::default()));
    }
    let org = organisation_id;
    let mut out = Erased {
        erased: true,
        user_id: s.user_id,
        addresses: s.emails.clone(),
        ..Erased::default()
    };

    // No mail reaches them again; the list keeps only the hash.
    for email in &s.emails {
        suppression::Entity::delete_many()
            .filter(suppression::Column::OrganisationId.eq(org))
            .filter(suppression::Column::Address.eq(email.as_str()))
            .exec(db)
            .await?;
        crate::suppression::suppress(
            db,
            org,
            &crate::suppression::hashed(email),
            SuppressionReason::Erased,
            None,
            erased_by,
        )
        .await?;
    }

    person::Entity::update_many()
        .col_expr(person::Column::Name, Expr::value(ERASED_NAME))
        .col_expr(person::Column::Email, Expr::value(Option::<String>::None))
        .col_expr(
            person::Column::ExternalRef,
            Expr::value(Option::<String>::None),
        )
        .col_expr(person::Column::UserId, Expr::value(Option::<i64>::None))
        .col_expr(person::Column::ErasedAt, Expr::value(Some(at)))
        .filter(person::Column::Id.eq(person_id))
        .exec(db)
        .await?;

    if let Some(user_id) = s.user_id {
        close_account(db, org, user_id, at, &mut out).await?;
    }

    // Free text by them or about them; the rows stay, to be counted.
    let mut texts = |n: u64| out.texts_cleared += n;
    let free_text_items = Query::select()
        .column(item::Column::Id)
        .from(item::Entity)
        .and_where(item::Column::Kind.eq(entities::ItemKind::FreeText))
        .to_owned();
    let their_responses = Query::select()
        .column(response::Column::Id)
        .from(response::Entity)
        .cond_where(
            Condition::all()
                .add(response::Column::OrganisationId.eq(org))
                .add(
                    Condition::any()
                        .add(response::Column::PersonId.eq(person_id))
                        .add(response::Column::InvitationId.is_in(s.invitations.clone())),
                ),
        )
        .to_owned();
    texts(
        answer::Entity::update_many()
            .col_expr(answer::Column::TextValue, Expr::value(ERASED_TEXT))
            .filter(answer::Column::ResponseId.in_subquery(their_responses.clone()))
            .filter(answer::Column::ItemId.in_subquery(free_text_items))
            .filter(answer::Column::TextValue.is_not_null())
            .exec(db)
            .await?
            .rows_affected,
    );
    texts(
        response::Entity::update_many()
            .col_expr(response::Column::Notes, Expr::value(Option::<String>::None))
            .col_expr(
                response::Column::ExternalRef,
                Expr::value(Option::<String>::None),
            )
            .filter(response::Column::Id.in_subquery(their_responses))
            .exec(db)
            .await?
            .rows_affected,
    );
    response_draft::Entity::delete_many()
        .filter(response_draft::Column::InvitationId.is_in(s.invitations.clone()))
        .exec(db)
        .await?;
    // Their links open nothing any more: no token hashes to this.
    invitation::Entity::update_many()
        .col_expr(
            invitation::Column::TokenHash,
            Expr::cust("'erased:' || CAST(id AS TEXT)"),
        )
        .filter(invitation::Column::Id.is_in(s.invitations.clone()))
        .exec(db)
        .await?;
    texts(
        need::Entity::update_many()
            .col_expr(need::Column::Evidence, Expr::value(""))
            .filter(need::Column::OrganisationId.eq(org))
            .filter(need::Column::PersonId.eq(person_id))
            .exec(db)
            .await?
            .rows_affected,
    );
    texts(
        matching::Entity::update_many()
            .col_expr(matching::Column::Reason, Expr::value(""))
            .filter(matching::Column::Id.is_in(s.matchings.clone()))
            .exec(db)
            .await?
            .rows_affected,
    );
    texts(
        matching_decision::Entity::update_many()
            .col_expr(matching_decision::Column::Reason, Expr::value(""))
            .filter(matching_decision::Column::MatchingId.is_in(s.matchings.clone()))
            .exec(db)
            .await?
            .rows_affected,
    );
    texts(
        matching_exclusion::Entity::update_many()
            .col_expr(matching_exclusion::Column::Reason, Expr::value(""))
            .filter(matching_exclusion::Column::OrganisationId.eq(org))
            .filter(
                Condition::any()
                    .add(matching_exclusion::Column::LearnerId.eq(person_id))
                    .add(matching_exclusion::Column::TutorId.eq(person_id)),
            )
            .exec(db)
            .await?
            .rows_affected,
    );
    texts(
        plan_goal::Entity::update_many()
            .col_expr(plan_goal::Column::Description, Expr::value(ERASED_TEXT))
            .col_expr(plan_goal::Column::Measure, Expr::value(""))
            .filter(plan_goal::Column::MatchingId.is_in(s.matchings.clone()))
            .exec(db)
            .await?
            .rows_affected,
    );
    if let Some(user_id) = s.user_id {
        texts(
            community_post::Entity::update_many()
                .col_expr(community_post::Column::Body, Expr::value(ERASED_TEXT))
                .filter(community_post::Column::AuthorUserId.eq(user_id))
                .filter(
                    community_post::Column::CommunityId
                        .in_subquery(org_rows(entities::community::Entity, org)),
                )
                .exec(db)
                .await?
                .rows_affected,
        );
    }
    let attended = Query::select()
        .column(session_participant::Column::SessionId)
        .from(session_participant::Entity)
        .and_where(session_participant::Column::PersonId.eq(person_id))
        .to_owned();
    texts(
        tutoring_session::Entity::update_many()
            .col_expr(tutoring_session::Column::Notes, Expr::value(""))
            .filter(tutoring_session::Column::OrganisationId.eq(org))
            .filter(
                Condition::any()
                    .add(tutoring_session::Column::TutorId.eq(person_id))
                    .add(tutoring_session::Column::MatchingId.is_in(s.matchings.clone()))
                    .add(tutoring_session::Column::Id.in_subquery(attended)),
            )
            .exec(db)
            .await?
            .rows_affected,
    );

    // Mail still owed to them (deferred, or cut short mid-send) will never
    // go: it is suppressed, as their address now is.
    let theirs = Condition::any()
        .add(email_message::Column::Recipient.is_in(s.emails.clone()))
        .add(email_message::Column::InvitationId.is_in(s.invitations.clone()));
    email_message::Entity::update_many()
        .col_expr(
            email_message::Column::Status,
            Expr::value(EmailStatus::Suppressed),
        )
        .col_expr(
            email_message::Column::Error,
            Expr::value("suppressed: erased"),
        )
        .filter(email_message::Column::OrganisationId.eq(org))
        .filter(theirs)
        .filter(email_message::Column::Status.is_in([EmailStatus::Deferred, EmailStatus::Pending]))
        .exec(db)
        .await?;
    // Records of mail sent to them keep their status, not the address.
    let gone = format!("erased-person-{person_id}");
    email_message::Entity::update_many()
        .col_expr(email_message::Column::Recipient, Expr::value(gone.clone()))
        .filter(email_message::Column::OrganisationId.eq(org))
        .filter(
            Condition::any()
                .add(email_message::Column::Recipient.is_in(s.emails.clone()))
                .add(email_message::Column::InvitationId.is_in(s.invitations.clone())),
        )
        .exec(db)
        .await?;
    dissemination_delivery::Entity::update_many()
        .col_expr(dissemination_delivery::Column::Address, Expr::value(gone))
        .col_expr(
            dissemination_delivery::Column::Name,
            Expr::value(ERASED_NAME),
        )
        .filter(dissemination_delivery::Column::OrganisationId.eq(org))
        .filter(
            Condition::any()
                .add(dissemination_delivery::Column::PersonId.eq(person_id))
                .add(dissemination_delivery::Column::Address.is_in(s.emails.clone())),
        )
        .exec(db)
        .await?;
    strip_from_audiences(db, org, &s.emails).await?;
    Ok(Some(out))
}

/// Closes the account of an erased person: it leaves the organisation
/// (its sessions with it), the API keys it made there are revoked, and an
/// account left with no organisation loses its address, name and password.
async fn close_account(
    db: &impl ConnectionTrait,
    org: i64,
    user_id: i64,
    at: DateTime<Utc>,
    out: &mut Erased,
) -> Result<(), DbErr> {
    out.api_keys_revoked = api_key::Entity::update_many()
        .col_expr(api_key::Column::RevokedAt, Expr::value(Some(at)))
        .filter(api_key::Column::OrganisationId.eq(org))
        .filter(api_key::Column::CreatedBy.eq(user_id))
        .filter(api_key::Column::RevokedAt.is_null())
        .exec(db)
        .await?
        .rows_affected;
    let here = Query::select()
        .column(membership::Column::Id)
        .from(membership::Entity)
        .and_where(membership::Column::UserId.eq(user_id))
        .and_where(membership::Column::OrganisationId.eq(org))
        .to_owned();
    out.sessions_ended = auth_session::Entity::update_many()
        .col_expr(auth_session::Column::RevokedAt, Expr::value(Some(at)))
        .filter(auth_session::Column::MembershipId.in_subquery(here.clone()))
        .filter(auth_session::Column::RevokedAt.is_null())
        .exec(db)
        .await?
        .rows_affected;
    entities::access_token::Entity::delete_many()
        .filter(entities::access_token::Column::MembershipId.in_subquery(here.clone()))
        .exec(db)
        .await?;
    let sessions = Query::select()
        .column(auth_session::Column::Id)
        .from(auth_session::Entity)
        .and_where(auth_session::Column::MembershipId.in_subquery(here.clone()))
        .to_owned();
    entities::refresh_token::Entity::delete_many()
        .filter(entities::refresh_token::Column::SessionId.in_subquery(sessions))
        .exec(db)
        .await?;
    auth_session::Entity::delete_many()
        .filter(auth_session::Column::MembershipId.in_subquery(here))
        .exec(db)
        .await?;
    membership::Entity::delete_many()
        .filter(membership::Column::UserId.eq(user_id))
        .filter(membership::Column::OrganisationId.eq(org))
        .exec(db)
        .await?;

    let elsewhere = membership::Entity::find()
        .filter(membership::Column::UserId.eq(user_id))
        .one(db)
        .await?;
    if elsewhere.is_none() {
        password_reset::Entity::delete_many()
            .filter(password_reset::Column::UserId.eq(user_id))
            .exec(db)
            .await?;
        // No password hashes to this: the account cannot sign in.
        user_account::Entity::update_many()
            .col_expr(
                user_account::Column::Email,
                Expr::value(format!("erased-{user_id}@erased.invalid")),
            )
            .col_expr(user_account::Column::DisplayName, Expr::value(ERASED_NAME))
            .col_expr(user_account::Column::PasswordHash, Expr::value("!erased"))
            .filter(user_account::Column::Id.eq(user_id))
            .exec(db)
            .await?;
    }
    Ok(())
}

/// Takes `emails` off the address lists of the organisation's audiences.
async fn strip_from_audiences(
    db: &impl ConnectionTrait,
    org: i64,
    emails: &[String],
) -> Result<(), DbErr> {
    if emails.is_empty() {
        return Ok(());
    }
    let audiences = dissemination_audience::Entity::find()
        .filter(
            dissemination_audience::Column::PlanId
                .in_subquery(org_rows(dissemination_plan::Entity, org)),
        )
        .all(db)
        .await?;
    for audience in audiences {
        if !lists_any(&audience.recipients, emails) {
            continue;
        }
        let kept: Vec<Value> = audience
            .recipients
            .as_array()
            .into_iter()
            .flatten()
            .filter(|r| {
                !r["email"]
                    .as_str()
                    .is_some_and(|e| emails.contains(&crate::suppression::normalise(e)))
            })
            .cloned()
            .collect();
        dissemination_audience::Entity::update_many()
            .col_expr(
                dissemination_audience::Column::Recipients,
                Expr::value(Value::Array(kept)),
            )
            .filter(dissemination_audience::Column::Id.eq(audience.id))
            .exec(db)
            .await?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_names_that_look_personal_are_those_of_people_and_their_words() {
        assert!(looks_personal("person_id"));
        assert!(looks_personal("author_user_id"));
        assert!(looks_personal("display_name"));
        assert!(looks_personal("created_by"));
        assert!(!looks_personal("programme_id"));
        assert!(!looks_personal("created_at"));
        assert!(!looks_personal("description"));
    }

    #[test]
    fn no_column_is_both_personal_and_impersonal() {
        for (table, column, _) in IMPERSONAL_COLUMNS {
            assert!(
                !PERSONAL_COLUMNS.contains(&(table, column)),
                "{table}.{column} is in both lists"
            );
        }
    }
}
