//! Campaign ideas (SPEC AG-4): N post ideas and M reel ideas of a fixed structure, asked for in
//! each provider's structured mode, every answer checked against the same JSON Schema (with the
//! `boon` validator), one repair asked with the errors, and built-in ideas when no provider gives
//! a valid answer.

use serde::Deserialize;
use serde_json::{json, Value as Json};

use super::providers::{Prompt, Shape};
use crate::agency::model::ideas::IdeaDetails;
use crate::agency::model::{campaigns::CampaignView, clients::ClientView, personas::PersonaView};

/// The most ideas of each kind one request asks for.
pub const MAX_POSTS: i64 = 10;
pub const MAX_REELS: i64 = 5;

fn text(max: usize) -> Json {
    json!({"type": "string", "minLength": 1, "maxLength": max})
}

fn object(properties: Json) -> Json {
    let required: Vec<&String> = properties.as_object().map(|p| p.keys().collect()).unwrap_or_default();
    json!({"type": "object", "additionalProperties": false, "required": required, "properties": properties})
}

/// The schema an answer with `posts` post ideas and `reels` reel ideas follows: every field
/// required, nothing else allowed, lengths as an idea stores them.
pub fn schema(posts: usize, reels: usize) -> Json {
    // A reel is a post idea with a script: the same fields, and its beats, length and audio.
    let post = json!({
        "title": text(300),
        "hook": text(500),
        "caption": text(5000),
        "hashtags": {"type": "array", "maxItems": 30, "items": text(100)},
        "format": text(100),
        "visual": text(1000),
        "callToAction": text(300),
    });
    let mut reel = post.clone();
    if let Some(fields) = reel.as_object_mut() {
        fields.insert("beats".into(), json!({"type": "array", "minItems": 1, "maxItems": 20, "items": text(500)}));
        fields.insert("durationSeconds".into(), json!({"type": "integer", "minimum": 1, "maximum": 600}));
        fields.insert("audio".into(), text(300));
    }
    let (post, reel) = (object(post), object(reel));
    object(json!({
        "posts": {"type": "array", "minItems": posts, "maxItems": posts, "items": post},
        "reels": {"type": "array", "minItems": reels, "maxItems": reels, "items": reel},
    }))
}

/// The schema as sent to providers: without string lengths, which not every structured mode
/// takes (the answer is still checked against [`schema`] whole).
pub fn sent_schema(schema: &Json) -> Json {
    match schema {
        Json::Object(map) => Json::Object(
            map.iter()
                .filter(|(k, v)| !matches!(k.as_str(), "minLength" | "maxLength") || !v.is_number())
                .map(|(k, v)| (k.clone(), sent_schema(v)))
                .collect(),
        ),
        Json::Array(items) => Json::Array(items.iter().map(sent_schema).collect()),
        other => other.clone(),
    }
}

/// A compiled schema that answers are checked against.
pub struct Validator {
    schemas: boon::Schemas,
    index: boon::SchemaIndex,
}

impl Validator {
    pub fn new(schema: &Json) -> Result<Validator, String> {
        let mut schemas = boon::Schemas::new();
        let mut compiler = boon::Compiler::new();
        compiler.add_resource("urn:herald:ideas", schema.clone()).map_err(|e| e.to_string())?;
        let index = compiler.compile("urn:herald:ideas", &mut schemas).map_err(|e| e.to_string())?;
        Ok(Validator { schemas, index })
    }

    /// The answer as JSON when it follows the schema; else what is wrong with it (at most ten
    /// errors, each with where in the answer it is).
    pub fn check(&self, answer: &str) -> Result<Json, Vec<String>> {
        let value: Json =
            serde_json::from_str(strip_fences(answer)).map_err(|e| vec![format!("the answer is not JSON: {e}")])?;
        match self.schemas.validate(&value, self.index) {
            Ok(()) => Ok(value),
            Err(error) => {
                let mut found = Vec::new();
                leaves(&error, &mut found);
                Err(found)
            }
        }
    }
}

/// The innermost errors of a validation, as `at /posts/0/title: …`.
fn leaves(error: &boon::ValidationError<'_, '_>, out: &mut Vec<String>) {
    if out.len() >= 10 {
        return;
    }
    if error.causes.is_empty() {
        let at = error.instance_location.to_string();
        out.push(format!("at {}: {}", if at.is_empty() { "/" } else { &at }, error.kind));
    }
    for cause in &error.causes {
        leaves(cause, out);
    }
}

/// A model that wraps JSON in a Markdown code fence is forgiven the fence.
fn strip_fences(answer: &str) -> &str {
    let t = answer.trim();
    t.strip_prefix("```json")
        .or_else(|| t.strip_prefix("```"))
        .and_then(|inner| inner.trim_end().strip_suffix("```"))
        .map_or(t, str::trim)
}

/// One idea as the schema has it.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct Proposal {
    pub title: String,
    pub hook: String,
    pub caption: String,
    pub hashtags: Vec<String>,
    pub format: String,
    pub visual: String,
    pub call_to_action: String,
    #[serde(default)]
    pub beats: Vec<String>,
    #[serde(default)]
    pub duration_seconds: Option<i64>,
    #[serde(default)]
    pub audio: Option<String>,
}

impl Proposal {
    /// The idea's details.
    pub fn details(&self) -> IdeaDetails {
        IdeaDetails {
            format: Some(self.format.clone()),
            visual: Some(self.visual.clone()),
            call_to_action: Some(self.call_to_action.clone()),
            beats: self.beats.clone(),
            duration_seconds: self.duration_seconds,
            audio: self.audio.clone(),
        }
    }
}

/// The ideas of a checked answer: posts, then reels.
#[derive(Debug, Deserialize)]
pub struct Proposals {
    pub posts: Vec<Proposal>,
    pub reels: Vec<Proposal>,
}

/// What the ideas' prompt is made from.
pub struct IdeasBrief<'a> {
    pub campaign: &'a CampaignView,
    pub client: Option<&'a ClientView>,
    pub persona: Option<&'a PersonaView>,
    pub brief: Option<&'a str>,
    pub workspace: &'a str,
    pub posts: usize,
    pub reels: usize,
}

impl IdeasBrief<'_> {
    fn brand(&self) -> &str {
        self.client.map_or(self.workspace, |c| c.name.as_str())
    }
}

/// Output tokens enough for the ideas asked for.
pub fn max_tokens(posts: usize, reels: usize) -> u32 {
    (300 + 350 * posts + 500 * reels).min(8_000) as u32
}

/// The prompt that asks for the ideas, in the structure of `schema`.
pub fn prompt(b: &IdeasBrief<'_>, schema: &Json) -> Prompt {
    let c = b.campaign;
    let mut system = format!(
        "You are the social media strategist of {}. Propose ideas for a campaign: concrete, different from each \
         other, ready for a writer and a designer to produce. A post idea has a title, a hook (its opening line), a \
         caption, hashtags (without #), a format (single image, carousel, video, text…), what is to be seen and a call \
         to action; a reel idea also the beats of its script, its length in seconds and an audio idea. Answer with \
         JSON only, following the given structure exactly.",
        b.brand()
    );
    if let Some(client) = b.client {
        let p = &client.brand_profile;
        for (label, value) in [("Voice", &p.voice), ("Tone", &p.tone), ("Audience", &p.audience)] {
            if let Some(v) = value {
                system.push_str(&format!("\n{label}: {v}"));
            }
        }
        if !p.words_to_avoid.is_empty() {
            system.push_str(&format!("\nNever use: {}", p.words_to_avoid.join(", ")));
        }
    }
    let mut user = format!("Campaign: {}", c.name);
    let mut line = |label: &str, value: &str| {
        if !value.trim().is_empty() {
            user.push_str(&format!("\n{label}: {value}"));
        }
    };
    line("Objective", c.objective.as_deref().unwrap_or_default());
    line("Tone", c.brand_tone.as_deref().unwrap_or_default());
    line("Themes", &c.themes.join(", "));
    line("Platforms", &c.target_platforms.join(", "));
    line("Runs from", c.start_date.as_deref().unwrap_or_default());
    line("Runs until", c.end_date.as_deref().unwrap_or_default());
    if let Some(p) = b.persona {
        line("Write for this persona", &p.name);
        line("About them", p.profile.description.as_deref().unwrap_or_default());
        line("Their goals", &p.profile.goals.join(", "));
        line("Their pain points", &p.profile.pain_points.join(", "));
    }
    line("Brief", b.brief.unwrap_or_default());
    user.push_str(&format!("\nPropose exactly {} post ideas and {} reel ideas.", b.posts, b.reels));
    Prompt {
        system,
        user,
        max_tokens: max_tokens(b.posts, b.reels),
        temperature: 0.9,
        shape: Some(Shape { name: "campaign_ideas", schema: sent_schema(schema) }),
    }
}

/// The prompt that asks once more, with what was wrong with `answer`.
pub fn repair(first: &Prompt, answer: &str, errors: &[String]) -> Prompt {
    let shown: String = answer.chars().take(6_000).collect();
    Prompt {
        user: format!(
            "{}\n\nYour previous answer does not follow the required structure:\n- {}\nYour previous answer was:\n{shown}\n\
             Answer again with the corrected JSON only.",
            first.user,
            errors.join("\n- ")
        ),
        temperature: 0.2,
        ..first.clone()
    }
}

const ANGLES: &[(&str, &str, &str)] = &[
    ("Behind the scenes", "carousel", "How {theme} really happens at {brand}."),
    ("A practical tip", "single image", "One thing about {theme} you can use today."),
    ("A customer story", "video", "What {theme} changed for one of our customers."),
    ("A question for you", "text", "What is your take on {theme}?"),
    ("A myth, busted", "carousel", "The most common myth about {theme}, and what is true."),
    ("How it works", "carousel", "{theme}, step by step."),
    ("By the numbers", "single image", "{theme} in three numbers."),
    ("Meet the team", "single image", "The people behind {theme} at {brand}."),
    ("Before and after", "carousel", "{theme}: before and after."),
    ("A quick poll", "text", "Quick poll on {theme}: which do you pick?"),
];

/// Built-in ideas when no provider gave a valid answer: the campaign's themes (else its name)
/// through a set of proven angles, with its objective, platforms and the brand profile's words.
/// They follow [`schema`], like a model's.
pub fn fallback(b: &IdeasBrief<'_>) -> Json {
    let c = b.campaign;
    let brand = b.brand();
    let mut themes: Vec<String> = c.themes.clone();
    if themes.is_empty() {
        themes = b.client.map(|cl| cl.brand_profile.themes.clone()).unwrap_or_default();
    }
    if themes.is_empty() {
        themes.push(c.name.clone());
    }
    let tags: Vec<String> = themes
        .iter()
        .chain(std::iter::once(&c.name))
        .map(|t| t.chars().filter(|ch| ch.is_alphanumeric()).collect::<String>())
        .filter(|t| !t.is_empty())
        .map(|t| t.chars().take(100).collect())
        .take(5)
        .collect();
    let action = match c.objective.as_deref().map(str::trim).filter(|o| !o.is_empty()) {
        Some(objective) => clip(&format!("Follow us for more: {objective}"), 300),
        None => "Follow us for more.".to_string(),
    };
    let brief = b.brief.map(str::trim).filter(|t| !t.is_empty());
    let idea = |i: usize, reel: bool| {
        let theme = &themes[i % themes.len()];
        let (angle, format, hook) = ANGLES[i % ANGLES.len()];
        let hook = hook.replace("{theme}", theme).replace("{brand}", brand);
        let caption = match brief {
            Some(brief) => format!("{hook}\n\n{brief}"),
            None => format!("{hook}\n\n{}", c.objective.as_deref().unwrap_or(&c.name)),
        };
        let mut idea = json!({
            "title": clip(&format!("{angle}: {theme}"), 300),
            "hook": clip(&hook, 500),
            "caption": clip(&caption, 5000),
            "hashtags": tags,
            "format": if reel { "reel" } else { format },
            "visual": clip(&format!("{brand}'s own imagery of {theme}, in the campaign's look"), 1000),
            "callToAction": action,
        });
        if reel {
            idea["beats"] = json!([
                clip(&format!("Hook on screen: {hook}"), 500),
                clip(&format!("Show {theme} in action"), 500),
                clip(&format!("One surprising detail about {theme}"), 500),
                clip(&action, 500),
            ]);
            idea["durationSeconds"] = json!([15, 30, 45][i % 3]);
            idea["audio"] = json!(clip(
                &format!(
                    "A voice-over in {}'s voice{}",
                    brand,
                    c.brand_tone.as_deref().map(|t| format!(", {t}")).unwrap_or_default()
                ),
                300
            ));
        }
        idea
    };
    json!({
        "posts": (0..b.posts).map(|i| idea(i, false)).collect::<Vec<_>>(),
        "reels": (0..b.reels).map(|i| idea(i + b.posts, true)).collect::<Vec<_>>(),
    })
}

fn clip(s: &str, max: usize) -> String {
    s.trim().chars().take(max).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn campaign() -> CampaignView {
        CampaignView {
            id: "c".into(),
            name: "Spring launch".into(),
            client_id: None,
            objective: Some("More sign-ups".into()),
            start_date: None,
            end_date: None,
            budget: None,
            brand_tone: Some("warm".into()),
            themes: vec!["Gardening".into(), "Tools".into()],
            target_platforms: vec!["instagram".into()],
            posts_planned: 0,
            reels_planned: 0,
            status: "active".into(),
            created_by: "u".into(),
            created_at: String::new(),
            updated_at: String::new(),
        }
    }

    #[test]
    fn answers_are_held_to_the_schema() {
        let c = campaign();
        let b = IdeasBrief {
            campaign: &c,
            client: None,
            persona: None,
            brief: None,
            workspace: "Acme",
            posts: 3,
            reels: 2,
        };
        let schema = schema(3, 2);
        let v = Validator::new(&schema).unwrap();
        let good = fallback(&b);
        let checked = v.check(&format!("```json\n{good}\n```")).expect("the built-in ideas follow the schema");
        let ideas: Proposals = serde_json::from_value(checked).unwrap();
        assert_eq!((ideas.posts.len(), ideas.reels.len()), (3, 2));
        assert_eq!(ideas.reels[0].beats.len(), 4);
        assert_ne!(ideas.posts[0].title, ideas.posts[1].title);

        let mut short = good.clone();
        short["posts"].as_array_mut().unwrap().pop();
        short["reels"][0]["durationSeconds"] = json!(0);
        short["reels"][1]["extra"] = json!(true);
        let errors = v.check(&short.to_string()).unwrap_err();
        assert!(errors.iter().any(|e| e.starts_with("at /posts:")), "{errors:?}");
        assert!(errors.iter().any(|e| e.starts_with("at /reels/0/durationSeconds:")), "{errors:?}");
        assert!(errors.iter().any(|e| e.starts_with("at /reels/1:")), "{errors:?}");
        assert!(v.check("Sure! Here are your ideas").unwrap_err()[0].contains("not JSON"));

        // What providers are sent keeps the structure but not the lengths.
        let sent = sent_schema(&schema);
        assert!(!sent.to_string().contains("maxLength"));
        assert_eq!(sent["properties"]["posts"]["minItems"], 3);
        assert_eq!(sent["properties"]["reels"]["items"]["required"].as_array().unwrap().len(), 10);
    }
}
