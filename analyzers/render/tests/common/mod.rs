//! What the fixture tests share: loading a fixture app, rendering its routes with real Node
//! workers and its own packages, and the outputs in a shape that does not vary between runs.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use commerce_diagnostics::render::{Sources, Summary, json};
use commerce_frontend::{FrontendIndex, Route, routes_table};
use commerce_project::{FileSystem, MemoryFs, OsFs, Project, inventory};
use commerce_render::{RenderInput, RenderOutcome, render_routes};

/// `fixtures/<name>`, absolute.
pub fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../fixtures")
        .join(name)
        .canonicalize()
        .unwrap_or_else(|error| panic!("fixtures/{name} exists: {error}"))
}

/// Fails (never skips) when Node or one of the fixture's `packages` is missing, saying how to
/// get them.
pub fn require_node_and_packages(root: &Path, packages: &[&str]) {
    if let Err(why) = commerce_render::pool::find_node() {
        panic!("{why}: install Node.js 18 or newer (https://nodejs.org/en/download), then re-run");
    }
    for package in packages {
        assert!(
            root.join("node_modules")
                .join(package)
                .join("package.json")
                .is_file(),
            "the fixture's packages are not installed ({package} is missing): run `bash scripts/install-deps.sh` (npm ci in {})",
            root.display()
        );
    }
}

pub struct Rendered {
    pub routes: Vec<Route>,
    pub outcome: RenderOutcome,
}

/// Every route of the app at `root` rendered, seen through `fs`.
pub fn render_app(fs: Arc<dyn FileSystem>, root: &Path) -> Rendered {
    let project = Project::load(root).expect("the fixture's commerce.toml loads");
    let files = inventory(fs.as_ref(), root, &[]).files;
    let index = FrontendIndex::load(Arc::clone(&fs), root, &files, &project.config().frontend);
    let outcome = render_routes(RenderInput {
        fs: fs.as_ref(),
        root,
        routes: index.routes(),
        resolver: index.resolver(),
        config: &project.config().frontend.render,
    });
    let mut routes = index.routes().to_vec();
    outcome.apply(&mut routes);
    Rendered { routes, outcome }
}

/// The fixture rendered from disk, after checking Node and its `packages` are there.
pub fn render_fixture(name: &str, packages: &[&str]) -> (Rendered, PathBuf) {
    let root = fixture(name);
    require_node_and_packages(&root, packages);
    (render_app(Arc::new(OsFs), &root), root)
}

/// The route table with the times zeroed: they vary from run to run, the table's shape does not.
pub fn stable_table(routes: &mut [Route]) -> String {
    for route in routes.iter_mut() {
        if let Some(render) = &mut route.render {
            render.ms = 0;
        }
    }
    routes_table(routes)
}

/// The findings as JSON with only the project's frames: React's and Node's own differ between
/// their versions.
pub fn stable_findings(outcome: &RenderOutcome, root: &Path) -> serde_json::Value {
    let mut sources = Sources::default();
    for diagnostic in &outcome.diagnostics {
        let text = std::fs::read_to_string(root.join(&diagnostic.path)).expect("a project file");
        sources.insert(diagnostic.path.clone(), text);
    }
    let mut findings = json::render(
        &outcome.diagnostics,
        &sources,
        &Summary::of(&outcome.diagnostics, 0, std::time::Duration::ZERO),
    );
    for diagnostic in findings["diagnostics"].as_array_mut().expect("a list") {
        let stack = diagnostic["data"]["stack"].as_array_mut().expect("a stack");
        stack.retain(|frame| {
            let file = frame["file"].as_str().unwrap_or_default();
            !file.starts_with('/') && !file.contains("node_modules")
        });
    }
    findings["diagnostics"].take()
}

/// The fixture rendered through a file system where its node_modules does not exist.
pub fn render_without_node_modules(name: &str) -> RenderOutcome {
    let root = fixture(name);
    let fs: Arc<dyn FileSystem> = Arc::new(without_node_modules(&root));
    render_app(fs, &root).outcome
}

/// The fixture at `root` as a file system where node_modules does not exist.
fn without_node_modules(root: &Path) -> MemoryFs {
    let mut memory = MemoryFs::new();
    copy_without_node_modules(root, &mut memory);
    memory
}

fn copy_without_node_modules(dir: &Path, memory: &mut MemoryFs) {
    for entry in std::fs::read_dir(dir).expect("a readable directory") {
        let path = entry.expect("an entry").path();
        if path.file_name().is_some_and(|name| name == "node_modules") {
            continue;
        }
        if path.is_dir() {
            copy_without_node_modules(&path, memory);
        } else {
            let contents = std::fs::read(&path).expect("a readable file");
            memory.insert(&path, contents);
        }
    }
}
