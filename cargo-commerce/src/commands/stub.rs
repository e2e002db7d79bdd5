//! `cargo commerce stub <name>`: a test kit stub over loopback, for an app in any language and
//! for real client SDKs. Binds, prints `listening on http://ADDR`, serves until SIGINT or
//! SIGTERM, exits 0.

use clap::{Args, Subcommand};
use commerce_testkit::clock::SystemClock;
use commerce_testkit::stubs::mail::{MailConfig, MailStub};

use super::CliError;
use crate::Exit;

#[derive(Debug, Args)]
pub struct StubArgs {
    #[command(subcommand)]
    pub stub: StubCommand,
}

#[derive(Debug, Subcommand)]
pub enum StubCommand {
    /// An SMTP server, Mailpit's HTTP API (/api/v1) and SES v2 SendEmail over one mailbox;
    /// SES mailbox-simulator notifications POSTed to --webhook-url as SNS messages.
    Mail(MailArgs),
}

#[derive(Debug, Args)]
pub struct MailArgs {
    /// The HTTP API's address (port 0 picks a free one).
    #[arg(long, value_name = "ADDR", default_value = "127.0.0.1:8025")]
    pub listen: String,

    /// The SMTP server's address (port 0 picks a free one).
    #[arg(long, value_name = "ADDR", default_value = "127.0.0.1:1025")]
    pub smtp: String,

    /// Where SES notifications are POSTed (http:// only).
    #[arg(long, value_name = "URL")]
    pub webhook_url: Option<String>,

    /// Seeds message IDs and chaos.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,

    /// The probability (0 to 1) that an SMTP MAIL, RCPT or end of DATA gets a 4xx/5xx instead.
    #[arg(long, value_name = "P", default_value_t = 0.0, value_parser = probability)]
    pub chaos: f64,

    /// The largest message accepted, in bytes (advertised as SMTP SIZE).
    #[arg(long, value_name = "BYTES", default_value_t = MailConfig::default().max_message_size)]
    pub max_message_size: usize,

    /// Also notify SES `Delivery` for every delivered recipient (not only the simulator's).
    #[arg(long)]
    pub delivery_notifications: bool,

    /// Offer SMTP AUTH (PLAIN, LOGIN) and accept any credentials, as Mailpit's option of the
    /// same name (for apps configured with a user name and password).
    #[arg(long)]
    pub smtp_auth_accept_any: bool,
}

fn probability(text: &str) -> Result<f64, String> {
    match text.parse::<f64>() {
        Ok(p) if (0.0..=1.0).contains(&p) => Ok(p),
        _ => Err(format!("`{text}` is not a probability between 0 and 1")),
    }
}

pub fn run(args: &StubArgs) -> Result<Exit, CliError> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|error| CliError::Stub(format!("cannot start the async runtime: {error}")))?;
    runtime.block_on(async {
        match &args.stub {
            StubCommand::Mail(args) => {
                let config = MailConfig {
                    max_message_size: args.max_message_size,
                    webhook_url: args.webhook_url.clone(),
                    seed: args.seed,
                    chaos_per_mille: (args.chaos * 1000.0).round() as u64,
                    delivery_notifications: args.delivery_notifications,
                    accept_any_auth: args.smtp_auth_accept_any,
                    ..MailConfig::default()
                };
                let stub = MailStub::new(std::sync::Arc::new(SystemClock), config);
                let running = stub.start(&args.listen, &args.smtp).await?;
                println!("listening on http://{}", running.http_addr);
                println!("listening on smtp://{}", running.smtp_addr);
                shutdown().await?;
                drop(running);
            }
        }
        Ok(Exit::Clean)
    })
}

/// Returns at SIGINT or SIGTERM.
async fn shutdown() -> Result<(), CliError> {
    use tokio::signal::unix::{SignalKind, signal};
    let listen = |kind| {
        signal(kind).map_err(|error| CliError::Stub(format!("cannot watch for signals: {error}")))
    };
    let (mut interrupt, mut terminate) = (
        listen(SignalKind::interrupt())?,
        listen(SignalKind::terminate())?,
    );
    tokio::select! {
        _ = interrupt.recv() => {}
        _ = terminate.recv() => {}
    }
    Ok(())
}
