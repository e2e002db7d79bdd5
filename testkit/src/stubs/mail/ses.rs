//! SES v2 over the mailbox: `SendEmail` (`POST /v2/email/outbound-emails`, Simple and Raw
//! content), the account-level suppression list (`PUT/GET/DELETE
//! /v2/email/suppression/addresses`), SES's REST-JSON errors (`x-amzn-ErrorType` and
//! `{"message"}`), and the mailbox simulator:
//!
//! | recipient (`@simulator.amazonses.com`) | what SES does | notification |
//! | --- | --- | --- |
//! | `success@` | delivered | `Delivery` |
//! | `bounce@` | the receiver answers 550 5.1.1 | `Bounce`, `Permanent`/`General` |
//! | `complaint@` | delivered, then marked as spam | `Delivery`, then `Complaint` (`abuse`) |
//! | `suppressionlist@` | on SES's global suppression list: not sent | `Bounce`, `Permanent`/`Suppressed` |
//!
//! An address on the account's suppression list is, as on SES since the suppression list
//! replaced the blacklist, accepted by `SendEmail` (a `MessageId` comes back) and not sent:
//! a `Bounce` `Permanent`/`OnAccountSuppressionList` follows, and the attempt is recorded for
//! [`super::Mailbox::assert_nothing_sent_to_suppressed`]. Every other recipient is delivered
//! into the mailbox (and, with `delivery_notifications`, notified as `Delivery`).
//!
//! Notifications are SES's notification JSON (`notificationType`, `mail`, `bounce` |
//! `complaint` | `delivery`), as the `Message` string of an SNS `Notification` signed with
//! `SignatureVersion` 2 (RSA-SHA256 over SNS's canonical string) by a key made at the first
//! notification; its self-signed certificate is served at `SigningCertURL`
//! (`/sns/signing-cert.pem` on the stub). They go to the webhook URL through the kit's
//! webhook deliverer (retries on the clock).

use std::collections::BTreeMap;
use std::sync::{Mutex, MutexGuard, OnceLock, PoisonError};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, put};
use axum::{Json, Router};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use serde::Deserialize;
use serde_json::{Value, json};

use super::{MailConfig, MailStub, Source};
use crate::clock::{SharedClock, rfc3339};
use crate::seed::TestRng;
use crate::stubs::webhook::{Delivery, WebhookConfig, Webhooks};

/// The mailbox simulator's domain.
pub const SIMULATOR_DOMAIN: &str = "simulator.amazonses.com";
/// SES's limit on recipients per message.
const MAX_RECIPIENTS: usize = 50;
const ACCOUNT: &str = "123456789012";

/// What a notification reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NotificationKind {
    Delivery,
    Bounce,
    Complaint,
}

impl NotificationKind {
    fn as_str(self) -> &'static str {
        match self {
            Self::Delivery => "Delivery",
            Self::Bounce => "Bounce",
            Self::Complaint => "Complaint",
        }
    }
}

/// One SES notification as published to SNS.
#[derive(Debug, Clone)]
pub struct Notification {
    pub kind: NotificationKind,
    pub recipient: String,
    /// The `MessageId` `SendEmail` answered.
    pub ses_message_id: String,
    /// SES's notification (the SNS `Message`, parsed).
    pub message: Value,
    /// The SNS `Notification` as POSTed.
    pub sns: Value,
    /// The webhook delivery's id, when a webhook URL is set.
    pub delivery: Option<String>,
}

#[derive(Debug)]
pub(super) struct Ses {
    clock: SharedClock,
    topic_arn: String,
    webhook_url: Option<String>,
    delivery_notifications: bool,
    webhooks: Webhooks,
    state: Mutex<SesState>,
    rng: Mutex<TestRng>,
    public_url: Mutex<String>,
    signer: OnceLock<Result<SnsKey, String>>,
}

#[derive(Debug, Default)]
struct SesState {
    /// Address (lowercased) → (reason, when).
    suppressed: BTreeMap<String, (String, SystemTime)>,
    /// Sends to a suppressed address: (address, SES message id).
    suppressed_attempts: Vec<(String, String)>,
    notifications: Vec<Notification>,
}

impl Ses {
    pub(super) fn new(clock: SharedClock, config: &MailConfig) -> Self {
        Self {
            webhooks: Webhooks::new(clock.clone(), WebhookConfig::default()),
            clock,
            topic_arn: config.topic_arn.clone(),
            webhook_url: config.webhook_url.clone(),
            delivery_notifications: config.delivery_notifications,
            state: Mutex::default(),
            rng: Mutex::new(TestRng::from_u64(config.seed ^ 0x5e5)),
            public_url: Mutex::new(format!("http://{}", config.hostname)),
            signer: OnceLock::new(),
        }
    }

    fn lock(&self) -> MutexGuard<'_, SesState> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    pub(super) fn set_public_url(&self, url: &str) {
        *self
            .public_url
            .lock()
            .unwrap_or_else(PoisonError::into_inner) = url.to_owned();
    }

    /// Delivers notifications in the background (when a webhook URL is set).
    pub(super) fn spawn_delivery(&self) -> Option<tokio::task::JoinHandle<()>> {
        self.webhook_url.as_ref().map(|_| self.webhooks.spawn())
    }

    pub(super) fn webhooks(&self) -> &Webhooks {
        &self.webhooks
    }

    pub(super) fn notifications(&self) -> Vec<Notification> {
        self.lock().notifications.clone()
    }

    pub(super) fn suppress(&self, address: &str, reason: &str) {
        let now = self.clock.now();
        self.lock()
            .suppressed
            .insert(address.to_lowercase(), (reason.to_owned(), now));
    }

    pub(super) fn suppressed(&self) -> Vec<String> {
        self.lock().suppressed.keys().cloned().collect()
    }

    pub(super) fn suppressed_attempts(&self) -> Vec<(String, String)> {
        self.lock().suppressed_attempts.clone()
    }

    /// SES's message id shape (`0100…-…-000000`), from the seed.
    fn message_id(&self) -> String {
        let mut rng = self.rng.lock().unwrap_or_else(PoisonError::into_inner);
        let mut hex = |digits: u32| {
            format!(
                "{:0width$x}",
                rng.next_u64() % 16u64.pow(digits),
                width = digits as usize
            )
        };
        format!(
            "0100{}-{}-{}-{}-{}-{}{}-000000",
            hex(12),
            hex(8),
            hex(4),
            hex(4),
            hex(4),
            hex(8),
            hex(4)
        )
    }

    fn key(&self) -> Result<&SnsKey, String> {
        self.signer
            .get_or_init(|| SnsKey::generate().map_err(|error| error.to_string()))
            .as_ref()
            .map_err(Clone::clone)
    }

    /// Publishes one notification about `recipient` of `mail`.
    fn publish(&self, kind: NotificationKind, recipient: &str, mail: &Value, detail: Value) {
        let now = self.clock.now();
        let ses_message_id = mail["messageId"].as_str().unwrap_or_default().to_owned();
        let mut message = json!({ "notificationType": kind.as_str() });
        let key = match kind {
            NotificationKind::Delivery => "delivery",
            NotificationKind::Bounce => "bounce",
            NotificationKind::Complaint => "complaint",
        };
        message[key] = detail;
        message["mail"] = mail.clone();
        let text = message.to_string();
        let sns_id = self.uuid();
        let timestamp = rfc3339_millis(now);
        let public = self
            .public_url
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone();
        let mut sns = json!({
            "Type": "Notification",
            "MessageId": sns_id,
            "TopicArn": self.topic_arn,
            "Message": text,
            "Timestamp": timestamp,
            "SignatureVersion": "2",
            "Signature": "",
            "SigningCertURL": format!("{public}/sns/signing-cert.pem"),
            "UnsubscribeURL": format!(
                "{public}/sns/unsubscribe?SubscriptionArn={}:stub", self.topic_arn
            ),
        });
        // A key that cannot be made (no OpenSSL RNG) leaves the signature empty, never panics.
        sns["Signature"] = self
            .key()
            .and_then(|key| key.sign(canonical_string(&sns).as_bytes()))
            .unwrap_or_default()
            .into();
        let delivery = self.webhook_url.as_ref().map(|url| {
            self.webhooks.send(Delivery {
                url: url.clone(),
                message_id: sns_id.clone(),
                body: sns.to_string().into(),
                headers: vec![
                    ("content-type".into(), "text/plain; charset=UTF-8".into()),
                    ("x-amz-sns-message-type".into(), "Notification".into()),
                    ("x-amz-sns-message-id".into(), sns_id.clone()),
                    ("x-amz-sns-topic-arn".into(), self.topic_arn.clone()),
                    (
                        "user-agent".into(),
                        "Amazon Simple Notification Service Agent".into(),
                    ),
                ],
                signer: None,
            })
        });
        self.lock().notifications.push(Notification {
            kind,
            recipient: recipient.to_owned(),
            ses_message_id,
            message,
            sns,
            delivery,
        });
    }

    fn uuid(&self) -> String {
        let mut rng = self.rng.lock().unwrap_or_else(PoisonError::into_inner);
        let (a, b) = (rng.next_u64(), rng.next_u64());
        format!(
            "{:08x}-{:04x}-4{:03x}-{:04x}-{:012x}",
            a >> 32,
            (a >> 16) & 0xffff,
            a & 0xfff,
            (b >> 48) & 0x3fff | 0x8000,
            b & 0xffff_ffff_ffff
        )
    }
}

/// The key and certificate SNS signatures are made with.
#[derive(Debug)]
struct SnsKey {
    key: openssl::pkey::PKey<openssl::pkey::Private>,
    pem: Vec<u8>,
}

impl SnsKey {
    fn generate() -> Result<Self, openssl::error::ErrorStack> {
        use openssl::asn1::Asn1Time;
        use openssl::bn::BigNum;
        use openssl::hash::MessageDigest;
        use openssl::x509::{X509, X509NameBuilder};
        let key = openssl::pkey::PKey::from_rsa(openssl::rsa::Rsa::generate(2048)?)?;
        let mut name = X509NameBuilder::new()?;
        name.append_entry_by_text("CN", "sns.stub.test")?;
        let name = name.build();
        let mut cert = X509::builder()?;
        cert.set_version(2)?;
        let serial = BigNum::from_u32(1)?.to_asn1_integer()?;
        cert.set_serial_number(&serial)?;
        cert.set_subject_name(&name)?;
        cert.set_issuer_name(&name)?;
        cert.set_pubkey(&key)?;
        let (from, until) = (Asn1Time::days_from_now(0)?, Asn1Time::days_from_now(3650)?);
        cert.set_not_before(&from)?;
        cert.set_not_after(&until)?;
        cert.sign(&key, MessageDigest::sha256())?;
        let pem = cert.build().to_pem()?;
        Ok(Self { key, pem })
    }

    fn sign(&self, data: &[u8]) -> Result<String, String> {
        let mut signer =
            openssl::sign::Signer::new(openssl::hash::MessageDigest::sha256(), &self.key)
                .map_err(|error| error.to_string())?;
        signer.update(data).map_err(|error| error.to_string())?;
        let signature = signer.sign_to_vec().map_err(|error| error.to_string())?;
        Ok(BASE64.encode(signature))
    }
}

fn rfc3339_millis(at: SystemTime) -> String {
    let millis = at
        .duration_since(UNIX_EPOCH)
        .map_or(0, |since| since.subsec_millis());
    format!("{}.{millis:03}Z", rfc3339(at).trim_end_matches('Z'))
}

/// `Thu, 01 Jan 2026 00:00:00 +0000`.
fn rfc2822(at: SystemTime) -> String {
    const DAYS: [&str; 7] = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"];
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let text = rfc3339(at);
    let day = crate::clock::unix_seconds(at)
        .div_euclid(86_400)
        .rem_euclid(7) as usize;
    let month: usize = text[5..7].parse().unwrap_or(1);
    format!(
        "{}, {} {} {} {} +0000",
        DAYS[day],
        &text[8..10],
        MONTHS[month.clamp(1, 12) - 1],
        &text[..4],
        &text[11..19]
    )
}

pub(super) fn router(stub: MailStub) -> Router {
    Router::new()
        .route("/v2/email/outbound-emails", post(send_email))
        .route("/v2/email/suppression/addresses", put(put_suppressed))
        .route(
            "/v2/email/suppression/addresses/{address}",
            get(get_suppressed).delete(delete_suppressed),
        )
        .route("/sns/signing-cert.pem", get(signing_cert))
        .with_state(stub)
}

/// An SES error: `x-amzn-ErrorType` names it, the body says what is wrong.
fn error(status: StatusCode, kind: &str, message: impl Into<String>) -> Response {
    (
        status,
        [("x-amzn-errortype", kind.to_owned())],
        Json(json!({ "message": message.into() })),
    )
        .into_response()
}

fn bad_request(message: impl Into<String>) -> Response {
    error(StatusCode::BAD_REQUEST, "BadRequestException", message)
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct SendEmailRequest {
    from_email_address: Option<String>,
    #[serde(default)]
    destination: Destination,
    #[serde(default)]
    reply_to_addresses: Vec<String>,
    content: Option<Content>,
    #[serde(default)]
    email_tags: Vec<Tag>,
    configuration_set_name: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Destination {
    #[serde(default)]
    to_addresses: Vec<String>,
    #[serde(default)]
    cc_addresses: Vec<String>,
    #[serde(default)]
    bcc_addresses: Vec<String>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Content {
    simple: Option<Simple>,
    raw: Option<Raw>,
    template: Option<Value>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Simple {
    subject: Option<Text>,
    #[serde(default)]
    body: Body,
    #[serde(default)]
    headers: Vec<NameValue>,
    #[serde(default)]
    attachments: Vec<SimpleAttachment>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Text {
    data: String,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Body {
    text: Option<Text>,
    html: Option<Text>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct NameValue {
    name: String,
    value: String,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct SimpleAttachment {
    raw_content: String,
    file_name: String,
    content_type: Option<String>,
    content_disposition: Option<String>,
    content_id: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Tag {
    name: String,
    value: String,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Raw {
    data: String,
}

/// `local@domain` with no whitespace or control characters, as SES checks.
fn check_address(address: &str) -> Result<(), String> {
    let bare = address
        .rsplit_once('<')
        .map_or(address, |(_, rest)| rest.trim_end_matches('>'))
        .trim();
    match bare.rsplit_once('@') {
        None => Err(format!("Missing final '@domain' in address `{address}`")),
        Some((local, domain)) if local.is_empty() || domain.is_empty() => {
            Err(format!("Illegal address `{address}`"))
        }
        Some(_) if bare.chars().any(|c| c.is_whitespace() || c.is_control()) => Err(format!(
            "Local address contains control or whitespace in `{address}`"
        )),
        Some(_) => Ok(()),
    }
}

/// The bare address of `Name <address>`, lowercased.
fn bare(address: &str) -> String {
    address
        .rsplit_once('<')
        .map_or(address, |(_, rest)| rest.trim_end_matches('>'))
        .trim()
        .to_lowercase()
}

/// RFC 2047 (`=?UTF-8?B?…?=`) when `text` is not ASCII.
fn encode_word(text: &str) -> String {
    if text.is_ascii() {
        text.to_owned()
    } else {
        format!("=?UTF-8?B?{}?=", BASE64.encode(text))
    }
}

/// Base64 folded at 76 columns.
fn base64_lines(data: &[u8]) -> String {
    let encoded = BASE64.encode(data);
    encoded
        .as_bytes()
        .chunks(76)
        .map(|line| String::from_utf8_lossy(line).into_owned())
        .collect::<Vec<_>>()
        .join("\r\n")
}

/// The MIME message SES builds from Simple content.
fn build_simple(
    simple: &Simple,
    from: &str,
    destination: &Destination,
    reply_to: &[String],
    message_id: &str,
    at: SystemTime,
) -> Result<Vec<u8>, String> {
    let mut head = format!(
        "From: {from}\r\nReply-To: {}\r\nTo: {}\r\n",
        reply_to.join(", "),
        destination.to_addresses.join(", ")
    );
    if reply_to.is_empty() {
        head = head.replace("Reply-To: \r\n", "");
    }
    if !destination.cc_addresses.is_empty() {
        head.push_str(&format!("Cc: {}\r\n", destination.cc_addresses.join(", ")));
    }
    let subject = simple.subject.as_ref().map_or("", |s| s.data.as_str());
    head.push_str(&format!(
        "Subject: {}\r\nMessage-ID: <{message_id}@email.amazonses.com>\r\nDate: {}\r\n\
         MIME-Version: 1.0\r\n",
        encode_word(subject),
        rfc2822(at)
    ));
    for header in &simple.headers {
        if header.name.contains([':', '\r', '\n']) || header.value.contains(['\r', '\n']) {
            return Err(format!("Invalid header `{}`", header.name));
        }
        head.push_str(&format!("{}: {}\r\n", header.name, header.value));
    }
    let part = |content_type: &str, text: &str| {
        format!(
            "Content-Type: {content_type}; charset=UTF-8\r\nContent-Transfer-Encoding: base64\r\n\r\n{}\r\n",
            base64_lines(text.as_bytes())
        )
    };
    let text = simple
        .body
        .text
        .as_ref()
        .map(|t| part("text/plain", &t.data));
    let html = simple
        .body
        .html
        .as_ref()
        .map(|h| part("text/html", &h.data));
    let body = match (text, html) {
        (Some(text), Some(html)) => format!(
            "Content-Type: multipart/alternative; boundary=\"alt-boundary\"\r\n\r\n\
             --alt-boundary\r\n{text}--alt-boundary\r\n{html}--alt-boundary--\r\n"
        ),
        (Some(only), None) | (None, Some(only)) => only,
        (None, None) => return Err("Message body is empty: give Body.Text or Body.Html".into()),
    };
    if simple.attachments.is_empty() {
        return Ok(format!("{head}{body}").into_bytes());
    }
    let mut mixed = format!(
        "{head}Content-Type: multipart/mixed; boundary=\"mixed-boundary\"\r\n\r\n--mixed-boundary\r\n{body}"
    );
    for attachment in &simple.attachments {
        let data = BASE64.decode(&attachment.raw_content).map_err(|_| {
            format!(
                "Attachment `{}`: RawContent is not base64",
                attachment.file_name
            )
        })?;
        let mut headers = format!(
            "--mixed-boundary\r\nContent-Type: {}; name=\"{}\"\r\n\
             Content-Disposition: {}; filename=\"{}\"\r\nContent-Transfer-Encoding: base64\r\n",
            attachment
                .content_type
                .as_deref()
                .unwrap_or("application/octet-stream"),
            attachment.file_name,
            attachment
                .content_disposition
                .as_deref()
                .unwrap_or("ATTACHMENT")
                .to_lowercase(),
            attachment.file_name
        );
        if let Some(id) = &attachment.content_id {
            headers.push_str(&format!("Content-ID: <{id}>\r\n"));
        }
        mixed.push_str(&format!("{headers}\r\n{}\r\n", base64_lines(&data)));
    }
    mixed.push_str("--mixed-boundary--\r\n");
    Ok(mixed.into_bytes())
}

async fn send_email(State(stub): State<MailStub>, body: axum::body::Bytes) -> Response {
    let request: SendEmailRequest = match serde_json::from_slice(&body) {
        Ok(request) => request,
        Err(why) => return bad_request(format!("The request body is not SendEmail's JSON: {why}")),
    };
    let ses = &stub.inner.ses;
    let now = stub.inner.clock.now();
    let message_id = ses.message_id();
    let Some(content) = &request.content else {
        return bad_request("Content is required: give Simple, Raw or Template content");
    };
    let mut destination = request.destination;
    let (raw, from) = match (&content.simple, &content.raw, &content.template) {
        (Some(simple), None, None) => {
            let Some(from) = request.from_email_address.clone() else {
                return bad_request("FromEmailAddress is required with Simple content");
            };
            match build_simple(
                simple,
                &from,
                &destination,
                &request.reply_to_addresses,
                &message_id,
                now,
            ) {
                Ok(raw) => (raw, from),
                Err(why) => return bad_request(why),
            }
        }
        (None, Some(raw), None) => {
            let Ok(data) = BASE64.decode(raw.data.trim()) else {
                return bad_request("Content.Raw.Data is not base64");
            };
            let parsed = super::Message::parse(
                String::new(),
                data.clone().into(),
                String::new(),
                Vec::new(),
                now,
                Source::InProcess,
            );
            let from = request
                .from_email_address
                .clone()
                .or_else(|| parsed.from.as_ref().map(|from| from.address.clone()));
            let Some(from) = from else {
                return bad_request(
                    "FromEmailAddress is required when the raw message has no From header",
                );
            };
            let named = destination.to_addresses.len()
                + destination.cc_addresses.len()
                + destination.bcc_addresses.len();
            if named == 0 {
                let addresses = |list: &[super::Address]| {
                    list.iter().map(|a| a.address.clone()).collect::<Vec<_>>()
                };
                destination.to_addresses = addresses(&parsed.to);
                destination.cc_addresses = addresses(&parsed.cc);
                destination.bcc_addresses = addresses(&parsed.bcc);
            }
            (data, from)
        }
        (None, None, Some(_)) => {
            return bad_request(
                "Template content is not supported by the stub: send Simple or Raw content",
            );
        }
        _ => {
            return bad_request(
                "Give exactly one of Content.Simple, Content.Raw, Content.Template",
            );
        }
    };
    let recipients: Vec<String> = destination
        .to_addresses
        .iter()
        .chain(&destination.cc_addresses)
        .chain(&destination.bcc_addresses)
        .cloned()
        .collect();
    if recipients.is_empty() {
        return bad_request("Destination is required: give at least one recipient");
    }
    if recipients.len() > MAX_RECIPIENTS {
        return bad_request(format!("Recipient count exceeds {MAX_RECIPIENTS}."));
    }
    for address in recipients.iter().chain([&from]) {
        if let Err(why) = check_address(address) {
            return bad_request(why);
        }
    }
    if raw.len() > stub.config().max_message_size {
        return error(
            StatusCode::BAD_REQUEST,
            "MessageRejected",
            format!(
                "Message length is more than {} bytes long: '{}'.",
                stub.config().max_message_size,
                raw.len()
            ),
        );
    }
    let parsed = super::Message::parse(
        String::new(),
        raw.clone().into(),
        String::new(),
        Vec::new(),
        now,
        Source::InProcess,
    );
    let mail = json!({
        "timestamp": rfc3339_millis(now),
        "source": from,
        "sourceArn": format!("arn:aws:ses:us-east-1:{ACCOUNT}:identity/{}", bare(&from).rsplit('@').next().unwrap_or_default()),
        "sourceIp": "127.0.0.1",
        "callerIdentity": "commerce-testkit",
        "sendingAccountId": ACCOUNT,
        "messageId": message_id,
        "destination": recipients,
        "headersTruncated": false,
        "headers": parsed.headers.iter().map(|(name, value)| json!({ "name": name, "value": value })).collect::<Vec<_>>(),
        "commonHeaders": {
            "from": parsed.from.iter().map(super::Address::display).collect::<Vec<_>>(),
            "to": parsed.to.iter().map(super::Address::display).collect::<Vec<_>>(),
            "messageId": parsed.message_id,
            "subject": parsed.subject,
        },
    });
    let mut delivered = Vec::new();
    for recipient in &recipients {
        let address = bare(recipient);
        let simulator = address
            .strip_suffix(SIMULATOR_DOMAIN)
            .and_then(|local| local.strip_suffix('@'))
            .map(|local| local.split('+').next().unwrap_or(local));
        let on_account_list = ses.lock().suppressed.contains_key(&address);
        let bounce = |sub_type: &str, status: &str, diagnostic: &str| {
            json!({
                "feedbackId": format!("{}-{}", ses.message_id(), "000000"),
                "bounceType": "Permanent",
                "bounceSubType": sub_type,
                "bouncedRecipients": [{
                    "emailAddress": address, "action": "failed", "status": status,
                    "diagnosticCode": diagnostic,
                }],
                "timestamp": rfc3339_millis(now),
                "reportingMTA": "dns; amazonses.com",
            })
        };
        if on_account_list {
            ses.lock()
                .suppressed_attempts
                .push((address.clone(), message_id.clone()));
            let detail = bounce(
                "OnAccountSuppressionList",
                "5.1.1",
                "Amazon SES did not send the message to this address because it is on the suppression list for your account.",
            );
            ses.publish(NotificationKind::Bounce, &address, &mail, detail);
            continue;
        }
        match simulator {
            Some("bounce") => {
                let detail = bounce("General", "5.1.1", "smtp; 550 5.1.1 user unknown");
                ses.publish(NotificationKind::Bounce, &address, &mail, detail);
            }
            Some("suppressionlist") => {
                let detail = bounce(
                    "Suppressed",
                    "5.1.1",
                    "Amazon SES has suppressed sending to this address because it has a recent history of bouncing as an invalid address.",
                );
                ses.publish(NotificationKind::Bounce, &address, &mail, detail);
            }
            Some("complaint") => {
                delivered.push(recipient.clone());
                ses.delivery(&address, &mail, now, true);
                let detail = json!({
                    "feedbackId": format!("{}-000000", ses.message_id()),
                    "complainedRecipients": [{ "emailAddress": address }],
                    "complaintFeedbackType": "abuse",
                    "userAgent": "Amazon SES Mailbox Simulator",
                    "arrivalDate": rfc3339_millis(now),
                    "timestamp": rfc3339_millis(now),
                });
                ses.publish(NotificationKind::Complaint, &address, &mail, detail);
            }
            Some("success") => {
                delivered.push(recipient.clone());
                ses.delivery(&address, &mail, now, true);
            }
            _ => {
                delivered.push(recipient.clone());
                ses.delivery(&address, &mail, now, ses.delivery_notifications);
            }
        }
    }
    if !delivered.is_empty() {
        stub.capture(
            raw.into(),
            bare(&from),
            delivered.iter().map(|r| bare(r)).collect(),
            Source::Ses {
                message_id: message_id.clone(),
                configuration_set: request.configuration_set_name,
                tags: request
                    .email_tags
                    .into_iter()
                    .map(|tag| (tag.name, tag.value))
                    .collect(),
            },
            String::new(),
        );
    }
    Json(json!({ "MessageId": message_id })).into_response()
}

impl Ses {
    fn delivery(&self, address: &str, mail: &Value, now: SystemTime, notify: bool) {
        if notify {
            let detail = json!({
                "timestamp": rfc3339_millis(now + Duration::from_millis(1)),
                "processingTimeMillis": 1,
                "recipients": [address],
                "smtpResponse": "250 2.6.0 Message received",
                "remoteMtaIp": "127.0.0.1",
                "reportingMTA": "a1-1.smtp-out.amazonses.com",
            });
            self.publish(NotificationKind::Delivery, address, mail, detail);
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct PutSuppressed {
    email_address: String,
    reason: String,
}

async fn put_suppressed(State(stub): State<MailStub>, body: axum::body::Bytes) -> Response {
    let request: PutSuppressed = match serde_json::from_slice(&body) {
        Ok(request) => request,
        Err(why) => return bad_request(format!("Expected EmailAddress and Reason: {why}")),
    };
    if !["BOUNCE", "COMPLAINT"].contains(&request.reason.as_str()) {
        return bad_request(format!(
            "Reason `{}` is not BOUNCE or COMPLAINT",
            request.reason
        ));
    }
    if let Err(why) = check_address(&request.email_address) {
        return bad_request(why);
    }
    stub.inner
        .ses
        .suppress(&request.email_address, &request.reason);
    Json(json!({})).into_response()
}

async fn get_suppressed(State(stub): State<MailStub>, Path(address): Path<String>) -> Response {
    let found = stub
        .inner
        .ses
        .lock()
        .suppressed
        .get(&address.to_lowercase())
        .cloned();
    match found {
        Some((reason, at)) => Json(json!({
            "SuppressedDestination": {
                "EmailAddress": address.to_lowercase(),
                "Reason": reason,
                "LastUpdateTime": crate::clock::unix_seconds(at),
            }
        }))
        .into_response(),
        None => error(
            StatusCode::NOT_FOUND,
            "NotFoundException",
            format!("Email address {address} does not exist on your suppression list."),
        ),
    }
}

async fn delete_suppressed(State(stub): State<MailStub>, Path(address): Path<String>) -> Response {
    if stub
        .inner
        .ses
        .lock()
        .suppressed
        .remove(&address.to_lowercase())
        .is_none()
    {
        return error(
            StatusCode::NOT_FOUND,
            "NotFoundException",
            format!("Email address {address} does not exist on your suppression list."),
        );
    }
    Json(json!({})).into_response()
}

async fn signing_cert(State(stub): State<MailStub>, _headers: HeaderMap) -> Response {
    match stub.inner.ses.key() {
        Ok(key) => (
            [(header::CONTENT_TYPE, "application/x-x509-ca-cert")],
            key.pem.clone(),
        )
            .into_response(),
        Err(why) => (
            StatusCode::INTERNAL_SERVER_ERROR,
            format!("cannot make the SNS signing key: {why}"),
        )
            .into_response(),
    }
}

/// SNS's canonical string of a `Notification` (what `Signature` signs).
fn canonical_string(sns: &Value) -> String {
    let field = |name: &str| sns[name].as_str().unwrap_or_default().to_owned();
    let mut text = format!(
        "Message\n{}\nMessageId\n{}\n",
        field("Message"),
        field("MessageId")
    );
    if sns.get("Subject").and_then(Value::as_str).is_some() {
        text.push_str(&format!("Subject\n{}\n", field("Subject")));
    }
    text.push_str(&format!(
        "Timestamp\n{}\nTopicArn\n{}\nType\n{}\n",
        field("Timestamp"),
        field("TopicArn"),
        field("Type")
    ));
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_in_mail_formats() {
        let at = UNIX_EPOCH + crate::clock::TEST_EPOCH;
        assert_eq!(rfc2822(at), "Thu, 01 Jan 2026 00:00:00 +0000");
        assert_eq!(rfc3339_millis(at), "2026-01-01T00:00:00.000Z");
    }

    #[test]
    fn addresses_as_ses_checks_them() {
        assert!(check_address("Ana <ana@example.com>").is_ok());
        assert!(
            check_address("ana")
                .unwrap_err()
                .contains("Missing final '@domain'")
        );
        assert!(
            check_address("a na@example.com")
                .unwrap_err()
                .contains("whitespace")
        );
        assert_eq!(bare("Ana <Ana@Example.com>"), "ana@example.com");
    }
}
