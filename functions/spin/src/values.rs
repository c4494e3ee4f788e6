//! Between the Sql port and the SDK's types: parameters out, rows in, errors mapped onto
//! `DbError`. Pure functions over the SDK's plain data types, tested natively.

use herald::sql::{DbError, Row, Value};
use serde_json::{Map, Number, Value as Json};
use spin_sdk::pg::{Column, DbValue, ParameterValue, PgError, QueryError};
use spin_sdk::sqlite;

// ── SQLite ──────────────────────────────────────────────────────────────────────────────

pub fn sqlite_param(v: &Value) -> sqlite::Value {
    match v {
        Value::Null => sqlite::Value::Null,
        Value::Int(i) => sqlite::Value::Integer(*i),
        Value::Real(f) => sqlite::Value::Real(*f),
        Value::Text(s) => sqlite::Value::Text(s.clone()),
    }
}

/// The same JSON the native rusqlite adapter produces.
pub fn sqlite_json(v: sqlite::Value) -> Json {
    match v {
        sqlite::Value::Null => Json::Null,
        sqlite::Value::Integer(i) => Json::Number(i.into()),
        sqlite::Value::Real(f) => Number::from_f64(f).map_or(Json::Null, Json::Number),
        sqlite::Value::Text(t) => Json::String(t),
        sqlite::Value::Blob(b) => Json::Array(b.into_iter().map(|x| Json::Number(x.into())).collect()),
    }
}

pub fn sqlite_row(columns: &[String], values: Vec<sqlite::Value>) -> Row {
    Row(columns.iter().cloned().zip(values.into_iter().map(sqlite_json)).collect())
}

/// Spin's SQLite reports everything SQLite says as text (`io`), as D1 does.
pub fn sqlite_error(e: sqlite::Error) -> DbError {
    match e {
        sqlite::Error::Io(message) => classify_sqlite(&message),
        sqlite::Error::NoSuchDatabase => DbError::Other("no such database (is it in sqlite_databases?)".into()),
        sqlite::Error::AccessDenied => DbError::Other("access to the database denied".into()),
        sqlite::Error::InvalidConnection => DbError::Other("invalid connection".into()),
        sqlite::Error::DatabaseFull => DbError::Other("database full".into()),
    }
}

pub fn classify_sqlite(message: &str) -> DbError {
    if message.contains("UNIQUE constraint failed") || message.contains("PRIMARY KEY constraint failed") {
        DbError::Unique(message.to_string())
    } else if message.contains("constraint failed") {
        DbError::Constraint(message.to_string())
    } else {
        DbError::Other(message.to_string())
    }
}

// ── Postgres ────────────────────────────────────────────────────────────────────────────

/// `sql` with every integer parameter's placeholder cast to BIGINT (`$3::int8`). Spin's pg
/// sends an integer as BIGINT whatever type Postgres infers for its placeholder, and refuses
/// where it infers INTEGER (`$3 = 0`); the other drivers adapt the value to the inferred type.
pub fn pg_typed(sql: &str, params: &[Value]) -> String {
    herald::sql::pg::cast_placeholders(sql, |i| matches!(params.get(i), Some(Value::Int(_))).then_some("int8"))
}

/// Integers go as BIGINT: Herald's Postgres schema stores every integer as BIGINT.
pub fn pg_param(v: &Value) -> ParameterValue {
    match v {
        Value::Null => ParameterValue::DbNull,
        Value::Int(i) => ParameterValue::Int64(*i),
        Value::Real(f) => ParameterValue::Floating64(*f),
        Value::Text(s) => ParameterValue::Str(s.clone()),
    }
}

fn number(f: f64) -> Json {
    Number::from_f64(f).map_or(Json::Null, Json::Number)
}

fn array<T>(items: Vec<Option<T>>, f: impl Fn(T) -> Json) -> Json {
    Json::Array(items.into_iter().map(|x| x.map_or(Json::Null, &f)).collect())
}

/// One Postgres value as the JSON every adapter hands the domain: numbers as numbers, text
/// as strings, dates and times as ISO 8601 text, decimals as text (`Row::opt_int` parses
/// them), JSONB as the document.
pub fn pg_json(column: &str, v: DbValue) -> Result<Json, DbError> {
    let decode = |what: &str| DbError::Decode(column.into(), what.into());
    Ok(match v {
        DbValue::DbNull => Json::Null,
        DbValue::Boolean(b) => Json::Bool(b),
        DbValue::Int8(i) => Json::Number(i.into()),
        DbValue::Int16(i) => Json::Number(i.into()),
        DbValue::Int32(i) => Json::Number(i.into()),
        DbValue::Int64(i) => Json::Number(i.into()),
        DbValue::Floating32(f) => number(f.into()),
        DbValue::Floating64(f) => number(f),
        DbValue::Str(s) | DbValue::Uuid(s) | DbValue::Decimal(s) => Json::String(s),
        DbValue::Binary(b) => Json::Array(b.into_iter().map(|x| Json::Number(x.into())).collect()),
        DbValue::Date((y, m, d)) => Json::String(format!("{y:04}-{m:02}-{d:02}")),
        DbValue::Time((h, mi, s, ns)) => Json::String(format!("{h:02}:{mi:02}:{s:02}.{ns:09}")),
        DbValue::Datetime((y, m, d, h, mi, s, ns)) => {
            Json::String(format!("{y:04}-{m:02}-{d:02}T{h:02}:{mi:02}:{s:02}.{ns:09}Z"))
        }
        DbValue::Timestamp(t) => Json::Number(t.into()),
        DbValue::Jsonb(bytes) => serde_json::from_slice(&bytes).map_err(|e| decode(&format!("invalid JSONB: {e}")))?,
        DbValue::ArrayInt32(xs) => array(xs, |x| Json::Number(x.into())),
        DbValue::ArrayInt64(xs) => array(xs, |x| Json::Number(x.into())),
        DbValue::ArrayStr(xs) | DbValue::ArrayDecimal(xs) => array(xs, Json::String),
        DbValue::RangeInt32(_) | DbValue::RangeInt64(_) | DbValue::RangeDecimal(_) => {
            return Err(decode("range types are not supported"))
        }
        DbValue::Interval(_) => return Err(decode("intervals are not supported")),
        DbValue::Unsupported(_) => return Err(decode("unsupported Postgres type")),
    })
}

pub fn pg_row(columns: &[Column], values: Vec<DbValue>) -> Result<Row, DbError> {
    let mut map = Map::with_capacity(columns.len());
    for (column, value) in columns.iter().zip(values) {
        map.insert(column.name.clone(), pg_json(&column.name, value)?);
    }
    Ok(Row(map))
}

/// SQLSTATE 23505 is a unique violation; the rest of class 23 are other constraints.
pub fn pg_error(e: PgError) -> DbError {
    match e {
        PgError::QueryFailed(QueryError::DbError(db)) => {
            let message = match db.detail {
                Some(detail) => format!("{} ({detail})", db.message),
                None => db.message,
            };
            if db.code == "23505" {
                DbError::Unique(message)
            } else if db.code.starts_with("23") {
                DbError::Constraint(message)
            } else {
                DbError::Other(format!("{} [{}]", message, db.code))
            }
        }
        PgError::QueryFailed(QueryError::Text(text)) => {
            if text.contains("duplicate key value violates unique constraint") {
                DbError::Unique(text)
            } else {
                DbError::Other(text)
            }
        }
        PgError::ConnectionFailed(m) => DbError::Other(format!("connection failed: {m}")),
        PgError::BadParameter(m) => DbError::Other(format!("bad parameter: {m}")),
        PgError::ValueConversionFailed(m) => DbError::Other(format!("value conversion failed: {m}")),
        PgError::Other(m) => DbError::Other(m),
    }
}

/// The SDK wraps the host's error, and adds its own decode error.
pub fn pg_sdk_error(e: spin_sdk::pg::Error) -> DbError {
    match e {
        spin_sdk::pg::Error::PgError(e) => pg_error(e),
        spin_sdk::pg::Error::Decode(m) => DbError::Other(format!("decode: {m}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
    use spin_sdk::pg::{DbDataType, DbError as PgDbError};

    #[test]
    fn sqlite_params_map_one_to_one() {
        assert!(matches!(sqlite_param(&Value::Null), sqlite::Value::Null));
        assert!(matches!(sqlite_param(&Value::Int(-7)), sqlite::Value::Integer(-7)));
        assert!(matches!(sqlite_param(&Value::Real(1.5)), sqlite::Value::Real(f) if f == 1.5));
        assert!(matches!(sqlite_param(&Value::Text("é".into())), sqlite::Value::Text(s) if s == "é"));
    }

    #[test]
    fn sqlite_rows_decode_like_the_native_adapter() {
        let columns = vec!["id".to_string(), "n".into(), "r".into(), "nothing".into(), "b".into(), "nan".into()];
        let row = sqlite_row(
            &columns,
            vec![
                sqlite::Value::Text("u1".into()),
                sqlite::Value::Integer(1 << 40),
                sqlite::Value::Real(0.25),
                sqlite::Value::Null,
                sqlite::Value::Blob(vec![1, 2]),
                sqlite::Value::Real(f64::NAN),
            ],
        );
        assert_eq!(row.text("id").unwrap(), "u1");
        assert_eq!(row.int("n").unwrap(), 1 << 40);
        assert_eq!(row.0["r"], json!(0.25));
        assert_eq!(row.opt_text("nothing").unwrap(), None);
        assert_eq!(row.0["b"], json!([1, 2]));
        assert_eq!(row.0["nan"], Json::Null);
    }

    #[test]
    fn sqlite_constraint_errors_are_classified() {
        let unique = sqlite_error(sqlite::Error::Io("UNIQUE constraint failed: users.email".into()));
        assert!(matches!(unique, DbError::Unique(_)));
        let check = sqlite_error(sqlite::Error::Io("CHECK constraint failed: role IN (...)".into()));
        assert!(matches!(check, DbError::Constraint(_)));
        let fk = classify_sqlite("FOREIGN KEY constraint failed");
        assert!(matches!(fk, DbError::Constraint(_)));
        assert!(matches!(sqlite_error(sqlite::Error::Io("no such table: x".into())), DbError::Other(_)));
        assert!(matches!(sqlite_error(sqlite::Error::AccessDenied), DbError::Other(_)));
    }

    #[test]
    fn integer_placeholders_are_cast_to_bigint() {
        let params = [Value::Int(1), Value::Text("a".into()), Value::Null, Value::Int(0)];
        assert_eq!(
            pg_typed("UPDATE t SET n = $1 WHERE s = $2 AND m = $3 AND ($4 = 0)", &params),
            "UPDATE t SET n = $1::int8 WHERE s = $2 AND m = $3 AND ($4::int8 = 0)"
        );
    }

    #[test]
    fn pg_params_map_ints_to_bigint() {
        assert!(matches!(pg_param(&Value::Null), ParameterValue::DbNull));
        assert!(matches!(pg_param(&Value::Int(5)), ParameterValue::Int64(5)));
        assert!(matches!(pg_param(&Value::Real(2.0)), ParameterValue::Floating64(f) if f == 2.0));
        assert!(matches!(pg_param(&Value::Text("x".into())), ParameterValue::Str(s) if s == "x"));
    }

    fn col(name: &str, data_type: DbDataType) -> Column {
        Column { name: name.into(), data_type }
    }

    #[test]
    fn pg_rows_decode_into_what_row_reads() {
        let columns = vec![
            col("id", DbDataType::Str),
            col("created_at", DbDataType::Int64),
            col("small", DbDataType::Int32),
            col("ok", DbDataType::Boolean),
            col("price", DbDataType::Decimal),
            col("doc", DbDataType::Jsonb),
            col("day", DbDataType::Date),
            col("gone", DbDataType::Str),
        ];
        let row = pg_row(
            &columns,
            vec![
                DbValue::Str("w1".into()),
                DbValue::Int64(1_700_000_000_000),
                DbValue::Int32(3),
                DbValue::Boolean(true),
                DbValue::Decimal("42".into()),
                DbValue::Jsonb(br#"{"a":1}"#.to_vec()),
                DbValue::Date((2026, 1, 2)),
                DbValue::DbNull,
            ],
        )
        .unwrap();
        assert_eq!(row.text("id").unwrap(), "w1");
        assert_eq!(row.int("created_at").unwrap(), 1_700_000_000_000);
        assert_eq!(row.int("small").unwrap(), 3);
        assert_eq!(row.0["ok"], json!(true));
        assert_eq!(row.int("price").unwrap(), 42);
        assert_eq!(row.json("doc").unwrap(), json!({"a": 1}));
        assert_eq!(row.text("day").unwrap(), "2026-01-02");
        assert_eq!(row.opt_text("gone").unwrap(), None);
    }

    #[test]
    fn pg_unsupported_values_are_decode_errors() {
        let err = pg_row(&[col("x", DbDataType::Other("money".into()))], vec![DbValue::Unsupported(vec![1])]);
        assert!(matches!(err, Err(DbError::Decode(c, _)) if c == "x"));
        let bad_json = pg_json("doc", DbValue::Jsonb(b"{".to_vec()));
        assert!(matches!(bad_json, Err(DbError::Decode(_, _))));
    }

    fn db_error(code: &str) -> PgError {
        PgError::QueryFailed(QueryError::DbError(PgDbError {
            as_text: String::new(),
            severity: "ERROR".into(),
            code: code.into(),
            message: "duplicate key value violates unique constraint \"users_email_key\"".into(),
            detail: Some("Key (email)=(a@b.test) already exists.".into()),
            extras: vec![],
        }))
    }

    #[test]
    fn pg_sqlstates_are_classified() {
        assert!(matches!(pg_error(db_error("23505")), DbError::Unique(_)));
        assert!(matches!(pg_error(db_error("23503")), DbError::Constraint(_)));
        assert!(matches!(pg_error(db_error("42P01")), DbError::Other(m) if m.contains("42P01")));
        let text = PgError::QueryFailed(QueryError::Text(
            "db error: ERROR: duplicate key value violates unique constraint \"x\"".into(),
        ));
        assert!(matches!(pg_error(text), DbError::Unique(_)));
        assert!(matches!(pg_error(PgError::ConnectionFailed("refused".into())), DbError::Other(_)));
        assert!(matches!(pg_sdk_error(spin_sdk::pg::Error::PgError(db_error("23505"))), DbError::Unique(_)));
    }
}
