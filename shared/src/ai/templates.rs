//! Prompt templates (SPEC AI-4): a system and a user message with `{{variables}}` filled from the
//! brief, the brand profile, the persona and the campaign. The system's own are built in; a
//! workspace's and a member's own are versioned like posts (immutable numbered versions) and may
//! be shared to a catalogue every workspace sees, where any user rates them once (changeably).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::providers::Prompt;
use crate::content::render::{self, Piece};
use crate::error::FieldError;

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
    Prompt { system: fill(system, values), user: fill(user, values), max_tokens, temperature: 0.7, shape: None }
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
