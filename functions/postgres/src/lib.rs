//! tokio-postgres under the domain's one Postgres implementation of the Sql port
//! (`herald::sql::pg::PgSql`). How the client is connected is the host's business (a TCP
//! socket natively, a Worker socket through Hyperdrive); this crate only adapts the client to
//! `PgConnection`: statements prepared by the server, values encoded by the types the domain
//! binds them to, rows read into values, errors into their SQLSTATE and message.

use std::error::Error;

use async_trait::async_trait;
use bytes::BytesMut;
use herald::sql::pg::{bind, Bound, PgConnection, PgError, PgRow, PgType, PgValue};
use herald::sql::{DbError, Value};
use tokio_postgres::types::{to_sql_checked, IsNull, ToSql, Type};
use tokio_postgres::{Client, Statement};

/// The Sql port over a tokio-postgres client.
pub type PgSql = herald::sql::pg::PgSql<TokioPg>;

/// A tokio-postgres client as a `PgConnection`. Requests polled together are pipelined.
pub struct TokioPg(pub Client);

/// The Sql port over `client`.
pub fn pg_sql(client: Client) -> PgSql {
    PgSql::new(TokioPg(client))
}

fn pg_type(ty: &Type) -> PgType {
    match *ty {
        Type::BOOL => PgType::Bool,
        Type::INT2 => PgType::Int2,
        Type::INT4 => PgType::Int4,
        Type::INT8 => PgType::Int8,
        Type::FLOAT4 => PgType::Float4,
        Type::FLOAT8 => PgType::Float8,
        Type::TEXT => PgType::Text,
        Type::VARCHAR => PgType::Varchar,
        Type::BPCHAR => PgType::Bpchar,
        Type::NAME => PgType::Name,
        Type::UNKNOWN => PgType::Unknown,
        ref other => PgType::Other(other.name().to_string()),
    }
}

/// A domain value, encoded as the domain binds it to the parameter's inferred type.
#[derive(Debug)]
struct Param<'a>(&'a Value);

impl ToSql for Param<'_> {
    fn to_sql(&self, ty: &Type, out: &mut BytesMut) -> Result<IsNull, Box<dyn Error + Sync + Send>> {
        match bind(self.0, Some(&pg_type(ty)))? {
            Bound::Null => Ok(IsNull::Yes),
            Bound::Bool(v) => v.to_sql(ty, out),
            Bound::Int2(v) => v.to_sql(ty, out),
            Bound::Int4(v) => v.to_sql(ty, out),
            Bound::Int8(v) => v.to_sql(ty, out),
            Bound::Float4(v) => v.to_sql(ty, out),
            Bound::Float8(v) => v.to_sql(ty, out),
            Bound::Text(v) => v.as_ref().to_sql(ty, out),
        }
    }

    fn accepts(_: &Type) -> bool {
        true
    }

    to_sql_checked!();
}

fn pg_error(e: tokio_postgres::Error) -> PgError {
    let message = e.as_db_error().map(|d| d.message().to_string()).unwrap_or_else(|| e.to_string());
    PgError::new(e.code().map(|c| c.code().to_string()), message)
}

/// A tokio-postgres error as the domain classifies it.
pub fn map_err(e: tokio_postgres::Error) -> DbError {
    pg_error(e).into()
}

/// One column of `row`, read by its type.
fn read(row: &tokio_postgres::Row, i: usize, ty: &Type) -> PgValue {
    fn got<T>(r: Result<Option<T>, tokio_postgres::Error>, f: impl FnOnce(T) -> PgValue) -> PgValue {
        match r {
            Ok(Some(v)) => f(v),
            Ok(None) => PgValue::Null,
            Err(e) => PgValue::Unreadable(e.to_string()),
        }
    }
    match pg_type(ty) {
        PgType::Bool => got(row.try_get::<_, Option<bool>>(i), PgValue::Bool),
        PgType::Int2 => got(row.try_get::<_, Option<i16>>(i), |v| PgValue::Int(v.into())),
        PgType::Int4 => got(row.try_get::<_, Option<i32>>(i), |v| PgValue::Int(v.into())),
        PgType::Int8 => got(row.try_get::<_, Option<i64>>(i), PgValue::Int),
        PgType::Float4 => got(row.try_get::<_, Option<f32>>(i), |v| PgValue::Float(v.into())),
        PgType::Float8 => got(row.try_get::<_, Option<f64>>(i), PgValue::Float),
        PgType::Text | PgType::Varchar | PgType::Bpchar | PgType::Name => {
            got(row.try_get::<_, Option<String>>(i), PgValue::Text)
        }
        other => PgValue::Unreadable(format!("unsupported type {other}")),
    }
}

fn values(row: &tokio_postgres::Row) -> PgRow {
    row.columns().iter().enumerate().map(|(i, col)| (col.name().to_string(), read(row, i, col.type_()))).collect()
}

fn params(values: &[Value]) -> Vec<Param<'_>> {
    values.iter().map(Param).collect()
}

fn as_refs<'a>(bound: &'a [Param<'a>]) -> Vec<&'a (dyn ToSql + Sync)> {
    bound.iter().map(|p| p as &(dyn ToSql + Sync)).collect()
}

#[async_trait(?Send)]
impl PgConnection for TokioPg {
    type Prepared = Statement;
    const PIPELINED: bool = true;

    async fn prepare(&self, sql: &str) -> Result<Statement, PgError> {
        self.0.prepare(sql).await.map_err(pg_error)
    }

    async fn simple(&self, sql: &str) -> Result<(), PgError> {
        self.0.batch_execute(sql).await.map_err(pg_error)
    }

    async fn query(&self, statement: &Statement, values: &[Value]) -> Result<Vec<PgRow>, PgError> {
        let bound = params(values);
        let rows = self.0.query(statement, &as_refs(&bound)).await.map_err(pg_error)?;
        Ok(rows.iter().map(self::values).collect())
    }

    async fn execute(&self, statement: &Statement, values: &[Value]) -> Result<u64, PgError> {
        let bound = params(values);
        self.0.execute(statement, &as_refs(&bound)).await.map_err(pg_error)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn integers_encode_at_the_inferred_width() {
        let mut out = BytesMut::new();
        assert!(Param(&Value::Int(7)).to_sql(&Type::INT4, &mut out).is_ok());
        assert_eq!(&out[..], &7i32.to_be_bytes());
        assert!(Param(&Value::Int(i64::MAX)).to_sql(&Type::INT4, &mut out).is_err());
        assert!(Param(&Value::Text("x".into())).to_sql(&Type::INT8, &mut out).is_err());
        assert!(matches!(Param(&Value::Null).to_sql(&Type::INT8, &mut out), Ok(IsNull::Yes)));
    }

    #[test]
    fn driver_types_map_onto_the_domains() {
        assert_eq!(pg_type(&Type::INT8), PgType::Int8);
        assert_eq!(pg_type(&Type::BPCHAR), PgType::Bpchar);
        assert_eq!(pg_type(&Type::TIMESTAMPTZ), PgType::Other("timestamptz".into()));
    }
}
