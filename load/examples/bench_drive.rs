//! The driver alone, as `bench/load/run.sh` times it beside oha and wrk: one endpoint at a
//! fixed rate, the scenario's figures as JSON on stdout (what `cargo commerce load --format
//! json` prints for one scenario, without the CLI's build).
//!   cargo run --release -p commerce_load --example bench_drive -- URL RATE SECONDS CONNECTIONS

use std::time::Duration;

use commerce_load::{HttpTarget, LoadReport, Scenario, run_blocking};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [url, rate, seconds, connections] = args.as_slice() else {
        return Err("usage: bench_drive URL RATE SECONDS CONNECTIONS".into());
    };
    let mut scenario = Scenario::endpoint("bench", "/", rate.parse()?)?;
    scenario.duration = Duration::from_secs(seconds.parse()?);
    scenario.warmup = Duration::ZERO;
    scenario.connections = connections.parse()?;
    let target = HttpTarget::new(url, scenario.connections, false)?;
    let report = run_blocking(&scenario, target)?;
    #[allow(clippy::print_stdout)]
    {
        println!("{}", serde_json::to_string(&LoadReport::new(vec![report]))?);
    }
    Ok(())
}
