//! The Postgres server the round trip runs on: an ephemeral cluster started from the machine's
//! binaries (stopped and deleted on drop), or an existing server named by `DATABASE_URL`.
//!
//! The ephemeral cluster listens on a Unix socket in its own private directory only (no TCP),
//! trusts local connections, and skips fsync: it holds nothing worth keeping. Postgres refuses
//! to run as root, so as root the cluster runs as the `postgres` user through `runuser`.

use std::str::FromStr;
use std::time::Duration;

use commerce_pg::{Binaries, CLUSTER_USER, Cluster, ClusterError};
use postgres::{Client, Config, NoTls};

/// Why no server is available.
#[derive(Debug, thiserror::Error)]
pub enum ServerError {
    /// No ephemeral cluster: Postgres is not installed, or did not start.
    #[error(transparent)]
    Cluster(#[from] ClusterError),
    #[error("DATABASE_URL is not a valid Postgres connection string: {0}")]
    InvalidUrl(#[source] postgres::Error),
    #[error("cannot connect to Postgres ({target}): {source}")]
    Connect {
        target: String,
        #[source]
        source: postgres::Error,
    },
}

/// A Postgres server to create scratch databases on.
#[derive(Debug)]
pub struct PostgresServer {
    config: Config,
    description: String,
    cluster: Option<Cluster>,
}

impl PostgresServer {
    /// The server `DATABASE_URL` names when it is set, else a new ephemeral cluster.
    ///
    /// # Errors
    /// See [`ServerError`]: an invalid URL, Postgres not installed, or the cluster failing to
    /// start.
    pub fn from_env() -> Result<Self, ServerError> {
        match std::env::var("DATABASE_URL") {
            Ok(url) if !url.trim().is_empty() => Self::existing(&url),
            _ => Self::ephemeral(),
        }
    }

    /// An existing server; only scratch databases the verifier creates (and drops) are
    /// touched.
    ///
    /// # Errors
    /// When `url` is not a Postgres connection string.
    pub fn existing(url: &str) -> Result<Self, ServerError> {
        let config = Config::from_str(url).map_err(ServerError::InvalidUrl)?;
        Ok(Self {
            config,
            description: "the server DATABASE_URL names".to_owned(),
            cluster: None,
        })
    }

    /// Starts an ephemeral cluster from the machine's Postgres binaries.
    ///
    /// # Errors
    /// When the binaries are missing, there is no user to run them as, or the cluster does
    /// not initialise or start (the error quotes Postgres' own output).
    pub fn ephemeral() -> Result<Self, ServerError> {
        let cluster = Cluster::start(&Binaries::find()?)?;
        let mut config = Config::new();
        config
            .host_path(cluster.socket_dir())
            .port(cluster.port())
            .user(CLUSTER_USER);
        Ok(Self {
            config,
            description: format!(
                "the ephemeral cluster in {}",
                cluster.socket_dir().display()
            ),
            cluster: Some(cluster),
        })
    }

    /// A connection to `database` whose statements and lock waits are cut off after the
    /// given timeouts (a migration stuck behind a lock fails instead of hanging).
    ///
    /// # Errors
    /// When the connection fails.
    pub fn connect(
        &self,
        database: &str,
        statement_timeout: Duration,
        lock_timeout: Duration,
    ) -> Result<Client, ServerError> {
        let timeouts = format!(
            "-c statement_timeout={} -c lock_timeout={}",
            statement_timeout.as_millis(),
            lock_timeout.as_millis()
        );
        let mut config = self.config.clone();
        config
            .dbname(database)
            .connect_timeout(Duration::from_secs(10))
            .options(&timeouts);
        config
            .connect(NoTls)
            .map_err(|source| ServerError::Connect {
                target: format!("database `{database}` on {}", self.description),
                source,
            })
    }

    /// The database to connect to for administration (`CREATE DATABASE`): the one the URL
    /// names, else `postgres`.
    pub fn admin_database(&self) -> &str {
        self.config.get_dbname().unwrap_or("postgres")
    }

    /// Whether this is an ephemeral cluster (dropped with this value).
    pub fn is_ephemeral(&self) -> bool {
        self.cluster.is_some()
    }

    /// A key-value connection string for `database` on this server, as `DATABASE_URL`
    /// would hold it (Unix-socket hosts only: tests point a second server value at an
    /// ephemeral cluster with it).
    #[cfg(test)]
    pub(crate) fn connection_string(&self, database: &str) -> String {
        let host = match self.config.get_hosts().first() {
            Some(postgres::config::Host::Unix(path)) => path.display().to_string(),
            Some(postgres::config::Host::Tcp(host)) => host.clone(),
            None => String::new(),
        };
        let port = self.config.get_ports().first().copied().unwrap_or(5432);
        format!("host={host} port={port} user={CLUSTER_USER} dbname={database}")
    }
}

/// Whether a test without Postgres may stop here: only when `COMMERCE_TEST_SKIP_POSTGRES=1`
/// says so (printed, and `scripts/test.sh` repeats it in its summary). Otherwise the test fails
/// with `error`'s install hint: a missing server never passes for a green run.
#[cfg(test)]
#[allow(clippy::print_stderr)]
pub(crate) fn postgres_opted_out(error: &ServerError) -> bool {
    let opted_out =
        std::env::var_os("COMMERCE_TEST_SKIP_POSTGRES").is_some_and(|value| value == "1");
    if opted_out {
        eprintln!("skipped (COMMERCE_TEST_SKIP_POSTGRES=1): {error}");
    }
    opted_out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_invalid_database_url_is_rejected_before_connecting() {
        let error =
            PostgresServer::existing("postgres://user@host:notaport/db").expect_err("invalid");
        assert!(
            error
                .to_string()
                .starts_with("DATABASE_URL is not a valid Postgres connection string"),
            "{error}"
        );
    }
}
