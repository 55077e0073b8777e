//! Running the tutorial scenario: matching runs and their explanations, the
//! lifecycle of a matching, capacity under concurrent acceptance, plans,
//! sessions, calendars, and the nightly monitoring of relations.

use chrono::{Duration, Utc};
use entities::Role;
use serde_json::{Value, json};
use tests::TestApp;
use worker::Job;

/// A programme with two axes, a tutor role, an intervention, four learners
/// and two tutors; the coordinator's token.
pub(crate) struct Scenario {
    pub(crate) token: String,
    pub(crate) programme: Value,
    pub(crate) method: Value,
    wellbeing: Value,
    pub(crate) role: Value,
    pub(crate) coaching: Value,
    pub(crate) learners: Vec<Value>,
    pub(crate) tutors: Vec<Value>,
}

pub(crate) async fn scenario(app: &TestApp, org: &str) -> anyhow::Result<Scenario> {
    let token = app
        .account(org, &format!("coord@{org}.test"), Role::Coordinator)
        .await?;
    let programme = crate::fixtures::programme(app, &token).await?;
    let create_axis = "mutation($input: CreateSupportAxisInput!) { createSupportAxis(input: $input) { axis { id } } }";
    let axis = |name: &str, kind: &str| json!({ "input": { "programmeId": programme, "name": name, "kind": kind, "weight": 1 } });
    let method = app
        .ok(create_axis, axis("Method", "METHODOLOGY"), Some(&token))
        .await?["createSupportAxis"]["axis"]["id"]
        .clone();
    let wellbeing = app
        .ok(create_axis, axis("Wellbeing", "WELLBEING"), Some(&token))
        .await?["createSupportAxis"]["axis"]["id"]
        .clone();
    let role = app
        .ok(
            "mutation($input: CreateTutorRoleInput!) { createTutorRole(input: $input) { role { id } } }",
            json!({ "input": { "programmeId": programme, "name": "Tutor", "kind": "TUTOR", "functions": ["Plan and follow up"], "hourlyCost": 30 } }),
            Some(&token),
        )
        .await?["createTutorRole"]["role"]["id"]
        .clone();
    let coaching = app
        .ok(
            "mutation($input: CreateInterventionInput!) { createIntervention(input: $input) { intervention { id } } }",
            json!({ "input": { "axisId": method, "name": "Coaching", "format": "INDIVIDUAL", "tool": "VIDEO",
                "sessionsPerMonth": 2, "sessionMinutes": 45, "groupSize": 1, "sessionCost": 10 } }),
            Some(&token),
        )
        .await?["createIntervention"]["intervention"]["id"]
        .clone();
    let learners: Vec<Value> = crate::fixtures::learners(
        app,
        &token,
        &[
            &format!("l1@{org}.test"),
            &format!("l2@{org}.test"),
            &format!("l3@{org}.test"),
            &format!("l4@{org}.test"),
        ],
    )
    .await?
    .into_iter()
    .map(Value::from)
    .collect();
    let tutors: Vec<Value> = app
        .ok(
            "mutation($input: CreatePeopleInput!) { createPeople(input: $input) { people { id } } }",
            json!({ "input": { "people": [
                { "name": "Tutor One", "kind": "TUTOR" },
                { "name": "Tutor Two", "kind": "TUTOR" }
            ] } }),
            Some(&token),
        )
        .await?["createPeople"]["people"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["id"].clone())
        .collect();
    Ok(Scenario {
        token,
        programme,
        method,
        wellbeing,
        role,
        coaching,
        learners,
        tutors,
    })
}

async fn need(
    app: &TestApp,
    s: &Scenario,
    axis: &Value,
    learner: &Value,
    severity: i32,
) -> anyhow::Result<()> {
    app.ok(
        "mutation($input: CreateNeedInput!) { createNeed(input: $input) { need { id } } }",
        json!({ "input": { "axisId": axis, "learnerId": learner, "severity": severity, "source": "COORDINATOR" } }),
        Some(&s.token),
    )
    .await?;
    Ok(())
}

const SET_TUTOR: &str = "mutation($input: SetTutorProfileInput!) { setTutorProfile(input: $input) { capacity activeLearners accepting } }";
const RUN: &str = r#"mutation($input: RunMatchingInput!) { runMatching(input: $input) {
    id status learners proposed totalScore ruledOut { constraint pairs }
    matchings(first: 50) { nodes { id status score learner { id } tutor { id }
        breakdown { criterion value weight points } } } } }"#;
const DECIDE: &str = "mutation($input: DecideMatchingInput!) { acceptMatching(input: $input) { id status activatedAt } }";
const MATCHINGS: &str = r#"query($p: ID!, $s: MatchingStatus) { matchings(programmeId: $p, status: $s, first: 50) {
    nodes { id status reason learner { id } tutor { id } } } }"#;

async fn run(app: &TestApp, s: &Scenario) -> anyhow::Result<Value> {
    Ok(app
        .ok(
            RUN,
            json!({ "input": { "programmeId": s.programme, "roleId": s.role } }),
            Some(&s.token),
        )
        .await?["runMatching"]
        .clone())
}

fn pair_of(m: &Value) -> (Value, Value) {
    (m["learner"]["id"].clone(), m["tutor"]["id"].clone())
}

#[tokio::test]
async fn runs_propose_the_best_pairs_explain_exclusions_and_keep_active_matchings()
-> anyhow::Result<()> {
    let app = TestApp::spawn().await?;
    let s = scenario(&app, "match").await?;
    let (l, t) = (&s.learners, &s.tutors);
    need(&app, &s, &s.method, &l[0], 5).await?;
    need(&app, &s, &s.wellbeing, &l[1], 4).await?;
    need(&app, &s, &s.method, &l[2], 2).await?;
    need(&app, &s, &s.method, &l[3], 3).await?;
    // Tutor One: English, method, Mondays 09–12, two places.
    // Tutor Two: French, wellbeing, any time, one place.
    app.ok(
        SET_TUTOR,
        json!({ "input": { "programmeId": s.programme, "tutorId": t[0], "roleIds": [s.role], "capacity": 2,
            "languages": ["en"], "availability": [{ "weekday": "MONDAY", "from": "09:00", "to": "12:00" }],
            "modes": ["VIDEO"], "competences": [{ "axisId": s.method, "level": 5 }] } }),
        Some(&s.token),
    )
    .await?;
    app.ok(
        SET_TUTOR,
        json!({ "input": { "programmeId": s.programme, "tutorId": t[1], "roleIds": [s.role], "capacity": 1,
            "languages": ["FR"], "competences": [{ "axisId": s.wellbeing, "level": 5 }] } }),
        Some(&s.token),
    )
    .await?;
    let set_learner = "mutation($input: SetLearnerProfileInput!) { setLearnerProfile(input: $input) { languages } }";
    // Learner 2 speaks French too; learner 3 is only free on Tuesdays.
    app.ok(
        set_learner,
        json!({ "input": { "programmeId": s.programme, "learnerId": l[1], "languages": ["fr", "en"] } }),
        Some(&s.token),
    )
    .await?;
    app.ok(
        set_learner,
        json!({ "input": { "programmeId": s.programme, "learnerId": l[2],
            "availability": [{ "weekday": "TUESDAY", "from": "09:00", "to": "10:00" }] } }),
        Some(&s.token),
    )
    .await?;
    app.ok(
        "mutation($input: PairInput!) { excludePair(input: $input) }",
        json!({ "input": { "programmeId": s.programme, "learnerId": l[3], "tutorId": t[0], "reason": "Relatives" } }),
        Some(&s.token),
    )
    .await?;

    let first = run(&app, &s).await?;
    assert_eq!(first["status"], "DONE");
    assert_eq!(first["learners"], 4);
    assert_eq!(first["proposed"], 2);
    let proposals = first["matchings"]["nodes"].as_array().unwrap().clone();
    let pairs: Vec<(Value, Value)> = proposals.iter().map(pair_of).collect();
    assert!(pairs.contains(&(l[0].clone(), t[0].clone())));
    assert!(pairs.contains(&(l[1].clone(), t[1].clone())));
    // Each score is the sum of its contributions, each weight × value.
    let mut total = 0.0;
    for p in &proposals {
        let breakdown = p["breakdown"].as_array().unwrap();
        assert_eq!(breakdown.len(), 6);
        let sum: f64 = breakdown
            .iter()
            .map(|c| c["points"].as_f64().unwrap())
            .sum();
        for c in breakdown {
            let expected = c["weight"].as_f64().unwrap() * c["value"].as_f64().unwrap();
            assert!((c["points"].as_f64().unwrap() - expected).abs() < 1e-9);
        }
        // Scores are kept in whole millionths.
        assert!((p["score"].as_f64().unwrap() - sum).abs() <= 5e-7);
        total += sum;
    }
    assert!((first["totalScore"].as_f64().unwrap() - total).abs() < 1e-5);
    let ruled_out: Vec<(String, u64)> = first["ruledOut"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["constraint"].as_str().unwrap().to_owned(),
                r["pairs"].as_u64().unwrap(),
            )
        })
        .collect();
    // l1–T2, l3–T2, l4–T2 share no language; l3–T1 share no time; l4–T1 is excluded.
    assert_eq!(
        ruled_out,
        [
            ("EXCLUDED".to_owned(), 1),
            ("NO_SHARED_LANGUAGE".to_owned(), 3),
            ("NO_COMMON_AVAILABILITY".to_owned(), 1)
        ]
    );

    // Why not? For learner 3, each tutor with the constraint that rules them out.
    let candidates = app
        .ok(
            r#"query($p: ID!, $r: ID!, $l: ID!) { matchingCandidates(programmeId: $p, roleId: $r, learnerId: $l) {
                tutor { id } eligible ruledOutBy score } }"#,
            json!({ "p": s.programme, "r": s.role, "l": l[2] }),
            Some(&s.token),
        )
        .await?["matchingCandidates"]
        .clone();
    let why: Vec<(Value, Value)> = candidates
        .as_array()
        .unwrap()
        .iter()
        .map(|c| (c["tutor"]["id"].clone(), c["ruledOutBy"].clone()))
        .collect();
    assert!(why.contains(&(t[0].clone(), json!("NO_COMMON_AVAILABILITY"))));
    assert!(why.contains(&(t[1].clone(), json!("NO_SHARED_LANGUAGE"))));

    // Accepting takes a place; a second decision on it is a conflict.
    let l1_t1 = proposals
        .iter()
        .find(|p| pair_of(p) == (l[0].clone(), t[0].clone()))
        .unwrap()["id"]
        .clone();
    let accepted = app
        .ok(
            DECIDE,
            json!({ "input": { "matchingId": l1_t1 } }),
            Some(&s.token),
        )
        .await?;
    assert_eq!(accepted["acceptMatching"]["status"], "ACTIVE");
    let again = app
        .error_code(
            DECIDE,
            json!({ "input": { "matchingId": l1_t1 } }),
            Some(&s.token),
        )
        .await?;
    assert_eq!(again, "CONFLICT");

    // A second run keeps the active pair, withdraws the undecided proposal
    // and proposes it again.
    let second = run(&app, &s).await?;
    assert_eq!(second["learners"], 3);
    assert_eq!(second["proposed"], 1);
    let all = app
        .ok(MATCHINGS, json!({ "p": s.programme }), Some(&s.token))
        .await?["matchings"]["nodes"]
        .clone();
    let statuses: Vec<(Value, Value)> = all
        .as_array()
        .unwrap()
        .iter()
        .map(|m| (m["learner"]["id"].clone(), m["status"].clone()))
        .collect();
    assert_eq!(
        statuses,
        [
            (l[0].clone(), json!("ACTIVE")),
            (l[1].clone(), json!("WITHDRAWN")),
            (l[1].clone(), json!("PROPOSED"))
        ]
    );

    // Rejecting and ending need a reason; both stay on record.
    let reject = "mutation($input: DecideMatchingInput!) { rejectMatching(input: $input) { status reason } }";
    let end =
        "mutation($input: DecideMatchingInput!) { endMatching(input: $input) { status endedAt } }";
    let proposed = all[2]["id"].clone();
    let no_reason = app
        .error_code(
            reject,
            json!({ "input": { "matchingId": proposed } }),
            Some(&s.token),
        )
        .await?;
    assert_eq!(no_reason, "BAD_USER_INPUT");
    let rejected = app
        .ok(
            reject,
            json!({ "input": { "matchingId": proposed, "reason": "Prefers a mentor" } }),
            Some(&s.token),
        )
        .await?;
    assert_eq!(rejected["rejectMatching"]["reason"], "Prefers a mentor");
    app.ok(
        end,
        json!({ "input": { "matchingId": l1_t1, "reason": "Goals reached" } }),
        Some(&s.token),
    )
    .await?;
    let ended = app
        .ok(
            MATCHINGS,
            json!({ "p": s.programme, "s": "ENDED" }),
            Some(&s.token),
        )
        .await?;
    assert_eq!(ended["matchings"]["nodes"][0]["reason"], "Goals reached");
    // The history keeps every decision, and who took it.
    let history = app
        .ok(
            "query($id: ID!) { matching(id: $id) { decidedBy history { fromStatus toStatus decidedBy reason } } }",
            json!({ "id": l1_t1 }),
            Some(&s.token),
        )
        .await?["matching"]
        .clone();
    assert_eq!(history["decidedBy"], "coord@match.test");
    let steps: Vec<(Value, Value, Value)> = history["history"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| {
            (
                h["fromStatus"].clone(),
                h["toStatus"].clone(),
                h["decidedBy"].clone(),
            )
        })
        .collect();
    assert_eq!(
        steps,
        [
            (Value::Null, json!("PROPOSED"), Value::Null),
            (
                json!("PROPOSED"),
                json!("ACTIVE"),
                json!("coord@match.test")
            ),
            (json!("ACTIVE"), json!("ENDED"), json!("coord@match.test")),
        ]
    );
    let withdrawn = app
        .ok(
            "query($id: ID!) { matching(id: $id) { history { toStatus reason } } }",
            json!({ "id": all[1]["id"] }),
            Some(&s.token),
        )
        .await?;
    assert_eq!(withdrawn["matching"]["history"][1]["toStatus"], "WITHDRAWN");
    assert!(
        withdrawn["matching"]["history"][1]["reason"]
            .as_str()
            .unwrap()
            .starts_with("replaced by matching run")
    );

    // Learner 1 is waiting again, and their former tutor counts as
    // continuity; the rejected pair is not proposed again.
    let third = run(&app, &s).await?;
    assert!(
        third["ruledOut"]
            .as_array()
            .unwrap()
            .contains(&json!({ "constraint": "REJECTED", "pairs": 1 })),
        "{third}"
    );
    assert!(
        third["matchings"]["nodes"]
            .as_array()
            .unwrap()
            .iter()
            .all(|p| pair_of(p) != (l[1].clone(), t[1].clone())),
        "{third}"
    );
    let again = third["matchings"]["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["learner"]["id"] == l[0])
        .cloned()
        .unwrap();
    assert_eq!(again["tutor"]["id"], t[0]);
    let continuity = again["breakdown"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["criterion"] == "CONTINUITY")
        .unwrap()["value"]
        .clone();
    assert_eq!(continuity, 1.0);
    Ok(())
}

#[tokio::test]
async fn two_acceptances_racing_for_the_last_place_let_exactly_one_through() -> anyhow::Result<()> {
    let app = TestApp::spawn().await?;
    let s = scenario(&app, "race").await?;
    need(&app, &s, &s.method, &s.learners[0], 4).await?;
    need(&app, &s, &s.method, &s.learners[1], 4).await?;
    let profile = |capacity: i32| {
        json!({ "input": { "programmeId": s.programme, "tutorId": s.tutors[0],
        "roleIds": [s.role], "capacity": capacity, "languages": ["en"], "competences": [{ "axisId": s.method, "level": 4 }] } })
    };
    app.ok(SET_TUTOR, profile(2), Some(&s.token)).await?;
    let proposals = run(&app, &s).await?["matchings"]["nodes"].clone();
    assert_eq!(proposals.as_array().unwrap().len(), 2);
    // The tutor now has one place for two proposals.
    app.ok(SET_TUTOR, profile(1), Some(&s.token)).await?;

    let accept = |id: Value| {
        let app = &app;
        let token = s.token.clone();
        async move {
            app.post(
                DECIDE,
                json!({ "input": { "matchingId": id } }),
                Some(&token),
            )
            .await
        }
    };
    let (a, b) = tokio::join!(
        accept(proposals[0]["id"].clone()),
        accept(proposals[1]["id"].clone())
    );
    let outcomes = [a?, b?];
    let won = outcomes
        .iter()
        .filter(|o| o["data"]["acceptMatching"]["status"] == "ACTIVE")
        .count();
    let lost: Vec<&Value> = outcomes.iter().filter(|o| o["errors"].is_array()).collect();
    assert_eq!(won, 1, "{outcomes:?}");
    assert_eq!(lost.len(), 1, "{outcomes:?}");
    assert_eq!(lost[0]["errors"][0]["extensions"]["code"], "CONFLICT");
    assert!(
        lost[0]["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("no free place"),
        "{lost:?}"
    );

    let active = app
        .ok(
            MATCHINGS,
            json!({ "p": s.programme, "s": "ACTIVE" }),
            Some(&s.token),
        )
        .await?;
    assert_eq!(active["matchings"]["nodes"].as_array().unwrap().len(), 1);
    // The database itself refuses more active learners than places.
    use sea_orm::ConnectionTrait;
    let forced = app
        .state
        .db
        .execute_unprepared("UPDATE tutor_profile SET active_count = capacity + 1")
        .await;
    assert!(forced.is_err(), "the check constraint let it through");
    // The capacity cannot drop below the learner now taken.
    let below = app.post(SET_TUTOR, profile(0), Some(&s.token)).await?;
    assert_eq!(below["errors"][0]["extensions"]["code"], "BAD_USER_INPUT");
    assert_eq!(
        below["errors"][0]["extensions"]["problems"][0]["field"],
        "capacity"
    );
    Ok(())
}

/// A coordinator's hand-made pairing of learner 1 with tutor 1.
pub(crate) async fn pair_by_hand(app: &TestApp, s: &Scenario) -> anyhow::Result<Value> {
    app.ok(
        SET_TUTOR,
        json!({ "input": { "programmeId": s.programme, "tutorId": s.tutors[0], "roleIds": [s.role],
            "capacity": 3, "languages": ["en"] } }),
        Some(&s.token),
    )
    .await?;
    Ok(app
        .ok(
            "mutation($input: OverrideMatchingInput!) { overrideMatching(input: $input) { id status } }",
            json!({ "input": { "programmeId": s.programme, "roleId": s.role, "learnerId": s.learners[0],
                "tutorId": s.tutors[0], "reason": "Asked for by the learner" } }),
            Some(&s.token),
        )
        .await?["overrideMatching"]["id"]
        .clone())
}

#[tokio::test]
async fn tutors_plan_and_log_their_own_relations_and_learners_see_only_their_plan()
-> anyhow::Result<()> {
    let app = TestApp::spawn().await?;
    let s = scenario(&app, "plan").await?;
    let admin = app.account("plan", "admin@plan.test", Role::Admin).await?;
    let matching = pair_by_hand(&app, &s).await?;
    let tutor =
        crate::fixtures::member(&app, &admin, "plan", "t1@plan.test", "TUTOR", &s.tutors[0])
            .await?;
    let other =
        crate::fixtures::member(&app, &admin, "plan", "t2@plan.test", "TUTOR", &s.tutors[1])
            .await?;
    let learner = crate::fixtures::member(
        &app,
        &admin,
        "plan",
        "l1@plan.test",
        "LEARNER",
        &s.learners[0],
    )
    .await?;

    let goal = "mutation($input: AddPlanGoalInput!) { addPlanGoal(input: $input) { id status } }";
    let goal_input = json!({ "input": { "matchingId": matching, "description": "Plan each week",
        "measure": "A weekly plan shown at each session", "targetDate": "2027-01-31" } });
    let added = app.ok(goal, goal_input.clone(), Some(&tutor)).await?;
    assert_eq!(added["addPlanGoal"]["status"], "PLANNED");
    assert_eq!(
        app.error_code(goal, goal_input.clone(), Some(&learner))
            .await?,
        "FORBIDDEN"
    );
    assert_eq!(
        app.error_code(goal, goal_input, Some(&other)).await?,
        "NOT_FOUND"
    );
    app.ok(
        "mutation($input: PlanInterventionInput!) { planIntervention(input: $input) { id } }",
        json!({ "input": { "matchingId": matching, "interventionId": s.coaching,
            "startsOn": Utc::now().date_naive().to_string(), "everyDays": 14, "sessions": 6 } }),
        Some(&tutor),
    )
    .await?;

    // A session ahead shows in both calendars.
    let starts = (Utc::now() + Duration::days(2))
        .format("%Y-%m-%dT10:00:00Z")
        .to_string();
    app.ok(
        "mutation($input: ScheduleSessionInput!) { scheduleSession(input: $input) { id status } }",
        json!({ "input": { "matchingId": matching, "interventionId": s.coaching, "startsAt": starts, "minutes": 45 } }),
        Some(&tutor),
    )
    .await?;
    for token in [&tutor, &learner] {
        let path = app.ok("{ myCalendarPath }", json!({}), Some(token)).await?["myCalendarPath"]
            .as_str()
            .unwrap()
            .to_owned();
        let feed = app.http().get(format!("{}{path}", app.url)).send().await?;
        assert_eq!(feed.status(), 200);
        assert!(
            feed.headers()["content-type"]
                .to_str()?
                .starts_with("text/calendar")
        );
        let body = feed.text().await?;
        assert_eq!(body.matches("BEGIN:VEVENT").count(), 1, "{body}");
        assert!(body.contains("SUMMARY:Coaching with"), "{body}");
    }
    // A second session, called off, leaves the calendar.
    let second = app
        .ok(
            "mutation($input: ScheduleSessionInput!) { scheduleSession(input: $input) { id } }",
            json!({ "input": { "matchingId": matching, "interventionId": s.coaching,
                "startsAt": (Utc::now() + Duration::days(9)).to_rfc3339(), "minutes": 30 } }),
            Some(&tutor),
        )
        .await?["scheduleSession"]["id"]
        .clone();
    let cancel = "mutation($id: ID!) { cancelSession(sessionId: $id) { status } }";
    assert_eq!(
        app.error_code(cancel, json!({ "id": second }), Some(&learner))
            .await?,
        "FORBIDDEN"
    );
    let called_off = app
        .ok(cancel, json!({ "id": second }), Some(&tutor))
        .await?;
    assert_eq!(called_off["cancelSession"]["status"], "CANCELLED");
    assert_eq!(
        app.error_code(cancel, json!({ "id": second }), Some(&tutor))
            .await?,
        "CONFLICT"
    );
    let path = app
        .ok("{ myCalendarPath }", json!({}), Some(&tutor))
        .await?["myCalendarPath"]
        .as_str()
        .unwrap()
        .to_owned();
    let body = app
        .http()
        .get(format!("{}{path}", app.url))
        .send()
        .await?
        .text()
        .await?;
    assert_eq!(body.matches("BEGIN:VEVENT").count(), 1, "{body}");
    let forged = app
        .http()
        .get(format!("{}/calendar/1.not-the-token.ics", app.url))
        .send()
        .await?;
    assert_eq!(forged.status(), 404);

    // The tutor logs a held session with notes: the relation is healthy.
    let record = "mutation($input: RecordSessionInput!) { recordSession(input: $input) { status attended notesWrittenAt } }";
    let held = json!({ "input": { "matchingId": matching, "interventionId": s.coaching,
        "heldAt": Utc::now().to_rfc3339(), "minutes": 40, "attended": true,
        "notes": "Built a weekly plan together." } });
    let logged = app.ok(record, held.clone(), Some(&tutor)).await?;
    assert_eq!(logged["recordSession"]["status"], "HELD");
    assert_eq!(logged["recordSession"]["attended"], true);
    assert_eq!(
        app.error_code(record, held.clone(), Some(&learner)).await?,
        "FORBIDDEN"
    );
    assert_eq!(
        app.error_code(record, held, Some(&other)).await?,
        "NOT_FOUND"
    );

    let view = r#"query($id: ID!) { matching(id: $id) { status plan { goals { description } interventions { sessions everyDays } }
        sessions { status } health { status sessionsHeld sessionsPlannedToDate sessionsPlanned breaches { kind } } } }"#;
    let seen = app
        .ok(view, json!({ "id": matching }), Some(&learner))
        .await?;
    let m = &seen["matching"];
    assert_eq!(m["plan"]["goals"][0]["description"], "Plan each week");
    assert_eq!(m["health"]["status"], "HEALTHY");
    assert_eq!(m["health"]["sessionsHeld"], 1);
    // Starting today, every 14 days: the first session is due.
    assert_eq!(m["health"]["sessionsPlannedToDate"], 1);
    assert_eq!(m["health"]["sessionsPlanned"], 6);
    assert_eq!(
        app.error_code(view, json!({ "id": matching }), Some(&other))
            .await?,
        "NOT_FOUND"
    );
    let node = "query($id: ID!) { node(id: $id) { ... on Matching { status } } }";
    let mine = app
        .ok(node, json!({ "id": matching }), Some(&learner))
        .await?;
    assert_eq!(mine["node"]["status"], "ACTIVE");
    let theirs = app
        .ok(node, json!({ "id": matching }), Some(&other))
        .await?;
    assert_eq!(theirs["node"], Value::Null);
    let others_list = app
        .ok(MATCHINGS, json!({ "p": s.programme }), Some(&other))
        .await?;
    assert_eq!(others_list["matchings"]["nodes"], json!([]));

    // The learner answers a questionnaire: its ratings become the relation's
    // latest satisfaction (s1 = 4 of 5 → 0.75; s2 = 2, reversed → 0.75).
    let questionnaire = crate::fixtures::questionnaire(&app, &s.token).await?;
    let campaign =
        // Only an identified campaign may show one learner's answers.
        crate::fixtures::campaign(
            &app,
            &s.token,
            &questionnaire,
            crate::fixtures::CampaignSpec {
                anonymity: "IDENTIFIED",
                ..Default::default()
            },
        )
        .await?;
    app.ok(
        "mutation($input: InviteInput!) { inviteToCampaign(input: $input) { invited } }",
        json!({ "input": { "campaignId": campaign, "personIds": [s.learners[0]] } }),
        Some(&s.token),
    )
    .await?;
    app.ok(
        "mutation($input: CampaignInput!) { launchCampaign(input: $input) { campaign { status } } }",
        json!({ "input": { "campaignId": campaign } }),
        Some(&s.token),
    )
    .await?;
    assert_eq!(app.jobs_done("send_invitations", 1).await?, 0);
    let invitation = app
        .mail
        .messages()
        .into_iter()
        .find(|m| m.recipients.iter().any(|r| r.starts_with("l1@plan")))
        .unwrap();
    app.ok(
        crate::fixtures::SUBMIT,
        json!({ "input": { "token": invitation.token().unwrap(), "answers": crate::fixtures::answers(4.0) } }),
        None,
    )
    .await?;
    let satisfied = app
        .ok(
            "query($id: ID!) { matching(id: $id) { health { satisfaction } } }",
            json!({ "id": matching }),
            Some(&s.token),
        )
        .await?;
    assert_eq!(satisfied["matching"]["health"]["satisfaction"], 0.75);

    // Profiles: a learner sets their own, never a tutor's or another learner's.
    let own = app
        .post(
            "mutation($input: SetLearnerProfileInput!) { setLearnerProfile(input: $input) { languages } }",
            json!({ "input": { "programmeId": s.programme, "learnerId": s.learners[0], "languages": ["en", "es"] } }),
            Some(&learner),
        )
        .await?;
    assert_eq!(
        own["data"]["setLearnerProfile"]["languages"],
        json!(["en", "es"])
    );
    let not_mine = app
        .error_code(
            "mutation($input: SetLearnerProfileInput!) { setLearnerProfile(input: $input) { languages } }",
            json!({ "input": { "programmeId": s.programme, "learnerId": s.learners[1] } }),
            Some(&learner),
        )
        .await?;
    assert_eq!(not_mine, "FORBIDDEN");
    let run_by_tutor = app
        .error_code(
            RUN,
            json!({ "input": { "programmeId": s.programme, "roleId": s.role } }),
            Some(&tutor),
        )
        .await?;
    assert_eq!(run_by_tutor, "FORBIDDEN");
    Ok(())
}

#[tokio::test]
async fn a_relation_without_first_contact_raises_one_alert_and_one_digest() -> anyhow::Result<()> {
    let app = TestApp::spawn().await?;
    let s = scenario(&app, "watch").await?;
    app.ok(
        "mutation($input: SetStandardInput!) { setStandard(input: $input) { standard { kind } } }",
        json!({ "input": { "programmeId": s.programme, "kind": "FIRST_CONTACT_DAYS", "threshold": 7, "severity": "HIGH" } }),
        Some(&s.token),
    )
    .await?;
    pair_by_hand(&app, &s).await?;

    // Within the week, nothing; on day 8, through the queue like the nightly
    // clock, one alert and one digest.
    let ctx = worker::Context::new(
        &app.env.settings,
        app.state.db.clone(),
        app.state.tokens.clone(),
    )?;
    let early = worker::jobs::execute(
        &ctx,
        Job::MonitorRelations {
            at: Utc::now() + Duration::days(3),
            organisation_id: None,
        },
    )
    .await?;
    assert_eq!(early["alerts_raised"], 0);
    assert_eq!(early["digests_sent"], 0);

    let at = Utc::now() + Duration::days(8);
    app.state
        .enqueue(Job::MonitorRelations {
            at,
            organisation_id: None,
        })
        .await
        .map_err(|e| anyhow::anyhow!("{e:?}"))?;
    assert_eq!(app.jobs_done("monitor_relations", 2).await?, 0);
    // The same day again: nothing new, by the job or a second worker.
    let again = worker::jobs::execute(
        &ctx,
        Job::MonitorRelations {
            at,
            organisation_id: None,
        },
    )
    .await?;
    assert_eq!(again["alerts_raised"], 0);
    assert_eq!(again["digests_sent"], 0);
    // A coordinator can ask for the check now; it runs for their
    // organisation and finds nothing due today.
    app.ok("mutation { checkRelations }", json!({}), Some(&s.token))
        .await?;
    assert_eq!(app.jobs_done("monitor_relations", 4).await?, 0);

    let alerts = app
        .ok(
            "query($p: ID!) { relationAlerts(programmeId: $p) { nodes { severity message matching { learner { name } } } } }",
            json!({ "p": s.programme }),
            Some(&s.token),
        )
        .await?["relationAlerts"]["nodes"]
        .clone();
    assert_eq!(alerts.as_array().unwrap().len(), 1, "{alerts}");
    assert_eq!(alerts[0]["severity"], "HIGH");
    assert!(
        alerts[0]["message"]
            .as_str()
            .unwrap()
            .contains("no first contact")
    );

    let mail = app.mail.messages();
    let digests: Vec<_> = mail
        .iter()
        .filter(|m| {
            m.header("Subject")
                .is_some_and(|s| s.starts_with("Tutorial relations"))
        })
        .collect();
    assert_eq!(digests.len(), 1, "{} messages", mail.len());
    assert_eq!(digests[0].recipients, ["coord@watch.test"]);
    let body = digests[0].body();
    assert!(body.contains("INACTIVE"), "{body}");
    assert!(
        body.contains("Learner l1@watch.test with Tutor One"),
        "{body}"
    );
    Ok(())
}

#[tokio::test]
async fn bad_profiles_and_weights_are_refused_field_by_field() -> anyhow::Result<()> {
    let app = TestApp::spawn().await?;
    let s = scenario(&app, "bad").await?;
    let profile = |extra: Value| {
        let mut input = json!({ "programmeId": s.programme, "tutorId": s.tutors[0], "roleIds": [s.role],
            "capacity": 2, "languages": ["en"] });
        for (k, v) in extra.as_object().unwrap() {
            input[k] = v.clone();
        }
        json!({ "input": input })
    };
    let field = |body: &Value| {
        (
            body["errors"][0]["extensions"]["code"].clone(),
            body["errors"][0]["extensions"]["problems"][0]["field"].clone(),
        )
    };
    for (extra, expected) in [
        (json!({ "capacity": -1 }), "capacity"),
        (json!({ "languages": ["e n"] }), "languages[0]"),
        (json!({ "languages": [] }), "languages"),
        (json!({ "roleIds": [] }), "roleIds"),
        (
            json!({ "availability": [{ "weekday": "MONDAY", "from": "25:00", "to": "26:00" }] }),
            "availability[0]",
        ),
        (
            json!({ "availability": [{ "weekday": "MONDAY", "from": "12:00", "to": "09:00" }] }),
            "availability[0]",
        ),
        (
            json!({ "availability": [
            { "weekday": "MONDAY", "from": "09:00", "to": "12:00" },
            { "weekday": "MONDAY", "from": "11:00", "to": "13:00" }] }),
            "availability[1]",
        ),
        (
            json!({ "competences": [{ "axisId": s.method, "level": 9 }] }),
            "competences[0].level",
        ),
    ] {
        let body = app
            .post(SET_TUTOR, profile(extra.clone()), Some(&s.token))
            .await?;
        assert_eq!(
            field(&body),
            (json!("BAD_USER_INPUT"), json!(expected)),
            "{extra}: {body}"
        );
    }
    // A learner is not a tutor.
    let wrong = app
        .error_code(
            SET_TUTOR,
            json!({ "input": { "programmeId": s.programme, "tutorId": s.learners[0], "roleIds": [s.role], "capacity": 1, "languages": ["en"] } }),
            Some(&s.token),
        )
        .await?;
    assert_eq!(wrong, "NOT_FOUND");
    let weights = app
        .post(
            RUN,
            json!({ "input": { "programmeId": s.programme, "roleId": s.role, "weights": { "axisFit": 11 } } }),
            Some(&s.token),
        )
        .await?;
    assert_eq!(field(&weights), (json!("BAD_USER_INPUT"), json!("weights")));
    let none = app
        .post(
            RUN,
            json!({ "input": { "programmeId": s.programme, "roleId": s.role, "weights": {
                "axisFit": 0, "severity": 0, "availability": 0, "mode": 0, "continuity": 0, "loadBalance": 0 } } }),
            Some(&s.token),
        )
        .await?;
    assert_eq!(field(&none), (json!("BAD_USER_INPUT"), json!("weights")));
    // Nothing was stored by the refusals.
    let profiles = app
        .ok(
            "query($p: ID!) { tutorProfiles(programmeId: $p) { nodes { id } } }",
            json!({ "p": s.programme }),
            Some(&s.token),
        )
        .await?;
    assert_eq!(profiles["tutorProfiles"]["nodes"], json!([]));
    Ok(())
}

/// The demo's mentors have fewer places (15 mentors × 10) than there are
/// learners with a wellbeing need (650): with every place filled, the
/// optimal total takes the most severe needs first.
#[tokio::test]
async fn the_demo_matches_the_most_severe_wellbeing_needs_to_its_mentors() -> anyhow::Result<()> {
    use entities::{MatchingStatus, RoleKind, matching, need, tutor_role};
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
    use std::collections::HashMap;

    let app = TestApp::spawn().await?;
    let demo = api::demo::seed(&app.state)
        .await
        .map_err(|e| anyhow::anyhow!("{e:?}"))?;
    let db = &app.state.db;
    let roles = tutor_role::Entity::find()
        .filter(tutor_role::Column::ProgrammeId.eq(demo.programme_id))
        .all(db)
        .await?;
    let mentor = roles.iter().find(|r| r.kind == RoleKind::Mentor).unwrap();
    let tutor = roles.iter().find(|r| r.kind == RoleKind::Tutor).unwrap();
    let of_role = |role: i64, status: MatchingStatus| {
        matching::Entity::find()
            .filter(matching::Column::RoleId.eq(role))
            .filter(matching::Column::Status.eq(status))
            .all(db)
    };
    let proposed = of_role(mentor.id, MatchingStatus::Proposed).await?;
    let active = of_role(tutor.id, MatchingStatus::Active).await?;
    assert_eq!(proposed.len(), 150);
    // 79 tutors with 15 places each have room for every study-methods need.
    assert_eq!(active.len(), 591);

    let wellbeing_axis = mentor_axis(db, demo.programme_id, mentor.id).await?;
    let severity: HashMap<i64, i32> = need::Entity::find()
        .filter(need::Column::AxisId.eq(wellbeing_axis))
        .all(db)
        .await?
        .into_iter()
        .map(|n| (n.person_id, n.severity))
        .collect();
    assert_eq!(severity.len(), 650);
    let matched: std::collections::HashSet<i64> = proposed.iter().map(|m| m.learner_id).collect();
    let lowest_matched = matched.iter().map(|l| severity[l]).min().unwrap();
    let highest_left = severity
        .iter()
        .filter(|(l, _)| !matched.contains(l))
        .map(|(_, s)| *s)
        .max()
        .unwrap();
    assert!(
        lowest_matched >= highest_left,
        "matched down to severity {lowest_matched}, left one of {highest_left}"
    );
    let mut load: HashMap<i64, usize> = HashMap::new();
    for m in &proposed {
        *load.entry(m.tutor_id).or_default() += 1;
    }
    assert!(load.values().all(|n| *n <= 10));
    Ok(())
}

async fn mentor_axis(
    db: &sea_orm::DatabaseConnection,
    programme: i64,
    role: i64,
) -> anyhow::Result<i64> {
    use entities::intervention;
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
    Ok(intervention::Entity::find()
        .filter(intervention::Column::ProgrammeId.eq(programme))
        .filter(intervention::Column::RoleId.eq(role))
        .one(db)
        .await?
        .map(|i| i.axis_id)
        .unwrap_or_default())
}

#[tokio::test]
async fn large_runs_go_to_the_worker_and_a_role_serves_only_its_axes() -> anyhow::Result<()> {
    // Every run counts as large here.
    let app = TestApp::spawn_with(|settings| settings.matching_inline_pairs = 0).await?;
    let s = scenario(&app, "queue").await?;
    app.ok(
        "mutation($input: CreateInterventionInput!) { createIntervention(input: $input) { intervention { id } } }",
        json!({ "input": { "axisId": s.method, "name": "Method clinic", "format": "INDIVIDUAL", "tool": "VIDEO",
            "sessionsPerMonth": 2, "sessionMinutes": 30, "groupSize": 1, "sessionCost": 5, "roleId": s.role } }),
        Some(&s.token),
    )
    .await?;
    need(&app, &s, &s.method, &s.learners[0], 3).await?;
    need(&app, &s, &s.wellbeing, &s.learners[1], 5).await?;
    app.ok(
        SET_TUTOR,
        json!({ "input": { "programmeId": s.programme, "tutorId": s.tutors[0], "roleIds": [s.role],
            "capacity": 5, "languages": ["en"], "competences": [{ "axisId": s.method, "level": 4 }] } }),
        Some(&s.token),
    )
    .await?;
    let started = run(&app, &s).await?;
    assert_ne!(started["status"], "FAILED");
    assert_eq!(app.jobs_done("run_matching", 1).await?, 0);
    let done = app
        .ok(
            "query($id: ID!) { matchingRun(id: $id) { status learners proposed matchings { nodes { learner { id } } } } }",
            json!({ "id": started["id"] }),
            Some(&s.token),
        )
        .await?["matchingRun"]
        .clone();
    assert_eq!(done["status"], "DONE");
    // The role delivers method interventions only: the wellbeing need waits
    // for another role.
    assert_eq!(done["learners"], 1);
    assert_eq!(done["proposed"], 1);
    assert_eq!(
        done["matchings"]["nodes"][0]["learner"]["id"],
        s.learners[0]
    );
    Ok(())
}

#[tokio::test]
async fn decisions_sessions_and_profiles_keep_relations_consistent() -> anyhow::Result<()> {
    let app = TestApp::spawn().await?;
    let s = scenario(&app, "keep").await?;
    let admin = app.account("keep", "admin@keep.test", Role::Admin).await?;
    let (l, t) = (&s.learners, &s.tutors);
    need(&app, &s, &s.method, &l[0], 3).await?;
    for tutor in t {
        app.ok(
            SET_TUTOR,
            json!({ "input": { "programmeId": s.programme, "tutorId": tutor, "roleIds": [s.role],
                "capacity": 2, "languages": ["en"] } }),
            Some(&s.token),
        )
        .await?;
    }
    // With every weight but continuity at 0, all scores are 0: the learner
    // still gets a tutor.
    let zero = app
        .ok(
            RUN,
            json!({ "input": { "programmeId": s.programme, "roleId": s.role, "weights": {
                "axisFit": 0, "severity": 0, "availability": 0, "mode": 0, "continuity": 1, "loadBalance": 0 } } }),
            Some(&s.token),
        )
        .await?["runMatching"]
        .clone();
    assert_eq!(zero["proposed"], 1, "{zero}");
    let proposal = zero["matchings"]["nodes"][0].clone();
    let proposed_tutor = proposal["tutor"]["id"].clone();
    let other_tutor = if proposed_tutor == t[0] { &t[1] } else { &t[0] };

    // An exclusion is listed, blocks a pairing by hand, and can be lifted.
    let pair = json!({ "programmeId": s.programme, "learnerId": l[0], "tutorId": other_tutor });
    let mut excluded = pair.clone();
    excluded["reason"] = json!("Same family");
    app.ok(
        "mutation($input: PairInput!) { excludePair(input: $input) }",
        json!({ "input": excluded }),
        Some(&s.token),
    )
    .await?;
    let listed = app
        .ok(
            "query($p: ID!) { matchingExclusions(programmeId: $p) { nodes { reason tutor { id } } } }",
            json!({ "p": s.programme }),
            Some(&s.token),
        )
        .await?;
    assert_eq!(
        listed["matchingExclusions"]["nodes"][0]["reason"],
        "Same family"
    );
    let override_input = json!({ "input": { "programmeId": s.programme, "roleId": s.role, "learnerId": l[0],
        "tutorId": other_tutor, "reason": "Learner's wish" } });
    let by_hand = "mutation($input: OverrideMatchingInput!) { overrideMatching(input: $input) { id status } }";
    assert_eq!(
        app.error_code(by_hand, override_input.clone(), Some(&s.token))
            .await?,
        "CONFLICT"
    );
    app.ok(
        "mutation($input: LiftExclusionInput!) { liftExclusion(input: $input) }",
        json!({ "input": pair }),
        Some(&s.token),
    )
    .await?;
    let paired = app
        .ok(by_hand, override_input.clone(), Some(&s.token))
        .await?["overrideMatching"]["id"]
        .clone();

    // The pairing withdrew the learner's open proposal: accepting it now
    // would give them two tutors in the role.
    let late = app
        .error_code(
            DECIDE,
            json!({ "input": { "matchingId": proposal["id"] } }),
            Some(&s.token),
        )
        .await?;
    assert_eq!(late, "CONFLICT");
    assert_eq!(
        app.error_code(by_hand, override_input, Some(&s.token))
            .await?,
        "CONFLICT"
    );

    // Sessions belong to the relation's time and the programme's.
    let record = "mutation($input: RecordSessionInput!) { recordSession(input: $input) { id } }";
    let long_ago = app
        .post(
            record,
            json!({ "input": { "matchingId": paired, "interventionId": s.coaching, "heldAt": "1970-01-01T00:00:00Z",
                "minutes": 30, "attended": true } }),
            Some(&s.token),
        )
        .await?;
    assert_eq!(
        long_ago["errors"][0]["extensions"]["problems"][0]["field"],
        "heldAt"
    );
    let far = app
        .post(
            "mutation($input: ScheduleSessionInput!) { scheduleSession(input: $input) { id } }",
            json!({ "input": { "matchingId": paired, "interventionId": s.coaching, "startsAt": "9999-12-31T23:59:59Z", "minutes": 30 } }),
            Some(&s.token),
        )
        .await?;
    assert_eq!(
        far["errors"][0]["extensions"]["problems"][0]["field"],
        "startsAt"
    );
    let endless = app
        .post(
            "mutation($input: PlanInterventionInput!) { planIntervention(input: $input) { id } }",
            json!({ "input": { "matchingId": paired, "interventionId": s.coaching,
                "startsOn": Utc::now().date_naive().to_string(), "everyDays": 365, "sessions": 200 } }),
            Some(&s.token),
        )
        .await?;
    assert_eq!(
        endless["errors"][0]["extensions"]["problems"][0]["field"],
        "sessions"
    );
    let held = app
        .ok(
            record,
            json!({ "input": { "matchingId": paired, "interventionId": s.coaching, "heldAt": Utc::now().to_rfc3339(),
                "minutes": 30, "attended": true } }),
            Some(&s.token),
        )
        .await?["recordSession"]["id"]
        .clone();
    let notes = app
        .ok(
            "mutation($input: WriteSessionNotesInput!) { writeSessionNotes(input: $input) { notes attended } }",
            json!({ "input": { "sessionId": held, "notes": "Line one\nLine two" } }),
            Some(&s.token),
        )
        .await?;
    assert_eq!(notes["writeSessionNotes"]["notes"], "Line one\nLine two");
    assert_eq!(notes["writeSessionNotes"]["attended"], true);

    // A tutor keeps their own availability; roles, competences and capacity
    // are the coordinator's, and a role with learners cannot be dropped.
    let tutor =
        crate::fixtures::member(&app, &admin, "keep", "t@keep.test", "TUTOR", other_tutor).await?;
    let own = |capacity: i32| {
        json!({ "input": { "programmeId": s.programme, "tutorId": other_tutor, "roleIds": [s.role],
        "capacity": capacity, "languages": ["en", "fr"],
        "availability": [{ "weekday": "FRIDAY", "from": "14:00", "to": "16:00" }] } })
    };
    app.ok(SET_TUTOR, own(2), Some(&tutor)).await?;
    assert_eq!(
        app.error_code(SET_TUTOR, own(50), Some(&tutor)).await?,
        "FORBIDDEN"
    );
    let second_role = app
        .ok(
            "mutation($input: CreateTutorRoleInput!) { createTutorRole(input: $input) { role { id } } }",
            json!({ "input": { "programmeId": s.programme, "name": "Mentor", "kind": "MENTOR", "functions": ["Listen"], "hourlyCost": 20 } }),
            Some(&s.token),
        )
        .await?["createTutorRole"]["role"]["id"]
        .clone();
    let dropped = app
        .post(
            SET_TUTOR,
            json!({ "input": { "programmeId": s.programme, "tutorId": other_tutor, "roleIds": [second_role],
                "capacity": 2, "languages": ["en"] } }),
            Some(&s.token),
        )
        .await?;
    assert_eq!(
        dropped["errors"][0]["extensions"]["problems"][0]["field"],
        "roleIds"
    );

    // Lists of a programme that does not exist are NOT_FOUND, not empty.
    let missing = app
        .error_code(
            MATCHINGS,
            json!({ "p": "UHJvZ3JhbW1lOjk5OTk" }),
            Some(&s.token),
        )
        .await?;
    assert_eq!(missing, "NOT_FOUND");

    // Excluding a proposed pair withdraws the proposal.
    need(&app, &s, &s.method, &l[1], 4).await?;
    let next = run(&app, &s).await?["matchings"]["nodes"][0].clone();
    assert_eq!(next["learner"]["id"], l[1]);
    app.ok(
        "mutation($input: PairInput!) { excludePair(input: $input) }",
        json!({ "input": { "programmeId": s.programme, "learnerId": l[1], "tutorId": next["tutor"]["id"], "reason": "Conflict of interest" } }),
        Some(&s.token),
    )
    .await?;
    let blocked = app
        .post(
            DECIDE,
            json!({ "input": { "matchingId": next["id"] } }),
            Some(&s.token),
        )
        .await?;
    assert_eq!(blocked["errors"][0]["extensions"]["code"], "CONFLICT");
    assert!(
        blocked["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("withdrawn"),
        "{blocked}"
    );

    // Ending a relation calls off its sessions ahead; notes of held ones may
    // still be written.
    app.ok(
        "mutation($input: ScheduleSessionInput!) { scheduleSession(input: $input) { id } }",
        json!({ "input": { "matchingId": paired, "interventionId": s.coaching,
            "startsAt": (Utc::now() + Duration::days(3)).to_rfc3339(), "minutes": 30 } }),
        Some(&s.token),
    )
    .await?;
    app.ok(
        "mutation($input: DecideMatchingInput!) { endMatching(input: $input) { status } }",
        json!({ "input": { "matchingId": paired, "reason": "Moved away" } }),
        Some(&s.token),
    )
    .await?;
    let after = app
        .ok(
            "query($id: ID!) { matching(id: $id) { sessions { status } } }",
            json!({ "id": paired }),
            Some(&s.token),
        )
        .await?;
    assert_eq!(
        after["matching"]["sessions"],
        json!([{ "status": "HELD" }, { "status": "CANCELLED" }])
    );
    app.ok(
        "mutation($input: WriteSessionNotesInput!) { writeSessionNotes(input: $input) { notes } }",
        json!({ "input": { "sessionId": held, "notes": "Summary written after the end." } }),
        Some(&s.token),
    )
    .await?;
    Ok(())
}
