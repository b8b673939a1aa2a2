//! The wasm32 executor: Cloudflare D1 through `worker`'s bindings, either the database
//! itself (writes go to the primary) or a read session that may be answered by the nearest
//! read replica (D1 read replication, the Sessions API).

use super::{Database, DbError, DbResult, Row, Statement, Value};
use worker::{
    D1Database, D1DatabaseSession, D1PreparedStatement, D1Result, D1SessionConstraint,
    wasm_bindgen::JsValue,
};

pub enum D1 {
    Primary(D1Database),
    /// Sequentially consistent within one request; its first query may go to any replica.
    Session(D1DatabaseSession),
}

impl D1 {
    /// A session for a request that only reads public data: any replica may answer. Where
    /// the runtime has no sessions, the database itself.
    pub fn reading(database: D1Database) -> Self {
        match database.with_session_constraint(D1SessionConstraint::FirstUnconstrained) {
            Ok(session) => Self::Session(session),
            Err(_) => Self::Primary(database),
        }
    }

    fn prepare(&self, statement: &Statement) -> DbResult<D1PreparedStatement> {
        let values: Vec<JsValue> = statement.params.iter().map(to_js).collect();
        let prepared = match self {
            Self::Primary(db) => db.prepare(&statement.sql),
            Self::Session(session) => session.prepare(&statement.sql),
        };
        prepared.bind(&values).map_err(err)
    }

    async fn run_batch(&self, prepared: Vec<D1PreparedStatement>) -> DbResult<Vec<D1Result>> {
        match self {
            Self::Primary(db) => db.batch(prepared).await,
            Self::Session(session) => session.batch(prepared).await,
        }
        .map_err(err)
    }
}

impl Database for D1 {
    async fn query(&self, statement: &Statement) -> DbResult<Vec<Row>> {
        let result =
            retry_while_locked(|| async { self.prepare(statement)?.all().await.map_err(err) })
                .await?;
        result.results::<Row>().map_err(err)
    }

    async fn execute(&self, statement: &Statement) -> DbResult<()> {
        retry_while_locked(|| async { self.prepare(statement)?.run().await.map_err(err) }).await?;
        Ok(())
    }

    async fn batch(&self, statements: &[Statement]) -> DbResult<()> {
        retry_while_locked(|| async {
            let prepared = statements
                .iter()
                .map(|s| self.prepare(s))
                .collect::<DbResult<Vec<_>>>()?;
            self.run_batch(prepared).await
        })
        .await?;
        Ok(())
    }
}

/// Retries a statement that failed because the database file was locked, with a short
/// backoff. A locked database ran nothing, so a retry cannot apply anything twice. In
/// production one Durable Object serializes D1; locally several workerd processes share
/// one SQLite file and briefly lock each other out.
async fn retry_while_locked<T, F, Fut>(mut attempt: F) -> DbResult<T>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = DbResult<T>>,
{
    const ATTEMPTS: u32 = 8;
    let mut wait_ms = 4;
    let mut tries = 1;
    loop {
        match attempt().await {
            Err(DbError(message)) if tries < ATTEMPTS && is_locked(&message) => {
                worker::Delay::from(std::time::Duration::from_millis(wait_ms)).await;
                wait_ms *= 3;
                tries += 1;
            }
            outcome => return outcome,
        }
    }
}

fn is_locked(message: &str) -> bool {
    message.contains("SQLITE_BUSY") || message.contains("database is locked")
}

fn to_js(value: &Value) -> JsValue {
    match value {
        Value::Null => JsValue::NULL,
        Value::Integer(v) => JsValue::from_f64(*v as f64),
        Value::Real(v) => JsValue::from_f64(*v),
        Value::Text(v) => JsValue::from_str(v),
    }
}

fn err(e: worker::Error) -> DbError {
    DbError(e.to_string())
}
