//! Background work of the tutorial-system backend: statistics, reports,
//! invitations and reminders, and the job queue that carries them.

pub mod accumulate;
pub mod costs;
pub mod db;
pub mod dead_letters;
pub mod delivery;
pub mod design;
pub mod disclosure;
pub mod dissemination;
pub mod escalation;
pub mod export;
pub mod grid;
pub mod jobs;
pub mod live;
pub mod mail;
pub mod matching;
pub mod monitoring;
pub mod password_reset;
pub mod personal_data;
pub mod programme_render;
pub mod programme_report;
pub mod reminders;
pub mod report;
pub mod results;
pub mod retention;
pub mod running;
pub mod settings;
pub mod stats;
pub mod suppression;
pub mod telemetry;
pub mod templates;
pub mod tokens;
pub mod webhooks;

pub use jobs::{Context, Job, JobQueue};
pub use settings::Settings;

/// Reads the token key from settings, or from a file generated once in the
/// data folder when running embedded.
pub fn token_key(settings: &Settings) -> anyhow::Result<tokens::TokenKey> {
    if let Some(secret) = &settings.secret_key {
        return Ok(tokens::TokenKey::new(secret.as_bytes()));
    }
    if settings.database_url.is_some() {
        anyhow::bail!(
            "SECRET_KEY must be set when DATABASE_URL is: every process needs the same key"
        );
    }
    std::fs::create_dir_all(&settings.data_dir)?;
    let path = settings.data_dir.join("secret.key");
    if !path.exists() {
        write_private(&path, tokens::random_token(32).as_bytes())?;
    }
    Ok(tokens::TokenKey::new(
        std::fs::read_to_string(path)?.trim().as_bytes(),
    ))
}

/// Writes a file only its owner can read: the key derives every link.
fn write_private(path: &std::path::Path, contents: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    options.open(path)?.write_all(contents)
}
