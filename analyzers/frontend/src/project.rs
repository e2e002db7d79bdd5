//! Loading a whole frontend: every module read, parsed and collected in parallel (rayon), then
//! every import resolved in parallel against one shared resolver.

use std::collections::{BTreeSet, HashMap};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use commerce_project::{
    DEFAULT_MAX_FILE_BYTES, FileSystem, FrontendConfig, SkipReason, SkippedFile,
};
use rayon::prelude::*;

use crate::collect::{ModuleFacts, collect};
use crate::parse::{Dialect, ParseError, parse_module};
use crate::resolve::{ModuleResolver, Resolution, ResolverSetup};

/// A module's index in [`Modules::modules`], and its node index in the graph.
pub(crate) type ModuleId = usize;

/// What became of a module's text.
#[derive(Debug)]
pub(crate) enum Source {
    /// Boxed: the facts are large, and most modules of a project hold them.
    Parsed(Box<ModuleFacts>),
    ParseError(ParseError),
    /// Too large, not UTF-8 or unreadable: reported by the caller, see
    /// [`crate::FrontendReport::skipped`].
    Skipped,
    /// Imported by an analyzed module but not among the files to analyze (ignored by git,
    /// outside `[frontend].roots`).
    NotAnalyzed,
}

/// What an import of a module leads to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Target {
    Module(ModuleId),
    Asset,
    External,
    Unresolved(String),
}

/// One TypeScript/JavaScript file of the project.
#[derive(Debug)]
pub(crate) struct Module {
    /// Relative to the project root.
    pub path: PathBuf,
    pub dialect: Dialect,
    pub source: Source,
    /// Parallel to the imports of [`Source::Parsed`]; empty otherwise.
    pub targets: Vec<Target>,
    /// The tsconfig of this file keeps imports TypeScript would otherwise erase.
    pub keeps_imports: bool,
}

impl Module {
    pub fn facts(&self) -> Option<&ModuleFacts> {
        match &self.source {
            Source::Parsed(facts) => Some(facts),
            _ => None,
        }
    }
}

/// Every module of one analysis, the resolver that linked them, and the file system they
/// were read from.
#[derive(Debug)]
pub(crate) struct Modules {
    pub root: PathBuf,
    pub fs: Arc<dyn FileSystem>,
    pub resolver: ModuleResolver,
    /// Analyzed modules first, sorted by path (so ids order like paths), then the modules only
    /// reached through imports.
    pub modules: Vec<Module>,
    pub skipped: Vec<SkippedFile>,
    /// Every module's id by its path, and by its path in lower case (see [`Modules::link`]).
    ids: HashMap<PathBuf, ModuleId>,
    ids_by_lowercase: HashMap<String, ModuleId>,
}

impl Modules {
    /// Reads, parses and collects every TypeScript/JavaScript file of `files` (relative to
    /// `root`) that lies in `[frontend].roots`, then resolves every import.
    pub fn load(
        fs: Arc<dyn FileSystem>,
        root: &Path,
        files: &[PathBuf],
        config: &FrontendConfig,
    ) -> Self {
        // As resolvers spell paths: absolute, without `..`.
        let root = commerce_project::lexically_normal(
            &std::path::absolute(root).unwrap_or_else(|_| root.to_path_buf()),
        );
        let sources = frontend_sources(files, config);
        let loaded: Vec<(Module, Option<SkippedFile>)> = sources
            .par_iter()
            .map(|path| load_module(&*fs, &root, path))
            .collect();
        let (mut modules, skipped): (Vec<Module>, Vec<Option<SkippedFile>>) =
            loaded.into_iter().unzip();
        let setup = resolver_setup(&root, files, config, &modules);
        let resolver = ModuleResolver::new(fs.clone(), &setup);
        let resolutions = resolve_all(&resolver, &root, &mut modules);
        let ids = modules
            .iter()
            .enumerate()
            .map(|(id, module)| (module.path.clone(), id))
            .collect();
        let ids_by_lowercase = modules
            .iter()
            .enumerate()
            .map(|(id, module)| (lowercase(&module.path), id))
            .collect();
        let mut loaded = Self {
            root,
            fs,
            resolver,
            modules,
            skipped: skipped.into_iter().flatten().collect(),
            ids,
            ids_by_lowercase,
        };
        for (id, resolutions) in resolutions.into_iter().enumerate() {
            loaded.link(id, resolutions);
        }
        loaded
    }

    /// The id of the analyzed module at `path` (project-relative).
    pub fn analyzed(&self, path: &Path) -> Option<ModuleId> {
        let id = *self.ids.get(path)?;
        (!matches!(self.modules[id].source, Source::NotAnalyzed)).then_some(id)
    }

    /// Reads, parses and resolves the analyzed module `id` again (its file changed), keeping
    /// every other module as it is. Returns what the module was before.
    pub fn reload(&mut self, id: ModuleId) -> Module {
        let path = self.modules[id].path.clone();
        let (mut module, skipped) = load_module(&*self.fs, &self.root, &path);
        self.skipped.retain(|file| file.path != path);
        self.skipped.extend(skipped);
        let resolutions = resolve_module(&self.resolver, &self.root, &mut module);
        let previous = std::mem::replace(&mut self.modules[id], module);
        self.link(id, resolutions);
        previous
    }

    pub fn absolute(&self, path: &Path) -> PathBuf {
        self.root.join(path)
    }

    /// The current text of a module, for fixes that need more than ranges.
    pub fn text(&self, module: ModuleId) -> Option<String> {
        let path = self.absolute(&self.modules[module].path);
        self.fs.read_to_string(&path).ok()
    }

    /// Turns the resolved paths of module `id`'s imports into module ids, adding a node for
    /// every project module reached only through imports.
    ///
    /// On a case-insensitive file system `./Button` finds `button.tsx`; the import works there
    /// and fails everywhere else (CI), so a path that matches a module only when case is
    /// ignored is unresolved.
    ///
    /// A `.d.ts` file that only declares `declare module "name"` is not a module: a bare
    /// `baseUrl` lookup may land on it, but the import names the package it describes.
    fn link(&mut self, id: ModuleId, resolutions: Vec<Resolution>) {
        let specifiers: Vec<String> = self.modules[id].facts().map_or_else(Vec::new, |facts| {
            facts
                .imports
                .iter()
                .map(|import| import.specifier.clone())
                .collect()
        });
        let targets = resolutions
            .into_iter()
            .zip(&specifiers)
            .map(|(resolution, specifier)| match resolution {
                Resolution::Module(path) if self.only_declares(&path, specifier) => {
                    Target::External
                }
                Resolution::Module(path) => {
                    let relative = path
                        .strip_prefix(&self.root)
                        .map_or_else(|_| path.clone(), Path::to_path_buf);
                    let case_only = (!self.ids.contains_key(&relative))
                        .then(|| self.ids_by_lowercase.get(&lowercase(&relative)))
                        .flatten();
                    match case_only {
                        Some(&actual) => {
                            Target::Unresolved(case_mismatch(&self.modules[actual].path))
                        }
                        None => Target::Module(self.module_id(relative)),
                    }
                }
                Resolution::Asset(_) => Target::Asset,
                Resolution::External => Target::External,
                Resolution::Unresolved(reason) => Target::Unresolved(reason),
            })
            .collect();
        self.modules[id].targets = targets;
    }

    /// Whether the analyzed file at `path` (absolute) is a declaration file whose only
    /// content for `specifier` is a `declare module "<specifier>"` block.
    fn only_declares(&self, path: &Path, specifier: &str) -> bool {
        let is_declaration = path
            .file_name()
            .and_then(|name| name.to_str())
            .is_some_and(|name| name.ends_with(".d.ts"));
        let relative = path.strip_prefix(&self.root).unwrap_or(path);
        is_declaration
            && self
                .ids
                .get(relative)
                .and_then(|&target| self.modules[target].facts())
                .is_some_and(|facts| {
                    facts.exports.is_empty()
                        && facts.ambient_modules.iter().any(|name| name == specifier)
                })
    }

    fn module_id(&mut self, path: PathBuf) -> ModuleId {
        if let Some(id) = self.ids.get(&path) {
            return *id;
        }
        let id = self.modules.len();
        self.ids.insert(path.clone(), id);
        self.modules.push(Module {
            dialect: Dialect::of(&path).unwrap_or(Dialect::TypeScript),
            path,
            source: Source::NotAnalyzed,
            targets: Vec::new(),
            keeps_imports: false,
        });
        id
    }
}

fn lowercase(path: &Path) -> String {
    path.to_string_lossy().to_lowercase()
}

fn case_mismatch(actual: &Path) -> String {
    format!(
        "the file is `{}`: the path differs only in case, which works only on case-insensitive file systems",
        crate::display_path(actual)
    )
}

/// The files to analyze: TypeScript/JavaScript sources inside the configured roots (all of
/// the project when none are configured), never inside `node_modules`, sorted, once each.
fn frontend_sources(files: &[PathBuf], config: &FrontendConfig) -> Vec<PathBuf> {
    let sources: BTreeSet<PathBuf> = files
        .iter()
        .filter(|path| is_analyzed_source(path, config))
        .cloned()
        .collect();
    sources.into_iter().collect()
}

/// Whether the project file `path` is one of the sources [`Modules::load`] analyzes.
pub fn is_analyzed_source(path: &Path, config: &FrontendConfig) -> bool {
    crate::parse::is_frontend_source(path)
        && (config.roots.is_empty() || config.roots.iter().any(|root| path.starts_with(root)))
        && !path
            .components()
            .any(|component| component.as_os_str() == "node_modules")
}

/// Reads and parses one file. A file that cannot be read, is not UTF-8 or is larger than the
/// inventory's limit is skipped and returned as such; one that does not parse is kept, with
/// its error, as a node without imports.
fn load_module(fs: &dyn FileSystem, root: &Path, path: &Path) -> (Module, Option<SkippedFile>) {
    let dialect = Dialect::of(path).unwrap_or(Dialect::TypeScript);
    let (source, skipped) = match read_source(fs, &root.join(path)) {
        Ok(text) => match parse_module(path, &text) {
            Ok(parsed) => (Source::Parsed(Box::new(collect(&parsed))), None),
            Err(error) => (Source::ParseError(error), None),
        },
        Err(reason) => (
            Source::Skipped,
            Some(SkippedFile {
                path: path.to_path_buf(),
                reason,
            }),
        ),
    };
    let module = Module {
        path: path.to_path_buf(),
        dialect,
        source,
        targets: Vec::new(),
        keeps_imports: false,
    };
    (module, skipped)
}

fn read_source(fs: &dyn FileSystem, path: &Path) -> Result<String, SkipReason> {
    let unreadable = |error: std::io::Error| SkipReason::Unreadable(error.to_string());
    let bytes = fs.file_len(path).map_err(unreadable)?;
    if bytes > DEFAULT_MAX_FILE_BYTES {
        return Err(SkipReason::TooLarge {
            bytes,
            limit: DEFAULT_MAX_FILE_BYTES,
        });
    }
    let contents = fs.read(path).map_err(unreadable)?;
    String::from_utf8(contents).map_err(|_| SkipReason::NotUtf8)
}

fn resolver_setup<'a>(
    root: &'a Path,
    files: &[PathBuf],
    config: &'a FrontendConfig,
    modules: &[Module],
) -> ResolverSetup<'a> {
    let mut package_dirs = BTreeSet::new();
    for file in files {
        for dir in root.join(file).ancestors().skip(1) {
            if !dir.starts_with(root) || !package_dirs.insert(dir.to_path_buf()) {
                break;
            }
        }
    }
    let mut workspace_roots = vec![root.to_path_buf()];
    workspace_roots.extend(config.roots.iter().map(|dir| root.join(dir)));
    let ambient_modules = modules
        .iter()
        .filter_map(Module::facts)
        .flat_map(|facts| facts.ambient_modules.iter().cloned())
        .collect();
    ResolverSetup {
        root,
        tsconfig: config.tsconfig.as_deref().map(Path::new),
        workspace_roots,
        package_dirs,
        ambient_modules,
    }
}

/// Resolves every import of every parsed module, in parallel.
fn resolve_all(
    resolver: &ModuleResolver,
    root: &Path,
    modules: &mut [Module],
) -> Vec<Vec<Resolution>> {
    modules
        .par_iter_mut()
        .map(|module| resolve_module(resolver, root, module))
        .collect()
}

/// Resolves every import of `module`; also records whether its tsconfig keeps imports.
fn resolve_module(resolver: &ModuleResolver, root: &Path, module: &mut Module) -> Vec<Resolution> {
    let Some(facts) = module.facts() else {
        return Vec::new();
    };
    let file = root.join(&module.path);
    let resolutions = facts
        .imports
        .iter()
        .map(|import| resolver.resolve(&file, &import.specifier))
        .collect();
    module.keeps_imports = module.dialect.is_typescript() && resolver.keeps_imports(&file);
    resolutions
}
