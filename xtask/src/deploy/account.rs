//! Which Cloudflare account a command works in, and the credentials wrangler gets for it.
//! Previews run pull-request code, so they live in an account of their own
//! (`CLOUDFLARE_PREVIEW_ACCOUNT_ID`, `CLOUDFLARE_PREVIEW_API_TOKEN`): a preview token, even
//! leaked by the code it deploys, reaches nothing of production. Production uses
//! `CLOUDFLARE_ACCOUNT_ID` and `CLOUDFLARE_API_TOKEN`. Token values are never printed.

use super::config::Environment;
use anyhow::{Result, bail};
use std::process::Command;

const PRODUCTION_ID: &str = "CLOUDFLARE_ACCOUNT_ID";
const PRODUCTION_TOKEN: &str = "CLOUDFLARE_API_TOKEN";
const PREVIEW_ID: &str = "CLOUDFLARE_PREVIEW_ACCOUNT_ID";
const PREVIEW_TOKEN: &str = "CLOUDFLARE_PREVIEW_API_TOKEN";

/// An account id and the token wrangler uses in it.
pub struct Account {
    pub id: String,
    token: String,
}

fn var(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.is_empty())
}

impl Account {
    /// The account `env` is deployed in, from the environment; fails naming what is
    /// missing, and refuses a preview account (or token) that is production's.
    pub fn of(env: Environment) -> Result<Self> {
        let (id_var, token_var) = match env {
            Environment::Production => (PRODUCTION_ID, PRODUCTION_TOKEN),
            Environment::Preview => (PREVIEW_ID, PREVIEW_TOKEN),
        };
        let production_id = var(PRODUCTION_ID);
        let (id, token) = (var(id_var), var(token_var));
        let mut missing: Vec<&str> = [(id_var, id.is_none()), (token_var, token.is_none())]
            .into_iter()
            .filter_map(|(name, absent)| absent.then_some(name))
            .collect();
        // Only with the production account's id can a preview prove it is in another one.
        if env == Environment::Preview && production_id.is_none() {
            missing.push(PRODUCTION_ID);
        }
        let (Some(id), Some(token), true) = (id, token, missing.is_empty()) else {
            bail!(
                "{} must be set (the values are never printed)",
                missing.join(" and ")
            );
        };
        if env == Environment::Preview {
            if let Some(problem) = same_account(production_id.as_deref(), Some(&id)) {
                bail!(problem);
            }
            if var(PRODUCTION_TOKEN).as_deref() == Some(token.as_str()) {
                bail!(
                    "{PREVIEW_TOKEN} is the production token; previews need a token of the preview account only"
                );
            }
        }
        Ok(Self { id, token })
    }

    /// Gives `command` (wrangler) this account's credentials and no other account's.
    pub fn apply(&self, command: &mut Command) {
        command
            .env(PRODUCTION_ID, &self.id)
            .env(PRODUCTION_TOKEN, &self.token)
            .env_remove(PREVIEW_ID)
            .env_remove(PREVIEW_TOKEN);
    }
}

/// The problem when previews would run in the production account (both ids known and
/// equal); `config check` reports it from the environment, `preview` refuses on it.
pub fn same_account(production: Option<&str>, preview: Option<&str>) -> Option<String> {
    match (production, preview) {
        (Some(production), Some(preview)) if production.trim() == preview.trim() => Some(format!(
            "{PREVIEW_ID} is the production account ({PRODUCTION_ID}); previews run pull-request code \
             and must live in a Cloudflare account of their own"
        )),
        _ => None,
    }
}

/// [`same_account`] on the ids set in the environment.
pub fn accounts_problem() -> Option<String> {
    same_account(var(PRODUCTION_ID).as_deref(), var(PREVIEW_ID).as_deref())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_preview_account_equal_to_production_is_a_problem() {
        let problem = same_account(Some("0123abcd"), Some("0123abcd")).unwrap();

        assert!(problem.contains("account of their own"), "{problem}");
    }

    #[test]
    fn distinct_or_unknown_accounts_are_no_problem() {
        assert_eq!(same_account(Some("0123abcd"), Some("4567ef01")), None);
        assert_eq!(same_account(None, Some("4567ef01")), None);
        assert_eq!(same_account(Some("0123abcd"), None), None);
    }
}
