//! Doctests. nextest cannot run them, so `cargo test --doc` does, one library at a time (the
//! JSON events do not say which library a doctest belongs to), through the same libtest
//! harness code as the cargo test fallback.

use std::fs;
use std::path::{Path, PathBuf};

use crate::failure::Location;
use crate::libtest::{self, Harness, TestBinary};
use crate::shard::Shard;
use crate::workspace::{Member, TestKind, Workspace};

/// The doctest harnesses of `members`, for the libraries that may hold doctests, by binary id.
pub(crate) fn harnesses<'a>(
    cargo: &Path,
    workspace: &Workspace,
    members: impl IntoIterator<Item = &'a Member>,
) -> Vec<TestBinary> {
    let mut harnesses: Vec<TestBinary> = members
        .into_iter()
        .filter_map(|member| {
            let library = member
                .targets
                .iter()
                .find(|target| matches!(target.kind, TestKind::Lib | TestKind::ProcMacro))?;
            let sources = workspace.root.join(library.src_path.parent()?);
            may_have_doctests(&sources, &workspace.target_dir).then(|| TestBinary {
                binary_id: libtest::binary_id(&member.name, TestKind::Doctest, &library.name),
                package: member.name.clone(),
                kind: TestKind::Doctest,
                target: library.name.clone(),
                harness: Harness::Doctests {
                    cargo: cargo.to_path_buf(),
                },
                cwd: workspace.root.clone(),
            })
        })
        .collect();
    harnesses.sort_by(|a, b| a.binary_id.cmp(&b.binary_id));
    harnesses
}

/// This shard's libraries: doctests cannot be picked one by one (see [`Harness::Doctests`]),
/// so each library's doctests go to one shard, round robin in binary id order.
pub(crate) fn shard_slice(harnesses: Vec<TestBinary>, shard: Shard) -> Vec<TestBinary> {
    harnesses
        .into_iter()
        .enumerate()
        .filter(|(index, _)| *index as u64 % u64::from(shard.total) + 1 == u64::from(shard.index))
        .map(|(_, harness)| harness)
        .collect()
}

/// Whether a library's directory can hold a doctest: a code fence in some `.rs` file, or docs
/// included from another file (`#[doc = include_str!(...)]`). Starting rustdoc on a library
/// without doctests costs a few hundred milliseconds for nothing. The build directory and
/// hidden directories are not sources (a library at the package root would reach them).
fn may_have_doctests(sources: &Path, target_dir: &Path) -> bool {
    let mut pending: Vec<PathBuf> = vec![sources.to_path_buf()];
    while let Some(dir) = pending.pop() {
        let Ok(entries) = fs::read_dir(&dir) else {
            continue;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            let Ok(kind) = entry.file_type() else {
                continue;
            };
            if kind.is_dir() {
                let hidden = entry.file_name().to_string_lossy().starts_with('.');
                if !hidden && path != target_dir {
                    pending.push(path);
                }
            } else if path.extension().is_some_and(|extension| extension == "rs")
                && fs::read_to_string(&path).is_ok_and(|text| {
                    text.contains("```") || text.contains("~~~") || text.contains("include_str!")
                })
            {
                return true;
            }
        }
    }
    false
}

/// Where a doctest is, from its name `<path> - <item> (line N)` (the path relative to the
/// workspace root, the line of the example's opening fence).
pub(crate) fn location(name: &str) -> Option<Location> {
    let (path, rest) = name.split_once(" - ")?;
    let line = rest
        .rsplit_once("(line ")?
        .1
        .strip_suffix(')')?
        .parse()
        .ok()?;
    Some(Location {
        path: path.to_owned(),
        line,
        column: 1,
    })
}

/// The first compiler error of a doctest that does not compile (rustdoc then says "Couldn't
/// compile the test.").
pub(crate) fn compile_error(output: &str) -> Option<String> {
    if !output.contains("Couldn't compile the test") {
        return None;
    }
    let error = output
        .lines()
        .find(|line| line.starts_with("error"))
        .unwrap_or("error");
    Some(format!("the doctest does not compile: {error}"))
}

/// Runs the library's doctests again with the same seed (one cannot be picked by name).
pub(crate) fn replay(package: &str, seed: u64) -> String {
    format!("COMMERCE_SEED={seed} cargo test --doc --package {package}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_doctest_name_says_where_it_is() {
        assert_eq!(
            location("crates/cart/src/lib.rs - total::Cart<T>::add (line 42)"),
            Some(Location {
                path: "crates/cart/src/lib.rs".to_owned(),
                line: 42,
                column: 1
            })
        );
        assert_eq!(location("tests::sums"), None);
    }

    #[test]
    fn a_doctest_that_does_not_compile_says_the_first_error() {
        let output = "error[E0308]: mismatched types\n  --> src/lib.rs:12:14\n\nerror: aborting due to 1 previous error\n\nCouldn't compile the test.";
        assert_eq!(
            compile_error(output).as_deref(),
            Some("the doctest does not compile: error[E0308]: mismatched types")
        );
        assert_eq!(
            compile_error("thread 'main' panicked at src/lib.rs:5:1:"),
            None
        );
    }

    #[test]
    fn libraries_without_code_fences_have_no_doctests() {
        let dir = tempfile::tempdir().expect("tempdir");
        let nested = dir.path().join("cart");
        fs::create_dir_all(&nested).expect("mkdir");
        fs::write(dir.path().join("lib.rs"), "//! A cart.\npub mod cart;\n").expect("write");
        fs::write(nested.join("mod.rs"), "/// Adds.\npub fn add() {}\n").expect("write");
        // Generated sources in the build directory and hidden directories are not the library's.
        let target = dir.path().join("target");
        for generated in [target.join("debug/build/out"), dir.path().join(".git/x")] {
            fs::create_dir_all(&generated).expect("mkdir");
            fs::write(generated.join("gen.rs"), "/// ```\n/// x\n/// ```\n").expect("write");
        }
        let may_have_doctests = |dir: &Path| may_have_doctests(dir, &target);
        assert!(!may_have_doctests(dir.path()));
        fs::write(
            nested.join("mod.rs"),
            "/// ```\n/// cart::add();\n/// ```\npub fn add() {}\n",
        )
        .expect("write");
        assert!(may_have_doctests(dir.path()));
        fs::write(
            nested.join("mod.rs"),
            "#![doc = include_str!(\"README.md\")]\n",
        )
        .expect("write");
        assert!(may_have_doctests(dir.path()));
    }

    #[test]
    fn each_library_goes_to_one_shard() {
        let harness = |name: &str| TestBinary {
            binary_id: format!("{name}::doctest/{name}"),
            package: name.to_owned(),
            kind: TestKind::Doctest,
            target: name.to_owned(),
            harness: Harness::Doctests {
                cargo: PathBuf::from("cargo"),
            },
            cwd: PathBuf::new(),
        };
        let all: Vec<TestBinary> = ["a", "b", "c"].into_iter().map(harness).collect();
        let packages = |index| -> Vec<String> {
            shard_slice(all.clone(), Shard { index, total: 2 })
                .into_iter()
                .map(|harness| harness.package)
                .collect()
        };
        assert_eq!(packages(1), ["a", "c"]);
        assert_eq!(packages(2), ["b"]);
    }
}
