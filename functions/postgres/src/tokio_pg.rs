//! The tokio-postgres driver. How the client is connected is the host's business (a TCP socket
//! natively, a Worker socket through Hyperdrive); prepared statements are kept per connection,
//! and a transaction travels in as few round trips as pipelining allows.

use std::cell::RefCell;
use std::collections::HashMap;
use std::error::Error;

use async_trait::async_trait;
use bytes::BytesMut;
use futures_util::future::{join_all, try_join_all};
use herald::sql::{DbError, Raw, Row, Value};
use serde_json::{Map, Number, Value as Json};
use tokio_postgres::error::SqlState;
use tokio_postgres::types::{to_sql_checked, IsNull, ToSql, Type};
use tokio_postgres::{Client, Statement};

use crate::{Answer, PgConnection, PgSql, Step};

/// One tokio-postgres connection and the statements prepared on it (keyed by their text).
pub struct TokioPg {
    client: Client,
    prepared: RefCell<HashMap<String, Statement>>,
}

impl TokioPg {
    pub fn new(client: Client) -> Self {
        Self { client, prepared: RefCell::new(HashMap::new()) }
    }

    pub fn client(&self) -> &Client {
        &self.client
    }
}

impl PgSql<TokioPg> {
    /// The Sql port over a connected tokio-postgres client.
    pub fn new(client: Client) -> Self {
        PgSql::over(TokioPg::new(client))
    }
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

impl TokioPg {
    async fn prepare(&self, sql: &str) -> Result<Statement, DbError> {
        if let Some(s) = self.prepared.borrow().get(sql) {
            return Ok(s.clone());
        }
        let statement = self.client.prepare(sql).await.map_err(map_err)?;
        self.prepared.borrow_mut().insert(sql.to_string(), statement.clone());
        Ok(statement)
    }

    async fn step(&self, statement: &Statement, step: &Step<'_>) -> Result<Answer, DbError> {
        match step {
            Step::Query(_, params) => {
                let bound = bind(params);
                let rows = self.client.query(statement, &as_refs(&bound)).await.map_err(map_err)?;
                rows.iter().map(decode).collect::<Result<_, _>>().map(Answer::Rows)
            }
            Step::Execute(_, params) => {
                let bound = bind(params);
                self.client.execute(statement, &as_refs(&bound)).await.map(Answer::Changed).map_err(map_err)
            }
        }
    }
}

fn text<'a>(step: &'a Step<'_>) -> &'a str {
    match step {
        Step::Query(sql, _) | Step::Execute(sql, _) => sql,
    }
}

/// Each value bound to the type Postgres inferred for its parameter.
fn bind(params: &[Value]) -> Vec<Param<'_>> {
    params.iter().map(Param).collect()
}

fn as_refs<'a>(bound: &'a [Param<'a>]) -> Vec<&'a (dyn ToSql + Sync)> {
    bound.iter().map(|p| p as &(dyn ToSql + Sync)).collect()
}

/// Without parameters a statement goes as a simple query (DDL, BEGIN, the migrators' lock).
#[async_trait(?Send)]
impl Raw for TokioPg {
    async fn exec(&self, sql: &str, params: &[Value]) -> Result<u64, DbError> {
        if params.is_empty() {
            return self.client.batch_execute(sql).await.map(|()| 0).map_err(map_err);
        }
        let bound = bind(params);
        self.client.execute(sql, &as_refs(&bound)).await.map_err(map_err)
    }

    async fn rows(&self, sql: &str, params: &[Value]) -> Result<Vec<Row>, DbError> {
        let bound = bind(params);
        let rows = self.client.query(sql, &as_refs(&bound)).await.map_err(map_err)?;
        rows.iter().map(decode).collect()
    }
}

#[async_trait(?Send)]
impl PgConnection for TokioPg {
    /// In as few round trips as tokio-postgres's pipelining allows (requests polled together on
    /// one connection travel together): one when every statement is already prepared (BEGIN
    /// with the settings, the statements and COMMIT at once), else two (BEGIN with the
    /// prepares, then the statements with COMMIT; a Hyperdrive connection is new for every
    /// invocation). After a failed statement Postgres answers the COMMIT with a rollback, so
    /// the first error is the outcome and nothing was written.
    async fn transaction(&self, setup: &str, steps: &[Step<'_>]) -> Result<Vec<Answer>, DbError> {
        let begin = format!("BEGIN; {setup}");
        let begin = async { self.client.batch_execute(&begin).await.map_err(map_err) };
        // Every statement in flight at once, in order; after the first failure the others
        // fail too (the transaction is aborted) and the first error is the one reported.
        let work = |prepared: Vec<Statement>| async move {
            let runs = join_all(prepared.iter().zip(steps).map(|(st, step)| self.step(st, step))).await;
            runs.into_iter().collect::<Result<Vec<Answer>, DbError>>()
        };
        let cached: Option<Vec<Statement>> = {
            let prepared = self.prepared.borrow();
            steps.iter().map(|s| prepared.get(text(s)).cloned()).collect()
        };
        let (result, committed) = match cached {
            Some(statements) => {
                let (began, result, committed) =
                    futures_util::join!(begin, work(statements), self.client.batch_execute("COMMIT"));
                (began.and(result), committed)
            }
            None => {
                let (began, prepared) =
                    futures_util::join!(begin, try_join_all(steps.iter().map(|s| self.prepare(text(s)))));
                match began.and(prepared) {
                    Ok(statements) => futures_util::join!(work(statements), self.client.batch_execute("COMMIT")),
                    Err(e) => (Err(e), Ok(())),
                }
            }
        };
        match (result, committed) {
            (Ok(v), Ok(())) => Ok(v),
            (Err(e), _) => {
                // Rolled back by the COMMIT already, unless it never ran: said again.
                let _ = self.client.batch_execute("ROLLBACK").await;
                Err(e)
            }
            (Ok(_), Err(e)) => Err(map_err(e)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn integers_bind_to_the_inferred_width() {
        let mut out = BytesMut::new();
        assert!(Param(&Value::Int(7)).to_sql(&Type::INT4, &mut out).is_ok());
        assert!(Param(&Value::Int(i64::MAX)).to_sql(&Type::INT4, &mut out).is_err());
        assert!(Param(&Value::Text("x".into())).to_sql(&Type::INT8, &mut out).is_err());
        assert!(matches!(Param(&Value::Null).to_sql(&Type::INT8, &mut out), Ok(IsNull::Yes)));
    }
}
