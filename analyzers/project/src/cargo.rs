//! Where a Cargo project's Rust sources lie, read from its root manifest without running cargo
//! (a check must not build anything): analyzers that read Rust files list only these places.

use std::path::{Path, PathBuf};

use crate::fs::FileSystem;

/// The project-relative places that hold the Rust files Cargo builds for the project at
/// `root`: the root package's `src`, `tests`, `benches`, `examples`, `build.rs` and the
/// directories of targets with an explicit `path`, and each workspace member (a member glob's
/// part before its first wildcard). `None` when there is no root `Cargo.toml`, it does not
/// parse, or a member is a wildcard from the start: Rust files may then be anywhere.
pub fn rust_places(fs: &dyn FileSystem, root: &Path) -> Option<Vec<PathBuf>> {
    let text = fs.read_to_string(&root.join("Cargo.toml")).ok()?;
    let manifest: toml::Table = text.parse().ok()?;
    let mut places = Vec::new();
    if manifest.contains_key("package") {
        places.extend(
            ["src", "tests", "benches", "examples", "build.rs"]
                .into_iter()
                .map(PathBuf::from),
        );
        for kind in ["lib", "bin", "test", "bench", "example"] {
            let targets = match manifest.get(kind) {
                Some(toml::Value::Table(target)) => vec![target],
                Some(toml::Value::Array(targets)) => {
                    targets.iter().filter_map(toml::Value::as_table).collect()
                }
                _ => Vec::new(),
            };
            let paths = targets
                .into_iter()
                .filter_map(|target| target.get("path")?.as_str());
            places.extend(paths.map(|path| {
                Path::new(path)
                    .parent()
                    .filter(|parent| !parent.as_os_str().is_empty())
                    .map_or_else(|| PathBuf::from(path), Path::to_path_buf)
            }));
        }
        if let Some(build) = manifest
            .get("package")
            .and_then(|package| package.get("build"))
            .and_then(toml::Value::as_str)
        {
            places.push(PathBuf::from(build));
        }
    }
    let members = manifest
        .get("workspace")
        .and_then(|workspace| workspace.get("members"))
        .and_then(toml::Value::as_array);
    for member in members
        .into_iter()
        .flatten()
        .filter_map(toml::Value::as_str)
    {
        let literal = crate::glob_literal_prefix(member);
        if literal.as_os_str().is_empty() {
            return None;
        }
        places.push(literal);
    }
    if places.is_empty() {
        return None;
    }
    places.sort();
    places.dedup();
    Some(places)
}

/// Whether the project-relative `path` lies in one of `places` (everywhere when `None`).
pub fn is_in_places(path: &Path, places: Option<&[PathBuf]>) -> bool {
    places.is_none_or(|places| places.iter().any(|place| path.starts_with(place)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::MemoryFs;

    fn places(manifest: &str) -> Option<Vec<String>> {
        let fs = MemoryFs::new().with_file("/p/Cargo.toml", manifest);
        rust_places(&fs, Path::new("/p")).map(|places| {
            places
                .iter()
                .map(|place| place.display().to_string())
                .collect()
        })
    }

    #[test]
    fn a_package_with_workspace_members_is_its_target_dirs_and_the_members() {
        let manifest = "[package]\nname = \"shop\"\nbuild = \"tools/build.rs\"\n\n[[bin]]\nname = \"job\"\npath = \"jobs/main.rs\"\n\n[workspace]\nmembers = [\"crates/*\", \"admin\"]\n";
        assert_eq!(
            places(manifest).expect("known places"),
            [
                "admin",
                "benches",
                "build.rs",
                "crates",
                "examples",
                "jobs",
                "src",
                "tests",
                "tools/build.rs"
            ]
        );
    }

    #[test]
    fn no_manifest_a_broken_one_or_a_wildcard_member_means_anywhere() {
        assert_eq!(rust_places(&MemoryFs::new(), Path::new("/p")), None);
        assert_eq!(places("[package\n"), None);
        assert_eq!(places("[workspace]\nmembers = [\"*\"]\n"), None);
        assert_eq!(places("[workspace]\n"), None);
        assert!(is_in_places(
            Path::new("crates/a/src/lib.rs"),
            Some(&[PathBuf::from("crates")])
        ));
        assert!(!is_in_places(
            Path::new("fixtures/a.rs"),
            Some(&[PathBuf::from("crates")])
        ));
        assert!(is_in_places(Path::new("fixtures/a.rs"), None));
    }
}
