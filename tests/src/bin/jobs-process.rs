//! The job workers and their clocks as a process of their own, the way the
//! `worker` binary runs them, for tests that stop one the hard way. Unlike
//! the binary it takes the queue's name, so each test has its own, and it
//! runs on the embedded job store too.
//!
//! Usage: `jobs-process SETTINGS.toml QUEUE`

use std::path::PathBuf;

use anyhow::Context as _;
use worker::{Context, JobQueue, Settings, db, jobs, telemetry};

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let mut args = std::env::args().skip(1);
    let (Some(config), Some(queue)) = (args.next(), args.next()) else {
        anyhow::bail!("usage: jobs-process SETTINGS.toml QUEUE");
    };
    let settings = Settings::load(Some(&PathBuf::from(config)))?;
    telemetry::init(settings.log_format);
    let db = db::connect(&settings).await.context("database")?;
    let ctx = Context::new(&settings, db, worker::token_key(&settings)?)?;
    let queue = JobQueue::open_named(&settings, &queue)
        .await
        .context("job queue")?;
    jobs::run_workers(
        ctx,
        queue,
        jobs::Schedule::from(&settings),
        telemetry::shutdown_signal(),
    )
    .await
}
