//! Training, tutor levels, communities of practice, and members who act
//! as the people they are.

use entities::Role;
use serde_json::{Value, json};
use tests::TestApp;

async fn tutors(app: &TestApp, token: &str, names: &[&str]) -> anyhow::Result<Vec<Value>> {
    let people: Vec<Value> = names
        .iter()
        .map(|n| json!({ "name": n, "kind": "TUTOR" }))
        .collect();
    let data = app
        .ok(
            "mutation($input: CreatePeopleInput!) { createPeople(input: $input) { people { id } } }",
            json!({ "input": { "people": people } }),
            Some(token),
        )
        .await?;
    Ok(data["createPeople"]["people"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["id"].clone())
        .collect())
}

#[tokio::test]
async fn training_and_tutoring_hours_make_a_tutors_level() -> anyhow::Result<()> {
    let app = TestApp::spawn().await?;
    let admin = app.account("dev", "admin@dev.test", Role::Admin).await?;
    let programme = crate::fixtures::programme(&app, &admin).await?;
    let ids = tutors(&app, &admin, &["Tutor A", "Tutor B"]).await?;
    let module = |title: &str, hours: f64| json!({ "input": { "programmeId": programme, "title": title, "hours": hours, "level": "BASIC" } });
    let create = "mutation($input: CreateTrainingModuleInput!) { createTrainingModule(input: $input) { module { id } } }";
    let intro = app
        .ok(create, module("Introduction", 6.0), Some(&admin))
        .await?["createTrainingModule"]["module"]["id"]
        .clone();
    let listening = app
        .ok(create, module("Active listening", 5.0), Some(&admin))
        .await?["createTrainingModule"]["module"]["id"]
        .clone();
    let record = "mutation($input: RecordCompletionInput!) { recordCompletion(input: $input) { module { id } } }";
    let completion = |module: &Value, tutor: &Value, on: &str| json!({ "input": { "moduleId": module, "tutorId": tutor, "completedOn": on } });
    app.ok(
        record,
        completion(&intro, &ids[0], "2026-10-01"),
        Some(&admin),
    )
    .await?;
    app.ok(
        record,
        completion(&listening, &ids[0], "2026-10-02"),
        Some(&admin),
    )
    .await?;
    app.ok(
        record,
        completion(&intro, &ids[1], "2026-10-01"),
        Some(&admin),
    )
    .await?;

    let twice = app
        .error_code(
            record,
            completion(&intro, &ids[0], "2026-10-03"),
            Some(&admin),
        )
        .await?;
    let future = app
        .error_code(
            record,
            completion(&listening, &ids[1], "2999-01-01"),
            Some(&admin),
        )
        .await?;
    let zero = app
        .error_code(create, module("Nothing", 0.0), Some(&admin))
        .await?;
    assert_eq!(
        [twice, future, zero],
        ["CONFLICT", "BAD_USER_INPUT", "BAD_USER_INPUT"]
    );

    // Tutor A: 6 + 5 = 11 training hours → practitioner. Tutor B: 6 → novice.
    let query = "query($id: ID!) { node(id: $id) { ... on Programme { tutorDevelopment { tutor { name } trainingHours tutoringHours level } } } }";
    let data = app
        .ok(query, json!({ "id": programme }), Some(&admin))
        .await?;
    assert_eq!(
        data["node"]["tutorDevelopment"],
        json!([
            { "tutor": { "name": "Tutor A" }, "trainingHours": 11.0, "tutoringHours": 0.0, "level": "PRACTITIONER" },
            { "tutor": { "name": "Tutor B" }, "trainingHours": 6.0, "tutoringHours": 0.0, "level": "NOVICE" }
        ])
    );

    // Tutor B reads their own development, and no one else's.
    let b = crate::fixtures::member(&app, &admin, "dev", "b@dev.test", "TUTOR", &ids[1]).await?;
    let mine = app
        .ok(
            "query($id: ID!) { myDevelopment(programmeId: $id) { trainingHours level } }",
            json!({ "id": programme }),
            Some(&b),
        )
        .await?;
    assert_eq!(
        mine["myDevelopment"],
        json!({ "trainingHours": 6.0, "level": "NOVICE" })
    );
    assert_eq!(
        app.error_code(query, json!({ "id": programme }), Some(&b))
            .await?,
        "FORBIDDEN"
    );
    app.stop().await
}

#[tokio::test]
async fn communities_share_resources_and_a_thread_among_members() -> anyhow::Result<()> {
    let app = TestApp::spawn().await?;
    let admin = app.account("cop", "admin@cop.test", Role::Admin).await?;
    let programme = crate::fixtures::programme(&app, &admin).await?;
    let ids = tutors(&app, &admin, &["Member", "Outsider"]).await?;
    let community = app
        .ok(
            "mutation($input: CreateCommunityInput!) { createCommunity(input: $input) { community { id } } }",
            json!({ "input": { "programmeId": programme, "name": "Mentors' circle" } }),
            Some(&admin),
        )
        .await?["createCommunity"]["community"]["id"]
        .clone();
    app.ok(
        "mutation($input: CommunityMemberInput!) { addCommunityMember(input: $input) { community { id } } }",
        json!({ "input": { "communityId": community, "tutorId": ids[0] } }),
        Some(&admin),
    )
    .await?;
    let resource = "mutation($input: CommunityResourceInput!) { addCommunityResource(input: $input) { community { id } } }";
    app.ok(resource, json!({ "input": { "communityId": community, "title": "Guide", "url": "https://example.org/guide" } }), Some(&admin))
        .await?;
    let bad_url = app
        .error_code(resource, json!({ "input": { "communityId": community, "title": "X", "url": "javascript:alert(1)" } }), Some(&admin))
        .await?;
    let member_token =
        crate::fixtures::member(&app, &admin, "cop", "member@cop.test", "TUTOR", &ids[0]).await?;
    let outsider_token =
        crate::fixtures::member(&app, &admin, "cop", "outsider@cop.test", "TUTOR", &ids[1]).await?;
    let post =
        "mutation($input: PostInput!) { postToCommunity(input: $input) { post { body author } } }";

    let posted = app
        .ok(
            post,
            json!({ "input": { "communityId": community, "body": "Hello <all>" } }),
            Some(&member_token),
        )
        .await?;
    let outsider = app
        .error_code(
            post,
            json!({ "input": { "communityId": community, "body": "Me too" } }),
            Some(&outsider_token),
        )
        .await?;
    let empty = app
        .error_code(
            post,
            json!({ "input": { "communityId": community, "body": "  " } }),
            Some(&admin),
        )
        .await?;

    assert_eq!(bad_url, "BAD_USER_INPUT");
    assert_eq!(
        posted["postToCommunity"]["post"],
        json!({ "body": "Hello <all>", "author": "member@cop.test" })
    );
    assert_eq!(
        (outsider, empty),
        ("FORBIDDEN".to_owned(), "BAD_USER_INPUT".to_owned())
    );
    let mine = app
        .ok("{ myCommunities { name members { name } resources { url } posts { edges { node { body } } } } }", json!({}), Some(&member_token))
        .await?;
    assert_eq!(
        mine["myCommunities"],
        json!([{ "name": "Mentors' circle", "members": [{ "name": "Member" }], "resources": [{ "url": "https://example.org/guide" }],
                 "posts": { "edges": [{ "node": { "body": "Hello <all>" } }] } }])
    );
    app.stop().await
}

#[tokio::test]
async fn a_learner_states_their_own_need_and_only_theirs() -> anyhow::Result<()> {
    let app = TestApp::spawn().await?;
    let admin = app.account("self", "admin@self.test", Role::Admin).await?;
    let programme = crate::fixtures::programme(&app, &admin).await?;
    let axis = app
        .ok(
            "mutation($input: CreateSupportAxisInput!) { createSupportAxis(input: $input) { axis { id } } }",
            json!({ "input": { "programmeId": programme, "name": "Orientation", "kind": "ORIENTATION", "weight": 3 } }),
            Some(&admin),
        )
        .await?["createSupportAxis"]["axis"]["id"]
        .clone();
    let learner = crate::fixtures::learners(&app, &admin, &["lea@self.test"])
        .await?
        .remove(0);
    let tutor = tutors(&app, &admin, &["T"]).await?.remove(0);
    let wrong_kind = app
        .post(
            "mutation($input: AddMemberInput!) { addMember(input: $input) { email } }",
            json!({ "input": { "email": "t@self.test", "displayName": "T", "role": "LEARNER", "password": tests::PASSWORD, "personId": tutor } }),
            Some(&admin),
        )
        .await?;
    assert_eq!(
        wrong_kind["errors"][0]["extensions"]["problems"][0]["field"],
        "personId"
    );
    let lea = crate::fixtures::member(
        &app,
        &admin,
        "self",
        "lea@self.test",
        "LEARNER",
        &json!(learner),
    )
    .await?;
    let state = "mutation($input: StateNeedInput!) { stateNeed(input: $input) { need { source severity learner { name } } } }";

    let stated = app
        .ok(
            state,
            json!({ "input": { "axisId": axis, "severity": 2, "note": "Which master's?" } }),
            Some(&lea),
        )
        .await?;
    let by_admin = app
        .error_code(
            state,
            json!({ "input": { "axisId": axis, "severity": 2 } }),
            Some(&admin),
        )
        .await?;

    assert_eq!(
        stated["stateNeed"]["need"],
        json!({ "source": "LEARNER", "severity": 2, "learner": { "name": "Learner lea@self.test" } })
    );
    assert_eq!(by_admin, "FORBIDDEN");
    app.stop().await
}
