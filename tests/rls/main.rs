//! The second wall: Postgres row-level security holds even where repository code forgot its
//! `WHERE`. Connected as the application role with the settings of workspace A, a raw query
//! sees none of workspace B's rows, and writes into B are refused.
//!
//! Runs against `HERALD_TEST_DATABASE_URL` (the test command sets it); without it the test
//! says so and stops, unless `HERALD_REQUIRE_POSTGRES=1` makes that a failure.

use herald_tests::*;
use serde_json::json;
use tokio_postgres::Client;

async fn app_client() -> Option<Client> {
    let Some(url) = test_database_url() else {
        assert!(std::env::var("HERALD_REQUIRE_POSTGRES").is_err(), "HERALD_TEST_DATABASE_URL is required");
        eprintln!("skipped: HERALD_TEST_DATABASE_URL is not set");
        return None;
    };
    Some(herald_native::postgres::connect_client(&url).await.expect("connect as the application role"))
}

/// Runs `sql` in a transaction with the tenant settings of `user` in `workspace`.
async fn as_tenant(
    db: &Client,
    user: &str,
    workspace: &str,
    sql: &str,
) -> Result<Vec<tokio_postgres::Row>, tokio_postgres::Error> {
    db.batch_execute("BEGIN").await?;
    db.execute(
        "SELECT set_config('app.user_id', $1, true), set_config('app.workspace_id', $2, true)",
        &[&user, &workspace],
    )
    .await?;
    let result = db.query(sql, &[]).await;
    db.batch_execute(if result.is_ok() { "COMMIT" } else { "ROLLBACK" }).await?;
    result
}

fn ids(rows: &[tokio_postgres::Row]) -> Vec<String> {
    rows.iter().map(|r| r.get::<_, String>(0)).collect()
}

#[tokio::test]
async fn a_tenant_sees_and_writes_only_its_own_rows() {
    let Some(db) = app_client().await else { return };
    let api = Api::new();
    let alice = signup(&api, "rls-a").await;
    let bob = signup(&api, "rls-b").await;
    let ws_a = create_workspace(&api, &alice, "A").await;
    let ws_b = create_workspace(&api, &bob, "B").await;
    let r = api
        .post(&format!("/api/v1/workspaces/{ws_b}/invites"))
        .bearer(&bob.access)
        .json(json!({"email": unique_email("b-guest"), "role": "viewer"}))
        .send()
        .await;
    assert_eq!(r.status, 201);

    // The role is not the tables' owner and cannot switch the wall off.
    let owner_check = db
        .query_one("SELECT tableowner = current_user FROM pg_tables WHERE tablename = 'memberships'", &[])
        .await
        .unwrap();
    assert!(!owner_check.get::<_, bool>(0));

    // Reads without any WHERE: only A's rows come back.
    let workspaces = ids(&as_tenant(&db, &alice.id, &ws_a, "SELECT id FROM workspaces").await.unwrap());
    assert!(workspaces.contains(&ws_a) && !workspaces.contains(&ws_b), "{workspaces:?}");
    let memberships = ids(&as_tenant(&db, &alice.id, &ws_a, "SELECT workspace_id FROM memberships").await.unwrap());
    assert!(!memberships.is_empty() && memberships.iter().all(|w| *w != ws_b), "{memberships:?}");
    let invites = ids(&as_tenant(&db, &alice.id, &ws_a, "SELECT workspace_id FROM invites").await.unwrap());
    assert!(invites.iter().all(|w| *w != ws_b), "{invites:?}");
    for table in [
        "campaigns",
        "activity_log",
        "clients",
        "personas",
        "client_members",
        "posts",
        "post_versions",
        "post_targets",
        "post_target_media",
        "media_assets",
        "content_blocks",
        "approval_workflows",
        "approval_requests",
        "approval_votes",
        "comments",
        "notifications",
        "review_links",
        "review_link_items",
        "ideas",
        "idea_decisions",
        "idea_comments",
        "review_link_ideas",
        "social_accounts",
        "oauth_states",
        "publications",
        "publication_attempts",
        "ai_settings",
        "ai_generations",
        "ai_keys",
        "ai_template_versions",
    ] {
        let rows = ids(&as_tenant(&db, &alice.id, &ws_a, &format!("SELECT workspace_id FROM {table}")).await.unwrap());
        assert!(rows.iter().all(|w| *w != ws_b), "{table}: {rows:?}");
    }
    let steal = format!("INSERT INTO campaigns (id, workspace_id, name, created_by, created_at, updated_at) VALUES ('c-{ws_b}', '{ws_b}', 'x', '{}', 0, 0)", alice.id);
    assert!(as_tenant(&db, &alice.id, &ws_a, &steal).await.is_err());
    // Without settings, nothing tenant-owned is visible at all.
    assert!(db.query("SELECT id FROM workspaces", &[]).await.unwrap().is_empty());

    // Writes into B are refused or touch nothing.
    let insert = format!("INSERT INTO memberships (workspace_id, user_id, role, created_at, updated_at) VALUES ('{ws_b}', '{}', 'owner', 0, 0)", alice.id);
    let err = as_tenant(&db, &alice.id, &ws_a, &insert).await.expect_err("insert into B refused");
    let message = err.as_db_error().map(|d| d.message().to_string()).unwrap_or_default();
    assert!(message.contains("row-level security"), "{err:?}");
    let invite = format!("INSERT INTO invites (id, workspace_id, email, role, token_hash, invited_by, expires_at, created_at) VALUES ('x-{ws_b}', '{ws_b}', 'e@x.test', 'owner', 'h-{ws_b}', '{}', 9999999999999, 0)", alice.id);
    assert!(as_tenant(&db, &alice.id, &ws_a, &invite).await.is_err());
    let rename = format!("UPDATE workspaces SET name = 'pwned' WHERE id = '{ws_b}' RETURNING id");
    assert!(as_tenant(&db, &alice.id, &ws_a, &rename).await.unwrap().is_empty());
    let delete = format!("DELETE FROM memberships WHERE workspace_id = '{ws_b}' RETURNING user_id");
    assert!(as_tenant(&db, &alice.id, &ws_a, &delete).await.unwrap().is_empty());
    // Claiming B in the settings while writing A's id into B's rows does not help either.
    let move_member =
        format!("UPDATE memberships SET workspace_id = '{ws_b}' WHERE workspace_id = '{ws_a}' RETURNING user_id");
    assert!(as_tenant(&db, &alice.id, &ws_a, &move_member).await.is_err());

    // B is untouched, as its owner sees it through the API.
    let b = api.get(&format!("/api/v1/workspaces/{ws_b}")).bearer(&bob.access).send().await.data();
    assert_eq!(b["name"], "B");
    let members = api.get(&format!("/api/v1/workspaces/{ws_b}/members")).bearer(&bob.access).send().await.data();
    let members = members["items"].as_array().unwrap();
    assert_eq!(members.len(), 1);
    assert_eq!(members[0]["userId"], bob.id.as_str());
}

/// The adapter pipelines a transaction's requests (BEGIN, the statements and COMMIT travel
/// together); a failure anywhere must still leave nothing written and the connection usable.
#[tokio::test]
async fn a_failed_batch_writes_nothing_and_the_connection_goes_on() {
    use herald::params;
    use herald::sql::{DbError, Sql, Statement};
    let Some(client) = app_client().await else { return };
    let db = herald_postgres::PgSql::new(client);
    db.execute("CREATE TEMP TABLE pipeline_probe (id TEXT PRIMARY KEY, n BIGINT NOT NULL)", &[]).await.unwrap();
    let insert =
        |id: &str, n: i64| Statement::new("INSERT INTO pipeline_probe (id, n) VALUES (?1, ?2)", params![id, n]);
    let count =
        || async { db.query("SELECT COUNT(*) AS n FROM pipeline_probe", &[]).await.unwrap()[0].int("n").unwrap() };
    // Fresh statements (prepared on the way), then the same ones again (already prepared).
    for round in 0..2 {
        let failed = db.batch(&[insert("a", 1), insert("b", 2), insert("a", 3), insert("c", 4)]).await;
        assert!(matches!(failed, Err(DbError::Unique(_))), "round {round}: {failed:?}");
        assert_eq!(count().await, 0, "round {round}: the first two inserts were rolled back");
    }
    assert_eq!(db.batch(&[insert("a", 1), insert("b", 2)]).await.unwrap(), [1, 1]);
    assert_eq!(count().await, 2);
    // A statement that cannot even be prepared, then one that fails as it runs: each alone.
    assert!(db.query("SELECT nope FROM pipeline_probe", &[]).await.is_err());
    assert!(db.execute("UPDATE pipeline_probe SET n = n / (n - 1)", &[]).await.is_err());
    let rows = db.query("SELECT id, n FROM pipeline_probe ORDER BY id", &[]).await.unwrap();
    let values: Vec<(String, i64)> = rows.iter().map(|r| (r.text("id").unwrap(), r.int("n").unwrap())).collect();
    assert_eq!(values, [("a".to_string(), 1), ("b".to_string(), 2)], "the failed update changed nothing");
    assert_eq!(db.execute("UPDATE pipeline_probe SET n = n + 10 WHERE id = ?1", &params!["b"]).await.unwrap(), 1);
    assert_eq!(count().await, 2);
}

/// `author` mentions `person` on a new post of `ws`: a notification of `person` in `ws`.
async fn mention(api: &Api, author: &User, ws: &str, person: &User) {
    let post = api.post(&format!("/api/v1/workspaces/{ws}/posts")).bearer(&author.access).json(json!({"title": "x"}));
    let post = post.send().await.data()["id"].as_str().unwrap().to_string();
    let r = api
        .post(&format!("/api/v1/workspaces/{ws}/posts/{post}/comments"))
        .bearer(&author.access)
        .json(json!({"body": "@you", "mentions": [person.id]}))
        .send()
        .await;
    assert_eq!(r.status, 201);
}

/// With no workspace in the settings (the list across workspaces), a person reaches their own
/// notifications of the workspaces they are in, and no one else's.
#[tokio::test]
async fn a_person_alone_reaches_only_their_own_notifications() {
    let Some(db) = app_client().await else { return };
    let api = Api::new();
    let alice = signup(&api, "rls-na").await;
    let ws_a = create_workspace(&api, &alice, "NA").await;
    let carol = add_member(&api, &alice, &ws_a, "editor").await;
    let bob = signup(&api, "rls-nb").await;
    let ws_b = create_workspace(&api, &bob, "NB").await;
    let dave = add_member(&api, &bob, &ws_b, "editor").await;
    mention(&api, &carol, &ws_a, &alice).await;
    mention(&api, &alice, &ws_a, &carol).await;
    mention(&api, &bob, &ws_b, &dave).await;

    let seen = as_tenant(&db, &alice.id, "", "SELECT user_id || ' ' || workspace_id FROM notifications").await.unwrap();
    assert_eq!(ids(&seen), [format!("{} {ws_a}", alice.id)]);
    let marked = as_tenant(&db, &alice.id, "", "UPDATE notifications SET read_at = 1 RETURNING user_id").await.unwrap();
    assert_eq!(ids(&marked), [alice.id.clone()]);
    // Nor can she write one into a workspace she is not in.
    let forged = format!(
        "INSERT INTO notifications (id, workspace_id, user_id, kind, title, body, subject_type, subject_id, created_at) \
         VALUES ('n-{ws_b}', '{ws_b}', '{}', 'x', 'x', 'x', 'post', 'x', 0)",
        alice.id
    );
    assert!(as_tenant(&db, &alice.id, "", &forged).await.is_err());
    // Carol's and Dave's are untouched.
    let dave_sees = as_tenant(&db, &dave.id, "", "SELECT user_id FROM notifications WHERE read_at IS NULL").await;
    assert_eq!(ids(&dave_sees.unwrap()), [dave.id.clone()]);
    let carol_sees = as_tenant(&db, &carol.id, "", "SELECT user_id FROM notifications WHERE read_at IS NULL").await;
    assert_eq!(ids(&carol_sees.unwrap()), [carol.id.clone()]);
}

#[tokio::test]
async fn a_person_alone_reads_only_the_tasks_assigned_to_them_and_writes_none() {
    let Some(db) = app_client().await else { return };
    let api = Api::new();
    let alice = signup(&api, "rls-ta").await;
    let ws_a = create_workspace(&api, &alice, "TA").await;
    let carol = add_member(&api, &alice, &ws_a, "editor").await;
    let bob = signup(&api, "rls-tb").await;
    let ws_b = create_workspace(&api, &bob, "TB").await;
    let dave = add_member(&api, &bob, &ws_b, "editor").await;
    for (user, ws, assignee) in [(&alice, &ws_a, &carol), (&alice, &ws_a, &alice), (&bob, &ws_b, &dave)] {
        let r = api
            .post(&format!("/api/v1/workspaces/{ws}/tasks"))
            .bearer(&user.access)
            .json(serde_json::json!({"title": "t", "assigneeId": assignee.id}))
            .send()
            .await;
        assert_eq!(r.status, 201, "{}", String::from_utf8_lossy(&r.body));
    }
    let seen = as_tenant(&db, &carol.id, "", "SELECT assignee_id || ' ' || workspace_id FROM tasks").await.unwrap();
    assert_eq!(ids(&seen), [format!("{} {ws_a}", carol.id)]);
    // Reaching them across workspaces is for reading: a change needs the workspace's scope.
    assert!(as_tenant(&db, &carol.id, "", "UPDATE tasks SET title = 'x' RETURNING id").await.is_err());
    let forged = format!(
        "INSERT INTO tasks (id, workspace_id, title, status, priority, assignee_id, created_by, created_at, updated_at) \
         VALUES ('t-{ws_b}', '{ws_b}', 'x', 'todo', 'normal', '{}', '{}', 0, 0)",
        carol.id, carol.id
    );
    assert!(as_tenant(&db, &carol.id, "", &forged).await.is_err());
    let dave_sees = as_tenant(&db, &dave.id, "", "SELECT assignee_id FROM tasks WHERE title = 't'").await;
    assert_eq!(ids(&dave_sees.unwrap()), [dave.id.clone()]);
}
