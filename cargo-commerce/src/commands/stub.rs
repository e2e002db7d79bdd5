//! `cargo commerce stub <name>`: a test-kit stub over loopback until SIGINT/SIGTERM.

use std::sync::Arc;

use clap::{Args, Subcommand};
use commerce_testkit::clock::SystemClock;
use commerce_testkit::seed::Seed;
use commerce_testkit::stubs::paypal::{PayPalConfig, PayPalStub};
use commerce_testkit::stubs::serve::serve_until_signal;
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
    }
}

fn serve(
    listen: &str,
    build: impl FnOnce() -> commerce_testkit::stubs::Router,
) -> Result<Exit, CliError> {
    serve_until_signal(listen, build, |addr| println!("listening on http://{addr}"))
        .map_err(|error| CliError::Stub(error.to_string()))?;
    Ok(Exit::Clean)
}
