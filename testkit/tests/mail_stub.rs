//! The mail stub end to end in process: SMTP sessions over real sockets (bad input included),
//! Mailpit's API through the router, SES v2 with the simulator and the suppression list, SNS
//! notifications to a receiver with their signatures checked, and chaos.

mod common;
use common::receiver;

use std::time::Duration;

use base64::Engine as _;
use commerce_testkit::TestApp;
use commerce_testkit::clock::TestClock;
use commerce_testkit::stubs::mail::{MailConfig, MailStub, NotificationKind, RunningMailStub};
use serde_json::{Value, json};
use tokio::io::{AsyncBufReadExt as _, AsyncWriteExt as _, BufReader};
use tokio::net::TcpStream;
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};

/// A line-level SMTP client: sends lines, reads whole (multi-line) replies.
struct Smtp {
    lines: tokio::io::Lines<BufReader<OwnedReadHalf>>,
    write: OwnedWriteHalf,
}

impl Smtp {
    async fn connect(running: &RunningMailStub) -> Self {
        let stream = TcpStream::connect(running.smtp_addr).await.unwrap();
        let (read, write) = stream.into_split();
        let mut smtp = Self {
            lines: BufReader::new(read).lines(),
            write,
        };
        assert!(smtp.reply().await.starts_with("220 "));
        smtp
    }

    /// One reply: its lines joined with `\n`.
    async fn reply(&mut self) -> String {
        let mut all = Vec::new();
        loop {
            let line = tokio::time::timeout(Duration::from_secs(10), self.lines.next_line())
                .await
                .expect("a reply within 10 s")
                .unwrap()
                .expect("the server did not close");
            let last = line.as_bytes().get(3) != Some(&b'-');
            all.push(line);
            if last {
                return all.join("\n");
            }
        }
    }

    async fn send(&mut self, line: &str) -> String {
        self.write
            .write_all(format!("{line}\r\n").as_bytes())
            .await
            .unwrap();
        self.reply().await
    }
}

async fn started(config: MailConfig) -> (MailStub, RunningMailStub, TestClock) {
    let clock = TestClock::new();
    let stub = MailStub::new(clock.shared(), config);
    let running = stub.start("127.0.0.1:0", "127.0.0.1:0").await.unwrap();
    (stub, running, clock)
}

#[tokio::test]
async fn an_esmtp_session_captures_a_message_and_survives_garbage() {
    let (stub, running, _clock) = started(MailConfig {
        max_message_size: 400,
        ..MailConfig::default()
    })
    .await;
    let mut smtp = Smtp::connect(&running).await;
    assert!(
        smtp.send("MAIL FROM:<a@example.com>")
            .await
            .starts_with("503 ")
    );
    let ehlo = smtp.send("EHLO client.test").await;
    for extension in ["8BITMIME", "SMTPUTF8", "SIZE 400"] {
        assert!(ehlo.contains(extension), "{ehlo}");
    }
    assert!(!ehlo.contains("STARTTLS"));
    assert!(smtp.send("FROB nicate").await.starts_with("500 5.5.2"));
    assert!(
        smtp.send(&"X".repeat(600))
            .await
            .starts_with("500 5.5.2 Line too long")
    );
    assert!(smtp.send("VRFY ana").await.starts_with("502 "));
    assert!(
        smtp.send("RCPT TO:<ana@example.com>")
            .await
            .starts_with("503 ")
    );
    assert!(smtp.send("DATA").await.starts_with("503 "));
    assert!(
        smtp.send("MAIL FROM:<shop@example.com> SIZE=500")
            .await
            .starts_with("552 ")
    );
    assert!(
        smtp.send("MAIL FROM:shop@example.com")
            .await
            .starts_with("501 ")
    );
    assert!(
        smtp.send("MAIL FROM:<shop@example.com> BODY=8BITMIME SIZE=100")
            .await
            .starts_with("250 ")
    );
    assert!(
        smtp.send("RCPT TO:<zoë@example.com>")
            .await
            .starts_with("553 5.6.7")
    );
    assert!(
        smtp.send("RCPT TO:<ana@example.com>")
            .await
            .starts_with("250 ")
    );
    assert!(smtp.send("NOOP").await.starts_with("250 "));
    assert!(smtp.send("DATA").await.starts_with("354 "));
    let queued = smtp
        .send("Subject: Dots\r\nX-Message-Key: k1\r\n\r\n..leading dot\r\n.")
        .await;
    assert!(queued.starts_with("250 2.0.0 Ok: queued as "), "{queued}");
    // Too big once read: refused, and the session goes on in step.
    smtp.send("MAIL FROM:<shop@example.com>").await;
    smtp.send("RCPT TO:<ana@example.com>").await;
    smtp.send("DATA").await;
    let big = format!(
        "Subject: big\r\n\r\n{}.",
        format!("{}\r\n", "y".repeat(60)).repeat(10)
    );
    assert!(smtp.send(&big).await.starts_with("552 5.3.4"));
    assert!(smtp.send("RSET").await.starts_with("250 "));
    assert!(smtp.send("MAIL FROM:<> SMTPUTF8").await.starts_with("250 "));
    assert!(
        smtp.send("RCPT TO:<zoë@exämple.com>")
            .await
            .starts_with("250 ")
    );
    smtp.send("DATA").await;
    assert!(
        smtp.send("Subject: =?utf-8?q?Gr=C3=BC=C3=9Fe?=\r\n\r\nHallo\r\n.")
            .await
            .starts_with("250 ")
    );
    assert!(smtp.send("QUIT").await.starts_with("221 "));

    let messages = stub.messages();
    assert_eq!(messages.len(), 2);
    assert_eq!(messages[0].text.trim_end(), ".leading dot");
    assert_eq!(messages[0].return_path, "shop@example.com");
    assert!(!messages[0].message_id.is_empty(), "a Message-ID is added");
    assert_eq!(messages[1].subject, "Grüße");
    assert_eq!(messages[1].recipients(), ["zoë@exämple.com"]);
}

#[tokio::test]
async fn auth_is_offered_only_when_asked_and_then_accepts_anyone() {
    let (_stub, running, _clock) = started(MailConfig::default()).await;
    let mut smtp = Smtp::connect(&running).await;
    assert!(!smtp.send("EHLO c").await.contains("AUTH"));
    assert!(smtp.send("AUTH PLAIN AGEAYg==").await.starts_with("502 "));

    let (stub, running, _clock) = started(MailConfig {
        accept_any_auth: true,
        ..MailConfig::default()
    })
    .await;
    let mut smtp = Smtp::connect(&running).await;
    assert!(smtp.send("AUTH PLAIN AGEAYg==").await.starts_with("503 "));
    assert!(smtp.send("EHLO c").await.contains("250-AUTH PLAIN LOGIN"));
    assert!(smtp.send("AUTH CRAM-MD5").await.starts_with("504 "));
    assert!(smtp.send("AUTH PLAIN").await.starts_with("334"));
    assert!(smtp.send("*").await.starts_with("501 5.7.0"));
    assert!(smtp.send("AUTH PLAIN !!!").await.starts_with("501 5.5.2"));
    assert!(
        smtp.send("AUTH LOGIN")
            .await
            .starts_with("334 VXNlcm5hbWU6")
    );
    assert!(smtp.send("c2hvcA==").await.starts_with("334 UGFzc3dvcmQ6"));
    assert!(smtp.send("c2VjcmV0").await.starts_with("235 "));
    assert!(
        smtp.send("AUTH PLAIN AHNob3AAeA==")
            .await
            .starts_with("503 ")
    );
    smtp.send("MAIL FROM:<a@example.com>").await;
    smtp.send("RCPT TO:<b@example.com>").await;
    smtp.send("DATA").await;
    assert!(
        smtp.send("Subject: s\r\n\r\nx\r\n.")
            .await
            .starts_with("250 ")
    );
    assert_eq!(stub.messages()[0].username, "shop");
}

#[tokio::test]
async fn chaos_answers_seeded_4xx_and_5xx() {
    let replies = |seed| async move {
        let (_stub, running, _clock) = started(MailConfig {
            seed,
            chaos_per_mille: 500,
            ..MailConfig::default()
        })
        .await;
        let mut smtp = Smtp::connect(&running).await;
        smtp.send("HELO c").await;
        let mut codes = Vec::new();
        for _ in 0..20 {
            let reply = smtp.send("MAIL FROM:<a@example.com>").await;
            codes.push(reply[..3].to_owned());
            smtp.send("RSET").await;
        }
        codes
    };
    let codes = replies(7).await;
    assert_eq!(codes, replies(7).await, "the same seed, the same replies");
    for code in ["250", "451", "554"] {
        assert!(codes.iter().any(|c| c == code), "{codes:?}");
    }
}

fn sample(key: &str, to: &str) -> String {
    format!(
        "From: Shop <shop@example.com>\r\nTo: {to}\r\nCc: Audit <audit@example.com>\r\n\
         Subject: Order {key}\r\nX-Message-Key: {key}\r\nMIME-Version: 1.0\r\n\
         Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\n\
         Content-Type: text/plain\r\n\r\nThanks for order {key}\r\n--b\r\n\
         Content-Type: text/csv\r\nContent-Disposition: attachment; filename=lines.csv\r\n\r\n\
         sku,qty\r\nTEE-1,2\r\n--b--\r\n"
    )
}

#[tokio::test]
async fn the_mailpit_api_lists_shows_searches_and_deletes() {
    let stub = MailStub::new(TestClock::new().shared(), MailConfig::default());
    let first = stub.submit(
        "shop@example.com",
        &["ana@example.com"],
        sample("o-1", "Ana <ana@example.com>"),
    );
    let second = stub.submit(
        "shop@example.com",
        &["bob@example.com", "hidden@example.com"],
        sample("o-2", "bob@example.com"),
    );
    let api = TestApp::new(stub.router());

    let list = api.get("/api/v1/messages").send().await;
    list.assert_status(200);
    let list = list.json_value();
    assert_eq!(
        (
            list["total"].as_u64(),
            list["count"].as_u64(),
            list["messages_count"].as_u64()
        ),
        (Some(2), Some(2), Some(2))
    );
    assert_eq!(list["unread"], 2);
    let newest = &list["messages"][0];
    assert_eq!(newest["ID"], second.as_str(), "newest first");
    for field in [
        "ID",
        "MessageID",
        "Read",
        "From",
        "To",
        "Cc",
        "Bcc",
        "ReplyTo",
        "Subject",
        "Created",
        "Username",
        "Tags",
        "Size",
        "Attachments",
        "Snippet",
    ] {
        assert!(
            newest.get(field).is_some(),
            "summary field {field}: {newest}"
        );
    }
    assert_eq!(newest["Attachments"], 1);
    assert_eq!(
        newest["Bcc"],
        json!([{ "Name": "", "Address": "hidden@example.com" }])
    );
    assert_eq!(newest["Created"], "2026-01-01T00:00:00Z");
    let page = api
        .get("/api/v1/messages?start=1&limit=1")
        .send()
        .await
        .json_value();
    assert_eq!(
        (page["count"].as_u64(), page["messages"][0]["ID"].as_str()),
        (Some(1), Some(first.as_str()))
    );
    let ignored = api
        .get("/api/v1/messages?limit=many&start=-1")
        .send()
        .await
        .json_value();
    assert_eq!(
        ignored["count"], 2,
        "Mailpit ignores paging that is not a number"
    );

    let message = api
        .get(&format!("/api/v1/message/{first}"))
        .send()
        .await
        .json_value();
    assert_eq!(
        message["From"],
        json!({ "Name": "Shop", "Address": "shop@example.com" })
    );
    assert_eq!(message["Subject"], "Order o-1");
    assert_eq!(
        message["Text"].as_str().unwrap().trim(),
        "Thanks for order o-1"
    );
    let attachment = &message["Attachments"][0];
    assert_eq!(
        (
            attachment["FileName"].as_str(),
            attachment["ContentType"].as_str(),
            attachment["Size"].as_u64()
        ),
        (Some("lines.csv"), Some("text/csv"), Some(16))
    );
    assert_eq!(
        attachment["Checksums"]["SHA256"].as_str().map(str::len),
        Some(64)
    );
    let part = api
        .get(&format!(
            "/api/v1/message/{first}/part/{}",
            attachment["PartID"].as_str().unwrap()
        ))
        .send()
        .await;
    assert_eq!(part.text(), "sku,qty\r\nTEE-1,2");
    let read = api.get("/api/v1/messages").send().await.json_value();
    assert_eq!(read["unread"], 1, "GET message marks it read");

    let headers = api
        .get("/api/v1/message/latest/headers")
        .send()
        .await
        .json_value();
    assert_eq!(headers["X-Message-Key"], json!(["o-2"]));
    assert_eq!(headers["Mime-Version"], json!(["1.0"]));
    let raw = api
        .get(&format!("/api/v1/message/{second}/raw"))
        .send()
        .await;
    assert!(raw.text().contains("Subject: Order o-2\r\n"));
    api.get("/api/v1/message/nope")
        .send()
        .await
        .assert_status(404);

    let found = api
        .get("/api/v1/search?query=to:bob%20subject:o-2")
        .send()
        .await
        .json_value();
    assert_eq!(
        (found["messages_count"].as_u64(), found["total"].as_u64()),
        (Some(1), Some(2))
    );
    let none = api
        .get("/api/v1/search?query=-order")
        .send()
        .await
        .json_value();
    assert_eq!(none["messages_count"], 0);
    let empty = api.get("/api/v1/search?query=").send().await;
    empty.assert_status(400);
    assert_eq!(empty.text(), "Error: no search query");

    let deleted = api
        .delete("/api/v1/messages")
        .json(&json!({ "IDs": [first] }))
        .send()
        .await;
    assert_eq!(deleted.text(), "ok");
    assert_eq!(stub.messages().len(), 1);
    api.delete("/api/v1/messages")
        .send()
        .await
        .assert_status(200);
    assert!(stub.messages().is_empty());
}

fn send_simple(to: &[&str]) -> Value {
    json!({
        "FromEmailAddress": "Shop <shop@example.com>",
        "Destination": { "ToAddresses": to },
        "Content": { "Simple": {
            "Subject": { "Data": "Votre commande ✓", "Charset": "UTF-8" },
            "Body": { "Text": { "Data": "Merci" }, "Html": { "Data": "<p>Merci</p>" } },
            "Headers": [{ "Name": "X-Message-Key", "Value": "order-9" }],
        }},
        "EmailTags": [{ "Name": "template", "Value": "order" }],
        "ConfigurationSetName": "transactional",
    })
}

#[tokio::test]
async fn ses_sends_into_the_mailbox_and_the_simulator_notifies_signed_sns() {
    let (url, got) = receiver("/sns").await;
    let (stub, running, _clock) = started(MailConfig {
        webhook_url: Some(url),
        ..MailConfig::default()
    })
    .await;
    let ses = TestApp::new(stub.router());
    let sent = ses
        .post("/v2/email/outbound-emails")
        .json(&send_simple(&[
            "ana@example.com",
            "bounce@simulator.amazonses.com",
            "complaint@simulator.amazonses.com",
        ]))
        .send()
        .await;
    sent.assert_status(200);
    let ses_id = sent.json_value()["MessageId"].as_str().unwrap().to_owned();
    assert!(
        ses_id.starts_with("0100") && ses_id.ends_with("-000000"),
        "{ses_id}"
    );

    let message = stub.mailbox().only_to("ana@example.com").clone();
    assert_eq!(message.subject, "Votre commande ✓");
    assert_eq!(
        (message.text.trim(), message.html.trim()),
        ("Merci", "<p>Merci</p>")
    );
    message.assert_header("X-Message-Key", "order-9");
    assert_eq!(
        message.source,
        commerce_testkit::stubs::mail::Source::Ses {
            message_id: ses_id.clone(),
            configuration_set: Some("transactional".into()),
            tags: vec![("template".into(), "order".into())],
        }
    );
    assert!(
        message
            .recipients()
            .contains(&"complaint@simulator.amazonses.com".to_owned())
    );
    assert!(
        !message
            .envelope_to
            .contains(&"bounce@simulator.amazonses.com".to_owned()),
        "a bounce is not delivered"
    );

    let kinds: Vec<(NotificationKind, String)> = stub
        .notifications()
        .into_iter()
        .map(|n| (n.kind, n.recipient))
        .collect();
    assert_eq!(
        kinds,
        [
            (
                NotificationKind::Bounce,
                "bounce@simulator.amazonses.com".to_owned()
            ),
            (
                NotificationKind::Delivery,
                "complaint@simulator.amazonses.com".to_owned()
            ),
            (
                NotificationKind::Complaint,
                "complaint@simulator.amazonses.com".to_owned()
            ),
        ]
    );
    assert!(stub.webhooks().settled(Duration::from_secs(10)).await);
    let got = got.lock().unwrap().clone();
    assert_eq!(got.len(), 3);
    let (headers, body) = &got[0];
    assert_eq!(headers["x-amz-sns-message-type"], "Notification");
    let sns: Value = serde_json::from_slice(body).unwrap();
    assert_eq!(sns["Type"], "Notification");
    assert_eq!(sns["SignatureVersion"], "2");
    let bounce: Value = serde_json::from_str(sns["Message"].as_str().unwrap()).unwrap();
    assert_eq!(bounce["notificationType"], "Bounce");
    assert_eq!(bounce["bounce"]["bounceType"], "Permanent");
    assert_eq!(bounce["bounce"]["bounceSubType"], "General");
    assert_eq!(bounce["bounce"]["bouncedRecipients"][0]["status"], "5.1.1");
    assert_eq!(bounce["mail"]["messageId"], ses_id.as_str());
    assert_eq!(
        bounce["mail"]["commonHeaders"]["subject"],
        "Votre commande ✓"
    );

    // The signature verifies with the certificate at SigningCertURL (SNS's canonical string).
    let cert_url = sns["SigningCertURL"].as_str().unwrap();
    assert!(
        cert_url.starts_with(&format!("http://{}", running.http_addr)),
        "{cert_url}"
    );
    let pem = TestApp::new(stub.router())
        .get("/sns/signing-cert.pem")
        .send()
        .await
        .body;
    let key = openssl::x509::X509::from_pem(&pem)
        .unwrap()
        .public_key()
        .unwrap();
    let canonical = format!(
        "Message\n{}\nMessageId\n{}\nTimestamp\n{}\nTopicArn\n{}\nType\nNotification\n",
        sns["Message"].as_str().unwrap(),
        sns["MessageId"].as_str().unwrap(),
        sns["Timestamp"].as_str().unwrap(),
        sns["TopicArn"].as_str().unwrap(),
    );
    let signature = base64::engine::general_purpose::STANDARD
        .decode(sns["Signature"].as_str().unwrap())
        .unwrap();
    let mut verifier =
        openssl::sign::Verifier::new(openssl::hash::MessageDigest::sha256(), &key).unwrap();
    verifier.update(canonical.as_bytes()).unwrap();
    assert!(
        verifier.verify(&signature).unwrap(),
        "the SNS signature verifies"
    );
    let complaint: Value = serde_json::from_str(
        serde_json::from_slice::<Value>(&got[2].1).unwrap()["Message"]
            .as_str()
            .unwrap(),
    )
    .unwrap();
    assert_eq!(complaint["complaint"]["complaintFeedbackType"], "abuse");
}

#[tokio::test]
async fn a_suppressed_address_is_accepted_not_sent_and_bounced() {
    let stub = MailStub::new(TestClock::new().shared(), MailConfig::default());
    let ses = TestApp::new(stub.router());
    ses.request(http::Method::PUT, "/v2/email/suppression/addresses")
        .json(&json!({ "EmailAddress": "Gone@Example.com", "Reason": "BOUNCE" }))
        .send()
        .await
        .assert_status(200);
    let listed = ses
        .get("/v2/email/suppression/addresses/gone@example.com")
        .send()
        .await
        .json_value();
    assert_eq!(listed["SuppressedDestination"]["Reason"], "BOUNCE");
    let sent = ses
        .post("/v2/email/outbound-emails")
        .json(&send_simple(&["gone@example.com"]))
        .send()
        .await;
    sent.assert_status(200);
    assert!(stub.messages().is_empty(), "nothing delivered");
    let bounce = &stub.notifications()[0];
    assert_eq!(
        bounce.message["bounce"]["bounceSubType"],
        "OnAccountSuppressionList"
    );
    let simulator = ses
        .post("/v2/email/outbound-emails")
        .json(&send_simple(&["suppressionlist@simulator.amazonses.com"]))
        .send()
        .await;
    simulator.assert_status(200);
    assert_eq!(
        stub.notifications()[1].message["bounce"]["bounceSubType"],
        "Suppressed"
    );

    let mailbox = stub.mailbox();
    let refused = std::panic::catch_unwind(|| {
        mailbox.assert_nothing_sent_to_suppressed();
    });
    let message = *refused.unwrap_err().downcast::<String>().unwrap();
    assert!(message.contains("to gone@example.com"), "{message}");

    ses.delete("/v2/email/suppression/addresses/gone@example.com")
        .send()
        .await
        .assert_status(200);
    let missing = ses
        .get("/v2/email/suppression/addresses/gone@example.com")
        .send()
        .await;
    missing.assert_status(404);
    assert_eq!(
        missing.header("x-amzn-errortype"),
        Some("NotFoundException")
    );
}

#[tokio::test]
async fn ses_errors_have_its_shape() {
    let stub = MailStub::new(
        TestClock::new().shared(),
        MailConfig {
            max_message_size: 200,
            ..MailConfig::default()
        },
    );
    let ses = TestApp::new(stub.router());
    let cases = [
        (
            json!({ "Destination": { "ToAddresses": ["a@example.com"] } }),
            "BadRequestException",
            "Content is required",
        ),
        (
            json!({ "FromEmailAddress": "shop@example.com", "Content": { "Simple": { "Body": { "Text": { "Data": "x" } } } } }),
            "BadRequestException",
            "Destination is required",
        ),
        (
            send_simple(&["not-an-address"]),
            "BadRequestException",
            "Missing final '@domain'",
        ),
        (
            json!({ "FromEmailAddress": "shop@example.com", "Destination": { "ToAddresses": ["a@example.com"] },
                 "Content": { "Simple": { "Body": { "Text": { "Data": "x".repeat(300) } } } } }),
            "MessageRejected",
            "Message length is more than 200 bytes",
        ),
        (
            json!({ "Content": { "Raw": { "Data": "%%%" } } }),
            "BadRequestException",
            "not base64",
        ),
    ];
    for (body, kind, says) in cases {
        let response = ses
            .post("/v2/email/outbound-emails")
            .json(&body)
            .send()
            .await;
        response.assert_status(400);
        assert_eq!(response.header("x-amzn-errortype"), Some(kind), "{body}");
        let message = response.json_value()["message"]
            .as_str()
            .unwrap_or_default()
            .to_owned();
        assert!(message.contains(says), "{message}");
    }
    let raw = base64::engine::general_purpose::STANDARD
        .encode("From: shop@example.com\r\nTo: raw@example.com\r\nSubject: raw\r\n\r\nbody\r\n");
    let sent = ses
        .post("/v2/email/outbound-emails")
        .json(&json!({ "Content": { "Raw": { "Data": raw } } }))
        .send()
        .await;
    sent.assert_status(200);
    assert_eq!(stub.mailbox().only_to("raw@example.com").subject, "raw");
}

#[tokio::test]
async fn a_refusing_webhook_url_is_retried_then_recorded_as_failed() {
    // Bind then drop: the port refuses.
    let addr = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    let clock = TestClock::new();
    let stub = MailStub::new(
        clock.shared(),
        MailConfig {
            webhook_url: Some(format!("http://{addr}/sns")),
            ..MailConfig::default()
        },
    );
    let ses = TestApp::new(stub.router());
    ses.post("/v2/email/outbound-emails")
        .json(&send_simple(&["bounce@simulator.amazonses.com"]))
        .send()
        .await
        .assert_status(200);
    let delivery = stub.notifications()[0].delivery.clone().expect("queued");
    for _ in 0..4 {
        stub.webhooks().run_due().await;
        clock.advance(Duration::from_secs(3600)).await;
    }
    use commerce_testkit::stubs::webhook::DeliveryState;
    assert_eq!(
        stub.webhooks().state(&delivery),
        Some(DeliveryState::Failed)
    );
    assert_eq!(stub.webhooks().attempts_of(&delivery).len(), 4);
    // The stub still serves.
    ses.get("/api/v1/messages").send().await.assert_status(200);
}
