//! One cluster for all the test processes of a run that no runner started one for (plain
//! `cargo nextest run` or `cargo test`): the first process starts it, the others find its URL,
//! and a watchdog stops it once the run's process is gone.

use std::fs::File;
use std::path::PathBuf;
use std::process::{Command, Stdio};

use crate::{Binaries, Cluster, ClusterError, process_alive};

/// How the watchdog waits for the owner and then stops the cluster. Arguments: owner pid,
/// pg_ctl, data directory, cluster directory, pointer file, the user to run pg_ctl as (or "").
const WATCHDOG: &str = r#"
owner=$1; pg_ctl=$2; data=$3; dir=$4; pointer=$5; user=$6
while kill -0 "$owner" 2>/dev/null; do sleep 0.2; done
if [ -n "$user" ]; then
  runuser -u "$user" -- "$pg_ctl" -D "$data" stop -m immediate -w >/dev/null 2>&1
else
  "$pg_ctl" -D "$data" stop -m immediate -w >/dev/null 2>&1
fi
rm -rf "$dir" "$pointer" "$pointer.lock"
"#;

/// The URL (database `postgres`) of the cluster shared by the children of process `owner`,
/// started now if none runs yet.
///
/// The cluster outlives this process: it belongs to `owner` (the test runner, the parent of
/// every test process), and a watchdog process stops and deletes it as soon as `owner` exits,
/// however it exits. Concurrent callers wait on a lock file, so exactly one starts it.
///
/// # Errors
/// As [`Cluster::start`], or when the lock file cannot be written.
pub fn shared(binaries: &Binaries, owner: u32) -> Result<String, ClusterError> {
    let pointer = std::env::temp_dir().join(format!("commerce-pg-shared-{owner}"));
    let lock_path = pointer.with_extension("lock");
    let directory_error = |source| ClusterError::Directory {
        path: lock_path.clone(),
        source,
    };
    let lock = File::create(&lock_path).map_err(directory_error)?;
    lock.lock().map_err(directory_error)?;
    if let Ok(url) = std::fs::read_to_string(&pointer)
        && !url.is_empty()
    {
        return Ok(url);
    }
    // Only the process that starts the cluster tidies up: every test process of a run passes
    // here, and the pointer it wants belongs to a living owner.
    remove_stale_pointers();
    let cluster = Cluster::start_owned_by(binaries, owner)?;
    let url = cluster.url("postgres");
    std::fs::write(&pointer, &url).map_err(|source| ClusterError::Directory {
        path: pointer.clone(),
        source,
    })?;
    spawn_watchdog(&cluster, owner, &pointer)?;
    // From now on the watchdog stops and deletes it.
    std::mem::forget(cluster);
    Ok(url)
}

fn spawn_watchdog(cluster: &Cluster, owner: u32, pointer: &PathBuf) -> Result<(), ClusterError> {
    use std::os::unix::process::CommandExt;
    let mut command = Command::new("sh");
    command
        .arg("-c")
        .arg(WATCHDOG)
        .arg("commerce-pg-watchdog")
        .arg(owner.to_string())
        .arg(&cluster.pg_ctl)
        .arg(cluster.data_dir())
        .arg(&cluster.dir)
        .arg(pointer)
        .arg(cluster.run_as.unwrap_or(""))
        // Its own process group: the Ctrl-C that stops the run must not stop the watchdog
        // before it has stopped the cluster. No inherited pipes, so no runner waits on it.
        .process_group(0)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    command
        .spawn()
        .map(drop)
        .map_err(|error| ClusterError::Command {
            command: "sh -c <commerce-pg-watchdog>".to_owned(),
            output: error.to_string(),
        })
}

/// Pointer files whose owner is gone (its watchdog was killed too) name no cluster.
fn remove_stale_pointers() {
    let Ok(entries) = std::fs::read_dir(std::env::temp_dir()) else {
        return;
    };
    for entry in entries.filter_map(Result::ok) {
        let name = entry.file_name();
        let Some(owner) = name
            .to_str()
            .and_then(|name| name.strip_prefix("commerce-pg-shared-"))
            .and_then(|rest| rest.parse::<u32>().ok())
        else {
            continue;
        };
        if !process_alive(owner) {
            let _ = std::fs::remove_file(entry.path());
            let _ = std::fs::remove_file(entry.path().with_extension("lock"));
        }
    }
}

#[cfg(test)]
mod tests {
    use std::time::{Duration, Instant};

    use super::*;
    use crate::tests::running;

    #[test]
    fn a_shared_cluster_is_reused_and_stopped_when_its_owner_exits() {
        let binaries = Binaries::find().unwrap_or_else(|error| panic!("{error}"));
        // The owner: a process we end ourselves.
        let mut owner = Command::new("sleep")
            .arg("60")
            .stdin(Stdio::null())
            .spawn()
            .expect("spawns");
        let url = shared(&binaries, owner.id()).expect("starts");
        assert_eq!(shared(&binaries, owner.id()).expect("reuses"), url);
        let dir = PathBuf::from(url.split("host=").nth(1).expect("host"));
        let pid: u32 = std::fs::read_to_string(dir.join("data/postmaster.pid"))
            .expect("pid file")
            .lines()
            .next()
            .and_then(|line| line.trim().parse().ok())
            .expect("pid");
        assert!(running(pid));

        owner.kill().expect("kills");
        owner.wait().expect("reaps");
        let deadline = Instant::now() + Duration::from_secs(30);
        while (running(pid) || dir.exists()) && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(100));
        }
        assert!(!running(pid), "the watchdog stops the postmaster");
        assert!(!dir.exists(), "and deletes the cluster");
    }
}
