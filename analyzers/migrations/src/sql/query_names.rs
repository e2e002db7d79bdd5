//! The tables and column names a query (a sqlx query string in the Rust code) mentions, read
//! from its tokens so that a query sqlparser cannot parse, or one written for another
//! database, is still read.
//!
//! Tables are the names after `FROM` (and its comma list), `JOIN`, `INTO` and `UPDATE`, each
//! with its alias. Every other word is a possible column, with its qualifier when written
//! `o.note`; words that call a function (`count(`) or name an alias (`AS total`) are not.

use std::collections::HashMap;

use commerce_diagnostics::TextRange;
use sqlparser::keywords::Keyword;
use sqlparser::tokenizer::Token;

use super::{SqlToken, TokenSlice};

/// Words after which a parenthesised `FROM` is part of the call, not a table list:
/// `EXTRACT(year FROM created_at)`, `SUBSTRING(name FROM 2)`, `TRIM(BOTH ' ' FROM name)`.
const FROM_IN_CALL: [&str; 5] = ["EXTRACT", "SUBSTRING", "TRIM", "OVERLAY", "POSITION"];

/// The names of one query.
#[derive(Debug, Default, PartialEq, Eq)]
pub(crate) struct QueryNames {
    /// The tables read or written, by name key, with the bytes naming them.
    pub tables: Vec<(String, TextRange)>,
    /// Alias to table name key.
    aliases: HashMap<String, String>,
    pub columns: Vec<ColumnMention>,
}

/// A word that may name a column.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ColumnMention {
    /// The name key of `q` in `q.name`.
    pub qualifier: Option<String>,
    pub name: String,
    pub range: TextRange,
}

impl QueryNames {
    /// Reads the names of one statement.
    pub fn read(tokens: TokenSlice<'_>) -> Self {
        let mut names = Self::default();
        let mut in_table_list = vec![false; tokens.len()];
        // For each open parenthesis: whether a `FROM` right inside it belongs to a call.
        let mut calls: Vec<bool> = Vec::new();
        for index in 0..tokens.len() {
            let Some(token) = tokens.get(index) else {
                break;
            };
            match token.token {
                Token::LParen => {
                    let previous = index.checked_sub(1).and_then(|at| tokens.get(at));
                    calls
                        .push(previous.is_some_and(|word| {
                            FROM_IN_CALL.iter().any(|call| word.is_word(call))
                        }));
                }
                Token::RParen => {
                    calls.pop();
                }
                _ => {}
            }
            let starts_tables = ["JOIN", "INTO", "UPDATE"]
                .iter()
                .any(|word| token.is_word(word))
                || (token.is_word("FROM") && calls.last() != Some(&true));
            if starts_tables && !in_table_list[index] {
                let end = names.read_tables(tokens, index + 1, token.is_word("FROM"));
                in_table_list[index..end].fill(true);
            }
        }
        names.columns = in_table_list
            .iter()
            .enumerate()
            .filter(|(_, in_list)| !**in_list)
            .filter_map(|(index, _)| column_mention(tokens, index))
            .collect();
        names
    }

    /// Reads `name [[AS] alias]` from `start`, and more after commas in a `FROM` list.
    /// Returns the index after the last one read.
    fn read_tables(&mut self, tokens: TokenSlice<'_>, start: usize, comma_list: bool) -> usize {
        let mut at = start;
        loop {
            if tokens.words_at(at, &["ONLY"]) || tokens.words_at(at, &["LATERAL"]) {
                at += 1;
            }
            let length = tokens.object_name_len(at);
            let Some(table) = tokens.table_key_at(at).filter(|_| length > 0) else {
                return at;
            };
            self.tables
                .push((table.clone(), tokens.slice(at, at + length).range()));
            at += length;
            if tokens.words_at(at, &["AS"]) {
                at += 1;
            }
            if let Some(alias) = tokens.get(at).filter(|token| is_alias(token)) {
                self.aliases
                    .insert(alias.name_key().unwrap_or_default(), table);
                at += 1;
            }
            if comma_list
                && tokens
                    .get(at)
                    .is_some_and(|token| token.token == Token::Comma)
            {
                at += 1;
            } else {
                return at;
            }
        }
    }

    /// The table `qualifier` stands for: an alias, or a table of the query by its name.
    pub fn table_of(&self, qualifier: &str) -> Option<&str> {
        self.aliases.get(qualifier).map(String::as_str).or_else(|| {
            self.tables
                .iter()
                .find(|(table, _)| table == qualifier)
                .map(|(table, _)| table.as_str())
        })
    }

    /// Whether `mention` may be the column `column` of `table`: its qualifier stands for
    /// `table`, or, unqualified, the query uses `table` or no table this reading recognised.
    pub fn may_name(&self, mention: &ColumnMention, table: &str, column: &str) -> bool {
        if mention.name != column {
            return false;
        }
        let qualified_table = mention
            .qualifier
            .as_deref()
            .and_then(|qualifier| self.table_of(qualifier));
        match qualified_table {
            Some(qualified) => qualified == table,
            None => self.tables.is_empty() || self.tables.iter().any(|(name, _)| name == table),
        }
    }
}

/// A word right after a table name that is no keyword: `orders o`.
fn is_alias(token: &SqlToken) -> bool {
    match &token.token {
        Token::Word(word) => word.quote_style.is_some() || word.keyword == Keyword::NoKeyword,
        _ => false,
    }
}

/// The word at `index` as a possible column, unless it qualifies the next one (`o` of
/// `o.note`), calls a function (`count(`) or is an alias (`AS total`).
fn column_mention(tokens: TokenSlice<'_>, index: usize) -> Option<ColumnMention> {
    let token = tokens.get(index)?;
    let name = token.name_key()?;
    let next = tokens.get(index + 1).map(|next| &next.token);
    if matches!(next, Some(Token::Period | Token::LParen)) {
        return None;
    }
    let previous = index.checked_sub(1).and_then(|at| tokens.get(at));
    if previous.is_some_and(|previous| previous.is_word("AS")) {
        return None;
    }
    let qualifier = previous
        .filter(|previous| previous.token == Token::Period)
        .and_then(|_| tokens.get(index.checked_sub(2)?)?.name_key());
    Some(ColumnMention {
        qualifier,
        name,
        range: token.range,
    })
}

#[cfg(test)]
mod tests {
    use commerce_project::Dialect;

    use super::*;
    use crate::sql::SqlFile;

    fn names(sql: &str) -> QueryNames {
        let file = SqlFile::parse(sql, Dialect::Postgres);
        QueryNames::read(file.statements[0].tokens())
    }

    fn tables(sql: &str) -> Vec<String> {
        names(sql)
            .tables
            .into_iter()
            .map(|(name, _)| name)
            .collect()
    }

    #[test]
    fn tables_come_from_from_join_into_and_update_with_their_aliases() {
        assert_eq!(
            tables(
                "SELECT o.note FROM public.orders o, carts c JOIN \"Lines\" AS l ON l.order_id = o.id"
            ),
            ["orders", "carts", "Lines"]
        );
        assert_eq!(
            tables("INSERT INTO orders (id, note) VALUES ($1, $2)"),
            ["orders"]
        );
        assert_eq!(tables("UPDATE ONLY orders SET note = $1"), ["orders"]);
        assert_eq!(
            tables("SELECT EXTRACT(year FROM created_at) FROM orders"),
            ["orders"]
        );
        let query = names("SELECT o.note FROM orders o JOIN lines l ON l.id = o.id");
        assert_eq!(query.table_of("o"), Some("orders"));
        assert_eq!(query.table_of("lines"), Some("lines"));
        assert_eq!(query.table_of("x"), None);
    }

    #[test]
    fn columns_are_the_other_words_with_their_qualifiers() {
        let query =
            names("SELECT o.note, count(*) AS total, 'note' FROM orders o WHERE status = $1");
        let columns: Vec<(Option<&str>, &str)> = query
            .columns
            .iter()
            .map(|mention| (mention.qualifier.as_deref(), mention.name.as_str()))
            .collect();
        assert_eq!(
            columns,
            [
                (None, "select"),
                (Some("o"), "note"),
                (None, "as"),
                (None, "where"),
                (None, "status")
            ]
        );
    }

    #[test]
    fn a_column_of_another_table_is_not_the_dropped_one() {
        let query = names("SELECT l.note FROM orders o JOIN lines l ON l.order_id = o.id");
        let note = &query.columns[1];
        assert!(query.may_name(note, "lines", "note"));
        assert!(!query.may_name(note, "orders", "note"));
        let unqualified = names("SELECT note FROM lines");
        assert!(!unqualified.may_name(&unqualified.columns[1], "orders", "note"));
        let unknown = names("SELECT note");
        assert!(unknown.may_name(&unknown.columns[1], "orders", "note"));
    }
}
