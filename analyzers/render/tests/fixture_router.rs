//! The render step end to end on `fixtures/render-router`: a React Router library-mode app
//! (route objects given to `createBrowserRouter` in `src/router.tsx`, the router rendered by the
//! entry `src/main.tsx` inside a provider) with a nested layout whose children read its outlet
//! context, a loader, a lazy route, a path computed at run time and one page that throws,
//! rendered by real Node workers with the fixture's own React and react-router (installed by
//! `scripts/install-deps.sh`); and on `fixtures/render-router-elements`, a React Router 6 app
//! whose `App` renders `<Routes>` inside the entry's `<BrowserRouter>`.

mod common;

use common::{
    Rendered, render_fixture, render_without_node_modules, stable_findings, stable_table,
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
        .filter(|route| {
            route
                .object
                .as_ref()
                .is_some_and(|object| !object.has_children)
        })
        .count();
    assert_eq!(outcome.rendered.len(), leaves);
    // The path computed at run time (`paths.help`) is the one the router declared.
    assert!(routes.iter().any(|route| route.path == "/help"));
    insta::assert_snapshot!("routes_table", stable_table(&mut routes));
    insta::assert_json_snapshot!("findings", stable_findings(&outcome, &root));
}

#[test]
fn without_the_router_package_installed_the_notice_names_the_one_the_routes_import() {
    let outcome = render_without_node_modules("render-router-elements");
    assert!(outcome.rendered.is_empty());
    assert_eq!(
        outcome.notices,
        [
            "render skipped for the routes under `.`: react, react-dom and react-router-dom are not installed there; run `npm ci` (or `pnpm install`, `yarn install`) in `.`"
        ]
    );
}

#[test]
fn routes_elements_render_inside_the_entrys_router_with_react_router_6() {
    let (
        Rendered {
            mut routes,
            outcome,
        },
        root,
    ) = render_fixture(
        "render-router-elements",
        &["react", "react-dom", "react-router-dom"],
    );
    assert_eq!(outcome.notices, Vec::<String>::new());
    assert_eq!(
        outcome.rendered.len(),
        3,
        "the layout renders with each page"
    );
    insta::assert_snapshot!("elements_routes_table", stable_table(&mut routes));
    // React 18 appends its component stack with absolute paths (the checkout's, the worker's
    // temporary copy): the first line is the message.
    let mut findings = stable_findings(&outcome, &root);
    for finding in findings.as_array_mut().expect("a list") {
        for call in finding["data"]["console"].as_array_mut().expect("a list") {
            let first = call.as_str().and_then(|text| text.lines().next());
            *call = first.unwrap_or_default().into();
        }
    }
    insta::assert_json_snapshot!("elements_findings", findings);
}
