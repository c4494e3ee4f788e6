//! What may import what in the domain crate (ARCHITECTURE.md, "Layers"), read from the source:
//! every `use` line and every `crate::`/`super::` path of every module (test modules aside)
//! is an edge between two modules. The kit imports no area and no part of the app; an area
//! imports the kit and areas below it; only the app sees every area. The crate has no import
//! cycle. Edges that break a rule today are listed in `KNOWN` and are to go: the test fails on
//! a new one, and on a listed one that no longer occurs (strike it from the list).

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// The layer of a module, by its path: the kit first, then the areas in the order they may
/// build on each other, then the app.
fn rank(module: &str) -> (u8, &'static str) {
    let top = module.split("::").next().unwrap_or_default();
    match module {
        "error" | "sql" | "sql::pg" | "validate" | "zones" | "ports" | "ratelimit" | "sealed" | "tiers"
        | "encoding" | "llm" | "outbound" => (0, "kit"),
        m if m == "api" || m.starts_with("api::") => (0, "kit"),
        m if m.is_empty() || m == "app" || m.starts_with("app::") => (13, "app"),
        _ => match top {
            "mail" | "activity" | "platforms" | "plans" => (1, "area"),
            "identity" => (2, "area"),
            "privacy" => (3, "area"),
            "workspaces" => (4, "area"),
            "agency" => (5, "area"),
            "accounts" | "workflows" => (6, "area"),
            "content" => (7, "area"),
            "media" | "ai" => (8, "area"),
            "collab" => (9, "area"),
            "approvals" => (10, "area"),
            "publishing" => (11, "area"),
            "health" | "maintenance" => (12, "area"),
            _ => (13, "app"),
        },
    }
}

/// Imports that break a rule today, each `from -> to`. Shrinks as the structure issue lands.
const KNOWN: &[&str] = &[];

fn modules(src: &Path) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    let mut stack = vec![src.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).expect("read the source folder").flatten() {
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
                continue;
            }
            if path.extension().is_none_or(|e| e != "rs") {
                continue;
            }
            let relative = path.strip_prefix(src).expect("under src").with_extension("");
            let mut parts: Vec<String> =
                relative.components().map(|c| c.as_os_str().to_string_lossy().into_owned()).collect();
            if matches!(parts.last().map(String::as_str), Some("mod" | "lib")) {
                parts.pop();
            }
            let text = std::fs::read_to_string(&path).expect("read a source file");
            // Test modules may reach anywhere; comments name modules without importing them.
            let code = text.split("\n#[cfg(test)]\nmod tests").next().unwrap_or_default();
            let text: String =
                code.lines().filter(|l| !l.trim_start().starts_with("//")).map(|l| format!("{l}\n")).collect();
            out.insert(parts.join("::"), text);
        }
    }
    out
}

/// `use a::{b, c::{d, e}}` → `a::b`, `a::c::d`, `a::c::e`.
fn expand(tree: &str) -> Vec<String> {
    let tree: String = tree.chars().filter(|c| !c.is_whitespace()).collect();
    let Some(open) = tree.find('{') else {
        return vec![tree.split(" as ").next().unwrap_or_default().to_string()];
    };
    let prefix = &tree[..open];
    let inner = &tree[open + 1..tree.len().saturating_sub(1)];
    let (mut parts, mut depth, mut start) = (Vec::new(), 0, 0);
    for (i, c) in inner.char_indices() {
        match c {
            '{' => depth += 1,
            '}' => depth -= 1,
            ',' if depth == 0 => {
                parts.push(&inner[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    parts.push(&inner[start..]);
    parts
        .into_iter()
        .filter(|p| !p.is_empty())
        .flat_map(|p| {
            expand(p).into_iter().map(move |e| {
                if e == "self" {
                    prefix.trim_end_matches("::").to_string()
                } else {
                    format!("{prefix}{e}")
                }
            })
        })
        .collect()
}

/// Every path a module names: its `use` trees, and `crate::…`/`super::…` paths in code.
fn paths(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = text;
    while let Some(at) = rest.find("use ") {
        let before = &rest[..at];
        let line_start = before.rfind('\n').map_or(0, |n| n + 1);
        let is_statement = before[line_start..].trim().is_empty() || before[line_start..].trim() == "pub";
        let after = &rest[at + 4..];
        let end = after.find(';').unwrap_or(after.len());
        if is_statement {
            out.extend(expand(&after[..end]));
        }
        rest = &after[end.min(after.len())..];
    }
    let bytes = text.as_bytes();
    for start in ["crate::", "super::"] {
        let mut from = 0;
        while let Some(i) = text[from..].find(start) {
            let i = from + i;
            let boundary =
                i == 0 || !(bytes[i - 1].is_ascii_alphanumeric() || bytes[i - 1] == b'_' || bytes[i - 1] == b':');
            let end = text[i..]
                .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == ':'))
                .map_or(text.len(), |e| i + e);
            if boundary {
                out.push(text[i..end].trim_end_matches(':').to_string());
            }
            from = end.max(i + 1);
        }
    }
    out
}

/// The module a path names, from `module`: the longest known module it starts with.
fn resolve(module: &str, path: &str, known: &BTreeMap<String, String>) -> Option<String> {
    let mut parts: Vec<&str> = path.split("::").collect();
    let mut base: Vec<&str> = if module.is_empty() { vec![] } else { module.split("::").collect() };
    match parts.first().copied() {
        Some("crate") => {
            base.clear();
            parts.remove(0);
        }
        Some("super") => {
            while parts.first() == Some(&"super") {
                base.pop();
                parts.remove(0);
            }
        }
        Some("self") => {
            parts.remove(0);
        }
        // A child module named from its parent (`dispatch::dispatch` in `api/mod.rs`).
        Some(first) if known.contains_key(&join(&base, &[first])) => {}
        _ => return None,
    }
    let full: Vec<&str> = base.iter().chain(parts.iter()).copied().collect();
    (1..=full.len()).rev().map(|k| full[..k].join("::")).find(|m| known.contains_key(m))
}

fn join(base: &[&str], more: &[&str]) -> String {
    base.iter().chain(more.iter()).copied().collect::<Vec<_>>().join("::")
}

fn edges(known: &BTreeMap<String, String>) -> BTreeSet<(String, String)> {
    let mut out = BTreeSet::new();
    for (module, text) in known {
        let mut named = paths(text);
        // Child modules used by name from their parent (`json::parse` after `mod json;`).
        for child in known.keys().filter(|k| {
            k.rsplit_once("::").map_or(module.is_empty() && !k.is_empty() && !k.contains("::"), |(p, _)| p == module)
        }) {
            let name = child.rsplit("::").next().unwrap_or_default();
            if text.contains(&format!("{name}::")) {
                named.push(format!("self::{name}"));
            }
        }
        for path in named {
            if let Some(target) = resolve(module, &path, known) {
                let inside = target == *module || module.starts_with(&format!("{target}::"));
                if !inside {
                    out.insert((module.clone(), target));
                }
            }
        }
    }
    out
}

/// Strongly connected groups of more than one module (Tarjan).
fn cycles(nodes: &[String], edges: &BTreeSet<(String, String)>) -> Vec<Vec<String>> {
    struct State<'a> {
        next: usize,
        index: BTreeMap<&'a str, usize>,
        low: BTreeMap<&'a str, usize>,
        stack: Vec<&'a str>,
        on: BTreeSet<&'a str>,
        found: Vec<Vec<String>>,
    }
    fn visit<'a>(v: &'a str, adj: &BTreeMap<&'a str, Vec<&'a str>>, s: &mut State<'a>) {
        s.index.insert(v, s.next);
        s.low.insert(v, s.next);
        s.next += 1;
        s.stack.push(v);
        s.on.insert(v);
        for &w in adj.get(v).into_iter().flatten() {
            if !s.index.contains_key(w) {
                visit(w, adj, s);
                let low = s.low[v].min(s.low[w]);
                s.low.insert(v, low);
            } else if s.on.contains(w) {
                let low = s.low[v].min(s.index[w]);
                s.low.insert(v, low);
            }
        }
        if s.low[v] == s.index[v] {
            let mut group = Vec::new();
            while let Some(w) = s.stack.pop() {
                s.on.remove(w);
                group.push(w.to_string());
                if w == v {
                    break;
                }
            }
            if group.len() > 1 {
                group.sort();
                s.found.push(group);
            }
        }
    }
    let mut adj: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for (a, b) in edges {
        adj.entry(a.as_str()).or_default().push(b.as_str());
    }
    let mut s = State {
        next: 0,
        index: BTreeMap::new(),
        low: BTreeMap::new(),
        stack: Vec::new(),
        on: BTreeSet::new(),
        found: Vec::new(),
    };
    for n in nodes {
        if !s.index.contains_key(n.as_str()) {
            visit(n, &adj, &mut s);
        }
    }
    s.found
}

#[test]
fn imports_follow_the_layers_and_form_no_cycle() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let known = modules(&src);
    let edges = edges(&known);
    let upward: Vec<String> = edges
        .iter()
        .filter(|(a, b)| {
            let ((ra, la), (rb, _)) = (rank(a), rank(b));
            rb > ra || (la == "area" && rb == ra && a.split("::").next() != b.split("::").next())
        })
        .map(|(a, b)| format!("{a} -> {b}"))
        .collect();
    let nodes: Vec<String> = known.keys().cloned().collect();
    let groups = cycles(&nodes, &edges);
    let in_cycles: usize = groups.iter().map(Vec::len).sum();
    println!(
        "{} modules, {} imports between them, {} upward, {} modules in import cycles ({:?})",
        known.len(),
        edges.len(),
        upward.len(),
        in_cycles,
        groups.iter().map(Vec::len).collect::<Vec<_>>()
    );
    // Every import inside a cycle counts against the rule too, until the cycle is broken.
    let mut breaking: BTreeSet<String> = upward.into_iter().collect();
    for group in &groups {
        for (a, b) in edges.iter().filter(|(a, b)| group.contains(a) && group.contains(b)) {
            breaking.insert(format!("{a} -> {b}"));
        }
    }
    let new: Vec<&String> = breaking.iter().filter(|u| !KNOWN.contains(&u.as_str())).collect();
    let gone: Vec<&&str> = KNOWN.iter().filter(|k| !breaking.contains(**k)).collect();
    assert!(new.is_empty(), "imports against the layers or in a cycle (ARCHITECTURE.md): {new:#?}");
    assert!(gone.is_empty(), "no longer imported, strike from KNOWN: {gone:#?}");
}

#[test]
fn the_reader_sees_nested_use_trees_child_modules_and_inline_paths() {
    let mut known = BTreeMap::new();
    known.insert(
        "api".to_string(),
        "mod dispatch;\nuse crate::{error::AppError, content::{posts, status}};\nfn f() { dispatch::run(); }"
            .to_string(),
    );
    known.insert("api::dispatch".to_string(), "fn run() { crate::media::handlers::list(); }".to_string());
    for m in ["error", "content", "content::posts", "content::status", "media", "media::handlers"] {
        known.insert(m.to_string(), String::new());
    }
    let found: Vec<String> = edges(&known).into_iter().map(|(a, b)| format!("{a} -> {b}")).collect();
    assert_eq!(
        found,
        [
            "api -> api::dispatch",
            "api -> content::posts",
            "api -> content::status",
            "api -> error",
            "api::dispatch -> media::handlers"
        ]
    );
    // The kit reaching the app's dispatch is against the layers.
    assert!(rank("app::dispatch").0 > rank("api").0);
    let nodes: Vec<String> = vec!["a".into(), "b".into(), "c".into()];
    let ring: BTreeSet<(String, String)> =
        [("a", "b"), ("b", "a"), ("b", "c")].iter().map(|(x, y)| (x.to_string(), y.to_string())).collect();
    assert_eq!(cycles(&nodes, &ring), [vec!["a".to_string(), "b".to_string()]]);
}

// ── Rooms ─────────────────────────────────────────────────────────────────────────────────
// Every area has the same rooms (ARCHITECTURE.md, "Rooms"): its HTTP handlers in a `handlers`
// module, the only SQL for its tables in a `store` module, the types between them in `model`.

/// Modules with SQL that are not stores today. Shrinks as the structure issue lands; a module
/// that no longer has SQL must be struck.
const SQL_OUTSIDE_STORES: &[&str] = &[];

/// Modules that serve route rows but are not handler rooms today. Shrinks likewise.
const HANDLERS_OUTSIDE_ROOMS: &[&str] = &[];

/// A module that is a room of the given kind: `area::store`, or a file inside `area/store/`.
fn in_room(module: &str, room: &str) -> bool {
    module.split("::").any(|part| part == room)
}

/// Whether `text` holds a SQL statement literal.
fn has_sql(text: &str) -> bool {
    ["\"SELECT ", "\"INSERT INTO ", "\"UPDATE ", "\"DELETE FROM ", "\"WITH ", "\"INSERT OR "]
        .iter()
        .any(|start| text.contains(start))
}

/// The handler paths of every `route!` row of `text` (its last argument).
fn route_handlers(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = text;
    while let Some(at) = rest.find("route!(") {
        let after = &rest[at + "route!(".len()..];
        let mut depth = 1;
        let end = after
            .char_indices()
            .find(|&(_, c)| {
                depth += match c {
                    '(' => 1,
                    ')' => -1,
                    _ => 0,
                };
                depth == 0
            })
            .map_or(after.len(), |(i, _)| i);
        if let Some(handler) = after[..end].rsplit(',').next() {
            out.push(handler.trim().to_string());
        }
        rest = &after[end..];
    }
    out
}

/// The module a route row's handler lives in, from the module that declares the row.
fn handler_module(declaring: &str, handler: &str) -> String {
    let mut parts: Vec<&str> = if declaring.is_empty() { vec![] } else { declaring.split("::").collect() };
    let mut path: Vec<&str> = handler.split("::").collect();
    path.pop();
    parts.extend(path);
    parts.join("::")
}

fn ratchet(label: &str, found: &BTreeSet<String>, known: &[&str]) {
    let new: Vec<&String> = found.iter().filter(|m| !known.contains(&m.as_str())).collect();
    let gone: Vec<&&str> = known.iter().filter(|k| !found.contains(**k)).collect();
    assert!(new.is_empty(), "{label} (ARCHITECTURE.md, \"Rooms\"): {new:#?}");
    assert!(gone.is_empty(), "no longer {label}, strike from the list: {gone:#?}");
}

#[test]
fn sql_lives_in_stores_and_handlers_in_handler_rooms() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let known = modules(&src);
    let with_sql: BTreeSet<String> = known
        .iter()
        .filter(|(m, text)| has_sql(text) && !in_room(m, "store") && m.split("::").next() != Some("sql"))
        .map(|(m, _)| m.clone())
        .collect();
    let handler_modules: BTreeSet<String> = known
        .iter()
        .flat_map(|(m, text)| route_handlers(text).into_iter().map(move |h| handler_module(m, &h)))
        // The kit's own macro, and the app, which serves its document: neither is an area.
        .filter(|m| !matches!(m.split("::").next(), Some("api" | "app")))
        .collect();
    let outside: BTreeSet<String> = handler_modules.iter().filter(|m| !in_room(m, "handlers")).cloned().collect();
    let stores = known.keys().filter(|m| in_room(m, "store")).count();
    println!(
        "{} modules with SQL outside a store ({stores} stores); {} of {} handler modules outside a handlers room",
        with_sql.len(),
        outside.len(),
        handler_modules.len()
    );
    ratchet("SQL outside a store", &with_sql, SQL_OUTSIDE_STORES);
    ratchet("route handlers outside a handlers room", &outside, HANDLERS_OUTSIDE_ROOMS);
}

#[test]
fn the_room_reader_finds_sql_and_route_rows() {
    assert!(has_sql("let s = \"SELECT id FROM posts\";"));
    assert!(!has_sql("// SELECT in a comment is not code\nlet s = \"selected\";"));
    let rows = "route!(GET \"/a/{id}\", getA, Workspace(PostsRead), handlers::get),\n\
                route!(POST \"/a\", makeA, Public, make).body(Body::Large(5)),\n\
                route!(GET \"/b\", getB, Public, handlers::posts::list)";
    assert_eq!(route_handlers(rows), ["handlers::get", "make", "handlers::posts::list"]);
    assert_eq!(handler_module("content", "handlers::posts::list"), "content::handlers::posts");
    assert_eq!(handler_module("health", "health"), "health");
    assert!(in_room("content::store::posts", "store") && !in_room("content::stores", "store"));
}
