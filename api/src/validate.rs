//! Checks shared by every service: text lengths and characters, number ranges.

use crate::error::Problem;

/// Short names and titles.
pub const NAME: usize = 200;
/// Descriptions, notes and evidence.
pub const TEXT: usize = 10_000;
/// Long documents, such as the tutorial guide.
pub const DOCUMENT: usize = 200_000;

/// A name: not blank, at most `max` characters, on one line.
pub fn name(problems: &mut Vec<Problem>, field: &str, value: &str, max: usize) {
    if value.trim().is_empty() {
        problems.push(Problem::field(field, "is empty"));
    } else if value.chars().count() > max {
        problems.push(Problem::field(
            field,
            format!("must be at most {max} characters"),
        ));
    } else if value.chars().any(char::is_control) {
        problems.push(Problem::field(
            field,
            "must be on one line, without control characters",
        ));
    }
}

/// Free text: at most `max` characters; line breaks and tabs allowed, no
/// other control characters.
pub fn text(problems: &mut Vec<Problem>, field: &str, value: &str, max: usize) {
    let bad = value
        .chars()
        .any(|c| c.is_control() && c != '\n' && c != '\r' && c != '\t');
    if value.chars().count() > max || bad {
        problems.push(Problem::field(
            field,
            format!("must be at most {max} characters, without control characters"),
        ));
    }
}

/// A finite number in `lo..=hi`.
pub fn number(problems: &mut Vec<Problem>, field: &str, value: f64, lo: f64, hi: f64) {
    if !value.is_finite() || value < lo || value > hi {
        problems.push(Problem::field(field, format!("must be from {lo} to {hi}")));
    }
}

/// A language tag such as `en`, `fr` or `pt-BR`.
pub fn language(problems: &mut Vec<Problem>, field: &str, value: &str) {
    let mut parts = value.split('-');
    let primary = parts.next().unwrap_or_default();
    let ok = (2..=3).contains(&primary.len())
        && primary.chars().all(|c| c.is_ascii_lowercase())
        && parts
            .all(|r| (2..=8).contains(&r.len()) && r.chars().all(|c| c.is_ascii_alphanumeric()));
    if !ok {
        problems.push(Problem::field(field, "use a language tag such as en or fr"));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_texts_refuse_control_characters_and_length() {
        let mut problems = Vec::new();

        name(&mut problems, "a", "ok", 10);
        name(&mut problems, "b", "a\nb", 10);
        name(&mut problems, "c", "  ", 10);
        text(&mut problems, "d", "line\nbreak\ttab", 100);
        text(&mut problems, "e", "nul\u{0}", 100);
        text(&mut problems, "f", &"x".repeat(11), 10);
        number(&mut problems, "g", f64::INFINITY, 0.0, 1.0);

        let fields: Vec<&str> = problems.iter().filter_map(|p| p.field.as_deref()).collect();
        assert_eq!(fields, ["b", "c", "e", "f", "g"]);
    }
}
