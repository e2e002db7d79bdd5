//! The kit's assertions on captured mail: recipients, headers, attachments, a
//! `message_key` sent once (duplicates reported, not hidden), nothing sent to a suppressed
//! address, snapshots of the text and HTML with what changes redacted, every link answered by
//! the app's router in process, and quiet hours on the recipient's local clock.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::time::{Duration, SystemTime};

use super::store::{Attachment, Message};
use crate::TestApp;
use crate::clock::unix_seconds;

/// The header an app puts on a message to name what it is about, once
/// (`order-42-confirmation`): [`Mailbox::assert_message_key_sent_once`].
pub const MESSAGE_KEY_HEADER: &str = "X-Message-Key";

/// A snapshot of the mailbox, taken by [`super::MailStub::mailbox`].
#[derive(Debug, Clone)]
pub struct Mailbox {
    messages: Vec<Message>,
    suppressed: Vec<String>,
    suppressed_attempts: Vec<(String, String)>,
}

impl Mailbox {
    pub(super) fn new(
        messages: Vec<Message>,
        suppressed: Vec<String>,
        suppressed_attempts: Vec<(String, String)>,
    ) -> Self {
        Self {
            messages,
            suppressed,
            suppressed_attempts,
        }
    }

    /// Every message, oldest first.
    pub fn messages(&self) -> &[Message] {
        &self.messages
    }

    /// The messages `address` received (To, Cc or Bcc; case-insensitive).
    pub fn to(&self, address: &str) -> Vec<&Message> {
        let address = address.to_lowercase();
        self.messages
            .iter()
            .filter(|message| message.recipients().contains(&address))
            .collect()
    }

    /// The one message `address` received.
    ///
    /// # Panics
    /// When it received none or several, listing their subjects.
    #[track_caller]
    pub fn only_to(&self, address: &str) -> &Message {
        let got = self.to(address);
        match got.as_slice() {
            [one] => one,
            _ => panic!(
                "{address} received {} messages, expected exactly one: {:?}",
                got.len(),
                got.iter().map(|m| &m.subject).collect::<Vec<_>>()
            ),
        }
    }

    /// # Panics
    /// When `address` received nothing, listing who did.
    #[track_caller]
    pub fn assert_sent_to(&self, address: &str) -> &Self {
        assert!(
            !self.to(address).is_empty(),
            "no message was sent to {address}; recipients: {:?}",
            self.recipients()
        );
        self
    }

    /// # Panics
    /// When `address` received something.
    #[track_caller]
    pub fn assert_not_sent_to(&self, address: &str) -> &Self {
        let got = self.to(address);
        assert!(
            got.is_empty(),
            "{address} received {} message(s) it should not have: {:?}",
            got.len(),
            got.iter().map(|m| &m.subject).collect::<Vec<_>>()
        );
        self
    }

    /// Every recipient of every message, sorted, once each.
    pub fn recipients(&self) -> Vec<String> {
        let mut all: Vec<String> = self.messages.iter().flat_map(Message::recipients).collect();
        all.sort();
        all.dedup();
        all
    }

    /// `X-Message-Key` → the IDs of the messages carrying it, oldest first.
    pub fn message_keys(&self) -> BTreeMap<String, Vec<String>> {
        let mut keys: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for message in &self.messages {
            if let Some(key) = message.header(MESSAGE_KEY_HEADER) {
                keys.entry(key.to_owned())
                    .or_default()
                    .push(message.id.clone());
            }
        }
        keys
    }

    /// The keys sent more than once, with how many times.
    pub fn duplicate_message_keys(&self) -> Vec<(String, usize)> {
        self.message_keys()
            .into_iter()
            .filter(|(_, ids)| ids.len() > 1)
            .map(|(key, ids)| (key, ids.len()))
            .collect()
    }

    /// # Panics
    /// When no message carries `key`, or more than one does (each duplicate listed with its
    /// recipients and time).
    #[track_caller]
    pub fn assert_message_key_sent_once(&self, key: &str) -> &Message {
        let carrying: Vec<&Message> = self
            .messages
            .iter()
            .filter(|message| message.header(MESSAGE_KEY_HEADER) == Some(key))
            .collect();
        match carrying.as_slice() {
            [one] => one,
            [] => panic!(
                "no message carries {MESSAGE_KEY_HEADER}: {key}; keys sent: {:?}",
                self.message_keys().keys().collect::<Vec<_>>()
            ),
            many => {
                let mut report = format!(
                    "{MESSAGE_KEY_HEADER}: {key} was sent {} times (a duplicate email):",
                    many.len()
                );
                for message in many {
                    let _ = write!(
                        report,
                        "\n  {} at {} to {:?} ({:?})",
                        message.id,
                        crate::clock::rfc3339(message.received),
                        message.recipients(),
                        message.subject
                    );
                }
                panic!("{report}")
            }
        }
    }

    /// # Panics
    /// When any key was sent more than once, listing every such key.
    #[track_caller]
    pub fn assert_no_duplicate_message_keys(&self) -> &Self {
        let duplicates = self.duplicate_message_keys();
        assert!(
            duplicates.is_empty(),
            "message keys sent more than once (key, times): {duplicates:?}"
        );
        self
    }

    /// # Panics
    /// When a message went to an address on the stub's suppression list: an SES send
    /// the suppression list stopped, or any captured message to a suppressed address.
    #[track_caller]
    pub fn assert_nothing_sent_to_suppressed(&self) -> &Self {
        let mut offences: Vec<String> = self
            .suppressed_attempts
            .iter()
            .map(|(address, id)| format!("SES message {id} to {address}"))
            .collect();
        for message in &self.messages {
            for recipient in message.recipients() {
                if self.suppressed.contains(&recipient) {
                    offences.push(format!("message {} to {recipient}", message.id));
                }
            }
        }
        assert!(
            offences.is_empty(),
            "mail was sent to suppressed addresses: {offences:?}"
        );
        self
    }

    /// Asserts no message reached `address` during its quiet hours (its local time is UTC
    /// plus `utc_offset_minutes`, east positive).
    ///
    /// # Panics
    /// Naming each message and its local time.
    #[track_caller]
    pub fn assert_quiet_hours(
        &self,
        address: &str,
        utc_offset_minutes: i32,
        quiet: QuietHours,
    ) -> &Self {
        let offences: Vec<String> = self
            .to(address)
            .into_iter()
            .filter(|message| quiet.is_quiet(message.received, utc_offset_minutes))
            .map(|message| {
                let local = local_seconds(message.received, utc_offset_minutes).rem_euclid(86_400);
                format!(
                    "{:?} at {:02}:{:02} local",
                    message.subject,
                    local / 3600,
                    local % 3600 / 60
                )
            })
            .collect();
        assert!(
            offences.is_empty(),
            "{address} got mail in its quiet hours ({quiet:?}): {offences:?}"
        );
        self
    }
}

fn local_seconds(at: SystemTime, utc_offset_minutes: i32) -> i64 {
    unix_seconds(at) + i64::from(utc_offset_minutes) * 60
}

/// A recipient's night: no mail from `start_hour` to `end_hour` local time (wrapping past
/// midnight when `start_hour > end_hour`). The local time is UTC plus an offset in minutes
/// (the app resolves the recipient's zone, and its daylight saving, into the offset).
///
/// ```
/// use std::time::{Duration, UNIX_EPOCH};
/// use commerce_testkit::clock::TEST_EPOCH;
/// use commerce_testkit::stubs::mail::QuietHours;
///
/// let night = QuietHours { start_hour: 22, end_hour: 8 };
/// let midnight_utc = UNIX_EPOCH + TEST_EPOCH;
/// assert!(!night.is_quiet(midnight_utc, -5 * 60)); // 19:00 in New York
/// assert!(night.is_quiet(midnight_utc, 0)); // midnight in London
/// // Held until 08:00 UTC.
/// assert_eq!(night.next_allowed(midnight_utc, 0),
///            midnight_utc + Duration::from_secs(8 * 3600));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct QuietHours {
    pub start_hour: u8,
    pub end_hour: u8,
}

impl QuietHours {
    /// Whether `at` falls in the quiet hours of a recipient at UTC plus `utc_offset_minutes`
    /// (east positive: 60 for Paris in winter, -300 for New York).
    pub fn is_quiet(&self, at: SystemTime, utc_offset_minutes: i32) -> bool {
        let hour = (local_seconds(at, utc_offset_minutes).rem_euclid(86_400) / 3600) as u8;
        if self.start_hour <= self.end_hour {
            (self.start_hour..self.end_hour).contains(&hour)
        } else {
            hour >= self.start_hour || hour < self.end_hour
        }
    }

    /// `at` when it is not quiet, else the next `end_hour:00` local time.
    pub fn next_allowed(&self, at: SystemTime, utc_offset_minutes: i32) -> SystemTime {
        if !self.is_quiet(at, utc_offset_minutes) {
            return at;
        }
        let local = local_seconds(at, utc_offset_minutes);
        let today = local - local.rem_euclid(86_400);
        let mut morning = today + i64::from(self.end_hour) * 3600;
        if morning <= local {
            morning += 86_400;
        }
        at + Duration::from_secs((morning - local) as u64)
    }
}

/// What following one link gave.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LinkCheck {
    pub url: String,
    /// The final status after redirects (`None` for a link to another origin, not followed).
    pub status: Option<u16>,
    /// The URLs redirected through.
    pub redirects: Vec<String>,
}

impl LinkCheck {
    pub fn ok(&self) -> bool {
        self.status == Some(200)
    }
}

impl Message {
    /// # Panics
    /// When header `name` is absent or has another value.
    #[track_caller]
    pub fn assert_header(&self, name: &str, expected: &str) -> &Self {
        match self.header(name) {
            Some(value) => assert_eq!(
                value, expected,
                "message {} ({:?}): header {name}",
                self.id, self.subject
            ),
            None => panic!(
                "message {} ({:?}) has no {name} header; it has: {:?}",
                self.id,
                self.subject,
                self.headers.iter().map(|(n, _)| n).collect::<Vec<_>>()
            ),
        }
        self
    }

    /// The attachment named `file_name`.
    ///
    /// # Panics
    /// When there is none, or its content type differs.
    #[track_caller]
    pub fn assert_attachment(&self, file_name: &str, content_type: &str) -> &Attachment {
        let found = self
            .attachments
            .iter()
            .find(|attachment| attachment.file_name == file_name)
            .unwrap_or_else(|| {
                panic!(
                    "message {} ({:?}) has no attachment {file_name}; it has {:?}",
                    self.id,
                    self.subject,
                    self.attachments
                        .iter()
                        .map(|a| &a.file_name)
                        .collect::<Vec<_>>()
                )
            });
        assert_eq!(
            found.content_type, content_type,
            "attachment {file_name}'s content type"
        );
        found
    }

    /// Every `http(s)://` link: the HTML's `href`s, then the text's URLs, each once.
    pub fn links(&self) -> Vec<String> {
        let mut links: Vec<String> = Vec::new();
        let mut rest = self.html.as_str();
        while let Some(at) = rest.find("href=") {
            rest = &rest[at + 5..];
            let quote = rest.chars().next().filter(|c| *c == '"' || *c == '\'');
            let link = match quote {
                Some(quote) => rest[1..].split(quote).next().unwrap_or_default(),
                None => rest
                    .split(|c: char| c.is_whitespace() || c == '>')
                    .next()
                    .unwrap_or_default(),
            };
            let link = link.replace("&amp;", "&");
            if link.starts_with("http://") || link.starts_with("https://") {
                links.push(link);
            }
        }
        for word in self
            .text
            .split(|c: char| c.is_whitespace() || "<>\"()".contains(c))
        {
            if word.starts_with("http://") || word.starts_with("https://") {
                links.push(word.trim_end_matches(['.', ',', ';']).to_owned());
            }
        }
        let mut seen = Vec::new();
        links.retain(|link| {
            let new = !seen.contains(link);
            seen.push(link.clone());
            new
        });
        links
    }

    /// The values of query parameter `name` in the links (a signed token, say).
    pub fn link_params(&self, name: &str) -> Vec<String> {
        self.links()
            .iter()
            .filter_map(|link| {
                let (_, query) = link.split_once('?')?;
                query
                    .split(['&', '#'])
                    .filter_map(|pair| pair.split_once('='))
                    .find(|(key, _)| *key == name)
                    .map(|(_, value)| percent_decode(value))
            })
            .collect()
    }

    /// Follows every link whose origin is `origin` (`https://shop.test`) through `app` in
    /// process, redirects included (up to 5), and reports each; other origins are listed
    /// with no status.
    pub async fn check_links(&self, app: &TestApp, origin: &str) -> Vec<LinkCheck> {
        let mut checks = Vec::new();
        for url in self.links() {
            let mut check = LinkCheck {
                url: url.clone(),
                status: None,
                redirects: Vec::new(),
            };
            let mut next = url.strip_prefix(origin).map(str::to_owned);
            while let Some(path) = next.take() {
                let path = if path.is_empty() {
                    "/".to_owned()
                } else {
                    path
                };
                let response = app.get(&path).without_cookies().send().await;
                let status = response.status.as_u16();
                check.status = Some(status);
                let location = response.header("location").map(str::to_owned);
                if (300..400).contains(&status)
                    && let Some(location) = location
                    && check.redirects.len() < 5
                {
                    check.redirects.push(location.clone());
                    next = if location.starts_with('/') {
                        Some(location)
                    } else {
                        location.strip_prefix(origin).map(str::to_owned)
                    };
                    if next.is_none() {
                        check.status = None;
                    }
                }
            }
            checks.push(check);
        }
        checks
    }

    /// # Panics
    /// When a link to `origin` does not end at 200, or a link leaves `origin`: every such
    /// link listed.
    #[track_caller]
    pub fn assert_links_ok<'a>(
        &'a self,
        app: &'a TestApp,
        origin: &'a str,
    ) -> impl std::future::Future<Output = Vec<LinkCheck>> + 'a {
        let caller = std::panic::Location::caller();
        async move {
            let checks = self.check_links(app, origin).await;
            let bad: Vec<String> = checks
                .iter()
                .filter(|check| !check.ok())
                .map(|check| match check.status {
                    Some(status) => format!(
                        "{} answered {status} (via {:?})",
                        check.url, check.redirects
                    ),
                    None => format!("{} leaves {origin} (via {:?})", check.url, check.redirects),
                })
                .collect();
            assert!(
                bad.is_empty(),
                "{caller}: message {:?} has broken links: {bad:#?}",
                self.subject
            );
            assert!(
                !checks.is_empty(),
                "{caller}: message {:?} has no links",
                self.subject
            );
            checks
        }
    }

    /// The text and HTML bodies with what changes from run to run redacted (see
    /// [`redact_mail`]), under the subject and recipients: what [`crate::assert_mail_snapshot!`]
    /// snapshots.
    pub fn snapshot(&self) -> String {
        let to: Vec<String> = self.to.iter().map(super::Address::display).collect();
        redact_mail(&format!(
            "From: {}\nTo: {}\nSubject: {}\nAttachments: {:?}\n\n--- text ---\n{}\n--- html ---\n{}\n",
            self.from
                .as_ref()
                .map(super::Address::display)
                .unwrap_or_default(),
            to.join(", "),
            self.subject,
            self.attachments
                .iter()
                .map(|a| format!("{} ({}, {} bytes)", a.file_name, a.content_type, a.size))
                .collect::<Vec<_>>(),
            self.text.replace("\r\n", "\n").trim_end(),
            self.html.replace("\r\n", "\n").trim_end()
        ))
    }
}

/// Redacts what changes from run to run in a rendered message: values of `token`, `sig`,
/// `signature` and `code` query parameters, UUIDs, and runs of 20 or more base64url
/// characters.
///
/// ```
/// use commerce_testkit::stubs::mail::redact_mail;
/// assert_eq!(
///     redact_mail("https://shop.test/verify?token=abc.def&lang=en order 0b6f1c1e-8d7a-4bb0-9b7a-1c2d3e4f5a6b"),
///     "https://shop.test/verify?token=[token]&lang=en order [uuid]"
/// );
/// ```
pub fn redact_mail(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut word = String::new();
    let flush = |word: &mut String, out: &mut String| {
        out.push_str(&redact_word(word));
        word.clear();
    };
    for c in text.chars() {
        if c.is_whitespace() || "<>\"'()".contains(c) {
            flush(&mut word, &mut out);
            out.push(c);
        } else {
            word.push(c);
        }
    }
    flush(&mut word, &mut out);
    out
}

fn redact_word(word: &str) -> String {
    let mut word = word.to_owned();
    for param in ["token=", "sig=", "signature=", "code="] {
        let mut from = 0;
        while let Some(at) = word[from..].find(param) {
            let start = from + at + param.len();
            let boundary = start == param.len() || {
                let before = word.as_bytes()[start - param.len() - 1];
                before == b'?' || before == b'&' || before == b';'
            };
            let end = word[start..]
                .find(['&', '#'])
                .map_or(word.len(), |end| start + end);
            if boundary && end > start {
                word.replace_range(start..end, "[token]");
            }
            from = start;
        }
    }
    let pieces: Vec<String> = word
        .split_inclusive(['/', '=', '&', '?', '#'])
        .map(|piece| {
            let (body, tail) = match piece.char_indices().last() {
                Some((at, c)) if "/=&?#".contains(c) => (&piece[..at], &piece[at..]),
                _ => (piece, ""),
            };
            let bare = body.trim_end_matches(['.', ',', ';', ':']);
            let trail = &body[bare.len()..];
            let redacted = if crate::http::is_uuid(bare) {
                "[uuid]".to_owned()
            } else if bare.len() >= 20
                && bare
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
                && bare.chars().any(|c| c.is_ascii_digit())
            {
                "[random]".to_owned()
            } else {
                bare.to_owned()
            };
            format!("{redacted}{trail}{tail}")
        })
        .collect();
    pieces.concat()
}

fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = |b: u8| (b as char).to_digit(16);
        match (bytes[i], bytes.get(i + 1), bytes.get(i + 2)) {
            (b'%', Some(&a), Some(&b)) if hex(a).is_some() && hex(b).is_some() => {
                out.push((hex(a).unwrap_or(0) * 16 + hex(b).unwrap_or(0)) as u8);
                i += 3;
            }
            (b'+', _, _) => {
                out.push(b' ');
                i += 1;
            }
            (byte, _, _) => {
                out.push(byte);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Snapshots a captured message's text and HTML with insta, what changes redacted
/// ([`Message::snapshot`]): `assert_mail_snapshot!(message)` or
/// `assert_mail_snapshot!("name", message)`.
#[macro_export]
macro_rules! assert_mail_snapshot {
    ($name:expr, $message:expr) => {
        $crate::insta::assert_snapshot!($name, $message.snapshot())
    };
    ($message:expr) => {
        $crate::insta::assert_snapshot!($message.snapshot())
    };
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::TEST_EPOCH;
    use std::time::UNIX_EPOCH;

    #[test]
    fn quiet_hours_wrap_midnight_and_hold_until_morning() {
        let night = QuietHours {
            start_hour: 22,
            end_hour: 7,
        };
        let at = UNIX_EPOCH + TEST_EPOCH + Duration::from_secs(23 * 3600); // 23:00 UTC
        assert!(night.is_quiet(at, 0));
        // 23:00 UTC is 18:00 in UTC-5.
        assert!(!night.is_quiet(at, -5 * 60));
        // 23:00 UTC is 08:00 in UTC+9.
        assert!(!night.is_quiet(at, 9 * 60));
        assert_eq!(
            night.next_allowed(at, 0),
            at + Duration::from_secs(8 * 3600)
        );
        let day = QuietHours {
            start_hour: 12,
            end_hour: 13,
        };
        assert!(day.is_quiet(
            UNIX_EPOCH + TEST_EPOCH + Duration::from_secs(12 * 3600 + 59),
            0
        ));
    }

    #[test]
    fn redaction_keeps_words_and_drops_noise() {
        assert_eq!(
            redact_mail(
                "Order #1042 ships. Track: https://shop.test/t/AbCdEfGh1234567890XyZ?sig=q1w2&x=1."
            ),
            "Order #1042 ships. Track: https://shop.test/t/[random]?sig=[token]&x=1."
        );
        assert_eq!(redact_mail("design=token=abc"), "design=token=abc");
        assert_eq!(percent_decode("a%2Eb+c"), "a.b c");
    }
}
