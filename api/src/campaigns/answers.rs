//! Turning submitted or imported values into answers, item by item.

use entities::{ItemKind, answer, item};
use sea_orm::ActiveValue::Set;
use worker::results::Value;

/// Largest magnitude of a number answer: sums of millions stay exact enough.
pub const MAX_NUMBER: f64 = 1e12;

/// Longest free-text answer kept.
pub const MAX_TEXT: usize = 10_000;

/// Why a value does not answer its item. `Display` gives the English wording
/// used by the API and imports; the questionnaire page words it per language.
#[derive(Clone, Debug, PartialEq)]
pub enum AnswerError {
    /// The item is required and has no answer.
    Required,
    /// Not a whole number from `lo` to `hi`.
    NotWhole { given: f64, lo: f64, hi: f64 },
    /// Not a finite number within ±[`MAX_NUMBER`].
    NotFinite,
    /// Outside the item's own bounds.
    OutOfBounds {
        given: f64,
        min: Option<f64>,
        max: Option<f64>,
    },
    /// Not one of the item's options.
    NotAnOption(String),
    /// Longer than [`MAX_TEXT`] characters.
    TooLong,
    /// A value of the wrong type for the item's kind.
    WrongKind(ItemKind),
}

impl std::fmt::Display for AnswerError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Required => write!(f, "an answer is required"),
            Self::NotWhole { given, lo, hi } => {
                write!(f, "{given} is not a whole number from {lo} to {hi}")
            }
            Self::NotFinite => write!(f, "is not a number from −{MAX_NUMBER:e} to {MAX_NUMBER:e}"),
            Self::OutOfBounds { given, min, max } => write!(
                f,
                "{given} is outside {}–{}",
                min.map_or("−∞".into(), |v| v.to_string()),
                max.map_or("∞".into(), |v| v.to_string())
            ),
            Self::NotAnOption(t) => write!(f, "`{t}` is not one of the options"),
            Self::TooLong => write!(f, "is longer than {MAX_TEXT} characters"),
            Self::WrongKind(kind) => {
                write!(f, "a {} item takes {}", kind_name(*kind), expected(*kind))
            }
        }
    }
}

/// Checks one value against its item. `Ok(None)` is a missing answer.
pub fn check(item: &item::Model, value: Option<Value>) -> Result<Option<Value>, AnswerError> {
    let Some(value) = value else {
        return if item.required {
            Err(AnswerError::Required)
        } else {
            Ok(None)
        };
    };
    let options = options(item);
    match (item.kind, value) {
        (ItemKind::Likert, Value::Number(v)) => {
            let points = item.points.unwrap_or(5);
            whole_in(v, 1.0, f64::from(points)).map(|v| Some(Value::Number(v)))
        }
        (ItemKind::Nps, Value::Number(v)) => whole_in(v, 0.0, 10.0).map(|v| Some(Value::Number(v))),
        (ItemKind::Number, Value::Number(v)) => {
            if !v.is_finite() || v.abs() > MAX_NUMBER {
                return Err(AnswerError::NotFinite);
            }
            if item.min_value.is_some_and(|lo| v < lo) || item.max_value.is_some_and(|hi| v > hi) {
                return Err(AnswerError::OutOfBounds {
                    given: v,
                    min: item.min_value,
                    max: item.max_value,
                });
            }
            Ok(Some(Value::Number(v)))
        }
        (ItemKind::SingleChoice, Value::Text(t)) => {
            if options.contains(&t) {
                Ok(Some(Value::Text(t)))
            } else {
                Err(AnswerError::NotAnOption(t))
            }
        }
        (ItemKind::MultipleChoice, Value::Choices(mut picked)) => {
            if let Some(bad) = picked.iter().find(|c| !options.contains(c)) {
                return Err(AnswerError::NotAnOption(bad.clone()));
            }
            picked.sort();
            picked.dedup();
            Ok((!picked.is_empty()).then_some(Value::Choices(picked)))
        }
        (ItemKind::FreeText, Value::Text(t)) => {
            if t.chars().count() > MAX_TEXT {
                return Err(AnswerError::TooLong);
            }
            Ok((!t.trim().is_empty()).then_some(Value::Text(t)))
        }
        (kind, _) => Err(AnswerError::WrongKind(kind)),
    }
}

/// The options of a choice item, or the point labels of a Likert item.
pub fn options(item: &item::Model) -> Vec<String> {
    serde_json::from_value(item.labels.clone()).unwrap_or_default()
}

fn whole_in(v: f64, lo: f64, hi: f64) -> Result<f64, AnswerError> {
    if v.fract() != 0.0 || v < lo || v > hi {
        return Err(AnswerError::NotWhole { given: v, lo, hi });
    }
    Ok(v)
}

fn kind_name(kind: ItemKind) -> &'static str {
    match kind {
        ItemKind::Likert => "Likert",
        ItemKind::SingleChoice => "single-choice",
        ItemKind::MultipleChoice => "multiple-choice",
        ItemKind::Number => "number",
        ItemKind::Nps => "NPS",
        ItemKind::FreeText => "free-text",
    }
}

fn expected(kind: ItemKind) -> &'static str {
    match kind {
        ItemKind::Likert | ItemKind::Number | ItemKind::Nps => "a number",
        ItemKind::SingleChoice | ItemKind::FreeText => "text",
        ItemKind::MultipleChoice => "a list of choices",
    }
}

/// Reads a CSV cell for an item; an empty cell is a missing answer.
pub fn from_cell(item: &item::Model, cell: &str) -> Result<Option<Value>, String> {
    let cell = cell.trim();
    if cell.is_empty() {
        return check(item, None).map_err(|e| e.to_string());
    }
    let value = match item.kind {
        ItemKind::Likert | ItemKind::Number | ItemKind::Nps => Value::Number(
            cell.parse::<f64>()
                .map_err(|_| format!("`{cell}` is not a number"))?,
        ),
        ItemKind::MultipleChoice => {
            Value::Choices(cell.split(';').map(|c| c.trim().to_owned()).collect())
        }
        ItemKind::SingleChoice | ItemKind::FreeText => Value::Text(cell.to_owned()),
    };
    check(item, Some(value)).map_err(|e| e.to_string())
}

/// The row that stores an answer.
pub fn to_row(response_id: i64, item_id: i64, value: Value) -> answer::ActiveModel {
    let (number, text, choices) = match value {
        Value::Number(v) => (Some(v), None, None),
        Value::Text(t) => (None, Some(t), None),
        Value::Choices(c) => (None, None, Some(serde_json::json!(c))),
    };
    answer::ActiveModel {
        response_id: Set(response_id),
        item_id: Set(item_id),
        number_value: Set(number),
        text_value: Set(text),
        choices: Set(choices),
        ..Default::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn item(kind: ItemKind, labels: &[&str]) -> item::Model {
        item::Model {
            id: 1,
            questionnaire_id: 1,
            scale_id: None,
            position: 0,
            code: "q".into(),
            prompt: "q".into(),
            kind,
            points: Some(6),
            labels: serde_json::json!(labels),
            reverse_keyed: false,
            min_value: Some(0.0),
            max_value: Some(100.0),
            required: false,
        }
    }

    #[test]
    fn likert_values_must_be_whole_points() {
        let likert = item(ItemKind::Likert, &[]);

        assert_eq!(from_cell(&likert, "6"), Ok(Some(Value::Number(6.0))));
        assert!(from_cell(&likert, "7").unwrap_err().contains("from 1 to 6"));
        assert!(from_cell(&likert, "2.5").is_err());
        assert!(from_cell(&likert, "x").is_err());
        assert_eq!(from_cell(&likert, " "), Ok(None));
    }

    #[test]
    fn choices_must_be_options_and_kinds_must_match() {
        let single = item(ItemKind::SingleChoice, &["yes", "no"]);
        let multiple = item(ItemKind::MultipleChoice, &["a", "b"]);

        assert_eq!(
            check(&single, Some(Value::Text("maybe".into()))),
            Err(AnswerError::NotAnOption("maybe".into()))
        );
        assert_eq!(
            from_cell(&multiple, "b;a;b"),
            Ok(Some(Value::Choices(vec!["a".into(), "b".into()])))
        );
        assert!(
            check(&single, Some(Value::Number(1.0)))
                .unwrap_err()
                .to_string()
                .contains("takes text")
        );
    }

    #[test]
    fn numbers_respect_bounds_and_required_items_need_an_answer() {
        let mut number = item(ItemKind::Number, &[]);

        assert!(from_cell(&number, "100.5").is_err());
        assert_eq!(from_cell(&number, "42.5"), Ok(Some(Value::Number(42.5))));
        number.required = true;
        assert_eq!(check(&number, None), Err(AnswerError::Required));
    }
}
