//! The reads of an export: every row that is the caller's, each kind oldest first.

use serde_json::{Map, Value as Json};

use crate::error::AppError;
use crate::params;
use crate::sql::{Row, Sql, Statement, Value};

/// The most entries of one kind the inline export carries (one more is read, to tell it was
/// cut); the background export (`POST /users/me/exports`) carries them all.
pub const MAX_ROWS: i64 = 1_000;

/// One kind of row an export carries: its name in the document, the rows (`?1` is the user),
/// and the columns that order them (a time, then a unique key).
pub struct List {
    pub name: &'static str,
    rows: &'static str,
    at: &'static str,
    key: &'static str,
}

/// The profile first, then each list in the order of [`super::Export`]'s fields.
pub const LISTS: [List; 14] = [
    List {
        name: "user",
        rows: "SELECT id, email, name, timezone, locale, created_at, updated_at FROM users WHERE id = ?1",
        at: "created_at",
        key: "id",
    },
    List {
        name: "memberships",
        rows: "SELECT m.workspace_id AS workspace_id, w.name AS workspace_name, m.role AS role, m.created_at AS joined_at \
               FROM memberships m JOIN workspaces w ON w.id = m.workspace_id WHERE m.user_id = ?1",
        at: "joined_at",
        key: "workspace_id",
    },
    List {
        name: "posts",
        rows: "SELECT id, workspace_id, title, body, status, tags, version, private, created_at, updated_at, deleted_at \
               FROM posts WHERE author_id = ?1",
        at: "created_at",
        key: "id",
    },
    List {
        name: "postVersions",
        rows: "SELECT id, workspace_id, post_id, number, title, body, note, created_at FROM post_versions \
               WHERE author_id = ?1",
        at: "created_at",
        key: "id",
    },
    List {
        name: "comments",
        rows: "SELECT id, workspace_id, 'post' AS subject_type, post_id AS subject_id, body, visibility, created_at, deleted_at \
               FROM comments WHERE author_id = ?1 UNION ALL \
               SELECT id, workspace_id, 'idea', idea_id, body, visibility, created_at, deleted_at \
               FROM idea_comments WHERE author_id = ?1",
        at: "created_at",
        key: "id",
    },
    List {
        name: "ideas",
        rows: "SELECT id, workspace_id, kind, title, hook, caption, details, status, created_at, updated_at FROM ideas \
               WHERE created_by = ?1",
        at: "created_at",
        key: "id",
    },
    List {
        name: "notifications",
        rows: "SELECT id, workspace_id, kind, title, body, subject_type, subject_id, read_at, created_at FROM notifications \
               WHERE user_id = ?1",
        at: "created_at",
        key: "id",
    },
    List {
        name: "activity",
        rows: "SELECT id, workspace_id, action, entity_type, entity_id, ip, user_agent, created_at FROM activity_log \
               WHERE actor_id = ?1",
        at: "created_at",
        key: "id",
    },
    List {
        name: "accountActivity",
        rows: "SELECT id, action, ip, user_agent, created_at FROM account_activity WHERE user_id = ?1",
        at: "created_at",
        key: "id",
    },
    List {
        name: "socialAccounts",
        rows: "SELECT id, workspace_id, platform, handle, display_name, service_url, status, created_at FROM social_accounts \
               WHERE created_by = ?1",
        at: "created_at",
        key: "id",
    },
    List {
        name: "media",
        rows: "SELECT id, workspace_id, filename, content_type, size_bytes, alt_text, created_at, deleted_at FROM media_assets \
               WHERE uploaded_by = ?1",
        at: "created_at",
        key: "id",
    },
    List {
        name: "aiUsage",
        rows: "SELECT id, workspace_id, kind, status, provider, model, prompt, output, private, tokens_in, tokens_out, \
               cost_micros, credits, created_at FROM ai_generations WHERE user_id = ?1",
        at: "created_at",
        key: "id",
    },
    List {
        name: "events",
        rows: "SELECT id, workspace_id, title, description, all_day, starts, ends, timezone, recurrence, created_at, \
               updated_at FROM calendar_events WHERE user_id = ?1 OR created_by = ?1",
        at: "created_at",
        key: "id",
    },
    List {
        name: "tasks",
        rows: "SELECT id, workspace_id, title, description, status, priority, assignee_id, due_at, campaign_id, post_id, \
               client_id, completed_at, created_by, created_at, updated_at FROM tasks WHERE created_by = ?1 OR assignee_id = ?1",
        at: "created_at",
        key: "id",
    },
];

impl List {
    /// Up to `limit` of the user's rows after (`at`, `key`), in order (`at` below every time
    /// starts from the first).
    pub fn after(&self, user_id: &str, limit: i64, at: i64, key: &str) -> Statement {
        let (t, k) = (self.at, self.key);
        Statement::new(
            format!(
                "SELECT * FROM ({}) x WHERE (x.{t} > ?3 OR (x.{t} = ?3 AND x.{k} > ?4)) ORDER BY x.{t}, x.{k} LIMIT ?2",
                self.rows
            ),
            params![user_id, limit, at, key],
        )
    }

    /// Where a row leaves this list's order: its (`at`, `key`).
    pub fn position(&self, row: &Row) -> (i64, String) {
        (row.opt_int(self.at).ok().flatten().unwrap_or(0), row.opt_text(self.key).ok().flatten().unwrap_or_default())
    }
}

/// The inline export's reads: each list from its start, [`MAX_ROWS`] + 1 at most.
pub fn reads(user_id: &str) -> Vec<Statement> {
    LISTS.iter().map(|list| list.after(user_id, MAX_ROWS + 1, -1, "")).collect()
}

/// A row as the export shows it: camelCase keys, times (`…_at`) in RFC 3339.
pub fn entry(row: &Row) -> Json {
    let mut out = Map::new();
    for (key, value) in &row.0 {
        let mut name = String::with_capacity(key.len());
        let mut upper = false;
        for c in key.chars() {
            if c == '_' {
                upper = true;
            } else if upper {
                name.extend(c.to_uppercase());
                upper = false;
            } else {
                name.push(c);
            }
        }
        let value = match (key.ends_with("_at"), value.as_i64()) {
            (true, Some(ms)) => Json::String(crate::validate::rfc3339(ms)),
            _ => value.clone(),
        };
        out.insert(name, value);
    }
    Json::Object(out)
}

/// The workspaces `?1` owns with no other owner (id, name, and whether archived): the account
/// cannot go while one of them is active; the archived ones go with it.
const SOLELY_OWNED: &str = "SELECT w.id AS id, w.name AS name, w.archived_at AS archived_at \
     FROM memberships m JOIN workspaces w ON w.id = m.workspace_id \
     WHERE m.user_id = ?1 AND m.role = 'owner' AND NOT EXISTS \
     (SELECT 1 FROM memberships o WHERE o.workspace_id = m.workspace_id AND o.role = 'owner' AND o.user_id <> ?1)";

/// What erasing an account needs to know first: the workspaces it alone owns.
pub fn erasure_read(user_id: &str) -> Statement {
    Statement::new(format!("{SOLELY_OWNED} ORDER BY w.created_at, w.id"), params![user_id])
}

/// Who an erased account's remaining traces are attributed to: a new account of its own,
/// named [`TOMBSTONE_NAME`], with an address that cannot receive mail and no password.
pub struct Tombstone {
    pub id: String,
    pub email: String,
}

pub const TOMBSTONE_NAME: &str = "Deleted user";

impl Tombstone {
    pub fn new(id: String) -> Self {
        let email = format!("deleted-{id}@erased.invalid");
        Tombstone { id, email }
    }
}

/// Every column that names a user and stays with work that outlives its author (SPEC PL-9).
const ATTRIBUTED: &[(&str, &str)] = &[
    ("workspaces", "created_by"),
    ("invites", "invited_by"),
    ("invites", "accepted_by"),
    ("campaigns", "created_by"),
    ("activity_log", "actor_id"),
    ("posts", "author_id"),
    ("post_versions", "author_id"),
    ("media_assets", "uploaded_by"),
    ("content_blocks", "created_by"),
    ("approval_workflows", "updated_by"),
    ("approval_requests", "submitted_by"),
    ("approval_votes", "user_id"),
    ("review_links", "created_by"),
    ("review_links", "revoked_by"),
    ("comments", "author_id"),
    ("ideas", "created_by"),
    ("idea_decisions", "user_id"),
    ("idea_comments", "author_id"),
    ("social_accounts", "created_by"),
    ("publications", "created_by"),
    ("ai_generations", "user_id"),
    ("ai_templates", "created_by"),
    ("ai_template_versions", "created_by"),
    ("calendar_events", "created_by"),
    ("tasks", "created_by"),
    ("tasks", "assignee_id"),
];

/// Texts of shared work that may hold the user's id (mentions, approvers, snapshots in the
/// activity log), in the workspaces the user is in; each is rewritten to the tombstone's.
const MENTIONING: &[(&str, &str)] = &[
    ("comments", "mentions"),
    ("idea_comments", "mentions"),
    ("approval_requests", "approvers"),
    ("approval_workflows", "config"),
];

/// The erasure of `user` as one batch, in this order: a guard that fails it while the user
/// solely owns an active workspace; the tombstone; the user's id, address and name replaced
/// in shared texts, addresses and user agents dropped from the activity they did; every
/// attribution moved to the tombstone; archived workspaces the user alone owned deleted with
/// all their rows, their files queued for deletion; invitations to the address, stored
/// Idempotency-Key answers, OAuth states and development mails removed; and the account itself,
/// whose sessions, tokens, memberships, notifications and account log go with it.
pub fn erase(user_id: &str, email: &str, name: &str, tomb: &Tombstone, now_ms: i64) -> Vec<Statement> {
    let (u, t, e, te) =
        (Value::from(user_id), Value::from(tomb.id.as_str()), Value::from(email), Value::from(tomb.email.as_str()));
    let (jn, jt, now, n, tn) = (
        Value::from(json_text(name)),
        Value::from(json_text(TOMBSTONE_NAME)),
        Value::from(now_ms),
        Value::from(name),
        Value::from(TOMBSTONE_NAME),
    );
    let scope = Value::from(format!("user:{user_id}"));
    let mut out = vec![
        st(
            format!(
                "INSERT INTO batch_guard (ok) SELECT 0 WHERE EXISTS \
                 (SELECT 1 FROM ({SOLELY_OWNED}) s WHERE s.archived_at IS NULL)"
            ),
            &[&u],
        ),
        st(
            "INSERT INTO users (id, email, name, password_hash, timezone, locale, preferences, created_at, updated_at) \
             VALUES (?1, ?2, ?3, NULL, 'UTC', 'en', '{}', ?4, ?4)",
            &[&t, &te, &tn, &now],
        ),
    ];
    let in_their_workspaces = "workspace_id IN (SELECT workspace_id FROM memberships WHERE user_id = ?1)";
    // The activity about them or by them, and any in their workspaces that names them.
    out.push(st(
        format!(
            "UPDATE activity_log SET \
             before_state = REPLACE(REPLACE(REPLACE(before_state, ?1, ?2), ?3, ?4), ?5, ?6), \
             after_state = REPLACE(REPLACE(REPLACE(after_state, ?1, ?2), ?3, ?4), ?5, ?6), \
             entity_id = CASE WHEN entity_id = ?1 THEN ?2 ELSE entity_id END, \
             ip = CASE WHEN actor_id = ?1 THEN NULL ELSE ip END, \
             user_agent = CASE WHEN actor_id = ?1 THEN NULL ELSE user_agent END \
             WHERE actor_id = ?1 OR entity_id = ?1 OR {in_their_workspaces} \
             OR entity_id IN (SELECT id FROM invites WHERE LOWER(email) = LOWER(?3))"
        ),
        &[&u, &t, &e, &te, &jn, &jt],
    ));
    for (table, column) in MENTIONING {
        out.push(st(
            format!(
                "UPDATE {table} SET {column} = REPLACE({column}, ?1, ?2) \
                 WHERE {in_their_workspaces} AND REPLACE({column}, ?1, '') <> {column}"
            ),
            &[&u, &t],
        ));
    }
    // Archived workspaces they alone own go whole; their files are queued for deletion.
    let archived = format!("SELECT s.id FROM ({SOLELY_OWNED}) s WHERE s.archived_at IS NOT NULL");
    out.push(st(
        format!(
            "INSERT INTO object_purges (object_key, queued_at) SELECT object_key, ?2 FROM media_assets \
             WHERE workspace_id IN ({archived}) ON CONFLICT (object_key) DO NOTHING"
        ),
        &[&u, &now],
    ));
    out.push(st(format!("{} WHERE workspace_id IN ({archived}) {}", QUEUE_REVOCATIONS, AND_CONNECTED), &[&u, &now]));
    out.push(st(format!("DELETE FROM workspaces WHERE id IN ({archived})"), &[&u]));
    // Shared prompt templates show their author's name: the tombstone's from now on.
    out.push(st(
        "UPDATE ai_templates SET author_name = (SELECT n.name FROM users n WHERE n.id = ?2) \
         WHERE created_by = ?1 AND author_name IS NOT NULL",
        &[&u, &t],
    ));
    for (table, column) in ATTRIBUTED {
        out.push(st(format!("UPDATE {table} SET {column} = ?2 WHERE {column} = ?1"), &[&u, &t]));
    }
    // Invitations to the address: pending ones go, accepted ones keep the tombstone's.
    out.push(st("DELETE FROM invites WHERE LOWER(email) = LOWER(?1) AND accepted_at IS NULL", &[&e]));
    out.push(st("UPDATE invites SET email = ?2 WHERE LOWER(email) = LOWER(?1)", &[&e, &te]));
    // Stored answers: the user's own go; others' that show them (an invitation, a member
    // list) are rewritten. They live a day (`IDEMPOTENCY_TTL_MS`).
    out.push(st("DELETE FROM idempotency_keys WHERE scope = ?1", &[&scope]));
    out.push(st(
        "UPDATE idempotency_keys SET body = REPLACE(REPLACE(REPLACE(body, ?1, ?2), ?3, ?4), ?5, ?6) \
         WHERE REPLACE(REPLACE(REPLACE(body, ?1, ''), ?3, ''), ?5, '') <> body",
        &[&u, &t, &e, &te, &jn, &jt],
    ));
    out.push(st("DELETE FROM oauth_states WHERE user_id = ?1", &[&u]));
    // Their own AI provider keys.
    out.push(st("DELETE FROM ai_keys WHERE user_id = ?1", &[&u]));
    // The development mailbox (local development only): mails to them go, others name them no more.
    out.push(st("DELETE FROM dev_mailbox WHERE LOWER(to_address) = LOWER(?1)", &[&e]));
    out.push(st(
        "UPDATE dev_mailbox SET body = REPLACE(REPLACE(body, ?1, ?2), ?3, ?4) \
         WHERE REPLACE(REPLACE(body, ?1, ''), ?3, '') <> body",
        &[&e, &te, &n, &tn],
    ));
    // Sessions, refresh and mailed tokens, memberships, client seats, notifications and the
    // account log follow the account (ON DELETE CASCADE).
    out.push(st("DELETE FROM users WHERE id = ?1", &[&u]));
    out
}

/// One statement of [`erase`], its parameters shared (one small function, not one per statement).
#[inline(never)]
fn st(sql: impl Into<std::borrow::Cow<'static, str>>, params: &[&Value]) -> Statement {
    Statement::new(sql, params.iter().map(|v| (*v).clone()).collect())
}

/// A name as it stands in stored JSON: quoted, so that only a whole value is replaced.
fn json_text(s: &str) -> String {
    Json::String(s.to_string()).to_string()
}

/// The workspaces the user alone owns and that are active, from [`erasure_read`]'s answer.
pub fn blocking(rows: &[Row]) -> Vec<(String, String)> {
    rows.iter()
        .filter(|r| r.0.get("archived_at").is_none_or(Json::is_null))
        .map(|r| (r.text("id").unwrap_or_default(), r.text("name").unwrap_or_default()))
        .collect()
}

/// Queues the sealed credentials of accounts (`?2` is now) for revocation at their platforms;
/// a `WHERE` on `social_accounts` follows, then [`AND_CONNECTED`].
pub const QUEUE_REVOCATIONS: &str = "INSERT INTO token_revocations (account_id, platform, credentials, queued_at) \
     SELECT id, platform, credentials, ?2 FROM social_accounts";

/// Only accounts that hold a grant (a disconnected one holds none); no account is queued twice.
pub const AND_CONNECTED: &str = "AND status <> 'disconnected' ON CONFLICT (account_id) DO NOTHING";

// ── Exports built in the background ─────────────────────────────────────────────────────

const JOB_COLUMNS: &str = "id, user_id, status, list, cursor_at, cursor_key, parts, entries, size_bytes, created_at, \
     ready_at, expires_at, notify_workspace_id";

/// An export being built or ready, as stored.
#[derive(Debug, Clone)]
pub struct Job {
    pub id: String,
    pub user_id: String,
    pub status: String,
    /// The list being read ([`LISTS`]' index) and where in it.
    pub list: usize,
    pub cursor_at: i64,
    pub cursor_key: String,
    pub parts: i64,
    pub entries: i64,
    pub size_bytes: i64,
    pub created_at: i64,
    pub ready_at: Option<i64>,
    pub expires_at: Option<i64>,
    /// The workspace whose notifications announce it when ready.
    pub notify_workspace_id: Option<String>,
}

pub fn job_of(row: &Row) -> Result<Job, AppError> {
    Ok(Job {
        id: row.text("id")?,
        user_id: row.text("user_id")?,
        status: row.text("status")?,
        list: usize::try_from(row.int("list")?).unwrap_or(LISTS.len()),
        cursor_at: row.int("cursor_at")?,
        cursor_key: row.text("cursor_key")?,
        parts: row.int("parts")?,
        entries: row.int("entries")?,
        size_bytes: row.int("size_bytes")?,
        created_at: row.int("created_at")?,
        ready_at: row.opt_int("ready_at")?,
        expires_at: row.opt_int("expires_at")?,
        notify_workspace_id: row.opt_text("notify_workspace_id")?,
    })
}

/// Where part `n` of export `id` is kept.
pub fn part_key(id: &str, n: i64) -> String {
    format!("exports/{id}/{n}.jsonl")
}

/// A new export for the user, unless one is being built (the guard fails the batch then), to be
/// announced in `notify`'s notifications too when ready.
pub fn start(id: &str, user_id: &str, notify: Option<&str>, now: i64) -> [Statement; 2] {
    [
        Statement::guard(
            "SELECT 1 WHERE NOT EXISTS (SELECT 1 FROM data_exports WHERE user_id = ?1 AND status = 'pending')",
            params![user_id],
        ),
        Statement::new(
            "INSERT INTO data_exports (id, user_id, status, created_at, updated_at, notify_workspace_id) \
             VALUES (?1, ?2, 'pending', ?3, ?3, ?4)",
            params![id, user_id, now, notify],
        ),
    ]
}

/// The user's exports, newest first, `limit` at most.
pub fn mine_read(user_id: &str, limit: i64) -> Statement {
    Statement::new(
        format!("SELECT {JOB_COLUMNS} FROM data_exports WHERE user_id = ?1 ORDER BY created_at DESC, id DESC LIMIT ?2"),
        params![user_id, limit],
    )
}

/// One of the user's exports.
pub async fn mine(db: &dyn Sql, user_id: &str, id: &str) -> Result<Option<Job>, AppError> {
    let sql = format!("SELECT {JOB_COLUMNS} FROM data_exports WHERE user_id = ?1 AND id = ?2");
    db.query_one(&sql, &params![user_id, id]).await?.as_ref().map(job_of).transpose()
}

/// The ready export a link's token opens, while the link lives.
pub async fn by_token(db: &dyn Sql, token_hash: &str, now: i64) -> Result<Option<Job>, AppError> {
    let sql = format!(
        "SELECT {JOB_COLUMNS} FROM data_exports WHERE token_hash = ?1 AND status = 'ready' AND expires_at > ?2"
    );
    db.query_one(&sql, &params![token_hash, now]).await?.as_ref().map(job_of).transpose()
}

/// The oldest export being built, with its user's address (for the mail that offers it).
pub async fn next_pending(db: &dyn Sql) -> Result<Option<(Job, String)>, AppError> {
    let sql = format!(
        "SELECT {JOB_COLUMNS}, (SELECT u.email FROM users u WHERE u.id = e.user_id) AS email FROM data_exports e \
         WHERE status = 'pending' ORDER BY created_at, id LIMIT 1"
    );
    let Some(row) = db.query_one(&sql, &[]).await? else { return Ok(None) };
    Ok(Some((job_of(&row)?, row.opt_text("email")?.unwrap_or_default())))
}

/// Records the progress `next` made from `was` (one row changed unless another tick did it).
pub fn advanced(was: &Job, next: &Job, now: i64) -> Statement {
    Statement::new(
        "UPDATE data_exports SET list = ?3, cursor_at = ?4, cursor_key = ?5, parts = ?6, entries = ?7, size_bytes = ?8, \
         updated_at = ?9 WHERE id = ?1 AND status = 'pending' AND parts = ?2",
        params![
            was.id.as_str(),
            was.parts,
            next.list as i64,
            next.cursor_at,
            next.cursor_key.as_str(),
            next.parts,
            next.entries,
            next.size_bytes,
            now
        ],
    )
}

/// The export is whole: ready until `expires_at`, to whoever holds the token.
pub fn ready(id: &str, token_hash: &str, now: i64, expires_at: i64) -> Statement {
    Statement::new(
        "UPDATE data_exports SET status = 'ready', token_hash = ?2, ready_at = ?3, expires_at = ?4, updated_at = ?3 \
         WHERE id = ?1 AND status = 'pending'",
        params![id, token_hash, now, expires_at],
    )
}

/// Ready exports whose link has expired, `limit` at most.
pub async fn expired(db: &dyn Sql, now: i64, limit: i64) -> Result<Vec<Job>, AppError> {
    let sql = format!(
        "SELECT {JOB_COLUMNS} FROM data_exports WHERE status = 'ready' AND expires_at <= ?1 ORDER BY expires_at, id LIMIT ?2"
    );
    db.query(&sql, &params![now, limit]).await?.iter().map(job_of).collect()
}

/// The export's link ends and its parts are queued for deletion from storage.
pub fn expire(job: &Job, now: i64) -> Vec<Statement> {
    let mut out = purge_parts(std::slice::from_ref(job), now);
    out.push(Statement::new(
        "UPDATE data_exports SET status = 'expired', token_hash = NULL, updated_at = ?2 WHERE id = ?1",
        params![job.id.as_str(), now],
    ));
    out
}

/// Queues the parts of `jobs` for deletion from storage (40 keys a statement: 80 parameters).
pub fn purge_parts(jobs: &[Job], now: i64) -> Vec<Statement> {
    let keys: Vec<String> = jobs.iter().flat_map(|j| (0..j.parts).map(|n| part_key(&j.id, n))).collect();
    keys.chunks(40)
        .map(|chunk| {
            let rows: Vec<String> = (0..chunk.len()).map(|i| format!("(?{}, ?{})", 2 * i + 1, 2 * i + 2)).collect();
            let values = chunk.iter().flat_map(|k| [Value::from(k.as_str()), Value::from(now)]).collect();
            Statement::new(
                format!(
                    "INSERT INTO object_purges (object_key, queued_at) VALUES {} ON CONFLICT (object_key) DO NOTHING",
                    rows.join(", ")
                ),
                values,
            )
        })
        .collect()
}

/// Every export of the user (what erasing the account must take from storage).
pub fn all_mine_read(user_id: &str) -> Statement {
    Statement::new(format!("SELECT {JOB_COLUMNS} FROM data_exports WHERE user_id = ?1"), params![user_id])
}
