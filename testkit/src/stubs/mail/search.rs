//! Mailpit's search filters, the common part: plain words and `"quoted phrases"` match the
//! subject, addresses, Message-ID and text; `to:`, `from:`, `cc:`, `bcc:`, `reply-to:`,
//! `addressed:`, `subject:`, `message-id:`, `is:read|unread`, `has:attachment`; `-` or `!`
//! negates. Every term must hold; matching ignores case.

use super::store::{Address, Message};

#[derive(Debug, PartialEq)]
struct Term {
    field: Field,
    value: String,
    negated: bool,
}

#[derive(Debug, PartialEq)]
enum Field {
    Any,
    To,
    From,
    Cc,
    Bcc,
    ReplyTo,
    Addressed,
    Subject,
    MessageId,
    Read,
    Unread,
    HasAttachment,
}

/// A parsed search.
#[derive(Debug)]
pub(super) struct Search(Vec<Term>);

impl Search {
    pub(super) fn parse(query: &str) -> Self {
        Self(words(query).into_iter().filter_map(term).collect())
    }

    pub(super) fn matches(&self, message: &Message) -> bool {
        self.0
            .iter()
            .all(|term| term.matches(message) != term.negated)
    }
}

/// Splits on spaces outside double quotes, dropping the quotes.
fn words(query: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut current = String::new();
    let mut quoted = false;
    for c in query.chars() {
        match c {
            '"' => quoted = !quoted,
            c if c.is_whitespace() && !quoted => {
                if !current.is_empty() {
                    words.push(std::mem::take(&mut current));
                }
            }
            c => current.push(c),
        }
    }
    if !current.is_empty() {
        words.push(current);
    }
    words
}

fn term(word: String) -> Option<Term> {
    let (negated, word) = match word.strip_prefix(['-', '!']) {
        Some(rest) if !rest.is_empty() => (true, rest.to_owned()),
        _ => (false, word),
    };
    let lower = word.to_lowercase();
    let prefixed = [
        ("to:", Field::To),
        ("from:", Field::From),
        ("cc:", Field::Cc),
        ("bcc:", Field::Bcc),
        ("reply-to:", Field::ReplyTo),
        ("addressed:", Field::Addressed),
        ("subject:", Field::Subject),
        ("message-id:", Field::MessageId),
    ];
    for (prefix, field) in prefixed {
        if let Some(value) = lower.strip_prefix(prefix) {
            return (!value.is_empty()).then(|| Term {
                field,
                value: value.to_owned(),
                negated,
            });
        }
    }
    let field = match lower.as_str() {
        "is:read" => Field::Read,
        "is:unread" => Field::Unread,
        "has:attachment" | "has:attachments" => Field::HasAttachment,
        _ => Field::Any,
    };
    Some(Term {
        field,
        value: lower,
        negated,
    })
}

fn in_addresses(addresses: &[Address], needle: &str) -> bool {
    addresses.iter().any(|address| {
        address.address.to_lowercase().contains(needle)
            || address.name.to_lowercase().contains(needle)
    })
}

/// Whether any address of the message (from, to, cc, bcc, reply-to) holds `needle`.
fn addressed(message: &Message, needle: &str) -> bool {
    [
        message.from.as_slice(),
        &message.to,
        &message.cc,
        &message.bcc,
        &message.reply_to,
    ]
    .iter()
    .any(|addresses| in_addresses(addresses, needle))
}

impl Term {
    fn matches(&self, message: &Message) -> bool {
        let needle = self.value.as_str();
        let from = message.from.as_slice();
        match self.field {
            Field::To => in_addresses(&message.to, needle),
            Field::From => in_addresses(from, needle),
            Field::Cc => in_addresses(&message.cc, needle),
            Field::Bcc => in_addresses(&message.bcc, needle),
            Field::ReplyTo => in_addresses(&message.reply_to, needle),
            Field::Addressed => addressed(message, needle),
            Field::Subject => message.subject.to_lowercase().contains(needle),
            Field::MessageId => message.message_id.to_lowercase().contains(needle),
            Field::Read => message.read,
            Field::Unread => !message.read,
            Field::HasAttachment => !message.attachments.is_empty(),
            Field::Any => {
                message.subject.to_lowercase().contains(needle)
                    || message.message_id.to_lowercase().contains(needle)
                    || message.text.to_lowercase().contains(needle)
                    || addressed(message, needle)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stubs::mail::store::Source;

    #[test]
    fn filters_words_phrases_and_negation() {
        let message = Message::parse(
            "id".into(),
            "From: Shop <shop@example.com>\r\nTo: Ana <ana@example.com>\r\n\
             Subject: Your order shipped\r\n\r\nTracking number 42\r\n"
                .into(),
            "shop@example.com".into(),
            vec!["ana@example.com".into()],
            std::time::SystemTime::UNIX_EPOCH,
            Source::Smtp,
        );
        let hit = |query| Search::parse(query).matches(&message);
        assert!(hit("to:ana@example.com"));
        assert!(hit("TO:Ana subject:shipped"));
        assert!(hit("\"tracking number\""));
        assert!(hit("from:shop -subject:refund"));
        assert!(hit("is:unread"));
        assert!(!hit("to:bob"));
        assert!(!hit("!to:ana"));
        assert!(!hit("has:attachment"));
        assert!(!hit("shipped refund"));
    }
}
