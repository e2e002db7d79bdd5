//! The SMTP server (RFC 5321 ESMTP with 8BITMIME, SMTPUTF8 and SIZE; no STARTTLS; AUTH PLAIN
//! and LOGIN accepting any credentials only when asked, as Mailpit's `--smtp-auth-accept-any`):
//! one task per connection, every message captured into the stub's mailbox.
//!
//! Bad input never ends a session: an unknown command answers 500, bad arguments 501, a
//! command out of order 503, a line over 512 octets 500 (the line is skipped), a message
//! over the size limit 552 once its data has been read, a data line over 1000 octets 500.
//! Only QUIT, a client that goes away, or 5 minutes of silence (421) end it.

use std::time::Duration;

use tokio::io::{AsyncBufRead, AsyncBufReadExt as _, AsyncWrite, AsyncWriteExt as _, BufReader};
use tokio::net::TcpListener;

use super::MailStub;

/// RFC 5321 §4.5.3.1.4: a command line, CRLF included.
const MAX_COMMAND_LINE: usize = 512;
/// RFC 5321 §4.5.3.1.6: a text line of DATA, CRLF included.
const MAX_TEXT_LINE: usize = 1000;
/// RFC 5321 §4.5.3.2.7: the server waits this long for a command.
const IDLE_TIMEOUT: Duration = Duration::from_secs(300);

/// Accepts connections until the task is dropped or aborted.
pub(super) async fn serve(stub: MailStub, listener: TcpListener) {
    loop {
        let Ok((stream, _)) = listener.accept().await else {
            continue;
        };
        // Replies are small and each waits for the client: no Nagle delay on them.
        let _ = stream.set_nodelay(true);
        let stub = stub.clone();
        tokio::spawn(async move {
            let (read, write) = stream.into_split();
            session(&stub, BufReader::new(read), write).await;
        });
    }
}

/// What one read of a line gave.
enum Line {
    /// The line without its CRLF (or bare LF).
    Text(Vec<u8>),
    /// Longer than the limit: consumed up to its end and dropped.
    TooLong,
    /// The client closed the connection (or it failed).
    Closed,
}

/// Reads one line of at most `limit` octets (CRLF included) without buffering more.
async fn read_line(reader: &mut (impl AsyncBufRead + Unpin), limit: usize) -> Line {
    let mut line = Vec::new();
    let mut too_long = false;
    loop {
        let available = match reader.fill_buf().await {
            Ok([]) | Err(_) => return Line::Closed,
            Ok(available) => available,
        };
        let (chunk, done) = match available.iter().position(|&b| b == b'\n') {
            Some(at) => (&available[..=at], true),
            None => (available, false),
        };
        let used = chunk.len();
        if !too_long {
            line.extend_from_slice(chunk);
            if line.len() > limit {
                too_long = true;
                line = Vec::new();
            }
        }
        reader.consume(used);
        if done {
            break;
        }
    }
    if too_long {
        return Line::TooLong;
    }
    line.pop();
    if line.last() == Some(&b'\r') {
        line.pop();
    }
    Line::Text(line)
}

#[derive(Debug, Default)]
struct Transaction {
    from: Option<String>,
    to: Vec<String>,
    utf8: bool,
}

/// One SMTP session on `reader`/`writer`.
pub(super) async fn session(
    stub: &MailStub,
    mut reader: impl AsyncBufRead + Unpin,
    mut writer: impl AsyncWrite + Unpin,
) {
    let config = stub.config();
    let host = config.hostname.clone();
    let mut out = Reply::new(&mut writer);
    if !out
        .send(&format!("220 {host} ESMTP commerce-testkit mail stub"))
        .await
    {
        return;
    }
    let mut greeted = false;
    let mut username: Option<String> = None;
    let mut transaction = Transaction::default();
    loop {
        let line = match tokio::time::timeout(
            IDLE_TIMEOUT,
            read_line(&mut reader, MAX_COMMAND_LINE),
        )
        .await
        {
            Err(_) => {
                out.send("421 4.4.2 Idle for too long, closing connection")
                    .await;
                return;
            }
            Ok(Line::Closed) => return,
            Ok(Line::TooLong) => {
                if !out.send("500 5.5.2 Line too long").await {
                    return;
                }
                continue;
            }
            Ok(Line::Text(line)) => line,
        };
        let line = String::from_utf8_lossy(&line).into_owned();
        let (verb, argument) = match line.split_once(' ') {
            Some((verb, argument)) => (verb.to_ascii_uppercase(), argument.trim()),
            None => (line.trim().to_ascii_uppercase(), ""),
        };
        let reply = match verb.as_str() {
            "EHLO" | "HELO" if argument.is_empty() => {
                format!("501 5.5.4 Syntax: {verb} hostname")
            }
            "EHLO" => {
                greeted = true;
                transaction = Transaction::default();
                let auth = if config.accept_any_auth {
                    "250-AUTH PLAIN LOGIN\r\n"
                } else {
                    ""
                };
                format!(
                    "250-{host} greets {argument}\r\n250-PIPELINING\r\n250-8BITMIME\r\n\
                     250-SMTPUTF8\r\n{auth}250-SIZE {}\r\n250 ENHANCEDSTATUSCODES",
                    config.max_message_size
                )
            }
            "AUTH" if !config.accept_any_auth => "502 5.5.1 AUTH not offered".to_owned(),
            "AUTH" if !greeted => "503 5.5.1 Send EHLO first".to_owned(),
            "AUTH" if username.is_some() => "503 5.5.1 Already authenticated".to_owned(),
            "AUTH" if transaction.from.is_some() => {
                "503 5.5.1 AUTH not allowed during a mail transaction".to_owned()
            }
            "AUTH" => match authenticate(argument, &mut reader, &mut out).await {
                Some(Ok(name)) => {
                    username = Some(name);
                    "235 2.7.0 Authentication successful".to_owned()
                }
                Some(Err(reply)) => reply,
                None => return,
            },
            "HELO" => {
                greeted = true;
                transaction = Transaction::default();
                format!("250 {host} greets {argument}")
            }
            "MAIL" if !greeted => "503 5.5.1 Send HELO/EHLO first".to_owned(),
            "MAIL" if transaction.from.is_some() => {
                "503 5.5.1 Sender already given; RSET first".to_owned()
            }
            "MAIL" => match mail_from(argument, config.max_message_size) {
                Ok((from, utf8)) => match stub.chaos_reply() {
                    Some(reply) => reply,
                    None => {
                        transaction = Transaction {
                            from: Some(from),
                            to: Vec::new(),
                            utf8,
                        };
                        "250 2.1.0 Ok".to_owned()
                    }
                },
                Err(reply) => reply,
            },
            "RCPT" if transaction.from.is_none() => "503 5.5.1 Need MAIL before RCPT".to_owned(),
            "RCPT" => match rcpt_to(argument, transaction.utf8) {
                Ok(_) if transaction.to.len() >= config.max_recipients => {
                    "452 4.5.3 Too many recipients".to_owned()
                }
                Ok(to) => match stub.chaos_reply() {
                    Some(reply) => reply,
                    None => {
                        transaction.to.push(to);
                        "250 2.1.5 Ok".to_owned()
                    }
                },
                Err(reply) => reply,
            },
            "DATA" if !argument.is_empty() => "501 5.5.4 Syntax: DATA".to_owned(),
            "DATA" if transaction.from.is_none() => "503 5.5.1 Need MAIL command".to_owned(),
            "DATA" if transaction.to.is_empty() => "554 5.5.1 No valid recipients".to_owned(),
            "DATA" => {
                if !out.send("354 End data with <CR><LF>.<CR><LF>").await {
                    return;
                }
                let Some(data) = read_data(&mut reader, config.max_message_size).await else {
                    return;
                };
                let done = std::mem::take(&mut transaction);
                match data {
                    Data::TooBig => {
                        "552 5.3.4 Message size exceeds fixed maximum message size".to_owned()
                    }
                    Data::LineTooLong => "500 5.5.6 Line too long in message data".to_owned(),
                    Data::Message(raw) => match stub.chaos_reply() {
                        Some(reply) => reply,
                        None => {
                            let id = stub.capture(
                                raw.into(),
                                done.from.unwrap_or_default(),
                                done.to,
                                super::Source::Smtp,
                                username.clone().unwrap_or_default(),
                            );
                            format!("250 2.0.0 Ok: queued as {id}")
                        }
                    },
                }
            }
            "RSET" => {
                transaction = Transaction::default();
                "250 2.0.0 Ok".to_owned()
            }
            "NOOP" => "250 2.0.0 Ok".to_owned(),
            "QUIT" => {
                out.send("221 2.0.0 Bye").await;
                return;
            }
            "VRFY" | "EXPN" => format!("502 5.5.1 {verb} command is disabled"),
            "HELP" => "214 2.0.0 Commands: EHLO HELO MAIL RCPT DATA RSET NOOP QUIT".to_owned(),
            "STARTTLS" => "502 5.5.1 STARTTLS not offered (a test server)".to_owned(),
            "BDAT" | "TURN" | "ETRN" => {
                format!("502 5.5.1 {verb} command not implemented")
            }
            _ => "500 5.5.2 Syntax error, command unrecognized".to_owned(),
        };
        if !out.send(&reply).await {
            return;
        }
    }
}

/// `AUTH PLAIN [response]` or `AUTH LOGIN [username]`, any credentials accepted (Mailpit's
/// `--smtp-auth-accept-any`): the user name, a failure reply, or `None` when the client left.
async fn authenticate<W: AsyncWrite + Unpin>(
    argument: &str,
    reader: &mut (impl AsyncBufRead + Unpin),
    out: &mut Reply<'_, W>,
) -> Option<Result<String, String>> {
    use base64::Engine as _;
    let decode = |text: &str| {
        base64::engine::general_purpose::STANDARD
            .decode(text.trim())
            .ok()
            .map(|bytes| String::from_utf8_lossy(&bytes).into_owned())
    };
    let (mechanism, initial) = argument.split_once(' ').unwrap_or((argument, ""));
    // One challenge and its answer; `*` cancels (RFC 4954 §4).
    let mut ask = async |challenge: &str| -> Option<Result<String, String>> {
        if !out.send(&format!("334 {challenge}")).await {
            return None;
        }
        match read_line(reader, MAX_COMMAND_LINE).await {
            Line::Closed => None,
            Line::TooLong => Some(Err("500 5.5.2 Line too long".to_owned())),
            Line::Text(line) if line == b"*" => {
                Some(Err("501 5.7.0 Authentication cancelled".to_owned()))
            }
            Line::Text(line) => Some(Ok(String::from_utf8_lossy(&line).into_owned())),
        }
    };
    let cannot_decode = || Err("501 5.5.2 Cannot decode the response (base64)".to_owned());
    Some(match mechanism.to_ascii_uppercase().as_str() {
        "PLAIN" => {
            let response = if initial.is_empty() {
                match ask("").await? {
                    Ok(response) => response,
                    Err(reply) => return Some(Err(reply)),
                }
            } else {
                initial.to_owned()
            };
            match decode(&response) {
                // authzid NUL authcid NUL password
                Some(text) => match text.split('\0').nth(1) {
                    Some(user) => Ok(user.to_owned()),
                    None => Err("501 5.5.2 PLAIN needs authzid\\0authcid\\0password".to_owned()),
                },
                None => cannot_decode(),
            }
        }
        "LOGIN" => {
            let user = if initial.is_empty() {
                match ask("VXNlcm5hbWU6").await? {
                    Ok(user) => user,
                    Err(reply) => return Some(Err(reply)),
                }
            } else {
                initial.to_owned()
            };
            if let Err(reply) = ask("UGFzc3dvcmQ6").await? {
                return Some(Err(reply));
            }
            decode(&user).map_or_else(cannot_decode, Ok)
        }
        _ => Err(format!(
            "504 5.5.4 Unrecognized authentication type `{mechanism}` (PLAIN or LOGIN)"
        )),
    })
}

/// Writes replies, CRLF-terminated; `false` once the client is gone.
struct Reply<'a, W> {
    writer: &'a mut W,
}

impl<'a, W: AsyncWrite + Unpin> Reply<'a, W> {
    fn new(writer: &'a mut W) -> Self {
        Self { writer }
    }

    async fn send(&mut self, reply: &str) -> bool {
        let mut bytes = reply.as_bytes().to_vec();
        bytes.extend_from_slice(b"\r\n");
        self.writer.write_all(&bytes).await.is_ok() && self.writer.flush().await.is_ok()
    }
}

enum Data {
    Message(Vec<u8>),
    TooBig,
    LineTooLong,
}

/// Reads DATA up to the lone dot, unstuffing leading dots; past the size limit it keeps
/// reading (and drops) to the end so the session stays in step. `None` when the client left.
async fn read_data(reader: &mut (impl AsyncBufRead + Unpin), max_size: usize) -> Option<Data> {
    let mut message = Vec::new();
    let mut too_big = false;
    let mut too_long = false;
    loop {
        let line = match read_line(reader, MAX_TEXT_LINE).await {
            Line::Closed => return None,
            Line::TooLong => {
                too_long = true;
                continue;
            }
            Line::Text(line) => line,
        };
        if line == b"." {
            break;
        }
        let line = line.strip_prefix(b".").unwrap_or(&line);
        if !too_big {
            message.extend_from_slice(line);
            message.extend_from_slice(b"\r\n");
            if message.len() > max_size {
                too_big = true;
                message = Vec::new();
            }
        }
    }
    Some(if too_big {
        Data::TooBig
    } else if too_long {
        Data::LineTooLong
    } else {
        Data::Message(message)
    })
}

/// `FROM:<path> [SIZE=n] [BODY=7BIT|8BITMIME] [SMTPUTF8]` → (sender, SMTPUTF8 asked).
fn mail_from(argument: &str, max_size: usize) -> Result<(String, bool), String> {
    let Some(rest) = strip_prefix_ignore_case(argument, "FROM:") else {
        return Err("501 5.5.4 Syntax: MAIL FROM:<address>".to_owned());
    };
    let (path, parameters) = split_path(rest.trim_start())
        .ok_or_else(|| "501 5.1.7 Bad sender address syntax".to_owned())?;
    let mut utf8 = false;
    for parameter in parameters.split_whitespace() {
        let (key, value) = parameter.split_once('=').unwrap_or((parameter, ""));
        match key.to_ascii_uppercase().as_str() {
            "SIZE" => {
                let size: usize = value
                    .parse()
                    .map_err(|_| "501 5.5.4 Bad SIZE parameter".to_owned())?;
                if size > max_size {
                    return Err(
                        "552 5.3.4 Message size exceeds fixed maximum message size".to_owned()
                    );
                }
            }
            "BODY" => {
                if !["7BIT", "8BITMIME"].contains(&value.to_ascii_uppercase().as_str()) {
                    return Err("501 5.5.4 Bad BODY parameter (7BIT or 8BITMIME)".to_owned());
                }
            }
            "SMTPUTF8" if value.is_empty() => utf8 = true,
            _ => return Err(format!("555 5.5.4 Unsupported option: {parameter}")),
        }
    }
    if !path.is_empty() {
        check_address(path, utf8).map_err(|why| format!("553 {why} (sender)"))?;
    }
    Ok((path.to_owned(), utf8))
}

/// `TO:<path>` → the recipient.
fn rcpt_to(argument: &str, utf8: bool) -> Result<String, String> {
    let Some(rest) = strip_prefix_ignore_case(argument, "TO:") else {
        return Err("501 5.5.4 Syntax: RCPT TO:<address>".to_owned());
    };
    let (path, parameters) = split_path(rest.trim_start())
        .ok_or_else(|| "501 5.1.3 Bad recipient address syntax".to_owned())?;
    if let Some(parameter) = parameters.split_whitespace().next() {
        return Err(format!("555 5.5.4 Unsupported option: {parameter}"));
    }
    if path.is_empty() {
        return Err("501 5.1.3 Bad recipient address syntax".to_owned());
    }
    check_address(path, utf8).map_err(|why| format!("553 {why}"))?;
    Ok(path.to_owned())
}

fn strip_prefix_ignore_case<'a>(text: &'a str, prefix: &str) -> Option<&'a str> {
    let head = text.get(..prefix.len())?;
    head.eq_ignore_ascii_case(prefix)
        .then(|| &text[prefix.len()..])
}

/// `<path> rest` → (path without brackets and source route, rest).
fn split_path(text: &str) -> Option<(&str, &str)> {
    let inner = text.strip_prefix('<')?;
    let close = inner.find('>')?;
    let path = &inner[..close];
    // A source route (`@a,@b:user@host`) is accepted and ignored (RFC 5321 §4.1.2).
    let path = match path.strip_prefix('@') {
        Some(route) => route.split_once(':')?.1,
        None => path,
    };
    Some((path, &inner[close + 1..]))
}

/// `local@domain`, non-ASCII only with SMTPUTF8.
fn check_address(address: &str, utf8: bool) -> Result<(), &'static str> {
    let Some((local, domain)) = address.rsplit_once('@') else {
        return Err("5.1.3 Address needs a domain (local@domain)");
    };
    if local.is_empty() || domain.is_empty() || address.chars().any(char::is_whitespace) {
        return Err("5.1.3 Bad address syntax");
    }
    if !utf8 && !address.is_ascii() {
        return Err("5.6.7 Non-ASCII address needs SMTPUTF8");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mail_from_parameters() {
        assert_eq!(
            mail_from("FROM:<a@b.c> SIZE=10 BODY=8BITMIME", 100),
            Ok(("a@b.c".to_owned(), false))
        );
        assert_eq!(mail_from("from:<>", 100), Ok((String::new(), false)));
        assert_eq!(
            mail_from("FROM:<ünï@b.c> SMTPUTF8", 100),
            Ok(("ünï@b.c".to_owned(), true))
        );
        assert!(
            mail_from("FROM:<ünï@b.c>", 100)
                .unwrap_err()
                .starts_with("553 5.6.7")
        );
        assert!(
            mail_from("FROM:<a@b.c> SIZE=101", 100)
                .unwrap_err()
                .starts_with("552")
        );
        assert!(
            mail_from("FROM:<a@b.c> SIZE=x", 100)
                .unwrap_err()
                .starts_with("501")
        );
        assert!(
            mail_from("FROM:<a@b.c> BODY=BINARYMIME", 100)
                .unwrap_err()
                .starts_with("501")
        );
        assert!(
            mail_from("FROM:<a@b.c> RET=FULL", 100)
                .unwrap_err()
                .starts_with("555")
        );
        assert!(mail_from("FROM:a@b.c", 100).unwrap_err().starts_with("501"));
        assert!(mail_from("TO:<a@b.c>", 100).unwrap_err().starts_with("501"));
    }

    #[test]
    fn rcpt_to_paths() {
        assert_eq!(
            rcpt_to("TO:<@relay.example:a@b.c>", false),
            Ok("a@b.c".to_owned())
        );
        assert!(rcpt_to("TO:<>", false).unwrap_err().starts_with("501"));
        assert!(
            rcpt_to("TO:<nodomain>", false)
                .unwrap_err()
                .starts_with("553")
        );
        assert!(
            rcpt_to("TO:<a@b.c> NOTIFY=NEVER", false)
                .unwrap_err()
                .starts_with("555")
        );
    }

    #[tokio::test]
    async fn long_lines_are_skipped_whole() {
        let input = format!("{}\r\nNOOP\r\n", "X".repeat(600));
        let mut reader = BufReader::with_capacity(64, input.as_bytes());
        assert!(matches!(
            read_line(&mut reader, MAX_COMMAND_LINE).await,
            Line::TooLong
        ));
        assert!(
            matches!(read_line(&mut reader, MAX_COMMAND_LINE).await, Line::Text(line) if line == b"NOOP")
        );
        assert!(matches!(
            read_line(&mut reader, MAX_COMMAND_LINE).await,
            Line::Closed
        ));
    }

    #[tokio::test]
    async fn data_is_dot_unstuffed_and_limited() {
        let mut reader = BufReader::new(&b"Subject: x\r\n\r\n..hidden\r\n.\r\nNEXT\r\n"[..]);
        let Some(Data::Message(raw)) = read_data(&mut reader, 1000).await else {
            panic!("a message")
        };
        assert_eq!(raw, b"Subject: x\r\n\r\n.hidden\r\n");
        assert!(matches!(read_line(&mut reader, 512).await, Line::Text(l) if l == b"NEXT"));
        let mut reader = BufReader::new(&b"0123456789\r\n0123456789\r\n.\r\n"[..]);
        assert!(matches!(
            read_data(&mut reader, 15).await,
            Some(Data::TooBig)
        ));
    }
}
