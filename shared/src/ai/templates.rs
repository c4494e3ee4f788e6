//! Prompt templates (SPEC AI-4): a system and a user message with `{{variables}}` filled from the
//! brief, the brand profile, the persona and the campaign. The system's own are built in; a
//! workspace's and a member's own are versioned like posts (immutable numbered versions) and may
//! be shared to a catalogue every workspace sees, where any user rates them once (changeably).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::providers::Prompt;
use crate::content::render::{self, Piece};
use crate::error::{AppError, FieldError};
use crate::params;
use crate::sql::{Row, Statement};
use crate::validate::rfc3339;

/// Every variable a template may use.
pub const VARIABLES: &[&str] = &[
    "brief",
    "tone",
    "platform",
    "platform.limit",
    "workspace.name",
    "brand.name",
    "brand.voice",
    "brand.tone",
    "brand.audience",
    "brand.themes",
    "brand.wordsToUse",
    "brand.wordsToAvoid",
    "persona.name",
    "persona.description",
    "persona.goals",
    "persona.painPoints",
    "campaign.name",
    "campaign.objective",
    "campaign.tone",
    "campaign.themes",
];

/// A template's text, checked: its placeholders are known variables and it includes no block.
pub fn check(text: &str, field: &str, max: usize, errors: &mut Vec<FieldError>) -> Option<String> {
    let text = text.trim();
    if text.is_empty() {
        errors.push(FieldError::new(field, "must not be empty"));
        return None;
    }
    if text.chars().count() > max {
        errors.push(FieldError::new(field, &format!("must be at most {max} characters")));
        return None;
    }
    match render::parse(text) {
        Err(e) => errors.push(FieldError::new(field, &e)),
        Ok(pieces) => {
            for piece in &pieces {
                match piece {
                    Piece::Include { raw, .. } => {
                        errors.push(FieldError::new(field, &format!("`{raw}`: a prompt template includes no block")))
                    }
                    Piece::Var { name, raw } if !VARIABLES.contains(&name.as_str()) => errors.push(FieldError::new(
                        field,
                        &format!("`{raw}` is not a variable of prompt templates ({})", VARIABLES.join(", ")),
                    )),
                    _ => {}
                }
            }
            return Some(text.to_string());
        }
    }
    None
}

/// Fills `text`'s variables from `values` (absent ones are empty). A line whose every variable
/// came out empty is left out, so a template can name what a brief may lack ("Voice:
/// {{brand.voice}}") without sending an empty label.
pub fn fill(text: &str, values: &BTreeMap<&str, String>) -> String {
    let mut out = Vec::new();
    for line in text.lines() {
        let Ok(pieces) = render::parse(line) else {
            out.push(line.to_string());
            continue;
        };
        let (mut filled, mut vars, mut empty) = (String::new(), 0, 0);
        for piece in &pieces {
            match piece {
                Piece::Text(t) => filled.push_str(t),
                Piece::Var { name, .. } => {
                    vars += 1;
                    match values.get(name.as_str()).filter(|v| !v.trim().is_empty()) {
                        Some(v) => filled.push_str(v),
                        None => empty += 1,
                    }
                }
                Piece::Include { raw, .. } => filled.push_str(raw),
            }
        }
        if vars == 0 || empty < vars {
            out.push(filled);
        }
    }
    out.join("\n").trim().to_string()
}

/// The built-in templates: one for posts, one for reels. Fixed ids, version 1, never stored.
pub struct SystemTemplate {
    pub id: &'static str,
    pub kind: &'static str,
    pub name: &'static str,
    pub system: &'static str,
    pub prompt: &'static str,
}

pub const SYSTEM: &[SystemTemplate] = &[
    SystemTemplate {
        id: "00000000-0000-4000-8000-00000000a001",
        kind: "post",
        name: "Herald: a social post",
        system: "You write social media posts for {{brand.name}}. Answer with the post's text only: no preface, no quotes, no notes.\n\
                 Voice: {{brand.voice}}\nTone: {{brand.tone}}\nAudience: {{brand.audience}}\nThemes: {{brand.themes}}\n\
                 Words to use: {{brand.wordsToUse}}\nNever use: {{brand.wordsToAvoid}}\nTone of this post: {{tone}}\n\
                 Platform: {{platform}}. The text must be at most {{platform.limit}}.",
        prompt: "Brief: {{brief}}\nCampaign: {{campaign.name}}\nCampaign objective: {{campaign.objective}}\n\
                 Campaign tone: {{campaign.tone}}\nCampaign themes: {{campaign.themes}}\n\
                 Write for this persona: {{persona.name}}\nAbout them: {{persona.description}}\n\
                 Their goals: {{persona.goals}}\nTheir pain points: {{persona.painPoints}}",
    },
    SystemTemplate {
        id: "00000000-0000-4000-8000-00000000a002",
        kind: "reel",
        name: "Herald: a reel script",
        system: "You write scripts for short vertical videos (reels) for {{brand.name}}: a hook in the first two seconds, \
                 beats a viewer can follow without sound, a call to action at the end. Answer with the script only.\n\
                 Voice: {{brand.voice}}\nTone: {{brand.tone}}\nAudience: {{brand.audience}}\nNever use: {{brand.wordsToAvoid}}\n\
                 Tone of this reel: {{tone}}",
        prompt: "Brief: {{brief}}\nCampaign: {{campaign.name}}\nCampaign objective: {{campaign.objective}}\n\
                 Write for this persona: {{persona.name}}\nTheir pain points: {{persona.painPoints}}",
    },
];

pub fn system_template(id: &str) -> Option<&'static SystemTemplate> {
    SYSTEM.iter().find(|t| t.id == id)
}

/// A template as shown.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct TemplateView {
    pub id: String,
    /// `system` (built in), `workspace` (every member's) or `user` (one member's own).
    pub scope: String,
    /// `post` or `reel`.
    pub kind: String,
    pub name: String,
    /// The current version.
    pub version: i64,
    pub system: String,
    pub prompt: String,
    /// In the catalogue every workspace sees.
    pub shared: bool,
    /// The name shown with it in the catalogue.
    pub author: Option<String>,
    pub created_at: Option<String>,
    pub updated_at: Option<String>,
}

impl From<&SystemTemplate> for TemplateView {
    fn from(t: &SystemTemplate) -> Self {
        TemplateView {
            id: t.id.into(),
            scope: "system".into(),
            kind: t.kind.into(),
            name: t.name.into(),
            version: 1,
            system: t.system.into(),
            prompt: t.prompt.into(),
            shared: false,
            author: None,
            created_at: None,
            updated_at: None,
        }
    }
}

/// One version of a template.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct TemplateVersionView {
    pub number: i64,
    pub system: String,
    pub prompt: String,
    pub created_by: String,
    pub created_at: String,
}

/// A new template.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct TemplateInput {
    pub name: String,
    /// `post` (the default) or `reel`.
    pub kind: Option<String>,
    /// The system message, with `{{variables}}`.
    pub system: String,
    /// The user message, with `{{variables}}`.
    pub prompt: String,
    /// `workspace` (the default; owners and admins) or `user` (the caller's own).
    pub scope: Option<String>,
}

/// A change: a new version when the text changes.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct TemplatePatch {
    pub name: Option<String>,
    pub system: Option<String>,
    pub prompt: Option<String>,
}

/// In the catalogue or not.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct SharingInput {
    pub shared: bool,
}

/// A rating of a shared template.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct RatingInput {
    /// 1 to 5.
    pub stars: i64,
}

/// A shared template, as the catalogue shows it.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct CatalogueEntry {
    pub id: String,
    pub kind: String,
    pub name: String,
    pub author: Option<String>,
    pub version: i64,
    pub system: String,
    pub prompt: String,
    /// The mean of its ratings; null before the first.
    pub rating: Option<f64>,
    pub ratings: i64,
    /// Generations made with it, in every workspace.
    pub uses: i64,
    /// The caller's own rating.
    pub your_rating: Option<i64>,
    pub shared_at: String,
}

const COLUMNS: &str =
    "id, workspace_id, user_id, kind, name, system, prompt, version, shared_at, author_name, created_at, updated_at";

pub fn decode(r: &Row) -> Result<TemplateView, AppError> {
    Ok(TemplateView {
        id: r.text("id")?,
        scope: if r.text("user_id")?.is_empty() { "workspace" } else { "user" }.into(),
        kind: r.text("kind")?,
        name: r.text("name")?,
        version: r.int("version")?,
        system: r.text("system")?,
        prompt: r.text("prompt")?,
        shared: r.opt_int("shared_at")?.is_some(),
        author: r.opt_text("author_name")?,
        created_at: Some(rfc3339(r.int("created_at")?)),
        updated_at: Some(rfc3339(r.int("updated_at")?)),
    })
}

/// The workspace's templates and the caller's own, by name.
pub fn list_read(workspace_id: &str, user_id: &str) -> Statement {
    Statement::new(
        format!(
            "SELECT {COLUMNS} FROM ai_templates WHERE workspace_id = ?1 AND (user_id = '' OR user_id = ?2) \
             ORDER BY name, id LIMIT 500"
        ),
        params![workspace_id, user_id],
    )
}

/// A template the caller of workspace `?1` may use: its workspace's, their own, or a shared one
/// of any workspace.
pub fn usable_read(workspace_id: &str, user_id: &str, id: &str) -> Statement {
    Statement::new(
        format!(
            "SELECT {COLUMNS} FROM ai_templates WHERE id = ?3 AND ((workspace_id = ?1 AND (user_id = '' OR user_id = ?2)) \
             OR shared_at IS NOT NULL)"
        ),
        params![workspace_id, user_id, id],
    )
}

/// The post template a generation uses: `given`, else the workspace's default, when the caller
/// may use it (with its workspace id).
pub fn chosen_read(workspace_id: &str, user_id: &str, given: &str) -> Statement {
    Statement::new(
        format!(
            "SELECT {COLUMNS} FROM ai_templates WHERE id = CASE WHEN ?3 <> '' THEN ?3 ELSE \
             (SELECT s.default_post_template FROM ai_settings s WHERE s.workspace_id = ?1) END \
             AND ((workspace_id = ?1 AND (user_id = '' OR user_id = ?2)) OR shared_at IS NOT NULL)"
        ),
        params![workspace_id, user_id, given],
    )
}

/// A template of the workspace's the caller may see (its own, or theirs), with the workspace id.
pub fn own_read(workspace_id: &str, user_id: &str, id: &str) -> Statement {
    Statement::new(
        format!(
            "SELECT {COLUMNS} FROM ai_templates WHERE id = ?3 AND workspace_id = ?1 AND (user_id = '' OR user_id = ?2)"
        ),
        params![workspace_id, user_id, id],
    )
}

/// Version `?2` of template `?1` (of workspace `?3`).
pub fn version_read(workspace_id: &str, id: &str, number: i64) -> Statement {
    Statement::new(
        "SELECT number, system, prompt, created_by, created_at FROM ai_template_versions \
         WHERE template_id = ?1 AND number = ?2 AND workspace_id = ?3",
        params![id, number, workspace_id],
    )
}

pub fn versions_read(workspace_id: &str, id: &str) -> Statement {
    Statement::new(
        "SELECT number, system, prompt, created_by, created_at FROM ai_template_versions \
         WHERE template_id = ?1 AND workspace_id = ?2 ORDER BY number DESC LIMIT 100",
        params![id, workspace_id],
    )
}

pub fn version_of(r: &Row) -> Result<TemplateVersionView, AppError> {
    Ok(TemplateVersionView {
        number: r.int("number")?,
        system: r.text("system")?,
        prompt: r.text("prompt")?,
        created_by: r.text("created_by")?,
        created_at: rfc3339(r.int("created_at")?),
    })
}

/// A new template and its first version.
pub fn insert(workspace_id: &str, user_id: &str, t: &TemplateView, by: &str, now: i64) -> Vec<Statement> {
    vec![
        Statement::new(
            "INSERT INTO ai_templates (id, workspace_id, user_id, kind, name, system, prompt, version, created_by, created_at, updated_at) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, 1, ?8, ?9, ?9)",
            params![t.id.as_str(), workspace_id, user_id, t.kind.as_str(), t.name.as_str(), t.system.as_str(), t.prompt.as_str(), by, now],
        ),
        Statement::new(
            "INSERT INTO ai_template_versions (template_id, workspace_id, number, system, prompt, created_by, created_at) \
             VALUES (?1, ?2, 1, ?3, ?4, ?5, ?6)",
            params![t.id.as_str(), workspace_id, t.system.as_str(), t.prompt.as_str(), by, now],
        ),
    ]
}

/// A change from version `was`: the name, and a new version when the text changed. Guarded by
/// the version it was read at, so two edits at once cannot both make version `was + 1`.
pub fn update(workspace_id: &str, t: &TemplateView, was: i64, new_version: bool, by: &str, now: i64) -> Vec<Statement> {
    let mut out = vec![Statement::new(
        "UPDATE ai_templates SET name = ?3, system = ?4, prompt = ?5, version = ?6, updated_at = ?7 \
         WHERE id = ?1 AND workspace_id = ?2 AND version = ?8",
        params![
            t.id.as_str(),
            workspace_id,
            t.name.as_str(),
            t.system.as_str(),
            t.prompt.as_str(),
            t.version,
            now,
            was
        ],
    )];
    if new_version {
        out.push(Statement::new(
            "INSERT INTO ai_template_versions (template_id, workspace_id, number, system, prompt, created_by, created_at) \
             SELECT ?1, ?2, ?3, ?4, ?5, ?6, ?7 WHERE EXISTS (SELECT 1 FROM ai_templates WHERE id = ?1 AND version = ?3)",
            params![t.id.as_str(), workspace_id, t.version, t.system.as_str(), t.prompt.as_str(), by, now],
        ));
    }
    out
}

/// Into the catalogue (`now`) with its author's name, or out of it (`None`).
pub fn share(workspace_id: &str, id: &str, now: Option<i64>) -> Statement {
    Statement::new(
        "UPDATE ai_templates SET shared_at = ?3, author_name = CASE WHEN ?4 = 1 THEN \
         (SELECT u.name FROM users u WHERE u.id = ai_templates.created_by) ELSE NULL END \
         WHERE id = ?1 AND workspace_id = ?2",
        params![id, workspace_id, now, now.is_some() as i64],
    )
}

pub fn delete(workspace_id: &str, id: &str) -> Statement {
    Statement::new("DELETE FROM ai_templates WHERE id = ?1 AND workspace_id = ?2", params![id, workspace_id])
}

/// The catalogue: shared templates of every workspace, best rated (or most used) first, with the
/// caller's own rating. Read across tenants (system scope): it names its rows itself.
pub fn catalogue_read(user_id: &str, by_uses: bool, kind: &str) -> Statement {
    let rated = "CASE WHEN c.ratings = 0 THEN 0 ELSE c.rating_sum * 1000 / c.ratings END";
    let order = if by_uses {
        format!("c.uses DESC, {rated} DESC")
    } else {
        format!("{rated} DESC, c.ratings DESC, c.uses DESC")
    };
    Statement::new(
        format!(
            "SELECT * FROM (SELECT t.id AS id, t.kind AS kind, t.name AS name, t.author_name AS author_name, \
             t.version AS version, t.system AS system, t.prompt AS prompt, t.shared_at AS shared_at, \
             (SELECT CAST(COALESCE(SUM(r.stars), 0) AS BIGINT) FROM ai_template_ratings r WHERE r.template_id = t.id) AS rating_sum, \
             (SELECT COUNT(*) FROM ai_template_ratings r WHERE r.template_id = t.id) AS ratings, \
             (SELECT COUNT(*) FROM ai_generations g WHERE g.template_id = t.id) AS uses, \
             (SELECT r.stars FROM ai_template_ratings r WHERE r.template_id = t.id AND r.user_id = ?1) AS your_rating \
             FROM ai_templates t WHERE t.shared_at IS NOT NULL AND (?2 = '' OR t.kind = ?2)) c \
             ORDER BY {order}, c.id LIMIT 100"
        ),
        params![user_id, kind],
    )
}

pub fn catalogue_of(rows: &[Row]) -> Result<Vec<CatalogueEntry>, AppError> {
    rows.iter()
        .map(|r| {
            let (sum, ratings) = (r.int("rating_sum")?, r.int("ratings")?);
            Ok(CatalogueEntry {
                id: r.text("id")?,
                kind: r.text("kind")?,
                name: r.text("name")?,
                author: r.opt_text("author_name")?,
                version: r.int("version")?,
                system: r.text("system")?,
                prompt: r.text("prompt")?,
                // Two decimals, from whole numbers.
                rating: (ratings > 0).then(|| ((sum * 100 + ratings / 2) / ratings) as f64 / 100.0),
                ratings,
                uses: r.int("uses")?,
                your_rating: r.opt_int("your_rating")?,
                shared_at: rfc3339(r.int("shared_at")?),
            })
        })
        .collect()
}

/// Rates shared template `?1` (a template not shared rates nothing: the guard fails the batch).
pub fn rate(id: &str, user_id: &str, stars: i64, now: i64) -> Vec<Statement> {
    vec![
        Statement::guard("SELECT 1 FROM ai_templates WHERE id = ?1 AND shared_at IS NOT NULL", params![id]),
        Statement::new(
            "INSERT INTO ai_template_ratings (template_id, user_id, stars, updated_at) VALUES (?1, ?2, ?3, ?4) \
             ON CONFLICT (template_id, user_id) DO UPDATE SET stars = excluded.stars, updated_at = excluded.updated_at",
            params![id, user_id, stars, now],
        ),
    ]
}

/// The values of a post's variables.
pub fn post_values<'v>(b: &super::prompt::PostBrief<'_>) -> BTreeMap<&'v str, String> {
    let join = |items: &[String]| items.join(", ");
    let mut v = BTreeMap::new();
    v.insert("brief", b.brief.to_string());
    v.insert("workspace.name", b.workspace.to_string());
    v.insert("brand.name", b.client.map_or(b.workspace, |c| c.name.as_str()).to_string());
    if let Some(tone) = b.tone {
        v.insert("tone", tone.to_string());
    }
    if let Some(p) = b.platform {
        let caps = crate::platforms::capabilities(p);
        v.insert("platform", p.as_str().to_string());
        v.insert("platform.limit", format!("{} {}", caps.max_text, caps.counting.unit()));
    }
    if let Some(c) = b.client {
        let p = &c.brand_profile;
        for (name, value) in [("brand.voice", &p.voice), ("brand.tone", &p.tone), ("brand.audience", &p.audience)] {
            if let Some(value) = value {
                v.insert(name, value.clone());
            }
        }
        v.insert("brand.themes", join(&p.themes));
        v.insert("brand.wordsToUse", join(&p.words_to_use));
        v.insert("brand.wordsToAvoid", join(&p.words_to_avoid));
    }
    if let Some(p) = b.persona {
        v.insert("persona.name", p.name.clone());
        v.insert("persona.description", p.profile.description.clone().unwrap_or_default());
        v.insert("persona.goals", join(&p.profile.goals));
        v.insert("persona.painPoints", join(&p.profile.pain_points));
    }
    if let Some(c) = b.campaign {
        v.insert("campaign.name", c.name.clone());
        v.insert("campaign.objective", c.objective.clone().unwrap_or_default());
        v.insert("campaign.tone", c.brand_tone.clone().unwrap_or_default());
        v.insert("campaign.themes", join(&c.themes));
    }
    v
}

/// The prompt `system` and `prompt` make with `values`.
pub fn prompt(system: &str, user: &str, values: &BTreeMap<&str, String>, max_tokens: u32) -> Prompt {
    Prompt { system: fill(system, values), user: fill(user, values), max_tokens, temperature: 0.7 }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_whose_variables_are_all_empty_are_left_out() {
        let values = BTreeMap::from([("brand.name", "Acme".to_string()), ("brief", "New roast".to_string())]);
        let text = "For {{brand.name}}.\nVoice: {{brand.voice}}\nBrief: {{brief}} ({{tone}})\nNo variables here.";
        assert_eq!(fill(text, &values), "For Acme.\nBrief: New roast ()\nNo variables here.");
    }

    #[test]
    fn templates_name_only_known_variables_and_include_nothing() {
        let mut errors = Vec::new();
        assert!(check("Hi {{brand.name}} {{brief}}", "system", 100, &mut errors).is_some());
        assert!(errors.is_empty());
        check("{{client.secret}} {{snippet:x}}", "prompt", 100, &mut errors);
        assert_eq!(errors.len(), 2, "{errors:?}");
        for t in SYSTEM {
            let mut errors = Vec::new();
            check(t.system, "system", 4000, &mut errors);
            check(t.prompt, "prompt", 4000, &mut errors);
            assert!(errors.is_empty(), "{}: {errors:?}", t.name);
        }
    }
}
