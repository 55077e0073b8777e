//! Every connection pages the same way: forward with `first`/`after` and
//! backward with `last`/`before`, in pages of any size, never skipping or
//! repeating a row however many rows share a sort key or have none; its
//! cursors belong to it alone; `totalCount` comes on request; and lists
//! under many parents are read together, not once per parent.

use std::collections::HashSet;

use chrono::{DateTime, Duration, Utc};
use entities::*;
use sea_orm::ActiveValue::Set;
use sea_orm::{
    ColumnTrait, DatabaseConnection, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder,
};
use serde_json::{Value, json};
use tests::TestApp;

/// Inserts one row of `$entity` and returns it.
macro_rules! insert {
    ($db:expr, $entity:ident { $($field:ident: $value:expr),* $(,)? }) => {
        $entity::Entity::insert($entity::ActiveModel {
            $($field: Set($value),)*
            ..Default::default()
        })
        .exec_with_returning($db)
        .await?
    };
}

fn gid(kind: &str, id: i64) -> String {
    api::ids::encode(kind, id).0
}

const PAGE: &str = "totalCount pageInfo { hasNextPage hasPreviousPage startCursor endCursor } \
                    edges { cursor node { NODE } }";
const ARGS: &str = "first: $first, after: $after, last: $last, before: $before";

/// A connection field and how to reach it.
struct List {
    name: &'static str,
    /// The operation's body: `ARGS` stands for the paging arguments and
    /// `PAGE` for the selection of the connection.
    body: String,
    /// What identifies a node.
    node: &'static str,
    /// Where the connection is in the answer, as a JSON pointer.
    path: String,
    /// Variables besides the paging ones, e.g. `{"id": …}`.
    vars: Value,
}

impl List {
    fn new(name: &'static str, body: &str, path: &str, vars: Value) -> Self {
        Self {
            name,
            body: body.to_owned(),
            node: "id",
            path: path.to_owned(),
            vars,
        }
    }

    fn identified_by(mut self, node: &'static str) -> Self {
        self.node = node;
        self
    }

    fn query(&self) -> String {
        let declared: String = self
            .vars
            .as_object()
            .map(|vars| {
                vars.keys()
                    .map(|k| format!(", ${k}: ID!"))
                    .collect::<String>()
            })
            .unwrap_or_default();
        let body = self
            .body
            .replace("ARGS", ARGS)
            .replace("PAGE", &PAGE.replace("NODE", self.node));
        format!(
            "query($first: Int, $after: String, $last: Int, $before: String{declared}) {{ {body} }}"
        )
    }

    fn variables(&self, paging: Value) -> Value {
        let mut vars = self.vars.clone();
        if let (Some(vars), Some(paging)) = (vars.as_object_mut(), paging.as_object()) {
            vars.extend(paging.clone());
        }
        vars
    }
}

/// One page: its nodes as text, its cursors and its `pageInfo`.
struct Page {
    nodes: Vec<String>,
    cursors: Vec<String>,
    info: Value,
    total: i64,
}

async fn page(app: &TestApp, token: &str, list: &List, paging: Value) -> anyhow::Result<Page> {
    let data = app
        .ok(&list.query(), list.variables(paging), Some(token))
        .await
        .map_err(|e| anyhow::anyhow!("{}: {e}", list.name))?;
    let connection = data
        .pointer(&list.path)
        .ok_or_else(|| anyhow::anyhow!("{}: no connection in {data}", list.name))?;
    let edges = connection["edges"].as_array().cloned().unwrap_or_default();
    Ok(Page {
        nodes: edges.iter().map(|e| e["node"].to_string()).collect(),
        cursors: edges
            .iter()
            .map(|e| e["cursor"].as_str().unwrap_or_default().to_owned())
            .collect(),
        info: connection["pageInfo"].clone(),
        total: connection["totalCount"].as_i64().unwrap_or(-1),
    })
}

/// Walks `list` forward and backward in pages of 1 to 4 rows and checks
/// that every walk meets every row once, in the order of the whole list,
/// with the right flags at both ends. Returns the whole list and its
/// first cursor.
async fn walk(app: &TestApp, token: &str, list: &List) -> anyhow::Result<(Vec<String>, String)> {
    let name = list.name;
    let whole = page(app, token, list, json!({ "first": 100 })).await?;
    assert!(whole.nodes.len() >= 3, "{name}: too few rows to page");
    assert_eq!(whole.total, whole.nodes.len() as i64, "{name}: totalCount");
    assert_eq!(whole.info["hasNextPage"], false, "{name}");
    assert_eq!(whole.info["hasPreviousPage"], false, "{name}");
    let distinct: HashSet<&String> = whole.nodes.iter().collect();
    assert_eq!(distinct.len(), whole.nodes.len(), "{name}: repeated rows");

    for size in 1..=4 {
        let mut seen = Vec::new();
        let mut after = Value::Null;
        loop {
            let p = page(app, token, list, json!({ "first": size, "after": after })).await?;
            assert!(!p.nodes.is_empty(), "{name}: empty page forward by {size}");
            assert!(p.nodes.len() <= size, "{name}: page too long");
            assert_eq!(
                p.info["hasPreviousPage"],
                !after.is_null(),
                "{name}: by {size}"
            );
            assert_eq!(p.info["startCursor"], json!(p.cursors[0]), "{name}");
            assert_eq!(p.info["endCursor"], json!(p.cursors.last()), "{name}");
            assert_eq!(p.total, whole.total, "{name}: totalCount of a page");
            seen.extend(p.nodes);
            if p.info["hasNextPage"] != true {
                break;
            }
            after = p.info["endCursor"].clone();
        }
        assert_eq!(seen, whole.nodes, "{name}: forward by {size}");

        let mut seen = Vec::new();
        let mut before = Value::Null;
        loop {
            let p = page(app, token, list, json!({ "last": size, "before": before })).await?;
            assert!(!p.nodes.is_empty(), "{name}: empty page backward by {size}");
            assert!(p.nodes.len() <= size, "{name}: page too long");
            assert_eq!(
                p.info["hasNextPage"],
                !before.is_null(),
                "{name}: by {size}"
            );
            assert_eq!(p.info["startCursor"], json!(p.cursors[0]), "{name}");
            assert_eq!(p.info["endCursor"], json!(p.cursors.last()), "{name}");
            seen.splice(0..0, p.nodes);
            if p.info["hasPreviousPage"] != true {
                break;
            }
            before = p.info["startCursor"].clone();
        }
        assert_eq!(seen, whole.nodes, "{name}: backward by {size}");
    }

    // Between two cursors, from either end.
    let n = whole.cursors.len();
    let between =
        json!({ "first": 100, "after": whole.cursors[0], "before": whole.cursors[n - 1] });
    let p = page(app, token, list, between).await?;
    assert_eq!(p.nodes, whole.nodes[1..n - 1], "{name}: between");
    let between = json!({ "last": 100, "after": whole.cursors[0], "before": whole.cursors[n - 1] });
    let p = page(app, token, list, between).await?;
    assert_eq!(p.nodes, whole.nodes[1..n - 1], "{name}: between, backward");

    for bad in [
        json!({ "first": 1, "last": 1 }),
        json!({ "first": -1 }),
        json!({ "last": -1 }),
        json!({ "after": "not-a-cursor" }),
        json!({ "before": "not-a-cursor" }),
        json!({ "after": gid("Cursor", 1) }),
    ] {
        let code = app
            .error_code(&list.query(), list.variables(bad.clone()), Some(token))
            .await?;
        assert_eq!(code, "BAD_USER_INPUT", "{name}: {bad}");
    }
    Ok((whole.nodes, whole.cursors[0].clone()))
}

/// A cursor of one list given to another is refused, both ways.
async fn refuses(app: &TestApp, token: &str, list: &List, cursor: &str) -> anyhow::Result<()> {
    for paging in [json!({ "after": cursor }), json!({ "before": cursor })] {
        let code = app
            .error_code(&list.query(), list.variables(paging), Some(token))
            .await?;
        assert_eq!(code, "BAD_USER_INPUT", "{}: a foreign cursor", list.name);
    }
    Ok(())
}

/// What the seed made, by database id.
struct Seed {
    campaign: i64,
    other_campaign: i64,
    programme: i64,
    run: i64,
    plan: i64,
    endpoint: i64,
    invitations: Vec<invitation::Model>,
    needs: Vec<need::Model>,
}

/// An organisation with a few rows in every list, written straight to the
/// database: ties and missing values are laid out on purpose.
async fn seed(db: &DatabaseConnection) -> anyhow::Result<Seed> {
    let org = organisation::Entity::find()
        .filter(organisation::Column::Slug.eq("pages"))
        .one(db)
        .await?
        .ok_or_else(|| anyhow::anyhow!("no organisation"))?
        .id;
    let user = user_account::Entity::find()
        .filter(user_account::Column::Email.eq("admin@pages.test"))
        .one(db)
        .await?
        .ok_or_else(|| anyhow::anyhow!("no account"))?
        .id;
    let now = Utc::now();
    let today = now.date_naive();

    let mut people = Vec::new();
    for i in 0..9 {
        people.push(insert!(
            db,
            person {
                organisation_id: org,
                external_ref: None,
                name: format!("P{i}"),
                email: Some(format!("p{i}@pages.test")),
                kind: if i % 2 == 0 {
                    PersonKind::Learner
                } else {
                    PersonKind::Tutor
                },
                language: "en".into(),
                time_zone: "UTC".into(),
                created_at: now,
            }
        ));
    }
    let mut questionnaires = Vec::new();
    for i in 0..4 {
        questionnaires.push(insert!(
            db,
            questionnaire {
                organisation_id: org,
                key: format!("q{i}"),
                version: 1,
                title: format!("Q{i}"),
                description: String::new(),
                audience: Audience::Learners,
                locked_at: Some(now),
                created_at: now,
            }
        ));
    }
    let mut programmes = Vec::new();
    for i in 0..4 {
        programmes.push(insert!(
            db,
            programme {
                organisation_id: org,
                name: format!("Programme {i}"),
                description: String::new(),
                starts_on: today,
                ends_on: today + Duration::days(90),
                goals: json!([]),
                budget: 0.0,
                currency: "EUR".into(),
                expected_learners: 10,
                created_at: now,
            }
        ));
    }
    let programme = programmes[0].id;
    let mut campaigns = Vec::new();
    for i in 0..4 {
        campaigns.push(insert!(
            db,
            campaign {
                organisation_id: org,
                questionnaire_id: questionnaires[0].id,
                name: format!("Campaign {i}"),
                opens_at: now - Duration::days(1),
                closes_at: now + Duration::days(10),
                reminder_offsets_hours: json!([]),
                min_group_size: 3,
                low_score_threshold: 0.5,
                launched_at: None,
                anonymity: Anonymity::Confidential,
                programme_id: Some(programme),
                created_at: now,
            }
        ));
    }
    let (campaign, other_campaign) = (campaigns[0].id, campaigns[1].id);

    // Answers at three moments, two of them shared, and three unanswered.
    let t = |minutes: i64| Some(now - Duration::minutes(minutes));
    let answered = [t(5), None, t(9), t(5), None, t(5), t(9), None, t(1)];
    let mut invitations = Vec::new();
    for (i, (person, responded_at)) in people.iter().zip(answered).enumerate() {
        invitations.push(insert!(
            db,
            invitation {
                organisation_id: org,
                campaign_id: campaign,
                person_id: person.id,
                token_nonce: format!("n{i}"),
                token_hash: format!("h{i}"),
                responded_at: responded_at,
                opted_out_at: None,
                created_at: now,
            }
        ));
    }
    for (i, person) in people.iter().take(3).enumerate() {
        insert!(
            db,
            invitation {
                organisation_id: org,
                campaign_id: other_campaign,
                person_id: person.id,
                token_nonce: format!("o{i}"),
                token_hash: format!("oh{i}"),
                responded_at: None,
                opted_out_at: None,
                created_at: now,
            }
        );
    }
    for (i, invitation) in invitations.iter().take(6).enumerate() {
        insert!(
            db,
            email_message {
                organisation_id: org,
                key: format!("mail-{i}"),
                campaign_id: Some(campaign),
                invitation_id: Some(invitation.id),
                step: Some(0),
                recipient: format!("p{i}@pages.test"),
                subject: "Check-in".into(),
                status: if i == 2 {
                    EmailStatus::Failed
                } else {
                    EmailStatus::Sent
                },
                error: None,
                created_at: now,
                claimed_at: None,
                sent_at: Some(now),
            }
        );
    }
    for (i, person) in people.iter().take(7).enumerate() {
        let source = if i == 3 {
            ResponseSource::Import
        } else {
            ResponseSource::Interview
        };
        insert!(
            db,
            response {
                organisation_id: org,
                campaign_id: campaign,
                invitation_id: None,
                external_ref: None,
                source: source,
                attributes: json!({}),
                digest: format!("d{i}"),
                person_id: Some(person.id),
                submitted_at: now,
            }
        );
    }
    let mut reports = Vec::new();
    for version in 1..=5 {
        reports.push(insert!(
            db,
            report {
                organisation_id: org,
                campaign_id: campaign,
                version: version,
                data: json!({}),
                html: String::new(),
                created_at: now,
            }
        ));
    }

    for i in 0..5 {
        insert!(
            db,
            suppression {
                organisation_id: org,
                address: format!("gone{i}@pages.test"),
                reason: SuppressionReason::Manual,
                detail: None,
                created_by: None,
                created_at: now,
            }
        );
        insert!(
            db,
            dead_letter {
                organisation_id: Some(org),
                campaign_id: None,
                kind: "send_invitations".into(),
                payload: json!({}),
                reason: "gave up".into(),
                attempts: 3,
                failed_at: now,
            }
        );
        insert!(
            db,
            api_key {
                organisation_id: org,
                name: format!("key {i}"),
                prefix: format!("pfx{i}"),
                key_hash: format!("hash{i}"),
                scopes: "read".into(),
                created_by: user,
                created_at: now,
                expires_at: None,
                revoked_at: None,
                last_used_at: None,
            }
        );
    }

    let role = insert!(
        db,
        tutor_role {
            organisation_id: org,
            programme_id: programme,
            name: "Tutor".into(),
            kind: RoleKind::Tutor,
            functions: json!([]),
            hourly_cost: 0.0,
            expected_learners: 1,
            expected_hours_per_month: 1.0,
        }
    );
    let run = insert!(
        db,
        matching_run {
            organisation_id: org,
            programme_id: programme,
            role_id: role.id,
            status: RunStatus::Done,
            weights: json!({}),
            requested_by: user,
            learners: 4,
            proposed: 4,
            total_score: 4.0,
            ruled_out: json!([]),
            error: None,
            created_at: now,
            finished_at: Some(now),
        }
    );
    let standard = insert!(
        db,
        standard {
            organisation_id: org,
            programme_id: programme,
            kind: StandardKind::FirstContactDays,
            threshold: 7,
            severity: Severity::Low,
            description: String::new(),
        }
    );
    let learners: Vec<_> = people.iter().step_by(2).collect();
    let tutors: Vec<_> = people.iter().skip(1).step_by(2).collect();
    let mut matchings = Vec::new();
    for (i, learner) in learners.iter().enumerate() {
        for tutor in tutors.iter().take(2) {
            matchings.push(insert!(
                db,
                matching {
                    organisation_id: org,
                    programme_id: programme,
                    role_id: role.id,
                    learner_id: learner.id,
                    tutor_id: tutor.id,
                    run_id: (i % 3 != 2).then_some(run.id),
                    status: MatchingStatus::Proposed,
                    score: 1.0,
                    breakdown: json!({}),
                    decided_by: None,
                    reason: String::new(),
                    proposed_at: now,
                    activated_at: None,
                    ended_at: None,
                    updated_at: now,
                }
            ));
        }
    }
    for (i, tutor) in tutors.iter().enumerate() {
        insert!(
            db,
            tutor_profile {
                organisation_id: org,
                programme_id: programme,
                person_id: tutor.id,
                role_ids: json!([role.id]),
                capacity: 3,
                active_count: 0,
                languages: json!(["en"]),
                availability: json!([]),
                modes: json!([]),
                competences: json!([]),
                updated_at: now,
            }
        );
        for learner in learners.iter().take(2) {
            insert!(
                db,
                matching_exclusion {
                    organisation_id: org,
                    programme_id: programme,
                    learner_id: learner.id,
                    tutor_id: tutor.id,
                    reason: format!("excluded {i}"),
                    created_by: user,
                    created_at: now,
                }
            );
        }
    }
    for (i, m) in matchings.iter().take(5).enumerate() {
        insert!(
            db,
            relation_alert {
                organisation_id: org,
                programme_id: programme,
                matching_id: m.id,
                standard_id: standard.id,
                day: today - Duration::days(i as i64),
                severity: Severity::Low,
                message: format!("alert {i}"),
                created_at: now,
            }
        );
    }
    let grid = insert!(
        db,
        analytical_grid {
            organisation_id: org,
            name: "Grid".into(),
            description: String::new(),
            definition: json!({ "criteria": [] }),
            created_at: now,
        }
    );
    for version in 1..=4 {
        insert!(
            db,
            programme_report {
                organisation_id: org,
                programme_id: programme,
                grid_id: grid.id,
                period_from: today - Duration::days(30),
                period_to: today,
                version: version,
                data: json!({}),
                html: String::new(),
                csv: String::new(),
                created_by: None,
                created_at: now,
            }
        );
    }

    let mut plans = Vec::new();
    for i in 0..4 {
        plans.push(insert!(
            db,
            dissemination_plan {
                organisation_id: org,
                name: format!("Plan {i}"),
                report_kind: ReportKind::Campaign,
                report_id: reports[0].id,
                created_by: None,
                created_at: now,
                started_at: None,
                cancelled_at: None,
            }
        ));
    }
    let plan = plans[0].id;
    let audience = insert!(
        db,
        dissemination_audience {
            plan_id: plan,
            position: 0,
            kind: AudienceKind::Tutors,
            channel: DisseminationChannel::EmailLink,
            send_at: now,
            link_lifetime_days: 30,
            language: "en".into(),
            recipients: json!([]),
            link_nonce: "link".into(),
            share_id: None,
            done_at: None,
        }
    );
    for i in 0..6 {
        insert!(
            db,
            dissemination_delivery {
                organisation_id: org,
                plan_id: plan,
                audience_id: audience.id,
                member_key: format!("m{i}"),
                address: format!("t{i}@pages.test"),
                name: format!("T{i}"),
                person_id: None,
                language: "en".into(),
                token_nonce: format!("dn{i}"),
                token_hash: format!("dh{i}"),
                email_key: format!("dk{i}"),
                status: EmailStatus::Sent,
                error: None,
                expires_at: now + Duration::days(30),
                created_at: now,
                sent_at: Some(now),
                first_opened_at: None,
                open_count: 0,
                revoked_at: None,
            }
        );
    }

    let mut endpoints = Vec::new();
    for i in 0..4 {
        endpoints.push(insert!(
            db,
            webhook_endpoint {
                organisation_id: org,
                url: format!("https://hooks{i}.example.org/in"),
                description: String::new(),
                event_types: json!(["campaign.launched"]),
                secret_nonce: format!("s{i}"),
                previous_secret_nonce: None,
                previous_secret_until: None,
                enabled: true,
                created_by: None,
                created_at: now,
                disabled_at: None,
            }
        ));
    }
    let endpoint = endpoints[0].id;
    for i in 0..5 {
        insert!(
            db,
            webhook_delivery {
                organisation_id: org,
                endpoint_id: endpoint,
                event_id: format!("e{i}"),
                event_type: "campaign.launched".into(),
                payload: json!({}),
                attempts: 1,
                attempts_before_redelivery: 0,
                status: WebhookStatus::Delivered,
                last_status_code: Some(200),
                last_error: None,
                next_attempt_at: now,
                claimed_until: None,
                created_at: now,
                last_attempt_at: Some(now),
                delivered_at: Some(now),
            }
        );
    }

    let community = insert!(
        db,
        community {
            organisation_id: org,
            programme_id: programme,
            name: "Circle".into(),
            description: String::new(),
            created_at: now,
        }
    );
    for i in 0..5 {
        insert!(
            db,
            community_post {
                community_id: community.id,
                author_user_id: user,
                body: format!("post {i}"),
                created_at: now,
            }
        );
    }

    let axis = insert!(
        db,
        support_axis {
            organisation_id: org,
            programme_id: programme,
            name: "Method".into(),
            kind: AxisKind::Methodology,
            description: String::new(),
            weight: 1.0,
        }
    );
    let mut needs = Vec::new();
    for (i, severity) in [3, 5, 3, 5, 1, 3, 2, 5, 1].into_iter().enumerate() {
        needs.push(insert!(
            db,
            need {
                organisation_id: org,
                programme_id: programme,
                axis_id: axis.id,
                person_id: people[i].id,
                severity: severity,
                source: NeedSource::Coordinator,
                status: NeedStatus::Open,
                evidence: String::new(),
                rule_id: None,
                created_at: now,
                updated_at: now,
                set_by_hand: true,
            }
        ));
    }

    Ok(Seed {
        campaign,
        other_campaign,
        programme,
        run: run.id,
        plan,
        endpoint,
        invitations,
        needs,
    })
}

/// The ids of `rows` as the API shows them, in the order given.
fn shown(kind: &str, ids: impl IntoIterator<Item = i64>) -> Vec<String> {
    ids.into_iter()
        .map(|id| json!({ "id": gid(kind, id) }).to_string())
        .collect()
}

#[tokio::test]
async fn every_connection_pages_both_ways_without_skipping_or_repeating() -> anyhow::Result<()> {
    let app = TestApp::spawn().await?;
    let token = app
        .account("pages", "admin@pages.test", entities::Role::Admin)
        .await?;
    let seed = seed(&app.state.db).await?;
    let campaign = json!({ "id": gid("Campaign", seed.campaign) });
    let programme = json!({ "id": gid("Programme", seed.programme) });
    let on_campaign = |field: &str| format!("node(id: $id) {{ ... on Campaign {{ {field} }} }}");
    let on_programme = |field: &str| format!("node(id: $id) {{ ... on Programme {{ {field} }} }}");
    let lists = [
        List::new("people", "people(ARGS) { PAGE }", "/people", json!({})),
        List::new("apiKeys", "apiKeys(ARGS) { PAGE }", "/apiKeys", json!({})),
        List::new(
            "questionnaires",
            "questionnaires(ARGS) { PAGE }",
            "/questionnaires",
            json!({}),
        ),
        List::new(
            "campaigns",
            "campaigns(ARGS) { PAGE }",
            "/campaigns",
            json!({}),
        ),
        List::new(
            "suppressions",
            "suppressions(ARGS) { PAGE }",
            "/suppressions",
            json!({}),
        ),
        List::new(
            "deadLetters",
            "deadLetters(ARGS) { PAGE }",
            "/deadLetters",
            json!({}),
        ),
        List::new(
            "programmes",
            "programmes(ARGS) { PAGE }",
            "/programmes",
            json!({}),
        ),
        List::new(
            "tutorProfiles",
            "tutorProfiles(programmeId: $id, ARGS) { PAGE }",
            "/tutorProfiles",
            programme.clone(),
        ),
        List::new(
            "matchings",
            "matchings(programmeId: $id, ARGS) { PAGE }",
            "/matchings",
            programme.clone(),
        ),
        List::new(
            "relationAlerts",
            "relationAlerts(programmeId: $id, ARGS) { PAGE }",
            "/relationAlerts",
            programme.clone(),
        ),
        List::new(
            "matchingExclusions",
            "matchingExclusions(programmeId: $id, ARGS) { PAGE }",
            "/matchingExclusions",
            programme.clone(),
        )
        .identified_by("learner { id } tutor { id }"),
        List::new(
            "programmeReports",
            "programmeReports(programmeId: $id, ARGS) { PAGE }",
            "/programmeReports",
            programme.clone(),
        ),
        List::new(
            "disseminationPlans",
            "disseminationPlans(ARGS) { PAGE }",
            "/disseminationPlans",
            json!({}),
        ),
        List::new(
            "webhookEndpoints",
            "webhookEndpoints(ARGS) { PAGE }",
            "/webhookEndpoints",
            json!({}),
        ),
        List::new(
            "webhookDeliveries",
            "webhookDeliveries(endpointId: $id, ARGS) { PAGE }",
            "/webhookDeliveries",
            json!({ "id": gid("WebhookEndpoint", seed.endpoint) }),
        ),
        List::new(
            "Campaign.emails",
            &on_campaign("emails(ARGS) { PAGE }"),
            "/node/emails",
            campaign.clone(),
        ),
        List::new(
            "Campaign.interviews",
            &on_campaign("interviews(ARGS) { PAGE }"),
            "/node/interviews",
            campaign.clone(),
        ),
        List::new(
            "Campaign.reports",
            &on_campaign("reports(ARGS) { PAGE }"),
            "/node/reports",
            campaign.clone(),
        ),
        List::new(
            "Community.posts",
            &on_programme("communities { posts(ARGS) { PAGE } }"),
            "/node/communities/0/posts",
            programme.clone(),
        ),
        List::new(
            "DisseminationPlan.deliveries",
            "node(id: $id) { ... on DisseminationPlan { deliveries(ARGS) { PAGE } } }",
            "/node/deliveries",
            json!({ "id": gid("DisseminationPlan", seed.plan) }),
        ),
        List::new(
            "MatchingRun.matchings",
            "matchingRun(id: $id) { matchings(ARGS) { PAGE } }",
            "/matchingRun/matchings",
            json!({ "id": gid("MatchingRun", seed.run) }),
        ),
    ];

    let mut previous: Option<String> = None;
    for list in &lists {
        let (_, cursor) = walk(&app, &token, list).await?;
        if let Some(other) = &previous {
            refuses(&app, &token, list, other).await?;
        }
        previous = Some(cursor);
    }
    app.stop().await
}

#[tokio::test]
async fn sorted_lists_page_through_ties_and_missing_keys() -> anyhow::Result<()> {
    let app = TestApp::spawn().await?;
    let token = app
        .account("pages", "admin@pages.test", entities::Role::Admin)
        .await?;
    let seed = seed(&app.state.db).await?;
    let campaign = json!({ "id": gid("Campaign", seed.campaign) });
    let programme = json!({ "id": gid("Programme", seed.programme) });
    let invitations = |order: &str| {
        format!(
            "node(id: $id) {{ ... on Campaign {{ invitations(ARGS, orderBy: {order}) {{ PAGE }} }} }}"
        )
    };
    let needs = |order: &str| {
        format!(
            "node(id: $id) {{ ... on Programme {{ needs(ARGS, orderBy: {order}) {{ PAGE }} }} }}"
        )
    };
    let oldest = List::new(
        "Campaign.invitations",
        &invitations("OLDEST"),
        "/node/invitations",
        campaign.clone(),
    );
    let responded = List::new(
        "Campaign.invitations RESPONDED_FIRST",
        &invitations("RESPONDED_FIRST"),
        "/node/invitations",
        campaign.clone(),
    );
    let needs_oldest = List::new(
        "Programme.needs",
        &needs("OLDEST"),
        "/node/needs",
        programme.clone(),
    );
    let most_severe = List::new(
        "Programme.needs MOST_SEVERE",
        &needs("MOST_SEVERE"),
        "/node/needs",
        programme.clone(),
    );
    let other_campaign = List::new(
        "Campaign.invitations of another campaign",
        &invitations("OLDEST"),
        "/node/invitations",
        json!({ "id": gid("Campaign", seed.other_campaign) }),
    );

    let (by_id, oldest_cursor) = walk(&app, &token, &oldest).await?;
    let (by_answer, responded_cursor) = walk(&app, &token, &responded).await?;
    let (needs_by_id, needs_cursor) = walk(&app, &token, &needs_oldest).await?;
    let (by_severity, severe_cursor) = walk(&app, &token, &most_severe).await?;
    walk(&app, &token, &other_campaign).await?;

    // The orders, computed from the rows as written.
    let mut invitations = seed.invitations.clone();
    assert_eq!(by_id, shown("Invitation", invitations.iter().map(|i| i.id)));
    let answered_at = |i: &invitation::Model| -> (bool, Option<DateTime<Utc>>, i64) {
        (i.responded_at.is_none(), i.responded_at, i.id)
    };
    invitations.sort_by_key(answered_at);
    assert_eq!(
        by_answer,
        shown("Invitation", invitations.iter().map(|i| i.id))
    );
    let mut needs = seed.needs.clone();
    assert_eq!(needs_by_id, shown("Need", needs.iter().map(|n| n.id)));
    needs.sort_by_key(|n| (-n.severity, n.id));
    assert_eq!(by_severity, shown("Need", needs.iter().map(|n| n.id)));

    // A cursor of one order, or of another campaign's list, is not one of
    // this list's.
    refuses(&app, &token, &responded, &oldest_cursor).await?;
    refuses(&app, &token, &oldest, &responded_cursor).await?;
    refuses(&app, &token, &most_severe, &needs_cursor).await?;
    refuses(&app, &token, &needs_oldest, &severe_cursor).await?;
    refuses(&app, &token, &other_campaign, &oldest_cursor).await?;
    app.stop().await
}

#[tokio::test]
async fn total_count_costs_a_statement_only_when_asked_for() -> anyhow::Result<()> {
    let app = TestApp::spawn().await?;
    let token = app
        .account("pages", "admin@pages.test", entities::Role::Admin)
        .await?;
    seed(&app.state.db).await?;
    let people = person::Entity::find().count(&app.state.db).await?;
    let without = "{ people(first: 2) { edges { node { id } } } }";
    let with = "{ people(first: 2) { totalCount edges { node { id } } } }";

    let mut statements = [u64::MAX; 2];
    for _ in 0..5 {
        for (i, query) in [without, with].into_iter().enumerate() {
            let before = app.state.metrics.statements();
            let data = app.ok(query, json!({}), Some(&token)).await?;
            statements[i] = statements[i].min(app.state.metrics.statements() - before);
            if i == 1 {
                assert_eq!(data["people"]["totalCount"], people);
            }
        }
    }

    assert_eq!(statements[1], statements[0] + 1, "{statements:?}");
    app.stop().await
}

/// The fewest statements `query` ran, over five tries, for 2 and for 20
/// parents (`$n`), and its last answer for 20. Background jobs may add
/// statements to a try, never take them away.
async fn fewest_statements(
    app: &TestApp,
    token: &str,
    query: &str,
) -> anyhow::Result<([u64; 2], Value)> {
    let mut statements = [u64::MAX; 2];
    let mut answer = Value::Null;
    for _ in 0..5 {
        for (i, n) in [2, 20].into_iter().enumerate() {
            let before = app.state.metrics.statements();
            answer = app.ok(query, json!({ "n": n }), Some(token)).await?;
            statements[i] = statements[i].min(app.state.metrics.statements() - before);
        }
    }
    Ok((statements, answer))
}

#[tokio::test]
async fn lists_under_many_parents_cost_no_more_statements_than_under_two() -> anyhow::Result<()> {
    let app = TestApp::spawn().await?;
    let token = app
        .account("pages", "admin@pages.test", entities::Role::Admin)
        .await?;
    let db = &app.state.db;
    let seed = seed(db).await?;
    let template = campaign::Entity::find_by_id(seed.campaign)
        .one(db)
        .await?
        .ok_or_else(|| anyhow::anyhow!("no campaign"))?;
    let people = person::Entity::find().all(db).await?;
    // Twenty campaigns in all, each with a few invitations and reports.
    for c in 0..16 {
        let made = insert!(
            db,
            campaign {
                organisation_id: template.organisation_id,
                questionnaire_id: template.questionnaire_id,
                name: format!("More {c}"),
                opens_at: template.opens_at,
                closes_at: template.closes_at,
                reminder_offsets_hours: json!([]),
                min_group_size: 3,
                low_score_threshold: 0.5,
                launched_at: None,
                anonymity: Anonymity::Confidential,
                programme_id: None,
                created_at: template.created_at,
            }
        );
        for (i, person) in people.iter().take(c % 4 + 1).enumerate() {
            insert!(
                db,
                invitation {
                    organisation_id: template.organisation_id,
                    campaign_id: made.id,
                    person_id: person.id,
                    token_nonce: format!("more{c}-{i}"),
                    token_hash: format!("morehash{c}-{i}"),
                    responded_at: None,
                    opted_out_at: None,
                    created_at: template.created_at,
                }
            );
        }
        for version in 1..=(c % 3) as i32 {
            insert!(
                db,
                report {
                    organisation_id: template.organisation_id,
                    campaign_id: made.id,
                    version: version,
                    data: json!({}),
                    html: String::new(),
                    created_at: template.created_at,
                }
            );
        }
    }
    let query = r#"query($n: Int) { campaigns(first: $n) { edges { node { id
        invitations(first: 2) { totalCount pageInfo { hasNextPage } edges { node { id person { name } } } }
        emails(first: 2) { totalCount edges { node { id } } }
        interviews(first: 2) { totalCount edges { node { id } } }
        reports(last: 2) { totalCount edges { node { id } } } } } } }"#;

    let (statements, answer) = fewest_statements(&app, &token, query).await?;

    assert!(statements[1] <= statements[0], "{statements:?}");
    // And each campaign got its own page.
    let edges = answer["campaigns"]["edges"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    assert_eq!(edges.len(), 20);
    for edge in edges {
        let shown_id = api::ids::ID(edge["node"]["id"].as_str().unwrap_or_default().into());
        let id = api::ids::decode(&shown_id, "Campaign").map_err(|e| anyhow::anyhow!("{e:?}"))?;
        let rows = invitation::Entity::find()
            .filter(invitation::Column::CampaignId.eq(id))
            .order_by_asc(invitation::Column::Id)
            .all(db)
            .await?;
        let invitations = &edge["node"]["invitations"];
        assert_eq!(invitations["totalCount"], rows.len());
        assert_eq!(invitations["pageInfo"]["hasNextPage"], rows.len() > 2);
        let shown: Vec<String> = invitations["edges"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|e| e["node"]["id"].as_str().unwrap_or_default().to_owned())
            .collect();
        let expected: Vec<String> = rows
            .iter()
            .take(2)
            .map(|r| gid("Invitation", r.id))
            .collect();
        assert_eq!(shown, expected);
        let reports = report::Entity::find()
            .filter(report::Column::CampaignId.eq(id))
            .order_by_desc(report::Column::Id)
            .all(db)
            .await?;
        let shown: Vec<String> = edge["node"]["reports"]["edges"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|e| e["node"]["id"].as_str().unwrap_or_default().to_owned())
            .collect();
        // The last two of a newest-first list: the two oldest, in list order.
        let n = reports.len();
        let expected: Vec<String> = reports[n.saturating_sub(2)..]
            .iter()
            .map(|r| gid("Report", r.id))
            .collect();
        assert_eq!(shown, expected);
        assert_eq!(edge["node"]["reports"]["totalCount"], n);
    }
    app.stop().await
}

#[tokio::test]
async fn needs_and_deliveries_of_many_parents_cost_no_more_statements_than_of_two()
-> anyhow::Result<()> {
    let app = TestApp::spawn().await?;
    let token = app
        .account("pages", "admin@pages.test", entities::Role::Admin)
        .await?;
    let db = &app.state.db;
    let seed = seed(db).await?;
    let programme = programme::Entity::find_by_id(seed.programme)
        .one(db)
        .await?
        .ok_or_else(|| anyhow::anyhow!("no programme"))?;
    let plan = dissemination_plan::Entity::find_by_id(seed.plan)
        .one(db)
        .await?
        .ok_or_else(|| anyhow::anyhow!("no plan"))?;
    let axis = support_axis::Entity::find().one(db).await?;
    let axis = axis.ok_or_else(|| anyhow::anyhow!("no axis"))?;
    let people = person::Entity::find().all(db).await?;
    let now = Utc::now();
    // Twenty programmes and twenty plans in all, each with a few rows.
    for p in 0..16 {
        let made = insert!(
            db,
            programme {
                organisation_id: programme.organisation_id,
                name: format!("More {p}"),
                description: String::new(),
                starts_on: programme.starts_on,
                ends_on: programme.ends_on,
                goals: json!([]),
                budget: 0.0,
                currency: "EUR".into(),
                expected_learners: 10,
                created_at: now,
            }
        );
        let axis = insert!(
            db,
            support_axis {
                organisation_id: programme.organisation_id,
                programme_id: made.id,
                name: format!("Axis {p}"),
                kind: axis.kind,
                description: String::new(),
                weight: 1.0,
            }
        );
        for (i, person) in people.iter().take(p % 4 + 1).enumerate() {
            insert!(
                db,
                need {
                    organisation_id: programme.organisation_id,
                    programme_id: made.id,
                    axis_id: axis.id,
                    person_id: person.id,
                    severity: (i % 3 + 1) as i32,
                    source: NeedSource::Coordinator,
                    status: NeedStatus::Open,
                    evidence: String::new(),
                    rule_id: None,
                    created_at: now,
                    updated_at: now,
                    set_by_hand: true,
                }
            );
        }
        let made = insert!(
            db,
            dissemination_plan {
                organisation_id: plan.organisation_id,
                name: format!("More {p}"),
                report_kind: plan.report_kind,
                report_id: plan.report_id,
                created_by: None,
                created_at: now,
                started_at: None,
                cancelled_at: None,
            }
        );
        let audience = insert!(
            db,
            dissemination_audience {
                plan_id: made.id,
                position: 0,
                kind: AudienceKind::Tutors,
                channel: DisseminationChannel::EmailLink,
                send_at: now,
                link_lifetime_days: 30,
                language: "en".into(),
                recipients: json!([]),
                link_nonce: format!("more-link-{p}"),
                share_id: None,
                done_at: None,
            }
        );
        for i in 0..p % 3 + 1 {
            insert!(
                db,
                dissemination_delivery {
                    organisation_id: plan.organisation_id,
                    plan_id: made.id,
                    audience_id: audience.id,
                    member_key: format!("more{p}-{i}"),
                    address: format!("more{p}-{i}@pages.test"),
                    name: format!("M{i}"),
                    person_id: None,
                    language: "en".into(),
                    token_nonce: format!("mn{p}-{i}"),
                    token_hash: format!("mh{p}-{i}"),
                    email_key: format!("mk{p}-{i}"),
                    status: EmailStatus::Sent,
                    error: None,
                    expires_at: now + Duration::days(30),
                    created_at: now,
                    sent_at: Some(now),
                    first_opened_at: None,
                    open_count: 0,
                    revoked_at: None,
                }
            );
        }
    }
    let needs = r#"query($n: Int) { programmes(first: $n) { edges { node { id
        needs(first: 2, orderBy: MOST_SEVERE) { totalCount edges { node { id severity } } } } } } }"#;
    let deliveries = r#"query($n: Int) { disseminationPlans(first: $n) { edges { node { id
        deliveries(last: 2) { totalCount edges { node { id } } } } } } }"#;

    let (by_needs, programmes) = fewest_statements(&app, &token, needs).await?;
    let (by_deliveries, plans) = fewest_statements(&app, &token, deliveries).await?;

    assert!(by_needs[1] <= by_needs[0], "{by_needs:?}");
    assert!(by_deliveries[1] <= by_deliveries[0], "{by_deliveries:?}");
    let programmes = programmes["programmes"]["edges"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    assert_eq!(programmes.len(), 20);
    for edge in programmes {
        let id = decoded(&edge["node"]["id"], "Programme")?;
        let mut rows = need::Entity::find()
            .filter(need::Column::ProgrammeId.eq(id))
            .all(db)
            .await?;
        rows.sort_by_key(|n| (-n.severity, n.id));
        let expected: Vec<String> = rows.iter().take(2).map(|n| gid("Need", n.id)).collect();
        assert_eq!(ids_of(&edge["node"]["needs"]), expected);
        assert_eq!(edge["node"]["needs"]["totalCount"], rows.len());
    }
    let plans = plans["disseminationPlans"]["edges"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    assert_eq!(plans.len(), 20);
    for edge in plans {
        let id = decoded(&edge["node"]["id"], "DisseminationPlan")?;
        let rows = dissemination_delivery::Entity::find()
            .filter(dissemination_delivery::Column::PlanId.eq(id))
            .order_by_asc(dissemination_delivery::Column::Id)
            .all(db)
            .await?;
        let n = rows.len();
        let expected: Vec<String> = rows[n.saturating_sub(2)..]
            .iter()
            .map(|d| gid("DisseminationDelivery", d.id))
            .collect();
        assert_eq!(ids_of(&edge["node"]["deliveries"]), expected);
        assert_eq!(edge["node"]["deliveries"]["totalCount"], n);
    }
    app.stop().await
}

/// The database id behind a global ID in an answer.
fn decoded(id: &Value, kind: &'static str) -> anyhow::Result<i64> {
    let id = api::ids::ID(id.as_str().unwrap_or_default().into());
    api::ids::decode(&id, kind).map_err(|e| anyhow::anyhow!("{e:?}"))
}

/// The ids of a connection's nodes, in order.
fn ids_of(connection: &Value) -> Vec<String> {
    connection["edges"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|e| e["node"]["id"].as_str().unwrap_or_default().to_owned())
        .collect()
}

/// A campaign asked for by `node(id:)` with one page of its invitations is
/// read with that page in one statement. Its answers are those of the
/// campaign and the page read apart, which a second `invitations` field
/// makes the api do.
#[tokio::test]
async fn a_campaign_read_with_a_page_of_its_invitations_answers_as_read_apart() -> anyhow::Result<()>
{
    let app = TestApp::spawn().await?;
    let token = app
        .account("pages", "admin@pages.test", entities::Role::Admin)
        .await?;
    let db = &app.state.db;
    let seed = seed(db).await?;
    let empty = campaign::Entity::find()
        .filter(campaign::Column::Name.eq("Campaign 3"))
        .one(db)
        .await?
        .ok_or_else(|| anyhow::anyhow!("no campaign 3"))?
        .id;
    let page = "a: invitations(first: $first, after: $after, last: $last, before: $before, \
                orderBy: $order) { totalCount pageInfo { hasNextPage hasPreviousPage } \
                edges { cursor node { id respondedAt person { name email } } } }";
    let query = |more: &str| {
        format!(
            "query($id: ID!, $first: Int, $after: String, $last: Int, $before: String, \
             $order: InvitationOrder) {{ node(id: $id) {{ ... on Campaign {{ {page} {more} }} }} }}"
        )
    };
    // The campaign's own fields come in the statement when asked for.
    let together = query("name");
    let bare = query("");
    let apart = query("name b: invitations(first: 1) { totalCount }");

    let mut compared = 0;
    for id in [seed.campaign, seed.other_campaign, empty] {
        for order in ["OLDEST", "RESPONDED_FIRST"] {
            let vars = |paging: Value| {
                let mut vars = json!({ "id": gid("Campaign", id), "order": order });
                if let (Some(vars), Some(paging)) = (vars.as_object_mut(), paging.as_object()) {
                    vars.extend(paging.clone());
                }
                vars
            };
            let whole = app
                .ok(&apart, vars(json!({ "first": 100 })), Some(&token))
                .await?;
            let cursors: Vec<Value> = whole["node"]["a"]["edges"]
                .as_array()
                .map(|edges| edges.iter().map(|e| e["cursor"].clone()).collect())
                .unwrap_or_default();
            let mut windows = vec![
                json!({}),
                json!({ "first": 3 }),
                json!({ "first": 0 }),
                json!({ "last": 4 }),
                json!({ "last": 0 }),
            ];
            if let (Some(second), Some(last)) = (cursors.get(1), cursors.last()) {
                windows.extend([
                    json!({ "first": 2, "after": second }),
                    json!({ "last": 2, "before": last }),
                    json!({ "before": second }),
                    // Past the last row: an empty page of a campaign that is there.
                    json!({ "first": 5, "after": last }),
                ]);
            }
            for window in windows {
                let read_together = app
                    .ok(&together, vars(window.clone()), Some(&token))
                    .await?;
                let read_bare = app.ok(&bare, vars(window.clone()), Some(&token)).await?;
                let read_apart = app.ok(&apart, vars(window.clone()), Some(&token)).await?;
                let node = &read_apart["node"];
                assert!(node["a"]["edges"].is_array(), "{read_apart}");
                assert_eq!(read_together["node"]["name"], node["name"], "{window}");
                assert_eq!(read_together["node"]["a"], node["a"], "{order} {window}");
                assert_eq!(read_bare["node"]["a"], node["a"], "{order} {window}");
                compared += 1;
            }
        }
    }
    assert_eq!(compared, 2 * (2 * 9 + 5), "every window of every list");
    // Read together, the campaign and its page cost one statement fewer.
    let vars = json!({ "id": gid("Campaign", seed.campaign), "first": 3, "order": "OLDEST" });
    let mut fewest = [u64::MAX; 2];
    for _ in 0..3 {
        for (i, query) in [&together, &apart].into_iter().enumerate() {
            let before = app.state.metrics.statements();
            app.ok(query, vars.clone(), Some(&token)).await?;
            fewest[i] = fewest[i].min(app.state.metrics.statements() - before);
        }
    }
    assert!(
        fewest[0] < fewest[1],
        "statements together and apart: {fewest:?}"
    );

    // Another organisation's campaign is not there, with or without a page.
    let stranger = app
        .account("elsewhere", "admin@elsewhere.test", entities::Role::Admin)
        .await?;
    let vars = json!({ "id": gid("Campaign", seed.campaign), "first": 5, "order": "OLDEST" });
    for query in [&together, &bare] {
        let found = app.ok(query, vars.clone(), Some(&stranger)).await?;
        assert_eq!(found["node"], Value::Null);
    }

    // An observer reads the campaign but not its invitations.
    let observer = app
        .account("pages", "observer@pages.test", entities::Role::Observer)
        .await?;
    let body = app.post(&together, vars, Some(&observer)).await?;
    assert_eq!(body["data"]["node"]["name"], "Campaign 0", "{body}");
    assert_eq!(body["data"]["node"]["a"], Value::Null, "{body}");
    assert_eq!(
        body["errors"][0]["extensions"]["code"], "FORBIDDEN",
        "{body}"
    );
    assert_eq!(body["errors"][0]["path"], json!(["node", "a"]), "{body}");

    // A page refused is refused alike.
    let vars =
        json!({ "id": gid("Campaign", seed.campaign), "first": 1, "last": 1, "order": "OLDEST" });
    let code = app.error_code(&together, vars, Some(&token)).await?;
    assert_eq!(code, "BAD_USER_INPUT");
    app.stop().await
}
