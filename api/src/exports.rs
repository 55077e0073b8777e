//! Downloads of a campaign's figures and of a report's tables, as CSV
//! (one table a file) or as an XLSX workbook (one sheet a table):
//!
//! - `GET /exports/campaigns/{campaign id}/results.csv?table=items`
//! - `GET /exports/campaigns/{campaign id}/results.xlsx[?table=…]`
//! - `GET /exports/reports/{report id}/report.csv?table=recommendations`
//! - `GET /exports/reports/{report id}/report.xlsx[?table=…]`
//! - `GET /exports/people/{person id}/data.json`: every row about a
//!   person, for admins only, recorded in the audit log
//!
//! They take the bearer token of the GraphQL endpoint and answer the roles
//! that may read results there. Another organisation's campaign or report
//! is not found, as one that does not exist.

use entities::campaign_result;
use poem::web::{Data, Path};
use poem::{Request, Response, handler};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use worker::export::{self, Table};
use worker::report::ReportData;
use worker::results::CampaignResults;

use crate::auth::{Caller, READERS};
use crate::error::{ApiError, ApiResult, Code};
use crate::ids::{self, ID};
use crate::state::AppState;

/// `GET /exports/campaigns/{campaign id}/{results.csv | results.xlsx}`
#[handler]
pub async fn campaign(
    req: &Request,
    Path((id, file)): Path<(String, String)>,
    state: Data<&AppState>,
) -> Response {
    let answer = async {
        let caller = signed_in(req, &state).await?;
        caller.require(READERS)?;
        let wanted = Wanted::read(req, &file, "results")?;

        let campaign_id =
            ids::decode(&ID(id), "Campaign").map_err(|_| ApiError::NotFound("campaign"))?;
        let campaign =
            crate::campaigns::service::find(&state.db, caller.organisation_id, campaign_id).await?;
        let row = campaign_result::Entity::find()
            .filter(campaign_result::Column::CampaignId.eq(campaign.id))
            .filter(campaign_result::Column::OrganisationId.eq(caller.organisation_id))
            .one(&state.db)
            .await?
            .ok_or(ApiError::NotFound("results"))?;
        let results: CampaignResults =
            serde_json::from_value(row.data).map_err(ApiError::internal)?;

        let name = file_stem(&campaign.name, "campaign", campaign.id);
        wanted.answer(export::results_tables(&results), &name)
    };
    answer.await.unwrap_or_else(refusal)
}

/// `GET /exports/reports/{report id}/{report.csv | report.xlsx}`
#[handler]
pub async fn report(
    req: &Request,
    Path((id, file)): Path<(String, String)>,
    state: Data<&AppState>,
) -> Response {
    let answer = async {
        let caller = signed_in(req, &state).await?;
        caller.require(READERS)?;
        let wanted = Wanted::read(req, &file, "report")?;

        let report_id = ids::decode(&ID(id), "Report").map_err(|_| ApiError::NotFound("report"))?;
        let row = entities::report::Entity::find_by_id(report_id)
            .filter(entities::report::Column::OrganisationId.eq(caller.organisation_id))
            .one(&state.db)
            .await?
            .ok_or(ApiError::NotFound("report"))?;
        let data: ReportData = serde_json::from_value(row.data).map_err(ApiError::internal)?;

        let what = format!("{} report v{}", data.campaign, data.version);
        let name = file_stem(&what, "report", row.id);
        wanted.answer(worker::report::tables(&data), &name)
    };
    answer.await.unwrap_or_else(refusal)
}

/// `GET /exports/programme-reports/{report id}/{report.csv | report.xlsx}`:
/// the tables `scores`, `recommendations`, `campaigns` and `dyadic`.
#[handler]
pub async fn programme_report(
    req: &Request,
    Path((id, file)): Path<(String, String)>,
    state: Data<&AppState>,
) -> Response {
    let answer = async {
        let caller = signed_in(req, &state).await?;
        caller.require(READERS)?;
        let wanted = Wanted::read(req, &file, "report")?;

        let report_id =
            ids::decode(&ID(id), "ProgrammeReport").map_err(|_| ApiError::NotFound("report"))?;
        let row = entities::programme_report::Entity::find_by_id(report_id)
            .filter(entities::programme_report::Column::OrganisationId.eq(caller.organisation_id))
            .one(&state.db)
            .await?
            .ok_or(ApiError::NotFound("report"))?;
        let data: worker::programme_report::ReportData =
            serde_json::from_value(row.data).map_err(ApiError::internal)?;

        let what = format!("{} report v{}", data.programme, data.version);
        let name = file_stem(&what, "programme-report", row.id);
        wanted.answer(worker::programme_render::tables(&data), &name)
    };
    answer.await.unwrap_or_else(refusal)
}

/// `GET /exports/people/{person id}/data.json`: what `exportPersonData`
/// answers, as a file.
#[handler]
pub async fn person(
    req: &Request,
    Path((id, file)): Path<(String, String)>,
    state: Data<&AppState>,
) -> Response {
    let answer = async {
        let caller = signed_in(req, &state).await?;
        caller.require(&[entities::Role::Admin])?;
        if file != "data.json" {
            return Err(ApiError::NotFound("export"));
        }
        let person_id = ids::decode(&ID(id), "Person").map_err(|_| ApiError::NotFound("person"))?;
        let client =
            crate::http::client_address(req, state.auth.settings.client_ip_header.as_deref());
        let actor = crate::audit::Actor::new(&caller, &client);
        let document = crate::rights::service::export(&state, &actor, person_id).await?;
        let body = serde_json::to_vec_pretty(&document).map_err(ApiError::internal)?;
        Ok(Response::builder()
            .content_type("application/json")
            .header(
                "content-disposition",
                format!("attachment; filename=\"person-{person_id}.json\""),
            )
            .header("cache-control", "no-store")
            .header("x-content-type-options", "nosniff")
            .body(body))
    };
    answer.await.unwrap_or_else(refusal)
}

/// The caller of the request's bearer token.
async fn signed_in(req: &Request, state: &AppState) -> ApiResult<Caller> {
    let token = crate::http::bearer(req).ok_or(ApiError::Unauthenticated)?;
    let caller = state
        .callers
        .of(&state.db, token)
        .await?
        .ok_or(ApiError::Unauthenticated)?;
    // Files are reads: a key needs its READ scope.
    if caller
        .api_key
        .as_ref()
        .is_some_and(|k| !k.allows(crate::auth::Scope::Read))
    {
        return Err(ApiError::Forbidden);
    }
    Ok(caller)
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Format {
    Csv,
    Xlsx,
}

/// What a request asks for: a format, and one table or (XLSX only) all.
#[derive(Debug, PartialEq)]
struct Wanted {
    format: Format,
    table: Option<String>,
}

impl Wanted {
    /// Reads `{stem}.csv` or `{stem}.xlsx` and the `table` parameter.
    fn read(req: &Request, file: &str, stem: &str) -> ApiResult<Self> {
        let format = match file.strip_prefix(stem) {
            Some(".csv") => Format::Csv,
            Some(".xlsx") => Format::Xlsx,
            _ => return Err(ApiError::NotFound("export")),
        };
        let query = req.uri().query().unwrap_or_default();
        let pairs: Vec<(String, String)> = serde_urlencoded::from_str(query)
            .map_err(|_| ApiError::bad_input("the query string does not read"))?;
        let mut tables = pairs.into_iter().filter(|(k, _)| k == "table");
        let table = tables.next().map(|(_, v)| v);
        if tables.next().is_some() {
            return Err(ApiError::bad_input("name one table"));
        }
        if format == Format::Csv && table.is_none() {
            return Err(ApiError::bad_input(
                "a CSV file holds one table: name it with ?table=",
            ));
        }
        Ok(Self { format, table })
    }

    /// The file of the table asked for, or of them all.
    fn answer(&self, tables: Vec<Table>, name: &str) -> ApiResult<Response> {
        let (tables, name) = match &self.table {
            Some(key) => {
                let table = tables
                    .into_iter()
                    .find(|t| t.name == *key)
                    .ok_or(ApiError::NotFound("table"))?;
                let name = format!("{name}-{}", table.name);
                (vec![table], name)
            }
            None => (tables, name.to_owned()),
        };
        let (body, content_type, extension) = match self.format {
            Format::Csv => (
                tables.first().map(export::to_csv).unwrap_or_default(),
                export::CSV_CONTENT_TYPE,
                "csv",
            ),
            Format::Xlsx => (
                export::to_xlsx(&tables).map_err(ApiError::internal)?,
                export::XLSX_CONTENT_TYPE,
                "xlsx",
            ),
        };
        Ok(Response::builder()
            .content_type(content_type)
            .header(
                "content-disposition",
                format!("attachment; filename=\"{name}.{extension}\""),
            )
            .header("cache-control", "no-store")
            .header("x-content-type-options", "nosniff")
            .body(body))
    }
}

/// A file name from `title`: lower-case ASCII letters and digits joined by
/// dashes, accents dropped, at most 60 characters; `{fallback}-{id}` when
/// nothing is left. Nothing in it needs quoting in a header.
fn file_stem(title: &str, fallback: &str, id: i64) -> String {
    let mut stem = String::new();
    for c in title.chars().flat_map(char::to_lowercase) {
        match unaccented(c) {
            Some(letters) if stem.len() + letters.len() <= 60 => stem.push_str(letters),
            Some(_) => break,
            None if !stem.is_empty() && !stem.ends_with('-') => stem.push('-'),
            None => {}
        }
    }
    let stem = stem.trim_end_matches('-');
    if stem.is_empty() {
        format!("{fallback}-{id}")
    } else {
        stem.to_owned()
    }
}

/// A lower-case letter or digit as ASCII, accents dropped; `None` for
/// anything else.
fn unaccented(c: char) -> Option<&'static str> {
    const ASCII: &str = "abcdefghijklmnopqrstuvwxyz0123456789";
    if c.is_ascii_alphanumeric() {
        let at = ASCII.find(c)?;
        return ASCII.get(at..at + 1);
    }
    Some(match c {
        'à' | 'á' | 'â' | 'ã' | 'ä' | 'å' => "a",
        'æ' => "ae",
        'ç' => "c",
        'è' | 'é' | 'ê' | 'ë' => "e",
        'ì' | 'í' | 'î' | 'ï' => "i",
        'ñ' => "n",
        'ò' | 'ó' | 'ô' | 'õ' | 'ö' | 'ø' => "o",
        'œ' => "oe",
        'ß' => "ss",
        'ù' | 'ú' | 'û' | 'ü' => "u",
        'ý' | 'ÿ' => "y",
        _ => return None,
    })
}

/// The JSON error body of the GraphQL endpoint, with a status to match.
fn refusal(error: ApiError) -> Response {
    let code = error.code();
    let status = code.status();
    // The conversion logs an internal cause and keeps it from the client.
    let message = async_graphql::Error::from(error).message;
    let mut response = crate::http::refuse(status, code.as_str(), &message);
    if code == Code::Unauthenticated {
        response.headers_mut().insert(
            "www-authenticate",
            poem::http::HeaderValue::from_static("Bearer"),
        );
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    fn wanted(uri: &str, file: &str) -> ApiResult<Wanted> {
        let req = Request::builder().uri_str(uri).finish();
        Wanted::read(&req, file, "results")
    }

    #[test]
    fn a_request_names_a_format_and_a_table() {
        let csv = wanted("/x?table=items", "results.csv").ok();
        let xlsx = wanted("/x", "results.xlsx").ok();

        assert_eq!(
            csv,
            Some(Wanted {
                format: Format::Csv,
                table: Some("items".into())
            })
        );
        assert_eq!(xlsx.map(|w| w.table), Some(None));
        let code = |r: ApiResult<Wanted>| r.err().map(|e| e.code());
        assert_eq!(code(wanted("/x", "results.csv")), Some(Code::BadUserInput));
        assert_eq!(
            code(wanted("/x?table=a&table=b", "results.xlsx")),
            Some(Code::BadUserInput)
        );
        assert_eq!(
            code(wanted("/x?table=items", "results.pdf")),
            Some(Code::NotFound)
        );
        assert_eq!(
            code(wanted("/x?table=items", "report.csv")),
            Some(Code::NotFound)
        );
    }

    #[test]
    fn file_names_keep_letters_and_digits_only() {
        assert_eq!(
            file_stem("Autumn check-in 2026", "campaign", 3),
            "autumn-check-in-2026"
        );
        assert_eq!(file_stem("\"; rm -rf /\r\n", "campaign", 3), "rm-rf");
        assert_eq!(file_stem("Élèves, Œuvre", "campaign", 3), "eleves-oeuvre");
        assert_eq!(file_stem("日本", "campaign", 3), "campaign-3");
        assert_eq!(file_stem(&"a".repeat(99), "campaign", 3).len(), 60);
    }
}
