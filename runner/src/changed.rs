//! `--changed`: which tests a change can reach.
//!
//! Changed files (git, against the merge base) are mapped to workspace members; a file under a
//! member's `tests/` that is an integration-test target selects only that target, any other
//! file of a member selects all of its tests and those of every member that depends on it
//! (transitively through normal and build dependencies, plus one hop through
//! dev-dependencies, which are not inherited). A global trigger (`Cargo.lock`, `build.rs`,
//! `.config/`, `commerce.toml`, ...) selects everything; files outside every member go to the
//! analyzers that read them.

use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::fmt;
use std::path::{Path, PathBuf};

use commerce_analysis::Analyzer;
use commerce_project::{ChangeStatus, ChangedFile};
use globset::{GlobBuilder, GlobSet, GlobSetBuilder};

use crate::depinfo::SourceMap;
use crate::error::RunnerError;
use crate::workspace::{DependencyUse, Member, TestKind, Workspace};

/// The refs `--changed` compares against when no `--base` is given, first existing wins.
pub const DEFAULT_BASES: &[&str] = &["origin/main", "main", "origin/master", "master"];

/// The base for `--changed` without `--base`: the first of [`DEFAULT_BASES`] that exists in
/// the repository at `root`, else `HEAD` (the uncommitted work).
pub fn default_base(root: &Path) -> String {
    DEFAULT_BASES
        .iter()
        .find(|reference| commerce_project::commit_exists(root, reference))
        .map_or_else(|| "HEAD".to_owned(), |reference| (*reference).to_owned())
}

/// Paths (globs relative to the workspace root) whose change means every test runs.
pub const DEFAULT_TRIGGERS: &[&str] = &[
    "Cargo.lock",
    "Cargo.toml",
    "**/build.rs",
    ".config/**",
    ".cargo/**",
    "commerce.toml",
    "rust-toolchain",
    "rust-toolchain.toml",
];

/// Compiled global-trigger globs.
#[derive(Clone, Debug)]
pub struct Triggers {
    set: GlobSet,
}

impl Triggers {
    /// # Errors
    /// A pattern that is not a valid glob, with the reason.
    pub fn new<'a>(patterns: impl IntoIterator<Item = &'a str>) -> Result<Self, globset::Error> {
        let mut builder = GlobSetBuilder::new();
        for pattern in patterns {
            builder.add(GlobBuilder::new(pattern).literal_separator(true).build()?);
        }
        Ok(Self {
            set: builder.build()?,
        })
    }

    fn matches(&self, path: &Path) -> bool {
        self.set.is_match(path)
    }
}

impl Triggers {
    /// The default triggers plus `extra` globs.
    ///
    /// # Errors
    /// [`RunnerError::InvalidTrigger`] for the first pattern that is not a valid glob.
    pub fn defaults_and(extra: &[String]) -> Result<Self, RunnerError> {
        if let Some((pattern, error)) = extra.iter().find_map(|pattern| {
            GlobBuilder::new(pattern)
                .build()
                .err()
                .map(|error| (pattern, error))
        }) {
            return Err(RunnerError::InvalidTrigger {
                pattern: pattern.clone(),
                message: error.kind().to_string(),
            });
        }
        Self::new(
            DEFAULT_TRIGGERS
                .iter()
                .copied()
                .chain(extra.iter().map(String::as_str)),
        )
        .map_err(|error| RunnerError::InvalidTrigger {
            pattern: extra.join(", "),
            message: error.kind().to_string(),
        })
    }
}

impl Default for Triggers {
    fn default() -> Self {
        Self::new(DEFAULT_TRIGGERS.iter().copied()).unwrap_or_else(|_| Self {
            set: GlobSet::empty(),
        })
    }
}

/// Which tests a change reaches.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Scope {
    /// A global trigger changed: every test runs.
    Everything { trigger: PathBuf },
    /// These members' tests (all of them) and these single test targets.
    Tests {
        packages: BTreeMap<String, Reason>,
        targets: BTreeSet<TargetRef>,
    },
    /// No test can be affected.
    Nothing,
}

/// Why every test of a member runs.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Reason {
    /// One of its own files changed.
    Changed { path: PathBuf },
    /// It depends on a changed member.
    DependsOn { package: String },
    /// Its tests use a changed member as a dev-dependency.
    DevDependsOn { package: String },
}

impl fmt::Display for Reason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Reason::Changed { path } => write!(f, "changed: {}", slash(path)),
            Reason::DependsOn { package } => write!(f, "depends on `{package}`"),
            Reason::DevDependsOn { package } => write!(f, "dev-depends on `{package}`"),
        }
    }
}

/// One test binary of one member: an integration-test target, or a binary (or test) whose
/// sources no library shares.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct TargetRef {
    pub package: String,
    pub kind: TestKind,
    pub target: String,
}

/// What a change selects.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Selection {
    pub scope: Scope,
    /// Changed files that no analyzer reads and no test depends on (docs, examples, ...).
    pub ignored: Vec<PathBuf>,
    /// Changed files other than the members' Rust sources, by the analyzer that reads them.
    pub analyzer_files: BTreeMap<Analyzer, Vec<PathBuf>>,
}

impl Selection {
    /// The nextest filterset of the selected tests; `None` for every test. An empty selection
    /// has no filterset: check [`Scope::Nothing`] first and run nothing.
    pub fn filterset(&self) -> Option<String> {
        match &self.scope {
            Scope::Everything { .. } | Scope::Nothing => None,
            Scope::Tests { packages, targets } => {
                let packages = packages
                    .keys()
                    .map(|package| format!("package(={package})"));
                let targets = targets
                    .iter()
                    .filter(|target| !self.runs_whole_package(&target.package))
                    .map(|target| {
                        format!(
                            "(package(={}) & kind({}) & binary(={}))",
                            target.package,
                            target.kind.as_str(),
                            target.target
                        )
                    });
                Some(packages.chain(targets).collect::<Vec<_>>().join(" | "))
            }
        }
    }

    /// The members whose tests run, each with why; single targets are listed as
    /// `package::target`.
    pub fn describe(&self) -> Vec<(String, String)> {
        match &self.scope {
            Scope::Everything { trigger } => vec![(
                "every test".to_owned(),
                format!("global trigger changed: {}", slash(trigger)),
            )],
            Scope::Nothing => Vec::new(),
            Scope::Tests { packages, targets } => packages
                .iter()
                .map(|(package, reason)| (package.clone(), reason.to_string()))
                .chain(
                    targets
                        .iter()
                        .filter(|target| !self.runs_whole_package(&target.package))
                        .map(|target| {
                            let why = if target.kind == TestKind::Test {
                                "its test file changed"
                            } else {
                                "a source only it reads changed"
                            };
                            (
                                format!("{}::{}", target.package, target.target),
                                why.to_owned(),
                            )
                        }),
                )
                .collect(),
        }
    }

    fn runs_whole_package(&self, package: &str) -> bool {
        matches!(&self.scope, Scope::Tests { packages, .. } if packages.contains_key(package))
    }

    /// Whether every test of `package` runs (so its doctests do too).
    pub fn reaches_package(&self, package: &str) -> bool {
        matches!(self.scope, Scope::Everything { .. }) || self.runs_whole_package(package)
    }
}

/// Selects the tests `changes` can reach. Paths in `changes` are relative to `project_root`.
/// `sources` (rustc's dep-info) narrows a file that only binaries or tests read to those.
pub fn select(
    workspace: &Workspace,
    project_root: &Path,
    changes: &[ChangedFile],
    triggers: &Triggers,
    sources: &SourceMap,
) -> Selection {
    let mut selection = Selection {
        scope: Scope::Nothing,
        ignored: Vec::new(),
        analyzer_files: BTreeMap::new(),
    };
    let mut changed_packages: BTreeMap<String, PathBuf> = BTreeMap::new();
    let mut targets = BTreeSet::new();
    let mut trigger = None;
    for path in changes.iter().flat_map(touched_paths) {
        let absolute = project_root.join(path);
        let relative = absolute
            .strip_prefix(&workspace.root)
            .unwrap_or(&absolute)
            .to_path_buf();
        // A trigger means every test; the other files still go to their analyzers.
        if triggers.matches(&relative) {
            trigger.get_or_insert(relative);
            continue;
        }
        let analyzers = analyzers_reading(workspace, &relative);
        for analyzer in &analyzers {
            selection
                .analyzer_files
                .entry(*analyzer)
                .or_default()
                .push(relative.clone());
        }
        match classify(workspace, sources, &relative) {
            FileRole::Member(member) => {
                changed_packages
                    .entry(member.name.clone())
                    .or_insert(relative);
            }
            FileRole::TestTargets(found) => targets.extend(found),
            FileRole::Inert if analyzers.is_empty() => selection.ignored.push(relative),
            FileRole::Inert => {}
        }
    }
    if let Some(trigger) = trigger {
        selection.scope = Scope::Everything { trigger };
        return selection;
    }
    let packages = with_dependents(workspace, changed_packages);
    if !packages.is_empty() || !targets.is_empty() {
        selection.scope = Scope::Tests { packages, targets };
    }
    selection
}

/// Both sides of a rename; one path otherwise.
fn touched_paths(change: &ChangedFile) -> Vec<&Path> {
    match &change.status {
        ChangeStatus::Renamed { from } => vec![from.as_path(), change.path.as_path()],
        _ => vec![change.path.as_path()],
    }
}

/// What a changed file means for the tests.
enum FileRole<'a> {
    /// Part of a member's build: its tests and its dependents' run.
    Member(&'a Member),
    /// Under a member's `tests/`: only these integration-test targets run.
    TestTargets(Vec<TargetRef>),
    /// Reaches no test.
    Inert,
}

/// The analyzers a changed file goes to: a file outside the Rust sources of the members,
/// wherever it is (a `.ts` file in a package's directory is both a package file and the
/// frontend's), to each analyzer that reads it. The members' Rust sources are the tests'.
fn analyzers_reading(workspace: &Workspace, path: &Path) -> Vec<Analyzer> {
    if path.extension().is_some_and(|extension| extension == "rs")
        && workspace.owner_of(path).is_some()
    {
        return Vec::new();
    }
    Analyzer::ALL
        .into_iter()
        .filter(|analyzer| analyzer.reads(path))
        .collect()
}

fn classify<'a>(workspace: &'a Workspace, sources: &SourceMap, path: &Path) -> FileRole<'a> {
    let Some(member) = workspace.owner_of(path) else {
        return FileRole::Inert;
    };
    let in_member = path.strip_prefix(&member.dir).unwrap_or(path);
    let top = in_member.components().next().map(|c| c.as_os_str());
    if top.is_some_and(|top| top == "tests") {
        return FileRole::TestTargets(test_targets_for(member, path));
    }
    if top.is_some_and(|top| top == "examples" || top == "benches")
        || (in_member.components().count() == 1 && is_documentation(in_member))
    {
        return FileRole::Inert;
    }
    match binaries_reading(member, sources, path) {
        Some(targets) => FileRole::TestTargets(targets),
        None => FileRole::Member(member),
    }
}

/// The member's own test binaries that read `path`, when dep-info shows that they do and that
/// no library does (a library's change reaches every dependent); `None` otherwise.
fn binaries_reading(member: &Member, sources: &SourceMap, path: &Path) -> Option<Vec<TargetRef>> {
    let readers = sources.readers(path)?;
    let only_binaries = readers.iter().all(|reader| {
        reader.package == member.name && matches!(reader.kind, TestKind::Bin | TestKind::Test)
    });
    (only_binaries && !readers.is_empty()).then(|| {
        readers
            .iter()
            .map(|reader| TargetRef {
                package: reader.package.clone(),
                kind: reader.kind,
                target: reader.name.clone(),
            })
            .collect()
    })
}

/// The integration-test targets a file under `tests/` belongs to: the target it is the root
/// of (`tests/x.rs`, `tests/x/main.rs` and its directory), else every test target of the
/// member, since shared helpers (`tests/common/`) are included by any of them.
fn test_targets_for(member: &Member, path: &Path) -> Vec<TargetRef> {
    let test_targets = member
        .targets
        .iter()
        .filter(|target| target.kind == TestKind::Test);
    let owning: Vec<TargetRef> = test_targets
        .clone()
        .filter(|target| owns(&target.src_path, path, &member.dir))
        .map(|target| target_ref(member, &target.name))
        .collect();
    if owning.is_empty() {
        test_targets
            .map(|target| target_ref(member, &target.name))
            .collect()
    } else {
        owning
    }
}

/// Whether the target rooted at `src_path` owns `path`: it is the root itself, or the root is
/// a `main.rs` in a directory of its own under `tests/` that holds `path`.
fn owns(src_path: &Path, path: &Path, member_dir: &Path) -> bool {
    if src_path == path {
        return true;
    }
    let tests_dir = member_dir.join("tests");
    src_path.file_name().is_some_and(|name| name == "main.rs")
        && src_path
            .parent()
            .is_some_and(|dir| dir != tests_dir && path.starts_with(dir))
}

fn target_ref(member: &Member, target: &str) -> TargetRef {
    TargetRef {
        package: member.name.clone(),
        kind: TestKind::Test,
        target: target.to_owned(),
    }
}

/// A README, changelog or licence at a member's top level: no test reads it (a crate that
/// includes its README as docs is covered by doctests, which the runner leaves to cargo test).
fn is_documentation(path: &Path) -> bool {
    path.extension().is_some_and(|extension| extension == "md")
        || path
            .file_name()
            .and_then(|name| name.to_str())
            .is_some_and(|name| name.starts_with("LICENSE"))
}

/// The changed members plus everything that depends on them: the transitive closure over
/// normal and build dependencies, then one hop over dev-dependencies.
fn with_dependents(
    workspace: &Workspace,
    changed: BTreeMap<String, PathBuf>,
) -> BTreeMap<String, Reason> {
    let mut selected: BTreeMap<String, Reason> = changed
        .into_iter()
        .map(|(package, path)| (package, Reason::Changed { path }))
        .collect();
    let mut queue: VecDeque<String> = selected.keys().cloned().collect();
    let mut dev_dependents = Vec::new();
    while let Some(package) = queue.pop_front() {
        for (dependent, dependency_use) in workspace.dependents_of(&package) {
            match dependency_use {
                DependencyUse::Build => {
                    if !selected.contains_key(&dependent.name) {
                        selected.insert(
                            dependent.name.clone(),
                            Reason::DependsOn {
                                package: package.clone(),
                            },
                        );
                        queue.push_back(dependent.name.clone());
                    }
                }
                DependencyUse::DevOnly => {
                    dev_dependents.push((dependent.name.clone(), package.clone()));
                }
            }
        }
    }
    for (dependent, package) in dev_dependents {
        selected
            .entry(dependent)
            .or_insert(Reason::DevDependsOn { package });
    }
    selected
}

fn slash(path: &Path) -> String {
    path.to_string_lossy().replace('\\', "/")
}

#[cfg(test)]
mod tests {
    use std::fs;

    use super::*;
    use crate::depinfo::tests::workspace;

    fn modified(path: &str) -> ChangedFile {
        ChangedFile {
            path: PathBuf::from(path),
            status: ChangeStatus::Modified,
        }
    }

    #[test]
    fn a_file_only_the_binary_reads_selects_the_binary_alone() {
        let dir = tempfile::tempdir().expect("tempdir");
        let deps = dir.path().join("debug/deps");
        fs::create_dir_all(&deps).expect("mkdir");
        fs::write(
            deps.join("shop-1.d"),
            "x: crates/shop/src/lib.rs crates/shop/src/cart.rs\n",
        )
        .expect("write");
        fs::write(
            deps.join("shop-2.d"),
            "y: crates/shop/src/main.rs crates/shop/src/cli.rs crates/shop/src/cart.rs\n",
        )
        .expect("write");
        let workspace = workspace(dir.path());
        let sources = SourceMap::read(&workspace);
        let select = |path: &str| {
            select(
                &workspace,
                &workspace.root,
                &[modified(path)],
                &Triggers::default(),
                &sources,
            )
        };
        let cli = select("crates/shop/src/cli.rs");
        assert_eq!(
            cli.filterset().as_deref(),
            Some("(package(=shop) & kind(bin) & binary(=shop))")
        );
        assert_eq!(
            cli.describe(),
            [(
                "shop::shop".to_owned(),
                "a source only it reads changed".to_owned()
            )]
        );
        // The library reads cart.rs too: the whole package (and its dependents) runs.
        assert_eq!(
            select("crates/shop/src/cart.rs").filterset().as_deref(),
            Some("package(=shop)")
        );
        // Never built: the package runs.
        assert_eq!(
            select("crates/shop/src/new.rs").filterset().as_deref(),
            Some("package(=shop)")
        );
    }

    #[test]
    fn extra_triggers_add_to_the_defaults_and_bad_globs_are_named() {
        let triggers = Triggers::defaults_and(&["migrations/**".to_owned()]).expect("valid");
        assert!(triggers.matches(Path::new("migrations/001.sql")));
        assert!(triggers.matches(Path::new("Cargo.lock")));
        let error = Triggers::defaults_and(&["a[".to_owned()]).expect_err("invalid");
        assert!(
            error
                .to_string()
                .starts_with("`a[` is not a valid trigger glob"),
            "{error}"
        );
    }

    #[test]
    fn the_default_base_is_the_first_branch_that_exists() {
        let dir = tempfile::tempdir().expect("tempdir");
        assert_eq!(default_base(dir.path()), "HEAD");
        let git = |args: &[&str]| {
            let status = std::process::Command::new("git")
                .args(["-c", "user.name=t", "-c", "user.email=t@example.invalid"])
                .args([
                    "-c",
                    "commit.gpgsign=false",
                    "-c",
                    "init.defaultBranch=trunk",
                ])
                .args(args)
                .current_dir(dir.path())
                .env("GIT_CONFIG_GLOBAL", "/dev/null")
                .env("GIT_CONFIG_NOSYSTEM", "1")
                .output()
                .expect("git runs");
            assert!(status.status.success());
        };
        git(&["init", "--quiet"]);
        git(&["commit", "--quiet", "--allow-empty", "-m", "first"]);
        assert_eq!(default_base(dir.path()), "HEAD");
        git(&["branch", "master"]);
        assert_eq!(default_base(dir.path()), "master");
        git(&["branch", "main"]);
        assert_eq!(default_base(dir.path()), "main");
    }
}
