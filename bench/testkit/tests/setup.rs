//! 4 × 200 empty tests, each paying one mode's setup and teardown: the kit's three isolation
//! modes and `#[sqlx::test]`, on the same migrations (copied to `.scratch/migrations` by the
//! driver, as `sqlx::migrate!` embeds them at build time).

use commerce_testkit::{Isolation, TestDb};

const MIGRATIONS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/.scratch/migrations");

async fn kit(isolation: Isolation) {
    let db = TestDb::start_with(MIGRATIONS, isolation).await;
    let one: i32 = sqlx::query_scalar("SELECT 1").fetch_one(db.pool()).await.unwrap();
    assert_eq!(one, 1);
}

/// Ten modules holding the same items.
macro_rules! tens {
    ($($body:tt)*) => {
        mod d0 { $($body)* } mod d1 { $($body)* } mod d2 { $($body)* } mod d3 { $($body)* }
        mod d4 { $($body)* } mod d5 { $($body)* } mod d6 { $($body)* } mod d7 { $($body)* }
        mod d8 { $($body)* } mod d9 { $($body)* }
    };
}

/// Two modules holding the same items.
macro_rules! twos {
    ($($body:tt)*) => { mod e0 { $($body)* } mod e1 { $($body)* } };
}

mod transaction {
    twos! { tens! { tens! {
        #[tokio::test] async fn t() { crate::kit(crate::Isolation::Transaction).await }
    } } }
}

mod database {
    twos! { tens! { tens! {
        #[tokio::test] async fn t() { crate::kit(crate::Isolation::Database).await }
    } } }
}

mod schema {
    twos! { tens! { tens! {
        #[tokio::test] async fn t() { crate::kit(crate::Isolation::Schema).await }
    } } }
}

mod sqlx_test {
    twos! { tens! { tens! {
        #[sqlx::test(migrations = ".scratch/migrations")]
        async fn t(pool: sqlx::PgPool) {
            let one: i32 = sqlx::query_scalar("SELECT 1").fetch_one(&pool).await.unwrap();
            assert_eq!(one, 1);
        }
    } } }
}
