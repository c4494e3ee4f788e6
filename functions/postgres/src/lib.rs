//! The Sql port over Postgres, once, for every host: placeholders rewritten, one transaction at
//! a time on the connection, each statement and batch in a transaction that first sets the
//! tenant settings row-level security reads. What speaks the protocol is a [`PgConnection`]:
//! tokio-postgres (the default feature, `tokio_pg`; native hosts and the Worker through
//! Hyperdrive) or Spin's pg (implemented in functions/spin).

use std::cell::RefCell;

use async_trait::async_trait;
use futures_util::lock::Mutex;
use herald::sql::pg::{rewrite_placeholders, scope_settings};
use herald::sql::{DbError, Raw, Row, Scope, Sql, Statement, Value};

#[cfg(feature = "tokio-postgres")]
mod tokio_pg;
#[cfg(feature = "tokio-postgres")]
pub use tokio_pg::{map_err, TokioPg};

/// One statement of a transaction, with `$N` placeholders.
pub enum Step<'a> {
    /// Its rows are wanted.
    Query(String, &'a [Value]),
    /// The number of rows it changed is wanted.
    Execute(String, &'a [Value]),
}

/// What one [`Step`] answered.
pub enum Answer {
    Rows(Vec<Row>),
    Changed(u64),
}

/// A Postgres driver: statements one by one (the [`Raw`] the migration runner also drives) and
/// a whole transaction, which a driver that pipelines sends in as few round trips as it can.
#[async_trait(?Send)]
pub trait PgConnection: Raw {
    /// `BEGIN`, then `setup` (no parameters), then every step, then `COMMIT`: one transaction.
    /// The first failure rolls it back and is the answer.
    async fn transaction(&self, setup: &str, steps: &[Step<'_>]) -> Result<Vec<Answer>, DbError> {
        one_by_one(self, setup, steps).await
    }
}

/// [`PgConnection::transaction`] a statement at a time.
pub async fn one_by_one<C: Raw + ?Sized>(conn: &C, setup: &str, steps: &[Step<'_>]) -> Result<Vec<Answer>, DbError> {
    conn.exec("BEGIN", &[]).await?;
    let work = async {
        conn.exec(setup, &[]).await?;
        let mut answers = Vec::with_capacity(steps.len());
        for step in steps {
            answers.push(match step {
                Step::Query(sql, params) => Answer::Rows(conn.rows(sql, params).await?),
                Step::Execute(sql, params) => Answer::Changed(conn.exec(sql, params).await?),
            });
        }
        Ok(answers)
    };
    match work.await {
        Ok(answers) => {
            conn.exec("COMMIT", &[]).await?;
            Ok(answers)
        }
        Err(e) => {
            let _ = conn.exec("ROLLBACK", &[]).await;
            Err(e)
        }
    }
}

// Written twice only for the default driver: `PgSql` alone names the tokio-postgres one.
/// The Sql port over one Postgres connection.
#[cfg(feature = "tokio-postgres")]
pub struct PgSql<C: PgConnection = TokioPg> {
    conn: C,
    scope: RefCell<Scope>,
    /// One transaction at a time on this connection.
    lock: Mutex<()>,
}

/// The Sql port over one Postgres connection.
#[cfg(not(feature = "tokio-postgres"))]
pub struct PgSql<C: PgConnection> {
    conn: C,
    scope: RefCell<Scope>,
    /// One transaction at a time on this connection.
    lock: Mutex<()>,
}

impl<C: PgConnection> PgSql<C> {
    pub fn over(conn: C) -> Self {
        Self { conn, scope: RefCell::new(Scope::default()), lock: Mutex::new(()) }
    }

    /// The connection, for what runs outside the port's transactions (the migration runner).
    pub fn connection(&self) -> &C {
        &self.conn
    }

    /// Runs `steps` in one transaction under the current scope.
    async fn run(&self, steps: &[Step<'_>]) -> Result<Vec<Answer>, DbError> {
        let _one = self.lock.lock().await;
        let setup = set_scope(&self.scope.borrow());
        self.conn.transaction(&setup, steps).await
    }
}

/// The tenant settings as one statement without parameters.
fn set_scope(scope: &Scope) -> String {
    let sets: Vec<String> = scope_settings(scope)
        .iter()
        .map(|(k, v)| format!("set_config({}, {}, true)", literal(k), literal(v)))
        .collect();
    format!("SELECT {}", sets.join(", "))
}

/// Single quotes doubled: the settings are ids and hashes, but nothing is trusted.
fn literal(s: &str) -> String {
    format!("'{}'", s.replace('\'', "''"))
}

fn unexpected() -> DbError {
    DbError::Other("the Postgres driver answered another kind of result".into())
}

#[async_trait(?Send)]
impl<C: PgConnection> Sql for PgSql<C> {
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
        match self.run(&[Step::Query(rewrite_placeholders(sql), params)]).await?.pop() {
            Some(Answer::Rows(rows)) => Ok(rows),
            _ => Err(unexpected()),
        }
    }

    async fn execute(&self, sql: &str, params: &[Value]) -> Result<u64, DbError> {
        match self.run(&[Step::Execute(rewrite_placeholders(sql), params)]).await?.pop() {
            Some(Answer::Changed(n)) => Ok(n),
            _ => Err(unexpected()),
        }
    }

    async fn batch(&self, statements: &[Statement]) -> Result<Vec<u64>, DbError> {
        let steps: Vec<Step<'_>> =
            statements.iter().map(|s| Step::Execute(rewrite_placeholders(&s.sql), &s.params)).collect();
        self.run(&steps)
            .await?
            .into_iter()
            .map(|a| match a {
                Answer::Changed(n) => Ok(n),
                Answer::Rows(_) => Err(unexpected()),
            })
            .collect()
    }

    async fn reads(&self, statements: &[Statement]) -> Result<Vec<Vec<Row>>, DbError> {
        let steps: Vec<Step<'_>> =
            statements.iter().map(|s| Step::Query(rewrite_placeholders(&s.sql), &s.params)).collect();
        self.run(&steps)
            .await?
            .into_iter()
            .map(|a| match a {
                Answer::Rows(rows) => Ok(rows),
                Answer::Changed(_) => Err(unexpected()),
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use futures_util::FutureExt;
    use herald::params;

    use super::*;

    #[test]
    fn literals_are_quoted() {
        assert_eq!(literal("a'b"), "'a''b'");
    }

    /// Records what reaches the connection; fails the statements that contain `fail_on`.
    #[derive(Default)]
    struct Recorder {
        log: RefCell<Vec<(String, Vec<Value>)>>,
        fail_on: Option<&'static str>,
    }

    impl Recorder {
        fn answer(&self, sql: &str, params: &[Value]) -> Result<(), DbError> {
            self.log.borrow_mut().push((sql.to_string(), params.to_vec()));
            match self.fail_on {
                Some(f) if sql.contains(f) => Err(DbError::Unique("boom".into())),
                _ => Ok(()),
            }
        }

        fn statements(&self) -> Vec<String> {
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

    impl PgConnection for Recorder {}

    fn run<T>(f: impl std::future::Future<Output = T>) -> T {
        f.now_or_never().expect("the recorder never waits")
    }

    #[test]
    fn statements_run_in_a_scoped_transaction() {
        let db = PgSql::over(Recorder::default());
        db.set_scope(Scope { user_id: Some("u1".into()), workspace_id: Some("w1".into()), ..Default::default() });
        run(db.query("SELECT * FROM t WHERE a = ?1 AND b = '?2'", &params!["x"])).unwrap();
        let log = db.conn.log.borrow();
        let sql: Vec<&str> = log.iter().map(|(s, _)| s.as_str()).collect();
        assert_eq!(sql[0], "BEGIN");
        assert!(sql[1].contains("set_config('app.user_id', 'u1', true), set_config('app.workspace_id', 'w1', true)"));
        assert_eq!(sql[2..], ["SELECT * FROM t WHERE a = $1 AND b = '?2'", "COMMIT"]);
        assert_eq!(log[2].1, params!["x"]);
    }

    #[test]
    fn batches_roll_back_on_the_first_failure() {
        let db = PgSql::over(Recorder { fail_on: Some("second"), ..Default::default() });
        db.set_scope(Scope { system: true, ..Default::default() });
        let result = run(db.batch(&[
            Statement::new("UPDATE first SET a = ?1", params![1]),
            Statement::new("UPDATE second SET a = ?1", params![2]),
            Statement::new("UPDATE third SET a = ?1", params![3]),
        ]));
        assert!(matches!(result, Err(DbError::Unique(_))));
        let statements = db.conn.statements();
        assert!(statements[1].contains("set_config('app.system', 'on', true)"));
        assert_eq!(
            statements[2..],
            ["UPDATE first SET a = $1", "UPDATE second SET a = $1", "ROLLBACK"].map(String::from)
        );
    }

    #[test]
    fn the_scope_is_kept_until_changed() {
        let db = PgSql::over(Recorder::default());
        assert_eq!(db.scope(), Scope::default());
        let s = Scope { invite_token_hash: Some("h'".into()), ..Default::default() };
        db.set_scope(s.clone());
        assert_eq!(db.scope(), s);
        run(db.execute("DELETE FROM t", &[])).unwrap();
        assert!(db.conn.statements()[1].contains("set_config('app.invite_token_hash', 'h''', true)"));
    }
}
