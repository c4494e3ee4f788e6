//! Between the Sql port and the SDK's types: parameters out, rows in, errors mapped onto
//! `DbError`. Pure functions over the SDK's plain data types, tested natively.

use herald::sql::pg::{bind, Bound, PgError, PgRow, PgValue};
use herald::sql::{DbError, Row, Value};
use serde_json::{Number, Value as Json};
use spin_sdk::pg::{Column, DbValue, ParameterValue, PgError as SdkPgError, QueryError};
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
// The domain's PgSql binds, decodes and classifies; these only translate its types to the
// SDK's and back.

/// A value as the domain binds it. Spin's pg cannot say what type Postgres inferred for a
/// parameter, so the domain binds without one: integers as BIGINT (the schema's integers all
/// are), reals as DOUBLE PRECISION, text as TEXT.
pub fn pg_param(v: &Value) -> Result<ParameterValue, DbError> {
    Ok(match bind(v, None).map_err(DbError::Other)? {
        Bound::Null => ParameterValue::DbNull,
        Bound::Bool(b) => ParameterValue::Boolean(b),
        Bound::Int2(i) => ParameterValue::Int16(i),
        Bound::Int4(i) => ParameterValue::Int32(i),
        Bound::Int8(i) => ParameterValue::Int64(i),
        Bound::Float4(f) => ParameterValue::Floating32(f),
        Bound::Float8(f) => ParameterValue::Floating64(f),
        Bound::Text(s) => ParameterValue::Str(s.into_owned()),
    })
}

fn array<T>(items: Vec<Option<T>>, f: impl Fn(T) -> PgValue) -> PgValue {
    PgValue::Array(items.into_iter().map(|x| x.map_or(PgValue::Null, &f)).collect())
}

/// One value as the SDK hands it over: dates and times as ISO 8601 text, decimals and uuids
/// as text (`Row::opt_int` parses whole decimals), JSONB as its bytes.
pub fn pg_value(v: DbValue) -> PgValue {
    match v {
        DbValue::DbNull => PgValue::Null,
        DbValue::Boolean(b) => PgValue::Bool(b),
        DbValue::Int8(i) => PgValue::Int(i.into()),
        DbValue::Int16(i) => PgValue::Int(i.into()),
        DbValue::Int32(i) => PgValue::Int(i.into()),
        DbValue::Int64(i) => PgValue::Int(i),
        DbValue::Floating32(f) => PgValue::Float(f.into()),
        DbValue::Floating64(f) => PgValue::Float(f),
        DbValue::Str(s) | DbValue::Uuid(s) | DbValue::Decimal(s) => PgValue::Text(s),
        DbValue::Binary(b) => PgValue::Bytes(b),
        DbValue::Date((y, m, d)) => PgValue::Text(format!("{y:04}-{m:02}-{d:02}")),
        DbValue::Time((h, mi, s, ns)) => PgValue::Text(format!("{h:02}:{mi:02}:{s:02}.{ns:09}")),
        DbValue::Datetime((y, m, d, h, mi, s, ns)) => {
            PgValue::Text(format!("{y:04}-{m:02}-{d:02}T{h:02}:{mi:02}:{s:02}.{ns:09}Z"))
        }
        DbValue::Timestamp(t) => PgValue::Int(t),
        DbValue::Jsonb(bytes) => PgValue::Jsonb(bytes),
        DbValue::ArrayInt32(xs) => array(xs, |x| PgValue::Int(x.into())),
        DbValue::ArrayInt64(xs) => array(xs, PgValue::Int),
        DbValue::ArrayStr(xs) | DbValue::ArrayDecimal(xs) => array(xs, PgValue::Text),
        DbValue::RangeInt32(_) | DbValue::RangeInt64(_) | DbValue::RangeDecimal(_) => {
            PgValue::Unreadable("range types are not supported".into())
        }
        DbValue::Interval(_) => PgValue::Unreadable("intervals are not supported".into()),
        DbValue::Unsupported(_) => PgValue::Unreadable("unsupported Postgres type".into()),
    }
}

pub fn pg_row(columns: &[Column], values: Vec<DbValue>) -> PgRow {
    columns.iter().map(|c| c.name.clone()).zip(values.into_iter().map(pg_value)).collect()
}

/// The host's error: its SQLSTATE and message when the server answered (the detail, which
/// may quote a row's values, is left out), else the host's text.
pub fn pg_error(e: SdkPgError) -> PgError {
    match e {
        SdkPgError::QueryFailed(QueryError::DbError(db)) => PgError::new(Some(db.code), db.message),
        SdkPgError::QueryFailed(QueryError::Text(text)) => PgError::new(None, text),
        SdkPgError::ConnectionFailed(m) => PgError::new(None, format!("connection failed: {m}")),
        SdkPgError::BadParameter(m) => PgError::new(None, format!("bad parameter: {m}")),
        SdkPgError::ValueConversionFailed(m) => PgError::new(None, format!("value conversion failed: {m}")),
        SdkPgError::Other(m) => PgError::new(None, m),
    }
}

/// The SDK wraps the host's error, and adds its own decode error.
pub fn pg_sdk_error(e: spin_sdk::pg::Error) -> PgError {
    match e {
        spin_sdk::pg::Error::PgError(e) => pg_error(e),
        spin_sdk::pg::Error::Decode(m) => PgError::new(None, format!("decode: {m}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use herald::sql::pg::decode_row;
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
    fn pg_params_map_ints_to_bigint() {
        assert!(matches!(pg_param(&Value::Null), Ok(ParameterValue::DbNull)));
        assert!(matches!(pg_param(&Value::Int(5)), Ok(ParameterValue::Int64(5))));
        assert!(matches!(pg_param(&Value::Real(2.0)), Ok(ParameterValue::Floating64(f)) if f == 2.0));
        assert!(matches!(pg_param(&Value::Text("x".into())), Ok(ParameterValue::Str(s)) if s == "x"));
    }

    fn col(name: &str, data_type: DbDataType) -> Column {
        Column { name: name.into(), data_type }
    }

    /// Through the SDK's values and the domain's decoding, as the component reads a row.
    fn row(columns: &[Column], values: Vec<DbValue>) -> Result<Row, DbError> {
        decode_row(pg_row(columns, values))
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
            col("ids", DbDataType::ArrayInt64),
        ];
        let row = row(
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
                DbValue::ArrayInt64(vec![Some(1), None]),
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
        assert_eq!(row.0["ids"], json!([1, null]));
    }

    #[test]
    fn pg_unsupported_values_are_decode_errors() {
        let err = row(&[col("x", DbDataType::Other("money".into()))], vec![DbValue::Unsupported(vec![1])]);
        assert!(matches!(err, Err(DbError::Decode(c, _)) if c == "x"));
        let bad_json = row(&[col("doc", DbDataType::Jsonb)], vec![DbValue::Jsonb(b"{".to_vec())]);
        assert!(matches!(bad_json, Err(DbError::Decode(_, _))));
    }

    fn db_error(code: &str) -> SdkPgError {
        SdkPgError::QueryFailed(QueryError::DbError(PgDbError {
            as_text: String::new(),
            severity: "ERROR".into(),
            code: code.into(),
            message: "duplicate key value violates unique constraint \"users_email_key\"".into(),
            detail: Some("Key (email)=(a@b.test) already exists.".into()),
            extras: vec![],
        }))
    }

    fn classified(e: SdkPgError) -> DbError {
        pg_error(e).into()
    }

    #[test]
    fn pg_sqlstates_are_classified() {
        let unique = classified(db_error("23505"));
        assert!(matches!(&unique, DbError::Unique(m) if !m.contains("a@b.test")), "the detail stays out: {unique:?}");
        assert!(matches!(classified(db_error("23503")), DbError::Constraint(_)));
        assert!(matches!(classified(db_error("42P01")), DbError::Other(m) if m.contains("42P01")));
        let text = SdkPgError::QueryFailed(QueryError::Text(
            "db error: ERROR: duplicate key value violates unique constraint \"x\"".into(),
        ));
        assert!(matches!(classified(text), DbError::Unique(_)));
        assert!(matches!(classified(SdkPgError::ConnectionFailed("refused".into())), DbError::Other(_)));
        let sdk = DbError::from(pg_sdk_error(spin_sdk::pg::Error::PgError(db_error("23505"))));
        assert!(matches!(sdk, DbError::Unique(_)));
    }
}
