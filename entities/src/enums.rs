//! Enumerations stored as text, so that both PostgreSQL and SQLite hold them
//! readably and new values need no schema change.

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

/// What a member may do in an organisation.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize,
)]
#[sea_orm(
    rs_type = "String",
    db_type = "String(StringLen::None)",
    rename_all = "snake_case"
)]
pub enum Role {
    Admin,
    Coordinator,
    Tutor,
    Learner,
    Observer,
    /// The role an API key acts in: never a member's.
    Integration,
}

/// Whether a person takes part as a learner or as a tutor.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize,
)]
#[sea_orm(
    rs_type = "String",
    db_type = "String(StringLen::None)",
    rename_all = "snake_case"
)]
pub enum PersonKind {
    Learner,
    Tutor,
}

/// Who a questionnaire is written for.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize,
)]
#[sea_orm(
    rs_type = "String",
    db_type = "String(StringLen::None)",
    rename_all = "snake_case"
)]
pub enum Audience {
    Learners,
    Tutors,
}

/// Whether a questionnaire is answered by the people it is sent to, or by
/// an interviewer for each interviewee.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize,
)]
#[sea_orm(
    rs_type = "String",
    db_type = "String(StringLen::None)",
    rename_all = "snake_case"
)]
pub enum QuestionnaireMode {
    Questionnaire,
    InterviewGuide,
}

/// The kind of answer an item takes.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize,
)]
#[sea_orm(
    rs_type = "String",
    db_type = "String(StringLen::None)",
    rename_all = "snake_case"
)]
pub enum ItemKind {
    Likert,
    SingleChoice,
    MultipleChoice,
    Number,
    Nps,
    FreeText,
}

/// Where an email stands.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize,
)]
#[sea_orm(
    rs_type = "String",
    db_type = "String(StringLen::None)",
    rename_all = "snake_case"
)]
pub enum EmailStatus {
    Pending,
    Sent,
    Failed,
    /// Not sent: the address is on the suppression list.
    Suppressed,
    /// Not sent for a passing reason (the server unreachable or busy): the
    /// next sweep tries again under the same key.
    Deferred,
}

/// Why an organisation no longer writes to an address.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize,
)]
#[sea_orm(
    rs_type = "String",
    db_type = "String(StringLen::None)",
    rename_all = "snake_case"
)]
pub enum SuppressionReason {
    OptOut,
    HardBounce,
    Complaint,
    Manual,
    /// The person was erased: the address is kept only as its hash.
    Erased,
}

/// How a response reached the system.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize,
)]
#[sea_orm(
    rs_type = "String",
    db_type = "String(StringLen::None)",
    rename_all = "snake_case"
)]
pub enum ResponseSource {
    Invitation,
    Import,
    /// Recorded by an interviewer.
    Interview,
}

/// What a support axis is about.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize,
)]
#[sea_orm(
    rs_type = "String",
    db_type = "String(StringLen::None)",
    rename_all = "snake_case"
)]
pub enum AxisKind {
    Methodology,
    Subject,
    Wellbeing,
    Orientation,
    DigitalSkills,
    Other,
}

/// Which side of the threshold signals a need.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize,
)]
#[sea_orm(
    rs_type = "String",
    db_type = "String(StringLen::None)",
    rename_all = "snake_case"
)]
pub enum RuleDirection {
    Below,
    Above,
}

/// Where a need was found.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize,
)]
#[sea_orm(
    rs_type = "String",
    db_type = "String(StringLen::None)",
    rename_all = "snake_case"
)]
pub enum NeedSource {
    Questionnaire,
    Interview,
    Coordinator,
    /// Stated by the learner themselves.
    Learner,
}

#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize,
)]
#[sea_orm(
    rs_type = "String",
    db_type = "String(StringLen::None)",
    rename_all = "snake_case"
)]
pub enum NeedStatus {
    Open,
    Addressed,
    Closed,
}

#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize,
)]
#[sea_orm(
    rs_type = "String",
    db_type = "String(StringLen::None)",
    rename_all = "snake_case"
)]
pub enum InterventionFormat {
    Individual,
    Group,
}

/// How tutor and learner communicate in an intervention.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize,
)]
#[sea_orm(
    rs_type = "String",
    db_type = "String(StringLen::None)",
    rename_all = "snake_case"
)]
pub enum CommunicationTool {
    InPerson,
    Video,
    Chat,
    Forum,
    Phone,
    Email,
}

/// The kind of a tutor role.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize,
)]
#[sea_orm(
    rs_type = "String",
    db_type = "String(StringLen::None)",
    rename_all = "snake_case"
)]
pub enum RoleKind {
    /// Academic, structured, measurable support.
    Tutor,
    /// Informal support and wellbeing.
    Mentor,
    PeerTutor,
    MethodologyTutor,
}

/// What a standard of the guide measures; its threshold is in the unit named.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize,
)]
#[sea_orm(
    rs_type = "String",
    db_type = "String(StringLen::None)",
    rename_all = "snake_case"
)]
pub enum StandardKind {
    /// First contact within N days of a matching.
    FirstContactDays,
    /// A session at least every N days.
    SessionIntervalDays,
    /// Session notes within N hours of the session.
    NotesWithinHours,
    /// A reply to a learner within N hours.
    ReplyWithinHours,
}

#[derive(
    Clone,
    Copy,
    Debug,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    EnumIter,
    DeriveActiveEnum,
    Serialize,
    Deserialize,
)]
#[sea_orm(
    rs_type = "String",
    db_type = "String(StringLen::None)",
    rename_all = "snake_case"
)]
pub enum Severity {
    Low,
    Medium,
    High,
}

#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize,
)]
#[sea_orm(
    rs_type = "String",
    db_type = "String(StringLen::None)",
    rename_all = "snake_case"
)]
pub enum TrainingLevel {
    Basic,
    Intermediate,
    Advanced,
}

/// Where a matching stands. Matchings are never deleted.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize,
)]
#[sea_orm(
    rs_type = "String",
    db_type = "String(StringLen::None)",
    rename_all = "snake_case"
)]
pub enum MatchingStatus {
    /// Proposed by a run or a coordinator, not decided yet.
    Proposed,
    Active,
    /// Was active; archived.
    Ended,
    /// A coordinator turned the proposal down.
    Rejected,
    /// Replaced by a later run before anyone decided.
    Withdrawn,
}

/// Where a matching run stands.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize,
)]
#[sea_orm(
    rs_type = "String",
    db_type = "String(StringLen::None)",
    rename_all = "snake_case"
)]
pub enum RunStatus {
    Queued,
    Running,
    Done,
    Failed,
}

/// Progress of a tutoring plan's goal.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize,
)]
#[sea_orm(
    rs_type = "String",
    db_type = "String(StringLen::None)",
    rename_all = "snake_case"
)]
pub enum GoalStatus {
    Planned,
    InProgress,
    Achieved,
    Dropped,
}

/// Whether a session is ahead, took place or was called off.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize,
)]
#[sea_orm(
    rs_type = "String",
    db_type = "String(StringLen::None)",
    rename_all = "snake_case"
)]
pub enum SessionStatus {
    Scheduled,
    Held,
    Cancelled,
}

/// How far a campaign's results may point back to a person.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize,
)]
#[sea_orm(
    rs_type = "String",
    db_type = "String(StringLen::None)",
    rename_all = "snake_case"
)]
#[serde(rename_all = "snake_case")]
pub enum Anonymity {
    /// Responses are linked to their respondent, for coordinators to follow up.
    Identified,
    /// Responses are linked to their respondent inside the system (for the
    /// comparison of a tutor's and a learner's views of one relation), but
    /// results only ever show groups.
    Confidential,
    /// Nothing links a response to a person, or to the time they answered.
    Anonymous,
}

/// Where a recommendation stands with the coordinators.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize,
)]
#[sea_orm(
    rs_type = "String",
    db_type = "String(StringLen::None)",
    rename_all = "snake_case"
)]
#[serde(rename_all = "snake_case")]
pub enum RecommendationStatus {
    Proposed,
    Accepted,
    Rejected,
}

/// Which kind of report a dissemination plan sends.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize,
)]
#[sea_orm(
    rs_type = "String",
    db_type = "String(StringLen::None)",
    rename_all = "snake_case"
)]
pub enum ReportKind {
    /// A version of a campaign's report (`report`).
    Campaign,
    /// A version of a programme's report (`programme_report`).
    Programme,
}

/// Who an audience of a dissemination plan is.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize,
)]
#[sea_orm(
    rs_type = "String",
    db_type = "String(StringLen::None)",
    rename_all = "snake_case"
)]
pub enum AudienceKind {
    /// The organisation's coordinators (its admins when it has none).
    Coordinators,
    /// The organisation's tutors with an address, when it is sent.
    Tutors,
    /// The organisation's learners with an address, when it is sent.
    Learners,
    /// Addresses given with the plan.
    Management,
    Funders,
    Outside,
}

impl AudienceKind {
    /// Whether the members are addresses given with the plan, rather than
    /// people of the organisation.
    pub fn is_address_list(self) -> bool {
        matches!(self, Self::Management | Self::Funders | Self::Outside)
    }
}

/// How an audience gets its report.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize,
)]
#[sea_orm(
    rs_type = "String",
    db_type = "String(StringLen::None)",
    rename_all = "snake_case"
)]
pub enum DisseminationChannel {
    /// Each member gets an email with a personal link that expires.
    EmailLink,
    /// One link that expires, made on the date for a coordinator to post.
    PublicLink,
}

/// Where the delivery of one event to one webhook endpoint stands.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize,
)]
#[sea_orm(
    rs_type = "String",
    db_type = "String(StringLen::None)",
    rename_all = "snake_case"
)]
pub enum WebhookStatus {
    /// Not delivered yet: due at its next attempt.
    Pending,
    /// The endpoint answered 2xx.
    Delivered,
    /// Given up: every attempt failed, or the endpoint was disabled.
    Failed,
}
