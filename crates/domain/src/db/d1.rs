//! The wasm32 executor: Cloudflare D1 through `worker`'s bindings.

use super::{Database, DbError, DbResult, Row, Statement, Value};
use worker::{D1Database, D1PreparedStatement, wasm_bindgen::JsValue};

pub struct D1(pub D1Database);

impl D1 {
    fn prepare(&self, statement: &Statement) -> DbResult<D1PreparedStatement> {
        let values: Vec<JsValue> = statement.params.iter().map(to_js).collect();
        self.0.prepare(&statement.sql).bind(&values).map_err(err)
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
            self.0.batch(prepared).await.map_err(err)
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
