//! Micro-load in the runner: `[load]` scenarios turned into the driver's
//! ([`commerce_load`]), the app started with `[load] start` and stopped after, and the
//! scenarios a suite's tags select run after its tests. `cargo commerce load` and
//! `cargo commerce test` both come through here.

use std::fs::File;
use std::io::{Read, Seek, SeekFrom, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::Path;
use std::process::{Command, Stdio};
use std::thread;
use std::time::{Duration, Instant};

use commerce_load::{HttpTarget, Scenario, ScenarioError, ScenarioReport, Step, TargetError};
use commerce_project::{LoadConfig, LoadRequestConfig, LoadScenarioConfig};
use serde::{Deserialize, Serialize};

use crate::cancel::CancelToken;
use crate::process::Background;

/// Defaults of a scenario that does not say.
const DEFAULT_RATE: f64 = 50.0;
const DEFAULT_DURATION: Duration = Duration::from_secs(5);
const DEFAULT_WARMUP: Duration = Duration::from_secs(1);
const DEFAULT_CONNECTIONS: u32 = 8;
const DEFAULT_TIMEOUT: Duration = Duration::from_secs(5);
/// How long a started app may take to answer its health check.
const DEFAULT_READY_TIMEOUT: Duration = Duration::from_secs(60);
const READY_POLL: Duration = Duration::from_millis(100);
/// The app's output kept in an error message, from its end.
const LOG_TAIL_BYTES: u64 = 4096;
/// The app's output, in the report directory.
pub const APP_LOG: &str = "load-app.log";

/// The load results a test run keeps in `report.json`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LoadSection {
    pub scenarios: Vec<ScenarioReport>,
    /// Why the scenarios could not run (the app did not start, a scenario is invalid).
    pub error: Option<String>,
}

impl LoadSection {
    /// Adds another shard's scenarios (only the first runs the `[load]` ones; every shard
    /// may hold the test kit's bursts); the first error is kept.
    pub fn merge(&mut self, other: LoadSection) {
        self.scenarios.extend(other.scenarios);
        if self.error.is_none() {
            self.error = other.error;
        }
    }
}

/// The test kit's bursts (`commerce_testkit::load`) join the section after the `[load]`
/// scenarios, for the same tables, metrics and gates.
pub fn add_bursts(section: &mut Option<LoadSection>, bursts: Vec<ScenarioReport>) {
    if bursts.is_empty() {
        return;
    }
    let added = LoadSection {
        scenarios: bursts,
        error: None,
    };
    match section {
        Some(section) => section.merge(added),
        None => *section = Some(added),
    }
}

/// Why micro-load could not run. Messages say what, where and what to do.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    #[error("[load.scenarios.{name}] in commerce.toml: {source}")]
    Scenario {
        name: String,
        #[source]
        source: ScenarioError,
    },
    #[error("{0}")]
    Target(#[from] TargetError),
    #[error("no scenario `{name}` in commerce.toml; it defines: {known}")]
    UnknownScenario { name: String, known: String },
    #[error(
        "nothing to load: commerce.toml has no [load.scenarios.<name>]\n  help: pass --path /some/endpoint, or add a scenario to commerce.toml"
    )]
    NoScenarios,
    #[error("cannot start the app with `{command}`: {source}")]
    Start {
        command: String,
        #[source]
        source: std::io::Error,
    },
    #[error(
        "the app started with `{command}` exited ({status}) before {url} answered{}",
        tail(.log)
    )]
    Exited {
        command: String,
        status: String,
        url: String,
        log: String,
    },
    #[error(
        "{url} did not answer 2xx within {} s of starting the app with `{command}`{}\n  help: check [load] start, base_url and healthz, or raise [load] ready_timeout",
        .waited.as_secs(),
        tail(.log)
    )]
    NotReady {
        command: String,
        url: String,
        waited: Duration,
        log: String,
    },
    #[error("cannot start the load driver: {0}")]
    Runtime(#[source] std::io::Error),
    #[error("cancelled")]
    Cancelled,
}

fn tail(log: &str) -> String {
    if log.trim().is_empty() {
        String::new()
    } else {
        format!("; the end of its output:\n{}", log.trim_end())
    }
}

/// One endpoint from flags (`cargo commerce load --path …`), instead of configured scenarios.
#[derive(Clone, Debug, PartialEq)]
pub struct Endpoint {
    pub method: String,
    pub path: String,
    pub rate: Option<f64>,
    pub duration: Option<Duration>,
    pub warmup: Option<Duration>,
    pub connections: Option<u32>,
    pub p95_ms: Option<f64>,
}

/// What `cargo commerce load` runs.
#[derive(Clone, Debug, Default)]
pub struct LoadRequest {
    /// Overrides `[load] base_url`.
    pub base_url: Option<String>,
    /// Configured scenarios by name; every one when empty.
    pub scenarios: Vec<String>,
    pub endpoint: Option<Endpoint>,
    /// Load a host that is not loopback.
    pub allow_remote: bool,
    /// Start the app with `[load] start` first (and stop it after).
    pub start: bool,
    pub seed: Option<u64>,
    /// Where the started app's output goes; the system's temp dir when `None`.
    pub log_dir: Option<std::path::PathBuf>,
}

/// Runs the scenarios `request` asks for and returns their figures.
///
/// # Errors
/// An invalid or unknown scenario, a bad or non-loopback URL, an app that does not start.
/// Requests that fail are not errors: they are in the figures.
pub fn run_load(
    config: &LoadConfig,
    root: &Path,
    request: &LoadRequest,
    cancel: &CancelToken,
) -> Result<Vec<ScenarioReport>, LoadError> {
    let seed = request.seed.unwrap_or(0);
    let scenarios = match &request.endpoint {
        Some(endpoint) => vec![endpoint_scenario(endpoint, seed)?],
        None => select(config, &request.scenarios, seed)?,
    };
    let base_url = request.base_url.as_deref().unwrap_or(&config.base_url);
    let log_dir = request.log_dir.clone().unwrap_or_else(std::env::temp_dir);
    let app = if request.start {
        start_app(config, root, base_url, &log_dir, cancel)?
    } else {
        None
    };
    let reports = drive(&scenarios, base_url, request.allow_remote);
    if let Some(app) = app {
        // Stopping is best effort: the group is killed when the guard drops anyway.
        let _ = app.stop();
    }
    reports
}

/// The scenarios tagged for a suite with these tags (`all`: every tagged scenario), run
/// against the app `[load] start` starts; `None` when no scenario is tagged for it.
pub fn after_tests(
    config: &LoadConfig,
    root: &Path,
    suite_tags: Option<&[String]>,
    seed: u64,
    report_dir: &Path,
    cancel: &CancelToken,
) -> Option<LoadSection> {
    let names: Vec<String> = config
        .scenarios
        .iter()
        .filter(|(_, scenario)| match suite_tags {
            Some(tags) => scenario.tags.iter().any(|tag| tags.contains(tag)),
            None => !scenario.tags.is_empty(),
        })
        .map(|(name, _)| name.clone())
        .collect();
    if names.is_empty() {
        return None;
    }
    let request = LoadRequest {
        scenarios: names,
        start: config.start.is_some(),
        seed: Some(seed),
        log_dir: Some(report_dir.to_owned()),
        ..LoadRequest::default()
    };
    Some(match run_load(config, root, &request, cancel) {
        Ok(scenarios) => LoadSection {
            scenarios,
            error: None,
        },
        Err(error) => LoadSection {
            scenarios: Vec::new(),
            error: Some(error.to_string()),
        },
    })
}

fn drive(
    scenarios: &[Scenario],
    base_url: &str,
    allow_remote: bool,
) -> Result<Vec<ScenarioReport>, LoadError> {
    scenarios
        .iter()
        .map(|scenario| {
            let target = HttpTarget::new(base_url, scenario.connections, allow_remote)?;
            commerce_load::run_blocking(scenario, target).map_err(LoadError::Runtime)
        })
        .collect()
}

/// The configured scenarios named (every one when `names` is empty), validated.
fn select(config: &LoadConfig, names: &[String], seed: u64) -> Result<Vec<Scenario>, LoadError> {
    if config.scenarios.is_empty() {
        return Err(LoadError::NoScenarios);
    }
    let chosen: Vec<(&String, &LoadScenarioConfig)> = if names.is_empty() {
        config.scenarios.iter().collect()
    } else {
        names
            .iter()
            .map(|name| {
                config
                    .scenarios
                    .get_key_value(name)
                    .ok_or_else(|| LoadError::UnknownScenario {
                        name: name.clone(),
                        known: config
                            .scenarios
                            .keys()
                            .map(|name| format!("`{name}`"))
                            .collect::<Vec<_>>()
                            .join(", "),
                    })
            })
            .collect::<Result<_, _>>()?
    };
    chosen
        .into_iter()
        .map(|(name, scenario)| {
            scenario_of(name, scenario, seed).map_err(|source| LoadError::Scenario {
                name: name.clone(),
                source,
            })
        })
        .collect()
}

/// A configured scenario as the driver takes it.
pub fn scenario_of(
    name: &str,
    config: &LoadScenarioConfig,
    seed: u64,
) -> Result<Scenario, ScenarioError> {
    let scenario = Scenario {
        name: name.to_owned(),
        steps: config
            .requests
            .iter()
            .map(step_of)
            .collect::<Result<_, _>>()?,
        rate: config.rate.unwrap_or(DEFAULT_RATE),
        duration: config.duration.unwrap_or(DEFAULT_DURATION),
        warmup: config.warmup.unwrap_or(DEFAULT_WARMUP),
        connections: config.connections.unwrap_or(DEFAULT_CONNECTIONS) as usize,
        timeout: config.timeout.unwrap_or(DEFAULT_TIMEOUT),
        flush: config.flush.as_ref().map(step_of).transpose()?,
        seed,
        thresholds: commerce_load::Thresholds {
            p95_ms: config.p95_ms,
            error_rate: config.error_rate,
        },
    };
    scenario.validate()?;
    Ok(scenario)
}

fn step_of(request: &LoadRequestConfig) -> Result<Step, ScenarioError> {
    let pairs = |map: &std::collections::BTreeMap<String, String>| -> Vec<(String, String)> {
        map.iter()
            .map(|(key, value)| (key.clone(), value.clone()))
            .collect()
    };
    Step::new(
        &request.method,
        &request.path,
        &pairs(&request.headers),
        request.body.as_deref(),
        &pairs(&request.capture),
    )
}

fn endpoint_scenario(endpoint: &Endpoint, seed: u64) -> Result<Scenario, LoadError> {
    let config = LoadScenarioConfig {
        requests: vec![LoadRequestConfig {
            method: endpoint.method.clone(),
            path: endpoint.path.clone(),
            headers: Default::default(),
            body: None,
            capture: Default::default(),
        }],
        rate: endpoint.rate,
        duration: endpoint.duration,
        warmup: endpoint.warmup,
        connections: endpoint.connections,
        p95_ms: endpoint.p95_ms,
        ..LoadScenarioConfig::default()
    };
    scenario_of(&endpoint.path, &config, seed).map_err(|source| LoadError::Scenario {
        name: endpoint.path.clone(),
        source,
    })
}

/// Starts `[load] start` (when set) in its own process group, its output in `log_dir`, and
/// waits until `healthz` answers 2xx.
fn start_app(
    config: &LoadConfig,
    root: &Path,
    base_url: &str,
    log_dir: &Path,
    cancel: &CancelToken,
) -> Result<Option<Background>, LoadError> {
    let Some(command) = &config.start else {
        return Ok(None);
    };
    let addr = HttpTarget::new(base_url, 1, true)?.addr();
    let url = format!("{}{}", base_url.trim_end_matches('/'), config.healthz);
    let start_error = |source| LoadError::Start {
        command: command.clone(),
        source,
    };
    std::fs::create_dir_all(log_dir).map_err(start_error)?;
    let log_path = log_dir.join(APP_LOG);
    let log = File::create(&log_path).map_err(start_error)?;
    let mut app = Background::spawn(
        Command::new("sh")
            .args(["-c", command])
            .current_dir(root)
            .stdin(Stdio::null())
            .stdout(log.try_clone().map_err(start_error)?)
            .stderr(log),
    )
    .map_err(start_error)?;
    let waited = config.ready_timeout.unwrap_or(DEFAULT_READY_TIMEOUT);
    let deadline = Instant::now() + waited;
    loop {
        if healthy(addr, base_url, &config.healthz) {
            return Ok(Some(app));
        }
        if let Ok(Some(status)) = app.try_wait() {
            return Err(LoadError::Exited {
                command: command.clone(),
                status: status.to_string(),
                url,
                log: log_tail(&log_path),
            });
        }
        if cancel.is_cancelled() {
            let _ = app.stop();
            return Err(LoadError::Cancelled);
        }
        if Instant::now() >= deadline {
            let _ = app.stop();
            return Err(LoadError::NotReady {
                command: command.clone(),
                url,
                waited,
                log: log_tail(&log_path),
            });
        }
        thread::sleep(READY_POLL);
    }
}

/// `GET healthz` over a fresh connection answers 2xx (one blocking request: no runtime
/// needed to wait for an app).
fn healthy(addr: SocketAddr, base_url: &str, healthz: &str) -> bool {
    let timeout = Duration::from_secs(1);
    let Ok(mut stream) = TcpStream::connect_timeout(&addr, timeout) else {
        return false;
    };
    let _ = stream.set_read_timeout(Some(timeout));
    let host = base_url
        .split("://")
        .nth(1)
        .and_then(|rest| rest.split('/').next())
        .unwrap_or("localhost");
    let request = format!("GET {healthz} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n");
    if stream.write_all(request.as_bytes()).is_err() {
        return false;
    }
    let mut head = [0u8; 12];
    stream.read_exact(&mut head).is_ok() && head.starts_with(b"HTTP/1.") && head[9] == b'2'
}

fn log_tail(path: &Path) -> String {
    let Ok(mut file) = File::open(path) else {
        return String::new();
    };
    let length = file.metadata().map(|meta| meta.len()).unwrap_or(0);
    let _ = file.seek(SeekFrom::Start(length.saturating_sub(LOG_TAIL_BYTES)));
    let mut bytes = Vec::new();
    let _ = file.read_to_end(&mut bytes);
    String::from_utf8_lossy(&bytes).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(text: &str) -> LoadConfig {
        commerce_project::Config::parse(text, Path::new("commerce.toml"))
            .expect("valid commerce.toml")
            .load
    }

    #[test]
    fn configured_scenarios_take_defaults_and_are_validated() {
        let load = config(
            "[load.scenarios.catalog]\np95_ms = 30\nrequests = [{ path = \"/products?page=${rand:1..3}\" }]\n\
             [load.scenarios.cart]\nrequests = [{ path = \"/carts/${cart}\" }]\n",
        );
        let catalog = scenario_of("catalog", &load.scenarios["catalog"], 7).expect("valid");
        assert_eq!(catalog.rate, DEFAULT_RATE);
        assert_eq!(catalog.duration, DEFAULT_DURATION);
        assert_eq!(catalog.thresholds.p95_ms, Some(30.0));
        assert_eq!(catalog.seed, 7);
        let error = select(&load, &[], 0).expect_err("cart uses a value nobody captures");
        assert!(
            error
                .to_string()
                .starts_with("[load.scenarios.cart] in commerce.toml: step 1 (`GET /carts/${cart}`) uses `${cart}`"),
            "{error}"
        );
        let unknown = select(&load, &["cat".to_owned()], 0).expect_err("unknown");
        assert_eq!(
            unknown.to_string(),
            "no scenario `cat` in commerce.toml; it defines: `cart`, `catalog`"
        );
    }

    #[test]
    fn only_the_scenarios_tagged_for_the_suite_run_after_its_tests() {
        let load = config(
            "[load]\nbase_url = \"http://127.0.0.1:9\"\n\
             [load.scenarios.a]\ntags = [\"nightly\"]\nrequests = [{ path = \"/\" }]\n",
        );
        let dir = tempfile::tempdir().expect("tempdir");
        let tags = ["unit".to_owned()];
        let none = after_tests(
            &load,
            dir.path(),
            Some(&tags),
            0,
            dir.path(),
            &CancelToken::new(),
        );
        assert_eq!(none, None);
    }

    #[test]
    fn an_app_that_exits_before_it_is_ready_is_an_error_with_its_output() {
        let load = config(
            "[load]\nstart = \"echo booting; echo 'no DATABASE_URL' >&2; exit 3\"\nbase_url = \"http://127.0.0.1:9\"\n\
             [load.scenarios.a]\ntags = [\"unit\"]\nrequests = [{ path = \"/\" }]\n",
        );
        let dir = tempfile::tempdir().expect("tempdir");
        let tags = ["unit".to_owned()];
        let section = after_tests(
            &load,
            dir.path(),
            Some(&tags),
            0,
            dir.path(),
            &CancelToken::new(),
        )
        .expect("a scenario is tagged unit");
        let error = section.error.expect("the app exited");
        assert!(
            error.contains("exited (exit status: 3) before http://127.0.0.1:9/healthz answered"),
            "{error}"
        );
        assert!(error.contains("no DATABASE_URL"), "{error}");
        assert!(section.scenarios.is_empty());
    }
}
