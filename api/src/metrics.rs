//! Prometheus metrics in the text exposition format.
//!
//! Request latencies are measured in this process. Job counts and latencies,
//! dead letters, queue depth and emails by outcome are read from the
//! database and the queue when scraped, so every replica reports the same, complete figures
//! for work done by any worker.

use std::collections::BTreeMap;
use std::fmt::Write;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use entities::{EmailStatus, campaign, dead_letter, email_message};
use sea_orm::sea_query::Query;
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, DbErr, EntityTrait, QueryFilter, QuerySelect,
    Statement,
};
use worker::JobQueue;

/// Upper bounds of the latency buckets, in seconds.
const BUCKETS: [f64; 12] = [
    0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0,
];

#[derive(Clone, Debug, Default)]
struct Histogram {
    /// Observations at or under each bucket's bound (not cumulative here).
    buckets: [u64; BUCKETS.len()],
    count: u64,
    sum: f64,
}

impl Histogram {
    fn observe(&mut self, seconds: f64) {
        if let Some(i) = BUCKETS.iter().position(|b| seconds <= *b) {
            self.buckets[i] += 1;
        }
        self.count += 1;
        self.sum += seconds;
    }
}

/// Request latencies by operation and SQL statements run, for this process.
#[derive(Clone, Default)]
pub struct Metrics {
    requests: Arc<Mutex<BTreeMap<(String, String), Histogram>>>,
    statements: Arc<AtomicU64>,
}

/// Most distinct operation labels kept; later ones count as `other`, so a
/// client inventing names cannot grow the table without bound.
const MAX_OPERATIONS: usize = 500;

impl Metrics {
    /// Records one request: `operation` is a route or a GraphQL root field,
    /// `status` the HTTP status class (`2xx`…).
    pub fn observe(&self, operation: &str, status: u16, elapsed: Duration) {
        let class = format!("{}xx", status / 100);
        let Ok(mut requests) = self.requests.lock() else {
            return;
        };
        let mut key = (operation.to_owned(), class);
        if !requests.contains_key(&key) && requests.len() >= MAX_OPERATIONS {
            key.0 = "other".to_owned();
        }
        requests
            .entry(key)
            .or_default()
            .observe(elapsed.as_secs_f64());
    }

    /// Counts every statement `db` runs from now on, in this process.
    pub fn count_statements(&self, db: &mut DatabaseConnection) {
        let statements = self.statements.clone();
        db.set_metric_callback(move |_| {
            statements.fetch_add(1, Ordering::Relaxed);
        });
    }

    /// SQL statements run so far by this process (api and in-process jobs).
    pub fn statements(&self) -> u64 {
        self.statements.load(Ordering::Relaxed)
    }

    fn snapshot(&self) -> BTreeMap<(String, String), Histogram> {
        self.requests.lock().map(|r| r.clone()).unwrap_or_default()
    }
}

/// A label value with `\`, `"` and line breaks escaped.
fn label(value: &str) -> String {
    value
        .replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

fn histogram(out: &mut String, name: &str, labels: &str, h: &Histogram) {
    let mut cumulative = 0;
    for (bound, n) in BUCKETS.iter().zip(h.buckets) {
        cumulative += n;
        let _ = writeln!(out, "{name}_bucket{{{labels},le=\"{bound}\"}} {cumulative}");
    }
    let _ = writeln!(out, "{name}_bucket{{{labels},le=\"+Inf\"}} {}", h.count);
    let _ = writeln!(out, "{name}_sum{{{labels}}} {}", h.sum);
    let _ = writeln!(out, "{name}_count{{{labels}}} {}", h.count);
}

/// Everything `/metrics` shows.
pub async fn render(
    metrics: &Metrics,
    db: &DatabaseConnection,
    queue: &JobQueue,
) -> Result<String, DbErr> {
    let mut out = String::with_capacity(16 * 1024);

    out.push_str(
        "# HELP http_request_duration_seconds Time to answer a request, by operation and status class.\n\
         # TYPE http_request_duration_seconds histogram\n",
    );
    for ((operation, status), h) in metrics.snapshot() {
        let labels = format!(
            "operation=\"{}\",status=\"{}\"",
            label(&operation),
            label(&status)
        );
        histogram(&mut out, "http_request_duration_seconds", &labels, &h);
    }

    let _ = write!(
        out,
        "# HELP db_statements_total SQL statements run by this process.\n\
         # TYPE db_statements_total counter\n\
         db_statements_total {}\n",
        metrics.statements()
    );

    jobs(&mut out, db).await?;
    dead_letters(&mut out, db).await?;

    match queue.depth().await {
        Ok(depth) => {
            out.push_str(
                "# HELP job_queue_depth Jobs in the queue, by state.\n# TYPE job_queue_depth gauge\n",
            );
            let _ = writeln!(
                out,
                "job_queue_depth{{state=\"pending\"}} {}",
                depth.pending
            );
            let _ = writeln!(
                out,
                "job_queue_depth{{state=\"running\"}} {}",
                depth.running
            );
            out.push_str("job_queue_up 1\n");
        }
        Err(e) => {
            tracing::warn!(error.message = %e, "queue depth not read");
            out.push_str("job_queue_up 0\n");
        }
    }

    let rows = db
        .query_all_raw(Statement::from_string(
            db.get_database_backend(),
            "SELECT status, COUNT(*) AS n FROM email_message GROUP BY status",
        ))
        .await?;
    out.push_str(
        "# HELP emails_total Emails by outcome, all processes.\n# TYPE emails_total counter\n",
    );
    for row in rows {
        let status: String = row.try_get("", "status")?;
        let n: i64 = row.try_get("", "n")?;
        let _ = writeln!(out, "emails_total{{outcome=\"{}\"}} {n}", label(&status));
    }
    open_campaigns(&mut out, db).await?;
    Ok(out)
}

/// Emails and dead letters of each campaign still open, by campaign id: as
/// many series as campaigns running, none once they close.
async fn open_campaigns(out: &mut String, db: &DatabaseConnection) -> Result<(), DbErr> {
    let open = Query::select()
        .column(campaign::Column::Id)
        .from(campaign::Entity)
        .and_where(campaign::Column::LaunchedAt.is_not_null())
        .and_where(campaign::Column::ClosesAt.gt(chrono::Utc::now()))
        .to_owned();
    let emails: Vec<(Option<i64>, EmailStatus, i64)> = email_message::Entity::find()
        .select_only()
        .column(email_message::Column::CampaignId)
        .column(email_message::Column::Status)
        .column_as(email_message::Column::Id.count(), "n")
        .filter(email_message::Column::CampaignId.in_subquery(open.clone()))
        .group_by(email_message::Column::CampaignId)
        .group_by(email_message::Column::Status)
        .into_tuple()
        .all(db)
        .await?;
    out.push_str(
        "# HELP campaign_emails Emails of each open campaign, by status.\n\
         # TYPE campaign_emails gauge\n",
    );
    for (campaign, status, n) in emails {
        let Some(campaign) = campaign else { continue };
        let status = sea_orm::ActiveEnum::to_value(&status);
        let _ = writeln!(
            out,
            "campaign_emails{{campaign_id=\"{campaign}\",status=\"{}\"}} {n}",
            label(&status)
        );
    }
    let dead: Vec<(Option<i64>, i64)> = dead_letter::Entity::find()
        .select_only()
        .column(dead_letter::Column::CampaignId)
        .column_as(dead_letter::Column::Id.count(), "n")
        .filter(dead_letter::Column::CampaignId.in_subquery(open))
        .group_by(dead_letter::Column::CampaignId)
        .into_tuple()
        .all(db)
        .await?;
    out.push_str(
        "# HELP campaign_dead_letters Jobs of each open campaign given up on.\n\
         # TYPE campaign_dead_letters gauge\n",
    );
    for (campaign, n) in dead {
        let Some(campaign) = campaign else { continue };
        let _ = writeln!(
            out,
            "campaign_dead_letters{{campaign_id=\"{campaign}\"}} {n}"
        );
    }
    Ok(())
}

/// Jobs given up on and not yet retried, by kind and in all: a gauge, since
/// retrying removes them.
async fn dead_letters(out: &mut String, db: &DatabaseConnection) -> Result<(), DbErr> {
    let rows = db
        .query_all_raw(Statement::from_string(
            db.get_database_backend(),
            "SELECT kind, COUNT(*) AS n FROM dead_letter GROUP BY kind",
        ))
        .await?;
    out.push_str(
        "# HELP dead_letters Jobs given up on and not retried yet, by kind.\n\
         # TYPE dead_letters gauge\n",
    );
    let mut all = 0;
    for row in rows {
        let kind: String = row.try_get("", "kind")?;
        let n: i64 = row.try_get("", "n")?;
        all += n;
        let _ = writeln!(out, "dead_letters{{kind=\"{}\"}} {n}", label(&kind));
    }
    out.push_str(
        "# HELP dead_letters_all Jobs given up on and not retried yet, every kind.\n\
         # TYPE dead_letters_all gauge\n",
    );
    let _ = writeln!(out, "dead_letters_all {all}");
    Ok(())
}

/// Job counts by kind and outcome, and a latency histogram by kind, summed
/// by the database from the recorded runs.
async fn jobs(out: &mut String, db: &DatabaseConnection) -> Result<(), DbErr> {
    let backend = db.get_database_backend();
    let counts = db
        .query_all_raw(Statement::from_string(
            backend,
            "SELECT kind, outcome, COUNT(*) AS n FROM job_run GROUP BY kind, outcome",
        ))
        .await?;
    out.push_str(
        "# HELP jobs_total Jobs run, by kind and outcome, all workers.\n# TYPE jobs_total counter\n",
    );
    for row in counts {
        let kind: String = row.try_get("", "kind")?;
        let outcome: String = row.try_get("", "outcome")?;
        let n: i64 = row.try_get("", "n")?;
        let _ = writeln!(
            out,
            "jobs_total{{kind=\"{}\",outcome=\"{}\"}} {n}",
            label(&kind),
            label(&outcome)
        );
    }

    let buckets: Vec<String> = BUCKETS
        .iter()
        .enumerate()
        .map(|(i, b)| {
            format!(
                "SUM(CASE WHEN duration_ms <= {} THEN 1 ELSE 0 END) AS b{i}",
                (b * 1000.0) as i64
            )
        })
        .collect();
    let sql = format!(
        "SELECT kind, COUNT(*) AS n, CAST(COALESCE(SUM(duration_ms), 0) AS BIGINT) AS total, {} \
         FROM job_run WHERE duration_ms IS NOT NULL GROUP BY kind",
        buckets.join(", ")
    );
    let rows = db
        .query_all_raw(Statement::from_string(backend, sql))
        .await?;
    out.push_str(
        "# HELP job_duration_seconds Time a job ran, by kind, all workers.\n\
         # TYPE job_duration_seconds histogram\n",
    );
    for row in rows {
        let kind: String = row.try_get("", "kind")?;
        let n: i64 = row.try_get("", "n")?;
        let total: i64 = row.try_get("", "total")?;
        let labels = format!("kind=\"{}\"", label(&kind));
        for (i, bound) in BUCKETS.iter().enumerate() {
            let at_most: i64 = row.try_get("", &format!("b{i}"))?;
            let _ = writeln!(
                out,
                "job_duration_seconds_bucket{{{labels},le=\"{bound}\"}} {at_most}"
            );
        }
        let _ = writeln!(
            out,
            "job_duration_seconds_bucket{{{labels},le=\"+Inf\"}} {n}"
        );
        let _ = writeln!(
            out,
            "job_duration_seconds_sum{{{labels}}} {}",
            total as f64 / 1000.0
        );
        let _ = writeln!(out, "job_duration_seconds_count{{{labels}}} {n}");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn histograms_are_cumulative_and_count_everything() {
        let metrics = Metrics::default();
        for ms in [3, 40, 40, 700, 60_000] {
            metrics.observe("campaigns", 200, Duration::from_millis(ms));
        }
        let snapshot = metrics.snapshot();
        let h = &snapshot[&("campaigns".to_owned(), "2xx".to_owned())];
        let mut out = String::new();

        histogram(&mut out, "x", "op=\"a\"", h);

        assert!(out.contains("x_bucket{op=\"a\",le=\"0.005\"} 1\n"));
        assert!(out.contains("x_bucket{op=\"a\",le=\"0.05\"} 3\n"));
        assert!(out.contains("x_bucket{op=\"a\",le=\"1\"} 4\n"));
        assert!(out.contains("x_bucket{op=\"a\",le=\"30\"} 4\n"));
        assert!(out.contains("x_bucket{op=\"a\",le=\"+Inf\"} 5\n"));
        assert!(out.contains("x_count{op=\"a\"} 5\n"));
    }

    #[test]
    fn invented_operation_names_cannot_grow_the_table_without_bound() {
        let metrics = Metrics::default();
        for i in 0..(MAX_OPERATIONS + 50) {
            metrics.observe(&format!("op{i}"), 200, Duration::from_millis(1));
        }

        let snapshot = metrics.snapshot();

        assert_eq!(snapshot.len(), MAX_OPERATIONS + 1);
        assert_eq!(snapshot[&("other".to_owned(), "2xx".to_owned())].count, 50);
    }

    #[test]
    fn label_values_are_escaped() {
        assert_eq!(label("a\"b\\c\nd"), "a\\\"b\\\\c\\nd");
    }
}
