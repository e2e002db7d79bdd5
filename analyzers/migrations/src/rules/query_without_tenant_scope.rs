//! `rust/query-without-tenant-scope`: a sqlx query reads, updates or deletes rows of a table
//! that has a `tenant_id` column without constraining that column.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use commerce_diagnostics::{
    Diagnostic, FixAvailability, Severity, TextRange, declare_rule, sort_and_dedup,
};
use commerce_project::{Dialect, FileSystem};
use commerce_rust::SqlxQuery;
use sqlparser::ast::{
    self, AlterTableOperation, BinaryOperator, ConflictTarget, Expr, FromTable, FunctionArg,
    FunctionArgExpr, FunctionArguments, JoinConstraint, JoinOperator, ObjectName, OnConflict,
    OnConflictAction, OnInsert, Query, Select, SelectItem, SetExpr, Spanned, TableFactor,
    TableObject, TableWithJoins, UpdateTableFromKind,
};

use super::{Check, Rule, display_path, file_queries, shown};
use crate::layout::Migration;
use crate::sql::ddl::{column_definitions, normalized_ident, table_key};
use crate::sql::{SqlFile, Statement};

declare_rule! {
    /// ## What it does
    /// Flags a sqlx query string in the Rust code (the macros and functions
    /// `code-references-dropped-column` reads) that reads, updates or deletes rows of a table
    /// whose final schema, as the migrations build it, has a `tenant_id` column, without a
    /// predicate on that table's `tenant_id`: in `WHERE`, or in a `JOIN … ON` equating it to a
    /// bound value (`$1`, a literal, `current_setting(..)`) or to the `tenant_id` of a table
    /// that is itself scoped (`JOIN users u ON u.tenant_id = s.tenant_id`). Every `SELECT` is
    /// its own scope: subqueries, CTEs, derived tables and `INSERT … SELECT` are checked each on
    /// their own, and a correlated subquery may lean on its outer query's scoped tables. An
    /// `INSERT` into such a table must set `tenant_id` (unless the column has a default), and
    /// its `ON CONFLICT (…) DO UPDATE` must name `tenant_id` in the conflict target or in its
    /// `WHERE`. Tables without the column (`tenants` itself, lookup tables) are never findings.
    ///
    /// A table whose `tenant_id` is its whole primary key and references nothing is the
    /// tenants' own registry, not a tenant table.
    ///
    /// Test code is not checked (tests set up and assert rows across tenants on purpose):
    /// files under a package's `tests/` or `benches/`, test functions, `#[cfg(test)]` items.
    ///
    /// Not read: SQL built at run time (`format!`, query builders), queries sqlparser cannot
    /// parse, views (their columns are not tracked), and `ON CONFLICT ON CONSTRAINT`.
    ///
    /// ## Why is this bad?
    /// In a shared-schema multi-tenant database the `tenant_id` predicate is the only thing
    /// between one customer's request and another customer's rows. A query keyed only by a
    /// primary key (`WHERE id = $1`) serves or changes another tenant's order as soon as an id
    /// leaks or is guessed: the classic insecure direct object reference.
    ///
    /// ## Example
    /// ```rust,ignore
    /// sqlx::query!("SELECT total FROM orders WHERE id = $1", order_id)
    /// ```
    /// Use instead:
    /// ```rust,ignore
    /// sqlx::query!(
    ///     "SELECT total FROM orders WHERE tenant_id = $1 AND id = $2",
    ///     tenant_id,
    ///     order_id
    /// )
    /// ```
    /// A query that must cross tenants (a login by e-mail before the tenant is known, a
    /// background job) says so: `// commerce-ignore rust/query-without-tenant-scope: <why>` on
    /// the line before the query string.
    ///
    /// ## Fix safety
    /// No fix: which value is the caller's tenant, and which parameter carries it, is for a
    /// person to decide; an added predicate with a wrong value would hide rows, not protect them.
    pub QueryWithoutTenantScope {
        id: "rust/query-without-tenant-scope",
        severity: Severity::Error,
        fix: FixAvailability::None,
    }
}

pub(crate) const RULE: Rule = Rule::new(QueryWithoutTenantScope::META, Check::Reported);

/// The column that says which tenant a row belongs to.
const TENANT_COLUMN: &str = "tenant_id";

/// The tables whose final schema has the tenant column, by name key (see `ddl::table_key`).
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub(crate) struct TenantTables {
    tables: HashMap<String, TenantColumn>,
}

/// Where a table's tenant column comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
struct TenantColumn {
    /// The up file that defines the column, relative to the project root.
    migration: PathBuf,
    range: TextRange,
    /// Whether an `INSERT` that leaves it out still sets it.
    has_default: bool,
}

impl TenantTables {
    /// The tenant tables once every migration in `migrations` (in the order they run) is
    /// applied: created or added columns count, dropped or renamed ones stop counting.
    pub(crate) fn read<'m>(
        migrations: impl IntoIterator<Item = &'m Migration>,
        dialect: Dialect,
    ) -> Self {
        let mut schema = Self::default();
        for migration in migrations {
            let Ok(text) = &migration.up.text else {
                continue;
            };
            for statement in &SqlFile::parse(text, dialect).statements {
                schema.apply(&migration.up.path, statement);
            }
        }
        schema
    }

    fn apply(&mut self, migration: &Path, statement: &Statement) {
        for definition in column_definitions(statement) {
            if normalized_ident(&definition.column.name) == TENANT_COLUMN
                && !is_tenant_registry(statement, definition.options())
            {
                let has_default = definition
                    .options()
                    .any(|option| matches!(option, ast::ColumnOption::Default(_)));
                self.tables.insert(
                    table_key(definition.table),
                    TenantColumn {
                        migration: migration.to_path_buf(),
                        range: definition.tokens.range(),
                        has_default,
                    },
                );
            }
        }
        match statement.ast() {
            Some(ast::Statement::Drop {
                object_type: ast::ObjectType::Table,
                names,
                ..
            }) => {
                for name in names {
                    self.tables.remove(&table_key(name));
                }
            }
            Some(ast::Statement::AlterTable(alter)) => {
                let table = table_key(&alter.name);
                for operation in &alter.operations {
                    self.alter(&table, operation);
                }
            }
            _ => {}
        }
    }

    fn alter(&mut self, table: &str, operation: &AlterTableOperation) {
        match operation {
            AlterTableOperation::DropColumn { column_names, .. }
                if column_names
                    .iter()
                    .any(|column| normalized_ident(column) == TENANT_COLUMN) =>
            {
                self.tables.remove(table);
            }
            AlterTableOperation::RenameColumn {
                old_column_name, ..
            } if normalized_ident(old_column_name) == TENANT_COLUMN => {
                self.tables.remove(table);
            }
            AlterTableOperation::RenameTable {
                table_name: ast::RenameTableNameKind::To(name) | ast::RenameTableNameKind::As(name),
            } => {
                if let Some(column) = self.tables.remove(table) {
                    self.tables.insert(table_key(name), column);
                }
            }
            AlterTableOperation::AlterColumn {
                column_name,
                op: ast::AlterColumnOperation::SetDefault { .. },
            } if normalized_ident(column_name) == TENANT_COLUMN => {
                if let Some(column) = self.tables.get_mut(table) {
                    column.has_default = true;
                }
            }
            _ => {}
        }
    }

    fn is_empty(&self) -> bool {
        self.tables.is_empty()
    }

    /// Whether a migration `listed` defines a tenant column.
    fn defined_in_listed(&self, listed: &dyn Fn(&Path) -> bool) -> bool {
        self.tables.values().any(|column| listed(&column.migration))
    }
}

/// Whether the table `statement` creates is the tenants themselves: its tenant column (with
/// `options`) is its whole primary key and references nothing. (A per-tenant table keyed by
/// the tenant, `tenant_settings (tenant_id … PRIMARY KEY REFERENCES tenants)`, is not.)
fn is_tenant_registry<'o>(
    statement: &Statement,
    mut options: impl Iterator<Item = &'o ast::ColumnOption>,
) -> bool {
    let Some(ast::Statement::CreateTable(create)) = statement.ast() else {
        return false;
    };
    let is_tenant_list = |columns: Vec<String>| columns == [TENANT_COLUMN];
    let (mut primary, mut references) = (false, false);
    for option in options.by_ref() {
        match option {
            ast::ColumnOption::PrimaryKey(_) => primary = true,
            ast::ColumnOption::ForeignKey(_) => references = true,
            _ => {}
        }
    }
    for constraint in &create.constraints {
        match constraint {
            ast::TableConstraint::PrimaryKey(key) => {
                primary |= is_tenant_list(
                    key.columns
                        .iter()
                        .map(|column| column.column.expr.to_string().to_lowercase())
                        .collect(),
                );
            }
            ast::TableConstraint::ForeignKey(key) => {
                references |= key
                    .columns
                    .iter()
                    .any(|column| normalized_ident(column) == TENANT_COLUMN);
            }
            _ => {}
        }
    }
    primary && !references
}

/// The sqlx queries of the Rust `files` (relative to `root`) that leave a tenant table
/// unscoped. With `listed` (the changed files), only listed Rust files are checked, unless a
/// listed migration defines a tenant column: then every file is.
pub(crate) fn check(
    fs: &dyn FileSystem,
    root: &Path,
    files: &[PathBuf],
    tenants: &TenantTables,
    dialect: Dialect,
    listed: &dyn Fn(&Path) -> bool,
) -> Vec<Diagnostic> {
    if tenants.is_empty() {
        return Vec::new();
    }
    let every_file = tenants.defined_in_listed(listed);
    let mut diagnostics = Vec::new();
    for path in files {
        if (!every_file && !listed(path)) || is_test_path(path) {
            continue;
        }
        for query in file_queries(fs, root, path)
            .iter()
            .filter(|query| !query.in_test)
        {
            diagnostics.extend(query_findings(path, query, tenants, dialect));
        }
    }
    sort_and_dedup(&mut diagnostics);
    diagnostics
}

/// Cargo's integration tests and benchmarks (`tests/`, `benches/` of a package): test code
/// sets up and asserts rows across tenants on purpose.
fn is_test_path(path: &Path) -> bool {
    path.components()
        .any(|component| matches!(component.as_os_str().to_str(), Some("tests" | "benches")))
}

fn query_findings(
    path: &Path,
    query: &SqlxQuery,
    tenants: &TenantTables,
    dialect: Dialect,
) -> Vec<Diagnostic> {
    let mut found = Vec::new();
    for statement in &SqlFile::parse(&query.sql, dialect).statements {
        let Some(ast) = statement.ast() else {
            continue;
        };
        let mut walker = Walker {
            tenants,
            ctes: Vec::new(),
            found: Vec::new(),
        };
        walker.statement(ast, &[]);
        for unscoped in walker.found {
            let mention = unscoped
                .name_span
                .and_then(|span| statement.range_of_span(span))
                .map(|range| query.range_of(range.to_usize_range()));
            found.push(diagnostic(path, query, mention, &unscoped, tenants));
        }
    }
    found
}

fn diagnostic(
    path: &Path,
    query: &SqlxQuery,
    mention: Option<TextRange>,
    unscoped: &Unscoped,
    tenants: &TenantTables,
) -> Diagnostic {
    let meta = QueryWithoutTenantScope::META;
    let table = shown(&unscoped.table);
    let column = format!("`{}.{TENANT_COLUMN}`", unscoped.binding);
    let (message, help) = match unscoped.problem {
        Problem::Unconstrained(action) => (
            format!(
                "this query {action} rows of {table} without constraining {column}: it reaches every tenant's rows"
            ),
            format!(
                "add `{column_name} = $n` (the caller's tenant) to the WHERE clause, or join {table} on the {TENANT_COLUMN} of a scoped table",
                column_name = &column[1..column.len() - 1]
            ),
        ),
        Problem::InsertWithoutTenant => (
            format!("this INSERT into {table} does not set `{TENANT_COLUMN}`"),
            format!("list `{TENANT_COLUMN}` among the columns and bind the caller's tenant"),
        ),
        Problem::ConflictAcrossTenants => (
            format!(
                "this ON CONFLICT … DO UPDATE on {table} can update another tenant's row: its conflict target has no `{TENANT_COLUMN}`"
            ),
            format!(
                "make the unique key (and the conflict target) include `{TENANT_COLUMN}`, or add `WHERE {column_name} = EXCLUDED.{TENANT_COLUMN}` to DO UPDATE",
                column_name = &column[1..column.len() - 1]
            ),
        ),
    };
    let mut diagnostic = Diagnostic::new(
        meta.id,
        meta.default_severity,
        path,
        query.literal,
        message,
    )
    .with_data("table", unscoped.table.clone())
    .with_help(format!(
        "{help}; a query meant to cross tenants takes `// commerce-ignore {}: <why>` on the line before its string",
        meta.id
    ));
    // With escapes in the literal, the mention is the whole literal: nothing to add.
    if let Some(range) = mention.filter(|range| *range != query.literal) {
        diagnostic = diagnostic.with_related(path, range, format!("{table} used here"));
    }
    if let Some(column) = tenants.tables.get(&unscoped.table) {
        diagnostic = diagnostic
            .with_related(
                &column.migration,
                column.range,
                format!("{table} gets `{TENANT_COLUMN}` here"),
            )
            .with_data("migration", display_path(&column.migration));
    }
    diagnostic
}

/// What a query leaves unscoped.
#[derive(Debug)]
struct Unscoped {
    table: String,
    /// The alias, or the table's name: how the query calls it.
    binding: String,
    name_span: Option<sqlparser::tokenizer::Span>,
    problem: Problem,
}

#[derive(Debug, Clone, Copy)]
enum Problem {
    /// Read, updated or deleted (the verb) without a tenant predicate.
    Unconstrained(&'static str),
    InsertWithoutTenant,
    ConflictAcrossTenants,
}

/// A table (or CTE, derived table, function) a scope reads from.
#[derive(Debug, Clone)]
struct Relation {
    table: String,
    binding: String,
    name_span: Option<sqlparser::tokenizer::Span>,
    /// Whether its table has the tenant column.
    tenant: bool,
    /// A tenant table: its tenant column is constrained. Another one: some column of it is
    /// equated to a bound value (`t.slug = $1`), so it stands for one row.
    scoped: bool,
    action: &'static str,
}

/// A condition and the relations of the scope it filters (an outer join's `ON` filters only
/// its nullable side).
struct Condition<'q> {
    expr: &'q Expr,
    filters: Vec<usize>,
}

/// Walks one statement scope by scope, collecting what is left unscoped.
struct Walker<'t> {
    tenants: &'t TenantTables,
    /// The CTE names in force, innermost last: they shadow tables.
    ctes: Vec<Vec<String>>,
    found: Vec<Unscoped>,
}

impl Walker<'_> {
    fn statement(&mut self, statement: &ast::Statement, outer: &[Relation]) {
        match statement {
            ast::Statement::Query(query) => self.query(query, outer),
            ast::Statement::Insert(insert) => self.insert(insert, outer),
            ast::Statement::Update(update) => {
                let mut scope = Scope::default();
                self.table_with_joins(&update.table, &mut scope, outer, "updates");
                if let Some(
                    UpdateTableFromKind::BeforeSet(from) | UpdateTableFromKind::AfterSet(from),
                ) = &update.from
                {
                    for table in from {
                        self.table_with_joins(table, &mut scope, outer, "reads");
                    }
                }
                let assigned = update
                    .assignments
                    .iter()
                    .map(|assignment| &assignment.value);
                let returning = returning_exprs(update.returning.as_deref());
                self.close(
                    scope,
                    update.selection.as_ref(),
                    assigned.chain(returning).collect(),
                    outer,
                );
            }
            ast::Statement::Delete(delete) => {
                let mut scope = Scope::default();
                let (FromTable::WithFromKeyword(from) | FromTable::WithoutKeyword(from)) =
                    &delete.from;
                for table in from {
                    self.table_with_joins(table, &mut scope, outer, "deletes");
                }
                for table in delete.using.iter().flatten() {
                    self.table_with_joins(table, &mut scope, outer, "reads");
                }
                let returning = returning_exprs(delete.returning.as_deref());
                self.close(scope, delete.selection.as_ref(), returning.collect(), outer);
            }
            _ => {}
        }
    }

    fn insert(&mut self, insert: &ast::Insert, outer: &[Relation]) {
        if let Some(source) = &insert.source {
            self.query(source, outer);
        }
        let TableObject::TableName(name) = &insert.table else {
            return;
        };
        let table = table_key(name);
        let Some(column) = self.tenant_column(&table) else {
            return;
        };
        let binding = insert
            .table_alias
            .as_ref()
            .map_or_else(|| table.clone(), |alias| normalized_ident(&alias.alias));
        let unscoped = |problem| Unscoped {
            table: table.clone(),
            binding: binding.clone(),
            name_span: Some(name.span()),
            problem,
        };
        let sets_tenant =
            insert.columns.is_empty() || insert.columns.iter().any(name_is_tenant_column);
        if !sets_tenant && !column.has_default {
            self.found.push(unscoped(Problem::InsertWithoutTenant));
        }
        if let Some(OnInsert::OnConflict(OnConflict {
            conflict_target: Some(ConflictTarget::Columns(columns)),
            action: OnConflictAction::DoUpdate(update),
        })) = &insert.on
            && !columns
                .iter()
                .any(|column| normalized_ident(column) == TENANT_COLUMN)
        {
            // The conflicting row is the target; `EXCLUDED` is the row this insert proposes.
            let mut scope = Scope::default();
            scope
                .relations
                .push(relation(&table, binding.clone(), None, true, "updates"));
            let mut excluded = relation("excluded", "excluded".to_owned(), None, false, "reads");
            excluded.scoped = true;
            scope.relations.push(excluded);
            let scoped = update.selection.as_ref().is_some_and(|selection| {
                scope.conditions.push(Condition {
                    expr: selection,
                    filters: vec![0],
                });
                scope.settle(outer);
                scope.relations[0].scoped
            });
            if !scoped {
                self.found.push(unscoped(Problem::ConflictAcrossTenants));
            }
        }
    }

    fn query(&mut self, query: &Query, outer: &[Relation]) {
        let names = query
            .with
            .iter()
            .flat_map(|with| &with.cte_tables)
            .map(|cte| normalized_ident(&cte.alias.name))
            .collect();
        self.ctes.push(names);
        for cte in query.with.iter().flat_map(|with| &with.cte_tables) {
            self.query(&cte.query, outer);
        }
        self.set_expr(&query.body, outer);
        self.ctes.pop();
    }

    fn set_expr(&mut self, body: &SetExpr, outer: &[Relation]) {
        match body {
            SetExpr::Select(select) => self.select(select, outer),
            SetExpr::Query(query) => self.query(query, outer),
            SetExpr::SetOperation { left, right, .. } => {
                self.set_expr(left, outer);
                self.set_expr(right, outer);
            }
            SetExpr::Values(values) => {
                for expr in values.rows.iter().flat_map(|row| &row.content) {
                    self.subqueries(expr, outer);
                }
            }
            SetExpr::Insert(statement)
            | SetExpr::Update(statement)
            | SetExpr::Delete(statement) => self.statement(statement, outer),
            SetExpr::Merge(_) | SetExpr::Table(_) => {}
        }
    }

    fn select(&mut self, select: &Select, outer: &[Relation]) {
        let mut scope = Scope::default();
        for table in &select.from {
            self.table_with_joins(table, &mut scope, outer, "reads");
        }
        let projection = select.projection.iter().filter_map(|item| match item {
            SelectItem::UnnamedExpr(expr) | SelectItem::ExprWithAlias { expr, .. } => Some(expr),
            _ => None,
        });
        self.close(
            scope,
            select.selection.as_ref(),
            projection.chain(&select.having).collect(),
            outer,
        );
    }

    /// Settles which relations of `scope` are scoped under `selection` (which filters them
    /// all), reports the tenant ones that are not, then checks the subqueries of the
    /// conditions and of `others` (projection, assignments, `RETURNING`) with the scope's
    /// relations visible to them.
    fn close<'q>(
        &mut self,
        mut scope: Scope<'q>,
        selection: Option<&'q Expr>,
        others: Vec<&Expr>,
        outer: &[Relation],
    ) {
        if let Some(selection) = selection {
            scope.conditions.push(Condition {
                expr: selection,
                filters: (0..scope.relations.len()).collect(),
            });
        }
        scope.settle(outer);
        for relation in &scope.relations {
            if relation.tenant && !relation.scoped {
                self.found.push(Unscoped {
                    table: relation.table.clone(),
                    binding: relation.binding.clone(),
                    name_span: relation.name_span,
                    problem: Problem::Unconstrained(relation.action),
                });
            }
        }
        let visible: Vec<Relation> = outer.iter().chain(&scope.relations).cloned().collect();
        for condition in &scope.conditions {
            self.subqueries(condition.expr, &visible);
        }
        for expr in others {
            self.subqueries(expr, &visible);
        }
    }

    /// Adds the relations of `FROM a JOIN b ON …` to `scope`, with their join conditions.
    fn table_with_joins<'q>(
        &mut self,
        table: &'q TableWithJoins,
        scope: &mut Scope<'q>,
        outer: &[Relation],
        action: &'static str,
    ) {
        let start = scope.relations.len();
        self.factor(&table.relation, scope, outer, action);
        for join in &table.joins {
            let left: Vec<usize> = (start..scope.relations.len()).collect();
            let right_start = scope.relations.len();
            self.factor(&join.relation, scope, outer, "reads");
            let right: Vec<usize> = (right_start..scope.relations.len()).collect();
            let (constraint, filters) = match &join.join_operator {
                JoinOperator::Left(constraint) | JoinOperator::LeftOuter(constraint) => {
                    (constraint, right)
                }
                JoinOperator::Right(constraint) | JoinOperator::RightOuter(constraint) => {
                    (constraint, left)
                }
                JoinOperator::FullOuter(constraint) => (constraint, Vec::new()),
                JoinOperator::Join(constraint)
                | JoinOperator::Inner(constraint)
                | JoinOperator::CrossJoin(constraint) => {
                    (constraint, (start..scope.relations.len()).collect())
                }
                _ => continue,
            };
            match constraint {
                JoinConstraint::On(expr) => scope.conditions.push(Condition { expr, filters }),
                JoinConstraint::Using(columns) if columns.iter().any(name_is_tenant_column) => {
                    scope.using_tenant.push(UsingTenant {
                        joined: (start..scope.relations.len()).collect(),
                        filters,
                    });
                }
                _ => {}
            }
        }
    }

    fn factor<'q>(
        &mut self,
        factor: &'q TableFactor,
        scope: &mut Scope<'q>,
        outer: &[Relation],
        action: &'static str,
    ) {
        match factor {
            TableFactor::Table {
                name,
                alias,
                args: None,
                ..
            } => {
                let table = table_key(name);
                let is_cte =
                    name.0.len() == 1 && self.ctes.iter().any(|names| names.contains(&table));
                let binding = alias
                    .as_ref()
                    .map_or_else(|| table.clone(), |alias| normalized_ident(&alias.name));
                let tenant = !is_cte && self.tenant_column(&table).is_some();
                scope
                    .relations
                    .push(relation(&table, binding, Some(name.span()), tenant, action));
            }
            TableFactor::Derived {
                lateral,
                subquery,
                alias,
                ..
            } => {
                // A LATERAL subquery sees the relations before it; their scoping is not
                // settled yet, so it sees them as they stand.
                let visible: Vec<Relation> = if *lateral {
                    outer.iter().chain(&scope.relations).cloned().collect()
                } else {
                    outer.to_vec()
                };
                self.query(subquery, &visible);
                if let Some(alias) = alias {
                    let binding = normalized_ident(&alias.name);
                    scope
                        .relations
                        .push(relation(&binding, binding.clone(), None, false, action));
                }
            }
            TableFactor::NestedJoin {
                table_with_joins, ..
            } => self.table_with_joins(table_with_joins, scope, outer, action),
            _ => {}
        }
    }

    fn tenant_column(&self, table: &str) -> Option<&TenantColumn> {
        self.tenants.tables.get(table)
    }

    /// Checks every subquery of `expr` as a scope of its own, `visible` to it for correlation.
    fn subqueries(&mut self, expr: &Expr, visible: &[Relation]) {
        match expr {
            Expr::Subquery(query)
            | Expr::Exists {
                subquery: query, ..
            } => {
                self.query(query, visible);
            }
            Expr::InSubquery { expr, subquery, .. } => {
                self.subqueries(expr, visible);
                self.query(subquery, visible);
            }
            _ => {
                for child in children(expr) {
                    self.subqueries(child, visible);
                }
            }
        }
    }
}

/// The relations of one scope, the conditions that filter them, and the `JOIN … USING
/// (tenant_id)` groups.
#[derive(Default)]
struct Scope<'q> {
    relations: Vec<Relation>,
    conditions: Vec<Condition<'q>>,
    using_tenant: Vec<UsingTenant>,
}

/// `a JOIN b USING (tenant_id)`: the relations it joins, and those it filters.
struct UsingTenant {
    joined: Vec<usize>,
    filters: Vec<usize>,
}

impl Scope<'_> {
    /// Marks relations scoped until nothing changes: a relation scoped by one condition can
    /// scope another through `a.tenant_id = b.tenant_id`.
    fn settle(&mut self, outer: &[Relation]) {
        loop {
            let mut changed = false;
            for condition in &self.conditions {
                for &index in &condition.filters {
                    if !self.relations[index].scoped
                        && scopes(condition.expr, index, &self.relations, outer)
                    {
                        self.relations[index].scoped = true;
                        changed = true;
                    }
                }
            }
            for using in &self.using_tenant {
                let any_scoped = using
                    .joined
                    .iter()
                    .any(|&index| self.relations[index].tenant && self.relations[index].scoped);
                for &index in &using.filters {
                    if any_scoped && !self.relations[index].scoped {
                        self.relations[index].scoped = true;
                        changed = true;
                    }
                }
            }
            if !changed {
                return;
            }
        }
    }
}

fn relation(
    table: &str,
    binding: String,
    name_span: Option<sqlparser::tokenizer::Span>,
    tenant: bool,
    action: &'static str,
) -> Relation {
    Relation {
        table: table.to_owned(),
        binding,
        name_span,
        tenant,
        scoped: false,
        action,
    }
}

/// Whether `expr`, true for every row kept, pins relation `index` of `relations`: its tenant
/// column for a tenant table, any column for another.
fn scopes(expr: &Expr, index: usize, relations: &[Relation], outer: &[Relation]) -> bool {
    let target = |side: &Expr| names_column_of(side, index, relations);
    let bound = |side: &Expr| is_bound(side, relations, outer);
    match expr {
        Expr::Nested(inner) => scopes(inner, index, relations, outer),
        Expr::BinaryOp {
            left,
            op: BinaryOperator::And,
            right,
        } => scopes(left, index, relations, outer) || scopes(right, index, relations, outer),
        Expr::BinaryOp {
            left,
            op: BinaryOperator::Or,
            right,
        } => scopes(left, index, relations, outer) && scopes(right, index, relations, outer),
        Expr::BinaryOp {
            left,
            op: BinaryOperator::Eq,
            right,
        }
        | Expr::IsNotDistinctFrom(left, right) => match (strip(left), strip(right)) {
            (Expr::Tuple(lefts), Expr::Tuple(rights)) if lefts.len() == rights.len() => lefts
                .iter()
                .zip(rights)
                .any(|(l, r)| (target(l) && bound(r)) || (target(r) && bound(l))),
            _ => (target(left) && bound(right)) || (target(right) && bound(left)),
        },
        Expr::InList {
            expr,
            list,
            negated: false,
        } => target(expr) && list.iter().all(bound),
        // The subquery is a scope of its own, checked on its own.
        Expr::InSubquery {
            expr,
            negated: false,
            ..
        } => target(expr),
        Expr::AnyOp {
            left,
            compare_op: BinaryOperator::Eq,
            right,
            ..
        } => target(left) && bound(right),
        // Rows shared by every tenant (`OR tenant_id IS NULL`).
        Expr::IsNull(inner) => relations[index].tenant && target(inner),
        _ => false,
    }
}

/// Whether `expr` names the column of relation `index` that pins it: `tenant_id` (qualified,
/// or bare) for a tenant table; any qualified column of another (or a bare one when it is
/// alone in its scope).
fn names_column_of(expr: &Expr, index: usize, relations: &[Relation]) -> bool {
    let relation = &relations[index];
    match strip(expr) {
        Expr::Identifier(ident) => {
            if relation.tenant {
                normalized_ident(ident) == TENANT_COLUMN
            } else {
                relations.len() == 1
            }
        }
        Expr::CompoundIdentifier(parts) => match parts.as_slice() {
            [.., qualifier, column] => {
                normalized_ident(qualifier) == relation.binding
                    && (!relation.tenant || normalized_ident(column) == TENANT_COLUMN)
            }
            _ => false,
        },
        _ => false,
    }
}

/// Whether `expr` has one value for the whole query: literals, parameters, functions and
/// operators over them, subqueries (checked on their own), and columns of scoped relations
/// (a tenant table's `tenant_id`, any column of another pinned one).
fn is_bound(expr: &Expr, relations: &[Relation], outer: &[Relation]) -> bool {
    match strip(expr) {
        Expr::Value(_) | Expr::TypedString(_) | Expr::Subquery(_) => true,
        Expr::CompoundIdentifier(parts) => match parts.as_slice() {
            [.., qualifier, column] => {
                let qualifier = normalized_ident(qualifier);
                relations
                    .iter()
                    .chain(outer.iter().rev())
                    .find(|relation| relation.binding == qualifier)
                    .is_some_and(|relation| {
                        relation.scoped
                            && (!relation.tenant || normalized_ident(column) == TENANT_COLUMN)
                    })
            }
            _ => false,
        },
        Expr::Function(function) => function_args(function)
            .iter()
            .all(|arg| is_bound(arg, relations, outer)),
        Expr::BinaryOp { left, right, .. } => {
            is_bound(left, relations, outer) && is_bound(right, relations, outer)
        }
        Expr::UnaryOp { expr, .. } => is_bound(expr, relations, outer),
        Expr::Array(array) => array
            .elem
            .iter()
            .all(|elem| is_bound(elem, relations, outer)),
        _ => false,
    }
}

/// `expr` without parentheses and casts around it.
fn strip(expr: &Expr) -> &Expr {
    match expr {
        Expr::Nested(inner) | Expr::Cast { expr: inner, .. } => strip(inner),
        _ => expr,
    }
}

fn name_is_tenant_column(name: &ObjectName) -> bool {
    name.0
        .last()
        .and_then(|part| part.as_ident())
        .is_some_and(|ident| normalized_ident(ident) == TENANT_COLUMN)
}

fn function_args(function: &ast::Function) -> Vec<&Expr> {
    match &function.args {
        FunctionArguments::List(list) => list
            .args
            .iter()
            .filter_map(|arg| match arg {
                FunctionArg::Unnamed(FunctionArgExpr::Expr(expr))
                | FunctionArg::Named {
                    arg: FunctionArgExpr::Expr(expr),
                    ..
                }
                | FunctionArg::ExprNamed {
                    arg: FunctionArgExpr::Expr(expr),
                    ..
                } => Some(expr),
                _ => None,
            })
            .collect(),
        FunctionArguments::None | FunctionArguments::Subquery(_) => Vec::new(),
    }
}

/// The expressions right under `expr` where a subquery may sit (the common forms; a
/// subquery under a rarer one is not checked).
fn children(expr: &Expr) -> Vec<&Expr> {
    match expr {
        Expr::BinaryOp { left, right, .. }
        | Expr::AnyOp { left, right, .. }
        | Expr::AllOp { left, right, .. }
        | Expr::IsDistinctFrom(left, right)
        | Expr::IsNotDistinctFrom(left, right) => vec![left, right],
        Expr::UnaryOp { expr, .. }
        | Expr::Nested(expr)
        | Expr::Cast { expr, .. }
        | Expr::IsNull(expr)
        | Expr::IsNotNull(expr)
        | Expr::IsTrue(expr)
        | Expr::IsFalse(expr) => vec![expr],
        Expr::InList { expr, list, .. } => std::iter::once(&**expr).chain(list).collect(),
        Expr::Between {
            expr, low, high, ..
        } => vec![expr, low, high],
        Expr::Like { expr, pattern, .. } | Expr::ILike { expr, pattern, .. } => {
            vec![expr, pattern]
        }
        Expr::Case {
            operand,
            conditions,
            else_result,
            ..
        } => operand
            .as_deref()
            .into_iter()
            .chain(
                conditions
                    .iter()
                    .flat_map(|when| [&when.condition, &when.result]),
            )
            .chain(else_result.as_deref())
            .collect(),
        Expr::Function(function) => function_args(function),
        Expr::Tuple(exprs) => exprs.iter().collect(),
        Expr::Array(array) => array.elem.iter().collect(),
        _ => Vec::new(),
    }
}

fn returning_exprs(returning: Option<&[SelectItem]>) -> impl Iterator<Item = &Expr> {
    returning
        .into_iter()
        .flatten()
        .filter_map(|item| match item {
            SelectItem::UnnamedExpr(expr) | SelectItem::ExprWithAlias { expr, .. } => Some(expr),
            _ => None,
        })
}

#[cfg(test)]
mod tests {
    use commerce_project::MemoryFs;

    use super::*;
    use crate::rules::test_support::{fixture, migration, snapshot_listing};

    const RUST_PATH: &str = "src/orders.rs";

    fn fixture_schema() -> TenantTables {
        let (_, init) = fixture!("query-without-tenant-scope", "migrations/0001_init.up.sql");
        let (_, later) = fixture!(
            "query-without-tenant-scope",
            "migrations/0002_tenant_lines.up.sql"
        );
        let mut first = migration(init);
        first.up.path = PathBuf::from("migrations/0001_init.up.sql");
        let mut second = migration(later);
        second.up.path = PathBuf::from("migrations/0002_tenant_lines.up.sql");
        TenantTables::read([&first, &second], Dialect::Postgres)
    }

    fn found(rust: &str) -> Vec<Diagnostic> {
        let fs = MemoryFs::new().with_file(Path::new("/p").join(RUST_PATH), rust);
        check(
            &fs,
            Path::new("/p"),
            &[PathBuf::from(RUST_PATH)],
            &fixture_schema(),
            Dialect::Postgres,
            &|_| true,
        )
    }

    /// `(table, message)` of each finding for the query `sql`, against the fixture's schema.
    fn unscoped(sql: &str) -> Vec<String> {
        found(&format!("fn f() {{ sqlx::query({sql:?}); }}"))
            .into_iter()
            .map(|diagnostic| diagnostic.data["table"].as_str().unwrap_or("").to_owned())
            .collect()
    }

    #[test]
    fn invalid_fixture_matches_its_snapshot() {
        let (_, rust) = fixture!("query-without-tenant-scope", "src/invalid.rs");
        let diagnostics = found(rust);
        // The suppression is the analysis's business: here the login query is still found.
        assert_eq!(diagnostics.len(), 12, "{diagnostics:#?}");
        insta::assert_snapshot!("invalid", snapshot_listing(rust, &diagnostics));
    }

    #[test]
    fn valid_fixture_has_no_findings() {
        let (_, rust) = fixture!("query-without-tenant-scope", "src/valid.rs");
        assert_eq!(found(rust), []);
    }

    #[test]
    fn the_schema_is_the_one_the_migrations_end_with() {
        let schema = fixture_schema();
        let mut tables: Vec<&str> = schema.tables.keys().map(String::as_str).collect();
        tables.sort_unstable();
        assert_eq!(tables, ["events", "lines", "orders", "products", "users"]);
        assert!(schema.tables["events"].has_default);
        let renamed = TenantTables::read(
            [&migration(
                "CREATE TABLE a (tenant_id bigint); ALTER TABLE a RENAME TO b; \
                 CREATE TABLE c (tenant_id bigint); ALTER TABLE c RENAME COLUMN tenant_id TO org; \
                 CREATE TABLE d (tenant_id bigint); DROP TABLE d;",
            )],
            Dialect::Postgres,
        );
        assert_eq!(renamed.tables.keys().collect::<Vec<_>>(), ["b"]);
        let registries = TenantTables::read(
            [&migration(
                "CREATE TABLE tenant (tenant_id uuid PRIMARY KEY, slug text); \
                 CREATE TABLE tenants2 (tenant_id uuid, PRIMARY KEY (tenant_id)); \
                 CREATE TABLE settings (tenant_id uuid PRIMARY KEY REFERENCES tenant (tenant_id)); \
                 CREATE TABLE members (tenant_id uuid, user_id uuid, PRIMARY KEY (tenant_id, user_id));",
            )],
            Dialect::Postgres,
        );
        let mut tables: Vec<&String> = registries.tables.keys().collect();
        tables.sort_unstable();
        assert_eq!(tables, ["members", "settings"]);
    }

    #[test]
    fn scoped_and_unscoped_selects() {
        assert_eq!(unscoped("SELECT * FROM orders WHERE id = $1"), ["orders"]);
        assert_eq!(unscoped("SELECT * FROM orders"), ["orders"]);
        assert!(unscoped("SELECT * FROM orders WHERE tenant_id = $1 AND id = $2").is_empty());
        assert!(unscoped("SELECT * FROM orders WHERE $1 = tenant_id").is_empty());
        assert!(unscoped("SELECT * FROM orders WHERE tenant_id = 7").is_empty());
        assert!(unscoped("SELECT * FROM orders WHERE tenant_id IN ($1, $2)").is_empty());
        assert_eq!(
            unscoped("SELECT * FROM orders WHERE tenant_id IN ($1, user_id)"),
            ["orders"]
        );
        assert_eq!(
            unscoped("SELECT * FROM orders WHERE tenant_id <> $1"),
            ["orders"]
        );
        assert_eq!(
            unscoped("SELECT * FROM orders WHERE tenant_id = user_id"),
            ["orders"]
        );
    }

    #[test]
    fn tables_without_a_tenant_column_are_never_findings() {
        assert!(unscoped("SELECT * FROM tenants").is_empty());
        assert!(unscoped("SELECT * FROM currencies").is_empty());
        assert!(unscoped("DELETE FROM tenants WHERE id = $1").is_empty());
        assert!(unscoped("SELECT * FROM unknown_table").is_empty());
    }

    #[test]
    fn aliases_and_schema_qualified_names() {
        assert!(unscoped("SELECT * FROM public.orders o WHERE o.tenant_id = $1").is_empty());
        assert!(unscoped("SELECT * FROM orders WHERE public.orders.tenant_id = $1").is_empty());
        assert!(unscoped("SELECT * FROM \"orders\" AS o WHERE o.tenant_id = $1").is_empty());
        // Another table's tenant column does not scope this one.
        assert_eq!(
            unscoped("SELECT * FROM orders o, users u WHERE u.tenant_id = $1"),
            ["orders"]
        );
    }

    #[test]
    fn joins_scope_through_a_scoped_tables_tenant() {
        assert!(
            unscoped(
                "SELECT * FROM orders o JOIN users u ON u.tenant_id = o.tenant_id AND u.id = o.user_id WHERE o.tenant_id = $1"
            )
            .is_empty()
        );
        // The chain may run either way, and through the WHERE.
        assert!(
            unscoped(
                "SELECT * FROM orders o JOIN lines l ON l.order_id = o.id JOIN users u ON u.id = o.user_id \
                 WHERE u.tenant_id = $1 AND o.tenant_id = u.tenant_id AND l.tenant_id = o.tenant_id"
            )
            .is_empty()
        );
        assert_eq!(
            unscoped(
                "SELECT * FROM orders o JOIN users u ON u.id = o.user_id WHERE o.tenant_id = $1"
            ),
            ["users"]
        );
        // Two unscoped tables equated to each other are still unscoped.
        assert_eq!(
            unscoped("SELECT * FROM orders o JOIN users u ON u.tenant_id = o.tenant_id"),
            ["orders", "users"]
        );
        // A LEFT JOIN's ON filters only its right side.
        assert_eq!(
            unscoped(
                "SELECT * FROM orders o LEFT JOIN users u ON o.tenant_id = $1 AND u.tenant_id = $1"
            ),
            ["orders"]
        );
        assert!(
            unscoped(
                "SELECT * FROM orders JOIN users USING (tenant_id) WHERE users.tenant_id = $1"
            )
            .is_empty()
        );
    }

    #[test]
    fn subqueries_are_scopes_of_their_own() {
        assert_eq!(
            unscoped(
                "SELECT * FROM tenants WHERE id IN (SELECT tenant_id FROM users WHERE email = $1)"
            ),
            ["users"]
        );
        assert_eq!(
            unscoped(
                "SELECT (SELECT count(*) FROM lines l WHERE l.order_id = o.id) FROM orders o WHERE o.tenant_id = $1"
            ),
            ["lines"]
        );
        assert!(
            unscoped(
                "SELECT (SELECT count(*) FROM lines l WHERE l.order_id = o.id AND l.tenant_id = o.tenant_id) \
                 FROM orders o WHERE o.tenant_id = $1"
            )
            .is_empty()
        );
        assert_eq!(
            unscoped("SELECT * FROM (SELECT * FROM orders) AS x WHERE x.total > 0"),
            ["orders"]
        );
        assert_eq!(
            unscoped("SELECT id FROM orders WHERE tenant_id = $1 UNION SELECT id FROM lines"),
            ["lines"]
        );
    }

    #[test]
    fn ctes_are_checked_and_shadow_tables() {
        assert_eq!(
            unscoped("WITH x AS (SELECT * FROM orders) SELECT * FROM x"),
            ["orders"]
        );
        assert!(unscoped("WITH orders AS (SELECT 1 AS id) SELECT * FROM orders").is_empty());
        assert!(
            unscoped("WITH x AS (SELECT * FROM orders WHERE tenant_id = $1) SELECT * FROM x")
                .is_empty()
        );
    }

    #[test]
    fn updates_and_deletes() {
        assert_eq!(
            unscoped("UPDATE orders SET total = 0 WHERE id = $1"),
            ["orders"]
        );
        assert!(
            unscoped("UPDATE orders SET total = 0 WHERE tenant_id = $1 AND id = $2").is_empty()
        );
        assert_eq!(
            unscoped(
                "UPDATE orders o SET total = 0 FROM users u WHERE u.id = o.user_id AND o.tenant_id = $1"
            ),
            ["users"]
        );
        assert_eq!(
            unscoped("DELETE FROM orders WHERE id = $1 RETURNING id"),
            ["orders"]
        );
        assert!(unscoped("DELETE FROM orders WHERE tenant_id = $1 RETURNING id").is_empty());
        assert_eq!(
            unscoped(
                "DELETE FROM orders o USING users u WHERE o.user_id = u.id AND u.tenant_id = $1"
            ),
            ["orders"]
        );
        assert_eq!(
            unscoped(
                "WITH gone AS (DELETE FROM lines WHERE order_id = $1 RETURNING id) SELECT count(*) FROM gone"
            ),
            ["lines"]
        );
    }

    #[test]
    fn inserts() {
        assert!(unscoped("INSERT INTO orders (id, tenant_id) VALUES ($1, $2)").is_empty());
        assert!(unscoped("INSERT INTO orders VALUES ($1, $2, $3, $4, $5)").is_empty());
        assert_eq!(unscoped("INSERT INTO orders (id) VALUES ($1)"), ["orders"]);
        assert!(unscoped("INSERT INTO events (id, kind) VALUES ($1, $2)").is_empty());
        assert!(unscoped("INSERT INTO tenants (id, slug) VALUES ($1, $2)").is_empty());
        assert_eq!(
            unscoped("INSERT INTO tenants (id, slug) SELECT tenant_id, sku FROM lines"),
            ["lines"]
        );
        assert!(
            unscoped(
                "INSERT INTO products (id, tenant_id, sku) VALUES ($1, $2, $3) ON CONFLICT (sku) DO NOTHING"
            )
            .is_empty()
        );
        assert_eq!(
            unscoped(
                "INSERT INTO products (id, tenant_id, sku) VALUES ($1, $2, $3) ON CONFLICT (sku) DO UPDATE SET price = 1"
            ),
            ["products"]
        );
        assert!(
            unscoped(
                "INSERT INTO products (id, tenant_id, sku) VALUES ($1, $2, $3) ON CONFLICT (sku) \
                 DO UPDATE SET price = 1 WHERE products.tenant_id = $2"
            )
            .is_empty()
        );
    }

    #[test]
    fn test_code_is_not_checked() {
        let unscoped = r#"sqlx::query("SELECT * FROM orders")"#;
        let rust = format!(
            "#[tokio::test]\nasync fn t() {{ {unscoped}; }}\n#[cfg(test)]\nmod tests {{ fn f() {{ {unscoped}; }} }}\n"
        );
        assert_eq!(found(&rust), []);
        let fs = MemoryFs::new().with_file(
            "/p/tests/orders.rs",
            format!("fn helper() {{ {unscoped}; }}"),
        );
        let files = [PathBuf::from("tests/orders.rs")];
        let schema = fixture_schema();
        assert_eq!(
            check(
                &fs,
                Path::new("/p"),
                &files,
                &schema,
                Dialect::Postgres,
                &|_| true
            ),
            []
        );
    }

    #[test]
    fn what_is_not_read_is_no_finding() {
        assert!(unscoped("SELEC * FROM orders").is_empty());
        assert!(unscoped("").is_empty());
        let rust = "fn f(t: &str) { sqlx::query(&format!(\"SELECT * FROM {t}\")); }";
        assert_eq!(found(rust), []);
    }

    #[test]
    fn a_finding_points_at_the_literal_and_names_the_table_and_the_migration() {
        let rust =
            "fn f() {\n    sqlx::query!(\"SELECT * FROM orders o WHERE o.id = $1\", 1);\n}\n";
        let diagnostics = found(rust);
        let [diagnostic] = diagnostics.as_slice() else {
            panic!("{diagnostics:#?}");
        };
        assert_eq!(
            &rust[diagnostic.range.to_usize_range()],
            "\"SELECT * FROM orders o WHERE o.id = $1\""
        );
        assert!(
            diagnostic.message.contains("`o.tenant_id`"),
            "{}",
            diagnostic.message
        );
        assert_eq!(
            &rust[diagnostic.related[0].range.to_usize_range()],
            "orders"
        );
        assert_eq!(
            diagnostic.related[1].path,
            Path::new("migrations/0001_init.up.sql")
        );
    }

    #[test]
    fn only_listed_files_unless_a_listed_migration_defines_a_tenant_column() {
        let fs = MemoryFs::new()
            .with_file(
                "/p/src/a.rs",
                r#"fn a() { sqlx::query!("SELECT * FROM orders"); }"#,
            )
            .with_file(
                "/p/src/b.rs",
                r#"fn b() { sqlx::query!("SELECT * FROM orders"); }"#,
            );
        let files = [PathBuf::from("src/a.rs"), PathBuf::from("src/b.rs")];
        let schema = fixture_schema();
        let found_where = |listed: &dyn Fn(&Path) -> bool| -> Vec<PathBuf> {
            check(
                &fs,
                Path::new("/p"),
                &files,
                &schema,
                Dialect::Postgres,
                listed,
            )
            .into_iter()
            .map(|diagnostic| diagnostic.path)
            .collect()
        };
        assert_eq!(
            found_where(&|path| path == Path::new("src/b.rs")),
            [PathBuf::from("src/b.rs")]
        );
        assert_eq!(
            found_where(&|path| path == Path::new("migrations/0002_tenant_lines.up.sql")),
            files
        );
        assert_eq!(found_where(&|_| false), Vec::<PathBuf>::new());
    }

    proptest::proptest! {
        /// Whatever the query, reading it never panics and every finding points inside the
        /// Rust file.
        #[test]
        fn never_panics_and_points_inside_the_file(
            query in "(SELECT|UPDATE|DELETE|INSERT|WITH|FROM|JOIN|ON|WHERE|AND|OR|IN|tenant_id|orders|lines|o|\\.|,|=|\\$1|\\(|\\)|€| ){0,24}",
        ) {
            let rust = format!("fn f() {{ sqlx::query!(r#\"{query}\"#); sqlx::query({query:?}); }}");
            for diagnostic in found(&rust) {
                for range in std::iter::once(diagnostic.range)
                    .chain(diagnostic.related.iter().filter(|label| label.path == Path::new(RUST_PATH)).map(|label| label.range))
                {
                    proptest::prop_assert!(rust.get(range.to_usize_range()).is_some(), "{diagnostic:?}");
                }
            }
        }
    }
}
