//! The built-in instrument templates, listed and turned into questionnaires.

use entities::Role;
use serde_json::{Value, json};
use tests::TestApp;

const LIST: &str = r#"query($language: String!) { instrumentTemplates(language: $language) {
    key name construct audience language
    scales { code name higherIsBetter items { code reverseKeyed kind points } }
    items { code scale } } }"#;

pub const FROM_TEMPLATE: &str = r#"mutation($input: CreateQuestionnaireFromTemplateInput!) {
    createQuestionnaireFromTemplate(input: $input) { questionnaire {
        id key version title audience mode
        scales { code name higherIsBetter itemCodes }
        items { code kind points labels reverseKeyed } } } }"#;

fn codes(list: &Value, field: &str) -> Vec<String> {
    list.as_array()
        .map(|a| {
            a.iter()
                .filter_map(|v| v[field].as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}

#[tokio::test]
async fn the_library_lists_every_construct_in_french_with_parallel_relationship_scales()
-> anyhow::Result<()> {
    let app = TestApp::spawn().await?;
    let coordinator = app
        .account("west", "c@west.test", Role::Coordinator)
        .await?;

    let data = app
        .ok(LIST, json!({ "language": "fr" }), Some(&coordinator))
        .await?;

    let templates = &data["instrumentTemplates"];
    assert_eq!(
        codes(templates, "key"),
        [
            "relationship-learner",
            "relationship-tutor",
            "mentoring-functions",
            "session-feedback",
            "training-reaction",
            "nps"
        ]
    );
    let by_key = |key: &str| {
        templates
            .as_array()
            .and_then(|a| a.iter().find(|t| t["key"] == key))
            .cloned()
            .unwrap_or_default()
    };
    let learner = by_key("relationship-learner");
    let tutor = by_key("relationship-tutor");
    assert_eq!(learner["construct"], "RELATIONSHIP_QUALITY");
    assert_eq!(
        (learner["audience"].clone(), tutor["audience"].clone()),
        (json!("LEARNERS"), json!("TUTORS"))
    );
    assert_eq!(learner["scales"][0]["code"], "RQ");
    assert_eq!(learner["scales"], tutor["scales"]);
    assert_eq!(learner["language"], "fr");
    assert_eq!(by_key("session-feedback")["name"], "Retour sur la séance");
    let mentoring = by_key("mentoring-functions");
    assert_eq!(
        codes(&mentoring["scales"], "code"),
        ["CAREER", "PSYCHOSOCIAL", "ROLE_MODEL"]
    );
    let training = by_key("training-reaction");
    assert_eq!(
        codes(&training["scales"], "code"),
        ["SATISFACTION", "RELEVANCE", "APPLICATION"]
    );
    assert_eq!(by_key("nps")["scales"][0]["items"][0]["kind"], "NPS");
    // The free-text comment belongs to no scale.
    assert_eq!(
        learner["items"][7],
        json!({ "code": "comment", "scale": null })
    );
    app.stop().await
}

#[tokio::test]
async fn a_template_makes_a_questionnaire_with_its_scales_and_scoring_keys() -> anyhow::Result<()> {
    let app = TestApp::spawn().await?;
    let coordinator = app
        .account("west", "c@west.test", Role::Coordinator)
        .await?;

    let data = app
        .ok(
            FROM_TEMPLATE,
            json!({ "input": { "key": "mentoring-functions", "language": "fr" } }),
            Some(&coordinator),
        )
        .await?;

    let q = &data["createQuestionnaireFromTemplate"]["questionnaire"];
    assert_eq!(q["key"], "mentoring-functions-fr");
    assert_eq!(q["title"], "Fonctions du mentorat");
    assert_eq!(q["mode"], "QUESTIONNAIRE");
    assert_eq!(q["audience"], "LEARNERS");
    assert_eq!(
        q["scales"],
        json!([
            { "code": "CAREER", "name": "Soutien au parcours", "higherIsBetter": true,
              "itemCodes": ["car1", "car2", "car3", "car4"] },
            { "code": "PSYCHOSOCIAL", "name": "Soutien psychosocial", "higherIsBetter": true,
              "itemCodes": ["psy1", "psy2", "psy3", "psy4"] },
            { "code": "ROLE_MODEL", "name": "Modèle de rôle", "higherIsBetter": true,
              "itemCodes": ["rol1", "rol2", "rol3"] }
        ])
    );
    let reversed: Vec<_> = q["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|i| i["reverseKeyed"] == true)
        .map(|i| i["code"].clone())
        .collect();
    assert_eq!(reversed, [json!("psy4")]);
    assert_eq!(q["items"][0]["points"], 5);
    assert_eq!(q["items"][0]["labels"][0], "Pas du tout d'accord");

    // Again, in English as an interview guide with a title of its own: the
    // English key's first version.
    let again = app
        .ok(
            FROM_TEMPLATE,
            json!({ "input": { "key": "relationship-tutor", "language": "en",
                               "name": "Tutor check-in", "mode": "INTERVIEW_GUIDE" } }),
            Some(&coordinator),
        )
        .await?;
    let q = &again["createQuestionnaireFromTemplate"]["questionnaire"];
    assert_eq!(
        (q["key"].clone(), q["version"].clone(), q["title"].clone()),
        (
            json!("relationship-tutor-en"),
            json!(1),
            json!("Tutor check-in")
        )
    );
    assert_eq!(q["mode"], "INTERVIEW_GUIDE");
    assert_eq!(q["audience"], "TUTORS");
    assert_eq!(q["items"][3]["reverseKeyed"], true);
    let third = app
        .ok(
            FROM_TEMPLATE,
            json!({ "input": { "key": "relationship-tutor" } }),
            Some(&coordinator),
        )
        .await?;
    assert_eq!(
        third["createQuestionnaireFromTemplate"]["questionnaire"]["version"],
        2
    );
    app.stop().await
}

#[tokio::test]
async fn unknown_templates_and_languages_are_bad_input_and_learners_may_not_create()
-> anyhow::Result<()> {
    let app = TestApp::spawn().await?;
    let coordinator = app
        .account("west", "c@west.test", Role::Coordinator)
        .await?;
    let learner = app.account("west", "l@west.test", Role::Learner).await?;
    let create =
        |key: &str, language: &str| json!({ "input": { "key": key, "language": language } });

    let unknown = app
        .post(FROM_TEMPLATE, create("wellbeing", "en"), Some(&coordinator))
        .await?;
    let german = app
        .error_code(FROM_TEMPLATE, create("nps", "de"), Some(&coordinator))
        .await?;
    let listed = app
        .error_code(LIST, json!({ "language": "es" }), Some(&coordinator))
        .await?;
    let forbidden = app
        .error_code(FROM_TEMPLATE, create("nps", "en"), Some(&learner))
        .await?;

    assert_eq!(unknown["errors"][0]["extensions"]["code"], "BAD_USER_INPUT");
    assert_eq!(
        unknown["errors"][0]["extensions"]["problems"][0]["field"],
        "key"
    );
    assert_eq!(german, "BAD_USER_INPUT");
    assert_eq!(listed, "BAD_USER_INPUT");
    assert_eq!(forbidden, "FORBIDDEN");
    let none = app
        .ok(
            "{ questionnaires { edges { node { id } } } }",
            json!({}),
            Some(&coordinator),
        )
        .await?;
    assert_eq!(none["questionnaires"]["edges"], json!([]));
    app.stop().await
}
