//! Values that satisfy the common families of `CHECK` constraints, so the constraint probes
//! get a valid row to start from on strict schemas:
//!
//! - a regular expression (`slug ~ '^[a-z0-9][a-z0-9-]*$'`): a string it matches, drawn from
//!   the pattern (character classes, quantifiers, groups and alternatives, anchors);
//! - literals (`status IN ('draft', …)`, `position('@' IN email) > 1`): each literal, then the
//!   literal inside a generated word (`p3f@x`);
//! - membership (`default_currency = ANY (currencies)`): the array holds the other column's
//!   value.
//!
//! Which candidate a row takes rotates with the insert attempt, so a row refused by one check
//! is retried with the next candidates.

/// The single-quoted literals of a constraint definition, unescaped, with whether each is the
/// right side of a regular-expression match (`~`, `~*`).
fn literals(definition: &str) -> Vec<(String, bool)> {
    let mut out = Vec::new();
    let bytes = definition.as_bytes();
    let mut index = 0;
    while index < bytes.len() {
        if bytes[index] != b'\'' {
            index += 1;
            continue;
        }
        let before = definition[..index].trim_end();
        let is_regex = before.ends_with('~') || before.ends_with("~*");
        let mut literal = String::new();
        index += 1;
        while index < bytes.len() {
            if bytes[index] == b'\'' {
                if bytes.get(index + 1) == Some(&b'\'') {
                    literal.push('\'');
                    index += 2;
                    continue;
                }
                break;
            }
            let character = definition[index..].chars().next().unwrap_or_default();
            literal.push(character);
            index += character.len_utf8();
        }
        index += 1;
        out.push((literal, is_regex));
    }
    out
}

/// Text candidates for a column from the definitions of the checks that name it, in order:
/// regex samples, literals, literals inside a word. `draw` gives random numbers.
pub(super) fn text_candidates(definitions: &[&str], draw: &mut dyn FnMut() -> u64) -> Vec<String> {
    let mut samples = Vec::new();
    let mut plain = Vec::new();
    for definition in definitions {
        for (literal, is_regex) in literals(definition) {
            if is_regex {
                samples.extend(regex_sample(&literal, draw));
            } else {
                plain.push(literal);
            }
        }
    }
    let embedded: Vec<String> = plain
        .iter()
        .map(|literal| format!("p{:x}{literal}x", draw() % 4096))
        .collect();
    samples.extend(plain);
    samples.extend(embedded);
    samples
}

/// `(element column, array column)` of a membership check `a = ANY (b)` (as PostgreSQL prints
/// it: `((a)::text = ANY (b))`).
pub(super) fn membership(definition: &str) -> Option<(String, String)> {
    let (left, right) = definition.split_once("= ANY (")?;
    let element = identifier_at_end(
        left.trim_end()
            .trim_end_matches("::text")
            .trim_end_matches(')'),
    )?;
    let array = right
        .trim_start_matches('(')
        .split(|character: char| !(character.is_alphanumeric() || character == '_'))
        .next()
        .filter(|name| !name.is_empty())?;
    // `x = ANY (ARRAY[…])` is an IN list, not a membership in a column.
    (array != "ARRAY").then(|| (element, array.to_owned()))
}

fn identifier_at_end(text: &str) -> Option<String> {
    let start = text
        .char_indices()
        .rev()
        .take_while(|(_, character)| character.is_alphanumeric() || *character == '_')
        .last()?
        .0;
    Some(text[start..].to_owned())
}

/// A string `pattern` (a POSIX regular expression as PostgreSQL's `~` takes it) matches, or
/// `None` for constructs this does not draw from (back-references, lookarounds).
pub(super) fn regex_sample(pattern: &str, draw: &mut dyn FnMut() -> u64) -> Option<String> {
    let chars: Vec<char> = pattern.chars().collect();
    let mut parser = Parser {
        chars: &chars,
        at: 0,
        draw,
    };
    let anchored_end = pattern.ends_with('$') && !pattern.ends_with("\\$");
    let mut out = parser.alternatives()?;
    if parser.at != chars.len() {
        return None;
    }
    // An unanchored end takes any suffix: one keeps drawn values distinct.
    if !anchored_end {
        out.push_str(&format!("{:x}", (parser.draw)() % 4096));
    }
    Some(out)
}

struct Parser<'a, 'b> {
    chars: &'a [char],
    at: usize,
    draw: &'b mut dyn FnMut() -> u64,
}

impl Parser<'_, '_> {
    fn peek(&self) -> Option<char> {
        self.chars.get(self.at).copied()
    }

    /// `a|b|c`: the first alternative.
    fn alternatives(&mut self) -> Option<String> {
        let first = self.sequence()?;
        while self.peek() == Some('|') {
            self.at += 1;
            self.sequence()?;
        }
        Some(first)
    }

    fn sequence(&mut self) -> Option<String> {
        let mut out = String::new();
        while let Some(character) = self.peek() {
            match character {
                '|' | ')' => break,
                '^' | '$' => self.at += 1,
                _ => {
                    let atom = self.atom()?;
                    let (low, high) = self.quantifier()?;
                    let extra = if high > low {
                        (self.draw)() % (high - low + 1).min(4)
                    } else {
                        0
                    };
                    for _ in 0..low + extra {
                        out.push_str(&atom.pick(self.draw));
                    }
                }
            }
        }
        Some(out)
    }

    fn atom(&mut self) -> Option<Atom> {
        let character = self.peek()?;
        self.at += 1;
        Some(match character {
            '.' => Atom::Class(('a'..='z').collect()),
            '[' => self.class()?,
            '(' => {
                if self.peek() == Some('?') {
                    return None;
                }
                let inner = self.alternatives()?;
                (self.peek() == Some(')')).then_some(())?;
                self.at += 1;
                Atom::Text(inner)
            }
            '\\' => self.escape()?,
            '*' | '+' | '?' | '{' => return None,
            other => Atom::Text(other.to_string()),
        })
    }

    fn escape(&mut self) -> Option<Atom> {
        let character = self.peek()?;
        self.at += 1;
        Some(match character {
            'd' => Atom::Class(('0'..='9').collect()),
            'w' => Atom::Class(('a'..='z').chain('0'..='9').collect()),
            's' => Atom::Text(" ".to_owned()),
            'D' | 'W' | 'S' => Atom::Text("-".to_owned()),
            digit if digit.is_ascii_digit() => return None,
            other => Atom::Text(other.to_string()),
        })
    }

    /// `[a-z0-9-]`, `[^@]`: the members (for a negated class, letters and digits it excludes
    /// not).
    fn class(&mut self) -> Option<Atom> {
        let negated = self.peek() == Some('^');
        if negated {
            self.at += 1;
        }
        let mut members = Vec::new();
        let mut first = true;
        loop {
            let character = self.peek()?;
            self.at += 1;
            match character {
                ']' if !first => break,
                '[' if self.peek() == Some(':') => {
                    let end = self.chars[self.at..].iter().position(|&c| c == ']')?;
                    let name: String = self.chars[self.at + 1..self.at + end - 1].iter().collect();
                    self.at += end + 1;
                    members.extend(named_class(&name)?);
                }
                '\\' => {
                    let escaped = self.peek()?;
                    self.at += 1;
                    match escaped {
                        'd' => members.extend('0'..='9'),
                        'w' => members.extend(('a'..='z').chain('0'..='9')),
                        other => members.push(other),
                    }
                }
                low if self.peek() == Some('-')
                    && self.chars.get(self.at + 1).is_some_and(|&c| c != ']') =>
                {
                    let high = self.chars[self.at + 1];
                    self.at += 2;
                    members.extend(low..=high);
                }
                other => members.push(other),
            }
            first = false;
        }
        if negated {
            let allowed: Vec<char> = ('a'..='z')
                .chain('0'..='9')
                .filter(|c| !members.contains(c))
                .collect();
            return (!allowed.is_empty()).then_some(Atom::Class(allowed));
        }
        (!members.is_empty()).then_some(Atom::Class(members))
    }

    /// `?`, `*`, `+`, `{n}`, `{n,}`, `{n,m}` (and lazy forms): the bounds, or `(1, 1)`.
    fn quantifier(&mut self) -> Option<(u64, u64)> {
        let bounds = match self.peek() {
            Some('?') => (0, 1),
            Some('*') => (0, 3),
            Some('+') => (1, 3),
            Some('{') => {
                let end = self.chars[self.at..].iter().position(|&c| c == '}')?;
                let inside: String = self.chars[self.at + 1..self.at + end].iter().collect();
                self.at += end;
                let (low, high) = match inside.split_once(',') {
                    None => (inside.trim().parse().ok()?, inside.trim().parse().ok()?),
                    Some((low, "")) => {
                        let low: u64 = low.trim().parse().ok()?;
                        (low, low + 3)
                    }
                    Some((low, high)) => (low.trim().parse().ok()?, high.trim().parse().ok()?),
                };
                (low, high)
            }
            _ => return Some((1, 1)),
        };
        self.at += 1;
        if self.peek() == Some('?') {
            self.at += 1;
        }
        Some(bounds)
    }
}

fn named_class(name: &str) -> Option<Vec<char>> {
    Some(match name {
        "alpha" | "lower" => ('a'..='z').collect(),
        "upper" => ('A'..='Z').collect(),
        "digit" => ('0'..='9').collect(),
        "alnum" => ('a'..='z').chain('0'..='9').collect(),
        "space" => vec![' '],
        _ => return None,
    })
}

enum Atom {
    Text(String),
    Class(Vec<char>),
}

impl Atom {
    fn pick(&self, draw: &mut dyn FnMut() -> u64) -> String {
        match self {
            Atom::Text(text) => text.clone(),
            Atom::Class(members) => {
                // Letters and digits first: they pass more of the other checks.
                let preferred: Vec<char> = members
                    .iter()
                    .copied()
                    .filter(char::is_ascii_alphanumeric)
                    .collect();
                let pool = if preferred.is_empty() {
                    members
                } else {
                    &preferred
                };
                pool[(draw() % pool.len() as u64) as usize].to_string()
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn counter() -> impl FnMut() -> u64 {
        let mut state = 0u64;
        move || {
            state = state
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            state >> 33
        }
    }

    #[test]
    fn regex_samples_follow_classes_quantifiers_and_anchors() {
        let mut draw = counter();
        for _ in 0..20 {
            let slug = regex_sample("^[a-z0-9][a-z0-9-]{1,62}$", &mut draw).unwrap();
            assert!((2..=63).contains(&slug.len()), "{slug}");
            assert!(
                slug.chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-'),
                "{slug}"
            );
            assert!(slug.chars().next().unwrap().is_ascii_alphanumeric());
            let email = regex_sample("^[^@\\s]+@[^@\\s]+\\.[a-z]{2,}$", &mut draw).unwrap();
            let (user, domain) = email.split_once('@').unwrap();
            assert!(
                !user.is_empty() && domain.contains('.') && !domain.ends_with('.'),
                "{email}"
            );
            let code = regex_sample("^[A-Z]{3}$", &mut draw).unwrap();
            assert!(
                code.len() == 3 && code.chars().all(|c| c.is_ascii_uppercase()),
                "{code}"
            );
            let url = regex_sample("^https://", &mut draw).unwrap();
            assert!(url.starts_with("https://") && url.len() > 8, "{url}");
            let choice = regex_sample("^(GET|POST)$", &mut draw).unwrap();
            assert_eq!(choice, "GET");
        }
        assert_eq!(regex_sample("^(a)\\1$", &mut draw), None);
        assert_eq!(regex_sample("(?=x)", &mut draw), None);
    }

    #[test]
    fn literals_are_read_unescaped_and_regex_ones_told_apart() {
        let definition = "CHECK (((slug ~ '^[a-z]+$'::text) AND (note <> 'it''s'::text)))";
        assert_eq!(
            literals(definition),
            vec![("^[a-z]+$".to_owned(), true), ("it's".to_owned(), false)]
        );
    }

    #[test]
    fn text_candidates_put_regex_samples_first_then_literals_then_embedded_literals() {
        let mut draw = counter();
        let email = "CHECK (((email = lower(email)) AND (POSITION(('@'::text) IN (email)) > 1)))";
        let candidates = text_candidates(&[email], &mut draw);
        assert_eq!(candidates[0], "@");
        assert!(
            candidates[1].starts_with('p') && candidates[1].contains("@x"),
            "{candidates:?}"
        );
    }

    #[test]
    fn membership_checks_name_the_element_and_the_array() {
        assert_eq!(
            membership("CHECK (((default_currency)::text = ANY (currencies)))"),
            Some(("default_currency".to_owned(), "currencies".to_owned()))
        );
        assert_eq!(
            membership("CHECK ((status = ANY (ARRAY['draft'::text, 'active'::text])))"),
            None
        );
    }
}
