//! The Sql port. Statements are written once, with numbered placeholders `?1, ?2…`, in the
//! dialect shared by SQLite/D1 and Postgres; adapters rewrite what they must. D1 has no
//! interactive transactions, so multi-row writes go through [`Sql::batch`], which is atomic.

pub mod migrate;
pub mod pg;
pub mod split;

use std::borrow::Cow;

use async_trait::async_trait;
use serde_json::{Map, Value as Json};

/// D1 binds at most 100 parameters per statement; a query over a list of ids takes them in
/// chunks of this many, leaving room for the statement's other parameters.
pub const MAX_IDS_PER_STATEMENT: usize = 90;

/// `?first, ?first+1, …` for `count` values: the placeholders of one chunk of ids, which are
/// bound, never spliced.
pub fn placeholders(first: usize, count: usize) -> String {
    (first..first + count).map(|i| format!("?{i}")).collect::<Vec<_>>().join(", ")
}

/// A read over a list of ids, as statements D1 takes: one per chunk of at most
/// [`MAX_IDS_PER_STATEMENT`] ids. `leading` binds `?1…?k`, the chunk's ids follow, and `sql`
/// writes each statement around its chunk's placeholders (`?k+1, …`). No ids, no statements.
pub fn in_chunks(leading: &[Value], ids: &[String], sql: impl Fn(&str) -> String) -> Vec<Statement> {
    ids.chunks(MAX_IDS_PER_STATEMENT)
        .map(|chunk| {
            let mut values = leading.to_vec();
            values.extend(chunk.iter().map(Value::from));
            Statement::new(sql(&placeholders(leading.len() + 1, chunk.len())), values)
        })
        .collect()
}

#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Null,
    Int(i64),
    Real(f64),
    Text(String),
}

impl From<&str> for Value {
    fn from(v: &str) -> Self {
        Value::Text(v.to_string())
    }
}
impl From<String> for Value {
    fn from(v: String) -> Self {
        Value::Text(v)
    }
}
impl From<&String> for Value {
    fn from(v: &String) -> Self {
        Value::Text(v.clone())
    }
}
impl From<i64> for Value {
    fn from(v: i64) -> Self {
        Value::Int(v)
    }
}
impl<T: Into<Value>> From<Option<T>> for Value {
    fn from(v: Option<T>) -> Self {
        v.map_or(Value::Null, Into::into)
    }
}

/// Build a parameter list: `params![a, b, c]`.
#[macro_export]
macro_rules! params {
    ($($v:expr),* $(,)?) => { vec![$($crate::sql::Value::from($v)),*] };
}

/// One statement with its parameters, for batches.
#[derive(Debug, Clone)]
pub struct Statement {
    pub sql: Cow<'static, str>,
    pub params: Vec<Value>,
}

impl Statement {
    pub fn new(sql: impl Into<Cow<'static, str>>, params: Vec<Value>) -> Self {
        Self { sql: sql.into(), params }
    }

    /// A statement that aborts its batch unless `exists_sql` (a `SELECT 1 … WHERE …` with
    /// these parameters) finds a row: D1 has no transactions to roll back by hand, so a batch
    /// checks its own preconditions. The batch then fails with [`DbError::Constraint`].
    pub fn guard(exists_sql: &str, params: Vec<Value>) -> Self {
        // `batch_guard` accepts only 1; inserting 0 violates its CHECK.
        Self::new(format!("INSERT INTO batch_guard (ok) SELECT 0 WHERE NOT EXISTS ({exists_sql})"), params)
    }
}

#[derive(Debug, Clone, thiserror::Error)]
pub enum DbError {
    /// A unique or primary-key constraint refused the write.
    #[error("unique constraint: {0}")]
    Unique(String),
    #[error("constraint: {0}")]
    Constraint(String),
    #[error("column {0}: {1}")]
    Decode(String, String),
    #[error("database: {0}")]
    Other(String),
}

/// A result row, keyed by column name. Every adapter decodes into JSON values so that
/// the domain reads rows one way whatever the driver.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Row(pub Map<String, Json>);

impl Row {
    fn get(&self, col: &str) -> Option<&Json> {
        self.0.get(col).filter(|v| !v.is_null())
    }

    pub fn text(&self, col: &str) -> Result<String, DbError> {
        self.opt_text(col)?.ok_or_else(|| DbError::Decode(col.into(), "is null or missing".into()))
    }

    pub fn opt_text(&self, col: &str) -> Result<Option<String>, DbError> {
        match self.get(col) {
            None => Ok(None),
            Some(Json::String(s)) => Ok(Some(s.clone())),
            Some(other) => Err(DbError::Decode(col.into(), format!("expected text, got {other}"))),
        }
    }

    pub fn int(&self, col: &str) -> Result<i64, DbError> {
        self.opt_int(col)?.ok_or_else(|| DbError::Decode(col.into(), "is null or missing".into()))
    }

    /// D1 hands numbers over as JavaScript doubles; whole doubles are accepted.
    pub fn opt_int(&self, col: &str) -> Result<Option<i64>, DbError> {
        match self.get(col) {
            None => Ok(None),
            Some(Json::Number(n)) => n
                .as_i64()
                .or_else(|| n.as_f64().filter(|f| f.fract() == 0.0).map(|f| f as i64))
                .map(Some)
                .ok_or_else(|| DbError::Decode(col.into(), format!("expected integer, got {n}"))),
            Some(Json::String(s)) => {
                s.parse().map(Some).map_err(|_| DbError::Decode(col.into(), format!("expected integer, got {s}")))
            }
            Some(other) => Err(DbError::Decode(col.into(), format!("expected integer, got {other}"))),
        }
    }

    /// A column holding a JSON document as text.
    pub fn json(&self, col: &str) -> Result<Json, DbError> {
        match self.get(col) {
            None => Ok(Json::Null),
            Some(Json::String(s)) => {
                serde_json::from_str(s).map_err(|e| DbError::Decode(col.into(), format!("invalid JSON: {e}")))
            }
            Some(other) => Ok(other.clone()),
        }
    }
}

/// Whom the following statements run for. SQLite and D1 ignore it; Postgres turns it into
/// transaction-local settings that its row-level security policies read — a second wall
/// behind the `WHERE workspace_id = ?` every repository writes.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Scope {
    pub user_id: Option<String>,
    pub workspace_id: Option<String>,
    /// Lets an invitation be found by its token before its workspace is known.
    pub invite_token_hash: Option<String>,
    /// Scheduled maintenance across tenants.
    pub system: bool,
    /// Lets a review link be found by its token before its workspace is known.
    pub review_token_hash: Option<String>,
}

/// The SQL family behind a handle. Statements are written once for both; the few that cannot
/// be (full-text search) ask this.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    /// SQLite and D1.
    Sqlite,
    Postgres,
}

#[async_trait(?Send)]
pub trait Sql {
    fn dialect(&self) -> Dialect {
        Dialect::Sqlite
    }

    /// Sets the scope of every later statement on this handle.
    fn set_scope(&self, _scope: Scope) {}

    /// The current scope.
    fn scope(&self) -> Scope {
        Scope::default()
    }

    async fn query(&self, sql: &str, params: &[Value]) -> Result<Vec<Row>, DbError>;

    /// Runs one statement and answers how many rows it changed.
    async fn execute(&self, sql: &str, params: &[Value]) -> Result<u64, DbError>;

    /// Runs every statement or none, in order; answers the rows changed by each.
    async fn batch(&self, statements: &[Statement]) -> Result<Vec<u64>, DbError>;

    async fn query_one(&self, sql: &str, params: &[Value]) -> Result<Option<Row>, DbError> {
        Ok(self.query(sql, params).await?.into_iter().next())
    }

    /// Runs independent reads in one round trip where the database can (a D1 batch, one
    /// Postgres transaction sent together); answers the rows of each, in order. A database
    /// in the same process reads them one after another.
    async fn reads(&self, statements: &[Statement]) -> Result<Vec<Vec<Row>>, DbError> {
        let mut out = Vec::with_capacity(statements.len());
        for s in statements {
            out.push(self.query(&s.sql, &s.params).await?);
        }
        Ok(out)
    }
}

/// One connection, statement by statement: SQL goes through as given (in the connection's own
/// placeholders), with no transaction and no scope of its own. The migration runner drives one;
/// adapters build the [`Sql`] port over one.
#[async_trait(?Send)]
pub trait Raw {
    /// Runs one statement; answers the rows it changed.
    async fn exec(&self, sql: &str, params: &[Value]) -> Result<u64, DbError>;

    /// Runs one statement; answers its rows.
    async fn rows(&self, sql: &str, params: &[Value]) -> Result<Vec<Row>, DbError>;
}

/// A borrowed connection is a connection.
#[async_trait(?Send)]
impl<T: Raw + ?Sized> Raw for &T {
    async fn exec(&self, sql: &str, params: &[Value]) -> Result<u64, DbError> {
        (**self).exec(sql, params).await
    }

    async fn rows(&self, sql: &str, params: &[Value]) -> Result<Vec<Row>, DbError> {
        (**self).rows(sql, params).await
    }
}

/// A handle that counts its round trips: each query, execute and batch is one trip to the
/// database (on D1, one fetch; a batch of many statements is still one). The app counts every
/// request's trips (`x-db-round-trips`) and each route has a budget of them.
pub struct Counted<'a> {
    inner: &'a dyn Sql,
    trips: std::cell::Cell<u32>,
}

impl<'a> Counted<'a> {
    pub fn new(inner: &'a dyn Sql) -> Self {
        Self { inner, trips: std::cell::Cell::new(0) }
    }

    /// The round trips made so far.
    pub fn trips(&self) -> u32 {
        self.trips.get()
    }

    fn count(&self) {
        self.trips.set(self.trips.get().saturating_add(1));
    }
}

#[async_trait(?Send)]
impl Sql for Counted<'_> {
    fn dialect(&self) -> Dialect {
        self.inner.dialect()
    }

    fn set_scope(&self, scope: Scope) {
        self.inner.set_scope(scope)
    }

    fn scope(&self) -> Scope {
        self.inner.scope()
    }

    async fn query(&self, sql: &str, params: &[Value]) -> Result<Vec<Row>, DbError> {
        self.count();
        self.inner.query(sql, params).await
    }

    async fn execute(&self, sql: &str, params: &[Value]) -> Result<u64, DbError> {
        self.count();
        self.inner.execute(sql, params).await
    }

    async fn batch(&self, statements: &[Statement]) -> Result<Vec<u64>, DbError> {
        self.count();
        self.inner.batch(statements).await
    }

    async fn query_one(&self, sql: &str, params: &[Value]) -> Result<Option<Row>, DbError> {
        self.count();
        self.inner.query_one(sql, params).await
    }

    async fn reads(&self, statements: &[Statement]) -> Result<Vec<Vec<Row>>, DbError> {
        self.count();
        self.inner.reads(statements).await
    }
}
