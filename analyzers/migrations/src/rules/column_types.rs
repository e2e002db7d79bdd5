//! The columns whose type a statement sets, for the rules about column types: those of
//! `CREATE TABLE`, `ADD COLUMN`, and `ALTER COLUMN … TYPE`.

use commerce_diagnostics::{Diagnostic, RuleMeta, TextRange};
use sqlparser::ast::{AlterColumnOperation, AlterTableOperation, ArrayElemTypeDef, DataType};

use super::{MigrationSource, shown};
use crate::sql::ddl::{alter_operations, column_definitions};

/// A column and the type a statement gives it.
#[derive(Debug)]
pub(crate) struct TypedColumn<'a> {
    pub table: String,
    pub column: String,
    pub data_type: &'a DataType,
    pub type_range: TextRange,
}

/// Every column whose type the file sets, in file order.
pub(crate) fn typed_columns<'a>(source: &MigrationSource<'a>) -> Vec<TypedColumn<'a>> {
    let mut columns = Vec::new();
    for statement in source.statements() {
        columns.extend(
            column_definitions(statement)
                .into_iter()
                .map(|fact| TypedColumn {
                    table: fact.table.to_string(),
                    column: fact.column.name.to_string(),
                    data_type: &fact.column.data_type,
                    type_range: fact.type_range(),
                }),
        );
        columns.extend(
            alter_operations(statement)
                .into_iter()
                .filter_map(|operation| {
                    let AlterTableOperation::AlterColumn {
                        column_name,
                        op: AlterColumnOperation::SetDataType { data_type, .. },
                    } = operation.operation
                    else {
                        return None;
                    };
                    let tokens = operation.tokens;
                    let start = tokens.find_words(&["TYPE"])? + 1;
                    let rest = tokens.from(start);
                    let end = rest
                        .position_top_level(|token| {
                            token.is_word("USING") || token.is_word("COLLATE")
                        })
                        .unwrap_or(rest.len());
                    Some(TypedColumn {
                        table: operation.table.to_string(),
                        column: column_name.to_string(),
                        data_type,
                        type_range: rest.slice(0, end).range(),
                    })
                }),
        );
    }
    columns
}

/// The element type of an array type, or the type itself.
pub(crate) fn element_type(data_type: &DataType) -> &DataType {
    match data_type {
        DataType::Array(
            ArrayElemTypeDef::AngleBracket(inner)
            | ArrayElemTypeDef::SquareBracket(inner, _)
            | ArrayElemTypeDef::Parenthesis(inner)
            | ArrayElemTypeDef::Qualified(inner, _),
        ) => element_type(inner),
        other => other,
    }
}

/// The lower-case name of a custom type (`serial`, `bpchar`), if it is one.
pub(crate) fn custom_name(data_type: &DataType) -> Option<String> {
    match data_type {
        DataType::Custom(name, _) => Some(name.to_string().to_lowercase()),
        _ => None,
    }
}

/// One finding per column whose (element) type `describe` objects to; `describe` returns the
/// message's reason.
pub(crate) fn type_findings(
    source: &MigrationSource<'_>,
    meta: &RuleMeta,
    describe: impl Fn(&DataType) -> Option<String>,
    help: &str,
) -> Vec<Diagnostic> {
    typed_columns(source)
        .into_iter()
        .filter_map(|column| {
            let reason = describe(element_type(column.data_type))?;
            Some(
                source
                    .diagnostic(
                        meta,
                        column.type_range,
                        format!(
                            "column {} of {} is `{}`: {reason}",
                            shown(&column.column),
                            shown(&column.table),
                            &source.text[column.type_range.to_usize_range()]
                        ),
                    )
                    .with_help(help.to_owned()),
            )
        })
        .collect()
}
