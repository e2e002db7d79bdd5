//! Facts about DDL statements that several rules need: each `ALTER TABLE` operation with the
//! bytes it covers, each column definition with the bytes of its type, table names.

use commerce_diagnostics::TextRange;
use sqlparser::ast::{
    self, AlterTableOperation, ColumnDef, ColumnOption, CreateTable, DataType, ObjectName,
    ObjectNamePart, TableConstraint,
};

use super::{Statement, TokenSlice};

/// Words that start a column constraint or option after a column's type.
const COLUMN_OPTION_WORDS: [&str; 12] = [
    "NOT",
    "NULL",
    "DEFAULT",
    "PRIMARY",
    "UNIQUE",
    "REFERENCES",
    "CHECK",
    "CONSTRAINT",
    "COLLATE",
    "GENERATED",
    "USING",
    "COMPRESSION",
];

/// Words that start a table constraint inside `CREATE TABLE ( … )`.
const TABLE_CONSTRAINT_WORDS: [&str; 7] = [
    "CONSTRAINT",
    "PRIMARY",
    "UNIQUE",
    "FOREIGN",
    "CHECK",
    "EXCLUDE",
    "LIKE",
];

/// A table name as Postgres resolves it: unquoted parts folded to lower case.
pub(crate) fn normalized_name(name: &ObjectName) -> String {
    name.0
        .iter()
        .map(|part| match part {
            ObjectNamePart::Identifier(ident) => normalized_ident(ident),
            other => other.to_string(),
        })
        .collect::<Vec<_>>()
        .join(".")
}

pub(crate) fn normalized_ident(ident: &ast::Ident) -> String {
    if ident.quote_style.is_some() {
        ident.value.clone()
    } else {
        ident.value.to_lowercase()
    }
}

/// The last part of a name: `public.orders` is `orders`.
pub(crate) fn table_key(name: &ObjectName) -> String {
    normalized_name(name)
        .rsplit('.')
        .next()
        .unwrap_or_default()
        .to_owned()
}

/// One operation of an `ALTER TABLE` and the bytes it covers.
#[derive(Debug, Clone, Copy)]
pub(crate) struct AlterOperation<'a> {
    pub table: &'a ObjectName,
    pub operation: &'a AlterTableOperation,
    /// The operation's own tokens; the whole statement's when they could not be told apart.
    pub tokens: TokenSlice<'a>,
}

impl AlterOperation<'_> {
    pub fn range(&self) -> TextRange {
        self.tokens.range()
    }

    /// Whether the operation adds a constraint `is_constraint` accepts, as a table constraint
    /// (`ADD CONSTRAINT … UNIQUE (…)`) or as an option of an added column (`ADD COLUMN … UNIQUE`).
    pub fn adds_constraint(
        &self,
        is_constraint: impl Fn(&TableConstraint) -> bool,
        is_column_option: impl Fn(&ColumnOption) -> bool,
    ) -> bool {
        match self.operation {
            AlterTableOperation::AddConstraint { constraint, .. } => is_constraint(constraint),
            AlterTableOperation::AddColumn { column_def, .. } => column_def
                .options
                .iter()
                .any(|option| is_column_option(&option.option)),
            _ => false,
        }
    }
}

/// The operations of an `ALTER TABLE` statement, each with its tokens.
pub(crate) fn alter_operations(statement: &Statement) -> Vec<AlterOperation<'_>> {
    let Some(ast::Statement::AlterTable(alter)) = statement.ast() else {
        return Vec::new();
    };
    let tokens = statement.tokens();
    let segments = operation_segments(tokens);
    let matched = segments.len() == alter.operations.len();
    alter
        .operations
        .iter()
        .enumerate()
        .map(|(index, operation)| AlterOperation {
            table: &alter.name,
            operation,
            tokens: if matched { segments[index] } else { tokens },
        })
        .collect()
}

/// Splits `ALTER TABLE [IF EXISTS] [ONLY] name [*] op, op, …` into the operations' tokens.
fn operation_segments(tokens: TokenSlice<'_>) -> Vec<TokenSlice<'_>> {
    let mut start = 2;
    if tokens.words_at(start, &["IF", "EXISTS"]) {
        start += 2;
    }
    if tokens.words_at(start, &["ONLY"]) {
        start += 1;
    }
    start += tokens.object_name_len(start);
    if tokens
        .get(start)
        .is_some_and(|token| token.token == sqlparser::tokenizer::Token::Mul)
    {
        start += 1;
    }
    tokens.from(start).split_top_level_commas()
}

/// A column definition (in `CREATE TABLE` or `ADD COLUMN`) and where its parts are.
#[derive(Debug, Clone, Copy)]
pub(crate) struct ColumnFact<'a> {
    pub table: &'a ObjectName,
    pub column: &'a ColumnDef,
    /// The definition's tokens, from the column name on.
    pub tokens: TokenSlice<'a>,
    /// Whether the column is added to an existing table (`ALTER TABLE … ADD COLUMN`).
    pub added: bool,
}

impl ColumnFact<'_> {
    /// The bytes of the column's type, e.g. `varchar(255)` or `timestamp without time zone`.
    pub fn type_range(&self) -> TextRange {
        let after_name = self.tokens.from(1);
        let end = after_name
            .position_top_level(|token| COLUMN_OPTION_WORDS.iter().any(|word| token.is_word(word)))
            .unwrap_or(after_name.len());
        let type_tokens = after_name.slice(0, end);
        if type_tokens.is_empty() {
            self.tokens.range()
        } else {
            type_tokens.range()
        }
    }

    /// The bytes of the column option starting with `keyword` through its value, e.g.
    /// `DEFAULT now()`.
    pub fn option_range(&self, keyword: &str) -> Option<TextRange> {
        let after_name = self.tokens.from(1);
        let start = after_name.position_top_level(|token| token.is_word(keyword))?;
        let rest = after_name.from(start + 1);
        let end = rest
            .position_top_level(|token| COLUMN_OPTION_WORDS.iter().any(|word| token.is_word(word)))
            .unwrap_or(rest.len());
        Some(after_name.slice(start, start + 1 + end).range())
    }

    pub fn options(&self) -> impl Iterator<Item = &ColumnOption> {
        self.column.options.iter().map(|option| &option.option)
    }

    pub fn data_type(&self) -> &DataType {
        &self.column.data_type
    }
}

/// Every column a statement defines: those of `CREATE TABLE` and those `ALTER TABLE` adds.
pub(crate) fn column_definitions(statement: &Statement) -> Vec<ColumnFact<'_>> {
    match statement.ast() {
        Some(ast::Statement::CreateTable(create)) => create_table_columns(statement, create),
        Some(ast::Statement::AlterTable(_)) => alter_operations(statement)
            .into_iter()
            .filter_map(|operation| match operation.operation {
                AlterTableOperation::AddColumn { column_def, .. } => Some(ColumnFact {
                    table: operation.table,
                    column: column_def,
                    tokens: added_column_tokens(operation.tokens),
                    added: true,
                }),
                _ => None,
            })
            .collect(),
        _ => Vec::new(),
    }
}

/// The tokens of `ADD [COLUMN] [IF NOT EXISTS] name type …` from the name on.
fn added_column_tokens(tokens: TokenSlice<'_>) -> TokenSlice<'_> {
    let mut start = 1;
    if tokens.words_at(start, &["COLUMN"]) {
        start += 1;
    }
    if tokens.words_at(start, &["IF", "NOT", "EXISTS"]) {
        start += 3;
    }
    tokens.from(start)
}

fn create_table_columns<'a>(
    statement: &'a Statement,
    create: &'a CreateTable,
) -> Vec<ColumnFact<'a>> {
    let tokens = statement.tokens();
    let Some(open) =
        tokens.position_top_level(|token| token.token == sqlparser::tokenizer::Token::LParen)
    else {
        return Vec::new();
    };
    let Some(body) = tokens.parenthesised(open) else {
        return Vec::new();
    };
    let column_segments: Vec<_> = body
        .split_top_level_commas()
        .into_iter()
        .filter(|segment| {
            !segment.is_empty()
                && !TABLE_CONSTRAINT_WORDS
                    .iter()
                    .any(|word| segment.starts_with_words(&[word]))
        })
        .collect();
    if column_segments.len() != create.columns.len() {
        return Vec::new();
    }
    create
        .columns
        .iter()
        .zip(column_segments)
        .map(|(column, tokens)| ColumnFact {
            table: &create.name,
            column,
            tokens,
            added: false,
        })
        .collect()
}

/// The tables a file creates, by [`table_key`]: changes to them lock nothing anyone waits on.
pub(crate) fn created_tables(statements: &[Statement]) -> std::collections::HashSet<String> {
    statements
        .iter()
        .filter_map(|statement| match statement.ast() {
            Some(ast::Statement::CreateTable(create)) => Some(table_key(&create.name)),
            _ => None,
        })
        .collect()
}
