//! The demo organisation, built from two real public data sets through the
//! product's own services: the bfi questionnaire (2,800 respondents) and
//! 463 course evaluations of 94 teachers standing in for tutor evaluations.

use chrono::{Duration, Utc};
use entities::{PersonKind, Role, campaign, organisation, person};
use sea_orm::sea_query::Expr;
use sea_orm::{ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter, QueryOrder};

use crate::auth;
use crate::campaigns::{import, service};
use crate::error::{ApiError, ApiResult};
use crate::questionnaires::service as questionnaires;
use crate::questionnaires::types::{
    Audience, CreateQuestionnaireInput, ItemInput, ItemKind, ScaleInput,
};
use crate::state::AppState;

pub const BFI_CSV: &[u8] = include_bytes!("../demo/bfi.csv");
pub const COURSE_EVALS_CSV: &[u8] = include_bytes!("../demo/course_evals.csv");

pub const ORGANISATION: &str = "demo";
pub const ADMIN_EMAIL: &str = "admin@demo.example";
pub const ADMIN_PASSWORD: &str = "demo-password";
pub const LEARNER_CAMPAIGN: &str = "Learner questionnaire (bfi)";
pub const TUTOR_CAMPAIGN: &str = "Tutor evaluations (course_evals)";
/// The same evaluations in the term before: the first
/// [`FIRST_TERM_COURSES`] courses of the file, by their number, stand for
/// the earlier term and the rest for this one.
pub const FIRST_TERM_CAMPAIGN: &str = "Tutor evaluations, first term (course_evals)";
pub const FIRST_TERM_COURSES: usize = 231;
/// Days covered by the demo's programme report, up to today; the same
/// number of days before it is the period it is compared with.
pub const REPORT_DAYS: i64 = 30;
pub const CHECK_IN_CAMPAIGN: &str = "Tutoring check-in";
pub const PROGRAMME: &str = "First-year tutoring 2026–27";
/// Scale scores past these thresholds become needs (see [`programme`]).
pub const WELLBEING_RULE: (&str, f64) = ("N", 4.0);
pub const STUDY_RULE: (&str, f64) = ("C", 3.5);

/// What the demo created.
pub struct Demo {
    pub learner_campaign_id: i64,
    pub tutor_campaign_id: i64,
    /// A launched campaign whose invitations wait in the outbox.
    pub check_in_campaign_id: i64,
    pub programme_id: i64,
}

/// (code, prompt, reverse-keyed), in our own words.
const BFI_ITEMS: [(&str, &str, bool); 25] = [
    (
        "A1",
        "I pay little attention to how other people feel.",
        true,
    ),
    ("A2", "I ask others how they are doing.", false),
    ("A3", "I know how to comfort someone.", false),
    ("A4", "I enjoy the company of children.", false),
    ("A5", "I make people feel at ease.", false),
    ("C1", "I am thorough in my work.", false),
    ("C2", "I carry my plans through.", false),
    ("C3", "I do things according to a plan.", false),
    ("C4", "I do things half-way.", true),
    ("C5", "I waste my time.", true),
    ("E1", "I do not talk a lot.", true),
    ("E2", "I find it hard to approach others.", true),
    ("E3", "I know how to captivate people.", false),
    ("E4", "I make friends easily.", false),
    ("E5", "I take charge.", false),
    ("N1", "I get angry easily.", false),
    ("N2", "I get irritated easily.", false),
    ("N3", "My mood changes often.", false),
    ("N4", "I often feel low.", false),
    ("N5", "I panic easily.", false),
    ("O1", "I am full of ideas.", false),
    ("O2", "I avoid reading difficult material.", true),
    (
        "O3",
        "I like to steer conversations to deeper subjects.",
        false,
    ),
    ("O4", "I spend time reflecting on things.", false),
    ("O5", "I will not explore a subject in depth.", true),
];

const BFI_SCALES: [(&str, &str); 5] = [
    ("A", "Agreeableness"),
    ("C", "Conscientiousness"),
    ("E", "Extraversion"),
    ("N", "Neuroticism"),
    ("O", "Openness"),
];

const ANCHORS: [&str; 6] = [
    "Very inaccurate",
    "Moderately inaccurate",
    "Slightly inaccurate",
    "Slightly accurate",
    "Moderately accurate",
    "Very accurate",
];

fn number_item(code: &str, prompt: &str, min: f64, max: f64) -> ItemInput {
    ItemInput {
        code: code.into(),
        prompt: prompt.into(),
        kind: ItemKind::Number,
        points: None,
        labels: Vec::new(),
        reverse_keyed: false,
        min: Some(min),
        max: Some(max),
        required: false,
        scale: None,
    }
}

/// Creates the demo organisation unless it exists; returns its campaigns.
pub async fn seed(state: &AppState) -> ApiResult<Demo> {
    let db = &state.db;
    if let Some(org) = organisation::Entity::find()
        .filter(organisation::Column::Slug.eq(ORGANISATION))
        .one(db)
        .await?
    {
        let find = |name: &'static str| async move {
            campaign::Entity::find()
                .filter(campaign::Column::OrganisationId.eq(org.id))
                .filter(campaign::Column::Name.eq(name))
                .one(db)
                .await?
                .map(|c| c.id)
                .ok_or(ApiError::NotFound("demo campaign"))
        };
        return Ok(Demo {
            learner_campaign_id: find(LEARNER_CAMPAIGN).await?,
            tutor_campaign_id: find(TUTOR_CAMPAIGN).await?,
            check_in_campaign_id: find(CHECK_IN_CAMPAIGN).await?,
            programme_id: entities::programme::Entity::find()
                .filter(entities::programme::Column::OrganisationId.eq(org.id))
                .filter(entities::programme::Column::Name.eq(PROGRAMME))
                .one(db)
                .await?
                .map(|p| p.id)
                .ok_or(ApiError::NotFound("demo programme"))?,
        });
    }

    let admin = auth::add_member(
        db,
        (ORGANISATION, "Demo tutorial programme"),
        ADMIN_EMAIL,
        "Demo coordinator",
        ADMIN_PASSWORD,
        Role::Admin,
    )
    .await?;
    let org = admin.organisation_id;
    let now = Utc::now();

    let bfi = questionnaires::create(db, org, bfi_questionnaire()).await?;
    let learners = service::create(
        db,
        org,
        service::NewCampaign {
            questionnaire_id: bfi.id,
            name: LEARNER_CAMPAIGN.into(),
            opens_at: now - Duration::days(20),
            closes_at: now + Duration::days(30),
            reminder_offsets_hours: vec![72, 168],
            reminder_policy: None,
            min_group_size: 10,
            low_score_threshold: 0.5,
            anonymity: entities::Anonymity::Confidential,
            programme_id: None,
        },
    )
    .await?;
    let bfi_mapping = import::Mapping {
        link_people: true,
        respondent_column: Some("respondent_id".into()),
        items: BFI_ITEMS
            .iter()
            .map(|(c, _, _)| ((*c).to_owned(), (*c).to_owned()))
            .collect(),
        attributes: vec![
            attribute("gender", "gender", &[]),
            attribute("education", "education", &[]),
            attribute("age", "age band", &[18.0, 25.0, 35.0, 50.0]),
        ],
    };
    import::import(db, org, learners.id, BFI_CSV, &bfi_mapping).await?;

    let evals = questionnaires::create(
        db,
        org,
        CreateQuestionnaireInput {
            key: "tutor-evaluation".into(),
            title: "Tutor evaluation".into(),
            description: "End-of-term evaluation of each course by its learners.".into(),
            audience: Audience::Learners,
            mode: Default::default(),
            items: vec![
                number_item(
                    "score",
                    "Average evaluation score (1 very unsatisfactory – 5 excellent)",
                    1.0,
                    5.0,
                ),
                number_item("response_rate", "Learners who answered (%)", 0.0, 100.0),
                number_item("enrolled", "Learners enrolled", 0.0, 10_000.0),
            ],
            scales: Vec::new(),
        },
    )
    .await?;
    let tutors = service::create(
        db,
        org,
        service::NewCampaign {
            questionnaire_id: evals.id,
            name: TUTOR_CAMPAIGN.into(),
            opens_at: now - Duration::days(20),
            closes_at: now + Duration::days(30),
            reminder_offsets_hours: Vec::new(),
            reminder_policy: None,
            min_group_size: 5,
            low_score_threshold: 0.5,
            anonymity: entities::Anonymity::Confidential,
            programme_id: None,
        },
    )
    .await?;
    let tutor_people = (1..=94).map(|id| person::ActiveModel {
        organisation_id: Set(org),
        external_ref: Set(Some(format!("tutor-{id}"))),
        name: Set(format!("Tutor {id}")),
        email: Set(None),
        kind: Set(PersonKind::Tutor),
        language: Set("en".into()),
        time_zone: Set("UTC".into()),
        created_at: Set(now),
        ..Default::default()
    });
    person::Entity::insert_many(tutor_people)
        .exec_without_returning(db)
        .await?;
    let evals_mapping = import::Mapping {
        link_people: false,
        respondent_column: Some("course_id".into()),
        items: vec![
            ("score".into(), "score".into()),
            ("cls_perc_eval".into(), "response_rate".into()),
            ("cls_students".into(), "enrolled".into()),
        ],
        attributes: vec![
            attribute("prof_id", "tutor", &[]),
            attribute("rank", "rank", &[]),
            attribute("gender", "gender", &[]),
            attribute("language", "language", &[]),
            attribute("cls_level", "course level", &[]),
        ],
    };
    let (first_term, this_term) = split_rows(COURSE_EVALS_CSV, FIRST_TERM_COURSES);
    import::import(db, org, tutors.id, &this_term, &evals_mapping).await?;
    let earlier = service::create(
        db,
        org,
        service::NewCampaign {
            questionnaire_id: evals.id,
            name: FIRST_TERM_CAMPAIGN.into(),
            opens_at: now - Duration::days(50),
            closes_at: now - Duration::days(35),
            reminder_offsets_hours: Vec::new(),
            reminder_policy: None,
            min_group_size: 5,
            low_score_threshold: 0.5,
            anonymity: entities::Anonymity::Confidential,
            programme_id: None,
        },
    )
    .await?;
    import::import(db, org, earlier.id, &first_term, &evals_mapping).await?;

    let check_in = check_in(state, org).await?;
    let programme_id = programme(state, &admin, learners.id).await?;
    campaign::Entity::update_many()
        .col_expr(campaign::Column::ProgrammeId, Expr::value(programme_id))
        .filter(campaign::Column::Id.is_in([learners.id, tutors.id, earlier.id]))
        .exec(db)
        .await?;
    let grid =
        crate::evaluation::create_grid(db, org, crate::evaluation::demo_grid::input()).await?;
    let today = now.date_naive();
    worker::programme_report::generate(
        db,
        &worker::programme_report::Request {
            programme_id,
            grid_id: grid.id,
            period: worker::programme_report::Period {
                from: today - Duration::days(REPORT_DAYS - 1),
                to: today,
            },
            requested_by: Some(admin.user_id),
        },
    )
    .await
    .map_err(ApiError::internal)?;

    Ok(Demo {
        learner_campaign_id: learners.id,
        tutor_campaign_id: tutors.id,
        check_in_campaign_id: check_in,
        programme_id,
    })
}

/// The header and the first `n` data rows of a CSV file without quoted
/// line breaks, and the header with the rest.
pub fn split_rows(csv: &[u8], n: usize) -> (Vec<u8>, Vec<u8>) {
    let mut lines = csv.split_inclusive(|b| *b == b'\n');
    let header = lines.next().unwrap_or_default();
    let (mut first, mut rest) = (header.to_vec(), header.to_vec());
    for (i, line) in lines.enumerate() {
        if i < n { &mut first } else { &mut rest }.extend_from_slice(line);
    }
    (first, rest)
}

/// Two links to try the pages with: a check-in invitation's questionnaire
/// form, and a link sharing the newest report of the learner campaign.
pub async fn links(state: &AppState, demo: &Demo, public_url: &str) -> ApiResult<(String, String)> {
    let db = &state.db;
    let invitation = entities::invitation::Entity::find()
        .filter(entities::invitation::Column::CampaignId.eq(demo.check_in_campaign_id))
        .filter(entities::invitation::Column::RespondedAt.is_null())
        .order_by_asc(entities::invitation::Column::Id)
        .one(db)
        .await?
        .ok_or(ApiError::NotFound("demo invitation"))?;
    let form = format!(
        "{public_url}/respond/{}",
        state.tokens.token(&invitation.token_nonce)
    );
    let report = entities::report::Entity::find()
        .filter(entities::report::Column::CampaignId.eq(demo.learner_campaign_id))
        .order_by_desc(entities::report::Column::Version)
        .one(db)
        .await?
        .ok_or(ApiError::NotFound("demo report"))?;
    let now = chrono::Utc::now();
    let (_, token) = crate::campaigns::shares::share(
        db,
        report.organisation_id,
        None,
        report.id,
        "Demo",
        now + chrono::Duration::days(30),
        now,
    )
    .await?;
    let report = format!("{public_url}{}", crate::campaigns::shares::path(&token));
    Ok((form, report))
}

/// The item codes of the bfi questionnaire, in order.
pub fn bfi_codes() -> impl Iterator<Item = &'static str> {
    BFI_ITEMS.iter().map(|(code, _, _)| *code)
}

/// The learner questionnaire of the bundled bfi data: 25 six-point items
/// in five scales, worded in our own words.
pub fn bfi_questionnaire() -> CreateQuestionnaireInput {
    CreateQuestionnaireInput {
        key: "learner-profile".into(),
        title: "Learner profile".into(),
        description: "Twenty-five statements on a six-point scale, grouped into five traits."
            .into(),
        audience: Audience::Learners,
        mode: Default::default(),
        items: BFI_ITEMS
            .iter()
            .map(|(code, prompt, reverse)| ItemInput {
                code: (*code).into(),
                prompt: (*prompt).into(),
                kind: ItemKind::Likert,
                points: Some(6),
                labels: ANCHORS.iter().map(|a| (*a).to_owned()).collect(),
                reverse_keyed: *reverse,
                min: None,
                max: None,
                required: false,
                scale: Some(code[..1].to_owned()),
            })
            .collect(),
        scales: BFI_SCALES
            .iter()
            .map(|(code, name)| ScaleInput {
                code: (*code).into(),
                name: (*name).into(),
                // A high neuroticism score is the unfavourable end.
                higher_is_better: *code != "N",
            })
            .collect(),
    }
}

/// A programme whose needs come from the learner questionnaire: a high
/// neuroticism score signals a wellbeing need, a low conscientiousness
/// score a need for study methods.
async fn programme(state: &AppState, admin: &auth::Caller, campaign_id: i64) -> ApiResult<i64> {
    use crate::design::service::{self as design, NewIntervention, NewProgramme};
    use entities::{AxisKind, CommunicationTool, InterventionFormat, RuleDirection};

    let org = admin.organisation_id;
    let db = &state.db;
    let today = Utc::now().date_naive();
    let programme = design::create_programme(
        db,
        org,
        NewProgramme {
            name: PROGRAMME.into(),
            description: "Tutoring and mentoring for first-year learners.".into(),
            starts_on: today - Duration::days(60),
            ends_on: today + Duration::days(240),
            goals: vec![
                "Every learner meets a tutor within two weeks of starting".into(),
                "Halve the share of learners reporting they feel overwhelmed".into(),
            ],
            budget: 700_000.0,
            currency: "EUR".into(),
            expected_learners: 2800,
        },
    )
    .await?;
    let wellbeing = design::create_axis(
        db,
        org,
        programme.id,
        "Wellbeing".into(),
        AxisKind::Wellbeing,
        "Stress, mood and feeling at ease in studies.".into(),
        8.0,
    )
    .await?;
    let methods = design::create_axis(
        db,
        org,
        programme.id,
        "Study methods".into(),
        AxisKind::Methodology,
        "Planning, organisation and follow-through.".into(),
        6.0,
    )
    .await?;
    let tutor = design::create_role(
        db,
        org,
        programme.id,
        design::NewRole {
            name: "Academic tutor".into(),
            kind: entities::RoleKind::Tutor,
            functions: vec![
                "Agree a tutoring plan with each learner".into(),
                "Run study-skills sessions".into(),
                "Follow progress and alert the coordinator".into(),
            ],
            hourly_cost: 40.0,
            expected_learners: 15,
            expected_hours_per_month: 20.0,
        },
    )
    .await?;
    let mentor = design::create_role(
        db,
        org,
        programme.id,
        design::NewRole {
            name: "Wellbeing mentor".into(),
            kind: entities::RoleKind::Mentor,
            functions: vec![
                "Listen and encourage".into(),
                "Refer to specialist services when needed".into(),
            ],
            hourly_cost: 30.0,
            expected_learners: 10,
            expected_hours_per_month: 12.0,
        },
    )
    .await?;
    design::publish_guide(
        db,
        org,
        programme.id,
        "# Tutorial guide\n\nEvery learner is contacted within two weeks of being matched, \
         meets their tutor at least every three weeks, and gets an answer within three days.\n"
            .into(),
    )
    .await?;
    for (kind, threshold, severity, text) in [
        (
            entities::StandardKind::FirstContactDays,
            14,
            entities::Severity::High,
            "First contact within 14 days of matching",
        ),
        (
            entities::StandardKind::SessionIntervalDays,
            21,
            entities::Severity::Medium,
            "A session at least every 21 days",
        ),
        (
            entities::StandardKind::NotesWithinHours,
            48,
            entities::Severity::Low,
            "Session notes within 48 hours",
        ),
        (
            entities::StandardKind::ReplyWithinHours,
            72,
            entities::Severity::Medium,
            "Reply to a learner within 72 hours",
        ),
    ] {
        design::set_standard(
            db,
            org,
            programme.id,
            kind,
            Some(threshold),
            severity,
            text.into(),
        )
        .await?;
    }
    let interventions = [
        (
            wellbeing.id,
            "Mentoring conversation",
            InterventionFormat::Individual,
            CommunicationTool::InPerson,
            2.0,
            45,
            1,
            35.0,
            300,
        ),
        (
            wellbeing.id,
            "Peer support forum",
            InterventionFormat::Group,
            CommunicationTool::Forum,
            4.0,
            30,
            25,
            20.0,
            650,
        ),
        (
            methods.id,
            "Study-skills workshop",
            InterventionFormat::Group,
            CommunicationTool::InPerson,
            2.0,
            90,
            12,
            150.0,
            591,
        ),
        (
            methods.id,
            "Planning coaching",
            InterventionFormat::Individual,
            CommunicationTool::Video,
            2.0,
            30,
            1,
            25.0,
            150,
        ),
    ];
    for (axis, name, format, tool, per_month, minutes, group, cost, planned) in interventions {
        let role = if axis == wellbeing.id {
            mentor.id
        } else {
            tutor.id
        };
        design::create_intervention(
            db,
            org,
            axis,
            NewIntervention {
                name: name.into(),
                description: String::new(),
                format,
                tool,
                sessions_per_month: per_month,
                session_minutes: minutes,
                group_size: group,
                session_cost: cost,
                role_id: Some(role),
                duration_months: 9.0,
                planned_learners: planned,
            },
        )
        .await?;
    }
    for (title, hours, level) in [
        (
            "Welcoming a new learner",
            3.0,
            entities::TrainingLevel::Basic,
        ),
        (
            "Active listening and referral",
            6.0,
            entities::TrainingLevel::Intermediate,
        ),
    ] {
        crate::development::service::create_module(
            db,
            org,
            programme.id,
            title.into(),
            String::new(),
            hours,
            level,
        )
        .await?;
    }
    crate::development::service::create_community(
        db,
        org,
        programme.id,
        "Tutors' exchange".into(),
        "Questions, cases and resources between the programme's tutors and mentors.".into(),
    )
    .await?;
    for (axis, (scale, threshold), direction) in [
        (wellbeing.id, WELLBEING_RULE, RuleDirection::Above),
        (methods.id, STUDY_RULE, RuleDirection::Below),
    ] {
        let rule = design::create_rule(
            db,
            org,
            axis,
            campaign_id,
            scale.into(),
            direction,
            threshold,
        )
        .await?;
        design::apply_rule(db, org, rule.id).await?;
    }
    let roles = Roles {
        tutor: (tutor.id, methods.id, tutor.expected_learners),
        mentor: (mentor.id, wellbeing.id, mentor.expected_learners),
    };
    match_learners(state, admin, programme.id, roles).await?;
    Ok(programme.id)
}

/// Role, the axis it serves and its capacity per tutor.
struct Roles {
    tutor: (i64, i64, i32),
    mentor: (i64, i64, i32),
}

/// Gives the 94 evaluated teachers tutor profiles, from their evaluations:
/// those of teaching rank mentor, the others tutor study methods, each with a
/// competence of their mean evaluation score rounded (1–5): each course's
/// score is the mean of its students' answers, so the courses count by the
/// students who answered. Then proposes
/// tutors and mentors for the learners with needs, and accepts the tutors'
/// proposals; the mentors' wait for a coordinator's decision.
async fn match_learners(
    state: &AppState,
    admin: &auth::Caller,
    programme_id: i64,
    roles: Roles,
) -> ApiResult<()> {
    use crate::running::service as running;
    use std::collections::BTreeMap;

    let db = &state.db;
    let org = admin.organisation_id;
    // A course's score, and how many students answered.
    type Course = (Option<f64>, usize);
    // Per teacher: rank, and courses.
    let mut scores: BTreeMap<String, (String, Vec<Course>)> = BTreeMap::new();
    let mut reader = csv::Reader::from_reader(COURSE_EVALS_CSV);
    let headers = reader.headers().map_err(ApiError::internal)?.clone();
    let column = |name: &str| {
        headers
            .iter()
            .position(|h| h == name)
            .ok_or_else(|| ApiError::internal(anyhow::anyhow!("course evaluations lack {name}")))
    };
    let (prof, rank, score) = (column("prof_id")?, column("rank")?, column("score")?);
    let answered = column("cls_did_eval")?;
    for row in reader.records() {
        let row = row.map_err(ApiError::internal)?;
        let value: f64 = row[score].parse().map_err(ApiError::internal)?;
        let students: usize = row[answered].parse().map_err(ApiError::internal)?;
        scores
            .entry(row[prof].to_owned())
            .or_insert_with(|| (row[rank].to_owned(), Vec::new()))
            .1
            .push((Some(value), students));
    }
    let people: BTreeMap<String, i64> = person::Entity::find()
        .filter(person::Column::OrganisationId.eq(org))
        .filter(person::Column::Kind.eq(PersonKind::Tutor))
        .all(db)
        .await?
        .into_iter()
        .filter_map(|p| Some((p.external_ref?.strip_prefix("tutor-")?.to_owned(), p.id)))
        .collect();
    for (prof, (rank, courses)) in &scores {
        let Some(person_id) = people.get(prof) else {
            continue;
        };
        let ((role, axis, capacity), modes) = if rank == "teaching" {
            (roles.mentor, vec![entities::CommunicationTool::InPerson])
        } else {
            (
                roles.tutor,
                vec![
                    entities::CommunicationTool::Video,
                    entities::CommunicationTool::InPerson,
                ],
            )
        };
        let Some(mean) = worker::stats::pooled_mean(courses.iter().copied()) else {
            continue;
        };
        let level = mean.round().clamp(1.0, 5.0) as i32;
        running::set_tutor_profile(
            db,
            org,
            running::TutorProfileInput {
                programme_id,
                person_id: *person_id,
                role_ids: vec![role],
                capacity,
                languages: vec!["en".into()],
                availability: Vec::new(),
                modes,
                competences: vec![worker::running::Competence {
                    axis_id: axis,
                    level,
                }],
            },
            false,
        )
        .await?;
    }

    let weights = worker::matching::Weights::default();
    let tutors = running::start_run(state, admin, programme_id, roles.tutor.0, weights).await?;
    running::start_run(state, admin, programme_id, roles.mentor.0, weights).await?;
    if tutors.status == entities::RunStatus::Done {
        let proposed = entities::matching::Entity::find()
            .filter(entities::matching::Column::RunId.eq(tutors.id))
            .all(db)
            .await?;
        for m in proposed {
            running::decide(
                state,
                admin,
                m.id,
                running::Decision::Accept,
                "Demo: accepted as proposed".into(),
            )
            .await?;
        }
    }
    Ok(())
}

/// A short questionnaire with every kind of item, sent to three learners.
async fn check_in(state: &AppState, org: i64) -> ApiResult<i64> {
    let db = &state.db;
    let item = |code: &str, prompt: &str, kind: ItemKind| ItemInput {
        code: code.into(),
        prompt: prompt.into(),
        kind,
        points: None,
        labels: Vec::new(),
        reverse_keyed: false,
        min: None,
        max: None,
        required: false,
        scale: None,
    };
    let agree: Vec<String> = ["Disagree", "Rather disagree", "Rather agree", "Agree"]
        .map(String::from)
        .to_vec();
    let likert = |code: &str, prompt: &str, reverse: bool| ItemInput {
        points: Some(4),
        labels: agree.clone(),
        reverse_keyed: reverse,
        scale: Some("support".into()),
        ..item(code, prompt, ItemKind::Likert)
    };
    let questionnaire = questionnaires::create(
        db,
        org,
        CreateQuestionnaireInput {
            key: "check-in".into(),
            title: "Tutoring check-in".into(),
            description: "Seven questions on how tutoring is going.".into(),
            audience: Audience::Learners,
            mode: Default::default(),
            items: vec![
                likert("help", "My tutor helps me make progress.", false),
                likert("alone", "I am left on my own with my difficulties.", true),
                ItemInput {
                    labels: ["In person", "Video call", "Chat"]
                        .map(String::from)
                        .to_vec(),
                    ..item(
                        "mode",
                        "Which way of meeting suits you best?",
                        ItemKind::SingleChoice,
                    )
                },
                ItemInput {
                    labels: ["Study methods", "A subject", "Wellbeing", "Orientation"]
                        .map(String::from)
                        .to_vec(),
                    ..item(
                        "topics",
                        "What would you like support on?",
                        ItemKind::MultipleChoice,
                    )
                },
                ItemInput {
                    min: Some(0.0),
                    max: Some(40.0),
                    ..item(
                        "hours",
                        "Hours of personal study last week",
                        ItemKind::Number,
                    )
                },
                item(
                    "recommend",
                    "How likely are you to recommend tutoring to a friend?",
                    ItemKind::Nps,
                ),
                item(
                    "comment",
                    "Anything else you want to tell us?",
                    ItemKind::FreeText,
                ),
            ],
            scales: vec![ScaleInput {
                code: "support".into(),
                name: "Perceived support".into(),
                higher_is_better: true,
            }],
        },
    )
    .await?;
    let now = Utc::now();
    let campaign = service::create(
        db,
        org,
        service::NewCampaign {
            questionnaire_id: questionnaire.id,
            name: CHECK_IN_CAMPAIGN.into(),
            opens_at: now,
            closes_at: now + Duration::days(21),
            reminder_offsets_hours: vec![72, 168],
            reminder_policy: None,
            min_group_size: 5,
            low_score_threshold: 0.5,
            anonymity: entities::Anonymity::Confidential,
            programme_id: None,
        },
    )
    .await?;
    let mut people = Vec::new();
    for (name, email) in [
        ("Learner One", "learner.one@demo.example"),
        ("Learner Two", "learner.two@demo.example"),
        ("Learner Three", "learner.three@demo.example"),
    ] {
        let row = person::Entity::insert(person::ActiveModel {
            organisation_id: Set(org),
            external_ref: Set(None),
            name: Set(name.into()),
            email: Set(Some(email.into())),
            kind: Set(PersonKind::Learner),
            language: Set("en".into()),
            time_zone: Set("UTC".into()),
            created_at: Set(now),
            ..Default::default()
        })
        .exec_with_returning(db)
        .await?;
        people.push(row.id);
    }
    service::invite(state, org, campaign.id, &people).await?;
    service::launch(state, org, campaign.id).await?;
    Ok(campaign.id)
}

fn attribute(column: &str, name: &str, bands: &[f64]) -> import::AttributeColumn {
    import::AttributeColumn {
        column: column.into(),
        name: name.into(),
        bands: bands.to_vec(),
    }
}
