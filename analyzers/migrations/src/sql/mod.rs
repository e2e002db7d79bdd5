//! One SQL file as the rules see it: split into statements with exact byte ranges, each parsed
//! with sqlparser when it can be.
//!
//! Splitting is done on sqlparser's own tokens rather than by parsing the whole file, so a
//! statement sqlparser does not understand costs only that statement: the others are still
//! parsed and checked, and the unparsed one is still scanned for keywords.

pub(crate) mod ddl;
pub(crate) mod query_names;
mod split;
mod tokens;

use commerce_diagnostics::{LineIndex, SourcePosition, TextRange, TextSize};
use commerce_project::Dialect;
use sqlparser::ast;
use sqlparser::dialect::{PostgreSqlDialect, SQLiteDialect};
use sqlparser::parser::Parser;
use sqlparser::tokenizer::{Location, Token, TokenWithSpan, Tokenizer};

pub(crate) use tokens::{SqlToken, TokenSlice};

/// A parsed SQL file.
#[derive(Debug)]
pub(crate) struct SqlFile {
    pub statements: Vec<Statement>,
    /// Where and why the tokenizer gave up; the statements before it are still there.
    pub lex_error: Option<LexError>,
}

/// The tokenizer could not read the rest of the file from `range.start()` on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct LexError {
    pub range: TextRange,
    pub message: String,
}

/// One statement: its tokens (comments and whitespace left out) and its syntax tree.
#[derive(Debug)]
pub(crate) struct Statement {
    /// From the first token to the last, without the terminating `;`.
    pub range: TextRange,
    pub tokens: Vec<SqlToken>,
    pub parsed: Result<ast::Statement, String>,
}

impl Statement {
    pub fn tokens(&self) -> TokenSlice<'_> {
        TokenSlice::new(&self.tokens)
    }

    pub fn ast(&self) -> Option<&ast::Statement> {
        self.parsed.as_ref().ok()
    }

    /// The bytes of a syntax tree node's `span` (an identifier, a table name), found through
    /// the tokens it starts and ends on; `None` for a span no token has.
    pub fn range_of_span(&self, span: sqlparser::tokenizer::Span) -> Option<TextRange> {
        let start = self
            .tokens
            .iter()
            .find(|token| token.span().start == span.start)?;
        let end = self
            .tokens
            .iter()
            .find(|token| token.span().end == span.end)?;
        (start.range.start() <= end.range.end())
            .then(|| TextRange::new(start.range.start(), end.range.end()))
    }
}

impl SqlFile {
    /// Splits and parses `text`; never fails: what cannot be read is recorded, not returned as
    /// an error.
    pub fn parse(text: &str, dialect: Dialect) -> Self {
        let positions = TokenPositions::new(text);
        let (raw, lex_error) = tokenize(text, dialect, &positions);
        let statements = split::statements(&raw)
            .into_iter()
            .map(|tokens| parse_statement(tokens, dialect))
            .collect();
        Self {
            statements,
            lex_error,
        }
    }
}

/// Maps sqlparser's locations to byte offsets.
///
/// sqlparser counts lines at `\n` only and columns in characters, so a lone `\r` is one more
/// column to it. [`LineIndex`] agrees once every lone `\r` is read as a space, which has the same
/// byte width, so offsets are unchanged.
struct TokenPositions {
    index: LineIndex,
}

impl TokenPositions {
    fn new(text: &str) -> Self {
        let bytes = text.as_bytes();
        let has_lone_cr = bytes
            .iter()
            .enumerate()
            .any(|(at, byte)| *byte == b'\r' && bytes.get(at + 1) != Some(&b'\n'));
        let index = if has_lone_cr {
            let view: String = text
                .char_indices()
                .map(|(at, ch)| {
                    if ch == '\r' && bytes.get(at + 1) != Some(&b'\n') {
                        ' '
                    } else {
                        ch
                    }
                })
                .collect();
            LineIndex::new(&view)
        } else {
            LineIndex::new(text)
        };
        Self { index }
    }

    fn offset(&self, location: Location) -> TextSize {
        let position = SourcePosition {
            line: u32::try_from(location.line).unwrap_or(u32::MAX),
            column: u32::try_from(location.column).unwrap_or(u32::MAX),
        };
        self.index
            .offset_of(position)
            .unwrap_or_else(|| self.end_of_text())
    }

    fn end_of_text(&self) -> TextSize {
        let last_line = u32::try_from(self.index.line_count() - 1).unwrap_or(u32::MAX);
        self.index
            .line_range(last_line)
            .map_or(TextSize::new(0), TextRange::end)
    }
}

/// Tokenizes the whole text. On a tokenizer error, the text before the error is tokenized
/// again so the statements ahead of it are kept.
fn tokenize(
    text: &str,
    dialect: Dialect,
    positions: &TokenPositions,
) -> (Vec<SqlToken>, Option<LexError>) {
    match tokenize_with_spans(text, dialect) {
        Ok(tokens) => (to_sql_tokens(tokens, positions), None),
        Err(error) => {
            let at = positions.offset(error.location);
            // The prefix ends before the error, so it tokenizes or, at worst, yields nothing.
            let prefix = &text[..at.to_usize()];
            let mut tokens = tokenize_with_spans(prefix, dialect)
                .map(|tokens| to_sql_tokens(tokens, positions))
                .unwrap_or_default();
            // The statement the error is in is unreadable as a whole: keep only the complete
            // statements before it.
            let kept = tokens
                .iter()
                .rposition(|token| token.token == Token::SemiColon)
                .map_or(0, |semicolon| semicolon + 1);
            let broken_start = tokens[kept..]
                .iter()
                .find(|token| !token.is_trivia())
                .map_or(at, |token| token.range.start());
            tokens.truncate(kept);
            let lex_error = LexError {
                range: TextRange::new(broken_start, TextSize::of(text)),
                message: error.message,
            };
            (tokens, Some(lex_error))
        }
    }
}

fn tokenize_with_spans(
    text: &str,
    dialect: Dialect,
) -> Result<Vec<TokenWithSpan>, sqlparser::tokenizer::TokenizerError> {
    match dialect {
        Dialect::Postgres => Tokenizer::new(&PostgreSqlDialect {}, text).tokenize_with_location(),
        Dialect::Sqlite => Tokenizer::new(&SQLiteDialect {}, text).tokenize_with_location(),
    }
}

fn to_sql_tokens(tokens: Vec<TokenWithSpan>, positions: &TokenPositions) -> Vec<SqlToken> {
    tokens
        .into_iter()
        .filter(|token| !matches!(token.token, Token::EOF))
        .map(|token| {
            let start = positions.offset(token.span.start);
            let end = positions.offset(token.span.end).max(start);
            SqlToken::new(token, TextRange::new(start, end))
        })
        .collect()
}

fn parse_statement(tokens: Vec<SqlToken>, dialect: Dialect) -> Statement {
    let range = tokens::covering_range(&tokens);
    let parsed = parse_tokens(&tokens, dialect);
    let significant = tokens
        .into_iter()
        .filter(|token| !token.is_trivia())
        .collect();
    Statement {
        range,
        tokens: significant,
        parsed,
    }
}

fn parse_tokens(tokens: &[SqlToken], dialect: Dialect) -> Result<ast::Statement, String> {
    let with_spans: Vec<TokenWithSpan> = tokens.iter().map(SqlToken::to_token_with_span).collect();
    let result = match dialect {
        Dialect::Postgres => Parser::new(&PostgreSqlDialect {})
            .with_tokens_with_locations(with_spans)
            .parse_statements(),
        Dialect::Sqlite => Parser::new(&SQLiteDialect {})
            .with_tokens_with_locations(with_spans)
            .parse_statements(),
    };
    let mut statements = result.map_err(|error| error.to_string())?;
    match statements.len() {
        1 => Ok(statements.remove(0)),
        count => Err(format!(
            "expected one statement between semicolons, sqlparser read {count}"
        )),
    }
}

#[cfg(test)]
mod tests;
