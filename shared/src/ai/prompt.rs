//! What a post's prompt says (the brand profile, the persona, the campaign, the platform's
//! length), the re-ask when an answer is too long, the cut when it is still too long, and the
//! built-in content when no provider answers.

use unicode_segmentation::UnicodeSegmentation;

use super::providers::Prompt;
use crate::agency::model::{campaigns::CampaignView, clients::ClientView, personas::PersonaView};
use crate::platforms::{self, Platform};

/// Everything a post's prompt is made from.
pub struct PostBrief<'a> {
    pub brief: &'a str,
    pub workspace: &'a str,
    pub platform: Option<Platform>,
    pub client: Option<&'a ClientView>,
    pub persona: Option<&'a PersonaView>,
    pub campaign: Option<&'a CampaignView>,
    pub tone: Option<&'a str>,
}

fn list(items: &[String]) -> String {
    items.join(", ")
}

/// The system and user messages of a post.
pub fn post(b: &PostBrief<'_>, max_tokens: u32) -> Prompt {
    let brand = b.client.map_or(b.workspace, |c| c.name.as_str());
    let mut system = format!(
        "You write social media posts for {brand}. Answer with the post's text only: no preface, no quotes, \
         no notes."
    );
    if let Some(client) = b.client {
        let p = &client.brand_profile;
        for (label, value) in [("Voice", &p.voice), ("Tone", &p.tone), ("Audience", &p.audience)] {
            if let Some(v) = value {
                system.push_str(&format!("\n{label}: {v}"));
            }
        }
        if !p.themes.is_empty() {
            system.push_str(&format!("\nThemes: {}", list(&p.themes)));
        }
        if !p.words_to_use.is_empty() {
            system.push_str(&format!("\nWords to use: {}", list(&p.words_to_use)));
        }
        if !p.words_to_avoid.is_empty() {
            system.push_str(&format!("\nNever use: {}", list(&p.words_to_avoid)));
        }
    }
    if let Some(tone) = b.tone {
        system.push_str(&format!("\nTone of this post: {tone}"));
    }
    if let Some(platform) = b.platform {
        let caps = platforms::capabilities(platform);
        system.push_str(&format!(
            "\nPlatform: {platform}. The text must be at most {} {}.",
            caps.max_text,
            caps.counting.unit()
        ));
    }
    let mut user = format!("Brief: {}", b.brief);
    if let Some(c) = b.campaign {
        user.push_str(&format!("\nCampaign: {}", c.name));
        if let Some(o) = &c.objective {
            user.push_str(&format!(" (objective: {o})"));
        }
        if let Some(t) = &c.brand_tone {
            user.push_str(&format!("\nCampaign tone: {t}"));
        }
        if !c.themes.is_empty() {
            user.push_str(&format!("\nCampaign themes: {}", list(&c.themes)));
        }
    }
    if let Some(p) = b.persona {
        user.push_str(&format!("\nWrite for this persona: {}", p.name));
        let pr = &p.profile;
        if let Some(d) = &pr.description {
            user.push_str(&format!(" ({d})"));
        }
        if !pr.goals.is_empty() {
            user.push_str(&format!("\nTheir goals: {}", list(&pr.goals)));
        }
        if !pr.pain_points.is_empty() {
            user.push_str(&format!("\nTheir pain points: {}", list(&pr.pain_points)));
        }
    }
    Prompt { system, user, max_tokens, temperature: 0.7 }
}

/// How long `text` is on `platform`, and its limit, when it is over.
pub fn overflow(platform: Platform, text: &str) -> Option<(usize, usize)> {
    let caps = platforms::capabilities(platform);
    let length = platforms::count(caps.counting, text);
    let over_bytes = caps.max_text_bytes.is_some_and(|max| text.len() > max);
    (length > caps.max_text || over_bytes).then_some((length, caps.max_text))
}

/// The prompt that asks again for `draft`, stating by how much it is too long.
pub fn shorter(first: &Prompt, platform: Platform, draft: &str, (length, max): (usize, usize)) -> Prompt {
    let unit = platforms::capabilities(platform).counting.unit();
    Prompt {
        user: format!(
            "{}\n\nThis draft is {length} {unit}, {} over {platform}'s limit of {max}. Rewrite it to at most {max} {unit}:\n{draft}",
            first.user,
            length.saturating_sub(max)
        ),
        ..first.clone()
    }
}

/// `text` cut at a grapheme boundary to fit `platform`, words kept whole where one ends near.
pub fn cut(platform: Platform, text: &str) -> String {
    let caps = platforms::capabilities(platform);
    let fits = |t: &str| {
        platforms::count(caps.counting, t) <= caps.max_text && caps.max_text_bytes.is_none_or(|max| t.len() <= max)
    };
    let mut end = 0;
    for (i, g) in text.grapheme_indices(true) {
        if !fits(&text[..i + g.len()]) {
            break;
        }
        end = i + g.len();
    }
    let kept = &text[..end];
    // Back to the last space when it is not far: a word cut in half reads worse than a shorter text.
    match kept.rfind(char::is_whitespace) {
        Some(space) if end < text.len() && space * 5 > end * 4 => kept[..space].trim_end().to_string(),
        _ => kept.trim_end().to_string(),
    }
}

/// The built-in post: the brief in the brand's words, with its themes as hashtags; no provider
/// was asked or none answered.
pub fn static_post(b: &PostBrief<'_>) -> String {
    let mut text = b.brief.trim().to_string();
    if !text.ends_with(['.', '!', '?']) {
        text.push('.');
    }
    if let Some(c) = b.campaign {
        text.push_str(&format!("\n\n{}", c.name));
    }
    let themes = b
        .client
        .map(|c| c.brand_profile.themes.clone())
        .filter(|t| !t.is_empty())
        .or_else(|| b.campaign.map(|c| c.themes.clone()))
        .unwrap_or_default();
    let tags: Vec<String> = themes
        .iter()
        .map(|t| t.chars().filter(|c| c.is_alphanumeric()).collect::<String>())
        .filter(|t| !t.is_empty())
        .take(5)
        .map(|t| format!("#{t}"))
        .collect();
    if !tags.is_empty() {
        text.push_str(&format!("\n\n{}", tags.join(" ")));
    }
    match b.platform {
        Some(p) if overflow(p, &text).is_some() => cut(p, &text),
        _ => text,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cut_fits_and_keeps_graphemes_whole() {
        let text = format!("{} 👩‍👩‍👧‍👦 end", "word ".repeat(60));
        let cut = cut(Platform::X, &text);
        assert!(overflow(Platform::X, &cut).is_none());
        assert!(text.starts_with(&cut));
        let family = "👩‍👩‍👧‍👦".repeat(400);
        let cut = super::cut(Platform::Bluesky, &family);
        assert!(overflow(Platform::Bluesky, &cut).is_none());
        assert_eq!(cut.len() % "👩‍👩‍👧‍👦".len(), 0, "no family is split");
    }
}
