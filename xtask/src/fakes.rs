//! The local fakes of third-party services that `cargo xtask dev` and the end-to-end tiers
//! run next to the workers (today Google's OpenID provider, from `kbc-cf-fake`), and the
//! vars that point each worker at them. Ports follow the workers' (the dev port plus the
//! same offset), so a `dev` and a test run never share a fake.

use crate::workers::Worker;
use anyhow::{Context, Result};
use kbc_cf_fake::Server;
use kbc_cf_fake::oidc::{self, Provider};

/// Where `cargo xtask dev` serves the OpenID provider (the port after the workers').
pub const OIDC_DEV_PORT: u16 = 8791;

/// The running fakes; dropping them stops them.
pub struct Fakes {
    pub oidc: Server<Provider>,
    /// Added to every dev port, the workers' as the fakes'.
    offset: u16,
}

impl Fakes {
    /// Starts every fake on the dev ports plus `offset`.
    pub fn start(offset: u16) -> Result<Self> {
        let port = OIDC_DEV_PORT
            .checked_add(offset)
            .context("the OpenID fake's port is beyond 65535")?;
        let oidc = Provider::start_on(&format!("127.0.0.1:{port}"))
            .with_context(|| format!("starting the fake OpenID provider on port {port}"))?;
        Ok(Self { oidc, offset })
    }

    /// The `--var` overrides that point `worker` at these fakes and at its fellow workers
    /// on the same ports.
    pub fn vars_for(&self, worker: Worker) -> Vec<(&'static str, String)> {
        let app = format!(
            "http://127.0.0.1:{}",
            Worker::Agent.dev_port().saturating_add(self.offset)
        );
        let site = format!(
            "http://127.0.0.1:{}",
            Worker::Api.dev_port().saturating_add(self.offset)
        );
        match worker {
            Worker::Api => vec![("APP_ORIGIN", app)],
            Worker::Agent => vec![
                ("OIDC_ISSUER", self.oidc.base_url().to_owned()),
                ("APP_ORIGIN", app),
                ("SITE_ORIGIN", site),
                ("GOOGLE_CLIENT_ID", oidc::CLIENT_ID.to_owned()),
                ("GOOGLE_SECRET", oidc::CLIENT_SECRET.to_owned()),
            ],
            Worker::Analyzer | Worker::Facebook => Vec::new(),
        }
    }
}
