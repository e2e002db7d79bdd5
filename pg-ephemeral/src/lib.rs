//! An ephemeral PostgreSQL cluster started from the machine's binaries, shared by `cargo
//! commerce migrations verify` and the test kit (`commerce_testkit`).
//!
//! The cluster listens on a Unix socket in its own private directory only (no TCP), trusts
//! local connections, and skips fsync: it holds nothing worth keeping. Postgres refuses to run
//! as root, so as root the cluster runs as the `postgres` user through `runuser`.
//!
//! Nothing is left running: a [`Cluster`] is stopped and deleted when it drops; one orphaned by
//! a killed process is stopped by the next [`Cluster::start`]; and a cluster shared by the test
//! processes of one run ([`shared`]) is stopped by a watchdog as soon as the run's process
//! (the test runner) exits, Ctrl-C included.

mod shared;

use std::ffi::OsStr;
use std::fs::File;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

pub use shared::shared;

/// The account an ephemeral cluster runs as when we are root, and the superuser it creates.
pub const CLUSTER_USER: &str = "postgres";

/// Where distributions install the server binaries when they are not on `PATH`.
const SERVER_BIN_PARENTS: [&str; 2] = ["/usr/lib/postgresql", "/usr/local/pgsql"];

/// The name prefix of ephemeral cluster directories in the temporary directory.
const CLUSTER_DIR_PREFIX: &str = "commerce-pg-";

/// The file in a cluster directory holding the process id of the process that owns it.
const OWNER_FILE: &str = "owner.pid";

/// How long `pg_ctl` may take to start or stop the cluster.
const PG_CTL_WAIT_SECONDS: &str = "60";

/// Why no cluster could be started.
#[derive(Debug, thiserror::Error)]
pub enum ClusterError {
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
}

/// `initdb` and `pg_ctl` from one installation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Binaries {
    initdb: PathBuf,
    pg_ctl: PathBuf,
}

impl Binaries {
    /// The binaries on `PATH`, else under the distributions' install directories (newest
    /// version first).
    ///
    /// # Errors
    /// [`ClusterError::NotInstalled`], naming what to install.
    pub fn find() -> Result<Self, ClusterError> {
        Self::find_in(&default_search_dirs())
    }

    /// The first directory of `dirs` holding both binaries.
    ///
    /// # Errors
    /// [`ClusterError::NotInstalled`] when none does.
    pub fn find_in(dirs: &[PathBuf]) -> Result<Self, ClusterError> {
        dirs.iter()
            .map(|dir| Self {
                initdb: dir.join("initdb"),
                pg_ctl: dir.join("pg_ctl"),
            })
            .find(|binaries| binaries.initdb.is_file() && binaries.pg_ctl.is_file())
            .ok_or_else(|| ClusterError::NotInstalled {
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
            .map(|entry| entry.path())
            .collect();
        newest_version_first(&mut versions);
        dirs.extend(versions.into_iter().map(|version| version.join("bin")));
    }
    dirs
}

/// Sorts version directories (`9.6`, `15`, `16`) newest first, by their numbers: as text, `9.6`
/// would come before `16`. Names that are not versions go last, in name order.
fn newest_version_first(dirs: &mut [PathBuf]) {
    let version = |dir: &PathBuf| -> Option<Vec<u32>> {
        let name = dir.file_name()?.to_str()?;
        name.split('.').map(|part| part.parse().ok()).collect()
    };
    dirs.sort_by(|a, b| match (version(a), version(b)) {
        (Some(a), Some(b)) => b.cmp(&a),
        (Some(_), None) => std::cmp::Ordering::Less,
        (None, Some(_)) => std::cmp::Ordering::Greater,
        (None, None) => a.cmp(b),
    });
}

/// A cluster in a temporary directory, stopped and deleted on drop.
#[derive(Debug)]
pub struct Cluster {
    /// Deleted on drop, after the server is stopped (never while it runs).
    dir: PathBuf,
    port: u16,
    pg_ctl: PathBuf,
    run_as: Option<&'static str>,
}

impl Cluster {
    /// Initialises and starts a cluster owned by this process.
    ///
    /// # Errors
    /// When there is no user to run it as, or it does not initialise or start (the error
    /// quotes Postgres' own output and log).
    pub fn start(binaries: &Binaries) -> Result<Self, ClusterError> {
        Self::start_owned_by(binaries, std::process::id())
    }

    /// Like [`Cluster::start`], but a later start treats the cluster as orphaned only once
    /// process `owner` is gone.
    ///
    /// # Errors
    /// As [`Cluster::start`].
    pub fn start_owned_by(binaries: &Binaries, owner: u32) -> Result<Self, ClusterError> {
        let run_as = if is_root() {
            if !user_exists(CLUSTER_USER) {
                return Err(ClusterError::NoClusterUser);
            }
            Some(CLUSTER_USER)
        } else {
            None
        };
        stop_orphaned_clusters(binaries);
        let dir = tempfile::Builder::new()
            .prefix(CLUSTER_DIR_PREFIX)
            .tempdir()
            .map_err(|source| ClusterError::Directory {
                path: std::env::temp_dir(),
                source,
            })?
            .keep();
        // From here on, dropping `cluster` deletes the directory, whatever fails next.
        let cluster = Self {
            port: free_port(),
            dir,
            pg_ctl: binaries.pg_ctl.clone(),
            run_as,
        };
        let directory_error = |source| ClusterError::Directory {
            path: cluster.dir.clone(),
            source,
        };
        // Who to ask whether the cluster is still wanted, should the owner be killed.
        std::fs::write(cluster.dir.join(OWNER_FILE), owner.to_string()).map_err(directory_error)?;
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
             -c fsync=off -c full_page_writes=off -c synchronous_commit=off -c max_connections=100",
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
                ClusterError::Command { command, output } => ClusterError::Command {
                    command,
                    output: format!("{output}\n{log_text}"),
                },
                other => other,
            });
        }
        Ok(cluster)
    }

    /// The directory holding the cluster and its Unix socket.
    pub fn socket_dir(&self) -> &Path {
        &self.dir
    }

    /// The port that names the socket (`.s.PGSQL.<port>`); no TCP port is open.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// A `postgres://` URL for `database` on this cluster, as `DATABASE_URL` holds it (sqlx
    /// and rust-postgres both read the socket directory from `host=`).
    pub fn url(&self, database: &str) -> String {
        format!(
            "postgres://{CLUSTER_USER}@localhost:{}/{database}?host={}",
            self.port,
            self.dir.display()
        )
    }

    /// The postmaster's process id, from its pid file.
    pub fn postmaster_pid(&self) -> Option<u32> {
        let text = std::fs::read_to_string(self.data_dir().join("postmaster.pid")).ok()?;
        text.lines().next()?.trim().parse().ok()
    }

    fn data_dir(&self) -> PathBuf {
        self.dir.join("data")
    }

    fn pg_ctl(&self, args: &[&OsStr]) -> Result<Output, ClusterError> {
        let data = self.data_dir();
        let mut all = vec![OsStr::new("-D"), data.as_os_str()];
        all.extend_from_slice(args);
        self.run(&self.pg_ctl, &all)
    }

    /// Runs a server binary, as the cluster user when we are root.
    fn run(&self, program: &Path, args: &[&OsStr]) -> Result<Output, ClusterError> {
        let mut command = self.command(program);
        command
            .args(args)
            .current_dir(&self.dir)
            .env("LC_ALL", "C")
            .stdin(Stdio::null());
        let described = format!("{} {}", program.display(), display_args(args));
        let output = command.output().map_err(|error| ClusterError::Command {
            command: described.clone(),
            output: error.to_string(),
        })?;
        if output.status.success() {
            Ok(output)
        } else {
            Err(ClusterError::Command {
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

    fn command(&self, program: &Path) -> Command {
        match self.run_as {
            Some(user) => {
                let mut command = Command::new("runuser");
                command.args(["-u", user, "--"]).arg(program);
                command
            }
            None => Command::new(program),
        }
    }
}

impl Drop for Cluster {
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
fn stop_orphaned_clusters(binaries: &Binaries) {
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
        if process_alive(owner) {
            continue;
        }
        // Another process may be adopting the same orphan: only the one that takes its lock
        // stops it.
        let Ok(lock) = File::open(&dir) else { continue };
        if lock.try_lock().is_err() {
            continue;
        }
        let run_as = is_root().then_some(CLUSTER_USER);
        // Dropping the adopted cluster stops it (or kills it) and deletes its directory.
        drop(Cluster {
            dir,
            port: 0,
            pg_ctl: binaries.pg_ctl.clone(),
            run_as,
        });
    }
}

fn process_alive(pid: u32) -> bool {
    Path::new("/proc").join(pid.to_string()).exists()
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
fn hand_over(dir: &Path, user: &str) -> Result<(), ClusterError> {
    let (uid, gid) = user_ids(user).ok_or(ClusterError::NoClusterUser)?;
    std::os::unix::fs::chown(dir, Some(uid), Some(gid)).map_err(|source| ClusterError::Directory {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn version_directories_sort_by_number_newest_first() {
        let mut dirs: Vec<PathBuf> = ["9.6", "16", "common", "15", "10"]
            .iter()
            .map(|name| Path::new("/usr/lib/postgresql").join(name))
            .collect();
        newest_version_first(&mut dirs);
        let names: Vec<&str> = dirs
            .iter()
            .filter_map(|dir| dir.file_name()?.to_str())
            .collect();
        assert_eq!(names, ["16", "15", "10", "9.6", "common"]);
    }

    #[test]
    fn missing_binaries_give_one_clear_message() {
        let empty = tempfile::tempdir().expect("tempdir");
        let error = Binaries::find_in(&[empty.path().to_path_buf()]).expect_err("not found");
        assert!(matches!(error, ClusterError::NotInstalled { .. }));
        let message = error.to_string();
        assert!(
            message
                .starts_with("PostgreSQL server binaries (initdb, pg_ctl) were not found on PATH"),
            "{message}"
        );
        assert!(message.contains("apt-get install postgresql"), "{message}");
        assert!(message.contains("set DATABASE_URL"), "{message}");
    }

    #[test]
    fn a_cluster_left_by_a_killed_process_is_stopped_by_the_next_start() {
        let binaries = Binaries::find().unwrap_or_else(|error| panic!("{error}"));
        let orphan = Cluster::start(&binaries).expect("starts");
        let dir = orphan.dir.clone();
        let postmaster = orphan.postmaster_pid().expect("running");
        // A process id that is certainly dead: a child that has exited and been reaped.
        let dead = Command::new("true").spawn().expect("spawns");
        let dead_pid = dead.id();
        let _ = dead.wait_with_output();
        std::fs::write(dir.join(OWNER_FILE), dead_pid.to_string()).expect("rewrites the owner");
        // The owner "dies" without dropping its cluster.
        std::mem::forget(orphan);

        let next = Cluster::start(&binaries).expect("starts");
        assert!(!dir.exists(), "the orphaned cluster directory is deleted");
        assert!(!running(postmaster), "the orphaned postmaster is stopped");
        drop(next);
    }

    #[test]
    fn a_dropped_cluster_is_stopped_and_deleted() {
        let binaries = Binaries::find().unwrap_or_else(|error| panic!("{error}"));
        let cluster = Cluster::start(&binaries).expect("starts");
        let dir = cluster.socket_dir().to_path_buf();
        let postmaster = cluster.postmaster_pid().expect("running");
        assert!(running(postmaster));
        assert!(
            cluster
                .url("shop")
                .contains(&format!("host={}", dir.display()))
        );
        drop(cluster);
        assert!(!dir.exists());
        assert!(!running(postmaster));
    }

    /// Running: not gone, nor a zombie waiting for whoever adopted it to reap it.
    pub(crate) fn running(pid: u32) -> bool {
        let state = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
        state
            .rsplit_once(") ")
            .is_some_and(|(_, rest)| !rest.starts_with('Z'))
    }
}
