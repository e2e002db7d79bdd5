//! Hostile text never panics the loader or the diff: random bytes, and real specs mutated at
//! random places (deleted, duplicated or inserted characters).

use std::path::Path;

use commerce_contracts::load::{DEFAULT_MAX_SPEC_BYTES, load_text};
use commerce_contracts::{SourceReader, SpecSource, diff, yaml};
use commerce_project::MemoryFs;
use proptest::prelude::*;

const SPECS: [&str; 2] = [
    include_str!("../../../fixtures/rules/contracts/diff/base.yaml"),
    include_str!("../../../fixtures/rules/contracts/invalid-spec/petstore.yaml"),
];

/// Characters that matter to YAML and JSON structure.
const PIECES: [&str; 14] = [
    ":",
    "-",
    "{",
    "}",
    "[",
    "]",
    "\"",
    "'",
    "\n",
    "  ",
    "&a",
    "*a",
    "$ref: '#/'",
    "é",
];

fn load_and_diff(base: &str, head: &str) {
    let fs = MemoryFs::default();
    let reader = SourceReader {
        fs: &fs,
        root: Path::new("/"),
        max_bytes: DEFAULT_MAX_SPEC_BYTES,
    };
    let load = |text: &str| load_text(&reader, &SpecSource::parse("spec.yaml"), text.to_owned());
    if let (Ok(base), Ok(head)) = (load(base), load(head)) {
        let _ = diff::diff(&base.spec, &head.spec);
        let _ = diff::diff(&head.spec, &base.spec);
    }
}

/// `text` with the byte range at `at` (as a fraction of its length) replaced by `piece`.
fn mutate(text: &str, at: f64, delete: usize, piece: &str) -> String {
    let mut start = ((text.len() as f64) * at) as usize;
    while !text.is_char_boundary(start) {
        start -= 1;
    }
    let mut end = (start + delete).min(text.len());
    while !text.is_char_boundary(end) {
        end += 1;
    }
    format!("{}{piece}{}", &text[..start], &text[end..])
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn any_text_parses_or_errors(text in "\\PC{0,200}") {
        let _ = yaml::parse(&text);
        load_and_diff(&text, &text);
    }

    #[test]
    fn mutated_specs_load_diff_or_error(
        spec in 0..SPECS.len(),
        edits in prop::collection::vec((0.0..1.0f64, 0..8usize, 0..PIECES.len()), 1..6),
    ) {
        let original = SPECS[spec];
        let mut text = original.to_owned();
        for (at, delete, piece) in edits {
            text = mutate(&text, at, delete, PIECES[piece]);
        }
        load_and_diff(original, &text);
    }
}
