//! Independent readers of the files we write: the `csv` crate for CSV and
//! `calamine` for XLSX, so that a test holds our writers to what other
//! programs read, not to our own idea of the format.

use std::io::Cursor;

use calamine::{Data, Reader, Xlsx, open_workbook_from_rs};

/// The records of a CSV file after its byte order mark, which it must have.
pub fn read_csv(bytes: &[u8]) -> anyhow::Result<Vec<Vec<String>>> {
    let body = bytes
        .strip_prefix(b"\xef\xbb\xbf")
        .ok_or_else(|| anyhow::anyhow!("the file has no UTF-8 byte order mark"))?;
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(false)
        .from_reader(body);
    let mut records = Vec::new();
    for record in reader.records() {
        records.push(record?.iter().map(str::to_owned).collect());
    }
    Ok(records)
}

/// Every sheet of a workbook, by name, as rows of cells from A1; and
/// whether any cell of it holds a formula.
pub fn read_xlsx(bytes: Vec<u8>) -> anyhow::Result<Vec<Sheet>> {
    let mut workbook: Xlsx<_> = open_workbook_from_rs(Cursor::new(bytes))?;
    let mut sheets = Vec::new();
    for name in workbook.sheet_names() {
        let range = workbook.worksheet_range(&name)?;
        let formulas = workbook.worksheet_formula(&name)?;
        let (height, width) = range.end().map_or((0, 0), |(r, c)| (r + 1, c + 1));
        let rows = (0..height)
            .map(|r| {
                (0..width)
                    .map(|c| range.get_value((r, c)).cloned().unwrap_or(Data::Empty))
                    .collect()
            })
            .collect();
        sheets.push(Sheet {
            name,
            rows,
            has_formulas: formulas.used_cells().any(|(_, _, f)| !f.is_empty()),
        });
    }
    Ok(sheets)
}

pub struct Sheet {
    pub name: String,
    pub rows: Vec<Vec<Data>>,
    pub has_formulas: bool,
}
