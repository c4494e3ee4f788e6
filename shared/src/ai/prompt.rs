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

/// The brand lines of a system prompt: voice, tone, audience and words.
fn brand_lines(system: &mut String, client: Option<&ClientView>) {
    if let Some(client) = client {
        let p = &client.brand_profile;
        for (label, value) in [("Voice", &p.voice), ("Tone", &p.tone), ("Audience", &p.audience)] {
            if let Some(v) = value {
                system.push_str(&format!("\n{label}: {v}"));
            }
        }
        if !p.words_to_avoid.is_empty() {
            system.push_str(&format!("\nNever use: {}", list(&p.words_to_avoid)));
        }
    }
}

/// Rewriting `text` for `platform`.
pub fn adapt(
    text: &str,
    platform: Platform,
    client: Option<&ClientView>,
    tone: Option<&str>,
    max_tokens: u32,
) -> Prompt {
    let caps = platforms::capabilities(platform);
    let mut system = format!(
        "You adapt texts for social platforms. Keep the meaning, the facts and the links; write the way \
         {platform} is written (its tone, its conventions for hashtags and mentions). The text must be at most {} {}. \
         Answer with the adapted text only.",
        caps.max_text,
        caps.counting.unit()
    );
    brand_lines(&mut system, client);
    if let Some(tone) = tone {
        system.push_str(&format!("\nTone: {tone}"));
    }
    Prompt {
        system,
        user: format!("Adapt this text for {platform}:\n{text}"),
        max_tokens,
        temperature: 0.5,
        shape: None,
    }
}

/// Asking for `count` headlines for `text`.
pub fn headlines(text: &str, count: usize, max_tokens: u32) -> Prompt {
    Prompt {
        system: format!(
            "You write headlines for social media and blog posts: specific, concrete, at most 90 characters each. \
             Answer with exactly {count} headlines, one per line, without numbering, bullets or quotes."
        ),
        user: format!("Text:\n{text}"),
        max_tokens,
        temperature: 0.8,
        shape: None,
    }
}

/// Asking for suggestions on `text`, given what was measured.
pub fn seo(text: &str, analysis: &super::SeoAnalysis, max_tokens: u32) -> Prompt {
    let keywords: Vec<String> =
        analysis.keywords.iter().map(|k| format!("{} ({} times)", k.keyword, k.count)).collect();
    Prompt {
        system: "You are an SEO editor. Answer with at most 5 concrete suggestions to improve the text for search, \
                 one per line, without numbering or bullets."
            .into(),
        user: format!(
            "Keywords: {}\nMeasured: {} words, {} sentences, {} words a sentence, reading ease {}.\nText:\n{text}",
            if keywords.is_empty() { "none given".into() } else { keywords.join(", ") },
            analysis.words,
            analysis.sentences,
            analysis.average_sentence_words,
            analysis.reading_ease
        ),
        max_tokens,
        temperature: 0.3,
        shape: None,
    }
}

/// The lines of an answer that asked for one item a line: numbering, bullets and quotes off,
/// blanks dropped, at most `most`.
pub fn lines(answer: &str, most: usize) -> Vec<String> {
    answer
        .lines()
        .map(|l| {
            let l =
                l.trim().trim_start_matches(|c: char| c.is_ascii_digit() || matches!(c, '.' | ')' | '-' | '*' | '•'));
            let l = l.trim();
            // Quotes around the whole line go; quotes inside it stay.
            let quoted = [('"', '"'), ('\u{201c}', '\u{201d}')]
                .iter()
                .find_map(|(open, close)| l.strip_prefix(*open)?.strip_suffix(*close))
                .filter(|inner| !inner.contains(['"', '\u{201c}', '\u{201d}']));
            quoted.unwrap_or(l).trim().to_string()
        })
        .filter(|l| !l.is_empty())
        .take(most)
        .collect()
}

/// Headlines made from the text itself: its first sentences, each cut to 90 characters at a word.
pub fn static_headlines(text: &str, count: usize) -> Vec<String> {
    text.split_sentence_bounds()
        .map(str::trim)
        .filter(|s| s.chars().any(char::is_alphanumeric))
        .take(count)
        .map(|s| {
            if s.chars().count() <= 90 {
                return s.to_string();
            }
            let cut: String = s.chars().take(90).collect();
            cut.rsplit_once(' ').map_or(cut.clone(), |(head, _)| head.to_string())
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn listed_answers_lose_their_numbering() {
        assert_eq!(lines("1. \"One\"\n\n- Two\n3) Three\nFour", 3), ["One", "Two", "Three"]);
        assert_eq!(static_headlines("Short one. Another! Third?", 2), ["Short one.", "Another!"]);
    }

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
