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
