//! The local fakes of third-party services that `cargo xtask dev` and the end-to-end tiers
//! run next to the workers (from `kbc-cf-fake`: Google's OpenID provider, the AI provider of
//! the business assistant, the businesses' own websites the analyzer reads, Meta's Graph API
//! and Browser Rendering's screenshots for Facebook), and the vars that point each worker at
//! them. Ports follow the workers' (the dev port plus the same
//! offset), so a `dev` and a test run never share a fake.

use crate::workers::Worker;
use anyhow::{Context, Result};
use kbc_cf_fake::oidc::{self, Provider};
use kbc_cf_fake::{Graph, Rendering, Server, Sites, ai, ai::Ai, graph, rendering};

/// Where `cargo xtask dev` serves the OpenID provider (the port after the workers').
pub const OIDC_DEV_PORT: u16 = 8791;
/// Where `cargo xtask dev` serves the AI provider (chat completions, speech in and out).
pub const AI_DEV_PORT: u16 = 8792;
/// Where `cargo xtask dev` serves the businesses' websites (`/{site}/`, one robots.txt).
pub const SITES_DEV_PORT: u16 = 8793;
/// Where `cargo xtask dev` serves Meta's Graph API (and its login dialog).
pub const GRAPH_DEV_PORT: u16 = 8794;
/// Where `cargo xtask dev` serves Browser Rendering's screenshot endpoint (the share cards).
pub const RENDERING_DEV_PORT: u16 = 8795;

/// The running fakes; dropping them stops them.
pub struct Fakes {
    pub oidc: Server<Provider>,
    pub ai: Server<Ai>,
    pub sites: Server<Sites>,
    pub graph: Server<Graph>,
    pub rendering: Server<Rendering>,
    /// Added to every dev port, the workers' as the fakes'.
    offset: u16,
}

impl Fakes {
    /// Starts every fake on the dev ports plus `offset`.
    pub fn start(offset: u16) -> Result<Self> {
        let address = |port: u16, name: &str| {
            port.checked_add(offset)
                .map(|port| format!("127.0.0.1:{port}"))
                .with_context(|| format!("the {name} fake's port is beyond 65535"))
        };
        let at = address(OIDC_DEV_PORT, "OpenID")?;
        let oidc = Provider::start_on(&at)
            .with_context(|| format!("starting the fake OpenID provider on {at}"))?;
        let at = address(AI_DEV_PORT, "AI")?;
        let ai =
            Ai::start_on(&at).with_context(|| format!("starting the fake AI provider on {at}"))?;
        let at = address(SITES_DEV_PORT, "sites")?;
        let sites = Sites::start_on(&at)
            .with_context(|| format!("starting the fake business websites on {at}"))?;
        let at = address(GRAPH_DEV_PORT, "Graph API")?;
        let graph =
            Graph::start_on(&at).with_context(|| format!("starting the fake Graph API on {at}"))?;
        let at = address(RENDERING_DEV_PORT, "Browser Rendering")?;
        let rendering = Rendering::start_on(&at)
            .with_context(|| format!("starting the fake Browser Rendering on {at}"))?;
        Ok(Self {
            oidc,
            ai,
            sites,
            graph,
            rendering,
            offset,
        })
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
        // Every worker that asks a model: the assistant (agent), and the enrichment and
        // post writing to come (analyzer, facebook).
        let model = [
            ("AI_API_BASE", format!("{}/client/v4", self.ai.base_url())),
            ("AI_ACCOUNT_ID", ai::ACCOUNT_ID.to_owned()),
            ("AI_API_TOKEN", ai::API_TOKEN.to_owned()),
        ];
        // The workers that speak to Meta: the agent (Facebook Login, webhooks) and facebook.
        let meta = [
            ("FACEBOOK_GRAPH_BASE", self.graph.base_url().to_owned()),
            ("FACEBOOK_DIALOG_BASE", self.graph.base_url().to_owned()),
            ("FACEBOOK_APP_ID", graph::APP_ID.to_owned()),
            ("FACEBOOK_APP_SECRET", graph::APP_SECRET.to_owned()),
        ];
        match worker {
            Worker::Api => vec![("APP_ORIGIN", app)],
            Worker::Agent => [
                ("OIDC_ISSUER", self.oidc.base_url().to_owned()),
                ("APP_ORIGIN", app),
                ("SITE_ORIGIN", site),
                ("GOOGLE_CLIENT_ID", oidc::CLIENT_ID.to_owned()),
                ("GOOGLE_SECRET", oidc::CLIENT_SECRET.to_owned()),
            ]
            .into_iter()
            .chain(model)
            .chain(meta.clone())
            .collect(),
            // The analyzer's URL guard refuses loopback addresses but the ones listed here,
            // so it may read these fake websites and nothing else on this machine.
            Worker::Analyzer => [("ANALYZER_ALLOWED_ORIGINS", self.sites.base_url().to_owned())]
                .into_iter()
                .chain(model)
                .collect(),
            Worker::Facebook => [
                (
                    "BROWSER_RENDERING_BASE",
                    format!("{}/client/v4", self.rendering.base_url()),
                ),
                (
                    "BROWSER_RENDERING_ACCOUNT_ID",
                    rendering::ACCOUNT_ID.to_owned(),
                ),
                ("BROWSER_RENDERING_TOKEN", rendering::API_TOKEN.to_owned()),
            ]
            .into_iter()
            .chain(model)
            .chain(meta)
            .collect(),
        }
    }
}
