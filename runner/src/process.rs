//! Child processes in their own process group, so cancelling a run reaches every process it
//! started (cargo, nextest and each test binary) and leaves no orphan behind.

use std::io;
use std::os::unix::process::CommandExt;
use std::process::{Child, Command, ExitStatus};
use std::thread;
use std::time::{Duration, Instant};

use nix::sys::signal::{Signal, killpg};
use nix::unistd::Pid;

use crate::cancel::CancelToken;

/// How often a supervised child is checked for exit or cancellation.
const POLL: Duration = Duration::from_millis(20);
/// How long a cancelled group gets to shut down (nextest then still writes its JUnit report)
/// before it is killed outright.
const GRACE: Duration = Duration::from_secs(5);

/// How a supervised process ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Ended {
    Exited(ExitStatus),
    /// The token was cancelled; the group was signalled and has exited.
    Cancelled(ExitStatus),
    /// The watch said a test in it ran too long; the group was signalled and has exited.
    Overdue(ExitStatus),
}

impl Ended {
    pub(crate) fn status(self) -> ExitStatus {
        match self {
            Ended::Exited(status) | Ended::Cancelled(status) | Ended::Overdue(status) => status,
        }
    }
}

/// A child leading its own process group; dropping it kills the group, so an early return or
/// a panic in the caller cannot leave processes behind.
struct GroupLeader {
    child: Child,
    done: bool,
}

impl GroupLeader {
    fn spawn(command: &mut Command) -> io::Result<Self> {
        let child = command.process_group(0).spawn()?;
        Ok(Self { child, done: false })
    }

    fn signal(&self, signal: Signal) {
        if let Ok(pid) = i32::try_from(self.child.id()) {
            // The group may already be gone; there is nothing left to stop then.
            let _ = killpg(Pid::from_raw(pid), signal);
        }
    }

    fn try_wait(&mut self) -> io::Result<Option<ExitStatus>> {
        let status = self.child.try_wait()?;
        self.done = status.is_some();
        Ok(status)
    }

    /// SIGTERM to the group, then SIGKILL if it is still there after [`GRACE`].
    fn terminate(&mut self) -> io::Result<ExitStatus> {
        self.signal(Signal::SIGTERM);
        let deadline = Instant::now() + GRACE;
        while Instant::now() < deadline {
            if let Some(status) = self.try_wait()? {
                // The leader is gone; stragglers in its group are not waited for, so kill them.
                self.signal(Signal::SIGKILL);
                return Ok(status);
            }
            thread::sleep(POLL);
        }
        self.signal(Signal::SIGKILL);
        let status = self.child.wait()?;
        self.done = true;
        Ok(status)
    }
}

impl Drop for GroupLeader {
    fn drop(&mut self) {
        if !self.done {
            self.signal(Signal::SIGKILL);
            let _ = self.child.wait();
        }
    }
}

/// A long-running child (the app under load) in its own group: stopped with [`Self::stop`],
/// or killed with its group when dropped.
pub(crate) struct Background(GroupLeader);

impl Background {
    pub(crate) fn spawn(command: &mut Command) -> io::Result<Self> {
        GroupLeader::spawn(command).map(Self)
    }

    /// Its exit status, once it has exited.
    pub(crate) fn try_wait(&mut self) -> io::Result<Option<ExitStatus>> {
        self.0.try_wait()
    }

    /// SIGTERM to the group, SIGKILL after the grace period.
    pub(crate) fn stop(mut self) -> io::Result<ExitStatus> {
        self.0.terminate()
    }
}

/// Runs `command` in a new process group until it exits or `cancel` is set.
pub(crate) fn run(command: &mut Command, cancel: &CancelToken) -> io::Result<Ended> {
    run_watched(command, cancel, &mut || false)
}

/// [`run`], also stopping the group when `overdue` (asked at every poll) says a test in it has
/// run too long.
pub(crate) fn run_watched(
    command: &mut Command,
    cancel: &CancelToken,
    overdue: &mut dyn FnMut() -> bool,
) -> io::Result<Ended> {
    let mut leader = GroupLeader::spawn(command)?;
    loop {
        if let Some(status) = leader.try_wait()? {
            return Ok(Ended::Exited(status));
        }
        if cancel.is_cancelled() {
            return leader.terminate().map(Ended::Cancelled);
        }
        if overdue() {
            return leader.terminate().map(Ended::Overdue);
        }
        thread::sleep(POLL);
    }
}

#[cfg(test)]
mod tests {
    use std::process::Stdio;

    use super::*;

    fn shell(script: &str) -> Command {
        let mut command = Command::new("sh");
        command
            .args(["-c", script])
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        command
    }

    /// Whether `pid` is a live process; a zombie (killed, not yet reaped by init) is not.
    fn alive(pid: i32) -> bool {
        std::fs::read_to_string(format!("/proc/{pid}/stat"))
            .ok()
            .and_then(|stat| {
                let state = stat.rsplit_once(") ")?.1.chars().next()?;
                Some(state != 'Z' && state != 'X')
            })
            .unwrap_or(false)
    }

    #[test]
    fn a_finished_process_reports_its_exit_status() {
        let ended = run(&mut shell("exit 3"), &CancelToken::new()).expect("sh runs");
        assert!(matches!(ended, Ended::Exited(status) if status.code() == Some(3)));
    }

    #[test]
    fn cancelling_kills_the_whole_group_including_grandchildren() {
        let dir = tempfile::tempdir().expect("tempdir");
        let pid_file = dir.path().join("grandchild.pid");
        // The grandchild ignores SIGTERM, so only the SIGKILL that follows the grace period
        // (or the group SIGTERM reaching the shell first) ends it: both must reach the group.
        let script = format!(
            "sh -c 'trap \"\" TERM; echo $$ > {}; sleep 60' & wait",
            pid_file.display()
        );
        let cancel = CancelToken::new();
        let canceller = cancel.clone();
        let file = pid_file.clone();
        let watcher = thread::spawn(move || {
            while !file.exists()
                || std::fs::read_to_string(&file)
                    .unwrap_or_default()
                    .is_empty()
            {
                thread::sleep(POLL);
            }
            canceller.cancel();
        });
        let ended = run(&mut shell(&script), &cancel).expect("sh runs");
        watcher.join().expect("the watcher ends");
        assert!(matches!(ended, Ended::Cancelled(_)));
        let grandchild: i32 = std::fs::read_to_string(&pid_file)
            .expect("pid written")
            .trim()
            .parse()
            .expect("a pid");
        let deadline = Instant::now() + Duration::from_secs(5);
        while alive(grandchild) && Instant::now() < deadline {
            thread::sleep(POLL);
        }
        assert!(
            !alive(grandchild),
            "the grandchild outlived the cancelled run"
        );
    }
}
