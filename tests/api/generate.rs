//! `api generate` makes an organisation of the size asked for, on either
//! database: its statements bind no more values than each one allows.

use entities::*;
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
use tests::TestApp;

#[tokio::test]
async fn an_organisation_of_a_thousand_learners_is_made_whole() -> anyhow::Result<()> {
    let app = TestApp::spawn().await?;
    let db = &app.state.db;
    let scale = api::generate::Scale {
        learners: 1_000,
        tutors: 50,
        campaigns: 2,
        response_rate: 0.5,
        sessions_per_matching: 4,
        seed: 3,
    };

    let made = api::generate::generate(db, &app.state.tokens, "wide", "a-long-password", &scale)
        .await
        .map_err(|e| anyhow::anyhow!("{e:?}"))?;

    let org = made.organisation_id;
    let people = person::Entity::find()
        .filter(person::Column::OrganisationId.eq(org))
        .count(db)
        .await?;
    assert_eq!((made.learners, made.tutors), (1_000, 50));
    assert_eq!(people, 1_050);
    let matchings = matching::Entity::find()
        .filter(matching::Column::OrganisationId.eq(org))
        .count(db)
        .await?;
    assert_eq!(matchings as usize, made.matchings);
    assert!(
        made.matchings > 0 && made.sessions == 4 * made.matchings,
        "{made:?}"
    );
    let invitations = invitation::Entity::find()
        .filter(invitation::Column::OrganisationId.eq(org))
        .count(db)
        .await?;
    assert_eq!(invitations as usize, made.invitations);
    assert_eq!(made.invitations, 2 * 1_000);
    let responses = response::Entity::find()
        .filter(response::Column::OrganisationId.eq(org))
        .count(db)
        .await?;
    assert_eq!(responses as usize, made.responses);
    // About half of each campaign's learners answered, each with their answers.
    assert!((800..=1_200).contains(&made.responses), "{made:?}");
    assert!(made.answers > 20 * made.responses, "{made:?}");
    app.stop().await
}
