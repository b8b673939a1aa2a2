//! Production database backups: the `d1 export` taken before migrations is encrypted with
//! age to the recipients of `deploy.toml`'s `[backup]` and kept in its private R2 bucket
//! (uploaded through wrangler); its cleartext never stays on disk. `cargo xtask backup
//! restore` fetches one (or takes a local encrypted file), decrypts it with an identity
//! file, applies the migrations to a fresh local database and imports the rows.

use super::account::Account;
use super::cloud::{self, Target};
use super::config::{BackupPolicy, Environment};
use super::wrangler::Wrangler;
use super::{BackupRestoreArgs, run_dir, utc_stamp};
use crate::state;
use crate::workspace::{self, Workspace, run};
use anyhow::{Context, Result, bail};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};

/// The lifecycle rule that deletes old backups.
pub const EXPIRY_RULE: &str = "kbc-backups-expire";

/// A file of cleartext rows, deleted when dropped, however the work on it ends.
struct Cleartext(PathBuf);

impl Drop for Cleartext {
    fn drop(&mut self) {
        // Absent when the export failed before writing it.
        let _ = std::fs::remove_file(&self.0);
    }
}

/// Exports the rows of `tables`, encrypts them, uploads them to the backup bucket and
/// leaves nothing on disk; returns the object (`bucket/key`).
pub async fn take(
    w: &Wrangler<'_>,
    t: &Target,
    binding: &str,
    tables: &[String],
    policy: &BackupPolicy,
    (dir, name): (&Path, &str),
) -> Result<String> {
    let recipients = recipients(policy)?;
    let cleartext = Cleartext(dir.join(format!("{name}.sql")));
    cloud::export(w, t, binding, tables, &cleartext.0).await?;
    let encrypted = Cleartext(dir.join(format!("{name}.sql.age")));
    encrypt(&recipients, &cleartext.0, &encrypted.0)?;
    drop(cleartext);
    let key = format!("d1/{name}.sql.age");
    cloud::r2_object_put(w, &policy.bucket, &key, &encrypted.0).await?;
    Ok(format!("{}/{key}", policy.bucket))
}

/// The recipients of `policy`; fails when there are none (nobody could read the backup).
fn recipients(policy: &BackupPolicy) -> Result<Vec<age::x25519::Recipient>> {
    if policy.recipients.is_empty() {
        bail!(
            "deploy.toml's backup.recipients is empty: add the maintainers' age public keys (age1...) \
             so the database backup can be encrypted for someone"
        );
    }
    policy
        .recipients
        .iter()
        .map(|r| {
            r.parse::<age::x25519::Recipient>()
                .map_err(|e| anyhow::anyhow!("backup.recipients: '{r}': {e}"))
        })
        .collect()
}

/// Encrypts the file `plain` to `recipients` into `out`.
fn encrypt(recipients: &[age::x25519::Recipient], plain: &Path, out: &Path) -> Result<()> {
    let encryptor =
        age::Encryptor::with_recipients(recipients.iter().map(|r| r as &dyn age::Recipient))
            .context("preparing the backup's encryption")?;
    let mut input =
        std::fs::File::open(plain).with_context(|| format!("opening {}", plain.display()))?;
    let output =
        std::fs::File::create(out).with_context(|| format!("creating {}", out.display()))?;
    let mut writer = encryptor.wrap_output(output)?;
    std::io::copy(&mut input, &mut writer).context("encrypting the backup")?;
    writer.finish()?.flush()?;
    Ok(())
}

/// The cleartext of an age-encrypted backup, with the identities of `identity_file`.
fn decrypt(encrypted: &[u8], identity_file: &Path) -> Result<String> {
    let identities = age::IdentityFile::from_file(identity_file.to_string_lossy().into_owned())
        .with_context(|| format!("reading the identity file {}", identity_file.display()))?
        .into_identities()
        .context("the identity file holds no usable identity")?;
    let decryptor = age::Decryptor::new(encrypted).context("not an age-encrypted backup")?;
    let mut reader = decryptor
        .decrypt(identities.iter().map(|i| i.as_ref() as &dyn age::Identity))
        .context("none of the identities can decrypt this backup")?;
    let mut rows = String::new();
    reader
        .read_to_string(&mut rows)
        .context("decrypting the backup")?;
    Ok(rows)
}

/// The dump's rows, after statements emptying every table they fill: a fresh database
/// already holds the rows its migrations seed (and `d1_migrations`), which the dump
/// holds too.
fn import_script(rows: &str) -> String {
    let mut tables: Vec<&str> = Vec::new();
    for line in rows.lines() {
        if let Some(rest) = line.strip_prefix("INSERT INTO \"")
            && let Some((table, _)) = rest.split_once('"')
            && !tables.contains(&table)
        {
            tables.push(table);
        }
    }
    let mut script = String::from("PRAGMA defer_foreign_keys=TRUE;\n");
    for table in tables.iter().rev() {
        script.push_str(&format!("DELETE FROM \"{table}\";\n"));
    }
    script.push_str(rows);
    script
}

/// `cargo xtask backup restore`: into a fresh directory, the migrations the backup's
/// database had, its rows, then the migrations since.
pub async fn restore(ws: &Workspace, args: &BackupRestoreArgs) -> Result<()> {
    let state_dir = match &args.state {
        Some(dir) => Workspace::absolute(dir)?,
        None => ws
            .target_dir()
            .join("restore")
            .join(utc_stamp(workspace::unix_now())),
    };
    if state_dir.exists() && std::fs::read_dir(&state_dir)?.next().is_some() {
        bail!(
            "{} is not empty; restore into a fresh directory",
            state_dir.display()
        );
    }
    let encrypted = match (&args.object, &args.file) {
        (_, Some(file)) => {
            std::fs::read(file).with_context(|| format!("reading {}", file.display()))?
        }
        (Some(object), None) => {
            let account = Account::of(Environment::Production)?;
            let dir = run_dir(&args.place.out(ws)?, "restore", "fetch")?;
            let wrangler = Wrangler::new(ws, &account, &dir.join("wrangler"))?;
            let file = dir.join("backup.sql.age");
            cloud::r2_object_get(&wrangler, object, &file).await?;
            let sealed =
                std::fs::read(&file).with_context(|| format!("reading {}", file.display()))?;
            // The download was only the way in: no copy of the backup stays on this disk.
            std::fs::remove_file(&file).with_context(|| format!("deleting {}", file.display()))?;
            sealed
        }
        (None, None) => bail!("give the backup: --object BUCKET/KEY or --file PATH"),
    };
    let rows = decrypt(&encrypted, &args.identity)?;
    // The rows fit the schema of their day: migrate to it, import, then migrate the rest.
    let configs = args.place.configs(ws)?;
    let at_backup = Cleanup(state_dir.join("restore"));
    let config = schema_of_backup(
        &configs.migrations_dir(Environment::Production)?,
        &migrations_in(&rows),
        &ws.wrangler_config("api"),
        &at_backup.0,
    )?;
    let local_d1 = |args: &[&str]| {
        let mut command = state::wrangler(ws);
        command
            .args(["d1"])
            .args(args)
            .args(["DB", "--local", "--persist-to"])
            .arg(&state_dir)
            .arg("-c")
            .arg(&config);
        run(&mut command)
    };
    std::fs::create_dir_all(&state_dir)?;
    local_d1(&["migrations", "apply"]).context("migrating to the backup's schema")?;
    let script = at_backup.0.join("rows.sql");
    std::fs::write(&script, import_script(&rows))
        .with_context(|| format!("writing {}", script.display()))?;
    let file = script.to_string_lossy();
    local_d1(&["execute", "--yes", "--file", &file]).context("importing the rows")?;
    drop(at_backup);
    state::migrate(ws, &state_dir)?;
    let inserts = rows
        .lines()
        .filter(|l| l.starts_with("INSERT INTO"))
        .count();
    println!(
        "✓ {inserts} rows restored, then migrated to now, in {} (serve it with `wrangler dev --persist-to`)",
        state_dir.display()
    );
    Ok(())
}

/// A directory deleted with everything in it when dropped (it holds cleartext rows).
struct Cleanup(PathBuf);

impl Drop for Cleanup {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// The names of the migrations the dumped database had applied (its `d1_migrations` rows:
/// `INSERT INTO "d1_migrations" VALUES(id,'name','applied_at')`).
fn migrations_in(rows: &str) -> Vec<String> {
    rows.lines()
        .filter_map(|line| line.strip_prefix("INSERT INTO \"d1_migrations\" VALUES("))
        .filter_map(|values| values.split('\'').nth(1))
        .map(str::to_owned)
        .collect()
}

/// Writes into `dir` a copy of the local api config whose migrations are only `applied`;
/// returns the config's path.
fn schema_of_backup(
    migrations: &Path,
    applied: &[String],
    api_config: &Path,
    dir: &Path,
) -> Result<PathBuf> {
    let subset = dir.join("migrations");
    std::fs::create_dir_all(&subset).with_context(|| format!("creating {}", subset.display()))?;
    for name in applied {
        std::fs::copy(migrations.join(name), subset.join(name))
            .with_context(|| format!("the backup had {name}, which migrations/ lacks"))?;
    }
    let text = std::fs::read_to_string(api_config)
        .with_context(|| format!("reading {}", api_config.display()))?;
    let mut table: toml::Table = toml::from_str(&text)?;
    let base = api_config.parent().context("the config has no directory")?;
    if let Some(toml::Value::String(main)) = table.get("main") {
        let main = base.join(main).to_string_lossy().into_owned();
        table.insert("main".into(), main.into());
    }
    table.remove("env");
    let database = table
        .get_mut("d1_databases")
        .and_then(toml::Value::as_array_mut)
        .and_then(|d| d.first_mut())
        .and_then(toml::Value::as_table_mut)
        .context("the api config binds no local database")?;
    database.insert(
        "migrations_dir".into(),
        subset.to_string_lossy().into_owned().into(),
    );
    let config = dir.join("api.toml");
    std::fs::write(&config, toml::to_string(&table)?)
        .with_context(|| format!("writing {}", config.display()))?;
    Ok(config)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A key pair made for these tests only.
    const IDENTITY: &str =
        "AGE-SECRET-KEY-12MQAGHLLG3QGADP853YH9V8CAZWCDCHXAW2UPMZJ79VM4PCU089SNMS0PM";
    const RECIPIENT: &str = "age1mxw39el65qxyfrw3rtdnk0vpxkaj3r9xf2y7glwmjv8gz0pgdvkq0mjung";

    #[test]
    fn a_backup_decrypts_with_the_recipients_identity_only() {
        let dir = tempfile::tempdir().unwrap();
        let plain = dir.path().join("rows.sql");
        std::fs::write(&plain, "INSERT INTO \"leads\" VALUES('Ada','555-0100');\n").unwrap();
        let policy = BackupPolicy {
            bucket: "b".into(),
            retention_days: 30,
            recipients: vec![RECIPIENT.into()],
        };
        let sealed = dir.path().join("rows.sql.age");

        encrypt(&recipients(&policy).unwrap(), &plain, &sealed).unwrap();

        let bytes = std::fs::read(&sealed).unwrap();
        assert!(!String::from_utf8_lossy(&bytes).contains("555-0100"));
        let identity = dir.path().join("key.txt");
        std::fs::write(&identity, format!("{IDENTITY}\n")).unwrap();
        assert!(decrypt(&bytes, &identity).unwrap().contains("555-0100"));
        let stranger = dir.path().join("other.txt");
        let other = "AGE-SECRET-KEY-1NMK87XJDA2PXWGUWP7WK7XL2PYGSWLA7D343ZMNLTPDLVRQJVDSSLQ3UR4";
        std::fs::write(&stranger, format!("{other}\n")).unwrap();
        assert!(decrypt(&bytes, &stranger).is_err());
    }

    #[test]
    fn a_backup_without_recipients_is_refused() {
        let err = recipients(&BackupPolicy::default()).unwrap_err();

        assert!(err.to_string().contains("recipients is empty"), "{err}");
    }

    #[test]
    fn the_migrations_a_backup_had_are_read_from_its_rows() {
        let rows = "INSERT INTO \"d1_migrations\" VALUES(1,'0001_directory.sql','2026-01-01 00:00:00');\n\
                    INSERT INTO \"d1_migrations\" VALUES(2,'0002_business_photos.sql','2026-01-01 00:00:00');\n\
                    INSERT INTO \"categories\" VALUES(1,'a');\n";

        assert_eq!(
            migrations_in(rows),
            ["0001_directory.sql", "0002_business_photos.sql"]
        );
    }

    #[test]
    fn the_import_empties_the_tables_it_fills_children_first() {
        let rows = "INSERT INTO \"categories\" VALUES(1);\nINSERT INTO \"businesses\" VALUES(1);\n";

        let script = import_script(rows);

        assert!(script.starts_with(
            "PRAGMA defer_foreign_keys=TRUE;\nDELETE FROM \"businesses\";\nDELETE FROM \"categories\";\n"
        ));
        assert!(script.ends_with(rows));
    }
}
