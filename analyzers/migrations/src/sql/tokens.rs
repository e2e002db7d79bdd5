//! Tokens with byte ranges, and the small searches rules run over them to point at the exact
//! words a finding is about.

use commerce_diagnostics::{TextRange, TextSize};
use sqlparser::tokenizer::{Span, Token, TokenWithSpan, Word};

/// One sqlparser token and the bytes it covers.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct SqlToken {
    pub token: Token,
    pub range: TextRange,
    span: Span,
}

impl SqlToken {
    pub(super) fn new(token: TokenWithSpan, range: TextRange) -> Self {
        Self {
            token: token.token,
            range,
            span: token.span,
        }
    }

    pub(super) fn to_token_with_span(&self) -> TokenWithSpan {
        TokenWithSpan::new(self.token.clone(), self.span)
    }

    /// Where sqlparser saw the token: the spans its syntax tree carries.
    pub(super) fn span(&self) -> Span {
        self.span
    }

    /// Whitespace and comments.
    pub fn is_trivia(&self) -> bool {
        matches!(self.token, Token::Whitespace(_))
    }

    /// The unquoted word, if this token is one: keywords and plain identifiers.
    fn bare_word(&self) -> Option<&Word> {
        match &self.token {
            Token::Word(word) if word.quote_style.is_none() => Some(word),
            _ => None,
        }
    }

    /// Whether this is the unquoted word `keyword`, in any case.
    pub fn is_word(&self, keyword: &str) -> bool {
        self.bare_word()
            .is_some_and(|word| word.value.eq_ignore_ascii_case(keyword))
    }

    /// The word as Postgres resolves a name: folded to lower case unless quoted. `None` for
    /// a token that is not a word.
    pub fn name_key(&self) -> Option<String> {
        match &self.token {
            Token::Word(word) if word.quote_style.is_some() => Some(word.value.clone()),
            Token::Word(word) => Some(word.value.to_lowercase()),
            _ => None,
        }
    }

    /// Whether this is a word, quoted or not.
    pub fn is_any_word(&self) -> bool {
        matches!(self.token, Token::Word(_))
    }
}

/// The smallest range covering every token, or an empty range at 0 for none.
pub(super) fn covering_range(tokens: &[SqlToken]) -> TextRange {
    match (tokens.first(), tokens.last()) {
        (Some(first), Some(last)) => TextRange::new(first.range.start(), last.range.end()),
        _ => TextRange::empty(TextSize::new(0)),
    }
}

/// A run of significant tokens (no whitespace or comments) with searches over it.
#[derive(Debug, Clone, Copy)]
pub(crate) struct TokenSlice<'a> {
    tokens: &'a [SqlToken],
}

impl<'a> TokenSlice<'a> {
    pub fn new(tokens: &'a [SqlToken]) -> Self {
        Self { tokens }
    }

    pub fn len(&self) -> usize {
        self.tokens.len()
    }

    pub fn is_empty(&self) -> bool {
        self.tokens.is_empty()
    }

    pub fn get(&self, index: usize) -> Option<&'a SqlToken> {
        self.tokens.get(index)
    }

    pub fn range(&self) -> TextRange {
        covering_range(self.tokens)
    }

    /// The tokens from `start` on.
    pub fn from(&self, start: usize) -> Self {
        Self::new(self.tokens.get(start..).unwrap_or_default())
    }

    /// The tokens in `start..end`.
    pub fn slice(&self, start: usize, end: usize) -> Self {
        Self::new(self.tokens.get(start..end).unwrap_or_default())
    }

    /// Whether the slice starts with these unquoted words.
    pub fn starts_with_words(&self, words: &[&str]) -> bool {
        self.words_at(0, words)
    }

    /// Whether these unquoted words appear in order starting at `index`.
    pub fn words_at(&self, index: usize, words: &[&str]) -> bool {
        words.iter().enumerate().all(|(offset, word)| {
            self.tokens
                .get(index + offset)
                .is_some_and(|token| token.is_word(word))
        })
    }

    /// The index of the first place these words appear in order, at any nesting depth.
    pub fn find_words(&self, words: &[&str]) -> Option<usize> {
        (0..self.tokens.len()).find(|index| self.words_at(*index, words))
    }

    /// The range from the first to the last of these words where they first appear.
    pub fn words_range(&self, words: &[&str]) -> Option<TextRange> {
        let start = self.find_words(words)?;
        Some(self.slice(start, start + words.len()).range())
    }

    /// Splits at commas outside parentheses.
    pub fn split_top_level_commas(&self) -> Vec<TokenSlice<'a>> {
        let mut parts = Vec::new();
        let mut depth = 0usize;
        let mut start = 0;
        for (index, token) in self.tokens.iter().enumerate() {
            match token.token {
                Token::LParen | Token::LBracket => depth += 1,
                Token::RParen | Token::RBracket => depth = depth.saturating_sub(1),
                Token::Comma if depth == 0 => {
                    parts.push(self.slice(start, index));
                    start = index + 1;
                }
                _ => {}
            }
        }
        parts.push(self.from(start));
        parts
    }

    /// The index of the first token at parenthesis depth 0 (from the slice start) for which
    /// `stop` holds.
    pub fn position_top_level(&self, stop: impl Fn(&SqlToken) -> bool) -> Option<usize> {
        let mut depth = 0usize;
        for (index, token) in self.tokens.iter().enumerate() {
            if depth == 0 && stop(token) {
                return Some(index);
            }
            match token.token {
                Token::LParen | Token::LBracket => depth += 1,
                Token::RParen | Token::RBracket => depth = depth.saturating_sub(1),
                _ => {}
            }
        }
        None
    }

    /// The tokens inside the parenthesised group that opens at `open`, without the parentheses.
    pub fn parenthesised(&self, open: usize) -> Option<TokenSlice<'a>> {
        if !matches!(self.tokens.get(open)?.token, Token::LParen) {
            return None;
        }
        let mut depth = 0usize;
        for (index, token) in self.tokens.iter().enumerate().skip(open) {
            match token.token {
                Token::LParen => depth += 1,
                Token::RParen => {
                    depth -= 1;
                    if depth == 0 {
                        return Some(self.slice(open + 1, index));
                    }
                }
                _ => {}
            }
        }
        None
    }

    /// The object name at `start` reduced as `ddl::table_key` reduces a parsed one: its last
    /// part, folded to lower case unless quoted.
    pub fn table_key_at(&self, start: usize) -> Option<String> {
        let length = self.object_name_len(start);
        self.tokens
            .get((start + length).checked_sub(1)?)?
            .name_key()
    }

    /// The length of the object name at `start`: `name`, `schema.name`, `"quoted".name`.
    pub fn object_name_len(&self, start: usize) -> usize {
        let mut index = start;
        while self.tokens.get(index).is_some_and(SqlToken::is_any_word) {
            index += 1;
            if self
                .tokens
                .get(index)
                .is_some_and(|token| token.token == Token::Period)
            {
                index += 1;
            } else {
                break;
            }
        }
        index - start
    }
}
