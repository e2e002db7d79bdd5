//! The scratch databases of one round trip: created empty, dropped when done.

use std::sync::atomic::{AtomicUsize, Ordering};

use postgres::Client;

use super::server::PostgresServer;
use super::{VerifyError, VerifyOptions};

/// Tells the databases of concurrent round trips in one process apart.
static NEXT_RUN: AtomicUsize = AtomicUsize::new(0);

/// Databases named `commerce_verify_<pid>_<run>_<n>`, all dropped on drop.
pub(super) struct ScratchDatabases<'a> {
    server: &'a PostgresServer,
    options: &'a VerifyOptions,
    admin: Client,
    prefix: String,
    created: Vec<String>,
    next: usize,
}

impl<'a> ScratchDatabases<'a> {
    pub fn new(
        server: &'a PostgresServer,
        options: &'a VerifyOptions,
    ) -> Result<Self, VerifyError> {
        let admin = server.connect(
            server.admin_database(),
            options.statement_timeout,
            options.lock_timeout,
        )?;
        let run = NEXT_RUN.fetch_add(1, Ordering::Relaxed);
        Ok(Self {
            server,
            options,
            admin,
            prefix: format!("commerce_verify_{}_{run}", std::process::id()),
            created: Vec::new(),
            next: 0,
        })
    }

    /// A new, empty database from `template0`.
    pub fn create(&mut self) -> Result<String, VerifyError> {
        let name = format!("{}_{}", self.prefix, self.next);
        self.next += 1;
        self.admin
            .batch_execute(&format!("CREATE DATABASE {name} TEMPLATE template0"))
            .map_err(VerifyError::database(format!(
                "create the scratch database {name}"
            )))?;
        self.created.push(name.clone());
        Ok(name)
    }

    pub fn connect(&self, database: &str) -> Result<Client, VerifyError> {
        Ok(self.server.connect(
            database,
            self.options.statement_timeout,
            self.options.lock_timeout,
        )?)
    }

    pub fn drop_database(&mut self, name: &str) -> Result<(), VerifyError> {
        self.admin
            .batch_execute(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
            .map_err(VerifyError::database(format!(
                "drop the scratch database {name}"
            )))?;
        self.created.retain(|created| created != name);
        Ok(())
    }
}

impl Drop for ScratchDatabases<'_> {
    fn drop(&mut self) {
        for name in std::mem::take(&mut self.created) {
            // Best effort: an ephemeral cluster goes away anyway, and an existing server is
            // better left with a stray scratch database than a verifier that panics.
            let _ = self
                .admin
                .batch_execute(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"));
        }
    }
}
