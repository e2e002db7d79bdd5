//! Which TypeScript/JavaScript files are tests.

use std::path::{Component, Path};

use commerce_frontend::is_frontend_source;

/// The `.<marker>.` a test file's name carries before its extension: Jest/Vitest/Mocha
/// (`cart.test.ts`), Jasmine/Playwright/Angular (`checkout.spec.tsx`) and Cypress
/// (`login.cy.js`).
const NAME_MARKERS: [&str; 3] = ["test", "spec", "cy"];

/// Directories whose TypeScript/JavaScript files are all tests, whatever their names: Jest's
/// `__tests__`, the conventional `test`/`tests`, and end-to-end suites.
const TEST_DIRECTORIES: [&str; 5] = ["__tests__", "test", "tests", "e2e", "cypress"];

/// True when `path` (relative to the project root) is a TypeScript/JavaScript test file: a
/// source file (any of the eight extensions) whose name has a `.test.`, `.spec.` or `.cy.` part
/// (`cart.test.ts`, `checkout.spec.tsx`, `login.cy.js`), or which lies under a directory named
/// `__tests__`, `test`, `tests`, `e2e` or `cypress`.
pub fn is_frontend_test_file(path: &Path) -> bool {
    is_frontend_source(path) && (has_test_name(path) || is_under_test_directory(path))
}

/// `cart.test.ts`: a marker between the stem and the extension (not `test.ts` nor
/// `test-utils.ts`).
fn has_test_name(path: &Path) -> bool {
    let Some(name) = path.file_name().and_then(|name| name.to_str()) else {
        return false;
    };
    let parts: Vec<&str> = name.split('.').collect();
    let inner = parts.get(1..parts.len().saturating_sub(1)).unwrap_or(&[]);
    inner.iter().any(|part| NAME_MARKERS.contains(part))
}

fn is_under_test_directory(path: &Path) -> bool {
    let Some(parent) = path.parent() else {
        return false;
    };
    parent.components().any(|component| match component {
        Component::Normal(name) => name
            .to_str()
            .is_some_and(|name| TEST_DIRECTORIES.contains(&name)),
        _ => false,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_directories_that_mark_tests() {
        let tests = [
            "web/src/cart/cart.test.ts",
            "web/src/checkout/checkout.spec.tsx",
            "web/cypress/e2e/login.cy.js",
            "web/src/cart/login.cy.tsx",
            "web/src/__tests__/cart.tsx",
            "web/test/setup.mjs",
            "web/tests/cart.cjs",
            "web/e2e/checkout.ts",
            "cart.test.mts",
            "web/src/legacy.spec.jsx",
        ];
        for path in tests {
            assert!(is_frontend_test_file(Path::new(path)), "{path}");
        }
    }

    #[test]
    fn sources_and_non_scripts_are_not_tests() {
        let not_tests = [
            "web/src/cart/cart.ts",
            "web/src/test.ts",
            "web/src/test-utils.tsx",
            "web/src/contest/entry.ts",
            "web/src/testing/cart.ts",
            "web/tests/fixture.json",
            "web/src/cart.test.ts.snap",
            "backend/tests/api.rs",
            "web/src/cart.test",
        ];
        for path in not_tests {
            assert!(!is_frontend_test_file(Path::new(path)), "{path}");
        }
    }
}
