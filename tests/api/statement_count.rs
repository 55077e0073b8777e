//! A request's SQL statements do not grow with the length of its lists:
//! the lists a mobile app asks for, with their nested relations, cost no
//! more statements for 20 rows than for 2.
//!
//! Two organisations are built alike, one with 2 rows of everything and
//! one with 20. Each query runs five times for each, and the fewest
//! statements of the five counts, so that work in the background (the
//! job store polling, a job finishing) does not.

use chrono::{Duration, Utc};
use entities::Role;
use sea_orm::{ActiveValue::Set, ConnectionTrait, EntityTrait};
use serde_json::{Value, json};
use tests::TestApp;

use crate::fixtures;

/// What the lists of one organisation hang off, and who reads them.
struct Org {
    admin: String,
    coordinator: String,
    tutor: String,
    programme: Value,
    endpoint: String,
    campaign: String,
}

fn id(value: &Value) -> Value {
    value["id"].clone()
}

/// An organisation with `n` of every row the queries below list.
async fn organisation(app: &TestApp, slug: &str, n: usize) -> anyhow::Result<Org> {
    let admin = app
        .account(slug, &format!("admin@{slug}.test"), Role::Admin)
        .await?;
    let coord = app
        .account(slug, &format!("coord@{slug}.test"), Role::Coordinator)
        .await?;
    let q = |query: &'static str, vars: Value| {
        let coord = coord.clone();
        async move { app.ok(query, vars, Some(&coord)).await }
    };

    // People: n learners and n tutors.
    let mut people: Vec<Value> = (0..n)
        .map(|i| json!({ "name": format!("Learner {i}"), "email": format!("l{i}@{slug}.test"), "kind": "LEARNER" }))
        .collect();
    people.extend((0..n).map(
        |i| json!({ "name": format!("Tutor {i}"), "email": format!("t{i}@{slug}.test"), "kind": "TUTOR" }),
    ));
    let made = q(
        "mutation($i: CreatePeopleInput!) { createPeople(input: $i) { people { id } } }",
        json!({ "i": { "people": people } }),
    )
    .await?;
    let made = made["createPeople"]["people"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    let (learners, tutors) = made.split_at(n);
    let learners: Vec<Value> = learners.iter().map(id).collect();
    let tutors: Vec<Value> = tutors.iter().map(id).collect();

    // n programmes, each with an axis, a role, an intervention, a guide, a
    // standard, a training module completed by a tutor, and a community
    // with a member and a resource.
    let mut programmes = Vec::new();
    let mut axes = Vec::new();
    let mut roles = Vec::new();
    let mut interventions = Vec::new();
    for i in 0..n {
        let p = fixtures::programme(app, &coord).await?;
        let axis = q("mutation($i: CreateSupportAxisInput!) { createSupportAxis(input: $i) { axis { id } } }",
            json!({ "i": { "programmeId": p, "name": "Method", "kind": "METHODOLOGY", "weight": 1 } })).await?;
        let axis = axis["createSupportAxis"]["axis"]["id"].clone();
        let role = q("mutation($i: CreateTutorRoleInput!) { createTutorRole(input: $i) { role { id } } }",
            json!({ "i": { "programmeId": p, "name": "Tutor", "kind": "TUTOR", "functions": ["Help"], "hourlyCost": 30 } })).await?;
        let role = role["createTutorRole"]["role"]["id"].clone();
        let intervention = q("mutation($i: CreateInterventionInput!) { createIntervention(input: $i) { intervention { id } } }",
            json!({ "i": { "axisId": axis, "roleId": role, "name": "Coaching", "format": "INDIVIDUAL", "tool": "VIDEO",
                "sessionsPerMonth": 2, "sessionMinutes": 45, "sessionCost": 10 } })).await?;
        let intervention = intervention["createIntervention"]["intervention"]["id"].clone();
        q(
            "mutation($i: PublishGuideInput!) { publishGuide(input: $i) { guide { version } } }",
            json!({ "i": { "programmeId": p, "body": "Meet often." } }),
        )
        .await?;
        q("mutation($i: SetStandardInput!) { setStandard(input: $i) { standard { kind } } }",
            json!({ "i": { "programmeId": p, "kind": "FIRST_CONTACT_DAYS", "threshold": 7, "severity": "HIGH" } })).await?;
        let module = q("mutation($i: CreateTrainingModuleInput!) { createTrainingModule(input: $i) { module { id } } }",
            json!({ "i": { "programmeId": p, "title": "Basics", "hours": 2, "level": "BASIC" } })).await?;
        q("mutation($i: RecordCompletionInput!) { recordCompletion(input: $i) { module { id } } }",
            json!({ "i": { "moduleId": module["createTrainingModule"]["module"]["id"], "tutorId": tutors[i], "completedOn": "2026-10-01" } })).await?;
        let community = q("mutation($i: CreateCommunityInput!) { createCommunity(input: $i) { community { id } } }",
            json!({ "i": { "programmeId": p, "name": format!("Circle {i}") } })).await?;
        let community = community["createCommunity"]["community"]["id"].clone();
        q("mutation($i: CommunityMemberInput!) { addCommunityMember(input: $i) { community { id } } }",
            json!({ "i": { "communityId": community, "tutorId": tutors[0] } })).await?;
        q("mutation($i: CommunityResourceInput!) { addCommunityResource(input: $i) { community { id } } }",
            json!({ "i": { "communityId": community, "title": "Guide", "url": "https://example.org/guide" } })).await?;
        q(
            "mutation($i: PostInput!) { postToCommunity(input: $i) { post { id } } }",
            json!({ "i": { "communityId": community, "body": "Welcome" } }),
        )
        .await?;
        programmes.push(p);
        axes.push(axis);
        roles.push(role);
        interventions.push(intervention);
    }
    let programme = programmes[0].clone();

    // In the first programme: a profile for each tutor, a need for each
    // learner, and a matching of learner i with tutor i, with a goal, a
    // planned intervention, a session ahead and a held one.
    for (i, (learner, tutor)) in learners.iter().zip(&tutors).enumerate() {
        q("mutation($i: SetTutorProfileInput!) { setTutorProfile(input: $i) { capacity } }",
            json!({ "i": { "programmeId": programme, "tutorId": tutor, "roleIds": [roles[0]], "capacity": 2,
                "languages": ["en"], "competences": [{ "axisId": axes[0], "level": 3 }] } })).await?;
        q("mutation($i: CreateNeedInput!) { createNeed(input: $i) { need { id } } }",
            json!({ "i": { "axisId": axes[0], "learnerId": learner, "severity": 3, "source": "COORDINATOR" } })).await?;
        let m = q("mutation($i: OverrideMatchingInput!) { overrideMatching(input: $i) { id } }",
            json!({ "i": { "programmeId": programme, "roleId": roles[0], "learnerId": learner, "tutorId": tutor, "reason": "Fits" } })).await?;
        let m = m["overrideMatching"]["id"].clone();
        q("mutation($i: AddPlanGoalInput!) { addPlanGoal(input: $i) { id } }",
            json!({ "i": { "matchingId": m, "description": "Plan", "measure": "A plan", "targetDate": "2027-01-31" } })).await?;
        q("mutation($i: PlanInterventionInput!) { planIntervention(input: $i) { id } }",
            json!({ "i": { "matchingId": m, "interventionId": interventions[0], "startsOn": Utc::now().date_naive().to_string(),
                "everyDays": 14, "sessions": 6 } })).await?;
        q(
            "mutation($i: ScheduleSessionInput!) { scheduleSession(input: $i) { id } }",
            json!({ "i": { "matchingId": m, "interventionId": interventions[0],
                "startsAt": (Utc::now() + Duration::days(2)).to_rfc3339(), "minutes": 45 } }),
        )
        .await?;
        q("mutation($i: RecordSessionInput!) { recordSession(input: $i) { id } }",
            json!({ "i": { "matchingId": m, "interventionId": interventions[0], "heldAt": Utc::now().to_rfc3339(),
                "minutes": 30, "attended": true, "notes": "Fine" } })).await?;
        q(
            "mutation($i: PairInput!) { excludePair(input: $i) }",
            json!({ "i": { "programmeId": programme, "learnerId": learner,
                "tutorId": tutors[(i + 1) % n], "reason": "Relatives" } }),
        )
        .await?;
        let matching_id = api::ids::decode(
            &api::ids::ID(m.as_str().unwrap_or_default().to_owned()),
            "Matching",
        )
        .map_err(|e| anyhow::anyhow!("{e:?}"))?;
        alert(app, matching_id).await?;
    }
    let tutor = fixtures::member(
        app,
        &admin,
        slug,
        &format!("t0@{slug}.test"),
        "TUTOR",
        &tutors[0],
    )
    .await?;

    // n questionnaires, each with a campaign to every learner; the first
    // campaign's report.
    let mut campaigns = Vec::new();
    for _ in 0..n {
        let questionnaire = fixtures::questionnaire(app, &coord).await?;
        let spec = fixtures::CampaignSpec {
            min_group_size: 1,
            ..Default::default()
        };
        let campaign = fixtures::campaign(app, &coord, &questionnaire, spec).await?;
        q(
            "mutation($i: InviteInput!) { inviteToCampaign(input: $i) { invited } }",
            json!({ "i": { "campaignId": campaign, "personIds": learners } }),
        )
        .await?;
        campaigns.push(campaign);
    }
    let campaign = campaigns[0].clone();
    q(
        "mutation($i: CampaignInput!) { generateReport(input: $i) { campaign { id } } }",
        json!({ "i": { "campaignId": campaign } }),
    )
    .await?;
    let report = loop {
        let found = q("query($id: ID!) { node(id: $id) { ... on Campaign { reports(first: 1) { nodes { id } } } } }",
            json!({ "id": campaign })).await?;
        if let Some(id) = found["node"]["reports"]["nodes"][0]["id"].as_str() {
            break id.to_owned();
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    };
    q("mutation($i: ShareReportInput!) { shareReport(input: $i) { share { id } } }",
        json!({ "i": { "reportId": report, "audience": "Board", "expiresAt": (Utc::now() + Duration::days(3)).to_rfc3339() } })).await?;

    // A programme report with a recommendation; n dissemination plans of
    // each report.
    let grid = q(
        "mutation($i: CreateAnalyticalGridInput!) { createAnalyticalGrid(input: $i) { id } }",
        json!({ "i": crate::authz_matrix::grid("Delivery") }),
    )
    .await?;
    let today = Utc::now().date_naive();
    q("mutation($i: GenerateProgrammeReportInput!) { generateProgrammeReport(input: $i) { queued } }",
        json!({ "i": { "programmeId": programme, "gridId": grid["createAnalyticalGrid"]["id"],
            "from": (today - Duration::days(30)).to_string(), "to": today.to_string() } })).await?;
    let programme_report = loop {
        let found = q(
            "query($p: ID!) { programmeReports(programmeId: $p, first: 1) { nodes { id } } }",
            json!({ "p": programme }),
        )
        .await?;
        if let Some(id) = found["programmeReports"]["nodes"][0]["id"].as_str() {
            break id.to_owned();
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    };
    for i in 0..n {
        for report in [&report, &programme_report] {
            q("mutation($i: CreateDisseminationPlanInput!) { createDisseminationPlan(input: $i) { plan { id } } }",
                json!({ "i": { "name": format!("Plan {i}"), "reportId": report, "audiences": [{ "kind": "COORDINATORS",
                    "channel": "EMAIL_LINK", "sendAt": (Utc::now() + Duration::days(5)).to_rfc3339(), "linkLifetimeDays": 7 }] } })).await?;
        }
    }

    // n analytical grids, webhook endpoints, dead letters; deliveries of
    // the first endpoint.
    let mut endpoint = String::new();
    for i in 1..n {
        q(
            "mutation($i: CreateAnalyticalGridInput!) { createAnalyticalGrid(input: $i) { id } }",
            json!({ "i": crate::authz_matrix::grid(&format!("Grid {i}")) }),
        )
        .await?;
    }
    for i in 0..n {
        let created = q("mutation($i: CreateWebhookEndpointInput!) { createWebhookEndpoint(input: $i) { endpoint { id } } }",
            json!({ "i": { "url": format!("https://hooks{i}.example.org/in"), "events": ["alert.raised"] } })).await?;
        if i == 0 {
            endpoint = created["createWebhookEndpoint"]["endpoint"]["id"]
                .as_str()
                .unwrap_or_default()
                .to_owned();
        }
    }
    let endpoint_id = api::ids::decode(&api::ids::ID(endpoint.clone()), "WebhookEndpoint")
        .map_err(|e| anyhow::anyhow!("{e:?}"))?;
    let campaign_id = api::ids::decode(&api::ids::ID(campaign.clone()), "Campaign")
        .map_err(|e| anyhow::anyhow!("{e:?}"))?;
    rows(app, endpoint_id, campaign_id, n).await?;

    Ok(Org {
        admin,
        coordinator: coord,
        tutor,
        programme,
        endpoint,
        campaign,
    })
}

/// An alert on a matching, as the nightly check raises one.
async fn alert(app: &TestApp, matching_id: i64) -> anyhow::Result<()> {
    let db = &app.state.db;
    let m = entities::matching::Entity::find_by_id(matching_id)
        .one(db)
        .await?
        .ok_or_else(|| anyhow::anyhow!("no matching"))?;
    let standard = entities::standard::Entity::find()
        .one(db)
        .await?
        .ok_or_else(|| anyhow::anyhow!("no standard"))?;
    entities::relation_alert::Entity::insert(entities::relation_alert::ActiveModel {
        organisation_id: Set(m.organisation_id),
        programme_id: Set(m.programme_id),
        matching_id: Set(m.id),
        standard_id: Set(standard.id),
        day: Set(Utc::now().date_naive()),
        severity: Set(entities::Severity::High),
        message: Set("No first contact".into()),
        created_at: Set(Utc::now()),
        ..Default::default()
    })
    .exec_without_returning(db)
    .await?;
    Ok(())
}

/// `n` failed deliveries to an endpoint, with an attempt each, and `n`
/// dead letters about a campaign.
async fn rows(app: &TestApp, endpoint_id: i64, campaign_id: i64, n: usize) -> anyhow::Result<()> {
    let db = &app.state.db;
    let endpoint = entities::webhook_endpoint::Entity::find_by_id(endpoint_id)
        .one(db)
        .await?
        .ok_or_else(|| anyhow::anyhow!("no endpoint"))?;
    for i in 0..n {
        let delivery =
            entities::webhook_delivery::Entity::insert(entities::webhook_delivery::ActiveModel {
                organisation_id: Set(endpoint.organisation_id),
                endpoint_id: Set(endpoint_id),
                event_id: Set(format!("msg_{i}")),
                event_type: Set("alert.raised".into()),
                payload: Set(json!({ "type": "alert.raised" })),
                attempts: Set(1),
                attempts_before_redelivery: Set(0),
                status: Set(entities::WebhookStatus::Failed),
                next_attempt_at: Set(Utc::now()),
                created_at: Set(Utc::now()),
                ..Default::default()
            })
            .exec_with_returning(db)
            .await?;
        entities::webhook_attempt::Entity::insert(entities::webhook_attempt::ActiveModel {
            delivery_id: Set(delivery.id),
            number: Set(1),
            attempted_at: Set(Utc::now()),
            status_code: Set(Some(500)),
            error: Set(None),
            duration_ms: Set(12),
            ..Default::default()
        })
        .exec_without_returning(db)
        .await?;
        entities::dead_letter::Entity::insert(entities::dead_letter::ActiveModel {
            organisation_id: Set(Some(endpoint.organisation_id)),
            campaign_id: Set(Some(campaign_id)),
            kind: Set("aggregate_campaign".into()),
            payload: Set(serde_json::to_value(worker::Job::AggregateCampaign {
                campaign_id,
            })?),
            reason: Set("database error".into()),
            attempts: Set(5),
            failed_at: Set(Utc::now()),
            ..Default::default()
        })
        .exec_without_returning(db)
        .await?;
    }
    Ok(())
}

/// Who runs a query.
#[derive(Clone, Copy)]
enum As {
    Admin,
    Coordinator,
    Tutor,
}

/// The lists, as an app asks for them, with the variables they need.
fn queries(org: &Org) -> Vec<(&'static str, As, &'static str, Value)> {
    let p = json!({ "p": org.programme });
    vec![
        (
            "programmes with their design",
            As::Coordinator,
            r#"{ programmes(first: 50) { nodes { id name axes { id } roles { id name }
                interventions { id axis { name } role { name } } guideVersions { version } standards { kind }
                trainingModules { id completions { tutor { name } } } needRules { id axis { name } }
                communities { id members { name } resources { title } } } } }"#,
            json!({}),
        ),
        (
            "matchings with tutor, learner, plan and sessions",
            As::Coordinator,
            r#"query($p: ID!) { matchings(programmeId: $p, first: 50) { nodes { id status
                learner { id name } tutor { id name } role { name } decidedBy history { toStatus decidedBy }
                plan { goals { id description } interventions { intervention { name } } }
                sessions { id status intervention { name } attended } } } }"#,
            p.clone(),
        ),
        (
            "matchings with their health",
            As::Coordinator,
            r#"query($p: ID!) { matchings(programmeId: $p, first: 50) { nodes { id
                health { status sessionsHeld lastContact } } } }"#,
            p.clone(),
        ),
        (
            "a tutor's own matchings",
            As::Tutor,
            r#"query($p: ID!) { matchings(programmeId: $p, first: 50) { nodes { id
                learner { name } plan { goals { id } } sessions { id } } } }"#,
            p.clone(),
        ),
        (
            "tutor profiles with roles and competences",
            As::Coordinator,
            r#"query($p: ID!) { tutorProfiles(programmeId: $p, first: 50) { nodes { id
                tutor { name } roles { name } competences { level axis { name } } activeLearners } } }"#,
            p.clone(),
        ),
        (
            "needs with learner and axis",
            As::Coordinator,
            r#"query($p: ID!) { node(id: $p) { ... on Programme { needs(first: 50) { nodes { id
                learner { name } axis { name } } } } } }"#,
            p.clone(),
        ),
        (
            "alerts with their relation",
            As::Coordinator,
            r#"query($p: ID!) { relationAlerts(programmeId: $p, first: 50) { nodes { id
                matching { id learner { name } tutor { name } } } } }"#,
            p.clone(),
        ),
        (
            "exclusions with their pair",
            As::Coordinator,
            r#"query($p: ID!) { matchingExclusions(programmeId: $p, first: 50) { nodes {
                learner { name } tutor { name } } } }"#,
            p.clone(),
        ),
        (
            "campaigns with their questionnaire",
            As::Coordinator,
            r#"{ campaigns(first: 50) { nodes { id name status invitationCount responseCount responseRate
                delivery { sent } questionnaire { title items { code } scales { code } } } } }"#,
            json!({}),
        ),
        (
            "questionnaires with items and scales",
            As::Coordinator,
            r#"{ questionnaires(first: 50) { nodes { id title items { code } scales { code } } } }"#,
            json!({}),
        ),
        (
            "people",
            As::Coordinator,
            r#"{ people(first: 50) { nodes { id name email } } }"#,
            json!({}),
        ),
        (
            "analytical grids",
            As::Coordinator,
            r#"{ analyticalGrids { id name } }"#,
            json!({}),
        ),
        (
            "webhook endpoints",
            As::Coordinator,
            r#"{ webhookEndpoints(first: 50) { nodes { id url events } } }"#,
            json!({}),
        ),
        (
            "webhook deliveries with attempts",
            As::Coordinator,
            r#"query($id: ID!) { webhookDeliveries(endpointId: $id, first: 50) { nodes { id attempts { statusCode } } } }"#,
            json!({ "id": org.endpoint }),
        ),
        (
            "dead letters with their campaign",
            As::Admin,
            r#"{ deadLetters(first: 50) { nodes { id campaign { name } } } }"#,
            json!({}),
        ),
        (
            "a campaign's invitations with their people",
            As::Coordinator,
            r#"query($id: ID!) { node(id: $id) { ... on Campaign { invitations(first: 50) { nodes { id person { name } } } } } }"#,
            json!({ "id": org.campaign }),
        ),
        (
            "dissemination plans with their reports",
            As::Coordinator,
            r#"{ disseminationPlans(first: 50) { nodes { id status audiences { kind } deliveryCounts { sent }
                report { version shares { id } } programmeReport { version recommendations { id text } } } } }"#,
            json!({}),
        ),
        (
            "programme reports with their recommendations",
            As::Coordinator,
            r#"query($p: ID!) { programmeReports(programmeId: $p, first: 50) { nodes { id recommendations { id } } } }"#,
            p.clone(),
        ),
        (
            "a tutor's communities",
            As::Tutor,
            r#"{ myCommunities { id name members { name } resources { title } } }"#,
            json!({}),
        ),
    ]
}

/// The fewest statements of five runs of `query`.
async fn statements(app: &TestApp, query: &str, vars: &Value, token: &str) -> anyhow::Result<u64> {
    let mut fewest = u64::MAX;
    for _ in 0..5 {
        let before = app.state.metrics.statements();
        app.ok(query, vars.clone(), Some(token)).await?;
        fewest = fewest.min(app.state.metrics.statements() - before);
    }
    Ok(fewest)
}

#[tokio::test]
async fn lists_with_nested_relations_cost_as_many_statements_for_20_rows_as_for_2()
-> anyhow::Result<()> {
    // Two lists of one query may ask for the same kind of row, as sessions
    // and plans both name interventions. Those rows share a statement when
    // the second list's rows come back within the batching window of the
    // first's, and take one more otherwise: at 1 ms, which side of it they
    // fall on is chance on a busy machine. A window wider than any of these
    // statements takes makes the count depend on the query alone.
    let app = TestApp::spawn_with(|s| s.graphql_batch_ms = 25).await?;
    let small = organisation(&app, "small", 2).await?;
    let large = organisation(&app, "large", 20).await?;

    let mut grown = Vec::new();
    let mut counts = Vec::new();
    for ((name, who, query, small_vars), (_, _, _, large_vars)) in
        queries(&small).into_iter().zip(queries(&large))
    {
        let token = |org: &Org| match who {
            As::Admin => org.admin.clone(),
            As::Coordinator => org.coordinator.clone(),
            As::Tutor => org.tutor.clone(),
        };
        let few = statements(&app, query, &small_vars, &token(&small)).await?;
        let many = statements(&app, query, &large_vars, &token(&large)).await?;
        counts.push(format!("{name}: {few} for 2 rows, {many} for 20"));
        if many > few {
            grown.push(format!(
                "{name}: {few} statements for 2 rows, {many} for 20"
            ));
        }
    }
    assert!(
        grown.is_empty(),
        "statements grow with the list ({}):\n{}\nall: {}",
        app.env.backend(),
        grown.join("\n"),
        counts.join("; ")
    );
    app.stop().await
}

#[tokio::test]
async fn a_campaign_comes_with_its_page_of_invitations_and_their_people_in_one_statement()
-> anyhow::Result<()> {
    let app = TestApp::spawn().await?;
    let org = organisation(&app, "north", 20).await?;
    let (_, _, query, vars) = queries(&org)
        .into_iter()
        .find(|(name, ..)| *name == "a campaign's invitations with their people")
        .expect("the query is listed");
    // The page of invitations joined to their people, read if the campaign is there.
    assert_eq!(statements(&app, query, &vars, &org.coordinator).await?, 1);
    // The campaign alone, then the page, when the query asks for two.
    let two = query.replace(
        "} } } } } }",
        "} } } b: invitations(last: 1) { nodes { id } } } } }",
    );
    assert_ne!(two, query);
    assert_eq!(statements(&app, &two, &vars, &org.coordinator).await?, 3);
    app.stop().await
}

#[tokio::test]
async fn pages_keep_their_plan_on_postgresql() -> anyhow::Result<()> {
    // One connection, so that every statement is prepared on the session
    // the check below reads.
    let app = TestApp::spawn_with(|s| s.db_max_connections = 1).await?;
    let org = organisation(&app, "north", 20).await?;
    let lists = [
        // A root list, a campaign with its page, and a page of many parents.
        r#"{ people(first: 10) { nodes { id } } }"#,
        r#"query($id: ID!) { node(id: $id) { ... on Campaign { invitations(first: 10) { nodes { id } } } } }"#,
        r#"{ campaigns(first: 5) { nodes { invitations(first: 3) { nodes { id } } } } }"#,
    ];
    for query in lists {
        for _ in 0..8 {
            let data = app
                .ok(query, json!({ "id": org.campaign }), Some(&org.coordinator))
                .await?;
            assert!(data.to_string().contains("\"id\""), "{query}: {data}");
        }
    }
    if app.env.backend().starts_with("sqlite") {
        // SQLite prepares each statement afresh: there is no plan to keep.
        return app.stop().await;
    }
    // PostgreSQL plans a prepared statement for its values at each of the
    // first five runs, then keeps a plan for any values if that one costs
    // no more. With its limit bound, a page joined to other tables was
    // planned anew at every run, its plan for any limit being costed for a
    // tenth of the list.
    let plans = app
        .state
        .db
        .query_all_raw(sea_orm::Statement::from_string(
            sea_orm::DbBackend::Postgres,
            "SELECT statement, generic_plans, custom_plans FROM pg_prepared_statements",
        ))
        .await?
        .into_iter()
        .map(|row| {
            Ok((
                row.try_get_by_index::<String>(0)?,
                row.try_get_by_index::<i64>(1)?,
                row.try_get_by_index::<i64>(2)?,
            ))
        })
        .collect::<Result<Vec<_>, sea_orm::DbErr>>()?;
    let pages = [
        r#"FROM "person" WHERE "person"."organisation_id" = $1 ORDER BY"#,
        r#"EXISTS(SELECT 1 FROM "campaign""#,
        r#"AS "page_row""#,
    ];
    for needle in pages {
        let kept: Vec<_> = plans.iter().filter(|(s, ..)| s.contains(needle)).collect();
        assert!(
            !kept.is_empty(),
            "no page statement with {needle}: {plans:?}"
        );
        assert!(
            kept.iter().all(|(_, generic, _)| *generic > 0),
            "a page statement with {needle} is planned anew at each run: {kept:?}"
        );
    }
    app.stop().await
}
