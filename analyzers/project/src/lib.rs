//! The project layer under every analyzer: `commerce.toml` ([`Config`]), project discovery
//! ([`Project`]), the [`FileSystem`] trait analyzers read through ([`OsFs`], [`MemoryFs`]), the
//! gitignore-aware file [`Inventory`] and the files changed against a base ref
//! ([`changed_files`]) and their contents there ([`files_at_fork`]).
//!
//! Paths: [`OsFs`] lists absolute paths; [`MemoryFs`] lists paths as stored. [`Inventory`] and
//! [`ChangedFile`] hold paths relative to the project root; [`Project::display_path`] renders
//! any of them the way reports do (relative, `/` separators).

mod cargo;
mod config;
mod fs;
mod git;
mod init;
mod inventory;
mod project;
#[cfg(any(test, feature = "testing"))]
pub mod testing;
mod workspaces;

pub use cargo::{is_in_places, rust_places};
pub use config::{
    Config, ConfigError, ConfigErrorKind, ContractsConfig, CycleLevel, Dialect, DurationError,
    FrontendConfig, Gate, GatesConfig, LoadConfig, LoadRequestConfig, LoadScenarioConfig,
    MAX_CONFIG_BYTES, MigrationsConfig, RenderConfig, RuleLevel, RuleSetting, SuiteConfig,
    default_suites, parse_duration,
};
pub use fs::{
    EntryKind, FileSystem, Listing, ListingError, MemoryFs, OsFs, OverlayFs, lexically_normal,
};
pub use git::{
    ChangeStatus, ChangedFile, GitError, changed_files, commit_exists, diff_since_fork,
    files_at_fork, show as git_show,
};
pub use init::{Layout, ReactApp, detect_layout};
pub use inventory::{
    DEFAULT_MAX_FILE_BYTES, Inventory, InventoryOptions, SkipReason, SkippedFile,
    glob_literal_prefix, inventory, inventory_claimed, inventory_claimed_in, inventory_with,
};
pub use project::{CONFIG_FILE_NAME, Project, ProjectError};
pub use workspaces::{WorkspacePatterns, read_json};
