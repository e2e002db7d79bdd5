//! The mailbox every entry point (SMTP, SES, in-process) writes to: each message parsed once
//! (mail-parser: RFC 2047 words, multipart bodies, attachments) into what Mailpit's API shows.

use std::time::SystemTime;

use bytes::Bytes;
use mail_parser::{MessageParser, MimeHeaders as _, PartType};
use serde::Serialize;

/// A mailbox (`Name <address>`), as Mailpit spells it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Address {
    #[serde(rename = "Name")]
    pub name: String,
    #[serde(rename = "Address")]
    pub address: String,
}

impl Address {
    /// `Name <address>`, or the bare address.
    pub fn display(&self) -> String {
        if self.name.is_empty() {
            self.address.clone()
        } else {
            format!("{} <{}>", self.name, self.address)
        }
    }
}

/// An attachment or inline part.
#[derive(Debug, Clone)]
pub struct Attachment {
    /// The part's index in the message (Mailpit's `PartID`).
    pub part_id: String,
    pub file_name: String,
    pub content_type: String,
    pub content_id: String,
    /// Decoded size in bytes.
    pub size: usize,
    /// The decoded contents.
    pub data: Bytes,
}

/// How a message arrived.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    Smtp,
    /// SES v2 `SendEmail`.
    Ses {
        /// The `MessageId` SES answered.
        message_id: String,
        configuration_set: Option<String>,
        tags: Vec<(String, String)>,
    },
    /// Handed to the stub in process ([`super::MailStub::submit`]).
    InProcess,
}

/// One captured message.
#[derive(Debug, Clone)]
pub struct Message {
    /// Mailpit's database ID (22 base62 characters).
    pub id: String,
    /// The `Message-ID` header without its angle brackets (empty when absent).
    pub message_id: String,
    /// The envelope (SMTP `MAIL FROM` / `RCPT TO`, or SES's source and destinations).
    pub envelope_from: String,
    pub envelope_to: Vec<String>,
    /// When the stub received it, on the kit's clock.
    pub received: SystemTime,
    pub source: Source,
    /// The SMTP AUTH user name (empty without AUTH).
    pub username: String,
    pub read: bool,
    /// The message as received.
    pub raw: Bytes,
    pub from: Option<Address>,
    pub to: Vec<Address>,
    pub cc: Vec<Address>,
    /// Envelope recipients named in no `To`/`Cc` header (Mailpit's rule), or a `Bcc` header.
    pub bcc: Vec<Address>,
    pub reply_to: Vec<Address>,
    pub return_path: String,
    /// Decoded (RFC 2047).
    pub subject: String,
    /// The `Date` header, in Unix seconds.
    pub date: Option<i64>,
    /// The text body (derived from the HTML when there is no text part, as Mailpit does).
    pub text: String,
    /// The HTML body (empty when there is none).
    pub html: String,
    /// Top-level headers in order: name as written, value unfolded and not decoded.
    pub headers: Vec<(String, String)>,
    pub attachments: Vec<Attachment>,
    pub inline: Vec<Attachment>,
}

impl Message {
    /// Parses `raw` (a message that does not parse keeps empty fields, as Mailpit shows it).
    pub fn parse(
        id: String,
        raw: Bytes,
        envelope_from: String,
        envelope_to: Vec<String>,
        received: SystemTime,
        source: Source,
    ) -> Self {
        let mut message = Self {
            id,
            message_id: String::new(),
            envelope_from,
            envelope_to,
            received,
            source,
            username: String::new(),
            read: false,
            raw: raw.clone(),
            from: None,
            to: Vec::new(),
            cc: Vec::new(),
            bcc: Vec::new(),
            reply_to: Vec::new(),
            return_path: String::new(),
            subject: String::new(),
            date: None,
            text: String::new(),
            html: String::new(),
            headers: Vec::new(),
            attachments: Vec::new(),
            inline: Vec::new(),
        };
        let Some(parsed) = MessageParser::default().parse(&raw[..]) else {
            return message;
        };
        message.message_id = parsed.message_id().unwrap_or_default().to_owned();
        message.from = parsed
            .from()
            .and_then(|from| addresses(from).into_iter().next());
        message.to = parsed.to().map(addresses).unwrap_or_default();
        message.cc = parsed.cc().map(addresses).unwrap_or_default();
        message.reply_to = parsed.reply_to().map(addresses).unwrap_or_default();
        message.bcc = parsed.bcc().map(addresses).unwrap_or_default();
        for recipient in &message.envelope_to {
            let named = message
                .to
                .iter()
                .chain(&message.cc)
                .chain(&message.bcc)
                .any(|address| address.address.eq_ignore_ascii_case(recipient));
            if !named {
                message.bcc.push(Address {
                    name: String::new(),
                    address: recipient.clone(),
                });
            }
        }
        message.return_path = parsed
            .return_path()
            .as_text()
            .unwrap_or_default()
            .trim_matches(['<', '>'])
            .to_owned();
        message.subject = parsed.subject().unwrap_or_default().to_owned();
        message.date = parsed.date().map(mail_parser::DateTime::to_timestamp);
        message.text = parsed
            .body_text(0)
            .map(|text| text.into_owned())
            .unwrap_or_default();
        message.html = parsed
            .html_bodies()
            .find(|part| part.is_text_html())
            .and_then(|part| part.text_contents())
            .unwrap_or_default()
            .to_owned();
        message.headers = parsed
            .headers_raw()
            .map(|(name, value)| (name.to_owned(), unfold(value)))
            .collect();
        for &part_id in &parsed.attachments {
            let Some(part) = parsed.parts.get(part_id as usize) else {
                continue;
            };
            let data: Bytes = match &part.body {
                PartType::Message(nested) => Bytes::copy_from_slice(nested.raw_message()),
                _ => Bytes::copy_from_slice(part.contents()),
            };
            let content_type = part.content_type().map_or_else(
                || "application/octet-stream".to_owned(),
                |ct| match ct.subtype() {
                    Some(sub) => format!("{}/{sub}", ct.ctype()),
                    None => ct.ctype().to_owned(),
                },
            );
            let content_id = part
                .content_id()
                .unwrap_or_default()
                .trim_matches(['<', '>'])
                .to_owned();
            let inline = part
                .content_disposition()
                .map_or(!content_id.is_empty(), |disposition| {
                    disposition.ctype().eq_ignore_ascii_case("inline")
                });
            let attachment = Attachment {
                part_id: part_id.to_string(),
                file_name: part.attachment_name().unwrap_or_default().to_owned(),
                content_type,
                content_id,
                size: data.len(),
                data,
            };
            if inline {
                message.inline.push(attachment);
            } else {
                message.attachments.push(attachment);
            }
        }
        message
    }

    /// The first value of header `name` (case-insensitive), unfolded, not decoded.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(header, _)| header.eq_ignore_ascii_case(name))
            .map(|(_, value)| value.as_str())
    }

    /// Every recipient: `To`, `Cc` and `Bcc` (the envelope's included), lowercased.
    pub fn recipients(&self) -> Vec<String> {
        let mut all: Vec<String> = self
            .to
            .iter()
            .chain(&self.cc)
            .chain(&self.bcc)
            .map(|address| address.address.to_lowercase())
            .collect();
        all.dedup();
        all
    }

    /// Mailpit's snippet: the HTML's text (or the text), whitespace collapsed, at most 200
    /// bytes then `...`.
    pub fn snippet(&self) -> String {
        const LIMIT: usize = 200;
        let source = if self.html.trim().is_empty() {
            self.text.clone()
        } else {
            html_to_text(&self.html)
        };
        let collapsed = source
            .replace('\u{feff}', " ")
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ");
        if collapsed.len() <= LIMIT {
            return collapsed;
        }
        let mut end = LIMIT;
        while !collapsed.is_char_boundary(end) {
            end -= 1;
        }
        format!("{}...", &collapsed[..end])
    }
}

/// Tags dropped, entities decoded, `<style>`/`<script>` contents skipped.
pub(crate) fn html_to_text(html: &str) -> String {
    let mut text = String::with_capacity(html.len());
    let mut rest = html;
    while let Some(open) = rest.find('<') {
        text.push_str(&rest[..open]);
        rest = &rest[open..];
        let lower = rest.get(..8).unwrap_or(rest).to_ascii_lowercase();
        let skip_to = if lower.starts_with("<style") {
            Some("</style>")
        } else if lower.starts_with("<script") {
            Some("</script>")
        } else {
            None
        };
        if let Some(end_tag) = skip_to {
            let lowered = rest.to_ascii_lowercase();
            rest = lowered
                .find(end_tag)
                .map_or("", |at| &rest[at + end_tag.len()..]);
            continue;
        }
        match rest.find('>') {
            Some(close) => {
                text.push(' ');
                rest = &rest[close + 1..];
            }
            None => rest = "",
        }
    }
    text.push_str(rest);
    decode_entities(&text)
}

fn decode_entities(text: &str) -> String {
    text.replace("&nbsp;", " ")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&amp;", "&")
}

fn addresses(address: &mail_parser::Address<'_>) -> Vec<Address> {
    address
        .iter()
        .filter_map(|addr| {
            Some(Address {
                name: addr.name().unwrap_or_default().to_owned(),
                address: addr.address()?.to_owned(),
            })
        })
        .collect()
}

/// A raw header value with its folding removed, each fold one space (as Go's textproto).
fn unfold(value: &str) -> String {
    value
        .split('\n')
        .map(str::trim)
        .filter(|line| !line.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(raw: &str, envelope: &[&str]) -> Message {
        Message::parse(
            "id".into(),
            Bytes::copy_from_slice(raw.as_bytes()),
            "shop@example.com".into(),
            envelope.iter().map(|&s| s.to_owned()).collect(),
            SystemTime::UNIX_EPOCH,
            Source::Smtp,
        )
    }

    #[test]
    fn encoded_words_alternatives_and_attachments() {
        let raw = "From: =?utf-8?q?Caf=C3=A9?= <cafe@example.com>\r\n\
To: Ana <ana@example.com>\r\nSubject: =?utf-8?b?w4ljaGFudGlsbG9u?=\r\n\
Message-ID: <m1@example.com>\r\nX-Campaign: spring\r\n\x20\x20sale\r\nMIME-Version: 1.0\r\n\
Content-Type: multipart/mixed; boundary=outer\r\n\r\n\
--outer\r\nContent-Type: multipart/alternative; boundary=inner\r\n\r\n\
--inner\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nHello Ana\r\n\
--inner\r\nContent-Type: text/html; charset=utf-8\r\n\r\n<p>Hello <b>Ana</b></p>\r\n\
--inner--\r\n\
--outer\r\nContent-Type: application/pdf\r\nContent-Disposition: attachment; filename=\"invoice.pdf\"\r\n\
Content-Transfer-Encoding: base64\r\n\r\nJVBERi0xLjQ=\r\n--outer--\r\n";
        let message = parse(raw, &["ana@example.com", "audit@example.com"]);
        assert_eq!(message.subject, "Échantillon");
        assert_eq!(message.from.as_ref().unwrap().name, "Café");
        assert_eq!(message.message_id, "m1@example.com");
        assert_eq!(message.text.trim(), "Hello Ana");
        assert_eq!(message.html.trim(), "<p>Hello <b>Ana</b></p>");
        assert_eq!(message.header("x-campaign"), Some("spring sale"));
        assert_eq!(message.attachments.len(), 1);
        let pdf = &message.attachments[0];
        assert_eq!(
            (pdf.file_name.as_str(), pdf.content_type.as_str(), pdf.size),
            ("invoice.pdf", "application/pdf", 8)
        );
        assert_eq!(&pdf.data[..], b"%PDF-1.4");
        assert_eq!(
            message.bcc,
            [Address {
                name: String::new(),
                address: "audit@example.com".into()
            }]
        );
        assert_eq!(message.snippet(), "Hello Ana");
    }

    #[test]
    fn the_snippet_is_cut_on_a_character() {
        let body = "é".repeat(150);
        let message = parse(&format!("Subject: s\r\n\r\n{body}"), &[]);
        let snippet = message.snippet();
        assert!(snippet.ends_with("..."));
        assert_eq!(snippet.len(), 203);
    }
}
