//! The render step end to end on `fixtures/render-shop`: a Next.js app-router storefront with
//! a planted failure of each class, rendered by real Node workers with the fixture's own React
//! (installed by `scripts/install-deps.sh`).

use std::path::{Path, PathBuf};
use std::sync::Arc;

use commerce_diagnostics::render::{Sources, Summary, json};
use commerce_frontend::{FrontendIndex, Route, routes_table};
use commerce_project::{FileSystem, OsFs, Project, inventory};
use commerce_render::{RenderInput, RenderOutcome, render_routes};

fn fixture() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../fixtures/render-shop")
        .canonicalize()
        .expect("fixtures/render-shop exists")
}

/// Fails (never skips) when Node or the fixture's packages are missing, saying how to get them.
fn require_node_and_packages(root: &Path) {
    if let Err(why) = commerce_render::pool::find_node() {
        panic!("{why}: install Node.js 18 or newer (https://nodejs.org/en/download), then re-run");
    }
    assert!(
        root.join("node_modules/react-dom/package.json").is_file(),
        "the fixture's packages are not installed: run `bash scripts/install-deps.sh` (npm ci in fixtures/render-shop)"
    );
}

struct Rendered {
    routes: Vec<Route>,
    outcome: RenderOutcome,
    root: PathBuf,
}

fn render_fixture() -> Rendered {
    let root = fixture();
    require_node_and_packages(&root);
    let project = Project::load(&root).expect("the fixture's commerce.toml loads");
    let fs: Arc<dyn FileSystem> = Arc::new(OsFs);
    let files = inventory(fs.as_ref(), &root, &[]).files;
    let index = FrontendIndex::load(Arc::clone(&fs), &root, &files, &project.config().frontend);
    let outcome = render_routes(RenderInput {
        fs: fs.as_ref(),
        root: &root,
        routes: index.routes(),
        resolver: index.resolver(),
        config: &project.config().frontend.render,
    });
    let mut routes = index.routes().to_vec();
    outcome.apply(&mut routes);
    Rendered {
        routes,
        outcome,
        root,
    }
}

#[test]
fn every_planted_failure_is_named_at_its_line_and_healthy_routes_render() {
    let Rendered {
        mut routes,
        outcome,
        root,
    } = render_fixture();
    assert!(outcome.notices.is_empty(), "{:?}", outcome.notices);
    // Times vary from run to run; the table's shape does not.
    for route in &mut routes {
        if let Some(render) = &mut route.render {
            render.ms = 0;
        }
    }
    insta::assert_snapshot!("routes_table", routes_table(&routes));

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
    // Only the project's frames: React's and Node's own differ between their versions.
    for diagnostic in findings["diagnostics"].as_array_mut().expect("a list") {
        let stack = diagnostic["data"]["stack"].as_array_mut().expect("a stack");
        stack.retain(|frame| {
            let file = frame["file"].as_str().unwrap_or_default();
            !file.starts_with('/') && !file.contains("node_modules")
        });
    }
    insta::assert_json_snapshot!("findings", findings["diagnostics"]);
}

#[test]
fn without_the_apps_packages_nothing_renders_and_the_notice_says_how_to_install() {
    let root = fixture();
    let project = Project::load(&root).expect("the fixture's commerce.toml loads");
    // The same project seen through a file system where node_modules does not exist.
    let mut memory = commerce_project::MemoryFs::new();
    copy_without_node_modules(&root, &mut memory);
    let fs: Arc<dyn FileSystem> = Arc::new(memory);
    let files = inventory(fs.as_ref(), &root, &[]).files;
    let index = FrontendIndex::load(Arc::clone(&fs), &root, &files, &project.config().frontend);
    let outcome = render_routes(RenderInput {
        fs: fs.as_ref(),
        root: &root,
        routes: index.routes(),
        resolver: index.resolver(),
        config: &project.config().frontend.render,
    });
    assert!(outcome.rendered.is_empty());
    assert!(outcome.diagnostics.is_empty());
    assert_eq!(
        outcome.notices,
        [
            "render skipped for the routes under `.`: react and react-dom are not installed there; run `npm ci` (or `pnpm install`, `yarn install`) in `.`"
        ]
    );
}

fn copy_without_node_modules(dir: &Path, memory: &mut commerce_project::MemoryFs) {
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
