//! `cargo commerce audit sql`: prints the append-only audit tables' migration
//! (`commerce_testkit::stubs::audit::sql`).

use clap::{Args, Subcommand};
use commerce_testkit::stubs::audit::{self, AuditOptions, AuditTable};

use crate::Exit;

#[derive(Debug, Args)]
pub struct AuditArgs {
    #[command(subcommand)]
    pub command: AuditCommand,
}

#[derive(Debug, Subcommand)]
pub enum AuditCommand {
    /// Print the SQL of the audit tables (apply it as a migration): triggers refusing UPDATE,
    /// DELETE and TRUNCATE, a per-aggregate sequence, the allowed transitions.
    Sql(SqlArgs),
}

#[derive(Debug, Args)]
pub struct SqlArgs {
    /// Chain each aggregate's rows with sha256 (each row hashes the previous row's hash).
    #[arg(long)]
    pub hash_chain: bool,

    /// Only these tables (default: all): email, order, webhook, payment, or the table names.
    #[arg(long, value_delimiter = ',', value_parser = parse_table, value_name = "TABLE")]
    pub tables: Vec<AuditTable>,
}

fn parse_table(name: &str) -> Result<AuditTable, String> {
    AuditTable::parse(name).ok_or_else(|| {
        let known: Vec<&str> = AuditTable::ALL.iter().map(|table| table.table()).collect();
        format!("no audit table `{name}`: use {}", known.join(", "))
    })
}

pub fn run(args: &AuditArgs) -> Exit {
    match &args.command {
        AuditCommand::Sql(sql_args) => {
            let options = AuditOptions {
                hash_chain: sql_args.hash_chain,
                tables: if sql_args.tables.is_empty() {
                    AuditTable::ALL.to_vec()
                } else {
                    sql_args.tables.clone()
                },
            };
            print!("{}", audit::sql(&options));
            Exit::Clean
        }
    }
}
