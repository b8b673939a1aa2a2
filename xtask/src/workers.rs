//! The four Cloudflare Workers of the workspace: their names (crate directory, wrangler
//! config and `/health` worker name are all the same word) and their local ports.

use clap::ValueEnum;
use std::fmt;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, ValueEnum)]
pub enum Worker {
    Api,
    Agent,
    Analyzer,
    Facebook,
}

impl Worker {
    pub const ALL: [Worker; 4] = [Self::Api, Self::Agent, Self::Analyzer, Self::Facebook];

    pub fn name(self) -> &'static str {
        match self {
            Self::Api => "api",
            Self::Agent => "agent",
            Self::Analyzer => "analyzer",
            Self::Facebook => "facebook",
        }
    }

    /// The port `cargo xtask dev` serves this worker on; other tasks add an offset so they
    /// never clash with a running `dev`.
    pub fn dev_port(self) -> u16 {
        match self {
            Self::Api => 8787,
            Self::Agent => 8788,
            Self::Analyzer => 8789,
            Self::Facebook => 8790,
        }
    }
}

impl fmt::Display for Worker {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}
