//! Mailpit's HTTP API (`/api/v1`), the parts tests use: list, search, one message, its
//! headers, raw source and parts, read status, delete. Field names, casing and error bodies
//! as Mailpit's (`server/apiv1`): JSON with PascalCase message fields, plain-text errors
//! (400) and `404 page not found`.

use std::collections::{BTreeMap, HashMap};
use std::time::{SystemTime, UNIX_EPOCH};

use axum::extract::{Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use md5::Digest as _;
use serde::Deserialize;
use serde_json::{Value, json};

use super::MailStub;
use super::search::Search;
use super::store::{Address, Attachment, Message};
use crate::clock::rfc3339;

pub(super) fn router(stub: MailStub) -> Router {
    Router::new()
        .route("/api/v1/messages", get(list).delete(delete).put(set_read))
        .route("/api/v1/search", get(search).delete(delete_search))
        .route("/api/v1/message/{id}", get(message))
        .route("/api/v1/message/{id}/headers", get(headers))
        .route("/api/v1/message/{id}/raw", get(raw))
        .route("/api/v1/message/{id}/part/{part}", get(part))
        .with_state(stub)
}

fn text(status: StatusCode, body: impl Into<String>) -> Response {
    (
        status,
        [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
        body.into(),
    )
        .into_response()
}

fn not_found() -> Response {
    text(StatusCode::NOT_FOUND, "404 page not found")
}

fn ok() -> Response {
    text(StatusCode::OK, "ok")
}

/// `start` and `limit`: 0 and 50 unless given as numbers (Mailpit ignores anything else).
fn page(query: &HashMap<String, String>) -> (usize, usize) {
    let number = |name: &str, default: usize| {
        query
            .get(name)
            .and_then(|value| value.parse::<usize>().ok())
            .unwrap_or(default)
    };
    (number("start", 0), number("limit", 50))
}

/// RFC 3339 with the fraction Go's `RFC3339Nano` prints (trailing zeros dropped).
fn rfc3339_nano(at: SystemTime) -> String {
    let whole = rfc3339(at);
    let nanos = at
        .duration_since(UNIX_EPOCH)
        .map_or(0, |since| since.subsec_nanos());
    if nanos == 0 {
        return whole;
    }
    let fraction = format!("{nanos:09}");
    format!(
        "{}.{}Z",
        whole.trim_end_matches('Z'),
        fraction.trim_end_matches('0')
    )
}

/// The sender; with no parsable `From`, an empty address named by the raw header (Mailpit's).
fn from(message: &Message) -> Address {
    message.from.clone().unwrap_or_else(|| Address {
        name: message.header("From").unwrap_or_default().to_owned(),
        address: String::new(),
    })
}

fn summary(message: &Message) -> Value {
    json!({
        "ID": message.id,
        "MessageID": message.message_id,
        "Read": message.read,
        "From": from(message),
        "To": message.to,
        "Cc": message.cc,
        "Bcc": message.bcc,
        "ReplyTo": message.reply_to,
        "Subject": message.subject,
        "Created": rfc3339_nano(message.received),
        "Username": message.username,
        "Tags": [],
        "Size": message.raw.len(),
        "Attachments": message.attachments.len(),
        "Snippet": message.snippet(),
    })
}

/// Mailpit's `MessagesSummary`: `count` is the legacy field (this page's length).
fn summaries(all: &[Message], matching: &[&Message], start: usize, limit: usize) -> Value {
    let page: Vec<Value> = matching
        .iter()
        .rev()
        .skip(start)
        .take(limit)
        .map(|message| summary(message))
        .collect();
    json!({
        "total": all.len(),
        "unread": all.iter().filter(|message| !message.read).count(),
        "count": page.len(),
        "messages_count": matching.len(),
        "messages_unread": matching.iter().filter(|message| !message.read).count(),
        "start": start,
        "tags": [],
        "messages": page,
    })
}

async fn list(
    State(stub): State<MailStub>,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    let (start, limit) = page(&query);
    let all = stub.messages();
    let matching: Vec<&Message> = all.iter().collect();
    Json(summaries(&all, &matching, start, limit)).into_response()
}

async fn search(
    State(stub): State<MailStub>,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    let Some(search) = query
        .get("query")
        .map(|query| query.trim())
        .filter(|query| !query.is_empty())
    else {
        return text(StatusCode::BAD_REQUEST, "Error: no search query");
    };
    let (start, limit) = page(&query);
    let search = Search::parse(search);
    let all = stub.messages();
    let matching: Vec<&Message> = all.iter().filter(|m| search.matches(m)).collect();
    Json(summaries(&all, &matching, start, limit)).into_response()
}

#[derive(Debug, Default, Deserialize)]
struct Selection {
    #[serde(rename = "IDs", default)]
    ids: Vec<String>,
    #[serde(rename = "Read", default)]
    read: bool,
    #[serde(rename = "Search", default)]
    search: String,
}

/// An optional JSON body (Mailpit treats a missing or unreadable one as "everything").
fn selection(body: &[u8]) -> Selection {
    serde_json::from_slice(body).unwrap_or_default()
}

async fn delete(State(stub): State<MailStub>, body: axum::body::Bytes) -> Response {
    let selection = selection(&body);
    let mut state = stub.lock();
    if selection.ids.is_empty() {
        state.messages.clear();
    } else {
        state
            .messages
            .retain(|message| !selection.ids.contains(&message.id));
    }
    ok()
}

async fn delete_search(
    State(stub): State<MailStub>,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    let Some(search) = query.get("query").filter(|q| !q.trim().is_empty()) else {
        return text(StatusCode::BAD_REQUEST, "Error: no search query");
    };
    let search = Search::parse(search);
    stub.lock()
        .messages
        .retain(|message| !search.matches(message));
    ok()
}

async fn set_read(State(stub): State<MailStub>, body: axum::body::Bytes) -> Response {
    let selection = selection(&body);
    if !selection.ids.is_empty() && !selection.search.is_empty() {
        return text(
            StatusCode::BAD_REQUEST,
            "You may specify either IDs or a search query, not both",
        );
    }
    let search = Search::parse(&selection.search);
    for message in &mut stub.lock().messages {
        let chosen = if !selection.ids.is_empty() {
            selection.ids.contains(&message.id)
        } else {
            search.matches(message)
        };
        if chosen {
            message.read = selection.read;
        }
    }
    ok()
}

/// The message `id` (or the newest for `latest`), through `f` under the lock.
fn with_message<T>(stub: &MailStub, id: &str, f: impl FnOnce(&mut Message) -> T) -> Option<T> {
    let mut state = stub.lock();
    let message = if id == "latest" {
        state.messages.last_mut()
    } else {
        state.messages.iter_mut().find(|message| message.id == id)
    }?;
    Some(f(message))
}

fn checksum_hex(bytes: impl AsRef<[u8]>) -> String {
    bytes.as_ref().iter().map(|b| format!("{b:02x}")).collect()
}

fn attachment(attachment: &Attachment) -> Value {
    json!({
        "PartID": attachment.part_id,
        "FileName": attachment.file_name,
        "ContentType": attachment.content_type,
        "ContentID": attachment.content_id,
        "Size": attachment.size,
        "Checksums": {
            "MD5": checksum_hex(md5::Md5::digest(&attachment.data)),
            "SHA1": checksum_hex(sha1::Sha1::digest(&attachment.data)),
            "SHA256": checksum_hex(sha2::Sha256::digest(&attachment.data)),
        },
    })
}

/// `List-Unsubscribe`'s `<...>` targets.
fn unsubscribe(message: &Message) -> Value {
    let header = message.header("List-Unsubscribe").unwrap_or_default();
    let links: Vec<&str> = header
        .split(',')
        .filter_map(|link| {
            link.trim()
                .strip_prefix('<')
                .and_then(|link| link.strip_suffix('>'))
        })
        .collect();
    json!({
        "Header": header,
        "Links": links,
        "Errors": "",
        "HeaderPost": message.header("List-Unsubscribe-Post").unwrap_or_default(),
    })
}

async fn message(State(stub): State<MailStub>, Path(id): Path<String>) -> Response {
    let found = with_message(&stub, &id, |message| {
        message.read = true;
        let date = message
            .date
            .map(|seconds| UNIX_EPOCH + std::time::Duration::from_secs(seconds.max(0) as u64))
            .unwrap_or(message.received);
        json!({
            "ID": message.id,
            "MessageID": message.message_id,
            "From": from(message),
            "To": message.to,
            "Cc": message.cc,
            "Bcc": message.bcc,
            "ReplyTo": message.reply_to,
            "ReturnPath": message.return_path,
            "Subject": message.subject,
            "ListUnsubscribe": unsubscribe(message),
            "Date": rfc3339_nano(date),
            "Tags": [],
            "Username": message.username,
            "Text": message.text,
            "HTML": message.html,
            "Size": message.raw.len(),
            "Inline": message.inline.iter().map(attachment).collect::<Vec<_>>(),
            "Attachments": message.attachments.iter().map(attachment).collect::<Vec<_>>(),
        })
    });
    found.map_or_else(not_found, |body| Json(body).into_response())
}

/// Go's `textproto.CanonicalMIMEHeaderKey`: `x-message-key` → `X-Message-Key`.
fn canonical(name: &str) -> String {
    let mut upper = true;
    name.chars()
        .map(|c| {
            let out = if upper {
                c.to_ascii_uppercase()
            } else {
                c.to_ascii_lowercase()
            };
            upper = c == '-';
            out
        })
        .collect()
}

async fn headers(State(stub): State<MailStub>, Path(id): Path<String>) -> Response {
    let found = with_message(&stub, &id, |message| {
        let mut map: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for (name, value) in &message.headers {
            map.entry(canonical(name)).or_default().push(value.clone());
        }
        map
    });
    found.map_or_else(not_found, |map| Json(map).into_response())
}

async fn raw(State(stub): State<MailStub>, Path(id): Path<String>) -> Response {
    let found = with_message(&stub, &id, |message| message.raw.clone());
    found.map_or_else(not_found, |raw| {
        ([(header::CONTENT_TYPE, "text/plain; charset=utf-8")], raw).into_response()
    })
}

async fn part(State(stub): State<MailStub>, Path((id, part)): Path<(String, String)>) -> Response {
    let found = with_message(&stub, &id, |message| {
        message
            .attachments
            .iter()
            .chain(&message.inline)
            .find(|attachment| attachment.part_id == part)
            .cloned()
    })
    .flatten();
    found.map_or_else(not_found, |attachment| {
        (
            [(header::CONTENT_TYPE, attachment.content_type)],
            attachment.data,
        )
            .into_response()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn go_canonical_header_keys_and_nano_times() {
        assert_eq!(canonical("x-message-KEY"), "X-Message-Key");
        assert_eq!(canonical("MIME-Version"), "Mime-Version");
        let at = UNIX_EPOCH + std::time::Duration::from_millis(1_767_225_600_120);
        assert_eq!(rfc3339_nano(at), "2026-01-01T00:00:00.12Z");
        assert_eq!(
            rfc3339_nano(UNIX_EPOCH + crate::clock::TEST_EPOCH),
            "2026-01-01T00:00:00Z"
        );
    }
}
