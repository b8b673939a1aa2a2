//! D1 databases of the fake: each one a real SQLite file, so migrations, queries and their
//! errors behave as SQLite (and so D1) makes them. Time Travel keeps a copy of the file per
//! bookmark handed out, so a restore really puts the data back; exports are SQL dumps of
//! the ordinary tables, refusing virtual tables as D1 does.

use rusqlite::types::ValueRef;
use rusqlite::{Connection, params_from_iter};
use serde_json::{Map, Value, json};
use std::path::{Path, PathBuf};

pub struct Database {
    pub uuid: String,
    pub name: String,
    pub created_at: String,
    file: PathBuf,
    connection: Connection,
    /// Bookmarks handed out, oldest first, each with the copy of the file it names.
    bookmarks: Vec<(String, PathBuf)>,
}

impl Database {
    pub fn create(dir: &Path, uuid: &str, name: &str, created_at: &str) -> Result<Self, String> {
        let file = dir.join(format!("{uuid}.sqlite"));
        let connection = Connection::open(&file).map_err(|e| e.to_string())?;
        Ok(Self {
            uuid: uuid.to_owned(),
            name: name.to_owned(),
            created_at: created_at.to_owned(),
            file,
            connection,
            bookmarks: Vec::new(),
        })
    }

    /// The database as the D1 API describes it.
    pub fn info(&self) -> Value {
        let tables: i64 = self
            .connection
            .query_row(
                "SELECT count(*) FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite_%'",
                [],
                |row| row.get(0),
            )
            .unwrap_or(0);
        let size = std::fs::metadata(&self.file).map_or(0, |m| m.len());
        json!({
            "uuid": self.uuid,
            "name": self.name,
            "created_at": self.created_at,
            "version": "production",
            "num_tables": tables,
            "file_size": size,
            "running_in_region": "ENAM",
        })
    }

    /// Runs every statement of `sql` (binding `params` to the first) and returns one D1
    /// result per statement, or SQLite's error. The statements of one query are atomic, as
    /// on D1: a failing one undoes those before it (so a failed migration leaves nothing).
    pub fn query(&mut self, sql: &str, params: &[Value]) -> Result<Vec<Value>, String> {
        self.connection
            .execute_batch("SAVEPOINT d1_query")
            .map_err(|e| e.to_string())?;
        match self.statements(sql, params) {
            Ok(results) => {
                self.connection
                    .execute_batch("RELEASE d1_query")
                    .map_err(|e| e.to_string())?;
                Ok(results)
            }
            Err(err) => {
                self.connection
                    .execute_batch("ROLLBACK TO d1_query; RELEASE d1_query")
                    .map_err(|e| format!("{err}; rolling back: {e}"))?;
                Err(err)
            }
        }
    }

    fn statements(&mut self, sql: &str, params: &[Value]) -> Result<Vec<Value>, String> {
        let mut results = Vec::new();
        let mut rest = sql;
        let mut first = true;
        while !rest.trim().is_empty() {
            let (statement_sql, tail) = split_statement(rest);
            rest = tail;
            if statement_sql.trim().trim_end_matches(';').trim().is_empty() {
                continue;
            }
            let bound: Vec<rusqlite::types::Value> = if first {
                params.iter().map(to_sql_value).collect()
            } else {
                Vec::new()
            };
            first = false;
            let started = std::time::Instant::now();
            let changes_before = self.connection.total_changes();
            let mut statement = self
                .connection
                .prepare(statement_sql)
                .map_err(|e| format!("{e}: SQLITE_ERROR"))?;
            let names: Vec<String> = statement.column_names().map(str::to_owned).collect();
            let mut rows = statement
                .query(params_from_iter(bound.iter()))
                .map_err(|e| format!("{e}: SQLITE_ERROR"))?;
            let mut out = Vec::new();
            while let Some(row) = rows.next().map_err(|e| format!("{e}: SQLITE_ERROR"))? {
                let mut object = Map::new();
                for (i, name) in names.iter().enumerate() {
                    object.insert(name.clone(), from_sql_value(row.get_ref(i).ok()));
                }
                out.push(Value::Object(object));
            }
            drop(rows);
            drop(statement);
            let changes = self.connection.total_changes() - changes_before;
            results.push(json!({
                "results": out,
                "success": true,
                "meta": {
                    "changed_db": changes > 0,
                    "changes": changes,
                    "duration": started.elapsed().as_secs_f64() * 1000.0,
                    "last_row_id": self.connection.last_insert_rowid(),
                    "rows_read": out.len(),
                    "rows_written": changes,
                    "size_after": std::fs::metadata(&self.file).map_or(0, |m| m.len()),
                },
            }));
        }
        Ok(results)
    }

    /// Hands out a bookmark for the current state, keeping a copy of the data it names.
    pub fn bookmark(&mut self) -> Result<String, String> {
        let n = self.bookmarks.len() + 1;
        let bookmark = format!("{n:08x}-00000000-00004f6d-{}", self.uuid.replace('-', ""));
        let copy = self.file.with_extension(format!("bookmark-{n}.sqlite"));
        self.connection
            .execute("VACUUM INTO ?1", [copy.to_string_lossy()])
            .map_err(|e| e.to_string())?;
        self.bookmarks.push((bookmark.clone(), copy));
        Ok(bookmark)
    }

    /// Puts the data back as it was at `bookmark`; returns the bookmark of the state it
    /// replaced.
    pub fn restore(&mut self, bookmark: &str) -> Result<String, String> {
        let copy = self
            .bookmarks
            .iter()
            .find(|(b, _)| b == bookmark)
            .map(|(_, copy)| copy.clone())
            .ok_or_else(|| format!("bookmark {bookmark} not found"))?;
        let previous = self.bookmark()?;
        // Close the file before replacing it.
        self.connection = Connection::open_in_memory().map_err(|e| e.to_string())?;
        std::fs::copy(&copy, &self.file).map_err(|e| e.to_string())?;
        self.connection = Connection::open(&self.file).map_err(|e| e.to_string())?;
        Ok(previous)
    }

    /// A SQL dump of `tables` (all ordinary tables when empty): schema unless `no_schema`,
    /// then rows. Virtual tables cannot be exported, as on D1.
    pub fn export(&self, tables: &[String], no_schema: bool) -> Result<String, String> {
        let mut statement = self
            .connection
            .prepare(
                "SELECT name, sql FROM sqlite_schema WHERE type = 'table' \
                 AND name NOT LIKE 'sqlite_%' ORDER BY rowid",
            )
            .map_err(|e| e.to_string())?;
        let all: Vec<(String, String)> = statement
            .query_map([], |row| Ok((row.get(0)?, row.get(1)?)))
            .map_err(|e| e.to_string())?
            .collect::<Result<_, _>>()
            .map_err(|e| e.to_string())?;
        let virtual_tables: Vec<&str> = all
            .iter()
            .filter(|(_, sql)| sql.to_ascii_uppercase().starts_with("CREATE VIRTUAL TABLE"))
            .map(|(name, _)| name.as_str())
            .collect();
        let chosen: Vec<&(String, String)> = if tables.is_empty() {
            all.iter().collect()
        } else {
            tables
                .iter()
                .map(|t| {
                    all.iter()
                        .find(|(name, _)| name == t)
                        .ok_or_else(|| format!("no such table: {t}"))
                })
                .collect::<Result<_, _>>()?
        };
        if let Some((name, _)) = chosen.iter().find(|(name, _)| {
            virtual_tables
                .iter()
                .any(|v| name == v || name.starts_with(&format!("{v}_")))
        }) {
            return Err(format!(
                "Export is not supported for virtual tables ({name}): SQLITE_ERROR"
            ));
        }
        let mut dump = String::from("PRAGMA defer_foreign_keys=TRUE;\n");
        for (name, sql) in &chosen {
            if !no_schema {
                dump.push_str(sql);
                dump.push_str(";\n");
            }
            let mut rows = self
                .connection
                .prepare(&format!("SELECT * FROM \"{name}\""))
                .map_err(|e| e.to_string())?;
            let columns = rows.column_count();
            let mut cursor = rows.query([]).map_err(|e| e.to_string())?;
            while let Some(row) = cursor.next().map_err(|e| e.to_string())? {
                let values: Vec<String> = (0..columns)
                    .map(|i| sql_literal(row.get_ref(i).ok()))
                    .collect();
                dump.push_str(&format!(
                    "INSERT INTO \"{name}\" VALUES({});\n",
                    values.join(",")
                ));
            }
        }
        Ok(dump)
    }
}

/// The first complete statement of `sql` and the rest, using SQLite's own notion of
/// completeness (so `;` inside strings and trigger bodies does not split).
fn split_statement(sql: &str) -> (&str, &str) {
    let mut end = 0;
    for (i, c) in sql.char_indices() {
        if c == ';' && is_complete(&sql[..=i]) {
            end = i + 1;
            break;
        }
    }
    if end == 0 {
        (sql, "")
    } else {
        (&sql[..end], &sql[end..])
    }
}

fn is_complete(sql: &str) -> bool {
    let Ok(c_sql) = std::ffi::CString::new(sql) else {
        return false;
    };
    // SAFETY: sqlite3_complete only reads the NUL-terminated string it is given.
    unsafe { rusqlite::ffi::sqlite3_complete(c_sql.as_ptr()) != 0 }
}

fn to_sql_value(value: &Value) -> rusqlite::types::Value {
    use rusqlite::types::Value as V;
    match value {
        Value::Null => V::Null,
        Value::Bool(b) => V::Integer(i64::from(*b)),
        Value::Number(n) => n
            .as_i64()
            .map(V::Integer)
            .unwrap_or_else(|| V::Real(n.as_f64().unwrap_or(0.0))),
        Value::String(s) => V::Text(s.clone()),
        other => V::Text(other.to_string()),
    }
}

fn from_sql_value(value: Option<ValueRef<'_>>) -> Value {
    match value {
        None | Some(ValueRef::Null) => Value::Null,
        Some(ValueRef::Integer(i)) => json!(i),
        Some(ValueRef::Real(f)) => json!(f),
        Some(ValueRef::Text(t)) => json!(String::from_utf8_lossy(t)),
        Some(ValueRef::Blob(b)) => json!(b),
    }
}

fn sql_literal(value: Option<ValueRef<'_>>) -> String {
    match value {
        None | Some(ValueRef::Null) => "NULL".into(),
        Some(ValueRef::Integer(i)) => i.to_string(),
        Some(ValueRef::Real(f)) => f.to_string(),
        Some(ValueRef::Text(t)) => format!("'{}'", String::from_utf8_lossy(t).replace('\'', "''")),
        Some(ValueRef::Blob(b)) => format!(
            "X'{}'",
            b.iter().map(|x| format!("{x:02x}")).collect::<String>()
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn database() -> (tempfile::TempDir, Database) {
        let dir = tempfile::tempdir().unwrap();
        let db =
            Database::create(dir.path(), "uuid-1", "kbc-test", "2026-01-01T00:00:00Z").unwrap();
        (dir, db)
    }

    fn count(db: &mut Database, table: &str) -> Value {
        db.query(&format!("SELECT count(*) AS n FROM {table}"), &[])
            .unwrap()[0]["results"][0]["n"]
            .clone()
    }

    #[test]
    fn a_query_answers_one_result_per_statement_in_d1s_shape() {
        let (_dir, mut db) = database();

        let results = db
            .query(
                "CREATE TABLE t (x INTEGER); INSERT INTO t VALUES (7); SELECT x FROM t;",
                &[],
            )
            .unwrap();

        assert_eq!(results.len(), 3);
        assert_eq!(results[2]["results"], json!([{"x": 7}]));
        assert_eq!(results[1]["meta"]["changes"], 1);
        assert_eq!(results[0]["success"], true);
        let bound = db
            .query("SELECT x FROM t WHERE x = ?1", &[json!(7)])
            .unwrap();
        assert_eq!(bound[0]["results"], json!([{"x": 7}]));
    }

    #[test]
    fn a_failing_statement_undoes_the_whole_query() {
        let (_dir, mut db) = database();
        db.query("CREATE TABLE t (x INTEGER NOT NULL)", &[])
            .unwrap();

        let err = db.query(
            "INSERT INTO t VALUES (1); INSERT INTO t VALUES (NULL);",
            &[],
        );

        assert!(err.unwrap_err().contains("NOT NULL"));
        assert_eq!(count(&mut db, "t"), 0);
    }

    #[test]
    fn semicolons_inside_strings_and_triggers_do_not_split_statements() {
        let (_dir, mut db) = database();

        let results = db
            .query(
                "CREATE TABLE t (x TEXT); CREATE TABLE log (x TEXT);
                 CREATE TRIGGER t_log AFTER INSERT ON t BEGIN INSERT INTO log VALUES (new.x); END;
                 INSERT INTO t VALUES ('a;b');",
                &[],
            )
            .unwrap();

        assert_eq!(results.len(), 4);
        assert_eq!(
            db.query("SELECT x FROM log", &[]).unwrap()[0]["results"],
            json!([{"x": "a;b"}])
        );
    }

    #[test]
    fn restoring_a_bookmark_brings_the_data_back_and_names_the_state_it_replaced() {
        let (_dir, mut db) = database();
        db.query("CREATE TABLE t (x INTEGER); INSERT INTO t VALUES (1);", &[])
            .unwrap();
        let bookmark = db.bookmark().unwrap();
        db.query(
            "INSERT INTO t VALUES (2); DROP TABLE t; CREATE TABLE u (y INTEGER);",
            &[],
        )
        .unwrap();

        let previous = db.restore(&bookmark).unwrap();

        assert_eq!(count(&mut db, "t"), 1);
        assert!(db.query("SELECT * FROM u", &[]).is_err());
        assert_ne!(previous, bookmark);
    }

    #[test]
    fn exports_refuse_virtual_tables_and_dump_rows_of_ordinary_ones() {
        let (_dir, mut db) = database();
        db.query(
            "CREATE TABLE t (x TEXT); INSERT INTO t VALUES ('it''s'); CREATE VIRTUAL TABLE s USING fts5(x);",
            &[],
        )
        .unwrap();

        assert!(db.export(&[], false).unwrap_err().contains("virtual"));
        let rows = db.export(&["t".to_owned()], true).unwrap();
        assert!(
            rows.contains("INSERT INTO \"t\" VALUES('it''s');"),
            "{rows}"
        );
        assert!(!rows.contains("CREATE TABLE"));
    }
}
