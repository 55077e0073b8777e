//! The committed `schema.graphql` is the client contract: a change to the
//! schema must come with a change to that file. Run with UPDATE_SCHEMA=1 to
//! rewrite it after an intended change.

const COMMITTED: &str = include_str!("../../schema.graphql");

#[test]
fn the_schema_matches_the_committed_sdl() {
    let current = api::schema::sdl();
    if std::env::var("UPDATE_SCHEMA").is_ok_and(|v| v == "1") {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../schema.graphql");
        std::fs::write(path, &current).unwrap();
        return;
    }

    if current != COMMITTED {
        let changes = api::schema_diff::diff(COMMITTED, &current)
            .map(|c| api::schema_diff::report(&c))
            .unwrap_or_else(|e| e);
        panic!(
            "the schema changed: review the difference, then run UPDATE_SCHEMA=1 cargo test -p tests --test api schema\n\
             from schema.graphql to the schema the code serves:\n{changes}"
        );
    }
}

/// Client developers read the schema as its reference: every type, field,
/// argument, input field and enum value says what it is.
#[test]
fn every_part_of_the_schema_is_described() {
    let missing = api::schema_diff::undocumented(&api::schema::sdl()).expect("the schema parses");
    assert!(
        missing.is_empty(),
        "{} parts of the schema have no description (a doc comment, or `desc` for an argument):\n{}",
        missing.len(),
        missing.join("\n")
    );
}

/// The committed schema of `SCHEMA_BASE_REF` (the commit before by default),
/// if git can show it: absent in a shallow clone or a first commit.
fn base_schema() -> Option<(String, String)> {
    let reference = std::env::var("SCHEMA_BASE_REF")
        .ok()
        .filter(|r| !r.is_empty())
        .unwrap_or_else(|| "HEAD~1".into());
    let output = std::process::Command::new("git")
        .arg("-C")
        .arg(env!("CARGO_MANIFEST_DIR"))
        .args(["show", &format!("{reference}:schema.graphql")])
        .output()
        .ok()?;
    output.status.success().then(|| {
        (
            reference,
            String::from_utf8_lossy(&output.stdout).into_owned(),
        )
    })
}

/// Prints what changed for clients since the previous commit (`.ci/run`
/// shows it), and checks the report against itself read backwards: what
/// one way adds, the other removes, and each removal breaks.
#[test]
fn schema_changes_since_the_previous_commit_are_reported() {
    use api::schema_diff::{Severity, diff, report};
    let Some((reference, base)) = base_schema() else {
        println!("No earlier schema.graphql to compare with (no git history here).");
        return;
    };

    let forward = diff(&base, COMMITTED).expect("both schemas parse");
    let backward = diff(COMMITTED, &base).expect("both schemas parse");

    println!(
        "schema.graphql, from {reference} to this commit:\n{}",
        report(&forward)
    );
    let removed = |c: &&api::schema_diff::Change| c.severity == Severity::Breaking;
    for added in forward
        .iter()
        .filter(|c| c.message.ends_with("field added") || c.message.ends_with("type added"))
    {
        let undone = backward
            .iter()
            .filter(removed)
            .any(|c| c.path == added.path && c.message.ends_with("removed"));
        assert!(undone, "{added} has no removal the other way");
    }
    assert_eq!(
        forward.is_empty(),
        backward.is_empty(),
        "a change seen one way only"
    );
}

/// With DATABASE_URL and REDIS_URL set, the suite must really run on them:
/// a fallback to the embedded default would pass without testing anything.
#[tokio::test]
async fn the_suite_runs_on_the_configured_servers() -> anyhow::Result<()> {
    let app = tests::TestApp::spawn().await?;

    let backend = sea_orm::ConnectionTrait::get_database_backend(&app.state.db);
    let wants_postgres = std::env::var("DATABASE_URL").is_ok_and(|u| !u.is_empty());
    let wants_redis = std::env::var("REDIS_URL").is_ok_and(|u| !u.is_empty());

    assert_eq!(
        backend == sea_orm::DbBackend::Postgres,
        wants_postgres,
        "database: {backend:?}"
    );
    assert_eq!(
        matches!(app.state.queue, worker::JobQueue::Redis(..)),
        wants_redis
    );
    app.stop().await
}
