//! Database connection and migration.

use std::time::Duration;

use migration::{Migrator, MigratorTrait};
use sea_orm::{
    ConnectOptions, ConnectionTrait, Database, DatabaseConnection, DatabaseTransaction, DbBackend,
    DbErr, SqliteTransactionMode, TransactionOptions, TransactionTrait,
};

use crate::settings::Settings;

/// Opens the pool for the configured database, creating the data folder
/// for the embedded SQLite file.
pub async fn connect(settings: &Settings) -> anyhow::Result<DatabaseConnection> {
    if settings.database_url.is_none() {
        std::fs::create_dir_all(&settings.data_dir)?;
    }
    let mut options = ConnectOptions::new(settings.effective_database_url());
    options
        .max_connections(settings.db_max_connections)
        .connect_timeout(Duration::from_secs(settings.db_timeout_secs))
        .acquire_timeout(Duration::from_secs(settings.db_timeout_secs))
        // Every connection is tested as it returns to the pool; testing it
        // again as it leaves would cost each statement a second round trip.
        // Only a connection idle long enough for the server or a firewall
        // to have dropped it is tested before use.
        .test_before_acquire_if_idle_for(Duration::from_secs(10))
        .sqlx_logging(false);
    let db = Database::connect(options).await?;
    if db.get_database_backend() == DbBackend::Sqlite {
        // WAL lets readers work while a writer commits; NORMAL is durable in WAL mode.
        db.execute_unprepared("PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL;")
            .await?;
    }
    Ok(db)
}

/// Begins a transaction that will write.
///
/// On SQLite the write lock is taken at `BEGIN IMMEDIATE`, so a concurrent
/// writer makes this one wait for the busy timeout. A deferred transaction
/// would instead read from a snapshot, then fail with "database is locked"
/// when it tries to write after another connection committed. PostgreSQL
/// ignores the mode.
pub async fn begin_write(db: &DatabaseConnection) -> Result<DatabaseTransaction, DbErr> {
    db.begin_with_options(TransactionOptions {
        sqlite_transaction_mode: Some(SqliteTransactionMode::Immediate),
        ..TransactionOptions::default()
    })
    .await
}

/// Applies every pending migration.
pub async fn migrate(db: &DatabaseConnection) -> Result<(), DbErr> {
    Migrator::up(db, None).await
}
