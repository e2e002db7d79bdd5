//! The Postgres server the round trip runs on: an ephemeral cluster started from the machine's
//! binaries (stopped and deleted on drop), or an existing server named by `DATABASE_URL`.
//!
//! The ephemeral cluster listens on a Unix socket in its own private directory only (no TCP),
//! trusts local connections, and skips fsync: it holds nothing worth keeping. Postgres refuses
//! to run as root, so as root the cluster runs as the `postgres` user through `runuser`.

use std::ffi::OsStr;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::str::FromStr;
use std::time::Duration;

use postgres::{Client, Config, NoTls};

/// The account an ephemeral cluster runs as when we are root.
const CLUSTER_USER: &str = "postgres";

/// Where distributions install the server binaries when they are not on `PATH`.
const SERVER_BIN_PARENTS: [&str; 2] = ["/usr/lib/postgresql", "/usr/local/pgsql"];

/// The name prefix of ephemeral cluster directories in the temporary directory.
const CLUSTER_DIR_PREFIX: &str = "commerce-pg-";

/// The file in a cluster directory holding the process id of the process that owns it.
const OWNER_FILE: &str = "owner.pid";

/// How long `pg_ctl` may take to start or stop the cluster.
const PG_CTL_WAIT_SECONDS: &str = "60";

/// Why no server is available.
#[derive(Debug, thiserror::Error)]
pub enum ServerError {
    #[error(
        "PostgreSQL server binaries (initdb, pg_ctl) were not found on PATH nor under {searched}; \
         install PostgreSQL (e.g. `apt-get install postgresql`) or set DATABASE_URL to an existing server"
    )]
    NotInstalled { searched: String },
    #[error(
        "running as root, but there is no `{CLUSTER_USER}` user to run the ephemeral Postgres cluster as; \
         create one (`useradd --system {CLUSTER_USER}`) or set DATABASE_URL to an existing server"
    )]
    NoClusterUser,
    #[error("`{command}` failed: {output}")]
    Command { command: String, output: String },
    #[error("cannot prepare the cluster directory {}: {source}", path.display())]
    Directory {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
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
    cluster: Option<EphemeralCluster>,
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
        Self::ephemeral_from(&ServerBinaries::find(&default_search_dirs())?)
    }

    fn ephemeral_from(binaries: &ServerBinaries) -> Result<Self, ServerError> {
        let cluster = EphemeralCluster::start(binaries)?;
        let mut config = Config::new();
        config
            .host_path(&cluster.dir)
            .port(cluster.port)
            .user(CLUSTER_USER);
        Ok(Self {
            config,
            description: format!("the ephemeral cluster in {}", cluster.dir.display()),
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

/// `initdb` and `pg_ctl` from one installation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ServerBinaries {
    initdb: PathBuf,
    pg_ctl: PathBuf,
}

impl ServerBinaries {
    /// The first directory of `dirs` holding both binaries.
    pub(crate) fn find(dirs: &[PathBuf]) -> Result<Self, ServerError> {
        dirs.iter()
            .map(|dir| Self {
                initdb: dir.join("initdb"),
                pg_ctl: dir.join("pg_ctl"),
            })
            .find(|binaries| binaries.initdb.is_file() && binaries.pg_ctl.is_file())
            .ok_or_else(|| ServerError::NotInstalled {
                searched: SERVER_BIN_PARENTS
                    .iter()
                    .map(|parent| format!("{parent}/*/bin"))
                    .collect::<Vec<_>>()
                    .join(", "),
            })
    }
}

/// `PATH`, then each `<parent>/<version>/bin`, newest version first.
fn default_search_dirs() -> Vec<PathBuf> {
    let mut dirs: Vec<PathBuf> = std::env::var_os("PATH")
        .map(|path| std::env::split_paths(&path).collect())
        .unwrap_or_default();
    for parent in SERVER_BIN_PARENTS {
        let Ok(entries) = std::fs::read_dir(parent) else {
            continue;
        };
        let mut versions: Vec<PathBuf> = entries
            .filter_map(Result::ok)
            .map(|entry| entry.path().join("bin"))
            .collect();
        versions.sort_by(|a, b| b.cmp(a));
        dirs.extend(versions);
    }
    dirs
}

/// A cluster in a temporary directory, stopped and deleted on drop.
#[derive(Debug)]
struct EphemeralCluster {
    /// Deleted on drop, after the server is stopped (never while it runs).
    dir: PathBuf,
    port: u16,
    pg_ctl: PathBuf,
    run_as: Option<&'static str>,
}

impl EphemeralCluster {
    fn start(binaries: &ServerBinaries) -> Result<Self, ServerError> {
        let run_as = if is_root() {
            if !user_exists(CLUSTER_USER) {
                return Err(ServerError::NoClusterUser);
            }
            Some(CLUSTER_USER)
        } else {
            None
        };
        stop_orphaned_clusters(binaries);
        let dir = tempfile::Builder::new()
            .prefix(CLUSTER_DIR_PREFIX)
            .tempdir()
            .map_err(|source| ServerError::Directory {
                path: std::env::temp_dir(),
                source,
            })?
            .keep();
        // Who to ask whether the cluster is still wanted, should this process be killed.
        // From here on, dropping `cluster` deletes the directory, whatever fails next.
        let cluster = Self {
            port: free_port(),
            dir,
            pg_ctl: binaries.pg_ctl.clone(),
            run_as,
        };
        let directory_error = |source| ServerError::Directory {
            path: cluster.dir.clone(),
            source,
        };
        std::fs::write(cluster.dir.join(OWNER_FILE), std::process::id().to_string())
            .map_err(directory_error)?;
        if let Some(user) = run_as {
            hand_over(&cluster.dir, user)?;
        }
        let data = cluster.data_dir();
        cluster.run(
            &binaries.initdb,
            &[
                OsStr::new("-D"),
                data.as_os_str(),
                OsStr::new("--auth=trust"),
                OsStr::new("--username=postgres"),
                OsStr::new("--encoding=UTF8"),
                OsStr::new("--locale=C"),
                OsStr::new("--no-sync"),
            ],
        )?;
        let options = format!(
            "-c listen_addresses='' -c unix_socket_directories='{}' -c port={} \
             -c fsync=off -c full_page_writes=off -c synchronous_commit=off -c max_connections=30",
            cluster.dir.display(),
            cluster.port
        );
        let log = cluster.dir.join("server.log");
        let started = cluster.pg_ctl(&[
            OsStr::new("start"),
            OsStr::new("-w"),
            OsStr::new("-t"),
            OsStr::new(PG_CTL_WAIT_SECONDS),
            OsStr::new("-l"),
            log.as_os_str(),
            OsStr::new("-o"),
            OsStr::new(&options),
        ]);
        if let Err(error) = started {
            // The log says why the server did not come up (a port clash, shared memory).
            let log_text = std::fs::read_to_string(&log).unwrap_or_default();
            return Err(match error {
                ServerError::Command { command, output } => ServerError::Command {
                    command,
                    output: format!("{output}\n{log_text}"),
                },
                other => other,
            });
        }
        Ok(cluster)
    }

    fn data_dir(&self) -> PathBuf {
        self.dir.join("data")
    }

    fn pg_ctl(&self, args: &[&OsStr]) -> Result<Output, ServerError> {
        let data = self.data_dir();
        let mut all = vec![OsStr::new("-D"), data.as_os_str()];
        all.extend_from_slice(args);
        self.run(&self.pg_ctl, &all)
    }

    /// Runs a server binary, as the cluster user when we are root.
    fn run(&self, program: &Path, args: &[&OsStr]) -> Result<Output, ServerError> {
        let mut command = match self.run_as {
            Some(user) => {
                let mut command = Command::new("runuser");
                command.args(["-u", user, "--"]).arg(program);
                command
            }
            None => Command::new(program),
        };
        command
            .args(args)
            .current_dir(&self.dir)
            .env("LC_ALL", "C")
            .stdin(Stdio::null());
        let described = format!("{} {}", program.display(), display_args(args));
        let output = command.output().map_err(|error| ServerError::Command {
            command: described.clone(),
            output: error.to_string(),
        })?;
        if output.status.success() {
            Ok(output)
        } else {
            Err(ServerError::Command {
                command: described,
                output: format!(
                    "{}{}",
                    String::from_utf8_lossy(&output.stdout),
                    String::from_utf8_lossy(&output.stderr)
                )
                .trim()
                .to_owned(),
            })
        }
    }

    /// The postmaster's process id, from its pid file.
    fn postmaster_pid(&self) -> Option<u32> {
        let text = std::fs::read_to_string(self.data_dir().join("postmaster.pid")).ok()?;
        text.lines().next()?.trim().parse().ok()
    }
}

impl Drop for EphemeralCluster {
    fn drop(&mut self) {
        let pid = self.postmaster_pid();
        let stopped = self.pg_ctl(&[
            OsStr::new("stop"),
            OsStr::new("-m"),
            OsStr::new("immediate"),
            OsStr::new("-w"),
            OsStr::new("-t"),
            OsStr::new(PG_CTL_WAIT_SECONDS),
        ]);
        // Nothing may be left running: if pg_ctl could not stop it, kill the postmaster.
        if stopped.is_err()
            && let Some(pid) = pid
        {
            let _ = Command::new("kill")
                .args(["-KILL", &pid.to_string()])
                .stdin(Stdio::null())
                .output();
        }
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// Stops and deletes the clusters of processes that died without dropping theirs (killed by a
/// test runner's timeout, say), so a crash never leaves a server running for long.
fn stop_orphaned_clusters(binaries: &ServerBinaries) {
    let Ok(entries) = std::fs::read_dir(std::env::temp_dir()) else {
        return;
    };
    for entry in entries.filter_map(Result::ok) {
        let dir = entry.path();
        let is_cluster = entry
            .file_name()
            .to_str()
            .is_some_and(|name| name.starts_with(CLUSTER_DIR_PREFIX));
        let owner = std::fs::read_to_string(dir.join(OWNER_FILE))
            .ok()
            .and_then(|text| text.trim().parse::<u32>().ok());
        let Some(owner) = owner.filter(|_| is_cluster) else {
            continue;
        };
        if Path::new("/proc").join(owner.to_string()).exists() {
            continue;
        }
        let run_as = is_root().then_some(CLUSTER_USER);
        // Dropping the adopted cluster stops it (or kills it) and deletes its directory.
        drop(EphemeralCluster {
            dir,
            port: 0,
            pg_ctl: binaries.pg_ctl.clone(),
            run_as,
        });
    }
}

fn display_args(args: &[&OsStr]) -> String {
    args.iter()
        .map(|arg| arg.to_string_lossy())
        .collect::<Vec<_>>()
        .join(" ")
}

/// Whether this process runs as root: `/proc/self` belongs to the effective user.
fn is_root() -> bool {
    use std::os::unix::fs::MetadataExt;
    std::fs::metadata("/proc/self").is_ok_and(|metadata| metadata.uid() == 0)
}

fn user_exists(user: &str) -> bool {
    user_ids(user).is_some()
}

/// The uid and gid of `user`, from `id`.
fn user_ids(user: &str) -> Option<(u32, u32)> {
    let id = |flag: &str| -> Option<u32> {
        let output = Command::new("id")
            .args([flag, user])
            .stdin(Stdio::null())
            .output()
            .ok()?;
        if !output.status.success() {
            return None;
        }
        String::from_utf8_lossy(&output.stdout).trim().parse().ok()
    };
    Some((id("-u")?, id("-g")?))
}

/// Gives `dir` to `user`, so the cluster user can create its data directory and socket there.
fn hand_over(dir: &Path, user: &str) -> Result<(), ServerError> {
    let (uid, gid) = user_ids(user).ok_or(ServerError::NoClusterUser)?;
    std::os::unix::fs::chown(dir, Some(uid), Some(gid)).map_err(|source| ServerError::Directory {
        path: dir.to_path_buf(),
        source,
    })
}

/// A port no one listens on right now; it only names the Unix socket, as the cluster opens
/// no TCP port, but a free one keeps `psql -p` and the logs unambiguous.
fn free_port() -> u16 {
    const FALLBACK_PORT: u16 = 54329;
    TcpListener::bind(("127.0.0.1", 0))
        .and_then(|listener| listener.local_addr())
        .map_or(FALLBACK_PORT, |address| address.port())
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
#[allow(clippy::print_stderr)]
mod tests {
    use super::*;

    #[test]
    fn missing_binaries_give_one_clear_message() {
        let empty = tempfile::tempdir().expect("tempdir");
        let error = ServerBinaries::find(&[empty.path().to_path_buf()]).expect_err("not found");
        assert!(matches!(error, ServerError::NotInstalled { .. }));
        let message = error.to_string();
        assert!(
            message
                .starts_with("PostgreSQL server binaries (initdb, pg_ctl) were not found on PATH"),
            "{message}"
        );
        assert!(message.contains("set DATABASE_URL"), "{message}");
    }

    #[test]
    fn a_cluster_left_by_a_killed_process_is_stopped_by_the_next_start() {
        let binaries = match ServerBinaries::find(&default_search_dirs()) {
            Ok(binaries) => binaries,
            Err(error) if postgres_opted_out(&error) => return,
            Err(error) => panic!("{error}"),
        };
        let orphan = PostgresServer::ephemeral_from(&binaries).expect("starts");
        let cluster = orphan.cluster.as_ref().expect("ephemeral");
        let dir = cluster.dir.clone();
        let postmaster = cluster.postmaster_pid().expect("running");
        // A process id that is certainly dead: a child that has exited and been reaped.
        let dead = Command::new("true").spawn().expect("spawns");
        let dead_pid = dead.id();
        let _ = dead.wait_with_output();
        std::fs::write(dir.join(OWNER_FILE), dead_pid.to_string()).expect("rewrites the owner");
        // The owner "dies" without dropping its cluster.
        std::mem::forget(orphan);

        let next = PostgresServer::ephemeral_from(&binaries).expect("starts");
        assert!(!dir.exists(), "the orphaned cluster directory is deleted");
        // Stopped: gone, or a zombie waiting for whoever adopted it to reap it.
        let state = std::fs::read_to_string(format!("/proc/{postmaster}/stat")).unwrap_or_default();
        let running = state
            .rsplit_once(") ")
            .is_some_and(|(_, rest)| !rest.starts_with('Z'));
        assert!(!running, "the orphaned postmaster is stopped: {state}");
        drop(next);
    }

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
