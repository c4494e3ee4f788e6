//! One Spin component per area: which areas each component serves, written once. A build with
//! a component's feature (`--features content`) serves that component's areas only and links
//! only their handlers (plus the kit, the app and the areas they build on); a build without one
//! (native tests) serves every route. `spin.toml` mounts each component on exactly its areas'
//! paths; the test below renders those triggers from the route rows and fails when the
//! manifest disagrees (`HERALD_WRITE_SPIN=1` rewrites them).

use herald::app::routes::Area;

macro_rules! components {
    ($($name:literal => [$($area:path),+ $(,)?]),+ $(,)?) => {
        $(
            /// The areas this component serves.
            #[cfg(feature = $name)]
            pub static SERVED: &[Area] = &[$($area),+];
        )+

        /// Every route: a build that names no component.
        #[cfg(not(any($(feature = $name),+)))]
        pub static SERVED: &[Area] = herald::app::routes::AREAS;

        /// Each component with the areas it serves (the table above, for the manifest check).
        #[cfg(test)]
        pub const COMPONENTS: &[(&str, &[Area])] = &[$(($name, &[$($area),+])),+];
    };
}

components! {
    // Health, the document, accounts and sessions, the activity log and the mail catcher; also
    // every path no other component claims (`/...`), which it answers 404.
    "core" => [herald::health::AREA, herald::app::openapi::AREA, herald::identity::AREA, herald::privacy::AREA, herald::activity::AREA, herald::mail::AREA],
    "workspaces" => [herald::workspaces::AREA],
    "agency" => [herald::agency::AREA, herald::workflows::AREA],
    "content" => [herald::content::AREA],
    // Files: the media library, and exports built in the background.
    "media" => [herald::media::AREA, herald::privacy::FILES],
    "collab" => [herald::collab::AREA],
    "approvals" => [herald::approvals::AREA],
    "publishing" => [herald::publishing::AREA, herald::maintenance::AREA],
    // AI generation: calls the providers (allowed_outbound_hosts lists their APIs).
    "ai" => [herald::ai::AREA],
}

/// The component that also takes every path no other one claims, and the shell's own routes.
pub const FALLBACK: &str = "core";

/// A row's path in Spin's route syntax: `{name}` segments become `:name`.
pub fn spin_route(path: &str) -> String {
    path.split('/')
        .map(|s| match s.strip_prefix('{').and_then(|s| s.strip_suffix('}')) {
            Some(name) => format!(":{name}"),
            None => s.to_string(),
        })
        .collect::<Vec<_>>()
        .join("/")
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;
    use std::path::Path;

    use super::*;

    /// The `[[trigger.http]]` blocks spin.toml must hold: one per distinct path of each
    /// component's rows, the shell's migrate route and the fallback.
    fn triggers() -> String {
        let mut out = String::new();
        for (name, areas) in COMPONENTS {
            let paths: BTreeSet<String> =
                areas.iter().flat_map(|a| a.routes.iter()).map(|r| spin_route(r.path)).collect();
            let mut paths: Vec<String> = paths.into_iter().collect();
            if *name == FALLBACK {
                paths.push(crate::migrations::ROUTE.to_string());
                paths.push("/...".to_string());
            }
            for path in paths {
                out.push_str(&format!("[[trigger.http]]\nroute = \"{path}\"\ncomponent = \"{name}\"\n\n"));
            }
        }
        out
    }

    const BEGIN: &str =
        "# ── Routes (generated from the route rows: HERALD_WRITE_SPIN=1 cargo test -p herald-spin components) ──\n";
    const END: &str = "# ── end of generated routes ──\n";

    #[test]
    fn every_area_is_served_by_exactly_one_component() {
        let served: Vec<&str> = COMPONENTS.iter().flat_map(|(_, areas)| areas.iter().map(|a| a.name)).collect();
        let all: Vec<&str> = herald::app::routes::AREAS.iter().map(|a| a.name).collect();
        let mut sorted = served.clone();
        sorted.sort();
        sorted.dedup();
        assert_eq!(sorted.len(), served.len(), "an area is in two components: {served:?}");
        for name in &all {
            assert!(served.contains(name), "no component serves the {name} area");
        }
        assert!(COMPONENTS.len() >= 6);
    }

    #[test]
    fn spin_routes_name_their_parameters() {
        assert_eq!(
            spin_route("/api/v1/workspaces/{workspaceId}/posts/{postId}/submit"),
            "/api/v1/workspaces/:workspaceId/posts/:postId/submit"
        );
        assert_eq!(spin_route("/health"), "/health");
    }

    /// spin.toml and spin.dev.toml mount every component on its areas' paths, and each
    /// component is built with its own feature into its own file.
    #[test]
    fn the_manifests_mount_each_component_on_its_routes() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
        let expected = triggers();
        for file in ["spin.toml", "spin.dev.toml"] {
            let path = root.join(file);
            let text = std::fs::read_to_string(&path).expect("read the manifest");
            let (Some(b), Some(e)) = (text.find(BEGIN), text.find(END)) else {
                panic!("{file} has no generated route section ({BEGIN:?} … {END:?})");
            };
            let current = &text[b + BEGIN.len()..e];
            if current != expected {
                if std::env::var_os("HERALD_WRITE_SPIN").is_some() {
                    let rewritten = format!("{}{BEGIN}{expected}{}", &text[..b], &text[e..]);
                    std::fs::write(&path, rewritten).expect("write the manifest");
                } else {
                    panic!("{file}'s routes differ from the route rows: HERALD_WRITE_SPIN=1 cargo test -p herald-spin components");
                }
            }
            for (name, _) in COMPONENTS {
                let build = format!("--features {name} ");
                let source = format!("source = \"target/spin/{name}.wasm\"");
                let section = text.split(&format!("[component.{name}]\n")).nth(1).unwrap_or_default();
                let section = section.split("\n[component.").next().unwrap_or_default();
                assert!(section.contains(&source), "{file}: component {name} must load {source}");
                let build_section = text.split(&format!("[component.{name}.build]\n")).nth(1).unwrap_or_default();
                assert!(build_section.contains(&build), "{file}: component {name} must build with `{build}`");
            }
        }
    }
}
