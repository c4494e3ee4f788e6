//! The Sql port over Spin's SQLite: the host supplies the raw connection; the transactions are
//! here, so the native tests cover them (over rusqlite). Postgres is herald-postgres's `PgSql`
//! over Spin's pg (`host.rs`).

use async_trait::async_trait;
use futures::lock::Mutex;
use herald::sql::{DbError, Raw, Row, Sql, Statement, Value};

/// Commits `result`'s transaction, or rolls it back and answers the statement's error (the
/// one worth reporting).
async fn finish<T, R: Raw + ?Sized>(raw: &R, result: Result<T, DbError>) -> Result<T, DbError> {
    match result {
        Ok(value) => {
            raw.exec("COMMIT", &[]).await?;
            Ok(value)
        }
        Err(e) => {
            let _ = raw.exec("ROLLBACK", &[]).await;
            Err(e)
        }
    }
}

/// Runs every statement, stopping at the first failure.
async fn run_all<R: Raw + ?Sized>(raw: &R, statements: &[Statement]) -> Result<Vec<u64>, DbError> {
    let mut changed = Vec::with_capacity(statements.len());
    for s in statements {
        changed.push(raw.exec(&s.sql, &s.params).await?);
    }
    Ok(changed)
}

/// SQLite: statements as written; a batch in one `BEGIN IMMEDIATE` transaction (the write
/// lock up front, so two batches never deadlock upgrading a read lock). One statement or
/// batch at a time on the one connection: concurrent work (the tick publishing several
/// publications at once) never slips a statement into another's transaction.
pub struct SqliteSql<R> {
    raw: R,
    lock: Mutex<()>,
}

impl<R: Raw> SqliteSql<R> {
    pub fn new(raw: R) -> Self {
        Self { raw, lock: Mutex::new(()) }
    }

    pub fn raw(&self) -> &R {
        &self.raw
    }
}

#[async_trait(?Send)]
impl<R: Raw> Sql for SqliteSql<R> {
    async fn query(&self, sql: &str, params: &[Value]) -> Result<Vec<Row>, DbError> {
        let _one = self.lock.lock().await;
        self.raw.rows(sql, params).await
    }

    async fn execute(&self, sql: &str, params: &[Value]) -> Result<u64, DbError> {
        let _one = self.lock.lock().await;
        self.raw.exec(sql, params).await
    }

    async fn batch(&self, statements: &[Statement]) -> Result<Vec<u64>, DbError> {
        let _one = self.lock.lock().await;
        self.raw.exec("BEGIN IMMEDIATE", &[]).await?;
        let result = run_all(&self.raw, statements).await;
        finish(&self.raw, result).await
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use futures::executor::block_on;
    use herald::params;
    use rusqlite::types::{ToSqlOutput, ValueRef};
    use rusqlite::{Connection, ToSql};
    use serde_json::{Map, Value as Json};

    /// The Raw port over rusqlite, as Spin's host runs it (one connection, text errors).
    pub struct Rusqlite(pub Connection);

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

    fn err(e: rusqlite::Error) -> DbError {
        crate::values::classify_sqlite(&e.to_string())
    }

    #[async_trait(?Send)]
    impl Raw for Rusqlite {
        async fn exec(&self, sql: &str, params: &[Value]) -> Result<u64, DbError> {
            let bound: Vec<Param<'_>> = params.iter().map(Param).collect();
            let refs: Vec<&dyn ToSql> = bound.iter().map(|p| p as &dyn ToSql).collect();
            let mut stmt = self.0.prepare(sql).map_err(err)?;
            let mut rows = stmt.query(refs.as_slice()).map_err(err)?;
            while rows.next().map_err(err)?.is_some() {}
            Ok(self.0.changes())
        }

        async fn rows(&self, sql: &str, params: &[Value]) -> Result<Vec<Row>, DbError> {
            let bound: Vec<Param<'_>> = params.iter().map(Param).collect();
            let refs: Vec<&dyn ToSql> = bound.iter().map(|p| p as &dyn ToSql).collect();
            let mut stmt = self.0.prepare(sql).map_err(err)?;
            let names: Vec<String> = stmt.column_names().map(|s| s.to_string()).collect();
            let mut rows = stmt.query(refs.as_slice()).map_err(err)?;
            let mut out = Vec::new();
            while let Some(row) = rows.next().map_err(err)? {
                let mut map = Map::new();
                for (i, name) in names.iter().enumerate() {
                    let v = match row.get_ref(i).map_err(err)? {
                        ValueRef::Null => Json::Null,
                        ValueRef::Integer(n) => Json::Number(n.into()),
                        ValueRef::Text(t) => Json::String(String::from_utf8_lossy(t).into_owned()),
                        other => Json::String(format!("{other:?}")),
                    };
                    map.insert(name.clone(), v);
                }
                out.push(Row(map));
            }
            Ok(out)
        }
    }

    pub fn sqlite() -> Rusqlite {
        let conn = Connection::open_in_memory().unwrap();
        conn.execute_batch("CREATE TABLE t (id TEXT PRIMARY KEY, n INTEGER NOT NULL)").unwrap();
        Rusqlite(conn)
    }

    #[test]
    fn sqlite_statements_count_their_changes() {
        let db = SqliteSql::new(sqlite());
        block_on(async {
            assert_eq!(db.execute("INSERT INTO t VALUES (?1, ?2)", &params!["a", 1]).await.unwrap(), 1);
            assert_eq!(db.execute("UPDATE t SET n = n + 1 WHERE id = ?1", &params!["zz"]).await.unwrap(), 0);
            let row = db.query_one("SELECT id, n FROM t WHERE id = ?1", &params!["a"]).await.unwrap().unwrap();
            assert_eq!(row.int("n").unwrap(), 1);
            let dup = db.execute("INSERT INTO t VALUES (?1, ?2)", &params!["a", 2]).await;
            assert!(matches!(dup, Err(DbError::Unique(_))), "{dup:?}");
        });
    }

    #[test]
    fn sqlite_batches_are_all_or_nothing() {
        let db = SqliteSql::new(sqlite());
        block_on(async {
            let ok = db
                .batch(&[
                    Statement::new("INSERT INTO t VALUES (?1, ?2)", params!["a", 1]),
                    Statement::new("INSERT INTO t VALUES (?1, ?2)", params!["b", 2]),
                    Statement::new("UPDATE t SET n = n * 10", params![]),
                ])
                .await
                .unwrap();
            assert_eq!(ok, vec![1, 1, 2]);
            let failed = db
                .batch(&[
                    Statement::new("INSERT INTO t VALUES (?1, ?2)", params!["c", 3]),
                    Statement::new("INSERT INTO t VALUES (?1, ?2)", params!["a", 4]),
                ])
                .await;
            assert!(matches!(failed, Err(DbError::Unique(_))), "{failed:?}");
            let rows = db.query("SELECT id FROM t ORDER BY id", &[]).await.unwrap();
            let ids: Vec<String> = rows.iter().map(|r| r.text("id").unwrap()).collect();
            assert_eq!(ids, vec!["a", "b"], "the failed batch left nothing behind");
            // The connection is usable again: no transaction was left open.
            db.batch(&[Statement::new("INSERT INTO t VALUES (?1, ?2)", params!["c", 3])]).await.unwrap();
        });
    }
}
