//! The render step end to end on `fixtures/render-shop`: a Next.js app-router storefront with
//! a planted failure of each class, rendered by real Node workers with the fixture's own React
//! (installed by `scripts/install-deps.sh`).

mod common;

use common::{
    Rendered, render_fixture, render_without_node_modules, stable_findings, stable_table,
};

#[test]
fn every_planted_failure_is_named_at_its_line_and_healthy_routes_render() {
    let (
        Rendered {
            mut routes,
            outcome,
        },
        root,
    ) = render_fixture("render-shop", &["react", "react-dom"]);
    assert!(outcome.notices.is_empty(), "{:?}", outcome.notices);
    insta::assert_snapshot!("routes_table", stable_table(&mut routes));
    insta::assert_json_snapshot!("findings", stable_findings(&outcome, &root));
}

#[test]
fn without_the_apps_packages_nothing_renders_and_the_notice_says_how_to_install() {
    let outcome = render_without_node_modules("render-shop");
    assert!(outcome.rendered.is_empty());
    assert!(outcome.diagnostics.is_empty());
    assert_eq!(
        outcome.notices,
        [
            "render skipped for the routes under `.`: react and react-dom are not installed there; run `npm ci` (or `pnpm install`, `yarn install`) in `.`"
        ]
    );
}
