//! `commerce.toml`: the project's configuration, every section optional.
//!
//! ```toml
//! [frontend]   roots = ["web"]   tsconfig = "web/tsconfig.json"   routes = "web/app"   type_only_cycles = "warn"
//! [frontend.render] enabled = true   providers = ["web/test/providers.tsx"]   timeout = "10s"
//!              fixtures = { "https://api.example/x" = "web/test/x.json" }
//! [contracts]  specs = ["openapi/*.yaml"]   base = "origin/main"   routes = ["crates/*/src/**/*.rs"]
//!              test_base_url = "http://127.0.0.1:3000"   test_bearer_env = "SHOP_TOKEN"
//!              test_headers = { "X-Api-Key" = "dev" }
//! [migrations] dir = "migrations"   dialect = "postgres"   lint_from = "20240101000000"
//!              postgres = "16"
//! [suites.fast] tags = ["unit"]   budget = "60s"   doctests = true
//! [load]       start = "cargo run -p shop"   base_url = "http://127.0.0.1:3000"   healthz = "/healthz"
//! [load.scenarios.catalog] rate = 100   duration = "5s"   warmup = "1s"   p95_ms = 50   tags = ["load"]
//!              requests = [{ method = "GET", path = "/products?page=${rand:1..5}" }]
//! [gates]      fail_on = ["test", "contract-drift", "render", "p95"]   p95_regression_pct = 10
//! [rules]      "migrations/prefer-bigint-over-int" = "off"
//! [areas]      "payments and ledger" = ["shop::payments", "ledger::"]
//! ```
//!
//! Parsing is strict: an unknown key, a value of the wrong type or an unknown level is a
//! [`ConfigError`] that points at the offending text and suggests the nearest valid key.

mod duration;
mod error;
mod locate;

use std::collections::BTreeMap;
use std::path::Path;
use std::time::Duration;

use commerce_diagnostics::{LineIndex, Severity, SourcePosition, SourceRange, TextRange};
use serde::de::Error as _;
use serde::{Deserialize, Deserializer};
use toml::Spanned;

pub use duration::{DurationError, parse_duration};
pub use error::{ConfigError, ConfigErrorKind};

/// A larger file is surely not a configuration file; the cap also keeps every offset in
/// `u32` range.
pub const MAX_CONFIG_BYTES: usize = 1 << 20;

/// The parsed and validated `commerce.toml`; [`Config::default`] when there is none.
#[derive(Clone, Debug, PartialEq)]
pub struct Config {
    pub frontend: FrontendConfig,
    pub contracts: ContractsConfig,
    pub migrations: MigrationsConfig,
    /// Test suites by name; [`default_suites`] when the file configures none.
    pub suites: BTreeMap<String, SuiteConfig>,
    pub gates: GatesConfig,
    pub load: LoadConfig,
    /// The areas of the test report's area table: a name, and the tests that cover it as test
    /// binary ids (`shop::payments`) or test-name prefixes (`ledger::`).
    pub areas: BTreeMap<String, Vec<String>>,
    /// Only a parsed file has rule settings, because each keeps its place in that file.
    rules: Vec<RuleSetting>,
}

impl Default for Config {
    fn default() -> Self {
        ConfigFile::default().into_config(&LineIndex::new(""))
    }
}

impl Config {
    /// Parses the text of a `commerce.toml`; `path` is only used in error messages.
    ///
    /// # Errors
    /// On a TOML syntax error, an unknown section or key, a value of the wrong type or an
    /// invalid value (unknown level, bad duration, bad glob, negative percentage), or a text
    /// over [`MAX_CONFIG_BYTES`].
    pub fn parse(text: &str, path: &Path) -> Result<Self, ConfigError> {
        if text.len() > MAX_CONFIG_BYTES {
            return Err(ConfigError::too_large(path, text.len(), MAX_CONFIG_BYTES));
        }
        let file: ConfigFile =
            toml::from_str(text).map_err(|error| ConfigError::from_toml(&error, text, path))?;
        Ok(file.into_config(&LineIndex::new(text)))
    }

    /// Every `[rules]` entry in file order, with where its key is, so a layer that knows the
    /// rule registry can report an unknown rule id at `file:line:column`.
    pub fn rule_levels(&self) -> &[RuleSetting] {
        &self.rules
    }

    /// The level `commerce.toml` sets for a rule, if any.
    pub fn rule_level(&self, id: &str) -> Option<RuleLevel> {
        self.rules
            .iter()
            .find(|setting| setting.id == id)
            .map(|setting| setting.level)
    }
}

/// The suites used when `commerce.toml` defines none: `fast` (unit tests, 60 s budget) and
/// `integration`.
pub fn default_suites() -> BTreeMap<String, SuiteConfig> {
    BTreeMap::from([
        (
            "fast".to_owned(),
            SuiteConfig {
                tags: vec!["unit".to_owned()],
                budget: Some(Duration::from_secs(60)),
                doctests: None,
            },
        ),
        (
            "integration".to_owned(),
            SuiteConfig {
                tags: vec!["integration".to_owned()],
                budget: None,
                doctests: None,
            },
        ),
    ])
}

/// `commerce.toml` as written: the serde schema that [`Config`] is validated from.
#[derive(Debug, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
struct ConfigFile {
    frontend: FrontendConfig,
    contracts: ContractsConfig,
    migrations: MigrationsConfig,
    suites: BTreeMap<String, SuiteConfig>,
    gates: GatesConfig,
    load: LoadConfig,
    rules: BTreeMap<Spanned<String>, Spanned<RuleLevel>>,
    areas: BTreeMap<String, Vec<String>>,
}

impl ConfigFile {
    fn into_config(self, index: &LineIndex) -> Config {
        let suites = if self.suites.is_empty() {
            default_suites()
        } else {
            self.suites
        };
        let mut rules: Vec<RuleSetting> = self
            .rules
            .into_iter()
            .map(|(id, level)| RuleSetting::new(id, *level.get_ref(), index))
            .collect();
        rules.sort_by_key(|setting| setting.range.start());
        Config {
            frontend: self.frontend,
            contracts: self.contracts,
            migrations: self.migrations,
            suites,
            gates: self.gates,
            load: self.load,
            areas: self.areas,
            rules,
        }
    }
}

/// `[frontend]`: the TypeScript/React side.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct FrontendConfig {
    /// Directories holding frontend sources, relative to the project root; empty means the
    /// whole project.
    pub roots: Vec<String>,
    /// The `tsconfig.json` whose `paths`/`baseUrl` resolve imports; `None` looks for one in
    /// each root.
    pub tsconfig: Option<String>,
    /// The file-system routes directory (e.g. `web/app`).
    pub routes: Option<String>,
    /// How to report import cycles that exist only through type-only imports.
    pub type_only_cycles: CycleLevel,
    /// `[frontend.render]`: rendering every route on Node.
    pub render: RenderConfig,
}

/// `[frontend.render]`: the render step (`cargo commerce routes --render`, and inside `check`
/// and `test` when `enabled`).
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RenderConfig {
    /// Render every route inside `check` and `test` too.
    pub enabled: bool,
    /// Modules (relative to the project root) whose default export wraps every page, first
    /// outermost.
    pub providers: Vec<String>,
    /// URL -> JSON file (relative to the project root) answering a `fetch` during render;
    /// any other fetch is blocked and reported.
    pub fixtures: BTreeMap<String, String>,
    /// How long one route may take to render (default 10s); a longer one is stopped.
    #[serde(deserialize_with = "duration")]
    pub timeout: Option<Duration>,
}

impl FrontendConfig {
    /// Spells `roots` and `routes` the one way the analyzers compare paths: relative to the
    /// project root, without `.`, `..` or a trailing slash (`""` is the root itself), so `.`,
    /// `./web`, `web/` and an absolute path inside the project mean what they say.
    pub fn normalize_paths(&mut self, project_root: &Path) {
        for root in &mut self.roots {
            *root = project_relative(project_root, root);
        }
        if let Some(routes) = &mut self.routes {
            *routes = project_relative(project_root, routes);
        }
    }
}

/// `written` relative to `project_root`, lexically normal; an absolute path outside the
/// project is kept as written.
fn project_relative(project_root: &Path, written: &str) -> String {
    let path = Path::new(written);
    let relative = if path.is_absolute() {
        match crate::lexically_normal(path).strip_prefix(project_root) {
            Ok(inside) => inside.to_path_buf(),
            Err(_) => return written.to_owned(),
        }
    } else {
        crate::lexically_normal(path)
    };
    relative.to_string_lossy().into_owned()
}

/// The level of `frontend.type_only_cycles`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum CycleLevel {
    Off,
    Info,
    #[default]
    Warn,
    Error,
}

impl CycleLevel {
    /// The severity to report with; `None` when the check is off.
    pub const fn severity(self) -> Option<Severity> {
        match self {
            CycleLevel::Off => None,
            CycleLevel::Info => Some(Severity::Info),
            CycleLevel::Warn => Some(Severity::Warning),
            CycleLevel::Error => Some(Severity::Error),
        }
    }
}

/// `[contracts]`: OpenAPI specs, where the routes live in code, and how `cargo commerce
/// contracts test` reaches the service (its flags override the `test_` keys).
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ContractsConfig {
    /// Globs of OpenAPI files, relative to the project root; validated at load.
    #[serde(deserialize_with = "globs")]
    pub specs: Vec<String>,
    /// The git ref whose specs are the baseline for drift (e.g. `origin/main`).
    pub base: Option<String>,
    /// Globs of Rust files that define axum routers; validated at load.
    #[serde(deserialize_with = "globs")]
    pub routes: Vec<String>,
    /// Where the service under contract test listens (`--base-url`).
    pub test_base_url: Option<String>,
    /// The environment variable holding a token sent as `Authorization: Bearer <token>`
    /// (`--bearer-env`); the token itself never belongs in the file.
    pub test_bearer_env: Option<String>,
    /// Headers sent with every contract-test request, by name (`--header`).
    pub test_headers: BTreeMap<String, String>,
}

/// `[migrations]`: the SQL migrations directory.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct MigrationsConfig {
    /// Relative to the project root.
    pub dir: String,
    pub dialect: Dialect,
    /// Migrations older than this version are not linted (they already ran in production).
    pub lint_from: Option<String>,
    /// The PostgreSQL major version the migrations are written for (`postgres = "16"`);
    /// `None` leaves the round trip to read it from the project's compose files and CI.
    #[serde(deserialize_with = "postgres_major")]
    pub postgres: Option<u32>,
}

impl Default for MigrationsConfig {
    fn default() -> Self {
        Self {
            dir: "migrations".to_owned(),
            dialect: Dialect::default(),
            lint_from: None,
            postgres: None,
        }
    }
}

/// The SQL dialect of the migrations.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Dialect {
    #[default]
    Postgres,
    Sqlite,
}

/// `[suites.<name>]`: a named selection of tests.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SuiteConfig {
    /// Test tags the suite runs.
    pub tags: Vec<String>,
    /// Wall-clock budget (`"60s"`, `"2m"`, `"500ms"`); `None` is unbounded.
    #[serde(deserialize_with = "duration")]
    pub budget: Option<Duration>,
    /// Whether the suite also runs the libraries' doctests (`cargo test --doc`); `None`: when
    /// its tags include `unit`, since doctests are examples of a library's own items.
    pub doctests: Option<bool>,
}

/// `[gates]`: what fails a merge.
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct GatesConfig {
    /// The kinds of finding that fail the gate; every [`Gate`] by default.
    pub fail_on: Vec<Gate>,
    /// The p95 latency increase over the baseline, in percent, above which `p95` fails.
    #[serde(deserialize_with = "percentage")]
    pub p95_regression_pct: f64,
}

impl Default for GatesConfig {
    fn default() -> Self {
        Self {
            fail_on: Gate::ALL.to_vec(),
            p95_regression_pct: 10.0,
        }
    }
}

/// One kind of finding that can fail the gate.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Gate {
    /// A test that passes on the base fails now.
    Test,
    /// A breaking change to an OpenAPI contract.
    ContractDrift,
    /// A page that rendered on the base fails to render now.
    Render,
    /// A p95 latency regression above `p95_regression_pct`.
    P95,
    /// An analyzer finding at error severity.
    Analyzer,
}

impl Gate {
    pub const ALL: [Gate; 5] = [
        Gate::Test,
        Gate::ContractDrift,
        Gate::Render,
        Gate::P95,
        Gate::Analyzer,
    ];
}

/// `[load]`: micro-load scenarios and the app they run against (`cargo commerce load`, and
/// `cargo commerce test` for the scenarios tagged for its suite).
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct LoadConfig {
    /// A shell command that starts the app; `cargo commerce test` runs it before the
    /// scenarios and stops it after. `None`: the app is already running at `base_url`.
    pub start: Option<String>,
    /// Where the app listens.
    pub base_url: String,
    /// The path that answers 2xx once the app is ready.
    pub healthz: String,
    /// How long the started app may take to answer `healthz` (it may be compiling).
    #[serde(deserialize_with = "duration")]
    pub ready_timeout: Option<Duration>,
    pub scenarios: BTreeMap<String, LoadScenarioConfig>,
}

impl Default for LoadConfig {
    fn default() -> Self {
        Self {
            start: None,
            base_url: "http://127.0.0.1:3000".to_owned(),
            healthz: "/healthz".to_owned(),
            ready_timeout: None,
            scenarios: BTreeMap::new(),
        }
    }
}

/// `[load.scenarios.<name>]`: requests sent in order at a fixed rate.
#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct LoadScenarioConfig {
    pub requests: Vec<LoadRequestConfig>,
    /// Requests per second; 50 when absent.
    #[serde(deserialize_with = "positive")]
    pub rate: Option<f64>,
    /// The measured phase; 5 s when absent.
    #[serde(deserialize_with = "duration")]
    pub duration: Option<Duration>,
    /// The cold phase before it, reported apart; 1 s when absent, `"0s"` for none.
    #[serde(deserialize_with = "duration")]
    pub warmup: Option<Duration>,
    /// Keep-alive connections; 8 when absent.
    pub connections: Option<u32>,
    /// How long one request may take; 5 s when absent.
    #[serde(deserialize_with = "duration")]
    pub timeout: Option<Duration>,
    /// Fails the scenario when its warm p95 is over this.
    #[serde(deserialize_with = "positive")]
    pub p95_ms: Option<f64>,
    /// Fails the scenario when more than this share of requests (0 to 1) fails.
    #[serde(deserialize_with = "share")]
    pub error_rate: Option<f64>,
    /// The suites whose tags include one of these run the scenario after their tests.
    pub tags: Vec<String>,
    /// Sent once before the cold phase (a cache flush).
    pub flush: Option<LoadRequestConfig>,
}

/// One request of a scenario: `${name}` takes a value an earlier request captured,
/// `${rand:LOW..HIGH}` a seeded random integer, `${iteration}` the iteration's number.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LoadRequestConfig {
    #[serde(default = "get")]
    pub method: String,
    pub path: String,
    #[serde(default)]
    pub headers: BTreeMap<String, String>,
    #[serde(default)]
    pub body: Option<String>,
    /// Values for later requests: name = JSON pointer into this response.
    #[serde(default)]
    pub capture: BTreeMap<String, String>,
}

fn get() -> String {
    "GET".to_owned()
}

/// The level a `[rules]` entry sets.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum RuleLevel {
    Off,
    Info,
    Warning,
    Error,
}

impl RuleLevel {
    /// The severity to report with; `None` when the rule is off.
    pub const fn severity(self) -> Option<Severity> {
        match self {
            RuleLevel::Off => None,
            RuleLevel::Info => Some(Severity::Info),
            RuleLevel::Warning => Some(Severity::Warning),
            RuleLevel::Error => Some(Severity::Error),
        }
    }
}

/// One `[rules]` entry and where its key is written.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RuleSetting {
    pub id: String,
    pub level: RuleLevel,
    /// The byte range of the key (with its quotes) in `commerce.toml`.
    pub range: TextRange,
    pub source_range: SourceRange,
}

impl RuleSetting {
    fn new(id: Spanned<String>, level: RuleLevel, index: &LineIndex) -> Self {
        let range = TextRange::from_usize_range(id.span());
        Self {
            id: id.into_inner(),
            level,
            range,
            source_range: index.source_range(range),
        }
    }

    /// Where the key starts, 1-based.
    pub fn position(&self) -> SourcePosition {
        self.source_range.start
    }
}

fn globs<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Vec<String>, D::Error> {
    let patterns = Vec::<String>::deserialize(deserializer)?;
    if let Some((pattern, error)) = patterns
        .iter()
        .find_map(|pattern| Some((pattern, globset::Glob::new(pattern).err()?)))
    {
        return Err(D::Error::custom(format!(
            "`{pattern}` is not a valid glob: {}",
            error.kind()
        )));
    }
    Ok(patterns)
}

fn duration<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<Duration>, D::Error> {
    let text = String::deserialize(deserializer)?;
    parse_duration(&text).map(Some).map_err(D::Error::custom)
}

/// `"16"`, `"16.4"` or `16`: the major version. Before 10, PostgreSQL's majors had two parts
/// (`"9.6"`); their first is kept, which is all the round trip compares against a newer server.
fn postgres_major<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<u32>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Written {
        Number(i64),
        Text(String),
    }
    let text = match Written::deserialize(deserializer)? {
        Written::Number(number) => number.to_string(),
        Written::Text(text) => text,
    };
    let parts: Vec<&str> = text.trim().split('.').collect();
    let numeric = parts.len() <= 3
        && parts
            .iter()
            .all(|part| !part.is_empty() && part.bytes().all(|byte| byte.is_ascii_digit()));
    match parts[0].parse::<u32>() {
        Ok(major @ 1..=99) if numeric => Ok(Some(major)),
        _ => Err(D::Error::custom(format!(
            "`{text}` is not a PostgreSQL version; write the major version the migrations target, e.g. `\"16\"`"
        ))),
    }
}

fn positive<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<f64>, D::Error> {
    let value = f64::deserialize(deserializer)?;
    if value.is_finite() && value > 0.0 {
        Ok(Some(value))
    } else {
        Err(D::Error::custom(format!(
            "`{value}` must be a number above 0"
        )))
    }
}

fn share<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<f64>, D::Error> {
    let value = f64::deserialize(deserializer)?;
    if (0.0..=1.0).contains(&value) {
        Ok(Some(value))
    } else {
        Err(D::Error::custom(format!(
            "`{value}` is not a share; write a number from 0 to 1, e.g. `0.01` for 1%"
        )))
    }
}

fn percentage<'de, D: Deserializer<'de>>(deserializer: D) -> Result<f64, D::Error> {
    let value = f64::deserialize(deserializer)?;
    if value.is_finite() && value >= 0.0 {
        Ok(value)
    } else {
        Err(D::Error::custom(format!(
            "`{value}` is not a percentage; write a number of 0 or more, e.g. `10`"
        )))
    }
}

#[cfg(test)]
mod tests;
