//! The Sql port over rusqlite. One connection behind a mutex: SQLite serialises writers anyway,
//! and a batch runs in one transaction like D1's. The connection has D1's limits, far tighter
//! than SQLite's defaults, so the in-process suite fails where the Worker would.

use std::path::Path;
use std::sync::Mutex;

use async_trait::async_trait;
use herald::sql::migrate::{self, Migration, Report};
use herald::sql::{DbError, Dialect, Raw, Row, Sql, Statement, Value};
use rusqlite::limits::Limit;
use rusqlite::types::{ToSqlOutput, ValueRef};
use rusqlite::{Connection, ErrorCode, ToSql};
use serde_json::{Map, Number, Value as Json};

pub struct SqliteDb {
    conn: Mutex<Connection>,
}

struct Param<'a>(&'a Value);

impl ToSql for Param<'_> {
    fn to_sql(&self) -> rusqlite::Result<ToSqlOutput<'_>> {
        Ok(match self.0 {
            Value::Null => ToSqlOutput::Borrowed(ValueRef::Null),
            Value::Int(i) => ToSqlOutput::Borrowed(ValueRef::Integer(*i)),
            Value::Real(f) => ToSqlOutput::Borrowed(ValueRef::Real(*f)),
            Value::Text(s) => ToSqlOutput::Borrowed(ValueRef::Text(s.as_bytes())),
        })
    }
}

fn map_err(e: rusqlite::Error) -> DbError {
    match &e {
        rusqlite::Error::SqliteFailure(f, msg) if f.code == ErrorCode::ConstraintViolation => {
            let text = msg.clone().unwrap_or_else(|| e.to_string());
            // SQLITE_CONSTRAINT_UNIQUE and SQLITE_CONSTRAINT_PRIMARYKEY
            if f.extended_code == 2067 || f.extended_code == 1555 {
                DbError::Unique(text)
            } else {
                DbError::Constraint(text)
            }
        }
        _ => DbError::Other(e.to_string()),
    }
}

fn to_json(v: ValueRef<'_>) -> Json {
    match v {
        ValueRef::Null => Json::Null,
        ValueRef::Integer(i) => Json::Number(i.into()),
        ValueRef::Real(f) => Number::from_f64(f).map_or(Json::Null, Json::Number),
        ValueRef::Text(t) => Json::String(String::from_utf8_lossy(t).into_owned()),
        ValueRef::Blob(b) => Json::Array(b.iter().map(|x| Json::Number((*x).into())).collect()),
    }
}

fn run_query(conn: &Connection, sql: &str, params: &[Value]) -> Result<Vec<Row>, DbError> {
    let mut stmt = conn.prepare_cached(sql).map_err(map_err)?;
    let names: Vec<String> = stmt.column_names().map(|s| s.to_string()).collect();
    let bound: Vec<Param<'_>> = params.iter().map(Param).collect();
    let refs: Vec<&dyn ToSql> = bound.iter().map(|p| p as &dyn ToSql).collect();
    let mut rows = stmt.query(refs.as_slice()).map_err(map_err)?;
    let mut out = Vec::new();
    while let Some(row) = rows.next().map_err(map_err)? {
        let mut map = Map::with_capacity(names.len());
        for (i, name) in names.iter().enumerate() {
            map.insert(name.clone(), to_json(row.get_ref(i).map_err(map_err)?));
        }
        out.push(Row(map));
    }
    Ok(out)
}

fn run_execute(conn: &Connection, sql: &str, params: &[Value]) -> Result<u64, DbError> {
    let mut stmt = conn.prepare_cached(sql).map_err(map_err)?;
    let bound: Vec<Param<'_>> = params.iter().map(Param).collect();
    let refs: Vec<&dyn ToSql> = bound.iter().map(|p| p as &dyn ToSql).collect();
    stmt.execute(refs.as_slice()).map(|n| n as u64).map_err(map_err)
}

/// One rusqlite connection, statement by statement, for the migration runner.
struct RawSqlite<'a>(&'a Connection);

#[async_trait(?Send)]
impl Raw for RawSqlite<'_> {
    async fn exec(&self, sql: &str, params: &[Value]) -> Result<u64, DbError> {
        let mut stmt = self.0.prepare(sql).map_err(map_err)?;
        let bound: Vec<Param<'_>> = params.iter().map(Param).collect();
        let refs: Vec<&dyn ToSql> = bound.iter().map(|p| p as &dyn ToSql).collect();
        // Stepped through, not `execute`: a statement may answer rows (a PRAGMA).
        let mut rows = stmt.query(refs.as_slice()).map_err(map_err)?;
        while rows.next().map_err(map_err)?.is_some() {}
        Ok(self.0.changes())
    }

    async fn rows(&self, sql: &str, params: &[Value]) -> Result<Vec<Row>, DbError> {
        run_query(self.0, sql, params)
    }
}

/// Runs the runner over rusqlite, which never waits: its future is ready on the first poll.
fn ready(work: impl std::future::Future<Output = Result<Report, DbError>>) -> Result<Report, DbError> {
    let mut cx = std::task::Context::from_waker(std::task::Waker::noop());
    match std::pin::pin!(work).poll(&mut cx) {
        std::task::Poll::Ready(result) => result,
        std::task::Poll::Pending => Err(DbError::Other("the SQLite migration runner waited".into())),
    }
}

/// Every `*.sql` file of `dir`, in name order: the migrations of a folder given at run time.
pub fn migrations_in(dir: &Path) -> Result<Vec<Migration>, DbError> {
    let read = |p: &Path, e: std::io::Error| DbError::Other(format!("{}: {e}", p.display()));
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .map_err(|e| read(dir, e))?
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "sql"))
        .collect();
    files.sort();
    files
        .into_iter()
        .map(|file| {
            let sql = std::fs::read_to_string(&file).map_err(|e| read(&file, e))?;
            let name = file.file_name().and_then(|n| n.to_str()).unwrap_or_default().to_string();
            Ok(Migration::new(name, sql))
        })
        .collect()
}

/// Applies `list` to the SQLite file at `path` with the one runner. Safe to run twice and
/// concurrently (each migration takes the write lock up front).
pub fn migrate_file(path: &Path, list: &[Migration]) -> Result<Report, DbError> {
    let conn = Connection::open(path).map_err(map_err)?;
    conn.execute_batch("PRAGMA foreign_keys = ON; PRAGMA journal_mode = WAL;").map_err(map_err)?;
    ready(migrate::apply(&RawSqlite(&conn), Dialect::Sqlite, list))
}

impl SqliteDb {
    /// A private in-memory database with every migration of `dir` applied.
    pub fn in_memory(migrations: &Path) -> Result<Self, DbError> {
        let conn = Connection::open_in_memory().map_err(map_err)?;
        Self::setup(conn, migrations)
    }

    pub fn open(path: &Path, migrations: &Path) -> Result<Self, DbError> {
        let conn = Connection::open(path).map_err(map_err)?;
        Self::setup(conn, migrations)
    }

    fn setup(conn: Connection, migrations: &Path) -> Result<Self, DbError> {
        // D1's documented limits (developers.cloudflare.com/d1/platform/limits).
        for (limit, value) in [
            (Limit::SQLITE_LIMIT_VARIABLE_NUMBER, 100),
            (Limit::SQLITE_LIMIT_LIKE_PATTERN_LENGTH, 50),
            (Limit::SQLITE_LIMIT_SQL_LENGTH, 100_000),
        ] {
            conn.set_limit(limit, value).map_err(map_err)?;
        }
        conn.execute_batch("PRAGMA foreign_keys = ON; PRAGMA journal_mode = WAL;").map_err(map_err)?;
        ready(migrate::apply(&RawSqlite(&conn), Dialect::Sqlite, &migrations_in(migrations)?))?;
        Ok(Self { conn: Mutex::new(conn) })
    }

    fn conn(&self) -> Result<std::sync::MutexGuard<'_, Connection>, DbError> {
        self.conn.lock().map_err(|_| DbError::Other("connection mutex poisoned".into()))
    }
}

#[async_trait(?Send)]
impl Sql for SqliteDb {
    async fn query(&self, sql: &str, params: &[Value]) -> Result<Vec<Row>, DbError> {
        run_query(&*self.conn()?, sql, params)
    }

    async fn execute(&self, sql: &str, params: &[Value]) -> Result<u64, DbError> {
        run_execute(&*self.conn()?, sql, params)
    }

    async fn batch(&self, statements: &[Statement]) -> Result<Vec<u64>, DbError> {
        let mut conn = self.conn()?;
        let tx = conn.transaction().map_err(map_err)?;
        let mut changed = Vec::with_capacity(statements.len());
        for s in statements {
            changed.push(run_execute(&tx, &s.sql, &s.params)?);
        }
        tx.commit().map_err(map_err)?;
        Ok(changed)
    }
}
