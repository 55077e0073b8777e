//! A programme report as people read it: one self-contained printable HTML
//! page with SVG charts, and tables for CSV and XLSX.

use std::fmt::Write;

use crate::export::{Cell, Table};
use crate::grid::Level;
use crate::programme_report::ReportData;
use crate::report::{CSS, escape};

fn opt(v: Option<f64>, decimals: usize) -> String {
    v.map_or_else(|| "–".to_owned(), |v| format!("{v:.decimals$}"))
}

fn level(l: Option<Level>) -> &'static str {
    l.map_or("no data", Level::name)
}

/// Horizontal bars out of 100, two per row when a previous value is given.
fn score_chart(id: &str, title: &str, rows: &[(String, Option<f64>, Option<f64>)]) -> String {
    let row = 34;
    let height = rows.len() * row + 30;
    let mut s = format!(
        "<figure><svg role=\"img\" aria-labelledby=\"{id}\" viewBox=\"0 0 640 {height}\" \
         width=\"100%\" xmlns=\"http://www.w3.org/2000/svg\"><title id=\"{id}\">{}</title>",
        escape(title)
    );
    for (i, (label, current, previous)) in rows.iter().enumerate() {
        let y = i * row + 4;
        let _ = write!(
            s,
            "<text x=\"0\" y=\"{}\" font-size=\"13\">{}</text>",
            y + 16,
            escape(label)
        );
        if let Some(p) = previous {
            let _ = write!(
                s,
                "<rect x=\"200\" y=\"{y}\" width=\"{:.1}\" height=\"10\" fill=\"#b8c4cc\"/>",
                3.6 * p.clamp(0.0, 100.0)
            );
        }
        if let Some(c) = current {
            let _ = write!(
                s,
                "<rect x=\"200\" y=\"{}\" width=\"{:.1}\" height=\"14\" fill=\"#2a6f97\"/>\
                 <text x=\"{:.1}\" y=\"{}\" font-size=\"13\">{c:.0}</text>",
                y + 11,
                3.6 * c.clamp(0.0, 100.0),
                206.0 + 3.6 * c.clamp(0.0, 100.0),
                y + 23
            );
        }
    }
    let legend = height - 8;
    let _ = write!(
        s,
        "<rect x=\"200\" y=\"{}\" width=\"12\" height=\"10\" fill=\"#2a6f97\"/>\
         <text x=\"216\" y=\"{legend}\" font-size=\"12\">this period</text>\
         <rect x=\"310\" y=\"{}\" width=\"12\" height=\"10\" fill=\"#b8c4cc\"/>\
         <text x=\"326\" y=\"{legend}\" font-size=\"12\">period before</text></svg>\
         <figcaption>{}</figcaption></figure>",
        legend - 9,
        legend - 9,
        escape(title)
    );
    s
}

/// Renders the report as one HTML page with inline CSS and SVG, no scripts.
pub fn html(r: &ReportData) -> String {
    let mut h = String::with_capacity(64 * 1024);
    let title = escape(&r.programme);
    let _ = write!(
        h,
        "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>{title} – programme report v{}</title><style>{CSS}</style></head><body><main>\
         <h1>{title}</h1><p class=\"meta\">Grid: {} · {} to {} (compared with {} to {}) · \
         version {} · generated {}</p>",
        r.version,
        escape(&r.grid),
        r.period.from,
        r.period.to,
        r.previous_period.from,
        r.previous_period.to,
        r.version,
        r.generated_at.format("%Y-%m-%d %H:%M UTC"),
    );

    let _ = write!(
        h,
        "<section><h2>Overall</h2><p class=\"total\">Score <strong>{}</strong> / 100: {} \
         (period before: {}, {}).</p>",
        opt(r.scored.total, 1),
        level(r.scored.level),
        opt(r.previous.total, 1),
        level(r.previous.level),
    );
    if let Some(c) = &r.comparable {
        let _ = write!(
            h,
            "<p>The periods scored different criteria: on the {} scored in both, this \
             period {} against {} before.</p>",
            c.criteria.len(),
            opt(c.current, 1),
            opt(c.previous, 1),
        );
    }
    let rows: Vec<(String, Option<f64>, Option<f64>)> = r
        .scored
        .criteria
        .iter()
        .zip(&r.previous.criteria)
        .map(|(c, p)| (c.name.clone(), c.score, p.score))
        .collect();
    h.push_str(&score_chart(
        "criteria-chart",
        "Criterion scores out of 100",
        &rows,
    ));
    h.push_str("</section>");

    h.push_str("<section><h2>Recommendations</h2>");
    if r.recommendations.is_empty() {
        h.push_str("<p>No rule of the grid was triggered.</p>");
    } else {
        h.push_str("<ol class=\"recs\">");
        for rec in &r.recommendations {
            let e = &rec.evidence;
            let _ = write!(
                h,
                "<li><strong>{}</strong>{} · for {} · {}<br><small>Evidence: {} is {}{}; {}</small></li>",
                rec.priority.name(),
                if rec.accepted { " · accepted" } else { "" },
                escape(&rec.audience),
                escape(&rec.text),
                escape(&e.subject_name),
                e.level.name(),
                e.score
                    .map_or(String::new(), |s| format!(" ({s:.0} / 100)")),
                escape(&e.basis),
            );
        }
        h.push_str("</ol>");
    }
    h.push_str("</section>");

    h.push_str("<section><h2>Criteria and their evidence</h2>");
    for c in &r.scored.criteria {
        let _ = write!(
            h,
            "<h3>{} <small>weight {} · {} / 100 · {}</small></h3><p>{}</p>\
             <div class=\"wide\" role=\"region\" aria-label=\"{}\" tabindex=\"0\"><table>\
             <thead><tr><th scope=\"col\">Indicator</th><th scope=\"col\">Value</th>\
             <th scope=\"col\">Level</th><th scope=\"col\">Score</th><th scope=\"col\">Evidence</th>\
             </tr></thead><tbody>",
            escape(&c.name),
            c.weight,
            opt(c.score, 1),
            level(c.level),
            escape(&c.description),
            escape(&c.name),
        );
        for i in &c.indicators {
            let _ = write!(
                h,
                "<tr><th scope=\"row\">{}<br><small>{}</small></th><td>{}</td><td>{}</td>\
                 <td>{}</td><td>{}</td></tr>",
                escape(&i.name),
                escape(&i.source),
                opt(i.measure.value, 2),
                level(i.level),
                opt(i.score, 0),
                escape(&i.measure.basis),
            );
        }
        h.push_str("</tbody></table></div>");
    }
    h.push_str("</section>");

    h.push_str(
        "<section><h2>Trends</h2><div class=\"wide\" role=\"region\" aria-label=\"Trends\" \
         tabindex=\"0\"><table><thead><tr><th scope=\"col\">Indicator</th>\
         <th scope=\"col\">Period before</th><th scope=\"col\">This period</th>\
         <th scope=\"col\">Change</th><th scope=\"col\">Welch's t (df), p</th></tr></thead><tbody>",
    );
    for t in &r.trends {
        let test = t.test.map_or("–".to_owned(), |w| {
            format!("{:.2} ({:.1}), {:.4}", w.t, w.df, w.p)
        });
        let _ = write!(
            h,
            "<tr><th scope=\"row\">{}</th><td>{} <small>{}</small></td><td>{} <small>{}</small></td>\
             <td>{}</td><td>{test}</td></tr>",
            escape(&t.name),
            opt(t.previous, 2),
            level(t.previous_level),
            opt(t.current, 2),
            level(t.current_level),
            t.change.map_or("–".to_owned(), |c| format!("{c:+.2}")),
        );
    }
    h.push_str("</tbody></table></div></section>");

    let d = &r.descriptive;
    let _ = write!(
        h,
        "<section><h2>Descriptive data</h2><dl><dt>Learners in active relations</dt><dd>{}</dd>\
         <dt>Tutors in active relations</dt><dd>{}</dd><dt>Sessions held</dt><dd>{}</dd>\
         <dt>Hours held</dt><dd>{:.1}</dd></dl>",
        d.learners, d.tutors, d.sessions_held, d.hours_held
    );
    h.push_str("<table><caption>By role</caption><thead><tr><th scope=\"col\">Role</th><th scope=\"col\">Learners</th><th scope=\"col\">Tutors</th></tr></thead><tbody>");
    for l in &d.by_role {
        let _ = write!(
            h,
            "<tr><th scope=\"row\">{}</th><td>{}</td><td>{}</td></tr>",
            escape(&l.role),
            l.learners,
            l.tutors
        );
    }
    h.push_str("</tbody></table><table><caption>By support axis</caption><thead><tr><th scope=\"col\">Axis</th><th scope=\"col\">Learners in need</th><th scope=\"col\">Weight</th></tr></thead><tbody>");
    for l in &d.by_axis {
        let _ = write!(
            h,
            "<tr><th scope=\"row\">{}</th><td>{}</td><td>{}</td></tr>",
            escape(&l.axis),
            l.learners_in_need,
            l.weight
        );
    }
    h.push_str("</tbody></table><table><caption>Relations by status</caption><tbody>");
    for (status, n) in &d.matchings {
        let _ = write!(
            h,
            "<tr><th scope=\"row\">{}</th><td>{n}</td></tr>",
            escape(status)
        );
    }
    h.push_str("</tbody></table></section>");

    h.push_str("<section><h2>Campaigns</h2>");
    for c in &r.campaigns {
        let _ = write!(
            h,
            "<h3>{}</h3><p>{} · {} · {} responses of {} invited · response rate {}</p>",
            escape(&c.name),
            escape(&c.audience),
            escape(&c.anonymity),
            c.responses,
            c.invited,
            c.response_rate
                .map_or("not applicable".to_owned(), |v| format!(
                    "{:.1} %",
                    v * 100.0
                )),
        );
        if c.suppressed {
            let _ = write!(
                h,
                "<p>Fewer than {} responses: figures withheld.</p>",
                r.min_group_size
            );
            continue;
        }
        if !c.scales.is_empty() {
            h.push_str("<table><thead><tr><th scope=\"col\">Scale</th><th scope=\"col\">n</th><th scope=\"col\">Mean</th><th scope=\"col\">SD</th><th scope=\"col\">Cronbach's α</th></tr></thead><tbody>");
            for s in &c.scales {
                let _ = write!(
                    h,
                    "<tr><th scope=\"row\">{}</th><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                    escape(&s.name),
                    s.n,
                    opt(s.mean, 2),
                    opt(s.sd, 2),
                    opt(s.alpha, 3)
                );
            }
            h.push_str("</tbody></table>");
        }
    }
    h.push_str("</section>");

    if !r.dyadic.is_empty() {
        h.push_str("<section><h2>Tutors' and learners' views of the same relations</h2><table><thead><tr><th scope=\"col\">Scale</th><th scope=\"col\">Pairs</th><th scope=\"col\">Tutors' mean</th><th scope=\"col\">Learners' mean</th><th scope=\"col\">Mean difference</th><th scope=\"col\">r</th><th scope=\"col\">Within one point</th></tr></thead><tbody>");
        for l in &r.dyadic {
            match &l.comparison {
                Some(c) => {
                    let _ = write!(
                        h,
                        "<tr><th scope=\"row\">{}</th><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                        escape(&l.name),
                        l.pairs,
                        opt(c.mean_first, 2),
                        opt(c.mean_second, 2),
                        opt(c.mean_difference, 2),
                        opt(c.r, 3),
                        c.within_one_point
                            .map_or("–".to_owned(), |w| format!("{:.0} %", w * 100.0)),
                    );
                }
                None => {
                    let _ = write!(
                        h,
                        "<tr><th scope=\"row\">{}</th><td colspan=\"6\">fewer than {} pairs: withheld</td></tr>",
                        escape(&l.name),
                        r.min_group_size
                    );
                }
            }
        }
        h.push_str("</tbody></table></section>");
    }
    let _ = write!(
        h,
        "<footer><p>Groups smaller than {} are never shown, nor any figure that would let one be \
         worked out from the others.</p></footer></main></body></html>",
        r.min_group_size
    );
    h
}

/// The report's tables: scores with their evidence and trends,
/// recommendations, campaigns, and the dyadic comparisons.
pub fn tables(r: &ReportData) -> Vec<Table> {
    let trend = |code: &str| r.trends.iter().find(|t| t.code == code);
    let mut scores = Table {
        name: "scores".into(),
        header: [
            "criterion",
            "indicator",
            "name",
            "weight",
            "value",
            "level",
            "score",
            "n",
            "previous value",
            "previous level",
            "change",
            "welch t",
            "welch df",
            "welch p",
            "evidence",
        ]
        .map(String::from)
        .to_vec(),
        rows: Vec::new(),
    };
    for c in &r.scored.criteria {
        scores.rows.push(vec![
            Cell::text(&c.code),
            Cell::Empty,
            Cell::text(&c.name),
            Cell::number(Some(c.weight)),
            Cell::Empty,
            Cell::text(level(c.level)),
            Cell::number(c.score),
            Cell::Empty,
            Cell::Empty,
            Cell::Empty,
            Cell::Empty,
            Cell::Empty,
            Cell::Empty,
            Cell::Empty,
            Cell::text(&c.description),
        ]);
        for i in &c.indicators {
            let t = trend(&i.code);
            let test = t.and_then(|t| t.test);
            scores.rows.push(vec![
                Cell::text(&c.code),
                Cell::text(&i.code),
                Cell::text(&i.name),
                Cell::number(Some(i.weight)),
                Cell::number(i.measure.value),
                Cell::text(level(i.level)),
                Cell::number(i.score),
                Cell::count(i.measure.n as usize),
                Cell::number(t.and_then(|t| t.previous)),
                Cell::text(level(t.and_then(|t| t.previous_level))),
                Cell::number(t.and_then(|t| t.change)),
                Cell::number(test.map(|w| w.t)),
                Cell::number(test.map(|w| w.df)),
                Cell::number(test.map(|w| w.p)),
                Cell::text(&i.measure.basis),
            ]);
        }
    }
    scores.rows.push(vec![
        Cell::text("total"),
        Cell::Empty,
        Cell::text("Weighted total"),
        Cell::Empty,
        Cell::Empty,
        Cell::text(level(r.scored.level)),
        Cell::number(r.scored.total),
        Cell::Empty,
        Cell::Empty,
        Cell::text(level(r.previous.level)),
        // Totals over different criteria do not compare: the change is
        // over the criteria both periods scored.
        Cell::number(match &r.comparable {
            Some(c) => c.current.zip(c.previous).map(|(a, b)| a - b),
            None => r.scored.total.zip(r.previous.total).map(|(a, b)| a - b),
        }),
        Cell::Empty,
        Cell::Empty,
        Cell::Empty,
        Cell::Empty,
    ]);

    let recommendations = Table {
        name: "recommendations".into(),
        header: [
            "priority", "audience", "text", "subject", "level", "score", "value", "n", "evidence",
        ]
        .map(String::from)
        .to_vec(),
        rows: r
            .recommendations
            .iter()
            .map(|p| {
                vec![
                    Cell::text(p.priority.name()),
                    Cell::text(&p.audience),
                    Cell::text(&p.text),
                    Cell::text(&p.evidence.subject),
                    Cell::text(p.evidence.level.name()),
                    Cell::number(p.evidence.score),
                    Cell::number(p.evidence.value),
                    Cell::count(p.evidence.n as usize),
                    Cell::text(&p.evidence.basis),
                ]
            })
            .collect(),
    };

    let mut campaigns = Table {
        name: "campaigns".into(),
        header: [
            "campaign",
            "audience",
            "anonymity",
            "invited",
            "responses",
            "response rate",
            "scale",
            "n",
            "mean",
            "sd",
            "alpha",
        ]
        .map(String::from)
        .to_vec(),
        rows: Vec::new(),
    };
    for c in &r.campaigns {
        let head = |scale: Option<&crate::programme_report::ScaleLine>| {
            vec![
                Cell::text(&c.name),
                Cell::text(&c.audience),
                Cell::text(&c.anonymity),
                Cell::count(c.invited as usize),
                Cell::count(c.responses as usize),
                Cell::number(c.response_rate),
                scale.map_or(Cell::Empty, |s| Cell::text(&s.code)),
                scale.map_or(Cell::Empty, |s| Cell::count(s.n)),
                Cell::number(scale.and_then(|s| s.mean)),
                Cell::number(scale.and_then(|s| s.sd)),
                Cell::number(scale.and_then(|s| s.alpha)),
            ]
        };
        if c.suppressed || c.scales.is_empty() {
            campaigns.rows.push(head(None));
        } else {
            campaigns
                .rows
                .extend(c.scales.iter().map(|s| head(Some(s))));
        }
    }

    let dyadic = Table {
        name: "dyadic".into(),
        header: [
            "scale",
            "pairs",
            "tutors mean",
            "learners mean",
            "mean difference",
            "sd of differences",
            "r",
            "within one point",
        ]
        .map(String::from)
        .to_vec(),
        rows: r
            .dyadic
            .iter()
            .map(|l| {
                let c = l.comparison.as_ref();
                vec![
                    Cell::text(&l.scale),
                    Cell::count(l.pairs),
                    Cell::number(c.and_then(|c| c.mean_first)),
                    Cell::number(c.and_then(|c| c.mean_second)),
                    Cell::number(c.and_then(|c| c.mean_difference)),
                    Cell::number(c.and_then(|c| c.sd_difference)),
                    Cell::number(c.and_then(|c| c.r)),
                    Cell::number(c.and_then(|c| c.within_one_point)),
                ]
            })
            .collect(),
    };
    vec![scores, recommendations, campaigns, dyadic]
}

/// The scores table as CSV, kept with the report version.
pub fn csv(r: &ReportData) -> String {
    let scores = tables(r).swap_remove(0);
    String::from_utf8(crate::export::to_csv(&scores)).unwrap_or_default()
}
