//! Splits a token stream into statements at top-level semicolons.

use sqlparser::tokenizer::Token;

use super::tokens::SqlToken;

/// The statements of a file, each a run of tokens (trivia included, so sqlparser sees exactly
/// what it would in the whole file) holding at least one significant token.
///
/// A semicolon ends a statement only outside parentheses (`CREATE RULE … DO (a; b)`) and outside
/// the `BEGIN … END` body of a `CREATE` statement (SQLite triggers, `BEGIN ATOMIC` SQL
/// functions); `BEGIN;` on its own starts a transaction and is a statement of its own.
pub(super) fn statements(tokens: &[SqlToken]) -> Vec<Vec<SqlToken>> {
    let mut statements = Vec::new();
    let mut current = Vec::new();
    let mut nesting = Nesting::default();
    for token in tokens {
        if token.token == Token::SemiColon && nesting.is_top_level() {
            push_statement(&mut statements, std::mem::take(&mut current));
            nesting = Nesting::default();
            continue;
        }
        if !token.is_trivia() {
            nesting.step(token);
        }
        current.push(token.clone());
    }
    push_statement(&mut statements, current);
    statements
}

fn push_statement(statements: &mut Vec<Vec<SqlToken>>, tokens: Vec<SqlToken>) {
    if tokens.iter().any(|token| !token.is_trivia()) {
        statements.push(trim_trivia(tokens));
    }
}

/// Drops the comments and whitespace before the first and after the last significant token.
fn trim_trivia(tokens: Vec<SqlToken>) -> Vec<SqlToken> {
    let first = tokens.iter().position(|token| !token.is_trivia());
    let last = tokens.iter().rposition(|token| !token.is_trivia());
    match (first, last) {
        (Some(first), Some(last)) => tokens[first..=last].to_vec(),
        _ => Vec::new(),
    }
}

/// The objects whose `CREATE` statement can hold a `BEGIN … END` body. A column named `begin`
/// in a `CREATE TABLE` must not open a block.
const BODY_OWNERS: [&str; 3] = ["TRIGGER", "FUNCTION", "PROCEDURE"];

/// How deep inside parentheses and `BEGIN … END` blocks the splitter is.
#[derive(Debug, Default)]
struct Nesting {
    parens: usize,
    blocks: usize,
    /// Whether the statement starts with `CREATE`.
    in_create: Option<bool>,
    /// Whether it creates something with a body: a trigger, function or procedure.
    creates_body: bool,
}

impl Nesting {
    fn is_top_level(&self) -> bool {
        self.parens == 0 && self.blocks == 0
    }

    fn step(&mut self, token: &SqlToken) {
        let in_create = *self
            .in_create
            .get_or_insert_with(|| token.is_word("CREATE"));
        if in_create && BODY_OWNERS.iter().any(|owner| token.is_word(owner)) {
            self.creates_body = true;
        }
        match token.token {
            Token::LParen => self.parens += 1,
            Token::RParen => self.parens = self.parens.saturating_sub(1),
            _ if self.creates_body && token.is_word("BEGIN") => self.blocks += 1,
            _ if self.blocks > 0 && token.is_word("CASE") => self.blocks += 1,
            _ if token.is_word("END") => self.blocks = self.blocks.saturating_sub(1),
            _ => {}
        }
    }
}
