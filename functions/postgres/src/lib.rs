//! The Sql port over a tokio-postgres client. How the client is connected is the host's
//! business (a TCP socket natively, a Worker socket through Hyperdrive); everything after
//! that is here, once. Every statement and batch runs in a transaction that first sets the
//! tenant settings row-level security reads.

use std::cell::RefCell;
use std::collections::HashMap;
use std::error::Error;

use async_trait::async_trait;
use bytes::BytesMut;
use herald::sql::pg::{rewrite_placeholders, scope_settings};
use herald::sql::{DbError, Row, Scope, Sql, Statement as Stmt, Value};
use serde_json::{Map, Number, Value as Json};
use tokio_postgres::error::SqlState;
use tokio_postgres::types::{to_sql_checked, IsNull, ToSql, Type};
use tokio_postgres::{Client, Statement};

pub struct PgSql {
    client: Client,
    scope: RefCell<Scope>,
    prepared: RefCell<HashMap<String, Statement>>,
    /// One transaction at a time on this connection.
    lock: tokio::sync::Mutex<()>,
}

/// A domain value bound to whatever type Postgres inferred for the parameter.
#[derive(Debug)]
struct Param<'a>(&'a Value);

impl ToSql for Param<'_> {
    fn to_sql(&self, ty: &Type, out: &mut BytesMut) -> Result<IsNull, Box<dyn Error + Sync + Send>> {
        match self.0 {
            Value::Null => Ok(IsNull::Yes),
            Value::Int(i) => match *ty {
                Type::INT8 => i.to_sql(ty, out),
                Type::INT4 => i32::try_from(*i)?.to_sql(ty, out),
                Type::INT2 => i16::try_from(*i)?.to_sql(ty, out),
                Type::FLOAT8 => (*i as f64).to_sql(ty, out),
                Type::BOOL => (*i != 0).to_sql(ty, out),
                Type::TEXT | Type::VARCHAR => i.to_string().to_sql(ty, out),
                _ => Err(format!("cannot bind an integer to {ty}").into()),
            },
            Value::Real(f) => match *ty {
                Type::FLOAT8 => f.to_sql(ty, out),
                Type::FLOAT4 => (*f as f32).to_sql(ty, out),
                _ => Err(format!("cannot bind a real to {ty}").into()),
            },
            Value::Text(s) => match *ty {
                Type::TEXT | Type::VARCHAR | Type::BPCHAR | Type::NAME | Type::UNKNOWN => s.as_str().to_sql(ty, out),
                _ => Err(format!("cannot bind text to {ty}").into()),
            },
        }
    }

    fn accepts(_: &Type) -> bool {
        true
    }

    to_sql_checked!();
}

pub fn map_err(e: tokio_postgres::Error) -> DbError {
    let message = e.as_db_error().map(|d| d.message().to_string()).unwrap_or_else(|| e.to_string());
    match e.code() {
        Some(c) if *c == SqlState::UNIQUE_VIOLATION => DbError::Unique(message),
        Some(c) if c.code().starts_with("23") => DbError::Constraint(message),
        _ => DbError::Other(message),
    }
}

fn decode(row: &tokio_postgres::Row) -> Result<Row, DbError> {
    let mut map = Map::with_capacity(row.len());
    for (i, col) in row.columns().iter().enumerate() {
        let err = |e: tokio_postgres::Error| DbError::Decode(col.name().into(), e.to_string());
        let value = match *col.type_() {
            Type::BOOL => row.try_get::<_, Option<bool>>(i).map_err(err)?.map(Json::Bool),
            Type::INT2 => row.try_get::<_, Option<i16>>(i).map_err(err)?.map(|v| Json::Number(v.into())),
            Type::INT4 => row.try_get::<_, Option<i32>>(i).map_err(err)?.map(|v| Json::Number(v.into())),
            Type::INT8 => row.try_get::<_, Option<i64>>(i).map_err(err)?.map(|v| Json::Number(v.into())),
            Type::FLOAT4 => row
                .try_get::<_, Option<f32>>(i)
                .map_err(err)?
                .and_then(|v| Number::from_f64(v.into()))
                .map(Json::Number),
            Type::FLOAT8 => row.try_get::<_, Option<f64>>(i).map_err(err)?.and_then(Number::from_f64).map(Json::Number),
            Type::TEXT | Type::VARCHAR | Type::BPCHAR | Type::NAME => {
                row.try_get::<_, Option<String>>(i).map_err(err)?.map(Json::String)
            }
            ref other => return Err(DbError::Decode(col.name().into(), format!("unsupported type {other}"))),
        };
        map.insert(col.name().to_string(), value.unwrap_or(Json::Null));
    }
    Ok(Row(map))
}

/// Single quotes doubled: the settings are ids and hashes, but nothing is trusted.
fn literal(s: &str) -> String {
    format!("'{}'", s.replace('\'', "''"))
}

impl PgSql {
    pub fn new(client: Client) -> Self {
        Self {
            client,
            scope: RefCell::new(Scope::default()),
            prepared: RefCell::new(HashMap::new()),
            lock: tokio::sync::Mutex::new(()),
        }
    }

    async fn prepare(&self, sql: &str) -> Result<Statement, DbError> {
        if let Some(s) = self.prepared.borrow().get(sql) {
            return Ok(s.clone());
        }
        let statement = self.client.prepare(&rewrite_placeholders(sql)).await.map_err(map_err)?;
        self.prepared.borrow_mut().insert(sql.to_string(), statement.clone());
        Ok(statement)
    }

    /// BEGIN and the tenant settings in one round trip.
    async fn begin(&self) -> Result<(), DbError> {
        let scope = self.scope.borrow().clone();
        let sets: Vec<String> = scope_settings(&scope)
            .iter()
            .map(|(k, v)| format!("set_config({}, {}, true)", literal(k), literal(v)))
            .collect();
        self.client.batch_execute(&format!("BEGIN; SELECT {}", sets.join(", "))).await.map_err(map_err)
    }

    async fn finish<T>(&self, result: Result<T, DbError>) -> Result<T, DbError> {
        match result {
            Ok(v) => {
                self.client.batch_execute("COMMIT").await.map_err(map_err)?;
                Ok(v)
            }
            Err(e) => {
                // The statement's error is the one worth reporting.
                let _ = self.client.batch_execute("ROLLBACK").await;
                Err(e)
            }
        }
    }

    async fn run_query(&self, sql: &str, params: &[Value]) -> Result<Vec<Row>, DbError> {
        let statement = self.prepare(sql).await?;
        let bound: Vec<Param<'_>> = params.iter().map(Param).collect();
        let refs: Vec<&(dyn ToSql + Sync)> = bound.iter().map(|p| p as &(dyn ToSql + Sync)).collect();
        let rows = self.client.query(&statement, &refs).await.map_err(map_err)?;
        rows.iter().map(decode).collect()
    }

    async fn run_execute(&self, sql: &str, params: &[Value]) -> Result<u64, DbError> {
        let statement = self.prepare(sql).await?;
        let bound: Vec<Param<'_>> = params.iter().map(Param).collect();
        let refs: Vec<&(dyn ToSql + Sync)> = bound.iter().map(|p| p as &(dyn ToSql + Sync)).collect();
        self.client.execute(&statement, &refs).await.map_err(map_err)
    }
}

#[async_trait(?Send)]
impl Sql for PgSql {
    fn dialect(&self) -> herald::sql::Dialect {
        herald::sql::Dialect::Postgres
    }

    fn set_scope(&self, scope: Scope) {
        *self.scope.borrow_mut() = scope;
    }

    fn scope(&self) -> Scope {
        self.scope.borrow().clone()
    }

    async fn query(&self, sql: &str, params: &[Value]) -> Result<Vec<Row>, DbError> {
        let _one = self.lock.lock().await;
        self.begin().await?;
        let result = self.run_query(sql, params).await;
        self.finish(result).await
    }

    async fn execute(&self, sql: &str, params: &[Value]) -> Result<u64, DbError> {
        let _one = self.lock.lock().await;
        self.begin().await?;
        let result = self.run_execute(sql, params).await;
        self.finish(result).await
    }

    async fn batch(&self, statements: &[Stmt]) -> Result<Vec<u64>, DbError> {
        let _one = self.lock.lock().await;
        self.begin().await?;
        let mut changed = Vec::with_capacity(statements.len());
        let mut result = Ok(());
        for s in statements {
            match self.run_execute(&s.sql, &s.params).await {
                Ok(n) => changed.push(n),
                Err(e) => {
                    result = Err(e);
                    break;
                }
            }
        }
        self.finish(result.map(|()| changed)).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn literals_are_quoted() {
        assert_eq!(literal("a'b"), "'a''b'");
    }

    #[test]
    fn integers_bind_to_the_inferred_width() {
        let mut out = BytesMut::new();
        assert!(Param(&Value::Int(7)).to_sql(&Type::INT4, &mut out).is_ok());
        assert!(Param(&Value::Int(i64::MAX)).to_sql(&Type::INT4, &mut out).is_err());
        assert!(Param(&Value::Text("x".into())).to_sql(&Type::INT8, &mut out).is_err());
        assert!(matches!(Param(&Value::Null).to_sql(&Type::INT8, &mut out), Ok(IsNull::Yes)));
    }
}
