//! The `worker` binary: runs the job handlers against Redis.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Parser;
use worker::{Context, JobQueue, Settings, db, jobs, telemetry};

// Many small, short-lived allocations per request: mimalloc keeps them
// cheap where the system allocator spends a sixth of the time.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Runs background jobs: invitations, reminders, aggregation and reports.
#[derive(Parser)]
#[command(version)]
struct Args {
    /// Settings file (TOML); the environment overrides it.
    #[arg(long, env = "CONFIG_FILE")]
    config: Option<PathBuf>,
}

#[tokio::main]
async fn main() -> ExitCode {
    match run(Args::parse()).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

async fn run(args: Args) -> anyhow::Result<()> {
    let settings = Settings::load(args.config.as_deref())?;
    telemetry::init(settings.log_format);
    for name in Settings::unknown_env_vars() {
        tracing::warn!(variable = %name, "unknown setting in the environment is ignored");
    }
    if settings.embedded_jobs() {
        anyhow::bail!("REDIS_URL is not set: without Redis the api runs the jobs itself");
    }

    let db = db::connect(&settings).await?;
    let mut ctx = Context::new(&settings, db, worker::token_key(&settings)?)?;
    let queue = JobQueue::open(&settings).await?;
    ctx.live = worker::live::Live::for_queue(&settings, &queue, worker::jobs::QUEUE);
    tracing::info!(?settings, "worker started");
    jobs::run_workers(
        ctx,
        queue,
        jobs::Schedule::from(&settings),
        telemetry::shutdown_signal(),
    )
    .await
}
