//! The Sql port over one raw connection, for SQLite and for Postgres. The host supplies the
//! raw connection (Spin's `sqlite` or `pg`); the transactions, the placeholder rewriting and
//! the tenant scope are here, so the native tests cover them (over rusqlite and a recorder).

use std::cell::RefCell;

use async_trait::async_trait;
use futures::lock::Mutex;
use herald::sql::pg::{rewrite_placeholders, scope_settings, SET_SCOPE_SQL};
use herald::sql::{DbError, Row, Scope, Sql, Statement, Value};

/// One connection, statement by statement; SQL goes through unchanged.
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
async fn run_all<R: Raw + ?Sized>(
    raw: &R,
    statements: &[Statement],
    rewrite: fn(&str) -> String,
) -> Result<Vec<u64>, DbError> {
    let mut changed = Vec::with_capacity(statements.len());
    for s in statements {
        changed.push(raw.exec(&rewrite(&s.sql), &s.params).await?);
    }
    Ok(changed)
}

fn verbatim(sql: &str) -> String {
    sql.to_string()
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
        let result = run_all(&self.raw, statements, verbatim).await;
        finish(&self.raw, result).await
    }
}

/// Postgres: `?N` rewritten to `$N`; every statement and every batch in a transaction that
/// first applies the scope's settings, which row-level security reads.
pub struct PgSql<R> {
    raw: R,
    scope: RefCell<Scope>,
    /// One transaction at a time on the one connection.
    lock: Mutex<()>,
}

impl<R: Raw> PgSql<R> {
    pub fn new(raw: R) -> Self {
        Self { raw, scope: RefCell::new(Scope::default()), lock: Mutex::new(()) }
    }

    async fn begin(&self) -> Result<(), DbError> {
        self.raw.exec("BEGIN", &[]).await?;
        let scope = self.scope.borrow().clone();
        let settings: Vec<Value> = scope_settings(&scope).into_iter().map(|(_, v)| Value::Text(v)).collect();
        if let Err(e) = self.raw.exec(SET_SCOPE_SQL, &settings).await {
            let _ = self.raw.exec("ROLLBACK", &[]).await;
            return Err(e);
        }
        Ok(())
    }
}

#[async_trait(?Send)]
impl<R: Raw> Sql for PgSql<R> {
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
        let result = self.raw.rows(&rewrite_placeholders(sql), params).await;
        finish(&self.raw, result).await
    }

    async fn execute(&self, sql: &str, params: &[Value]) -> Result<u64, DbError> {
        let _one = self.lock.lock().await;
        self.begin().await?;
        let result = self.raw.exec(&rewrite_placeholders(sql), params).await;
        finish(&self.raw, result).await
    }

    async fn batch(&self, statements: &[Statement]) -> Result<Vec<u64>, DbError> {
        let _one = self.lock.lock().await;
        self.begin().await?;
        let result = run_all(&self.raw, statements, rewrite_placeholders).await;
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

    /// Records what reaches the connection; fails the statements that contain `fail_on`.
    #[derive(Default)]
    pub struct Recorder {
        pub log: RefCell<Vec<(String, Vec<Value>)>>,
        pub fail_on: Option<&'static str>,
    }

    impl Recorder {
        fn answer(&self, sql: &str, params: &[Value]) -> Result<(), DbError> {
            self.log.borrow_mut().push((sql.to_string(), params.to_vec()));
            match self.fail_on {
                Some(f) if sql.contains(f) => Err(DbError::Unique("boom".into())),
                _ => Ok(()),
            }
        }

        pub fn statements(&self) -> Vec<String> {
            self.log.borrow().iter().map(|(s, _)| s.clone()).collect()
        }
    }

    #[async_trait(?Send)]
    impl Raw for Recorder {
        async fn exec(&self, sql: &str, params: &[Value]) -> Result<u64, DbError> {
            self.answer(sql, params).map(|()| 1)
        }

        async fn rows(&self, sql: &str, params: &[Value]) -> Result<Vec<Row>, DbError> {
            self.answer(sql, params).map(|()| Vec::new())
        }
    }

    #[test]
    fn pg_statements_run_in_a_scoped_transaction() {
        let db = PgSql::new(Recorder::default());
        db.set_scope(Scope { user_id: Some("u1".into()), workspace_id: Some("w1".into()), ..Default::default() });
        block_on(db.query("SELECT * FROM t WHERE a = ?1 AND b = '?2'", &params!["x"])).unwrap();
        let log = db.raw.log.borrow();
        let sql: Vec<&str> = log.iter().map(|(s, _)| s.as_str()).collect();
        assert_eq!(sql, vec!["BEGIN", SET_SCOPE_SQL, "SELECT * FROM t WHERE a = $1 AND b = '?2'", "COMMIT"]);
        assert_eq!(log[1].1, params!["u1", "w1", "", "", ""]);
        assert_eq!(log[2].1, params!["x"]);
    }

    #[test]
    fn pg_batches_roll_back_on_the_first_failure() {
        let db = PgSql::new(Recorder { fail_on: Some("second"), ..Default::default() });
        db.set_scope(Scope { system: true, ..Default::default() });
        let result = block_on(db.batch(&[
            Statement::new("UPDATE first SET a = ?1", params![1]),
            Statement::new("UPDATE second SET a = ?1", params![2]),
            Statement::new("UPDATE third SET a = ?1", params![3]),
        ]));
        assert!(matches!(result, Err(DbError::Unique(_))));
        assert_eq!(
            db.raw.statements(),
            vec!["BEGIN", SET_SCOPE_SQL, "UPDATE first SET a = $1", "UPDATE second SET a = $1", "ROLLBACK"]
        );
        assert_eq!(db.raw.log.borrow()[1].1[3], Value::Text("on".into()));
    }

    #[test]
    fn pg_scope_is_kept_until_changed() {
        let db = PgSql::new(Recorder::default());
        assert_eq!(db.scope(), Scope::default());
        let s = Scope { invite_token_hash: Some("h".into()), ..Default::default() };
        db.set_scope(s.clone());
        assert_eq!(db.scope(), s);
        block_on(db.execute("DELETE FROM t", &[])).unwrap();
        assert_eq!(db.raw.log.borrow()[1].1[2], Value::Text("h".into()));
    }
}
