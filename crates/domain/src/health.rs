//! What `/health` reports about the database.

use crate::db::{Database, Statement, fetch_integer};

/// Whether the database answers and how many migrations it has applied.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct DatabaseHealth {
    pub reachable: bool,
    pub migrations_applied: i64,
}

pub async fn check(db: &impl Database) -> DatabaseHealth {
    match fetch_integer(db, &Statement::new("SELECT count(*) FROM d1_migrations")).await {
        Ok(count) => DatabaseHealth {
            reachable: true,
            migrations_applied: count,
        },
        Err(_) => DatabaseHealth {
            reachable: false,
            migrations_applied: 0,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::db::sqlite::{MIGRATIONS, SqliteDatabase};
    use pollster::block_on;
    use std::path::Path;

    #[test]
    fn a_migrated_database_is_reachable_with_every_migration_counted() {
        let db = SqliteDatabase::in_memory().unwrap();
        let health = block_on(check(&db));
        assert_eq!(
            health,
            DatabaseHealth {
                reachable: true,
                migrations_applied: MIGRATIONS.len() as i64
            }
        );
    }

    #[test]
    fn an_unmigrated_database_is_reported_unreachable_not_panicking() {
        let db = SqliteDatabase::open(Path::new(":memory:")).unwrap();
        assert!(!block_on(check(&db)).reachable);
    }
}
