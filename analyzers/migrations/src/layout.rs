//! Finding the migrations of a project and the order its migration tool runs them in.
//!
//! Two layouts are recognised, file by file, so a directory may even mix them:
//! - sqlx: `<version>_<name>.sql` (forward only) or `<version>_<name>.up.sql` with
//!   `<version>_<name>.down.sql`, where the version is an integer; a file starting with
//!   `-- no-transaction` runs outside a transaction. Ordered by the integer version.
//! - diesel (and plain numbered folders): `<version>_<name>/up.sql` with `down.sql`, and an
//!   optional `metadata.toml` whose `run_in_transaction = false` runs both outside a
//!   transaction. Diesel orders by the version with its dashes removed, compared as text:
//!   `2023-01-02-000000` sorts as `20230102000000`, not by the folder's name.

use std::cmp::Ordering;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use commerce_project::FileSystem;

/// sqlx's marker, which must start the file, for a migration that runs outside a transaction.
const SQLX_NO_TRANSACTION: &str = "-- no-transaction";

/// The migration tool whose conventions a migration follows.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Layout {
    /// `<version>_<name>.sql`, `.up.sql`/`.down.sql`.
    Sqlx,
    /// `<version>_<name>/up.sql`, `down.sql`, `metadata.toml`.
    Diesel,
}

impl Layout {
    pub const fn as_str(self) -> &'static str {
        match self {
            Layout::Sqlx => "sqlx",
            Layout::Diesel => "diesel",
        }
    }
}

/// Which way a migration file goes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Direction {
    Up,
    Down,
}

/// One SQL file of a migration.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MigrationFile {
    /// Relative to the project root.
    pub path: PathBuf,
    /// The file's text; `Err` says why it could not be read.
    pub text: Result<String, String>,
    /// Whether the migration tool wraps the file in a transaction.
    pub in_transaction: bool,
}

/// One migration: a version, a name, an up file and, when reversible, a down file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Migration {
    /// As written: `20240101000000` or diesel's `2024-01-01-000000`.
    pub version: String,
    pub name: String,
    pub layout: Layout,
    pub up: MigrationFile,
    pub down: Option<MigrationFile>,
    /// Whether its layout gives it a down file: `.up.sql` and diesel folders do, a plain
    /// sqlx `.sql` file does not.
    pub reversible: bool,
    /// diesel's `metadata.toml`, relative to the project root, when there is one.
    pub metadata: Option<PathBuf>,
}

impl Migration {
    /// The files of this migration: up, then down.
    pub fn files(&self) -> impl Iterator<Item = (Direction, &MigrationFile)> {
        std::iter::once((Direction::Up, &self.up))
            .chain(self.down.iter().map(|down| (Direction::Down, down)))
    }

    /// Every path that belongs to this migration, metadata included.
    pub fn paths(&self) -> impl Iterator<Item = &Path> {
        self.files()
            .map(|(_, file)| file.path.as_path())
            .chain(self.metadata.as_deref())
    }

    /// The version as its tool compares it (diesel drops the dashes).
    pub fn sort_version(&self) -> String {
        self.version.replace('-', "")
    }

    /// Whether this migration is at or after `version` (a `lint_from` value), comparing
    /// digit strings as numbers so `900` is before `1000`.
    pub fn is_at_or_after(&self, version: &str) -> bool {
        compare_versions(&self.sort_version(), &version.replace('-', "")) != Ordering::Less
    }
}

/// Something in the migrations directory that its tool would reject or silently skip.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LayoutProblem {
    /// Relative to the project root.
    pub path: PathBuf,
    pub message: String,
    pub help: String,
}

/// The migrations of a directory, in the order they run, and what is wrong with the rest.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Discovery {
    pub migrations: Vec<Migration>,
    pub problems: Vec<LayoutProblem>,
}

/// Reads the migrations under `root/dir`. A missing directory has none; files that are not
/// migrations (a README, a `.keep`) are left alone.
pub fn discover(fs: &dyn FileSystem, root: &Path, dir: &Path) -> Discovery {
    let absolute_dir = root.join(dir);
    let Ok(files) = fs.files_under(&absolute_dir) else {
        return Discovery::default();
    };
    let mut collector = Collector::default();
    for file in files {
        let Ok(inside) = file.strip_prefix(&absolute_dir) else {
            continue;
        };
        let relative = dir.join(inside);
        let components: Vec<&str> = inside.iter().filter_map(|part| part.to_str()).collect();
        match components.as_slice() {
            [file_name] => collector.sqlx_file(fs, &file, relative, file_name),
            [folder, file_name] => collector.diesel_file(fs, &file, relative, folder, file_name),
            _ => {}
        }
    }
    collector.finish()
}

/// The parts of one migration met so far, keyed by version and name.
#[derive(Debug, Default)]
struct Parts {
    layout: Option<Layout>,
    simple: Option<MigrationFile>,
    up: Option<MigrationFile>,
    down: Option<MigrationFile>,
    metadata: Option<(PathBuf, Result<String, String>)>,
}

#[derive(Debug, Default)]
struct Collector {
    parts: BTreeMap<(String, String), Parts>,
    problems: Vec<LayoutProblem>,
}

impl Collector {
    fn sqlx_file(&mut self, fs: &dyn FileSystem, absolute: &Path, relative: PathBuf, name: &str) {
        let Some(stem) = name.strip_suffix(".sql") else {
            return;
        };
        let (stem, direction) = if let Some(stem) = stem.strip_suffix(".up") {
            (stem, Some(Direction::Up))
        } else if let Some(stem) = stem.strip_suffix(".down") {
            (stem, Some(Direction::Down))
        } else {
            (stem, None)
        };
        let Some((version, description)) = stem.split_once('_') else {
            self.problem(
                relative,
                "sqlx skips this file: its name has no `_` between version and description",
                "name it `<version>_<description>.sql`, e.g. `20240101120000_add_orders.sql`",
            );
            return;
        };
        if version.is_empty() || !version.bytes().all(|byte| byte.is_ascii_digit()) {
            self.problem(
                relative,
                &format!("sqlx cannot run this file: its version `{version}` is not an integer"),
                "start the name with a numeric version, e.g. `20240101120000_add_orders.sql`",
            );
            return;
        }
        let text = read(fs, absolute);
        let in_transaction = text
            .as_ref()
            .map_or(true, |text| !text.starts_with(SQLX_NO_TRANSACTION));
        let file = MigrationFile {
            path: relative,
            text,
            in_transaction,
        };
        let parts = self.parts_for(version, description, Layout::Sqlx);
        match direction {
            None => parts.simple = Some(file),
            Some(Direction::Up) => parts.up = Some(file),
            Some(Direction::Down) => parts.down = Some(file),
        }
    }

    fn diesel_file(
        &mut self,
        fs: &dyn FileSystem,
        absolute: &Path,
        relative: PathBuf,
        folder: &str,
        name: &str,
    ) {
        let slot = match name {
            "up.sql" | "down.sql" | "metadata.toml" => name,
            _ => return,
        };
        let Some((version, description)) = folder.split_once('_') else {
            self.problem(
                relative,
                "diesel skips this folder: its name has no `_` between version and name",
                "name the folder `<version>_<name>`, e.g. `2024-01-01-120000_add_orders`",
            );
            return;
        };
        if version.is_empty()
            || !version
                .bytes()
                .all(|byte| byte.is_ascii_digit() || byte == b'-')
        {
            return;
        }
        let text = read(fs, absolute);
        let parts = self.parts_for(version, description, Layout::Diesel);
        let file = MigrationFile {
            path: relative.clone(),
            text: text.clone(),
            in_transaction: true,
        };
        match slot {
            "up.sql" => parts.up = Some(file),
            "down.sql" => parts.down = Some(file),
            _ => parts.metadata = Some((relative, text)),
        }
    }

    fn parts_for(&mut self, version: &str, name: &str, layout: Layout) -> &mut Parts {
        let parts = self
            .parts
            .entry((version.to_owned(), name.to_owned()))
            .or_default();
        parts.layout.get_or_insert(layout);
        parts
    }

    fn problem(&mut self, path: PathBuf, message: &str, help: &str) {
        self.problems.push(LayoutProblem {
            path,
            message: message.to_owned(),
            help: help.to_owned(),
        });
    }

    fn finish(mut self) -> Discovery {
        let mut migrations = Vec::new();
        for ((version, name), parts) in std::mem::take(&mut self.parts) {
            if let Some(migration) = self.assemble(version, name, parts) {
                migrations.push(migration);
            }
        }
        migrations.sort_by(|a, b| {
            compare_versions(&a.sort_version(), &b.sort_version()).then_with(|| a.name.cmp(&b.name))
        });
        self.report_duplicate_versions(&migrations);
        Discovery {
            migrations,
            problems: self.problems,
        }
    }

    fn assemble(&mut self, version: String, name: String, parts: Parts) -> Option<Migration> {
        let layout = parts.layout.unwrap_or(Layout::Sqlx);
        let run_in_transaction = match &parts.metadata {
            Some((path, text)) => self.run_in_transaction(path, text),
            None => true,
        };
        let (up, down, reversible) = match (parts.simple, parts.up, parts.down) {
            (Some(simple), None, None) => (simple, None, false),
            (simple, Some(up), down) => {
                if let Some(simple) = simple {
                    self.problem(
                        simple.path,
                        "two kinds of file share this version: a plain `.sql` and a `.up.sql`",
                        "keep one: either `<version>_<name>.sql`, or the `.up.sql`/`.down.sql` pair",
                    );
                }
                (up, down, true)
            }
            (_, None, Some(down)) => {
                self.problem(
                    down.path,
                    "this down migration has no up migration beside it",
                    "add the matching up file, or delete this one",
                );
                return None;
            }
            (None, None, None) => return None,
        };
        let with_transaction = |mut file: MigrationFile| {
            file.in_transaction &= run_in_transaction;
            file
        };
        Some(Migration {
            version,
            name,
            layout,
            up: with_transaction(up),
            down: down.map(with_transaction),
            reversible: reversible || layout == Layout::Diesel,
            metadata: parts.metadata.map(|(path, _)| path),
        })
    }

    /// diesel's `run_in_transaction` from `metadata.toml`; true when absent or unreadable
    /// (reported).
    fn run_in_transaction(&mut self, path: &Path, text: &Result<String, String>) -> bool {
        let parsed = text.as_ref().map_err(Clone::clone).and_then(|text| {
            text.parse::<toml::Table>()
                .map_err(|error| error.to_string())
        });
        match parsed {
            Ok(table) => match table.get("run_in_transaction") {
                None => true,
                Some(toml::Value::Boolean(value)) => *value,
                Some(_) => {
                    self.problem(
                        path.to_path_buf(),
                        "`run_in_transaction` must be `true` or `false`",
                        "write `run_in_transaction = false` to run this migration outside a transaction",
                    );
                    true
                }
            },
            Err(error) => {
                self.problem(
                    path.to_path_buf(),
                    &format!("diesel cannot read this metadata file: {error}"),
                    "fix the TOML syntax; diesel refuses to run the migration until then",
                );
                true
            }
        }
    }

    fn report_duplicate_versions(&mut self, migrations: &[Migration]) {
        for pair in migrations.windows(2) {
            if pair[0].sort_version() == pair[1].sort_version() {
                self.problem(
                    pair[1].up.path.clone(),
                    &format!(
                        "version {} is used twice (also by {})",
                        pair[1].version,
                        pair[0].up.path.display()
                    ),
                    "give each migration its own version; the tool refuses duplicates",
                );
            }
        }
    }
}

fn read(fs: &dyn FileSystem, path: &Path) -> Result<String, String> {
    fs.read_to_string(path).map_err(|error| error.to_string())
}

/// Orders versions as their tools do: digit strings by numeric value (without leading zeros,
/// a longer number is larger), anything else as text.
pub(crate) fn compare_versions(a: &str, b: &str) -> Ordering {
    let is_number = |text: &str| !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit());
    if is_number(a) && is_number(b) {
        let a = a.trim_start_matches('0');
        let b = b.trim_start_matches('0');
        a.len().cmp(&b.len()).then_with(|| a.cmp(b))
    } else {
        a.cmp(b)
    }
}

#[cfg(test)]
mod tests;
