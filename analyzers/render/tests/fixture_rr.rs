//! The render step end to end on `fixtures/render-rr`: a React Router 7 framework-mode app
//! (`app/root.tsx` with its `Layout`, `app/routes.ts`) with a healthy route whose loader runs,
//! a page that throws, a hook outside its provider, a loader that fetches, one that needs
//! its server's load context and a route importing `cloudflare:workers`, rendered by real
//! Node workers with the fixture's own React and react-router (installed by
//! `scripts/install-deps.sh`).

mod common;

use common::{
    Rendered, render_fixture, render_without_node_modules, stable_findings, stable_table,
};

const PACKAGES: [&str; 3] = ["react", "react-dom", "react-router"];

#[test]
fn each_route_renders_inside_root_and_the_planted_failures_are_named_at_their_lines() {
    let (
        Rendered {
            mut routes,
            outcome,
        },
        root,
    ) = render_fixture("render-rr", &PACKAGES);
    // The loader that needs its server's load context is said, not failed.
    assert_eq!(
        outcome.notices,
        [
            "render skipped for `/account`: its loader threw TypeError: Cannot read properties of undefined (reading 'customer') at app/routes/account.tsx:6; a loader that needs its server's load context (a database, platform bindings) cannot run here",
            "render skipped for `/edge`: it imports `cloudflare:workers`, which only the Cloudflare Workers runtime provides; Node cannot load it",
        ]
    );
    // Every other page of the table rendered (the root layout renders with each of them).
    let pages = routes
        .iter()
        .filter(|route| route.file.starts_with("app/routes"))
        .count();
    assert_eq!(outcome.rendered.len(), pages - 2);
    insta::assert_snapshot!("routes_table", stable_table(&mut routes));
    insta::assert_json_snapshot!("findings", stable_findings(&outcome, &root));
}

#[test]
fn without_react_router_installed_the_notice_names_it() {
    let outcome = render_without_node_modules("render-rr");
    assert!(outcome.rendered.is_empty());
    assert_eq!(
        outcome.notices,
        [
            "render skipped for the routes under `.`: react, react-dom and react-router are not installed there; run `npm ci` (or `pnpm install`, `yarn install`) in `.`"
        ]
    );
}
