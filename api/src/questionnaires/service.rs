//! Creating questionnaires, with every rule checked before anything is stored.

use std::collections::HashSet;

use chrono::Utc;
use entities::{ItemKind, item, questionnaire, scale};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QuerySelect,
};

use super::types::{CreateQuestionnaireInput, ItemInput};
use crate::error::{ApiError, ApiResult, Problem};
use crate::validate;

/// Checks an item definition; every problem is reported, not just the first.
fn check_item(i: usize, item: &ItemInput, scales: &HashSet<&str>, problems: &mut Vec<Problem>) {
    let at = |field: &str| format!("items[{i}].{field}");
    let kind: ItemKind = item.kind.into();
    validate::name(problems, &at("code"), &item.code, 100);
    validate::name(problems, &at("prompt"), &item.prompt, 2_000);
    if item.labels.len() > 50 {
        problems.push(Problem::field(at("labels"), "at most 50 labels"));
    }
    for (l, label) in item.labels.iter().enumerate() {
        validate::name(
            problems,
            &at(&format!("labels[{l}]")),
            label,
            validate::NAME,
        );
    }
    match kind {
        ItemKind::Likert => match item.points {
            Some(p) if (2..=11).contains(&p) => {
                if !item.labels.is_empty() && item.labels.len() != p as usize {
                    problems.push(Problem::field(
                        at("labels"),
                        format!("needs one label per point ({p})"),
                    ));
                }
            }
            _ => problems.push(Problem::field(
                at("points"),
                "a Likert item needs 2 to 11 points",
            )),
        },
        ItemKind::SingleChoice | ItemKind::MultipleChoice => {
            let distinct: HashSet<&String> = item.labels.iter().collect();
            if item.labels.len() < 2 || distinct.len() != item.labels.len() {
                problems.push(Problem::field(
                    at("labels"),
                    "a choice item needs two or more distinct options",
                ));
            }
        }
        ItemKind::Number => {
            if let (Some(lo), Some(hi)) = (item.min, item.max)
                && lo > hi
            {
                problems.push(Problem::field(at("min"), "is above max"));
            }
        }
        ItemKind::Nps | ItemKind::FreeText => {}
    }
    if item.reverse_keyed && kind != ItemKind::Likert {
        problems.push(Problem::field(
            at("reverseKeyed"),
            "only Likert items can be reverse-keyed",
        ));
    }
    if let Some(code) = &item.scale
        && !scales.contains(code.as_str())
    {
        problems.push(Problem::field(
            at("scale"),
            format!("no scale has the code `{code}`"),
        ));
    }
}

/// Items written per statement.
const CHUNK: usize = 500;
/// Most items a questionnaire may have.
pub const MAX_ITEMS: usize = 1000;

/// Everything wrong with a questionnaire definition; empty when it may be
/// created.
pub fn check(input: &CreateQuestionnaireInput) -> Vec<Problem> {
    let mut problems = Vec::new();
    validate::name(&mut problems, "key", &input.key, 100);
    validate::name(&mut problems, "title", &input.title, validate::NAME);
    validate::text(
        &mut problems,
        "description",
        &input.description,
        validate::TEXT,
    );
    for (i, s) in input.scales.iter().enumerate() {
        validate::name(&mut problems, &format!("scales[{i}].code"), &s.code, 100);
        validate::name(
            &mut problems,
            &format!("scales[{i}].name"),
            &s.name,
            validate::NAME,
        );
    }
    if input.items.len() > MAX_ITEMS {
        problems.push(Problem::field(
            "items",
            format!("at most {MAX_ITEMS} items"),
        ));
    }
    if input.items.is_empty() {
        problems.push(Problem::field(
            "items",
            "a questionnaire needs at least one item",
        ));
    }
    let scale_codes: HashSet<&str> = input.scales.iter().map(|s| s.code.as_str()).collect();
    if scale_codes.len() != input.scales.len() {
        problems.push(Problem::field("scales", "scale codes must be unique"));
    }
    let mut seen = HashSet::new();
    for (i, item) in input.items.iter().enumerate() {
        if !seen.insert(item.code.as_str()) {
            problems.push(Problem::field(
                format!("items[{i}].code"),
                format!("`{}` is used twice", item.code),
            ));
        }
        check_item(i, item, &scale_codes, &mut problems);
    }
    problems
}

/// Creates a questionnaire, or the next version of one with the same key,
/// once [`check`] finds nothing wrong.
pub async fn create(
    db: &DatabaseConnection,
    organisation_id: i64,
    input: CreateQuestionnaireInput,
) -> ApiResult<questionnaire::Model> {
    let problems = check(&input);
    if !problems.is_empty() {
        return Err(ApiError::invalid(problems));
    }

    let txn = worker::db::begin_write(db).await?;
    let latest: Option<i32> = questionnaire::Entity::find()
        .select_only()
        .column_as(questionnaire::Column::Version.max(), "v")
        .filter(questionnaire::Column::OrganisationId.eq(organisation_id))
        .filter(questionnaire::Column::Key.eq(input.key.trim()))
        .into_tuple::<Option<i32>>()
        .one(&txn)
        .await?
        .flatten();
    let created = questionnaire::Entity::insert(questionnaire::ActiveModel {
        organisation_id: Set(organisation_id),
        key: Set(input.key.trim().to_owned()),
        version: Set(latest.unwrap_or(0) + 1),
        title: Set(input.title),
        description: Set(input.description),
        audience: Set(input.audience.into()),
        mode: Set(input.mode.into()),
        locked_at: Set(None),
        created_at: Set(Utc::now()),
        ..Default::default()
    })
    .exec_with_returning(&txn)
    .await?;

    let mut scale_ids = std::collections::HashMap::new();
    for (position, s) in input.scales.iter().enumerate() {
        let row = scale::Entity::insert(scale::ActiveModel {
            questionnaire_id: Set(created.id),
            code: Set(s.code.clone()),
            name: Set(s.name.clone()),
            position: Set(position as i32),
            higher_is_better: Set(s.higher_is_better),
            ..Default::default()
        })
        .exec_with_returning(&txn)
        .await?;
        scale_ids.insert(s.code.clone(), row.id);
    }
    let items = input
        .items
        .into_iter()
        .enumerate()
        .map(|(position, i)| item::ActiveModel {
            questionnaire_id: Set(created.id),
            scale_id: Set(i.scale.as_ref().and_then(|c| scale_ids.get(c).copied())),
            position: Set(position as i32),
            code: Set(i.code),
            prompt: Set(i.prompt),
            kind: Set(i.kind.into()),
            points: Set(i.points),
            labels: Set(serde_json::json!(i.labels)),
            reverse_keyed: Set(i.reverse_keyed),
            min_value: Set(i.min),
            max_value: Set(i.max),
            required: Set(i.required),
            ..Default::default()
        });
    // In slices: SQLite bounds the parameters of one statement.
    let items: Vec<item::ActiveModel> = items.collect();
    for chunk in items.chunks(CHUNK) {
        item::Entity::insert_many(chunk.to_vec())
            .exec_without_returning(&txn)
            .await?;
    }
    txn.commit().await?;
    Ok(created)
}
