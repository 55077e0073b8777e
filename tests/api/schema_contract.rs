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

    assert!(
        current == COMMITTED,
        "the schema changed: review the difference, then run UPDATE_SCHEMA=1 cargo test -p tests --test api schema"
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
