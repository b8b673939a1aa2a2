//! `cargo xtask admin grant EMAIL --env ENV`: how the first admins come to be. The role is
//! granted to whoever signs in with that email, verified by Google — at once to people who
//! already did, otherwise at their first sign-in. It runs the domain's statements through
//! wrangler, against the local state directory or the production database.

use crate::state;
use crate::workspace::{Workspace, run};
use anyhow::{Result, bail};
use clap::{Subcommand, ValueEnum};
use kbc_domain::accounts::{self, Role};
use kbc_domain::values::Email;
use std::path::PathBuf;

#[derive(Subcommand)]
pub enum AdminCommand {
    /// Grant a role (admin by default) to whoever signs in with EMAIL, verified.
    Grant {
        email: String,
        /// Which database: the local state directory, or production's D1 (through
        /// wrangler, with CLOUDFLARE_API_TOKEN and CLOUDFLARE_ACCOUNT_ID set).
        #[arg(long, value_enum)]
        env: Target,
        #[arg(long, value_enum, default_value_t = RoleArg::Admin)]
        role: RoleArg,
        /// Local state directory (default: .state).
        #[arg(long, value_name = "DIR")]
        state: Option<PathBuf>,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Target {
    Local,
    Production,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum RoleArg {
    Admin,
    Owner,
}

impl From<RoleArg> for Role {
    fn from(role: RoleArg) -> Self {
        match role {
            RoleArg::Admin => Role::Admin,
            RoleArg::Owner => Role::Owner,
        }
    }
}

pub fn run_command(ws: &Workspace, command: &AdminCommand, default_state: PathBuf) -> Result<()> {
    let AdminCommand::Grant {
        email,
        env,
        role,
        state,
    } = command;
    let Ok(email) = Email::parse("email", email) else {
        bail!("{email:?} is not an email address");
    };
    let role = Role::from(*role);
    let sql: Vec<String> =
        accounts::grant_by_email_statements(&email, role, crate::workspace::unix_now())
            .iter()
            .map(|statement| statement.inline_sql())
            .collect();
    let mut command = state::wrangler(ws);
    command
        .args(["d1", "execute", "DB", "--yes", "--command"])
        .arg(sql.join(";\n"));
    command.arg("-c").arg(ws.wrangler_config("agent"));
    match env {
        Target::Local => {
            let dir = state.clone().unwrap_or(default_state);
            command.arg("--local").arg("--persist-to").arg(&dir);
        }
        Target::Production => {
            command.args(["--remote", "--env", "production"]);
        }
    }
    run(&mut command)?;
    println!(
        "✓ {} is {} for whoever signs in with {} (verified), now or at their first sign-in",
        role.as_str(),
        match env {
            Target::Local => "granted locally",
            Target::Production => "granted in production",
        },
        email.as_str()
    );
    Ok(())
}
