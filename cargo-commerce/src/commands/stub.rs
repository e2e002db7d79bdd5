//! `cargo commerce stub <name>`: a test kit stub over loopback, for an app in any language and
//! for real client SDKs. Binds, prints `listening on http://ADDR`, serves until SIGINT or
//! SIGTERM, exits 0.

use std::sync::Arc;

use clap::{Args, Subcommand};
use commerce_testkit::clock::SystemClock;
use commerce_testkit::seed::Seed;
use commerce_testkit::stubs::mail::{MailConfig, MailStub};
use commerce_testkit::stubs::paypal::{PayPalConfig, PayPalStub};
use commerce_testkit::stubs::serve::{serve_until_signal, shutdown_signal};
use commerce_testkit::stubs::stripe::{StripeConfig, StripeStub};

use super::CliError;
use crate::Exit;

#[derive(Debug, Args)]
pub struct StubArgs {
    #[command(subcommand)]
    pub stub: StubCommand,
}

#[derive(Debug, Subcommand)]
pub enum StubCommand {
    /// A stateful Stripe API (PaymentIntents, refunds, disputes, idempotency) sending signed
    /// webhooks.
    Stripe(StripeArgs),
    /// A stateful PayPal REST v2 API (OAuth2, Orders, captures, refunds) sending webhooks
    /// with the transmission headers.
    Paypal(PaypalArgs),
    /// An SMTP server, Mailpit's HTTP API (/api/v1) and SES v2 SendEmail over one mailbox;
    /// SES mailbox-simulator notifications POSTed to --webhook-url as SNS messages.
    Mail(MailArgs),
}

#[derive(Debug, Args)]
pub struct StripeArgs {
    /// The address to listen on (port 0 picks a free port, printed on start).
    #[arg(long, value_name = "ADDR", default_value = "127.0.0.1:12111")]
    pub listen: String,
    /// Where events are POSTed (plain http://).
    #[arg(long, value_name = "URL")]
    pub webhook_url: Option<String>,
    /// A webhook signing secret, `whsec_…` (repeat it while rotating: one `v1=` per secret).
    #[arg(
        long = "webhook-secret",
        value_name = "SECRET",
        requires = "webhook_url"
    )]
    pub webhook_secrets: Vec<String>,
    /// Seeds the ids and webhook chaos (default: COMMERCE_SEED, else random).
    #[arg(long)]
    pub seed: Option<u64>,
}

#[derive(Debug, Args)]
pub struct PaypalArgs {
    /// The address to listen on (port 0 picks a free port, printed on start).
    #[arg(long, value_name = "ADDR", default_value = "127.0.0.1:12112")]
    pub listen: String,
    /// Where events are POSTed (plain http://).
    #[arg(long, value_name = "URL")]
    pub webhook_url: Option<String>,
    /// The webhook id the app verifies signatures with.
    #[arg(long, value_name = "ID", default_value = "WH-STUB-0000000000000000")]
    pub webhook_id: String,
    /// Seeds the ids and webhook chaos (default: COMMERCE_SEED, else random).
    #[arg(long)]
    pub seed: Option<u64>,
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

    /// Seeds message IDs and chaos (default: COMMERCE_SEED, else random).
    #[arg(long)]
    pub seed: Option<u64>,

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

fn seed(given: Option<u64>) -> Result<u64, CliError> {
    match given {
        Some(seed) => Ok(seed),
        None => Ok(Seed::from_env()
            .map_err(|error| CliError::Stub(error.to_string()))?
            .0),
    }
}

pub fn run(args: &StubArgs) -> Result<Exit, CliError> {
    match &args.stub {
        StubCommand::Stripe(stripe) => {
            let config = StripeConfig {
                seed: seed(stripe.seed)?,
                webhook_url: stripe.webhook_url.clone(),
                webhook_secrets: stripe.webhook_secrets.clone(),
                ..StripeConfig::new(Arc::new(SystemClock))
            };
            serve(&stripe.listen, move || {
                let stub = StripeStub::new(config);
                stub.webhooks().spawn();
                stub.router()
            })
        }
        StubCommand::Paypal(paypal) => {
            let config = PayPalConfig {
                seed: seed(paypal.seed)?,
                webhook_url: paypal.webhook_url.clone(),
                webhook_id: paypal.webhook_id.clone(),
                ..PayPalConfig::new(Arc::new(SystemClock))
            };
            serve(&paypal.listen, move || {
                let stub = PayPalStub::new(config);
                stub.webhooks().spawn();
                stub.router()
            })
        }
        StubCommand::Mail(mail) => serve_mail(mail),
    }
}

/// The mail stub listens on two addresses (HTTP and SMTP), so it runs its own runtime.
fn serve_mail(args: &MailArgs) -> Result<Exit, CliError> {
    let config = MailConfig {
        max_message_size: args.max_message_size,
        webhook_url: args.webhook_url.clone(),
        seed: seed(args.seed)?,
        chaos_per_mille: (args.chaos * 1000.0).round() as u64,
        delivery_notifications: args.delivery_notifications,
        accept_any_auth: args.smtp_auth_accept_any,
        ..MailConfig::default()
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|error| CliError::Stub(format!("cannot start the async runtime: {error}")))?;
    runtime.block_on(async {
        let stub = MailStub::new(Arc::new(SystemClock), config);
        let running = stub.start(&args.listen, &args.smtp).await?;
        println!("listening on http://{}", running.http_addr);
        println!("listening on smtp://{}", running.smtp_addr);
        shutdown_signal()
            .map_err(|error| CliError::Stub(error.to_string()))?
            .await;
        drop(running);
        Ok(Exit::Clean)
    })
}

fn serve(
    listen: &str,
    build: impl FnOnce() -> commerce_testkit::stubs::Router,
) -> Result<Exit, CliError> {
    serve_until_signal(listen, build, |addr| println!("listening on http://{addr}"))
        .map_err(|error| CliError::Stub(error.to_string()))?;
    Ok(Exit::Clean)
}
