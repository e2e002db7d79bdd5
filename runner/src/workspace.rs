//! The Cargo workspace as the runner needs it, from `cargo metadata`: members, their test
//! targets, where builds go, and who depends on whom.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Stdio;

use cargo_metadata::{DependencyKind, Metadata, MetadataCommand, TargetKind};

use crate::error::RunnerError;

/// The members of one Cargo workspace.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Workspace {
    /// Absolute.
    pub root: PathBuf,
    /// Absolute; where cargo (and so nextest) writes builds.
    pub target_dir: PathBuf,
    /// By name.
    pub packages: BTreeMap<String, Member>,
    /// `cargo metadata`'s JSON, which nextest reuses instead of running cargo again.
    pub(crate) metadata_json: String,
}

/// One workspace member.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Member {
    pub name: String,
    /// The directory of its `Cargo.toml`, relative to the workspace root (empty for a root
    /// package).
    pub dir: PathBuf,
    /// Targets that hold tests (libraries, binaries, integration tests, benches, examples).
    pub targets: Vec<Target>,
    /// Other members this one depends on, with how.
    pub dependencies: BTreeMap<String, DependencyUse>,
}

/// How one member uses another.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum DependencyUse {
    /// A normal or build dependency: a change reaches everything built on the dependent.
    Build,
    /// A dev-dependency only: a change reaches the dependent's tests, not its dependents.
    DevOnly,
}

/// A compilation target of a member.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Target {
    pub name: String,
    pub kind: TestKind,
    /// Relative to the workspace root.
    pub src_path: PathBuf,
}

/// The kinds of target nextest runs tests from, spelled as its filtersets spell them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum TestKind {
    Lib,
    ProcMacro,
    Bin,
    Test,
    Bench,
    Example,
    /// A library's documentation examples, run by `cargo test --doc` (nextest cannot run them).
    Doctest,
}

impl TestKind {
    pub const fn as_str(self) -> &'static str {
        match self {
            TestKind::Lib => "lib",
            TestKind::ProcMacro => "proc-macro",
            TestKind::Bin => "bin",
            TestKind::Test => "test",
            TestKind::Bench => "bench",
            TestKind::Example => "example",
            TestKind::Doctest => "doctest",
        }
    }

    /// The kind nextest reports for a binary (`lib`, `test`, ...); libraries of every crate
    /// type count as `lib`.
    pub fn parse(kind: &str) -> Option<Self> {
        Some(match kind {
            "lib" | "rlib" | "dylib" | "cdylib" | "staticlib" => TestKind::Lib,
            "proc-macro" => TestKind::ProcMacro,
            "bin" => TestKind::Bin,
            "test" => TestKind::Test,
            "bench" => TestKind::Bench,
            "example" => TestKind::Example,
            _ => return None,
        })
    }

    fn of(kinds: &[TargetKind]) -> Option<Self> {
        kinds.iter().find_map(|kind| match kind {
            TargetKind::Lib
            | TargetKind::RLib
            | TargetKind::DyLib
            | TargetKind::CDyLib
            | TargetKind::StaticLib => Some(TestKind::Lib),
            TargetKind::ProcMacro => Some(TestKind::ProcMacro),
            TargetKind::Bin => Some(TestKind::Bin),
            TargetKind::Test => Some(TestKind::Test),
            TargetKind::Bench => Some(TestKind::Bench),
            TargetKind::Example => Some(TestKind::Example),
            _ => None,
        })
    }
}

impl Workspace {
    /// Runs `cargo metadata` for the package or workspace whose `Cargo.toml` is in `dir`
    /// (never one found further up: a project without its own manifest has no Rust tests).
    ///
    /// # Errors
    /// [`RunnerError::NoCargoManifest`] when `dir` has no `Cargo.toml`;
    /// [`RunnerError::Metadata`] when cargo fails on it.
    pub fn load(dir: &Path) -> Result<Self, RunnerError> {
        let manifest = dir.join("Cargo.toml");
        if !manifest.is_file() {
            return Err(RunnerError::NoCargoManifest {
                dir: dir.to_path_buf(),
            });
        }
        let error = |message: String| RunnerError::Metadata {
            dir: dir.to_path_buf(),
            message,
        };
        let output = MetadataCommand::new()
            .manifest_path(manifest)
            .current_dir(dir)
            .cargo_command()
            .stdin(Stdio::null())
            .output()
            .map_err(|source| error(format!("cannot run cargo: {source}")))?;
        if !output.status.success() {
            return Err(error(first_line(&String::from_utf8_lossy(&output.stderr))));
        }
        let json = String::from_utf8_lossy(&output.stdout).into_owned();
        let metadata = MetadataCommand::parse(&json)
            .map_err(|source| error(first_line(&source.to_string())))?;
        Ok(Self::from_metadata(&metadata, json))
    }

    /// The workspace described by `cargo metadata` output, parsed and raw.
    fn from_metadata(metadata: &Metadata, metadata_json: String) -> Self {
        let root = metadata.workspace_root.clone().into_std_path_buf();
        let members = metadata.workspace_packages();
        let names: BTreeMap<_, _> = members
            .iter()
            .map(|package| (&package.id, package.name.to_string()))
            .collect();
        let mut packages = BTreeMap::new();
        for package in &members {
            let dir = package
                .manifest_path
                .parent()
                .map(|dir| relative_to(&root, dir.as_std_path()))
                .unwrap_or_default();
            let targets = package
                .targets
                .iter()
                .filter_map(|target| {
                    Some(Target {
                        name: target.name.clone(),
                        kind: TestKind::of(&target.kind)?,
                        src_path: relative_to(&root, target.src_path.as_std_path()),
                    })
                })
                .collect();
            let dependencies = metadata
                .resolve
                .as_ref()
                .and_then(|resolve| resolve.nodes.iter().find(|node| node.id == package.id))
                .map(|node| {
                    node.deps
                        .iter()
                        .filter_map(|dep| {
                            let name = names.get(&dep.pkg)?.clone();
                            let dev_only = dep
                                .dep_kinds
                                .iter()
                                .all(|info| info.kind == DependencyKind::Development);
                            let used = if dev_only {
                                DependencyUse::DevOnly
                            } else {
                                DependencyUse::Build
                            };
                            Some((name, used))
                        })
                        .collect()
                })
                .unwrap_or_default();
            let name = package.name.to_string();
            packages.insert(
                name.clone(),
                Member {
                    name,
                    dir,
                    targets,
                    dependencies,
                },
            );
        }
        Self {
            target_dir: metadata.target_directory.clone().into_std_path_buf(),
            root,
            packages,
            metadata_json,
        }
    }

    /// The member whose directory holds `path` (relative to the workspace root); the deepest
    /// one wins, so a nested package owns its own files.
    pub fn owner_of(&self, path: &Path) -> Option<&Member> {
        self.packages
            .values()
            .filter(|member| path.starts_with(&member.dir))
            .max_by_key(|member| member.dir.components().count())
    }

    /// The members that depend on `name`, with how.
    pub fn dependents_of<'a>(
        &'a self,
        name: &'a str,
    ) -> impl Iterator<Item = (&'a Member, DependencyUse)> + 'a {
        self.packages.values().filter_map(move |member| {
            member
                .dependencies
                .get(name)
                .map(|dependency_use| (member, *dependency_use))
        })
    }
}

fn relative_to(root: &Path, path: &Path) -> PathBuf {
    path.strip_prefix(root).unwrap_or(path).to_path_buf()
}

/// Cargo's errors run to many lines of context; the first says what went wrong.
fn first_line(message: &str) -> String {
    message
        .lines()
        .find(|line| !line.trim().is_empty())
        .unwrap_or(message)
        .trim()
        .to_owned()
}
