//! The `api` binary: serves GraphQL, migrates, creates accounts, imports.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context as _;
use api::campaigns::import;
use api::error::ApiError;
use api::{Application, Options, auth, demo};
use clap::{Parser, Subcommand};
use entities::Role;
use worker::{Context, Settings, db, telemetry};

// Many small, short-lived allocations per request: mimalloc keeps them
// cheap where the system allocator spends a sixth of the time.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Parser)]
#[command(
    version,
    about = "GraphQL API for running and evaluating tutorial programmes"
)]
struct Cli {
    /// Settings file (TOML); the environment overrides it.
    #[arg(long, env = "CONFIG_FILE", global = true)]
    config: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Serves the API (and, without Redis, runs the jobs too).
    Serve {
        /// Address to listen on; overrides BIND.
        #[arg(long)]
        bind: Option<SocketAddr>,
        /// Do not apply pending migrations on start.
        #[arg(long)]
        no_migrate: bool,
        /// Create the demo organisation from the bundled data first.
        #[arg(long)]
        demo: bool,
    },
    /// Applies pending migrations and exits.
    Migrate,
    /// Creates an administrator, and the organisation if it is new.
    CreateAdmin {
        /// The organisation's short name (lower-case letters, digits, dashes).
        #[arg(long)]
        organisation: String,
        /// Its full name, for a new organisation; defaults to the short name.
        #[arg(long)]
        organisation_name: Option<String>,
        /// The administrator's email address, used to sign in.
        #[arg(long)]
        email: String,
        /// Read from ADMIN_PASSWORD so it stays out of the shell history.
        #[arg(long, env = "ADMIN_PASSWORD", hide_env_values = true)]
        password: String,
    },
    /// Creates an organisation at a chosen scale for load tests: learners,
    /// tutors, tutorial relations with sessions, and campaigns answered
    /// with the bundled bfi answers. Prints what it made as JSON. A run
    /// that fails part way leaves what it made: generate into a new
    /// organisation name, or a fresh database, to start again.
    Generate {
        /// The new organisation's short name.
        #[arg(long)]
        organisation: String,
        #[arg(long, default_value_t = 30_000)]
        learners: usize,
        #[arg(long, default_value_t = 2_000)]
        tutors: usize,
        #[arg(long, default_value_t = 4)]
        campaigns: usize,
        /// Share of invited learners who answer, 0 to 1.
        #[arg(long, default_value_t = 0.7)]
        response_rate: f64,
        #[arg(long, default_value_t = 4)]
        sessions_per_matching: usize,
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// The administrator's password (`admin@<organisation>.example`).
        #[arg(long, env = "ADMIN_PASSWORD", hide_env_values = true)]
        password: String,
    },
    /// Imports responses from a CSV file into a campaign.
    ImportResponses {
        /// The campaign: its id as the API gives it, or its number.
        #[arg(long)]
        campaign: String,
        /// The organisation's short name.
        #[arg(long)]
        organisation: String,
        /// A CSV file with a header row.
        #[arg(long)]
        file: PathBuf,
        /// `column=item_code`, repeated.
        #[arg(long = "item", value_parser = pair)]
        items: Vec<(String, String)>,
        /// `column=attribute_name`, repeated.
        #[arg(long = "attribute", value_parser = pair)]
        attributes: Vec<(String, String)>,
        /// Column holding each respondent's own reference.
        #[arg(long)]
        respondent_column: Option<String>,
        /// Link responses to learners by the respondent column, creating new ones.
        #[arg(long, requires = "respondent_column")]
        link_people: bool,
    },
    /// Prints the GraphQL schema (SDL).
    PrintSchema,
    /// Compares two schema files (SDL) and prints each change, BREAKING,
    /// DANGEROUS or SAFE for clients of the old one.
    SchemaDiff {
        /// The schema clients were written against.
        old: PathBuf,
        /// The schema that replaces it.
        new: PathBuf,
        /// Exit with status 1 when a change is breaking.
        #[arg(long)]
        fail_on_breaking: bool,
    },
    /// Exits 0 if the api answers its health check (for containers).
    Healthcheck {
        /// The health check's address; an api bound elsewhere than the
        /// default needs its own.
        #[arg(long, default_value = "http://127.0.0.1:8080/healthz")]
        url: String,
    },
}

fn pair(s: &str) -> Result<(String, String), String> {
    s.split_once('=')
        .map(|(a, b)| (a.to_owned(), b.to_owned()))
        .ok_or_else(|| format!("`{s}` is not of the form column=name"))
}

#[tokio::main]
async fn main() -> ExitCode {
    match run(Cli::parse()).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

/// An API error as a person at a terminal reads it: the message, then each
/// problem; for an internal error, its cause, which a client never sees
/// but the operator running the command needs.
fn explain(e: ApiError) -> anyhow::Error {
    let problems = match e {
        ApiError::Internal(cause) => return cause,
        ApiError::BadInput(_, ref problems) => {
            problems.iter().map(|p| format!("\n  - {p}")).collect()
        }
        _ => String::new(),
    };
    let message = async_graphql::Error::from(e).message;
    anyhow::anyhow!("{message}{problems}")
}

async fn run(cli: Cli) -> anyhow::Result<()> {
    let mut settings = Settings::load(cli.config.as_deref())?;

    match cli.command {
        Command::PrintSchema => {
            print!("{}", api::schema::sdl());
            Ok(())
        }
        Command::Healthcheck { url } => healthcheck(&url).await,
        Command::SchemaDiff {
            old,
            new,
            fail_on_breaking,
        } => {
            let read = |path: &PathBuf| {
                std::fs::read_to_string(path)
                    .with_context(|| format!("cannot read {}", path.display()))
            };
            let changes =
                api::schema_diff::diff(&read(&old)?, &read(&new)?).map_err(anyhow::Error::msg)?;
            print!("{}", api::schema_diff::report(&changes));
            let breaking = changes
                .iter()
                .any(|c| c.severity == api::schema_diff::Severity::Breaking);
            anyhow::ensure!(
                !(fail_on_breaking && breaking),
                "the new schema breaks clients"
            );
            Ok(())
        }
        Command::Migrate => {
            telemetry::init(settings.log_format);
            db::migrate(&db::connect(&settings).await?).await?;
            tracing::info!("migrations applied");
            Ok(())
        }
        Command::CreateAdmin {
            organisation,
            organisation_name,
            email,
            password,
        } => {
            telemetry::init(settings.log_format);
            let conn = db::connect(&settings).await?;
            db::migrate(&conn).await?;
            let name = organisation_name.unwrap_or_else(|| organisation.clone());
            auth::add_member(
                &conn,
                (&organisation, &name),
                &email,
                &email,
                &password,
                Role::Admin,
            )
            .await
            .map_err(explain)?;
            println!("Administrator {email} created in organisation `{organisation}`.");
            Ok(())
        }
        Command::Generate {
            organisation,
            learners,
            tutors,
            campaigns,
            response_rate,
            sessions_per_matching,
            seed,
            password,
        } => {
            telemetry::init(settings.log_format);
            let conn = db::connect(&settings).await?;
            db::migrate(&conn).await?;
            let tokens = worker::token_key(&settings)?;
            let scale = api::generate::Scale {
                learners,
                tutors,
                campaigns,
                response_rate,
                sessions_per_matching,
                seed,
            };
            let made = api::generate::generate(&conn, &tokens, &organisation, &password, &scale)
                .await
                .map_err(|e| explain(e).context(format!("cannot generate `{organisation}`")))?;
            println!("{}", serde_json::to_string_pretty(&made)?);
            Ok(())
        }
        Command::ImportResponses {
            campaign,
            organisation,
            file,
            items,
            attributes,
            respondent_column,
            link_people,
        } => {
            telemetry::init(settings.log_format);
            let conn = db::connect(&settings).await?;
            let org = entities::organisation::Entity::find_by_slug(&conn, &organisation)
                .await
                .map_err(|_| anyhow::anyhow!("no organisation is called `{organisation}`"))?;
            let campaign = match campaign.parse::<i64>() {
                Ok(id) => id,
                Err(_) => api::ids::decode(&api::ids::ID(campaign.clone()), "Campaign")
                    .map_err(|_| anyhow::anyhow!("`{campaign}` is not a campaign id"))?,
            };
            let data =
                std::fs::read(&file).with_context(|| format!("cannot read {}", file.display()))?;
            let mapping = import::Mapping {
                link_people,
                respondent_column,
                items,
                attributes: attributes
                    .into_iter()
                    .map(|(column, name)| import::AttributeColumn {
                        column,
                        name,
                        bands: Vec::new(),
                    })
                    .collect(),
            };
            let n = import::import(&conn, org, campaign, &data, &mapping)
                .await
                .map_err(|e| explain(e).context("nothing imported"))?;
            worker::jobs::aggregate(&conn, campaign).await?;
            println!("{n} responses imported; the campaign's figures are up to date.");
            Ok(())
        }
        Command::Serve {
            bind,
            no_migrate,
            demo,
        } => {
            telemetry::init(settings.log_format);
            for name in Settings::unknown_env_vars() {
                tracing::warn!(variable = %name, "unknown setting in the environment is ignored");
            }
            if settings.database_url.is_some() && settings.graphql_introspection {
                tracing::warn!(
                    "introspection is on with a server database: set GRAPHQL_INTROSPECTION=false in production"
                );
            }
            if let Some(bind) = bind {
                settings.bind = bind;
                // Links lead to the address bound unless the file or the
                // environment says where people reach the server.
                if settings.public_url == Settings::default().public_url {
                    settings.public_url = format!("http://{bind}");
                }
            }
            let mut options = Options::for_settings(&settings);
            options.migrate = !no_migrate;
            let app = Application::build(&settings, options).await?;
            if demo {
                run_demo(&settings, &app).await?;
            }
            app.run_until(telemetry::shutdown_signal()).await
        }
    }
}

async fn run_demo(settings: &Settings, app: &Application) -> anyhow::Result<()> {
    let state = app.state();
    let seeded = demo::seed(state)
        .await
        .map_err(|e| explain(e).context("demo"))?;
    let ctx = Context::new(settings, state.db.clone(), state.tokens.clone())?;
    for id in [seeded.learner_campaign_id, seeded.tutor_campaign_id] {
        worker::jobs::execute(&ctx, worker::Job::GenerateReport { campaign_id: id }).await?;
    }
    let url = format!("http://{}", app.local_addr());
    let (form_link, report_link) = demo::links(state, &seeded, &settings.public_url)
        .await
        .map_err(|e| explain(e).context("demo links"))?;
    println!(
        "\nDemo ready.\n  GraphiQL:  {url}/\n  Sign in:   mutation {{ signIn(input: {{email: \"{}\", password: \"{}\"}}) {{ token }} }}\n  \
         then set the header  Authorization: Bearer <token>  and try\n  \
         {{ campaigns {{ edges {{ node {{ name responseCount reports(first: 1) {{ edges {{ node {{ version recommendations {{ priority text evidence }} }} }} }} }} }} }} }}\n  \
         The programme's report on the grid \"{}\": {{ programmeReports(programmeId: \"{}\") {{ edges {{ node {{ totalScore level criteria {{ name score level }} recommendations {{ priority text evidence }} }} }} }} }}\n  \
         Invitations of the \"{}\" campaign: {}/outbox/*.eml. Each link opens the\n  \
         questionnaire in a browser, for example\n    {form_link}\n  \
         A shared report, as a funder would open it:\n    {report_link}\n",
        demo::ADMIN_EMAIL,
        demo::ADMIN_PASSWORD,
        api::evaluation::demo_grid::NAME,
        api::ids::encode("Programme", seeded.programme_id).0,
        demo::CHECK_IN_CAMPAIGN,
        settings.data_dir.display()
    );
    Ok(())
}

async fn healthcheck(url: &str) -> anyhow::Result<()> {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let rest = url
        .strip_prefix("http://")
        .context("only http:// URLs are checked")?;
    let (host, path) = rest.split_once('/').map_or((rest, "/"), |(h, p)| (h, p));
    let mut stream = tokio::net::TcpStream::connect(host).await?;
    let request = format!(
        "GET /{} HTTP/1.0\r\nHost: {host}\r\n\r\n",
        path.trim_start_matches('/')
    );
    stream.write_all(request.as_bytes()).await?;
    let mut reply = String::new();
    stream.read_to_string(&mut reply).await?;
    anyhow::ensure!(
        reply.starts_with("HTTP/1.1 200") || reply.starts_with("HTTP/1.0 200"),
        "unhealthy"
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_command_shows_the_cause_of_an_internal_error_and_the_message_of_others() {
        let internal = ApiError::Internal(anyhow::anyhow!("too many SQL variables"));
        assert_eq!(format!("{:#}", explain(internal)), "too many SQL variables");
        let refused = ApiError::bad_input("already a member of this organisation");
        assert_eq!(
            explain(refused).to_string(),
            "already a member of this organisation"
        );
    }
}
