//! Where a transaction-mode test's setup time goes, in fresh processes as nextest runs them.
//! `cargo run --release --example phases -- <migrations dir> [processes]`

#![allow(clippy::print_stdout)]

use std::path::PathBuf;
use std::process::Command;
use std::time::Instant;

use sqlx::{Connection, PgConnection};

fn ms(since: Instant) -> f64 {
    since.elapsed().as_secs_f64() * 1000.0
}

fn main() {
    let dir = PathBuf::from(std::env::args().nth(1).expect("migrations dir"));
    if std::env::var_os("PHASES_CHILD").is_some() {
        child(&dir);
        return;
    }
    let n: usize = std::env::args().nth(2).and_then(|n| n.parse().ok()).unwrap_or(50);
    let binaries = commerce_pg::Binaries::find().unwrap();
    let cluster = commerce_pg::Cluster::start(&binaries).unwrap();
    // PHASES_URL: another server (a TCP one) instead of the cluster's Unix socket.
    let url = std::env::var("PHASES_URL").unwrap_or_else(|_| cluster.url("postgres"));
    let exe = std::env::current_exe().unwrap();
    let mut rows: Vec<Vec<(String, f64)>> = Vec::new();
    for i in 0..=n {
        let out = Command::new(&exe)
            .arg(&dir)
            .env("PHASES_CHILD", "1")
            .env("DATABASE_URL", &url)
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        if i == 0 {
            continue; // built the template
        }
        let text = String::from_utf8_lossy(&out.stdout);
        rows.push(
            text.lines()
                .filter_map(|l| l.split_once('='))
                .map(|(k, v)| (k.to_owned(), v.parse().unwrap()))
                .collect(),
        );
    }
    for (i, (name, _)) in rows[0].iter().enumerate() {
        let mut v: Vec<f64> = rows.iter().map(|r| r[i].1).collect();
        v.sort_by(f64::total_cmp);
        let at = |q: f64| v[((v.len() as f64 * q).ceil() as usize).clamp(1, v.len()) - 1];
        println!("{name:<28} p50 {:>7.3}  p95 {:>7.3}", at(0.5), at(0.95));
    }
}

fn child(dir: &std::path::Path) {
    let start = Instant::now();
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    println!("runtime={}", ms(start));
    rt.block_on(async {
        let t = Instant::now();
        let case = commerce_testkit::TestCase::named("phases");
        println!("testcase={}", ms(t));
        let t = Instant::now();
        let db = commerce_testkit::TestDb::try_start(dir, commerce_testkit::Isolation::Transaction, case)
            .await
            .unwrap();
        println!("kit_start_first={}", ms(t));
        let t = Instant::now();
        let one: i32 = sqlx::query_scalar("SELECT 1").fetch_one(db.pool()).await.unwrap();
        assert_eq!(one, 1);
        println!("select1_pool={}", ms(t));
        let t = Instant::now();
        drop(db);
        println!("kit_drop={}", ms(t));
        let t = Instant::now();
        let db = commerce_testkit::TestDb::start(dir).await;
        println!("kit_start_again={}", ms(t));
        drop(db);

        let url = std::env::var("DATABASE_URL").unwrap();
        let t = Instant::now();
        let options: sqlx::postgres::PgConnectOptions = url.parse().unwrap();
        println!("parse_url={}", ms(t));
        let t = Instant::now();
        let mut admin = PgConnection::connect_with(&options).await.unwrap();
        println!("connect_admin={}", ms(t));
        let t = Instant::now();
        let shared: String = sqlx::query_scalar(
            "SELECT datname::text FROM pg_database WHERE datname LIKE 'commerce_run_%' LIMIT 1",
        )
        .fetch_one(&mut admin)
        .await
        .unwrap();
        println!("one_query={}", ms(t));
        let t = Instant::now();
        let mut conn = PgConnection::connect_with(&options.clone().database(&shared)).await.unwrap();
        println!("connect_shared={}", ms(t));
        let t = Instant::now();
        std::mem::forget(conn.begin().await.unwrap());
        println!("begin={}", ms(t));
        let t = Instant::now();
        let one: i32 = sqlx::query_scalar("SELECT 1").fetch_one(&mut conn).await.unwrap();
        assert_eq!(one, 1);
        println!("select1_first={}", ms(t));
        let t = Instant::now();
        let one: i32 = sqlx::query_scalar("SELECT 1").fetch_one(&mut conn).await.unwrap();
        assert_eq!(one, 1);
        println!("select1_cached={}", ms(t));
        let t = Instant::now();
        conn.close().await.unwrap();
        println!("close={}", ms(t));
        let t = Instant::now();
        for entry in std::fs::read_dir(dir).unwrap() {
            let _ = std::fs::read_to_string(entry.unwrap().path());
        }
        println!("read_migrations={}", ms(t));
    });
    let t = Instant::now();
    drop(rt);
    println!("runtime_drop={}", ms(t));
    println!("total={}", ms(start));
}
