//! Which PostgreSQL the migrations are written for, and whether the server is older.
//!
//! The project says it in `[migrations] postgres = "16"`, or else in the image its compose
//! files and CI workflows run: the major version in the tag of a PostgreSQL image
//! (`postgres:16`, `postgis/postgis:16-3.4`, `pgvector/pgvector:pg16`,
//! `pgautoupgrade/pgautoupgrade:18-alpine`). Where several name one, the lowest counts: the
//! migrations must run on every version the project runs them on.

use std::fmt;
use std::path::{Path, PathBuf};

use commerce_project::{FileSystem, MigrationsConfig};
use postgres::Client;

use super::Failure;
use crate::rules::display_path;

/// Compose files and CI configurations in hidden places, which walks skip: each a file, or a
/// directory whose YAML files are all read.
const HIDDEN_PLACES: [&str; 7] = [
    ".github/workflows",
    ".devcontainer",
    ".woodpecker",
    ".woodpecker.yml",
    ".woodpecker.yaml",
    ".gitlab-ci.yml",
    ".circleci/config.yml",
];

/// Image names that say postgres or pg but are tools beside the server, not the server.
const NOT_A_SERVER: [&str; 12] = [
    "admin", "bouncer", "pool", "backrest", "backup", "exporter", "hero", "web", "cat", "dog",
    "proxy", "operator",
];

/// The PostgreSQL major version the project targets, and what says so.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TargetVersion {
    pub major: u32,
    /// `commerce.toml`, or `docker/docker-compose.yml:84 (pgautoupgrade/pgautoupgrade:18-alpine)`.
    pub source: String,
}

/// What the project says about its PostgreSQL: the version, and the images whose tag did
/// not say one (each a message for the user).
#[derive(Debug, Default)]
pub(crate) struct Target {
    pub version: Option<TargetVersion>,
    pub notes: Vec<String>,
}

/// The version `config` names, else the lowest its compose files and CI workflows run.
pub(crate) fn project_target(
    fs: &dyn FileSystem,
    root: &Path,
    config: &MigrationsConfig,
) -> Target {
    if let Some(major) = config.postgres {
        return Target {
            version: Some(TargetVersion {
                major,
                source: "commerce.toml".to_owned(),
            }),
            notes: Vec::new(),
        };
    }
    let mut versions = Vec::new();
    let mut unreadable = Vec::new();
    for file in candidate_files(fs, root) {
        let Ok(text) = fs.read_to_string(&file) else {
            continue;
        };
        let relative = display_path(file.strip_prefix(root).unwrap_or(&file));
        let gitlab = file.ends_with(".gitlab-ci.yml");
        for (index, image) in text
            .lines()
            .enumerate()
            .filter_map(|(index, line)| Some((index, image_of(line, gitlab)?)))
        {
            let place = format!("{relative}:{}", index + 1);
            match postgres_major(image) {
                Some(Tag::Version(major)) => versions.push(TargetVersion {
                    major,
                    source: format!("{place} ({image})"),
                }),
                Some(Tag::Unreadable) => unreadable.push(format!(
                    "{place}: the image `{image}` does not say which PostgreSQL major version the project runs \
                     (a tag like `postgres:16` does); the round trip cannot tell a migration written for a newer \
                     PostgreSQL from a broken one: set `[migrations] postgres = \"16\"` (your version) in commerce.toml"
                )),
                None => {}
            }
        }
    }
    let version = versions.into_iter().min_by_key(|version| version.major);
    Target {
        notes: if version.is_none() {
            unreadable
        } else {
            Vec::new()
        },
        version,
    }
}

/// Compose files anywhere the walk goes, and the YAML files of the hidden CI places.
fn candidate_files(fs: &dyn FileSystem, root: &Path) -> Vec<PathBuf> {
    let is_yaml = |path: &Path| {
        path.extension()
            .is_some_and(|extension| extension == "yml" || extension == "yaml")
    };
    let is_compose = |path: &Path| {
        is_yaml(path)
            && path
                .file_name()
                .and_then(|name| name.to_str())
                .is_some_and(|name| name.contains("compose"))
    };
    let mut files: Vec<PathBuf> = fs
        .walk(root)
        .map(|listing| listing.files)
        .unwrap_or_default()
        .into_iter()
        .filter(|path| is_compose(path))
        .collect();
    for place in HIDDEN_PLACES {
        let path = root.join(place);
        if fs.is_file(&path) {
            files.push(path);
        } else if fs.is_dir(&path)
            && let Ok(listing) = fs.walk(&path)
        {
            files.extend(listing.files.into_iter().filter(|path| is_yaml(path)));
        }
    }
    files
}

/// The image a YAML line names: the value of an `image:` key, or in GitLab CI also a bare
/// `services:` list item (`- postgres:16`).
fn image_of(line: &str, gitlab: bool) -> Option<&str> {
    let line = line.trim();
    let item = line.strip_prefix("- ").map(str::trim_start);
    let value = match line
        .strip_prefix("image:")
        .or_else(|| item.and_then(|item| item.strip_prefix("image:")))
    {
        Some(value) => value,
        None if gitlab => item?,
        None => return None,
    };
    let value = value.split(" #").next().unwrap_or_default().trim();
    let value = value.trim_matches(|ch| ch == '"' || ch == '\'');
    (!value.is_empty() && !value.contains(char::is_whitespace)).then_some(value)
}

/// What an image's tag says about PostgreSQL.
#[derive(Debug, PartialEq, Eq)]
enum Tag {
    Version(u32),
    /// A PostgreSQL image whose tag names no version: none, `latest`, `alpine`, `${PG}`.
    Unreadable,
}

/// `None` when `image` is not a PostgreSQL server image.
fn postgres_major(image: &str) -> Option<Tag> {
    let reference = image.split('@').next().unwrap_or(image);
    let name_end = reference.rfind('/').map_or(0, |slash| slash + 1);
    let (name, tag) = match reference[name_end..].split_once(':') {
        Some((name, tag)) => (name.to_lowercase(), Some(tag)),
        None => (reference[name_end..].to_lowercase(), None),
    };
    let pg_in_tag = tag.and_then(pg_tag_major);
    let says_postgres = name.contains("postgres") || name.contains("postgis");
    let says_pg = name.starts_with("pg") || pg_in_tag.is_some();
    let a_tool = NOT_A_SERVER.iter().any(|tool| name.contains(tool));
    if !(says_postgres || says_pg) || a_tool {
        return None;
    }
    let major = pg_in_tag.or_else(|| tag.and_then(leading_major));
    Some(major.map_or(Tag::Unreadable, Tag::Version))
}

/// `16` of `pg16`, `latest-pg16`, `0.7.0-pg16`.
fn pg_tag_major(tag: &str) -> Option<u32> {
    let at = tag.find("pg")?;
    let digits: String = tag[at + 2..]
        .chars()
        .take_while(char::is_ascii_digit)
        .collect();
    plausible_major(&digits)
}

/// `16` of `16`, `16.4`, `16-alpine`, `16-3.4`, `v16`.
fn leading_major(tag: &str) -> Option<u32> {
    let tag = tag.strip_prefix('v').unwrap_or(tag);
    let digits: String = tag.chars().take_while(char::is_ascii_digit).collect();
    let after = tag[digits.len()..].chars().next();
    if after.is_some_and(|ch| ch != '.' && ch != '-' && ch != '_') {
        return None;
    }
    plausible_major(&digits)
}

fn plausible_major(digits: &str) -> Option<u32> {
    digits.parse().ok().filter(|major| (7..100).contains(major))
}

/// A server's version, from `server_version_num` (`150018` is 15.18, `90624` is 9.6.24).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct ServerVersion(u32);

impl ServerVersion {
    pub fn read(client: &mut Client) -> Result<Self, postgres::Error> {
        let row = client.query_one("SHOW server_version_num", &[])?;
        let text: String = row.try_get(0)?;
        // The server always sends digits; a proxy that does not is treated as current.
        Ok(Self(text.trim().parse().unwrap_or(u32::MAX)))
    }

    pub fn major(self) -> u32 {
        self.0 / 10_000
    }
}

impl fmt::Display for ServerVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.major() >= 10 {
            write!(f, "{}.{}", self.major(), self.0 % 10_000)
        } else {
            write!(
                f,
                "{}.{}.{}",
                self.major(),
                self.0 / 100 % 100,
                self.0 % 100
            )
        }
    }
}

/// A server older than the project's PostgreSQL: a migration that fails on it is reported as
/// needing the newer one, and the history stops.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct VersionGap {
    pub server: ServerVersion,
    pub target: TargetVersion,
    /// Whether the server is the throwaway cluster (else `DATABASE_URL`'s).
    pub ephemeral: bool,
}

impl VersionGap {
    pub fn between(
        server: ServerVersion,
        target: Option<&TargetVersion>,
        ephemeral: bool,
    ) -> Option<Self> {
        let target = target.filter(|target| target.major > server.major())?;
        Some(Self {
            server,
            target: target.clone(),
            ephemeral,
        })
    }

    /// Whether a server of the targeted version could accept what failed in `text`: a syntax
    /// error (but not one at a statement that starts a line after one left without its `;`),
    /// an unsupported feature, function or parameter, or, for PostgreSQL 18, a missing
    /// `<table>_<column>_not_null` constraint (18 names NOT NULL constraints so). What fails on
    /// data or objects (a missing table, a duplicate, a dependency) fails on every version.
    pub fn may_explain(&self, failure: &Failure, text: &str) -> bool {
        if failure.timed_out() {
            return false;
        }
        match failure.code.as_deref() {
            Some(SYNTAX_ERROR) => !failure
                .offset
                .is_some_and(|offset| after_a_missing_semicolon(text, offset)),
            Some(FEATURE_NOT_SUPPORTED | UNDEFINED_FUNCTION | INVALID_PARAMETER_VALUE) => true,
            Some(UNDEFINED_OBJECT) => {
                failure
                    .message
                    .contains("unrecognized configuration parameter")
                    || (self.target.major >= 18 && failure.message.contains("_not_null\""))
            }
            _ => false,
        }
    }

    /// `the throwaway cluster is PostgreSQL 15.18`.
    pub fn server_described(&self) -> String {
        let which = if self.ephemeral {
            "the throwaway cluster"
        } else {
            "the server DATABASE_URL names"
        };
        format!("{which} is PostgreSQL {}", self.server)
    }
}

const SYNTAX_ERROR: &str = "42601";
const FEATURE_NOT_SUPPORTED: &str = "0A000";
const UNDEFINED_FUNCTION: &str = "42883";
const INVALID_PARAMETER_VALUE: &str = "22023";
const UNDEFINED_OBJECT: &str = "42704";

/// Words that start a statement.
const STATEMENT_STARTS: [&str; 12] = [
    "ALTER", "CREATE", "DROP", "INSERT", "UPDATE", "DELETE", "GRANT", "REVOKE", "COMMENT",
    "TRUNCATE", "SET", "DO",
];

/// Whether the syntax error at `offset` is a statement keyword starting its line, after a line
/// that does not end its statement: two statements run together for a missing `;`.
fn after_a_missing_semicolon(text: &str, offset: usize) -> bool {
    let Some(before) = text.get(..offset) else {
        return false;
    };
    let line_start = before.rfind('\n').map_or(0, |at| at + 1);
    if !before[line_start..].trim().is_empty() {
        return false;
    }
    let word: String = text[offset..]
        .chars()
        .take_while(char::is_ascii_alphabetic)
        .collect();
    if !STATEMENT_STARTS
        .iter()
        .any(|start| start.eq_ignore_ascii_case(&word))
    {
        return false;
    }
    let previous = before[..line_start]
        .lines()
        .map(|line| line.split("--").next().unwrap_or_default().trim())
        .rfind(|line| !line.is_empty());
    previous.is_some_and(|line| !line.ends_with(';'))
}

#[cfg(test)]
mod tests {
    use commerce_project::MemoryFs;

    use super::*;

    #[test]
    fn the_major_version_of_postgresql_images() {
        let cases = [
            ("postgres:16", Some(Tag::Version(16))),
            (
                "docker.io/library/postgres:16.4-alpine",
                Some(Tag::Version(16)),
            ),
            ("postgis/postgis:16-3.4", Some(Tag::Version(16))),
            ("pgvector/pgvector:pg16", Some(Tag::Version(16))),
            (
                "pgautoupgrade/pgautoupgrade:18-alpine",
                Some(Tag::Version(18)),
            ),
            (
                "timescale/timescaledb-ha:pg17-ts2.17",
                Some(Tag::Version(17)),
            ),
            (
                "bitnami/postgresql:15.6.0@sha256:abc",
                Some(Tag::Version(15)),
            ),
            ("cimg/postgres:14.2", Some(Tag::Version(14))),
            ("postgres:9.6", Some(Tag::Version(9))),
            ("postgres", Some(Tag::Unreadable)),
            ("postgres:latest", Some(Tag::Unreadable)),
            ("postgres:${PG_VERSION:-16}", Some(Tag::Unreadable)),
            ("postgres:16beta2", Some(Tag::Unreadable)),
            ("dpage/pgadmin4:8.1", None),
            ("edoburu/pgbouncer:1.21", None),
            ("prometheuscommunity/postgres-exporter:v0.15.0", None),
            ("redis:7", None),
            ("mysql:8.0", None),
        ];
        for (image, expected) in cases {
            assert_eq!(postgres_major(image), expected, "{image}");
        }
    }

    #[test]
    fn image_lines_of_compose_files_and_workflows() {
        assert_eq!(
            image_of("    image: postgres:16", false),
            Some("postgres:16")
        );
        assert_eq!(
            image_of("  - image: \"cimg/postgres:14.2\" # CI", false),
            Some("cimg/postgres:14.2")
        );
        assert_eq!(image_of("      - postgres:16", true), Some("postgres:16"));
        assert_eq!(image_of("      - postgresql-16", false), None);
        assert_eq!(image_of("    name: postgres:16", false), None);
    }

    fn target_of(files: &[(&str, &str)], config: &MigrationsConfig) -> Target {
        let fs: MemoryFs = files
            .iter()
            .map(|(path, text)| (Path::new("/p").join(path), *text))
            .collect();
        project_target(&fs, Path::new("/p"), config)
    }

    #[test]
    fn the_project_targets_its_configured_or_lowest_image_version() {
        let compose =
            "services:\n  db:\n    image: postgis/postgis:16-3.4\n  cache:\n    image: redis:7\n";
        let workflow =
            "jobs:\n  test:\n    services:\n      postgres:\n        image: postgres:15\n";
        let found = target_of(
            &[
                ("docker/docker-compose.yml", compose),
                (".github/workflows/ci.yml", workflow),
            ],
            &MigrationsConfig::default(),
        );
        assert_eq!(
            found.version,
            Some(TargetVersion {
                major: 15,
                source: ".github/workflows/ci.yml:5 (postgres:15)".to_owned()
            })
        );
        assert!(found.notes.is_empty());
        let configured = MigrationsConfig {
            postgres: Some(17),
            ..MigrationsConfig::default()
        };
        let found = target_of(&[("docker/docker-compose.yml", compose)], &configured);
        assert_eq!(
            found.version.map(|version| (version.major, version.source)),
            Some((17, "commerce.toml".to_owned()))
        );
    }

    #[test]
    fn an_image_tag_without_a_version_is_one_clear_note() {
        let found = target_of(
            &[(
                "compose.yaml",
                "services:\n  db:\n    image: \"postgres:${PG_VERSION}\"\n",
            )],
            &MigrationsConfig::default(),
        );
        assert_eq!(found.version, None);
        assert_eq!(
            found.notes,
            [
                "compose.yaml:3: the image `postgres:${PG_VERSION}` does not say which PostgreSQL major version \
              the project runs (a tag like `postgres:16` does); the round trip cannot tell a migration written \
              for a newer PostgreSQL from a broken one: set `[migrations] postgres = \"16\"` (your version) in commerce.toml"
            ]
        );
    }

    #[test]
    fn failures_a_newer_server_could_accept() {
        let gap = |major| VersionGap {
            server: ServerVersion(150_018),
            target: TargetVersion {
                major,
                source: "commerce.toml".to_owned(),
            },
            ephemeral: true,
        };
        let failure = |code: &str, message: &str, offset| Failure {
            message: message.to_owned(),
            code: Some(code.to_owned()),
            offset,
        };
        let subquery = "CREATE VIEW v AS SELECT * FROM (SELECT 1);";
        assert!(gap(16).may_explain(
            &failure(
                "42601",
                "ERROR: subquery in FROM must have an alias",
                Some(31)
            ),
            subquery
        ));
        let run_together =
            "ALTER TABLE t DROP CONSTRAINT t_pkey\nALTER TABLE t ADD COLUMN id serial;";
        assert!(!gap(16).may_explain(
            &failure(
                "42601",
                "ERROR: syntax error at or near \"ALTER\"",
                Some(37)
            ),
            run_together
        ));
        let not_null = "ALTER TABLE person DROP CONSTRAINT person_inbox_url_not_null;";
        let missing =
            "ERROR: constraint \"person_inbox_url_not_null\" of relation \"person\" does not exist";
        assert!(gap(18).may_explain(&failure("42704", missing, None), not_null));
        assert!(!gap(17).may_explain(&failure("42704", missing, None), not_null));
        assert!(!gap(18).may_explain(
            &failure("42P01", "ERROR: relation \"orders\" does not exist", None),
            "DROP TABLE orders;"
        ));
        assert!(!gap(18).may_explain(
            &failure(
                "57014",
                "ERROR: canceling statement due to statement timeout",
                None
            ),
            "SELECT pg_sleep(100);"
        ));
    }

    #[test]
    fn server_versions_read_as_postgresql_writes_them() {
        assert_eq!(ServerVersion(150_018).to_string(), "15.18");
        assert_eq!(ServerVersion(90_624).to_string(), "9.6.24");
        let target = TargetVersion {
            major: 16,
            source: "commerce.toml".to_owned(),
        };
        assert!(VersionGap::between(ServerVersion(150_018), Some(&target), true).is_some());
        assert!(VersionGap::between(ServerVersion(160_002), Some(&target), true).is_none());
        assert!(VersionGap::between(ServerVersion(150_018), None, true).is_none());
    }
}
