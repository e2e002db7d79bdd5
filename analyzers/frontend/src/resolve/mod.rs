//! Module resolution: what file (or package) an import specifier names.
//!
//! The Node.js and TypeScript rules come from `oxc_resolver`: relative paths, extensions and
//! TypeScript's `.js` -> `.ts` mapping, index files, `tsconfig.json` `paths`/`baseUrl`/`extends`
//! (also from packages) and project references, `package.json` `exports`/`imports`/`main`/
//! `types`. It reads through our [`FileSystem`] ([`fs::ResolverFs`]), with npm, yarn and pnpm
//! workspace packages linked the way package managers link them ([`packages::PackageIndex`]).
//!
//! What `oxc_resolver` cannot find is not always broken: a package the project declares but has
//! not installed yet, a Node.js built-in, a module declared with `declare module "name"`, a
//! bundler's virtual module (`virtual:pwa`). Only what is none of those is
//! [`Resolution::Unresolved`].

mod fs;
mod generated;
mod packages;

use std::collections::{BTreeSet, HashSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use commerce_project::FileSystem;
use oxc_resolver::{
    ResolveError, ResolveOptions, ResolverGeneric, TsconfigDiscovery, TsconfigOptions,
    TsconfigReferences,
};

use crate::parse::Dialect;
pub(crate) use commerce_project::lexically_normal as normalize;
use fs::{ResolverFs, WorkspaceLinks};
use generated::IgnoredFiles;
use packages::PackageIndex;

/// What an import specifier names.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Resolution {
    /// A TypeScript/JavaScript file of the project (absolute path).
    Module(PathBuf),
    /// Another file of the project: a stylesheet, an image, JSON (absolute path).
    Asset(PathBuf),
    /// Outside the project: an npm package (installed or declared), a Node.js built-in, an
    /// ambient (`declare module`) or virtual module.
    External,
    /// Nothing the import could mean; the reason says what was tried.
    Unresolved(String),
}

/// What the resolver needs to know about the project.
#[derive(Clone, Debug)]
pub struct ResolverSetup<'a> {
    /// The project root (absolute).
    pub root: &'a Path,
    /// `[frontend].tsconfig`, relative to the root: used for every file instead of the nearest
    /// `tsconfig.json`.
    pub tsconfig: Option<&'a Path>,
    /// Directories that may declare workspaces (the root and the frontend roots), absolute.
    pub workspace_roots: Vec<PathBuf>,
    /// Directories whose `package.json` may name a workspace package or declare dependencies:
    /// every directory holding a project file, and their ancestors inside the root.
    pub package_dirs: BTreeSet<PathBuf>,
    /// Modules declared with `declare module "name"` anywhere in the project.
    pub ambient_modules: Vec<String>,
}

/// Resolves import specifiers for one project. Shared by every thread of an analysis.
#[derive(Debug)]
pub struct ModuleResolver {
    resolver: ResolverGeneric<ResolverFs>,
    /// The same resolver (and cache) without tsconfig, for files whose tsconfig is broken.
    without_tsconfig: ResolverGeneric<ResolverFs>,
    fs: Arc<dyn FileSystem>,
    root: PathBuf,
    declared: HashSet<String>,
    ambient: AmbientModules,
    ignored: IgnoredFiles,
}

impl ModuleResolver {
    pub fn new(fs: Arc<dyn FileSystem>, setup: &ResolverSetup<'_>) -> Self {
        let packages = PackageIndex::read(&*fs, &setup.package_dirs, &setup.workspace_roots);
        let links = Arc::new(WorkspaceLinks::new(packages.workspaces, packages.link_dirs));
        let options = resolve_options(setup.tsconfig.map(|tsconfig| setup.root.join(tsconfig)));
        let fs_for_ignores = fs.clone();
        let resolver =
            ResolverGeneric::new_with_file_system(ResolverFs::new(fs.clone(), links), options);
        let without_tsconfig = resolver.clone_with_options(ResolveOptions {
            tsconfig: None,
            ..resolver.options().clone()
        });
        Self {
            resolver,
            without_tsconfig,
            fs,
            root: setup.root.to_path_buf(),
            declared: packages.declared,
            ambient: AmbientModules::new(&setup.ambient_modules),
            ignored: IgnoredFiles::new(fs_for_ignores, setup.root),
        }
    }

    /// What `specifier`, imported by the file `from` (absolute), names.
    ///
    /// A `tsconfig.json` that cannot be loaded (bad JSON, a missing base in `extends`) does not
    /// make every import unresolved: the import is resolved without it, and when that fails
    /// too, its error is the reason. (oxc_resolver reports a broken tsconfig on the first
    /// resolution through it only, and then resolves as without it: the reason must not depend
    /// on which import asked first, or an updated index would differ from a fresh analysis.)
    pub fn resolve(&self, from: &Path, specifier: &str) -> Resolution {
        let result = match self.resolver.resolve_file(from, specifier) {
            Err(error) if is_tsconfig_error(&error) => {
                self.without_tsconfig.resolve_file(from, specifier)
            }
            other => other,
        };
        match result {
            Ok(resolution) => self.classify(resolution.path()),
            Err(ResolveError::Builtin { .. } | ResolveError::Ignored(_)) => Resolution::External,
            Err(_) if is_route_types(specifier) && self.route_types_pending(from, specifier) => {
                Resolution::External
            }
            Err(_) if self.is_generated(from, specifier) => Resolution::External,
            Err(_) if !is_path_specifier(specifier) && self.is_external(from, specifier) => {
                Resolution::External
            }
            Err(error) => Resolution::Unresolved(unresolved_reason(
                specifier,
                self.matches_tsconfig_paths(from, specifier),
                &error,
            )),
        }
    }

    /// The packages the project's manifests declare (and its workspace packages), sorted.
    pub fn declared_packages(&self) -> Vec<&str> {
        let mut packages: Vec<&str> = self.declared.iter().map(String::as_str).collect();
        packages.sort_unstable();
        packages
    }

    /// Whether the tsconfig of `file` keeps imports TypeScript would otherwise erase
    /// (`verbatimModuleSyntax`, or the older `preserveValueImports`).
    pub fn keeps_imports(&self, file: &Path) -> bool {
        let Ok(Some(tsconfig)) = self.resolver.find_tsconfig(file) else {
            return false;
        };
        let options = &tsconfig.compiler_options;
        options.verbatim_module_syntax == Some(true) || options.preserve_value_imports == Some(true)
    }

    fn classify(&self, path: &Path) -> Resolution {
        let in_dependencies = path
            .components()
            .any(|component| component.as_os_str() == "node_modules");
        if in_dependencies || !path.starts_with(&self.root) {
            Resolution::External
        } else if Dialect::of(path).is_some() {
            Resolution::Module(path.to_path_buf())
        } else {
            Resolution::Asset(path.to_path_buf())
        }
    }

    /// A bare specifier the resolver could not follow that may still name something real: a
    /// scheme (`virtual:`), an ambient module, a package the project declares or installs, a
    /// name in the scope of a declared package (frameworks declare virtual modules there:
    /// `@docusaurus/Link`), or any package at all when nothing is installed yet (no
    /// `node_modules` above the file), since only installing tells a transitive dependency
    /// from a typo. A specifier that matches a tsconfig `paths` pattern is a project path, and
    /// never external (unless it maps into `node_modules`: then it names a package).
    fn is_external(&self, from: &Path, specifier: &str) -> bool {
        if has_scheme(specifier) || self.ambient.matches(specifier) {
            return true;
        }
        if self.matches_tsconfig_paths(from, specifier) {
            return false;
        }
        let Some(package) = package_name(specifier) else {
            return false;
        };
        self.declared.contains(package)
            || self.is_declared_scope(package)
            || self.is_installed(from, package)
            || !self.has_node_modules(from)
    }

    fn is_declared_scope(&self, package: &str) -> bool {
        let Some((scope, _)) = package.split_once('/') else {
            return false;
        };
        self.declared.iter().any(|declared| {
            declared
                .strip_prefix(scope)
                .is_some_and(|rest| rest.starts_with('/'))
        })
    }

    fn has_node_modules(&self, from: &Path) -> bool {
        from.ancestors()
            .skip(1)
            .any(|dir| self.fs.is_dir(&dir.join("node_modules")))
    }

    fn matches_tsconfig_paths(&self, from: &Path, specifier: &str) -> bool {
        let Ok(Some(tsconfig)) = self.resolver.find_tsconfig(from) else {
            return false;
        };
        let Some(paths) = &tsconfig.compiler_options.paths else {
            return false;
        };
        let into_packages = |targets: &Vec<PathBuf>| {
            targets.iter().all(|target| {
                target
                    .components()
                    .any(|component| component.as_os_str() == "node_modules")
            })
        };
        paths
            .iter()
            .filter(|(_, targets)| !into_packages(targets))
            .any(|(pattern, _)| match pattern.split_once('*') {
                Some((prefix, suffix)) => {
                    specifier.len() >= prefix.len() + suffix.len()
                        && specifier.starts_with(prefix)
                        && specifier.ends_with(suffix)
                }
                None => pattern == specifier,
            })
    }

    /// Whether a missing relative path, or a tsconfig `paths` alias, is of a file the project
    /// ignores (generated at build time), directly or through a tsconfig `rootDirs` entry
    /// (where generated types live beside the sources).
    fn is_generated(&self, from: &Path, specifier: &str) -> bool {
        let path_part = specifier.split(['?', '#']).next().unwrap_or(specifier);
        if !is_path_specifier(specifier) {
            if !self.matches_tsconfig_paths(from, specifier) {
                return false;
            }
            let Ok(Some(tsconfig)) = self.resolver.find_tsconfig(from) else {
                return false;
            };
            return tsconfig
                .resolve_path_alias_or_base_url(path_part)
                .iter()
                .any(|candidate| self.ignored.covers(&normalize(candidate)));
        }
        self.root_dir_candidates(from, path_part)
            .iter()
            .any(|candidate| self.ignored.covers(candidate))
    }

    /// Where a relative `path` imported by `from` may be: beside `from`, and at the same place
    /// under every other tsconfig `rootDirs` entry (where generated files live beside sources).
    fn root_dir_candidates(&self, from: &Path, path: &str) -> Vec<PathBuf> {
        let Some(from_dir) = from.parent() else {
            return Vec::new();
        };
        let mut candidates = vec![normalize(&from_dir.join(path))];
        if let Ok(Some(tsconfig)) = self.resolver.find_tsconfig(from)
            && let Some(root_dirs) = &tsconfig.compiler_options.root_dirs
        {
            for source_root in root_dirs {
                let Ok(inside) = from_dir.strip_prefix(source_root) else {
                    continue;
                };
                candidates.extend(
                    root_dirs
                        .iter()
                        .filter(|other| *other != source_root)
                        .map(|other| normalize(&other.join(inside).join(path))),
                );
            }
        }
        candidates
    }

    /// Whether React Router's route types for `from` have not been generated: no `+types`
    /// folder beside it or under any of its `rootDirs`. (Once generated, a `./+types/x` that
    /// still does not resolve is unresolved.)
    fn route_types_pending(&self, from: &Path, specifier: &str) -> bool {
        let Some(folder) = specifier
            .rfind("+types/")
            .map(|at| &specifier[..at + "+types".len()])
        else {
            return false;
        };
        !self
            .root_dir_candidates(from, folder)
            .iter()
            .any(|dir| self.fs.is_dir(dir))
    }

    /// Whether `node_modules/<package>` exists beside `from` or above it: an installed package
    /// whose entry point the resolver could not pick (unusual `exports` conditions, missing
    /// build output) is still not an unresolved import.
    fn is_installed(&self, from: &Path, package: &str) -> bool {
        from.ancestors()
            .skip(1)
            .any(|dir| self.fs.is_dir(&dir.join("node_modules").join(package)))
    }
}

fn resolve_options(tsconfig: Option<PathBuf>) -> ResolveOptions {
    let strings = |items: &[&str]| items.iter().map(|item| (*item).to_owned()).collect();
    let tsconfig = match tsconfig {
        Some(config_file) => TsconfigDiscovery::Manual(TsconfigOptions {
            config_file,
            references: TsconfigReferences::Auto,
        }),
        None => TsconfigDiscovery::Auto,
    };
    ResolveOptions {
        tsconfig: Some(tsconfig),
        extensions: strings(&[
            ".ts", ".tsx", ".d.ts", ".mts", ".cts", ".js", ".jsx", ".mjs", ".cjs", ".json",
        ]),
        // TypeScript's rule: `./a.js` names `a.ts` (or `a.tsx`, `a.d.ts`) when it exists.
        extension_alias: vec![
            (
                ".js".into(),
                strings(&[".ts", ".tsx", ".d.ts", ".js", ".jsx"]),
            ),
            (".jsx".into(), strings(&[".tsx", ".jsx"])),
            (".mjs".into(), strings(&[".mts", ".d.mts", ".mjs"])),
            (".cjs".into(), strings(&[".cts", ".d.cts", ".cjs"])),
        ],
        condition_names: strings(&["types", "import", "require", "browser", "node", "default"]),
        main_fields: strings(&["types", "typings", "module", "main"]),
        builtin_modules: true,
        // Resolution must not depend on the environment it runs in.
        node_path: false,
        ..ResolveOptions::default()
    }
}

/// A relative or absolute path specifier, as opposed to a bare package name.
/// Whether the resolver reads the file at `path` (project-relative) to decide where imports
/// go: a tsconfig or jsconfig (any of them, for `extends` chains and project references), a
/// `package.json` (dependencies, `exports`, workspaces), a pnpm workspace file, or the
/// configured `[frontend] tsconfig`. A change to one changes resolution anywhere.
pub(crate) fn is_resolution_input(path: &Path, configured_tsconfig: Option<&Path>) -> bool {
    if configured_tsconfig == Some(path) {
        return true;
    }
    let Some(name) = path.file_name().and_then(|name| name.to_str()) else {
        return false;
    };
    let json_config = |prefix: &str| name.starts_with(prefix) && name.ends_with(".json");
    name == "package.json"
        || name == "pnpm-workspace.yaml"
        || json_config("tsconfig")
        || json_config("jsconfig")
}

pub(crate) fn is_path_specifier(specifier: &str) -> bool {
    specifier == "."
        || specifier == ".."
        || specifier.starts_with("./")
        || specifier.starts_with("../")
        || specifier.starts_with('/')
}

/// `./+types/product`: React Router 7's generated route types (`react-router typegen`).
pub(crate) fn is_route_types(specifier: &str) -> bool {
    is_path_specifier(specifier) && specifier.contains("/+types/")
}

/// `virtual:pwa`, `astro:content`, `https://…`: a scheme no file system resolves.
fn has_scheme(specifier: &str) -> bool {
    specifier
        .split_once(':')
        .is_some_and(|(scheme, _)| scheme.len() > 1 && !scheme.contains('/'))
}

/// The package a bare specifier names: `@scope/name` or `name`, without the subpath.
pub(crate) fn package_name(specifier: &str) -> Option<&str> {
    let mut parts = specifier.splitn(3, '/');
    let first = parts
        .next()
        .filter(|first| !first.is_empty() && *first != "@")?;
    if first.starts_with('@') {
        let second = parts.next().filter(|second| !second.is_empty())?;
        Some(&specifier[..first.len() + 1 + second.len()])
    } else {
        Some(first)
    }
}

fn is_tsconfig_error(error: &ResolveError) -> bool {
    matches!(
        error,
        ResolveError::TsconfigNotFound(_)
            | ResolveError::TsconfigLoadFailed { .. }
            | ResolveError::TsconfigCircularExtend(_)
            | ResolveError::TsconfigSelfReference(_)
    )
}

/// Why `specifier` is unresolved; `alias`: it matches a tsconfig `paths` pattern.
fn unresolved_reason(specifier: &str, alias: bool, error: &ResolveError) -> String {
    match error {
        ResolveError::NotFound(_) if alias => {
            "no file matches it through the tsconfig `paths`".to_owned()
        }
        ResolveError::NotFound(_) if is_path_specifier(specifier) || specifier.starts_with('#') => {
            "no file matches it".to_owned()
        }
        ResolveError::NotFound(_) => {
            "it is neither a project path nor an installed or declared package".to_owned()
        }
        other => other.to_string(),
    }
}

/// `declare module "name"` declarations: exact names, and TypeScript's one-`*` patterns
/// (`*.svg`, `virtual:*`).
#[derive(Clone, Debug, Default)]
struct AmbientModules {
    exact: HashSet<String>,
    patterns: Vec<(String, String)>,
}

impl AmbientModules {
    fn new(names: &[String]) -> Self {
        let mut modules = Self::default();
        for name in names {
            match name.split_once('*') {
                Some((prefix, suffix)) => modules
                    .patterns
                    .push((prefix.to_owned(), suffix.to_owned())),
                None => {
                    modules.exact.insert(name.clone());
                }
            }
        }
        modules
    }

    fn matches(&self, specifier: &str) -> bool {
        self.exact.contains(specifier)
            || self.patterns.iter().any(|(prefix, suffix)| {
                specifier.len() >= prefix.len() + suffix.len()
                    && specifier.starts_with(prefix.as_str())
                    && specifier.ends_with(suffix.as_str())
            })
    }
}

#[cfg(test)]
mod tests;
