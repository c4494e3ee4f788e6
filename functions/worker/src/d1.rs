//! The Sql port over D1. D1 speaks SQLite with `?N` placeholders and runs a batch atomically;
//! it hands numbers over as JavaScript doubles. A Postgres build links none of it (but the
//! bookmark header's name).
#![cfg_attr(feature = "postgres", allow(dead_code))]

use std::cell::RefCell;
use std::rc::Rc;

use async_trait::async_trait;
use herald::sql::{DbError, Row, Sql, Statement, Value};
use serde_json::{Map, Value as Json};
use wasm_bindgen::JsValue;
use worker::d1::{D1Database, D1DatabaseSession, D1PreparedStatement, D1Result};

/// The database itself, or a session of it (D1's read replication): reads go to the nearest
/// replica, and a session started from a bookmark sees at least what that bookmark saw.
enum Conn {
    Db(D1Database),
    #[cfg_attr(not(any(feature = "http", feature = "publisher")), allow(dead_code))]
    Session {
        db: D1Database,
        current: RefCell<Rc<D1DatabaseSession>>,
    },
}

pub struct D1Sql {
    conn: Conn,
    /// A bookmark that another function's writes reached (the publisher Worker's, after it
    /// published a private post for this request): the session moves on to it before its next
    /// statement, so this request's reads see those writes too, whichever replica answers.
    later: Rc<RefCell<Option<String>>>,
}

/// The header a client sends back with the bookmark of its last answer, so that its next
/// request reads at least what its last one wrote, from whichever replica serves it.
#[cfg(feature = "http")]
pub use herald::app::BOOKMARK_HEADER;

impl D1Sql {
    pub fn new(db: D1Database) -> Self {
        Self { conn: Conn::Db(db), later: Rc::default() }
    }

    /// A session for one request: from the client's `bookmark` when it sent a sane one, else
    /// from any replica for a read (`GET`, `HEAD`) and from the primary for anything else (a
    /// write's checks read the latest data).
    #[cfg(feature = "http")]
    pub fn session(db: D1Database, bookmark: Option<&str>, read_only: bool) -> Self {
        let sane = bookmark.filter(|b| herald::app::is_d1_bookmark(b.trim()));
        Self::started(db, sane.unwrap_or(if read_only { "first-unconstrained" } else { "first-primary" }))
    }

    /// A session from the primary: its bookmark, after the writes, is where they can be read.
    #[cfg(feature = "publisher")]
    pub fn primary_session(db: D1Database) -> Self {
        Self::started(db, "first-primary")
    }

    #[cfg(any(feature = "http", feature = "publisher"))]
    fn started(db: D1Database, start: &str) -> Self {
        match db.with_session(Some(start)) {
            Ok(session) => {
                Self { conn: Conn::Session { db, current: RefCell::new(Rc::new(session)) }, later: Rc::default() }
            }
            Err(e) => {
                tracing::warn!(cause = %e, "no D1 session: reading from the primary");
                Self::new(db)
            }
        }
    }

    /// The session's bookmark after the request, for the client to send back.
    #[cfg(any(feature = "http", feature = "publisher"))]
    pub fn bookmark(&self) -> Option<String> {
        match &self.conn {
            Conn::Session { current, .. } => current.borrow().get_bookmark().ok().flatten(),
            Conn::Db(_) => None,
        }
    }

    /// Where another function's bookmark goes for this session to catch up with ([`D1Sql::later`]).
    #[cfg_attr(not(feature = "forward-private-sends"), allow(dead_code))]
    pub fn catch_up(&self) -> Rc<RefCell<Option<String>>> {
        self.later.clone()
    }

    /// The session to run the next statement in, moved on to a later bookmark if one came.
    fn current(&self, db: &D1Database, current: &RefCell<Rc<D1DatabaseSession>>) -> Rc<D1DatabaseSession> {
        if let Some(bookmark) = self.later.borrow_mut().take() {
            match db.with_session(Some(&bookmark)) {
                Ok(session) => *current.borrow_mut() = Rc::new(session),
                Err(e) => tracing::warn!(cause = %e, "the D1 session could not move on to a later bookmark"),
            }
        }
        current.borrow().clone()
    }

    fn prepare(&self, sql: &str, params: &[Value]) -> Result<D1PreparedStatement, DbError> {
        let values: Vec<JsValue> = params.iter().map(to_js).collect();
        let statement = match &self.conn {
            Conn::Db(db) => db.prepare(sql),
            Conn::Session { db, current } => self.current(db, current).prepare(sql),
        };
        statement.bind(&values).map_err(map_err)
    }

    async fn run_batch(&self, statements: &[Statement]) -> Result<Vec<D1Result>, DbError> {
        let prepared = statements.iter().map(|s| self.prepare(&s.sql, &s.params)).collect::<Result<Vec<_>, _>>()?;
        match &self.conn {
            Conn::Db(db) => db.batch(prepared).await.map_err(map_err),
            Conn::Session { db, current } => self.current(db, current).batch(prepared).await.map_err(map_err),
        }
    }
}

fn to_js(v: &Value) -> JsValue {
    match v {
        Value::Null => JsValue::NULL,
        Value::Int(i) => JsValue::from_f64(*i as f64),
        Value::Real(f) => JsValue::from_f64(*f),
        Value::Text(s) => JsValue::from_str(s),
    }
}

/// D1 reports constraint failures as text from SQLite.
pub fn map_err(e: worker::Error) -> DbError {
    classify(&e.to_string())
}

pub fn classify(message: &str) -> DbError {
    if message.contains("UNIQUE constraint failed") || message.contains("PRIMARYKEY") {
        DbError::Unique(message.to_string())
    } else if message.contains("constraint failed") {
        DbError::Constraint(message.to_string())
    } else {
        DbError::Other(message.to_string())
    }
}

fn changes(r: &D1Result) -> Result<u64, DbError> {
    Ok(r.meta().map_err(map_err)?.and_then(|m| m.changes).unwrap_or(0) as u64)
}

#[async_trait(?Send)]
impl Sql for D1Sql {
    async fn query(&self, sql: &str, params: &[Value]) -> Result<Vec<Row>, DbError> {
        let result = self.prepare(sql, params)?.all().await.map_err(map_err)?;
        let rows: Vec<Map<String, Json>> = result.results().map_err(map_err)?;
        Ok(rows.into_iter().map(Row).collect())
    }

    async fn execute(&self, sql: &str, params: &[Value]) -> Result<u64, DbError> {
        let result = self.prepare(sql, params)?.run().await.map_err(map_err)?;
        changes(&result)
    }

    async fn batch(&self, statements: &[Statement]) -> Result<Vec<u64>, DbError> {
        self.run_batch(statements).await?.iter().map(changes).collect()
    }

    async fn reads(&self, statements: &[Statement]) -> Result<Vec<Vec<Row>>, DbError> {
        self.run_batch(statements)
            .await?
            .iter()
            .map(|r| Ok(r.results::<Map<String, Json>>().map_err(map_err)?.into_iter().map(Row).collect()))
            .collect()
    }
}
