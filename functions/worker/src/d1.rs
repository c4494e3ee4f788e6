//! The Sql port over D1. D1 speaks SQLite with `?N` placeholders and runs a batch atomically;
//! it hands numbers over as JavaScript doubles.

use async_trait::async_trait;
use herald::sql::{DbError, Row, Sql, Statement, Value};
use serde_json::{Map, Value as Json};
use wasm_bindgen::JsValue;
use worker::d1::{D1Database, D1PreparedStatement, D1Result};

pub struct D1Sql {
    db: D1Database,
}

impl D1Sql {
    pub fn new(db: D1Database) -> Self {
        Self { db }
    }

    fn prepare(&self, sql: &str, params: &[Value]) -> Result<D1PreparedStatement, DbError> {
        let values: Vec<JsValue> = params.iter().map(to_js).collect();
        self.db.prepare(sql).bind(&values).map_err(map_err)
    }
}

fn to_js(v: &Value) -> JsValue {
    match v {
        Value::Null => JsValue::NULL,
        Value::Int(i) => JsValue::from_f64(*i as f64),
        Value::Real(f) => JsValue::from_f64(*f),
        Value::Text(s) => JsValue::from_str(s),
    }
}

/// D1 reports constraint failures as text from SQLite.
pub fn map_err(e: worker::Error) -> DbError {
    classify(&e.to_string())
}

pub fn classify(message: &str) -> DbError {
    if message.contains("UNIQUE constraint failed") || message.contains("PRIMARYKEY") {
        DbError::Unique(message.to_string())
    } else if message.contains("constraint failed") {
        DbError::Constraint(message.to_string())
    } else {
        DbError::Other(message.to_string())
    }
}

fn changes(r: &D1Result) -> Result<u64, DbError> {
    Ok(r.meta().map_err(map_err)?.and_then(|m| m.changes).unwrap_or(0) as u64)
}

#[async_trait(?Send)]
impl Sql for D1Sql {
    async fn query(&self, sql: &str, params: &[Value]) -> Result<Vec<Row>, DbError> {
        let result = self.prepare(sql, params)?.all().await.map_err(map_err)?;
        let rows: Vec<Map<String, Json>> = result.results().map_err(map_err)?;
        Ok(rows.into_iter().map(Row).collect())
    }

    async fn execute(&self, sql: &str, params: &[Value]) -> Result<u64, DbError> {
        let result = self.prepare(sql, params)?.run().await.map_err(map_err)?;
        changes(&result)
    }

    async fn batch(&self, statements: &[Statement]) -> Result<Vec<u64>, DbError> {
        let prepared = statements.iter().map(|s| self.prepare(&s.sql, &s.params)).collect::<Result<Vec<_>, _>>()?;
        let results = self.db.batch(prepared).await.map_err(map_err)?;
        results.iter().map(changes).collect()
    }

    async fn reads(&self, statements: &[Statement]) -> Result<Vec<Vec<Row>>, DbError> {
        let prepared = statements.iter().map(|s| self.prepare(&s.sql, &s.params)).collect::<Result<Vec<_>, _>>()?;
        let results = self.db.batch(prepared).await.map_err(map_err)?;
        results
            .iter()
            .map(|r| Ok(r.results::<Map<String, Json>>().map_err(map_err)?.into_iter().map(Row).collect()))
            .collect()
    }
}
