//! The local server `bench/load/run.sh` loads with every tool: the tests' own HTTP/1.1 server
//! (one thread), answering `{}` at once, until killed.
//!   cargo run --release -p commerce_load --example bench_server -- 127.0.0.1:8099

#[path = "../tests/support/mod.rs"]
#[allow(dead_code)]
mod support;

fn main() {
    let server = support::Server::start(support::Behaviour::Fast);
    // The bench reads where it listens from the first line.
    #[allow(clippy::print_stdout)]
    {
        println!("{}", server.url());
    }
    loop {
        std::thread::park();
    }
}
