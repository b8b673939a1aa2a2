//! The native executor: embedded SQLite (rusqlite, bundled) running the same migration files
//! wrangler applies to D1, with the same `d1_migrations` bookkeeping table.

use super::{Database, DbError, DbResult, Row, Statement, Value};
use rusqlite::{Connection, params_from_iter, types::ValueRef};
use std::{path::Path, sync::Mutex};

/// Every file in `migrations/`, in order: (file name, SQL).
pub const MIGRATIONS: &[(&str, &str)] = include!(concat!(env!("OUT_DIR"), "/migrations.rs"));

/// The table wrangler creates to remember which migrations ran; created identically here so
/// a database prepared by either tool is understood by the other.
const D1_MIGRATIONS_TABLE: &str = "CREATE TABLE IF NOT EXISTS d1_migrations(
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    name       TEXT UNIQUE,
    applied_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP NOT NULL
)";

pub struct SqliteDatabase {
    connection: Mutex<Connection>,
}

impl SqliteDatabase {
    /// A fresh in-memory database with every migration applied.
    pub fn in_memory() -> DbResult<Self> {
        let db = Self::wrap(Connection::open_in_memory().map_err(err)?)?;
        db.apply_migrations()?;
        Ok(db)
    }

    /// Opens (or creates) a database file without touching its schema.
    pub fn open(path: &Path) -> DbResult<Self> {
        Self::wrap(Connection::open(path).map_err(err)?)
    }

    /// Opens a database file for reading only: no locks that could stall another process
    /// writing it (workerd, in the end-to-end tests).
    pub fn open_read_only(path: &Path) -> DbResult<Self> {
        let flags =
            rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY | rusqlite::OpenFlags::SQLITE_OPEN_NO_MUTEX;
        Self::wrap(Connection::open_with_flags(path, flags).map_err(err)?)
    }

    fn wrap(connection: Connection) -> DbResult<Self> {
        // D1 enforces foreign keys; so must we.
        connection
            .pragma_update(None, "foreign_keys", "ON")
            .map_err(err)?;
        Ok(Self {
            connection: Mutex::new(connection),
        })
    }

    /// Applies the migrations not yet recorded in `d1_migrations`, each in its own
    /// transaction, and returns the names it applied.
    pub fn apply_migrations(&self) -> DbResult<Vec<String>> {
        let mut connection = self.lock();
        connection.execute(D1_MIGRATIONS_TABLE, []).map_err(err)?;
        let mut applied = Vec::new();
        for (name, sql) in MIGRATIONS {
            let done: bool = connection
                .query_row(
                    "SELECT count(*) FROM d1_migrations WHERE name = ?1",
                    [name],
                    |row| row.get(0),
                )
                .map_err(err)?;
            if done {
                continue;
            }
            let tx = connection.transaction().map_err(err)?;
            tx.execute_batch(sql)
                .map_err(|e| DbError(format!("migration {name}: {e}")))?;
            tx.execute("INSERT INTO d1_migrations (name) VALUES (?1)", [name])
                .map_err(err)?;
            tx.commit().map_err(err)?;
            applied.push((*name).to_owned());
        }
        Ok(applied)
    }

    /// Runs `work` inside one transaction on this connection (bulk loads natively).
    pub fn in_transaction<T, E: From<DbError>>(
        &self,
        work: impl FnOnce() -> Result<T, E>,
    ) -> Result<T, E> {
        self.lock().execute_batch("BEGIN").map_err(err)?;
        match work() {
            Ok(value) => {
                self.lock().execute_batch("COMMIT").map_err(err)?;
                Ok(value)
            }
            Err(failure) => {
                self.lock().execute_batch("ROLLBACK").map_err(err)?;
                Err(failure)
            }
        }
    }

    /// The `EXPLAIN QUERY PLAN` detail lines for a statement.
    pub fn query_plan(&self, statement: &Statement) -> DbResult<Vec<String>> {
        let connection = self.lock();
        let mut prepared = connection
            .prepare(&format!("EXPLAIN QUERY PLAN {}", statement.sql))
            .map_err(err)?;
        let rows = prepared
            .query_map(
                params_from_iter(statement.params.iter().map(to_sql)),
                |row| row.get::<_, String>(3),
            )
            .map_err(err)?;
        rows.collect::<Result<_, _>>().map_err(err)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Connection> {
        // A panic while holding the lock cannot leave SQLite inconsistent; keep going.
        self.connection
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn run_query(connection: &Connection, statement: &Statement) -> DbResult<Vec<Row>> {
        let mut prepared = connection.prepare_cached(&statement.sql).map_err(err)?;
        let names: Vec<String> = prepared.column_names().map(str::to_owned).collect();
        let mut rows = prepared
            .query(params_from_iter(statement.params.iter().map(to_sql)))
            .map_err(err)?;
        let mut out = Vec::new();
        while let Some(row) = rows.next().map_err(err)? {
            let mut object = Row::new();
            for (index, name) in names.iter().enumerate() {
                object.insert(name.clone(), to_json(row.get_ref(index).map_err(err)?)?);
            }
            out.push(object);
        }
        Ok(out)
    }

    fn run_execute(connection: &Connection, statement: &Statement) -> DbResult<()> {
        let mut prepared = connection.prepare_cached(&statement.sql).map_err(err)?;
        prepared
            .execute(params_from_iter(statement.params.iter().map(to_sql)))
            .map_err(err)?;
        Ok(())
    }
}

impl Database for SqliteDatabase {
    async fn query(&self, statement: &Statement) -> DbResult<Vec<Row>> {
        Self::run_query(&self.lock(), statement)
    }

    async fn execute(&self, statement: &Statement) -> DbResult<()> {
        Self::run_execute(&self.lock(), statement)
    }

    async fn batch(&self, statements: &[Statement]) -> DbResult<()> {
        let mut connection = self.lock();
        // A savepoint, not a transaction, so a batch also works inside `in_transaction`.
        let savepoint = connection.savepoint().map_err(err)?;
        for statement in statements {
            Self::run_execute(&savepoint, statement)?;
        }
        savepoint.commit().map_err(err)
    }
}

fn err(e: rusqlite::Error) -> DbError {
    DbError(e.to_string())
}

fn to_sql(value: &Value) -> rusqlite::types::Value {
    match value {
        Value::Null => rusqlite::types::Value::Null,
        Value::Integer(v) => rusqlite::types::Value::Integer(*v),
        Value::Real(v) => rusqlite::types::Value::Real(*v),
        Value::Text(v) => rusqlite::types::Value::Text(v.clone()),
    }
}

fn to_json(value: ValueRef<'_>) -> DbResult<serde_json::Value> {
    Ok(match value {
        ValueRef::Null => serde_json::Value::Null,
        ValueRef::Integer(v) => v.into(),
        ValueRef::Real(v) => {
            serde_json::Number::from_f64(v).map_or(serde_json::Value::Null, Into::into)
        }
        ValueRef::Text(v) => String::from_utf8_lossy(v).into_owned().into(),
        ValueRef::Blob(_) => {
            return Err(DbError("blob columns are not used by this schema".into()));
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::db::fetch_integer;
    use pollster::block_on;

    fn temp_file(name: &str) -> std::path::PathBuf {
        let path = std::env::temp_dir().join(format!("kbc-{name}-{}.sqlite", std::process::id()));
        let _ = std::fs::remove_file(&path);
        path
    }

    #[test]
    fn migrations_are_recorded_like_wrangler_and_applied_once() {
        let path = temp_file("migrations");
        let db = SqliteDatabase::open(&path).unwrap();
        let first = db.apply_migrations().unwrap();
        assert_eq!(first.len(), MIGRATIONS.len());
        assert_eq!(first[0], MIGRATIONS[0].0);
        assert!(
            db.apply_migrations().unwrap().is_empty(),
            "a second run applies nothing"
        );
        let recorded = block_on(fetch_integer(
            &db,
            &Statement::new("SELECT count(*) FROM d1_migrations"),
        ))
        .unwrap();
        assert_eq!(recorded, MIGRATIONS.len() as i64);
        drop(db);
        std::fs::remove_file(&path).unwrap();
    }

    #[test]
    fn migration_files_are_numbered_in_order_and_named() {
        for (index, (name, sql)) in MIGRATIONS.iter().enumerate() {
            let number: usize = name
                .get(..4)
                .and_then(|n| n.parse().ok())
                .expect("NNNN_ prefix");
            assert_eq!(number, index + 1, "{name}");
            assert!(
                name.ends_with(".sql") && name.as_bytes()[4] == b'_',
                "{name}"
            );
            assert!(!sql.trim().is_empty(), "{name}");
        }
    }

    #[test]
    fn foreign_keys_and_checks_are_enforced() {
        let db = SqliteDatabase::in_memory().unwrap();
        let orphan = Statement::new(
            "INSERT INTO businesses (slug, name, category_id, city, city_slug, state, created_at, updated_at)
             VALUES ('x', 'X Co', 999, 'Hugo', 'hugo', 'OK', 1, 1)",
        );
        assert!(
            block_on(db.execute(&orphan))
                .unwrap_err()
                .0
                .contains("FOREIGN KEY")
        );
        let bad_state = Statement::new(
            "INSERT INTO categories (slug, name, created_at, updated_at) VALUES ('c', 'C', 1, 1)",
        );
        block_on(db.execute(&bad_state)).unwrap();
        let kansas = Statement::new(
            "INSERT INTO businesses (slug, name, category_id, city, city_slug, state, created_at, updated_at)
             VALUES ('x', 'X Co', 1, 'Hugo', 'hugo', 'KS', 1, 1)",
        );
        assert!(
            block_on(db.execute(&kansas))
                .unwrap_err()
                .0
                .contains("CHECK")
        );
    }

    #[test]
    fn a_failing_batch_changes_nothing() {
        let db = SqliteDatabase::in_memory().unwrap();
        let good = Statement::new(
            "INSERT INTO categories (slug, name, created_at, updated_at) VALUES ('a', 'A', 1, 1)",
        );
        let bad = Statement::new(
            "INSERT INTO categories (slug, name, created_at, updated_at) VALUES ('a', 'A', 1, 1)",
        );
        assert!(block_on(db.batch(&[good, bad])).is_err());
        let count = block_on(fetch_integer(
            &db,
            &Statement::new("SELECT count(*) FROM categories"),
        ))
        .unwrap();
        assert_eq!(count, 0);
    }

    #[test]
    fn a_read_only_connection_cannot_write() {
        let path = temp_file("read-only");
        SqliteDatabase::open(&path)
            .unwrap()
            .apply_migrations()
            .unwrap();
        let reader = SqliteDatabase::open_read_only(&path).unwrap();
        assert_eq!(
            block_on(fetch_integer(
                &reader,
                &Statement::new("SELECT count(*) FROM categories")
            ))
            .unwrap(),
            0
        );
        let write = Statement::new(
            "INSERT INTO categories (slug, name, created_at, updated_at) VALUES ('a', 'A', 1, 1)",
        );
        assert!(block_on(reader.execute(&write)).is_err());
        drop(reader);
        std::fs::remove_file(&path).unwrap();
    }
}
