//! `migrations/missing-down-migration`: a migration that cannot be reverted.

use commerce_diagnostics::{
    Diagnostic, FixAvailability, Severity, TextRange, TextSize, declare_rule,
};

use super::{MigrationSource, Rule};
use crate::layout::{Direction, Layout};

declare_rule! {
    /// ## What it does
    /// Flags a migration without a down file when its layout expects one: an `.up.sql`
    /// without its `.down.sql`, a diesel folder without `down.sql`, or a plain sqlx `.sql`
    /// file in a directory whose other migrations are reversible.
    ///
    /// ## Why is this bad?
    /// A migration that cannot be reverted turns a bad deploy into a restore from backup,
    /// and `cargo commerce migrations verify` cannot check that the schema survives a
    /// rollback. (A directory of plain sqlx `.sql` files is forward-only by design and is
    /// not flagged.)
    ///
    /// ## Example
    /// `migrations/20240101120000_add_orders.up.sql` without
    /// `migrations/20240101120000_add_orders.down.sql`.
    ///
    /// ## Fix safety
    /// No fix: the down migration has to be written.
    pub MissingDownMigration {
        id: "migrations/missing-down-migration",
        severity: Severity::Warning,
        fix: FixAvailability::None,
    }
}

pub(crate) const RULE: Rule = Rule {
    meta: MissingDownMigration::META,
    postgres_only: false,
    checks_down: false,
    check,
    keyword_scan: None,
};

fn check(source: &MigrationSource<'_>) -> Vec<Diagnostic> {
    let migration = source.migration;
    let expects_down = migration.reversible || source.directory_is_reversible;
    if source.direction != Direction::Up || migration.down.is_some() || !expects_down {
        return Vec::new();
    }
    let expected = match migration.layout {
        Layout::Sqlx => format!("{}_{}.down.sql", migration.version, migration.name),
        Layout::Diesel => "down.sql".to_owned(),
    };
    vec![
        source
            .diagnostic(
                &MissingDownMigration::META,
                TextRange::empty(TextSize::new(0)),
                format!("this migration has no `{expected}`: it cannot be reverted or round-trip checked"),
            )
            .with_help(format!("write `{expected}` undoing what this migration does")),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::test_support::{findings_in, migration};
    use commerce_project::Dialect;

    #[test]
    fn an_up_without_its_down_is_reported_and_a_pair_is_not() {
        let mut lonely = migration("CREATE TABLE a (id bigint);");
        assert_eq!(findings_in(&RULE, &lonely, Dialect::Postgres), []);
        lonely.down = None;
        let found = findings_in(&RULE, &lonely, Dialect::Postgres);
        assert_eq!(found.len(), 1);
        assert_eq!(
            found[0].message,
            "this migration has no `20240101000000_test.down.sql`: it cannot be reverted or round-trip checked"
        );
        assert_eq!(
            found[0].data["migration"],
            "migrations/20240101000000_test.up.sql"
        );
    }

    #[test]
    fn a_forward_only_file_is_reported_only_among_reversible_ones() {
        let mut forward = migration("CREATE TABLE a (id bigint);");
        forward.down = None;
        forward.reversible = false;
        let among_reversible = crate::lint::check_migration(&forward, Dialect::Postgres, true);
        let alone = crate::lint::check_migration(&forward, Dialect::Postgres, false);
        let count = |found: &[Diagnostic]| found.iter().filter(|d| d.rule == RULE.meta.id).count();
        assert_eq!((count(&among_reversible), count(&alone)), (1, 0));
    }
}
