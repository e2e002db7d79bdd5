//! The render step end to end on `fixtures/render-router`: a React Router library-mode app
//! (route objects given to `createBrowserRouter` in `src/router.tsx`, the router rendered by the
//! entry `src/main.tsx` inside a provider) with a nested layout whose children read its outlet
//! context, a loader, a lazy route, a path computed at run time and one page that throws,
//! rendered by real Node workers with the fixture's own React and react-router (installed by
//! `scripts/install-deps.sh`).

mod common;

use std::sync::Arc;

use commerce_project::FileSystem;

use common::{
    Rendered, fixture, render_app, render_fixture, stable_findings, stable_table,
    without_node_modules,
};

const PACKAGES: [&str; 3] = ["react", "react-dom", "react-router"];

#[test]
fn each_route_object_renders_inside_its_parent_routes_and_the_entrys_providers() {
    let (
        Rendered {
            mut routes,
            outcome,
        },
        root,
    ) = render_fixture("render-router", &PACKAGES);
    assert_eq!(outcome.notices, Vec::<String>::new());
    // Every route without children rendered; a layout route renders with each of its children.
    let leaves = routes
        .iter()
        .filter(|route| route.object.as_ref().is_some_and(|object| !object.has_children))
        .count();
    assert_eq!(outcome.rendered.len(), leaves);
    // The path computed at run time (`paths.help`) is the one the router declared.
    assert!(routes.iter().any(|route| route.path == "/help"));
    insta::assert_snapshot!("routes_table", stable_table(&mut routes));
    insta::assert_json_snapshot!("findings", stable_findings(&outcome, &root));
}

#[test]
fn without_react_router_installed_the_notice_names_it() {
    let root = fixture("render-router");
    let fs: Arc<dyn FileSystem> = Arc::new(without_node_modules(&root));
    let Rendered { outcome, .. } = render_app(fs, &root);
    assert!(outcome.rendered.is_empty());
    assert_eq!(
        outcome.notices,
        [
            "render skipped for the routes under `.`: react, react-dom and react-router are not installed there; run `npm ci` (or `pnpm install`, `yarn install`) in `.`"
        ]
    );
}
