//! The transpiler never panics, whatever the text: every fixture source, mutated at random
//! (cuts, duplicated slices, inserted tokens), transpiles or returns a syntax error.

use std::path::{Path, PathBuf};

use commerce_render::transpile::transpile;
use proptest::prelude::*;

fn sources() -> Vec<(PathBuf, String)> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/render-shop");
    let mut found = Vec::new();
    let mut dirs = vec![root];
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(&dir).expect("a readable directory") {
            let path = entry.expect("an entry").path();
            if path.file_name().is_some_and(|name| name == "node_modules") {
                continue;
            }
            if path.is_dir() {
                dirs.push(path);
            } else if path
                .extension()
                .is_some_and(|extension| extension == "tsx" || extension == "ts")
            {
                let text = std::fs::read_to_string(&path).expect("UTF-8");
                found.push((path, text));
            }
        }
    }
    found.sort();
    assert!(found.len() >= 10, "the fixture's sources: {found:?}");
    found
}

/// One edit: cut `len` bytes at `at`, or insert a token there.
#[derive(Clone, Debug)]
enum Mutation {
    Cut { at: usize, len: usize },
    Insert { at: usize, token: &'static str },
    Repeat { at: usize, len: usize },
}

const TOKENS: &[&str] = &[
    "<",
    ">",
    "</",
    "/>",
    "{",
    "}",
    "(",
    ")",
    "=>",
    "async ",
    "await ",
    "export default ",
    "import ",
    "\"",
    "'",
    "`",
    "${",
    "as ",
    ": ",
    "<T,>",
    "enum E { A }",
    "namespace N {}",
    "@decorator ",
    "\u{feff}",
    "é",
    "\u{1F600}",
    "\n",
    ";",
    "...",
    "?.",
    "??",
    "#private",
];

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        (any::<usize>(), 1usize..40).prop_map(|(at, len)| Mutation::Cut { at, len }),
        (any::<usize>(), proptest::sample::select(TOKENS))
            .prop_map(|(at, token)| Mutation::Insert { at, token }),
        (any::<usize>(), 1usize..40).prop_map(|(at, len)| Mutation::Repeat { at, len }),
    ]
}

fn apply(text: &str, mutation: &Mutation) -> String {
    let boundary = |at: usize| {
        let mut at = at % (text.len() + 1);
        while !text.is_char_boundary(at) {
            at -= 1;
        }
        at
    };
    match mutation {
        Mutation::Cut { at, len } => {
            let start = boundary(*at);
            let end = boundary(start.saturating_add(*len).min(text.len()));
            format!("{}{}", &text[..start], &text[end.max(start)..])
        }
        Mutation::Insert { at, token } => {
            let at = boundary(*at);
            format!("{}{token}{}", &text[..at], &text[at..])
        }
        Mutation::Repeat { at, len } => {
            let start = boundary(*at);
            let end = boundary(start.saturating_add(*len).min(text.len())).max(start);
            format!("{}{}", &text[..end], &text[start..])
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn mutated_sources_transpile_or_fail_with_a_position(
        file in any::<prop::sample::Index>(),
        mutations in prop::collection::vec(mutation(), 1..6),
    ) {
        let sources = sources();
        let (path, text) = &sources[file.index(sources.len())];
        let mutated = mutations.iter().fold(text.clone(), |text, mutation| apply(&text, mutation));
        match transpile(path, &mutated) {
            Ok(transpiled) => prop_assert!(!transpiled.code.is_empty() || mutated.trim().is_empty()),
            Err(error) => prop_assert!(error.line >= 1 && error.column >= 1, "{error}"),
        }
    }
}
