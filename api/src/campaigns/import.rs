//! Importing existing responses from CSV: every row is checked first, and a
//! file with any problem imports nothing.

use std::collections::{BTreeMap, HashMap, HashSet};

use chrono::Utc;
use entities::{PersonKind, ResponseSource, answer, item, person, response};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter,
    QuerySelect,
};
use worker::results::Value;

use super::{answers, service};
use crate::error::{ApiError, ApiResult, Problem};

/// Problems listed at most, so a wholly wrong file gives a readable answer.
const MAX_PROBLEMS: usize = 50;
/// Answers per insert statement, under every backend's parameter limit.
const CHUNK: usize = 1000;

/// How the columns of a file map to items and respondent attributes.
#[derive(Clone, Debug, Default)]
pub struct Mapping {
    /// Column holding the respondent's own id, kept as the response's reference.
    pub respondent_column: Option<String>,
    /// (column, item code)
    pub items: Vec<(String, String)>,
    pub attributes: Vec<AttributeColumn>,
    /// Link each response to the learner whose external reference is in the
    /// respondent column, creating learners not yet known.
    pub link_people: bool,
}

/// A respondent attribute read from a column; numeric values may be grouped
/// into bands: bounds `[18, 25]` give `<18`, `18-24` and `25+`.
#[derive(Clone, Debug, Default)]
pub struct AttributeColumn {
    pub column: String,
    pub name: String,
    pub bands: Vec<f64>,
}

/// The band label of a value.
pub fn band(value: f64, bounds: &[f64]) -> String {
    let show = worker::results::format_number;
    match bounds.iter().position(|b| value < *b) {
        Some(0) => format!("<{}", show(bounds[0])),
        Some(i) => format!("{}-{}", show(bounds[i - 1]), show(bounds[i] - 1.0)),
        None => format!("{}+", show(bounds.last().copied().unwrap_or(value))),
    }
}

struct Row {
    external_ref: Option<String>,
    attributes: BTreeMap<String, String>,
    answers: Vec<(i64, Value)>,
}

/// Imports `data` into a campaign; returns the number of responses stored.
pub async fn import(
    db: &DatabaseConnection,
    organisation_id: i64,
    campaign_id: i64,
    data: &[u8],
    mapping: &Mapping,
) -> ApiResult<usize> {
    let campaign = service::find(db, organisation_id, campaign_id).await?;
    let items = item::Entity::find()
        .filter(item::Column::QuestionnaireId.eq(campaign.questionnaire_id))
        .all(db)
        .await?;
    if campaign.anonymity == entities::Anonymity::Anonymous
        && (mapping.link_people || mapping.respondent_column.is_some())
    {
        return Err(ApiError::bad_input(
            "an anonymous campaign keeps no reference to its respondents: import without a respondent column",
        ));
    }
    let rows = parse(data, mapping, &items)?;
    if mapping.link_people && mapping.respondent_column.is_none() {
        return Err(ApiError::bad_input(
            "linking people needs a respondent column",
        ));
    }

    let txn = worker::db::begin_write(db).await?;
    let people = if mapping.link_people {
        let refs: Vec<&str> = rows
            .iter()
            .filter_map(|r| r.external_ref.as_deref())
            .collect();
        find_or_create_learners(&txn, organisation_id, &refs).await?
    } else {
        HashMap::new()
    };
    let now = Utc::now();
    let mut pending: Vec<answer::ActiveModel> = Vec::with_capacity(CHUNK);
    for row in &rows {
        let stored = response::Entity::insert(response::ActiveModel {
            organisation_id: Set(organisation_id),
            campaign_id: Set(campaign_id),
            invitation_id: Set(None),
            external_ref: Set(row.external_ref.clone()),
            source: Set(ResponseSource::Import),
            attributes: Set(serde_json::json!(row.attributes)),
            digest: Set(String::new()),
            person_id: Set(row
                .external_ref
                .as_ref()
                .and_then(|r| people.get(r))
                .copied()),
            submitted_at: Set(now),
            ..Default::default()
        })
        .exec(&txn)
        .await?;
        for (item_id, value) in &row.answers {
            pending.push(answers::to_row(
                stored.last_insert_id,
                *item_id,
                value.clone(),
            ));
        }
        if pending.len() >= CHUNK {
            answer::Entity::insert_many(std::mem::take(&mut pending))
                .exec_without_returning(&txn)
                .await?;
        }
    }
    if !pending.is_empty() {
        answer::Entity::insert_many(pending)
            .exec_without_returning(&txn)
            .await?;
    }
    txn.commit().await?;
    Ok(rows.len())
}

/// Ids of the organisation's people by external reference; the missing
/// ones are created as learners named after their reference.
async fn find_or_create_learners(
    txn: &impl ConnectionTrait,
    organisation_id: i64,
    refs: &[&str],
) -> ApiResult<HashMap<String, i64>> {
    let wanted: HashSet<&str> = refs.iter().copied().collect();
    let mut known = HashMap::with_capacity(wanted.len());
    let all: Vec<&str> = wanted.iter().copied().collect();
    for chunk in all.chunks(CHUNK) {
        known.extend(people_by_ref(txn, organisation_id, chunk).await?);
    }
    let missing: Vec<&str> = all
        .into_iter()
        .filter(|r| !known.contains_key(*r))
        .collect();
    let now = Utc::now();
    for chunk in missing.chunks(CHUNK) {
        let rows = chunk.iter().map(|r| person::ActiveModel {
            organisation_id: Set(organisation_id),
            external_ref: Set(Some((*r).to_owned())),
            name: Set(format!("Respondent {r}")),
            email: Set(None),
            kind: Set(PersonKind::Learner),
            language: Set("en".into()),
            time_zone: Set("UTC".into()),
            created_at: Set(now),
            ..Default::default()
        });
        person::Entity::insert_many(rows)
            .exec_without_returning(txn)
            .await?;
        known.extend(people_by_ref(txn, organisation_id, chunk).await?);
    }
    Ok(known)
}

/// (external reference, id) of the organisation's people with these references.
async fn people_by_ref(
    txn: &impl ConnectionTrait,
    organisation_id: i64,
    refs: &[&str],
) -> ApiResult<Vec<(String, i64)>> {
    let found: Vec<(i64, Option<String>)> = person::Entity::find()
        .select_only()
        .column(person::Column::Id)
        .column(person::Column::ExternalRef)
        .filter(person::Column::OrganisationId.eq(organisation_id))
        .filter(person::Column::ExternalRef.is_in(refs.iter().copied()))
        .into_tuple()
        .all(txn)
        .await?;
    Ok(found
        .into_iter()
        .filter_map(|(id, r)| Some((r?, id)))
        .collect())
}

/// Lists the first problems and counts them all.
fn too_many(mut problems: Vec<Problem>) -> ApiError {
    if problems.len() <= MAX_PROBLEMS {
        return ApiError::invalid(problems);
    }
    let total = problems.len();
    problems.truncate(MAX_PROBLEMS);
    let message = format!(
        "{total} problems in the file (the first {MAX_PROBLEMS} are listed); the first: {}",
        problems[0]
    );
    ApiError::BadInput(message, problems)
}

fn parse(data: &[u8], mapping: &Mapping, items: &[item::Model]) -> ApiResult<Vec<Row>> {
    let data = data.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(data);
    let mut reader = csv::ReaderBuilder::new().flexible(false).from_reader(data);
    let headers = reader
        .headers()
        .map_err(|e| ApiError::bad_input(format!("the file is not readable CSV: {e}")))?
        .clone();
    let column = |name: &str| headers.iter().position(|h| h.trim() == name);

    let by_code: HashMap<&str, &item::Model> = items.iter().map(|i| (i.code.as_str(), i)).collect();
    let mut problems = Vec::new();
    let mut seen = HashSet::new();
    for header in headers.iter().map(str::trim) {
        if !seen.insert(header) {
            problems.push(Problem::field(
                header,
                "the file has two columns of this name",
            ));
        }
    }
    let mut mapped_items = HashSet::new();
    for (col, code) in &mapping.items {
        if !mapped_items.insert(code.as_str()) {
            problems.push(Problem::field(
                col.clone(),
                format!("item `{code}` is mapped from two columns"),
            ));
        }
    }
    for attr in &mapping.attributes {
        let increasing = attr.bands.windows(2).all(|w| w[0] < w[1]);
        if !increasing || attr.bands.iter().any(|b| !b.is_finite()) {
            problems.push(Problem::field(
                attr.column.clone(),
                "band bounds must be numbers in increasing order",
            ));
        }
    }
    let mut item_columns = Vec::new();
    for (col, code) in &mapping.items {
        match (column(col), by_code.get(code.as_str())) {
            (None, _) => problems.push(Problem::field(col.clone(), "the file has no such column")),
            (_, None) => problems.push(Problem::field(
                col.clone(),
                format!("no item has the code `{code}`"),
            )),
            (Some(index), Some(item)) => item_columns.push((index, col.as_str(), *item)),
        }
    }
    let mut attribute_columns = Vec::new();
    for attr in &mapping.attributes {
        match column(&attr.column) {
            None => problems.push(Problem::field(
                attr.column.clone(),
                "the file has no such column",
            )),
            Some(index) => attribute_columns.push((index, attr)),
        }
    }
    let respondent = match &mapping.respondent_column {
        Some(name) => match column(name) {
            Some(index) => Some(index),
            None => {
                problems.push(Problem::field(name.clone(), "the file has no such column"));
                None
            }
        },
        None => None,
    };
    if item_columns.is_empty() && problems.is_empty() {
        problems.push(Problem::field(
            "items",
            "map at least one column to an item",
        ));
    }
    if !problems.is_empty() {
        return Err(ApiError::invalid(problems));
    }

    let mut rows = Vec::new();
    for (n, record) in reader.records().enumerate() {
        let row_number = n + 1;
        let record = match record {
            Ok(r) => r,
            Err(e) => {
                problems.push(Problem {
                    row: Some(row_number),
                    field: None,
                    message: format!("not a valid CSV row: {e}"),
                });
                continue;
            }
        };
        let cell = |i: usize| record.get(i).unwrap_or_default();
        let mut row = Row {
            external_ref: respondent
                .map(|i| cell(i).trim().to_owned())
                .filter(|s| !s.is_empty()),
            attributes: BTreeMap::new(),
            answers: Vec::with_capacity(item_columns.len()),
        };
        for (index, name, item) in &item_columns {
            match answers::from_cell(item, cell(*index)) {
                Ok(Some(value)) => row.answers.push((item.id, value)),
                Ok(None) => {}
                Err(message) => problems.push(Problem {
                    row: Some(row_number),
                    field: Some((*name).to_owned()),
                    message,
                }),
            }
        }
        for (index, attr) in &attribute_columns {
            let raw = cell(*index).trim();
            if raw.is_empty() {
                continue;
            }
            let value = if attr.bands.is_empty() {
                raw.to_owned()
            } else {
                match raw.parse::<f64>() {
                    Ok(v) if v.is_finite() => band(v, &attr.bands),
                    _ => {
                        problems.push(Problem {
                            row: Some(row_number),
                            field: Some(attr.column.clone()),
                            message: format!("`{raw}` is not a number to put in a band"),
                        });
                        continue;
                    }
                }
            };
            row.attributes.insert(attr.name.clone(), value);
        }
        rows.push(row);
    }
    if !problems.is_empty() {
        return Err(too_many(problems));
    }
    if rows.is_empty() {
        return Err(ApiError::bad_input("the file has no data rows"));
    }
    Ok(rows)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bands_label_ranges() {
        let bounds = [18.0, 25.0, 35.0, 50.0];

        assert_eq!(band(16.0, &bounds), "<18");
        assert_eq!(band(18.0, &bounds), "18-24");
        assert_eq!(band(49.0, &bounds), "35-49");
        assert_eq!(band(50.0, &bounds), "50+");
    }
}
