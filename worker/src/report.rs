//! Reports: the figures of a campaign, recommendations derived from them, and
//! a self-contained HTML page with SVG charts.

use std::fmt::Write;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::export::{self, Cell, Table};
use crate::results::{CampaignResults, ScaleResult};

/// Below this alpha a scale does not measure one thing reliably.
pub const ALPHA_THRESHOLD: f64 = 0.7;
/// Below this response rate the figures may not represent the audience.
pub const RESPONSE_RATE_THRESHOLD: f64 = 0.5;
/// Above this share of missing answers an item deserves a second look.
pub const MISSING_THRESHOLD: f64 = 0.1;

/// Everything a report says, stored as JSON; the HTML is rendered from it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ReportData {
    pub campaign: String,
    pub questionnaire: String,
    pub version: i32,
    pub generated_at: DateTime<Utc>,
    /// Scale means below this fraction of their range are flagged.
    pub low_score_threshold: f64,
    pub results: CampaignResults,
    pub recommendations: Vec<Recommendation>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Priority {
    High,
    Medium,
    Low,
}

/// A recommendation with the evidence that triggered it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Recommendation {
    pub priority: Priority,
    /// Rule that fired, stable for clients: `low_reliability`, `low_score`…
    pub rule: String,
    /// The scale or item concerned, if any.
    pub subject: Option<String>,
    pub text: String,
    pub evidence: String,
}

/// Applies the threshold rules to a campaign's results, most urgent first.
pub fn recommend(results: &CampaignResults, low_score_threshold: f64) -> Vec<Recommendation> {
    let mut out = Vec::new();

    for scale in &results.scales {
        if let Some(rec) = low_score(scale, low_score_threshold) {
            out.push(rec);
        }
        if let Some(alpha) = scale.alpha.filter(|a| *a < ALPHA_THRESHOLD) {
            out.push(Recommendation {
                priority: Priority::Medium,
                rule: "low_reliability".into(),
                subject: Some(scale.code.clone()),
                text: format!(
                    "Review the items of \"{}\": they do not hang together well enough to be read as one score.",
                    scale.name
                ),
                evidence: reliability_evidence(scale, alpha),
            });
        }
    }

    if let Some(rate) = results
        .response_rate
        .filter(|r| *r < RESPONSE_RATE_THRESHOLD)
    {
        out.push(Recommendation {
            priority: Priority::Medium,
            rule: "low_response_rate".into(),
            subject: None,
            text: "Raise participation before drawing conclusions: add reminders or ask tutors to relay the invitation.".into(),
            evidence: format!(
                "response rate {:.1} % < {:.0} %",
                rate * 100.0,
                RESPONSE_RATE_THRESHOLD * 100.0
            ),
        });
    }

    for item in &results.items {
        let total = item.summary.n + item.summary.missing;
        if total == 0 {
            continue;
        }
        let share = item.summary.missing as f64 / total as f64;
        if share > MISSING_THRESHOLD {
            out.push(Recommendation {
                priority: Priority::Low,
                rule: "many_missing".into(),
                subject: Some(item.code.clone()),
                text: format!(
                    "Check the wording of item {}: many respondents skipped it.",
                    item.code
                ),
                evidence: format!(
                    "{:.1} % missing ({} of {})",
                    share * 100.0,
                    item.summary.missing,
                    total
                ),
            });
        }
    }

    out.sort_by_key(|r| r.priority);
    out
}

/// A scale whose mean sits on the bad side: low where high is better,
/// high where high is worse.
fn low_score(scale: &ScaleResult, threshold: f64) -> Option<Recommendation> {
    let (lo, hi) = scale.range?;
    let mean = scale.score.mean?;
    let position = (mean - lo) / (hi - lo);
    let goodness = if scale.higher_is_better {
        position
    } else {
        1.0 - position
    };
    (goodness < threshold).then(|| Recommendation {
        priority: Priority::High,
        rule: "low_score".into(),
        subject: Some(scale.code.clone()),
        text: format!(
            "Plan support on \"{}\": its mean score is on the unfavourable side of the scale.",
            scale.name
        ),
        evidence: format!(
            "mean {mean:.2} on {lo}–{hi}{}: {:.0} % of the way to the favourable end, below {:.0} %",
            if scale.higher_is_better { "" } else { " (lower is better)" },
            goodness * 100.0,
            threshold * 100.0
        ),
    })
}

/// The report's tables, for CSV and XLSX files: the results' tables, then
/// the recommendations with their evidence.
pub fn tables(report: &ReportData) -> Vec<Table> {
    let mut tables = export::results_tables(&report.results);
    let rows = report
        .recommendations
        .iter()
        .map(|r| {
            vec![
                Cell::text(priority_name(r.priority)),
                Cell::text(&r.rule),
                r.subject.as_ref().map_or(Cell::Empty, Cell::text),
                Cell::text(&r.text),
                Cell::text(&r.evidence),
            ]
        })
        .collect();
    tables.push(Table {
        name: "recommendations".into(),
        header: ["priority", "rule", "subject", "text", "evidence"]
            .map(str::to_owned)
            .to_vec(),
        rows,
    });
    tables
}

fn priority_name(priority: Priority) -> &'static str {
    match priority {
        Priority::High => "high",
        Priority::Medium => "medium",
        Priority::Low => "low",
    }
}

/// Escapes text for HTML element content and attribute values.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
}

/// Alpha with its interval, and the item whose removal would raise it most.
fn reliability_evidence(scale: &ScaleResult, alpha: f64) -> String {
    let mut evidence = format!("Cronbach's alpha {alpha:.3}");
    if let Some(ci) = scale.alpha_ci {
        let _ = write!(evidence, " (95 % CI {:.3}–{:.3})", ci.lower, ci.upper);
    }
    let _ = write!(evidence, " < {ALPHA_THRESHOLD:.2}");
    let weakest = scale
        .item_analysis
        .iter()
        .filter_map(|i| Some((i, i.alpha_if_deleted?)))
        .filter(|(_, without)| *without > alpha)
        .max_by(|a, b| a.1.total_cmp(&b.1));
    if let Some((item, without)) = weakest {
        let _ = write!(evidence, "; without {} it would be {without:.3}", item.code);
    }
    evidence
}

/// Alpha to 3 decimals, with its interval when there is one.
fn alpha_cell(scale: &ScaleResult) -> String {
    match (scale.alpha, scale.alpha_ci) {
        (Some(alpha), Some(ci)) => format!("{alpha:.3} ({:.3}–{:.3})", ci.lower, ci.upper),
        (alpha, _) => opt(alpha, 3),
    }
}

fn opt(v: Option<f64>, decimals: usize) -> String {
    v.map_or_else(|| "–".to_owned(), |v| format!("{v:.decimals$}"))
}

/// Renders the report as one HTML page with inline CSS and SVG, no scripts.
pub fn render_html(report: &ReportData) -> String {
    let r = &report.results;
    let mut h = String::with_capacity(64 * 1024);
    let title = escape(&report.campaign);
    // Writing to a String cannot fail; the results are ignored below.
    let _ = write!(
        h,
        "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>{title} – report v{}</title><style>{CSS}</style></head><body><main>\
         <h1>{title}</h1><p class=\"meta\">{} · report version {} · generated {}</p>",
        report.version,
        escape(&report.questionnaire),
        report.version,
        report.generated_at.format("%Y-%m-%d %H:%M UTC"),
    );

    let rate = r.response_rate.map_or_else(
        || "not applicable".to_owned(),
        |v| format!("{:.1} %", v * 100.0),
    );
    let _ = write!(
        h,
        "<section><h2>Participation</h2><dl><dt>Responses</dt><dd>{}</dd>\
         <dt>Invited</dt><dd>{}</dd><dt>Response rate</dt><dd>{rate}</dd></dl></section>",
        r.responses, r.invited
    );

    if r.suppressed {
        let _ = writeln!(
            h,
            "<section><h2>Figures withheld</h2><p>Fewer than {} responses: showing figures would \
             show individual answers.</p></section></main></body></html>",
            r.min_group_size
        );
        return h;
    }

    h.push_str("<section><h2>Recommendations</h2>");
    if report.recommendations.is_empty() {
        h.push_str("<p>No rule was triggered.</p>");
    } else {
        h.push_str("<ol class=\"recs\">");
        for rec in &report.recommendations {
            let _ = write!(
                h,
                "<li class=\"{:?}\"><strong>{:?}</strong> {}<br><small>Evidence: {}</small></li>",
                rec.priority,
                rec.priority,
                escape(&rec.text),
                escape(&rec.evidence)
            );
        }
        h.push_str("</ol>");
    }
    h.push_str("</section>");

    if !r.scales.is_empty() {
        h.push_str("<section><h2>Scales</h2>");
        let bars: Vec<(String, f64, f64)> = r
            .scales
            .iter()
            .filter_map(|s| Some((s.name.clone(), s.score.mean?, s.range?.1)))
            .collect();
        h.push_str(&bar_chart("Mean scale scores", &bars));
        h.push_str(
            "<div class=\"wide\" role=\"region\" aria-label=\"Scale scores\" tabindex=\"0\"><table><caption>Scale scores</caption><thead><tr><th scope=\"col\">Scale</th>\
             <th scope=\"col\">n</th><th scope=\"col\">Mean</th><th scope=\"col\">SD</th>\
             <th scope=\"col\">Cronbach's α (95 % CI)</th><th scope=\"col\">Reverse-keyed</th></tr></thead><tbody>",
        );
        for s in &r.scales {
            let _ = write!(
                h,
                "<tr><th scope=\"row\">{}</th><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                escape(&s.name),
                s.score.n,
                opt(s.score.mean, 2),
                opt(s.score.sd, 2),
                alpha_cell(s),
                escape(&s.reversed_item_codes.join(", "))
            );
        }
        h.push_str("</tbody></table></div>");
        item_analysis(&mut h, r);
        h.push_str("</section>");
    }

    h.push_str(
        "<section><h2>Items</h2><div class=\"wide\" role=\"region\" aria-label=\"Item statistics\" tabindex=\"0\"><table><caption>Item statistics (raw answers)</caption><thead><tr>\
         <th scope=\"col\">Item</th><th scope=\"col\">n</th><th scope=\"col\">Missing</th>\
         <th scope=\"col\">Mean</th><th scope=\"col\">SD</th><th scope=\"col\">Median</th>\
         <th scope=\"col\">Q1–Q3</th><th scope=\"col\">Distribution</th></tr></thead><tbody>",
    );
    for item in &r.items {
        let counts: Vec<usize> = item.distribution.iter().map(|c| c.count).collect();
        let _ = write!(
            h,
            "<tr><th scope=\"row\" title=\"{}\">{}</th><td>{}</td><td>{}</td><td>{}</td><td>{}</td>\
             <td>{}</td><td>{}</td><td>{}</td></tr>",
            escape(&item.prompt),
            escape(&item.code),
            item.summary.n,
            item.summary.missing,
            opt(item.summary.mean, 2),
            opt(item.summary.sd, 2),
            opt(item.summary.median, 1),
            match (item.summary.q1, item.summary.q3) {
                (Some(q1), Some(q3)) => format!("{q1:.1}–{q3:.1}"),
                _ => "–".to_owned(),
            },
            sparkline(&counts),
        );
    }
    h.push_str("</tbody></table></div></section>");
    distributions(&mut h, r);

    for breakdown in &r.breakdowns {
        let _ = write!(
            h,
            "<section><h2>By {}</h2><div class=\"wide\" role=\"region\" aria-label=\"By {}\" tabindex=\"0\"><table><caption>Mean scale scores by {} \
             (groups under {} are not shown)</caption><thead><tr><th scope=\"col\">Group</th><th scope=\"col\">n</th>",
            escape(&breakdown.attribute),
            escape(&breakdown.attribute),
            escape(&breakdown.attribute),
            r.min_group_size
        );
        for s in &r.scales {
            let _ = write!(h, "<th scope=\"col\">{}</th>", escape(&s.code));
        }
        h.push_str("</tr></thead><tbody>");
        for g in &breakdown.groups {
            let _ = write!(
                h,
                "<tr><th scope=\"row\">{}</th><td>{}</td>",
                escape(&g.value),
                g.n
            );
            for s in &r.scales {
                let cell = if g.suppressed {
                    "suppressed".to_owned()
                } else {
                    opt(
                        g.scale_means
                            .iter()
                            .find(|f| f.code == s.code)
                            .and_then(|f| f.mean),
                        2,
                    )
                };
                let _ = write!(h, "<td>{cell}</td>");
            }
            h.push_str("</tr>");
        }
        h.push_str("</tbody></table></div></section>");
    }

    h.push_str("</main></body></html>\n");
    h
}

/// Each scale's items against the rest of their scale.
fn item_analysis(h: &mut String, r: &CampaignResults) {
    if r.scales.iter().all(|s| s.item_analysis.is_empty()) {
        return;
    }
    h.push_str(
        "<div class=\"wide\" role=\"region\" aria-label=\"Items within scales\" tabindex=\"0\"><table><caption>Items within scales</caption><thead><tr>\
         <th scope=\"col\">Scale</th><th scope=\"col\">Item</th><th scope=\"col\">α if deleted</th>\
         <th scope=\"col\">Correlation with the other items</th></tr></thead><tbody>",
    );
    for s in &r.scales {
        for item in &s.item_analysis {
            let _ = write!(
                h,
                "<tr><td>{}</td><th scope=\"row\">{}</th><td>{}</td><td>{}</td></tr>",
                escape(&s.code),
                escape(&item.code),
                opt(item.alpha_if_deleted, 3),
                opt(item.item_rest_correlation, 2),
            );
        }
    }
    h.push_str("</tbody></table></div>");
}

/// The counts behind each item's column chart, as tables.
fn distributions(h: &mut String, r: &CampaignResults) {
    let items: Vec<_> = r
        .items
        .iter()
        .filter(|i| !i.distribution.is_empty())
        .collect();
    if items.is_empty() {
        return;
    }
    h.push_str("<section><h2>Answer distributions</h2><div class=\"dists\">");
    for item in items {
        let answered = item.summary.n.max(1) as f64;
        let _ = write!(
            h,
            "<table class=\"dist\"><caption>{} <span class=\"prompt\">{}</span></caption><thead><tr>\
             <th scope=\"col\">Answer</th><th scope=\"col\">Count</th><th scope=\"col\">Share</th></tr></thead><tbody>",
            escape(&item.code),
            escape(&item.prompt)
        );
        for c in &item.distribution {
            let label = match &c.label {
                Some(label) if label != &c.value => format!("{} ({})", c.value, label),
                _ => c.value.clone(),
            };
            let _ = write!(
                h,
                "<tr><th scope=\"row\">{}</th><td>{}</td><td>{:.0} %</td></tr>",
                escape(&label),
                c.count,
                100.0 * c.count as f64 / answered
            );
        }
        h.push_str("</tbody></table>");
    }
    h.push_str("</div></section>");
}

/// A horizontal bar chart of values against their maxima, with its figures
/// also given as text for screen readers.
fn bar_chart(title: &str, bars: &[(String, f64, f64)]) -> String {
    let row = 28;
    let height = bars.len() * row + 10;
    let mut s = format!(
        "<figure><svg role=\"img\" aria-labelledby=\"chart-title\" viewBox=\"0 0 640 {height}\" \
         width=\"100%\" xmlns=\"http://www.w3.org/2000/svg\"><title id=\"chart-title\">{}</title>",
        escape(title)
    );
    for (i, (label, value, max)) in bars.iter().enumerate() {
        let y = i * row + 5;
        let width = if *max > 0.0 { 400.0 * value / max } else { 0.0 };
        let _ = write!(
            s,
            "<text x=\"0\" y=\"{}\" font-size=\"13\">{}</text>\
             <rect x=\"190\" y=\"{y}\" width=\"{width:.1}\" height=\"18\" fill=\"#2a6f97\"/>\
             <text x=\"{:.1}\" y=\"{}\" font-size=\"13\">{value:.2}</text>",
            y + 14,
            escape(label),
            196.0 + width,
            y + 14
        );
    }
    s.push_str("</svg><figcaption>");
    s.push_str(&escape(title));
    s.push_str("</figcaption></figure>");
    s
}

/// A tiny column chart of answer counts, with the counts as its text alternative.
fn sparkline(counts: &[usize]) -> String {
    let Some(&max) = counts.iter().max().filter(|m| **m > 0) else {
        return String::new();
    };
    let label: Vec<String> = counts.iter().map(usize::to_string).collect();
    let mut s = format!(
        "<svg role=\"img\" aria-label=\"counts {}\" viewBox=\"0 0 {} 24\" width=\"{}\" height=\"24\" \
         xmlns=\"http://www.w3.org/2000/svg\">",
        label.join(", "),
        counts.len() * 8,
        counts.len() * 8
    );
    for (i, c) in counts.iter().enumerate() {
        let h = 22.0 * *c as f64 / max as f64;
        let _ = write!(
            s,
            "<rect x=\"{}\" y=\"{:.1}\" width=\"6\" height=\"{h:.1}\" fill=\"#2a6f97\"/>",
            i * 8,
            24.0 - h
        );
    }
    s.push_str("</svg>");
    s
}

pub(crate) const CSS: &str = "body{font:15px/1.5 system-ui,sans-serif;color:#1b1b1b;margin:0}\
main{max-width:60rem;margin:auto;padding:1rem}h1{margin-bottom:0}.meta{color:#555}\
table{border-collapse:collapse;width:100%;margin:1rem 0}th,td{padding:.25rem .5rem;\
border-bottom:1px solid #ddd;text-align:left}td{font-variant-numeric:tabular-nums}\
caption{text-align:left;font-weight:600}dl{display:grid;grid-template-columns:max-content 1fr;gap:.25rem 1rem}\
dd{margin:0}.recs li{margin:.5rem 0}.High strong{color:#a4161a}.Medium strong{color:#9c6644}\
.wide{overflow-x:auto}.wide:focus-visible{outline:3px solid #fd0;box-shadow:0 0 0 5px #1b1b1b}\
.dists{display:grid;grid-template-columns:repeat(auto-fill,minmax(16rem,1fr));gap:0 1.5rem;align-items:start}\
.dist caption{font-weight:600}.prompt{font-weight:400;color:#444}\
svg rect{-webkit-print-color-adjust:exact;print-color-adjust:exact}\
@page{margin:1.5cm}\
@media print{body{font-size:11pt}main{max-width:none;padding:0}section,table,figure{break-inside:avoid}\
h2{break-after:avoid}a{color:inherit}}";

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stats::Summary;

    fn scale(alpha: f64, mean: f64) -> ScaleResult {
        ScaleResult {
            code: "S".into(),
            name: "<b>Support</b>".into(),
            item_codes: vec!["a".into(), "b".into()],
            reversed_item_codes: vec![],
            higher_is_better: true,
            range: Some((1.0, 6.0)),
            score: Summary {
                n: 10,
                mean: Some(mean),
                ..Summary::default()
            },
            alpha: Some(alpha),
            alpha_ci: None,
            item_analysis: Vec::new(),
        }
    }

    fn results(scales: Vec<ScaleResult>, rate: Option<f64>) -> CampaignResults {
        CampaignResults {
            withheld_until_close: false,
            computed_at: Utc::now(),
            invited: 10,
            responses: 4,
            response_rate: rate,
            min_group_size: 5,
            suppressed: false,
            items: vec![],
            scales,
            breakdowns: vec![],
        }
    }

    #[test]
    fn thresholds_trigger_recommendations_with_evidence_most_urgent_first() {
        let r = results(vec![scale(0.6, 2.0)], Some(0.4));

        let recs = recommend(&r, 0.5);

        let rules: Vec<&str> = recs.iter().map(|r| r.rule.as_str()).collect();
        assert_eq!(rules, ["low_score", "low_reliability", "low_response_rate"]);
        // (2 − 1) / (6 − 1) = 20 % of the range.
        assert!(recs[0].evidence.contains("20 %"));
        assert!(recs[1].evidence.contains("0.600"));
    }

    #[test]
    fn low_reliability_names_the_interval_and_the_item_that_weakens_the_scale() {
        let mut weak = scale(0.6, 5.0);
        weak.alpha_ci = Some(crate::stats::Interval {
            lower: 0.5762,
            upper: 0.6231,
        });
        weak.item_analysis = [("a", 0.55), ("b", 0.6118), ("c", 0.41)]
            .map(|(code, without)| crate::results::ScaleItem {
                code: code.into(),
                alpha_if_deleted: Some(without),
                item_rest_correlation: Some(0.3),
            })
            .to_vec();

        let recs = recommend(&results(vec![weak.clone()], None), 0.5);
        weak.item_analysis.truncate(1);
        let none_better = recommend(&results(vec![weak], None), 0.5);

        assert_eq!(
            recs[0].evidence,
            "Cronbach's alpha 0.600 (95 % CI 0.576–0.623) < 0.70; without b it would be 0.612"
        );
        assert!(!none_better[0].evidence.contains("without"));
    }

    #[test]
    fn a_healthy_scale_triggers_nothing() {
        let r = results(vec![scale(0.85, 5.0)], Some(0.9));

        assert!(recommend(&r, 0.5).is_empty());
    }

    #[test]
    fn html_escapes_names_and_holds_an_svg_chart() {
        let data = ReportData {
            campaign: "Spring <script>".into(),
            questionnaire: "Q".into(),
            version: 1,
            generated_at: Utc::now(),
            low_score_threshold: 0.5,
            results: results(vec![scale(0.8, 4.0)], None),
            recommendations: vec![],
        };

        let html = render_html(&data);

        assert!(!html.contains("<script>") && html.contains("Spring &lt;script&gt;"));
        assert!(html.contains("&lt;b&gt;Support&lt;/b&gt;"));
        assert!(html.contains("<svg") && html.contains("<table>"));
    }

    #[test]
    fn the_csv_of_the_recommendations_carries_their_evidence() {
        let results = results(vec![scale(0.5, 1.5)], Some(0.2));
        let data = ReportData {
            campaign: "C".into(),
            questionnaire: "Q".into(),
            version: 2,
            generated_at: Utc::now(),
            low_score_threshold: 0.5,
            recommendations: recommend(&results, 0.5),
            results,
        };

        let tables = tables(&data);

        let recommendations = tables.last().map(export::to_csv).unwrap_or_default();
        let text = String::from_utf8(recommendations).unwrap_or_default();
        let lines: Vec<&str> = text.trim_start_matches('\u{feff}').split("\r\n").collect();
        assert_eq!(lines[0], "priority,rule,subject,text,evidence");
        assert!(lines[1].starts_with("high,low_score,S,"), "{}", lines[1]);
        assert!(lines[2].starts_with("medium,low_reliability,S,"));
        assert!(lines[3].contains("low_response_rate,,"));
        assert_eq!(lines.len(), 5, "three rows and the final line end");
        let names: Vec<&str> = tables.iter().map(|t| t.name.as_str()).collect();
        assert_eq!(
            names,
            [
                "overview",
                "items",
                "distributions",
                "scales",
                "breakdowns",
                "recommendations"
            ]
        );
    }
}
