use std::fs;
use std::path::{Path, PathBuf};

use commerce_codemods::{ContentHashes, FixError, FixOptions, FixOutcome, fix_all, write_outcome};
use commerce_diagnostics::{Diagnostic, Edit, Fix, Severity, TextRange};
use proptest::prelude::*;

use crate::host::{WordHost, WordRule};

/// Reads `paths` under `root`, records their hashes and fixes every `foo` into `bar`.
fn analyse(root: &Path, paths: &[&str]) -> (FixOutcome, ContentHashes) {
    let mut hashes = ContentHashes::default();
    let sources = paths
        .iter()
        .map(|path| {
            let text = fs::read_to_string(root.join(path)).unwrap();
            hashes.record(Path::new(path), text.as_bytes());
            (PathBuf::from(path), text)
        })
        .collect();
    let mut host = WordHost::new(vec![WordRule::safe("demo/foo", "foo", "bar")], &sources);
    let diagnostics = host.analyse_all();
    let outcome = fix_all(sources, &diagnostics, &mut host, &FixOptions::default()).unwrap();
    (outcome, hashes)
}

fn write_files(root: &Path, files: &[(&str, &str)]) {
    for (path, text) in files {
        let path = root.join(path);
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        fs::write(path, text).unwrap();
    }
}

fn read(root: &Path, path: &str) -> String {
    fs::read_to_string(root.join(path)).unwrap()
}

fn read_all(root: &Path, paths: &[&str]) -> Vec<Vec<u8>> {
    paths
        .iter()
        .map(|path| fs::read(root.join(path)).unwrap())
        .collect()
}

#[test]
fn writes_changed_files_only() {
    let dir = tempfile::tempdir().unwrap();
    write_files(dir.path(), &[("src/a.ts", "foo()"), ("src/b.ts", "clean")]);
    let (outcome, hashes) = analyse(dir.path(), &["src/a.ts", "src/b.ts"]);

    let report = write_outcome(dir.path(), &outcome, &hashes).unwrap();

    assert_eq!(report.written, [PathBuf::from("src/a.ts")]);
    assert_eq!(read(dir.path(), "src/a.ts"), "bar()");
    assert_eq!(read(dir.path(), "src/b.ts"), "clean");
    let leftovers = fs::read_dir(dir.path().join("src")).unwrap().count();
    assert_eq!(leftovers, 2, "a temporary file was left behind");
}

#[cfg(unix)]
#[test]
fn keeps_the_original_permissions() {
    use std::os::unix::fs::PermissionsExt;

    let dir = tempfile::tempdir().unwrap();
    write_files(dir.path(), &[("run.sh", "foo")]);
    let script = dir.path().join("run.sh");
    fs::set_permissions(&script, fs::Permissions::from_mode(0o750)).unwrap();
    let (outcome, hashes) = analyse(dir.path(), &["run.sh"]);

    write_outcome(dir.path(), &outcome, &hashes).unwrap();

    let mode = fs::metadata(&script).unwrap().permissions().mode();
    assert_eq!(mode & 0o777, 0o750);
    assert_eq!(read(dir.path(), "run.sh"), "bar");
}

#[test]
fn a_file_changed_since_analysis_stops_the_whole_write() {
    let dir = tempfile::tempdir().unwrap();
    write_files(dir.path(), &[("a.ts", "foo"), ("b.ts", "foo")]);
    let (outcome, hashes) = analyse(dir.path(), &["a.ts", "b.ts"]);
    fs::write(dir.path().join("b.ts"), "foo // edited meanwhile").unwrap();

    let error = write_outcome(dir.path(), &outcome, &hashes).unwrap_err();

    assert!(matches!(&error, FixError::FileChanged { path } if path == Path::new("b.ts")));
    assert_eq!(
        error.to_string(),
        "b.ts changed since it was analysed; re-run the check"
    );
    assert_eq!(
        read(dir.path(), "a.ts"),
        "foo",
        "a.ts was written before b.ts was checked"
    );
}

#[test]
fn a_file_deleted_since_analysis_counts_as_changed() {
    let dir = tempfile::tempdir().unwrap();
    write_files(dir.path(), &[("a.ts", "foo")]);
    let (outcome, hashes) = analyse(dir.path(), &["a.ts"]);
    fs::remove_file(dir.path().join("a.ts")).unwrap();

    let error = write_outcome(dir.path(), &outcome, &hashes).unwrap_err();

    assert!(matches!(error, FixError::FileChanged { .. }), "{error:?}");
}

#[test]
fn a_file_without_a_recorded_hash_is_not_written() {
    let dir = tempfile::tempdir().unwrap();
    write_files(dir.path(), &[("a.ts", "foo")]);
    let (outcome, _) = analyse(dir.path(), &["a.ts"]);

    let error = write_outcome(dir.path(), &outcome, &ContentHashes::default()).unwrap_err();

    assert!(matches!(error, FixError::NotAnalysed { .. }), "{error:?}");
    assert_eq!(read(dir.path(), "a.ts"), "foo");
}

#[test]
fn paths_leaving_the_root_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    write_files(
        dir.path(),
        &[("outside.ts", "foo"), ("project/a.ts", "foo")],
    );
    let root = dir.path().join("project");
    let absolute = dir.path().join("outside.ts");
    let absolute = absolute.to_str().unwrap();

    for escaping in ["../outside.ts", "./../outside.ts", absolute] {
        let (outcome, hashes) = analyse(&root, &["a.ts", escaping]);
        let error = write_outcome(&root, &outcome, &hashes).unwrap_err();
        assert!(
            matches!(error, FixError::OutsideRoot { .. }),
            "{escaping}: {error:?}"
        );
        assert_eq!(read(dir.path(), "outside.ts"), "foo");
        assert_eq!(read(&root, "a.ts"), "foo");
    }
}

#[cfg(unix)]
#[test]
fn a_symlink_leading_out_of_the_root_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    write_files(
        dir.path(),
        &[("outside.ts", "foo"), ("project/a.ts", "foo")],
    );
    let root = dir.path().join("project");
    std::os::unix::fs::symlink(dir.path().join("outside.ts"), root.join("link.ts")).unwrap();
    let (outcome, hashes) = analyse(&root, &["a.ts", "link.ts"]);

    let error = write_outcome(&root, &outcome, &hashes).unwrap_err();

    assert!(matches!(error, FixError::OutsideRoot { .. }), "{error:?}");
    assert_eq!(read(dir.path(), "outside.ts"), "foo");
    assert_eq!(read(&root, "a.ts"), "foo");
}

#[cfg(unix)]
#[test]
fn a_symlink_inside_the_root_is_written_through() {
    let dir = tempfile::tempdir().unwrap();
    write_files(dir.path(), &[("real/a.ts", "foo")]);
    std::os::unix::fs::symlink("real/a.ts", dir.path().join("link.ts")).unwrap();
    let (outcome, hashes) = analyse(dir.path(), &["link.ts"]);

    write_outcome(dir.path(), &outcome, &hashes).unwrap();

    assert!(
        fs::symlink_metadata(dir.path().join("link.ts"))
            .unwrap()
            .is_symlink()
    );
    assert_eq!(read(dir.path(), "real/a.ts"), "bar");
}

/// Analyses `a.sql` under `root` with one diagnostic whose fix creates `created`.
fn creating(root: &Path, created: &str) -> (FixOutcome, ContentHashes) {
    let mut hashes = ContentHashes::default();
    let text = fs::read_to_string(root.join("a.sql")).unwrap();
    hashes.record(Path::new("a.sql"), text.as_bytes());
    let sources = std::collections::BTreeMap::from([(PathBuf::from("a.sql"), text)]);
    let mut host = WordHost::new(Vec::new(), &sources);
    let diagnostic = Diagnostic::new(
        "demo/missing-down",
        Severity::Warning,
        "a.sql",
        TextRange::default(),
        "m",
    )
    .with_fix(Fix::safe(
        "create",
        vec![Edit::new_file(created, "DROP TABLE a;\n")],
    ));
    let outcome = fix_all(sources, &[diagnostic], &mut host, &FixOptions::default()).unwrap();
    (outcome, hashes)
}

#[test]
fn a_created_file_is_written_once_and_never_over_another() {
    let dir = tempfile::tempdir().unwrap();
    write_files(
        dir.path(),
        &[("a.sql", "CREATE TABLE a ();"), ("db/keep", "")],
    );
    let (outcome, hashes) = creating(dir.path(), "db/a.down.sql");

    let report = write_outcome(dir.path(), &outcome, &hashes).unwrap();

    assert_eq!(report.written, [PathBuf::from("db/a.down.sql")]);
    assert_eq!(read(dir.path(), "db/a.down.sql"), "DROP TABLE a;\n");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = fs::metadata(dir.path().join("db/a.down.sql"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o644);
    }
    assert_eq!(fs::read_dir(dir.path().join("db")).unwrap().count(), 2);

    // Written again, the name is taken: the file there is left as it is.
    fs::write(dir.path().join("db/a.down.sql"), "-- mine").unwrap();
    let error = write_outcome(dir.path(), &outcome, &hashes).unwrap_err();
    assert!(matches!(error, FixError::AlreadyExists { .. }), "{error:?}");
    assert_eq!(read(dir.path(), "db/a.down.sql"), "-- mine");
}

#[test]
fn a_file_created_outside_the_root_or_in_a_missing_directory_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    write_files(dir.path(), &[("project/a.sql", "CREATE TABLE a ();")]);
    let root = dir.path().join("project");
    for (created, refused) in [
        ("../escape.sql", "outside"),
        ("missing/a.down.sql", "missing directory"),
    ] {
        let (outcome, hashes) = creating(&root, created);
        let error = write_outcome(&root, &outcome, &hashes).unwrap_err();
        let expected = match refused {
            "outside" => matches!(error, FixError::OutsideRoot { .. }),
            _ => matches!(error, FixError::FileChanged { .. }),
        };
        assert!(expected, "{created}: {error:?}");
    }
    assert!(!dir.path().join("escape.sql").exists());
    assert!(!root.join("missing").exists());
}

/// One to four files, each with a `foo` to fix.
fn project_files() -> impl Strategy<Value = Vec<(String, String)>> {
    prop::collection::btree_map("[a-d]{1,2}\\.ts", "[fo x\n]{0,12}", 1..5).prop_map(|files| {
        files
            .into_iter()
            .map(|(path, text)| (path, format!("foo{text}")))
            .collect()
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    /// One file edited on disk after analysis: nothing at all is written.
    #[test]
    fn a_changed_file_means_no_file_is_written(
        files in project_files(),
        changed in any::<prop::sample::Index>(),
        edit in "[xyz]{1,4}",
    ) {
        let dir = tempfile::tempdir().unwrap();
        let entries: Vec<(&str, &str)> =
            files.iter().map(|(path, text)| (path.as_str(), text.as_str())).collect();
        write_files(dir.path(), &entries);
        let paths: Vec<&str> = entries.iter().map(|(path, _)| *path).collect();
        let (outcome, hashes) = analyse(dir.path(), &paths);
        let (changed_path, changed_text) = &files[changed.index(files.len())];
        fs::write(dir.path().join(changed_path), format!("{changed_text}{edit}")).unwrap();
        let before = read_all(dir.path(), &paths);

        let result = write_outcome(dir.path(), &outcome, &hashes);

        prop_assert_eq!(before, read_all(dir.path(), &paths));
        let refused = matches!(
            &result,
            Err(FixError::FileChanged { path }) if path == Path::new(changed_path)
        );
        prop_assert!(refused, "{:?}", result);
    }

    /// A path with a `..` component anywhere is refused, and nothing is written.
    #[test]
    fn a_path_escaping_the_root_is_refused(depth in 1usize..4, inside in "[a-c]{1,3}") {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("p/q/r");
        let outside = ["outside.ts", "p/outside.ts", "p/q/outside.ts"].map(|path| (path, "foo"));
        write_files(dir.path(), &outside);
        write_files(dir.path(), &[("p/q/r/a.ts", "foo")]);
        fs::create_dir_all(root.join(&inside)).unwrap();
        let escaping = format!("{inside}/{}outside.ts", "../".repeat(depth + 1));
        let outside = root.join(&escaping);

        let (outcome, hashes) = analyse(&root, &["a.ts", &escaping]);
        let result = write_outcome(&root, &outcome, &hashes);

        prop_assert!(matches!(result, Err(FixError::OutsideRoot { .. })), "{:?}", result);
        prop_assert_eq!(fs::read_to_string(&outside).unwrap(), "foo");
        prop_assert_eq!(read(&root, "a.ts"), "foo");
    }
}
