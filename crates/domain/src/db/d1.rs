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
        let result = self.prepare(statement)?.all().await.map_err(err)?;
        result.results::<Row>().map_err(err)
    }

    async fn execute(&self, statement: &Statement) -> DbResult<()> {
        self.prepare(statement)?.run().await.map_err(err)?;
        Ok(())
    }

    async fn batch(&self, statements: &[Statement]) -> DbResult<()> {
        let prepared = statements
            .iter()
            .map(|s| self.prepare(s))
            .collect::<DbResult<Vec<_>>>()?;
        self.0.batch(prepared).await.map_err(err)?;
        Ok(())
    }
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
