//! Speaking Postgres, once for every driver (tokio-postgres natively and in the Worker through
//! Hyperdrive, spin-sdk's pg on Spin). [`PgSql`] is the Sql port: every statement and batch in
//! a transaction that first sets the tenant settings row-level security reads, `?N`
//! placeholders rewritten to `$N`, statements prepared once per connection, values bound by
//! the type Postgres inferred where the driver says it, rows decoded into the JSON the domain
//! reads, errors classified. A driver only adapts [`PgConnection`]: run a statement with its
//! parameters, hand back rows as column names and values.

use std::borrow::Cow;
use std::cell::RefCell;
use std::collections::HashMap;
use std::fmt;
use std::future::Future;

use async_trait::async_trait;
use futures_util::future::{join, join3, join_all, try_join_all};
use futures_util::lock::Mutex;
use serde_json::{Map, Number, Value as Json};

use super::{DbError, Dialect, Row, Scope, Sql, Statement, Value};

/// Rewrites `?N` placeholders to Postgres's `$N`, leaving string literals, quoted identifiers
/// and comments alone.
pub fn rewrite_placeholders(sql: &str) -> String {
    let mut out = String::with_capacity(sql.len() + 8);
    let mut chars = sql.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\'' | '"' => {
                out.push(c);
                for d in chars.by_ref() {
                    out.push(d);
                    if d == c {
                        break;
                    }
                }
            }
            '-' if chars.peek() == Some(&'-') => {
                out.push(c);
                for d in chars.by_ref() {
                    out.push(d);
                    if d == '\n' {
                        break;
                    }
                }
            }
            '?' if chars.peek().is_some_and(char::is_ascii_digit) => out.push('$'),
            _ => out.push(c),
        }
    }
    out
}

/// The settings to apply, with `set_config(name, value, true)`, at the start of every
/// transaction: names and values, empty when unset.
pub fn scope_settings(scope: &Scope) -> [(&'static str, String); 5] {
    [
        ("app.user_id", scope.user_id.clone().unwrap_or_default()),
        ("app.workspace_id", scope.workspace_id.clone().unwrap_or_default()),
        ("app.invite_token_hash", scope.invite_token_hash.clone().unwrap_or_default()),
        ("app.system", if scope.system { "on".into() } else { String::new() }),
        ("app.review_token_hash", scope.review_token_hash.clone().unwrap_or_default()),
    ]
}

/// Single quotes doubled: the settings are ids and hashes, but nothing is trusted.
fn literal(s: &str) -> String {
    format!("'{}'", s.replace('\'', "''"))
}

/// `BEGIN` and the tenant settings of `scope`, as one request without parameters.
pub fn begin_sql(scope: &Scope) -> String {
    let sets: Vec<String> = scope_settings(scope)
        .iter()
        .map(|(k, v)| format!("set_config({}, {}, true)", literal(k), literal(v)))
        .collect();
    format!("BEGIN; SELECT {}", sets.join(", "))
}

// ── Values ──────────────────────────────────────────────────────────────────────────────

/// A Postgres type, as far as binding and decoding tell types apart.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PgType {
    Bool,
    Int2,
    Int4,
    Int8,
    Float4,
    Float8,
    Text,
    Varchar,
    Bpchar,
    Name,
    /// A parameter Postgres could not infer a type for.
    Unknown,
    /// Any other type, by its name.
    Other(String),
}

impl fmt::Display for PgType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            PgType::Bool => "bool",
            PgType::Int2 => "int2",
            PgType::Int4 => "int4",
            PgType::Int8 => "int8",
            PgType::Float4 => "float4",
            PgType::Float8 => "float8",
            PgType::Text => "text",
            PgType::Varchar => "varchar",
            PgType::Bpchar => "bpchar",
            PgType::Name => "name",
            PgType::Unknown => "unknown",
            PgType::Other(name) => name,
        })
    }
}

/// A domain value in the representation a parameter takes.
#[derive(Debug, Clone, PartialEq)]
pub enum Bound<'a> {
    Null,
    Bool(bool),
    Int2(i16),
    Int4(i32),
    Int8(i64),
    Float4(f32),
    Float8(f64),
    Text(Cow<'a, str>),
}

/// How `value` binds to a parameter of type `ty`: the type Postgres inferred, when the driver
/// says (tokio-postgres does), else `None`, and integers go as BIGINT (every integer column of
/// the schema is one), reals as DOUBLE PRECISION and text as TEXT.
pub fn bind<'a>(value: &'a Value, ty: Option<&PgType>) -> Result<Bound<'a>, String> {
    let Some(ty) = ty else {
        return Ok(match value {
            Value::Null => Bound::Null,
            Value::Int(i) => Bound::Int8(*i),
            Value::Real(f) => Bound::Float8(*f),
            Value::Text(s) => Bound::Text(Cow::Borrowed(s)),
        });
    };
    match value {
        Value::Null => Ok(Bound::Null),
        Value::Int(i) => match ty {
            PgType::Int8 => Ok(Bound::Int8(*i)),
            PgType::Int4 => i32::try_from(*i).map(Bound::Int4).map_err(|e| e.to_string()),
            PgType::Int2 => i16::try_from(*i).map(Bound::Int2).map_err(|e| e.to_string()),
            PgType::Float8 => Ok(Bound::Float8(*i as f64)),
            PgType::Bool => Ok(Bound::Bool(*i != 0)),
            PgType::Text | PgType::Varchar => Ok(Bound::Text(Cow::Owned(i.to_string()))),
            _ => Err(format!("cannot bind an integer to {ty}")),
        },
        Value::Real(f) => match ty {
            PgType::Float8 => Ok(Bound::Float8(*f)),
            PgType::Float4 => Ok(Bound::Float4(*f as f32)),
            _ => Err(format!("cannot bind a real to {ty}")),
        },
        Value::Text(s) => match ty {
            PgType::Text | PgType::Varchar | PgType::Bpchar | PgType::Name | PgType::Unknown => {
                Ok(Bound::Text(Cow::Borrowed(s)))
            }
            _ => Err(format!("cannot bind text to {ty}")),
        },
    }
}

/// One value of a result row, as the driver read it.
#[derive(Debug, Clone, PartialEq)]
pub enum PgValue {
    Null,
    Bool(bool),
    Int(i64),
    Float(f64),
    /// Text, and whatever the driver hands over as text (decimals, uuids, dates).
    Text(String),
    Bytes(Vec<u8>),
    /// A JSONB document's bytes.
    Jsonb(Vec<u8>),
    Array(Vec<PgValue>),
    /// A value the driver could not read, or of a type Herald does not read: why.
    Unreadable(String),
}

/// A result row: each column's name and value, in order.
pub type PgRow = Vec<(String, PgValue)>;

fn to_json(column: &str, value: PgValue) -> Result<Json, DbError> {
    Ok(match value {
        PgValue::Null => Json::Null,
        PgValue::Bool(b) => Json::Bool(b),
        PgValue::Int(i) => Json::Number(i.into()),
        // Not a number (NaN, infinities): null, as on SQLite.
        PgValue::Float(f) => Number::from_f64(f).map_or(Json::Null, Json::Number),
        PgValue::Text(s) => Json::String(s),
        PgValue::Bytes(b) => Json::Array(b.into_iter().map(|x| Json::Number(x.into())).collect()),
        PgValue::Jsonb(bytes) => {
            serde_json::from_slice(&bytes).map_err(|e| DbError::Decode(column.into(), format!("invalid JSONB: {e}")))?
        }
        PgValue::Array(items) => Json::Array(items.into_iter().map(|v| to_json(column, v)).collect::<Result<_, _>>()?),
        PgValue::Unreadable(why) => return Err(DbError::Decode(column.into(), why)),
    })
}

/// A row as every adapter hands it to the domain: numbers as numbers, text as strings,
/// JSONB as the document.
pub fn decode_row(row: PgRow) -> Result<Row, DbError> {
    let mut map = Map::with_capacity(row.len());
    for (name, value) in row {
        let json = to_json(&name, value)?;
        map.insert(name, json);
    }
    Ok(Row(map))
}

/// A failure as the driver reports it: the SQLSTATE when the server sent one, and its message
/// (the server's message alone: its detail may quote the values of a row).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PgError {
    pub code: Option<String>,
    pub message: String,
}

impl PgError {
    pub fn new(code: Option<String>, message: impl Into<String>) -> Self {
        Self { code, message: message.into() }
    }
}

/// SQLSTATE 23505 is a unique violation, the rest of class 23 other constraints; a driver
/// that lost the code still says "duplicate key".
impl From<PgError> for DbError {
    fn from(e: PgError) -> Self {
        match e.code.as_deref() {
            Some("23505") => DbError::Unique(e.message),
            Some(code) if code.starts_with("23") => DbError::Constraint(e.message),
            Some(code) => DbError::Other(format!("{} [{code}]", e.message)),
            None if e.message.contains("duplicate key value violates unique constraint") => DbError::Unique(e.message),
            None => DbError::Other(e.message),
        }
    }
}

// ── The connection a driver adapts ──────────────────────────────────────────────────────

/// One Postgres connection, as a driver offers it. Statements come with `$N` placeholders.
#[async_trait(?Send)]
pub trait PgConnection {
    /// A statement once prepared: the driver's handle, or the SQL itself where the driver
    /// prepares nothing.
    type Prepared: Clone;

    /// Whether requests polled together travel together (tokio-postgres pipelines them on
    /// its connection). If so a transaction's requests are sent at once; if not, one after
    /// another.
    const PIPELINED: bool;

    async fn prepare(&self, sql: &str) -> Result<Self::Prepared, PgError>;

    /// Statements without parameters, one or several separated by `;`.
    async fn simple(&self, sql: &str) -> Result<(), PgError>;

    /// Runs a prepared statement; answers its rows.
    async fn query(&self, statement: &Self::Prepared, params: &[Value]) -> Result<Vec<PgRow>, PgError>;

    /// Runs a prepared statement; answers the rows it changed.
    async fn execute(&self, statement: &Self::Prepared, params: &[Value]) -> Result<u64, PgError>;
}

/// The Sql port over one Postgres connection.
pub struct PgSql<C: PgConnection> {
    conn: C,
    scope: RefCell<Scope>,
    /// Prepared statements, by the SQL as the domain wrote it.
    prepared: RefCell<HashMap<String, C::Prepared>>,
    /// One transaction at a time on the connection.
    lock: Mutex<()>,
}

impl<C: PgConnection> PgSql<C> {
    pub fn new(conn: C) -> Self {
        Self {
            conn,
            scope: RefCell::new(Scope::default()),
            prepared: RefCell::new(HashMap::new()),
            lock: Mutex::new(()),
        }
    }

    /// The connection, for work outside the scoped transactions (the migration runner).
    pub fn connection(&self) -> &C {
        &self.conn
    }

    async fn prepare(&self, sql: &str) -> Result<C::Prepared, DbError> {
        if let Some(s) = self.prepared.borrow().get(sql) {
            return Ok(s.clone());
        }
        let statement = self.conn.prepare(&rewrite_placeholders(sql)).await?;
        self.prepared.borrow_mut().insert(sql.to_string(), statement.clone());
        Ok(statement)
    }

    /// Runs `work` over `sqls`, prepared, in a transaction that first sets the tenant scope.
    ///
    /// Pipelined, in as few round trips as the connection allows: one when every statement
    /// is prepared already (BEGIN, the statements and COMMIT at once), else two (BEGIN with
    /// the prepares, then the statements with COMMIT; a Hyperdrive connection is new for
    /// every invocation). After a failed statement Postgres answers the COMMIT with a
    /// rollback, so the first error is the outcome and nothing was written. Otherwise one
    /// request after another, stopping at the first failure.
    async fn transaction<T, F, Fut>(&self, sqls: &[&str], work: F) -> Result<T, DbError>
    where
        F: FnOnce(Vec<C::Prepared>) -> Fut,
        Fut: Future<Output = Result<T, DbError>>,
    {
        let _one = self.lock.lock().await;
        let begin = begin_sql(&self.scope.borrow());
        if !C::PIPELINED {
            let result = async {
                self.conn.simple(&begin).await?;
                let mut statements = Vec::with_capacity(sqls.len());
                for sql in sqls {
                    statements.push(self.prepare(sql).await?);
                }
                work(statements).await
            }
            .await;
            return match result {
                Ok(value) => self.conn.simple("COMMIT").await.map(|()| value).map_err(DbError::from),
                Err(e) => {
                    let _ = self.conn.simple("ROLLBACK").await;
                    Err(e)
                }
            };
        }
        let cached: Option<Vec<C::Prepared>> = {
            let prepared = self.prepared.borrow();
            sqls.iter().map(|s| prepared.get(*s).cloned()).collect()
        };
        let (result, committed) = match cached {
            Some(statements) => {
                let (began, result, committed) =
                    join3(self.conn.simple(&begin), work(statements), self.conn.simple("COMMIT")).await;
                (began.map_err(DbError::from).and(result), committed)
            }
            None => {
                let (began, prepared) =
                    join(self.conn.simple(&begin), try_join_all(sqls.iter().map(|s| self.prepare(s)))).await;
                match began.map_err(DbError::from).and(prepared) {
                    Ok(statements) => join(work(statements), self.conn.simple("COMMIT")).await,
                    Err(e) => (Err(e), Ok(())),
                }
            }
        };
        match (result, committed) {
            (Ok(value), Ok(())) => Ok(value),
            (Err(e), _) => {
                // Rolled back by the COMMIT already, unless it never ran: said again.
                let _ = self.conn.simple("ROLLBACK").await;
                Err(e)
            }
            (Ok(_), Err(e)) => Err(e.into()),
        }
    }
}

/// The one prepared statement of a single-statement transaction.
fn only<P>(prepared: &[P]) -> Result<&P, DbError> {
    prepared.first().ok_or_else(|| DbError::Other("no statement was prepared".into()))
}

#[async_trait(?Send)]
impl<C: PgConnection> Sql for PgSql<C> {
    fn dialect(&self) -> Dialect {
        Dialect::Postgres
    }

    fn set_scope(&self, scope: Scope) {
        *self.scope.borrow_mut() = scope;
    }

    fn scope(&self) -> Scope {
        self.scope.borrow().clone()
    }

    async fn query(&self, sql: &str, params: &[Value]) -> Result<Vec<Row>, DbError> {
        self.transaction(&[sql], |prepared| async move {
            let rows = self.conn.query(only(&prepared)?, params).await?;
            rows.into_iter().map(decode_row).collect()
        })
        .await
    }

    async fn execute(&self, sql: &str, params: &[Value]) -> Result<u64, DbError> {
        self.transaction(&[sql], |prepared| async move { Ok(self.conn.execute(only(&prepared)?, params).await?) }).await
    }

    async fn batch(&self, statements: &[Statement]) -> Result<Vec<u64>, DbError> {
        let sqls: Vec<&str> = statements.iter().map(|s| s.sql.as_ref()).collect();
        self.transaction(&sqls, |prepared| async move {
            let pairs = prepared.iter().zip(statements);
            if C::PIPELINED {
                // Every statement in flight at once, in order; after the first failure the
                // others fail too (the transaction is aborted) and the first error is reported.
                let runs = join_all(pairs.map(|(st, s)| self.conn.execute(st, &s.params))).await;
                return runs.into_iter().map(|r| r.map_err(DbError::from)).collect();
            }
            let mut changed = Vec::with_capacity(statements.len());
            for (st, s) in pairs {
                changed.push(self.conn.execute(st, &s.params).await?);
            }
            Ok(changed)
        })
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_become_dollars_outside_literals() {
        assert_eq!(
            rewrite_placeholders("SELECT ?1, '?2', \"a?3\" FROM t WHERE a = ?12 -- ?4\nAND b = ?5"),
            "SELECT $1, '?2', \"a?3\" FROM t WHERE a = $12 -- ?4\nAND b = $5"
        );
        assert_eq!(rewrite_placeholders("SELECT '?' || ?1"), "SELECT '?' || $1");
        assert_eq!(rewrite_placeholders("SELECT 'it''s ?1'"), "SELECT 'it''s ?1'");
    }

    #[test]
    fn scope_settings_are_empty_when_unset() {
        let s = scope_settings(&Scope { workspace_id: Some("w".into()), ..Default::default() });
        assert_eq!(s[1], ("app.workspace_id", "w".to_string()));
        assert_eq!(s[0].1, "");
        assert_eq!(s[3].1, "");
        assert_eq!(s[4], ("app.review_token_hash", String::new()));
        let r = scope_settings(&Scope { review_token_hash: Some("h".into()), ..Default::default() });
        assert_eq!(r[4].1, "h");
        let begin = begin_sql(&Scope { user_id: Some("o'brien".into()), ..Default::default() });
        assert!(begin.starts_with("BEGIN; SELECT set_config('app.user_id', 'o''brien', true), "), "{begin}");
        assert_eq!(begin.matches("set_config(").count(), r.len(), "one call per setting");
    }

    /// Records every request; fails those that start with `fail_on` (a unique violation);
    /// answers `rows` to every query. `P`: whether it pipelines.
    #[derive(Default)]
    struct Fake<const P: bool> {
        log: RefCell<Vec<(String, Vec<Value>)>>,
        fail_on: Option<&'static str>,
        rows: Vec<PgRow>,
    }

    impl<const P: bool> Fake<P> {
        fn answer(&self, sql: &str, params: &[Value]) -> Result<(), PgError> {
            self.log.borrow_mut().push((sql.to_string(), params.to_vec()));
            match self.fail_on {
                Some(f) if sql.starts_with(f) => Err(PgError::new(Some("23505".into()), "duplicate key")),
                _ => Ok(()),
            }
        }

        fn statements(&self) -> Vec<String> {
            self.log.borrow().iter().map(|(s, _)| s.clone()).collect()
        }
    }

    #[async_trait(?Send)]
    impl<const P: bool> PgConnection for Fake<P> {
        type Prepared = String;
        const PIPELINED: bool = P;

        async fn prepare(&self, sql: &str) -> Result<String, PgError> {
            self.answer(&format!("PREPARE {sql}"), &[])?;
            Ok(sql.to_string())
        }

        async fn simple(&self, sql: &str) -> Result<(), PgError> {
            self.answer(sql, &[])
        }

        async fn query(&self, statement: &String, params: &[Value]) -> Result<Vec<PgRow>, PgError> {
            self.answer(statement, params)?;
            Ok(self.rows.clone())
        }

        async fn execute(&self, statement: &String, params: &[Value]) -> Result<u64, PgError> {
            self.answer(statement, params).map(|()| 1)
        }
    }

    fn block_on<F: Future>(f: F) -> F::Output {
        // Every future of the fake is ready at once.
        let mut f = std::pin::pin!(f);
        match f.as_mut().poll(&mut std::task::Context::from_waker(std::task::Waker::noop())) {
            std::task::Poll::Ready(v) => v,
            std::task::Poll::Pending => panic!("the fake never waits"),
        }
    }

    fn scoped<const P: bool>(fake: Fake<P>) -> (PgSql<Fake<P>>, String) {
        let db = PgSql::new(fake);
        let scope = Scope { user_id: Some("u1".into()), workspace_id: Some("w1".into()), ..Default::default() };
        let begin = begin_sql(&scope);
        db.set_scope(scope);
        (db, begin)
    }

    #[test]
    fn one_by_one_statements_run_in_a_scoped_transaction() {
        let rows = vec![vec![("id".to_string(), PgValue::Text("a".into()))]];
        let (db, begin) = scoped(Fake::<false> { rows, ..Default::default() });
        let got = block_on(db.query("SELECT * FROM t WHERE a = ?1 AND b = '?2'", &crate::params!["x"])).unwrap();
        assert_eq!(got[0].text("id").unwrap(), "a");
        let sql = "SELECT * FROM t WHERE a = $1 AND b = '?2'";
        assert_eq!(db.connection().statements(), [begin.as_str(), &format!("PREPARE {sql}"), sql, "COMMIT"]);
        assert_eq!(db.connection().log.borrow()[2].1, crate::params!["x"]);
        // Prepared once per connection.
        block_on(db.query("SELECT * FROM t WHERE a = ?1 AND b = '?2'", &crate::params!["y"])).unwrap();
        assert_eq!(db.connection().statements()[4..], [begin.as_str(), sql, "COMMIT"]);
    }

    #[test]
    fn one_by_one_batches_stop_and_roll_back_at_the_first_failure() {
        let (db, begin) = scoped(Fake::<false> { fail_on: Some("UPDATE second"), ..Default::default() });
        let result = block_on(db.batch(&[
            Statement::new("UPDATE first SET a = ?1", crate::params![1]),
            Statement::new("UPDATE second SET a = ?1", crate::params![2]),
            Statement::new("UPDATE third SET a = ?1", crate::params![3]),
        ]));
        assert!(matches!(result, Err(DbError::Unique(_))), "{result:?}");
        let log = db.connection().statements();
        assert_eq!(log[0], begin);
        assert_eq!(log[log.len() - 3..], ["UPDATE first SET a = $1", "UPDATE second SET a = $1", "ROLLBACK"]);
    }

    #[test]
    fn pipelined_transactions_send_begin_the_statements_and_commit_together() {
        let (db, begin) = scoped(Fake::<true>::default());
        let batch = || {
            block_on(db.batch(&[
                Statement::new("UPDATE a SET x = ?1", crate::params![1]),
                Statement::new("UPDATE b SET x = ?1", crate::params![2]),
            ]))
        };
        assert_eq!(batch().unwrap(), [1, 1]);
        // First: BEGIN with the prepares, then the statements with COMMIT.
        assert_eq!(
            db.connection().statements(),
            [
                begin.as_str(),
                "PREPARE UPDATE a SET x = $1",
                "PREPARE UPDATE b SET x = $1",
                "UPDATE a SET x = $1",
                "UPDATE b SET x = $1",
                "COMMIT"
            ]
        );
        // Prepared already: all of it at once, in order.
        db.connection().log.borrow_mut().clear();
        assert_eq!(batch().unwrap(), [1, 1]);
        assert_eq!(
            db.connection().statements(),
            [begin.as_str(), "UPDATE a SET x = $1", "UPDATE b SET x = $1", "COMMIT"]
        );
    }

    #[test]
    fn pipelined_batches_report_the_first_failure_and_roll_back() {
        let (db, _) = scoped(Fake::<true> { fail_on: Some("UPDATE b"), ..Default::default() });
        let result = block_on(
            db.batch(&[Statement::new("UPDATE a SET x = 1", vec![]), Statement::new("UPDATE b SET x = 1", vec![])]),
        );
        assert!(matches!(result, Err(DbError::Unique(_))), "{result:?}");
        assert_eq!(db.connection().statements().last().map(String::as_str), Some("ROLLBACK"));
    }

    #[test]
    fn the_scope_is_kept_until_changed() {
        let db = PgSql::new(Fake::<false>::default());
        assert_eq!(db.scope(), Scope::default());
        let s = Scope { invite_token_hash: Some("h".into()), system: true, ..Default::default() };
        db.set_scope(s.clone());
        assert_eq!(db.scope(), s);
        block_on(db.execute("DELETE FROM t", &[])).unwrap();
        let begin = &db.connection().statements()[0];
        assert!(begin.contains("set_config('app.invite_token_hash', 'h', true)"), "{begin}");
        assert!(begin.contains("set_config('app.system', 'on', true)"), "{begin}");
    }

    #[test]
    fn values_bind_to_the_inferred_type_or_to_the_widest() {
        assert_eq!(bind(&Value::Int(7), Some(&PgType::Int4)), Ok(Bound::Int4(7)));
        assert!(bind(&Value::Int(i64::MAX), Some(&PgType::Int4)).is_err());
        assert_eq!(bind(&Value::Int(1), Some(&PgType::Bool)), Ok(Bound::Bool(true)));
        assert_eq!(bind(&Value::Int(12), Some(&PgType::Text)), Ok(Bound::Text("12".into())));
        assert!(bind(&Value::Int(12), Some(&PgType::Bpchar)).is_err());
        assert!(bind(&Value::Text("x".into()), Some(&PgType::Int8)).is_err());
        assert_eq!(bind(&Value::Text("x".into()), Some(&PgType::Unknown)), Ok(Bound::Text("x".into())));
        assert_eq!(bind(&Value::Real(0.5), Some(&PgType::Float4)), Ok(Bound::Float4(0.5)));
        let err = bind(&Value::Real(0.5), Some(&PgType::Other("money".into()))).unwrap_err();
        assert_eq!(err, "cannot bind a real to money");
        assert_eq!(bind(&Value::Null, Some(&PgType::Int8)), Ok(Bound::Null));
        // Without a type: BIGINT, DOUBLE PRECISION, TEXT.
        assert_eq!(bind(&Value::Int(5), None), Ok(Bound::Int8(5)));
        assert_eq!(bind(&Value::Real(2.0), None), Ok(Bound::Float8(2.0)));
        assert_eq!(bind(&Value::Text("x".into()), None), Ok(Bound::Text("x".into())));
    }

    #[test]
    fn rows_decode_into_what_row_reads() {
        let row = decode_row(vec![
            ("id".into(), PgValue::Text("w1".into())),
            ("created_at".into(), PgValue::Int(1_700_000_000_000)),
            ("ok".into(), PgValue::Bool(true)),
            ("price".into(), PgValue::Text("42".into())),
            ("doc".into(), PgValue::Jsonb(br#"{"a":1}"#.to_vec())),
            ("nan".into(), PgValue::Float(f64::NAN)),
            ("b".into(), PgValue::Bytes(vec![1, 2])),
            ("xs".into(), PgValue::Array(vec![PgValue::Int(1), PgValue::Null])),
            ("gone".into(), PgValue::Null),
        ])
        .unwrap();
        assert_eq!(row.text("id").unwrap(), "w1");
        assert_eq!(row.int("created_at").unwrap(), 1_700_000_000_000);
        assert_eq!(row.0["ok"], Json::Bool(true));
        assert_eq!(row.int("price").unwrap(), 42);
        assert_eq!(row.json("doc").unwrap(), serde_json::json!({"a": 1}));
        assert_eq!(row.0["nan"], Json::Null);
        assert_eq!(row.0["b"], serde_json::json!([1, 2]));
        assert_eq!(row.0["xs"], serde_json::json!([1, null]));
        assert_eq!(row.opt_text("gone").unwrap(), None);
        let bad = decode_row(vec![("x".into(), PgValue::Unreadable("unsupported type money".into()))]);
        assert!(matches!(bad, Err(DbError::Decode(c, m)) if c == "x" && m.contains("money")));
        let bad_json = decode_row(vec![("doc".into(), PgValue::Jsonb(b"{".to_vec()))]);
        assert!(matches!(bad_json, Err(DbError::Decode(_, m)) if m.starts_with("invalid JSONB")));
    }

    #[test]
    fn sqlstates_are_classified() {
        let e = |code: Option<&str>, m: &str| DbError::from(PgError::new(code.map(str::to_string), m));
        assert!(matches!(e(Some("23505"), "duplicate key"), DbError::Unique(_)));
        assert!(matches!(e(Some("23503"), "foreign key"), DbError::Constraint(_)));
        assert!(matches!(e(Some("42P01"), "no such table"), DbError::Other(m) if m == "no such table [42P01]"));
        let text = "db error: ERROR: duplicate key value violates unique constraint \"x\"";
        assert!(matches!(e(None, text), DbError::Unique(_)));
        assert!(matches!(e(None, "connection refused"), DbError::Other(m) if m == "connection refused"));
    }
}
