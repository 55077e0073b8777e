//! Our CSV and XLSX files read back by independent readers.

use std::collections::{BTreeMap, HashMap};

use calamine::Data;
use chrono::Utc;
use entities::ItemKind;
use worker::export::{self, Cell, Table};
use worker::results::{ItemDef, ResponseRow, ResultsInput, ScaleDef, Value, compute_results};

#[path = "../common/spreadsheets.rs"]
mod spreadsheets;

/// Text that trips naive writers or spreadsheet programs.
const AWKWARD: [&str; 12] = [
    "plain",
    "say \"hello\"",
    "a, b, c",
    "first line\nsecond line",
    "windows\r\nline",
    "=HYPERLINK(\"http://x\",\"click\")",
    "+33 1 23 45",
    "-1",
    "@SUM(A1:A3)",
    "\tindented",
    "Élève naïve, 日本語 — ✓",
    "",
];

/// What a spreadsheet shows of a text cell of our CSV: the text, with a
/// `'` before what would start a formula.
fn as_read_from_csv(text: &str) -> String {
    if text.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{text}")
    } else {
        text.to_owned()
    }
}

fn awkward_table() -> Table {
    let rows = AWKWARD
        .iter()
        .enumerate()
        .map(|(i, text)| {
            vec![
                Cell::text(*text),
                Cell::Number(-(i as f64) - 0.25),
                Cell::Empty,
                Cell::Number(i as f64 * 1e6 + 0.1),
            ]
        })
        .collect();
    Table {
        name: "awkward".into(),
        header: ["=text", "number", "empty", "@big"]
            .map(str::to_owned)
            .to_vec(),
        rows,
    }
}

/// Holds a CSV file to its table, cell by cell: text as written (after
/// neutralisation), numbers equal once parsed, empty cells empty.
fn assert_csv_reads_as(bytes: &[u8], table: &Table) {
    let records = spreadsheets::read_csv(bytes).unwrap();

    let header: Vec<String> = table.header.iter().map(|h| as_read_from_csv(h)).collect();
    assert_eq!(records[0], header);
    assert_eq!(records.len(), table.rows.len() + 1);
    for (record, row) in records[1..].iter().zip(&table.rows) {
        assert_eq!(record.len(), row.len());
        for (field, cell) in record.iter().zip(row) {
            match cell {
                Cell::Text(text) => assert_eq!(*field, as_read_from_csv(text)),
                Cell::Number(v) => assert_eq!(field.parse::<f64>().ok(), Some(*v), "{field}"),
                Cell::Empty => assert_eq!(field, ""),
            }
        }
    }
}

/// Holds a workbook to its tables, cell by cell: text exactly, numbers as
/// numbers, empty cells empty, no formula anywhere.
fn assert_xlsx_reads_as(bytes: Vec<u8>, tables: &[Table]) {
    let sheets = spreadsheets::read_xlsx(bytes).unwrap();

    assert_eq!(sheets.len(), tables.len());
    for (sheet, table) in sheets.iter().zip(tables) {
        assert!(!sheet.has_formulas, "{}", sheet.name);
        let header: Vec<Data> = table.header.iter().cloned().map(Data::String).collect();
        assert_eq!(sheet.rows[0], header, "{}", sheet.name);
        assert_eq!(sheet.rows.len(), table.rows.len() + 1, "{}", sheet.name);
        for (read, row) in sheet.rows[1..].iter().zip(&table.rows) {
            // The reader pads rows to the widest; cells past ours are empty.
            for (i, got) in read.iter().enumerate() {
                let expected = match row.get(i) {
                    Some(Cell::Text(text)) if !text.is_empty() => Data::String(text.clone()),
                    Some(Cell::Number(v)) => Data::Float(*v),
                    _ => Data::Empty,
                };
                assert_eq!(*got, expected, "{} row {row:?}", sheet.name);
            }
        }
    }
}

#[test]
fn awkward_text_and_numbers_come_back_from_csv_as_written() {
    let table = awkward_table();

    let bytes = export::to_csv(&table);

    assert_csv_reads_as(&bytes, &table);
    let records = spreadsheets::read_csv(&bytes).unwrap();
    // Spelled out once, beside the rule the helper applies.
    assert_eq!(records[0][0], "'=text");
    assert_eq!(records[2][0], "say \"hello\"");
    assert_eq!(records[4][0], "first line\nsecond line");
    assert_eq!(records[6][0], "'=HYPERLINK(\"http://x\",\"click\")");
    assert_eq!(records[8][0], "'-1");
    assert_eq!(records[8][1], "-7.25");
    assert_eq!(records[11][0], "Élève naïve, 日本語 — ✓");
}

#[test]
fn awkward_text_and_numbers_come_back_from_xlsx_as_written() {
    let mut other = awkward_table();
    other.name = "Awkward".into();
    let tables = [awkward_table(), other];

    let bytes = export::to_xlsx(&tables).unwrap();

    assert_xlsx_reads_as(bytes.clone(), &tables);
    let sheets = spreadsheets::read_xlsx(bytes).unwrap();
    let names: Vec<&str> = sheets.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(names, ["awkward", "Awkward (2)"]);
    assert_eq!(sheets[0].rows[6][0], Data::String(AWKWARD[5].into()));
}

fn item(id: i64, code: &str, prompt: &str, kind: ItemKind, labels: &[&str]) -> ItemDef {
    ItemDef {
        id,
        code: code.into(),
        prompt: prompt.into(),
        kind,
        points: (kind == ItemKind::Likert).then_some(4),
        reverse_keyed: false,
        labels: labels.iter().map(|l| (*l).to_owned()).collect(),
    }
}

#[test]
fn a_campaigns_results_come_back_from_both_formats_cell_by_cell() {
    let items = [
        item(
            1,
            "=q1",
            "Is \"support\", overall, good?\nSay so.",
            ItemKind::Likert,
            &["-- no", "no", "yes", "@yes"],
        ),
        item(
            2,
            "mode",
            "Mode préféré",
            ItemKind::SingleChoice,
            &["+video", "in person, on site"],
        ),
        item(3, "hours", "Hours", ItemKind::Number, &[]),
    ];
    let scales = [ScaleDef {
        code: "-S".into(),
        name: "=Support".into(),
        higher_is_better: true,
        item_ids: vec![1],
    }];
    let answer = |q1: f64, mode: &str, hours: f64, site: &str| ResponseRow {
        person_id: None,
        attributes: BTreeMap::from([("site".to_owned(), site.to_owned())]),
        answers: HashMap::from([
            (1, Value::Number(q1)),
            (2, Value::Text(mode.to_owned())),
            (3, Value::Number(hours)),
        ]),
    };
    let responses = [
        answer(4.0, "+video", 2.5, "Nord, bâtiment A"),
        answer(3.0, "+video", 1.0, "Nord, bâtiment A"),
        answer(1.0, "in person, on site", 0.0, "=Sud"),
    ];
    let results = compute_results(
        &ResultsInput {
            items: &items,
            scales: &scales,
            responses: &responses,
            invited: 3,
            responded_invitations: 3,
            min_group_size: 2,
        },
        Utc::now(),
    );

    let tables = export::results_tables(&results);
    let workbook = export::to_xlsx(&tables).unwrap();

    for table in &tables {
        assert_csv_reads_as(&export::to_csv(table), table);
    }
    assert_xlsx_reads_as(workbook, &tables);
    // Groups in text order; the group of one keeps its count, not its mean.
    let groups = &tables[4];
    assert_eq!(
        groups.rows[0],
        vec![
            Cell::text("site"),
            Cell::text("=Sud"),
            Cell::Number(1.0),
            Cell::text("yes"),
            Cell::Empty,
        ]
    );
    // q1: 4, 3, 1 → mean 8/3. The two-person group is hidden with the
    // group of one: the overall figures less its own would give that one
    // answer away.
    assert_eq!(tables[1].rows[0][5], Cell::Number(8.0 / 3.0));
    assert_eq!(groups.rows[1][3], Cell::text("yes"));
    assert_eq!(groups.rows[1][4], Cell::Empty);
}
