//! Figures as files: a small table model, written as CSV (RFC 4180) or as
//! an XLSX workbook, and the tables of a campaign's results.

use std::borrow::Cow;
use std::collections::HashSet;

use entities::ItemKind;

use crate::results::{CampaignResults, format_number};

/// `Content-Type` of a CSV file.
pub const CSV_CONTENT_TYPE: &str = "text/csv; charset=utf-8; header=present";
/// `Content-Type` of an XLSX workbook.
pub const XLSX_CONTENT_TYPE: &str =
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

/// One cell of a table.
#[derive(Clone, Debug, PartialEq)]
pub enum Cell {
    Text(String),
    Number(f64),
    Empty,
}

impl Cell {
    pub fn text(text: impl Into<String>) -> Self {
        Self::Text(text.into())
    }

    /// A figure; absent or not finite, the cell stays empty.
    pub fn number(value: Option<f64>) -> Self {
        match value {
            Some(v) if v.is_finite() => Self::Number(v),
            _ => Self::Empty,
        }
    }

    pub fn count(n: usize) -> Self {
        Self::Number(n as f64)
    }
}

/// A table: what becomes one CSV file or one sheet of a workbook.
#[derive(Clone, Debug, PartialEq)]
pub struct Table {
    /// The sheet's name; made valid and unique when the workbook is written.
    pub name: String,
    pub header: Vec<String>,
    pub rows: Vec<Vec<Cell>>,
}

/// Writes a table as CSV: UTF-8 with a byte order mark, so that
/// spreadsheet programs read accents, and CRLF line ends.
///
/// Text that a spreadsheet would take for a formula (starting with `=`,
/// `+`, `-`, `@`, a tab or a carriage return) gets a leading `'`, header
/// included; numbers are written as numbers, a negative one too.
pub fn to_csv(table: &Table) -> Vec<u8> {
    let mut out = String::from('\u{feff}');
    let header: Vec<Cell> = table.header.iter().map(Cell::text).collect();
    for row in std::iter::once(&header).chain(&table.rows) {
        for (i, cell) in row.iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            match cell {
                Cell::Text(text) => push_field(&mut out, &neutralised(text)),
                Cell::Number(v) if v.is_finite() => out.push_str(&format_number(*v)),
                Cell::Number(_) | Cell::Empty => {}
            }
        }
        out.push_str("\r\n");
    }
    out.into_bytes()
}

/// Text a spreadsheet would not evaluate: a `'` before a formula's first
/// character.
fn neutralised(text: &str) -> Cow<'_, str> {
    if text.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{text}").into()
    } else {
        text.into()
    }
}

/// A field, quoted when it holds a quote, a comma or a line break, with
/// its quotes doubled.
fn push_field(out: &mut String, text: &str) {
    if text.contains(['"', ',', '\r', '\n']) {
        out.push('"');
        out.push_str(&text.replace('"', "\"\""));
        out.push('"');
    } else {
        out.push_str(text);
    }
}

/// A workbook that could not be written.
#[derive(Debug, thiserror::Error)]
#[error("the workbook could not be written")]
pub struct XlsxError(#[from] rust_xlsxwriter::XlsxError);

/// Writes tables as an XLSX workbook, one sheet each, header in bold.
/// Numbers are stored as numbers and text as text: a text cell is never
/// evaluated as a formula, whatever it starts with.
pub fn to_xlsx(tables: &[Table]) -> Result<Vec<u8>, XlsxError> {
    use rust_xlsxwriter::{Format, Workbook};

    let mut workbook = Workbook::new();
    let bold = Format::new().set_bold();
    let names = sheet_names(tables.iter().map(|t| t.name.as_str()));
    for (table, name) in tables.iter().zip(names) {
        let sheet = workbook.add_worksheet();
        sheet.set_name(name)?;
        for (col, title) in (0u16..).zip(&table.header) {
            sheet.write_string_with_format(0, col, title, &bold)?;
        }
        for (row, cells) in (1u32..).zip(&table.rows) {
            for (col, cell) in (0u16..).zip(cells) {
                match cell {
                    Cell::Text(text) => {
                        sheet.write_string(row, col, text)?;
                    }
                    Cell::Number(v) if v.is_finite() => {
                        sheet.write_number(row, col, *v)?;
                    }
                    Cell::Number(_) | Cell::Empty => {}
                }
            }
        }
        if !table.header.is_empty() {
            sheet.set_freeze_panes(1, 0)?;
        }
    }
    Ok(workbook.save_to_buffer()?)
}

/// Longest sheet name, in UTF-16 units.
const SHEET_NAME_MAX: usize = 31;

/// Sheet names Excel accepts: no `[]:*?/\`, no `'` at either end, at most
/// 31 characters, not `History`, and unique regardless of case.
pub fn sheet_names<'a>(names: impl IntoIterator<Item = &'a str>) -> Vec<String> {
    let mut taken = HashSet::new();
    names
        .into_iter()
        .map(|name| {
            let base = valid_sheet_name(name);
            let mut candidate = base.clone();
            let mut n = 2;
            while !taken.insert(candidate.to_lowercase()) {
                let suffix = format!(" ({n})");
                candidate = format!(
                    "{}{suffix}",
                    cut_utf16(&base, SHEET_NAME_MAX - suffix.len())
                );
                n += 1;
            }
            candidate
        })
        .collect()
}

fn valid_sheet_name(name: &str) -> String {
    let replaced: String = name
        .chars()
        .map(|c| {
            if "[]:*?/\\".contains(c) || c.is_control() {
                '_'
            } else {
                c
            }
        })
        .collect();
    let trimmed = cut_utf16(replaced.trim_matches('\''), SHEET_NAME_MAX)
        .trim_end_matches('\'')
        .trim();
    if trimmed.is_empty() {
        "Sheet".to_owned()
    } else if trimmed.eq_ignore_ascii_case("history") {
        format!("{trimmed}_")
    } else {
        trimmed.to_owned()
    }
}

/// The longest start of `text` that fits in `max` UTF-16 units.
fn cut_utf16(text: &str, max: usize) -> &str {
    let mut units = 0;
    for (i, c) in text.char_indices() {
        units += c.len_utf16();
        if units > max {
            return &text[..i];
        }
    }
    text
}

/// The tables of a campaign's results.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ResultsTable {
    Overview,
    Items,
    Distributions,
    Scales,
    Breakdowns,
}

impl ResultsTable {
    pub const ALL: [Self; 5] = [
        Self::Overview,
        Self::Items,
        Self::Distributions,
        Self::Scales,
        Self::Breakdowns,
    ];

    /// The table's name in URLs, file names and sheet names.
    pub fn key(self) -> &'static str {
        match self {
            Self::Overview => "overview",
            Self::Items => "items",
            Self::Distributions => "distributions",
            Self::Scales => "scales",
            Self::Breakdowns => "breakdowns",
        }
    }

    pub fn from_key(key: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|t| t.key() == key)
    }
}

/// Every table of a campaign's results.
pub fn results_tables(results: &CampaignResults) -> Vec<Table> {
    ResultsTable::ALL
        .into_iter()
        .map(|which| results_table(results, which))
        .collect()
}

/// One table of a campaign's results. It holds the figures the API shows
/// and no more: with too few responses only counts, and nothing for a
/// group below the minimum size but its count.
pub fn results_table(results: &CampaignResults, which: ResultsTable) -> Table {
    let (header, rows) = match which {
        ResultsTable::Overview => overview(results),
        ResultsTable::Items => items(results),
        ResultsTable::Distributions => distributions(results),
        ResultsTable::Scales => scales(results),
        ResultsTable::Breakdowns => breakdowns(results),
    };
    Table {
        name: which.key().to_owned(),
        header,
        rows,
    }
}

/// A table's header and rows.
type Columns = (Vec<String>, Vec<Vec<Cell>>);

fn names(header: &[&str]) -> Vec<String> {
    header.iter().map(|h| (*h).to_owned()).collect()
}

fn overview(r: &CampaignResults) -> Columns {
    let row = |name: &str, value: Cell| vec![Cell::text(name), value];
    let withheld = if r.suppressed { "yes" } else { "no" };
    let rows = vec![
        row("responses", Cell::Number(r.responses as f64)),
        row("invited", Cell::Number(r.invited as f64)),
        row("response rate", Cell::number(r.response_rate)),
        row("minimum group size", Cell::count(r.min_group_size)),
        row("figures withheld", Cell::text(withheld)),
        row("computed at", Cell::text(r.computed_at.to_rfc3339())),
    ];
    (names(&["measure", "value"]), rows)
}

fn items(r: &CampaignResults) -> Columns {
    let header = names(&[
        "code", "prompt", "kind", "n", "missing", "mean", "sd", "min", "q1", "median", "q3", "max",
        "nps",
    ]);
    let figure = |v: Option<f64>| Cell::number(v.filter(|_| !r.suppressed));
    let rows = r
        .items
        .iter()
        .map(|item| {
            let s = &item.summary;
            vec![
                Cell::text(&item.code),
                Cell::text(&item.prompt),
                Cell::text(kind_name(item.kind)),
                Cell::count(s.n),
                Cell::count(s.missing),
                figure(s.mean),
                figure(s.sd),
                figure(s.min),
                figure(s.q1),
                figure(s.median),
                figure(s.q3),
                figure(s.max),
                figure(item.nps),
            ]
        })
        .collect();
    (header, rows)
}

/// The item kind as the API names it.
fn kind_name(kind: ItemKind) -> &'static str {
    match kind {
        ItemKind::Likert => "LIKERT",
        ItemKind::SingleChoice => "SINGLE_CHOICE",
        ItemKind::MultipleChoice => "MULTIPLE_CHOICE",
        ItemKind::Number => "NUMBER",
        ItemKind::Nps => "NPS",
        ItemKind::FreeText => "FREE_TEXT",
    }
}

fn distributions(r: &CampaignResults) -> Columns {
    let header = names(&["item", "value", "label", "count"]);
    if r.suppressed {
        return (header, Vec::new());
    }
    let rows = r
        .items
        .iter()
        .flat_map(|item| {
            item.distribution.iter().map(|c| {
                vec![
                    Cell::text(&item.code),
                    Cell::text(&c.value),
                    c.label.as_ref().map_or(Cell::Empty, Cell::text),
                    Cell::count(c.count),
                ]
            })
        })
        .collect();
    (header, rows)
}

fn scales(r: &CampaignResults) -> Columns {
    let header = names(&["code", "name", "n", "mean", "sd", "alpha"]);
    let figure = |v: Option<f64>| Cell::number(v.filter(|_| !r.suppressed));
    let rows = r
        .scales
        .iter()
        .map(|s| {
            vec![
                Cell::text(&s.code),
                Cell::text(&s.name),
                Cell::count(s.score.n),
                figure(s.score.mean),
                figure(s.score.sd),
                figure(s.alpha),
            ]
        })
        .collect();
    (header, rows)
}

/// One row per group, with a column `<scale code> mean` per scale.
fn breakdowns(r: &CampaignResults) -> Columns {
    let codes: Vec<&str> = r.scales.iter().map(|s| s.code.as_str()).collect();
    let mut header = names(&["attribute", "group", "n", "suppressed"]);
    header.extend(codes.iter().map(|code| format!("{code} mean")));
    if r.suppressed {
        return (header, Vec::new());
    }
    let rows = r
        .breakdowns
        .iter()
        .flat_map(|b| {
            b.groups.iter().map(|g| {
                let mut row = vec![
                    Cell::text(&b.attribute),
                    Cell::text(&g.value),
                    Cell::count(g.n),
                    Cell::text(if g.suppressed { "yes" } else { "no" }),
                ];
                row.extend(codes.iter().map(|code| {
                    let mean = g.scale_means.iter().find(|f| f.code == *code);
                    Cell::number(mean.and_then(|f| f.mean).filter(|_| !g.suppressed))
                }));
                row
            })
        })
        .collect();
    (header, rows)
}

#[cfg(test)]
mod tests {
    use std::collections::{BTreeMap, HashMap};

    use chrono::Utc;

    use super::*;
    use crate::results::{ItemDef, ResponseRow, ResultsInput, ScaleDef, Value, compute_results};

    fn table(header: &[&str], rows: Vec<Vec<Cell>>) -> Table {
        Table {
            name: "t".into(),
            header: names(header),
            rows,
        }
    }

    fn csv_text(table: &Table) -> String {
        String::from_utf8(to_csv(table)).unwrap()
    }

    #[test]
    fn csv_starts_with_a_bom_and_ends_every_line_with_crlf() {
        let t = table(&["a", "b"], vec![vec![Cell::text("x"), Cell::Number(1.0)]]);

        let bytes = to_csv(&t);

        assert_eq!(&bytes[..3], b"\xef\xbb\xbf");
        assert_eq!(&bytes[3..], b"a,b\r\nx,1\r\n");
    }

    #[test]
    fn fields_with_quotes_commas_or_line_breaks_are_quoted_with_quotes_doubled() {
        let cells = ["plain", "say \"hi\"", "a,b", "two\nlines", "cr\rhere", ""];
        let t = table(&["h"], cells.iter().map(|c| vec![Cell::text(*c)]).collect());

        let text = csv_text(&t);

        assert_eq!(
            text,
            "\u{feff}h\r\nplain\r\n\"say \"\"hi\"\"\"\r\n\"a,b\"\r\n\"two\nlines\"\r\n\"cr\rhere\"\r\n\r\n"
        );
    }

    #[test]
    fn text_that_looks_like_a_formula_is_neutralised_in_cells_and_headers() {
        let risky = ["=1+1", "+1", "-1", "@SUM(A1)", "\tx", "\rx"];
        let header: Vec<&str> = risky.to_vec();
        let row: Vec<Cell> = risky.iter().map(|r| Cell::text(*r)).collect();
        let t = table(&header, vec![row]);

        let text = csv_text(&t);

        let expected = "'=1+1,'+1,'-1,'@SUM(A1),'\tx,\"'\rx\"";
        assert_eq!(text, format!("\u{feff}{expected}\r\n{expected}\r\n"));
    }

    #[test]
    fn numbers_stay_numbers_even_when_negative_and_empty_cells_stay_empty() {
        let row = vec![
            Cell::Number(-2.5),
            Cell::Number(3.0),
            Cell::Number(0.1 + 0.2),
            Cell::number(Some(f64::NAN)),
            Cell::Empty,
            Cell::text("-2.5"),
        ];
        let t = table(&["a", "b", "c", "d", "e", "f"], vec![row]);

        let text = csv_text(&t);

        assert_eq!(
            text.lines().nth(1),
            Some("-2.5,3,0.30000000000000004,,,'-2.5")
        );
    }

    #[test]
    fn non_ascii_text_is_written_as_utf8() {
        let t = table(&["élève"], vec![vec![Cell::text("Zoë, 日本 — ok")]]);

        let text = csv_text(&t);

        assert_eq!(text, "\u{feff}élève\r\n\"Zoë, 日本 — ok\"\r\n");
    }

    #[test]
    fn sheet_names_are_made_valid_and_unique() {
        let long = "a".repeat(40);
        let emoji = format!("{}😀😀", "b".repeat(28));
        let names = sheet_names([
            "items",
            "Items",
            "a/b:c*d?e[f]g\\h",
            "'quoted'",
            "",
            "history",
            long.as_str(),
            long.as_str(),
            emoji.as_str(),
        ]);

        assert_eq!(names[0], "items");
        assert_eq!(names[1], "Items (2)");
        assert_eq!(names[2], "a_b_c_d_e_f_g_h");
        assert_eq!(names[3], "quoted");
        assert_eq!(names[4], "Sheet");
        assert_eq!(names[5], "history_");
        assert_eq!(names[6], "a".repeat(31));
        assert_eq!(names[7], format!("{} (2)", "a".repeat(27)));
        // 28 + 2 = 30 units: the second emoji would make 32.
        assert_eq!(names[8], format!("{}😀", "b".repeat(28)));
        assert!(names.iter().all(|n| n.encode_utf16().count() <= 31));
    }

    #[test]
    fn a_workbook_is_a_zip_with_one_sheet_per_table() {
        let tables = [table(&["a"], vec![]), table(&["b"], vec![])];

        let bytes = to_xlsx(&tables).unwrap();

        assert_eq!(&bytes[..2], b"PK");
        let text = String::from_utf8_lossy(&bytes);
        assert!(text.contains("xl/worksheets/sheet2.xml"));
    }

    fn likert(id: i64, code: &str) -> ItemDef {
        ItemDef {
            id,
            code: code.into(),
            prompt: format!("Prompt of {code}"),
            kind: ItemKind::Likert,
            points: Some(5),
            reverse_keyed: false,
            labels: vec!["no".into(), "".into(), "".into(), "".into(), "yes".into()],
        }
    }

    fn row(group: &str, answers: &[(i64, f64)]) -> ResponseRow {
        ResponseRow {
            person_id: None,
            attributes: BTreeMap::from([("site".to_owned(), group.to_owned())]),
            answers: answers
                .iter()
                .map(|(id, v)| (*id, Value::Number(*v)))
                .collect::<HashMap<_, _>>(),
        }
    }

    fn results(min_group_size: usize) -> CampaignResults {
        let items = [likert(1, "q1"), likert(2, "q2")];
        let scales = [ScaleDef {
            code: "S".into(),
            name: "Support".into(),
            higher_is_better: true,
            item_ids: vec![1, 2],
        }];
        let responses = [
            row("north", &[(1, 5.0), (2, 4.0)]),
            row("north", &[(1, 3.0), (2, 4.0)]),
            row("south", &[(1, 1.0), (2, 2.0)]),
        ];
        compute_results(
            &ResultsInput {
                items: &items,
                scales: &scales,
                responses: &responses,
                invited: 4,
                responded_invitations: 3,
                min_group_size,
            },
            Utc::now(),
        )
    }

    fn column(table: &Table, name: &str) -> Vec<Cell> {
        let i = table.header.iter().position(|h| h == name).unwrap();
        table.rows.iter().map(|r| r[i].clone()).collect()
    }

    #[test]
    fn results_tables_carry_the_figures_and_hide_small_groups() {
        let r = results(2);

        let items = results_table(&r, ResultsTable::Items);
        let dist = results_table(&r, ResultsTable::Distributions);
        let scales = results_table(&r, ResultsTable::Scales);
        let groups = results_table(&r, ResultsTable::Breakdowns);

        // q1: 5, 3, 1 → mean 3, sd 2, median 3.
        assert_eq!(column(&items, "mean")[0], Cell::Number(3.0));
        assert_eq!(column(&items, "sd")[0], Cell::Number(2.0));
        assert_eq!(column(&items, "median")[0], Cell::Number(3.0));
        assert_eq!(column(&items, "kind")[0], Cell::text("LIKERT"));
        assert_eq!(column(&items, "nps")[0], Cell::Empty);
        // Five values per Likert item; q1 answered 5 once, labelled "yes".
        assert_eq!(dist.rows.len(), 10);
        assert_eq!(
            dist.rows[4],
            vec![
                Cell::text("q1"),
                Cell::text("5"),
                Cell::text("yes"),
                Cell::Number(1.0)
            ]
        );
        // Scores (5+4)/2, (3+4)/2, (1+2)/2 → 4.5, 3.5, 1.5: mean 19/6.
        assert_eq!(column(&scales, "mean")[0], Cell::Number(9.5 / 3.0));
        assert_eq!(groups.header[4], "S mean");
        // North is hidden with the south: the totals less its figures
        // would give the south's one answer away.
        assert_eq!(
            groups.rows,
            vec![
                vec![
                    Cell::text("site"),
                    Cell::text("north"),
                    Cell::Number(2.0),
                    Cell::text("yes"),
                    Cell::Empty,
                ],
                vec![
                    Cell::text("site"),
                    Cell::text("south"),
                    Cell::Number(1.0),
                    Cell::text("yes"),
                    Cell::Empty,
                ],
            ]
        );
    }

    #[test]
    fn suppressed_results_export_counts_only() {
        let r = results(4);

        let tables = results_tables(&r);

        let items = &tables[1];
        assert_eq!(column(items, "n"), vec![Cell::Number(3.0); 2]);
        for figure in ["mean", "sd", "min", "q1", "median", "q3", "max", "nps"] {
            assert!(column(items, figure).iter().all(|c| *c == Cell::Empty));
        }
        assert!(tables[2].rows.is_empty() && tables[4].rows.is_empty());
        assert_eq!(column(&tables[3], "n"), vec![Cell::Number(3.0)]);
        assert_eq!(column(&tables[3], "mean"), vec![Cell::Empty]);
        assert_eq!(column(&tables[3], "alpha"), vec![Cell::Empty]);
        assert_eq!(tables[0].rows[4][1], Cell::text("yes"));
    }

    #[test]
    fn tables_are_named_by_their_key() {
        for which in ResultsTable::ALL {
            assert_eq!(ResultsTable::from_key(which.key()), Some(which));
        }
        assert_eq!(ResultsTable::from_key("secrets"), None);
    }
}
