//! [`Project`]: where the project root is and what its `commerce.toml` says.

use std::io;
use std::path::{Component, Path, PathBuf};

use commerce_diagnostics::RuleRegistry;

use crate::config::{Config, ConfigError};
use crate::fs::{FileSystem, OsFs};

/// The configuration file's name, looked for in the project root and its ancestors.
pub const CONFIG_FILE_NAME: &str = "commerce.toml";

/// Why a project could not be opened.
#[derive(Debug, thiserror::Error)]
pub enum ProjectError {
    #[error("project directory {} does not exist", path.display())]
    NotFound { path: PathBuf },
    #[error("{} is not a directory; give the project's root directory", path.display())]
    NotADirectory { path: PathBuf },
    #[error("cannot resolve {}: {source}", path.display())]
    Resolve { path: PathBuf, source: io::Error },
    #[error("cannot read the configuration: {source}")]
    ReadConfig { path: PathBuf, source: io::Error },
    #[error(transparent)]
    Config(#[from] ConfigError),
}

/// A project: its root directory (absolute), its configuration and where that came from.
#[derive(Clone, Debug, PartialEq)]
pub struct Project {
    root: PathBuf,
    config: Config,
    config_path: Option<PathBuf>,
}

impl Project {
    /// A project from parts, for tests and in-memory use; nothing is read.
    pub fn new(root: impl Into<PathBuf>, mut config: Config) -> Self {
        let root = root.into();
        config.frontend.normalize_paths(&root);
        Self {
            root,
            config,
            config_path: None,
        }
    }

    /// Finds the project containing `start_dir`: the nearest ancestor (or `start_dir` itself)
    /// with a `commerce.toml`. Without one, the root is found the way cargo finds a workspace:
    /// an ancestor whose `Cargo.toml` has `[workspace]`, else the nearest `Cargo.toml`, else the
    /// nearest `.git`, else `start_dir`, never crossing a repository boundary; the
    /// configuration is then [`Config::default`].
    ///
    /// # Errors
    /// When `start_dir` is missing or not a directory, or the `commerce.toml` found cannot be
    /// read or is invalid.
    pub fn discover(start_dir: &Path) -> Result<Self, ProjectError> {
        let start = existing_dir(start_dir)?;
        match start
            .ancestors()
            .find(|dir| dir.join(CONFIG_FILE_NAME).is_file())
        {
            Some(root) => Self::with_config_file(root.to_path_buf()),
            None => Ok(Self::new(root_without_config(&start), Config::default())),
        }
    }

    /// Opens the project rooted at `dir` (`--project DIR`), with its `commerce.toml` if it has
    /// one; ancestors are not searched.
    ///
    /// # Errors
    /// When `dir` is missing or not a directory, or its `commerce.toml` cannot be read or is
    /// invalid.
    pub fn load(dir: &Path) -> Result<Self, ProjectError> {
        let root = existing_dir(dir)?;
        if root.join(CONFIG_FILE_NAME).is_file() {
            Self::with_config_file(root)
        } else {
            Ok(Self::new(root, Config::default()))
        }
    }

    fn with_config_file(root: PathBuf) -> Result<Self, ProjectError> {
        let config_path = root.join(CONFIG_FILE_NAME);
        let text =
            OsFs.read_to_string(&config_path)
                .map_err(|source| ProjectError::ReadConfig {
                    path: config_path.clone(),
                    source,
                })?;
        let config = Config::parse(&text, &config_path)?;
        Ok(Self {
            config_path: Some(config_path),
            ..Self::new(root, config)
        })
    }

    /// The absolute root directory.
    pub fn root(&self) -> &Path {
        &self.root
    }

    pub fn config(&self) -> &Config {
        &self.config
    }

    /// The `commerce.toml` the configuration was read from; `None` for the defaults.
    pub fn config_path(&self) -> Option<&Path> {
        self.config_path.as_deref()
    }

    /// `path` relative to the root. Relative paths are taken as already relative; absolute
    /// paths outside the root are returned unchanged.
    pub fn relative(&self, path: &Path) -> PathBuf {
        path.strip_prefix(&self.root).unwrap_or(path).to_path_buf()
    }

    /// `path` as reports show it: relative to the root with `/` separators on every platform
    /// (`.` for the root itself).
    pub fn display_path(&self, path: &Path) -> String {
        let shown = slash_path(&self.relative(path));
        if shown.is_empty() {
            ".".to_owned()
        } else {
            shown
        }
    }

    /// Checks every `[rules]` key against the rules the tool knows.
    ///
    /// # Errors
    /// The first unknown rule id, at its `file:line:column`, with the nearest known id.
    pub fn check_rule_ids(&self, registry: &RuleRegistry) -> Result<(), ConfigError> {
        let unknown = self
            .config
            .rule_levels()
            .iter()
            .find(|setting| registry.get(&setting.id).is_none());
        match unknown {
            None => Ok(()),
            Some(setting) => {
                let path = self
                    .config_path
                    .clone()
                    .unwrap_or_else(|| self.root.join(CONFIG_FILE_NAME));
                Err(ConfigError::unknown_rule(
                    &path,
                    setting,
                    registry.suggest(&setting.id),
                ))
            }
        }
    }
}

/// `dir` made absolute and without `..` (symbolic links kept as spelled, the way resolvers
/// spell the paths they find), if it is an existing directory.
fn existing_dir(dir: &Path) -> Result<PathBuf, ProjectError> {
    let absolute = std::path::absolute(dir)
        .map(|absolute| crate::lexically_normal(&absolute))
        .map_err(|source| ProjectError::Resolve {
            path: dir.to_path_buf(),
            source,
        })?;
    if absolute.is_dir() {
        Ok(absolute)
    } else if absolute.exists() {
        Err(ProjectError::NotADirectory { path: absolute })
    } else {
        Err(ProjectError::NotFound { path: absolute })
    }
}

/// The root of a project without `commerce.toml`, found the way cargo finds a workspace: an
/// ancestor whose `Cargo.toml` has a `[workspace]` table, else the nearest ancestor with a
/// `Cargo.toml`, else the nearest one with `.git`, else `start` itself. The search stops at the
/// repository boundary (`.git`), so a crate never joins an unrelated outer workspace.
fn root_without_config(start: &Path) -> PathBuf {
    let mut nearest_manifest = None;
    for dir in start.ancestors() {
        let manifest = dir.join("Cargo.toml");
        if is_workspace_manifest(&manifest) {
            return dir.to_path_buf();
        }
        if nearest_manifest.is_none() && manifest.is_file() {
            nearest_manifest = Some(dir);
        }
        if dir.join(".git").exists() {
            return nearest_manifest.unwrap_or(dir).to_path_buf();
        }
    }
    nearest_manifest.unwrap_or(start).to_path_buf()
}

/// Whether `manifest` is a `Cargo.toml` with a `[workspace]` table. An unreadable or invalid
/// manifest is not one: discovery should not fail on a file cargo itself would reject later.
fn is_workspace_manifest(manifest: &Path) -> bool {
    OsFs.read_to_string(manifest)
        .ok()
        .and_then(|text| text.parse::<toml::Table>().ok())
        .is_some_and(|table| table.contains_key("workspace"))
}

/// `path` with `/` between its components.
fn slash_path(path: &Path) -> String {
    let mut shown = String::new();
    for component in path.components() {
        let needs_separator = !shown.is_empty() && !shown.ends_with('/');
        match component {
            Component::RootDir => {
                if !shown.ends_with('/') {
                    shown.push('/');
                }
            }
            other => {
                if needs_separator {
                    shown.push('/');
                }
                shown.push_str(&other.as_os_str().to_string_lossy());
            }
        }
    }
    shown
}

#[cfg(test)]
mod tests {
    use commerce_diagnostics::{FixAvailability, RuleMeta, Severity};

    use super::*;
    use crate::config::ConfigErrorKind;

    fn write(root: &Path, relative: &str, contents: &str) {
        let path = root.join(relative);
        std::fs::create_dir_all(path.parent().expect("has a parent")).expect("create dirs");
        std::fs::write(path, contents).expect("write");
    }

    fn mkdir(root: &Path, relative: &str) -> PathBuf {
        let path = root.join(relative);
        std::fs::create_dir_all(&path).expect("create dirs");
        path
    }

    #[test]
    fn discover_finds_commerce_toml_in_an_ancestor() {
        let dir = tempfile::tempdir().expect("tempdir");
        write(
            dir.path(),
            "shop/commerce.toml",
            "[migrations]\ndir = \"db\"\n",
        );
        write(dir.path(), "shop/Cargo.toml", "[package]\n");
        let start = mkdir(dir.path(), "shop/web/src");
        let project = Project::discover(&start).expect("found");
        assert_eq!(project.root(), dir.path().join("shop"));
        assert_eq!(
            project.config_path(),
            Some(dir.path().join("shop/commerce.toml").as_path())
        );
        assert_eq!(project.config().migrations.dir, "db");
    }

    #[test]
    fn discover_without_config_stops_at_the_workspace_root() {
        let dir = tempfile::tempdir().expect("tempdir");
        write(
            dir.path(),
            "repo/Cargo.toml",
            "[workspace]\nmembers = [\"crates/*\"]\n",
        );
        write(
            dir.path(),
            "repo/crates/api/Cargo.toml",
            "[package]\nname = \"api\"\n",
        );
        let start = mkdir(dir.path(), "repo/crates/api/src");
        let project = Project::discover(&start).expect("found");
        assert_eq!(project.root(), dir.path().join("repo"));
        assert_eq!(project.config_path(), None);
        assert_eq!(project.config(), &Config::default());
    }

    #[test]
    fn discover_without_config_or_workspace_takes_the_nearest_crate_inside_the_repository() {
        let dir = tempfile::tempdir().expect("tempdir");
        mkdir(dir.path(), "mono/.git");
        write(
            dir.path(),
            "mono/shop/Cargo.toml",
            "[package]\nname = \"shop\"\n",
        );
        let start = mkdir(dir.path(), "mono/shop/web");
        assert_eq!(
            Project::discover(&start).expect("found").root(),
            dir.path().join("mono/shop")
        );
        let elsewhere = mkdir(dir.path(), "mono/docs/guide");
        assert_eq!(
            Project::discover(&elsewhere).expect("found").root(),
            dir.path().join("mono")
        );
    }

    #[test]
    fn discover_with_no_marker_at_all_uses_the_start() {
        let dir = tempfile::tempdir().expect("tempdir");
        let start = mkdir(dir.path(), "loose/files");
        assert_eq!(Project::discover(&start).expect("found").root(), start);
    }

    #[test]
    fn load_uses_the_given_directory_only() {
        let dir = tempfile::tempdir().expect("tempdir");
        write(
            dir.path(),
            "commerce.toml",
            "[frontend]\nroots = [\"web\"]\n",
        );
        let inner = mkdir(dir.path(), "inner");
        let project = Project::load(&inner).expect("loaded");
        assert_eq!(project.root(), inner);
        assert_eq!(project.config_path(), None);
        let outer = Project::load(dir.path()).expect("loaded");
        assert_eq!(outer.config().frontend.roots, ["web"]);
        // `--project ../x` names the directory as resolvers will spell its files.
        let roundabout = Project::load(&inner.join("..")).expect("loaded");
        assert_eq!(roundabout.root(), dir.path());
    }

    #[test]
    fn load_names_a_missing_or_wrong_directory() {
        let dir = tempfile::tempdir().expect("tempdir");
        let missing = dir.path().join("nope");
        let error = Project::load(&missing).expect_err("missing");
        assert_eq!(
            error.to_string(),
            format!("project directory {} does not exist", missing.display())
        );
        write(dir.path(), "file.txt", "");
        let error = Project::load(&dir.path().join("file.txt")).expect_err("a file");
        assert!(
            matches!(error, ProjectError::NotADirectory { .. }),
            "{error:?}"
        );
        assert!(matches!(
            Project::discover(&missing),
            Err(ProjectError::NotFound { .. })
        ));
    }

    #[test]
    fn an_invalid_config_is_reported_at_its_path() {
        let dir = tempfile::tempdir().expect("tempdir");
        write(dir.path(), "commerce.toml", "[frontend]\nrootz = []\n");
        let error = Project::load(dir.path()).expect_err("invalid");
        let config_path = dir.path().join("commerce.toml");
        assert_eq!(
            error.to_string(),
            format!(
                "{}:2:1: unknown key `rootz` in [frontend]\n  help: did you mean `roots`?",
                config_path.display()
            )
        );
    }

    #[test]
    fn a_non_utf8_config_is_a_read_error_naming_the_file() {
        let dir = tempfile::tempdir().expect("tempdir");
        std::fs::write(dir.path().join("commerce.toml"), b"[frontend]\xff").expect("write");
        let error = Project::discover(dir.path()).expect_err("not UTF-8");
        let ProjectError::ReadConfig { path, source } = &error else {
            panic!("expected a read error, got {error:?}");
        };
        assert_eq!(path, &dir.path().join("commerce.toml"));
        assert_eq!(source.kind(), io::ErrorKind::InvalidData);
        assert!(
            error
                .to_string()
                .contains("commerce.toml is not valid UTF-8")
        );
    }

    #[test]
    fn paths_are_shown_relative_with_forward_slashes() {
        let project = Project::new("/work/shop", Config::default());
        let inside = Path::new("/work/shop/web/src/a.ts");
        assert_eq!(project.relative(inside), Path::new("web/src/a.ts"));
        assert_eq!(project.display_path(inside), "web/src/a.ts");
        assert_eq!(project.display_path(Path::new("web/b.ts")), "web/b.ts");
        assert_eq!(project.display_path(Path::new("/work/shop")), ".");
        assert_eq!(
            project.display_path(Path::new("/elsewhere/c.ts")),
            "/elsewhere/c.ts"
        );
    }

    fn registry() -> RuleRegistry {
        RuleRegistry::new(vec![RuleMeta {
            id: "frontend/import-cycle",
            default_severity: Severity::Error,
            fix: FixAvailability::None,
            doc: "Finds import cycles.",
        }])
    }

    #[test]
    fn unknown_rule_ids_are_reported_at_their_key() {
        let text =
            "[rules]\n\"frontend/import-cycle\" = \"off\"\n\"frontend/import-cycles\" = \"off\"\n";
        let config_path = PathBuf::from("/p/commerce.toml");
        let config = Config::parse(text, &config_path).expect("valid");
        let project = Project {
            root: PathBuf::from("/p"),
            config,
            config_path: Some(config_path),
        };
        let error = project
            .check_rule_ids(&registry())
            .expect_err("unknown rule");
        assert_eq!(error.kind(), ConfigErrorKind::UnknownRule);
        assert_eq!(
            error.to_string(),
            "/p/commerce.toml:3:1: unknown rule `frontend/import-cycles` in [rules]\n  help: did you mean `frontend/import-cycle`?"
        );
        assert_eq!(error.suggestion(), Some("frontend/import-cycle"));
        assert_eq!(
            &text[error.range().to_usize_range()],
            "\"frontend/import-cycles\""
        );
    }

    #[test]
    fn known_rule_ids_pass_and_far_off_ones_get_a_generic_hint() {
        let known = Config::parse(
            "[rules]\n\"frontend/import-cycle\" = \"info\"\n",
            Path::new("c"),
        );
        let project = Project::new("/p", known.expect("valid"));
        assert!(project.check_rule_ids(&registry()).is_ok());

        let unknown = Config::parse("[rules]\n\"banana\" = \"info\"\n", Path::new("c"));
        let project = Project::new("/p", unknown.expect("valid"));
        let error = project
            .check_rule_ids(&registry())
            .expect_err("unknown rule");
        assert_eq!(error.path(), Path::new("/p/commerce.toml"));
        assert_eq!(
            error.help(),
            Some("rule ids are namespaced, e.g. `frontend/import-cycle`")
        );
    }

    #[test]
    fn frontend_roots_mean_the_same_however_they_are_spelled() {
        let spelled = |roots: &str| {
            let text = format!("[frontend]\nroots = [{roots}]\nroutes = \"./web/app/\"\n");
            let config = Config::parse(&text, Path::new("/p/commerce.toml")).expect("valid");
            let config = Project::new("/p", config).config().frontend.clone();
            assert_eq!(config.routes.as_deref(), Some("web/app"));
            config.roots
        };
        assert_eq!(spelled(r#"".", "./", """#), ["", "", ""]);
        assert_eq!(
            spelled(r#""./web", "web/", "/p/web", "web/./", "/p/x/../web""#),
            ["web"; 5]
        );
        assert_eq!(spelled(r#""/elsewhere/web""#), ["/elsewhere/web"]);
    }
}
