//! Designing a programme: needs derived by rules, explained priorities,
//! and refusals of bad designs.

use entities::Role;
use serde_json::{Value, json};
use tests::TestApp;

const DEMO_NEEDS: &str = include_str!("../reference/demo_needs.json");

const PRIORITIES: &str = r#"query($id: ID!, $weights: [AxisWeightInput!]) { node(id: $id) { ... on Programme {
    axes { id name weight }
    priorities(weights: $weights) { population
      axes { rank score prevalence meanSeverity weight learnersWithNeed explanation terms { name value } axis { name } }
      interventions { rank score costPerLearnerMonth explanation intervention { name } } } } } }"#;

fn close(a: &Value, b: f64, tolerance: f64) -> bool {
    a.as_f64().is_some_and(|a| (a - b).abs() < tolerance)
}

async fn demo_admin(app: &TestApp) -> anyhow::Result<(api::demo::Demo, String)> {
    let demo = api::demo::seed(&app.state)
        .await
        .map_err(|e| anyhow::anyhow!("{e:?}"))?;
    let data = app
        .ok(
            "mutation($e: String!, $p: String!) { signIn(input: {email: $e, password: $p}) { token } }",
            json!({ "e": api::demo::ADMIN_EMAIL, "p": api::demo::ADMIN_PASSWORD }),
            None,
        )
        .await?;
    Ok((
        demo,
        data["signIn"]["token"]
            .as_str()
            .unwrap_or_default()
            .to_owned(),
    ))
}

#[tokio::test]
async fn demo_needs_and_priorities_match_an_independent_computation() -> anyhow::Result<()> {
    let app = TestApp::spawn().await?;
    let (demo, token) = demo_admin(&app).await?;
    let programme = api::ids::encode("Programme", demo.programme_id);
    let reference: Value = serde_json::from_str(DEMO_NEEDS)?;

    let data = app
        .ok(PRIORITIES, json!({ "id": programme }), Some(&token))
        .await?;
    let priorities = &data["node"]["priorities"];

    assert_eq!(priorities["population"], 2800);
    for axis in priorities["axes"].as_array().unwrap() {
        let expected = &reference["axes"][axis["axis"]["name"].as_str().unwrap()];
        assert_eq!(axis["learnersWithNeed"], expected["flagged"]);
        assert!(close(
            &axis["meanSeverity"],
            expected["mean_severity"].as_f64().unwrap(),
            1e-12
        ));
        assert!(
            close(&axis["score"], expected["score"].as_f64().unwrap(), 1e-12),
            "{axis}"
        );
        assert!(
            axis["explanation"]
                .as_str()
                .unwrap()
                .contains("of 2800 learners")
        );
    }
    assert_eq!(priorities["axes"][0]["axis"]["name"], "Wellbeing");
    for item in priorities["interventions"].as_array().unwrap() {
        let expected = &reference["interventions"][item["intervention"]["name"].as_str().unwrap()];
        assert!(
            close(&item["score"], expected["score"].as_f64().unwrap(), 1e-12),
            "{item}"
        );
        assert!(close(
            &item["costPerLearnerMonth"],
            expected["cost_per_learner_month"].as_f64().unwrap(),
            1e-12
        ));
    }
    assert_eq!(
        priorities["interventions"][0]["intervention"]["name"],
        "Peer support forum"
    );

    // Every derived need names the real respondent's score and the rule.
    let needs = app
        .ok(
            r#"query($id: ID!) { node(id: $id) { ... on Programme {
                needs(first: 100, source: QUESTIONNAIRE, minSeverity: 5) { edges { node { severity evidence learner { externalRef } axis { name } } } } } } }"#,
            json!({ "id": programme }),
            Some(&token),
        )
        .await?;
    let severe = needs["node"]["needs"]["edges"].as_array().unwrap();
    let expected_severe = reference["axes"]["Wellbeing"]["by_severity"]["5"]
        .as_u64()
        .unwrap()
        + reference["axes"]["Study methods"]["by_severity"]["5"]
            .as_u64()
            .unwrap();
    assert_eq!(severe.len() as u64, expected_severe);
    assert!(severe.iter().all(|e| {
        e["node"]["evidence"]
            .as_str()
            .unwrap()
            .contains("⇒ severity 5")
    }));
    assert!(
        severe
            .iter()
            .all(|e| e["node"]["learner"]["externalRef"].is_string())
    );
    app.stop().await
}

/// A small programme whose priorities are worked out by hand in the comments.
#[tokio::test]
async fn priorities_follow_the_hand_computation_and_what_if_stores_nothing() -> anyhow::Result<()> {
    let app = TestApp::spawn().await?;
    let token = app
        .account("plan", "coord@plan.test", Role::Coordinator)
        .await?;
    let programme = app
        .ok(
            r#"mutation { createProgramme(input: { name: "Pilot", startsOn: "2026-09-01", endsOn: "2027-06-30",
                goals: ["Fewer drop-outs"], budget: 10000, currency: "EUR", expectedLearners: 10 }) { programme { id } } }"#,
            json!({}),
            Some(&token),
        )
        .await?["createProgramme"]["programme"]["id"]
        .clone();
    let axis = |name: &str, kind: &str, weight: f64| json!({ "input": { "programmeId": programme, "name": name, "kind": kind, "weight": weight } });
    let create_axis = "mutation($input: CreateSupportAxisInput!) { createSupportAxis(input: $input) { axis { id } } }";
    let method = app
        .ok(
            create_axis,
            axis("Method", "METHODOLOGY", 2.0),
            Some(&token),
        )
        .await?["createSupportAxis"]["axis"]["id"]
        .clone();
    let wellbeing = app
        .ok(
            create_axis,
            axis("Wellbeing", "WELLBEING", 1.0),
            Some(&token),
        )
        .await?["createSupportAxis"]["axis"]["id"]
        .clone();
    let learners = crate::fixtures::learners(
        &app,
        &token,
        &[
            "l1@plan.test",
            "l2@plan.test",
            "l3@plan.test",
            "l4@plan.test",
        ],
    )
    .await?;
    let create_need =
        "mutation($input: CreateNeedInput!) { createNeed(input: $input) { need { id } } }";
    for (axis, learner, severity) in [
        (&method, &learners[0], 5),
        (&method, &learners[1], 3),
        (&wellbeing, &learners[0], 4),
        (&wellbeing, &learners[1], 4),
        (&wellbeing, &learners[2], 4),
        (&wellbeing, &learners[3], 4),
    ] {
        let input = json!({ "input": { "axisId": axis, "learnerId": learner, "severity": severity, "source": "COORDINATOR" } });
        app.ok(create_need, input, Some(&token)).await?;
    }
    let create_intervention = "mutation($input: CreateInterventionInput!) { createIntervention(input: $input) { intervention { id } } }";
    for (name, format, group, cost) in [
        ("Workshop", "GROUP", 8, 120.0),
        ("Coaching", "INDIVIDUAL", 1, 40.0),
    ] {
        let input = json!({ "input": { "axisId": method, "name": name, "format": format, "tool": "VIDEO",
            "sessionsPerMonth": 2, "sessionMinutes": 60, "groupSize": group, "sessionCost": cost } });
        app.ok(create_intervention, input, Some(&token)).await?;
    }

    let stored = app
        .ok(PRIORITIES, json!({ "id": programme }), Some(&token))
        .await?;
    let what_if = app
        .ok(
            PRIORITIES,
            json!({ "id": programme, "weights": [{ "axisId": wellbeing, "weight": 3 }] }),
            Some(&token),
        )
        .await?;
    let again = app
        .ok(PRIORITIES, json!({ "id": programme }), Some(&token))
        .await?;

    // Method: 2/10 learners × (mean 4 ÷ 5) × weight 2 = 0.32.
    // Wellbeing: 4/10 × (4 ÷ 5) × 1 = 0.32: equal, so both rank 1.
    let axes = stored["node"]["priorities"]["axes"]
        .as_array()
        .unwrap()
        .clone();
    assert!(
        axes.iter()
            .all(|a| close(&a["score"], 0.32, 1e-12) && a["rank"] == 1)
    );
    // Workshop place: 120 × 2 ÷ 8 = 30 a month → 0.32 / 30; coaching 40 × 2 = 80 → 0.32 / 80.
    let interventions = stored["node"]["priorities"]["interventions"]
        .as_array()
        .unwrap()
        .clone();
    assert_eq!(interventions[0]["intervention"]["name"], "Workshop");
    assert!(close(&interventions[0]["score"], 0.32 / 30.0, 1e-12));
    assert!(close(&interventions[1]["score"], 0.32 / 80.0, 1e-12));
    assert!(
        interventions[0]["explanation"]
            .as_str()
            .unwrap()
            .contains("= 30.00 a month")
    );
    // What if wellbeing weighed 3: 0.4 × 0.8 × 3 = 0.96, first alone.
    let first = &what_if["node"]["priorities"]["axes"][0];
    assert_eq!(
        (first["axis"]["name"].clone(), first["rank"].clone()),
        (json!("Wellbeing"), json!(1))
    );
    assert!(close(&first["score"], 0.96, 1e-12));
    assert_eq!(what_if["node"]["priorities"]["axes"][1]["rank"], 2);
    // Nothing was stored.
    assert_eq!(again["node"]["axes"], stored["node"]["axes"]);
    assert_eq!(
        again["node"]["priorities"]["axes"],
        stored["node"]["priorities"]["axes"]
    );
    app.stop().await
}

#[tokio::test]
async fn bad_designs_are_refused_and_change_nothing() -> anyhow::Result<()> {
    let app = TestApp::spawn().await?;
    let token = app.account("bad", "coord@bad.test", Role::Admin).await?;
    let observer = app.account("bad", "watch@bad.test", Role::Observer).await?;
    let create_programme = "mutation($input: CreateProgrammeInput!) { createProgramme(input: $input) { programme { id } } }";
    let programme = app
        .ok(
            create_programme,
            json!({ "input": { "name": "P", "startsOn": "2026-09-01", "endsOn": "2027-06-30", "budget": 1000, "currency": "EUR" } }),
            Some(&token),
        )
        .await?["createProgramme"]["programme"]["id"]
        .clone();
    let create_axis = "mutation($input: CreateSupportAxisInput!) { createSupportAxis(input: $input) { axis { id } } }";
    let axis = app
        .ok(create_axis, json!({ "input": { "programmeId": programme, "name": "A", "kind": "SUBJECT", "weight": 5 } }), Some(&token))
        .await?["createSupportAxis"]["axis"]["id"]
        .clone();
    let learner = crate::fixtures::learners(&app, &token, &["l@bad.test"])
        .await?
        .remove(0);
    let create_intervention = "mutation($input: CreateInterventionInput!) { createIntervention(input: $input) { intervention { id } } }";
    let intervention = |axis: &Value, minutes: i32, group: i32, format: &str| {
        json!({ "input": { "axisId": axis, "name": "I", "format": format, "tool": "CHAT",
            "sessionsPerMonth": 1, "sessionMinutes": minutes, "groupSize": group, "sessionCost": 10 } })
    };
    let problems = |body: &Value| -> Vec<String> {
        body["errors"][0]["extensions"]["problems"]
            .as_array()
            .map(|p| {
                p.iter()
                    .filter_map(|p| p["field"].as_str().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default()
    };

    let backwards = app
        .post(
            create_programme,
            json!({ "input": { "name": "", "startsOn": "2027-01-01", "endsOn": "2026-01-01", "budget": -1, "currency": "euro" } }),
            Some(&token),
        )
        .await?;
    let heavy = app
        .post(create_axis, json!({ "input": { "programmeId": programme, "name": "B", "kind": "OTHER", "weight": 11 } }), Some(&token))
        .await?;
    let negative = app
        .post(
            create_intervention,
            intervention(&axis, -30, 1, "INDIVIDUAL"),
            Some(&token),
        )
        .await?;
    let crowded = app
        .post(
            create_intervention,
            intervention(&axis, 30, 4, "INDIVIDUAL"),
            Some(&token),
        )
        .await?;
    let unknown_axis = api::ids::encode("SupportAxis", 987_654).0;
    let nowhere = app
        .error_code(
            create_intervention,
            intervention(&json!(unknown_axis), 30, 1, "INDIVIDUAL"),
            Some(&token),
        )
        .await?;
    let create_need =
        "mutation($input: CreateNeedInput!) { createNeed(input: $input) { need { id } } }";
    let need = |severity: i32, source: &str| json!({ "input": { "axisId": axis, "learnerId": learner, "severity": severity, "source": source } });
    let too_severe = app
        .error_code(create_need, need(6, "COORDINATOR"), Some(&token))
        .await?;
    let forged_source = app
        .error_code(create_need, need(3, "QUESTIONNAIRE"), Some(&token))
        .await?;
    app.ok(create_need, need(3, "LEARNER"), Some(&token))
        .await?;
    let twice = app
        .error_code(create_need, need(2, "LEARNER"), Some(&token))
        .await?;
    let what_if = app
        .error_code(
            PRIORITIES,
            json!({ "id": programme, "weights": [{ "axisId": axis, "weight": -1 }] }),
            Some(&token),
        )
        .await?;
    let by_observer = app
        .error_code(create_axis, json!({ "input": { "programmeId": programme, "name": "C", "kind": "OTHER", "weight": 1 } }), Some(&observer))
        .await?;

    assert_eq!(
        problems(&backwards),
        ["name", "endsOn", "budget", "currency"]
    );
    assert_eq!(problems(&heavy), ["weight"]);
    assert_eq!(problems(&negative), ["sessionMinutes"]);
    assert_eq!(problems(&crowded), ["groupSize"]);
    assert_eq!(nowhere, "NOT_FOUND");
    assert_eq!(
        (too_severe, forged_source),
        ("BAD_USER_INPUT".to_owned(), "BAD_USER_INPUT".to_owned())
    );
    assert_eq!(twice, "CONFLICT");
    assert_eq!(
        (what_if, by_observer),
        ("BAD_USER_INPUT".to_owned(), "FORBIDDEN".to_owned())
    );
    let after = app
        .ok(
            "query($id: ID!) { node(id: $id) { ... on Programme { axes { name } interventions { id } needs { edges { node { severity } } } } } }",
            json!({ "id": programme }),
            Some(&token),
        )
        .await?;
    assert_eq!(after["node"]["axes"], json!([{ "name": "A" }]));
    assert_eq!(after["node"]["interventions"], json!([]));
    assert_eq!(
        after["node"]["needs"]["edges"],
        json!([{ "node": { "severity": 3 } }])
    );
    let programmes = app
        .ok(
            "{ programmes { edges { node { id } } } }",
            json!({}),
            Some(&token),
        )
        .await?;
    assert_eq!(
        programmes["programmes"]["edges"].as_array().unwrap().len(),
        1
    );
    app.stop().await
}

#[tokio::test]
async fn roles_guide_and_standards_are_checked_and_the_guide_is_open_to_tutors()
-> anyhow::Result<()> {
    let app = TestApp::spawn().await?;
    let token = app
        .account("guide", "coord@guide.test", Role::Coordinator)
        .await?;
    let tutor = app
        .account("guide", "tutor@guide.test", Role::Tutor)
        .await?;
    let programme = crate::fixtures::programme(&app, &token).await?;
    let set_standard = "mutation($input: SetStandardInput!) { setStandard(input: $input) { standard { kind threshold severity } } }";
    let standard = |threshold: Value| json!({ "input": { "programmeId": programme, "kind": "FIRST_CONTACT_DAYS", "threshold": threshold, "severity": "HIGH" } });
    let create_role = "mutation($input: CreateTutorRoleInput!) { createTutorRole(input: $input) { role { id name functions } } }";
    let role = |cost: f64, functions: Value| json!({ "input": { "programmeId": programme, "name": "Mentor", "kind": "MENTOR", "functions": functions, "hourlyCost": cost } });
    let publish = "mutation($input: PublishGuideInput!) { publishGuide(input: $input) { guide { version } } }";
    let guide = |body: &str| json!({ "input": { "programmeId": programme, "body": body } });

    let no_threshold = app
        .post(set_standard, standard(Value::Null), Some(&token))
        .await?;
    let zero_threshold = app
        .error_code(set_standard, standard(json!(0)), Some(&token))
        .await?;
    let negative_cost = app
        .post(create_role, role(-5.0, json!(["Listen"])), Some(&token))
        .await?;
    let no_functions = app
        .error_code(create_role, role(30.0, json!([])), Some(&token))
        .await?;
    let empty_guide = app.error_code(publish, guide("  "), Some(&token)).await?;
    let by_tutor = app
        .error_code(publish, guide("# Mine"), Some(&tutor))
        .await?;

    assert_eq!(
        no_threshold["errors"][0]["extensions"]["problems"][0]["field"],
        "threshold"
    );
    assert_eq!(zero_threshold, "BAD_USER_INPUT");
    assert_eq!(
        negative_cost["errors"][0]["extensions"]["problems"][0]["field"],
        "hourlyCost"
    );
    assert_eq!(
        (no_functions, empty_guide),
        ("BAD_USER_INPUT".to_owned(), "BAD_USER_INPUT".to_owned())
    );
    assert_eq!(by_tutor, "FORBIDDEN");

    app.ok(set_standard, standard(json!(14)), Some(&token))
        .await?;
    let replaced = app
        .ok(set_standard, standard(json!(10)), Some(&token))
        .await?;
    app.ok(
        create_role,
        role(30.0, json!(["Listen", "Refer"])),
        Some(&token),
    )
    .await?;
    let first = app
        .ok(publish, guide("# Guide\n\nv1"), Some(&token))
        .await?;
    let second = app
        .ok(publish, guide("# Guide\n\nv2"), Some(&token))
        .await?;
    assert_eq!(replaced["setStandard"]["standard"]["threshold"], 10);
    assert_eq!(
        (
            first["publishGuide"]["guide"]["version"].clone(),
            second["publishGuide"]["guide"]["version"].clone()
        ),
        (json!(1), json!(2))
    );

    // Tutors read the guide, not the programme's design.
    let read = "query($id: ID!) { tutorialGuide(programmeId: $id) { current { version body } standards { kind threshold } } }";
    let seen = app
        .ok(read, json!({ "id": programme }), Some(&tutor))
        .await?;
    assert_eq!(seen["tutorialGuide"]["current"]["version"], 2);
    assert_eq!(
        seen["tutorialGuide"]["standards"],
        json!([{ "kind": "FIRST_CONTACT_DAYS", "threshold": 10 }])
    );
    // Tutors find the programme, not its money.
    let listed = app
        .ok(
            "{ programmes { edges { node { name } } } }",
            json!({}),
            Some(&tutor),
        )
        .await?;
    assert_eq!(listed["programmes"]["edges"].as_array().unwrap().len(), 1);
    let costs = "query($id: ID!) { node(id: $id) { ... on Programme { costs { budget } } } }";
    assert_eq!(
        app.error_code(costs, json!({ "id": programme }), Some(&tutor))
            .await?,
        "FORBIDDEN"
    );
    let design = app
        .ok("query($id: ID!) { node(id: $id) { ... on Programme { roles { name functions } guideVersions { version } } } }", json!({ "id": programme }), Some(&token))
        .await?;
    assert_eq!(
        design["node"]["roles"],
        json!([{ "name": "Mentor", "functions": ["Listen", "Refer"] }])
    );
    assert_eq!(
        design["node"]["guideVersions"],
        json!([{ "version": 2 }, { "version": 1 }])
    );
    app.stop().await
}

/// Known rates and sessions, with every figure worked out by hand.
#[tokio::test]
async fn costs_per_learner_axis_and_role_are_exact() -> anyhow::Result<()> {
    let app = TestApp::spawn().await?;
    let token = app
        .account("cost", "coord@cost.test", Role::Coordinator)
        .await?;
    let programme = app
        .ok(
            r#"mutation { createProgramme(input: { name: "P", startsOn: "2026-09-01", endsOn: "2027-06-30",
                budget: 5000, currency: "EUR", expectedLearners: 25 }) { programme { id } } }"#,
            json!({}),
            Some(&token),
        )
        .await?["createProgramme"]["programme"]["id"]
        .clone();
    let create_axis = "mutation($input: CreateSupportAxisInput!) { createSupportAxis(input: $input) { axis { id } } }";
    let axis = |name: &str| json!({ "input": { "programmeId": programme, "name": name, "kind": "SUBJECT", "weight": 1 } });
    let maths =
        app.ok(create_axis, axis("Maths"), Some(&token)).await?["createSupportAxis"]["axis"]["id"]
            .clone();
    let writing = app.ok(create_axis, axis("Writing"), Some(&token)).await?["createSupportAxis"]["axis"]["id"].clone();
    let role = app
        .ok(
            "mutation($input: CreateTutorRoleInput!) { createTutorRole(input: $input) { role { id } } }",
            json!({ "input": { "programmeId": programme, "name": "Tutor", "kind": "TUTOR", "functions": ["Teach"], "hourlyCost": 40 } }),
            Some(&token),
        )
        .await?["createTutorRole"]["role"]["id"]
        .clone();
    let create = "mutation($input: CreateInterventionInput!) { createIntervention(input: $input) { intervention { id } } }";
    let workshop = app
        .ok(create, json!({ "input": { "axisId": maths, "name": "Workshop", "format": "GROUP", "tool": "IN_PERSON",
            "sessionsPerMonth": 2, "sessionMinutes": 90, "groupSize": 8, "sessionCost": 50, "roleId": role,
            "durationMonths": 3, "plannedLearners": 20 } }), Some(&token))
        .await?["createIntervention"]["intervention"]["id"]
        .clone();
    let clinic = app
        .ok(create, json!({ "input": { "axisId": writing, "name": "Clinic", "format": "INDIVIDUAL", "tool": "EMAIL",
            "sessionsPerMonth": 2, "sessionMinutes": 30, "sessionCost": 10, "plannedLearners": 5 } }), Some(&token))
        .await?["createIntervention"]["intervention"]["id"]
        .clone();
    let learners = crate::fixtures::learners(&app, &token, &["a@cost.test", "b@cost.test"]).await?;
    let log = "mutation($input: LogSessionInput!) { logSession(input: $input) { sessionId } }";
    let session = |intervention: &Value, minutes: i32, who: &[&String]| {
        let participants: Vec<Value> = who.iter().map(|l| json!({ "learnerId": l })).collect();
        json!({ "input": { "interventionId": intervention, "heldAt": "2026-10-01T14:00:00Z", "minutes": minutes, "participants": participants } })
    };
    app.ok(
        log,
        session(&workshop, 90, &[&learners[0], &learners[1]]),
        Some(&token),
    )
    .await?;
    app.ok(log, session(&workshop, 30, &[&learners[0]]), Some(&token))
        .await?;
    app.ok(log, session(&clinic, 30, &[&learners[1]]), Some(&token))
        .await?;

    let data = app
        .ok(
            r#"query($id: ID!, $axis: ID!) { node(id: $id) { ... on Programme {
                costs { budget budgetConsumed plannedShareOfBudget
                  planned { total learners perLearner byAxis { name amount } byRole { name amount } byIntervention { name amount } }
                  actual { total learners perLearner byAxis { name amount } byRole { name amount } byLearner { id amount } } }
                costScenario(axisId: $axis, extraLearners: 5) { total interventions { extraGroups extraCost intervention { name } } } } } }"#,
            json!({ "id": programme, "axis": maths }),
            Some(&token),
        )
        .await?;
    let costs = &data["node"]["costs"];

    // Planned. Workshop session: 50 + 1.5 h × 40 = 110; 20 learners need 3 groups of 8;
    // 3 × 2 a month × 3 months × 110 = 1980. Clinic: no role, 10 a session;
    // 5 learners × 2 × 1 month × 10 = 100. Total 2080, 2080 ÷ 25 = 83.2 a learner.
    assert_eq!(costs["planned"]["total"], 2080.0);
    assert_eq!(costs["planned"]["perLearner"], 83.2);
    assert_eq!(
        costs["planned"]["byAxis"],
        json!([{ "name": "Maths", "amount": 1980.0 }, { "name": "Writing", "amount": 100.0 }])
    );
    assert_eq!(
        costs["planned"]["byRole"],
        json!([{ "name": "no role", "amount": 100.0 }, { "name": "Tutor", "amount": 1980.0 }])
    );
    // Actual. 90 min workshop: 110, shared 55 / 55; 30 min workshop: 50 + 20 = 70 to A;
    // clinic: 10 to B. Total 190 over 2 learners: 95 each; A 125, B 65.
    assert_eq!(costs["actual"]["total"], 190.0);
    assert_eq!(costs["actual"]["perLearner"], 95.0);
    assert_eq!(
        costs["actual"]["byAxis"],
        json!([{ "name": "Maths", "amount": 180.0 }, { "name": "Writing", "amount": 10.0 }])
    );
    assert_eq!(
        costs["actual"]["byRole"],
        json!([{ "name": "no role", "amount": 10.0 }, { "name": "Tutor", "amount": 180.0 }])
    );
    assert_eq!(
        costs["actual"]["byLearner"],
        json!([{ "id": learners[0], "amount": 125.0 }, { "id": learners[1], "amount": 65.0 }])
    );
    // Budget 5000: 190 ÷ 5000 = 0.038 spent, 2080 ÷ 5000 = 0.416 planned.
    assert_eq!(
        (
            costs["budgetConsumed"].clone(),
            costs["plannedShareOfBudget"].clone()
        ),
        (json!(0.038), json!(0.416))
    );
    // 5 more on maths: 25 learners need 4 groups, one more: 2 × 3 × 110 = 660.
    let scenario = &data["node"]["costScenario"];
    assert_eq!(scenario["total"], 660.0);
    assert_eq!(
        scenario["interventions"],
        json!([{ "extraGroups": 1, "extraCost": 660.0, "intervention": { "name": "Workshop" } }])
    );

    // Bad sessions are refused and change nothing.
    let negative = app
        .error_code(log, session(&workshop, -5, &[&learners[0]]), Some(&token))
        .await?;
    let nobody = app
        .error_code(log, session(&clinic, 30, &[]), Some(&token))
        .await?;
    let crowd = app
        .error_code(
            log,
            session(&clinic, 30, &[&learners[0], &learners[1]]),
            Some(&token),
        )
        .await?;
    assert_eq!(
        [negative, nobody, crowd],
        ["BAD_USER_INPUT", "BAD_USER_INPUT", "BAD_USER_INPUT"]
    );
    let after = app
        .ok(
            "query($id: ID!) { node(id: $id) { ... on Programme { costs { actual { total } } } } }",
            json!({ "id": programme }),
            Some(&token),
        )
        .await?;
    assert_eq!(after["node"]["costs"]["actual"]["total"], 190.0);
    app.stop().await
}

#[tokio::test]
async fn needs_page_by_severity_without_skipping_or_repeating_ties() -> anyhow::Result<()> {
    let app = TestApp::spawn().await?;
    let token = app
        .account("sort", "coord@sort.test", Role::Coordinator)
        .await?;
    let programme = crate::fixtures::programme(&app, &token).await?;
    let axis = app
        .ok(
            "mutation($input: CreateSupportAxisInput!) { createSupportAxis(input: $input) { axis { id } } }",
            json!({ "input": { "programmeId": programme, "name": "A", "kind": "SUBJECT", "weight": 1 } }),
            Some(&token),
        )
        .await?["createSupportAxis"]["axis"]["id"]
        .clone();
    let emails: Vec<String> = (0..5).map(|i| format!("l{i}@sort.test")).collect();
    let emails: Vec<&str> = emails.iter().map(String::as_str).collect();
    let learners = crate::fixtures::learners(&app, &token, &emails).await?;
    for (learner, severity) in learners.iter().zip([3, 5, 3, 5, 1]) {
        let input = json!({ "input": { "axisId": axis, "learnerId": learner, "severity": severity, "source": "COORDINATOR" } });
        app.ok(
            "mutation($input: CreateNeedInput!) { createNeed(input: $input) { need { id } } }",
            input,
            Some(&token),
        )
        .await?;
    }
    let query = r#"query($id: ID!, $after: String) { node(id: $id) { ... on Programme {
        needs(first: 2, after: $after, orderBy: MOST_SEVERE) {
          pageInfo { hasNextPage endCursor } edges { node { severity learner { id } } } } } } }"#;

    let mut seen = Vec::new();
    let mut after = Value::Null;
    loop {
        let page = app
            .ok(
                query,
                json!({ "id": programme, "after": after }),
                Some(&token),
            )
            .await?;
        let needs = &page["node"]["needs"];
        for edge in needs["edges"].as_array().unwrap() {
            seen.push((
                edge["node"]["severity"].as_i64().unwrap(),
                edge["node"]["learner"]["id"].as_str().unwrap().to_owned(),
            ));
        }
        if needs["pageInfo"]["hasNextPage"] != true {
            break;
        }
        after = needs["pageInfo"]["endCursor"].clone();
    }

    let severities: Vec<i64> = seen.iter().map(|s| s.0).collect();
    assert_eq!(severities, [5, 5, 3, 3, 1]);
    // Ties keep the order the needs were recorded in.
    let order: Vec<&str> = seen.iter().map(|s| s.1.as_str()).collect();
    assert_eq!(
        order,
        [
            &learners[1],
            &learners[3],
            &learners[0],
            &learners[2],
            &learners[4]
        ]
        .map(String::as_str)
    );
    let bad = app
        .error_code(
            query,
            json!({ "id": programme, "after": "not-a-cursor" }),
            Some(&token),
        )
        .await?;
    assert_eq!(bad, "BAD_USER_INPUT");
    app.stop().await
}

#[tokio::test]
async fn design_inputs_are_bounded_and_absent_learners_are_not_charged() -> anyhow::Result<()> {
    let app = TestApp::spawn().await?;
    let token = app
        .account("bound", "coord@bound.test", Role::Coordinator)
        .await?;
    let programme = crate::fixtures::programme(&app, &token).await?;
    let create_axis = "mutation($input: CreateSupportAxisInput!) { createSupportAxis(input: $input) { axis { id } } }";
    let axis_input = |name: &str| json!({ "input": { "programmeId": programme, "name": name, "kind": "SUBJECT", "weight": 1 } });
    let axis = app.ok(create_axis, axis_input("A"), Some(&token)).await?["createSupportAxis"]["axis"]["id"].clone();

    // Text is bounded and free of control characters; money and time have sane ranges.
    let long = app
        .error_code(create_axis, axis_input(&"x".repeat(1_000)), Some(&token))
        .await?;
    let nul = app
        .error_code(create_axis, axis_input("a\u{0}b"), Some(&token))
        .await?;
    let role = app
        .error_code(
            "mutation($input: CreateTutorRoleInput!) { createTutorRole(input: $input) { role { id } } }",
            json!({ "input": { "programmeId": programme, "name": "R", "kind": "TUTOR", "functions": ["F"], "hourlyCost": 1e308 } }),
            Some(&token),
        )
        .await?;
    assert_eq!(
        [long, nul, role],
        ["BAD_USER_INPUT", "BAD_USER_INPUT", "BAD_USER_INPUT"]
    );

    // What-if weights name each axis once; expensive fields count against the limit.
    let twice = app
        .error_code(
            "query($id: ID!, $w: [AxisWeightInput!]) { node(id: $id) { ... on Programme { priorities(weights: $w) { population } } } }",
            json!({ "id": programme, "w": [{ "axisId": axis, "weight": 1 }, { "axisId": axis, "weight": 9 }] }),
            Some(&token),
        )
        .await?;
    let aliases: String = (0..20)
        .map(|i| format!("a{i}: priorities {{ population }} "))
        .collect();
    let many = app
        .post(
            &format!("query($id: ID!) {{ node(id: $id) {{ ... on Programme {{ {aliases} }} }} }}"),
            json!({ "id": programme }),
            Some(&token),
        )
        .await?;
    assert_eq!(twice, "BAD_USER_INPUT");
    assert!(
        many["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("complex"),
        "{many}"
    );

    // A session is charged to those who came, and only once held, within the programme.
    let group = app
        .ok(
            "mutation($input: CreateInterventionInput!) { createIntervention(input: $input) { intervention { id } } }",
            json!({ "input": { "axisId": axis, "name": "G", "format": "GROUP", "tool": "VIDEO", "sessionsPerMonth": 1,
                "sessionMinutes": 60, "groupSize": 3, "sessionCost": 90 } }),
            Some(&token),
        )
        .await?["createIntervention"]["intervention"]["id"]
        .clone();
    let learners = crate::fixtures::learners(
        &app,
        &token,
        &["a@bound.test", "b@bound.test", "c@bound.test"],
    )
    .await?;
    let log = "mutation($input: LogSessionInput!) { logSession(input: $input) { sessionId } }";
    let session = |at: &str| {
        json!({ "input": { "interventionId": group, "heldAt": at, "minutes": 60, "participants": [
            { "learnerId": learners[0] }, { "learnerId": learners[1] }, { "learnerId": learners[2], "attended": false } ] } })
    };
    app.ok(log, session("2026-10-01T10:00:00Z"), Some(&token))
        .await?;
    let future = app
        .error_code(log, session("2999-01-01T10:00:00Z"), Some(&token))
        .await?;
    let before = app
        .error_code(log, session("2020-01-01T10:00:00Z"), Some(&token))
        .await?;
    assert_eq!(
        (future, before),
        ("BAD_USER_INPUT".to_owned(), "BAD_USER_INPUT".to_owned())
    );
    let costs = app
        .ok(
            "query($id: ID!) { node(id: $id) { ... on Programme { costs { actual { total learners byLearner { name amount } } } } } }",
            json!({ "id": programme }),
            Some(&token),
        )
        .await?;
    // 90 shared by the two who came; the absent third pays nothing.
    assert_eq!(
        costs["node"]["costs"]["actual"],
        json!({ "total": 90.0, "learners": 2, "byLearner": [
            { "name": "Learner a@bound.test", "amount": 45.0 }, { "name": "Learner b@bound.test", "amount": 45.0 } ] })
    );
    app.stop().await
}

#[tokio::test]
async fn one_rule_per_axis_and_hand_set_severities_survive_reapplying() -> anyhow::Result<()> {
    let app = TestApp::spawn().await?;
    let (demo, token) = demo_admin(&app).await?;
    let programme = api::ids::encode("Programme", demo.programme_id);
    let rules = app
        .ok("query($id: ID!) { node(id: $id) { ... on Programme { needRules { id axis { id } } } } }", json!({ "id": programme }), Some(&token))
        .await?;
    let rule = rules["node"]["needRules"][0].clone();
    let second = app
        .error_code(
            "mutation($input: CreateNeedRuleInput!) { createNeedRule(input: $input) { rule { id } } }",
            json!({ "input": { "axisId": rule["axis"]["id"], "campaignId": api::campaigns::global_id(demo.learner_campaign_id),
                "scaleCode": "N", "direction": "ABOVE", "threshold": 4.5 } }),
            Some(&token),
        )
        .await?;
    assert_eq!(second, "CONFLICT");

    // The oldest need on the axis stays first: edit it by hand, apply the rule again.
    let first_need = "query($id: ID!, $axis: ID) { node(id: $id) { ... on Programme {
        needs(first: 1, axisId: $axis) { edges { node { id severity } } } } } }";
    let vars = json!({ "id": programme, "axis": rule["axis"]["id"] });
    let before = app.ok(first_need, vars.clone(), Some(&token)).await?;
    let need = before["node"]["needs"]["edges"][0]["node"].clone();
    let by_hand = if need["severity"] == 5 { 1 } else { 5 };
    app.ok(
        "mutation($input: UpdateNeedInput!) { updateNeed(input: $input) { need { severity } } }",
        json!({ "input": { "needId": need["id"], "severity": by_hand } }),
        Some(&token),
    )
    .await?;
    app.ok(
        "mutation($input: ApplyNeedRuleInput!) { applyNeedRule(input: $input) { flagged } }",
        json!({ "input": { "ruleId": rule["id"] } }),
        Some(&token),
    )
    .await?;

    let after = app.ok(first_need, vars, Some(&token)).await?;
    let kept = &after["node"]["needs"]["edges"][0]["node"];
    assert_eq!(
        (kept["id"].clone(), kept["severity"].clone()),
        (need["id"].clone(), json!(by_hand))
    );
    app.stop().await
}
